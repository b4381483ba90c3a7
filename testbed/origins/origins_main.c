/* testbed-origins: loopback origins that fail in every way Fastly reports.
 * Starts, writes its manifest, prints "ready MANIFEST" and serves until
 * SIGTERM or SIGINT. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "origins.h"

enum { EXIT_USAGE = 64, MAX_BULK = 5000 };

static int stop_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    /* Never read: the pipe stays readable, so every waiter sees the stop. */
    ssize_t n = write(stop_pipe[1], "x", 1);
    (void)n;
    errno = saved;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: testbed-origins --dir DIR [--host 127.0.0.1] [--manifest FILE] [--count N]\n"
            "\n"
            "Generates a throwaway PKI into DIR and serves, on loopback ports the kernel picks,\n"
            "one origin for every TLS error Fastly reports plus healthy ones. Writes the\n"
            "manifest (default DIR/manifest.json), DIR/targets.txt and DIR/bulk-targets.txt,\n"
            "prints 'ready MANIFEST' and serves until SIGTERM or SIGINT.\n"
            "\n"
            "  --count N   also serve N healthy origins (benchmarks), 0..%d\n",
            MAX_BULK);
}

static bool parse_count(const char *s, int *out)
{
    char *end = NULL;
    errno = 0;
    long value = s ? strtol(s, &end, 10) : -1;
    if (!s || errno != 0 || *end != '\0' || end == s || value < 0 || value > MAX_BULK)
        return false;
    *out = (int)value;
    return true;
}

static int parse_args(int argc, char **argv, tb_options *opts)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (!value) {
            fprintf(stderr, "testbed-origins: unknown option or missing value: %s\n", arg);
            return EXIT_USAGE;
        }
        i++;
        if (strcmp(arg, "--dir") == 0) {
            opts->dir = value;
        } else if (strcmp(arg, "--host") == 0) {
            opts->host = value;
        } else if (strcmp(arg, "--manifest") == 0) {
            opts->manifest = value;
        } else if (strcmp(arg, "--count") == 0) {
            if (!parse_count(value, &opts->bulk_count)) {
                fprintf(stderr, "testbed-origins: --count wants a number from 0 to %d\n", MAX_BULK);
                return EXIT_USAGE;
            }
        } else {
            fprintf(stderr, "testbed-origins: unknown option: %s\n", arg);
            return EXIT_USAGE;
        }
    }
    if (!opts->dir) {
        usage(stderr);
        return EXIT_USAGE;
    }
    /* Targets files separate fields by whitespace and carry paths in DIR. */
    if (strpbrk(opts->dir, " \t\n")) {
        fprintf(stderr, "testbed-origins: --dir must not contain whitespace\n");
        return EXIT_USAGE;
    }
    if (strchr(opts->host, ':') || !fo_ip_text_is_loopback(opts->host)) {
        fprintf(stderr, "testbed-origins: --host must be an IPv4 loopback address (127.x.y.z)\n");
        return EXIT_USAGE;
    }
    return -1;
}

/* A thousand origins need more descriptors than the usual soft limit. */
static void raise_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

static int setup_signals(void)
{
    if (pipe(stop_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++)
        fcntl(stop_pipe[i], F_SETFD, FD_CLOEXEC);
    fcntl(stop_pipe[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGPIPE, &ignore, NULL) != 0)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    tb_options opts = {.host = "127.0.0.1"};
    int status = parse_args(argc, argv, &opts);
    if (status >= 0)
        return status;
    status = EXIT_FAILURE;
    fo_error err;
    fo_error_clear(&err);
    tb_testbed *tb = NULL;
    char manifest[4096];
    if (mkdir(opts.dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "testbed-origins: cannot create %s: %s\n", opts.dir, strerror(errno));
        goto out;
    }
    raise_fd_limit();
    if (setup_signals() != 0) {
        fprintf(stderr, "testbed-origins: cannot set up signals: %s\n", strerror(errno));
        goto out;
    }
    if (tb_testbed_new(&tb, &opts, &err) != FO_OK ||
        tb_testbed_write(tb, manifest, sizeof(manifest), &err) != FO_OK) {
        fprintf(stderr, "testbed-origins: %s\n", err.msg);
        goto out;
    }
    printf("ready %s\n", manifest);
    fflush(stdout);
    if (tb_testbed_serve(tb, stop_pipe[0], &err) != FO_OK) {
        fprintf(stderr, "testbed-origins: %s\n", err.msg);
        goto out;
    }
    status = EXIT_SUCCESS;
out:
    tb_testbed_free(tb);
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
    }
    return status;
}
