/* fixorigin serve's JSON API over real HTTP, against fastly-mock and testbed-origins:
 * bearer tokens, diagnose/plan/apply with a stale and a current plan id, bodies that are
 * too large or malformed, concurrent requests while one waits on a slow API, SIGTERM in
 * the middle of a request, start-up errors, and the token never in any output. */
#define _GNU_SOURCE /* memmem */
#include <check.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scanserve_fixture.h"

Suite *serve_api_suite(void);

#define SERVE_TOKEN "serve-token-0123456789abcdef"
#define AUTH "Authorization: Bearer " SERVE_TOKEN

static const ss_service services[] = {
    {"FIX_A", {"hostname_mismatch"}},
    {"OK_A", {"healthy"}},
    {"SLOW", {"healthy"}},
    {"CONSENT_A", {"self_signed_certificate"}},
    /* Two services whose plans (version 1, nothing to fix) share their first 12 hex digits:
     * "3af00720a0a3", found by a birthday search over the 48-bit prefix of
     * SHA-256("fixorigin plan v1\0" SERVICE "\0" "1\0") (Brent's cycle finding, ~9 million
     * hashes); the test asserts the shared prefix, so a change to the plan id shows. */
    {"S17bbc1588df1", {"healthy"}},
    {"Sbb30a1f14e18", {"healthy"}},
};

static const char *const faults[] = {"--fail", "GET:/service/SLOW/details:*:delay=4000", NULL};
static const char *const serve_env[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN, NULL};
static const char *const serve_args[] = {"--max-body", "4096", NULL};

static ss_fleet f;
static ss_serve srv;

static void setup(void)
{
    ss_fleet_start(&f, services, sizeof(services) / sizeof(services[0]), faults);
    ss_serve_start(&srv, &f, serve_args, serve_env);
}

static void teardown(void)
{
    ss_serve_stop(&srv);
    ss_fleet_stop(&f);
}

/* POST path with the serve token and a JSON body; asserts the status. */
static json_t *post(const char *path, const char *body, long expect)
{
    http_resp r;
    const char *headers[] = {AUTH, "Content-Type: application/json", NULL};
    ss_http(&r, srv.port, "POST", path, headers, body, false);
    ck_assert_msg(r.curl_code == 0 && r.status == expect, "POST %s: curl %d, status %ld: %s", path,
                  r.curl_code, r.status, r.body);
    ck_assert_msg(json_is_object(r.json), "POST %s: not a JSON object: %s", path, r.body);
    ck_assert_ptr_null(strstr(r.body, SERVE_TOKEN));
    json_t *json = json_incref(r.json);
    http_free(&r);
    return json;
}

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

START_TEST(healthz_and_bearer_tokens)
{
    http_resp r;
    ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "status"), "ok");
    ck_assert_str_eq(http_header(&r, "Content-Type"), "application/json");
    http_free(&r);
    ss_http(&r, srv.port, "HEAD", "/healthz", NULL, NULL, false);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    const char *body = "{\"service_id\":\"OK_A\"}";
    const char *const bad[][3] = {
        {NULL},
        {"Authorization: Bearer serve-token-0123456789abcdeX", NULL},
        {"Authorization: Bearer serve-token-0123456789abcdef0", NULL},
        {"Authorization: Bearer serve-token", NULL},
        {"Authorization: Basic " SERVE_TOKEN, NULL},
        {"Authorization: " SERVE_TOKEN, NULL},
        {"X-Token: " SERVE_TOKEN, NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ss_http(&r, srv.port, "POST", "/v1/plan", bad[i], body, false);
        ck_assert_msg(r.status == 401, "case %zu: %ld", i, r.status);
        ck_assert_str_eq(str(r.json, "error"), "unauthorized");
        ck_assert_str_eq(http_header(&r, "WWW-Authenticate"), "Bearer realm=\"fixorigin\"");
        http_free(&r);
    }
    /* Nothing reached the Fastly API without the token. */
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/*/details"), 0);
    const char *lower[] = {"authorization: bearer " SERVE_TOKEN, NULL};
    ss_http(&r, srv.port, "POST", "/v1/diagnose", lower, body, false);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    /* Methods and paths. */
    ss_http(&r, srv.port, "GET", "/v1/plan", (const char *const[]){AUTH, NULL}, NULL, false);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(http_header(&r, "Allow"), "POST");
    http_free(&r);
    ss_http(&r, srv.port, "POST", "/healthz", NULL, "x", false);
    ck_assert_int_eq(r.status, 405);
    ck_assert_str_eq(http_header(&r, "Allow"), "GET, HEAD");
    http_free(&r);
    ss_http(&r, srv.port, "GET", "/v2/plan", NULL, NULL, false);
    ck_assert_int_eq(r.status, 404);
    ck_assert_str_eq(str(r.json, "error"), "not_found");
    http_free(&r);
}
END_TEST

START_TEST(diagnose_and_plan)
{
    json_t *ok = post("/v1/diagnose", "{\"service_id\":\"OK_A\"}", 200);
    ck_assert_str_eq(str(ok, "result"), "ok");
    ck_assert_int_eq(json_integer_value(json_object_get(ok, "exit_code")), 0);
    ck_assert_ptr_null(json_object_get(ok, "plan_id"));
    json_t *b0 = json_array_get(json_object_get(ok, "backends"), 0);
    ck_assert_str_eq(str(b0, "class"), "ok");
    ck_assert_str_eq(str(b0, "status"), "ok");
    json_decref(ok);

    json_t *diag = post("/v1/diagnose", "{\"service_id\":\"FIX_A\"}", 200);
    b0 = json_array_get(json_object_get(diag, "backends"), 0);
    ck_assert_str_eq(str(b0, "class"), "hostname_mismatch");
    ck_assert_str_eq(str(b0, "fastly_error"), "Hostname mismatch");
    ck_assert_str_eq(str(b0, "status"), "fix");
    json_decref(diag);

    json_t *plan = post("/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    ck_assert_str_eq(str(plan, "result"), "fixes_planned");
    ck_assert_int_eq(json_integer_value(json_object_get(plan, "exit_code")), 2);
    ck_assert_uint_eq(strlen(str(plan, "plan_id")), 64);
    json_t *report = json_object_get(plan, "report");
    ck_assert_str_eq(str(report, "schema"), "fixorigin.report/v1");
    ck_assert_str_eq(str(report, "plan_id"), str(plan, "plan_id"));
    json_t *change = json_array_get(
        json_object_get(json_array_get(json_object_get(report, "backends"), 0), "changes"), 0);
    ck_assert_str_eq(str(change, "field"), "ssl_cert_hostname");
    ck_assert_str_eq(str(change, "from"), "www.origin.test");
    ck_assert_str_eq(str(change, "to"), "other.origin.test");
    json_decref(plan);

    json_t *missing = post("/v1/plan", "{\"service_id\":\"NOT_THERE\"}", 404);
    ck_assert_str_eq(str(missing, "error"), "not_found");
    ck_assert_ptr_nonnull(strstr(str(missing, "message"), "Fastly API"));
    json_decref(missing);
    /* Looking writes nothing. */
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/clone"), 0);
}
END_TEST

/* Changes FIX_A behind serve's back: a new active version with another timeout. */
static void someone_else_activates(void)
{
    json_decref(api(&f.mock, "PUT", "/service/FIX_A/version/1/clone", NULL, 200));
    json_decref(
        api(&f.mock, "PUT", "/service/FIX_A/version/2/backend/b0", "connect_timeout=2000", 200));
    json_decref(api(&f.mock, "PUT", "/service/FIX_A/version/2/activate", NULL, 200));
}

START_TEST(apply_only_a_current_plan)
{
    char body[200];
    json_t *plan = post("/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    char old_id[65];
    snprintf(old_id, sizeof(old_id), "%s", str(plan, "plan_id"));
    json_decref(plan);
    someone_else_activates();
    /* The approved plan is stale: 409 with the new plan, nothing written. */
    snprintf(body, sizeof(body), "{\"service_id\":\"FIX_A\",\"plan_id\":\"%s\"}", old_id);
    json_t *stale = post("/v1/apply", body, 409);
    ck_assert_str_eq(str(stale, "error"), "stale_plan");
    ck_assert_str_ne(str(stale, "plan_id"), old_id);
    /* The answer is a conflict; the new plan in it says what it is. */
    ck_assert_str_eq(str(stale, "result"), "conflict");
    ck_assert_str_eq(str(json_object_get(stale, "report"), "result"), "fixes_planned");
    ck_assert_int_eq(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(stale, "report"), "versions"), "active_before")),
        2);
    char new_id[65];
    snprintf(new_id, sizeof(new_id), "%s", str(stale, "plan_id"));
    json_decref(stale);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 1);
    /* The new plan applies. */
    snprintf(body, sizeof(body), "{\"service_id\":\"FIX_A\",\"plan_id\":\"%s\"}", new_id);
    json_t *applied = post("/v1/apply", body, 200);
    ck_assert_str_eq(str(applied, "result"), "ok");
    json_t *report = json_object_get(applied, "report");
    ck_assert_str_eq(str(report, "mode"), "apply");
    ck_assert_str_eq(str(json_object_get(report, "apply"), "outcome"), "verified");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(report, "versions"), "active_after")),
        3);
    json_decref(applied);
    json_t *backend = api(&f.mock, "GET", "/service/FIX_A/version/3/backend/b0", NULL, 200);
    ck_assert_str_eq(str(backend, "ssl_cert_hostname"), "other.origin.test");
    json_decref(backend);
    /* Once applied, the same id is stale (the active version moved on). */
    json_t *again = post("/v1/apply", body, 409);
    ck_assert_str_eq(str(again, "error"), "stale_plan");
    json_decref(again);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 2);
    /* While another run holds the service's lock: 409 locked, nothing read or written. */
    char lock_path[300];
    snprintf(lock_path, sizeof(lock_path), "%s/locks/OK_A.lock", f.state_dir);
    int fd = open(lock_path, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
    json_t *locked = post("/v1/apply",
                          "{\"service_id\":\"OK_A\",\"plan_id\":\"0123456789abcdef0123456789abcdef"
                          "0123456789abcdef0123456789abcdef\"}",
                          409);
    ck_assert_str_eq(str(locked, "error"), "locked");
    ck_assert_ptr_nonnull(strstr(str(locked, "message"), "another fixorigin run"));
    json_decref(locked);
    close(fd);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/OK_A/details"), 0);
    /* A fix that needs consent is never applied by serve. */
    json_t *consent = post("/v1/plan", "{\"service_id\":\"CONSENT_A\"}", 200);
    snprintf(body, sizeof(body), "{\"service_id\":\"CONSENT_A\",\"plan_id\":\"%s\"}",
             str(consent, "plan_id"));
    json_decref(consent);
    json_t *refused = post("/v1/apply", body, 200);
    ck_assert_str_eq(str(refused, "result"), "needs_human");
    ck_assert_str_eq(str(json_object_get(json_object_get(refused, "report"), "apply"), "outcome"),
                     "nothing");
    json_decref(refused);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/CONSENT_A/version/*/clone"), 0);
}
END_TEST

/* Applies service's plan by id; asserts the status and returns the answer. */
static json_t *apply_by(const char *service, const char *plan_id, long expect)
{
    char body[200];
    snprintf(body, sizeof(body), "{\"service_id\":\"%s\",\"plan_id\":\"%s\"}", service, plan_id);
    return post("/v1/apply", body, expect);
}

START_TEST(a_short_plan_id_names_one_pending_plan)
{
    /* Not handed out yet: unknown, nothing read. */
    json_t *unknown = apply_by("FIX_A", "0123456789ab", 404);
    ck_assert_str_eq(str(unknown, "error"), "unknown_plan_id");
    ck_assert_ptr_nonnull(strstr(str(unknown, "message"), "no pending plan has the id "
                                                          "0123456789ab"));
    json_decref(unknown);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/FIX_A/details"), 0);

    json_t *plan = post("/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    char short_id[13];
    snprintf(short_id, sizeof(short_id), "%.12s", str(plan, "plan_id"));
    json_decref(plan);
    /* Another service's plan id is not this service's. */
    json_t *foreign = apply_by("OK_A", short_id, 404);
    ck_assert_str_eq(str(foreign, "error"), "unknown_plan_id");
    ck_assert_ptr_nonnull(strstr(str(foreign, "message"), "is a plan of service FIX_A, not of "
                                                          "OK_A"));
    json_decref(foreign);
    /* The 12 digits the text shows apply the plan. */
    json_t *applied = apply_by("FIX_A", short_id, 200);
    ck_assert_str_eq(str(applied, "result"), "ok");
    ck_assert_str_eq(str(json_object_get(json_object_get(applied, "report"), "apply"), "outcome"),
                     "verified");
    json_decref(applied);
    /* Once applied, the plan is stale like any other: 409 with the new plan. */
    json_t *again = apply_by("FIX_A", short_id, 409);
    ck_assert_str_eq(str(again, "error"), "stale_plan");
    json_decref(again);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 1);

    /* Two pending plans that start alike: ambiguous, nothing read; the whole id still works. */
    json_t *first = post("/v1/plan", "{\"service_id\":\"S17bbc1588df1\"}", 200);
    json_t *second = post("/v1/plan", "{\"service_id\":\"Sbb30a1f14e18\"}", 200);
    ck_assert_int_eq(strncmp(str(first, "plan_id"), "3af00720a0a3", 12), 0);
    ck_assert_int_eq(strncmp(str(second, "plan_id"), "3af00720a0a3", 12), 0);
    size_t reads = ss_log_count(&f, "GET", "/service/S17bbc1588df1/details");
    json_t *ambiguous = apply_by("S17bbc1588df1", "3af00720a0a3", 400);
    ck_assert_str_eq(str(ambiguous, "error"), "ambiguous_plan_id");
    ck_assert_str_eq(str(ambiguous, "message"),
                     "the plan id 3af00720a0a3 is ambiguous: 2 pending plans start with it; give "
                     "more digits or the whole 64-digit id");
    json_decref(ambiguous);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/S17bbc1588df1/details"), reads);
    char longer[20];
    snprintf(longer, sizeof(longer), "%.13s", str(first, "plan_id"));
    json_t *done = apply_by("S17bbc1588df1", longer, 200);
    ck_assert_str_eq(str(done, "result"), "ok");
    json_decref(done);
    json_decref(first);
    json_decref(second);
}
END_TEST

START_TEST(bad_bodies)
{
    static const struct {
        const char *path;
        const char *body;
        const char *says;
    } cases[] = {
        {"/v1/plan", "{\"service_id\":", "the body is not JSON"},
        {"/v1/plan", "", "the body is not JSON"},
        {"/v1/plan", "[]", "the body must be a JSON object"},
        {"/v1/plan", "{\"service\":\"OK_A\"}", "the body needs \"service_id\""},
        {"/v1/diagnose", "{\"service_id\":\"../OK_A\"}", "\"service_id\" is not a service id"},
        {"/v1/apply", "{\"service_id\":\"OK_A\"}", "the body needs \"plan_id\""},
        {"/v1/apply", "{\"service_id\":\"OK_A\",\"plan_id\":\"x\"}", "\"plan_id\" is not"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *r = post(cases[i].path, cases[i].body, 400);
        ck_assert_str_eq(str(r, "error"), "bad_request");
        ck_assert_msg(strstr(str(r, "message"), cases[i].says), "%s", str(r, "message"));
        json_decref(r);
    }
    /* Over --max-body 4096: refused from Content-Length, and while a chunked body arrives. */
    char *big = malloc(100000);
    memset(big, ' ', 99999);
    big[99999] = '\0';
    memcpy(big, "{\"service_id\":\"OK_A\",\"pad\":\"", 28);
    const char *headers[] = {AUTH, NULL};
    for (int chunked = 0; chunked < 2; chunked++) {
        http_resp r;
        ss_http(&r, srv.port, "POST", "/v1/plan", headers, big, chunked);
        ck_assert_msg(r.status == 413, "chunked %d: %ld %s", chunked, r.status, r.body);
        ck_assert_str_eq(str(r.json, "error"), "too_large");
        http_free(&r);
    }
    free(big);
    /* Past 4 MiB the body is not even read: a 413 at once, or the connection closed. */
    size_t huge_len = 5u << 20;
    char *huge = malloc(huge_len + 1);
    memset(huge, 'x', huge_len);
    huge[huge_len] = '\0';
    http_resp r;
    ss_http(&r, srv.port, "POST", "/v1/plan", headers, huge, false);
    ck_assert_msg(r.status == 413 || r.curl_code != 0, "%ld", r.status);
    http_free(&r);
    free(huge);
    ck_assert_uint_eq(ss_log_count(&f, "GET", "/service/*/details"), 0);
    /* The server is still there. */
    ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
}
END_TEST

typedef struct slow_call {
    json_t *answer;
    double done_ms;
} slow_call;

static void *slow_plan(void *arg)
{
    slow_call *call = arg;
    call->answer = post("/v1/plan", "{\"service_id\":\"SLOW\"}", 200);
    call->done_ms = fo_now_ms();
    return NULL;
}

START_TEST(slow_api_blocks_no_one_else)
{
    pthread_t thread;
    slow_call call = {NULL, 0};
    double started = fo_now_ms();
    ck_assert_int_eq(pthread_create(&thread, NULL, slow_plan, &call), 0);
    /* Let the slow request reach the mock, where its details read waits 4 s (the mock logs
     * a request when it answers, so the log cannot tell when it arrived). */
    ss_sleep_ms(1000);
    http_resp r;
    ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    json_t *quick = post("/v1/diagnose", "{\"service_id\":\"OK_A\"}", 200);
    double quick_done = fo_now_ms();
    json_decref(quick);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    /* The others finished while the slow one was still waiting on the API. */
    ck_assert_msg(quick_done < call.done_ms && quick_done - started < 3500,
                  "quick %.0f ms, slow %.0f ms", quick_done - started, call.done_ms - started);
    ck_assert_double_ge(call.done_ms - started, 3900);
    ck_assert_str_eq(str(call.answer, "result"), "ok");
    json_decref(call.answer);
}
END_TEST

START_TEST(sigterm_lets_a_request_finish)
{
    pthread_t thread;
    slow_call call = {NULL, 0};
    ck_assert_int_eq(pthread_create(&thread, NULL, slow_plan, &call), 0);
    ss_sleep_ms(1000); /* the request is in progress: its details read waits 4 s */
    kill(srv.proc.pid, SIGTERM);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_str_eq(str(call.answer, "result"), "ok");
    json_decref(call.answer);
    /* teardown checks the exit status (0) and the output. */
}
END_TEST

START_TEST(past_the_grace_period_work_under_way_still_answers)
{
    /* --grace 1, and a plan whose details read takes 4 s: the grace period ends while it
     * works. It is not cut short, and its answer still goes out. */
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--grace", "1", NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    pthread_t thread;
    slow_call call = {NULL, 0};
    ck_assert_int_eq(pthread_create(&thread, NULL, slow_plan, &call), 0);
    ss_sleep_ms(1000);
    kill(srv.proc.pid, SIGTERM);
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    ck_assert_str_eq(str(call.answer, "result"), "ok");
    json_decref(call.answer);
    char *err = read_file(srv.proc.err);
    ck_assert_ptr_nonnull(strstr(err, "1 request still at work after the grace period"));
    free(err);
}
END_TEST

/* A connection that sends the start of a request and then nothing: a slow client. */
static int slow_client(unsigned port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    const char start[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
    ck_assert_int_eq(write(fd, start, sizeof(start) - 1), (ssize_t)(sizeof(start) - 1));
    return fd;
}

START_TEST(one_address_cannot_take_every_connection)
{
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--max-per-ip", "3", NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    int fds[3];
    for (int i = 0; i < 3; i++)
        fds[i] = slow_client(srv.port);
    ss_sleep_ms(300);
    /* A fourth from the same address is turned away at once, not queued behind them. */
    http_resp r;
    ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
    ck_assert_msg(r.curl_code != 0 && r.status == 0, "curl %d, status %ld", r.curl_code, r.status);
    http_free(&r);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    /* Their places free again once they are gone. */
    int status = 0;
    for (int tries = 0; tries < 50 && status != 200; tries++) {
        ss_sleep_ms(100);
        ss_http(&r, srv.port, "GET", "/healthz", NULL, NULL, false);
        status = (int)r.status;
        http_free(&r);
    }
    ck_assert_int_eq(status, 200);
}
END_TEST

/* ---- slow clients from many addresses (slowloris) ---- */

enum { SLOW_ADDRESSES = 10, SLOW_PER_ADDRESS = 30, SLOW_CONNS = SLOW_ADDRESSES * SLOW_PER_ADDRESS };

typedef struct slow_attack {
    unsigned port;
    int fds[SLOW_CONNS];
    int reopened; /* connections the server closed, opened again */
    volatile int stop;
} slow_attack;

/* A non-blocking connection from 127.0.0.(2 + i / 30) that has sent the start of a request. */
static int slow_open(unsigned port, int i)
{
    struct sockaddr_in from = {.sin_family = AF_INET};
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + (uint32_t)(i / SLOW_PER_ADDRESS));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
        (connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0 && errno != EINPROGRESS)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Holds 300 connections, each sending its request a byte every 200 ms; one the server
 * closes is opened again at once, so the pressure never lets up. */
static void *slow_attack_run(void *arg)
{
    slow_attack *a = arg;
    static const char start[] = "POST /v1/plan HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    bool started[SLOW_CONNS] = {false};
    for (int i = 0; i < SLOW_CONNS; i++)
        a->fds[i] = slow_open(a->port, i);
    while (!a->stop) {
        for (int i = 0; i < SLOW_CONNS && !a->stop; i++) {
            char c;
            ssize_t sent = -1;
            errno = 0;
            if (a->fds[i] >= 0 && recv(a->fds[i], &c, 1, MSG_DONTWAIT) != 0) {
                sent = started[i]
                           ? send(a->fds[i], "a", 1, MSG_NOSIGNAL | MSG_DONTWAIT)
                           : send(a->fds[i], start, sizeof(start) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
                if (sent > 0)
                    started[i] = true;
            } else
                errno = ECONNRESET; /* the server closed it */
            if (sent < 0 && a->fds[i] >= 0 &&
                (errno == EAGAIN || errno == ENOTCONN)) /* EWOULDBLOCK is EAGAIN on Linux */
                continue; /* still connecting, or the buffer is full */
            if (sent < 0) {
                if (a->fds[i] >= 0) {
                    close(a->fds[i]);
                    a->reopened++;
                }
                a->fds[i] = slow_open(a->port, i);
                started[i] = false;
            }
        }
        for (int waited = 0; waited < 200 && !a->stop; waited += 20)
            usleep(20 * 1000);
    }
    for (int i = 0; i < SLOW_CONNS; i++) {
        if (a->fds[i] >= 0)
            close(a->fds[i]);
    }
    return NULL;
}

/* 256 slow connections from 8 addresses once kept /healthz unanswerable for as long as they
 * were held. With 300 from 10 addresses (each under --max-per-ip), health checks are answered
 * within a second: the slowest senders make room (--max-receiving) and none keeps sending
 * past --receive-timeout. On a shared machine one check in ten may stall on the test's own
 * CPU; none may wait 2.5 s, which a server that had to wait out a slow sender (3 s) would. */
START_TEST(healthz_answers_under_300_slow_connections)
{
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--receive-timeout", "3", NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    static slow_attack attack;
    memset(&attack, 0, sizeof(attack));
    attack.port = srv.port;
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, slow_attack_run, &attack), 0);
    ss_sleep_ms(1500); /* all 300 open and sending */
    double worst = 0;
    int slow = 0;
    for (int i = 0; i < 20; i++) {
        http_resp r;
        double start = fo_now_ms();
        http_request(&r, srv.port, "GET", "/healthz", NULL, NULL, false, 2500);
        double took = fo_now_ms() - start;
        worst = took > worst ? took : worst;
        slow += took >= 1000;
        ck_assert_msg(r.curl_code == 0 && r.status == 200 && took < 2500 && slow <= 2,
                      "check %d: curl %d, status %ld after %.0f ms (%d of them 1 s or more)", i,
                      r.curl_code, r.status, took, slow);
        http_free(&r);
        ss_sleep_ms(250);
    }
    attack.stop = 1;
    ck_assert_int_eq(pthread_join(thread, NULL), 0);
    /* The server closed slow senders (budget and deadline) and the attack kept opening. */
    ck_assert_int_gt(attack.reopened, SLOW_CONNS - 128 /* --max-receiving's default */);
    fprintf(stderr,
            "healthz under 300 slow connections: worst %.0f ms, %d of 20 over 1 s, %d reopened\n",
            worst, slow, attack.reopened);
}
END_TEST

/* One client sending its headers a byte at a time never trips the idle timeout; the whole
 * request must still arrive within --receive-timeout. */
START_TEST(a_request_must_arrive_within_the_receive_timeout)
{
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--receive-timeout", "2", NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    int fd = slow_client(srv.port);
    double start = fo_now_ms();
    bool closed = false;
    while (!closed && fo_now_ms() - start < 8000) {
        ss_sleep_ms(200);
        char c;
        closed = send(fd, "a", 1, MSG_NOSIGNAL) < 0 || recv(fd, &c, 1, MSG_DONTWAIT) == 0;
    }
    double took = fo_now_ms() - start;
    close(fd);
    ck_assert_msg(closed && took >= 1800 && took < 3500, "closed %d after %.0f ms", closed, took);
    /* A request sent at once is not touched by it. */
    json_t *plan = post("/v1/diagnose", "{\"service_id\":\"OK_A\"}", 200);
    json_decref(plan);
}
END_TEST

struct reuser {
    unsigned port;
    int failed;
    char last[160];
};

/* Requests one after another, each on a new connection the client closes itself (the server
 * would keep it open), as a client pool of a fixed size does. */
static void *reuse_connections(void *arg)
{
    struct reuser *r = arg;
    for (int i = 0; i < 100; i++) {
        http_resp resp;
        http_request(&resp, r->port, "GET", "/healthz", NULL, NULL, false, 30000);
        if (resp.curl_code != 0 || resp.status != 200) {
            r->failed++;
            snprintf(r->last, sizeof(r->last), "curl %d, status %ld", resp.curl_code, resp.status);
        }
        http_free(&resp);
    }
    return NULL;
}

START_TEST(exactly_the_limit_is_never_refused)
{
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--max-per-ip", "4", NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    /* A client at the limit: only connections that are still open count against it, not
     * ones it has closed and the server has yet to clean up. */
    pthread_t threads[4];
    struct reuser users[4];
    for (int i = 0; i < 4; i++) {
        users[i] = (struct reuser){.port = srv.port};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, reuse_connections, &users[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_msg(users[i].failed == 0, "client %d: %d of 100 refused (%s)", i, users[i].failed,
                      users[i].last);
    }
}
END_TEST

START_TEST(a_local_failure_is_the_server_s_not_fastly_s)
{
    /* The state directory breaks while serve runs (a file takes the place of its locks
     * directory): the lock of an apply fails here, not at Fastly, so the answer is 500
     * internal, not 502. */
    char dir[300], locks[320];
    snprintf(dir, sizeof(dir), "%s/not-a-dir", f.dir);
    snprintf(locks, sizeof(locks), "%s/locks", dir);
    ss_serve_stop(&srv);
    const char *const args[] = {"--max-body", "4096", "--state-dir", dir, NULL};
    ss_serve_start(&srv, &f, args, serve_env);
    ck_assert_int_eq(rmdir(locks), 0);
    FILE *fp = fopen(locks, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    json_t *plan = post("/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    char body[200];
    snprintf(body, sizeof(body), "{\"service_id\":\"FIX_A\",\"plan_id\":\"%s\"}",
             str(plan, "plan_id"));
    json_decref(plan);
    json_t *failed = post("/v1/apply", body, 500);
    ck_assert_str_eq(str(failed, "error"), "internal");
    ck_assert_ptr_nonnull(strstr(str(failed, "message"), "not-a-dir"));
    json_decref(failed);
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/FIX_A/version/*/clone"), 0);
}
END_TEST

/* Like ssh with loose key files: a state directory (the locks that keep two runs off one
 * service) that others may write to, or that is a symbolic link, is refused at start. */
START_TEST(a_loose_state_directory_is_refused)
{
    char open_dir[300], link_path[300], real[300];
    snprintf(open_dir, sizeof(open_dir), "%s/open-state", f.dir);
    snprintf(real, sizeof(real), "%s/real-state", f.dir);
    snprintf(link_path, sizeof(link_path), "%s/linked-state", f.dir);
    ck_assert_int_eq(mkdir(open_dir, 0700), 0);
    ck_assert_int_eq(chmod(open_dir, 0777), 0);
    ck_assert_int_eq(mkdir(real, 0700), 0);
    ck_assert_int_eq(symlink(real, link_path), 0);
    char locks_link[320], locks_target[320], locks_parent[300];
    snprintf(locks_parent, sizeof(locks_parent), "%s/locks-linked", f.dir);
    snprintf(locks_link, sizeof(locks_link), "%s/locks", locks_parent);
    snprintf(locks_target, sizeof(locks_target), "%s/elsewhere", f.dir);
    ck_assert_int_eq(mkdir(locks_parent, 0700), 0);
    ck_assert_int_eq(mkdir(locks_target, 0700), 0);
    ck_assert_int_eq(symlink(locks_target, locks_link), 0);
    const struct {
        const char *dir;
        const char *says;
    } cases[] = {
        {open_dir, "other users may write to it (mode 0777); run chmod go-w"},
        {link_path, "it is a symbolic link"},
        {locks_link, "it is a symbolic link"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {
            "serve", "--listen", "127.0.0.1:0", "--state-dir", i == 2 ? locks_parent : cases[i].dir,
            NULL};
        tb_run run;
        int code = ss_fixorigin(&run, &f, args, serve_env, 30000);
        ck_assert_msg(code == 1 && strstr(run.err, "refusing the state directory") &&
                          strstr(run.err, cases[i].says),
                      "case %zu: exit %d: %s", i, code, run.err);
        tb_run_free(&run);
        const char *scan[] = {"scan",      "--apply",     "--only-safe",
                              "--yes",     "--state-dir", i == 2 ? locks_parent : cases[i].dir,
                              "--service", "OK_A",        NULL};
        code = ss_fixorigin(&run, &f, scan, NULL, 30000);
        ck_assert_msg(code == 1 && strstr(run.err, cases[i].says), "scan case %zu: exit %d: %s", i,
                      code, run.err);
        tb_run_free(&run);
    }
    ck_assert_uint_eq(ss_log_count(&f, "PUT", "/service/*/version/*/clone"), 0);
}
END_TEST

START_TEST(token_never_in_output)
{
    json_t *plan = post("/v1/plan", "{\"service_id\":\"FIX_A\"}", 200);
    json_decref(plan);
    json_t *bad = post("/v1/plan", "{\"service_id\":\"NOT_THERE\"}", 404);
    json_decref(bad);
    char *err = read_file(srv.proc.err);
    char *out = read_file(srv.proc.out);
    ck_assert_ptr_null(strstr(err, SERVE_TOKEN));
    ck_assert_ptr_null(strstr(out, SERVE_TOKEN));
    ck_assert_ptr_null(strstr(err, MOCK_TOKEN));
    /* The access log names method, path and status, no header. */
    ck_assert_ptr_nonnull(strstr(err, "fixorigin serve: POST /v1/plan 200 "));
    ck_assert_ptr_null(strstr(err, "Bearer"));
    free(err);
    free(out);
}
END_TEST

/* A core dump of serve once held the Fastly token and the serve token: no core is written
 * (RLIMIT_CORE 0, and not dumpable), and the environment block (what /proc/PID/environ and
 * a dump show) no longer holds the secrets once read. */
START_TEST(no_secrets_in_a_core_dump_or_the_environment)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/limits", (long)srv.proc.pid);
    char *limits = read_file(path);
    ck_assert_ptr_nonnull(limits);
    const char *core = strstr(limits, "Max core file size");
    ck_assert_ptr_nonnull(core);
    long soft = -1, hard = -1;
    ck_assert_int_eq(sscanf(core + strlen("Max core file size"), " %ld %ld", &soft, &hard), 2);
    ck_assert_int_eq(soft, 0);
    ck_assert_int_eq(hard, 0);
    free(limits);

    snprintf(path, sizeof(path), "/proc/%ld/environ", (long)srv.proc.pid);
    FILE *env = fopen(path, "rb");
    if (env) { /* readable by root only once serve is not dumpable */
        fo_buf block = {0};
        char buf[4096];
        size_t n;
        while ((n = fread(buf, 1, sizeof(buf), env)) > 0)
            ck_assert_int_eq(fo_buf_append(&block, buf, n), 0);
        fclose(env);
        ck_assert_uint_gt(block.len, 0);
        ck_assert_ptr_null(memmem(block.data, block.len, SERVE_TOKEN, strlen(SERVE_TOKEN)));
        ck_assert_ptr_null(memmem(block.data, block.len, MOCK_TOKEN, strlen(MOCK_TOKEN)));
        fo_buf_clear(&block);
    }
    /* And it still works with what it read. */
    http_resp r;
    const char *headers[] = {AUTH, "Content-Type: application/json", NULL};
    ss_http(&r, srv.port, "POST", "/v1/diagnose", headers, "{\"service_id\":\"OK_A\"}", false);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
}
END_TEST

/* ---- start-up ---- */

START_TEST(start_errors)
{
    tb_run run;
    char in_use[64];
    snprintf(in_use, sizeof(in_use), "127.0.0.1:%u", f.mock.port);
    static const char *const no_secrets[] = {
        "FIXORIGIN_SERVE_TOKEN=", "SLACK_SIGNING_SECRET=", NULL};
    static const char *const short_token[] = {"FIXORIGIN_SERVE_TOKEN=short", NULL};
    static const char *const bad_allow[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN,
                                            "FIXORIGIN_RESPONSE_URL_ALLOW=http://127.0.0.1:9",
                                            NULL};
    static const char *const short_secret[] = {"SLACK_SIGNING_SECRET=x", NULL};
    static const char *const http_allow[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN,
                                             "FIXORIGIN_RESPONSE_URL_ALLOW=http://127.0.0.1:9/",
                                             NULL};
    static const char *const no_fastly[] = {"FIXORIGIN_SERVE_TOKEN=" SERVE_TOKEN,
                                            "FASTLY_API_TOKEN=", "FASTLY_API_KEY=", NULL};
    const struct {
        const char *args[6];
        const char *const *env;
        int code;
        const char *says;
    } cases[] = {
        {{"serve", "--listen", "127.0.0.1:0", NULL}, no_secrets, 64, "nothing to serve"},
        {{"serve", "--listen", "127.0.0.1:0", NULL}, short_token, 64, "too short"},
        {{"serve", "--listen", "127.0.0.1:0", NULL}, bad_allow, 64, "must be http(s)://HOST"},
        {{"serve", "--listen", "127.0.0.1:0", NULL},
         short_secret,
         64,
         "SLACK_SIGNING_SECRET is too short"},
        {{"serve", "--listen", "127.0.0.1:0", NULL},
         http_allow,
         64,
         "is plain http: replies would travel unencrypted"},
        {{"serve", "--listen", "127.0.0.1:0", NULL}, no_fastly, 64, "no Fastly API token"},
        {{"serve", "--listen", "localhost:80", NULL}, serve_env, 64, "numeric address"},
        {{"serve", "--listen", "127.0.0.1", NULL}, serve_env, 64, "ADDRESS:PORT"},
        {{"serve", "--listen", in_use, NULL}, serve_env, 1, "cannot listen on"},
        {{"serve", "--max-body", "12", NULL}, serve_env, 64, "--max-body takes"},
        {{"serve", "--bogus", NULL}, serve_env, 64, "unknown option '--bogus'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int code = ss_fixorigin(&run, &f, cases[i].args, cases[i].env, 30000);
        ck_assert_msg(code == cases[i].code && strstr(run.err, cases[i].says),
                      "case %zu: exit %d: %s", i, code, run.err);
        tb_run_free(&run);
    }
    const char *help[] = {"serve", "--help", NULL};
    ck_assert_int_eq(ss_fixorigin(&run, &f, help, NULL, 30000), 0);
    ck_assert_ptr_nonnull(strstr(run.out, "FIXORIGIN_SERVE_TOKEN"));
    tb_run_free(&run);
}
END_TEST

Suite *serve_api_suite(void)
{
    Suite *s = suite_create("serve_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 300);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, healthz_and_bearer_tokens);
    tcase_add_test(tc, diagnose_and_plan);
    tcase_add_test(tc, apply_only_a_current_plan);
    tcase_add_test(tc, a_short_plan_id_names_one_pending_plan);
    tcase_add_test(tc, bad_bodies);
    tcase_add_test(tc, slow_api_blocks_no_one_else);
    tcase_add_test(tc, sigterm_lets_a_request_finish);
    tcase_add_test(tc, past_the_grace_period_work_under_way_still_answers);
    tcase_add_test(tc, one_address_cannot_take_every_connection);
    tcase_add_test(tc, healthz_answers_under_300_slow_connections);
    tcase_add_test(tc, a_request_must_arrive_within_the_receive_timeout);
    tcase_add_test(tc, exactly_the_limit_is_never_refused);
    tcase_add_test(tc, a_local_failure_is_the_server_s_not_fastly_s);
    tcase_add_test(tc, a_loose_state_directory_is_refused);
    tcase_add_test(tc, token_never_in_output);
    tcase_add_test(tc, no_secrets_in_a_core_dump_or_the_environment);
    tcase_add_test(tc, start_errors);
    suite_add_tcase(s, tc);
    return s;
}
