/* fixorigin serve's checks of who may ask: the bearer token, Slack's v0 signature and its
 * five-minute window, the reply-URL allow-list, and the lists read from the environment.
 * The signature vector is the one in Slack's "Verifying requests from Slack" guide. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"

Suite *serve_auth_suite(void);

/* Slack's published example: secret, timestamp, body and the signature they give. */
static const char *const SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
static const char *const SLACK_TS = "1531420618";
static const char *const SLACK_BODY =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    "G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    "collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%"
    "2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
static const char *const SLACK_SIG =
    "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
static const long long SLACK_NOW = 1531420618;

START_TEST(bearer_accepts_only_the_token)
{
    ck_assert(fo_serve_bearer_ok("s3cret-token", "Bearer s3cret-token"));
    ck_assert(fo_serve_bearer_ok("s3cret-token", "bearer  s3cret-token "));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "Bearer s3cret-tokem"));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "Bearer s3cret-token2"));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "Bearer s3cret"));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "Basic s3cret-token"));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "s3cret-token"));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", "Bearer "));
    ck_assert(!fo_serve_bearer_ok("s3cret-token", NULL));
    /* No token configured: nothing passes, not even an empty one. */
    ck_assert(!fo_serve_bearer_ok("", "Bearer "));
    ck_assert(!fo_serve_bearer_ok(NULL, "Bearer x"));
}
END_TEST

START_TEST(slack_signature_of_slacks_example)
{
    fo_error err;
    fo_error_clear(&err);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     0);
    /* Up to five minutes old, up to a minute ahead (a clock a little fast). */
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW + 300, &err),
                     0);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW - 60, &err),
                     0);
}
END_TEST

START_TEST(slack_signature_forged)
{
    fo_error err;
    char body[1024], sig[80];
    snprintf(body, sizeof(body), "%s", SLACK_BODY);
    /* One byte of the body changed. */
    body[strlen(body) - 1] = 'd';
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, body, strlen(body),
                                           SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_str_eq(err.msg, "X-Slack-Signature does not match the request");
    /* Another secret, another timestamp, a signature cut short or without "v0=". */
    ck_assert_int_eq(fo_serve_slack_verify("another-secret", SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, "1531420619", SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    snprintf(sig, sizeof(sig), "%.40s", SLACK_SIG);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, sig, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG + 3, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    /* Upper-case hex is not what Slack sends. */
    snprintf(sig, sizeof(sig), "%s", SLACK_SIG);
    for (char *p = sig + 3; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'f' ? *p - 32 : *p);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, sig, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
}
END_TEST

/* The replay memory covers every second in which fo_serve_slack_verify accepts the
 * timestamp, wherever in that window the request first arrived. */
START_TEST(replays_are_refused_for_the_whole_window)
{
    static fo_serve_replay memory; /* large: not on the stack */
    const long long ts = SLACK_NOW;
    memset(&memory, 0, sizeof(memory));
    ck_assert_int_eq(fo_serve_replay_check(&memory, SLACK_SIG, ts, ts), FO_REPLAY_NEW);
    ck_assert_int_eq(fo_serve_replay_check(&memory, SLACK_SIG, ts, ts + 1), FO_REPLAY_SEEN);
    /* Exactly 300 s after the timestamp it is still accepted as fresh: still remembered. */
    ck_assert_int_eq(fo_serve_replay_check(&memory, SLACK_SIG, ts, ts + FO_SLACK_MAX_SKEW_S),
                     FO_REPLAY_SEEN);
    /* Signed ahead (within the skew), taken at once, replayed 302 s later: remembered from
     * the timestamp, not from the arrival. */
    const char *ahead = "v0=1111111111111111111111111111111111111111111111111111111111111111";
    long long arrival = ts - FO_SLACK_FUTURE_SKEW_S;
    ck_assert_int_eq(fo_serve_replay_check(&memory, ahead, ts, arrival), FO_REPLAY_NEW);
    ck_assert_int_eq(fo_serve_replay_check(&memory, ahead, ts, arrival + 302), FO_REPLAY_SEEN);
    /* Each verify-accepted moment of a replay is refused by one or the other. */
    fo_error err;
    for (long long now = ts - 70; now <= ts + 310; now++) {
        bool fresh = fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), now, &err) == 0;
        if (fresh)
            ck_assert_msg(fo_serve_replay_check(&memory, SLACK_SIG, ts, now) == FO_REPLAY_SEEN,
                          "a replay at %+lld s was taken", now - ts);
    }
    /* A slot is reused only once its timestamp is out of the window. */
    ck_assert_int_eq(fo_serve_replay_check(&memory, SLACK_SIG, ts, ts + 301), FO_REPLAY_NEW);
}
END_TEST

START_TEST(a_full_replay_memory_refuses_rather_than_forgets)
{
    static fo_serve_replay memory;
    char sig[FO_SLACK_SIGNATURE_MAX];
    memset(&memory, 0, sizeof(memory));
    for (int i = 0; i < FO_SLACK_REPLAY_SLOTS; i++) {
        snprintf(sig, sizeof(sig), "v0=%064d", i);
        ck_assert_int_eq(fo_serve_replay_check(&memory, sig, SLACK_NOW, SLACK_NOW), FO_REPLAY_NEW);
    }
    ck_assert_int_eq(fo_serve_replay_check(&memory, "v0=new", SLACK_NOW, SLACK_NOW + 10),
                     FO_REPLAY_FULL);
    snprintf(sig, sizeof(sig), "v0=%064d", 0);
    ck_assert_int_eq(fo_serve_replay_check(&memory, sig, SLACK_NOW, SLACK_NOW + 10),
                     FO_REPLAY_SEEN);
    /* Once the first ones leave the window, room again. */
    ck_assert_int_eq(fo_serve_replay_check(&memory, "v0=new", SLACK_NOW + 400, SLACK_NOW + 400),
                     FO_REPLAY_NEW);
}
END_TEST

START_TEST(slack_signature_stale_or_missing)
{
    fo_error err;
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW + 301, &err),
                     FO_EAUTH);
    ck_assert_str_eq(err.msg, "X-Slack-Request-Timestamp is more than 5 minutes old");
    /* Signed 290 s ahead of this clock: once accepted, which stretched the window a replay
     * memory had to cover to ten minutes. */
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW - 290, &err),
                     FO_EAUTH);
    ck_assert_str_eq(err.msg, "X-Slack-Request-Timestamp is more than 60 s ahead of this "
                              "server's clock");
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW - 61, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, NULL, SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, SLACK_TS, "", SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, "-1531420618", SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, "1531420618x", SLACK_SIG, SLACK_BODY,
                                           strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
    ck_assert_str_eq(err.msg, "X-Slack-Request-Timestamp is not a Unix time");
    ck_assert_int_eq(fo_serve_slack_verify(SLACK_SECRET, "99999999999999999999", SLACK_SIG,
                                           SLACK_BODY, strlen(SLACK_BODY), SLACK_NOW, &err),
                     FO_EAUTH);
}
END_TEST

START_TEST(reply_urls_allowed)
{
    const char *const allow[] = {"http://127.0.0.1:4567/"};
    ck_assert(fo_serve_url_allowed("https://hooks.slack.com/commands/T1/2/abc", NULL, 0));
    ck_assert(!fo_serve_url_allowed("http://hooks.slack.com/commands/T1/2/abc", NULL, 0));
    ck_assert(!fo_serve_url_allowed("https://hooks.slack.com.evil.test/commands", NULL, 0));
    ck_assert(!fo_serve_url_allowed("https://hooks.slack.com", NULL, 0));
    ck_assert(!fo_serve_url_allowed("https://hooks.slack.com/a b", NULL, 0));
    ck_assert(!fo_serve_url_allowed("https://hooks.slack.com/a\r\nHost: x", NULL, 0));
    ck_assert(!fo_serve_url_allowed(NULL, NULL, 0));
    ck_assert(!fo_serve_url_allowed("http://127.0.0.1:4567/reply", NULL, 0));
    ck_assert(fo_serve_url_allowed("http://127.0.0.1:4567/reply", allow, 1));
    ck_assert(fo_serve_url_allowed("https://hooks.slack.com/x", allow, 1));
    ck_assert(!fo_serve_url_allowed("http://127.0.0.1:45678/reply", allow, 1));
    ck_assert(!fo_serve_url_allowed("http://127.0.0.2:4567/reply", allow, 1));
}
END_TEST

START_TEST(allow_prefixes_must_name_a_host)
{
    ck_assert(fo_serve_prefix_valid("http://127.0.0.1:4567/"));
    ck_assert(fo_serve_prefix_valid("https://chat.example.com/hooks/"));
    ck_assert(!fo_serve_prefix_valid("http://127.0.0.1:4567"));
    ck_assert(!fo_serve_prefix_valid("https://"));
    ck_assert(!fo_serve_prefix_valid("https:///x"));
    ck_assert(!fo_serve_prefix_valid("ftp://127.0.0.1/"));
    ck_assert(!fo_serve_prefix_valid("127.0.0.1/"));
    ck_assert(!fo_serve_prefix_valid("https://user@host/"));
}
END_TEST

START_TEST(lists_split_on_commas_and_spaces)
{
    char **items = NULL;
    size_t count = 0;
    ck_assert_int_eq(fo_serve_list_parse(&items, &count, " U1,U2  U3,,\tU4 "), 0);
    ck_assert_uint_eq(count, 4);
    ck_assert_str_eq(items[0], "U1");
    ck_assert_str_eq(items[3], "U4");
    ck_assert(fo_serve_list_has(items, count, "U3"));
    ck_assert(!fo_serve_list_has(items, count, "U"));
    ck_assert(!fo_serve_list_has(items, count, NULL));
    fo_serve_list_free(items, count);
    ck_assert_int_eq(fo_serve_list_parse(&items, &count, NULL), 0);
    ck_assert_uint_eq(count, 0);
    ck_assert(!fo_serve_list_has(items, count, "U1"));
    fo_serve_list_free(items, count);
    ck_assert_int_eq(fo_serve_list_parse(&items, &count, " , "), 0);
    ck_assert_uint_eq(count, 0);
    fo_serve_list_free(items, count);
}
END_TEST

Suite *serve_auth_suite(void)
{
    Suite *s = suite_create("serve_auth");
    TCase *tc = tcase_create("auth");
    tcase_add_test(tc, bearer_accepts_only_the_token);
    tcase_add_test(tc, slack_signature_of_slacks_example);
    tcase_add_test(tc, slack_signature_forged);
    tcase_add_test(tc, slack_signature_stale_or_missing);
    tcase_add_test(tc, replays_are_refused_for_the_whole_window);
    tcase_add_test(tc, a_full_replay_memory_refuses_rather_than_forgets);
    tcase_add_test(tc, reply_urls_allowed);
    tcase_add_test(tc, allow_prefixes_must_name_a_host);
    tcase_add_test(tc, lists_split_on_commas_and_spaces);
    suite_add_tcase(s, tc);
    return s;
}
