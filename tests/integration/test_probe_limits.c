/* `fixorigin probe --targets` under a low file limit: the soft limit is raised to the hard
 * one, a --concurrency the limit cannot hold is clamped with a warning naming both numbers,
 * and no target's result is lost to "too many open files". */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "testbed_fixture.h"

Suite *probe_limits_suite(void);

static fx_testbed tb;
static bool tb_ready;

static void setup(void)
{
    const char *const extra[] = {"--count", "150", NULL};
    tb_ready = fx_testbed_start(&tb, extra);
}

static void teardown(void)
{
    if (tb_ready)
        fx_testbed_stop(&tb);
}

/* Runs fixorigin probe over the bulk origins under the file limit soft/hard (each test runs
 * in a process of its own, so the limit stays there). */
static void probe_bulk(tb_run *run, rlim_t soft, rlim_t hard, const char *concurrency)
{
    ck_assert_msg(tb_ready, "testbed-origins did not start");
    struct rlimit limit = {.rlim_cur = soft, .rlim_max = hard};
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &limit), 0);
    fx_args a = {.argc = 0};
    fx_args_add(&a, fx_bin("fixorigin"));
    fx_args_add(&a, "probe");
    fx_args_add(&a, "--targets");
    fx_args_add(&a, json_string_value(
                        json_object_get(json_object_get(tb.manifest, "bulk"), "targets_file")));
    fx_args_add(&a, "--trust-bundle");
    fx_args_add(&a, tb.trust_bundle);
    if (concurrency) {
        fx_args_add(&a, "--concurrency");
        fx_args_add(&a, concurrency);
    }
    fx_run_argv(run, a.argv, NULL, 120000);
}

static size_t count_ok(const char *out)
{
    size_t ok = 0;
    /* "ok":true once per diagnosis ("class":"ok" is in each per_address entry too). */
    for (const char *p = out; (p = strstr(p, "\"ok\":true")) != NULL; p++)
        ok++;
    return ok;
}

START_TEST(a_low_hard_limit_clamps_and_says_so)
{
    tb_run run;
    probe_bulk(&run, 200, 200, "1024");
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_uint_eq(count_ok(run.out), 150);
    ck_assert_msg(strstr(run.err, "--concurrency 1024") && strstr(run.err, "file limit is 200"),
                  "no warning naming both numbers: %s", run.err);
    ck_assert_ptr_null(strstr(run.out, "Too many open files"));
    tb_run_free(&run);
}
END_TEST

START_TEST(the_soft_limit_is_raised_to_the_hard_one)
{
    tb_run run;
    probe_bulk(&run, 100, 300, "1024");
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_uint_eq(count_ok(run.out), 150);
    /* The limit named is the hard one: the soft 100 was raised first. */
    ck_assert_msg(strstr(run.err, "file limit is 300"), "not raised: %s", run.err);
    tb_run_free(&run);
}
END_TEST

START_TEST(the_default_fits_the_limit_quietly)
{
    tb_run run;
    probe_bulk(&run, 120, 120, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    ck_assert_uint_eq(count_ok(run.out), 150);
    ck_assert_msg(!strstr(run.err, "warning"), "a warning for a number not asked for: %s", run.err);
    tb_run_free(&run);
}
END_TEST

Suite *probe_limits_suite(void)
{
    Suite *s = suite_create("probe_limits");
    TCase *tc = tcase_create("limits");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_low_hard_limit_clamps_and_says_so);
    tcase_add_test(tc, the_soft_limit_is_raised_to_the_hard_one);
    tcase_add_test(tc, the_default_fits_the_limit_quietly);
    suite_add_tcase(s, tc);
    return s;
}
