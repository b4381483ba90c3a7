/* The client's core: error lines for every error shape, which statuses are
 * retried and how long it waits, the configuration the official CLI reads,
 * and the token kept out of every message and log line. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_replay.h"

Suite *api_client_suite(void);

static replay *r;
static fo_api *api;
static fo_error err;
static fo_buf logged;

static void keep_log(void *ctx, fo_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    ck_assert_int_eq(fo_buf_printf(&logged, "%s\n", msg), 0);
}

static void setup(void)
{
    r = replay_new();
    memset(&logged, 0, sizeof(logged));
    api = replay_client_logged(r, keep_log, NULL);
    fo_error_clear(&err);
}

static void teardown(void)
{
    fo_api_free(api);
    replay_free(r);
    fo_buf_clear(&logged);
}

/* Serves answer `index` of a cassette to GET /service/S/version/1/backend/a
 * and returns what fo_api_backend_get made of it. */
static int backend_get_answered_by(const char *cassette, int index)
{
    fo_backend *b = NULL;
    int first = replay_load(r, cassette);
    replay_retarget(r, first + index, "GET", "/service/S/version/1/backend/a");
    int rc = fo_api_backend_get(api, &b, "S", 1, "a", &err);
    ck_assert_ptr_null(b);
    return rc;
}

/* The same for a write: PUT /service/S/version/1/lock. */
static int lock_answered_by(const char *cassette, int index)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    int first = replay_load(r, cassette);
    replay_retarget(r, first + index, "PUT", "/service/S/version/1/lock");
    int rc = fo_api_version_lock(api, &v, "S", 1, &err);
    ck_assert_ptr_null(v);
    return rc;
}

/* ---- error lines ---- */

START_TEST(msg_and_detail)
{
    ck_assert_int_eq(backend_get_answered_by("backends/cleanup.yaml", 0), FO_ENOTFOUND);
    ck_assert_int_eq(err.http_status, 404);
    ck_assert_str_eq(err.msg, "Fastly API: 404 Record not found: Couldn't find Backend '{ deleted "
                              "=> 0000-00-00 00:00:00, name => test-backend, service => "
                              "kKJb5bOFI47uHeBVluGfX1, version => 145 }'");
    ck_assert_uint_eq(replay_sent_count(r), 1); /* a 404 is an answer: no retry */
}
END_TEST

START_TEST(errors_array)
{
    ck_assert_int_eq(backend_get_answered_by("errors/version_locked_422/cleanup.yaml", 0),
                     FO_ENOTFOUND);
    ck_assert_str_eq(err.msg,
                     "Fastly API: 404 Not found: The subscription you requested was not found");
}
END_TEST

START_TEST(msg_only_conflict)
{
    ck_assert_int_eq(backend_get_answered_by("errors/conflict_409/recreate.yaml", 0), FO_ECONFLICT);
    ck_assert_str_eq(
        err.msg,
        "Fastly API: 409 Compute@Edge Log Tailing has already been enabled for this service");
}
END_TEST

START_TEST(duplicate_record)
{
    ck_assert_int_eq(backend_get_answered_by("form_encoding_pem_and_409_duplicate/create6.yaml", 0),
                     FO_ECONFLICT);
    ck_assert_str_eq(err.msg,
                     "Fastly API: 409 Duplicate record: Duplicate logging_syslog: 'test-s3'");
}
END_TEST

START_TEST(bad_request)
{
    ck_assert_int_eq(lock_answered_by("errors/bad_request_400/create_expected_error.yaml", 0),
                     FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 400 Bad request: Name must start with alphabetical and "
                              "contain only alphanumeric, underscore, and whitespace");
    ck_assert_int_eq(err.http_status, 400);
}
END_TEST

START_TEST(bad_request_for_unknown_service_is_not_found)
{
    ck_assert_int_eq(lock_answered_by("services_details_with_filters/cleanup.yaml", 0),
                     FO_ENOTFOUND);
    ck_assert_str_eq(err.msg,
                     "Fastly API: 400 Bad request: Service 'DCsx1c14IixEK8PqF0TvqK' is deleted");
}
END_TEST

START_TEST(other_400_stays_http_error)
{
    ck_assert_int_eq(lock_answered_by("errors/record_not_found_404_and_400/cleanup.yaml", 1),
                     FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 400 Bad request: Cannot delete only server in a pool");
}
END_TEST

START_TEST(read_400_names_a_missing_record)
{
    fo_service *s = NULL;
    replay_add(r, "GET", "/service/NOSUCH/details", 400,
               "{\"msg\":\"Bad request\",\"detail\":\"Invalid value for service_id: 'NOSUCH'\"}");
    ck_assert_int_eq(fo_api_service_details(api, &s, "NOSUCH", 0, &err), FO_ENOTFOUND);
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_str_eq(err.msg,
                     "Fastly API: 400 Bad request: Invalid value for service_id: 'NOSUCH'");
}
END_TEST

START_TEST(auth_statuses)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/service/S/version/1", 401,
               "{\"msg\":\"Provided credentials are missing or invalid\"}");
    replay_add(r, "GET", "/service/S/version/2", 403, "");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "Fastly API: 401 Provided credentials are missing or invalid");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 2, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "Fastly API: 403 Forbidden");
    ck_assert_uint_eq(replay_sent_count(r), 2);
}
END_TEST

START_TEST(non_json_bodies)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/service/S/version/1", 418, "<html><body><h1>I'm a teapot</h1>\nmore");
    replay_add(r, "GET", "/service/S/version/2", 404, "{\"unexpected\":true}");
    replay_add(r, "GET", "/service/S/version/3", 422, "not json\x01\x1b[31m at all");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 418 HTTP error: I'm a teapot");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 2, &err), FO_ENOTFOUND);
    ck_assert_str_eq(err.msg, "Fastly API: 404 Not Found: {\"unexpected\":true}");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 3, &err), FO_ELOCKED);
    ck_assert_str_eq(err.msg, "Fastly API: 422 Unprocessable Entity: not json[31m at all");
}
END_TEST

START_TEST(redirects_are_not_followed)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/service/S/version/1", 301, "");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 301 redirect refused (the token is never sent on)");
}
END_TEST

/* ---- retries ---- */

START_TEST(read_retried_on_5xx_until_success)
{
    fo_version *v = NULL;
    fo_api_stats stats;
    replay_add(r, "GET", "/service/S/version/1", 503, "<html>Service Unavailable</html>");
    replay_add_failure(r, "GET", "/service/S/version/1", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/1", 502, "");
    replay_add(r, "GET", "/service/S/version/1", 200, "{\"number\":1}");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), 0);
    ck_assert_int_eq(v->number, 1);
    fo_api_get_stats(api, &stats);
    ck_assert_uint_eq(stats.requests, 4);
    ck_assert_uint_eq(stats.retries, 3);
    ck_assert_uint_eq(stats.writes, 0);
    /* Backoff 10, 20, 40 ms (capped at 40), each jittered into its upper half. */
    ck_assert_int_ge(replay_slept_ms(r), 5 + 10 + 20);
    ck_assert_int_le(replay_slept_ms(r), 10 + 20 + 40);
    ck_assert_ptr_nonnull(strstr(logged.data, "GET /service/S/version/1 -> 503"));
    /* Each retry says it is one: the attempt, the wait and why. */
    ck_assert_msg(
        strstr(logged.data, "retrying GET /service/S/version/1 (attempt 2 of 5) in ") &&
            strstr(logged.data, " ms: 503 Service Unavailable\n") &&
            strstr(logged.data, "retrying GET /service/S/version/1 (attempt 4 of 5) in ") &&
            strstr(logged.data, " ms: 502 Bad Gateway\n"),
        "%s", logged.data);
    ck_assert_ptr_null(strstr(logged.data, "attempt 5 of 5"));
    fo_version_free(v);
}
END_TEST

START_TEST(read_gives_up_after_its_retries)
{
    fo_version *v = NULL;
    for (int i = 0; i < 6; i++)
        replay_add(r, "GET", "/service/S/version/1", 500, "{\"msg\":\"Internal error\"}");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 500 Internal error");
    ck_assert_uint_eq(replay_sent_count(r), 5); /* 1 + 4 retries */
    ck_assert_int_le(replay_slept_ms(r), 10 + 20 + 40 + 40);
}
END_TEST

START_TEST(retries_can_be_turned_off)
{
    fo_api_config cfg;
    fo_api *quick = NULL;
    fo_version *v = NULL;
    fo_api_transport t;
    replay_config(r, &cfg, &t);
    cfg.read_retries = 0;
    replay_add(r, "GET", "/service/S/version/1", 503, "");
    replay_add(r, "GET", "/service/S/version/1", 200, "{\"number\":1}");
    ck_assert_int_eq(fo_api_new(&quick, &cfg, &err), 0);
    ck_assert_int_eq(fo_api_version_get(quick, &v, "S", 1, &err), FO_EHTTP);
    ck_assert_uint_eq(replay_sent_count(r), 1);
    fo_api_free(quick);
}
END_TEST

START_TEST(read_waits_for_near_rate_limit_reset)
{
    fo_version *v = NULL;
    replay_set_clock(r, 5000);
    int i = replay_add(r, "GET", "/service/S/version/1", 429, "");
    replay_answer_at(r, i)->ratelimit_reset = 5002;
    replay_add(r, "GET", "/service/S/version/1", 200, "{\"number\":1}");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), 0);
    ck_assert_int_eq(replay_slept_ms(r), 3000); /* until the reset, and a second more */
    ck_assert_ptr_nonnull(strstr(logged.data, "rate limited: waiting 3 s for the reset"));
    fo_version_free(v);
}
END_TEST

START_TEST(rate_limit_without_reset_fails_at_once)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/service/S/version/1", 429, "");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_ERATELIMIT);
    ck_assert_str_eq(err.msg, "Fastly API: 429 Too Many Requests");
    ck_assert_int_eq(replay_slept_ms(r), 0);
}
END_TEST

START_TEST(rate_limit_wait_is_bounded_by_config)
{
    fo_api_config cfg;
    fo_api *strict = NULL;
    fo_version *v = NULL;
    fo_api_transport t;
    replay_config(r, &cfg, &t);
    cfg.ratelimit_max_wait_ms = 1000;
    cfg.clock = NULL; /* the real clock: the reset is an hour away from now */
    ck_assert_int_eq(fo_api_new(&strict, &cfg, &err), 0);
    int i = replay_add(r, "GET", "/service/S/version/1", 429, "{\"msg\":\"Too many\"}");
    replay_answer_at(r, i)->ratelimit_reset = (long long)time(NULL) + 3600;
    ck_assert_int_eq(fo_api_version_get(strict, &v, "S", 1, &err), FO_ERATELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 429 Too many (write budget spent; it "
                                          "resets at "));
    fo_api_free(strict);
}
END_TEST

/* ---- the token stays secret ---- */

START_TEST(token_echoed_by_a_server_is_redacted)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/service/S/version/1", 401,
               "{\"msg\":\"Bad key\",\"detail\":\"key '" REPLAY_TOKEN "' (" REPLAY_TOKEN
               ") is unknown\"}");
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "Fastly API: 401 Bad key: key '[redacted]' ([redacted]) is unknown");
}
END_TEST

START_TEST(token_cut_short_by_a_long_message_is_still_redacted)
{
    fo_version *v = NULL;
    char body[512];
    /* The token starts where the error line runs out of room. */
    snprintf(body, sizeof(body), "{\"msg\":\"Bad key\",\"detail\":\"%0185d %s\"}", 0, REPLAY_TOKEN);
    replay_add(r, "GET", "/service/S/version/1", 401, body);
    ck_assert_int_eq(fo_api_version_get(api, &v, "S", 1, &err), FO_EAUTH);
    ck_assert_ptr_null(strstr(err.msg, "replay-tok"));
    ck_assert_ptr_nonnull(strstr(err.msg, "0000 [red"));
}
END_TEST

START_TEST(token_spelt_with_json_escapes_is_redacted)
{
    /* A hostile answer spells the token with \\u escapes, which only decoding reveals, and
     * puts it where the line is cut: neither the whole token nor a piece of it may show. */
    fo_version *v = NULL;
    char escaped[6 * 64 + 1] = "", body[1024];
    for (const char *c = REPLAY_TOKEN; *c; c++)
        fo_str_appendf(escaped, sizeof(escaped), "\\u%04x", (unsigned char)*c);
    for (int pad = 170; pad <= 200; pad += 15) {
        snprintf(body, sizeof(body), "{\"msg\":\"Bad request\",\"detail\":\"%0*d %s\"}", pad, 0,
                 escaped);
        replay_add(r, "GET", "/service/S/version/1", 400, body);
        ck_assert_int_ne(fo_api_version_get(api, &v, "S", 1, &err), 0);
        ck_assert_msg(!strstr(err.msg, "replay-t"), "pad %d: %s", pad, err.msg);
    }
}
END_TEST

START_TEST(token_never_logged)
{
    fo_version *v = NULL;
    /* Even a path that carries it (a careless caller) is logged redacted. */
    replay_add(r, "GET", "/service/" REPLAY_TOKEN "/version/1", 200, "{\"number\":1}");
    ck_assert_int_eq(fo_api_version_get(api, &v, REPLAY_TOKEN, 1, &err), 0);
    fo_version_free(v);
    v = NULL;
    /* Nothing answers the second time: the transport's error names the path. */
    ck_assert_int_eq(fo_api_version_get(api, &v, REPLAY_TOKEN, 1, &err), FO_ECONNECT);
    ck_assert_str_eq(err.msg, "replay: nothing recorded for GET /service/[redacted]/version/1");
    ck_assert_ptr_nonnull(logged.data);
    ck_assert_ptr_null(strstr(logged.data, REPLAY_TOKEN));
    ck_assert_ptr_null(strstr(err.msg, REPLAY_TOKEN));
    ck_assert_ptr_nonnull(strstr(logged.data, "GET /service/[redacted]/version/1 -> 200 ("));
}
END_TEST

/* ---- configuration ---- */

static void clear_env(void)
{
    unsetenv("FASTLY_API_TOKEN");
    unsetenv("FASTLY_API_KEY");
    unsetenv("FASTLY_API_ENDPOINT");
    unsetenv("FASTLY_API_URL");
}

static int never_send(void *ctx, const fo_api_request *req, fo_api_response *resp, fo_error *e)
{
    (void)ctx, (void)req, (void)resp;
    return fo_error_set(e, FO_EIO, "this transport is not used");
}

static void count_destroy(void *ctx)
{
    ++*(int *)ctx;
}

/* Each worker thread's client has a libcurl handle of its own: a transport in the shared
 * config is neither used nor taken over (fo_api_new would destroy it with its client). */
START_TEST(a_client_per_thread_leaves_the_configs_transport_alone)
{
    int destroyed = 0;
    fo_api_transport shared = {.send = never_send, .destroy = count_destroy, .ctx = &destroyed};
    fo_api_config cfg;
    fo_api_config_init(&cfg);
    cfg.token = "t";
    cfg.base_url = "http://127.0.0.1:1";
    cfg.transport = &shared;
    fo_api *a = NULL, *b = NULL;
    ck_assert_int_eq(fo_api_new_for_thread(&a, &cfg, &err), 0);
    ck_assert_int_eq(fo_api_new_for_thread(&b, &cfg, &err), 0);
    fo_api_free(a);
    fo_api_free(b);
    ck_assert_int_eq(destroyed, 0);
    ck_assert_ptr_eq(cfg.transport, &shared);
    cfg.token = NULL; /* and it fails as fo_api_new does */
    ck_assert_int_eq(fo_api_new_for_thread(&a, &cfg, &err), FO_EINVAL);
    ck_assert_int_eq(destroyed, 0);
    cfg.token = "t";
    ck_assert_int_eq(fo_api_new(&a, &cfg, &err), 0);
    fo_api_free(a);
    ck_assert_int_eq(destroyed, 1);
}
END_TEST

START_TEST(token_from_env_in_cli_order)
{
    fo_api_config cfg;
    char *token = NULL;
    clear_env();
    fo_api_config_init(&cfg);
    setenv("FASTLY_API_KEY", "key-token", 1);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), 0);
    ck_assert_str_eq(token, "key-token");
    ck_assert_ptr_eq(cfg.token, token);
    ck_assert_ptr_null(cfg.base_url);
    fo_secret_free(token);
    setenv("FASTLY_API_TOKEN", "cli-token", 1);
    setenv("FASTLY_API_URL", "https://b.example", 1);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), 0);
    ck_assert_str_eq(token, "cli-token");
    ck_assert_str_eq(cfg.base_url, "https://b.example");
    fo_secret_free(token);
    setenv("FASTLY_API_ENDPOINT", "https://a.example", 1);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), 0);
    ck_assert_str_eq(cfg.base_url, "https://a.example");
    fo_secret_free(token);
}
END_TEST

/* A bad base URL is named with the variable it came from: the user may not know it is set. */
START_TEST(a_bad_endpoint_names_its_variable)
{
    fo_api_config cfg;
    char *token = NULL;
    clear_env();
    setenv("FASTLY_API_TOKEN", "t", 1);
    fo_api_config_init(&cfg);
    setenv("FASTLY_API_ENDPOINT", "api.fastly.com", 1);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "FASTLY_API_ENDPOINT=api.fastly.com: not an http(s) URL");
    ck_assert_ptr_null(token);
    unsetenv("FASTLY_API_ENDPOINT");
    setenv("FASTLY_API_URL", "http://10.0.0.1\x1b[2J", 1);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "FASTLY_API_URL=http://10.0.0.1?[2J: API base URL contains a space "
                              "or control character");
    ck_assert_ptr_null(token);
    clear_env();
}
END_TEST

START_TEST(missing_token_names_the_variables)
{
    fo_api_config cfg;
    char *token = NULL;
    clear_env();
    setenv("FASTLY_API_TOKEN", "", 1);
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "no Fastly API token: set FASTLY_API_TOKEN (or FASTLY_API_KEY), "
                              "pass --token-file FILE, or log in with the Fastly CLI ('fastly "
                              "auth login')");
    ck_assert_ptr_null(token);
}
END_TEST

START_TEST(token_with_a_newline_is_refused_unshown)
{
    fo_api_config cfg;
    char *token = NULL;
    clear_env();
    setenv("FASTLY_API_TOKEN", "abc\r\nX-Injected: 1", 1);
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, NULL, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "FASTLY_API_TOKEN holds spaces, newlines or non-ASCII bytes");
}
END_TEST

static char *write_temp(const char *content)
{
    char *path = strdup("/tmp/fo-token-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    return path;
}

START_TEST(token_file_wins_and_is_trimmed)
{
    fo_api_config cfg;
    char *token = NULL;
    char *path = write_temp("  file-token\r\n\n");
    clear_env();
    setenv("FASTLY_API_TOKEN", "env-token", 1);
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, path, &err), 0);
    ck_assert_str_eq(token, "file-token");
    fo_secret_free(token);
    unlink(path);
    free(path);
}
END_TEST

/* `fastly profile token | fixorigin ... --token-file -`: "-" is stdin (this test's process
 * is its own: check forks each test). */
START_TEST(token_file_dash_is_stdin)
{
    fo_api_config cfg;
    char *token = NULL;
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "piped-token\n", 12), 12);
    close(fds[1]);
    ck_assert_int_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    clear_env();
    fo_api_config_init(&cfg);
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, "-", &err), 0);
    ck_assert_str_eq(token, "piped-token");
    fo_secret_free(token);
    token = NULL;
    /* stdin holds one file: a second "-" is refused, not read empty. */
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, "-", &err), FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "'-' (stdin) is given for two files"));
    ck_assert_ptr_null(token);
}
END_TEST

START_TEST(bad_token_files)
{
    static const char *contents[] = {"", " \n", "two\nlines\n", "sp ace"};
    static const char *msgs[] = {"is empty", "is empty", "holds more than one line",
                                 "holds more than one line"};
    fo_api_config cfg;
    char *token = NULL;
    fo_api_config_init(&cfg);
    for (size_t i = 0; i < 4; i++) {
        char *path = write_temp(contents[i]);
        ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, path, &err), FO_EINVAL);
        ck_assert_msg(strstr(err.msg, msgs[i]) && strstr(err.msg, path), "%s", err.msg);
        ck_assert_ptr_null(strstr(err.msg, "lines"));
        unlink(path);
        free(path);
    }
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, "/nonexistent/token", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg,
                     "cannot read token file '/nonexistent/token': No such file or directory");
    ck_assert_int_eq(fo_api_config_from_env(&cfg, &token, "/tmp", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "token file '/tmp' is not a regular file");
    ck_assert_ptr_null(token);
}
END_TEST

static int new_client(const char *base_url, const char *token)
{
    fo_api_config cfg;
    fo_api *client = NULL;
    fo_api_transport t;
    replay_config(r, &cfg, &t);
    cfg.base_url = base_url;
    cfg.token = token;
    int rc = fo_api_new(&client, &cfg, &err);
    ck_assert(rc == 0 ? client != NULL : client == NULL);
    fo_api_free(client);
    return rc;
}

START_TEST(plain_http_only_to_loopback)
{
    ck_assert_int_eq(new_client("http://127.0.0.1:8080", "t"), 0);
    ck_assert_int_eq(new_client("http://127.1.2.3/", "t"), 0);
    ck_assert_int_eq(new_client("http://localhost:1/prefix", "t"), 0);
    ck_assert_int_eq(new_client("http://[::1]:9/", "t"), 0);
    ck_assert_int_eq(new_client("https://api.fastly.com/", "t"), 0);
    ck_assert_int_eq(new_client(NULL, "t"), 0);
    ck_assert_int_eq(new_client("http://10.0.0.1", "t"), FO_EINVAL);
    ck_assert_str_eq(err.msg, "refusing to send the API token over plain http to '10.0.0.1': use "
                              "https");
    ck_assert_int_eq(new_client("http://127.0.0.1.example.com/", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("http://localhost.example.com:80", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("ftp://api.fastly.com", "t"), FO_EINVAL);
    ck_assert_str_eq(err.msg, "API base URL must start with https:// (got 'ftp://api.fastly.com')");
    ck_assert_int_eq(new_client("https://user:pw@api.fastly.com", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("https://", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("https://api.fastly.com?x=1", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("https://api.fastly.com/a b", "t"), FO_EINVAL);
    ck_assert_int_eq(new_client("https://api.fastly.com", ""), FO_EINVAL);
    ck_assert_str_eq(err.msg, "no Fastly API token given");
    ck_assert_int_eq(new_client("https://api.fastly.com", NULL), FO_EINVAL);
}
END_TEST

START_TEST(trailing_slash_in_base_url)
{
    fo_api_config cfg;
    fo_api *client = NULL;
    fo_version *v = NULL;
    fo_api_transport t;
    replay_config(r, &cfg, &t);
    cfg.base_url = REPLAY_BASE_URL "//";
    replay_add(r, "GET", "/service/S/version/1", 200, "{\"number\":1}");
    ck_assert_int_eq(fo_api_new(&client, &cfg, &err), 0);
    ck_assert_int_eq(fo_api_version_get(client, &v, "S", 1, &err), 0);
    ck_assert_str_eq(replay_sent_at(r, 0)->path, "/service/S/version/1");
    fo_version_free(v);
    fo_api_free(client);
}
END_TEST

Suite *api_client_suite(void)
{
    Suite *s = suite_create("api_client");
    TCase *tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, msg_and_detail);
    tcase_add_test(tc, errors_array);
    tcase_add_test(tc, msg_only_conflict);
    tcase_add_test(tc, duplicate_record);
    tcase_add_test(tc, bad_request);
    tcase_add_test(tc, bad_request_for_unknown_service_is_not_found);
    tcase_add_test(tc, other_400_stays_http_error);
    tcase_add_test(tc, read_400_names_a_missing_record);
    tcase_add_test(tc, auth_statuses);
    tcase_add_test(tc, non_json_bodies);
    tcase_add_test(tc, redirects_are_not_followed);
    suite_add_tcase(s, tc);
    tc = tcase_create("retries");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_retried_on_5xx_until_success);
    tcase_add_test(tc, read_gives_up_after_its_retries);
    tcase_add_test(tc, retries_can_be_turned_off);
    tcase_add_test(tc, read_waits_for_near_rate_limit_reset);
    tcase_add_test(tc, rate_limit_without_reset_fails_at_once);
    tcase_add_test(tc, rate_limit_wait_is_bounded_by_config);
    suite_add_tcase(s, tc);
    tc = tcase_create("secret");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_echoed_by_a_server_is_redacted);
    tcase_add_test(tc, token_cut_short_by_a_long_message_is_still_redacted);
    tcase_add_test(tc, token_spelt_with_json_escapes_is_redacted);
    tcase_add_test(tc, token_never_logged);
    suite_add_tcase(s, tc);
    tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, token_from_env_in_cli_order);
    tcase_add_test(tc, a_client_per_thread_leaves_the_configs_transport_alone);
    tcase_add_test(tc, missing_token_names_the_variables);
    tcase_add_test(tc, a_bad_endpoint_names_its_variable);
    tcase_add_test(tc, token_with_a_newline_is_refused_unshown);
    tcase_add_test(tc, token_file_wins_and_is_trimmed);
    tcase_add_test(tc, bad_token_files);
    tcase_add_test(tc, token_file_dash_is_stdin);
    tcase_add_test(tc, plain_http_only_to_loopback);
    tcase_add_test(tc, trailing_slash_in_base_url);
    suite_add_tcase(s, tc);
    return s;
}
