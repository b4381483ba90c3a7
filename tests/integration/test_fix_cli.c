/* `fixorigin --service` as a user meets it: usage errors, --apply without --yes off a
 * terminal, --backend, FASTLY_SERVICE_ID and the `fix` alias, --activate=none and the draft
 * it leaves (named by the next run, never activated), and a fix that stops holding after
 * activation (verification fails, the previous version comes back: exit 3). */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fix_harness.h"

Suite *fix_cli_suite(void);

static fix_env env;

static void setup(void)
{
    memset(&env, 0, sizeof(env));
}

static void teardown(void)
{
    if (env.mock.dir[0])
        fix_stop(&env);
}

static void start(const fix_backend *backends, size_t count, const char *versions_extra)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_start(&env, &fx_tb, backends, count, versions_extra, NULL);
}

static void run(tb_run *r, int expect_exit, const char *const *args)
{
    fix_run(r, NULL, &env, args);
    ck_assert_msg(r->exit_code == expect_exit, "exit %d, not %d\nstdout: %s\nstderr: %s",
                  r->exit_code, expect_exit, r->out, r->err);
}

static const fix_backend broken = {"hostname_mismatch", NULL};

START_TEST(usage_errors_exit_64_and_touch_nothing)
{
    start(&broken, 1, NULL);
    static const struct {
        const char *args[6];
        const char *says;
    } cases[] = {
        {{"--service", FIX_SERVICE, "--apply"},
         "--apply needs --yes when stdin is not a terminal; nothing was written"},
        {{"--apply", "--yes"},
         "no service: pass --service ID, --service-name NAME or set FASTLY_SERVICE_ID"},
        {{"--service", FIX_SERVICE, "--colour"}, "unknown option '--colour'"},
        {{"--service", FIX_SERVICE, "--activate=later"}, "--activate takes auto or none"},
        {{"--service", FIX_SERVICE, "--backend"}, "option '--backend' needs a value"},
        {{"--service", FIX_SERVICE, "extra"}, "unexpected argument 'extra'"},
        {{"--service", FIX_SERVICE, "--trust-presented-ca=12:ab"},
         "--trust-presented-ca=SHA256 takes the certificate's SHA-256 fingerprint"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        tb_run r;
        run(&r, 64, cases[i].args);
        ck_assert_msg(strstr(r.err, cases[i].says), "case %zu: %s", i, r.err);
        ck_assert_str_eq(r.out, "");
        tb_run_free(&r);
    }
    ck_assert_uint_eq(fix_log_lines(&env), 0); /* not one request */

    /* A backend the version does not have: one read, then 64. */
    tb_run r;
    const char *unknown[] = {"--service", FIX_SERVICE, "--backend", "nope", NULL};
    run(&r, 64, unknown);
    ck_assert_ptr_nonnull(strstr(r.err, "backend 'nope' is not in version 1 of service SVC1"));
    tb_run_free(&r);

    /* No token: 64, naming the variables. */
    char *saved = strdup(env.token_env);
    snprintf(env.token_env, sizeof(env.token_env), "FASTLY_API_TOKEN=");
    const char *args[] = {"--service", FIX_SERVICE, NULL};
    run(&r, 64, args);
    ck_assert_ptr_nonnull(strstr(r.err, "FASTLY_API_TOKEN"));
    tb_run_free(&r);
    snprintf(env.token_env, sizeof(env.token_env), "%s", saved);
    free(saved);

    /* A --ca-file that holds no certificate: 1, before any request. */
    size_t before = fix_log_lines(&env);
    const char *bad_ca[] = {"--service", FIX_SERVICE, "--ca-file", "/dev/null", NULL};
    run(&r, 1, bad_ca);
    ck_assert_ptr_nonnull(strstr(r.err, "--ca-file: /dev/null holds no PEM or DER certificate"));
    tb_run_free(&r);
    ck_assert_uint_eq(fix_log_lines(&env), before);
}
END_TEST

START_TEST(an_unknown_service_is_an_error_with_fastlys_words)
{
    start(&broken, 1, NULL);
    tb_run r;
    const char *args[] = {"--service", "NOPE", "--json", NULL};
    json_t *report = NULL;
    fix_run(&r, &report, &env, args);
    ck_assert_int_eq(r.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "Fastly API: 400"));
    ck_assert_ptr_nonnull(report);
    ck_assert_str_eq(json_string_value(json_object_get(report, "result")), "error");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(report, "error")), "400"));
    ck_assert(json_is_null(json_object_get(report, "plan_id")));
    json_decref(report);
    tb_run_free(&r);
}
END_TEST

START_TEST(the_service_comes_from_the_environment_and_fix_is_an_alias)
{
    start(&broken, 1, NULL);
    char service_env[64];
    snprintf(service_env, sizeof(service_env), "FASTLY_SERVICE_ID=%s", FIX_SERVICE);
    const char *argv[] = {fx_bin("fixorigin"), "fix", "--trust-bundle", fx_tb.trust_bundle, NULL};
    const char *envp[] = {env.token_env, env.endpoint_env, service_env, NULL};
    tb_run r;
    fx_run_argv(&r, argv, envp, 60000);
    ck_assert_msg(r.exit_code == 2, "exit %d: %s", r.exit_code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "service SVC1 \"shop\": active version 1, 1 backend\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "Nothing was written; --apply writes the fixes."));
    tb_run_free(&r);

    const char *help[] = {fx_bin("fixorigin"), "--help", NULL};
    fx_run_argv(&r, help, NULL, 10000);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "fixorigin --service ID [--apply]"));
    tb_run_free(&r);
}
END_TEST

START_TEST(backend_filters_limit_the_plan_and_the_writes)
{
    const fix_backend backends[] = {{"hostname_mismatch", NULL}, {"sni_required_fail", NULL}};
    start(backends, 2, NULL);
    const char *args[] = {"--service", FIX_SERVICE, "--backend", "sni_required_fail",
                          "--apply",   "--yes",     "--json",    NULL};
    tb_run r;
    json_t *report = NULL;
    fix_run(&r, &report, &env, args);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_uint_eq(json_array_size(json_object_get(report, "backends")), 1);
    ck_assert_ptr_nonnull(fix_report_backend(report, "sni_required_fail"));
    json_decref(report);
    tb_run_free(&r);
    json_t *state = fix_written(&env);
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "sni_required_fail"), "ssl_sni_hostname"),
                     "www.origin.test");
    /* The other broken backend was left as it was. */
    ck_assert_str_eq(fix_field(fix_backend_in(state, 2, "hostname_mismatch"), "ssl_cert_hostname"),
                     "www.origin.test");
    json_decref(state);
}
END_TEST

START_TEST(a_draft_is_left_for_a_person_and_never_activated_later)
{
    start(&broken, 1, NULL);
    const char *draft_only[] = {"--service", FIX_SERVICE,       "--apply",
                                "--yes",     "--activate=none", NULL};
    tb_run r;
    run(&r, 0, draft_only);
    ck_assert_ptr_nonnull(strstr(r.out, "validate   ok     draft 2 is valid"));
    ck_assert_ptr_null(strstr(r.out, "activate   ok"));
    ck_assert_ptr_nonnull(strstr(r.out, "result: draft validated, not activated "
                                        "(--activate=none); active version 1; draft 2"));
    tb_run_free(&r);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1);
    ck_assert(json_is_false(json_object_get(fix_version(state, 2), "locked")));
    json_decref(state);

    /* The next run names the draft, clones afresh from version 1 and activates only its
     * own, verified draft. */
    const char *args[] = {"--service", FIX_SERVICE, "--apply", "--yes", "--json", NULL};
    json_t *report = NULL;
    fix_run(&r, &report, &env, args);
    ck_assert_int_eq(r.exit_code, 0);
    json_t *leftovers = json_object_get(report, "leftover_drafts");
    ck_assert_uint_eq(json_array_size(leftovers), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(leftovers, 0), "number")),
                     2);
    ck_assert_int_eq(
        strncmp(json_string_value(json_object_get(json_array_get(leftovers, 0), "comment")),
                "fixorigin: for review: hostname_mismatch: ", 41),
        0);
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(report, "versions"), "draft")), 3);
    json_decref(report);
    tb_run_free(&r);
    state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 3);
    ck_assert(json_is_false(json_object_get(fix_version(state, 2), "active")));
    json_decref(state);
}
END_TEST

START_TEST(a_leftover_draft_is_named_in_the_plan)
{
    static const char leftover[] =
        "{\"number\":2,\"active\":false,\"locked\":false,"
        "\"comment\":\"fixorigin: origin: set ssl_cert_hostname to x (run 0123456789ab)\","
        "\"backends\":[]}";
    start(&broken, 1, leftover);
    tb_run r;
    const char *args[] = {"--service", FIX_SERVICE, NULL};
    run(&r, 2, args);
    ck_assert_ptr_nonnull(strstr(r.out, "leftover draft 2 from an earlier run, never activated: "
                                        "\"fixorigin: origin: set ssl_cert_hostname to x (run "
                                        "0123456789ab)\" (a fresh draft is cloned from version "
                                        "1)"));
    tb_run_free(&r);
}
END_TEST

/* ---- a fix that stops holding after activation ---- */

/* A TCP relay on loopback to one of two testbed origins; which one can change at any time
 * (new connections go to the new one). */
typedef struct relay {
    int listen_fd;
    int port;
    atomic_int target_port;
    atomic_int stop;
    pthread_t thread;
} relay;

static int connect_to(int port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Copies both ways until either side closes or nothing moves for 10 s. */
static void pump(int a, int b)
{
    struct pollfd p[2] = {{.fd = a, .events = POLLIN}, {.fd = b, .events = POLLIN}};
    char buf[16384];
    while (poll(p, 2, 10000) > 0) {
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(p[i].fd, buf, sizeof(buf));
            if (n <= 0 || write(p[1 - i].fd, buf, (size_t)n) != n)
                return;
        }
    }
}

typedef struct relay_conn {
    int client;
    int port;
} relay_conn;

static void *relay_one(void *arg)
{
    relay_conn *c = arg;
    int origin = connect_to(c->port);
    if (origin >= 0) {
        pump(c->client, origin);
        close(origin);
    }
    close(c->client);
    free(c);
    return NULL;
}

static void *relay_loop(void *arg)
{
    relay *r = arg;
    while (!atomic_load(&r->stop)) {
        struct pollfd p = {.fd = r->listen_fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int client = accept(r->listen_fd, NULL, NULL);
        if (client < 0)
            continue;
        relay_conn *c = malloc(sizeof(*c));
        pthread_t t;
        c->client = client;
        c->port = atomic_load(&r->target_port);
        if (pthread_create(&t, NULL, relay_one, c) == 0) {
            pthread_detach(t);
        } else {
            close(client);
            free(c);
        }
    }
    return NULL;
}

static void relay_start(relay *r, int target_port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(r->listen_fd, 0);
    ck_assert_int_eq(bind(r->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(r->listen_fd, 64), 0);
    ck_assert_int_eq(getsockname(r->listen_fd, (struct sockaddr *)&addr, &len), 0);
    r->port = ntohs(addr.sin_port);
    atomic_store(&r->target_port, target_port);
    atomic_store(&r->stop, 0);
    ck_assert_int_eq(pthread_create(&r->thread, NULL, relay_loop, r), 0);
}

static void relay_stop(relay *r)
{
    atomic_store(&r->stop, 1);
    pthread_join(r->thread, NULL);
    close(r->listen_fd);
}

typedef struct switcher {
    relay *relay;
    size_t after;
    int to_port;
    bool done;
} switcher;

static void *switch_later(void *arg)
{
    switcher *s = arg;
    if (fix_wait_log(&env, s->after, 60000)) {
        atomic_store(&s->relay->target_port, s->to_port);
        s->done = true;
    }
    return NULL;
}

START_TEST(a_read_only_token_stops_before_any_write)
{
    const char *mock_args[] = {"--token", "ro-token-4f1e/global:read", NULL};
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_start(&env, &fx_tb, &broken, 1, NULL, mock_args);
    snprintf(env.token_env, sizeof(env.token_env), "FASTLY_API_TOKEN=ro-token-4f1e");
    const char *args[] = {"--service", FIX_SERVICE, "--apply", "--yes", NULL};
    tb_run r;
    run(&r, 1, args);
    ck_assert_ptr_nonnull(strstr(r.out, "clone      FAILED the Fastly API token has scope "
                                        "'global:read': it can read but not change services"));
    ck_assert_ptr_null(strstr(r.out, "ro-token-4f1e"));
    ck_assert_ptr_null(strstr(r.err, "ro-token-4f1e"));
    tb_run_free(&r);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);
}
END_TEST

START_TEST(a_fix_that_stops_holding_is_rolled_back)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    int healthy = fx_case_port(fx_case(&fx_tb, "healthy"));
    int mismatch = fx_case_port(fx_case(&fx_tb, "hostname_mismatch"));
    relay r;
    relay_start(&r, healthy);
    /* The backend checks the wrong name; the healthy origin's certificate covers its SNI. */
    char extra[200];
    snprintf(extra, sizeof(extra),
             "{\"port\":%d,\"ssl_cert_hostname\":\"wrong.origin.test\","
             "\"ssl_sni_hostname\":\"www.origin.test\"}",
             r.port);
    fix_backend backend = {"healthy", extra};
    /* Hold the verification's read long enough to swap the origin behind the relay. */
    const char *mock_args[] = {"--fail", "GET:/service/*/details:3:delay=1500", NULL};
    fix_start(&env, &fx_tb, &backend, 1, NULL, mock_args);
    switcher s = {.relay = &r, .after = 10, .to_port = mismatch};
    pthread_t thread;
    ck_assert_int_eq(pthread_create(&thread, NULL, switch_later, &s), 0);
    const char *args[] = {"--service", FIX_SERVICE, "--apply", "--yes", NULL};
    tb_run run_result;
    fix_run(&run_result, NULL, &env, args);
    pthread_join(thread, NULL);
    relay_stop(&r);
    ck_assert(s.done);
    ck_assert_msg(run_result.exit_code == 3, "exit %d\n%s\n%s", run_result.exit_code,
                  run_result.out, run_result.err);
    ck_assert_ptr_nonnull(strstr(run_result.out, "verify     FAILED backend 'healthy' does not "
                                                 "pass: hostname_mismatch"));
    ck_assert_ptr_nonnull(strstr(run_result.out, "rollback   ok     version 1 is active again"));
    ck_assert_ptr_nonnull(strstr(run_result.out, "result: activated, failed verification, "
                                                 "rolled back; active version 1"));
    tb_run_free(&run_result);
    json_t *state = fix_written(&env);
    ck_assert_int_eq(fix_active_version(state), 1);
    json_decref(state);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 5); /* the fifth is the rollback */
}
END_TEST

/* ---- on a terminal: the confirmation ---- */

/* Runs `fixorigin --service SVC1 --apply` on a pseudo-terminal, answers its question with
 * `answer` and returns what it printed (owned) and its exit status. */
static char *run_on_terminal(const char *answer, int *status)
{
    const char *argv[] = {fx_bin("fixorigin"),      "--trust-bundle", fx_tb.trust_bundle,
                          "--service=" FIX_SERVICE, "--apply",        NULL};
    const char *environment[] = {env.token_env, env.endpoint_env, env.state_env, NULL};
    const char *answers[] = {answer, NULL};
    int asked = 0;
    char *out = fix_run_on_terminal(argv, environment, answers, 60000, status, &asked);
    ck_assert_msg(asked == 1, "%d questions asked: %s", asked, out);
    return out;
}

START_TEST(on_a_terminal_apply_asks_first)
{
    start(&broken, 1, NULL);
    int status = 0;
    char *out = run_on_terminal("n\n", &status);
    ck_assert_msg(status == 2, "exit %d: %s", status, out);
    ck_assert_ptr_nonnull(strstr(out, "Apply 1 fix to service SVC1 (a new version cloned from "
                                      "1)? [y/N] "));
    ck_assert_ptr_nonnull(strstr(out, "Nothing was written."));
    ck_assert_ptr_null(strstr(out, "\033[")); /* NO_COLOR */
    free(out);
    size_t requests, writes;
    fix_log_count(&env, 0, &requests, &writes);
    ck_assert_uint_eq(writes, 0);

    /* Yes: the plan may be old by now, so the active version is read again first. */
    size_t before = fix_log_lines(&env);
    out = run_on_terminal("y\n", &status);
    ck_assert_msg(status == 0, "exit %d: %s", status, out);
    ck_assert_ptr_nonnull(strstr(out, "reread     ok     version 1 is still active"));
    ck_assert_ptr_nonnull(strstr(out, "result: applied and verified; active version 2"));
    free(out);
    fix_log_count(&env, before, &requests, &writes);
    ck_assert_uint_eq(requests, 15); /* the plan's details and pools, then the apply */
    ck_assert_uint_eq(writes, 5);    /* the last marks the verified version (refused here) */
}
END_TEST

/* Runs the plan with COLUMNS set to columns ("" for unset: 80 off a terminal). */
static void run_plan_at(tb_run *r, const char *columns)
{
    char columns_env[32];
    snprintf(columns_env, sizeof(columns_env), "COLUMNS=%s", columns);
    const char *argv[] = {fx_bin("fixorigin"), "--service",        FIX_SERVICE,
                          "--trust-bundle",    fx_tb.trust_bundle, NULL};
    const char *envp[] = {env.token_env, env.endpoint_env, env.state_env,
                          "NO_COLOR=",   columns_env,      NULL};
    fx_run_argv(r, argv, envp, 120000);
    /* Fixes planned, and a backend that needs a person. */
    ck_assert_msg(r->exit_code == 5, "exit %d: %s", r->exit_code, r->err);
}

/* A plan reads at 80 columns: each long line folds under its value, nothing is lost. */
START_TEST(plan_text_folds_to_80_columns)
{
    static const fix_backend backends[] = {{"hostname_mismatch", NULL},
                                           {"self_signed_certificate", NULL},
                                           {"certificate_expired", NULL}};
    start(backends, 3, NULL);
    tb_run narrow, wide;
    run_plan_at(&narrow, "");
    run_plan_at(&wide, "1000");
    fx_assert_folded(narrow.out, wide.out, 80, "plan at 80 columns");
    /* The layout holds: an evidence line continues under its value. */
    ck_assert_msg(strstr(narrow.out, "\n  evidence   ") && strstr(narrow.out, "\n             "),
                  "%s", narrow.out);
    tb_run_free(&narrow);
    run_plan_at(&narrow, "60");
    fx_assert_folded(narrow.out, wide.out, 60, "plan at COLUMNS=60");
    tb_run_free(&narrow);
    tb_run_free(&wide);
}
END_TEST

Suite *fix_cli_suite(void)
{
    Suite *s = suite_create("fix_cli");
    TCase *tc = tcase_create("cli");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, usage_errors_exit_64_and_touch_nothing);
    tcase_add_test(tc, an_unknown_service_is_an_error_with_fastlys_words);
    tcase_add_test(tc, the_service_comes_from_the_environment_and_fix_is_an_alias);
    tcase_add_test(tc, backend_filters_limit_the_plan_and_the_writes);
    tcase_add_test(tc, a_draft_is_left_for_a_person_and_never_activated_later);
    tcase_add_test(tc, a_leftover_draft_is_named_in_the_plan);
    tcase_add_test(tc, a_read_only_token_stops_before_any_write);
    tcase_add_test(tc, a_fix_that_stops_holding_is_rolled_back);
    tcase_add_test(tc, on_a_terminal_apply_asks_first);
    tcase_add_test(tc, plan_text_folds_to_80_columns);
    suite_add_tcase(s, tc);
    return s;
}
