/* bench-scan: how `fixorigin scan` goes through a fleet. Starts testbed-origins with one
 * healthy loopback origin per backend and fastly-mock holding the services (every Nth with
 * one backend on the testbed's hostname_mismatch origin, so that plans and proofs are part
 * of the work), then runs `fixorigin scan --all` and prints wall time, API requests spent
 * and peak RSS; last, one `--apply --only-safe --yes` run on a fresh mock. Loopback only. */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

enum { MAX_RUNS = 31, EXIT_USAGE = 64, SCAN_MS = 600000 };

#define TOKEN "bench-scan-token"

typedef struct options {
    const char *bin_dir;
    int services;
    int backends;
    int concurrency;
    int runs;
    int broken_every; /* every Nth service has one fixable backend; 0: none */
    int silent_pct;   /* --compare-silent: this many of every 100 backends silent; 0: not run */
    bool apply;
} options;

/* The target: a fleet with silent backends takes at most this many times as long. */
static const double SILENT_RATIO = 2.0;
/* Bulk origins at most (the testbed serves 5000): backends beyond share them. */
enum { MAX_ORIGINS = 2000 };

typedef struct mock {
    pid_t pid;
    char state[600];
    char port_file[600];
    char log[600];
    unsigned port;
} mock;

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static json_t *backend(const char *name, const char *host, json_int_t port, const json_t *settings)
{
    json_t *b = json_pack("{s:s, s:s, s:I, s:b}", "name", name, "address", host, "port", port,
                          "use_ssl", 1);
    json_object_update(b, (json_t *)settings);
    return b;
}

/* The mock's state: services of `backends` healthy bulk origins each, every Nth with its
 * first backend on the hostname_mismatch origin. */
static json_t *fleet_state(const options *o, const json_t *manifest, int silent_pct)
{
    const json_t *bulk = json_object_get(manifest, "bulk");
    const json_t *ports = json_object_get(bulk, "ports");
    const char *host = json_string_value(json_object_get(bulk, "host"));
    const json_t *mismatch = NULL, *silent[2] = {NULL, NULL};
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(manifest, "cases"), i, entry)
    {
        const char *name = json_string_value(json_object_get(entry, "case"));
        if (strcmp(name, "hostname_mismatch") == 0)
            mismatch = entry;
        else if (strcmp(name, "connection_timeout_backlog") == 0)
            silent[0] = entry;
        else if (strcmp(name, "connection_timeout_silent") == 0)
            silent[1] = entry;
    }
    json_t *services = json_array();
    for (int s = 0; s < o->services; s++) {
        json_t *list = json_array();
        for (int b = 0; b < o->backends; b++) {
            char name[24];
            snprintf(name, sizeof(name), "origin%d", b);
            int k = s * o->backends + b;
            bool broken = b == 0 && mismatch && o->broken_every > 0 && s % o->broken_every == 0;
            /* Silent ones spread evenly: 37 is prime to 100, so each 100 has silent_pct. */
            const json_t *quiet = !broken && (k * 37) % 100 < silent_pct ? silent[k % 2] : NULL;
            const json_t *from = broken ? mismatch : quiet ? quiet : bulk;
            json_int_t port =
                from != bulk
                    ? json_integer_value(json_object_get(from, "port"))
                    : json_integer_value(json_array_get(ports, (size_t)k % json_array_size(ports)));
            json_array_append_new(
                list,
                backend(name,
                        from != bulk ? json_string_value(json_object_get(from, "host")) : host,
                        port, json_object_get(from, "settings")));
        }
        char id[32];
        snprintf(id, sizeof(id), "BENCH%04d", s);
        json_array_append_new(services,
                              json_pack("{s:s, s:s, s:[{s:i, s:b, s:b, s:o, s:[{s:s}]}]}", "id", id,
                                        "name", id, "versions", "number", 1, "active", 1, "locked",
                                        1, "backends", list, "domains", "name", "www.origin.test"));
    }
    return json_pack("{s:s, s:o}", "customer_id", "CUSTBENCH", "services", services);
}

static int mock_start(mock *m, const char *bin_dir, const char *dir, const json_t *state)
{
    char program[600];
    snprintf(program, sizeof(program), "%s/fastly-mock", bin_dir);
    snprintf(m->state, sizeof(m->state), "%s/bench-state.json", dir);
    snprintf(m->port_file, sizeof(m->port_file), "%s/bench-mock.port", dir);
    snprintf(m->log, sizeof(m->log), "%s/bench-mock.log", dir);
    unlink(m->port_file);
    unlink(m->log);
    if (json_dump_file(state, m->state, JSON_COMPACT) != 0)
        return -1;
    m->pid = fork();
    if (m->pid < 0)
        return -1;
    if (m->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execl(program, program, "--listen", "127.0.0.1:0", "--state", m->state, "--port-file",
              m->port_file, "--token", TOKEN, "--log", m->log, (char *)NULL);
        _exit(127);
    }
    for (int waited = 0; waited < 20000; waited += 20) {
        FILE *f = fopen(m->port_file, "r");
        unsigned port = 0;
        if (f && fscanf(f, "%u", &port) == 1 && port > 0) {
            fclose(f);
            m->port = port;
            return 0;
        }
        if (f)
            fclose(f);
        sleep_ms(20);
    }
    tb_harness_terminate(m->pid, 5000);
    return -1;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    size_t n = 0;
    int c;
    while (f && (c = fgetc(f)) != EOF)
        n += c == '\n';
    if (f)
        fclose(f);
    return n;
}

typedef struct figures {
    double seconds;
    double rss_mib;
    long long requests, writes, services, applied;
    long long ok, planned;
    size_t mock_requests; /* as the mock logged them */
    int exit_code;
} figures;

static int scan(figures *out, const options *o, const mock *m, const char *trust, bool apply)
{
    char fixorigin[600], concurrency[16], endpoint[80], trust_env[700], state_dir[700];
    snprintf(fixorigin, sizeof(fixorigin), "%s/fixorigin", o->bin_dir);
    snprintf(concurrency, sizeof(concurrency), "%d", o->concurrency);
    snprintf(endpoint, sizeof(endpoint), "FASTLY_API_ENDPOINT=http://127.0.0.1:%u", m->port);
    snprintf(trust_env, sizeof(trust_env), "FIXORIGIN_TRUST_BUNDLE=%s", trust);
    snprintf(state_dir, sizeof(state_dir), "%s.locks", m->state);
    const char *env[] = {endpoint, "FASTLY_API_TOKEN=" TOKEN, trust_env, NULL};
    const char *argv[16] = {fixorigin, "scan",          "--all",    "--format",
                            "ndjson",  "--concurrency", concurrency};
    int n = o->concurrency > 0 ? 7 : 5; /* 0: scan's own default */
    if (apply) {
        const char *more[] = {"--apply", "--only-safe", "--yes", "--state-dir", state_dir};
        for (int i = 0; i < 5; i++)
            argv[n++] = more[i];
    }
    argv[n] = NULL;
    size_t logged_before = count_lines(m->log);
    tb_run run;
    tb_harness_run(&run, argv, env, true, SCAN_MS);
    memset(out, 0, sizeof(*out));
    out->seconds = run.ms / 1000.0;
    out->rss_mib = (double)run.max_rss_kib / 1024.0;
    out->exit_code = run.exit_code;
    out->mock_requests = count_lines(m->log) - logged_before;
    /* The summary is the last line. */
    const char *line = run.out;
    for (const char *p = run.out; p && *p; p++) {
        if (*p == '\n' && p[1])
            line = p + 1;
    }
    json_t *root = json_loads(line ? line : "", 0, NULL);
    json_t *summary = json_object_get(root, "summary");
    if (!summary) {
        fprintf(stderr, "bench-scan: no summary (exit %d): %.300s\n", run.exit_code,
                run.err ? run.err : "");
        json_decref(root);
        tb_run_free(&run);
        return -1;
    }
    json_t *api = json_object_get(summary, "api");
    json_t *results = json_object_get(summary, "results");
    out->requests = json_integer_value(json_object_get(api, "requests"));
    out->writes = json_integer_value(json_object_get(api, "writes"));
    out->services = json_integer_value(json_object_get(summary, "services"));
    out->applied = json_integer_value(json_object_get(summary, "applied"));
    out->ok = json_integer_value(json_object_get(results, "ok"));
    out->planned = json_integer_value(json_object_get(results, "fixes_planned"));
    json_decref(root);
    tb_run_free(&run);
    return 0;
}

static void print_figures(const char *label, const figures *f)
{
    printf("%-8s %7.2f s wall  %5lld API requests (%lld writes; the mock logged %zu)  "
           "peak RSS %6.1f MiB  %lld services: %lld ok, %lld fixes_planned  exit %d\n",
           label, f->seconds, f->requests, f->writes, f->mock_requests, f->rss_mib, f->services,
           f->ok, f->planned, f->exit_code);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A whole number in [min, max] from optarg into *out. */
static bool number(int *out, int min, int max)
{
    char *end = NULL;
    long value = strtol(optarg, &end, 10);
    if (end == optarg || *end != '\0' || value < min || value > max)
        return false;
    *out = (int)value;
    return true;
}

static int parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {
        {"bin-dir", required_argument, NULL, 'b'},
        {"services", required_argument, NULL, 's'},
        {"backends", required_argument, NULL, 'k'},
        {"concurrency", required_argument, NULL, 'c'},
        {"runs", required_argument, NULL, 'r'},
        {"broken-every", required_argument, NULL, 'e'},
        {"no-apply", no_argument, NULL, 'n'},
        {"compare-silent", required_argument, NULL, 'q'},
        {NULL, 0, NULL, 0},
    };
    int c;
    bool ok = true;
    opterr = 0;
    while (ok && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            o->bin_dir = optarg;
            break;
        case 's':
            ok = number(&o->services, 1, 10000);
            break;
        case 'k':
            ok = number(&o->backends, 1, 20);
            break;
        case 'c':
            ok = number(&o->concurrency, 0, 64);
            break;
        case 'r':
            ok = number(&o->runs, 1, MAX_RUNS);
            break;
        case 'e':
            ok = number(&o->broken_every, 0, 2000);
            break;
        case 'n':
            o->apply = false;
            break;
        case 'q':
            ok = number(&o->silent_pct, 0, 50);
            break;
        default:
            ok = false;
        }
    }
    if (!ok || optind < argc) {
        fprintf(stderr, "usage: bench-scan [--bin-dir DIR] [--services N] [--backends N] "
                        "[--concurrency N (0: scan's default)] [--runs N] [--broken-every N] "
                        "[--no-apply] [--compare-silent PCT]\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* The same fleet at scan's default settings, with none and with silent_pct% of its backends
 * silent: a silent backend should hold up its own service, not the fleet. */
static int compare_silent(const options *o, mock *m, const char *dir, const json_t *manifest,
                          const char *trust, const json_t *none_state)
{
    options defaults = *o;
    defaults.concurrency = 0;
    json_t *silent_state = fleet_state(o, manifest, o->silent_pct);
    figures none, silent;
    int failed = !silent_state;
    printf("\nscan --all at default settings, none and %d%% of the backends silent:\n",
           o->silent_pct);
    tb_harness_terminate(m->pid, 10000);
    m->pid = 0;
    failed = failed || mock_start(m, o->bin_dir, dir, none_state) != 0 ||
             scan(&none, &defaults, m, trust, false) != 0;
    if (!failed)
        print_figures("none", &none);
    tb_harness_terminate(m->pid, 10000);
    m->pid = 0;
    failed = failed || mock_start(m, o->bin_dir, dir, silent_state) != 0 ||
             scan(&silent, &defaults, m, trust, false) != 0;
    json_decref(silent_state);
    if (failed)
        return 1;
    char label[32];
    snprintf(label, sizeof(label), "%d%% sil.", o->silent_pct);
    print_figures(label, &silent);
    double ratio = silent.seconds / none.seconds;
    bool met =
        ratio <= SILENT_RATIO && silent.services == o->services && none.services == o->services;
    printf("  %d%% silent / none silent: %.2fx (target <= %.0fx): %s\n", o->silent_pct, ratio,
           SILENT_RATIO, met ? "met" : "MISSED");
    return met ? 0 : 1;
}

int main(int argc, char **argv)
{
    options o = {.bin_dir = "build/bin",
                 .services = 200,
                 .backends = 5,
                 .concurrency = 8,
                 .runs = 3,
                 .broken_every = 10,
                 .apply = true};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    char testbed[600], count[16];
    snprintf(testbed, sizeof(testbed), "%s/testbed-origins", o.bin_dir);
    int origins = o.services * o.backends < MAX_ORIGINS ? o.services * o.backends : MAX_ORIGINS;
    snprintf(count, sizeof(count), "%d", origins);
    const char *const testbed_args[] = {"--count", count, NULL};
    tb_harness tb;
    fo_error err;
    mock m = {0};
    int failed = 0;
    json_t *manifest = NULL, *state = NULL;
    if (tb_harness_start(&tb, testbed, testbed_args, 120000, &err) != FO_OK) {
        fprintf(stderr, "bench-scan: %s\n", err.msg);
        return EXIT_FAILURE;
    }
    json_error_t jerr;
    manifest = json_load_file(tb.manifest, 0, &jerr);
    if (!manifest || !(state = fleet_state(&o, manifest, 0)) ||
        mock_start(&m, o.bin_dir, tb.dir, state) != 0) {
        fprintf(stderr, "bench-scan: cannot set up the fleet (%s)\n",
                manifest ? "fastly-mock" : jerr.text);
        failed = 1;
        goto out;
    }
    int broken = o.broken_every > 0 ? (o.services + o.broken_every - 1) / o.broken_every : 0;
    const char *trust = json_string_value(json_object_get(manifest, "trust_bundle"));
    printf("fixorigin scan --all --concurrency %d: %d stand-in services x %d backends on %d "
           "loopback origins (%d services with a fixable backend)\n\n",
           o.concurrency, o.services, o.backends, origins, broken);
    double seconds[MAX_RUNS];
    figures f;
    for (int r = 0; r < o.runs; r++) {
        char label[16];
        snprintf(label, sizeof(label), "plan %d", r + 1);
        if (scan(&f, &o, &m, trust, false) != 0) {
            failed = 1;
            goto out;
        }
        print_figures(label, &f);
        seconds[r] = f.seconds;
        failed |= f.services != o.services || f.ok != o.services - broken || f.planned != broken ||
                  f.exit_code != (broken ? 2 : 0);
    }
    qsort(seconds, (size_t)o.runs, sizeof(seconds[0]), compare_doubles);
    printf("median   %7.2f s wall over %d runs\n", seconds[o.runs / 2], o.runs);
    if (o.apply) {
        /* A fresh mock: the fixes are there to apply once. */
        tb_harness_terminate(m.pid, 10000);
        if (mock_start(&m, o.bin_dir, tb.dir, state) != 0 || scan(&f, &o, &m, trust, true) != 0) {
            failed = 1;
            goto out;
        }
        print_figures("apply", &f);
        printf("         --apply --only-safe --yes: %lld service%s changed\n", f.applied,
               f.applied == 1 ? "" : "s");
        failed |= f.applied != broken || f.ok != o.services || f.exit_code != 0;
    }
    if (o.silent_pct > 0)
        failed |= compare_silent(&o, &m, tb.dir, manifest, trust, state);
out:
    if (m.pid > 0)
        tb_harness_terminate(m.pid, 10000);
    json_decref(state);
    json_decref(manifest);
    if (tb_harness_stop(&tb) != 0)
        fprintf(stderr, "bench-scan: testbed-origins did not stop cleanly\n");
    printf("\n%s\n", failed ? "Some results were not as expected (see above)."
                            : "Every service reported as expected.");
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
