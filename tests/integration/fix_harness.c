#include "fix_harness.h"

#include <check.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/fo.h"

json_t *fix_case_backend(const fx_testbed *tb, const char *case_name, const char *name)
{
    json_t *entry = fx_case(tb, case_name);
    ck_assert_msg(entry != NULL, "no testbed case %s", case_name);
    json_t *settings = json_object_get(entry, "settings");
    bool tls = !json_is_false(json_object_get(settings, "use_ssl"));
    json_t *b = json_pack("{s:s, s:s, s:i, s:b, s:b}", "name", name, "address", fx_case_host(entry),
                          "port", fx_case_port(entry), "use_ssl", tls, "ssl_check_cert", tls);
    const char *key;
    json_t *value;
    json_object_foreach(settings, key, value)
    {
        if (strcmp(key, "ssl_ca_cert") == 0) {
            char *pem = read_file(json_string_value(value));
            ck_assert_ptr_nonnull(pem);
            json_object_set_new(b, key, json_string(pem));
            free(pem);
        } else {
            json_object_set(b, key, value);
        }
    }
    /* Without TLS there is no certificate to check (Fastly would not compile it either). */
    if (!tls)
        json_object_set_new(b, "ssl_check_cert", json_false());
    return b;
}

char *fix_state(const fx_testbed *tb, const fix_backend *backends, size_t count,
                const char *versions_extra)
{
    json_t *list = json_array();
    for (size_t i = 0; i < count; i++) {
        json_t *b = fix_case_backend(tb, backends[i].case_name, backends[i].case_name);
        if (backends[i].extra) {
            json_error_t jerr;
            json_t *extra = json_loads(backends[i].extra, 0, &jerr);
            ck_assert_msg(extra != NULL, "bad extra '%s': %s", backends[i].extra, jerr.text);
            json_object_update(b, extra);
            json_decref(extra);
        }
        json_array_append_new(list, b);
    }
    char *backends_text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    size_t size = strlen(backends_text) + (versions_extra ? strlen(versions_extra) : 0) + 1024;
    char *state = malloc(size);
    ck_assert_ptr_nonnull(state);
    snprintf(state, size,
             "{\"customer_id\":\"CUST1\",\"services\":[{\"id\":\"" FIX_SERVICE "\",\"name\":"
             "\"shop\",\"comment\":\"\",\"type\":\"vcl\",\"versions\":["
             "{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\","
             "\"domains\":[{\"name\":\"www.shop.test\",\"comment\":\"\"}],"
             "\"backends\":%s}%s%s]}]}",
             backends_text, versions_extra ? "," : "", versions_extra ? versions_extra : "");
    free(backends_text);
    return state;
}

void fix_start(fix_env *f, const fx_testbed *tb, const fix_backend *backends, size_t count,
               const char *versions_extra, const char *const *mock_args)
{
    char *state = fix_state(tb, backends, count, versions_extra);
    fix_start_state(f, state, mock_args);
    free(state);
}

void fix_start_state(fix_env *f, const char *state, const char *const *mock_args)
{
    memset(f, 0, sizeof(*f));
    mock_start(&f->mock, state, mock_args);
    snprintf(f->token_env, sizeof(f->token_env), "FASTLY_API_TOKEN=%s", MOCK_TOKEN);
    snprintf(f->endpoint_env, sizeof(f->endpoint_env), "FASTLY_API_ENDPOINT=http://127.0.0.1:%u",
             f->mock.port);
    snprintf(f->state_env, sizeof(f->state_env), "XDG_STATE_HOME=%s", mock_path(&f->mock, "state"));
}

void fix_stop(fix_env *f)
{
    /* The token must not be in what the stand-in logged either. */
    char *log = read_file(mock_path(&f->mock, "log.jsonl"));
    ck_assert_msg(!log || !strstr(log, MOCK_TOKEN), "the token is in the request log");
    free(log);
    mock_cleanup(&f->mock);
}

static void assert_clean(const char *what, const char *text)
{
    if (!text)
        return;
    ck_assert_msg(!strstr(text, MOCK_TOKEN), "the token is in %s", what);
    ck_assert_msg(!strstr(text, "AddressSanitizer") && !strstr(text, "LeakSanitizer") &&
                      !strstr(text, "runtime error:"),
                  "a sanitizer spoke on %s: %s", what, text);
}

void fix_run(tb_run *run, json_t **json, const fix_env *f, const char *const *args)
{
    fx_args a = {.argc = 0};
    size_t first = 0;
    fx_args_add(&a, fx_bin("fixorigin"));
    if (args && args[0] && args[0][0] != '-') /* a subcommand: `fixorigin apply FILE` */
        fx_args_add(&a, args[first++]);
    fx_args_add(&a, "--trust-bundle");
    fx_args_add(&a, fx_tb.trust_bundle);
    for (size_t i = first; args && args[i]; i++)
        fx_args_add(&a, args[i]);
    const char *env[] = {
        f->token_env,         f->endpoint_env,           f->state_env, "FASTLY_API_KEY=",
        "FASTLY_SERVICE_ID=", "FIXORIGIN_TRUST_BUNDLE=", "NO_COLOR=",  NULL};
    fx_run_argv(run, a.argv, env, 120000);
    ck_assert_msg(!run->timed_out, "fixorigin timed out: %s", run->err ? run->err : "");
    assert_clean("stdout", run->out);
    assert_clean("stderr", run->err);
    if (json) {
        json_error_t jerr;
        *json = run->out ? json_loads(run->out, 0, &jerr) : NULL;
    }
}

json_t *fix_written(const fix_env *f)
{
    json_error_t jerr;
    /* Written after the first change; until then the state is the one it started with. */
    json_t *state = json_load_file(mock_path(&f->mock, "out.json"), 0, &jerr);
    if (!state)
        state = json_load_file(mock_path(&f->mock, "state.json"), 0, &jerr);
    ck_assert_msg(state != NULL, "the stand-in's state: %s", jerr.text);
    return state;
}

static json_t *service_of(const json_t *state)
{
    return json_array_get(json_object_get(state, "services"), 0);
}

json_t *fix_version(const json_t *state, long number)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(service_of(state), "versions"), i, v)
    {
        if (json_integer_value(json_object_get(v, "number")) == number)
            return v;
    }
    return NULL;
}

long fix_active_version(const json_t *state)
{
    size_t i;
    json_t *v;
    long active = 0;
    json_array_foreach(json_object_get(service_of(state), "versions"), i, v)
    {
        if (json_is_true(json_object_get(v, "active"))) {
            ck_assert_msg(active == 0, "two active versions");
            active = (long)json_integer_value(json_object_get(v, "number"));
        }
    }
    return active;
}

json_t *fix_backend_in(const json_t *state, long number, const char *name)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(fix_version(state, number), "backends"), i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "name")), name) == 0)
            return b;
    }
    return NULL;
}

const char *fix_field(const json_t *backend, const char *field)
{
    static char text[64];
    json_t *v = json_object_get(backend, field);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
        return text;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

size_t fix_log_lines(const fix_env *f)
{
    char *text = read_file(mock_path(&f->mock, "log.jsonl"));
    size_t n = 0;
    for (const char *p = text; p && *p; p++)
        n += *p == '\n';
    free(text);
    return n;
}

void fix_log_count(const fix_env *f, size_t from, size_t *requests, size_t *writes)
{
    json_t *log = mock_log(&f->mock);
    *requests = *writes = 0;
    for (size_t i = from; i < json_array_size(log); i++) {
        (*requests)++;
        *writes += strcmp(json_string_value(json_object_get(json_array_get(log, i), "method")),
                          "GET") != 0;
    }
    json_decref(log);
}

bool fix_wait_log(const fix_env *f, size_t n, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (fix_log_lines(f) >= n)
            return true;
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

json_t *fix_report_backend(const json_t *report, const char *name)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(report, "backends"), i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "name")), name) == 0)
            return b;
    }
    return NULL;
}

void fix_activate_other(const fix_env *f, long number)
{
    char path[128];
    snprintf(path, sizeof(path), "/service/" FIX_SERVICE "/version/%ld/activate", number);
    json_t *answer = api(&f->mock, "PUT", path, NULL, 200);
    json_decref(answer);
}

char *fix_run_on_terminal(const char *const *argv, const char *const *env,
                          const char *const *answers, int timeout_ms, int *status, int *asked)
{
    int master = -1, raw = 0;
    fo_buf out = {0};
    size_t seen = 0;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        for (size_t i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        putenv((char *)"NO_COLOR=1");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    *asked = 0;
    for (double deadline = fo_now_ms() + timeout_ms;;) {
        struct pollfd p = {.fd = master, .events = POLLIN};
        int left = (int)(deadline - fo_now_ms());
        char buf[4096];
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(master, buf, sizeof(buf));
        if (n <= 0)
            break; /* EIO once the program is gone */
        ck_assert_int_eq(fo_buf_append(&out, buf, (size_t)n), 0);
        /* Each new question gets the next answer. */
        for (const char *q; (q = strstr(out.data + seen, "[y/N] ")) != NULL;) {
            seen = (size_t)(q - out.data) + 6;
            const char *answer = answers && answers[*asked] ? answers[*asked] : "n\n";
            ck_assert_int_eq(write(master, answer, strlen(answer)), (ssize_t)strlen(answer));
            (*asked)++;
        }
    }
    close(master);
    if (waitpid(pid, &raw, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &raw, 0);
    }
    *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return fo_buf_steal(&out);
}
