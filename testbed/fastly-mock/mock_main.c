/* fastly-mock: a stand-in for the Fastly API on loopback, for tests, benchmarks and the
 * demo. See the README section "fastly-mock" for the options, the state file and the
 * --fail syntax. Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when it cannot
 * run (bad state file, port in use, state not written), 64 for a usage error. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mock.h"

#define EXIT_USAGE 64

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fastly-mock --listen 127.0.0.1:PORT --state FILE.json [options]\n"
            "       fastly-mock --example-state\n"
            "  --listen ADDR:PORT    loopback address to serve on; PORT 0 = the kernel picks\n"
            "  --state FILE          the services to serve (JSON, see README)\n"
            "  --token T[/SCOPE[/SVC,...]]  an accepted Fastly-Key (repeatable); without any,\n"
            "                        every non-empty key is a global token\n"
            "  --fail METHOD:PATH:N:ACTION  inject a fault (repeatable, see README)\n"
            "  --log FILE            append one JSON line per request (never the token)\n"
            "  --write-state FILE    write the state after every change and at exit\n"
            "  --rate-limit N[/SECONDS]  writes allowed per window (default 1000/3600)\n"
            "  --port-file FILE      write the bound port there once listening\n"
            "  --diff-keys LAYOUT    how the diff writes a list item: name-first (default, as\n"
            "                        recorded), sorted (name among the sorted keys), name-last\n"
            "  --diff-quotes STYLE   minimal (default: quoted only when needed, as recorded)\n"
            "                        or double (every string double-quoted, null as null)\n"
            "  --locked-comments     take a new comment on a locked version (Fastly's answer\n"
            "                        there is not recorded; refused with 422 by default)\n"
            "  --example-state       print a valid example state and exit\n");
}

static int write_port_file(const char *path, unsigned port)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return -1;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    int ok = fprintf(f, "%u\n", port) > 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static int add_token(fo_mock_options *opts, const char *spec)
{
    fo_error err;
    fo_mock_token token;
    if (fo_mock_token_parse(&token, spec, &err) != 0) {
        fprintf(stderr, "fastly-mock: %s\n", err.msg);
        return -1;
    }
    fo_mock_token *grown = realloc(opts->tokens, (opts->ntokens + 1) * sizeof(*grown));
    if (!grown) {
        fo_mock_token_clear(&token);
        return -1;
    }
    opts->tokens = grown;
    opts->tokens[opts->ntokens++] = token;
    return 0;
}

static int add_fault(fo_mock_options *opts, const char *spec)
{
    fo_error err;
    fo_mock_fault fault;
    if (fo_mock_fault_parse(&fault, spec, &err) != 0) {
        fprintf(stderr, "fastly-mock: --fail: %s\n", err.msg);
        return -1;
    }
    fo_mock_fault *grown = realloc(opts->faults, (opts->nfaults + 1) * sizeof(*grown));
    if (!grown) {
        fo_mock_fault_clear(&fault);
        return -1;
    }
    opts->faults = grown;
    opts->faults[opts->nfaults++] = fault;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {{"listen", required_argument, NULL, 'l'},
                                             {"state", required_argument, NULL, 's'},
                                             {"token", required_argument, NULL, 't'},
                                             {"fail", required_argument, NULL, 'f'},
                                             {"log", required_argument, NULL, 'L'},
                                             {"write-state", required_argument, NULL, 'w'},
                                             {"rate-limit", required_argument, NULL, 'r'},
                                             {"port-file", required_argument, NULL, 'p'},
                                             {"diff-keys", required_argument, NULL, 'k'},
                                             {"diff-quotes", required_argument, NULL, 'q'},
                                             {"locked-comments", no_argument, NULL, 'c'},
                                             {"example-state", no_argument, NULL, 'e'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    fo_mock_options opts = {0};
    const char *state_path = NULL, *port_file = NULL;
    fo_mock_state *state = NULL;
    fo_mock_server *server = NULL;
    fo_error err;
    int status = EXIT_USAGE, c;
    opts.rate_budget = 1000;
    opts.rate_window = 3600;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            opts.listen = optarg;
            break;
        case 's':
            state_path = optarg;
            break;
        case 't':
            if (add_token(&opts, optarg) != 0)
                goto out;
            break;
        case 'f':
            if (add_fault(&opts, optarg) != 0)
                goto out;
            break;
        case 'L':
            opts.log_path = optarg;
            break;
        case 'w':
            opts.write_state = optarg;
            break;
        case 'r':
            if (fo_mock_rate_parse(&opts.rate_budget, &opts.rate_window, optarg, &err) != 0) {
                fprintf(stderr, "fastly-mock: %s\n", err.msg);
                goto out;
            }
            break;
        case 'p':
            port_file = optarg;
            break;
        case 'k':
            if (!fo_mock_diff_keys_parse(&opts.diff_style, optarg)) {
                fprintf(stderr, "fastly-mock: --diff-keys takes name-first, sorted or name-last\n");
                goto out;
            }
            break;
        case 'q':
            if (!fo_mock_diff_quotes_parse(&opts.diff_style, optarg)) {
                fprintf(stderr, "fastly-mock: --diff-quotes takes minimal or double\n");
                goto out;
            }
            break;
        case 'c':
            opts.locked_comments = true;
            break;
        case 'e':
            fputs(fo_mock_example_state(), stdout);
            status = fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
            goto out;
        case 'h':
            usage(stdout);
            status = EXIT_SUCCESS;
            goto out;
        default:
            fprintf(stderr, "fastly-mock: unknown or incomplete option '%s'\n", argv[optind - 1]);
            usage(stderr);
            goto out;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fastly-mock: unexpected argument '%s'\n", argv[optind]);
        goto out;
    }
    if (!opts.listen || !state_path) {
        fprintf(stderr, "fastly-mock: --listen and --state are required\n");
        usage(stderr);
        goto out;
    }

    status = EXIT_FAILURE;
    if (fo_mock_state_load(&state, state_path, &err) != 0) {
        fprintf(stderr, "fastly-mock: %s\n", err.msg);
        goto out;
    }
    /* Threads started by the server inherit this mask; only sigwait sees the signals. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    int rc = fo_mock_server_start(&server, state, &opts, &err);
    state = NULL; /* the server owns it now, also after a failure */
    if (rc != 0) {
        fprintf(stderr, "fastly-mock: %s\n", err.msg);
        status = rc == FO_EINVAL ? EXIT_USAGE : EXIT_FAILURE;
        goto out;
    }
    unsigned port = fo_mock_server_port(server);
    if (port_file && write_port_file(port_file, port) != 0) {
        fprintf(stderr, "fastly-mock: cannot write the port file %s\n", port_file);
        goto out;
    }
    printf("fastly-mock: listening on port %u\n", port);
    fflush(stdout);

    int sig;
    sigwait(&stop_signals, &sig);
    status = EXIT_SUCCESS;
out:
    if (server && fo_mock_server_stop(server, &err) != 0) {
        fprintf(stderr, "fastly-mock: %s\n", err.msg);
        status = EXIT_FAILURE;
    }
    fo_mock_state_free(state);
    fo_mock_options_free(&opts);
    return status;
}
