/* fixorigin serve's Slack messages, built from plans made here: origin and API text escaped
 * for mrkdwn (no mention or link can be forged), Slack's limits kept (3000 characters a
 * section, 50 blocks), the plan id and apply line for a plan, and errors without a plan. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/remediate.h"
#include "fixorigin/serve.h"

Suite *serve_blocks_suite(void);

#define PLAN_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *text_of(const json_t *message)
{
    fo_buf all = {0};
    size_t i;
    json_t *block;
    json_array_foreach(json_object_get(message, "blocks"), i, block)
    {
        json_t *text = json_object_get(block, "text");
        if (!text)
            text = json_array_get(json_object_get(block, "elements"), 0);
        const char *t = json_string_value(json_object_get(text, "text"));
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_le(strlen(t), 3000);
        ck_assert_int_eq(fo_buf_printf(&all, "%s\n", t), 0);
    }
    return fo_buf_steal(&all);
}

/* A plan of n backends that need a person; names and advice are hostile text. */
static fo_plan *hostile_plan(size_t n, const char *advice)
{
    fo_plan *plan = calloc(1, sizeof(*plan));
    plan->service_id = strdup("SVC0");
    plan->service_name = strdup("shop <!channel> & co");
    plan->active_version = 3;
    snprintf(plan->plan_id, sizeof(plan->plan_id), "%s", PLAN_ID);
    plan->backends = calloc(n, sizeof(*plan->backends));
    plan->backend_count = n;
    for (size_t i = 0; i < n; i++) {
        fo_backend_plan *bp = &plan->backends[i];
        bp->backend = calloc(1, sizeof(*bp->backend));
        bp->backend->name = strdup("<@U0ADMIN> `x`");
        bp->backend->address = strdup("origin.test");
        bp->backend->port = 443;
        bp->status = FO_BACKEND_HUMAN;
        bp->evidence = strdup("certificate CN=<https://evil.test|click me>\x01");
        bp->advice = strdup(advice);
    }
    return plan;
}

START_TEST(origin_text_is_escaped)
{
    fo_serve_command cmd = {.action = FO_SERVE_PLAN, .service_id = "SVC0"};
    fo_serve_outcome outcome = {.plan = hostile_plan(1, "Renew it & tell <!here>")};
    outcome.result = FO_RESULT_NEEDS_HUMAN;
    json_t *message = fo_serve_slack_message(&cmd, &outcome, "U1");
    ck_assert_ptr_nonnull(message);
    ck_assert_str_eq(json_string_value(json_object_get(message, "response_type")), "ephemeral");
    ck_assert_str_eq(json_string_value(json_object_get(message, "text")),
                     "fixorigin plan SVC0: needs_human");
    char *text = text_of(message);
    ck_assert_msg(!strstr(text, "<!") && !strstr(text, "<@U0ADMIN>") && !strstr(text, "<https"),
                  "%s", text);
    ck_assert_msg(strstr(text, "shop &lt;!channel&gt; &amp; co") &&
                      strstr(text, "&lt;@U0ADMIN&gt;") &&
                      strstr(text, "Renew it &amp; tell &lt;!here&gt;") &&
                      strstr(text, "CN=&lt;https://evil.test|click me&gt;?"),
                  "%s", text);
    /* A plan answer ends with its id and the line that applies it. */
    ck_assert_ptr_nonnull(strstr(text, "Plan id `" PLAN_ID "`: `apply SVC0 " PLAN_ID "`"));
    free(text);
    json_decref(message);
    fo_plan_free(outcome.plan);
}
END_TEST

START_TEST(limits_kept)
{
    /* Long, and in two-byte characters: a cut must not split one. */
    char *advice = malloc(5001);
    for (int i = 0; i < 5000; i += 2)
        memcpy(advice + i, "\xc3\xa9", 2); /* é */
    advice[5000] = '\0';
    fo_serve_command cmd = {.action = FO_SERVE_DIAGNOSE, .service_id = "SVC0"};
    fo_serve_outcome outcome = {.plan = hostile_plan(60, advice)};
    json_t *message = fo_serve_slack_message(&cmd, &outcome, "U1");
    json_t *blocks = json_object_get(message, "blocks");
    ck_assert_uint_le(json_array_size(blocks), 50);
    /* Every backend shown kept its section (a bad cut would have dropped it). */
    ck_assert_uint_eq(json_array_size(blocks), 1 + 40 + 1);
    char *text = text_of(message);
    ck_assert_ptr_nonnull(strstr(text, "… and 20 more backends"));
    /* A diagnosis has no plan id to apply. */
    ck_assert_ptr_null(strstr(text, "Plan id"));
    free(text);
    free(advice);
    json_decref(message);
    fo_plan_free(outcome.plan);
}
END_TEST

START_TEST(errors_without_a_plan)
{
    fo_serve_command cmd = {.action = FO_SERVE_APPLY, .service_id = "SVC9", .plan_id = PLAN_ID};
    fo_serve_outcome outcome = {.code = FO_ENOTFOUND};
    fo_error_set(&outcome.error, FO_ENOTFOUND, "Fastly API: 400 Bad request <b>");
    json_t *message = fo_serve_slack_message(&cmd, &outcome, "U1");
    char *text = text_of(message);
    ck_assert_str_eq(text, ":x: Could not apply `SVC9`: Fastly API: 400 Bad request &lt;b&gt;\n");
    ck_assert_str_eq(json_string_value(json_object_get(message, "text")),
                     "fixorigin could not apply SVC9");
    /* An apply that did not happen is no news for the channel. */
    ck_assert_str_eq(json_string_value(json_object_get(message, "response_type")), "ephemeral");
    free(text);
    json_decref(message);
}
END_TEST

START_TEST(only_a_change_made_goes_to_the_channel)
{
    fo_serve_command cmd = {.action = FO_SERVE_APPLY, .service_id = "SVC9", .plan_id = PLAN_ID};
    fo_apply_result applied = {.outcome = FO_APPLY_NOTHING, .active_before = 3};
    fo_serve_outcome outcome = {.applied = &applied};
    /* An apply that wrote nothing (nothing to fix, or stopped before the clone). */
    json_t *message = fo_serve_slack_message(&cmd, &outcome, "U1");
    ck_assert_str_eq(json_string_value(json_object_get(message, "response_type")), "ephemeral");
    json_decref(message);
    applied.outcome = FO_APPLY_FAILED;
    message = fo_serve_slack_message(&cmd, &outcome, "U1");
    ck_assert_str_eq(json_string_value(json_object_get(message, "response_type")), "ephemeral");
    json_decref(message);
    /* A version was written: the channel hears of it, whatever became of it. */
    applied.draft = 4;
    message = fo_serve_slack_message(&cmd, &outcome, "U1");
    ck_assert_str_eq(json_string_value(json_object_get(message, "response_type")), "in_channel");
    json_decref(message);
}
END_TEST

Suite *serve_blocks_suite(void)
{
    Suite *s = suite_create("serve_blocks");
    TCase *tc = tcase_create("blocks");
    tcase_add_test(tc, origin_text_is_escaped);
    tcase_add_test(tc, limits_kept);
    tcase_add_test(tc, errors_without_a_plan);
    tcase_add_test(tc, only_a_change_made_goes_to_the_channel);
    suite_add_tcase(s, tc);
    return s;
}
