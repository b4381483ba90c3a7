/* fixorigin among Fastly's own tools: a service named by its name (--service-name, through the
 * service listing: one match, none, several, one that differs in case), and the token the
 * official Fastly CLI stores when FASTLY_API_TOKEN is unset: a stand-in `fastly` on PATH for
 * every way the CLI can answer (a token, an older CLI, no token, garbage, silence), and the
 * real CLI (npm @fastly/cli-linux-x64, as the mock_cli suite installs it) logged in to the
 * stand-in. The token never appears in any output. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fix_harness.h"

Suite *ecosystem_suite(void);

static fix_env env;
static char bin_dir[300], path_env[400], home_env[400], args_log[300];

static void setup(void)
{
    memset(&env, 0, sizeof(env));
}

static void teardown(void)
{
    if (env.mock.dir[0])
        fix_stop(&env);
}

/* SVC1 "shop" (a broken backend), and three more services: two named "twin", one "Shop Two". */
static void start(void)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    fix_backend backend = {"hostname_mismatch", NULL};
    char *text = fix_state(&fx_tb, &backend, 1, NULL);
    json_error_t jerr;
    json_t *state = json_loads(text, 0, &jerr);
    free(text);
    ck_assert_ptr_nonnull(state);
    json_t *services = json_object_get(state, "services");
    static const char *const more[][2] = {{"TWIN1", "twin"}, {"TWIN2", "twin"}, {"SHOP2", "other"}};
    for (size_t i = 0; i < 3; i++) {
        json_t *copy = json_deep_copy(json_array_get(services, 0));
        json_object_set_new(copy, "id", json_string(more[i][0]));
        json_object_set_new(copy, "name", json_string(more[i][1]));
        json_array_append_new(services, copy);
    }
    text = json_dumps(state, JSON_COMPACT);
    json_decref(state);
    fix_start_state(&env, text, NULL);
    free(text);
    snprintf(bin_dir, sizeof(bin_dir), "%s", mock_path(&env.mock, "bin"));
    ck_assert_int_eq(mkdir(bin_dir, 0700), 0);
    ck_assert_int_eq(mkdir(mock_path(&env.mock, "home"), 0700), 0);
    snprintf(path_env, sizeof(path_env), "PATH=%s:/usr/bin:/bin", bin_dir);
    snprintf(home_env, sizeof(home_env), "HOME=%s", mock_path(&env.mock, "home"));
    snprintf(args_log, sizeof(args_log), "%s", mock_path(&env.mock, "fastly.args"));
}

static void run(tb_run *r, int expect_exit, const char *const *args)
{
    fix_run(r, NULL, &env, args);
    ck_assert_msg(r->exit_code == expect_exit, "exit %d, not %d\nstdout: %.1500s\nstderr: %s",
                  r->exit_code, expect_exit, r->out, r->err);
}

START_TEST(a_service_is_found_by_its_name)
{
    start();
    tb_run r;
    const char *by_name[] = {"--service-name", "shop", NULL};
    run(&r, 2, by_name);
    ck_assert_ptr_nonnull(strstr(r.out, "service SVC1 \"shop\": active version 1, 1 backend\n"));
    tb_run_free(&r);
    ck_assert_uint_eq(fix_log_lines(&env), 3); /* the listing, then the plan's reads */

    static const struct {
        const char *name, *says;
    } bad[] = {
        {"twin", "--service-name: 2 services are named 'twin' (TWIN"},
        {"nope", "--service-name: no service is named 'nope' among the 4 the token can see"},
        {"SHOP", "did you mean 'shop'? (names are compared exactly)"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t before = fix_log_lines(&env);
        const char *args[] = {"--service-name", bad[i].name, "--json", NULL};
        json_t *report = NULL;
        fix_run(&r, &report, &env, args);
        ck_assert_msg(r.exit_code == 1, "%s: exit %d: %s", bad[i].name, r.exit_code, r.err);
        ck_assert_msg(strstr(r.err, bad[i].says), "%s: %s", bad[i].name, r.err);
        if (i == 0)
            ck_assert_msg(strstr(r.err, "TWIN1") && strstr(r.err, "TWIN2") &&
                              strstr(r.err, "): pass --service ID"),
                          "%s", r.err);
        ck_assert_str_eq(json_string_value(json_object_get(report, "result")), "error");
        ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(report, "error")),
                                     bad[i].says + strlen("--service-name: ")));
        json_decref(report);
        tb_run_free(&r);
        /* Only the listing was read; nothing planned, nothing written. */
        size_t requests, writes;
        fix_log_count(&env, before, &requests, &writes);
        ck_assert_uint_eq(requests, 1);
        ck_assert_uint_eq(writes, 0);
    }
    /* Applied by name: the lock and the version comment are the id's. */
    const char *apply[] = {"--service-name", "shop", "--apply", "--yes", NULL};
    run(&r, 0, apply);
    ck_assert_ptr_nonnull(strstr(r.out, "result: applied and verified; active version 2"));
    tb_run_free(&r);
    const char *both[] = {"--service", "SVC1", "--service-name", "shop", NULL};
    run(&r, 64, both);
    ck_assert_ptr_nonnull(strstr(r.err, "--service and --service-name both name the service"));
    tb_run_free(&r);

    /* show too */
    const char *show[] = {fx_bin("fixorigin"), "show", "--service-name", "shop", NULL};
    const char *show_env[] = {env.token_env, env.endpoint_env, NULL};
    fx_run_argv(&r, show, show_env, 60000);
    ck_assert_msg(r.exit_code == 0, "show: exit %d: %s", r.exit_code, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "service   SVC1  \"shop\""));
    tb_run_free(&r);
}
END_TEST

/* ---- the token from the Fastly CLI ---- */

/* Writes bin/fastly: a shell script that logs its arguments, then runs body. */
static void fake_cli(const char *body)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/fastly", bin_dir);
    unlink(path);
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fprintf(fp, "#!/bin/sh\necho \"$*\" >> '%s'\n%s\n", args_log, body);
    ck_assert_int_eq(fclose(fp), 0);
    ck_assert_int_eq(chmod(path, 0755), 0);
    unlink(args_log);
}

/* Runs `fixorigin --service SVC1` with no token in the environment and PATH leading to bin/. */
static void run_without_token(tb_run *r, int expect_exit)
{
    const char *argv[] = {fx_bin("fixorigin"), "--service",        FIX_SERVICE,
                          "--trust-bundle",    fx_tb.trust_bundle, NULL};
    const char *environment[] = {"FASTLY_API_TOKEN=",
                                 "FASTLY_API_KEY=",
                                 env.endpoint_env,
                                 env.state_env,
                                 path_env,
                                 home_env,
                                 NULL};
    fx_run_argv(r, argv, environment, 60000);
    ck_assert_msg(r->exit_code == expect_exit, "exit %d, not %d\nstdout: %.1500s\nstderr: %s",
                  r->exit_code, expect_exit, r->out, r->err);
    ck_assert_msg(!strstr(r->out, MOCK_TOKEN) && !strstr(r->err, MOCK_TOKEN),
                  "the token is in the output");
}

static char *cli_calls(void)
{
    char *log = read_file(args_log);
    return log ? log : strdup("");
}

START_TEST(the_token_comes_from_the_fastly_cli)
{
    start();
    tb_run r;
    char *calls;
    /* A CLI that has a token: fixorigin plans with it. */
    fake_cli("[ \"$1 $2\" = 'auth token' ] && printf '" MOCK_TOKEN "\\n' && exit 0; exit 1");
    run_without_token(&r, 2);
    ck_assert_ptr_nonnull(strstr(r.out, "service SVC1 \"shop\""));
    tb_run_free(&r);
    calls = cli_calls();
    ck_assert_str_eq(calls, "auth token --non-interactive\n");
    free(calls);

    /* An older CLI knows only `profile token` (and says its notice on stderr). */
    fake_cli("[ \"$1\" = auth ] && echo 'error: expected command but got \"auth\"' >&2 && exit 1\n"
             "echo 'DEPRECATED: use fastly auth show' >&2; echo " MOCK_TOKEN);
    run_without_token(&r, 2);
    tb_run_free(&r);
    calls = cli_calls();
    ck_assert_str_eq(calls, "auth token --non-interactive\nprofile token --non-interactive\n");
    free(calls);

    /* With FASTLY_API_TOKEN set, the CLI is not asked. */
    unlink(args_log);
    tb_run ok;
    const char *argv[] = {fx_bin("fixorigin"), "--service",        FIX_SERVICE,
                          "--trust-bundle",    fx_tb.trust_bundle, NULL};
    const char *with_token[] = {env.token_env, env.endpoint_env, env.state_env, path_env, NULL};
    fx_run_argv(&ok, argv, with_token, 60000);
    ck_assert_int_eq(ok.exit_code, 2);
    tb_run_free(&ok);
    ck_assert_int_ne(access(args_log, F_OK), 0);
}
END_TEST

START_TEST(a_cli_without_a_good_token_is_a_clear_error)
{
    start();
    static const struct {
        const char *body;
        int exit_code;
        const char *says;
    } cases[] = {
        /* logged out: the CLI's words, quoted */
        {"echo 'ERROR: no API token configured.' >&2; echo >&2; "
         "echo 'Run `fastly auth login` to authenticate.' >&2; exit 1",
         64,
         "no Fastly API token: FASTLY_API_TOKEN is unset and the Fastly CLI has none ('fastly "
         "auth token' failed: ERROR: no API token configured.); set FASTLY_API_TOKEN, pass "
         "--token-file FILE, or run 'fastly auth login'"},
        /* something that is not a token: not shown */
        {"echo 'secret-part-one secret-part-two'", 64,
         "the Fastly CLI printed more than one line, spaces or non-ASCII bytes, not a token (not "
         "shown)"},
        {"exit 0", 64, "the Fastly CLI printed nothing instead of a token"},
        /* an error message that repeats the token it printed is not quoted */
        {"echo " MOCK_TOKEN "x; echo 'bad token " MOCK_TOKEN "x' >&2; exit 2", 64,
         "(its message held its output; not shown)"},
        /* silence: killed at 5 s */
        {"exec sleep 60", 1,
         "FASTLY_API_TOKEN is unset and the Fastly CLI ('fastly auth token') did not answer "
         "within 5 s"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fake_cli(cases[i].body);
        tb_run r;
        double start_ms = fo_now_ms();
        run_without_token(&r, cases[i].exit_code);
        ck_assert_msg(fo_now_ms() - start_ms < 15000, "case %zu took %.0f ms", i,
                      fo_now_ms() - start_ms);
        ck_assert_msg(strstr(r.err, cases[i].says), "case %zu: %s", i, r.err);
        ck_assert_msg(!strstr(r.err, "secret-part") && !strstr(r.err, MOCK_TOKEN "x"),
                      "case %zu shows the CLI's output: %s", i, r.err);
        ck_assert_str_eq(r.out, "");
        tb_run_free(&r);
    }
    ck_assert_uint_eq(fix_log_lines(&env), 0); /* no request without a token */

    /* No fastly program at all: the old message, now naming the CLI's login too. */
    char path[400];
    snprintf(path, sizeof(path), "%s/fastly", bin_dir);
    unlink(path);
    tb_run r;
    run_without_token(&r, 64);
    ck_assert_ptr_nonnull(strstr(r.err, "no Fastly API token: set FASTLY_API_TOKEN (or "
                                        "FASTLY_API_KEY), pass --token-file FILE, or log in with "
                                        "the Fastly CLI ('fastly auth login')"));
    tb_run_free(&r);
}
END_TEST

/* The real CLI, logged in to the stand-in with `fastly auth add` (which checks the token
 * against /tokens/self there), gives fixorigin its token. */
START_TEST(the_real_fastly_cli_gives_its_token)
{
    start();
    char out_path[] = "/tmp/fo-ecosystem-cli-XXXXXX";
    int fd = mkstemp(out_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    const char *install[] = {"/bin/sh", FO_SOURCE_DIR "/scripts/fastly-cli.sh", NULL};
    int status = run_command(install, NULL, out_path, 400);
    char *out = read_file(out_path);
    ck_assert_msg(status == 0, "the official Fastly CLI could not be installed (exit %d): %s",
                  status, out ? out : "");
    char *end = out + strlen(out);
    while (end > out && end[-1] == '\n')
        *--end = '\0';
    char *last = strrchr(out, '\n');
    char cli[1024], link_path[400];
    snprintf(cli, sizeof(cli), "%s", last ? last + 1 : out);
    free(out);
    snprintf(link_path, sizeof(link_path), "%s/fastly", bin_dir);
    ck_assert_int_eq(symlink(cli, link_path), 0);

    char account[160];
    snprintf(account, sizeof(account), "FASTLY_ACCOUNT_ENDPOINT=http://127.0.0.1:%u",
             env.mock.port);
    const char *login[] = {link_path,     "auth",     "add", "fixorigin-test",
                           "--api-token", MOCK_TOKEN, "-i",  NULL};
    const char *login_env[] = {env.endpoint_env, account, home_env, "FASTLY_API_TOKEN=", NULL};
    status = run_command(login, login_env, out_path, 120);
    out = read_file(out_path);
    unlink(out_path);
    ck_assert_msg(status == 0, "fastly auth add failed (exit %d): %s", status, out ? out : "");
    free(out);

    tb_run r;
    const char *argv[] = {fx_bin("fixorigin"), "--service",        FIX_SERVICE,
                          "--trust-bundle",    fx_tb.trust_bundle, NULL};
    const char *environment[] = {"FASTLY_API_TOKEN=", "FASTLY_API_KEY=", env.endpoint_env, account,
                                 env.state_env,       path_env,          home_env,         NULL};
    fx_run_argv(&r, argv, environment, 60000);
    ck_assert_msg(r.exit_code == 2, "exit %d\nstdout: %.1500s\nstderr: %s", r.exit_code, r.out,
                  r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "service SVC1 \"shop\""));
    ck_assert_msg(!strstr(r.out, MOCK_TOKEN) && !strstr(r.err, MOCK_TOKEN), "token in output");
    tb_run_free(&r);
}
END_TEST

Suite *ecosystem_suite(void)
{
    Suite *s = suite_create("ecosystem");
    TCase *tc = tcase_create("ecosystem");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, a_service_is_found_by_its_name);
    tcase_add_test(tc, the_token_comes_from_the_fastly_cli);
    tcase_add_test(tc, a_cli_without_a_good_token_is_a_clear_error);
    tcase_add_test(tc, the_real_fastly_cli_gives_its_token);
    suite_add_tcase(s, tc);
    return s;
}
