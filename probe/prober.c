/* The prober: the trust store, TLS contexts shared across probes, and the probe itself
 * (resolve, connect, handshake, then extra connections only to explain a failure). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "probe_addrs.h"
#include "probe_certs.h"
#include "probe_co.h"
#include "probe_net.h"
#include "probe_explain.h"
#include "probe_tls.h"

/* Distinct settings beyond this many get a context of their own that is not kept. */
#define CTX_CACHE_MAX 64
/* Fastly's certificate chains are small; this bounds what an origin can make us parse. */
#define MAX_CERT_LIST (100 * 1024)
#define TRUST_BUNDLE_MAX_BYTES (16u << 20)
struct ctx_entry {
    char *key;
    SSL_CTX *ctx;
    struct ctx_entry *next;
};

/* The certificates of one ssl_ca_cert text, as diagnoses echo them: parsed once, however
 * many targets give the same bundle. */
struct ca_entry {
    char *pem;
    fo_ca_summary *summaries;
    size_t count;
    struct ca_entry *next;
};

struct fo_prober {
    X509_STORE *trust;
    STACK_OF(X509) * bundle; /* the trust bundle's certificates; NULL for the system's */
    char *cert_dir;          /* the hashed directory when no bundle is given */
    pthread_mutex_t lock;
    sem_t cpu_slots; /* one per processor: see fo_tls_params */
    struct ctx_entry *contexts;
    size_t context_count;
    struct ca_entry *ca_texts;
    size_t ca_text_count;
    fo_hosts *hosts; /* names resolved from a hosts file instead of DNS; NULL: none */
};

static int add_cert_dir(X509_STORE *store, const char *dir)
{
    X509_LOOKUP *lookup = X509_STORE_add_lookup(store, X509_LOOKUP_hash_dir());
    return lookup && X509_LOOKUP_add_dir(lookup, dir, X509_FILETYPE_PEM) == 1 ? 0 : FO_ENOMEM;
}

static int add_certs(X509_STORE *store, STACK_OF(X509) * certs)
{
    for (int i = 0; certs && i < sk_X509_num(certs); i++) {
        /* A certificate given twice is not an error. */
        if (X509_STORE_add_cert(store, sk_X509_value(certs, i)) != 1)
            ERR_clear_error();
    }
    return 0;
}

int fo_prober_new(fo_prober **out, const char *trust_bundle, fo_error *err)
{
    int rc = 0;
    char *text = NULL;
    OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG, NULL);
    fo_prober *p = calloc(1, sizeof(*p));
    if (!p)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    pthread_mutex_init(&p->lock, NULL);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    sem_init(&p->cpu_slots, 0, cpus > 0 ? (unsigned)cpus : 1);
    p->trust = X509_STORE_new();
    if (!p->trust) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (trust_bundle) {
        if ((rc = fo_read_file(&text, trust_bundle, TRUST_BUNDLE_MAX_BYTES, err)) != 0)
            goto out;
        char what[300];
        snprintf(what, sizeof(what), "trust bundle %s", fo_input_name(trust_bundle));
        if ((rc = fo_certs_parse_pem(&p->bundle, text, what, err)) != 0)
            goto out;
        add_certs(p->trust, p->bundle);
    } else {
        /* The hashed directory is read lazily, one CA at a time: a cheap start. */
        const char *dir = getenv(X509_get_default_cert_dir_env());
        p->cert_dir = fo_strdup(dir && *dir ? dir : X509_get_default_cert_dir());
        if (!p->cert_dir || add_cert_dir(p->trust, p->cert_dir) != 0) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    *out = p;
    p = NULL;
out:
    free(text);
    fo_prober_free(p);
    return rc;
}

static void summaries_free(fo_ca_summary *summaries, size_t count)
{
    for (size_t i = 0; summaries && i < count; i++)
        free(summaries[i].subject);
    free(summaries);
}

void fo_prober_free(fo_prober *p)
{
    if (!p)
        return;
    for (struct ctx_entry *e = p->contexts, *next; e; e = next) {
        next = e->next;
        SSL_CTX_free(e->ctx);
        free(e->key);
        free(e);
    }
    for (struct ca_entry *e = p->ca_texts, *next; e; e = next) {
        next = e->next;
        summaries_free(e->summaries, e->count);
        free(e->pem);
        free(e);
    }
    X509_STORE_free(p->trust);
    fo_hosts_free(p->hosts);
    sk_X509_pop_free(p->bundle, X509_free);
    free(p->cert_dir);
    pthread_mutex_destroy(&p->lock);
    sem_destroy(&p->cpu_slots);
    free(p);
}

static int version_wire(fo_tls_version v, int unset)
{
    static const int wire[] = {0, TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
    return v == FO_TLS_UNSET ? unset : wire[v];
}

/* The trust of a backend: the trust bundle plus its own ssl_ca_cert. */
static int make_store(X509_STORE **out, fo_prober *p, const char *ca_pem, fo_error *err)
{
    STACK_OF(X509) *ca = NULL;
    int rc = fo_certs_parse_pem(&ca, ca_pem, "ssl_ca_cert", err);
    if (rc != 0)
        return rc;
    X509_STORE *store = X509_STORE_new();
    if (!store || (p->cert_dir && add_cert_dir(store, p->cert_dir) != 0)) {
        X509_STORE_free(store);
        sk_X509_pop_free(ca, X509_free);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    add_certs(store, p->bundle);
    add_certs(store, ca);
    sk_X509_pop_free(ca, X509_free);
    *out = store;
    return 0;
}

static int make_ctx(SSL_CTX **out, fo_prober *p, const fo_probe_settings *s, fo_error *err)
{
    int rc = 0;
    X509_STORE *store = NULL;
    SSL_CTX *ctx = SSL_CTX_new_ex(fo_tls_libctx(), NULL, TLS_client_method());
    if (!ctx)
        return fo_error_set(err, FO_ENOMEM, "cannot make a TLS context");
    SSL_CTX_set_min_proto_version(ctx, version_wire(s->min_tls, TLS1_VERSION));
    SSL_CTX_set_max_proto_version(ctx, version_wire(s->max_tls, TLS1_3_VERSION));
    /* TLS 1.0/1.1 and their signature algorithms need level 0; one level for every
     * backend keeps the verdict independent of the version limits. */
    SSL_CTX_set_security_level(ctx, 0);
    /* Origins without RFC 5746 still talk to Fastly: don't refuse them. */
    SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* Hundreds of handshakes wait at once: no idle record buffers while they do. */
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_max_cert_list(ctx, MAX_CERT_LIST);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, fo_tls_verify_callback);
    if (!fo_str_empty(s->ciphers) && SSL_CTX_set_cipher_list(ctx, s->ciphers) != 1) {
        ERR_clear_error();
        rc = fo_error_set(err, FO_EINVAL, "ssl_ciphers '%s' selects no cipher OpenSSL knows",
                          s->ciphers);
        goto out;
    }
    if (fo_str_empty(s->ca_cert_pem)) {
        SSL_CTX_set1_cert_store(ctx, p->trust);
    } else {
        if ((rc = make_store(&store, p, s->ca_cert_pem, err)) != 0)
            goto out;
        SSL_CTX_set_cert_store(ctx, store); /* ctx owns it */
    }
    *out = ctx;
    ctx = NULL;
out:
    SSL_CTX_free(ctx);
    return rc;
}

/* A context for these settings, shared when possible; the caller frees its reference. */
static int get_ctx(SSL_CTX **out, fo_prober *p, const fo_probe_settings *s, fo_error *err)
{
    fo_buf key = {0};
    int rc = 0;
    const char *ciphers = s->ciphers ? s->ciphers : "";
    const char *ca = s->ca_cert_pem ? s->ca_cert_pem : "";
    /* Each text prefixed with its length: no two settings can spell the same key. */
    if (fo_buf_printf(&key, "%d %d %zu:%s %zu:%s", s->min_tls, s->max_tls, strlen(ciphers), ciphers,
                      strlen(ca), ca) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->lock);
    for (struct ctx_entry *e = p->contexts; e; e = e->next) {
        if (strcmp(e->key, key.data) == 0) {
            SSL_CTX_up_ref(e->ctx);
            *out = e->ctx;
            goto out;
        }
    }
    if ((rc = make_ctx(out, p, s, err)) != 0)
        goto out;
    struct ctx_entry *entry = p->context_count < CTX_CACHE_MAX ? calloc(1, sizeof(*entry)) : NULL;
    if (entry) {
        SSL_CTX_up_ref(*out);
        entry->ctx = *out;
        entry->key = fo_buf_steal(&key);
        entry->next = p->contexts;
        p->contexts = entry;
        p->context_count++;
    }
out:
    pthread_mutex_unlock(&p->lock);
    fo_buf_clear(&key);
    return rc;
}

/* A copy of count summaries into d. */
static int copy_summaries(fo_diagnosis *d, const fo_ca_summary *summaries, size_t count)
{
    d->ca_certs = calloc(count, sizeof(*d->ca_certs));
    if (!d->ca_certs)
        return FO_ENOMEM;
    for (size_t i = 0; i < count; i++) {
        d->ca_certs[i] = summaries[i];
        if (!(d->ca_certs[i].subject = fo_strdup(summaries[i].subject)))
            return FO_ENOMEM;
        d->ca_cert_count++;
    }
    return 0;
}

/* Echoes the certificates of d's ssl_ca_cert into d, parsing each distinct text once (a
 * targets file may give thousands of backends one large bundle). Fails as parsing does. */
static int ca_summaries(fo_prober *p, fo_diagnosis *d, fo_error *err)
{
    const char *pem = d->target.settings.ca_cert_pem;
    STACK_OF(X509) *ca = NULL;
    fo_ca_summary *summaries = NULL;
    size_t count = 0;
    int rc = 0;
    pthread_mutex_lock(&p->lock);
    for (struct ca_entry *e = p->ca_texts; e; e = e->next) {
        if (strcmp(e->pem, pem) == 0) {
            rc = copy_summaries(d, e->summaries, e->count);
            goto out;
        }
    }
    if ((rc = fo_certs_parse_pem(&ca, pem, "ssl_ca_cert", err)) != 0)
        goto out;
    if ((rc = fo_certs_summaries(&summaries, &count, ca)) != 0 ||
        (rc = copy_summaries(d, summaries, count)) != 0)
        goto out;
    struct ca_entry *entry = p->ca_text_count < CTX_CACHE_MAX ? calloc(1, sizeof(*entry)) : NULL;
    if (entry && (entry->pem = fo_strdup(pem)) != NULL) {
        entry->summaries = summaries;
        entry->count = count;
        entry->next = p->ca_texts;
        p->ca_texts = entry;
        p->ca_text_count++;
        summaries = NULL;
        count = 0;
    } else {
        free(entry); /* not kept: the next probe parses again */
    }
out:
    pthread_mutex_unlock(&p->lock);
    summaries_free(summaries, count);
    sk_X509_pop_free(ca, X509_free);
    if (rc == FO_ENOMEM)
        fo_error_set(err, rc, "out of memory");
    return rc;
}

int fo_prober_set_hosts(fo_prober *p, const char *path, fo_error *err)
{
    fo_hosts *hosts = NULL;
    int rc = fo_hosts_load(&hosts, path, err);
    if (rc != 0)
        return rc;
    fo_hosts_free(p->hosts);
    p->hosts = hosts;
    return 0;
}

void fo_prober_facts_clear(fo_probe_facts *facts)
{
    free(facts->address_results);
    free(facts->problem);
    for (size_t i = 0; i < facts->address_count; i++)
        free(facts->addresses[i]);
    free(facts->addresses);
    free(facts->address);
    free(facts->protocol);
    free(facts->cipher);
    free(facts->sni_sent);
    free(facts->reply_start);
    fo_tls_facts_clear_chain(facts);
    fo_probe_facts_init(facts);
}

void fo_diagnosis_free(fo_diagnosis *d)
{
    if (!d)
        return;
    free((char *)d->target.host);
    free((char *)d->target.settings.sni_hostname);
    free((char *)d->target.settings.cert_hostname);
    free((char *)d->target.settings.ca_cert_pem);
    free((char *)d->target.settings.ciphers);
    summaries_free(d->ca_certs, d->ca_cert_count);
    fo_prober_facts_clear(&d->facts);
    free(d);
}

/* Copies a setting string; unset ones stay NULL. */
static bool copy_setting(const char **field, const char *value)
{
    *field = fo_str_empty(value) ? NULL : fo_strdup(value);
    return fo_str_empty(value) || *field != NULL;
}

static int copy_target(fo_diagnosis *d, const fo_probe_target *target)
{
    const fo_probe_settings *s = &target->settings;
    fo_probe_settings *copy = &d->target.settings;
    *copy = *s;
    copy->sni_hostname = copy->cert_hostname = copy->ca_cert_pem = copy->ciphers = NULL;
    d->target.port = target->port;
    d->target.host = fo_strdup(target->host);
    if (!d->target.host || !copy_setting(&copy->sni_hostname, s->sni_hostname) ||
        !copy_setting(&copy->cert_hostname, s->cert_hostname) ||
        !copy_setting(&copy->ca_cert_pem, s->ca_cert_pem) ||
        !copy_setting(&copy->ciphers, s->ciphers))
        return FO_ENOMEM;
    return 0;
}

/* The name to try as SNI when none was sent: the certificate hostname, else the host,
 * when it is a DNS name SNI can carry (a certificate hostname may be any text). */
static const char *sni_retry_name(const fo_probe_target *target)
{
    const char *name = target->settings.cert_hostname;
    if (!fo_str_empty(name) && !fo_net_is_address(name) && fo_probe_sni_name_ok(name))
        return name;
    if (!fo_net_is_address(target->host) && fo_probe_sni_name_ok(target->host))
        return target->host;
    return NULL;
}

static bool handshake_failed(fo_outcome outcome)
{
    return outcome == FO_OUTCOME_ALERT || outcome == FO_OUTCOME_CLOSED ||
           outcome == FO_OUTCOME_TLS_ERROR;
}

static bool has_name_mismatch(const fo_probe_facts *facts)
{
    for (size_t i = 0; i < facts->verify_error_count; i++) {
        int code = facts->verify_errors[i].code;
        if (code == X509_V_ERR_HOSTNAME_MISMATCH || code == X509_V_ERR_IP_ADDRESS_MISMATCH)
            return true;
    }
    return false;
}

static fo_tls_params tls_params(fo_prober *p, SSL_CTX *ctx, const fo_probe_settings *s,
                                const char *sni)
{
    double timeout = (double)s->connect_timeout_ms;
    fo_tls_params params = {
        .ctx = ctx,
        .sni = sni,
        .verify_name = fo_str_empty(s->cert_hostname) ? NULL : s->cert_hostname,
        .timeout_ms = timeout,
        .patience_ms = timeout,
        .cpu_slots = &p->cpu_slots,
    };
    return params;
}

/* One more handshake with SNI: does the origin then answer, or show another certificate? */
static int try_with_sni(fo_prober *p, fo_probe_facts *facts, SSL_CTX *ctx,
                        const fo_probe_settings *s, const fo_net_addr *addr, const char *sni)
{
    fo_connect_result conn;
    double timeout = (double)s->connect_timeout_ms;
    if (fo_net_connect(&conn, addr, timeout, timeout) != 0 || conn.status != FO_CONNECT_OK)
        return 0;
    fo_probe_facts again;
    fo_probe_facts_init(&again);
    fo_tls_params params = tls_params(p, ctx, s, sni);
    int rc = fo_tls_handshake(&again, conn.fd, &params);
    close(conn.fd);
    if (rc == 0 && again.outcome != FO_OUTCOME_HANDSHAKE_TIMEOUT) {
        bool first_ok = facts->outcome == FO_OUTCOME_OK;
        bool other_cert = facts->chain_count > 0 && again.chain_count > 0 &&
                          strcmp(facts->chain[0].sha256, again.chain[0].sha256) != 0;
        facts->needs_sni =
            (again.outcome == FO_OUTCOME_OK && !first_ok) || other_cert ? FO_YES : FO_NO;
    }
    fo_prober_facts_clear(&again);
    return rc;
}

/* Extra connections, only to explain a failure: the healthy path stays one handshake. */
static int explain(fo_prober *p, const fo_probe_target *target, fo_probe_facts *facts, SSL_CTX *ctx,
                   const fo_net_addr *addr)
{
    const fo_probe_settings *s = &target->settings;
    const char *retry = sni_retry_name(target);
    bool failed = handshake_failed(facts->outcome);
    int rc = 0;

    if (failed)
        rc = fo_explain_hellos(facts, addr, s->sni_hostname ? s->sni_hostname : retry,
                               (double)s->connect_timeout_ms);
    if (rc == 0 && !s->sni_hostname && retry && (failed || has_name_mismatch(facts)))
        rc = try_with_sni(p, facts, ctx, s, addr, retry);
    return rc;
}

static int set_string(char **field, const char *value)
{
    free(*field);
    *field = fo_strdup(value);
    return *field ? 0 : FO_ENOMEM;
}

static int record_addresses(fo_probe_facts *facts, const fo_net_addr *addrs, int count)
{
    facts->addresses = calloc((size_t)count, sizeof(*facts->addresses));
    if (!facts->addresses)
        return FO_ENOMEM;
    for (int i = 0; i < count; i++) {
        if (!(facts->addresses[i] = fo_strdup(addrs[i].text)))
            return FO_ENOMEM;
        facts->address_count++;
    }
    return 0;
}

/* What the single-address path needs, for fo_addrs_probe_all. */
struct address_probe {
    fo_prober *prober;
    const fo_probe_target *target;
    SSL_CTX *ctx;
};

/* One address: connect, handshake (or HTTP without TLS), explain. Fails only for local
 * reasons; what the origin does is recorded in facts. */
static int probe_address(void *arg, fo_probe_facts *facts, const fo_net_addr *addr, fo_error *err)
{
    const struct address_probe *job = arg;
    const fo_probe_target *target = job->target;
    const fo_probe_settings *s = &target->settings;
    fo_connect_result conn = {.fd = -1};
    double timeout = (double)s->connect_timeout_ms;
    int rc = 0;

    if (fo_net_connect(&conn, addr, timeout, fo_net_patience_ms(timeout)) != 0)
        return fo_error_set(err, FO_EIO, "%s", conn.problem);
    if ((rc = set_string(&facts->address, addr->text)) != 0)
        goto out;
    if (conn.status == FO_CONNECT_REFUSED) {
        facts->outcome = FO_OUTCOME_CONNECT_REFUSED;
        rc = set_string(&facts->problem, conn.problem);
        goto out;
    }
    if (conn.status == FO_CONNECT_TIMEOUT) {
        facts->outcome = FO_OUTCOME_CONNECT_TIMEOUT;
        facts->late_answer_ms = conn.late_ms;
        rc = set_string(&facts->problem, "no TCP connection within the deadline");
        goto out;
    }
    facts->connect_ms = conn.connect_ms;
    if (!s->use_ssl) {
        facts->outcome = FO_OUTCOME_OK;
        fo_explain_http(facts, conn.fd, target->host, target->port, timeout);
        goto out;
    }
    fo_tls_params params = tls_params(job->prober, job->ctx, s, s->sni_hostname);
    params.patience_ms = fo_net_patience_ms(timeout);
    if ((rc = fo_tls_handshake(facts, conn.fd, &params)) != 0)
        goto out;
    close(conn.fd);
    conn.fd = -1;
    rc = explain(job->prober, target, facts, job->ctx, addr);
out:
    if (conn.fd >= 0)
        close(conn.fd);
    if (rc == FO_EINVAL) /* settings are checked first: OpenSSL refused something else */
        fo_error_set(err, rc, "OpenSSL refused the SNI name '%.40s'", s->sni_hostname);
    else if (rc != 0)
        fo_error_set(err, rc, "out of memory");
    return rc;
}

/* Resolve, then every address in Fastly's order (see probe_addrs.h). Fails only for local
 * reasons; what the origin does is recorded in d->facts. */
static int attempt(fo_prober *p, fo_diagnosis *d, SSL_CTX *ctx, fo_error *err)
{
    const fo_probe_target *target = &d->target;
    fo_probe_facts *facts = &d->facts;
    fo_net_addr addrs[FO_NET_MAX_ADDRESSES];
    char problem[256];

    int count =
        fo_addrs_resolve(addrs, p->hosts, target->host, target->port, problem, sizeof(problem));
    if (count == FO_ENOMEM)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    if (count < 0) {
        facts->outcome = FO_OUTCOME_DNS_FAILURE;
        if (set_string(&facts->problem, problem) != 0)
            return fo_error_set(err, FO_ENOMEM, "out of memory");
        return 0;
    }
    fo_addrs_order(addrs, count, target->settings.prefer_ipv6);
    if (record_addresses(facts, addrs, count) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    struct address_probe job = {.prober = p, .target = target, .ctx = ctx};
    return fo_addrs_probe_all(facts, target, addrs, count, probe_address, &job, err);
}

int fo_probe_run(fo_prober *p, fo_diagnosis **out, const fo_probe_target *target, fo_error *err)
{
    int rc = 0;
    SSL_CTX *ctx = NULL;
    const fo_probe_settings *s = &target->settings;
    fo_diagnosis *d = NULL;

    if (fo_str_empty(target->host) || target->port < 1 || target->port > 65535)
        return fo_error_set(err, FO_EINVAL, "a target needs a host and a port from 1 to 65535");
    if ((rc = fo_probe_settings_check(s, err)) != 0)
        return rc;
    d = calloc(1, sizeof(*d));
    if (!d)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    fo_probe_facts_init(&d->facts);
    if (copy_target(d, target) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (d->target.settings.ca_cert_pem && (rc = ca_summaries(p, d, err)) != 0)
        goto out;
    if (s->use_ssl && (rc = get_ctx(&ctx, p, &d->target.settings, err)) != 0)
        goto out;
    if ((rc = attempt(p, d, ctx, err)) != 0)
        goto out;
    fo_probe_primary_verify_error(&d->facts, &d->facts.verify_code);
    fo_probe_classify(&d->verdict, &d->target, &d->facts, (int64_t)time(NULL));
    *out = d;
    d = NULL;
out:
    SSL_CTX_free(ctx);
    fo_diagnosis_free(d);
    return rc;
}

long fo_probe_fds_needed(int concurrency, long fd_limit)
{
    return FO_PROBE_FD_RESERVE + concurrency + fo_explain_fds(fd_limit);
}

int fo_probe_concurrency_cap(long fd_limit)
{
    long probes = fd_limit - FO_PROBE_FD_RESERVE - fo_explain_fds(fd_limit);
    if (probes < 1)
        return 1;
    return probes < FO_PROBE_MAX_CONCURRENCY ? (int)probes : FO_PROBE_MAX_CONCURRENCY;
}

struct run_many {
    fo_prober *prober;
    const fo_probe_target *targets; /* run_many */
    fo_probe_next_fn next;          /* run_stream */
    pthread_mutex_t lock;           /* taking from next, and done */
    const fo_probe_target **taken;  /* run_stream: by task index */
    size_t *tokens;
    size_t *free_tasks; /* task indices not in use */
    size_t free_count;
    fo_probe_done_fn done;
    void *ctx;
};

/* One target: a unit of work a probe loop runs many of at once (co.h). */
static void probe_task(void *arg, size_t index)
{
    struct run_many *job = arg;
    fo_diagnosis *d = NULL;
    fo_error err = {0};
    const fo_probe_target *target = job->next ? job->taken[index] : &job->targets[index];
    if (fo_probe_run(job->prober, &d, target, &err) != 0)
        d = NULL;
    pthread_mutex_lock(&job->lock);
    job->done(job->ctx, job->next ? job->tokens[index] : index, d, &err);
    if (job->next)
        job->free_tasks[job->free_count++] = index;
    pthread_mutex_unlock(&job->lock);
}

/* A stream's next target, in a task slot of its own (at most concurrency are in use). */
static int take_next(void *arg, size_t *index)
{
    struct run_many *job = arg;
    const fo_probe_target *target = NULL;
    size_t token = 0;
    pthread_mutex_lock(&job->lock);
    int got = job->free_count > 0 ? job->next(job->ctx, &target, &token) : 0;
    if (got > 0) {
        *index = job->free_tasks[--job->free_count];
        job->taken[*index] = target;
        job->tokens[*index] = token;
    }
    pthread_mutex_unlock(&job->lock);
    return got;
}

static int loop_threads(void)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    return cpus > 0 ? (int)cpus : 1;
}

int fo_probe_run_stream(fo_prober *p, fo_probe_next_fn next, int concurrency, fo_probe_done_fn done,
                        void *ctx, fo_error *err)
{
    if (concurrency < 1 || concurrency > FO_PROBE_MAX_CONCURRENCY)
        return fo_error_set(err, FO_EINVAL, "concurrency must be 1 to %d",
                            FO_PROBE_MAX_CONCURRENCY);
    int cap = fo_probe_concurrency_cap(fo_fd_limit());
    if (concurrency > cap)
        concurrency = cap;
    struct run_many job = {.prober = p, .next = next, .done = done, .ctx = ctx};
    size_t slots = (size_t)concurrency;
    job.taken = calloc(slots, sizeof(*job.taken));
    job.tokens = calloc(slots, sizeof(*job.tokens));
    job.free_tasks = calloc(slots, sizeof(*job.free_tasks));
    int rc = job.taken && job.tokens && job.free_tasks ? 0 : FO_ENOMEM;
    for (size_t i = 0; rc == 0 && i < slots; i++)
        job.free_tasks[job.free_count++] = slots - 1 - i;
    pthread_mutex_init(&job.lock, NULL);
    if (rc == 0)
        rc = fo_co_run_source(take_next, concurrency, loop_threads(), probe_task, &job);
    pthread_mutex_destroy(&job.lock);
    free(job.taken);
    free(job.tokens);
    free(job.free_tasks);
    return rc != 0 ? fo_error_set(err, rc, "out of memory") : 0;
}

int fo_probe_run_many(fo_prober *p, const fo_probe_target *targets, size_t count, int concurrency,
                      fo_probe_done_fn done, void *ctx, fo_error *err)
{
    if (concurrency < 1 || concurrency > FO_PROBE_MAX_CONCURRENCY)
        return fo_error_set(err, FO_EINVAL, "concurrency must be 1 to %d",
                            FO_PROBE_MAX_CONCURRENCY);
    if (count == 0)
        return 0;
    int cap = fo_probe_concurrency_cap(fo_fd_limit());
    if (concurrency > cap)
        concurrency = cap;
    struct run_many job = {.prober = p, .targets = targets, .done = done, .ctx = ctx};
    pthread_mutex_init(&job.lock, NULL);
    /* Waiting probes are parked on a loop; computing ones are bounded by the loop threads,
     * one per processor. */
    int rc = fo_co_run(count, concurrency, loop_threads(), probe_task, &job);
    pthread_mutex_destroy(&job.lock);
    if (rc != 0)
        return fo_error_set(err, rc, "out of memory");
    return 0;
}
