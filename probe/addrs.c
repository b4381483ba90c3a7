/* A name's addresses as Fastly would try them, each probed (see probe_addrs.h). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "probe_addrs.h"
#include "probe_co.h"

#define HOSTS_MAX_BYTES (1u << 20)
#define HOSTS_MAX_NAMES 4096
#define ADDRESS_STACK_SIZE (256u * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define ADDRESS_STACK (4 * ADDRESS_STACK_SIZE) /* sanitizers need more stack */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ADDRESS_STACK (4 * ADDRESS_STACK_SIZE)
#endif
#endif
#ifndef ADDRESS_STACK
#define ADDRESS_STACK ADDRESS_STACK_SIZE
#endif

struct host_entry {
    char *name;
    char *addresses[FO_NET_MAX_ADDRESSES];
    int count;
};

struct fo_hosts {
    struct host_entry *entries;
    size_t count;
};

void fo_hosts_free(fo_hosts *hosts)
{
    if (!hosts)
        return;
    for (size_t i = 0; i < hosts->count; i++) {
        free(hosts->entries[i].name);
        for (int j = 0; j < hosts->entries[i].count; j++)
            free(hosts->entries[i].addresses[j]);
    }
    free(hosts->entries);
    free(hosts);
}

static struct host_entry *find_entry(const fo_hosts *hosts, const char *name)
{
    for (size_t i = 0; hosts && i < hosts->count; i++) {
        if (strcasecmp(hosts->entries[i].name, name) == 0)
            return &hosts->entries[i];
    }
    return NULL;
}

/* Adds address to name's entry (made when new). */
static int hosts_add(fo_hosts *hosts, const char *name, const char *address, const char *where,
                     fo_error *err)
{
    struct host_entry *e = find_entry(hosts, name);
    if (!e) {
        if (hosts->count >= HOSTS_MAX_NAMES)
            return fo_error_set(err, FO_EINVAL, "%s: more than %d names", where, HOSTS_MAX_NAMES);
        struct host_entry *grown = realloc(hosts->entries, (hosts->count + 1) * sizeof(*grown));
        if (!grown)
            return fo_error_set(err, FO_ENOMEM, "out of memory");
        hosts->entries = grown;
        e = &hosts->entries[hosts->count];
        memset(e, 0, sizeof(*e));
        if (!(e->name = fo_strdup(name)))
            return fo_error_set(err, FO_ENOMEM, "out of memory");
        hosts->count++;
    }
    for (int i = 0; i < e->count; i++) {
        if (strcmp(e->addresses[i], address) == 0)
            return 0;
    }
    if (e->count >= FO_NET_MAX_ADDRESSES)
        return fo_error_set(err, FO_EINVAL, "%s: %s has more than %d addresses", where, name,
                            FO_NET_MAX_ADDRESSES);
    if (!(e->addresses[e->count] = fo_strdup(address)))
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    e->count++;
    return 0;
}

static int hosts_line(fo_hosts *hosts, char *line, const char *where, fo_error *err)
{
    char *save = NULL;
    char *hash = strchr(line, '#');
    if (hash)
        *hash = '\0';
    char *address = strtok_r(line, " \t\r", &save);
    if (!address)
        return 0;
    if (!fo_net_is_address(address))
        return fo_error_set(err, FO_EINVAL, "%s: '%.60s' is not an IP address", where, address);
    int names = 0;
    for (char *name; (name = strtok_r(NULL, " \t\r", &save)) != NULL; names++) {
        if (!fo_probe_sni_name_ok(name) || fo_net_is_address(name))
            return fo_error_set(err, FO_EINVAL, "%s: '%.60s' is not a host name", where, name);
        int rc = hosts_add(hosts, name, address, where, err);
        if (rc != 0)
            return rc;
    }
    if (names == 0)
        return fo_error_set(err, FO_EINVAL, "%s: %s has no name after it", where, address);
    return 0;
}

int fo_hosts_load(fo_hosts **out, const char *path, fo_error *err)
{
    char *text = NULL;
    int rc = fo_read_file(&text, path, HOSTS_MAX_BYTES, err);
    if (rc != 0)
        return rc;
    fo_hosts *hosts = calloc(1, sizeof(*hosts));
    if (!hosts) {
        free(text);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    long line_no = 1;
    for (char *line = text; line && rc == 0; line_no++) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        char where[300];
        snprintf(where, sizeof(where), "%s:%ld", fo_input_name(path), line_no);
        rc = hosts_line(hosts, line, where, err);
        line = next;
    }
    free(text);
    if (rc != 0) {
        fo_hosts_free(hosts);
        return rc;
    }
    *out = hosts;
    return 0;
}

int fo_addrs_resolve(fo_net_addr addrs[FO_NET_MAX_ADDRESSES], const fo_hosts *hosts,
                     const char *host, int port, char *problem, size_t problem_size)
{
    const struct host_entry *e = fo_net_is_address(host) ? NULL : find_entry(hosts, host);
    if (!e)
        return fo_net_resolve(addrs, host, port, problem, problem_size);
    for (int i = 0; i < e->count; i++) {
        fo_net_addr one[FO_NET_MAX_ADDRESSES];
        int rc = fo_net_resolve(one, e->addresses[i], port, problem, problem_size);
        if (rc < 0)
            return rc;
        addrs[i] = one[0];
    }
    return e->count;
}

void fo_addrs_order(fo_net_addr *addrs, int count, bool prefer_ipv6)
{
    int first_family = prefer_ipv6 ? AF_INET6 : AF_INET;
    /* An insertion sort on "is of the first family": stable, and count is at most 16. */
    for (int i = 1; i < count; i++) {
        fo_net_addr a = addrs[i];
        int j = i;
        while (j > 0 && a.sa.ss_family == first_family &&
               addrs[j - 1].sa.ss_family != first_family) {
            addrs[j] = addrs[j - 1];
            j--;
        }
        addrs[j] = a;
    }
}

/* One address's probe, run on a thread of its own. */
struct address_job {
    fo_addrs_probe_fn probe;
    void *ctx;
    const fo_net_addr *addr;
    fo_probe_facts facts;
    fo_error err;
    int rc;
    int done; /* set (atomically) when the thread is through */
};

static void *address_thread(void *arg)
{
    struct address_job *job = arg;
    job->rc = job->probe(job->ctx, &job->facts, job->addr, &job->err);
    __atomic_store_n(&job->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* Joins an address's thread. On a probe loop (probe_co.h) it first waits without blocking
 * the loop, so the other probes of the loop run meanwhile. */
static void join_address(pthread_t thread, struct address_job *job)
{
    while (fo_co_inside() && !__atomic_load_n(&job->done, __ATOMIC_ACQUIRE))
        fo_co_poll(NULL, 0, fo_now_ms() + 2, NULL);
    pthread_join(thread, NULL);
}

/* Runs jobs, at most FO_ADDRS_PARALLEL at once; on the caller's thread when no thread can
 * be started. */
static void run_jobs(struct address_job *jobs, int count)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, ADDRESS_STACK);
    for (int start = 0; start < count; start += FO_ADDRS_PARALLEL) {
        pthread_t threads[FO_ADDRS_PARALLEL];
        bool started[FO_ADDRS_PARALLEL] = {false};
        int n = count - start < FO_ADDRS_PARALLEL ? count - start : FO_ADDRS_PARALLEL;
        for (int i = 1; i < n; i++)
            started[i] = pthread_create(&threads[i], &attr, address_thread, &jobs[start + i]) == 0;
        address_thread(&jobs[start]); /* the first one here: one thread fewer */
        for (int i = 1; i < n; i++) {
            if (started[i])
                join_address(threads[i], &jobs[start + i]);
            else
                address_thread(&jobs[start + i]);
        }
    }
    pthread_attr_destroy(&attr);
}

/* The result of one address, from its facts classified as Fastly would see them. */
static void record_result(fo_address_result *out, const fo_probe_target *target,
                          fo_probe_facts *facts, const char *address, int64_t now)
{
    fo_verdict verdict;
    memset(out, 0, sizeof(*out));
    snprintf(out->address, sizeof(out->address), "%s", address);
    out->probed = true;
    fo_probe_primary_verify_error(facts, &facts->verify_code);
    fo_probe_classify(&verdict, target, facts, now);
    out->class = verdict.class;
    const char *text = fo_verdict_fastly_error(&verdict);
    snprintf(out->fastly_error, sizeof(out->fastly_error), "%s", text ? text : "");
    out->connect_ms = facts->connect_ms;
    out->handshake_ms = facts->handshake_ms;
    if (facts->chain_count > 0)
        snprintf(out->leaf_sha256, sizeof(out->leaf_sha256), "%s", facts->chain[0].sha256);
    if (out->class != FO_CLASS_OK && facts->problem)
        snprintf(out->problem, sizeof(out->problem), "%s", facts->problem);
}

/* Moves what jobs[0] learnt into primary, keeping primary's addresses. */
static void take_facts(fo_probe_facts *primary, fo_probe_facts *facts)
{
    char **addresses = primary->addresses;
    size_t address_count = primary->address_count;
    *primary = *facts;
    primary->addresses = addresses;
    primary->address_count = address_count;
    fo_probe_facts_init(facts);
}

int fo_addrs_probe_all(fo_probe_facts *primary, const fo_probe_target *target,
                       const fo_net_addr *addrs, int count, fo_addrs_probe_fn probe, void *ctx,
                       fo_error *err)
{
    int rc = 0;
    int64_t now = (int64_t)time(NULL);
    struct address_job *jobs = calloc((size_t)count, sizeof(*jobs));
    fo_address_result *results = calloc((size_t)count, sizeof(*results));
    if (!jobs || !results) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < count; i++) {
        jobs[i] = (struct address_job){.probe = probe, .ctx = ctx, .addr = &addrs[i]};
        fo_probe_facts_init(&jobs[i].facts);
    }
    run_jobs(jobs, count);
    for (int i = 0; i < count; i++) {
        struct address_job *job = &jobs[i];
        /* Another address that cannot be tried from here (no IPv6 on this machine, say)
         * is not the origin's failure: it is said, not classified. */
        if (job->rc == FO_EIO && i > 0) {
            snprintf(results[i].address, sizeof(results[i].address), "%s", addrs[i].text);
            snprintf(results[i].problem, sizeof(results[i].problem), "%.127s", job->err.msg);
            results[i].connect_ms = results[i].handshake_ms = -1;
            continue;
        }
        if (job->rc != 0) {
            rc = job->rc;
            if (err)
                *err = job->err;
            goto out;
        }
        record_result(&results[i], target, &job->facts, addrs[i].text, now);
    }
    take_facts(primary, &jobs[0].facts);
    primary->address_results = results;
    primary->address_result_count = (size_t)count;
    results = NULL;
out:
    for (int i = 0; jobs && i < count; i++)
        fo_prober_facts_clear(&jobs[i].facts);
    free(jobs);
    free(results);
    return rc;
}
