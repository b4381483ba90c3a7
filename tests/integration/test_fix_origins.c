/* Every TLS origin a service has, each fixed where it is defined: an API backend, a
 * backend declared in the main custom VCL, one in an init snippet (CRLF, a PEM inserted),
 * one in a dynamic snippet (only with --allow-dynamic-snippet, its old text written back
 * when it does not verify), and a pool whose servers share its TLS settings. The real
 * fixorigin binary against fastly-mock and the testbed origins. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix_harness.h"
#include "scanserve_fixture.h"
#include "fixorigin/fo.h"

Suite *fix_origins_suite(void);

static fix_env env;

static char main_vcl[512], init_snippet[512], dynamic_text[512];

/* The service: API backend hostname_mismatch; vcl_origin in main VCL on sni_required_cert;
 * init_origin in snippet "backends" on unable_to_verify_first_certificate; dyn_origin in
 * dynamic snippet "live" on handshake_failure_tls13_only; pool "lb" of three servers on
 * sni_required_cert and sni_required_fail (both want the SNI name the pool lacks) and healthy
 * (fine, and still fine with that name: the pool's fix is proven on it too). */
static const char *third_server = "healthy"; /* the pool's third server's testbed case */

static void start(const char *broken_vcl, const char *const *mock_args)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_backend api = {"hostname_mismatch", NULL};
    char *text = fix_state(&fx_tb, &api, 1, NULL);
    json_error_t jerr;
    json_t *state = json_loads(text, 0, &jerr);
    free(text);
    ck_assert_ptr_nonnull(state);
    json_t *service = json_array_get(json_object_get(state, "services"), 0);
    json_t *version = json_array_get(json_object_get(service, "versions"), 0);
    long sni_port = fx_case_port(fx_case(&fx_tb, "sni_required_cert"));
    long fail_port = fx_case_port(fx_case(&fx_tb, "sni_required_fail"));
    long chain_port = fx_case_port(fx_case(&fx_tb, "unable_to_verify_first_certificate"));
    long tls13_port = fx_case_port(fx_case(&fx_tb, "handshake_failure_tls13_only"));
    long healthy_port = fx_case_port(fx_case(&fx_tb, third_server));
    snprintf(main_vcl, sizeof(main_vcl),
             "# main VCL { \"not a string\n"
             "backend vcl_origin {\n"
             "    .host = \"127.0.0.1\";\n"
             "    .port = \"%ld\";\n"
             "    .ssl = true;\n"
             "    .ssl_cert_hostname = \"www.origin.test\"; /* } */\n"
             "}\n"
             "\n"
             "sub vcl_recv {\n"
             "#FASTLY recv\n"
             "  set req.backend = vcl_origin;\n"
             "}\n",
             sni_port);
    snprintf(init_snippet, sizeof(init_snippet),
             "backend init_origin {\r\n"
             "\t.host = \"127.0.0.1\";\r\n"
             "\t.port = \"%ld\";\r\n"
             "\t.ssl = true;\r\n"
             "\t.ssl_cert_hostname = \"www.origin.test\";\r\n"
             "\t.ssl_sni_hostname = \"www.origin.test\";\r\n"
             "\t.prefer_ipv6 = true;\r\n"
             "}\r\n",
             chain_port);
    snprintf(dynamic_text, sizeof(dynamic_text),
             "backend dyn_origin { .host = \"127.0.0.1\"; .port = \"%ld\"; .ssl = true; "
             ".ssl_cert_hostname = \"www.origin.test\"; .ssl_sni_hostname = \"www.origin.test\"; "
             ".max_tls_version = \"1.2\"; }\n",
             tls13_port);
    json_t *vcls = json_pack("[{s:s,s:b,s:s}]", "name", "main", "main", 1, "content", main_vcl);
    if (broken_vcl)
        json_array_append_new(
            vcls, json_pack("{s:s,s:b,s:s}", "name", "extra", "main", 0, "content", broken_vcl));
    json_object_set_new(version, "vcls", vcls);
    json_object_set_new(version, "snippets",
                        json_pack("[{s:s,s:s,s:s},{s:s,s:s,s:b,s:s}]", "name", "backends", "type",
                                  "init", "content", init_snippet, "name", "live", "type", "init",
                                  "dynamic", 1, "id", "DYN1"));
    json_object_set_new(version, "pools",
                        json_pack("[{s:s,s:s,s:b,s:s}]", "name", "lb", "id", "POOL1", "use_tls", 1,
                                  "tls_cert_hostname", "www.origin.test"));
    json_object_set_new(service, "dynamic_snippets", json_pack("{s:s}", "DYN1", dynamic_text));
    json_object_set_new(service, "pool_servers",
                        json_pack("{s:[{s:s,s:i},{s:s,s:i},{s:s,s:i}]}", "POOL1", "address",
                                  "127.0.0.1", "port", (int)sni_port, "address", "127.0.0.1",
                                  "port", (int)fail_port, "address", "127.0.0.1", "port",
                                  (int)healthy_port));
    text = json_dumps(state, JSON_INDENT(1));
    json_decref(state);
    memset(&env, 0, sizeof(env));
    mock_start(&env.mock, text, mock_args);
    free(text);
    snprintf(env.token_env, sizeof(env.token_env), "FASTLY_API_TOKEN=%s", MOCK_TOKEN);
    snprintf(env.endpoint_env, sizeof(env.endpoint_env), "FASTLY_API_ENDPOINT=http://127.0.0.1:%u",
             env.mock.port);
}

static void setup(void)
{
    memset(&env, 0, sizeof(env));
    third_server = "healthy";
}

static void teardown(void)
{
    if (env.mock.dir[0])
        fix_stop(&env);
}

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
    tb_run_free(&run);
    return json;
}

static const char *field(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static json_t *named(json_t *list, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (strcmp(field(item, "name"), name) == 0)
            return item;
    }
    return NULL;
}

/* The stored text of VCL file or snippet `name` in version `number` of the written state. */
static const char *stored_text(json_t *state, long number, const char *list, const char *name)
{
    json_t *item = named(json_object_get(fix_version(state, number), list), name);
    return item ? field(item, "content") : NULL;
}

static json_t *service_of(json_t *state)
{
    return json_array_get(json_object_get(state, "services"), 0);
}

START_TEST(each_origin_is_found_with_its_source_and_planned_where_it_is_defined)
{
    start(NULL, NULL);
    json_t *plan = report(5, NULL); /* the dynamic snippet's fix waits for its consent */
    json_t *backends = json_object_get(plan, "backends");
    ck_assert_uint_eq(json_array_size(backends), 7);
    struct {
        const char *name, *source, *status, *field;
    } want[] = {
        {"hostname_mismatch", "backend", "fix", "ssl_cert_hostname"},
        {"vcl_origin", "vcl:main", "fix", "ssl_sni_hostname"},
        {"init_origin", "snippet:backends", "fix", "ssl_ca_cert"},
        {"dyn_origin", "dynamic_snippet:live", "blocked", "max_tls_version"},
        {NULL, "pool:lb/127.0.0.1:", "fix", "ssl_sni_hostname"},
        {NULL, "pool:lb/127.0.0.1:", "fix", "ssl_sni_hostname"},
        {NULL, "pool:lb/127.0.0.1:", "ok", NULL},
    };
    for (size_t i = 0; i < 7; i++) {
        json_t *b = json_array_get(backends, i);
        if (want[i].name)
            ck_assert_str_eq(field(b, "name"), want[i].name);
        ck_assert_msg(strncmp(field(b, "source"), want[i].source, strlen(want[i].source)) == 0,
                      "%zu: source %s", i, field(b, "source"));
        ck_assert_msg(strcmp(field(b, "status"), want[i].status) == 0, "%s: %s (%s)",
                      field(b, "source"), field(b, "status"), field(b, "advice"));
        if (want[i].field)
            ck_assert_str_eq(field(json_array_get(json_object_get(b, "changes"), 0), "field"),
                             want[i].field);
    }
    /* The VCL-declared fixes come with a unified diff of their file: one added line. */
    const char *diff = field(json_array_get(backends, 1), "text_diff");
    ck_assert_msg(strstr(diff, "--- vcl:main\n+++ vcl:main (planned)\n@@ -4,6 +4,7 @@\n") &&
                      strstr(diff, "+    .ssl_sni_hostname = \"www.origin.test\";\n }\n"),
                  "%s", diff);
    diff = field(json_array_get(backends, 2), "text_diff");
    ck_assert_ptr_nonnull(strstr(diff, "+\t.ssl_ca_cert = {\"-----BEGIN CERTIFICATE-----\n"));
    ck_assert_str_eq(field(json_array_get(backends, 3), "consent"), "--allow-dynamic-snippet");
    /* The declaration's .prefer_ipv6 reaches the probe; one that does not say is false on a
     * VCL service. */
    json_t *settings = json_object_get(
        json_object_get(json_object_get(json_array_get(backends, 2), "probe"), "target"),
        "settings");
    ck_assert(json_is_true(json_object_get(settings, "prefer_ipv6")));
    settings = json_object_get(
        json_object_get(json_object_get(json_array_get(backends, 1), "probe"), "target"),
        "settings");
    ck_assert(json_is_false(json_object_get(settings, "prefer_ipv6")));
    ck_assert_str_eq(field(json_array_get(backends, 0), "text_diff"), "");
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "notes")), 0);
    json_decref(plan);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

START_TEST(apply_fixes_each_origin_where_it_is_defined_and_a_second_run_finds_nothing)
{
    start(NULL, NULL);
    const char *apply[] = {"--apply", "--yes", NULL};
    json_t *applied = report(5, apply); /* the dynamic snippet still waits */
    ck_assert_str_eq(field(json_object_get(applied, "apply"), "outcome"), "verified");
    json_decref(applied);

    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "hostname_mismatch"), "ssl_cert_hostname"),
                     "other.origin.test");
    /* main VCL: exactly one line added inside the declaration, every other byte as it was. */
    const char *vcl = stored_text(state, 2, "vcls", "main");
    const char *anchor = "/* } */\n";
    size_t head = (size_t)(strstr(main_vcl, anchor) - main_vcl) + strlen(anchor);
    ck_assert_int_eq(strncmp(vcl, main_vcl, head), 0);
    char expect[1024];
    snprintf(expect, sizeof(expect), "%.*s    .ssl_sni_hostname = \"www.origin.test\";\n%s",
             (int)head, main_vcl, main_vcl + head);
    ck_assert_str_eq(vcl, expect);
    ck_assert_str_eq(stored_text(state, 1, "vcls", "main"), main_vcl);
    /* init snippet: the PEM, in the file's CRLF, indented with its tab. */
    const char *snippet = stored_text(state, 2, "snippets", "backends");
    ck_assert_ptr_nonnull(strstr(snippet, "\t.prefer_ipv6 = true;\r\n"
                                          "\t.ssl_ca_cert = {\"-----BEGIN CERTIFICATE-----\r\n"));
    ck_assert_ptr_nonnull(strstr(snippet, "-----END CERTIFICATE-----\r\n\"};\r\n}\r\n"));
    ck_assert_int_eq(strncmp(snippet, init_snippet, strlen(init_snippet) - 3), 0);
    /* The pool's own field, for both its servers. */
    json_t *pool = named(json_object_get(fix_version(state, 2), "pools"), "lb");
    ck_assert_str_eq(field(pool, "tls_sni_hostname"), "www.origin.test");
    /* The dynamic snippet is untouched without its consent. */
    ck_assert_str_eq(field(json_object_get(service_of(state), "dynamic_snippets"), "DYN1"),
                     dynamic_text);
    json_decref(state);

    /* With consent the dynamic snippet is written, verified, and nothing else is made. */
    const char *dyn[] = {"--apply", "--yes", "--allow-dynamic-snippet", NULL};
    applied = report(0, dyn);
    ck_assert_str_eq(field(json_object_get(applied, "apply"), "outcome"), "verified");
    json_decref(applied);
    state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    const char *live = field(json_object_get(service_of(state), "dynamic_snippets"), "DYN1");
    ck_assert_ptr_nonnull(strstr(live, ".max_tls_version = \"1.3\"; }\n"));
    json_decref(state);

    /* A second run: nothing to fix, nothing written. */
    size_t before = fix_log_lines(&env);
    json_t *again = report(0, dyn);
    ck_assert_str_eq(field(json_object_get(again, "apply"), "outcome"), "nothing");
    json_decref(again);
    size_t requests, writes;
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

START_TEST(a_vcl_fix_that_does_not_verify_is_rolled_back)
{
    /* The active version's VCL cannot be read back after activation (2nd read of the
     * draft's list: the first is the structural check). */
    const char *fail[] = {"--fail", "GET:/service/*/version/2/vcl:2:404", NULL};
    start(NULL, fail);
    const char *apply[] = {"--apply", "--yes", NULL};
    json_t *applied = report(3, apply);
    ck_assert_str_eq(field(json_object_get(applied, "apply"), "outcome"), "rolled_back");
    json_decref(applied);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1);
    json_decref(state);
}
END_TEST

START_TEST(a_dynamic_snippet_that_does_not_verify_gets_its_old_text_back)
{
    /* Reads of the dynamic snippet: 1 plan, 2 before writing, 3 verification (fails). */
    const char *fail[] = {"--fail", "GET:/service/*/snippet/DYN1:3:404", NULL};
    start(NULL, fail);
    const char *args[] = {"--apply",   "--yes",      "--allow-dynamic-snippet",
                          "--backend", "dyn_origin", NULL};
    json_t *applied = report(3, args);
    json_t *apply = json_object_get(applied, "apply");
    ck_assert_str_eq(field(apply, "outcome"), "rolled_back");
    bool said = false;
    size_t i;
    json_t *step;
    json_array_foreach(json_object_get(apply, "steps"), i, step)
    {
        said = said || strstr(field(step, "message"), "no version to roll back to") != NULL;
    }
    ck_assert_msg(said, "the report does not say there was no version to roll back to");
    json_decref(applied);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1); /* no version was made */
    ck_assert_str_eq(field(json_object_get(service_of(state), "dynamic_snippets"), "DYN1"),
                     dynamic_text);
    json_decref(state);
}
END_TEST

START_TEST(a_compile_error_stops_the_run_and_is_shown)
{
    /* Another file the active version holds that does not compile (a stand-in for a
     * compile error): validation refuses the draft and nothing is activated. */
    start("backend odd { .host = \"x.test\"; .port = 443; }\n", NULL);
    const char *apply[] = {"--apply", "--yes", "--backend", "vcl_origin", NULL};
    json_t *applied = report(1, apply);
    json_t *apply_json = json_object_get(applied, "apply");
    ck_assert_str_eq(field(apply_json, "outcome"), "failed");
    ck_assert_msg(
        strstr(field(apply_json, "error"), "Expected a STRING for '.port' in backend odd"),
        "the compile error is not shown: %s", field(apply_json, "error"));
    json_decref(applied);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1);
    json_decref(state);
}
END_TEST

START_TEST(a_pool_whose_servers_want_different_changes_is_left_to_a_person)
{
    /* The third server's certificate names another host: it wants ssl_cert_hostname, the
     * others the SNI name, and they all share the pool's settings. */
    third_server = "hostname_mismatch";
    start(NULL, NULL);
    json_t *plan = report(5, NULL);
    json_t *backends = json_object_get(plan, "backends");
    size_t pool_servers = 0;
    size_t i;
    json_t *b;
    json_array_foreach(backends, i, b)
    {
        if (strncmp(field(b, "source"), "pool:lb/", 8) != 0)
            continue;
        pool_servers++;
        ck_assert_str_eq(field(b, "status"), "needs_human");
        ck_assert_ptr_nonnull(strstr(field(b, "advice"), "share the pool's TLS settings"));
    }
    ck_assert_uint_eq(pool_servers, 3);
    json_decref(plan);
}
END_TEST

START_TEST(scan_only_safe_fixes_each_origin_but_never_a_dynamic_snippet)
{
    start(NULL, NULL);
    char state_dir[600], trust_env[700];
    snprintf(state_dir, sizeof(state_dir), "%s", mock_path(&env.mock, "scan-state"));
    snprintf(trust_env, sizeof(trust_env), "FIXORIGIN_TRUST_BUNDLE=%s", fx_tb.trust_bundle);
    const char *argv[] = {fx_bin("fixorigin"), "scan",  "--service", FIX_SERVICE, "--apply",
                          "--only-safe",       "--yes", "--format",  "json",      "--state-dir",
                          state_dir,           NULL};
    const char *envp[] = {env.token_env, env.endpoint_env, "FASTLY_API_KEY=", trust_env, NULL};
    tb_run run;
    fx_run_argv(&run, argv, envp, 120000);
    ck_assert_msg(!run.timed_out, "scan timed out");
    /* The dynamic snippet's fix waits for a person: needs_human. */
    ck_assert_msg(run.exit_code == 5, "exit %d: %s%s", run.exit_code, run.err, run.out);
    json_error_t jerr;
    json_t *doc = json_loads(run.out, 0, &jerr);
    ck_assert_msg(doc != NULL, "not JSON: %s", run.out);
    json_t *svc = json_array_get(json_object_get(doc, "services"), 0);
    json_t *backends = json_object_get(svc, "backends");
    ck_assert_str_eq(field(json_array_get(backends, 1), "source"), "vcl:main");
    ck_assert_str_eq(field(json_array_get(backends, 3), "source"), "dynamic_snippet:live");
    ck_assert_str_eq(field(json_array_get(backends, 3), "status"), "blocked");
    json_decref(doc);
    tb_run_free(&run);

    /* The text says where each origin is defined too. */
    const char *text_argv[] = {fx_bin("fixorigin"), "scan", "--service", FIX_SERVICE, NULL};
    fx_run_argv(&run, text_argv, envp, 120000);
    ck_assert_msg(strstr(run.out, "  vcl_origin (vcl:main)  ok") &&
                      strstr(run.out, "  dyn_origin (dynamic_snippet:live)  handshake_failure  "
                                      "not for scan (needs --allow-dynamic-snippet)"),
                  "%s", run.out);
    tb_run_free(&run);

    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_ptr_nonnull(
        strstr(stored_text(state, 2, "vcls", "main"), ".ssl_sni_hostname = \"www.origin.test\";"));
    ck_assert_ptr_nonnull(strstr(stored_text(state, 2, "snippets", "backends"), ".ssl_ca_cert"));
    ck_assert_str_eq(field(json_object_get(service_of(state), "dynamic_snippets"), "DYN1"),
                     dynamic_text);
    json_decref(state);
}
END_TEST

#define SERVE_TOKEN "serve-token-origins-0123456789"

/* serve answers a chat bot's plan and apply: each origin is planned and fixed where it is
 * defined, and the dynamic snippet's fix is never applied through it. */
START_TEST(serve_plans_and_applies_each_origin_but_never_a_dynamic_snippet)
{
    start(NULL, NULL);
    ss_fleet fleet;
    memset(&fleet, 0, sizeof(fleet));
    /* serve's files go in the stand-in's directory, which the test removes. */
    ck_assert_uint_lt(strlen(env.mock.dir), 60);
    snprintf(fleet.dir, sizeof(fleet.dir), "%.63s", env.mock.dir);
    snprintf(fleet.state_dir, sizeof(fleet.state_dir), "%.63s/serve-state", env.mock.dir);
    snprintf(fleet.env_endpoint, sizeof(fleet.env_endpoint), "%s", env.endpoint_env);
    snprintf(fleet.env_token, sizeof(fleet.env_token), "%s", env.token_env);
    snprintf(fleet.env_trust, sizeof(fleet.env_trust), "FIXORIGIN_TRUST_BUNDLE=%s",
             fx_tb.trust_bundle);
    fleet.env[0] = fleet.env_endpoint;
    fleet.env[1] = fleet.env_token;
    fleet.env[2] = fleet.env_trust;
    ss_serve srv;
    const char *const serve_env[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN, NULL};
    ss_serve_start(&srv, &fleet, NULL, serve_env);
    const char *headers[] = {"Authorization: Bearer " SERVE_TOKEN, "Content-Type: application/json",
                             NULL};
    http_resp r;
    ss_http(&r, srv.port, "POST", "/v1/plan", headers, "{\"service_id\":\"" FIX_SERVICE "\"}",
            false);
    ck_assert_msg(r.status == 200 && r.json, "plan: %ld %s", r.status, r.body);
    json_t *report = json_object_get(r.json, "report");
    json_t *backends = json_object_get(report, "backends");
    ck_assert_str_eq(field(json_array_get(backends, 1), "source"), "vcl:main");
    ck_assert_str_eq(field(json_array_get(backends, 2), "source"), "snippet:backends");
    ck_assert_str_eq(field(json_array_get(backends, 3), "status"), "blocked");
    char body[200];
    snprintf(body, sizeof(body), "{\"service_id\":\"%s\",\"plan_id\":\"%s\"}", FIX_SERVICE,
             field(r.json, "plan_id"));
    http_free(&r);
    ss_http(&r, srv.port, "POST", "/v1/apply", headers, body, false);
    ck_assert_msg(r.status == 200 && r.json, "apply: %ld %s", r.status, r.body);
    ck_assert_str_eq(field(json_object_get(json_object_get(r.json, "report"), "apply"), "outcome"),
                     "verified");
    http_free(&r);
    ss_serve_stop(&srv);

    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_ptr_nonnull(
        strstr(stored_text(state, 2, "vcls", "main"), ".ssl_sni_hostname = \"www.origin.test\";"));
    ck_assert_ptr_nonnull(strstr(stored_text(state, 2, "snippets", "backends"), ".ssl_ca_cert"));
    ck_assert_str_eq(
        field(named(json_object_get(fix_version(state, 2), "pools"), "lb"), "tls_sni_hostname"),
        "www.origin.test");
    ck_assert_str_eq(field(json_object_get(service_of(state), "dynamic_snippets"), "DYN1"),
                     dynamic_text);
    json_decref(state);
}
END_TEST

Suite *fix_origins_suite(void)
{
    Suite *s = suite_create("fix_origins");
    TCase *tc = tcase_create("origins");
    tcase_set_timeout(tc, 240);
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, each_origin_is_found_with_its_source_and_planned_where_it_is_defined);
    tcase_add_test(tc, apply_fixes_each_origin_where_it_is_defined_and_a_second_run_finds_nothing);
    tcase_add_test(tc, a_vcl_fix_that_does_not_verify_is_rolled_back);
    tcase_add_test(tc, a_dynamic_snippet_that_does_not_verify_gets_its_old_text_back);
    tcase_add_test(tc, a_compile_error_stops_the_run_and_is_shown);
    tcase_add_test(tc, scan_only_safe_fixes_each_origin_but_never_a_dynamic_snippet);
    tcase_add_test(tc, a_pool_whose_servers_want_different_changes_is_left_to_a_person);
    tcase_add_test(tc, serve_plans_and_applies_each_origin_but_never_a_dynamic_snippet);
    suite_add_tcase(s, tc);
    return s;
}
