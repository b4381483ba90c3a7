/* fixorigin scan against fastly-mock and testbed-origins: fifty stand-in services with mixed
 * problems and injected API faults, every one reported and the exit code aggregated;
 * locks when two scans overlap; --only-safe never writing a consent or downgrade fix;
 * --max-apply and the write budget; sharding; output formats; usage errors. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixorigin/scan.h"
#include "scanserve_fixture.h"

Suite *scan_fleet_suite(void);

enum { RUN_MS = 120000 };

static const char *result_of(const json_t *report)
{
    return json_string_value(json_object_get(report, "result"));
}

static const char *error_of(const json_t *report)
{
    return json_string_value(json_object_get(report, "error"));
}

/* Runs `fixorigin scan ARGS --format ndjson`; returns the exit code and the lines. */
static int scan_ndjson(const ss_fleet *f, const char *const *args, json_t **lines, tb_run *run_out)
{
    const char *argv[48] = {"scan", "--format", "ndjson"};
    size_t n = 3;
    for (; args && *args && n < 47; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    tb_run run;
    int code = ss_fixorigin(&run, f, argv, NULL, RUN_MS);
    ck_assert_msg(!run.timed_out, "scan timed out: %s", run.err);
    *lines = ss_ndjson(run.out);
    if (run_out)
        *run_out = run;
    else
        tb_run_free(&run);
    return code;
}

static const json_t *summary_of(const json_t *lines)
{
    const json_t *last = json_array_get(lines, json_array_size(lines) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(last, "schema")), "fixorigin.scan/v1");
    return json_object_get(last, "summary");
}

static long summary_count(const json_t *lines, const char *result)
{
    return (long)json_integer_value(
        json_object_get(json_object_get(summary_of(lines), "results"), result));
}

/* ---- fifty services ---- */

#define HUMAN5 "healthy", "hostname_mismatch", "certificate_expired", "sni_required_cert"
#define FIX5 "healthy", "hostname_mismatch", "sni_required_fail", "healthy_all_versions"

static const ss_service fifty[] = {
    {"OK_01", {"healthy"}},
    {"OK_02", {"healthy_all_versions"}},
    {"OK_03", {"sni_required_cert_with_sni"}},
    {"OK_04", {"healthy"}},
    {"OK_05", {"sni_required_fail_with_sni"}},
    {"OK_06", {"healthy"}},
    {"OK_07", {"healthy_all_versions"}},
    {"OK_08", {"healthy", "expires_soon"}},
    {"OK_09", {"sni_required_cert_with_sni"}},
    {"OK_10", {"healthy", "healthy_all_versions"}},
    {"FIX_01", {"hostname_mismatch"}},
    {"FIX_02", {"sni_required_cert"}},
    {"FIX_03", {"sni_required_fail"}},
    {"FIX_04", {"handshake_failure_tls13_only"}},
    {"FIX_05", {"handshake_failure_ciphers"}},
    {"FIX_06", {"unable_to_verify_first_certificate"}},
    {"FIX_07", {"hostname_mismatch"}},
    {"FIX_08", {"sni_required_cert"}},
    {"FIX_09", {"handshake_failure_tls13_only"}},
    {"FIX_10", {"slow_handshake"}},
    {"HUMAN_01", {"certificate_expired"}},
    {"HUMAN_02", {"connection_refused"}},
    {"HUMAN_03", {"dns_failure"}},
    {"HUMAN_04", {"self_signed_certificate"}},
    {"HUMAN_05", {"self_signed_certificate_in_chain"}},
    {"HUMAN_06", {"rc4_cipher"}},
    {"HUMAN_07", {"tlsv1_alert_internal_error"}},
    {"HUMAN_08", {"unable_to_get_issuer_certificate"}},
    {"HUMAN_09", {"unable_to_get_local_issuer_certificate"}},
    {"HUMAN_10", {"hostname_mismatch_expired"}},
    {"MULTI_01", {HUMAN5, "healthy_all_versions"}},
    {"MULTI_02", {HUMAN5, "connection_refused"}},
    {"MULTI_03", {HUMAN5, "healthy"}},
    {"MULTI_04", {HUMAN5, "self_signed_certificate"}},
    {"MULTI_05", {FIX5, "handshake_failure_ciphers"}},
    {"MULTI_06", {FIX5, "sni_required_cert"}},
    {"MULTI_07", {FIX5, "healthy"}},
    {"MULTI_08", {FIX5, "unable_to_verify_first_certificate"}},
    {"MULTI_09", {FIX5, "handshake_failure_tls13_only"}},
    {"ERR_500", {"healthy"}},
    {"ERR_429", {"healthy"}},
    {"ERR_HTML", {"healthy"}},
    {"ERR_MALFORMED", {"healthy"}},
    {"ERR_DROP", {"healthy"}},
    {"ERR_TRUNC", {"healthy"}},
    {"RETRY_503", {"healthy"}},
    {"RETRY_DROP", {"hostname_mismatch"}},
    {"RETRY_DELAY", {"healthy"}},
    {"RETRY_500", {"sni_required_fail"}},
};

static const char *const fifty_faults[] = {
    "--fail", "GET:/service/ERR_500/details:*:500",
    "--fail", "GET:/service/ERR_429/details:*:429",
    "--fail", "GET:/service/ERR_HTML/details:*:502-html",
    "--fail", "GET:/service/ERR_MALFORMED/details:*:malformed",
    "--fail", "GET:/service/ERR_DROP/details:*:drop-before",
    "--fail", "GET:/service/ERR_TRUNC/details:*:truncate",
    "--fail", "GET:/service/RETRY_503/details:1:503",
    "--fail", "GET:/service/RETRY_DROP/details:1:drop-before",
    "--fail", "GET:/service/RETRY_DELAY/details:1:delay=1500",
    "--fail", "GET:/service/RETRY_500/details:1:500",
    NULL,
};

static const char *expected_result(const char *id)
{
    if (strncmp(id, "OK_", 3) == 0 || strcmp(id, "RETRY_503") == 0 ||
        strcmp(id, "RETRY_DELAY") == 0)
        return "ok";
    if (strncmp(id, "FIX_", 4) == 0 || strcmp(id, "RETRY_DROP") == 0 ||
        strcmp(id, "RETRY_500") == 0)
        return "fixes_planned";
    if (strncmp(id, "HUMAN_", 6) == 0)
        return "needs_human";
    if (strncmp(id, "MULTI_", 6) == 0)
        return strcmp(id, "MULTI_05") < 0 ? "needs_human" : "fixes_planned";
    return "error"; /* ERR_*, and the service the mock does not have */
}

START_TEST(fifty_services_every_one_reported)
{
    ss_fleet f;
    json_t *lines = NULL;
    size_t count = sizeof(fifty) / sizeof(fifty[0]);
    ss_fleet_start(&f, fifty, count, fifty_faults);
    /* --all and one service id the token cannot see. */
    const char *args[] = {"--all", "--service", "NOT_THERE", "--concurrency", "8", NULL};
    int code = scan_ndjson(&f, args, &lines, NULL);
    ck_assert_uint_eq(json_array_size(lines), count + 2);
    for (size_t i = 0; i < count; i++) {
        const json_t *report = ss_report(lines, fifty[i].id);
        ck_assert_msg(report != NULL, "%s is not reported", fifty[i].id);
        ck_assert_str_eq(json_string_value(json_object_get(report, "schema")),
                         "fixorigin.report/v1");
        ck_assert_msg(strcmp(result_of(report), expected_result(fifty[i].id)) == 0,
                      "%s: result %s, expected %s (%s)", fifty[i].id, result_of(report),
                      expected_result(fifty[i].id), error_of(report) ? error_of(report) : "");
        if (strncmp(fifty[i].id, "ERR_", 4) == 0)
            ck_assert_msg(error_of(report) && strstr(error_of(report), "Fastly API"), "%s: %s",
                          fifty[i].id, error_of(report));
        size_t backends = json_array_size(json_object_get(report, "backends"));
        size_t expect = 0;
        while (expect < SS_MAX_BACKENDS && fifty[i].cases[expect])
            expect++;
        ck_assert_uint_eq(backends, strncmp(fifty[i].id, "ERR_", 4) == 0 ? 0 : expect);
    }
    const json_t *missing = ss_report(lines, "NOT_THERE");
    ck_assert_ptr_nonnull(missing);
    ck_assert_str_eq(result_of(missing), "error");
    /* The summary adds up; the exit code is the worst: an error. */
    const json_t *summary = summary_of(lines);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "services")), 50);
    ck_assert_int_eq(summary_count(lines, "ok"), 12);
    ck_assert_int_eq(summary_count(lines, "fixes_planned"), 17);
    ck_assert_int_eq(summary_count(lines, "needs_human"), 14);
    ck_assert_int_eq(summary_count(lines, "error"), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "exit_code")), 1);
    ck_assert_int_eq(code, 1);
    /* Warnings (what is about to break) are counted over every backend's probe. */
    size_t warnings = 0, i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        size_t k;
        json_t *backend;
        json_array_foreach(json_object_get(line, "backends"), k, backend)
        {
            warnings +=
                json_array_size(json_object_get(json_object_get(backend, "probe"), "warnings"));
        }
    }
    ck_assert_uint_ge(warnings, 1); /* OK_08's certificate expires in 10 days */
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "warnings")),
                     (json_int_t)warnings);
    /* A plan writes nothing. */
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "*"), 0);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/*"), 0);
    json_decref(lines);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- exit codes ---- */

static const ss_service small[] = {
    {"OK_A", {"healthy"}},
    {"FIX_A", {"hostname_mismatch"}},
    {"FIX_B", {"sni_required_cert"}},
    {"FIX_C", {"handshake_failure_tls13_only"}},
    {"HUMAN_A", {"certificate_expired"}},
    {"CONSENT_A", {"self_signed_certificate"}},
};

/* Holds the lock of a service the way another run would (the test is that run). */
static int hold_lock(const ss_fleet *f, const char *id)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/locks", f->state_dir);
    mkdir(f->state_dir, 0700);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/locks/%s.lock", f->state_dir, id);
    int fd = open(path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    ck_assert_int_eq(write(fd, "pid 1 on test since now\n", 24), 24);
    return fd;
}

static int scan_ids(const ss_fleet *f, bool apply, const char *extra, const char *id1,
                    const char *id2)
{
    const char *args[16];
    size_t n = 0;
    json_t *lines = NULL;
    if (apply) {
        const char *a[] = {"--apply", "--only-safe", "--yes", "--state-dir", f->state_dir};
        for (size_t i = 0; i < 5; i++)
            args[n++] = a[i];
    }
    if (extra) {
        args[n++] = "--max-apply";
        args[n++] = extra;
    }
    args[n++] = "--service";
    args[n++] = id1;
    if (id2) {
        args[n++] = "--service";
        args[n++] = id2;
    }
    args[n] = NULL;
    int code = scan_ndjson(f, args, &lines, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(summary_of(lines), "exit_code")), code);
    json_decref(lines);
    return code;
}

START_TEST(exit_code_is_the_most_severe)
{
    ss_fleet f;
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), NULL);
    ck_assert_int_eq(scan_ids(&f, false, NULL, "OK_A", NULL), 0);
    ck_assert_int_eq(scan_ids(&f, false, NULL, "OK_A", "FIX_A"), 2);
    ck_assert_int_eq(scan_ids(&f, false, NULL, "FIX_A", "HUMAN_A"), 5);
    ck_assert_int_eq(scan_ids(&f, false, NULL, "HUMAN_A", "NOT_THERE"), 1);
    /* A service another run holds is a conflict (4): worse than planned, not than 5. */
    int fd = hold_lock(&f, "OK_A");
    ck_assert_int_eq(scan_ids(&f, true, NULL, "OK_A", NULL), 4);
    ck_assert_int_eq(scan_ids(&f, true, "0", "OK_A", "FIX_A"), 4);
    ck_assert_int_eq(scan_ids(&f, true, NULL, "OK_A", "CONSENT_A"), 5);
    ck_assert_int_eq(scan_ids(&f, true, NULL, "OK_A", "NOT_THERE"), 1);
    close(fd);
    ck_assert_int_eq(scan_ids(&f, true, NULL, "OK_A", NULL), 0);
    /* Nothing was written while a fix was held back by --max-apply 0. */
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/*/*/clone"), 0);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- locks ---- */

static bool file_has(const char *path, const char *text)
{
    char *content = read_file(path);
    bool has = content && strstr(content, text);
    free(content);
    return has;
}

START_TEST(overlapping_scans_honour_locks)
{
    ss_fleet f;
    ss_proc first;
    char lock_path[300], holder[64];
    json_t *lines = NULL;
    tb_run run;
    const char *const slow[] = {"--fail", "GET:/service/FIX_A/details:1:delay=5000", NULL};
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), slow);
    const char *first_args[] = {"scan",        "--apply",   "--only-safe", "--yes",
                                "--state-dir", f.state_dir, "--service",   "FIX_A",
                                "--format",    "ndjson",    NULL};
    ss_spawn(&first, &f, "first", first_args, NULL);
    /* The first run holds FIX_A's lock while its details read waits. */
    snprintf(lock_path, sizeof(lock_path), "%s/locks/FIX_A.lock", f.state_dir);
    snprintf(holder, sizeof(holder), "pid %ld on ", (long)first.pid);
    for (int waited = 0; waited < 20000 && !file_has(lock_path, holder); waited += 20)
        ss_sleep_ms(20);
    ck_assert_msg(file_has(lock_path, holder), "the first scan did not take its lock");
    const char *second_args[] = {"--apply",   "--only-safe", "--yes", "--state-dir",
                                 f.state_dir, "--service",   "FIX_A", "--service",
                                 "FIX_B",     NULL};
    int code = scan_ndjson(&f, second_args, &lines, &run);
    ck_assert_int_eq(code, 4);
    const json_t *locked = ss_report(lines, "FIX_A");
    ck_assert_str_eq(result_of(locked), "conflict");
    ck_assert_msg(strstr(error_of(locked), "another fixorigin run is working on service FIX_A") &&
                      strstr(error_of(locked), holder),
                  "%s", error_of(locked));
    ck_assert_str_eq(result_of(ss_report(lines, "FIX_B")), "ok");
    tb_run_free(&run);
    json_decref(lines);
    /* The first run goes on undisturbed and applies its fix, once. */
    ck_assert_int_eq(ss_wait(&first, RUN_MS), 0);
    char *err = read_file(first.err);
    ck_assert_msg(err && !strstr(err, "Sanitizer") && !strstr(err, "runtime error"), "%s", err);
    ss_assert_no_token(err, "the first scan's stderr");
    free(err);
    char *out = read_file(first.out);
    lines = ss_ndjson(out);
    ck_assert_str_eq(result_of(ss_report(lines, "FIX_A")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(ss_report(lines, "FIX_A"), "apply"), "outcome")),
                     "verified");
    free(out);
    json_decref(lines);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 1);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_B/version/*/clone"), 1);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- --only-safe ---- */

static const ss_service unsafe[] = {
    {"SAFE", {"hostname_mismatch"}},
    {"SELF_SIGNED", {"self_signed_certificate"}},
    {"ROOT_IN_CHAIN", {"self_signed_certificate_in_chain"}},
    {"PLAIN_HTTP", {"unknown_protocol"}},
    {"MIXED", {"sni_required_fail", "self_signed_certificate"}},
};

/* Whether any logged write sends key=value (value NULL: any value). */
static bool wrote(const ss_fleet *f, const char *service, const char *key, const char *value)
{
    json_t *log = mock_log(&f->mock);
    size_t i;
    json_t *line;
    bool found = false;
    char prefix[128], needle[160];
    snprintf(prefix, sizeof(prefix), "/service/%s/", service);
    snprintf(needle, sizeof(needle), "%s=%s", key, value ? value : "");
    json_array_foreach(log, i, line)
    {
        const char *path = json_string_value(json_object_get(line, "path"));
        const char *body = json_string_value(json_object_get(line, "body"));
        if (strcmp(json_string_value(json_object_get(line, "method")), "GET") == 0 ||
            strncmp(path, prefix, strlen(prefix)) != 0 || !body)
            continue;
        for (const char *p = body; *p; p += strcspn(p, "&"), p += *p == '&') {
            if (strncmp(p, needle, strlen(needle)) == 0)
                found = true;
        }
    }
    json_decref(log);
    return found;
}

/* Every request but a read sent about service. */
static size_t writes_to(const ss_fleet *f, const char *service)
{
    json_t *log = mock_log(&f->mock);
    size_t i, count = 0;
    json_t *line;
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "/service/%s/", service);
    json_array_foreach(log, i, line)
    {
        const char *path = json_string_value(json_object_get(line, "path"));
        count += strcmp(json_string_value(json_object_get(line, "method")), "GET") != 0 &&
                 strncmp(path, prefix, strlen(prefix)) == 0;
    }
    json_decref(log);
    return count;
}

START_TEST(only_safe_never_writes_consent_or_downgrade)
{
    ss_fleet f;
    json_t *lines = NULL;
    ss_fleet_start(&f, unsafe, sizeof(unsafe) / sizeof(unsafe[0]), NULL);
    const char *args[] = {"--all",       "--apply",   "--only-safe", "--yes",
                          "--state-dir", f.state_dir, NULL};
    int code = scan_ndjson(&f, args, &lines, NULL);
    /* Consent and downgrade fixes wait for a person: 5. */
    ck_assert_int_eq(code, 5);
    ck_assert_str_eq(result_of(ss_report(lines, "SAFE")), "ok");
    const char *held[] = {"SELF_SIGNED", "ROOT_IN_CHAIN", "PLAIN_HTTP"};
    for (size_t i = 0; i < 3; i++) {
        const json_t *r = ss_report(lines, held[i]);
        ck_assert_str_eq(result_of(r), "needs_human");
        ck_assert(json_is_null(json_object_get(r, "apply")));
        ck_assert_uint_eq(writes_to(&f, held[i]), 0);
    }
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/SAFE/version/*/clone"), 1);
    const json_t *b0 =
        json_array_get(json_object_get(ss_report(lines, "SELF_SIGNED"), "backends"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(b0, "status")), "blocked");
    ck_assert_str_eq(json_string_value(json_object_get(b0, "safety")), "consent");
    /* The mixed service got its safe fix and not the other. */
    const json_t *mixed = ss_report(lines, "MIXED");
    ck_assert_str_eq(result_of(mixed), "needs_human");
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/MIXED/version/*/backend/b0"), 1);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/MIXED/version/*/backend/b1"), 0);
    /* Nothing anywhere trusted a CA, turned TLS off or lowered a TLS version. */
    const char *services[] = {"SAFE", "SELF_SIGNED", "ROOT_IN_CHAIN", "PLAIN_HTTP", "MIXED"};
    for (size_t i = 0; i < 5; i++) {
        ck_assert(!wrote(&f, services[i], "ssl_ca_cert", NULL));
        ck_assert(!wrote(&f, services[i], "use_ssl", NULL));
        ck_assert(!wrote(&f, services[i], "min_tls_version", "1.0"));
        ck_assert(!wrote(&f, services[i], "min_tls_version", "1.1"));
        ck_assert(!wrote(&f, services[i], "port", "80"));
    }
    json_decref(lines);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- --max-apply and the write budget ---- */

START_TEST(max_apply_limits_changes)
{
    ss_fleet f;
    json_t *lines = NULL;
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), NULL);
    const char *args[] = {"--apply",     "--only-safe", "--yes",     "--state-dir", f.state_dir,
                          "--max-apply", "1",           "--service", "FIX_A",       "--service",
                          "FIX_B",       "--service",   "FIX_C",     NULL};
    int code = scan_ndjson(&f, args, &lines, NULL);
    ck_assert_int_eq(code, 2);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/clone"), 1);
    ck_assert_int_eq(summary_count(lines, "ok"), 1);
    ck_assert_int_eq(summary_count(lines, "fixes_planned"), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(summary_of(lines), "applied")), 1);
    size_t held = 0;
    const char *ids[] = {"FIX_A", "FIX_B", "FIX_C"};
    for (size_t i = 0; i < 3; i++) {
        const char *error = error_of(ss_report(lines, ids[i]));
        held += error && strcmp(error, "not applied: --max-apply 1 reached (services changed "
                                       "in this run)") == 0;
    }
    ck_assert_uint_eq(held, 2);
    json_decref(lines);
    ss_fleet_stop(&f);
}
END_TEST

START_TEST(write_budget_respected)
{
    ss_fleet f;
    json_t *lines = NULL;
    /* Six writes: one fix spends five (clone, comment, update, activate, the verified mark,
     * which the stand-in refuses but counts, as Fastly's limit would). */
    const char *const budget[] = {"--rate-limit", "6/3600", NULL};
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), budget);
    const char *args[] = {"--apply",   "--only-safe",   "--yes", "--state-dir",
                          f.state_dir, "--concurrency", "1",     "--service",
                          "FIX_A",     "--service",     "FIX_B", NULL};
    int code = scan_ndjson(&f, args, &lines, NULL);
    ck_assert_int_eq(code, 2);
    ck_assert_str_eq(result_of(ss_report(lines, "FIX_A")), "ok");
    const json_t *second = ss_report(lines, "FIX_B");
    ck_assert_str_eq(result_of(second), "fixes_planned");
    ck_assert_msg(strstr(error_of(second), "not applied: the API write budget has 1 writes left"),
                  "%s", error_of(second));
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_B/*/*/clone"), 0);
    json_decref(lines);
    ss_fleet_stop(&f);
}
END_TEST

START_TEST(concurrent_applies_share_the_write_budget)
{
    /* Twelve services with one safe fix each, eight at a time, twenty writes: the applies in
     * flight hold what they may spend, so none starts that the budget cannot finish and no
     * draft is left behind by a refused write. */
    static const ss_service twelve[] = {
        {"B01", {"hostname_mismatch"}}, {"B02", {"hostname_mismatch"}},
        {"B03", {"hostname_mismatch"}}, {"B04", {"hostname_mismatch"}},
        {"B05", {"hostname_mismatch"}}, {"B06", {"hostname_mismatch"}},
        {"B07", {"hostname_mismatch"}}, {"B08", {"hostname_mismatch"}},
        {"B09", {"hostname_mismatch"}}, {"B10", {"hostname_mismatch"}},
        {"B11", {"hostname_mismatch"}}, {"B12", {"hostname_mismatch"}},
    };
    ss_fleet f;
    json_t *lines = NULL;
    const char *const budget[] = {"--rate-limit", "20/3600", NULL};
    ss_fleet_start(&f, twelve, sizeof(twelve) / sizeof(twelve[0]), budget);
    const char *args[] = {"--apply",       "--only-safe", "--yes", "--state-dir", f.state_dir,
                          "--concurrency", "8",           "--all", NULL};
    int code = scan_ndjson(&f, args, &lines, NULL);
    ck_assert_int_eq(code, 2);
    long ok = summary_count(lines, "ok");
    ck_assert_msg(ok >= 1 && ok <= 4, "%ld applied", ok);
    ck_assert_int_eq(summary_count(lines, "error"), 0);
    ck_assert_int_eq(summary_count(lines, "fixes_planned"), 12 - ok);
    for (size_t i = 0; i < 12; i++) {
        const json_t *r = ss_report(lines, twelve[i].id);
        if (strcmp(result_of(r), "ok") != 0)
            ck_assert_msg(strstr(error_of(r), "not applied: the API write budget has"), "%s: %s",
                          twelve[i].id, error_of(r));
    }
    /* Every clone became the active version: no draft was left. */
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/clone"), (size_t)ok);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/activate"), (size_t)ok);
    /* The token's scope was read once for the whole run, not once per service or worker. */
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/tokens/self"), 1);
    json_decref(lines);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- sharding and formats ---- */

START_TEST(shards_split_without_overlap)
{
    ss_fleet f;
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), NULL);
    size_t seen = 0;
    for (unsigned s = 1; s <= 3; s++) {
        char shard[8];
        json_t *lines = NULL;
        snprintf(shard, sizeof(shard), "%u/3", s);
        const char *args[] = {"--all", "--shard", shard, NULL};
        scan_ndjson(&f, args, &lines, NULL);
        const json_t *summary = summary_of(lines);
        ck_assert_str_eq(json_string_value(json_object_get(summary, "shard")), shard);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "selected")), 6);
        for (size_t i = 0; i + 1 < json_array_size(lines); i++) {
            const char *id = json_string_value(
                json_object_get(json_object_get(json_array_get(lines, i), "service"), "id"));
            /* The documented split: FNV-1a of the id, so other tools can compute it. */
            ck_assert_uint_eq(fo_scan_shard_of(id, 3), s);
            seen++;
        }
        json_decref(lines);
    }
    ck_assert_uint_eq(seen, 6);
    ss_fleet_stop(&f);
}
END_TEST

START_TEST(text_and_json_formats)
{
    ss_fleet f;
    tb_run run;
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), NULL);
    const char *json_args[] = {"scan",      "--format", "json",      "--service", "HUMAN_A",
                               "--service", "OK_A",     "--service", "FIX_A",     NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, json_args, NULL, RUN_MS), 5);
    json_t *doc = json_loads(run.out, 0, NULL);
    ck_assert_msg(doc != NULL, "not one JSON document: %s", run.out);
    ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "fixorigin.scan/v1");
    json_t *services = json_object_get(doc, "services");
    ck_assert_uint_eq(json_array_size(services), 3);
    /* In the order asked for, whatever order they finished in. */
    const char *order[] = {"HUMAN_A", "OK_A", "FIX_A"};
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(json_string_value(json_object_get(
                             json_object_get(json_array_get(services, i), "service"), "id")),
                         order[i]);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(doc, "summary"), "exit_code")), 5);
    /* Only data on stdout: no progress line when stderr is not a terminal. */
    ck_assert_str_eq(run.err, "");
    json_decref(doc);
    tb_run_free(&run);

    const char *text_args[] = {"scan", "--service", "FIX_A", "--service", "OK_A", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, text_args, NULL, RUN_MS), 2);
    ck_assert_msg(strstr(run.out, "FIX_A  \"FIX_A\"  fixes_planned (2)") &&
                      strstr(run.out, "  b0  hostname_mismatch  fix (safe): set "
                                      "ssl_cert_hostname to other.origin.test") &&
                      strstr(run.out, "OK_A  \"OK_A\"  ok (0)") &&
                      strstr(run.out, "scan: 2 services in ") &&
                      strstr(run.out, "1 ok, 1 fixes_planned; 4 API requests, 0 writes; exit 2"),
                  "%s", run.out);
    tb_run_free(&run);
    /* Narrower, the same text folds with its layout (one service: services are reported in
     * the order they finish). */
    const char *one[] = {"scan", "--service", "FIX_A", NULL};
    tb_run narrow;
    ck_assert_int_eq(ss_fixorigin(&run, &f, one, NULL, RUN_MS), 2);
    ck_assert_int_eq(
        ss_fixorigin(&narrow, &f, one, (const char *const[]){"COLUMNS=60", NULL}, RUN_MS), 2);
    fx_assert_folded(narrow.out, run.out, 60, "scan text at COLUMNS=60");
    tb_run_free(&narrow);
    tb_run_free(&run);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- on a terminal ---- */

START_TEST(on_a_terminal_apply_asks_per_service)
{
    ss_fleet f;
    int status = 0, asked = 0;
    ss_fleet_start(&f, small, sizeof(small) / sizeof(small[0]), NULL);
    /* Two services with a fix, one at a time: "n" to the first asked, "y" to the other. */
    const char *args[] = {"scan",          "--apply",   "--only-safe", "--state-dir", f.state_dir,
                          "--concurrency", "1",         "--service",   "FIX_A",       "--service",
                          "FIX_B",         "--service", "OK_A",        NULL};
    const char *answers[] = {"n\n", "y\n", NULL};
    char *out = ss_run_on_terminal(&f, args, answers, &status, &asked);
    ck_assert_msg(asked == 2, "%d questions: %s", asked, out);
    ck_assert_msg(strstr(out, "Apply 1 safe fix to service FIX_A? [y/N] ") &&
                      strstr(out, "Apply 1 safe fix to service FIX_B? [y/N] ") &&
                      strstr(out, "not applied: declined at the prompt") &&
                      strstr(out, "FIX_A  \"FIX_A\"  fixes_planned (2)") &&
                      strstr(out, "apply: verified, active version 2") && !strstr(out, "\033[3") &&
                      !strstr(out, "\033[1;"),
                  "%s", out);
    /* The declined one is planned (2), the other applied: exit 2. No colour (NO_COLOR): the
     * only escapes are the progress line's clearing. */
    ck_assert_msg(status == 2, "exit %d: %s", status, out);
    /* On a terminal the progress line says how far the run is and what it waits on. */
    ck_assert_msg(strstr(out, "\r\033[Kscan: 0/3 services, 0.") &&
                      strstr(out, "; waiting on service FIX_A") &&
                      strstr(out, "scan: 3/3 services, "),
                  "no progress line: %s", out);
    free(out);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 0);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_B/version/*/clone"), 1);
    ss_fleet_stop(&f);
}
END_TEST

/* ---- usage ---- */

START_TEST(usage_errors)
{
    ss_fleet f;
    tb_run run;
    char file[200];
    ss_fleet_start(&f, small, 1, NULL);
    static const struct {
        const char *args[8];
        int code;
        const char *says;
    } cases[] = {
        {{"scan", NULL}, 64, "which services?"},
        {{"scan", "--all", "--apply", "--yes", NULL}, 64, "--apply --only-safe"},
        {{"scan", "--all", "--apply", "--only-safe", NULL}, 64, "needs --yes when stdin"},
        {{"scan", "--all", "--only-safe", NULL}, 64, "go with --apply"},
        {{"scan", "--all", "--shard", "4/3", NULL}, 64, "--shard I/N needs 1 <= I <= N"},
        {{"scan", "--all", "--format", "xml", NULL}, 64, "--format takes text, json or ndjson"},
        {{"scan", "--all", "--concurrency", "0", NULL}, 64, "--concurrency takes 1 to 64"},
        {{"scan", "--service", "a/b", NULL}, 64, "is not a service id"},
        {{"scan", "--all", "extra", NULL}, 64, "unexpected argument 'extra'"},
        {{"scan", "--services-file", "/nonexistent/fleet.txt", NULL}, 1, "/nonexistent/fleet"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int code = ss_fixorigin(&run, &f, cases[i].args, NULL, RUN_MS);
        ck_assert_msg(code == cases[i].code && strstr(run.err, cases[i].says),
                      "case %zu: exit %d: %s", i, code, run.err);
        ck_assert_str_eq(run.out, "");
        tb_run_free(&run);
    }
    snprintf(file, sizeof(file), "%s/fleet.txt", f.dir);
    FILE *fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("# fleet\nOK_A\nnot an id\n", fp);
    fclose(fp);
    const char *bad_file[] = {"scan", "--services-file", file, NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, bad_file, NULL, RUN_MS), 1);
    ck_assert_msg(strstr(run.err, "fleet.txt:3: 'not an id' is not a service id"), "%s", run.err);
    tb_run_free(&run);
    /* Help, and not one API request in all of the above. */
    const char *help[] = {"scan", "--help", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, help, NULL, RUN_MS), 0);
    ck_assert_ptr_nonnull(strstr(run.out, "usage: fixorigin scan"));
    tb_run_free(&run);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "*"), 0);
    ss_fleet_stop(&f);
}
END_TEST

Suite *scan_fleet_suite(void)
{
    Suite *s = suite_create("scan_fleet");
    TCase *tc = tcase_create("fleet");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, fifty_services_every_one_reported);
    tcase_add_test(tc, exit_code_is_the_most_severe);
    tcase_add_test(tc, overlapping_scans_honour_locks);
    tcase_add_test(tc, only_safe_never_writes_consent_or_downgrade);
    tcase_add_test(tc, max_apply_limits_changes);
    tcase_add_test(tc, write_budget_respected);
    tcase_add_test(tc, concurrent_applies_share_the_write_budget);
    tcase_add_test(tc, shards_split_without_overlap);
    tcase_add_test(tc, text_and_json_formats);
    tcase_add_test(tc, on_a_terminal_apply_asks_per_service);
    tcase_add_test(tc, usage_errors);
    suite_add_tcase(s, tc);
    return s;
}
