/* The JSON contracts: every JSON output of the real binary, run against the testbed and the
 * stand-in, is valid against its schema in docs/schemas/ (probe, fix/plan report, scan json
 * and ndjson, show and its error object, serve's answers), checked by
 * tests/contracts/check_json.py with python3-jsonschema. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "scanserve_fixture.h"

Suite *contracts_suite(void);

enum { RUN_MS = 120000 };

#define SERVE_TOKEN "contracts-serve-token-0123456789"

static const ss_service fleet[] = {
    {"OK_A", {"healthy"}},
    {"FIX_A", {"hostname_mismatch", "healthy"}},
    {"HUMAN_A", {"certificate_expired"}},
    {"CONSENT_A", {"self_signed_certificate"}},
};

static ss_fleet f;

static void setup(void)
{
    ss_fleet_start(&f, fleet, sizeof(fleet) / sizeof(fleet[0]), NULL);
}

static void teardown(void)
{
    ss_fleet_stop(&f);
}

static void assert_valid(const char *schema, const char *text, bool ndjson, const char *what)
{
    ss_assert_valid(&f, schema, text, ndjson, what);
}

START_TEST(probe_output_matches_its_schema)
{
    static const struct {
        const char *name, *class_id;
    } cases[] = {{"healthy", "ok"},
                 {"hostname_mismatch", "hostname_mismatch"},
                 {"certificate_expired", "certificate_expired"},
                 {"self_signed_certificate", "self_signed_certificate"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run run;
        json_t *json = NULL;
        fx_probe_case(&run, &json, &f.tb, cases[i].name, NULL);
        ck_assert_msg(json_is_object(json), "%s: %s%s", cases[i].name, run.out, run.err);
        ck_assert_str_eq(json_string_value(json_object_get(json, "class")), cases[i].class_id);
        assert_valid("probe.json", run.out, false, cases[i].name);
        json_decref(json);
        tb_run_free(&run);
    }
    /* A name as the target: its "note" says what was taken from it. */
    const char *named[] = {fx_bin("fixorigin"), "probe", "--json", "nosuch.invalid:443", NULL};
    tb_run run;
    fx_run_argv(&run, named, NULL, RUN_MS);
    ck_assert_msg(run.exit_code == 2, "exit %d: %s%s", run.exit_code, run.out, run.err);
    ck_assert_ptr_nonnull(strstr(run.out, "\"note\":\"certificate hostname and SNI taken"));
    assert_valid("probe.json", run.out, false, "nosuch.invalid");
    tb_run_free(&run);
}
END_TEST

START_TEST(a_probe_that_cannot_run_prints_an_error_object)
{
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/no-such-file.pem", f.dir);
    const char *single[] = {fx_bin("fixorigin"), "probe", "--json", "--ca-file", missing,
                            "127.0.0.1:1",       NULL};
    const char *many[] = {fx_bin("fixorigin"), "probe", "--json", "--targets", missing, NULL};
    const char *const *runs[] = {single, many};
    for (size_t i = 0; i < 2; i++) {
        tb_run run;
        fx_run_argv(&run, runs[i], NULL, RUN_MS);
        ck_assert_msg(run.exit_code == 1, "exit %d: %s%s", run.exit_code, run.out, run.err);
        json_t *doc = json_loads(run.out, 0, NULL);
        ck_assert_msg(json_is_string(json_object_get(doc, "error")), "no error object: '%s'",
                      run.out);
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(doc, "error")), missing));
        ck_assert(i == 1 ||
                  json_integer_value(json_object_get(json_object_get(doc, "target"), "port")) == 1);
        json_decref(doc);
        assert_valid("probe.json#/$defs/line_error", run.out, false, runs[i][3]);
        tb_run_free(&run);
    }
}
END_TEST

START_TEST(fix_reports_match_their_schema)
{
    static const char *const services[] = {"OK_A", "FIX_A", "HUMAN_A", "CONSENT_A"};
    for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
        tb_run run;
        const char *args[] = {"--service", services[i], "--json", NULL};
        int code = ss_fixorigin(&run, &f, args, NULL, RUN_MS);
        ck_assert_msg(code >= 0 && code <= 5, "%s: exit %d: %s", services[i], code, run.err);
        assert_valid("report.json", run.out, false, services[i]);
        tb_run_free(&run);
    }
    /* An applied fix: the report's apply object and verify probes. */
    tb_run run;
    const char *apply[] = {"--service", "FIX_A", "--json", "--apply", "--yes", NULL};
    int code = ss_fixorigin(&run, &f, apply, NULL, RUN_MS);
    ck_assert_msg(code == 0, "exit %d: %s%s", code, run.out, run.err);
    assert_valid("report.json", run.out, false, "FIX_A --apply");
    tb_run_free(&run);
    /* A failure is still a report. */
    const char *missing[] = {"--service", "NOSUCH", "--json", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, missing, NULL, RUN_MS), 1);
    assert_valid("report.json", run.out, false, "NOSUCH");
    tb_run_free(&run);
}
END_TEST

START_TEST(saved_plans_match_their_schema)
{
    static const struct {
        const char *service, *consent;
        int exit_code;
    } cases[] = {{"FIX_A", NULL, 2}, {"CONSENT_A", "--trust-presented-ca", 2}, {"OK_A", NULL, 0}};
    char path[300];
    snprintf(path, sizeof(path), "%s/saved-plan.json", f.dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run run;
        const char *args[] = {"--service", cases[i].service, "--plan-out",
                              path,        cases[i].consent, NULL};
        int code = ss_fixorigin(&run, &f, args, NULL, RUN_MS);
        ck_assert_msg(code == cases[i].exit_code, "%s: exit %d: %s", cases[i].service, code,
                      run.err);
        tb_run_free(&run);
        char *text = NULL;
        fo_error e;
        ck_assert_int_eq(fo_read_file(&text, path, 1 << 22, &e), 0);
        assert_valid("saved-plan.json", text, false, cases[i].service);
        free(text);
    }
    /* apply --json: a report */
    tb_run run;
    const char *apply[] = {"apply", path, "--json", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, apply, NULL, RUN_MS), 0);
    assert_valid("report.json", run.out, false, "apply OK_A");
    tb_run_free(&run);
}
END_TEST

START_TEST(scan_json_and_ndjson_match_their_schemas)
{
    tb_run run;
    const char *json_args[] = {"scan", "--all", "--format", "json", NULL};
    int code = ss_fixorigin(&run, &f, json_args, NULL, RUN_MS);
    ck_assert_msg(code > 0, "exit %d: %s", code, run.err);
    assert_valid("scan.json", run.out, false, "scan --format json");
    tb_run_free(&run);
    const char *ndjson_args[] = {"scan", "--all", "--format", "ndjson", NULL};
    code = ss_fixorigin(&run, &f, ndjson_args, NULL, RUN_MS);
    ck_assert_msg(code > 0, "exit %d: %s", code, run.err);
    /* every line a report but the last, the closing summary */
    char *last = strrchr(run.out, '\n');
    ck_assert_ptr_nonnull(last);
    *last = '\0';
    char *summary = strrchr(run.out, '\n');
    ck_assert_ptr_nonnull(summary);
    *summary++ = '\0';
    assert_valid("scan.json", summary, false, "scan --format ndjson (summary)");
    assert_valid("report.json", run.out, true, "scan --format ndjson (reports)");
    tb_run_free(&run);
}
END_TEST

START_TEST(show_and_its_error_object_match_their_schema)
{
    tb_run run;
    const char *args[] = {"show", "--service", "FIX_A", "--json", NULL};
    int code = ss_fixorigin(&run, &f, args, NULL, RUN_MS);
    ck_assert_msg(code == 0, "exit %d: %s", code, run.err);
    assert_valid("show.json#/$defs/show", run.out, false, "show --json");
    tb_run_free(&run);
    /* A failed show --json says why on stdout too: an error object, exit 1. */
    const char *missing[] = {"show", "--service", "NOSUCH", "--json", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, missing, NULL, RUN_MS), 1);
    json_t *doc = json_loads(run.out, 0, NULL);
    ck_assert_msg(json_is_object(doc), "not a JSON object: '%s' (stderr %s)", run.out, run.err);
    const json_t *error = json_object_get(doc, "error");
    ck_assert_int_eq(json_integer_value(json_object_get(error, "exit_code")), 1);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(error, "message")), "NOSUCH"));
    json_decref(doc);
    assert_valid("error.json", run.out, false, "show --json (failed)");
    assert_valid("show.json", run.out, false, "show --json (failed)");
    tb_run_free(&run);
    /* and without --json, stdout stays empty */
    const char *text[] = {"show", "--service", "NOSUCH", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, text, NULL, RUN_MS), 1);
    ck_assert_str_eq(run.out, "");
    tb_run_free(&run);
}
END_TEST

START_TEST(a_failed_scan_listing_matches_the_scan_schema)
{
    ss_fleet_stop(&f);
    static const char *const faults[] = {"--fail", "GET:/service:*:503", NULL};
    ss_fleet_start(&f, fleet, sizeof(fleet) / sizeof(fleet[0]), faults);
    const char *const env[] = {"FIXORIGIN_API_DEADLINE_MS=1500", NULL};
    static const char *const formats[] = {"ndjson", "json"};
    for (size_t i = 0; i < 2; i++) {
        tb_run run;
        const char *args[] = {"scan", "--all", "--format", formats[i], NULL};
        ck_assert_int_eq(ss_fixorigin(&run, &f, args, env, RUN_MS), 1);
        assert_valid("scan.json", run.out, false, formats[i]);
        tb_run_free(&run);
    }
}
END_TEST

/* POST path with the serve token; returns the body (owned). */
static char *serve_post(const ss_serve *srv, const char *path, const char *body, long expect)
{
    http_resp r;
    const char *headers[] = {"Authorization: Bearer " SERVE_TOKEN, "Content-Type: application/json",
                             NULL};
    ss_http(&r, srv->port, "POST", path, headers, body, false);
    ck_assert_msg(r.curl_code == 0 && r.status == expect, "POST %s: curl %d, status %ld: %s", path,
                  r.curl_code, r.status, r.body);
    char *text = strdup(r.body);
    http_free(&r);
    return text;
}

START_TEST(serve_answers_match_their_schemas)
{
    ss_serve srv;
    const char *const env[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN, NULL};
    ss_serve_start(&srv, &f, NULL, env);
    http_resp r;
    ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
    ck_assert_int_eq(r.status, 200);
    assert_valid("serve.json#/$defs/healthz", r.body, false, "GET /healthz");
    http_free(&r);
    ss_http(&r, srv.port, "GET", "/nowhere", NULL, NULL, false);
    ck_assert_int_eq(r.status, 404);
    assert_valid("serve.json#/$defs/error", r.body, false, "GET /nowhere");
    http_free(&r);
    char *body = serve_post(&srv, "/v1/diagnose", "{\"service_id\":\"FIX_A\"}", 200);
    assert_valid("serve.json#/$defs/diagnose", body, false, "/v1/diagnose");
    free(body);
    body = serve_post(&srv, "/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    assert_valid("serve.json#/$defs/plan", body, false, "/v1/plan");
    json_t *plan = json_loads(body, 0, NULL);
    free(body);
    char apply[256];
    snprintf(apply, sizeof(apply), "{\"service_id\":\"FIX_A\",\"plan_id\":\"%s\"}",
             json_string_value(json_object_get(plan, "plan_id")));
    json_decref(plan);
    body = serve_post(&srv, "/v1/apply", apply, 200);
    assert_valid("serve.json#/$defs/plan", body, false, "/v1/apply");
    free(body);
    body = serve_post(&srv, "/v1/plan", "{}", 400);
    assert_valid("serve.json#/$defs/error", body, false, "/v1/plan without a service");
    free(body);
    ss_serve_stop(&srv);
}
END_TEST

Suite *contracts_suite(void)
{
    Suite *s = suite_create("contracts");
    TCase *tc = tcase_create("contracts");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, probe_output_matches_its_schema);
    tcase_add_test(tc, a_probe_that_cannot_run_prints_an_error_object);
    tcase_add_test(tc, fix_reports_match_their_schema);
    tcase_add_test(tc, saved_plans_match_their_schema);
    tcase_add_test(tc, scan_json_and_ndjson_match_their_schemas);
    tcase_add_test(tc, show_and_its_error_object_match_their_schema);
    tcase_add_test(tc, a_failed_scan_listing_matches_the_scan_schema);
    tcase_add_test(tc, serve_answers_match_their_schemas);
    suite_add_tcase(s, tc);
    return s;
}
