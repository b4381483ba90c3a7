/* Process plumbing shared by the integration tests and the benchmark. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STOP_MS = 15000, MAX_ARGS = 64 };

/* Waits for pid to exit within ms, collecting its status and usage; -1 when it
 * is still running then. */
static int wait_exit(pid_t pid, int ms, int *status, struct rusage *usage)
{
    double deadline = fo_now_ms() + ms;
    for (;;) {
        pid_t r = wait4(pid, status, WNOHANG, usage);
        if (r == pid)
            return 0;
        if (r < 0 || fo_now_ms() > deadline)
            return -1;
        struct timespec pause = {0, 2 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

/* Reads both pipes until they close or the deadline passes. */
static void collect(const int fds[2], fo_buf *bufs[2], double deadline)
{
    struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        int left = (int)(deadline - fo_now_ms());
        if (left <= 0 || poll(p, 2, left) <= 0)
            return;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char chunk[8192];
            ssize_t n = read(p[i].fd, chunk, sizeof(chunk));
            if (n <= 0 || fo_buf_append(bufs[i], chunk, (size_t)n) != 0)
                p[i].fd = -1;
        }
    }
}

_Noreturn static void exec_child(const char *const *argv, const char *const *env, const int out[2],
                                 const int err[2])
{
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, STDIN_FILENO);
    dup2(out ? out[1] : devnull, STDOUT_FILENO);
    dup2(err ? err[1] : devnull, STDERR_FILENO);
    for (; env && *env; env++)
        putenv((char *)*env);
    execvp(argv[0], (char *const *)argv);
    _exit(127);
}

void tb_harness_run(tb_run *out, const char *const *argv, const char *const *env, bool capture,
                    int timeout_ms)
{
    memset(out, 0, sizeof(*out));
    out->exit_code = -1;
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    if (capture && (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)) {
        out->out = fo_strdup("");
        out->err = fo_strdup("harness: pipe failed");
        return;
    }
    double start = fo_now_ms();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(argv, env, capture ? out_pipe : NULL, capture ? err_pipe : NULL);
    if (capture) {
        close(out_pipe[1]);
        close(err_pipe[1]);
        fo_buf o = {0}, e = {0};
        int fds[2] = {out_pipe[0], err_pipe[0]};
        fo_buf *bufs[2] = {&o, &e};
        collect(fds, bufs, start + timeout_ms);
        close(out_pipe[0]);
        close(err_pipe[0]);
        out->out = fo_buf_steal(&o);
        out->err = fo_buf_steal(&e);
    }
    int status = 0;
    struct rusage usage;
    memset(&usage, 0, sizeof(usage));
    int left = (int)(start + timeout_ms - fo_now_ms());
    if (pid < 0 || wait_exit(pid, left > 0 ? left : 0, &status, &usage) != 0) {
        out->timed_out = pid > 0;
        if (pid > 0) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &usage);
        }
    } else if (WIFEXITED(status)) {
        out->exit_code = WEXITSTATUS(status);
    }
    out->ms = fo_now_ms() - start;
    out->max_rss_kib = usage.ru_maxrss;
    out->cpu_s = (double)usage.ru_utime.tv_sec + (double)usage.ru_utime.tv_usec / 1e6 +
                 (double)usage.ru_stime.tv_sec + (double)usage.ru_stime.tv_usec / 1e6;
}

double tb_harness_cpu_s(pid_t pid)
{
    char path[64], stat[1024];
    snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(stat, 1, sizeof(stat) - 1, f) : 0;
    if (f)
        fclose(f);
    stat[n] = '\0';
    /* The command name (2nd field) may hold spaces: count fields after its ')'. */
    const char *p = strrchr(stat, ')');
    unsigned long long utime = 0, stime = 0;
    long ticks = sysconf(_SC_CLK_TCK);
    if (!p || ticks <= 0 ||
        sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
            2)
        return -1;
    return (double)(utime + stime) / (double)ticks;
}

void tb_run_free(tb_run *run)
{
    free(run->out);
    free(run->err);
    run->out = NULL;
    run->err = NULL;
}

static void remove_dir(const char *dir)
{
    if (!dir[0])
        return;
    const char *argv[] = {"rm", "-rf", dir, NULL};
    tb_run run;
    tb_harness_run(&run, argv, NULL, false, 30000);
}

/* Reads the ready line ("ready MANIFEST") from fd within timeout_ms. */
static bool read_ready_line(int fd, char *manifest, size_t cap, int timeout_ms, char *line,
                            size_t line_cap)
{
    size_t len = 0;
    double deadline = fo_now_ms() + timeout_ms;
    while (!memchr(line, '\n', len) && len < line_cap - 1) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)(deadline - fo_now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(fd, line + len, line_cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    line[len] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (strncmp(line, "ready ", 6) != 0)
        return false;
    size_t manifest_len = strlen(line + 6);
    if (manifest_len >= cap)
        return false;
    memcpy(manifest, line + 6, manifest_len + 1);
    return true;
}

int tb_harness_start(tb_harness *out, const char *program, const char *const *extra_args,
                     int timeout_ms, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    out->pid = -1;
    snprintf(out->dir, sizeof(out->dir), "/tmp/fo-testbed-XXXXXX");
    if (!mkdtemp(out->dir)) {
        out->dir[0] = '\0';
        return fo_error_set(err, FO_EIO, "mkdtemp: %s", strerror(errno));
    }
    int ready[2];
    if (pipe(ready) != 0)
        return fo_error_set(err, FO_EIO, "pipe: %s", strerror(errno));
    const char *argv[MAX_ARGS] = {program, "--dir", out->dir};
    int argc = 3;
    for (; extra_args && *extra_args && argc < MAX_ARGS - 1; extra_args++)
        argv[argc++] = *extra_args;
    out->pid = fork();
    if (out->pid == 0) {
        close(ready[0]);
        exec_child(argv, NULL, ready, NULL);
    }
    close(ready[1]);
    char line[700];
    bool ok = out->pid > 0 && read_ready_line(ready[0], out->manifest, sizeof(out->manifest),
                                              timeout_ms, line, sizeof(line));
    close(ready[0]);
    if (!ok) {
        tb_harness_stop(out);
        return fo_error_set(err, FO_ETIMEOUT, "%s did not get ready: '%s'", program, line);
    }
    return FO_OK;
}

int tb_harness_terminate(pid_t pid, int wait_ms)
{
    int status = 0;
    struct rusage usage;
    kill(pid, SIGTERM);
    if (wait_exit(pid, wait_ms, &status, &usage) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int tb_harness_stop(tb_harness *tb)
{
    int result = -1;
    if (tb->pid > 0)
        result = tb_harness_terminate(tb->pid, STOP_MS);
    tb->pid = -1;
    remove_dir(tb->dir);
    tb->dir[0] = '\0';
    return result;
}
