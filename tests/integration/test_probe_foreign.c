/* The probe against TLS servers this project did not write: OpenSSL's s_server
 * and GnuTLS's gnutls-serv, serving the testbed's certificates. The probe must
 * name the same class it names against testbed-origins. */
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/fo.h"
#include "probe_expect.h"
#include "testbed_fixture.h"

Suite *probe_foreign_suite(void);

/* Which testbed origin's certificate files to serve, how, and the class. */
static const struct foreign_case {
    const char *origin; /* its cert_file, chain_file and key_file */
    bool tls13_only;
    const char *max_tls; /* the probe's --max-tls, or NULL */
    const char *expected_class;
    int chain_length;
} foreign_cases[] = {
    {"healthy", false, NULL, "ok", 2},
    {"hostname_mismatch", false, NULL, "hostname_mismatch", 2},
    {"self_signed_certificate", false, NULL, "self_signed_certificate", 1},
    {"unable_to_verify_first_certificate", false, NULL, "unable_to_verify_first_certificate", 1},
    {"handshake_failure_tls13_only", true, "1.2", "handshake_failure", 0},
};
#define FOREIGN_COUNT (sizeof(foreign_cases) / sizeof(foreign_cases[0]))

typedef struct server {
    pid_t pid;
    int port;
    char log[400];
} server;

/* A port the kernel says is free now; gnutls-serv cannot be told port 0. */
static int free_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    close(fd);
    return ntohs(addr.sin_port);
}

static void read_file(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Starts argv with its output in a log file and waits for `ready` to appear in
 * it; the port comes from the log (after "ACCEPT 127.0.0.1:") or is given. */
static bool server_start(server *s, const char *const *argv, const char *ready, int port)
{
    static int serial;
    snprintf(s->log, sizeof(s->log), "%s/server-%d-%d.log", fx_tb.dir, (int)getpid(), serial++);
    s->port = port;
    s->pid = fork();
    if (s->pid == 0) {
        int log = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(log, STDOUT_FILENO);
        dup2(log, STDERR_FILENO);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    double deadline = fo_now_ms() + 10000;
    char text[4096];
    while (fo_now_ms() < deadline) {
        read_file(s->log, text, sizeof(text));
        const char *accept = strstr(text, "ACCEPT 127.0.0.1:");
        if (strstr(text, ready) && (port || accept)) {
            if (!port)
                s->port = atoi(accept + strlen("ACCEPT 127.0.0.1:"));
            return s->port > 0;
        }
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            s->pid = -1;
            break;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "%s did not get ready: %s\n", argv[0], text);
    return false;
}

static void server_stop(server *s)
{
    if (s->pid > 0)
        tb_harness_terminate(s->pid, 5000);
    s->pid = -1;
}

static const char *case_file(const char *origin, const char *key)
{
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(fx_tb.manifest, "cases"), i, entry)
    {
        if (strcmp(json_str(entry, "origin"), origin) == 0)
            return json_str(entry, key);
    }
    return NULL;
}

static bool start_openssl(server *s, const struct foreign_case *c)
{
    fx_args a = {.argc = 0};
    const char *base[] = {"openssl",
                          "s_server",
                          "-accept",
                          "127.0.0.1:0",
                          "-www",
                          "-cert",
                          case_file(c->origin, "cert_file"),
                          "-key",
                          case_file(c->origin, "key_file")};
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        fx_args_add(&a, base[i]);
    const char *chain = case_file(c->origin, "chain_file");
    if (chain) {
        fx_args_add(&a, "-cert_chain");
        fx_args_add(&a, chain);
    }
    if (c->tls13_only)
        fx_args_add(&a, "-tls1_3");
    return server_start(s, a.argv, "ACCEPT", 0);
}

static bool start_gnutls(server *s, const struct foreign_case *c)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        char port[16], cert[400], key[400];
        snprintf(port, sizeof(port), "%d", free_port());
        snprintf(cert, sizeof(cert), "--x509certfile=%s", case_file(c->origin, "cert_file"));
        snprintf(key, sizeof(key), "--x509keyfile=%s", case_file(c->origin, "key_file"));
        fx_args a = {.argc = 0};
        const char *base[] = {"gnutls-serv", "--http", "-a", "-p", port, cert, key};
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
            fx_args_add(&a, base[i]);
        if (c->tls13_only)
            fx_args_add(&a, "--priority=NORMAL:-VERS-ALL:+VERS-TLS1.3");
        /* gnutls-serv prints "listening on IPv4 ... port N..." before it listens and
         * "done" after: wait for the whole line, or a probe can come too early. */
        char ready[64];
        snprintf(ready, sizeof(ready), "IPv4 0.0.0.0 port %s...done", port);
        if (server_start(s, a.argv, ready, atoi(port)))
            return true;
        server_stop(s); /* the port was taken meanwhile: try another */
    }
    return false;
}

static void probe_foreign(const struct foreign_case *c, const server *s, const char *server_name)
{
    char target[64];
    snprintf(target, sizeof(target), "127.0.0.1:%d", s->port);
    fx_args a = {.argc = 0};
    const char *base[] = {fx_bin("fixorigin"), "probe", "--json",          "--trust-bundle",
                          fx_tb.trust_bundle,  "--sni", "www.origin.test", "--cert-hostname",
                          "www.origin.test"};
    for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
        fx_args_add(&a, base[i]);
    if (c->max_tls) {
        fx_args_add(&a, "--max-tls");
        fx_args_add(&a, c->max_tls);
    }
    fx_args_add(&a, target);
    tb_run run;
    fx_run_argv(&run, a.argv, NULL, 30000);
    json_t *result = json_loads(run.out, 0, NULL);
    char label[128];
    snprintf(label, sizeof(label), "%s serving %s", server_name, c->origin);
    check_result_shape(result, label);
    ck_assert_msg(strcmp(json_str(result, "class"), c->expected_class) == 0, "%s: class %s (%s)",
                  label, json_str(result, "class"), json_str(result, "detail"));
    ck_assert_int_eq(run.exit_code, strcmp(c->expected_class, "ok") == 0 ? 0 : 2);
    json_t *chain = json_object_get(json_object_get(result, "evidence"), "chain");
    ck_assert_msg(json_array_size(chain) == (size_t)c->chain_length, "%s: chain of %zu", label,
                  json_array_size(chain));
    json_decref(result);
    tb_run_free(&run);
}

START_TEST(openssl_s_server)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    server s = {.pid = -1};
    ck_assert(start_openssl(&s, &foreign_cases[_i]));
    probe_foreign(&foreign_cases[_i], &s, "openssl s_server");
    server_stop(&s);
}
END_TEST

START_TEST(gnutls_serv)
{
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    ck_assert_msg(fx_have_program("gnutls-serv"),
                  "gnutls-serv missing: scripts/install-deps.sh installs gnutls-bin");
    server s = {.pid = -1};
    ck_assert(start_gnutls(&s, &foreign_cases[_i]));
    probe_foreign(&foreign_cases[_i], &s, "gnutls-serv");
    server_stop(&s);
}
END_TEST

Suite *probe_foreign_suite(void)
{
    Suite *s = suite_create("probe_foreign");
    TCase *tc = tcase_create("foreign");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, openssl_s_server, 0, FOREIGN_COUNT);
    tcase_add_loop_test(tc, gnutls_serv, 0, FOREIGN_COUNT);
    suite_add_tcase(s, tc);
    return s;
}
