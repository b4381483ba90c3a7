/* The libraries hold no exit codes: the report prints the number its caller filled, scan and
 * serve print what the mapping they are given says, and without a mapping scan does nothing
 * and serve answers 500. A mapping unlike fixorigin's (40 + result) shows whose numbers come
 * out. */
#include <check.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/report.h"
#include "fixorigin/scan.h"
#include "fixorigin/serve.h"

Suite *scanserve_exit_suite(void);

static int forty_plus(fo_result result)
{
    return 40 + (int)result;
}

static json_int_t exit_code_of(json_t *o)
{
    ck_assert_ptr_nonnull(o);
    json_t *code = json_object_get(o, "exit_code");
    ck_assert_msg(json_is_integer(code), "no integer exit_code");
    return json_integer_value(code);
}

START_TEST(report_prints_the_code_its_caller_filled)
{
    fo_report report = {.service_id = "S1", .result = FO_RESULT_CONFLICT, .exit_code = 77};
    json_t *o = fo_report_json(&report);
    ck_assert_int_eq(exit_code_of(o), 77);
    json_decref(o);
}
END_TEST

START_TEST(scan_prints_the_mapping_it_is_given)
{
    fo_scan_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.exit_code = forty_plus;
    fo_scan_summary summary;
    memset(&summary, 0, sizeof(summary));
    summary.result = FO_RESULT_NEEDS_HUMAN;
    json_t *o = fo_scan_summary_json(&opts, &summary);
    ck_assert_int_eq(exit_code_of(o), 45);
    json_decref(o);

    fo_scan_item item;
    memset(&item, 0, sizeof(item));
    item.service_id = "S1";
    item.result = FO_RESULT_ROLLED_BACK;
    o = fo_scan_item_json(&opts, &item);
    ck_assert_int_eq(exit_code_of(o), 43);
    json_decref(o);

    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(out);
    fo_scan_summary_text(out, &opts, &summary);
    fclose(out);
    ck_assert_msg(strstr(text, "; exit 45\n"), "summary line: %s", text);
    free(text);
}
END_TEST

/* Without a mapping scan refuses before it prints or starts anything: stdout stays empty. */
START_TEST(scan_without_a_mapping_does_nothing)
{
    fo_scan_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.format = FO_SCAN_JSON;
    FILE *captured = tmpfile();
    ck_assert_ptr_nonnull(captured);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    ck_assert_int_ge(saved, 0);
    ck_assert_int_ge(dup2(fileno(captured), STDOUT_FILENO), 0);
    fo_result failed = fo_scan_fail(&opts, "the listing failed", 1.0);
    const char *ids[] = {"S1"};
    fo_result ran = fo_scan_run(&opts, ids, 1); /* opts.api is NULL: it must not get there */
    fflush(stdout);
    ck_assert_int_ge(dup2(saved, STDOUT_FILENO), 0);
    close(saved);
    ck_assert_int_eq(failed, FO_RESULT_ERROR);
    ck_assert_int_eq(ran, FO_RESULT_ERROR);
    ck_assert_int_eq(ftell(captured), 0);
    fclose(captured);
}
END_TEST

/* Without a mapping serve's JSON API answers 500 before it looks at the request. */
START_TEST(serve_without_a_mapping_answers_500)
{
    fo_serve srv;
    memset(&srv, 0, sizeof(srv));
    fo_serve_request req = {.method = "POST", .path = "/v1/plan", .body = "", .body_len = 0};
    fo_serve_reply reply;
    memset(&reply, 0, sizeof(reply));
    fo_serve_route(&srv, &req, &reply);
    ck_assert_uint_eq(reply.status, MHD_HTTP_INTERNAL_SERVER_ERROR);
    ck_assert_ptr_nonnull(reply.body);
    ck_assert_msg(strstr(reply.body, "\"error\":\"internal\""), "%s", reply.body);
    ck_assert_msg(strstr(reply.body, "exit-code mapping"), "%s", reply.body);
    fo_serve_reply_clear(&reply);
}
END_TEST

Suite *scanserve_exit_suite(void)
{
    Suite *s = suite_create("scanserve_exit");
    TCase *tc = tcase_create("exit_code");
    tcase_add_test(tc, report_prints_the_code_its_caller_filled);
    tcase_add_test(tc, scan_prints_the_mapping_it_is_given);
    tcase_add_test(tc, scan_without_a_mapping_does_nothing);
    tcase_add_test(tc, serve_without_a_mapping_answers_500);
    suite_add_tcase(s, tc);
    return s;
}
