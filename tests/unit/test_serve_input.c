/* fixorigin serve's reading of requests: Slack's form fields, slash-command text and the
 * JSON API's bodies, each with the inputs it must refuse. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"

Suite *serve_input_suite(void);

#define PLAN_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char *form(const char *body, const char *key, int expect_rc)
{
    char *value = NULL;
    fo_error err;
    ck_assert_int_eq(fo_serve_form_value(&value, body, strlen(body), key, &err), expect_rc);
    return value;
}

START_TEST(form_fields_decoded)
{
    const char *body = "token=x&user_id=U2CERLKJA&text=plan+SVC0%2Dx&response_url=https%3A%2F%"
                       "2Fhooks.slack.com%2Fcommands%2F1&empty=";
    char *v = form(body, "user_id", 0);
    ck_assert_str_eq(v, "U2CERLKJA");
    free(v);
    v = form(body, "text", 0);
    ck_assert_str_eq(v, "plan SVC0-x");
    free(v);
    v = form(body, "response_url", 0);
    ck_assert_str_eq(v, "https://hooks.slack.com/commands/1");
    free(v);
    v = form(body, "empty", 0);
    ck_assert_str_eq(v, "");
    free(v);
    /* Absent, or only a prefix of another key. */
    ck_assert_ptr_null(form(body, "channel", 0));
    ck_assert_ptr_null(form(body, "user", 0));
    ck_assert_ptr_null(form("", "text", 0));
}
END_TEST

START_TEST(form_bad_escapes_refused)
{
    ck_assert_ptr_null(form("text=%zz", "text", FO_EINVAL));
    ck_assert_ptr_null(form("text=abc%4", "text", FO_EINVAL));
    ck_assert_ptr_null(form("text=a%00b", "text", FO_EINVAL));
    /* A field that is not asked for may be broken. */
    ck_assert_ptr_null(form("other=%zz", "text", 0));
}
END_TEST

static int command(fo_serve_command *cmd, const char *text, fo_error *err)
{
    fo_error_clear(err);
    return fo_serve_command_parse(cmd, text, err);
}

START_TEST(slash_commands_read)
{
    fo_serve_command cmd;
    fo_error err;
    ck_assert_int_eq(command(&cmd, "diagnose SVC0EXAMPLE", &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_DIAGNOSE);
    ck_assert_str_eq(cmd.service_id, "SVC0EXAMPLE");
    ck_assert_int_eq(command(&cmd, "  plan\tSVC_0-a  ", &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_PLAN);
    ck_assert_str_eq(cmd.service_id, "SVC_0-a");
    ck_assert_int_eq(command(&cmd, "apply SVC0 " PLAN_ID, &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_APPLY);
    ck_assert_str_eq(cmd.plan_id, PLAN_ID);
    ck_assert_int_eq(command(&cmd, "", &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_HELP);
    ck_assert_int_eq(command(&cmd, "help", &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_HELP);
    ck_assert_str_eq(fo_serve_action_name(FO_SERVE_APPLY), "apply");
}
END_TEST

START_TEST(slash_commands_refused)
{
    fo_serve_command cmd;
    fo_error err;
    ck_assert_int_eq(command(&cmd, "destroy SVC0", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "unknown command 'destroy'");
    ck_assert_int_eq(command(&cmd, "plan", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "usage: plan <service>");
    ck_assert_int_eq(command(&cmd, "plan a b", &err), FO_EINVAL);
    ck_assert_int_eq(command(&cmd, "apply SVC0", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "usage: apply <service> <plan_id>");
    ck_assert_int_eq(command(&cmd, "apply SVC0 abc", &err), FO_EINVAL);
    ck_assert_int_eq(command(&cmd, "apply SVC0 " PLAN_ID "0", &err), FO_EINVAL);
    ck_assert_int_eq(command(&cmd, "diagnose ../../etc", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "'../../etc' is not a service id");
    ck_assert_int_eq(command(&cmd, "diagnose <@U123>", &err), FO_EINVAL);
    ck_assert_int_eq(command(&cmd, "a b c d e", &err), FO_EINVAL);
    char long_text[200];
    memset(long_text, 'A', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    ck_assert_int_eq(command(&cmd, long_text, &err), FO_EINVAL);
}
END_TEST

START_TEST(ids_checked)
{
    char id[FO_API_ID_MAX + 2];
    ck_assert(fo_api_service_id_valid("SVC0EXAMPLE"));
    ck_assert(!fo_api_service_id_valid(""));
    ck_assert(!fo_api_service_id_valid(NULL));
    ck_assert(!fo_api_service_id_valid("a/b"));
    ck_assert(!fo_api_service_id_valid("a%2Fb"));
    memset(id, 'a', FO_API_ID_MAX);
    id[FO_API_ID_MAX] = '\0';
    ck_assert(fo_api_service_id_valid(id));
    id[FO_API_ID_MAX] = 'a';
    id[FO_API_ID_MAX + 1] = '\0';
    ck_assert(!fo_api_service_id_valid(id));
    ck_assert(fo_serve_plan_id_valid(PLAN_ID));
    ck_assert(!fo_serve_plan_id_valid("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
                                      "abcdef"));
    ck_assert(!fo_serve_plan_id_valid(NULL));
}
END_TEST

static int body(fo_serve_command *cmd, fo_serve_action action, const char *json, fo_error *err)
{
    fo_error_clear(err);
    return fo_serve_json_parse(cmd, action, json, json ? strlen(json) : 0, err);
}

START_TEST(json_bodies_read)
{
    fo_serve_command cmd;
    fo_error err;
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"service_id\":\"SVC0\",\"extra\":1}", &err), 0);
    ck_assert_int_eq(cmd.action, FO_SERVE_PLAN);
    ck_assert_str_eq(cmd.service_id, "SVC0");
    ck_assert_int_eq(
        body(&cmd, FO_SERVE_APPLY, "{\"service_id\":\"SVC0\",\"plan_id\":\"" PLAN_ID "\"}", &err),
        0);
    ck_assert_str_eq(cmd.plan_id, PLAN_ID);
}
END_TEST

START_TEST(json_bodies_refused)
{
    fo_serve_command cmd;
    fo_error err;
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"service_id\":", &err), FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "the body is not JSON"));
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "", &err), FO_EINVAL);
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, NULL, &err), FO_EINVAL);
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "[\"SVC0\"]", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "the body must be a JSON object");
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"serviceId\":\"SVC0\"}", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "the body needs \"service_id\" (a string)");
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"service_id\":42}", &err), FO_EINVAL);
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"service_id\":\"a b\"}", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "\"service_id\" is not a service id");
    ck_assert_int_eq(
        body(&cmd, FO_SERVE_PLAN, "{\"service_id\":\"SVC0\",\"service_id\":\"SVC1\"}", &err),
        FO_EINVAL);
    ck_assert_int_eq(body(&cmd, FO_SERVE_APPLY, "{\"service_id\":\"SVC0\"}", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "the body needs \"plan_id\" (from /v1/plan)");
    ck_assert_int_eq(
        body(&cmd, FO_SERVE_APPLY, "{\"service_id\":\"SVC0\",\"plan_id\":\"abc\"}", &err),
        FO_EINVAL);
    ck_assert_int_eq(body(&cmd, FO_SERVE_PLAN, "{\"service_id\":\"SV\\u0000C\"}", &err), FO_EINVAL);
}
END_TEST

static int interaction(fo_serve_interaction *out, const char *payload)
{
    fo_error err;
    fo_error_clear(&err);
    return fo_serve_interaction_parse(out, payload, strlen(payload), &err);
}

#define PLAN64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

START_TEST(button_clicks_read)
{
    fo_serve_interaction in;
    /* Unknown fields anywhere are ignored; the first fixorigin action counts. */
    ck_assert_int_eq(
        interaction(&in, "{\"type\":\"block_actions\",\"new_field\":{\"x\":[1]},"
                         "\"user\":{\"id\":\"U1\",\"name\":\"s\"},\"channel\":{\"id\":\"C9\"},"
                         "\"response_url\":\"https://hooks.slack.com/actions/T/1/x\","
                         "\"actions\":[{\"action_id\":\"other\",\"value\":\"x\"},"
                         "{\"action_id\":\"fixorigin_cancel\",\"value\":\"SVC1 " PLAN64 "\"}]}"),
        0);
    ck_assert(in.ours);
    ck_assert(!in.approve);
    ck_assert_str_eq(in.user_id, "U1");
    ck_assert_str_eq(in.channel_id, "C9");
    ck_assert_str_eq(in.service_id, "SVC1");
    ck_assert_str_eq(in.plan_id, PLAN64);
    ck_assert_str_eq(in.response_url, "https://hooks.slack.com/actions/T/1/x");
    fo_serve_interaction_clear(&in);
    /* Not ours: another kind of interaction, another app's button. */
    ck_assert_int_eq(interaction(&in, "{\"type\":\"view_submission\"}"), 0);
    ck_assert(!in.ours);
    fo_serve_interaction_clear(&in);
    ck_assert_int_eq(interaction(&in, "{\"type\":\"block_actions\",\"actions\":[{\"action_id\""
                                      ":\"approve\"}]}"),
                     0);
    ck_assert(!in.ours);
    fo_serve_interaction_clear(&in);
}
END_TEST

START_TEST(button_clicks_refused)
{
    static const char *const bad[] = {
        "",
        "[]",
        "{\"type\":\"block_actions\",\"type\":\"block_actions\"}",
        /* no user */
        "{\"type\":\"block_actions\",\"response_url\":\"u\",\"actions\":[{\"action_id\":"
        "\"fixorigin_approve\",\"value\":\"S " PLAN64 "\"}]}",
        /* a user id that is not one */
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U 1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_approve\",\"value\":\"S " PLAN64 "\"}]}",
        /* no response_url */
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{\"action_id\":"
        "\"fixorigin_approve\",\"value\":\"S " PLAN64 "\"}]}",
        /* an action of ours fixorigin does not know */
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_destroy\",\"value\":\"S " PLAN64 "\"}]}",
        /* values: no plan, a short plan, a bad service, a number */
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_approve\",\"value\":\"S\"}]}",
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_approve\",\"value\":\"S 0123\"}]}",
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_approve\",\"value\":\"a/b " PLAN64 "\"}]}",
        "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"response_url\":\"u\","
        "\"actions\":[{\"action_id\":\"fixorigin_approve\",\"value\":7}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fo_serve_interaction in;
        ck_assert_msg(interaction(&in, bad[i]) == FO_EINVAL, "case %zu", i);
        ck_assert(!in.ours);
        fo_serve_interaction_clear(&in);
    }
}
END_TEST

Suite *serve_input_suite(void)
{
    Suite *s = suite_create("serve_input");
    TCase *tc = tcase_create("input");
    tcase_add_test(tc, form_fields_decoded);
    tcase_add_test(tc, form_bad_escapes_refused);
    tcase_add_test(tc, slash_commands_read);
    tcase_add_test(tc, slash_commands_refused);
    tcase_add_test(tc, ids_checked);
    tcase_add_test(tc, json_bodies_read);
    tcase_add_test(tc, json_bodies_refused);
    tcase_add_test(tc, button_clicks_read);
    tcase_add_test(tc, button_clicks_refused);
    suite_add_tcase(s, tc);
    return s;
}
