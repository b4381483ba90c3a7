/* `fixorigin probe` as a user drives it: --targets over every testbed case,
 * the readable text output, the trust bundle from the environment, and the
 * exit codes (0 ok, 2 problem, 1 could not run, 64 usage). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe_expect.h"
#include "testbed_fixture.h"

Suite *probe_targets_suite(void);

/* Runs `fixorigin probe` with args (NULL-terminated). */
static void probe(tb_run *run, const char *const *args, const char *const *env)
{
    fx_args a = {.argc = 0};
    fx_args_add(&a, fx_bin("fixorigin"));
    fx_args_add(&a, "probe");
    for (; *args; args++)
        fx_args_add(&a, *args);
    fx_run_argv(run, a.argv, env, 60000);
}

/* NDJSON lines of out, parsed; the caller frees the array. */
static json_t *parse_lines(const char *out)
{
    json_t *lines = json_array();
    const char *p = out;
    while (*p) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        json_error_t jerr;
        json_t *line = json_loadb(p, len, 0, &jerr);
        ck_assert_msg(line != NULL, "not one JSON object a line: %.*s", (int)len, p);
        json_array_append_new(lines, line);
        p += len + (end != NULL);
    }
    return lines;
}

START_TEST(targets_file_names_every_case)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    const char *args[] = {"--targets",
                          json_str(fx_tb.manifest, "targets_file"),
                          "--trust-bundle",
                          fx_tb.trust_bundle,
                          "--concurrency",
                          "16",
                          "--hosts",
                          json_str(fx_tb.manifest, "hosts_file"),
                          NULL};
    tb_run run;
    probe(&run, args, NULL);
    ck_assert_msg(!run.timed_out, "the probe hung");
    ck_assert_int_eq(run.exit_code, 2); /* some targets are broken */
    json_t *lines = parse_lines(run.out);
    json_t *cases = json_object_get(fx_tb.manifest, "cases");
    ck_assert_uint_eq(json_array_size(lines), json_array_size(cases));
    size_t i, j;
    json_t *entry, *line;
    json_array_foreach(cases, i, entry)
    {
        json_int_t number = json_integer_value(json_object_get(entry, "targets_line"));
        json_t *found = NULL;
        json_array_foreach(lines, j, line)
        {
            if (json_integer_value(json_object_get(line, "line")) == number) {
                ck_assert_msg(found == NULL, "line %lld answered twice", (long long)number);
                found = line;
            }
        }
        ck_assert_msg(found != NULL, "no answer for %s", json_str(entry, "case"));
        check_result_for_case(found, entry);
    }
    /* Concurrency does not cost correctness: well under the sum of the timeouts. */
    ck_assert_msg(run.ms < 20000, "took %.0f ms", run.ms);
    json_decref(lines);
    tb_run_free(&run);
}
END_TEST

/* Writes lines to DIR/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[400];
    snprintf(path, sizeof(path), "%s/%s", fx_tb.dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(healthy_targets_exit_zero_and_skip_comments)
{
    ck_assert(fx_tb_ready);
    json_t *healthy = fx_case(&fx_tb, "healthy");
    json_t *with_sni = fx_case(&fx_tb, "sni_required_cert_with_sni");
    char text[1024];
    snprintf(text, sizeof(text),
             "# two healthy origins\n\n%s:%d ssl_cert_hostname=www.origin.test "
             "ssl_sni_hostname=www.origin.test\n   \n%s:%d ssl_cert_hostname=www.origin.test "
             "ssl_sni_hostname=www.origin.test ssl_check_cert=true connect_timeout=2000\n",
             fx_case_host(healthy), fx_case_port(healthy), fx_case_host(with_sni),
             fx_case_port(with_sni));
    const char *args[] = {"--targets", write_file("healthy.txt", text), "--trust-bundle",
                          fx_tb.trust_bundle, NULL};
    tb_run run;
    probe(&run, args, NULL);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    json_t *lines = parse_lines(run.out);
    ck_assert_uint_eq(json_array_size(lines), 2);
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
    {
        check_result_shape(line, "healthy target");
        ck_assert_str_eq(json_str(line, "class"), "ok");
        json_int_t number = json_integer_value(json_object_get(line, "line"));
        ck_assert(number == 3 || number == 5);
        if (number == 5)
            ck_assert_int_eq(json_integer_value(json_object_get(
                                 json_object_get(json_object_get(line, "target"), "settings"),
                                 "connect_timeout")),
                             2000);
    }
    json_decref(lines);
    tb_run_free(&run);
}
END_TEST

START_TEST(bad_targets_files_are_refused_with_the_line)
{
    ck_assert(fx_tb_ready);
    static const char *const bad[] = {
        "127.0.0.1:notaport\n",
        "127.0.0.1:443 bogus_setting=1\n",
        "127.0.0.1:443 ssl_check_cert=maybe\n",
        "127.0.0.1:443 ssl_ca_cert=@/nonexistent/ca.pem\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *args[] = {"--targets", write_file("bad.txt", bad[i]), NULL};
        tb_run run;
        probe(&run, args, NULL);
        ck_assert_msg(run.exit_code == 1 || run.exit_code == 64, "'%s': exit %d", bad[i],
                      run.exit_code);
        ck_assert_msg(strstr(run.err, "bad.txt:1") != NULL, "'%s': error names no line: %s", bad[i],
                      run.err);
        ck_assert_str_eq(run.out, "");
        tb_run_free(&run);
    }
    const char *missing[] = {"--targets", "/nonexistent/targets.txt", NULL};
    tb_run run;
    probe(&run, missing, NULL);
    ck_assert_int_eq(run.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(run.err, "/nonexistent/targets.txt"));
    tb_run_free(&run);
}
END_TEST

/* Runs the text (not --json) probe of a case; its first line, which must
 * start with the case's `host:port`, goes into line. */
static void text_probe(tb_run *run, const char *name, char *line, size_t cap)
{
    json_t *entry = fx_case(&fx_tb, name);
    fx_args a = {.argc = 0};
    const char *fixed[] = {fx_bin("fixorigin"), "probe", "--trust-bundle", fx_tb.trust_bundle};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fx_args_add(&a, fixed[i]);
    fx_probe_args(&a, entry);
    fx_run_argv(run, a.argv, NULL, 30000);
    char target[256];
    snprintf(target, sizeof(target), "%s:%d", fx_case_host(entry), fx_case_port(entry));
    ck_assert_msg(strncmp(run->out, target, strlen(target)) == 0, "first line: %s", run->out);
    size_t len = strcspn(run->out, "\n");
    len = len < cap ? len : cap - 1;
    memcpy(line, run->out, len);
    line[len] = '\0';
}

/* The plain text a user reads: first line `host:port  class  Fastly error`. */
START_TEST(text_output_is_readable)
{
    ck_assert(fx_tb_ready);
    tb_run run;
    char line[512];
    text_probe(&run, "hostname_mismatch", line, sizeof(line));
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(line, "hostname_mismatch"));
    ck_assert_ptr_nonnull(strstr(line, "Hostname mismatch"));
    ck_assert_ptr_nonnull(strstr(run.out, "other.origin.test")); /* what the cert covers */
    ck_assert_ptr_null(strchr(run.out, '\033'));                 /* no colour into a pipe */
    ck_assert_ptr_null(strstr(run.out, "\"schema\""));           /* not JSON */
    tb_run_free(&run);

    /* Healthy: the same first line says ok. */
    text_probe(&run, "healthy", line, sizeof(line));
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(line, " ok"));
    ck_assert_ptr_null(strstr(line, "mismatch"));
    ck_assert_ptr_nonnull(strstr(run.out, "www.origin.test"));
    tb_run_free(&run);
}
END_TEST

START_TEST(trust_bundle_comes_from_the_environment)
{
    ck_assert(fx_tb_ready);
    json_t *entry = fx_case(&fx_tb, "healthy");
    fx_args a = {.argc = 0};
    fx_args_add(&a, fx_bin("fixorigin"));
    fx_args_add(&a, "probe");
    fx_args_add(&a, "--json");
    fx_probe_args(&a, entry);
    char env_var[400];
    snprintf(env_var, sizeof(env_var), "FIXORIGIN_TRUST_BUNDLE=%s", fx_tb.trust_bundle);
    const char *const env[] = {env_var, NULL};
    tb_run run;
    fx_run_argv(&run, a.argv, env, 30000);
    json_t *result = json_loads(run.out, 0, NULL);
    check_result_shape(result, "env trust bundle");
    ck_assert_str_eq(json_str(result, "class"), "ok");
    json_decref(result);
    tb_run_free(&run);
    /* Without it the system bundle is used, which does not hold the testbed's root. */
    const char *const no_env[] = {"FIXORIGIN_TRUST_BUNDLE=", NULL};
    fx_run_argv(&run, a.argv, no_env, 30000);
    result = json_loads(run.out, 0, NULL);
    check_result_shape(result, "system trust bundle");
    ck_assert_str_eq(json_str(result, "class"), "unable_to_get_local_issuer_certificate");
    ck_assert_int_eq(run.exit_code, 2);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(exit_codes_follow_the_contract)
{
    ck_assert(fx_tb_ready);
    json_t *healthy = fx_case(&fx_tb, "healthy");
    char target[300];
    snprintf(target, sizeof(target), "%s:%d", fx_case_host(healthy), fx_case_port(healthy));
    const char *ca_unreadable[] = {"--ca-file", "/nonexistent/ca.pem", target, NULL};
    const char *ca_not_pem[] = {"--ca-file", "/etc/hostname", target, NULL};
    const char *bundle_unreadable[] = {"--trust-bundle", "/nonexistent/bundle.pem", target, NULL};
    static const char *const no_target[] = {"--json", NULL};
    static const char *const unknown_option[] = {"--frobnicate", "127.0.0.1:443", NULL};
    static const char *const bad_version[] = {"--max-tls", "1.4", "127.0.0.1:443", NULL};
    static const char *const bad_timeout[] = {"--connect-timeout", "soon", "127.0.0.1:443", NULL};
    static const char *const bad_port[] = {"127.0.0.1:99999", NULL};
    static const char *const two_targets[] = {"127.0.0.1:443", "127.0.0.1:444", NULL};
    static const char *const bad_concurrency[] = {"--targets", "/dev/null", "--concurrency", "0",
                                                  NULL};
    const struct {
        const char *const *args;
        int exit_code;
        const char *says;
    } runs[] = {
        {ca_unreadable, 1, "/nonexistent/ca.pem"},
        {ca_not_pem, 1, "PEM"},
        {bundle_unreadable, 1, "/nonexistent/bundle.pem"},
        {no_target, 64, "HOST"},
        {unknown_option, 64, "--frobnicate"},
        {bad_version, 64, "1.4"},
        {bad_timeout, 64, "soon"},
        {bad_port, 64, "99999"},
        {two_targets, 64, ""},
        {bad_concurrency, 64, "concurrency"},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        tb_run run;
        probe(&run, runs[i].args, NULL);
        ck_assert_msg(run.exit_code == runs[i].exit_code, "run %zu: exit %d, want %d (%s)", i,
                      run.exit_code, runs[i].exit_code, run.err);
        ck_assert_msg(strstr(run.err, runs[i].says) != NULL, "run %zu: stderr '%s' lacks '%s'", i,
                      run.err, runs[i].says);
        /* One clear line, not a dump. */
        ck_assert_msg(strchr(run.err, '\n') && strlen(run.err) < 400, "run %zu: %s", i, run.err);
        tb_run_free(&run);
    }
    static const char *const help[] = {"--help", NULL};
    tb_run run;
    probe(&run, help, NULL);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(run.out, "--targets"));
    tb_run_free(&run);
}
END_TEST

Suite *probe_targets_suite(void)
{
    Suite *s = suite_create("probe_targets");
    TCase *tc = tcase_create("targets");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, targets_file_names_every_case);
    tcase_add_test(tc, healthy_targets_exit_zero_and_skip_comments);
    tcase_add_test(tc, bad_targets_files_are_refused_with_the_line);
    tcase_add_test(tc, text_output_is_readable);
    tcase_add_test(tc, trust_bundle_comes_from_the_environment);
    tcase_add_test(tc, exit_codes_follow_the_contract);
    suite_add_tcase(s, tc);
    return s;
}
