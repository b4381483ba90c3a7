/* fixorigin scan run by a scheduler: --ack keeps an acknowledged problem in the report but
 * out of the exit code until it expires (an expired one counts again), a bad acknowledgement
 * file is refused with its line, and a failed service listing still ends with a summary
 * (text) or an error object and a summary (json, ndjson). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scanserve_fixture.h"

Suite *scan_unattended_suite(void);

enum { RUN_MS = 120000 };

static const ss_service fleet[] = {
    {"OK_A", {"healthy"}},
    {"FIX_A", {"hostname_mismatch"}},
    {"HUMAN_A", {"certificate_expired"}},
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

static const char *ack_file(const char *name, const char *text)
{
    static char path[300];
    snprintf(path, sizeof(path), "%s/%s", f.dir, name);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static const char acks[] =
    "# service  backend  class  expires  reason\n"
    "FIX_A   b0  hostname_mismatch  2099-12-31  waiting for the origin team (INC-1)\n"
    "\n"
    "   # an indented comment\n"
    "HUMAN_A *   *                  2001-01-01  expired long ago\n"
    "OK_A    b0  certificate_expired -          not this one's problem\n";

START_TEST(acknowledged_problems_leave_the_exit_code_until_they_expire)
{
    tb_run run;
    const char *path = ack_file("acks.txt", acks);
    /* Without --ack: FIX_A's planned fix makes it exit 2. */
    const char *plain[] = {"scan", "--service", "FIX_A", "--service", "OK_A", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, plain, NULL, RUN_MS), 2);
    tb_run_free(&run);
    /* With it: reported, acknowledged, exit 0. */
    const char *acked[] = {"scan", "--service", "FIX_A", "--service", "OK_A", "--ack", path, NULL};
    int code = ss_fixorigin(&run, &f, acked, NULL, RUN_MS);
    ck_assert_msg(code == 0, "exit %d: %s%s", code, run.out, run.err);
    ck_assert_msg(strstr(run.out, "FIX_A  \"FIX_A\"  fixes_planned (2)") &&
                      strstr(run.out, "  b0  hostname_mismatch  fix (safe)") &&
                      strstr(run.out, "  acknowledged until 2099-12-31") &&
                      strstr(run.out, ": b0 hostname_mismatch: waiting for the origin team "
                                      "(INC-1)\n") &&
                      strstr(run.out, "; 1 acknowledged; ") && strstr(run.out, "exit 0\n"),
                  "%s", run.out);
    tb_run_free(&run);
    /* An expired acknowledgement counts again, and says so. */
    const char *expired[] = {"scan",  "--service", "HUMAN_A",  "--service", "FIX_A",
                             "--ack", path,        "--format", "ndjson",    NULL};
    code = ss_fixorigin(&run, &f, expired, NULL, RUN_MS);
    ck_assert_msg(code == 5, "exit %d: %s%s", code, run.out, run.err);
    json_t *lines = ss_ndjson(run.out);
    ck_assert_uint_eq(json_array_size(lines), 3);
    size_t seen = 0;
    for (size_t i = 0; i < 2; i++) {
        const json_t *report = json_array_get(lines, i);
        const char *id =
            json_string_value(json_object_get(json_object_get(report, "service"), "id"));
        const json_t *ack = json_array_get(json_object_get(report, "acknowledged"), 0);
        ck_assert_ptr_nonnull(ack);
        if (strcmp(id, "HUMAN_A") == 0) {
            ck_assert(json_is_true(json_object_get(ack, "expired")));
            ck_assert_str_eq(json_string_value(json_object_get(ack, "class")),
                             "certificate_expired");
            ck_assert_str_eq(json_string_value(json_object_get(ack, "reason")), "expired long ago");
        } else {
            ck_assert(json_is_false(json_object_get(ack, "expired")));
            ck_assert_str_eq(json_string_value(json_object_get(ack, "backend")), "b0");
        }
        seen++;
    }
    ck_assert_uint_eq(seen, 2);
    const json_t *summary = json_object_get(json_array_get(lines, 2), "summary");
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "exit_code")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(summary, "acknowledged")), 1);
    json_decref(lines);
    tb_run_free(&run);
    /* An acknowledgement of another class does not cover the problem there is. */
    const char *other = ack_file("other.txt", "FIX_A * certificate_expired - wrong class\n");
    const char *wrong[] = {"scan", "--service", "FIX_A", "--ack", other, NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, wrong, NULL, RUN_MS), 2);
    ck_assert_ptr_null(strstr(run.out, "acknowledged"));
    tb_run_free(&run);
}
END_TEST

START_TEST(a_bad_acknowledgement_file_is_refused_with_its_line)
{
    static const struct {
        const char *text;
        const char *says;
    } cases[] = {
        {"FIX_A b0 hostname_mismatch 2099-12-31\n", "acks.txt:1: too few fields: a reason"},
        {"# ok\nFIX_A b0 no_such_class - why\n", "acks.txt:2: unknown class"},
        {"FIX_A b0 * 31/12/2099 why\n", "acks.txt:1: EXPIRES must be YYYY-MM-DD"},
        {"FIX_A b0 * 2099-02-30 why\n", "acks.txt:1: EXPIRES must be"},
        {"FIX_A \"b0 * - why\n", "acks.txt:1: a quoted backend name is not closed"},
        {"a/b b0 * - why\n", "acks.txt:1: the service is not a service id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run run;
        const char *path = ack_file("acks.txt", cases[i].text);
        const char *args[] = {"scan", "--service", "OK_A", "--ack", path, NULL};
        int code = ss_fixorigin(&run, &f, args, NULL, RUN_MS);
        ck_assert_msg(code == 1 && strstr(run.err, cases[i].says), "case %zu: exit %d: %s", i, code,
                      run.err);
        ck_assert_str_eq(run.out, "");
        tb_run_free(&run);
    }
    tb_run run;
    const char *missing[] = {"scan", "--service", "OK_A", "--ack", "/nonexistent/acks", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, missing, NULL, RUN_MS), 1);
    ck_assert_ptr_nonnull(strstr(run.err, "cannot read the acknowledgements /nonexistent/acks"));
    tb_run_free(&run);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/*/details"), 0);
}
END_TEST

START_TEST(a_failed_listing_still_ends_with_a_summary)
{
    ss_fleet_stop(&f);
    static const char *const faults[] = {"--fail", "GET:/service:*:503", NULL};
    ss_fleet_start(&f, fleet, sizeof(fleet) / sizeof(fleet[0]), faults);
    const char *const env[] = {"FIXORIGIN_API_DEADLINE_MS=1500", NULL};
    tb_run run;
    const char *text[] = {"scan", "--all", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, text, env, RUN_MS), 1);
    ck_assert_msg(strstr(run.out, "scan: 0 services in ") &&
                      strstr(run.out, "the service listing (--all) failed: Fastly API: 503") &&
                      strstr(run.out, "exit 1\n"),
                  "%s", run.out);
    ck_assert_ptr_nonnull(strstr(run.err, "--all: Fastly API: 503"));
    tb_run_free(&run);
    static const char *const formats[] = {"ndjson", "json"};
    for (size_t i = 0; i < 2; i++) {
        const char *args[] = {"scan", "--all", "--format", formats[i], NULL};
        ck_assert_int_eq(ss_fixorigin(&run, &f, args, env, RUN_MS), 1);
        json_t *doc = json_loads(run.out, 0, NULL);
        ck_assert_msg(json_is_object(doc), "%s: not one JSON object: %s", formats[i], run.out);
        ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "fixorigin.scan/v1");
        const json_t *error = json_object_get(doc, "error");
        ck_assert_str_eq(json_string_value(json_object_get(error, "stage")), "listing");
        ck_assert_ptr_nonnull(
            strstr(json_string_value(json_object_get(error, "message")), "Fastly API: 503"));
        const json_t *summary = json_object_get(doc, "summary");
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "exit_code")), 1);
        ck_assert_int_eq(json_integer_value(json_object_get(summary, "services")), 0);
        /* json closes with the (empty) list of reports; ndjson's summary line has none. */
        ck_assert_uint_eq(json_array_size(json_object_get(doc, "services")), 0);
        ck_assert(i == 0 || json_is_array(json_object_get(doc, "services")));
        json_decref(doc);
        tb_run_free(&run);
    }
}
END_TEST

Suite *scan_unattended_suite(void)
{
    Suite *s = suite_create("scan_unattended");
    TCase *tc = tcase_create("unattended");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, acknowledged_problems_leave_the_exit_code_until_they_expire);
    tcase_add_test(tc, a_bad_acknowledgement_file_is_refused_with_its_line);
    tcase_add_test(tc, a_failed_listing_still_ends_with_a_summary);
    suite_add_tcase(s, tc);
    return s;
}
