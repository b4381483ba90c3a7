/* Saved plans as `terraform plan -out` / `terraform apply PLAN`: `fixorigin --service ID
 * --plan-out FILE` writes the reviewed plan, `fixorigin apply FILE` applies exactly it while
 * it is current (the consent it was made with included), and otherwise writes nothing and
 * exits 4 showing the plan as it is now; an edited, damaged or foreign file is refused with
 * a clear error before any request. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fix_harness.h"

Suite *saved_plan_suite(void);

static fix_env env;
static char plan_file[300];

static void setup(void)
{
    memset(&env, 0, sizeof(env));
}

static void teardown(void)
{
    if (env.mock.dir[0])
        fix_stop(&env);
}

static void start(const char *case_name, const char *versions_extra)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_backend backend = {case_name, NULL};
    fix_start(&env, &fx_tb, &backend, 1, versions_extra, NULL);
    snprintf(plan_file, sizeof(plan_file), "%s", mock_path(&env.mock, "plan.json"));
}

static void run(tb_run *r, int expect_exit, const char *const *args)
{
    fix_run(r, NULL, &env, args);
    ck_assert_msg(r->exit_code == expect_exit, "exit %d, not %d\nstdout: %s\nstderr: %s",
                  r->exit_code, expect_exit, r->out, r->err);
}

static json_t *load_plan(void)
{
    json_error_t jerr;
    json_t *plan = json_load_file(plan_file, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(plan != NULL, "%s: %s", plan_file, jerr.text);
    return plan;
}

static void save_plan(json_t *plan)
{
    ck_assert_int_eq(json_dump_file(plan, plan_file, JSON_INDENT(2)), 0);
}

static void write_text(const char *text)
{
    FILE *fp = fopen(plan_file, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
}

/* Plans SVC1 into plan_file (extra options NULL-terminated, may be NULL), expecting exit
 * code expect (2: fixes planned); returns the report. */
static json_t *plan_out(const char *const *extra, int expect)
{
    fx_args a = {.argc = 0};
    fx_args_add(&a, "--service");
    fx_args_add(&a, FIX_SERVICE);
    fx_args_add(&a, "--plan-out");
    fx_args_add(&a, plan_file);
    fx_args_add(&a, "--json");
    for (size_t i = 0; extra && extra[i]; i++)
        fx_args_add(&a, extra[i]);
    tb_run r;
    json_t *report = NULL;
    fix_run(&r, &report, &env, a.argv);
    ck_assert_msg(r.exit_code == expect, "exit %d\n%.1500s\n%.1500s", r.exit_code, r.out, r.err);
    ck_assert_ptr_nonnull(report);
    tb_run_free(&r);
    return report;
}

START_TEST(a_saved_plan_is_applied_as_reviewed)
{
    start("hostname_mismatch", NULL);
    /* In text: where it went and how to apply it. */
    const char *text_args[] = {"--service", FIX_SERVICE, "--plan-out", plan_file, NULL};
    tb_run r;
    run(&r, 2, text_args);
    ck_assert_ptr_nonnull(strstr(r.out, "Saved the plan to "));
    ck_assert_ptr_nonnull(strstr(r.out, "; 'fixorigin apply "));
    tb_run_free(&r);

    json_t *report = plan_out(NULL, 2);
    json_t *plan = load_plan();
    ck_assert_str_eq(json_string_value(json_object_get(plan, "schema")), "fixorigin.saved-plan/v1");
    ck_assert_str_eq(json_string_value(json_object_get(plan, "plan_id")),
                     json_string_value(json_object_get(report, "plan_id")));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(plan, "service"), "id")),
                     FIX_SERVICE);
    ck_assert_int_eq(json_integer_value(json_object_get(plan, "active_version")), 1);
    json_t *change = json_array_get(
        json_object_get(json_array_get(json_object_get(plan, "fixes"), 0), "changes"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(change, "field")), "ssl_cert_hostname");
    ck_assert_str_eq(json_string_value(json_object_get(change, "from")), "www.origin.test");
    const char *to = json_string_value(json_object_get(change, "to"));
    ck_assert_ptr_nonnull(to);
    char expected[128];
    snprintf(expected, sizeof(expected), "%s", to);
    json_decref(plan);
    json_decref(report);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0); /* planning writes nothing */

    /* apply FILE: plans again, finds the same plan, applies it; no question asked. */
    const char *apply[] = {"apply", plan_file, NULL};
    run(&r, 0, apply);
    ck_assert_ptr_nonnull(strstr(r.out, "result: applied and verified; active version 2"));
    ck_assert_ptr_null(strstr(r.out, "[y/N]"));
    tb_run_free(&r);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "hostname_mismatch"), "ssl_cert_hostname"),
                     expected);
    json_decref(state);

    /* Applied once, it is stale: the active version moved on. */
    size_t before = fix_log_lines(&env);
    const char *again[] = {"apply", plan_file, "--json", NULL};
    json_t *json = NULL;
    fix_run(&r, &json, &env, again);
    ck_assert_msg(r.exit_code == 4, "exit %d\n%s\n%s", r.exit_code, r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.err, "is stale: the active version is now 2; the plan was "
                                        "made against version 1; nothing was written"));
    ck_assert_str_eq(json_string_value(json_object_get(json, "result")), "conflict");
    ck_assert_str_eq(json_string_value(json_object_get(json, "mode")), "plan");
    json_decref(json);
    tb_run_free(&r);
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

START_TEST(a_stale_plan_is_not_applied_and_the_new_plan_is_shown)
{
    static const char other[] = "{\"number\":2,\"active\":false,\"locked\":true,"
                                "\"comment\":\"someone else's\",\"backends\":[]}";
    start("hostname_mismatch", other);
    json_decref(plan_out(NULL, 2));
    fix_activate_other(&env, 2); /* another person activates their version meanwhile */
    size_t before = fix_log_lines(&env);
    const char *apply[] = {"apply", plan_file, NULL};
    tb_run r;
    run(&r, 4, apply);
    ck_assert_ptr_nonnull(strstr(r.out, "service SVC1 \"shop\": active version 2, 0 backends"));
    ck_assert_ptr_nonnull(strstr(r.err, "the active version is now 2; the plan was made against "
                                        "version 1; nothing was written; this is the plan now"));
    tb_run_free(&r);
    size_t requests, writes;
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 2);
    ck_assert_ptr_null(fix_version(state, 3));
    json_decref(state);
}
END_TEST

START_TEST(the_consent_given_is_saved_with_the_plan)
{
    start("self_signed_certificate", NULL);
    const char *consent[] = {"--trust-presented-ca", NULL};
    json_decref(plan_out(consent, 2));
    json_t *plan = load_plan();
    ck_assert(
        json_is_true(json_object_get(json_object_get(plan, "options"), "trust_presented_ca")));
    json_decref(plan);
    const char *apply[] = {"apply", plan_file, NULL};
    tb_run r;
    run(&r, 0, apply);
    ck_assert_ptr_nonnull(strstr(r.out, "result: applied and verified; active version 2"));
    tb_run_free(&r);

    /* Without the consent the fix is not allowed: a plan without it has no fix to apply, and
     * a file that claims the consent afterwards no longer has its id. */
    fix_stop(&env);
    memset(&env, 0, sizeof(env));
    start("self_signed_certificate", NULL);
    json_decref(plan_out(NULL, 5)); /* a fix waiting for consent needs a person */
    plan = load_plan();
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "fixes")), 0);
    json_object_set_new(json_object_get(plan, "options"), "trust_presented_ca", json_true());
    save_plan(plan);
    json_decref(plan);
    size_t before = fix_log_lines(&env);
    run(&r, 4, apply); /* a valid file, but the plan made with it is another */
    ck_assert_ptr_nonnull(strstr(r.err, "the fixes planned now are not the saved ones"));
    tb_run_free(&r);
    size_t requests, writes;
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

START_TEST(an_edited_or_foreign_file_is_refused_before_any_request)
{
    start("hostname_mismatch", NULL);
    json_decref(plan_out(NULL, 2));
    json_t *good = load_plan();
    size_t before = fix_log_lines(&env);

    /* Each edit is refused with its own words. */
    static const struct {
        const char *path[3]; /* keys to the object to edit; the last one is set */
        const char *value;   /* JSON text */
        const char *says;
    } edits[] = {
        {{"fixes", "0", "changes"},
         "[{\"field\":\"ssl_cert_hostname\",\"from\":\"www.origin.test\",\"to\":\"evil.test\"}]",
         "its plan id does not match its changes (the file was edited or damaged)"},
        {{"schema"}, "\"fixorigin.report/v1\"", "\"schema\" is \"fixorigin.report/v1\""},
        {{"plan_id"}, "\"ABC\"", "\"plan_id\" must be 64 lowercase hex digits"},
        {{"active_version"}, "\"1\"", "\"active_version\" must be a version number"},
        {{"active_version"}, "2", "its plan id does not match its changes"},
        {{"extra"}, "1", "the plan has an unknown key \"extra\""},
        {{"service", "id"}, "\"../x\"", "service \"id\" is not a service id"},
        {{"options", "activate"}, "\"later\"", "options \"activate\" must be \"auto\" or \"none\""},
        {{"options", "backends"}, "\"all\"", "options \"backends\" must be an array"},
        {{"fixes", "0", "changes"},
         "[{\"field\":\"ssl_client_key\",\"from\":null,\"to\":\"k\"}]",
         "a saved plan never holds a secret"},
        {{"fixes", "0", "changes"}, "[]", "\"changes\" must be an array of 1 to 32 changes"},
        {{"fixes"}, "{}", "\"fixes\" must be an array"},
        {{"fixes"},
         ("[{\"backend\":\"a\",\"source\":\"backend\",\"summary\":null,\"changes\":"
          "[{\"field\":\"ssl_cert_hostname\",\"from\":null,\"to\":\"x.test\"}]},"
          "{\"backend\":\"a\",\"source\":\"vcl:main\",\"summary\":null,\"changes\":"
          "[{\"field\":\"ssl_sni_hostname\",\"from\":null,\"to\":\"x.test\"}]},"
          "{\"backend\":\"a\",\"source\":\"backend\",\"summary\":null,\"changes\":"
          "[{\"field\":\"ssl_sni_hostname\",\"from\":null,\"to\":\"x.test\"}]}]"),
         "fixes[2] fixes backend 'a' (backend) again, after fixes[0]"},
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        json_t *plan = json_deep_copy(good);
        json_t *at = plan;
        size_t depth = 0;
        while (depth + 1 < 3 && edits[i].path[depth + 1]) {
            const char *key = edits[i].path[depth];
            at = json_is_array(at) ? json_array_get(at, (size_t)atoi(key))
                                   : json_object_get(at, key);
            depth++;
        }
        json_error_t jerr;
        json_t *value = json_loads(edits[i].value, JSON_DECODE_ANY, &jerr);
        ck_assert_ptr_nonnull(value);
        json_object_set_new(at, edits[i].path[depth], value);
        save_plan(plan);
        json_decref(plan);
        const char *apply[] = {"apply", plan_file, NULL};
        tb_run r;
        run(&r, 1, apply);
        ck_assert_msg(strstr(r.err, "not a saved plan: ") && strstr(r.err, edits[i].says),
                      "edit %zu: %s", i, r.err);
        ck_assert_ptr_nonnull(strstr(r.err, "nothing was written"));
        ck_assert_str_eq(r.out, "");
        tb_run_free(&r);
    }
    json_decref(good);

    /* Garbage, an empty file, a JSON array, a NUL byte, a file too large, no file. */
    static const char *const garbage[] = {"\177ELF\002\001", "", "[1,2]", "{\"schema\":"};
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        write_text(garbage[i]);
        const char *apply[] = {"apply", plan_file, "--json", NULL};
        tb_run r;
        json_t *json = NULL;
        fix_run(&r, &json, &env, apply);
        ck_assert_msg(r.exit_code == 1, "garbage %zu: exit %d %s", i, r.exit_code, r.err);
        ck_assert_ptr_nonnull(strstr(r.err, "not a saved plan: "));
        /* --json: the report says why, with no service */
        ck_assert_str_eq(json_string_value(json_object_get(json, "result")), "error");
        ck_assert(json_is_null(json_object_get(json_object_get(json, "service"), "id")));
        json_decref(json);
        tb_run_free(&r);
    }
    FILE *fp = fopen(plan_file, "w");
    ck_assert_ptr_nonnull(fp);
    for (int i = 0; i < (5 << 20) / 64; i++)
        fputs("                                                               \n", fp);
    ck_assert_int_eq(fclose(fp), 0);
    const char *apply[] = {"apply", plan_file, NULL};
    tb_run r;
    run(&r, 1, apply);
    ck_assert_ptr_nonnull(strstr(r.err, "larger than"));
    tb_run_free(&r);
    const char *missing[] = {"apply", "/nonexistent/plan.json", NULL};
    run(&r, 1, missing);
    ck_assert_ptr_nonnull(strstr(r.err, "/nonexistent/plan.json"));
    /* Named once: fo_read_file's message names the file already. */
    ck_assert_ptr_null(
        strstr(strstr(r.err, "/nonexistent/plan.json") + 1, "/nonexistent/plan.json"));
    tb_run_free(&r);
    ck_assert_uint_eq(fix_log_lines(&env), before); /* not one request */
}
END_TEST

/* A plan that cannot be saved: the JSON report says why, as stderr does. */
START_TEST(an_unsaved_plan_says_why_in_the_report)
{
    start("hostname_mismatch", NULL);
    const char *args[] = {
        "--service", FIX_SERVICE, "--json", "--plan-out", "/nonexistent/dir/plan.json", NULL};
    tb_run r;
    json_t *report = NULL;
    fix_run(&r, &report, &env, args);
    ck_assert_msg(r.exit_code == 1, "exit %d\n%s", r.exit_code, r.err);
    ck_assert_ptr_nonnull(report);
    const char *error = json_string_value(json_object_get(report, "error"));
    ck_assert_msg(error && strstr(error, "--plan-out: cannot create") && strstr(r.err, error),
                  "report error: %s\nstderr: %s", error ? error : "(none)", r.err);
    json_decref(report);
    tb_run_free(&r);
}
END_TEST

START_TEST(usage_errors)
{
    start("hostname_mismatch", NULL);
    static const struct {
        const char *args[6];
        const char *says;
    } cases[] = {
        {{"--service", FIX_SERVICE, "--apply", "--yes", "--plan-out", "p.json"},
         "--plan-out saves a plan for 'fixorigin apply FILE': not with --apply"},
        {{"--service", FIX_SERVICE, "--plan-out"}, "option '--plan-out' needs a value"},
        {{"--service", FIX_SERVICE, "--emit", "terraform", "--plan-out", "p.json"},
         "--emit terraform prints HCL, not a plan: not with --plan-out"},
        {{"apply"}, "apply takes the saved plan's file"},
        {{"apply", "a.json", "b.json"}, "unexpected argument 'b.json'"},
        {{"apply", "a.json", "--apply"}, "unknown option '--apply'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run r;
        run(&r, 64, cases[i].args);
        ck_assert_msg(strstr(r.err, cases[i].says), "case %zu: %s", i, r.err);
        tb_run_free(&r);
    }
    ck_assert_uint_eq(fix_log_lines(&env), 0);
}
END_TEST

Suite *saved_plan_suite(void)
{
    Suite *s = suite_create("saved_plan");
    TCase *tc = tcase_create("saved_plan");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, a_saved_plan_is_applied_as_reviewed);
    tcase_add_test(tc, an_unsaved_plan_says_why_in_the_report);
    tcase_add_test(tc, a_stale_plan_is_not_applied_and_the_new_plan_is_shown);
    tcase_add_test(tc, the_consent_given_is_saved_with_the_plan);
    tcase_add_test(tc, an_edited_or_foreign_file_is_refused_before_any_request);
    tcase_add_test(tc, usage_errors);
    suite_add_tcase(s, tc);
    return s;
}
