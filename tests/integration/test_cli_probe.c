/* The probe on real sockets around the per-class cases (test_probe_cases.c proves each
 * class against its origin): `fixorigin probe` as a user meets it — arguments, messages,
 * exit codes, the environment, --targets streams — and the library as the remediation
 * will: fo_probe_run_many over every case with one shared prober, the evidence it
 * builds on, refusals to run, a hostile origin flooding records. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <poll.h>
#include <pty.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/ssl.h>

#include "fixorigin/fo.h"
#include "fixorigin/probe.h"
#include "testbed_fixture.h"
#include "testcert.h"

Suite *cli_probe_suite(void);

#define RUN_MS 20000

static fx_testbed tb;
static bool tb_up;

static void testbed_up(void)
{
    tb_up = fx_testbed_start(&tb, NULL);
}

static void testbed_down(void)
{
    if (tb_up)
        fx_testbed_stop(&tb);
    tb_up = false;
}

/* Runs `fixorigin probe ARGS...` (NULL-terminated) with extra environment env. */
static void probe(tb_run *run, const char *const *env, const char *const *args)
{
    const char *argv[64] = {fx_bin("fixorigin"), "probe"};
    int argc = 2;
    for (int i = 0; args[i] && argc < 63; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    fx_run_argv(run, argv, env, RUN_MS);
    ck_assert_msg(!run->timed_out, "fixorigin probe did not finish");
}

static void assert_usage_error(const char *const *args, const char *message)
{
    tb_run run;
    probe(&run, NULL, args);
    ck_assert_int_eq(run.exit_code, 64);
    ck_assert_msg(strstr(run.err, message) != NULL, "stderr '%s' lacks '%s'", run.err, message);
    ck_assert_msg(strstr(run.err, "fixorigin probe --help") != NULL, "no hint: %s", run.err);
    ck_assert_str_eq(run.out, "");
    tb_run_free(&run);
}

static void assert_cannot_run(const char *const *env, const char *const *args, const char *message)
{
    tb_run run;
    probe(&run, env, args);
    ck_assert_msg(run.exit_code == 1, "exit %d, stderr %s", run.exit_code, run.err);
    ck_assert_msg(strstr(run.err, message) != NULL, "stderr '%s' lacks '%s'", run.err, message);
    ck_assert_msg(strchr(run.err, '\n') == run.err + strlen(run.err) - 1, "not one line: '%s'",
                  run.err);
    tb_run_free(&run);
}

START_TEST(help_describes_every_option)
{
    static const char *const forms[][2] = {{"--help", NULL}, {"-h", NULL}};
    for (size_t i = 0; i < 2; i++) {
        tb_run run;
        probe(&run, NULL, forms[i]);
        ck_assert_int_eq(run.exit_code, 0);
        ck_assert_ptr_nonnull(strstr(run.out, "usage: fixorigin probe [options] HOST[:PORT]"));
        static const char *const options[] = {"--sni",         "--cert-hostname",
                                              "--ca-file",     "--no-check-cert",
                                              "--min-tls",     "--max-tls",
                                              "--ciphers",     "--connect-timeout",
                                              "--no-tls",      "--trust-bundle",
                                              "--json",        "--targets",
                                              "--concurrency", "FIXORIGIN_TRUST_BUNDLE",
                                              "--as-backend"};
        for (size_t k = 0; k < sizeof(options) / sizeof(options[0]); k++)
            ck_assert_msg(strstr(run.out, options[k]) != NULL, "help lacks %s", options[k]);
        ck_assert_str_eq(run.err, "");
        tb_run_free(&run);
    }
}
END_TEST

START_TEST(usage_errors_exit_64_with_one_clear_line)
{
    assert_usage_error((const char *const[]){NULL}, "missing HOST[:PORT]");
    assert_usage_error((const char *const[]){"--bogus", "127.0.0.1", NULL},
                       "unknown option '--bogus'");
    assert_usage_error((const char *const[]){"-x", "127.0.0.1", NULL}, "unknown option '-x'");
    assert_usage_error((const char *const[]){"127.0.0.1", "--sni", NULL},
                       "option '--sni' needs a value");
    assert_usage_error((const char *const[]){"--min-tls", "1.4", "127.0.0.1", NULL},
                       "TLS version must be 1.0, 1.1, 1.2 or 1.3, not '1.4'");
    assert_usage_error((const char *const[]){"--max-tls", "", "127.0.0.1", NULL},
                       "TLS version must be");
    assert_usage_error((const char *const[]){"--connect-timeout", "0", "127.0.0.1", NULL},
                       "--connect-timeout takes milliseconds from 1 to 60000, not '0'");
    assert_usage_error((const char *const[]){"--connect-timeout", "5s", "127.0.0.1", NULL},
                       "not '5s'");
    assert_usage_error((const char *const[]){"--targets", "t.txt", "--concurrency", "0", NULL},
                       "--concurrency takes a number from 1 to 1024, not '0'");
    assert_usage_error((const char *const[]){"127.0.0.1", "extra", NULL},
                       "unexpected argument 'extra'");
    assert_usage_error((const char *const[]){"--targets", "t.txt", "127.0.0.1", NULL},
                       "give HOST or --targets, not both");
    assert_usage_error((const char *const[]){"--targets", "t.txt", "--sni", "a.test", NULL},
                       "with --targets, put backend settings on the targets lines");
    assert_usage_error((const char *const[]){"a:b:c", NULL}, "'a:b:c' is not an IPv6 address");
    assert_usage_error((const char *const[]){"127.0.0.1:0", NULL}, "bad port in '127.0.0.1:0'");
    assert_usage_error((const char *const[]){"[::1", NULL}, "missing ']'");
    assert_usage_error(
        (const char *const[]){"--min-tls", "1.3", "--max-tls", "1.2", "127.0.0.1", NULL},
        "min_tls_version 1.3 is above max_tls_version 1.2");
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    assert_usage_error((const char *const[]){"--sni", long_name, "127.0.0.1", NULL},
                       "(299 bytes) is not a name SNI can carry");
    assert_usage_error((const char *const[]){"--sni", "www.origin.test\r\n", "127.0.0.1", NULL},
                       "is not a name SNI can carry");
}
END_TEST

START_TEST(unknown_subcommand_and_version)
{
    const char *argv[] = {fx_bin("fixorigin"), "probes", NULL};
    tb_run run;
    fx_run_argv(&run, argv, NULL, RUN_MS);
    ck_assert_int_eq(run.exit_code, 64);
    ck_assert_ptr_nonnull(strstr(run.err, "unknown command 'probes'"));
    tb_run_free(&run);
    const char *help[] = {fx_bin("fixorigin"), "--help", NULL};
    fx_run_argv(&run, help, NULL, RUN_MS);
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(run.out, "probe"));
    tb_run_free(&run);
}
END_TEST

START_TEST(dns_failure_needs_no_network)
{
    tb_run run;
    probe(&run, NULL,
          (const char *const[]){"--json", "--cert-hostname", "www.origin.test",
                                "nxdomain.fixorigin.invalid", NULL});
    ck_assert_int_eq(run.exit_code, 2);
    json_t *result = json_loads(run.out, 0, NULL);
    ck_assert_ptr_nonnull(result);
    ck_assert_str_eq(json_string_value(json_object_get(result, "class")), "dns_failure");
    ck_assert_str_eq(json_string_value(json_object_get(result, "fastly_error")), "Gethostbyname");
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(result, "target"), "addresses")), 0);
    ck_assert(run.ms < 2000);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

static char tmp[64];

static void make_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/fo-cli-probe-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *tmp_file(const char *name, const char *text)
{
    static char paths[4][160];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof(paths[0]), "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static const char *hostport(const char *case_name)
{
    static char text[4][64];
    static int next;
    json_t *entry = fx_case(&tb, case_name);
    ck_assert_msg(entry != NULL, "no case %s", case_name);
    char *out = text[next++ % 4];
    snprintf(out, sizeof(text[0]), "%s:%d", fx_case_host(entry), fx_case_port(entry));
    return out;
}

START_TEST(files_that_cannot_be_used_exit_1)
{
    ck_assert(tb_up);
    const char *healthy = hostport("healthy");
    const char *garbage = tmp_file("garbage.pem", "not a certificate\n");
    assert_cannot_run(NULL,
                      (const char *const[]){"--ca-file", "/nonexistent/ca.pem", healthy, NULL},
                      "--ca-file: cannot read /nonexistent/ca.pem");
    assert_cannot_run(NULL,
                      (const char *const[]){"--cert-hostname", "www.origin.test", "--ca-file",
                                            garbage, healthy, NULL},
                      "garbage.pem: ssl_ca_cert holds no PEM certificate");
    /* An empty CA file is not "no ssl_ca_cert": the user meant to trust something. */
    assert_cannot_run(NULL, (const char *const[]){"--ca-file", "/dev/null", healthy, NULL},
                      "--ca-file: /dev/null is empty: it holds no PEM certificate");
    assert_cannot_run(NULL, (const char *const[]){"--hosts", "/nonexistent/hosts", healthy, NULL},
                      "cannot read /nonexistent/hosts");
    assert_cannot_run(
        NULL, (const char *const[]){"--trust-bundle", "/nonexistent/trust.pem", healthy, NULL},
        "cannot read /nonexistent/trust.pem");
    assert_cannot_run(NULL, (const char *const[]){"--trust-bundle", garbage, healthy, NULL},
                      "holds no PEM certificate");
    assert_cannot_run(NULL,
                      (const char *const[]){"--trust-bundle", tb.trust_bundle, "--ciphers", "NOPE",
                                            healthy, NULL},
                      "ssl_ciphers 'NOPE' selects no cipher OpenSSL knows");
    assert_cannot_run(NULL, (const char *const[]){"--targets", "/nonexistent/t.txt", NULL},
                      "cannot read /nonexistent/t.txt");
    const char *bad_line = tmp_file("bad.txt", "127.0.0.1:1\n127.0.0.1:2 colour=red\n");
    assert_cannot_run(NULL, (const char *const[]){"--targets", bad_line, NULL},
                      "bad.txt:2: unknown setting 'colour'");
}
END_TEST

/* A certificate hostname follows DNS name rules or is an IP address: anything else (a
 * 300-byte label, spaces) is a usage error naming it. An address is no name SNI can carry:
 * the SNI retry is skipped then, not a failure. */
START_TEST(long_cert_hostname_is_still_a_hostname_mismatch)
{
    ck_assert(tb_up);
    char long_name[320];
    memset(long_name, 'a', 290);
    snprintf(long_name + 290, sizeof(long_name) - 290, ".origin.test");
    tb_run run;
    probe(&run, NULL,
          (const char *const[]){"--json", "--trust-bundle", tb.trust_bundle, "--cert-hostname",
                                long_name, hostport("hostname_mismatch"), NULL});
    ck_assert_msg(run.exit_code == 64, "exit %d: %s", run.exit_code, run.err);
    ck_assert_ptr_nonnull(strstr(run.err, "(302 bytes) is neither a host name"));
    tb_run_free(&run);
    probe(&run, NULL,
          (const char *const[]){"--json", "--trust-bundle", tb.trust_bundle, "--cert-hostname",
                                "www origin.test", hostport("hostname_mismatch"), NULL});
    ck_assert_msg(run.exit_code == 64, "exit %d: %s", run.exit_code, run.err);
    tb_run_free(&run);
    const char *const cases[] = {"hostname_mismatch", "client_cert_required"};
    for (size_t i = 0; i < 2; i++) {
        probe(&run, NULL,
              (const char *const[]){"--json", "--trust-bundle", tb.trust_bundle, "--cert-hostname",
                                    "192.0.2.1", hostport(cases[i]), NULL});
        ck_assert_msg(run.exit_code == 2, "%s: exit %d: %s", cases[i], run.exit_code, run.err);
        json_t *result = json_loads(run.out, 0, NULL);
        ck_assert_ptr_nonnull(result);
        ck_assert_str_eq(json_string_value(json_object_get(result, "class")), "hostname_mismatch");
        json_decref(result);
        tb_run_free(&run);
    }
}
END_TEST

START_TEST(trust_bundle_comes_from_the_environment_or_the_flag)
{
    ck_assert(tb_up);
    const char *healthy = hostport("healthy");
    const char *const args[] = {"--sni",           "www.origin.test", "--cert-hostname",
                                "www.origin.test", healthy,           NULL};
    char env_good[400], env_bad[] = "FIXORIGIN_TRUST_BUNDLE=/nonexistent/env.pem";
    snprintf(env_good, sizeof(env_good), "FIXORIGIN_TRUST_BUNDLE=%s", tb.trust_bundle);
    tb_run run;

    /* Without the testbed's CAs the public chain is unknown: a problem. */
    probe(&run, NULL, args);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_ptr_nonnull(strstr(run.out, "unable_to_get_local_issuer_certificate"));
    tb_run_free(&run);

    probe(&run, (const char *const[]){env_good, NULL}, args);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.out);
    tb_run_free(&run);

    assert_cannot_run((const char *const[]){env_bad, NULL}, args,
                      "cannot read /nonexistent/env.pem");

    /* The flag wins over the environment. */
    probe(&run, (const char *const[]){env_bad, NULL},
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--sni", "www.origin.test",
                                "--cert-hostname", "www.origin.test", healthy, NULL});
    ck_assert_int_eq(run.exit_code, 0);
    tb_run_free(&run);
}
END_TEST

START_TEST(text_output_is_a_readable_summary)
{
    ck_assert(tb_up);
    const char *mismatch = hostport("hostname_mismatch");
    tb_run run;
    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--sni", "www.origin.test",
                                "--cert-hostname", "www.origin.test", mismatch, NULL});
    ck_assert_int_eq(run.exit_code, 2);
    char first[128];
    snprintf(first, sizeof(first), "%s  hostname_mismatch  Hostname mismatch\n", mismatch);
    ck_assert_msg(strncmp(run.out, first, strlen(first)) == 0, "first line of:\n%s", run.out);
    ck_assert_ptr_nonnull(strstr(run.out, "not www.origin.test."));
    ck_assert_ptr_nonnull(strstr(run.out, "verify     62 hostname mismatch"));
    ck_assert_ptr_nonnull(strstr(run.out, "SNI www.origin.test"));
    ck_assert_ptr_null(strchr(run.out, '\033')); /* no colour off a terminal */
    ck_assert_str_eq(run.err, "");
    tb_run_free(&run);

    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--sni", "www.origin.test",
                                "--cert-hostname", "www.origin.test", hostport("healthy"), NULL});
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_ptr_nonnull(strstr(run.out, "  ok  ok\n"));
    ck_assert_ptr_nonnull(strstr(run.out, "chain      2 certificates"));
    tb_run_free(&run);
}
END_TEST

static const char *json_path_str(json_t *object, const char *a, const char *b, const char *c)
{
    json_t *value = json_object_get(object, a);
    if (b)
        value = json_object_get(value, b);
    if (c)
        value = json_object_get(value, c);
    return json_string_value(value);
}

/* Runs a --json probe and returns its object (the caller frees it), checking the exit code. */
static json_t *probe_json(const char *const *args, int exit_code)
{
    tb_run run;
    probe(&run, NULL, args);
    ck_assert_msg(run.exit_code == exit_code, "exit %d, not %d: %s%s", run.exit_code, exit_code,
                  run.out, run.err);
    json_t *result = json_loads(run.out, 0, NULL);
    ck_assert_msg(result != NULL, "no JSON: %s", run.out);
    tb_run_free(&run);
    return result;
}

/* `fixorigin probe www.origin.test:PORT` means the origin as `fastly backend create` makes it:
 * the name is the SNI and the certificate hostname, and the output says so. --as-backend
 * keeps the fields exactly as given; an option the user gave wins; an address fills nothing. */
START_TEST(a_named_target_is_its_own_sni_and_cert_hostname)
{
    ck_assert(tb_up);
    json_t *entry = fx_case(&tb, "healthy");
    ck_assert_ptr_nonnull(entry);
    const char *hosts = tmp_file("hosts", "127.0.0.1 www.origin.test\n");
    char named[96], address[96];
    snprintf(named, sizeof(named), "www.origin.test:%d", fx_case_port(entry));
    snprintf(address, sizeof(address), "127.0.0.1:%d", fx_case_port(entry));
    const char *note = "certificate hostname and SNI taken from the target; --as-backend to "
                       "probe with the backend's exact fields";

    json_t *r = probe_json((const char *const[]){"--json", "--trust-bundle", tb.trust_bundle,
                                                 "--hosts", hosts, named, NULL},
                           0);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "ok");
    ck_assert_str_eq(json_path_str(r, "note", NULL, NULL), note);
    ck_assert_str_eq(json_path_str(r, "target", "settings", "ssl_sni_hostname"), "www.origin.test");
    ck_assert_str_eq(json_path_str(r, "target", "settings", "ssl_cert_hostname"),
                     "www.origin.test");
    ck_assert_str_eq(json_path_str(r, "evidence", "sni_sent", NULL), "www.origin.test");
    json_decref(r);

    tb_run run;
    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--hosts", hosts, named, NULL});
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_msg(strstr(run.out, "  note       certificate hostname and SNI taken from the") !=
                      NULL,
                  "no note in:\n%s", run.out);
    tb_run_free(&run);

    /* The backend's exact fields: today's result, and no note. */
    r = probe_json((const char *const[]){"--json", "--as-backend", "--trust-bundle",
                                         tb.trust_bundle, "--hosts", hosts, named, NULL},
                   2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "missing_cert_hostname");
    ck_assert_ptr_null(json_object_get(r, "note"));
    ck_assert(json_is_null(json_object_get(json_object_get(r, "evidence"), "sni_sent")));
    json_decref(r);

    /* What the user gave wins, even "" (no SNI); the rest still comes from the name. */
    r = probe_json((const char *const[]){"--json", "--cert-hostname", "other.origin.test", "--sni",
                                         "", "--trust-bundle", tb.trust_bundle, "--hosts", hosts,
                                         named, NULL},
                   2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "hostname_mismatch");
    ck_assert_ptr_null(json_object_get(r, "note"));
    ck_assert(json_is_null(json_object_get(json_object_get(r, "evidence"), "sni_sent")));
    json_decref(r);
    r = probe_json((const char *const[]){"--json", "--cert-hostname", "other.origin.test",
                                         "--trust-bundle", tb.trust_bundle, "--hosts", hosts, named,
                                         NULL},
                   2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "hostname_mismatch");
    ck_assert_str_eq(json_path_str(r, "evidence", "sni_sent", NULL), "www.origin.test");
    ck_assert_ptr_nonnull(strstr(json_path_str(r, "note", NULL, NULL), "SNI taken from the"));
    ck_assert_ptr_null(strstr(json_path_str(r, "note", NULL, NULL), "certificate hostname"));
    json_decref(r);

    /* An address is no name: nothing is filled, the backend's view stands. */
    r = probe_json(
        (const char *const[]){"--json", "--trust-bundle", tb.trust_bundle, address, NULL}, 2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "missing_cert_hostname");
    ck_assert_ptr_null(json_object_get(r, "note"));
    json_decref(r);
}
END_TEST

/* A name that does not resolve is a DNS failure first: nothing else can be fixed until it
 * resolves. Names under .invalid fail without a query (RFC 6761): no real DNS. */
START_TEST(a_name_that_does_not_resolve_is_a_dns_failure)
{
    json_t *r = probe_json((const char *const[]){"--json", "nosuch.invalid:443", NULL}, 2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "dns_failure");
    ck_assert_str_eq(json_path_str(r, "fastly_error", NULL, NULL), "Gethostbyname");
    ck_assert_uint_eq(json_array_size(json_object_get(r, "also")), 0);
    ck_assert_ptr_nonnull(json_object_get(r, "note"));
    json_decref(r);
    tb_run run;
    probe(&run, NULL, (const char *const[]){"nosuch.invalid", NULL});
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_msg(strncmp(run.out, "nosuch.invalid:443  dns_failure  Gethostbyname\n", 47) == 0,
                  "%s", run.out);
    tb_run_free(&run);
    /* As the backend would be: Fastly refuses to compile it before it ever resolves. */
    r = probe_json((const char *const[]){"--json", "--as-backend", "nosuch.invalid:443", NULL}, 2);
    ck_assert_str_eq(json_path_str(r, "class", NULL, NULL), "missing_cert_hostname");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r, "also"), 0)),
                     "dns_failure");
    json_decref(r);
}
END_TEST

/* Probe text reads at 80 columns (and at $COLUMNS): long lines fold under their value. */
START_TEST(probe_text_folds_to_the_width)
{
    ck_assert(tb_up);
    const char *args[] = {"--trust-bundle",
                          tb.trust_bundle,
                          "--as-backend",
                          "--cert-hostname",
                          "www.origin.test",
                          hostport("hostname_mismatch_expired"),
                          NULL};
    tb_run narrow, wide;
    probe(&narrow, (const char *const[]){"COLUMNS=", NULL}, args);
    probe(&wide, (const char *const[]){"COLUMNS=1000", NULL}, args);
    ck_assert_int_eq(narrow.exit_code, 2);
    fx_assert_folded(narrow.out, wide.out, 80, "probe text at 80 columns");
    tb_run_free(&narrow);
    probe(&narrow, (const char *const[]){"COLUMNS=50", NULL}, args);
    fx_assert_folded(narrow.out, wide.out, 50, "probe text at COLUMNS=50");
    tb_run_free(&narrow);
    tb_run_free(&wide);
}
END_TEST

static size_t parse_lines(json_t **by_line, size_t max, const char *out);

/* Runs `fixorigin probe ARGS` with stderr on a pseudo-terminal (80 columns) and stdout on a
 * pipe, for at most RUN_MS; returns what each got (owned) and the exit code. */
static int probe_on_terminal(char **out, char **err, const char *const *args)
{
    const char *argv[32] = {fx_bin("fixorigin"), "probe"};
    int argc = 2;
    for (int i = 0; args[i] && argc < 31; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    struct winsize size = {.ws_row = 24, .ws_col = 80};
    int master = -1, slave = -1, pipefd[2];
    ck_assert_int_eq(openpty(&master, &slave, NULL, NULL, &size), 0);
    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(slave, STDERR_FILENO);
        dup2(pipefd[1], STDOUT_FILENO);
        close(master);
        close(slave);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(slave);
    close(pipefd[1]);
    fo_buf text[2] = {{0}, {0}};
    int fds[2] = {pipefd[0], master};
    bool open_fd[2] = {true, true};
    for (double deadline = fo_now_ms() + RUN_MS; open_fd[0] || open_fd[1];) {
        struct pollfd p[2] = {{.fd = open_fd[0] ? fds[0] : -1, .events = POLLIN},
                              {.fd = open_fd[1] ? fds[1] : -1, .events = POLLIN}};
        int left = (int)(deadline - fo_now_ms());
        if (left <= 0 || poll(p, 2, left) <= 0)
            break;
        for (int i = 0; i < 2; i++) {
            if (!open_fd[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            char buf[4096];
            ssize_t n = read(fds[i], buf, sizeof(buf));
            if (n <= 0)
                open_fd[i] = false; /* the pty says EIO once the program is gone */
            else
                ck_assert_int_eq(fo_buf_append(&text[i], buf, (size_t)n), 0);
        }
    }
    close(pipefd[0]);
    close(master);
    int raw = 0;
    if (waitpid(pid, &raw, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &raw, 0);
    }
    *out = text[0].data ? fo_buf_steal(&text[0]) : strdup("");
    *err = text[1].data ? fo_buf_steal(&text[1]) : strdup("");
    return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

/* probe --targets shows how far it is on a terminal's stderr: done/total, the time, what it
 * waits on; erased at the end. On a pipe, nothing: stderr stays empty, stdout pure NDJSON. */
START_TEST(targets_progress_only_on_a_terminal)
{
    ck_assert(tb_up);
    char text[600];
    snprintf(text, sizeof(text),
             "%s ssl_sni_hostname=www.origin.test ssl_cert_hostname=www.origin.test\n"
             "%s ssl_cert_hostname=www.origin.test\n"
             "%s ssl_cert_hostname=www.origin.test connect_timeout=300\n",
             hostport("healthy"), hostport("hostname_mismatch"),
             hostport("connection_timeout_silent"));
    const char *targets = tmp_file("progress.txt", text);
    const char *args[] = {"--targets", targets, "--trust-bundle", tb.trust_bundle, NULL};
    char *out = NULL, *err = NULL;
    int code = probe_on_terminal(&out, &err, args);
    ck_assert_msg(code == 2, "exit %d: %s", code, err);
    ck_assert_msg(strstr(err, "\r\033[Kprobe: 0/3 targets, 0.") && strstr(err, "; waiting on ") &&
                      strstr(err, "(line 1) and 2 more") && strstr(err, "probe: 3/3 targets, "),
                  "stderr on a terminal: %s", err);
    /* Erased at the end: the terminal is left as it was, bar the line's own erasure. */
    size_t len = strlen(err);
    ck_assert_msg(len >= 4 && strcmp(err + len - 4, "\r\033[K") == 0, "not erased: %s", err);
    json_t *by_line[8] = {NULL};
    ck_assert_uint_eq(parse_lines(by_line, 8, out), 3);
    for (size_t i = 0; i < 8; i++)
        json_decref(by_line[i]);
    free(out);
    free(err);

    tb_run run;
    probe(&run, NULL, args);
    ck_assert_int_eq(run.exit_code, 2);
    ck_assert_str_eq(run.err, "");
    tb_run_free(&run);
}
END_TEST

/* "-" is stdin wherever a file is read: a targets file from a pipe, a hosts file; and
 * stdin holds one file only. Errors name the option the file came from. */
START_TEST(a_dash_reads_stdin)
{
    ck_assert(tb_up);
    char text[400];
    snprintf(text, sizeof(text),
             "%s ssl_sni_hostname=www.origin.test "
             "ssl_cert_hostname=www.origin.test\nnosuch.invalid:443 colour=red\n",
             hostport("healthy"));
    const char *targets = tmp_file("stdin-targets.txt", text);
    const char *argv[] = {"/bin/sh",
                          "-c",
                          "head -n 1 \"$1\" | \"$0\" probe --targets - "
                          "--trust-bundle \"$2\"",
                          fx_bin("fixorigin"),
                          targets,
                          tb.trust_bundle,
                          NULL};
    tb_run run;
    fx_run_argv(&run, argv, NULL, RUN_MS);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s", run.exit_code, run.err);
    json_t *by_line[4] = {NULL};
    ck_assert_uint_eq(parse_lines(by_line, 4, run.out), 1);
    ck_assert_str_eq(json_string_value(json_object_get(by_line[1], "class")), "ok");
    json_decref(by_line[1]);
    tb_run_free(&run);

    /* A bad line names stdin, and the option. */
    const char *bad[] = {"/bin/sh",           "-c",    "\"$0\" probe --targets - < \"$1\"",
                         fx_bin("fixorigin"), targets, NULL};
    fx_run_argv(&run, bad, NULL, RUN_MS);
    ck_assert_int_eq(run.exit_code, 1);
    ck_assert_msg(strstr(run.err, "--targets stdin:2: unknown setting 'colour'"), "%s", run.err);
    tb_run_free(&run);

    /* The hosts file from stdin; two files cannot both be stdin. */
    const char *hosts[] = {"/bin/sh",
                           "-c",
                           "echo 127.0.0.1 www.origin.test | \"$0\" probe "
                           "--hosts - --trust-bundle \"$1\" \"$2\"",
                           fx_bin("fixorigin"),
                           tb.trust_bundle,
                           NULL,
                           NULL};
    char named[96];
    snprintf(named, sizeof(named), "www.origin.test:%d", fx_case_port(fx_case(&tb, "healthy")));
    hosts[5] = named;
    fx_run_argv(&run, hosts, NULL, RUN_MS);
    ck_assert_msg(run.exit_code == 0, "exit %d: %s%s", run.exit_code, run.out, run.err);
    tb_run_free(&run);
    const char *twice[] = {"/bin/sh", "-c",
                           "echo | \"$0\" probe --hosts - --ca-file - "
                           "127.0.0.1:1",
                           fx_bin("fixorigin"), NULL};
    fx_run_argv(&run, twice, NULL, RUN_MS);
    ck_assert_int_eq(run.exit_code, 1);
    ck_assert_msg(strstr(run.err, "'-' (stdin) is given for two files"), "%s", run.err);
    tb_run_free(&run);
}
END_TEST

/* The NDJSON lines of out, parsed, by their "line". */
static size_t parse_lines(json_t **by_line, size_t max, const char *out)
{
    size_t count = 0;
    for (const char *p = out; *p;) {
        const char *end = strchr(p, '\n');
        ck_assert_msg(end != NULL, "unterminated line: %s", p);
        json_error_t error;
        json_t *o = json_loadb(p, (size_t)(end - p), 0, &error);
        ck_assert_msg(o != NULL, "not JSON: %.*s (%s)", (int)(end - p), p, error.text);
        json_int_t line = json_integer_value(json_object_get(o, "line"));
        ck_assert(line > 0 && (size_t)line < max && !by_line[line]);
        by_line[line] = o;
        count++;
        p = end + 1;
    }
    return count;
}

START_TEST(targets_stream_one_object_a_line)
{
    ck_assert(tb_up);
    char text[1024], ca_line[400];
    snprintf(ca_line, sizeof(ca_line), "%s ssl_cert_hostname=www.origin.test ssl_ca_cert=@%s\n",
             hostport("healthy"), tmp_file("empty.pem", "# no certificate here\n"));
    snprintf(text, sizeof(text),
             "# three targets, one that cannot be probed\n"
             "%s ssl_sni_hostname=www.origin.test ssl_cert_hostname=www.origin.test\n"
             "\n"
             "nxdomain.fixorigin.invalid ssl_cert_hostname=www.origin.test\n"
             "%s",
             hostport("healthy"), ca_line);
    const char *targets = tmp_file("targets.txt", text);
    tb_run run;
    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--targets", targets,
                                "--concurrency", "2", NULL});
    ck_assert_msg(run.exit_code == 1, "exit %d", run.exit_code);
    json_t *by_line[8] = {NULL};
    ck_assert_uint_eq(parse_lines(by_line, 8, run.out), 3);
    ck_assert_str_eq(json_string_value(json_object_get(by_line[2], "schema")),
                     "fixorigin.probe/v1");
    ck_assert_str_eq(json_string_value(json_object_get(by_line[2], "class")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(by_line[4], "class")), "dns_failure");
    const char *error = json_string_value(json_object_get(by_line[5], "error"));
    ck_assert_ptr_nonnull(error);
    ck_assert_ptr_nonnull(strstr(error, "ssl_ca_cert holds no PEM certificate"));
    ck_assert_ptr_null(json_object_get(by_line[5], "class"));
    for (size_t i = 0; i < 8; i++)
        json_decref(by_line[i]);
    tb_run_free(&run);

    /* Only healthy targets: 0; one problem among them: 2. */
    snprintf(text, sizeof(text),
             "%s ssl_sni_hostname=www.origin.test ssl_cert_hostname=www.origin.test\n",
             hostport("healthy"));
    targets = tmp_file("ok.txt", text);
    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--targets", targets, NULL});
    ck_assert_int_eq(run.exit_code, 0);
    tb_run_free(&run);
    fo_str_appendf(text, sizeof(text), "127.0.0.1:%d ssl_cert_hostname=x.test\n",
                   fx_case_port(fx_case(&tb, "connection_refused")));
    targets = tmp_file("problem.txt", text);
    probe(&run, NULL,
          (const char *const[]){"--trust-bundle", tb.trust_bundle, "--targets", targets, NULL});
    ck_assert_int_eq(run.exit_code, 2);
    tb_run_free(&run);

    /* An empty targets file probes nothing and is fine. */
    targets = tmp_file("none.txt", "# nothing yet\n");
    probe(&run, NULL, (const char *const[]){"--targets", targets, NULL});
    ck_assert_int_eq(run.exit_code, 0);
    ck_assert_str_eq(run.out, "");
    tb_run_free(&run);
}
END_TEST

/* The library. */

struct collected {
    size_t calls;
    int seen[128];
    fo_class class_of[128];
    bool inside; /* a callback is running */
    bool overlapped;
};

static void collect(void *ctx, size_t index, fo_diagnosis *d, const fo_error *err)
{
    struct collected *c = ctx;
    if (c->inside)
        c->overlapped = true;
    c->inside = true;
    usleep(1000); /* widen the window an overlapping call would need */
    c->calls++;
    if (index < 128) {
        c->seen[index]++;
        c->class_of[index] = d ? d->verdict.class : FO_CLASS_COUNT;
    }
    if (!d)
        fprintf(stderr, "target %zu could not run: %s\n", index, err->msg);
    fo_diagnosis_free(d);
    c->inside = false;
}

START_TEST(run_many_diagnoses_every_case_once)
{
    ck_assert(tb_up);
    char path[400];
    snprintf(path, sizeof(path), "%s/targets.txt", tb.dir);
    fo_error err = {0};
    fo_probe_target_list *list = NULL;
    fo_prober *prober = NULL;
    ck_assert_msg(fo_probe_targets_load(&list, path, &err) == 0, "%s", err.msg);
    ck_assert_uint_le(list->count, 128);
    ck_assert_int_eq(fo_prober_new(&prober, tb.trust_bundle, &err), 0);
    ck_assert_int_eq(
        fo_prober_set_hosts(prober, json_string_value(json_object_get(tb.manifest, "hosts_file")),
                            &err),
        0);

    struct collected c = {0};
    ck_assert_int_eq(fo_probe_run_many(prober, list->targets, list->count, 8, collect, &c, &err),
                     0);
    ck_assert_uint_eq(c.calls, list->count);
    ck_assert(!c.overlapped);
    json_t *cases = json_object_get(tb.manifest, "cases");
    for (size_t i = 0; i < list->count; i++) {
        ck_assert_int_eq(c.seen[i], 1);
        json_t *entry = NULL;
        size_t k;
        json_t *item;
        json_array_foreach(cases, k, item)
        {
            if (json_integer_value(json_object_get(item, "targets_line")) == list->lines[i])
                entry = item;
        }
        ck_assert_msg(entry != NULL, "line %ld has no case", list->lines[i]);
        const char *expected = json_string_value(json_object_get(entry, "expected_class"));
        ck_assert_msg(strcmp(fo_class_id(c.class_of[i]), expected) == 0, "%s: %s, expected %s",
                      json_string_value(json_object_get(entry, "case")), fo_class_id(c.class_of[i]),
                      expected);
    }
    fo_prober_free(prober);
    fo_probe_target_list_free(list);
}
END_TEST

START_TEST(run_many_refuses_a_bad_concurrency)
{
    fo_error err = {0};
    fo_prober *prober = NULL;
    struct collected c = {0};
    fo_probe_target target = {.host = "nxdomain.fixorigin.invalid", .port = 443};
    fo_probe_settings_init(&target.settings);
    target.settings.cert_hostname = "www.origin.test";
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 0, collect, &c, &err), FO_EINVAL);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 1025, collect, &c, &err), FO_EINVAL);
    ck_assert_uint_eq(c.calls, 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 0, 4, collect, &c, &err), 0);
    ck_assert_uint_eq(c.calls, 0);
    ck_assert_int_eq(fo_probe_run_many(prober, &target, 1, 64, collect, &c, &err), 0);
    ck_assert_uint_eq(c.calls, 1);
    ck_assert_int_eq(c.class_of[0], FO_CLASS_DNS_FAILURE);
    fo_prober_free(prober);
}
END_TEST

static fo_probe_target case_target(const char *name)
{
    json_t *entry = fx_case(&tb, name);
    ck_assert_msg(entry != NULL, "no case %s", name);
    fo_probe_target t = {.host = fx_case_host(entry), .port = fx_case_port(entry)};
    fo_probe_settings_init(&t.settings);
    t.settings.sni_hostname = fx_setting(entry, "ssl_sni_hostname");
    t.settings.cert_hostname = fx_setting(entry, "ssl_cert_hostname");
    return t;
}

/* One prober, many targets naming one ssl_ca_cert text: it is parsed once and every
 * diagnosis echoes it with strings of its own; other texts are not confused with it. */
START_TEST(a_shared_ca_text_is_echoed_by_every_diagnosis)
{
    ck_assert(tb_up);
    fo_error err = {0};
    fo_prober *prober = NULL;
    char path[400], *root = NULL;
    snprintf(path, sizeof(path), "%s/private-root.pem", tb.dir);
    ck_assert_int_eq(fo_read_file(&root, path, 1 << 20, &err), 0);
    ck_assert_int_eq(fo_prober_new(&prober, tb.trust_bundle, &err), 0);
    fo_probe_target t = case_target("self_signed_certificate_in_chain");
    fo_diagnosis *d[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) {
        t.settings.ca_cert_pem = i < 2 ? root : NULL;
        ck_assert_int_eq(fo_probe_run(prober, &d[i], &t, &err), 0);
    }
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(d[i]->verdict.class, FO_CLASS_OK);
        ck_assert_uint_eq(d[i]->ca_cert_count, 1);
        ck_assert_ptr_nonnull(strstr(d[i]->ca_certs[0].subject, "Testbed Private Root CA"));
        ck_assert_uint_eq(strlen(d[i]->ca_certs[0].sha256), 64);
    }
    ck_assert_ptr_ne(d[0]->ca_certs[0].subject, d[1]->ca_certs[0].subject);
    ck_assert_str_eq(d[0]->ca_certs[0].sha256, d[1]->ca_certs[0].sha256);
    ck_assert_int_eq(d[2]->verdict.class, FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN);
    ck_assert_uint_eq(d[2]->ca_cert_count, 0);
    /* A broken text is refused every time, not cached. */
    t.settings.ca_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    for (int i = 0; i < 2; i++) {
        fo_diagnosis *bad = NULL;
        ck_assert_int_eq(fo_probe_run(prober, &bad, &t, &err), FO_EINVAL);
        ck_assert_ptr_null(bad);
    }
    for (int i = 0; i < 3; i++)
        fo_diagnosis_free(d[i]);
    fo_prober_free(prober);
    free(root);
}
END_TEST

START_TEST(diagnosis_carries_the_presented_certificates)
{
    ck_assert(tb_up);
    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, tb.trust_bundle, &err), 0);

    fo_probe_target t = case_target("self_signed_certificate_in_chain");
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    ck_assert_int_eq(d->verdict.class, FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN);
    ck_assert_uint_ge(d->facts.chain_count, 2);
    const fo_cert_facts *root = &d->facts.chain[d->facts.chain_count - 1];
    ck_assert(root->self_signed && root->is_ca);
    ck_assert_ptr_nonnull(strstr(root->pem, "-----BEGIN CERTIFICATE-----"));
    /* The target is echoed with strings of the diagnosis' own. */
    ck_assert_ptr_ne(d->target.host, t.host);
    ck_assert_str_eq(d->target.host, t.host);
    ck_assert_str_eq(d->target.settings.cert_hostname, "www.origin.test");
    char *pem = fo_strdup(root->pem);
    fo_diagnosis_free(d);
    d = NULL;

    /* Trusting that root as ssl_ca_cert is the fix, and the probe proves it. */
    t.settings.ca_cert_pem = pem;
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    ck_assert_msg(d->verdict.class == FO_CLASS_OK, "%s", d->verdict.detail);
    ck_assert_uint_eq(d->ca_cert_count, 1);
    ck_assert_str_eq(d->ca_certs[0].sha256, d->facts.chain[d->facts.chain_count - 1].sha256);
    fo_diagnosis_free(d);
    free(pem);
    fo_prober_free(prober);
}
END_TEST

START_TEST(run_refuses_what_it_cannot_probe)
{
    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    fo_probe_target t = {.host = "127.0.0.1", .port = 0};
    fo_probe_settings_init(&t.settings);
    t.settings.cert_hostname = "www.origin.test";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_ptr_null(d);
    t.port = 443;
    t.settings.connect_timeout_ms = 0;
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "connect_timeout must be 1 to 60000 ms");
    t.settings.connect_timeout_ms = 1000;
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    t.settings.sni_hostname = long_name; /* not "out of memory": what is wrong */
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "is not a name SNI can carry"));
    t.settings.sni_hostname = NULL;
    t.settings.min_tls = FO_TLS_1_2;
    t.settings.max_tls = FO_TLS_1_1;
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "min_tls_version 1.2 is above max_tls_version 1.1");
    t.settings.min_tls = t.settings.max_tls = FO_TLS_UNSET;
    t.settings.ca_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "ssl_ca_cert holds a PEM certificate that does not parse");
    t.settings.ca_cert_pem = NULL;
    t.settings.ciphers = "NOT-A-CIPHER";
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), FO_EINVAL);
    ck_assert_ptr_null(d);
    fo_prober_free(prober);

    prober = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, "/nonexistent/bundle.pem", &err), FO_EIO);
    ck_assert_ptr_null(prober);
}
END_TEST

/* A hostile origin whose certificate carries terminal escape sequences in its names and
 * its issuer URL, issued by a CA it does not send. */
#define EVIL_SAN "x\033]0;PWNED\007\033[2J\033[31mfake.ok"
#define EVIL_URL "http://a\033[32m/b"

/* A hostile origin on a loopback port the kernel picks: serve answers each connection. */
struct origin {
    int listener;
    int port;
    pthread_t thread;
    void (*serve)(int fd, void *ctx);
    void *ctx;
};

static void *origin_loop(void *arg)
{
    struct origin *o = arg;
    for (;;) {
        int fd = accept(o->listener, NULL, NULL);
        if (fd < 0)
            return NULL;
        o->serve(fd, o->ctx);
        close(fd);
    }
}

static void origin_start(struct origin *o, void (*serve)(int fd, void *ctx), void *ctx)
{
    o->serve = serve;
    o->ctx = ctx;
    o->listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    ck_assert_int_eq(bind(o->listener, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(o->listener, 16), 0);
    ck_assert_int_eq(getsockname(o->listener, (struct sockaddr *)&addr, &len), 0);
    o->port = ntohs(addr.sin_port);
    ck_assert_int_eq(pthread_create(&o->thread, NULL, origin_loop, o), 0);
}

static void origin_stop(struct origin *o)
{
    shutdown(o->listener, SHUT_RDWR);
    close(o->listener);
    pthread_join(o->thread, NULL);
}

static void serve_tls(int fd, void *ctx)
{
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) == 1)
        SSL_shutdown(ssl);
    SSL_free(ssl);
}

START_TEST(origin_text_cannot_drive_the_terminal)
{
    time_t now = time(NULL);
    signal(SIGPIPE, SIG_IGN); /* the probe may hang up first */
    EVP_PKEY *ca_key = tc_key(), *key = tc_key();
    X509 *ca = tc_cert("Evil CA", NULL, ca_key, NULL, NULL, now - 3600, now + 86400,
                       (const int[]){NID_basic_constraints, 0}, (const char *const[]){"CA:TRUE"});
    X509 *leaf = tc_cert("evil\033[31m", NULL, key, ca, ca_key, now - 3600, now + 86400,
                         (const int[]){NID_subject_alt_name, NID_info_access, 0},
                         (const char *const[]){"DNS:" EVIL_SAN, "caIssuers;URI:" EVIL_URL});
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    ck_assert_int_eq(SSL_CTX_use_certificate(ctx, leaf), 1);
    ck_assert_int_eq(SSL_CTX_use_PrivateKey(ctx, key), 1);
    struct origin o;
    origin_start(&o, serve_tls, ctx);
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%d", o.port);

    tb_run run;
    probe(&run, NULL, (const char *const[]){"--cert-hostname", "www.origin.test", target, NULL});
    ck_assert_msg(run.exit_code == 2, "exit %d: %s", run.exit_code, run.err);
    ck_assert_ptr_nonnull(strstr(run.out, "unable_to_verify_first_certificate"));
    for (const char *c = run.out; *c; c++)
        ck_assert_msg(*c == '\n' || ((unsigned char)*c >= 0x20 && *c != 0x7f),
                      "control character 0x%02x in:\n%s", (unsigned char)*c, run.out);
    ck_assert_ptr_nonnull(strstr(run.out, "x?]0;PWNED??[2J?[31mfake.ok"));
    ck_assert_ptr_nonnull(strstr(run.out, "published at http://a?[32m/b"));
    tb_run_free(&run);

    /* JSON keeps the origin's text exact (escaped by the encoder). */
    probe(&run, NULL,
          (const char *const[]){"--json", "--cert-hostname", "www.origin.test", target, NULL});
    json_t *result = json_loads(run.out, 0, NULL);
    ck_assert_ptr_nonnull(result);
    json_t *leaf_json =
        json_array_get(json_object_get(json_object_get(result, "evidence"), "chain"), 0);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(leaf_json, "san"), 0)),
                     EVIL_SAN);
    ck_assert_str_eq(json_string_value(json_object_get(leaf_json, "aia_issuer_url")), EVIL_URL);
    json_decref(result);
    tb_run_free(&run);

    origin_stop(&o);
    SSL_CTX_free(ctx);
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
}
END_TEST

/* A hostile origin: reads the hello, then sends handshake records without end. */
static void serve_flood(int fd, void *ctx)
{
    (void)ctx;
    char hello[2048];
    (void)recv(fd, hello, sizeof(hello), 0);
    static unsigned char record[5 + 16384] = {22, 3, 3, 0x40, 0x00, 2, 0, 0x3f, 0xfc};
    while (send(fd, record, sizeof(record), MSG_NOSIGNAL) > 0)
        ;
}

START_TEST(flooding_origin_is_cut_off)
{
    struct origin o;
    origin_start(&o, serve_flood, NULL);

    fo_error err = {0};
    fo_prober *prober = NULL;
    fo_diagnosis *d = NULL;
    ck_assert_int_eq(fo_prober_new(&prober, NULL, &err), 0);
    fo_probe_target t = {.host = "127.0.0.1", .port = o.port};
    fo_probe_settings_init(&t.settings);
    t.settings.cert_hostname = "www.origin.test";
    double start = fo_now_ms();
    ck_assert_int_eq(fo_probe_run(prober, &d, &t, &err), 0);
    double took = fo_now_ms() - start;
    ck_assert_int_eq(d->verdict.class, FO_CLASS_HANDSHAKE_FAILURE);
    ck_assert_msg(took < 5000, "took %.0f ms", took);
    /* The version hellos met the same flood: a broken ServerHello is a refusal. */
    for (int v = 0; v < FO_TLS_VERSION_COUNT; v++)
        ck_assert_int_eq(d->facts.protocols[v], FO_NO);
    fo_diagnosis_free(d);
    fo_prober_free(prober);
    origin_stop(&o);
}
END_TEST

Suite *cli_probe_suite(void)
{
    Suite *s = suite_create("cli_probe");
    TCase *usage = tcase_create("usage");
    tcase_add_test(usage, help_describes_every_option);
    tcase_add_test(usage, usage_errors_exit_64_with_one_clear_line);
    tcase_add_test(usage, unknown_subcommand_and_version);
    tcase_add_test(usage, dns_failure_needs_no_network);
    tcase_add_test(usage, a_name_that_does_not_resolve_is_a_dns_failure);
    suite_add_tcase(s, usage);

    TCase *origins = tcase_create("origins");
    tcase_set_timeout(origins, 240);
    tcase_add_unchecked_fixture(origins, testbed_up, testbed_down);
    tcase_add_checked_fixture(origins, make_tmp, remove_tmp);
    tcase_add_test(origins, files_that_cannot_be_used_exit_1);
    tcase_add_test(origins, long_cert_hostname_is_still_a_hostname_mismatch);
    tcase_add_test(origins, trust_bundle_comes_from_the_environment_or_the_flag);
    tcase_add_test(origins, text_output_is_a_readable_summary);
    tcase_add_test(origins, a_named_target_is_its_own_sni_and_cert_hostname);
    tcase_add_test(origins, probe_text_folds_to_the_width);
    tcase_add_test(origins, targets_progress_only_on_a_terminal);
    tcase_add_test(origins, a_dash_reads_stdin);
    tcase_add_test(origins, targets_stream_one_object_a_line);
    tcase_add_test(origins, run_many_diagnoses_every_case_once);
    tcase_add_test(origins, diagnosis_carries_the_presented_certificates);
    tcase_add_test(origins, a_shared_ca_text_is_echoed_by_every_diagnosis);
    suite_add_tcase(s, origins);

    TCase *alone = tcase_create("library");
    tcase_set_timeout(alone, 60);
    tcase_add_test(alone, run_many_refuses_a_bad_concurrency);
    tcase_add_test(alone, run_refuses_what_it_cannot_probe);
    tcase_add_test(alone, flooding_origin_is_cut_off);
    tcase_add_test(alone, origin_text_cannot_drive_the_terminal);
    suite_add_tcase(s, alone);
    return s;
}
