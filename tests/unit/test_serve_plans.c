/* serve's pending plans: a short plan id (12 hex digits, as text shows it) resolves to the one
 * pending plan that starts with it, and is refused when none or several do, when it is another
 * service's, or when the plan is older than a day or was pushed out by newer ones. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "fixorigin/serve.h"

Suite *serve_plans_suite(void);

#define NOW 1800000000LL
#define A1 "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000001"
#define A2 "aaaaaaaaaaaa0000000000000000000000000000000000000000000000000002"
#define B1 "bbbbbbbbbbbb0000000000000000000000000000000000000000000000000001"

static fo_serve_plans *plans;

static void setup(void)
{
    ck_assert_int_eq(fo_serve_plans_new(&plans), 0);
}

static void teardown(void)
{
    fo_serve_plans_free(plans);
}

static int resolve(char out[65], const char *service, const char *id, long long now, fo_error *err)
{
    memset(out, 0, 65);
    fo_error_clear(err);
    return fo_serve_plans_resolve(plans, out, service, id, now, err);
}

START_TEST(a_short_id_names_one_pending_plan)
{
    char id[65];
    fo_error err;
    fo_serve_plans_add(plans, "SVC1", B1, NOW);
    ck_assert_int_eq(resolve(id, "SVC1", "bbbbbbbbbbbb", NOW + 60, &err), 0);
    ck_assert_str_eq(id, B1);
    /* more digits are fine too */
    ck_assert_int_eq(resolve(id, "SVC1", "bbbbbbbbbbbb00000", NOW + 60, &err), 0);
    ck_assert_str_eq(id, B1);
    /* a whole id needs no pending plan: the fresh plan decides */
    ck_assert_int_eq(resolve(id, "SVC9", A1, NOW, &err), 0);
    ck_assert_str_eq(id, A1);
}
END_TEST

START_TEST(unknown_ambiguous_and_foreign_ids_are_refused)
{
    char id[65];
    fo_error err;
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW, &err), FO_ENOTFOUND);
    ck_assert_str_eq(err.msg, "no pending plan has the id aaaaaaaaaaaa (plans are kept 24 hours; "
                              "plan again, or give the whole 64-digit id)");
    ck_assert_str_eq(id, "");
    fo_serve_plans_add(plans, "SVC1", A1, NOW);
    fo_serve_plans_add(plans, "SVC2", A2, NOW);
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "the plan id aaaaaaaaaaaa is ambiguous: 2 pending plans start with "
                              "it; give more digits or the whole 64-digit id");
    ck_assert_str_eq(id, "");
    /* enough digits to tell them apart */
    ck_assert_int_eq(resolve(id, "SVC1", A1, NOW, &err), 0);
    ck_assert_int_eq(resolve(id, "SVC2",
                             "aaaaaaaaaaaa000000000000000000000000000000000000000000000"
                             "0000002",
                             NOW, &err),
                     0);
    ck_assert_str_eq(id, A2);
    fo_serve_plans_add(plans, "SVC2", B1, NOW);
    ck_assert_int_eq(resolve(id, "SVC1", "bbbbbbbbbbbb", NOW, &err), FO_ENOTFOUND);
    ck_assert_str_eq(err.msg, "plan bbbbbbbbbbbb is a plan of service SVC2, not of SVC1");
    /* not plan ids at all */
    static const char *const bad[] = {"bbbbbbbbbbb", "BBBBBBBBBBBB", "bbbbbbbbbbbx", "", NULL};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(resolve(id, "SVC2", bad[i], NOW, &err), FO_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "is not a plan id (12 to 64 hex digits)"));
    }
}
END_TEST

START_TEST(plans_are_kept_a_day_and_a_bounded_number)
{
    char id[65];
    fo_error err;
    fo_serve_plans_add(plans, "SVC1", A1, NOW);
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW + FO_SERVE_PLAN_TTL_S, &err), 0);
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW + FO_SERVE_PLAN_TTL_S + 1, &err),
                     FO_ENOTFOUND);
    /* handed out again: kept again, as one entry */
    fo_serve_plans_add(plans, "SVC1", A1, NOW + FO_SERVE_PLAN_TTL_S);
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW + FO_SERVE_PLAN_TTL_S + 1, &err), 0);
    /* FO_SERVE_PLANS_MAX newer plans push it out */
    for (int i = 0; i < FO_SERVE_PLANS_MAX; i++) {
        char other[65];
        snprintf(other, sizeof(other), "c%063x", i);
        fo_serve_plans_add(plans, "SVC3", other, NOW + FO_SERVE_PLAN_TTL_S);
    }
    ck_assert_int_eq(resolve(id, "SVC1", "aaaaaaaaaaaa", NOW + FO_SERVE_PLAN_TTL_S + 1, &err),
                     FO_ENOTFOUND);
    ck_assert_int_eq(resolve(id, "SVC3",
                             "c00000000000000000000000000000000000000000000000000000"
                             "00000001ff",
                             NOW + FO_SERVE_PLAN_TTL_S, &err),
                     0);
    /* nothing to resolve against: whole ids still work, short ones are unknown */
    ck_assert_int_eq(fo_serve_plans_resolve(NULL, id, "SVC1", A1, NOW, &err), 0);
    ck_assert_int_eq(fo_serve_plans_resolve(NULL, id, "SVC1", "aaaaaaaaaaaa", NOW, &err),
                     FO_ENOTFOUND);
}
END_TEST

Suite *serve_plans_suite(void)
{
    Suite *s = suite_create("serve_plans");
    TCase *tc = tcase_create("plans");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_short_id_names_one_pending_plan);
    tcase_add_test(tc, unknown_ambiguous_and_foreign_ids_are_refused);
    tcase_add_test(tc, plans_are_kept_a_day_and_a_bounded_number);
    suite_add_tcase(s, tc);
    return s;
}
