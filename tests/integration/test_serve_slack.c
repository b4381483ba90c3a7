/* fixorigin serve's Slack slash command over real HTTP: valid, forged and stale signatures;
 * the acknowledgement within 3 seconds and the Block Kit result delivered to a response_url
 * receiver on loopback inside the test; apply by a user in FIXORIGIN_APPLY_USERS (named in
 * the version comment) and refused for anyone else; stale plan ids; reply URLs outside the
 * allow-list refused; help and bad commands. Nothing here talks to Slack. */
#include <check.h>
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scanserve_fixture.h"

Suite *serve_slack_suite(void);

#define SECRET "slack-signing-secret-for-tests"

static const ss_service services[] = {
    {"FIX_A", {"hostname_mismatch"}},
    {"OK_A", {"healthy"}},
    {"SLOW", {"healthy"}},
    /* Their plans share the first 12 hex digits, 3af00720a0a3 (see test_serve_api.c). */
    {"S17bbc1588df1", {"healthy"}},
    {"Sbb30a1f14e18", {"healthy"}},
};
static const char *const faults[] = {"--fail", "GET:/service/SLOW/details:*:delay=4000", NULL};

/* ---- the response_url receiver ---- */

typedef struct receiver {
    struct MHD_Daemon *daemon;
    unsigned port;
    pthread_mutex_t lock;
    pthread_cond_t posted;
    json_t *bodies; /* every POST body, parsed (null when not JSON) */
} receiver;

typedef struct upload {
    fo_buf body;
} upload;

static enum MHD_Result on_post(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **req_cls)
{
    receiver *rx = cls;
    upload *up = *req_cls;
    (void)url;
    (void)method;
    (void)version;
    if (!up) {
        *req_cls = calloc(1, sizeof(upload));
        return *req_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        if (fo_buf_append(&up->body, data, *size) != 0)
            return MHD_NO;
        *size = 0;
        return MHD_YES;
    }
    json_t *body = json_loads(up->body.data ? up->body.data : "", 0, NULL);
    pthread_mutex_lock(&rx->lock);
    json_array_append_new(rx->bodies, body ? body : json_null());
    pthread_cond_broadcast(&rx->posted);
    pthread_mutex_unlock(&rx->lock);
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(2, (void *)"ok", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result r = MHD_queue_response(conn, 200, resp);
    MHD_destroy_response(resp);
    return r;
}

static void on_done(void *cls, struct MHD_Connection *conn, void **req_cls,
                    enum MHD_RequestTerminationCode code)
{
    upload *up = *req_cls;
    (void)cls;
    (void)conn;
    (void)code;
    if (up) {
        fo_buf_clear(&up->body);
        free(up);
    }
    *req_cls = NULL;
}

static receiver rx;

static void receiver_start(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    pthread_mutex_init(&rx.lock, NULL);
    pthread_cond_init(&rx.posted, NULL);
    rx.bodies = json_array();
    rx.daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL,
                         NULL, on_post, &rx, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                         MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL, MHD_OPTION_END);
    ck_assert_ptr_nonnull(rx.daemon);
    rx.port = MHD_get_daemon_info(rx.daemon, MHD_DAEMON_INFO_BIND_PORT)->port;
}

static void receiver_stop(void)
{
    MHD_stop_daemon(rx.daemon);
    json_decref(rx.bodies);
    pthread_cond_destroy(&rx.posted);
    pthread_mutex_destroy(&rx.lock);
}

/* The nth (0-based) body posted, waiting up to timeout_ms; NULL when none came. */
static json_t *received(size_t nth, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    pthread_mutex_lock(&rx.lock);
    while (json_array_size(rx.bodies) <= nth &&
           pthread_cond_timedwait(&rx.posted, &rx.lock, &deadline) == 0)
        ;
    json_t *body = json_incref(json_array_get(rx.bodies, nth));
    pthread_mutex_unlock(&rx.lock);
    return body;
}

static size_t received_count(void)
{
    pthread_mutex_lock(&rx.lock);
    size_t n = json_array_size(rx.bodies);
    pthread_mutex_unlock(&rx.lock);
    return n;
}

/* ---- the server ---- */

static ss_fleet f;
static ss_serve srv;
static char allow_env[96];

static void setup(void)
{
    receiver_start();
    ss_fleet_start(&f, services, sizeof(services) / sizeof(services[0]), faults);
    snprintf(allow_env, sizeof(allow_env), "FIXORIGIN_RESPONSE_URL_ALLOW=http://127.0.0.1:%u/",
             rx.port);
    const char *env[] = {"SLACK_SIGNING_SECRET=" SECRET, "FIXORIGIN_APPLY_USERS=UADMIN1, UADMIN2",
                         allow_env, "FIXORIGIN_SERVE_TOKEN=", NULL};
    /* The receiver is plain http on this machine: serve must be told that is meant. */
    const char *args[] = {"--allow-http-response-url", NULL};
    ss_serve_start(&srv, &f, args, env);
}

static void teardown(void)
{
    ss_serve_stop(&srv);
    ss_fleet_stop(&f);
    receiver_stop();
}

/* Slack's form body for a command. */
static void form(char *out, size_t size, const char *user, const char *text, const char *url)
{
    char escaped_text[300] = "", escaped_url[300] = "";
    size_t n = 0;
    for (const char *p = text; *p && n + 4 < sizeof(escaped_text); p++)
        n += (size_t)snprintf(escaped_text + n, 4, *p == ' ' ? "+" : "%c", *p);
    n = 0;
    for (const char *p = url; *p && n + 4 < sizeof(escaped_url); p++)
        n += (size_t)snprintf(escaped_url + n, 4, (*p == ':' || *p == '/') ? "%%%02X" : "%c", *p);
    snprintf(out, size,
             "token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&team_domain=example&channel_id="
             "C2147483705&channel_name=test&user_id=%s&user_name=steve&command=%%2Ffixorigin&"
             "text=%s&response_url=%s&trigger_id=13345224609.738474920.8088930838d88f008e0",
             user, escaped_text, escaped_url);
}

/* POSTs body to path signed with secret at timestamp ts (0: now). */
static void slack_to(http_resp *r, const char *path, const char *body, const char *secret,
                     long long ts, const char *extra_header)
{
    char ts_header[64], sig_header[128], base[4096];
    unsigned char mac[32];
    unsigned int len = 0;
    if (ts == 0)
        ts = (long long)time(NULL);
    snprintf(base, sizeof(base), "v0:%lld:%s", ts, body);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)base, strlen(base), mac,
         &len);
    int n = snprintf(sig_header, sizeof(sig_header), "X-Slack-Signature: v0=");
    for (unsigned int i = 0; i < len; i++)
        n += snprintf(sig_header + n, sizeof(sig_header) - (size_t)n, "%02x", mac[i]);
    snprintf(ts_header, sizeof(ts_header), "X-Slack-Request-Timestamp: %lld", ts);
    const char *headers[] = {ts_header, sig_header,
                             "Content-Type: application/x-www-form-urlencoded", extra_header, NULL};
    ss_http(r, srv.port, "POST", path, headers, body, false);
}

/* POSTs body to /slack/command signed with secret at timestamp ts (0: now). */
static void slack(http_resp *r, const char *body, const char *secret, long long ts,
                  const char *extra_header)
{
    slack_to(r, "/slack/command", body, secret, ts, extra_header);
}

static char reply_url[96];

static const char *reply(void)
{
    snprintf(reply_url, sizeof(reply_url), "http://127.0.0.1:%u/commands/T0001/1/xyz", rx.port);
    return reply_url;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* Every block's text, and the fallback text, joined. */
static char *message_text(const json_t *message)
{
    fo_buf all = {0};
    size_t i;
    json_t *block;
    ck_assert_int_eq(fo_buf_printf(&all, "%s\n", str(message, "text")), 0);
    json_array_foreach(json_object_get(message, "blocks"), i, block)
    {
        json_t *text = json_object_get(block, "text");
        if (!text)
            text = json_array_get(json_object_get(block, "elements"), 0);
        ck_assert_int_eq(fo_buf_printf(&all, "%s\n", str(text, "text")), 0);
    }
    return fo_buf_steal(&all);
}

/* Sends a command and checks the acknowledgement: 200 within 3 s, ephemeral. */
static void command(const char *user, const char *text, const char *ack_says)
{
    char body[1024];
    http_resp r;
    form(body, sizeof(body), user, text, reply());
    double start = fo_now_ms();
    slack(&r, body, SECRET, 0, NULL);
    double took = fo_now_ms() - start;
    ck_assert_msg(r.status == 200, "%s: %ld %s", text, r.status, r.body);
    ck_assert_msg(took < 3000, "%s: acknowledged after %.0f ms", text, took);
    ck_assert_str_eq(str(r.json, "response_type"), "ephemeral");
    ck_assert_msg(strstr(str(r.json, "text"), ack_says), "%s: %s", text, str(r.json, "text"));
    http_free(&r);
}

START_TEST(plan_then_apply_by_an_allowed_user)
{
    command("UUSER", "plan FIX_A", "Working on `plan FIX_A`");
    json_t *plan = received(0, 60000);
    ck_assert_msg(plan != NULL, "nothing was posted to the response_url");
    ck_assert_str_eq(str(plan, "response_type"), "ephemeral");
    char *text = message_text(plan);
    ck_assert_msg(strstr(text, "`hostname_mismatch` Hostname mismatch") &&
                      strstr(text, "set ssl_cert_hostname to other.origin.test") &&
                      strstr(text, "- ssl_cert_hostname: \"www.origin.test\"") &&
                      strstr(text, "+ ssl_cert_hostname: \"other.origin.test\""),
                  "%s", text);
    const char *id_at = strstr(text, "Plan id `");
    ck_assert_ptr_nonnull(id_at);
    char plan_id[65], apply[128];
    snprintf(plan_id, sizeof(plan_id), "%.64s", id_at + 9);
    free(text);
    json_decref(plan);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 0);

    snprintf(apply, sizeof(apply), "apply FIX_A %s", plan_id);
    command("UADMIN2", apply, "Working on `apply FIX_A`");
    json_t *done = received(1, 60000);
    ck_assert_ptr_nonnull(done);
    ck_assert_str_eq(str(done, "response_type"), "in_channel");
    text = message_text(done);
    ck_assert_msg(strstr(text, "*Apply:* verified; active version 2") &&
                      strstr(text, "requested by <@UADMIN2>"),
                  "%s", text);
    free(text);
    json_decref(done);
    /* The requesting user is in the version comment. */
    json_t *version = api(&f.mock, "GET", "/service/FIX_A/version/2", NULL, 200);
    ck_assert_msg(strstr(str(version, "comment"), ", by slack:UADMIN2)"), "%s",
                  str(version, "comment"));
    json_decref(version);
}
END_TEST

START_TEST(apply_refused_for_other_users_and_stale_plans)
{
    const char *fake_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char apply[128];
    snprintf(apply, sizeof(apply), "apply FIX_A %s", fake_id);
    command("UUSER", apply, "<@UUSER> may not apply fixes");
    /* An allowed user with a plan id that is not the current plan's. */
    command("UADMIN1", apply, "Working on `apply FIX_A`");
    json_t *stale = received(0, 60000);
    ck_assert_ptr_nonnull(stale);
    char *text = message_text(stale);
    ck_assert_msg(strstr(text, "the plan changed since it was made") && strstr(text, "Plan id `") &&
                      !strstr(text, fake_id),
                  "%s", text);
    free(text);
    json_decref(stale);
    /* Only that one answer: the refused user's command never ran. */
    ss_sleep_ms(1000);
    ck_assert_uint_eq(received_count(), 1);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "*"), 0);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/*"), 0);
}
END_TEST

/* The 12 hex digits the text shows name a pending plan; unknown and ambiguous ones are
 * answered clearly and nothing runs. */
START_TEST(a_short_plan_id_is_accepted_or_refused_clearly)
{
    command("UADMIN1", "apply FIX_A 0123456789ab", "Working on `apply FIX_A`");
    json_t *answer = received(0, 60000);
    ck_assert_ptr_nonnull(answer);
    char *text = message_text(answer);
    ck_assert_msg(strstr(text, "Could not apply `FIX_A`: no pending plan has the id "
                               "0123456789ab"),
                  "%s", text);
    free(text);
    json_decref(answer);

    command("UUSER", "plan FIX_A", "Working on `plan FIX_A`");
    json_t *plan = received(1, 60000);
    ck_assert_ptr_nonnull(plan);
    text = message_text(plan);
    const char *id_at = strstr(text, "Plan id `");
    ck_assert_ptr_nonnull(id_at);
    char apply[128];
    snprintf(apply, sizeof(apply), "apply FIX_A %.12s", id_at + 9);
    free(text);
    json_decref(plan);
    command("UADMIN1", apply, "Working on `apply FIX_A`");
    json_t *done = received(2, 60000);
    ck_assert_ptr_nonnull(done);
    text = message_text(done);
    ck_assert_msg(strstr(text, "*Apply:* verified; active version 2"), "%s", text);
    free(text);
    json_decref(done);

    command("UUSER", "plan S17bbc1588df1", "Working on");
    json_decref(received(3, 60000));
    command("UUSER", "plan Sbb30a1f14e18", "Working on");
    json_decref(received(4, 60000));
    command("UADMIN1", "apply Sbb30a1f14e18 3af00720a0a3", "Working on");
    answer = received(5, 60000);
    ck_assert_ptr_nonnull(answer);
    text = message_text(answer);
    ck_assert_msg(strstr(text, "the plan id 3af00720a0a3 is ambiguous: 2 pending plans start "
                               "with it"),
                  "%s", text);
    free(text);
    json_decref(answer);
    /* Too short to be a plan id: refused at once. */
    command("UADMIN1", "apply FIX_A 3af00720a0a", "is not a plan id (the 12 or 64 hex digits");
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/Sbb30a1f14e18/details"), 1);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/clone"), 1);
}
END_TEST

START_TEST(signatures_checked)
{
    char body[1024];
    http_resp r;
    form(body, sizeof(body), "UADMIN1", "plan FIX_A", reply());
    static const struct {
        const char *secret;
        long long skew;
    } bad[] = {{"another-secret", 0}, {SECRET, -301}, {SECRET, 301}, {SECRET, -3600}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        slack(&r, body, bad[i].secret, (long long)time(NULL) + bad[i].skew, NULL);
        ck_assert_msg(r.status == 401, "case %zu: %ld", i, r.status);
        ck_assert_str_eq(str(r.json, "error"), "unauthorized");
        http_free(&r);
    }
    /* Unsigned, and signed over another body. */
    ss_http(&r, srv.port, "POST", "/slack/command", NULL, body, false);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    char other[1024];
    form(other, sizeof(other), "UADMIN1", "plan OK_A", reply());
    char ts_header[64], sig_header[128], base[2048];
    unsigned char mac[32];
    unsigned int len = 0;
    long long now = (long long)time(NULL);
    snprintf(base, sizeof(base), "v0:%lld:%s", now, other);
    HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)base, strlen(base), mac,
         &len);
    int n = snprintf(sig_header, sizeof(sig_header), "X-Slack-Signature: v0=");
    for (unsigned int i = 0; i < len; i++)
        n += snprintf(sig_header + n, sizeof(sig_header) - (size_t)n, "%02x", mac[i]);
    snprintf(ts_header, sizeof(ts_header), "X-Slack-Request-Timestamp: %lld", now);
    const char *headers[] = {ts_header, sig_header, NULL};
    ss_http(&r, srv.port, "POST", "/slack/command", headers, body, false);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    /* Within the window either way, it is accepted. */
    slack(&r, body, SECRET, now - 240, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    json_t *answer = received(0, 60000);
    ck_assert_ptr_nonnull(answer);
    json_decref(answer);
    /* The same signed request again (captured and replayed): refused, nothing done. */
    slack(&r, body, SECRET, now - 240, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(str(r.json, "message"), "a replay"));
    http_free(&r);
    ss_sleep_ms(500);
    ck_assert_uint_eq(received_count(), 1);
    /* The JSON API is off without its token. */
    ss_http(&r, srv.port, "POST", "/v1/plan", (const char *const[]){"Authorization: Bearer ", NULL},
            "{\"service_id\":\"OK_A\"}", false);
    ck_assert_int_eq(r.status, 401);
    ck_assert_ptr_nonnull(strstr(str(r.json, "message"), "FIXORIGIN_SERVE_TOKEN is not set"));
    http_free(&r);
}
END_TEST

START_TEST(reply_urls_outside_the_allow_list_refused)
{
    char body[1024], url[128];
    http_resp r;
    const char *urls[] = {"https://example.invalid/commands/1", "http://127.0.0.2:9/x",
                          "https://hooks.slack.com.example.invalid/commands/1", NULL};
    snprintf(url, sizeof(url), "http://127.0.0.1:%u0/x", rx.port);
    urls[3] = url;
    for (size_t i = 0; i < 4; i++) {
        form(body, sizeof(body), "UADMIN1", "plan OK_A", urls[i]);
        slack(&r, body, SECRET, 0, NULL);
        ck_assert_msg(r.status == 400, "%s: %ld", urls[i], r.status);
        ck_assert_str_eq(str(r.json, "error"), "response_url_refused");
        http_free(&r);
    }
    /* No response_url at all. */
    slack(&r, "user_id=UADMIN1&text=plan+OK_A", SECRET, 0, NULL);
    ck_assert_int_eq(r.status, 400);
    http_free(&r);
    ss_sleep_ms(1000);
    ck_assert_uint_eq(received_count(), 0);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/*/details"), 0);
}
END_TEST

START_TEST(help_bad_commands_and_retries)
{
    command("UUSER", "help", "`plan <service>`");
    command("UUSER", "", "`apply <service> <plan_id>`");
    command("UUSER", "destroy FIX_A", "unknown command 'destroy'");
    /* The user's words quoted back cannot ping the channel. */
    command("UUSER", "<!channel> FIX_A", "unknown command '&lt;!channel&gt;'");
    command("UUSER", "apply FIX_A nothex", "'nothex' is not a plan id");
    command("UUSER", "diagnose a/b", "'a/b' is not a service id");
    command("UUSER", "d\xff\xfe",
            "unknown command 'd?"
            "?'");
    /* Slack's retry of a command already acknowledged is not worked on twice. */
    char body[1024];
    http_resp r;
    form(body, sizeof(body), "UUSER", "diagnose OK_A", reply());
    slack(&r, body, SECRET, 0, "X-Slack-Retry-Num: 1");
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    ss_sleep_ms(1000);
    ck_assert_uint_eq(received_count(), 0);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/*/details"), 0);
}
END_TEST

/* ---- Approve and Cancel ---- */

/* The form body Slack posts to /slack/interactive for a click: payload=<block_actions JSON>,
 * %-encoded. A new string. */
static char *click_form(const char *user, const char *action_id, const char *value, const char *url)
{
    json_t *payload = json_pack(
        "{s:s, s:{s:s, s:s, s:s}, s:s, s:{s:s, s:s, s:s, s:b}, s:s, s:{s:s}, s:{s:s, s:s}, "
        "s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:s}]}",
        "type", "block_actions", "user", "id", user, "username", "steve", "team_id", "T0001",
        "api_app_id", "A0001", "container", "type", "message", "message_ts", "1548261231.000200",
        "channel_id", "C2147483705", "is_ephemeral", 1, "trigger_id", "12466734323.1395872398",
        "team", "id", "T0001", "channel", "id", "C2147483705", "name", "test", "message", "type",
        "message", "ts", "1548261231.000200", "actions", "action_id", action_id, "block_id",
        "fixorigin_plan", "type", "button", "text", "type", "plain_text", "text", "Approve",
        "value", value, "action_ts", "1548426417.840180", "style", "primary");
    json_object_set_new(payload, "response_url", json_string(url));
    /* Each click Slack sends differs (its trigger id), so its signature does too. */
    static int clicks;
    char trigger[64];
    snprintf(trigger, sizeof(trigger), "12466734323.1395872398.%d", ++clicks);
    json_object_set_new(payload, "trigger_id", json_string(trigger));
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    fo_buf body = {0};
    ck_assert_int_eq(fo_buf_puts(&body, "payload="), 0);
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '_' || c == '.';
        ck_assert_int_eq(plain ? fo_buf_append(&body, p, 1) : fo_buf_printf(&body, "%%%02X", c), 0);
    }
    free(text);
    return fo_buf_steal(&body);
}

/* Clicks a button: returns the status, acknowledged within 3 s. */
static long click(const char *user, const char *action_id, const char *value)
{
    http_resp r;
    char *body = click_form(user, action_id, value, reply());
    double start = fo_now_ms();
    slack_to(&r, "/slack/interactive", body, SECRET, 0, NULL);
    ck_assert_msg(fo_now_ms() - start < 3000, "a click acknowledged after %.0f ms",
                  fo_now_ms() - start);
    long status = r.status;
    http_free(&r);
    free(body);
    return status;
}

/* The value of a message's button action_id ("SERVICE PLAN_ID"), or NULL when it has none.
 * Borrowed from message. */
static const char *button(const json_t *message, const char *action_id)
{
    size_t i, j;
    json_t *block, *element;
    json_array_foreach(json_object_get(message, "blocks"), i, block)
    {
        if (strcmp(str(block, "type"), "actions") != 0)
            continue;
        json_array_foreach(json_object_get(block, "elements"), j, element)
        {
            if (strcmp(str(element, "action_id"), action_id) == 0)
                return str(element, "value");
        }
    }
    return NULL;
}

/* Runs `plan service` and returns its message's button value (copied into value). */
static void plan_with_buttons(char *value, size_t size, const char *service, size_t nth)
{
    char text[64];
    snprintf(text, sizeof(text), "plan %s", service);
    command("UUSER", text, "Working on `plan");
    json_t *plan = received(nth, 60000);
    ck_assert_msg(plan != NULL, "nothing was posted to the response_url");
    const char *approve = button(plan, "fixorigin_approve");
    const char *cancel = button(plan, "fixorigin_cancel");
    ck_assert_msg(approve && cancel, "no buttons: %s", json_dumps(plan, 0));
    ck_assert_str_eq(approve, cancel);
    snprintf(value, size, "%s", approve);
    ck_assert_msg(strncmp(value, service, strlen(service)) == 0 && value[strlen(service)] == ' ' &&
                      strlen(value) == strlen(service) + 65,
                  "%s", value);
    json_decref(plan);
}

static size_t clones(void)
{
    return ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone");
}

START_TEST(approve_applies_once_and_edits_the_message)
{
    char value[128];
    plan_with_buttons(value, sizeof(value), "FIX_A", 0);
    ck_assert_uint_eq(clones(), 0);
    ck_assert_int_eq(click("UADMIN1", "fixorigin_approve", value), 200);
    /* A second click while the first is at work, and one after: refused, nothing more. */
    ck_assert_int_eq(click("UADMIN2", "fixorigin_approve", value), 200);
    json_t *done = NULL, *again = NULL;
    for (size_t i = 1; i <= 2; i++) {
        json_t *m = received(i, 60000);
        ck_assert_ptr_nonnull(m);
        if (json_is_true(json_object_get(m, "replace_original")))
            done = m;
        else
            again = m;
    }
    ck_assert_msg(done && again, "one result replacing the plan and one refusal");
    char *text = message_text(done);
    ck_assert_msg(strstr(text, "*Apply:* verified; active version 2") &&
                      strstr(text, "requested by <@UADMIN1>"),
                  "%s", text);
    ck_assert_ptr_null(button(done, "fixorigin_approve")); /* applied: nothing to approve */
    free(text);
    ck_assert_str_eq(str(again, "response_type"), "ephemeral");
    ck_assert_msg(strstr(str(again, "text"), "<@UADMIN1> approved this plan already"), "%s",
                  str(again, "text"));
    json_decref(done);
    json_decref(again);
    ck_assert_int_eq(click("UADMIN2", "fixorigin_approve", value), 200);
    json_t *third = received(3, 60000);
    ck_assert_ptr_nonnull(third);
    ck_assert_msg(strstr(str(third, "text"), "<@UADMIN1> approved this plan already"), "%s",
                  str(third, "text"));
    json_decref(third);
    ck_assert_uint_eq(clones(), 1);
    json_t *version = api(&f.mock, "GET", "/service/FIX_A/version/2", NULL, 200);
    ck_assert_msg(strstr(str(version, "comment"), ", by slack:UADMIN1)"), "%s",
                  str(version, "comment"));
    json_decref(version);
}
END_TEST

START_TEST(cancel_discards_the_plan)
{
    char value[128];
    plan_with_buttons(value, sizeof(value), "FIX_A", 0);
    /* Someone not allowed: refused, and the plan stays pending. */
    ck_assert_int_eq(click("UUSER", "fixorigin_approve", value), 200);
    json_t *refused = received(1, 60000);
    ck_assert_ptr_nonnull(refused);
    ck_assert_msg(strstr(str(refused, "text"), "<@UUSER> may not approve or cancel plans"), "%s",
                  str(refused, "text"));
    ck_assert(json_is_false(json_object_get(refused, "replace_original")));
    json_decref(refused);
    ck_assert_int_eq(click("UUSER", "fixorigin_cancel", value), 200);
    json_decref(received(2, 60000));
    /* An allowed user cancels: the message says so in place of the plan. */
    ck_assert_int_eq(click("UADMIN2", "fixorigin_cancel", value), 200);
    json_t *cancelled = received(3, 60000);
    ck_assert_ptr_nonnull(cancelled);
    ck_assert(json_is_true(json_object_get(cancelled, "replace_original")));
    ck_assert_msg(
        strstr(str(cancelled, "text"), "was cancelled by <@UADMIN2>. Nothing was written"), "%s",
        str(cancelled, "text"));
    ck_assert_ptr_null(button(cancelled, "fixorigin_approve"));
    json_decref(cancelled);
    /* Approve after Cancel: refused. */
    ck_assert_int_eq(click("UADMIN1", "fixorigin_approve", value), 200);
    json_t *late = received(4, 60000);
    ck_assert_ptr_nonnull(late);
    ck_assert_msg(strstr(str(late, "text"), "<@UADMIN2> cancelled this plan already"), "%s",
                  str(late, "text"));
    json_decref(late);
    ss_sleep_ms(500);
    ck_assert_uint_eq(received_count(), 5);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "*"), 0);
}
END_TEST

START_TEST(approve_of_a_stale_plan_writes_nothing_and_offers_the_new_one)
{
    char value[128];
    plan_with_buttons(value, sizeof(value), "FIX_A", 0);
    /* Another person changes the service meanwhile. */
    json_decref(api(&f.mock, "PUT", "/service/FIX_A/version/1/clone", NULL, 200));
    json_decref(
        api(&f.mock, "PUT", "/service/FIX_A/version/2/backend/b0", "connect_timeout=2000", 200));
    json_decref(api(&f.mock, "PUT", "/service/FIX_A/version/2/activate", NULL, 200));
    ck_assert_int_eq(click("UADMIN1", "fixorigin_approve", value), 200);
    json_t *stale = received(1, 60000);
    ck_assert_ptr_nonnull(stale);
    ck_assert(json_is_true(json_object_get(stale, "replace_original")));
    char *text = message_text(stale);
    ck_assert_msg(strstr(text, "the plan changed since it was made"), "%s", text);
    free(text);
    const char *fresh = button(stale, "fixorigin_approve");
    ck_assert_msg(fresh && strcmp(fresh, value) != 0, "the new plan has its own buttons");
    char fresh_value[128];
    snprintf(fresh_value, sizeof(fresh_value), "%s", fresh);
    json_decref(stale);
    ck_assert_uint_eq(clones(), 1); /* the other person's only */
    /* The old plan's buttons are spent; the new plan's apply it. */
    ck_assert_int_eq(click("UADMIN1", "fixorigin_approve", value), 200);
    json_t *spent = received(2, 60000);
    ck_assert_msg(strstr(str(spent, "text"), "approved this plan already"), "%s",
                  str(spent, "text"));
    json_decref(spent);
    ck_assert_int_eq(click("UADMIN2", "fixorigin_approve", fresh_value), 200);
    json_t *done = received(3, 60000);
    ck_assert_ptr_nonnull(done);
    text = message_text(done);
    ck_assert_msg(strstr(text, "*Apply:* verified; active version 3"), "%s", text);
    free(text);
    json_decref(done);
    ck_assert_uint_eq(clones(), 2);
}
END_TEST

START_TEST(clicks_are_signed_once_and_read_strictly)
{
    char value[128];
    plan_with_buttons(value, sizeof(value), "FIX_A", 0);
    char *body = click_form("UADMIN1", "fixorigin_approve", value, reply());
    http_resp r;
    /* Forged: another secret, an old timestamp, no signature. */
    slack_to(&r, "/slack/interactive", body, "another-secret", 0, NULL);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    slack_to(&r, "/slack/interactive", body, SECRET, (long long)time(NULL) - 400, NULL);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    ss_http(&r, srv.port, "POST", "/slack/interactive", NULL, body, false);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    /* The same signed click sent twice: the second is a replay. */
    long long ts = (long long)time(NULL);
    slack_to(&r, "/slack/interactive", body, SECRET, ts, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    slack_to(&r, "/slack/interactive", body, SECRET, ts, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert_msg(strstr(str(r.json, "message"), "replay"), "%s", r.body);
    http_free(&r);
    free(body);
    json_decref(received(1, 60000)); /* the one click's result */
    ck_assert_uint_eq(clones(), 1);

    /* Bodies that are not a fixorigin click. */
    static const char *const bad[] = {
        "payload=%7B%22type%22", /* not JSON */
        "nothing=1",             /* no payload */
        "payload=%5B1%2C2%5D",   /* not an object */
        ("payload=%7B%22type%22%3A%22block_actions%22%2C%22actions%22%3A%5B%7B%22action_id%22%3A"
         "%22fixorigin_approve%22%2C%22value%22%3A%22FIX_A%22%7D%5D%7D"), /* no user, bad value */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        slack_to(&r, "/slack/interactive", bad[i], SECRET, 0, NULL);
        ck_assert_msg(r.status == 400, "case %zu: %ld %s", i, r.status, r.body);
        http_free(&r);
    }
    char *wrong = click_form("UADMIN1", "fixorigin_approve", "FIX_A 123", reply());
    slack_to(&r, "/slack/interactive", wrong, SECRET, 0, NULL);
    ck_assert_msg(r.status == 400 && strstr(r.body, "not 'SERVICE PLAN_ID'"), "%s", r.body);
    http_free(&r);
    free(wrong);
    wrong = click_form("UADMIN1", "fixorigin_approve", value, "https://evil.test/x");
    slack_to(&r, "/slack/interactive", wrong, SECRET, 0, NULL);
    ck_assert_msg(r.status == 400 && strstr(r.body, "response_url_refused"), "%s", r.body);
    http_free(&r);
    free(wrong);
    /* Another app's button, or another kind of interaction: acknowledged, ignored. */
    wrong = click_form("UADMIN1", "other_app_button", value, reply());
    slack_to(&r, "/slack/interactive", wrong, SECRET, 0, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    free(wrong);
    ss_sleep_ms(500);
    ck_assert_uint_eq(received_count(), 2);
    ck_assert_uint_eq(clones(), 1);
}
END_TEST

START_TEST(only_a_plan_with_fixes_has_buttons)
{
    command("UUSER", "plan OK_A", "Working on `plan OK_A`");
    json_t *ok = received(0, 60000);
    ck_assert_ptr_nonnull(ok);
    ck_assert_ptr_null(button(ok, "fixorigin_approve"));
    json_decref(ok);
    command("UUSER", "diagnose FIX_A", "Working on `diagnose FIX_A`");
    json_t *diagnosis = received(1, 60000);
    ck_assert_ptr_nonnull(diagnosis);
    ck_assert_ptr_null(button(diagnosis, "fixorigin_approve"));
    json_decref(diagnosis);
}
END_TEST

START_TEST(slow_api_still_acknowledged_at_once)
{
    command("UUSER", "diagnose SLOW", "Working on `diagnose SLOW`");
    command("UUSER", "diagnose OK_A", "Working on `diagnose OK_A`");
    /* OK_A's answer comes first: the slow one waits on the API, not in front of it. */
    json_t *first = received(0, 60000);
    json_t *second = received(1, 60000);
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_nonnull(second);
    char *a = message_text(first), *b = message_text(second);
    ck_assert_msg(strstr(a, "`OK_A`") && strstr(b, "`SLOW`"), "%s\n---\n%s", a, b);
    ck_assert_msg(strstr(b, ":white_check_mark: nothing to fix"), "%s", b);
    free(a);
    free(b);
    json_decref(first);
    json_decref(second);
}
END_TEST

Suite *serve_slack_suite(void)
{
    Suite *s = suite_create("serve_slack");
    TCase *tc = tcase_create("slack");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plan_then_apply_by_an_allowed_user);
    tcase_add_test(tc, apply_refused_for_other_users_and_stale_plans);
    tcase_add_test(tc, a_short_plan_id_is_accepted_or_refused_clearly);
    tcase_add_test(tc, signatures_checked);
    tcase_add_test(tc, reply_urls_outside_the_allow_list_refused);
    tcase_add_test(tc, help_bad_commands_and_retries);
    tcase_add_test(tc, slow_api_still_acknowledged_at_once);
    tcase_add_test(tc, approve_applies_once_and_edits_the_message);
    tcase_add_test(tc, cancel_discards_the_plan);
    tcase_add_test(tc, approve_of_a_stale_plan_writes_nothing_and_offers_the_new_one);
    tcase_add_test(tc, clicks_are_signed_once_and_read_strictly);
    tcase_add_test(tc, only_a_plan_with_fixes_has_buttons);
    suite_add_tcase(s, tc);
    return s;
}
