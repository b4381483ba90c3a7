/* The token the official Fastly CLI holds, for a user who logged in with it (`fastly auth
 * login`) and set no FASTLY_API_TOKEN: `fastly auth token` prints the active token (CLI 11 and
 * later), `fastly profile token` did before (deprecated, still there). The CLI is run without
 * a shell, stdin from /dev/null, for at most FO_CLI_TOKEN_TIMEOUT_MS in all; what it prints
 * is read up to a bound and never shown: an error quotes the CLI's stderr, never its stdout. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "api_int.h"

#define FO_CLI_TOKEN_TIMEOUT_MS 5000
#define OUT_MAX 4096
#define ERR_MAX 1024

typedef struct cli_run {
    int status; /* the exit status; -1: killed at the deadline */
    char out[OUT_MAX + 1];
    size_t out_len;
    char err[ERR_MAX + 1];
    size_t err_len;
} cli_run;

/* Reads what is there into buf (up to max; the rest is drained and dropped). False at EOF. */
static bool drain(int fd, char *buf, size_t *len, size_t max)
{
    char scratch[512];
    ssize_t n;
    if (*len < max)
        n = read(fd, buf + *len, max - *len);
    else
        n = read(fd, scratch, sizeof(scratch));
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0)
        return false;
    if (*len < max)
        *len += (size_t)n;
    return true;
}

/* Runs `fastly WORDS... --non-interactive` until it exits or deadline (fo_now_ms). Returns 0,
 * FO_ENOTFOUND when there is no fastly program on PATH, FO_EIO. */
static int run_cli(cli_run *r, const char *const *words, double deadline, fo_error *err)
{
    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    int rc = 0;
    pid_t pid = -1;
    posix_spawn_file_actions_t actions;
    memset(r, 0, sizeof(*r));
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        rc = fo_error_set(err, FO_EIO, "cannot run the Fastly CLI: %s", strerror(errno));
        goto out;
    }
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    char *argv[8];
    size_t argc = 0;
    argv[argc++] = (char *)"fastly";
    for (size_t i = 0; words[i] && argc < 6; i++)
        argv[argc++] = (char *)words[i];
    argv[argc++] = (char *)"--non-interactive";
    argv[argc] = NULL;
    int spawned = posix_spawnp(&pid, "fastly", &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out_pipe[1]);
    close(err_pipe[1]);
    out_pipe[1] = err_pipe[1] = -1;
    if (spawned != 0) {
        pid = -1;
        rc = fo_error_set(err, spawned == ENOENT ? FO_ENOTFOUND : FO_EIO,
                          "cannot run the Fastly CLI: %s", strerror(spawned));
        goto out;
    }
    struct pollfd fds[2] = {{.fd = out_pipe[0], .events = POLLIN},
                            {.fd = err_pipe[0], .events = POLLIN}};
    bool open_out = true, open_err = true, timed_out = false;
    while ((open_out || open_err) && !timed_out) {
        int wait_ms = (int)(deadline - fo_now_ms());
        if (wait_ms <= 0) {
            timed_out = true;
            break;
        }
        fds[0].fd = open_out ? out_pipe[0] : -1;
        fds[1].fd = open_err ? err_pipe[0] : -1;
        int n = poll(fds, 2, wait_ms);
        if (n < 0 && errno != EINTR) {
            rc = fo_error_set(err, FO_EIO, "cannot read the Fastly CLI: %s", strerror(errno));
            timed_out = true; /* stop it all the same */
            break;
        }
        if (n <= 0)
            continue;
        if (open_out && fds[0].revents)
            open_out = drain(out_pipe[0], r->out, &r->out_len, OUT_MAX);
        if (open_err && fds[1].revents)
            open_err = drain(err_pipe[0], r->err, &r->err_len, ERR_MAX);
    }
    /* Both pipes closed: the CLI is exiting (or handed them on and exits). Wait for it, up to
     * the deadline; past it, it is killed. */
    int status = 0;
    if (timed_out)
        kill(pid, SIGKILL);
    for (;;) {
        pid_t w = waitpid(pid, &status, timed_out ? 0 : WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (timed_out || fo_now_ms() >= deadline) {
            kill(pid, SIGKILL);
            timed_out = true;
            continue;
        }
        usleep(10000);
    }
    pid = -1;
    r->status = timed_out ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128;
out:
    r->out[r->out_len] = '\0';
    r->err[r->err_len] = '\0';
    for (int i = 0; i < 2; i++) {
        if (out_pipe[i] >= 0)
            close(out_pipe[i]);
        if (err_pipe[i] >= 0)
            close(err_pipe[i]);
    }
    return rc;
}

/* The CLI's stderr as one clean line for a message: the last line that says something (the
 * CLI prints notices before its error), control characters as '?', and nothing of the token
 * if it slipped in. */
static void stderr_line(char *out, size_t size, const cli_run *r)
{
    char copy[ERR_MAX + 1];
    const char *line = "";
    memcpy(copy, r->err, r->err_len + 1);
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (strspn(l, " \t\r") != strlen(l) && strncmp(l, "DEPRECATED", 10) != 0 &&
            strncmp(l, "Run `", 5) != 0 && strncmp(l, "If you believe", 14) != 0)
            line = l;
    }
    fo_str_clean_copy(out, size, line);
    /* The token, were it there, is what stdout holds between white space. */
    char token[OUT_MAX + 1];
    size_t skip = strspn(r->out, " \t\r\n"), len = strcspn(r->out + skip, " \t\r\n");
    memcpy(token, r->out + skip, len);
    token[len] = '\0';
    if (len >= 8 && strstr(out, token))
        snprintf(out, size, "(its message held its output; not shown)");
    OPENSSL_cleanse(token, sizeof(token));
    OPENSSL_cleanse(copy, sizeof(copy));
}

int fo_api_token_from_cli(char **out, fo_error *err)
{
    static const char *const commands[][3] = {{"auth", "token", NULL}, {"profile", "token", NULL}};
    cli_run *r = calloc(1, sizeof(*r));
    char why[160] = "";
    int rc = FO_EINVAL;
    *out = NULL;
    if (!r)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    double deadline = fo_now_ms() + FO_CLI_TOKEN_TIMEOUT_MS;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        int spawned = run_cli(r, commands[i], deadline, err);
        if (spawned != 0) {
            rc = spawned;
            goto out;
        }
        if (r->status < 0) {
            rc = fo_error_set(err, FO_ETIMEOUT,
                              "FASTLY_API_TOKEN is unset and the Fastly CLI ('fastly %s %s') did "
                              "not answer within %d s: set FASTLY_API_TOKEN or pass --token-file",
                              commands[i][0], commands[i][1], FO_CLI_TOKEN_TIMEOUT_MS / 1000);
            goto out;
        }
        if (r->status == 0)
            break;
        /* An older CLI has no `auth token`: ask the way it knows. The first failure is the
         * one worth quoting when both fail. */
        if (i == 0)
            stderr_line(why, sizeof(why), r);
    }
    if (r->status != 0) {
        rc = fo_error_set(err, FO_EINVAL,
                          "no Fastly API token: FASTLY_API_TOKEN is unset and the Fastly CLI has "
                          "none ('fastly auth token' failed: %s); set FASTLY_API_TOKEN, pass "
                          "--token-file FILE, or run 'fastly auth login'",
                          why[0] ? why : "no message");
        goto out;
    }
    /* The token alone, perhaps with a newline. */
    char *start = fo_api_token_trim(r->out);
    if (*start == '\0' || r->out_len >= OUT_MAX) {
        rc = fo_error_set(err, FO_EINVAL, "the Fastly CLI printed %s instead of a token",
                          *start ? "too much" : "nothing");
        goto out;
    }
    if (!fo_api_token_is_clean(start)) {
        rc = fo_error_set(err, FO_EINVAL,
                          "the Fastly CLI printed more than one line, spaces or non-ASCII bytes, "
                          "not a token (not shown)");
        goto out;
    }
    if (!(*out = fo_strdup(start)))
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    else
        rc = 0;
out:
    OPENSSL_cleanse(r, sizeof(*r));
    free(r);
    return rc;
}
