/* bench-probe: how fast `fixorigin probe` diagnoses each testbed origin, beside
 * one `openssl s_client` handshake to the same origin (the floor), and how a
 * thousand loopback origins go through --targets. Prints the figures issue 2
 * asks for; talks to loopback only. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum { MAX_RUNS = 101, EXIT_USAGE = 64 };

typedef struct options {
    const char *bin_dir;
    int runs;         /* probe and s_client runs per case */
    int timeout_runs; /* runs for cases that wait out a timeout */
    int bulk;         /* origins for the --targets run */
    int concurrency;
    int mix;         /* targets of the fleet mix (0: not run) */
    int mix_compare; /* targets of the silent/none-silent pair (0: not run) */
    int fd_limit;    /* ulimit -n for the mix runs */
    pid_t testbed;   /* testbed-origins, whose CPU time the runs are charged */
    bool strict;     /* exit 1 when a target is missed */
} options;

/* The issue's targets. */
static const double HEALTHY_RATIO = 3.0, BROKEN_RATIO = 10.0;
static const double BULK_SECONDS = 5.0, BULK_MIB = 100.0;
static const double MIX_SECONDS = 15.0, MIX_MIB = 100.0, SILENT_RATIO = 2.0;

/* The fleet mix: of every 100 targets, this many refused and broken; silent ones as asked;
 * the rest healthy. */
enum { MIX_REFUSED = 5, MIX_BROKEN = 10 };
static const char *const broken_cases[] = {
    "hostname_mismatch",
    "self_signed_certificate",
    "certificate_expired",
    "unable_to_verify_first_certificate",
    "unable_to_get_local_issuer_certificate",
    "self_signed_certificate_in_chain",
    "handshake_failure_tls13_only",
    "tlsv1_alert_internal_error",
    "missing_cert_hostname",
    "rc4_cipher",
};
/* Silent: one drops the SYN (a full backlog), one accepts and never says a word. */
static const char *const silent_cases[] = {"connection_timeout_backlog",
                                           "connection_timeout_silent"};

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int count)
{
    qsort(values, (size_t)count, sizeof(values[0]), compare_doubles);
    return count % 2 ? values[count / 2] : (values[count / 2 - 1] + values[count / 2]) / 2;
}

static const char *setting(const json_t *entry, const char *key)
{
    return json_string_value(json_object_get(json_object_get(entry, "settings"), key));
}

typedef struct command {
    const char *argv[40];
    int argc;
    char target[300];
    char timeout[32];
} command;

static void add(command *c, const char *arg)
{
    if (c->argc < (int)(sizeof(c->argv) / sizeof(c->argv[0])) - 1)
        c->argv[c->argc++] = arg;
    c->argv[c->argc] = NULL;
}

static void add_option(command *c, const char *option, const char *value)
{
    if (value) {
        add(c, option);
        add(c, value);
    }
}

/* "host:port" of a case into c->target, an IPv6 address in brackets. */
static void host_port(command *c, const json_t *entry)
{
    const char *host = json_string_value(json_object_get(entry, "host"));
    bool v6 = strchr(host, ':') != NULL;
    snprintf(c->target, sizeof(c->target), "%s%s%s:%lld", v6 ? "[" : "", host, v6 ? "]" : "",
             (long long)json_integer_value(json_object_get(entry, "port")));
}

static void probe_command(command *c, const char *fixorigin, const char *trust, const json_t *entry)
{
    *c = (command){.argc = 0};
    add(c, fixorigin);
    add(c, "probe");
    add(c, "--json");
    add(c, "--as-backend"); /* a case is a backend: its fields exactly */
    add_option(c, "--trust-bundle", trust);
    add_option(c, "--sni", setting(entry, "ssl_sni_hostname"));
    add_option(c, "--cert-hostname", setting(entry, "ssl_cert_hostname"));
    add_option(c, "--ca-file", setting(entry, "ssl_ca_cert"));
    add_option(c, "--max-tls", setting(entry, "max_tls_version"));
    add_option(c, "--ciphers", setting(entry, "ssl_ciphers"));
    json_t *timeout = json_object_get(json_object_get(entry, "settings"), "connect_timeout");
    if (timeout) {
        snprintf(c->timeout, sizeof(c->timeout), "%lld", (long long)json_integer_value(timeout));
        add_option(c, "--connect-timeout", c->timeout);
    }
    if (json_is_false(json_object_get(json_object_get(entry, "settings"), "use_ssl")))
        add(c, "--no-tls");
    if (json_is_true(json_object_get(json_object_get(entry, "settings"), "prefer_ipv6")))
        add(c, "--prefer-ipv6");
    /* A name with several addresses resolves through the testbed's hosts file. */
    add_option(c, "--hosts", json_string_value(json_object_get(entry, "hosts_file")));
    host_port(c, entry);
    add(c, c->target);
}

/* One s_client handshake with the same name, trust and limits; it closes as
 * soon as stdin (/dev/null) ends. */
static void s_client_command(command *c, const char *trust, const json_t *entry)
{
    *c = (command){.argc = 0};
    add(c, "openssl");
    add(c, "s_client");
    host_port(c, entry);
    add_option(c, "-connect", c->target);
    add_option(c, "-CAfile", trust);
    const char *sni = setting(entry, "ssl_sni_hostname");
    if (sni)
        add_option(c, "-servername", sni);
    else
        add(c, "-noservername");
    add_option(c, "-verify_hostname", setting(entry, "ssl_cert_hostname"));
    const char *max_tls = setting(entry, "max_tls_version");
    if (max_tls && strcmp(max_tls, "1.2") == 0)
        add(c, "-no_tls1_3");
    add_option(c, "-cipher", setting(entry, "ssl_ciphers"));
}

/* No floor where s_client cannot stand beside the probe: it would ask DNS for
 * the .invalid name, it has no timeout of its own, and it cannot speak plain
 * HTTP. */
static bool has_floor(const json_t *entry)
{
    const char *expected = json_string_value(json_object_get(entry, "expected_class"));
    const char *name = json_string_value(json_object_get(entry, "case"));
    /* Nor for a name only the testbed's hosts file knows (s_client would ask DNS), whose
     * every address is probed besides. */
    return strcmp(expected, "dns_failure") != 0 && strcmp(expected, "connection_timeout") != 0 &&
           strcmp(name, "slow_handshake_patient") != 0 &&
           !json_is_string(json_object_get(entry, "hosts_file")) &&
           !json_is_false(json_object_get(json_object_get(entry, "settings"), "use_ssl"));
}

static bool waits_for_timeout(const json_t *entry)
{
    const char *expected = json_string_value(json_object_get(entry, "expected_class"));
    const char *name = json_string_value(json_object_get(entry, "case"));
    /* An address of the name that times out holds the answer as long. */
    bool also_timeout = false;
    size_t i;
    json_t *also;
    json_array_foreach(json_object_get(entry, "expected_also"), i, also)
    {
        also_timeout |= strcmp(json_string_value(also), "connection_timeout") == 0;
    }
    return strcmp(expected, "connection_timeout") == 0 ||
           strcmp(name, "slow_handshake_patient") == 0 || also_timeout;
}

/* The class of a probe's JSON answer, into out. */
static void class_of(const char *json_text, char *out, size_t cap)
{
    json_t *result = json_loads(json_text ? json_text : "", 0, NULL);
    const char *class_id = json_string_value(json_object_get(result, "class"));
    snprintf(out, cap, "%s", class_id ? class_id : "(no answer)");
    json_decref(result);
}

/* Median wall time of runs of c; the first run's output is kept in first. */
static double median_ms(const command *c, int runs, char *first_class, size_t cap)
{
    double ms[MAX_RUNS];
    for (int i = 0; i < runs; i++) {
        tb_run run;
        tb_harness_run(&run, c->argv, NULL, first_class && i == 0, 30000);
        ms[i] = run.ms;
        if (first_class && i == 0)
            class_of(run.out, first_class, cap);
        tb_run_free(&run);
    }
    return median(ms, runs);
}

static int bench_cases(const options *o, const json_t *manifest, const char *fixorigin)
{
    const char *trust = json_string_value(json_object_get(manifest, "trust_bundle"));
    int missed = 0;
    printf("Full diagnosis (`fixorigin probe`) against one `openssl s_client` handshake, "
           "median of %d runs (%d for timeouts)\n\n",
           o->runs, o->timeout_runs);
    printf("%-40s %-38s %9s %11s %7s %s\n", "case", "class", "probe ms", "s_client ms", "ratio",
           "target");
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(manifest, "cases"), i, entry)
    {
        if (json_is_true(json_object_get(entry, "robustness")))
            continue;
        const char *name = json_string_value(json_object_get(entry, "case"));
        const char *expected = json_string_value(json_object_get(entry, "expected_class"));
        int runs = waits_for_timeout(entry) ? o->timeout_runs : o->runs;
        command probe, floor_cmd;
        probe_command(&probe, fixorigin, trust, entry);
        char got[64];
        double probe_ms = median_ms(&probe, runs, got, sizeof(got));
        bool right = strcmp(got, expected) == 0;
        if (!has_floor(entry)) {
            printf("%-40s %-38s %9.1f %11s %7s %s%s\n", name, got, probe_ms, "-", "-",
                   waits_for_timeout(entry) ? "timeout, excepted" : "no floor",
                   right ? "" : "  WRONG CLASS");
            missed += !right;
            continue;
        }
        s_client_command(&floor_cmd, trust, entry);
        double floor_ms = median_ms(&floor_cmd, runs, NULL, 0);
        double ratio = probe_ms / floor_ms;
        double target = strcmp(expected, "ok") == 0 ? HEALTHY_RATIO : BROKEN_RATIO;
        bool met = ratio <= target && right;
        missed += !met;
        printf("%-40s %-38s %9.1f %11.1f %6.1fx <=%.0fx %s%s\n", name, got, probe_ms, floor_ms,
               ratio, target, ratio <= target ? "met" : "MISSED", right ? "" : "  WRONG CLASS");
    }
    return missed;
}

static int bench_bulk(const options *o, const json_t *manifest, const char *fixorigin)
{
    json_t *bulk = json_object_get(manifest, "bulk");
    char concurrency[16];
    snprintf(concurrency, sizeof(concurrency), "%d", o->concurrency);
    const char *argv[] = {fixorigin,
                          "probe",
                          "--targets",
                          json_string_value(json_object_get(bulk, "targets_file")),
                          "--trust-bundle",
                          json_string_value(json_object_get(manifest, "trust_bundle")),
                          "--concurrency",
                          concurrency,
                          NULL};
    tb_run run;
    double origins_before = tb_harness_cpu_s(o->testbed);
    tb_harness_run(&run, argv, NULL, true, 120000);
    double origins_cpu_s = tb_harness_cpu_s(o->testbed) - origins_before;
    size_t lines = 0, ok = 0;
    for (const char *p = run.out; p && *p;) {
        size_t len = strcspn(p, "\n");
        json_t *answer = json_loadb(p, len, 0, NULL);
        const char *class_id = json_string_value(json_object_get(answer, "class"));
        ok += class_id && strcmp(class_id, "ok") == 0;
        json_decref(answer);
        lines++;
        p += len + (p[len] == '\n');
    }
    double seconds = run.ms / 1000.0, mib = (double)run.max_rss_kib / 1024.0;
    bool met =
        run.exit_code == 0 && ok == (size_t)o->bulk && seconds <= BULK_SECONDS && mib <= BULK_MIB;
    printf("\n%d loopback origins, --targets --concurrency %d: %.2f s wall, peak RSS %.1f MiB, "
           "%zu of %zu answers ok, exit %d\n",
           o->bulk, o->concurrency, seconds, mib, ok, lines, run.exit_code);
    printf("  CPU: fixorigin %.2f s (%.2f ms a target), testbed origins %.2f s\n", run.cpu_s,
           1000 * run.cpu_s / o->bulk, origins_cpu_s);
    printf("  targets: <= %.0f s and <= %.0f MiB: %s\n", BULK_SECONDS, BULK_MIB,
           met ? "met" : "MISSED");
    if (run.exit_code != 0 && run.err && run.err[0])
        printf("  stderr: %.300s\n", run.err);
    tb_run_free(&run);
    return met ? 0 : 1;
}

static json_t *find_case(const json_t *manifest, const char *name)
{
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(manifest, "cases"), i, entry)
    {
        if (strcmp(json_string_value(json_object_get(entry, "case")), name) == 0)
            return entry;
    }
    return NULL;
}

/* One targets-file line for a testbed case: its host, port and Fastly settings. */
static void write_case_line(FILE *f, const json_t *entry)
{
    fprintf(f, "%s:%lld", json_string_value(json_object_get(entry, "host")),
            (long long)json_integer_value(json_object_get(entry, "port")));
    const char *key;
    json_t *value;
    json_object_foreach(json_object_get(entry, "settings"), key, value)
    {
        if (json_is_string(value))
            fprintf(f, " %s=%s%s", key, strcmp(key, "ssl_ca_cert") == 0 ? "@" : "",
                    json_string_value(value));
        else if (json_is_integer(value))
            fprintf(f, " %s=%lld", key, (long long)json_integer_value(value));
        else if (json_is_boolean(value))
            fprintf(f, " %s=%s", key, json_is_true(value) ? "true" : "false");
    }
    fputc('\n', f);
}

typedef struct mix_result {
    double seconds, mib;
    double cpu_s, origins_cpu_s; /* fixorigin's CPU time, and the testbed's during the run */
    size_t answers, expected, errors;
    int exit_code;
} mix_result;

/* Writes `count` targets of the mix (silent_pct of every 100 silent) spread evenly through
 * the file, and the class each should get into expected (count entries). */
static bool write_mix(const char *path, const json_t *manifest, int count, int silent_pct,
                      const char **expected)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    json_t *bulk = json_object_get(manifest, "bulk");
    json_t *ports = json_object_get(bulk, "ports");
    json_t *healthy_settings = json_object_get(bulk, "settings");
    const json_t *refused = find_case(manifest, "connection_refused");
    size_t n_broken = sizeof(broken_cases) / sizeof(broken_cases[0]);
    for (int i = 0; i < count; i++) {
        int slot = (i * 37) % 100; /* 37 is prime to 100: every slot once in each 100 */
        const json_t *entry = NULL;
        if (slot < silent_pct)
            entry = find_case(manifest, silent_cases[i % 2]);
        else if (slot < silent_pct + MIX_REFUSED)
            entry = refused;
        else if (slot < silent_pct + MIX_REFUSED + MIX_BROKEN)
            entry = find_case(manifest, broken_cases[(size_t)i % n_broken]);
        if (entry) {
            write_case_line(f, entry);
            expected[i] = json_string_value(json_object_get(entry, "expected_class"));
            continue;
        }
        json_t *healthy =
            json_pack("{s:O, s:O, s:O}", "host", json_object_get(bulk, "host"), "port",
                      json_array_get(ports, (size_t)i % json_array_size(ports)), "settings",
                      healthy_settings);
        write_case_line(f, healthy);
        json_decref(healthy);
        expected[i] = "ok";
    }
    return fclose(f) == 0;
}

/* `fixorigin probe --targets` over the mix at default settings, under ulimit -n. */
static bool run_mix(mix_result *out, const options *o, const json_t *manifest,
                    const char *fixorigin, const char *dir, int count, int silent_pct)
{
    char path[600], limit[16];
    snprintf(path, sizeof(path), "%s/mix-%d-%d.txt", dir, count, silent_pct);
    snprintf(limit, sizeof(limit), "%d", o->fd_limit);
    const char **expected = calloc((size_t)count, sizeof(*expected));
    *out = (mix_result){.exit_code = -1};
    if (!expected || !write_mix(path, manifest, count, silent_pct, expected)) {
        free(expected);
        return false;
    }
    const char *argv[] = {"/bin/sh",
                          "-c",
                          "ulimit -n \"$1\" && shift && exec \"$@\"",
                          "sh",
                          limit,
                          fixorigin,
                          "probe",
                          "--targets",
                          path,
                          "--trust-bundle",
                          json_string_value(json_object_get(manifest, "trust_bundle")),
                          NULL};
    tb_run run;
    double origins_before = tb_harness_cpu_s(o->testbed);
    tb_harness_run(&run, argv, NULL, true, 600000);
    out->origins_cpu_s = tb_harness_cpu_s(o->testbed) - origins_before;
    out->cpu_s = run.cpu_s;
    for (const char *p = run.out; p && *p;) {
        size_t len = strcspn(p, "\n");
        json_t *answer = json_loadb(p, len, 0, NULL);
        json_int_t line = json_integer_value(json_object_get(answer, "line"));
        const char *class_id = json_string_value(json_object_get(answer, "class"));
        out->answers++;
        out->errors += json_object_get(answer, "error") != NULL;
        out->expected +=
            class_id && line >= 1 && line <= count && strcmp(class_id, expected[line - 1]) == 0;
        json_decref(answer);
        p += len + (p[len] == '\n');
    }
    out->seconds = run.ms / 1000.0;
    out->mib = (double)run.max_rss_kib / 1024.0;
    out->exit_code = run.exit_code;
    if (run.err && run.err[0])
        printf("  stderr: %.300s\n", run.err);
    tb_run_free(&run);
    free(expected);
    return true;
}

static void print_mix(const mix_result *r, int count, int silent_pct)
{
    printf("%6d targets, %2d%% silent: %6.2f s wall, peak RSS %5.1f MiB, %zu answers, %zu as "
           "expected, %zu errors, exit %d\n",
           count, silent_pct, r->seconds, r->mib, r->answers, r->expected, r->errors, r->exit_code);
    printf("  CPU: fixorigin %.2f s (%.2f ms a target), testbed origins %.2f s (%.2f ms a "
           "target)\n",
           r->cpu_s, 1000 * r->cpu_s / count, r->origins_cpu_s, 1000 * r->origins_cpu_s / count);
}

static int bench_mix(const options *o, const json_t *manifest, const char *fixorigin,
                     const char *dir)
{
    int missed = 0;
    mix_result r;
    printf("\nThe fleet mix (%d%% broken, %d%% refused, silent as shown, the rest healthy), "
           "`fixorigin probe --targets` at default settings under ulimit -n %d\n\n",
           MIX_BROKEN, MIX_REFUSED, o->fd_limit);
    if (o->mix > 0 && run_mix(&r, o, manifest, fixorigin, dir, o->mix, 5)) {
        print_mix(&r, o->mix, 5);
        bool met = r.seconds <= MIX_SECONDS && r.mib <= MIX_MIB && r.errors == 0 &&
                   r.expected == (size_t)o->mix && r.answers == (size_t)o->mix;
        printf("  target: <= %.0f s, <= %.0f MiB, 0 errors, every class as expected: %s\n",
               MIX_SECONDS, MIX_MIB, met ? "met" : "MISSED");
        missed += !met;
    }
    mix_result none, many;
    if (o->mix_compare > 0 && run_mix(&none, o, manifest, fixorigin, dir, o->mix_compare, 0) &&
        run_mix(&many, o, manifest, fixorigin, dir, o->mix_compare, 20)) {
        print_mix(&none, o->mix_compare, 0);
        print_mix(&many, o->mix_compare, 20);
        double ratio = many.seconds / none.seconds;
        bool met = ratio <= SILENT_RATIO && none.errors == 0 && many.errors == 0 &&
                   none.expected == (size_t)o->mix_compare &&
                   many.expected == (size_t)o->mix_compare;
        printf("  20%% silent / none silent: %.2fx (target <= %.0fx): %s\n", ratio, SILENT_RATIO,
               met ? "met" : "MISSED");
        missed += !met;
    }
    return missed;
}

static bool parse_int(const char *s, int min, int max, int *out)
{
    char *end = NULL;
    long value = s ? strtol(s, &end, 10) : 0;
    if (!s || *end != '\0' || end == s || value < min || value > max)
        return false;
    *out = (int)value;
    return true;
}

static int parse_args(int argc, char **argv, options *o)
{
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true;
        if (strcmp(argv[i], "--strict") == 0) {
            o->strict = true;
            continue;
        }
        if (strcmp(argv[i], "--bin-dir") == 0 && value)
            o->bin_dir = value;
        else if (strcmp(argv[i], "--runs") == 0)
            ok = parse_int(value, 0, MAX_RUNS, &o->runs);
        else if (strcmp(argv[i], "--timeout-runs") == 0)
            ok = parse_int(value, 1, MAX_RUNS, &o->timeout_runs);
        else if (strcmp(argv[i], "--bulk") == 0)
            ok = parse_int(value, 0, 5000, &o->bulk);
        else if (strcmp(argv[i], "--concurrency") == 0)
            ok = parse_int(value, 1, 4096, &o->concurrency);
        else if (strcmp(argv[i], "--mix") == 0)
            ok = parse_int(value, 0, 100000, &o->mix);
        else if (strcmp(argv[i], "--mix-compare") == 0)
            ok = parse_int(value, 0, 100000, &o->mix_compare);
        else if (strcmp(argv[i], "--fd-limit") == 0)
            ok = parse_int(value, 64, 1 << 20, &o->fd_limit);
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "usage: bench-probe [--bin-dir DIR] [--runs N] [--timeout-runs N] "
                            "[--bulk N] [--concurrency N] [--mix N] [--mix-compare N] "
                            "[--fd-limit N] [--strict]\n");
            return EXIT_USAGE;
        }
        i++;
    }
    return -1;
}

int main(int argc, char **argv)
{
    options o = {.bin_dir = "build/bin",
                 .runs = 15,
                 .timeout_runs = 3,
                 .bulk = 1000,
                 .concurrency = 256,
                 .mix = 10000,
                 .mix_compare = 5000,
                 .fd_limit = 1024};
    int status = parse_args(argc, argv, &o);
    if (status >= 0)
        return status;
    char fixorigin[512], testbed[512], count[16];
    snprintf(fixorigin, sizeof(fixorigin), "%s/fixorigin", o.bin_dir);
    snprintf(testbed, sizeof(testbed), "%s/testbed-origins", o.bin_dir);
    /* The mix's healthy targets are the bulk origins: a thousand of them even when the bulk
     * run itself is skipped (--bulk 0). */
    snprintf(count, sizeof(count), "%d", o.bulk > 0 ? o.bulk : 1000);
    const char *const testbed_args[] = {"--count", count, NULL};
    tb_harness tb;
    fo_error err;
    if (tb_harness_start(&tb, testbed, testbed_args, 60000, &err) != FO_OK) {
        fprintf(stderr, "bench-probe: %s\n", err.msg);
        return EXIT_FAILURE;
    }
    json_error_t jerr;
    json_t *manifest = json_load_file(tb.manifest, 0, &jerr);
    if (!manifest) {
        fprintf(stderr, "bench-probe: %s: %s\n", tb.manifest, jerr.text);
        tb_harness_stop(&tb);
        return EXIT_FAILURE;
    }
    o.testbed = tb.pid;
    int missed = o.runs > 0 ? bench_cases(&o, manifest, fixorigin) : 0;
    missed += o.bulk > 0 ? bench_bulk(&o, manifest, fixorigin) : 0;
    missed += bench_mix(&o, manifest, fixorigin, tb.dir);
    json_decref(manifest);
    if (tb_harness_stop(&tb) != 0)
        fprintf(stderr, "bench-probe: testbed-origins did not stop cleanly\n");
    printf("\n%s\n", missed ? "Some targets were missed (see MISSED above)." : "All targets met.");
    return o.strict && missed ? EXIT_FAILURE : EXIT_SUCCESS;
}
