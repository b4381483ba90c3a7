/* `fixorigin --service` against the Fastly stand-in and the testbed origins, class by class:
 * the plan (exit code, JSON, changes, proof), the applied result in the stand-in's state, and
 * a second run that finds nothing to do and writes nothing; consent and downgrade flags;
 * problems only a person can fix; a service with several backends. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fix_harness.h"
#include "fixorigin/fo.h"

Suite *fix_classes_suite(void);

static fix_env env;

static void start(const fix_backend *backends, size_t count)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_start(&env, &fx_tb, backends, count, NULL, NULL);
}

static void setup(void)
{
    memset(&env, 0, sizeof(env));
}

static void teardown(void)
{
    if (env.mock.dir[0])
        fix_stop(&env);
}

/* Runs fixorigin --service SVC1 --json with more args; returns the report (owned). */
static json_t *report(int expect_exit, const char *const *args)
{
    const char *argv[24] = {"--service", FIX_SERVICE, "--json"};
    size_t n = 3;
    for (size_t i = 0; args && args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    tb_run run;
    json_t *json = NULL;
    fix_run(&run, &json, &env, argv);
    ck_assert_msg(run.exit_code == expect_exit, "exit %d, not %d: %s%s", run.exit_code, expect_exit,
                  run.err, run.out);
    ck_assert_msg(json != NULL, "no JSON report: %s", run.out);
    ck_assert_str_eq(json_string_value(json_object_get(json, "schema")), "fixorigin.report/v1");
    ck_assert_int_eq(json_integer_value(json_object_get(json, "exit_code")), expect_exit);
    tb_run_free(&run);
    return json;
}

static const char *const apply_args[] = {"--apply", "--yes", NULL};

/* The change of `field` in a report backend (borrowed). */
static json_t *change_of(json_t *backend, const char *field)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(backend, "changes"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "field")), field) == 0)
            return c;
    }
    return NULL;
}

/* ---- safe fixes: plan, proof, apply, no-op ---- */

static const struct safe_case {
    const char *case_name;
    const char *class;
    const char *field;
    const char *to; /* as the stand-in stores it; NULL: checked by the test */
} safe_cases[] = {
    {"hostname_mismatch", "hostname_mismatch", "ssl_cert_hostname", "other.origin.test"},
    {"sni_required_cert", "hostname_mismatch", "ssl_sni_hostname", "www.origin.test"},
    {"sni_required_fail", "handshake_failure", "ssl_sni_hostname", "www.origin.test"},
    {"missing_cert_hostname", "missing_cert_hostname", "ssl_cert_hostname", "www.origin.test"},
    {"unable_to_verify_first_certificate", "unable_to_verify_first_certificate", "ssl_ca_cert",
     NULL},
    {"slow_handshake", "connection_timeout", "connect_timeout", NULL},
    {"handshake_failure_tls13_only", "handshake_failure", "max_tls_version", "1.3"},
    {"handshake_failure_ciphers", "handshake_failure", "ssl_ciphers",
     "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"},
};

START_TEST(a_safe_fix_is_planned_proven_applied_and_then_nothing_is_left)
{
    const struct safe_case *c = &safe_cases[_i];
    fix_backend backend = {c->case_name, NULL};
    start(&backend, 1);

    /* Plan: exit 2, the change, safe, proven; nothing written. */
    json_t *plan = report(2, NULL);
    json_t *b = fix_report_backend(plan, c->case_name);
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(json_string_value(json_object_get(b, "class")), c->class);
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "fix");
    ck_assert_str_eq(json_string_value(json_object_get(b, "safety")), "safe");
    ck_assert(json_is_true(json_object_get(b, "allowed")));
    json_t *change = change_of(b, c->field);
    ck_assert_msg(change != NULL, "%s: no change of %s", c->case_name, c->field);
    ck_assert(json_is_true(json_object_get(json_object_get(b, "proof"), "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(b, "proof"), "probe"), "class")),
                     "ok");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "probe"), "class")),
                     c->class);
    ck_assert_uint_eq(strlen(json_string_value(json_object_get(plan, "plan_id"))), 64);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
    ck_assert_uint_eq(requests, 2); /* details, and the pools details does not list */
    json_decref(plan);

    /* Apply: exit 0, verified, version 2 active with the change; at most 14 requests (one of
     * them the draft read back as data, one the pools) and 5 writes (the last marks the
     * verified version; the stand-in refuses it, as Fastly may). */
    size_t before = fix_log_lines(&env);
    json_t *applied = report(0, apply_args);
    json_t *apply = json_object_get(applied, "apply");
    ck_assert_str_eq(json_string_value(json_object_get(apply, "outcome")), "verified");
    json_t *versions = json_object_get(applied, "versions");
    ck_assert_int_eq(json_integer_value(json_object_get(versions, "active_before")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(versions, "draft")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(versions, "active_after")), 2);
    b = fix_report_backend(applied, c->case_name);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "verify"), "class")),
                     "ok");
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_msg(requests <= 14 && writes <= 5, "%zu requests, %zu writes", requests, writes);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(applied, "api"), "requests")),
        (json_int_t)requests);
    json_decref(applied);

    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    json_t *stored = fix_backend_in(state, 2, c->case_name);
    if (c->to) {
        ck_assert_str_eq(fix_field(stored, c->field), c->to);
    } else if (strcmp(c->field, "ssl_ca_cert") == 0) {
        char path[400];
        snprintf(path, sizeof(path), "%s/public-intermediate.pem", fx_tb.dir);
        char *intermediate = read_file(path);
        ck_assert_str_eq(fix_field(stored, c->field), intermediate);
        free(intermediate);
    } else {
        long timeout = strtol(fix_field(stored, c->field), NULL, 10);
        ck_assert_msg(timeout >= 2000 && timeout <= 6000, "connect_timeout %ld", timeout);
    }
    ck_assert_int_eq(strncmp(json_string_value(json_object_get(fix_version(state, 2), "comment")),
                             "fixorigin: ", 11),
                     0);
    /* The old version is as it was. */
    char *now = strdup(fix_field(stored, c->field));
    ck_assert_str_ne(fix_field(fix_backend_in(state, 1, c->case_name), c->field), now);
    free(now);
    json_decref(state);

    /* Again: nothing to do, nothing written. */
    before = fix_log_lines(&env);
    json_t *again = report(0, apply_args);
    ck_assert_str_eq(
        json_string_value(json_object_get(fix_report_backend(again, c->case_name), "status")),
        "ok");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(again, "apply"), "outcome")),
                     "nothing");
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
    json_decref(again);
}
END_TEST

/* ---- consent and downgrade ---- */

START_TEST(a_pinned_fingerprint_trusts_only_that_certificate)
{
    fix_backend backend = {"self_signed_certificate", NULL};
    start(&backend, 1);
    json_t *plan = report(5, NULL);
    json_t *change = change_of(fix_report_backend(plan, "self_signed_certificate"), "ssl_ca_cert");
    ck_assert_ptr_nonnull(change);
    char sha[80], flag[120];
    snprintf(sha, sizeof(sha), "%s",
             json_string_value(
                 json_object_get(json_array_get(json_object_get(change, "to"), 0), "sha256")));
    json_decref(plan);
    ck_assert_uint_eq(strlen(sha), 64);

    /* Another fingerprint: what the origin presents is not trusted, nothing is written. */
    char other[80];
    snprintf(other, sizeof(other), "%s", sha);
    other[0] = other[0] == '0' ? '1' : '0';
    snprintf(flag, sizeof(flag), "--trust-presented-ca=%s", other);
    const char *wrong[] = {flag, "--apply", "--yes", NULL};
    json_t *refused = report(5, wrong);
    json_t *b = fix_report_backend(refused, "self_signed_certificate");
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "blocked");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(b, "advice")),
                                 "It is not the one --trust-presented-ca names."));
    json_decref(refused);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);

    /* Its own fingerprint: applied and verified. */
    snprintf(flag, sizeof(flag), "--trust-presented-ca=%s", sha);
    const char *right[] = {flag, "--apply", "--yes", NULL};
    json_t *applied = report(0, right);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(applied, "apply"), "outcome")),
        "verified");
    json_decref(applied);
}
END_TEST

static const struct consent_case {
    const char *case_name;
    const char *flag;       /* the flag that allows it */
    const char *flag_value; /* its value, or NULL */
    const char *blocked_by; /* the consent the plan names without it, or NULL: needs_human */
    const char *field;
} consent_cases[] = {
    {"self_signed_certificate", "--trust-presented-ca", NULL, "--trust-presented-ca",
     "ssl_ca_cert"},
    {"self_signed_certificate_in_chain", "--trust-presented-ca", NULL, "--trust-presented-ca",
     "ssl_ca_cert"},
    {"unable_to_get_local_issuer_certificate", "--ca-file", "private-root.pem", NULL,
     "ssl_ca_cert"},
    {"unable_to_get_issuer_certificate", "--ca-file", "private-root.pem", NULL, "ssl_ca_cert"},
    {"unknown_protocol", "--allow-downgrade", NULL, "--allow-downgrade", "use_ssl"},
};

START_TEST(without_consent_nothing_unsafe_is_written)
{
    const struct consent_case *c = &consent_cases[_i];
    if (strcmp(c->case_name, "unknown_protocol") == 0 &&
        !json_is_true(json_object_get(fx_tb.manifest, "plain_http_port_80")))
        return; /* port 80 could not be bound here: nothing answers HTTP there */
    fix_backend backend = {c->case_name, NULL};
    start(&backend, 1);

    /* Without the flag: a person must decide (5), and --apply writes nothing. */
    json_t *plan = report(5, apply_args);
    json_t *b = fix_report_backend(plan, c->case_name);
    if (c->blocked_by) {
        ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "blocked");
        ck_assert_str_eq(json_string_value(json_object_get(b, "consent")), c->blocked_by);
        ck_assert(json_is_false(json_object_get(b, "allowed")));
        ck_assert(json_is_true(json_object_get(json_object_get(b, "proof"), "ok")));
        ck_assert_ptr_nonnull(change_of(b, c->field));
    } else {
        ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "needs_human");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(b, "advice")), "--ca-file"));
    }
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(plan, "apply"), "outcome")),
                     "nothing");
    json_decref(plan);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1);
    ck_assert_ptr_null(fix_version(state, 2));
    json_decref(state);

    /* With it: planned (2), applied and verified (0). */
    char value[400];
    const char *with_flag[] = {c->flag, NULL, NULL};
    if (c->flag_value) {
        snprintf(value, sizeof(value), "%s/%s", fx_tb.dir, c->flag_value);
        with_flag[1] = value;
    }
    plan = report(2, with_flag);
    b = fix_report_backend(plan, c->case_name);
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "fix");
    ck_assert_str_ne(json_string_value(json_object_get(b, "safety")), "safe");
    json_decref(plan);
    const char *apply_with_flag[] = {c->flag, with_flag[1], NULL, NULL, NULL};
    size_t n = c->flag_value ? 2 : 1;
    apply_with_flag[n] = "--apply";
    apply_with_flag[n + 1] = "--yes";
    json_t *applied = report(0, apply_with_flag);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(applied, "apply"), "outcome")),
        "verified");
    json_decref(applied);
    state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    json_t *stored = fix_backend_in(state, 2, c->case_name);
    if (strcmp(c->field, "use_ssl") == 0) {
        ck_assert_str_eq(fix_field(stored, "use_ssl"), "false");
        ck_assert_str_eq(fix_field(stored, "port"), "80");
    } else {
        ck_assert_ptr_nonnull(strstr(fix_field(stored, "ssl_ca_cert"), "BEGIN CERTIFICATE"));
    }
    json_decref(state);
}
END_TEST

START_TEST(an_unrelated_certificate_name_needs_accept_cert_hostname)
{
    /* The backend's names are under shop.test; the origin's certificate covers
     * other.origin.test only. */
    fix_backend backend = {"hostname_mismatch", "{\"ssl_cert_hostname\":\"origin.shop.test\","
                                                "\"ssl_sni_hostname\":\"origin.shop.test\"}"};
    start(&backend, 1);
    json_t *plan = report(5, NULL);
    json_t *b = fix_report_backend(plan, "hostname_mismatch");
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "blocked");
    ck_assert_str_eq(json_string_value(json_object_get(b, "consent")),
                     "--accept-cert-hostname other.origin.test");
    json_decref(plan);

    /* Consent for another name does not do. */
    const char *wrong[] = {"--accept-cert-hostname", "www.origin.test", "--apply", "--yes", NULL};
    json_decref(report(5, wrong));
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);

    const char *right[] = {"--accept-cert-hostname", "other.origin.test", "--apply", "--yes", NULL};
    json_decref(report(0, right));
    json_t *state = fix_written(&env);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "hostname_mismatch"), "ssl_cert_hostname"),
                     "other.origin.test");
    json_decref(state);
}
END_TEST

/* ---- what a person must fix ---- */

static const struct human_case {
    const char *case_name;
    const char *class;
    const char *advice;
} human_cases[] = {
    {"certificate_expired", "certificate_expired", "Renew the origin's certificate"},
    {"hostname_mismatch_expired", "hostname_mismatch", "Renew the origin's certificate"},
    {"dns_failure", "dns_failure", "Fix DNS"},
    {"connection_refused", "connection_refused", "Fastly connects from"},
    {"connection_timeout_silent", "connection_timeout", "did not answer within"},
    {"tlsv1_alert_internal_error", "tlsv1_alert_internal_error", "internal_error alert"},
    {"rc4_cipher", "rc4_cipher", "offers only RC4"},
    {"client_cert_required", "handshake_failure", "requires a client certificate (mutual TLS)"},
    {"certificate_not_yet_valid", "certificate_not_yet_valid", "renewing will not help"},
    {"unsuitable_certificate_purpose", "unsuitable_certificate_purpose", "get one with serverAuth"},
    {"name_constraints_violation", "name_constraints_violation", "may not certify its names"},
    {"invalid_ca", "invalid_ca", "is not a CA certificate"},
    {"unhandled_critical_extension", "unhandled_critical_extension", "reissued without it"},
};

START_TEST(a_problem_for_a_person_is_explained_and_nothing_written)
{
    const struct human_case *c = &human_cases[_i];
    fix_backend backend = {c->case_name, NULL};
    start(&backend, 1);
    json_t *plan = report(5, apply_args);
    json_t *b = fix_report_backend(plan, c->case_name);
    ck_assert_str_eq(json_string_value(json_object_get(b, "class")), c->class);
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "needs_human");
    ck_assert_msg(strstr(json_string_value(json_object_get(b, "advice")), c->advice), "advice: %s",
                  json_string_value(json_object_get(b, "advice")));
    ck_assert_uint_eq(json_array_size(json_object_get(b, "changes")), 0);
    if (strcmp(c->case_name, "connection_refused") == 0)
        ck_assert_uint_gt(
            json_array_size(json_object_get(json_object_get(plan, "fastly_ip_ranges"), "ipv4")), 0);
    json_decref(plan);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

/* An origin that requires a client certificate, behind a wrong certificate hostname: the
 * name is what Fastly reports first, but setting it right is no fix while the origin still
 * refuses the handshake, so nothing is offered and nothing written. */
START_TEST(a_name_fix_that_mutual_tls_still_refuses_is_not_offered)
{
    fix_backend backend = {"client_cert_required", "{\"ssl_cert_hostname\":\"other.origin.test\"}"};
    start(&backend, 1);
    json_t *plan = report(5, apply_args);
    json_t *b = fix_report_backend(plan, "client_cert_required");
    ck_assert_str_eq(json_string_value(json_object_get(b, "class")), "hostname_mismatch");
    ck_assert_str_eq(json_string_value(json_object_get(b, "status")), "needs_human");
    ck_assert_uint_eq(json_array_size(json_object_get(b, "changes")), 0);
    /* The name fix was tried, and the origin still refused. */
    bool tried = false;
    size_t i;
    json_t *attempt;
    json_array_foreach(json_object_get(b, "attempts"), i, attempt)
    {
        const char *summary = json_string_value(json_object_get(attempt, "summary"));
        const char *class = json_string_value(json_object_get(attempt, "class"));
        tried |= strstr(summary, "set ssl_cert_hostname to www.origin.test") != NULL &&
                 strcmp(class, "handshake_failure") == 0;
    }
    ck_assert_msg(tried, "the name fix was not proven to fail");
    /* The advice names the real cause, not another name to accept. */
    const char *advice = json_string_value(json_object_get(b, "advice"));
    ck_assert_msg(strstr(advice, "requires a client certificate (mutual TLS)") &&
                      strstr(advice, "ssl_client_cert") && !strstr(advice, "--accept-cert"),
                  "%s", advice);
    json_decref(plan);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

/* Hostile origins (random bytes, a reset, a 64 KiB record header, one byte every 250 ms):
 * a defined answer in bounded time, and nothing written. */
static const char *const hostile_cases[] = {"hostile_garbage", "hostile_reset",
                                            "hostile_huge_record", "hostile_slow_drip"};

START_TEST(a_hostile_origin_gets_an_answer_and_no_change)
{
    fix_backend backend = {hostile_cases[_i], NULL};
    start(&backend, 1);
    double started = fo_now_ms();
    const char *args[] = {"--service", FIX_SERVICE, "--apply", "--yes", "--json", NULL};
    tb_run run;
    json_t *json = NULL;
    fix_run(&run, &json, &env, args);
    ck_assert_msg(fo_now_ms() - started < 60000, "took %.0f ms", fo_now_ms() - started);
    ck_assert_msg(run.exit_code == 5, "%s: exit %d: %s", hostile_cases[_i], run.exit_code, run.err);
    json_t *b = fix_report_backend(json, hostile_cases[_i]);
    const char *status = json_string_value(json_object_get(b, "status"));
    ck_assert_msg(strcmp(status, "needs_human") == 0 || strcmp(status, "blocked") == 0, "status %s",
                  status);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(b, "advice")));
    json_decref(json);
    tb_run_free(&run);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

/* ---- several backends ---- */

START_TEST(several_backends_are_fixed_in_one_version_and_the_rest_explained)
{
    const fix_backend backends[] = {{"healthy", NULL},
                                    {"hostname_mismatch", NULL},
                                    {"certificate_expired", NULL},
                                    {"sni_required_fail", NULL}};
    start(backends, 4);
    tb_run run;
    const char *text_args[] = {"--service", FIX_SERVICE, NULL};
    fix_run(&run, NULL, &env, text_args);
    ck_assert_int_eq(run.exit_code, 5);
    /* The text plan: each backend, its class, the field diff. */
    ck_assert_ptr_nonnull(strstr(run.out, "backend hostname_mismatch (127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(run.out, "- ssl_cert_hostname: \"www.origin.test\"\n"));
    ck_assert_ptr_nonnull(strstr(run.out, "+ ssl_cert_hostname: \"other.origin.test\"\n"));
    ck_assert_ptr_nonnull(strstr(run.out, "certificate_expired  Certificate has expired"));
    ck_assert_ptr_nonnull(strstr(run.out, "2 fixes to apply, 1 needing a person, 1 ok."));
    ck_assert_ptr_null(strstr(run.out, "\033[")); /* not a terminal: no colour */
    tb_run_free(&run);

    json_t *applied = report(5, apply_args);
    json_t *steps = json_object_get(json_object_get(applied, "apply"), "steps");
    size_t updates = 0, i;
    json_t *step;
    json_array_foreach(steps, i, step)
    {
        ck_assert(json_is_true(json_object_get(step, "ok")));
        updates += strcmp(json_string_value(json_object_get(step, "step")), "update") == 0;
    }
    ck_assert_uint_eq(updates, 2);
    json_decref(applied);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "hostname_mismatch"), "ssl_cert_hostname"),
                     "other.origin.test");
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "sni_required_fail"), "ssl_sni_hostname"),
                     "www.origin.test");
    ck_assert_str_eq(
        fix_field(fix_backend_in(state, 2, "certificate_expired"), "ssl_cert_hostname"),
        "www.origin.test");
    ck_assert_ptr_null(fix_version(state, 3));
    json_decref(state);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 6); /* clone, comment, two updates, activate, verified mark */

    /* Again: the expired certificate still needs a person; nothing is written. */
    size_t before = fix_log_lines(&env);
    json_decref(report(5, apply_args));
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

/* ---- the apply story in every diff layout ---- */

/* How the stand-in writes Fastly's diff: the layout recorded (name first), every key sorted,
 * and name last with every string double-quoted. Fastly's own layout of a changed item was
 * never recorded: fixorigin must fix the service whichever it is. */
static const char *const diff_layouts[][5] = {
    {"--diff-keys", "name-first", NULL, NULL},
    {"--diff-keys", "sorted", NULL, NULL},
    {"--diff-keys", "name-last", "--diff-quotes", "double"},
};

/* The report's step `name` (borrowed), or NULL. */
static json_t *step_of(const json_t *report, const char *name)
{
    size_t i;
    json_t *step;
    json_array_foreach(json_object_get(json_object_get(report, "apply"), "steps"), i, step)
    {
        if (strcmp(json_string_value(json_object_get(step, "step")), name) == 0)
            return step;
    }
    return NULL;
}

START_TEST(the_apply_story_holds_in_every_diff_layout)
{
    /* Names YAML must quote (": ", a quote, a leading "-", a space), a certificate to add,
     * and a fix that needs consent. */
    const fix_backend backends[] = {
        {"hostname_mismatch", "{\"name\":\"Host 1: it's\"}"},
        {"unable_to_verify_first_certificate", "{\"name\":\"-chain\"}"},
        {"self_signed_certificate", "{\"name\":\"self signed\"}"},
        {"healthy", NULL},
    };
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_start(&env, &fx_tb, backends, 4, NULL, diff_layouts[_i]);

    /* Plan: two safe fixes, one waiting for consent; nothing written. */
    json_t *plan = report(5, NULL);
    ck_assert_str_eq(
        json_string_value(json_object_get(fix_report_backend(plan, "Host 1: it's"), "status")),
        "fix");
    ck_assert_str_eq(
        json_string_value(json_object_get(fix_report_backend(plan, "self signed"), "status")),
        "blocked");
    json_decref(plan);

    /* Apply: the safe fixes, verified; the draft compared as data; Fastly's diff shown and
     * read whatever its layout. */
    json_t *applied = report(5, apply_args);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(applied, "apply"), "outcome")),
        "verified");
    json_t *compare = step_of(applied, "compare");
    ck_assert_ptr_nonnull(compare);
    ck_assert(json_is_true(json_object_get(compare, "ok")));
    json_t *diff = step_of(applied, "diff");
    const char *message = json_string_value(json_object_get(diff, "message"));
    ck_assert_msg(strstr(message, "backends 'Host 1: it's' ssl_cert_hostname") &&
                      strstr(message, "backends '-chain' ssl_ca_cert") &&
                      !strstr(message, "self signed") && !strstr(message, "healthy"),
                  "%s: %s", diff_layouts[_i][1], message);
    const char *shown = json_string_value(json_object_get(diff, "diff"));
    ck_assert_ptr_nonnull(strstr(shown, "certificate text)"));
    ck_assert_ptr_null(strstr(shown, "BEGIN CERTIFICATE"));
    json_decref(applied);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "Host 1: it's"), "ssl_cert_hostname"),
                     "other.origin.test");
    ck_assert_ptr_nonnull(
        strstr(fix_field(fix_backend_in(state, 2, "-chain"), "ssl_ca_cert"), "BEGIN CERTIFICATE"));
    json_decref(state);

    /* Again: nothing safe is left to do; nothing is written. */
    size_t before = fix_log_lines(&env), requests, writes;
    json_t *again = report(5, apply_args);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(again, "apply"), "outcome")),
                     "nothing");
    json_decref(again);
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);

    /* With consent: the last fix, verified in version 3. */
    const char *consent[] = {"--trust-presented-ca", "--apply", "--yes", NULL};
    applied = report(0, consent);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(applied, "apply"), "outcome")),
        "verified");
    message = json_string_value(json_object_get(step_of(applied, "diff"), "message"));
    ck_assert_msg(strstr(message, "backends 'self signed' ssl_ca_cert"), "%s", message);
    json_decref(applied);
    state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 3);
    json_decref(state);
}
END_TEST

Suite *fix_classes_suite(void)
{
    Suite *s = suite_create("fix_classes");
    TCase *tc = tcase_create("classes");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, a_safe_fix_is_planned_proven_applied_and_then_nothing_is_left, 0,
                        sizeof(safe_cases) / sizeof(safe_cases[0]));
    tcase_add_loop_test(tc, without_consent_nothing_unsafe_is_written, 0,
                        sizeof(consent_cases) / sizeof(consent_cases[0]));
    tcase_add_test(tc, a_pinned_fingerprint_trusts_only_that_certificate);
    tcase_add_test(tc, an_unrelated_certificate_name_needs_accept_cert_hostname);
    tcase_add_loop_test(tc, a_problem_for_a_person_is_explained_and_nothing_written, 0,
                        sizeof(human_cases) / sizeof(human_cases[0]));
    tcase_add_test(tc, a_name_fix_that_mutual_tls_still_refuses_is_not_offered);
    tcase_add_loop_test(tc, a_hostile_origin_gets_an_answer_and_no_change, 0,
                        sizeof(hostile_cases) / sizeof(hostile_cases[0]));
    tcase_add_test(tc, several_backends_are_fixed_in_one_version_and_the_rest_explained);
    tcase_add_loop_test(tc, the_apply_story_holds_in_every_diff_layout, 0,
                        sizeof(diff_layouts) / sizeof(diff_layouts[0]));
    suite_add_tcase(s, tc);
    return s;
}
