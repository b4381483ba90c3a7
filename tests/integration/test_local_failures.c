/* A failure of this machine is the prober's own, never the origin's: in a network namespace
 * of its own (loopback down, so every connect fails here with ENETUNREACH before a packet
 * leaves), `fixorigin probe` says so and exits 1, with no class and no firewall advice. The
 * namespace needs CAP_SYS_ADMIN; where the test cannot make one it says so and checks
 * nothing else. */
#define _GNU_SOURCE /* unshare */
#include <check.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixorigin/fo.h"

Suite *local_failures_suite(void);

enum { NO_NAMESPACE = 77 };

/* Runs fixorigin args in a new network namespace; output into *out. Returns the exit code,
 * or NO_NAMESPACE when no namespace could be made. */
static int run_isolated(const char *const *args, char **out)
{
    char path[] = "/tmp/fo-local-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNET) != 0)
            _exit(NO_NAMESPACE);
        dup2(fd, 1);
        dup2(fd, 2);
        const char *argv[16] = {FO_BIN_DIR "/fixorigin"};
        for (int i = 0; args[i] && i < 14; i++)
            argv[i + 1] = args[i];
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    fo_buf text = {0};
    char buf[4096];
    ssize_t n;
    lseek(fd, 0, SEEK_SET);
    while ((n = read(fd, buf, sizeof(buf))) > 0)
        ck_assert_int_eq(fo_buf_append(&text, buf, (size_t)n), 0);
    ck_assert_int_eq(fo_buf_append(&text, "", 0), 0);
    close(fd);
    unlink(path);
    *out = fo_buf_steal(&text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

START_TEST(a_local_connect_failure_is_the_prober_s)
{
    static const char *const runs[][4] = {
        {"probe", "127.0.0.1:443", NULL},
        {"probe", "--json", "127.0.0.1:443", NULL},
        {"probe", "--no-tls", "127.0.0.1:80", NULL},
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        char *out = NULL;
        int code = run_isolated(runs[i], &out);
        if (code == NO_NAMESPACE) {
            fprintf(stderr, "local_failures: no network namespace here (needs CAP_SYS_ADMIN): "
                            "not checked\n");
            free(out);
            return;
        }
        ck_assert_msg(code == 1, "run %zu: exit %d: %s", i, code, out);
        ck_assert_msg(strstr(out, "this machine cannot connect to 127.0.0.1: Network is "
                                  "unreachable (the prober's own failure, not the origin's)"),
                      "run %zu: %s", i, out);
        ck_assert_msg(!strstr(out, "connection_refused") && !strstr(out, "firewall") &&
                          !strstr(out, "Connection refused"),
                      "run %zu blames the origin: %s", i, out);
        free(out);
    }
}
END_TEST

Suite *local_failures_suite(void)
{
    Suite *s = suite_create("local_failures");
    TCase *tc = tcase_create("netns");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_local_connect_failure_is_the_prober_s);
    suite_add_tcase(s, tc);
    return s;
}
