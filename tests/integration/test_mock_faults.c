/* fastly-mock's failure side: injected faults (drop before/after the change, statuses,
 * HTML, malformed and truncated bodies, delays, rules set at run time), the write budget
 * and 429, the request log, the state written back, bad state files, usage errors and
 * exit codes. */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/fo.h"
#include "mock_harness.h"
#include "testcert.h"

Suite *mock_faults_suite(void);

#define SVC "/service/SVC0EXAMPLE"

static mock_proc mock;

static void teardown(void)
{
    mock_cleanup(&mock);
}

static void start_failing(const char *spec)
{
    const char *extra[] = {"--fail", spec, NULL};
    mock_start(&mock, NULL, spec ? extra : NULL);
}

static size_t version_count(void)
{
    json_t *list = api(&mock, "GET", SVC "/version", NULL, 200);
    size_t n = json_array_size(list);
    json_decref(list);
    return n;
}

static const char *str_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* ---- faults ---- */

START_TEST(drop_after_applies_the_clone_then_closes)
{
    start_failing("PUT:/service/*/version/*/clone:1:drop");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.curl_code, CURLE_GOT_NOTHING);
    http_free(&r);
    ck_assert_uint_eq(version_count(), 2); /* the draft exists: re-read to learn it */
    json_t *lines = mock_log(&mock);
    json_t *clone = json_array_get(lines, 0);
    ck_assert_str_eq(str_of(clone, "fault"), "drop");
    ck_assert_int_eq(json_integer_value(json_object_get(clone, "status")), 0);
    json_decref(lines);
    /* Only the first match: the next clone is answered. */
    json_t *v = api(&mock, "PUT", SVC "/version/1/clone", NULL, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(v, "number")), 3);
    json_decref(v);
}
END_TEST

START_TEST(drop_before_changes_nothing)
{
    start_failing("PUT:/service/*/version/*/clone:1:drop-before");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.curl_code, CURLE_GOT_NOTHING);
    http_free(&r);
    ck_assert_uint_eq(version_count(), 1);
}
END_TEST

START_TEST(status_fault_answers_then_recovers)
{
    start_failing("GET:/service/*/details:1:503");
    http_resp r;
    http(&r, &mock, "GET", SVC "/details", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    ck_assert_str_eq(str_of(r.json, "msg"), "Service Unavailable");
    http_free(&r);
    json_decref(api(&mock, "GET", SVC "/details", NULL, 200));
}
END_TEST

START_TEST(status_after_applies_the_write)
{
    start_failing("PUT:/service/*/version/*/clone:1:500-after");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 500);
    ck_assert_str_eq(str_of(r.json, "msg"), "Internal Server Error");
    http_free(&r);
    ck_assert_uint_eq(version_count(), 2);
}
END_TEST

START_TEST(status_before_a_write_changes_nothing)
{
    start_failing("PUT:/service/*/version/*/clone:*:500");
    http_resp r;
    for (int i = 0; i < 2; i++) {
        http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
        ck_assert_int_eq(r.status, 500);
        http_free(&r);
    }
    ck_assert_uint_eq(version_count(), 1);
}
END_TEST

START_TEST(html_fault_is_not_json)
{
    start_failing("GET:/service/*/version:1:502-html");
    http_resp r;
    http(&r, &mock, "GET", SVC "/version", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 502);
    ck_assert_ptr_null(r.json);
    ck_assert_ptr_nonnull(strstr(r.body, "Bad Gateway"));
    ck_assert_str_eq(http_header(&r, "Content-Type"), "text/html");
    http_free(&r);
}
END_TEST

START_TEST(malformed_body_after_the_change)
{
    start_failing("PUT:/service/*/version/*/clone:1:malformed");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.curl_code, 0);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(r.json);
    ck_assert_int_eq(r.body[0], '{');
    http_free(&r);
    ck_assert_uint_eq(version_count(), 2);
}
END_TEST

START_TEST(truncated_body_after_the_change)
{
    start_failing("PUT:/service/*/version/*/clone:1:truncate");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.curl_code, CURLE_PARTIAL_FILE);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    ck_assert_uint_eq(version_count(), 2);
}
END_TEST

static atomic_bool delayed_done;

static void *delayed_request(void *arg)
{
    (void)arg;
    http_resp r;
    http(&r, &mock, "GET", "/public-ip-list", NULL, NULL, NULL);
    long status = r.status;
    http_free(&r);
    atomic_store(&delayed_done, true);
    return (void *)status;
}

START_TEST(delay_then_normal_answer)
{
    start_failing("GET:/public-ip-list:1:delay=4000");
    atomic_init(&delayed_done, false);
    double start = fo_now_ms();
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, delayed_request, NULL), 0);
    usleep(200 * 1000);
    /* A delayed request holds no lock: another one is answered meanwhile. */
    json_decref(api(&mock, "GET", SVC "/version", NULL, 200));
    ck_assert(!atomic_load(&delayed_done));
    void *status;
    pthread_join(thread, &status);
    ck_assert_int_eq((long)status, 200);
    ck_assert_double_ge(fo_now_ms() - start, 3900.0);
    json_t *lines = mock_log(&mock);
    ck_assert_str_eq(str_of(json_array_get(lines, 0), "path"), SVC "/version");
    ck_assert_ptr_null(json_object_get(json_array_get(lines, 0), "fault"));
    ck_assert_str_eq(str_of(json_array_get(lines, 1), "fault"), "delay=4000");
    json_decref(lines);
}
END_TEST

static void *hung_clone(void *arg)
{
    (void)arg;
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    long status = r.status;
    http_free(&r);
    atomic_store(&delayed_done, true);
    return (void *)status;
}

START_TEST(hang_after_applies_at_once_and_answers_late)
{
    start_failing("PUT:/service/*/version/*/clone:1:hang-after=3000");
    atomic_init(&delayed_done, false);
    double start = fo_now_ms();
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, hung_clone, NULL), 0);
    /* The draft is there long before the answer: a client that timed out reads it back. */
    size_t count = 0;
    for (int i = 0; i < 100 && count < 2; i++) {
        usleep(20 * 1000);
        count = version_count();
    }
    ck_assert_uint_eq(count, 2);
    ck_assert(!atomic_load(&delayed_done));
    ck_assert_double_lt(fo_now_ms() - start, 2500.0);
    void *status;
    pthread_join(thread, &status);
    ck_assert_int_eq((long)status, 200);
    ck_assert_double_ge(fo_now_ms() - start, 2900.0);
}
END_TEST

START_TEST(nth_and_every_match)
{
    const char *extra[] = {"--fail", "GET:/service/*/version:2:500", "--fail",
                           "*:/public-ip-list:*:503", NULL};
    mock_start(&mock, NULL, extra);
    json_decref(api(&mock, "GET", SVC "/version", NULL, 200));
    http_resp r;
    http(&r, &mock, "GET", SVC "/version", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 500);
    http_free(&r);
    json_decref(api(&mock, "GET", SVC "/version", NULL, 200));
    for (int i = 0; i < 3; i++) {
        http(&r, &mock, "GET", "/public-ip-list", NULL, NULL, NULL);
        ck_assert_int_eq(r.status, 503);
        http_free(&r);
    }
    /* '*' in the path stops at '/': the rule does not match deeper paths. */
    json_decref(api(&mock, "GET", SVC "/version/1", NULL, 200));
}
END_TEST

START_TEST(rules_set_at_run_time)
{
    start_failing(NULL);
    http_resp r;
    http(&r, &mock, "POST", "/__mock/fail", NULL, "PUT:/service/*/version/*/lock:1:503\n",
         "text/plain");
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    http(&r, &mock, "PUT", SVC "/version/1/lock", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 503);
    http_free(&r);
    json_decref(api(&mock, "PUT", SVC "/version/1/lock", NULL, 200));

    /* A bad rule adds nothing, not even the good one before it. */
    http(&r, &mock, "POST", "/__mock/fail", NULL,
         "GET:/service/*/version:*:500\nGET:/x:1:explode\n", "text/plain");
    ck_assert_int_eq(r.status, 400);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(r.json, "detail")), "explode"));
    http_free(&r);
    json_decref(api(&mock, "GET", SVC "/version", NULL, 200));

    http(&r, &mock, "POST", "/__mock/fail", NULL, "GET:/service/*/version:*:500", "text/plain");
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    http(&r, &mock, "GET", SVC "/version", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 500);
    http_free(&r);
    http(&r, &mock, "DELETE", "/__mock/fail", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    json_decref(api(&mock, "GET", SVC "/version", NULL, 200));

    /* The admin state view, in the state file format. */
    http(&r, &mock, "GET", "/__mock/state", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    json_t *service = json_array_get(json_object_get(r.json, "services"), 0);
    ck_assert_str_eq(str_of(service, "id"), "SVC0EXAMPLE");
    http_free(&r);
    /* Admin requests are not in the API log. */
    json_t *lines = mock_log(&mock);
    for (size_t i = 0; i < json_array_size(lines); i++)
        ck_assert_ptr_null(strstr(str_of(json_array_get(lines, i), "path"), "__mock"));
    json_decref(lines);
}
END_TEST

/* ---- rate limit ---- */

START_TEST(write_budget_runs_out_then_resets)
{
    const char *extra[] = {"--rate-limit", "2/5", NULL};
    mock_start(&mock, NULL, extra);
    http_resp r;
    long long now = (long long)time(NULL);
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(http_header(&r, "Fastly-RateLimit-Remaining"), "1");
    long long reset = atoll(http_header(&r, "Fastly-RateLimit-Reset"));
    ck_assert_int_ge(reset, now);
    ck_assert_int_le(reset, now + 7);
    http_free(&r);
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_str_eq(http_header(&r, "Fastly-RateLimit-Remaining"), "0");
    http_free(&r);
    http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(http_header(&r, "Fastly-RateLimit-Remaining"), "0");
    ck_assert_ptr_nonnull(http_header(&r, "Fastly-RateLimit-Reset"));
    ck_assert_str_eq(str_of(r.json, "msg"), "Too many requests");
    http_free(&r);
    /* Reads are free and carry no budget headers. */
    http(&r, &mock, "GET", SVC "/version", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(http_header(&r, "Fastly-RateLimit-Remaining"));
    ck_assert_uint_eq(json_array_size(r.json), 3);
    http_free(&r);
    /* After the reset the budget is back. */
    bool answered = false;
    for (int i = 0; i < 200 && !answered; i++) {
        usleep(100 * 1000);
        http(&r, &mock, "PUT", SVC "/version/1/clone", MOCK_TOKEN, NULL, NULL);
        answered = r.status == 200;
        ck_assert(r.status == 200 || r.status == 429);
        http_free(&r);
    }
    ck_assert(answered);
    ck_assert_uint_eq(version_count(), 4);
}
END_TEST

START_TEST(injected_429_has_budget_headers)
{
    start_failing("PUT:/service/*/version/*/activate:1:429");
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/1/activate", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 429);
    ck_assert_str_eq(http_header(&r, "Fastly-RateLimit-Remaining"), "0");
    ck_assert_ptr_nonnull(http_header(&r, "Fastly-RateLimit-Reset"));
    http_free(&r);
}
END_TEST

/* ---- the log and the state written back ---- */

static bool file_contains(const char *path, const char *needle)
{
    char *text = read_file(path);
    bool found = text && strstr(text, needle);
    free(text);
    return found;
}

START_TEST(log_has_the_exact_request_and_never_the_token)
{
    start_failing(NULL);
    json_decref(api(&mock, "PUT", SVC "/version/1/clone", NULL, 200));
    json_decref(api(&mock, "PUT", SVC "/version/2/backend/origin",
                    "port=443&ssl_cert_hostname=origin.example.com&use_ssl=1", 200));
    http_resp r;
    http(&r, &mock, "GET", SVC "/details?version=2", "wrong", NULL, NULL);
    http_free(&r);
    json_t *lines = mock_log(&mock);
    ck_assert_uint_eq(json_array_size(lines), 3);
    json_t *put = json_array_get(lines, 1);
    ck_assert_str_eq(str_of(put, "method"), "PUT");
    ck_assert_str_eq(str_of(put, "path"), SVC "/version/2/backend/origin");
    ck_assert_str_eq(str_of(put, "query"), "");
    ck_assert_str_eq(str_of(put, "content_type"), "application/x-www-form-urlencoded");
    ck_assert_str_eq(str_of(put, "body"),
                     "port=443&ssl_cert_hostname=origin.example.com&use_ssl=1");
    ck_assert_int_eq(json_integer_value(json_object_get(put, "status")), 200);
    json_t *get = json_array_get(lines, 2);
    ck_assert_str_eq(str_of(get, "query"), "version=2");
    ck_assert(json_is_null(json_object_get(get, "content_type")));
    ck_assert_int_eq(json_integer_value(json_object_get(get, "status")), 401);
    json_decref(lines);
    ck_assert_int_eq(mock_stop(&mock), 0);
    static const char *const files[] = {"log.jsonl", "stderr", "out.json", "state.json"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        ck_assert_msg(!file_contains(mock_path(&mock, files[i]), MOCK_TOKEN), "token in %s",
                      files[i]);
        ck_assert_msg(!file_contains(mock_path(&mock, files[i]), "wrong\""), "key in %s", files[i]);
    }
}
END_TEST

START_TEST(log_redacts_ssl_client_key)
{
    start_failing(NULL);
    json_decref(api(&mock, "PUT", SVC "/version/1/clone", NULL, 200));
    /* A key made now: none is checked in. */
    char *key = tc_private_key_pem(), line[100], form[1024];
    tc_pem_line(line, sizeof(line), key, 1);
    char *escaped = curl_easy_escape(NULL, key, 0);
    snprintf(form, sizeof(form), "ssl_client_key=%s&ssl_sni_hostname=sni.example", escaped);
    curl_free(escaped);
    free(key);
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/2/backend/origin", MOCK_TOKEN, form, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
    json_t *lines = mock_log(&mock);
    ck_assert_uint_eq(json_array_size(lines), 2);
    ck_assert_str_eq(str_of(json_array_get(lines, 1), "body"),
                     "ssl_client_key=[redacted]&ssl_sni_hostname=sni.example");
    json_decref(lines);
    ck_assert_int_eq(mock_stop(&mock), 0);
    ck_assert(!file_contains(mock_path(&mock, "log.jsonl"), line));
}
END_TEST

START_TEST(state_is_written_back_and_loads_again)
{
    start_failing(NULL);
    json_decref(api(&mock, "PUT", SVC "/version/1/clone", NULL, 200));
    json_decref(
        api(&mock, "PUT", SVC "/version/2/backend/origin", "ssl_cert_hostname=fixed.example", 200));
    /* Written after each change, before any stop. */
    char *written = read_file(mock_path(&mock, "out.json"));
    ck_assert_ptr_nonnull(written);
    ck_assert_ptr_nonnull(strstr(written, "fixed.example"));
    ck_assert_int_eq(mock_stop(&mock), 0);

    /* The written file is a valid state that serves the same answers. */
    mock_proc again;
    mock_start(&again, written, NULL);
    json_t *b = api(&again, "GET", SVC "/version/2/backend/origin", NULL, 200);
    ck_assert_str_eq(str_of(b, "ssl_cert_hostname"), "fixed.example");
    ck_assert(json_is_true(json_object_get(b, "ssl_check_cert")));
    json_decref(b);
    json_t *v = api(&again, "GET", SVC "/version/1", NULL, 200);
    ck_assert(json_is_true(json_object_get(v, "active")));
    json_decref(v);
    mock_cleanup(&again);
    free(written);
}
END_TEST

/* ---- bad input and exit codes ---- */

static int run_mock(const char *state, const char *const *args, char **output)
{
    char dir[] = "/tmp/fo-mock-bad-XXXXXX";
    char state_path[64], out_path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(state_path, sizeof(state_path), "%s/state.json", dir);
    snprintf(out_path, sizeof(out_path), "%s/out", dir);
    if (state) {
        FILE *f = fopen(state_path, "w");
        fputs(state, f);
        fclose(f);
    }
    const char *argv[32] = {FO_BIN_DIR "/fastly-mock"};
    size_t n = 1;
    for (size_t i = 0; args[i]; i++)
        argv[n++] = strcmp(args[i], "STATE") == 0 ? state_path : args[i];
    argv[n] = NULL;
    int status = run_command(argv, NULL, out_path, 30);
    *output = read_file(out_path);
    unlink(state_path);
    unlink(out_path);
    rmdir(dir);
    return status;
}

static void expect_bad_state(const char *state, const char *message)
{
    char *out;
    const char *args[] = {"--listen", "127.0.0.1:0", "--state", "STATE", NULL};
    int status = run_mock(state, args, &out);
    ck_assert_msg(status == 1, "exit %d for %s", status, state);
    ck_assert_msg(out && strstr(out, message), "'%s' not in '%s'", message, out);
    ck_assert_msg(strchr(out, '\n') == out + strlen(out) - 1, "not one line: %s", out);
    free(out);
}

START_TEST(bad_state_files_are_clear_errors)
{
    expect_bad_state("{\"services\": [", "line 1");
    expect_bad_state("{\"servics\": []}", "state: unknown field 'servics'");
    expect_bad_state("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":[{\"number\":1,"
                     "\"backends\":[{\"name\":\"o\",\"address\":\"a\",\"prot\":1}]}]}]}",
                     "services[0].versions[0].backends[0]: unknown backend field 'prot'");
    expect_bad_state("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":[{\"number\":1,"
                     "\"backends\":[{\"name\":\"o\",\"address\":\"a\",\"port\":\"443\"}]}]}]}",
                     "services[0].versions[0].backends[0].port: expected an integer");
    expect_bad_state("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":["
                     "{\"number\":1,\"active\":true,\"locked\":true},"
                     "{\"number\":2,\"active\":true,\"locked\":true}]}]}",
                     "only one version can be active");
    expect_bad_state("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":["
                     "{\"number\":1,\"active\":true}]}]}",
                     "an active version is always locked");
    expect_bad_state("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":[]}]}",
                     "at least one version");
    expect_bad_state(
        "{\"services\":[{\"id\":\"S/1\",\"name\":\"n\",\"versions\":[{\"number\":1}]}]}",
        "services[0].id");
    expect_bad_state(NULL, "cannot read");
}
END_TEST

static void expect_usage(const char *const *args, const char *message, int code)
{
    char *out;
    int status = run_mock("{}", args, &out);
    ck_assert_msg(status == code, "exit %d, want %d: %s", status, code, out);
    ck_assert_msg(out && strstr(out, message), "'%s' not in '%s'", message, out);
    free(out);
}

START_TEST(usage_errors_exit_64)
{
    expect_usage((const char *[]){NULL}, "--listen and --state are required", 64);
    expect_usage((const char *[]){"--frobnicate", NULL}, "unknown or incomplete option", 64);
    expect_usage((const char *[]){"--listen", "10.1.2.3:0", "--state", "STATE", NULL},
                 "only loopback", 64);
    expect_usage((const char *[]){"--listen", "localhost:0", "--state", "STATE", NULL},
                 "numeric address", 64);
    expect_usage((const char *[]){"--listen", "127.0.0.1:99999", "--state", "STATE", NULL},
                 "bad port", 64);
    expect_usage((const char *[]){"--fail", "GET:/x:0:500", "--listen", "127.0.0.1:0", NULL},
                 "count must be", 64);
    expect_usage((const char *[]){"--fail", "GET:/x:1:explode", NULL}, "unknown action", 64);
    expect_usage((const char *[]){"--rate-limit", "lots", NULL}, "--rate-limit", 64);
    /* A bad token spec is refused without echoing the token. */
    char *out;
    int status = run_mock("{}", (const char *[]){"--token", "s3cret/", NULL}, &out);
    ck_assert_int_eq(status, 64);
    ck_assert_ptr_null(strstr(out, "s3cret"));
    ck_assert_ptr_nonnull(strstr(out, "empty scope"));
    free(out);
    expect_usage((const char *[]){"--help", NULL}, "usage: fastly-mock", 0);
}
END_TEST

START_TEST(example_state_is_valid_and_clean_stop_exits_0)
{
    char *out;
    int status = run_mock(NULL, (const char *[]){"--example-state", NULL}, &out);
    ck_assert_int_eq(status, 0);
    mock_start(&mock, out, NULL);
    json_t *d = api(&mock, "GET", SVC "/details", NULL, 200);
    json_t *active = json_object_get(d, "active_version");
    ck_assert_int_eq(json_integer_value(json_object_get(active, "number")), 1);
    json_t *origin = json_array_get(json_object_get(active, "backends"), 0);
    ck_assert_str_eq(str_of(origin, "name"), "origin");
    ck_assert(json_is_true(json_object_get(origin, "use_ssl")));
    json_decref(d);
    ck_assert_int_eq(mock_stop(&mock), 0);
    char *said = read_file(mock_path(&mock, "stderr"));
    ck_assert_ptr_nonnull(strstr(said, "fastly-mock: listening on port "));
    free(said);
    free(out);

    mock_cleanup(&mock);

    /* The same port twice: the second cannot listen. */
    mock_start(&mock, NULL, NULL);
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", mock.port);
    status = run_mock("{}", (const char *[]){"--listen", listen, "--state", "STATE", NULL}, &out);
    ck_assert_int_eq(status, 1);
    ck_assert_ptr_nonnull(strstr(out, "cannot listen"));
    free(out);
}
END_TEST

Suite *mock_faults_suite(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("mock_faults");
    TCase *tc = tcase_create("faults");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, drop_after_applies_the_clone_then_closes);
    tcase_add_test(tc, drop_before_changes_nothing);
    tcase_add_test(tc, status_fault_answers_then_recovers);
    tcase_add_test(tc, status_after_applies_the_write);
    tcase_add_test(tc, status_before_a_write_changes_nothing);
    tcase_add_test(tc, html_fault_is_not_json);
    tcase_add_test(tc, malformed_body_after_the_change);
    tcase_add_test(tc, truncated_body_after_the_change);
    tcase_add_test(tc, delay_then_normal_answer);
    tcase_add_test(tc, hang_after_applies_at_once_and_answers_late);
    tcase_add_test(tc, nth_and_every_match);
    tcase_add_test(tc, rules_set_at_run_time);
    tcase_add_test(tc, write_budget_runs_out_then_resets);
    tcase_add_test(tc, injected_429_has_budget_headers);
    tcase_add_test(tc, log_has_the_exact_request_and_never_the_token);
    tcase_add_test(tc, log_redacts_ssl_client_key);
    tcase_add_test(tc, state_is_written_back_and_loads_again);
    tcase_add_test(tc, bad_state_files_are_clear_errors);
    tcase_add_test(tc, usage_errors_exit_64);
    tcase_add_test(tc, example_state_is_valid_and_clean_stop_exits_0);
    suite_add_tcase(s, tc);
    return s;
}
