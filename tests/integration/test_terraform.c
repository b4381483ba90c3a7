/* Terraform awareness end to end, against fastly-mock and testbed-origins: a service whose
 * comment is terraform-provider-fastly's default ("Managed by Terraform"), one whose active
 * version says so, and one the user names with --terraform get the plan's warning (text and
 * JSON, valid against report.json); --emit terraform prints the fix as a backend block and
 * writes nothing; scan --apply and serve's apply skip such services unless told to. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanserve_fixture.h"

Suite *terraform_suite(void);

#define SERVE_TOKEN "serve-token-0123456789abcdef"
#define AUTH "Authorization: Bearer " SERVE_TOKEN

static const ss_service services[] = {
    {"TF", {"hostname_mismatch"}},
    {"TFV", {"hostname_mismatch"}},
    {"PLAIN", {"hostname_mismatch"}},
};
static const ss_comment comments[] = {
    {"TF", "Managed by Terraform", "base"},
    {"TFV", "shop", "Managed by Terraform"},
};

static ss_fleet f;

static void setup(void)
{
    ss_fleet_start_comments(&f, services, sizeof(services) / sizeof(services[0]), comments,
                            sizeof(comments) / sizeof(comments[0]), NULL);
}

static void teardown(void)
{
    ss_fleet_stop(&f);
}

static int run(tb_run *r, json_t **json, const char *const *args)
{
    int code = ss_fixorigin(r, &f, args, NULL, 120000);
    if (json) {
        json_error_t jerr;
        *json = json_loads(r->out, 0, &jerr);
        ck_assert_msg(*json != NULL, "not JSON: %s\nstderr: %s", r->out, r->err);
    }
    return code;
}

static const char *terraform_reason(const json_t *report)
{
    return json_string_value(json_object_get(json_object_get(report, "terraform"), "reason"));
}

static size_t writes(const char *service)
{
    char glob[64];
    snprintf(glob, sizeof(glob), "/service/%s/version/*/clone", service);
    return ss_log_count(&f, "PUT", glob);
}

START_TEST(detected_by_comment_by_version_comment_and_by_flag)
{
    static const struct {
        const char *service, *flag, *reason;
    } cases[] = {
        {"TF", NULL, "the service's comment says \"Managed by Terraform\""},
        {"TFV", NULL, "the comment of active version 1 says \"Managed by Terraform\""},
        {"PLAIN", "--terraform", "you said so (--terraform)"},
        {"PLAIN", "--managed-by-terraform", "you said so (--terraform)"},
        {"PLAIN", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run r;
        json_t *report = NULL;
        const char *args[] = {"--service", cases[i].service, "--json", cases[i].flag, NULL};
        ck_assert_int_eq(run(&r, &report, args), 2);
        ss_assert_valid(&f, "report.json", r.out, false, cases[i].service);
        if (cases[i].reason) {
            ck_assert_msg(terraform_reason(report) &&
                              strstr(terraform_reason(report), cases[i].reason),
                          "case %zu: %s", i, r.out);
            ck_assert_ptr_nonnull(strstr(
                json_string_value(json_object_get(json_object_get(report, "terraform"), "warning")),
                "reverted by the next terraform apply"));
        } else {
            ck_assert_msg(json_is_null(json_object_get(report, "terraform")), "%s", r.out);
        }
        json_decref(report);
        tb_run_free(&r);
        /* The text plan says it too. */
        const char *text_args[] = {"--service", cases[i].service, cases[i].flag, NULL};
        ck_assert_int_eq(run(&r, NULL, text_args), 2);
        ck_assert_msg((strstr(r.out, "terraform: Terraform probably manages this service") &&
                       strstr(r.out, "reverted by the next\n             terraform apply")) ==
                          (cases[i].reason != NULL),
                      "case %zu: %s", i, r.out);
        tb_run_free(&r);
    }
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "*"), 0);
}
END_TEST

START_TEST(emit_terraform_prints_the_backend_block_and_writes_nothing)
{
    tb_run r;
    const char *args[] = {"--service", "TF", "--emit", "terraform", NULL};
    ck_assert_int_eq(run(&r, NULL, args), 2);
    ck_assert_msg(strstr(r.out, "# fixorigin: service \"TF\" \"TF\", active version 1, plan ") ==
                      r.out,
                  "%s", r.out);
    ck_assert_msg(strstr(r.out, "In the fastly_service_vcl resource of this service") &&
                      strstr(r.out, "\nbackend {\n"
                                    "  name              = \"b0\"\n"
                                    "  ssl_cert_hostname = \"other.origin.test\"\n"
                                    "  # every other attribute stays as it is\n"
                                    "}\n"),
                  "%s", r.out);
    ck_assert_ptr_null(strstr(r.out, "backend b0")); /* no plan text around it */
    tb_run_free(&r);
    static const struct {
        const char *args[8];
        const char *says;
    } bad[] = {
        {{"--service", "TF", "--emit", "hcl"}, "--emit takes terraform, not 'hcl'"},
        {{"--service", "TF", "--emit", "terraform", "--json"}, "takes neither --apply nor --json"},
        {{"--service", "TF", "--emit", "terraform", "--apply", "--yes"},
         "takes neither --apply nor --json"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(run(&r, NULL, bad[i].args), 64);
        ck_assert_msg(strstr(r.err, bad[i].says), "case %zu: %s", i, r.err);
        tb_run_free(&r);
    }
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "*"), 0);
}
END_TEST

START_TEST(scan_skips_a_terraform_service_unless_told)
{
    tb_run r;
    const char *args[] = {"scan",        "--service",   "TF",    "--service", "PLAIN",
                          "--apply",     "--only-safe", "--yes", "--format",  "json",
                          "--state-dir", f.state_dir,   NULL};
    ck_assert_int_eq(run(&r, NULL, args), 2); /* TF: fixes planned, not applied */
    ss_assert_valid(&f, "scan.json", r.out, false, "scan");
    json_t *out = json_loads(r.out, 0, NULL);
    json_t *tf = ss_report(json_object_get(out, "services"), "TF");
    ck_assert_str_eq(json_string_value(json_object_get(tf, "result")), "fixes_planned");
    ck_assert_msg(strstr(json_string_value(json_object_get(tf, "error")),
                         "not applied: Terraform probably manages this service"),
                  "%s", r.out);
    ck_assert(json_is_null(json_object_get(tf, "apply")));
    json_t *plain = ss_report(json_object_get(out, "services"), "PLAIN");
    ck_assert_str_eq(json_string_value(json_object_get(plain, "result")), "ok");
    json_t *summary = json_object_get(out, "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "skipped_terraform")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "applied")), 1);
    json_decref(out);
    tb_run_free(&r);
    ck_assert_uint_eq(writes("TF"), 0);
    ck_assert_uint_eq(writes("PLAIN"), 1);

    /* The text summary names the skip and the way past it. */
    const char *text_args[] = {"scan",  "--service",   "TF",        "--apply", "--only-safe",
                               "--yes", "--state-dir", f.state_dir, NULL};
    ck_assert_int_eq(run(&r, NULL, text_args), 2);
    ck_assert_msg(strstr(r.out, "1 skipped (Terraform manages them; --include-terraform)") &&
                      strstr(r.out, "  terraform: probably managed by Terraform (the service's "
                                    "comment says"),
                  "%s", r.out);
    tb_run_free(&r);
    ck_assert_uint_eq(writes("TF"), 0);

    /* Told to: applied like any other. */
    const char *include[] = {
        "scan",  "--service",           "TF",          "--apply",   "--only-safe",
        "--yes", "--include-terraform", "--state-dir", f.state_dir, NULL};
    ck_assert_int_eq(run(&r, NULL, include), 0);
    tb_run_free(&r);
    ck_assert_uint_eq(writes("TF"), 1);

    /* Without --apply there is nothing to include. */
    const char *alone[] = {"scan", "--service", "TF", "--include-terraform", NULL};
    ck_assert_int_eq(run(&r, NULL, alone), 64);
    tb_run_free(&r);
}
END_TEST

static json_t *post(unsigned port, const char *path, const char *body, long expect)
{
    http_resp r;
    const char *headers[] = {AUTH, "Content-Type: application/json", NULL};
    ss_http(&r, port, "POST", path, headers, body, false);
    ck_assert_msg(r.curl_code == 0 && r.status == expect, "POST %s: curl %d, status %ld: %s", path,
                  r.curl_code, r.status, r.body);
    json_t *json = json_incref(r.json);
    http_free(&r);
    return json;
}

/* Plans TF through serve and applies that plan id; returns the apply's answer. */
static json_t *plan_and_apply(unsigned port, long expect)
{
    char body[200];
    json_t *plan = post(port, "/v1/plan", "{\"service_id\":\"TF\"}", 200);
    ck_assert_ptr_nonnull(terraform_reason(json_object_get(plan, "report")));
    snprintf(body, sizeof(body), "{\"service_id\":\"TF\",\"plan_id\":\"%s\"}",
             json_string_value(json_object_get(plan, "plan_id")));
    json_decref(plan);
    return post(port, "/v1/apply", body, expect);
}

START_TEST(serve_refuses_to_apply_to_a_terraform_service_unless_told)
{
    static const char *const env[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN, NULL};
    ss_serve srv;
    ss_serve_start(&srv, &f, NULL, env);
    json_t *refused = plan_and_apply(srv.port, 409);
    ck_assert_str_eq(json_string_value(json_object_get(refused, "error")), "terraform_managed");
    ck_assert_str_eq(json_string_value(json_object_get(refused, "result")), "fixes_planned");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_object_get(refused, "message")), "--include-terraform"));
    char *text = json_dumps(refused, 0);
    ss_assert_valid(&f, "serve.json#/$defs/plan", text, false, "the refusal");
    free(text);
    json_decref(refused);
    ss_serve_stop(&srv);
    ck_assert_uint_eq(writes("TF"), 0);

    static const char *const include[] = {"--include-terraform", NULL};
    ss_serve_start(&srv, &f, include, env);
    json_t *applied = plan_and_apply(srv.port, 200);
    ck_assert_str_eq(json_string_value(json_object_get(applied, "result")), "ok");
    json_decref(applied);
    ss_serve_stop(&srv);
    ck_assert_uint_eq(writes("TF"), 1);
}
END_TEST

Suite *terraform_suite(void)
{
    Suite *s = suite_create("terraform");
    TCase *tc = tcase_create("terraform");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, detected_by_comment_by_version_comment_and_by_flag);
    tcase_add_test(tc, emit_terraform_prints_the_backend_block_and_writes_nothing);
    tcase_add_test(tc, scan_skips_a_terraform_service_unless_told);
    tcase_add_test(tc, serve_refuses_to_apply_to_a_terraform_service_unless_told);
    suite_add_tcase(s, tc);
    return s;
}
