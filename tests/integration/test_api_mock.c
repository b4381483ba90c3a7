/* The API client against the Fastly stand-in (build/bin/fastly-mock) over
 * real HTTP on loopback: every endpoint, every error status, faults injected
 * by the stand-in, and the token in no output or log of the run. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/api.h"
#include "api_testcert.h"
#include "testcert.h"
#include "api_int.h"

Suite *api_mock_suite(void);

#define TOKEN "itok-7d41c0ffee5eed42"
#define MOCK FO_BIN_DIR "/fastly-mock"

static const char state_json[] =
    "{\"customer_id\":\"CUST1\",\"services\":["
    "{\"id\":\"SVC1\",\"name\":\"shop\",\"comment\":\"\",\"type\":\"vcl\",\"versions\":["
    "{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\","
    "\"domains\":[{\"name\":\"www.shop.test\",\"comment\":\"\"}],"
    "\"backends\":[{\"name\":\"Host 1\",\"address\":\"origin.shop.test\",\"port\":443,"
    "\"use_ssl\":true,\"ssl_check_cert\":true,\"ssl_cert_hostname\":\"origin.shop.test\"}],"
    "\"vcls\":[{\"name\":\"main\",\"main\":true,\"content\":\"sub vcl_recv { }\"}]}]},"
    "{\"id\":\"SVC2\",\"name\":\"other\",\"comment\":\"\",\"type\":\"vcl\",\"versions\":["
    "{\"number\":1,\"active\":false,\"locked\":false,\"comment\":\"\","
    "\"backends\":[{\"name\":\"b\",\"address\":\"b.test\"}]}]}]}";

static char dir[64];
static pid_t mock_pid;
static int mock_port;
static fo_api *api;
static fo_error err;
static fo_buf client_log;

static char *path_in(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    fo_buf b = {0};
    char chunk[4096];
    size_t n;
    if (!f)
        return fo_buf_steal(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        ck_assert_int_eq(fo_buf_append(&b, chunk, n), 0);
    fclose(f);
    return fo_buf_steal(&b);
}

static void keep_log(void *ctx, fo_log_level level, const char *msg)
{
    (void)ctx;
    (void)level;
    ck_assert_int_eq(fo_buf_printf(&client_log, "%s\n", msg), 0);
}

/* Starts the stand-in with the test's state and extra arguments (NULL
 * ended) and waits until it listens. */
static void start_mock(const char *arg, ...)
{
    const char *argv[32] = {MOCK, "--listen", "127.0.0.1:0", "--state",       NULL, "--port-file",
                            NULL, "--log",    NULL,          "--write-state", NULL};
    int argc = 11;
    argv[4] = strdup(path_in("state.json"));
    argv[6] = strdup(path_in("port"));
    argv[8] = strdup(path_in("requests.jsonl"));
    argv[10] = strdup(path_in("state-out.json"));
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && argc < 31; a = va_arg(ap, const char *))
        argv[argc++] = a;
    va_end(ap);
    bool has_token = false;
    for (int i = 11; i < argc; i++)
        has_token = has_token || strcmp(argv[i], "--token") == 0;
    if (!has_token && argc < 29) {
        argv[argc++] = "--token";
        argv[argc++] = TOKEN;
    }
    argv[argc] = NULL;
    write_file(path_in("state.json"), state_json);
    unlink(path_in("port"));
    char *out_path = strdup(path_in("mock.out"));
    char *err_path = strdup(path_in("mock.err"));
    mock_pid = fork();
    ck_assert_int_ge(mock_pid, 0);
    if (mock_pid == 0) {
        /* A failed assertion ends the test without its teardown: the
         * stand-in must not outlive it. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int errfd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out, 1);
        dup2(errfd, 2);
        execv(MOCK, (char *const *)argv);
        _exit(127);
    }
    for (int i = 4; i <= 10; i += 2)
        free((char *)argv[i]);
    free(out_path);
    free(err_path);
    /* Generous: a loaded 2-core machine may be slow to start it. */
    for (int waited = 0; waited < 15000; waited += 20) {
        char *port = read_file(path_in("port"));
        mock_port = atoi(port);
        free(port);
        if (mock_port > 0)
            return;
        int status;
        if (waitpid(mock_pid, &status, WNOHANG) == mock_pid) {
            char *why = read_file(path_in("mock.err"));
            ck_abort_msg("fastly-mock exited: %s", why);
        }
        usleep(20000);
    }
    ck_abort_msg("fastly-mock did not start listening");
}

static fo_api *client_with(const char *token, long timeout_ms)
{
    fo_api_config cfg;
    char base[64];
    fo_api *client = NULL;
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", mock_port);
    fo_api_config_init(&cfg);
    cfg.base_url = base;
    cfg.token = token;
    cfg.timeout_ms = timeout_ms;
    cfg.connect_timeout_ms = 5000;
    cfg.backoff_initial_ms = 20;
    cfg.backoff_max_ms = 100;
    cfg.log = keep_log;
    ck_assert_int_eq(fo_api_new(&client, &cfg, &err), 0);
    return client;
}

static void setup(void)
{
    strcpy(dir, "/tmp/fo-api-mock-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    memset(&client_log, 0, sizeof(client_log));
    fo_error_clear(&err);
    mock_pid = 0;
    api = NULL;
    /* Loopback only, whatever proxy the environment names. */
    setenv("NO_PROXY", "*", 1);
    setenv("no_proxy", "*", 1);
}

/* Nothing the run wrote (the stand-in's log, state, output; the client's log
 * lines) holds the token. */
static void assert_token_nowhere(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *text = read_file(path_in(e->d_name));
        ck_assert_msg(strstr(text, TOKEN) == NULL, "the token is in %s", e->d_name);
        free(text);
    }
    closedir(d);
    ck_assert_msg(!client_log.data || !strstr(client_log.data, TOKEN), "the token is logged");
    ck_assert_ptr_null(strstr(err.msg, TOKEN));
}

static void teardown(void)
{
    fo_api_free(api);
    if (mock_pid > 0) {
        int status = 0;
        kill(mock_pid, SIGTERM);
        waitpid(mock_pid, &status, 0);
    }
    assert_token_nowhere();
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            unlink(path_in(e->d_name));
    }
    if (d)
        closedir(d);
    rmdir(dir);
    fo_buf_clear(&client_log);
}

/* How many logged requests match method and path (and, when not -1, status). */
static int logged(const char *method, const char *path, int status)
{
    char *log = read_file(path_in("requests.jsonl"));
    char needle[512];
    int count = 0;
    snprintf(needle, sizeof(needle), "\"method\":\"%s\",\"path\":\"%s\"", method, path);
    for (char *line = log; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char status_text[32];
        snprintf(status_text, sizeof(status_text), "\"status\":%d", status);
        if (strstr(line, needle) && (status == -1 || strstr(line, status_text)))
            count++;
        line = end ? end + 1 : NULL;
    }
    free(log);
    return count;
}

START_TEST(every_endpoint)
{
    fo_token_info *token = NULL;
    fo_ip_list *ips = NULL;
    fo_service_list *services = NULL;
    fo_service *details = NULL;
    fo_version_list *versions = NULL;
    fo_version *v = NULL;
    fo_backend *b = NULL;
    fo_backend_list *backends = NULL;
    fo_validation *valid = NULL;
    fo_diff *diff = NULL;
    fo_custom_vcl_list *vcls = NULL;
    fo_custom_vcl *vcl = NULL;
    fo_api_stats stats;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);

    ck_assert_int_eq(fo_api_token_self(api, &token, &err), 0);
    ck_assert_str_eq(token->scope, "global");
    ck_assert_int_eq(fo_api_public_ip_list(api, &ips, &err), 0);
    ck_assert_uint_gt(ips->ipv4_count, 0);
    ck_assert_int_eq(fo_api_service_list(api, &services, &err), 0);
    ck_assert_uint_eq(services->count, 2);
    ck_assert_int_eq(fo_api_service_details(api, &details, "SVC1", 0, &err), 0);
    ck_assert_int_eq(details->active_version, 1);
    ck_assert_uint_eq(details->version->backend_count, 1);
    ck_assert_str_eq(details->version->backends[0].name, "Host 1");
    ck_assert_uint_eq(details->version->domain_count, 1);
    ck_assert_str_eq(details->version->domains[0], "www.shop.test");
    fo_service_free(details);
    ck_assert_int_eq(fo_api_version_list(api, &versions, "SVC1", &err), 0);
    ck_assert_uint_eq(versions->count, 1);
    fo_version_list_free(versions);

    /* A draft, fixed, validated, activated. */
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    ck_assert_int_eq(v->number, 2);
    ck_assert(!v->locked && !v->active);
    ck_assert_str_eq(v->comment, "base");
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_comment(api, &v, "SVC1", 2, "fixorigin: TLS", &err), 0);
    ck_assert_str_eq(v->comment, "fixorigin: TLS");
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_get(api, &v, "SVC1", 2, &err), 0);
    ck_assert_str_eq(v->comment, "fixorigin: TLS");
    fo_version_free(v);

    const fo_backend_change clear[] = {{"ssl_cert_hostname", NULL}};
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 2, "Host 1", clear, 1, &err), 0);
    ck_assert_ptr_null(b->ssl_cert_hostname);
    fo_backend_free(b);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2/backend/Host%201", 200), 1);
    ck_assert_int_eq(fo_api_version_validate(api, &valid, "SVC1", 2, &err), 0);
    ck_assert(!valid->ok);
    ck_assert_ptr_nonnull(
        strstr(valid->msg, "Mandatory SSL cert checks require specifying cert hostname"));
    fo_validation_free(valid);

    char sha256[96];
    char *pem = api_test_cert_pem("Shop Private CA", sha256);
    fo_buf expected = {0};
    const fo_form_field sent[] = {{"ssl_ca_cert", pem}};
    ck_assert_int_eq(fo_api_form_encode(&expected, sent, 1), 0);
    const fo_backend_change fix[] = {{"ssl_cert_hostname", "www.shop.test"},
                                     {"ssl_ca_cert", pem},
                                     {"port", "443"},
                                     {"use_ssl", "true"}};
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 2, "Host 1", fix, 4, &err), 0);
    ck_assert_str_eq(b->ssl_cert_hostname, "www.shop.test");
    ck_assert_str_eq(b->ssl_ca_cert, pem);
    ck_assert_int_eq(b->port, 443);
    ck_assert(b->use_ssl);
    fo_backend_free(b);
    /* As sent: the PEM in form encoding (%0A, %2B, %2F, %3D), keys sorted. */
    char *log = read_file(path_in("requests.jsonl"));
    char want[8192];
    snprintf(want, sizeof(want),
             "\"content_type\":\"application/x-www-form-urlencoded\",\"body\":\"port=443&%s&"
             "ssl_cert_hostname=www.shop.test&use_ssl=1\"",
             expected.data);
    ck_assert_msg(strstr(log, want) != NULL, "not logged: %s", want);
    ck_assert_ptr_nonnull(strstr(expected.data, "ssl_ca_cert=-----BEGIN+CERTIFICATE-----%0A"));
    fo_buf_clear(&expected);
    free(log);
    free(pem);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "SVC1", 2, "Host 1", &err), 0);
    ck_assert_str_eq(b->ssl_cert_hostname, "www.shop.test");
    fo_backend_free(b);
    ck_assert_int_eq(fo_api_backend_list(api, &backends, "SVC1", 2, &err), 0);
    ck_assert_uint_eq(backends->count, 1);
    fo_backend_list_free(backends);
    ck_assert_int_eq(fo_api_version_validate(api, &valid, "SVC1", 2, &err), 0);
    ck_assert(valid->ok);
    fo_validation_free(valid);

    ck_assert_int_eq(fo_api_diff(api, &diff, "SVC1", 1, 2, &err), 0);
    ck_assert_int_eq(diff->from, 1);
    ck_assert_int_eq(diff->to, 2);
    ck_assert_ptr_nonnull(strstr(diff->text, "+  ssl_cert_hostname: www.shop.test\n"));
    ck_assert_ptr_nonnull(strstr(diff->text, "-  ssl_cert_hostname: origin.shop.test\n"));
    fo_diff_free(diff);

    ck_assert_int_eq(fo_api_vcl_list(api, &vcls, "SVC1", 2, &err), 0);
    ck_assert_uint_eq(vcls->count, 1);
    ck_assert(vcls->items[0].main);
    fo_custom_vcl_list_free(vcls);
    ck_assert_int_eq(
        fo_api_vcl_update(api, &vcl, "SVC1", 2, "main", "sub vcl_recv { # fixed\n}", &err), 0);
    fo_custom_vcl_free(vcl);
    ck_assert_int_eq(fo_api_vcl_get(api, &vcl, "SVC1", 2, "main", &err), 0);
    ck_assert_str_eq(vcl->content, "sub vcl_recv { # fixed\n}");
    fo_custom_vcl_free(vcl);
    ck_assert_int_eq(fo_api_generated_vcl(api, &vcl, "SVC1", 2, &err), 0);
    ck_assert_ptr_nonnull(strstr(vcl->content, "www.shop.test"));
    fo_custom_vcl_free(vcl);

    ck_assert_int_eq(fo_api_version_activate(api, &v, "SVC1", 2, &err), 0);
    ck_assert(v->active && v->locked);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_service_details(api, &details, "SVC1", 0, &err), 0);
    ck_assert_int_eq(details->active_version, 2);
    ck_assert_int_eq(details->latest_version, 2);
    ck_assert(!details->versions[0].active);
    fo_service_free(details);
    ck_assert_int_eq(fo_api_version_deactivate(api, &v, "SVC1", 2, &err), 0);
    ck_assert(!v->active);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 2, &err), 0);
    ck_assert_int_eq(v->number, 3);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_lock(api, &v, "SVC1", 3, &err), 0);
    ck_assert(v->locked);
    fo_version_free(v);

    /* The token was checked once, before the first write. */
    ck_assert_int_eq(logged("GET", "/tokens/self", 200), 2);
    fo_api_get_stats(api, &stats);
    ck_assert_uint_eq(stats.writes, 9);
    ck_assert_int_eq(stats.ratelimit_remaining, 1000 - 9);
    ck_assert_int_gt(stats.ratelimit_reset, (long long)time(NULL));

    char *state = read_file(path_in("state-out.json"));
    ck_assert_ptr_nonnull(strstr(state, "\"ssl_cert_hostname\": \"www.shop.test\""));
    free(state);
    fo_token_info_free(token);
    fo_ip_list_free(ips);
    fo_service_list_free(services);
}
END_TEST

/* ---- error statuses ---- */

START_TEST(wrong_token_is_401)
{
    fo_service *s = NULL;
    start_mock(NULL);
    api = client_with("itok-wrong-token", 10000);
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "Fastly API: 401 Provided credentials are missing or invalid");
    ck_assert_int_eq(err.http_status, 401);
}
END_TEST

START_TEST(unknown_service_is_400_not_found)
{
    fo_service *s = NULL;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_service_details(api, &s, "NOSUCH", 0, &err), FO_ENOTFOUND);
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 400 "));
    ck_assert_int_eq(logged("GET", "/service/NOSUCH/details", 400), 1);
}
END_TEST

START_TEST(unknown_backend_is_404)
{
    fo_backend *b = NULL;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "SVC1", 1, "nope", &err), FO_ENOTFOUND);
    ck_assert_int_eq(err.http_status, 404);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 404 Record not found"));
}
END_TEST

START_TEST(write_to_active_version_is_422)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "www.shop.test"}};
    fo_backend *b = NULL;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 1, "Host 1", changes, 1, &err),
                     FO_ELOCKED);
    ck_assert_str_eq(err.msg, "Fastly API: 422 Version locked: Version '1' for service 'SVC1' is "
                              "locked");
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/backend/Host%201", 422), 1);
}
END_TEST

START_TEST(bad_value_is_400)
{
    const fo_backend_change changes[] = {{"min_tls_version", "9.9"}};
    fo_backend *b = NULL;
    fo_version *v = NULL;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 2, "Host 1", changes, 1, &err),
                     FO_EHTTP);
    ck_assert_int_eq(err.http_status, 400);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 400 Bad request: "));
}
END_TEST

START_TEST(read_only_token_changes_nothing)
{
    fo_version *v = NULL;
    start_mock("--token", TOKEN "/global:read", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), FO_EAUTH);
    ck_assert_ptr_nonnull(strstr(err.msg, "it can read but not change services"));
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/clone", -1), 0);
}
END_TEST

START_TEST(token_for_another_service_changes_nothing)
{
    fo_version *v = NULL;
    start_mock("--token", TOKEN "/global/SVC2", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "the Fastly API token is limited to other services: it may not "
                              "change service SVC1");
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/clone", -1), 0);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC2", 1, &err), 0);
    fo_version_free(v);
}
END_TEST

/* ---- rate limit and faults ---- */

START_TEST(rate_limit_then_success_after_reset)
{
    fo_version *v = NULL;
    start_mock("--rate-limit", "2/3", NULL);
    api = client_with(TOKEN, 10000);
    double start = fo_now_ms();
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_comment(api, &v, "SVC1", 2, "one", &err), 0);
    fo_version_free(v);
    /* The budget is spent: 429, a wait until the reset, then it goes through. */
    ck_assert_int_eq(fo_api_version_comment(api, &v, "SVC1", 2, "two", &err), 0);
    ck_assert_str_eq(v->comment, "two");
    fo_version_free(v);
    double elapsed = fo_now_ms() - start;
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2", 429), 1);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2", 200), 2);
    ck_assert_msg(elapsed < 15000, "waited %.0f ms", elapsed);
    ck_assert_ptr_nonnull(strstr(client_log.data, "rate limited: waiting"));
}
END_TEST

START_TEST(rate_limit_far_away_fails_naming_the_reset)
{
    fo_version *v = NULL;
    start_mock("--rate-limit", "1/7200", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_lock(api, &v, "SVC1", 2, &err), FO_ERATELIMIT);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 429 "));
    ck_assert_ptr_nonnull(strstr(err.msg, "(write budget spent; it resets at "));
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2/lock", -1), 1);
}
END_TEST

START_TEST(read_5xx_then_success)
{
    fo_service *s = NULL;
    start_mock("--fail", "GET:/service/*/details:1:503", "--fail",
               "GET:/service/*/details:2:502-html", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), 0);
    ck_assert_str_eq(s->name, "shop");
    ck_assert_int_eq(logged("GET", "/service/SVC1/details", 503), 1);
    ck_assert_int_eq(logged("GET", "/service/SVC1/details", 502), 1);
    ck_assert_int_eq(logged("GET", "/service/SVC1/details", 200), 1);
    fo_service_free(s);
}
END_TEST

START_TEST(read_cut_short_is_retried)
{
    fo_version_list *l = NULL;
    start_mock("--fail", "GET:/service/*/version:1:truncate", "--fail",
               "GET:/service/*/version:2:drop", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_list(api, &l, "SVC1", &err), 0);
    ck_assert_uint_eq(l->count, 1);
    ck_assert_int_eq(logged("GET", "/service/SVC1/version", -1), 3);
    fo_version_list_free(l);
}
END_TEST

START_TEST(slow_read_times_out_and_is_retried)
{
    fo_version *v = NULL;
    start_mock("--fail", "GET:/service/*/version/1:1:delay=4000", NULL);
    api = client_with(TOKEN, 1000);
    double start = fo_now_ms();
    ck_assert_int_eq(fo_api_version_get(api, &v, "SVC1", 1, &err), 0);
    ck_assert_msg(fo_now_ms() - start < 4000, "the client waited for the slow answer");
    ck_assert_ptr_nonnull(strstr(client_log.data, "GET /service/SVC1/version/1: Fastly API: "));
    fo_version_free(v);
}
END_TEST

START_TEST(malformed_json_is_a_protocol_error)
{
    fo_service *s = NULL;
    start_mock("--fail", "GET:/service/*/details:*:malformed", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_service_details(api, &s, "SVC1", 0, &err), FO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: malformed service details: not JSON"));
    ck_assert_int_eq(logged("GET", "/service/SVC1/details", -1), 1);
}
END_TEST

START_TEST(dropped_clone_finds_the_draft)
{
    fo_version *v = NULL;
    fo_version_list *l = NULL;
    start_mock("--fail", "PUT:/service/*/version/*/clone:1:drop", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    ck_assert_int_eq(v->number, 2);
    ck_assert(!v->locked);
    fo_version_free(v);
    /* Cloned once, not twice. */
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/clone", -1), 1);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/clone", 0), 1);
    ck_assert_int_eq(fo_api_version_list(api, &l, "SVC1", &err), 0);
    ck_assert_uint_eq(l->count, 2);
    fo_version_list_free(l);
}
END_TEST

START_TEST(clone_dropped_before_it_happened)
{
    fo_version *v = NULL;
    fo_version_list *l = NULL;
    start_mock("--fail", "PUT:/service/*/version/*/clone:1:drop-before", NULL);
    api = client_with(TOKEN, 10000);
    int rc = fo_api_version_clone(api, &v, "SVC1", 1, &err);
    ck_assert_int_lt(rc, 0);
    ck_assert_int_ne(rc, FO_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(err.msg, "; reading back shows nothing changed"));
    ck_assert_ptr_null(v);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/1/clone", -1), 1);
    ck_assert_int_eq(fo_api_version_list(api, &l, "SVC1", &err), 0);
    ck_assert_uint_eq(l->count, 1);
    fo_version_list_free(l);
}
END_TEST

START_TEST(lost_writes_are_read_back)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "www.shop.test"}};
    fo_version *v = NULL;
    fo_backend *b = NULL;
    fo_custom_vcl *vcl = NULL;
    start_mock("--fail", "PUT:/service/*/version/*/backend/*:1:drop", "--fail",
               "PUT:/service/*/version/*/activate:1:503-after", "--fail",
               "PUT:/service/*/version/*/vcl/*:1:malformed", "--fail",
               "PUT:/service/*/version/*/lock:1:503-html", NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 2, "Host 1", changes, 1, &err), 0);
    ck_assert_str_eq(b->ssl_cert_hostname, "www.shop.test");
    fo_backend_free(b);
    ck_assert_int_eq(fo_api_vcl_update(api, &vcl, "SVC1", 2, "main", "sub vcl_recv { }\n", &err),
                     0);
    ck_assert_str_eq(vcl->content, "sub vcl_recv { }\n");
    fo_custom_vcl_free(vcl);
    ck_assert_int_eq(fo_api_version_activate(api, &v, "SVC1", 2, &err), 0);
    ck_assert(v->active);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 2, &err), 0);
    fo_version_free(v);
    /* A proxy's 503 page before anything happened: not sent again. */
    ck_assert_int_eq(fo_api_version_lock(api, &v, "SVC1", 3, &err), FO_EHTTP);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: 503 Service Unavailable"));
    ck_assert_ptr_nonnull(strstr(err.msg, "; reading back shows nothing changed"));
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2/backend/Host%201", -1), 1);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2/vcl/main", -1), 1);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/2/activate", -1), 1);
    ck_assert_int_eq(logged("PUT", "/service/SVC1/version/3/lock", -1), 1);
}
END_TEST

/* The stand-in's dump carries ssl_client_key as Fastly's does; the client
 * never hands it on. (A key made now: none is checked in.) */
START_TEST(diff_never_reveals_the_client_key)
{
    char *key = tc_private_key_pem(), line[100];
    tc_pem_line(line, sizeof(line), key, 1);
    char sha256[96];
    char *cert = api_test_cert_pem("Shop Client", sha256);
    const fo_backend_change changes[] = {{"ssl_client_key", key}, {"ssl_client_cert", cert}};
    fo_version *v = NULL;
    fo_backend *b = NULL;
    fo_diff *diff = NULL;
    start_mock(NULL);
    api = client_with(TOKEN, 10000);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "SVC1", 1, &err), 0);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_backend_update(api, &b, "SVC1", 2, "Host 1", changes, 2, &err), 0);
    ck_assert_str_eq(b->ssl_client_key, key); /* the model holds it; it is wiped on free */
    fo_backend_free(b);
    for (long from = 1; from <= 2; from++) {
        ck_assert_int_eq(fo_api_diff(api, &diff, "SVC1", from, 2, &err), 0);
        ck_assert_ptr_nonnull(strstr(diff->text, "ssl_client_key: [redacted]\n"));
        ck_assert_ptr_nonnull(strstr(diff->text, "ssl_client_cert: "));
        ck_assert_msg(!strstr(diff->text, line) && !strstr(diff->text, "PRIVATE KEY"), "%s",
                      diff->text);
        fo_diff_free(diff);
    }
    ck_assert(!client_log.data || !strstr(client_log.data, line));
    free(cert);
    free(key);
}
END_TEST

/* ---- fixorigin show, the program ---- */

static int run_show(const char *args, const char *out_name)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s/fixorigin show %s >%s 2>%s.err", FO_BIN_DIR, args,
             path_in(out_name), path_in(out_name));
    int status = system(cmd);
    ck_assert(WIFEXITED(status));
    return WEXITSTATUS(status);
}

START_TEST(show_against_the_stand_in)
{
    char base[64];
    start_mock(NULL);
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", mock_port);
    setenv("FASTLY_API_ENDPOINT", base, 1);
    unsetenv("FASTLY_API_URL");
    unsetenv("FASTLY_API_KEY");
    unsetenv("FASTLY_SERVICE_ID");
    setenv("FASTLY_API_TOKEN", TOKEN, 1);
    ck_assert_int_eq(run_show("--service SVC1", "show.txt"), 0);
    char *out = read_file(path_in("show.txt"));
    ck_assert_ptr_nonnull(strstr(out, "service   SVC1  \"shop\" (vcl)\n"));
    ck_assert_ptr_nonnull(
        strstr(out, "backend Host 1\n  address               origin.shop.test\n"));
    ck_assert_ptr_nonnull(strstr(out, "  ssl_cert_hostname     origin.shop.test\n"));
    free(out);
    ck_assert_int_eq(run_show("--service SVC1 --json", "show.json"), 0);
    out = read_file(path_in("show.json"));
    ck_assert_ptr_nonnull(strstr(out, "\"schema\": \"fixorigin.show/v1\""));
    free(out);
    ck_assert_int_eq(run_show("--service NOSUCH", "missing.txt"), 1);
    out = read_file(path_in("missing.txt.err"));
    ck_assert_ptr_nonnull(strstr(out, "fixorigin: Fastly API: 400 "));
    free(out);

    /* A service id of ".." once became GET /details: every name stays in its segment. */
    ck_assert_int_eq(run_show("--service ..", "dots.txt"), 1);
    ck_assert_int_eq(run_show("--service .", "dot.txt"), 1);
    ck_assert_int_eq(run_show("--service 'a/../b?c#d %2F\xc3\xa9'", "odd.txt"), 1);
    ck_assert_int_eq(logged("GET", "/service/%2E%2E/details", 400), 1);
    ck_assert_int_eq(logged("GET", "/service/%2E/details", 400), 1);
    ck_assert_int_eq(logged("GET", "/service/a%2F..%2Fb%3Fc%23d%20%252F%C3%A9/details", 400), 1);
    ck_assert_int_eq(logged("GET", "/details", -1), 0);
    ck_assert_int_eq(logged("GET", "/service/details", -1), 0);

    /* The token from a file, which lives outside the run's directory. */
    char token_file[] = "/tmp/fo-api-token-XXXXXX";
    int fd = mkstemp(token_file);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, TOKEN "\n", strlen(TOKEN) + 1), (ssize_t)strlen(TOKEN) + 1);
    close(fd);
    unsetenv("FASTLY_API_TOKEN");
    char args[256];
    snprintf(args, sizeof(args), "--service SVC1 --token-file %s", token_file);
    ck_assert_int_eq(run_show(args, "show-file.txt"), 0);
    ck_assert_int_eq(run_show("--service SVC1", "no-token.txt"), 64);
    unlink(token_file);

    setenv("FASTLY_API_TOKEN", "itok-not-accepted", 1);
    ck_assert_int_eq(run_show("--service SVC1", "bad-token.txt"), 1);
    out = read_file(path_in("bad-token.txt.err"));
    ck_assert_str_eq(out, "fixorigin: Fastly API: 401 Provided credentials are missing or "
                          "invalid\n");
    free(out);
}
END_TEST

Suite *api_mock_suite(void)
{
    Suite *s = suite_create("api_mock");
    TCase *tc = tcase_create("endpoints");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, every_endpoint);
    tcase_add_test(tc, wrong_token_is_401);
    tcase_add_test(tc, unknown_service_is_400_not_found);
    tcase_add_test(tc, unknown_backend_is_404);
    tcase_add_test(tc, write_to_active_version_is_422);
    tcase_add_test(tc, bad_value_is_400);
    tcase_add_test(tc, read_only_token_changes_nothing);
    tcase_add_test(tc, token_for_another_service_changes_nothing);
    suite_add_tcase(s, tc);
    tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, rate_limit_then_success_after_reset);
    tcase_add_test(tc, rate_limit_far_away_fails_naming_the_reset);
    tcase_add_test(tc, read_5xx_then_success);
    tcase_add_test(tc, read_cut_short_is_retried);
    tcase_add_test(tc, slow_read_times_out_and_is_retried);
    tcase_add_test(tc, malformed_json_is_a_protocol_error);
    tcase_add_test(tc, dropped_clone_finds_the_draft);
    tcase_add_test(tc, clone_dropped_before_it_happened);
    tcase_add_test(tc, lost_writes_are_read_back);
    tcase_add_test(tc, diff_never_reveals_the_client_key);
    suite_add_tcase(s, tc);
    tc = tcase_create("show");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, show_against_the_stand_in);
    suite_add_tcase(s, tc);
    return s;
}
