/* testbed/origins/harness.h: what tests, benchmarks and the demo's programs
 * need to drive testbed-origins and the programs under test: start the testbed
 * and wait for its ready line, stop it, and run a program with a deadline,
 * its output captured and its peak memory measured. */
#ifndef FO_TESTBED_HARNESS_H
#define FO_TESTBED_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "fixorigin/fo.h"

typedef struct tb_run {
    int exit_code; /* -1 when killed at the deadline or by a signal */
    bool timed_out;
    double ms;        /* wall time */
    long max_rss_kib; /* the child's peak resident set */
    double cpu_s;     /* the child's CPU time, user + system */
    char *out;        /* stdout, NUL-terminated, owned; NULL when not captured */
    char *err;        /* stderr, likewise */
} tb_run;

/* Runs argv (argv[0] a path or a name on PATH) with stdin from /dev/null,
 * killing it after timeout_ms. env: extra "K=V" entries (NULL-terminated, may
 * be NULL). With capture, stdout and stderr are collected; otherwise they go
 * to /dev/null. Free out with tb_run_free. */
void tb_harness_run(tb_run *out, const char *const *argv, const char *const *env, bool capture,
                    int timeout_ms);
void tb_run_free(tb_run *run);

/* SIGTERM to pid, then up to wait_ms for it to exit (SIGKILL after that).
 * Returns its exit status, or -1 when it had to be killed or died of a signal. */
int tb_harness_terminate(pid_t pid, int wait_ms);

/* CPU seconds (user + system) a running process has used so far, from /proc; -1 when it
 * cannot be read. Benchmarks take the difference around a run to charge a server. */
double tb_harness_cpu_s(pid_t pid);

/* A running testbed-origins. */
typedef struct tb_harness {
    pid_t pid;
    char dir[256];      /* a fresh directory under /tmp, removed by stop */
    char manifest[512]; /* from its ready line */
} tb_harness;

/* Starts program (testbed-origins) with --dir in a fresh temporary directory
 * and extra_args (NULL-terminated, may be NULL), and waits up to timeout_ms for
 * its ready line. On failure nothing is left running. */
int tb_harness_start(tb_harness *out, const char *program, const char *const *extra_args,
                     int timeout_ms, fo_error *err) FO_WARN_UNUSED;
/* SIGTERM, waits up to 15 s (then SIGKILL) and removes the directory. Returns
 * the exit status (0 for a clean shutdown), or -1 when it had to be killed. */
int tb_harness_stop(tb_harness *tb);

#endif
