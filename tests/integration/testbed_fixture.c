#include "testbed_fixture.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fo.h"

enum { START_MS = 30000, STOP_MS = 15000, MAX_ARGS = 64 };

const char *fx_bin(const char *name)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", FO_BIN_DIR, name);
    return path;
}

bool fx_have_program(const char *name)
{
    const char *path = getenv("PATH");
    char buf[1024];
    while (path && *path) {
        size_t len = strcspn(path, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, path, name);
        if (access(buf, X_OK) == 0)
            return true;
        path += len + (path[len] == ':');
    }
    return false;
}

static void remove_dir(const char *dir)
{
    if (!dir[0])
        return;
    char command[400];
    snprintf(command, sizeof(command), "rm -rf '%s'", dir);
    if (system(command) != 0)
        fprintf(stderr, "fixture: could not remove %s\n", dir);
}

/* Waits for pid to exit within ms; its status, or -1 when still running. */
static int wait_exit(pid_t pid, int ms, int *status)
{
    double deadline = fo_now_ms() + ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0 || fo_now_ms() > deadline)
            return -1;
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
}

bool fx_testbed_start(fx_testbed *tb, const char *const *extra_args)
{
    memset(tb, 0, sizeof(*tb));
    tb->pid = -1;
    snprintf(tb->dir, sizeof(tb->dir), "/tmp/fo-testbed-XXXXXX");
    if (!mkdtemp(tb->dir)) {
        fprintf(stderr, "fixture: mkdtemp: %s\n", strerror(errno));
        tb->dir[0] = '\0';
        return false;
    }
    snprintf(tb->trust_bundle, sizeof(tb->trust_bundle), "%s/trust.pem", tb->dir);
    int out[2];
    if (pipe(out) != 0)
        return false;
    const char *argv[MAX_ARGS] = {fx_bin("testbed-origins"), "--dir", tb->dir};
    int argc = 3;
    for (; extra_args && *extra_args && argc < MAX_ARGS - 1; extra_args++)
        argv[argc++] = *extra_args;
    tb->pid = fork();
    if (tb->pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    /* The ready line comes once the manifest is complete. */
    char line[512] = "";
    size_t len = 0;
    double deadline = fo_now_ms() + START_MS;
    while (tb->pid > 0 && !memchr(line, '\n', len) && len < sizeof(line) - 1) {
        struct pollfd p = {out[0], POLLIN, 0};
        int left = (int)(deadline - fo_now_ms());
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        ssize_t n = read(out[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(out[0]);
    line[len] = '\0';
    char path[400];
    if (strncmp(line, "ready ", 6) != 0 || sscanf(line + 6, "%399s", path) != 1) {
        fprintf(stderr, "fixture: testbed-origins did not get ready: '%s'\n", line);
        return false;
    }
    json_error_t jerr;
    tb->manifest = json_load_file(path, 0, &jerr);
    if (!tb->manifest)
        fprintf(stderr, "fixture: manifest %s: %s\n", path, jerr.text);
    return tb->manifest != NULL;
}

int fx_testbed_stop(fx_testbed *tb)
{
    int result = -1;
    if (tb->pid > 0) {
        int status = 0;
        kill(tb->pid, SIGTERM);
        if (wait_exit(tb->pid, STOP_MS, &status) != 0) {
            kill(tb->pid, SIGKILL);
            waitpid(tb->pid, &status, 0);
        } else {
            result = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        tb->pid = -1;
    }
    json_decref(tb->manifest);
    tb->manifest = NULL;
    remove_dir(tb->dir);
    tb->dir[0] = '\0';
    return result;
}

json_t *fx_case(const fx_testbed *tb, const char *name)
{
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(tb->manifest, "cases"), i, entry)
    {
        if (strcmp(json_string_value(json_object_get(entry, "case")), name) == 0)
            return entry;
    }
    return NULL;
}

const char *fx_case_host(const json_t *entry)
{
    return json_string_value(json_object_get(entry, "host"));
}

int fx_case_port(const json_t *entry)
{
    return (int)json_integer_value(json_object_get(entry, "port"));
}

const char *fx_setting(const json_t *entry, const char *key)
{
    return json_string_value(json_object_get(json_object_get(entry, "settings"), key));
}

/* Reads both pipes until they close or the deadline passes. */
static void collect(int out_fd, int err_fd, fo_buf *out, fo_buf *err, double deadline)
{
    struct pollfd p[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    fo_buf *bufs[2] = {out, err};
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

void fx_run_argv(fx_run *out, const char *const *argv, const char *const *env, int timeout_ms)
{
    memset(out, 0, sizeof(*out));
    out->exit_code = -1;
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
        out->out = fo_strdup("");
        out->err = fo_strdup("pipe failed");
        return;
    }
    double start = fo_now_ms();
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, STDIN_FILENO);
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        for (; env && *env; env++)
            putenv((char *)*env);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    fo_buf o = {0}, e = {0};
    collect(out_pipe[0], err_pipe[0], &o, &e, start + timeout_ms);
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status = 0;
    int left = (int)(start + timeout_ms - fo_now_ms());
    if (pid < 0 || wait_exit(pid, left > 0 ? left : 0, &status) != 0) {
        out->timed_out = pid > 0;
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
        }
    } else if (WIFEXITED(status)) {
        out->exit_code = WEXITSTATUS(status);
    }
    out->ms = fo_now_ms() - start;
    out->out = fo_buf_steal(&o);
    out->err = fo_buf_steal(&e);
}

void fx_run_free(fx_run *run)
{
    free(run->out);
    free(run->err);
    run->out = NULL;
    run->err = NULL;
}

void fx_args_add(fx_args *a, const char *arg)
{
    if (a->argc < (int)(sizeof(a->argv) / sizeof(a->argv[0])) - 1)
        a->argv[a->argc++] = arg;
    a->argv[a->argc] = NULL;
}

void fx_probe_args(fx_args *a, const json_t *entry)
{
    static const struct {
        const char *key;
        const char *option;
    } options[] = {
        {"ssl_sni_hostname", "--sni"},    {"ssl_cert_hostname", "--cert-hostname"},
        {"ssl_ca_cert", "--ca-file"},     {"min_tls_version", "--min-tls"},
        {"max_tls_version", "--max-tls"}, {"ssl_ciphers", "--ciphers"},
    };
    json_t *settings = json_object_get(entry, "settings");
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++) {
        const char *value = fx_setting(entry, options[i].key);
        if (value) {
            fx_args_add(a, options[i].option);
            fx_args_add(a, value);
        }
    }
    json_t *connect_timeout = json_object_get(settings, "connect_timeout");
    if (connect_timeout) {
        snprintf(a->timeout, sizeof(a->timeout), "%lld",
                 (long long)json_integer_value(connect_timeout));
        fx_args_add(a, "--connect-timeout");
        fx_args_add(a, a->timeout);
    }
    if (json_is_false(json_object_get(settings, "ssl_check_cert")))
        fx_args_add(a, "--no-check-cert");
    if (json_is_false(json_object_get(settings, "use_ssl")))
        fx_args_add(a, "--no-tls");
    snprintf(a->target, sizeof(a->target), "%s:%d", fx_case_host(entry), fx_case_port(entry));
    fx_args_add(a, a->target);
}

void fx_probe_case(fx_run *run, json_t **json, const fx_testbed *tb, const char *case_name,
                   const char *const *extra_args)
{
    fx_args a = {.argc = 0};
    const char *fixed[] = {fx_bin("fixorigin"), "probe", "--json", "--trust-bundle",
                           tb->trust_bundle};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        fx_args_add(&a, fixed[i]);
    for (; extra_args && *extra_args; extra_args++)
        fx_args_add(&a, *extra_args);
    json_t *entry = fx_case(tb, case_name);
    if (entry)
        fx_probe_args(&a, entry);
    /* Generous: the slowest case waits for a timeout and a late answer. */
    fx_run_argv(run, a.argv, NULL, 30000);
    *json = json_loads(run->out, 0, NULL);
}
