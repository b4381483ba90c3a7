/* `fixorigin serve`: the HTTP backend of chat bots and other programs. Reads its settings
 * (flags; secrets only from the environment), starts the HTTP server and the Slack workers,
 * prints the address it listens on, and runs until SIGTERM or SIGINT, then stops accepting,
 * lets what is in progress finish and exits 0. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fixorigin/serve.h"

enum {
    OPT_LISTEN = FO_OPT_OWN,
    OPT_MAX_BODY,
    OPT_WORKERS,
    OPT_MAX_PER_IP,
    OPT_CONCURRENCY,
    OPT_GRACE,
    OPT_ALLOW_HTTP_REPLY,
    OPT_INCLUDE_TERRAFORM,
    OPT_RECEIVE_TIMEOUT,
    OPT_MAX_RECEIVING,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fixorigin serve [--listen ADDRESS:PORT] [options]\n"
            "\n"
            "An HTTP backend for chat bots and other programs: a JSON API and a Slack slash\n"
            "command that diagnose, plan and apply fixes for a service.\n"
            "\n"
            "  POST /v1/diagnose {\"service_id\"}            each backend's diagnosis\n"
            "  POST /v1/plan {\"service_id\"}                the report and its plan_id\n"
            "  POST /v1/apply {\"service_id\",\"plan_id\"}     applies when the plan is current,\n"
            "                                              else 409 with the new plan; the\n"
            "                                              plan id's first 12 digits will do\n"
            "  POST /slack/command                         diagnose|plan|apply, signed by\n"
            "                                              Slack\n"
            "  POST /slack/interactive                     a plan's Approve/Cancel buttons\n"
            "  GET  /healthz\n"
            "\n"
            "options:\n"
            "  --listen ADDRESS:PORT   where to listen (default " FO_SERVE_DEFAULT_LISTEN ", or\n"
            "                          $FIXORIGIN_LISTEN; port 0: the kernel picks one)\n"
            "  --max-body BYTES        largest request body (default 65536)\n"
            "  --max-per-ip N          connections from one address at once (default 32;\n"
            "                          0: no limit, e.g. behind a proxy that buffers\n"
            "                          requests)\n"
            "  --receive-timeout SECONDS  a request's headers and body must arrive within\n"
            "                          this (default 10), else the connection is closed\n"
            "  --max-receiving N       connections sending a request at once (default 128,\n"
            "                          at most 192); past it the slowest sender is closed\n"
            "  --workers N             Slack commands worked on at once (default 4)\n"
            "  --concurrency N         backends of a service probed at once (default 8)\n"
            "  --grace SECONDS         on SIGTERM, time for requests in progress (default 60)\n"
            "  --trust-bundle FILE     CAs standing for Fastly's trust store (env\n"
            "                          FIXORIGIN_TRUST_BUNDLE; default: the system's)\n"
            "  --state-dir DIR         per-service locks shared with scan (default\n"
            "                          $XDG_STATE_HOME/fixorigin, else\n"
            "                          ~/.local/state/fixorigin)\n"
            "  --token-file FILE       the Fastly API token's file (default:\n"
            "                          FASTLY_API_TOKEN)\n"
            "  --allow-http-response-url  let FIXORIGIN_RESPONSE_URL_ALLOW name plain-http\n"
            "                          prefixes (a local relay; replies then travel\n"
            "                          unencrypted)\n"
            "  --include-terraform     apply to services Terraform probably manages too\n"
            "                          (comment \"Managed by Terraform\"); else refused (409)\n"
            "  -h, --help              this help\n"
            "\n"
            "environment (secrets are never flags):\n"
            "  FIXORIGIN_SERVE_TOKEN          bearer token of the JSON API (16+ characters;\n"
            "                                 unset: the JSON API answers 401)\n"
            "  SLACK_SIGNING_SECRET           Slack app's signing secret (16+ characters;\n"
            "                                 unset: Slack is off)\n"
            "  FIXORIGIN_APPLY_USERS          Slack user ids that may apply, comma-separated\n"
            "  FIXORIGIN_RESPONSE_URL_ALLOW   reply-URL prefixes allowed besides\n"
            "                                 " FO_SLACK_RESPONSE_PREFIX " (https only, unless\n"
            "                                 --allow-http-response-url)\n"
            "  FASTLY_API_TOKEN, FASTLY_API_ENDPOINT   as for every command\n"
            "\n"
            "exit: 0 stopped by SIGTERM/SIGINT, 1 cannot start, 64 usage error\n");
}

static const struct option long_options[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"workers", required_argument, NULL, OPT_WORKERS},
    {"max-per-ip", required_argument, NULL, OPT_MAX_PER_IP},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"grace", required_argument, NULL, OPT_GRACE},
    {"trust-bundle", required_argument, NULL, FO_OPT_TRUST_BUNDLE},
    {"token-file", required_argument, NULL, FO_OPT_TOKEN_FILE},
    {"state-dir", required_argument, NULL, FO_OPT_STATE_DIR},
    {"allow-http-response-url", no_argument, NULL, OPT_ALLOW_HTTP_REPLY},
    {"include-terraform", no_argument, NULL, OPT_INCLUDE_TERRAFORM},
    {"receive-timeout", required_argument, NULL, OPT_RECEIVE_TIMEOUT},
    {"max-receiving", required_argument, NULL, OPT_MAX_RECEIVING},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static bool number_option(long *out, const char *name, long min, long max)
{
    if (fo_cmd_parse_int(optarg, min, max, out))
        return true;
    fo_report_errorf("%s takes a number from %ld to %ld, not '%s'", name, min, max, optarg);
    return false;
}

/* What serve's flags say: its configuration (cfg points into the server) and the state
 * directory. */
typedef struct serve_args {
    fo_serve_config *cfg;
    fo_cmd_common_args common; /* --trust-bundle, --token-file, --state-dir */
    bool help;                 /* --help was printed: nothing more to do */
} serve_args;

/* Flags into a. Returns FO_EXIT_OK to go on (or, with a->help, after printing the help),
 * else the exit code of a usage error it has printed. */
static int parse_args(serve_args *a, int argc, char **argv)
{
    fo_serve_config *cfg = a->cfg;
    long n = 0;
    int c;
    const char *env_listen = getenv("FIXORIGIN_LISTEN");
    cfg->listen = fo_str_empty(env_listen) ? FO_SERVE_DEFAULT_LISTEN : env_listen;
    cfg->max_body = FO_SERVE_DEFAULT_MAX_BODY;
    cfg->max_per_ip = 32;
    cfg->workers = FO_SERVE_DEFAULT_WORKERS;
    cfg->backend_concurrency = 8;
    cfg->grace_ms = 60000;
    cfg->receive_ms = FO_SERVE_DEFAULT_RECEIVE_S * 1000L;
    cfg->max_receiving = FO_SERVE_DEFAULT_RECEIVING;
    cfg->exit_code = fo_cmd_exit_code;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (c) {
        case OPT_LISTEN:
            cfg->listen = optarg;
            break;
        case OPT_MAX_BODY:
            if (!number_option(&n, "--max-body", 1024, 16L * 1024 * 1024))
                return FO_EXIT_USAGE;
            cfg->max_body = (size_t)n;
            break;
        case OPT_MAX_PER_IP:
            if (!number_option(&n, "--max-per-ip", 0, 256))
                return FO_EXIT_USAGE;
            cfg->max_per_ip = (unsigned)n;
            break;
        case OPT_WORKERS:
            if (!number_option(&n, "--workers", 1, 64))
                return FO_EXIT_USAGE;
            cfg->workers = (int)n;
            break;
        case OPT_CONCURRENCY:
            if (!number_option(&n, "--concurrency", 1, 64))
                return FO_EXIT_USAGE;
            cfg->backend_concurrency = (int)n;
            break;
        case OPT_GRACE:
            if (!number_option(&n, "--grace", 0, 3600))
                return FO_EXIT_USAGE;
            cfg->grace_ms = n * 1000;
            break;
        case OPT_ALLOW_HTTP_REPLY:
            cfg->allow_http_reply = true;
            break;
        case OPT_INCLUDE_TERRAFORM:
            cfg->include_terraform = true;
            break;
        case OPT_RECEIVE_TIMEOUT:
            if (!number_option(&n, "--receive-timeout", 1, 600))
                return FO_EXIT_USAGE;
            cfg->receive_ms = n * 1000;
            break;
        case OPT_MAX_RECEIVING:
            if (!number_option(&n, "--max-receiving", 1, FO_SERVE_MAX_RECEIVING))
                return FO_EXIT_USAGE;
            cfg->max_receiving = (unsigned)n;
            break;
        case 'h':
            usage(stdout);
            a->help = true;
            return FO_EXIT_OK;
        default:
            if (!fo_cmd_common_option(&a->common, c, optarg))
                return fo_cmd_option_error("serve", c, argv);
        }
    }
    if (optind < argc)
        return fo_cmd_usage_error("serve", "unexpected argument '%s'", argv[optind]);
    cfg->trust_bundle = fo_cmd_trust_bundle(a->common.trust_bundle, NULL);
    cfg->token_file = a->common.token_file;
    return FO_EXIT_OK;
}

/* The secrets and lists of the environment. Returns FO_EXIT_OK, else the exit code of the
 * problem it has printed. */
static int read_environment(fo_serve_config *cfg)
{
    const char *token = getenv("FIXORIGIN_SERVE_TOKEN");
    const char *secret = getenv("SLACK_SIGNING_SECRET");
    if (!fo_str_empty(token) && strlen(token) < FO_SERVE_MIN_SECRET) {
        fo_report_errorf("FIXORIGIN_SERVE_TOKEN is too short: use at least %d random characters",
                         FO_SERVE_MIN_SECRET);
        return FO_EXIT_USAGE;
    }
    /* Slack's secrets are 32 hex digits; a short one is a mistake or a guess away. */
    if (!fo_str_empty(secret) && strlen(secret) < FO_SERVE_MIN_SECRET) {
        fo_report_errorf("SLACK_SIGNING_SECRET is too short (under %d characters): copy the "
                         "signing secret from the Slack app's Basic Information page",
                         FO_SERVE_MIN_SECRET);
        return FO_EXIT_USAGE;
    }
    if (fo_str_empty(token) && fo_str_empty(secret)) {
        fo_report_errorf("nothing to serve: set FIXORIGIN_SERVE_TOKEN (JSON API) and/or "
                         "SLACK_SIGNING_SECRET (Slack)");
        return FO_EXIT_USAGE;
    }
    if ((!fo_str_empty(token) && !(cfg->serve_token = fo_strdup(token))) ||
        (!fo_str_empty(secret) && !(cfg->slack_secret = fo_strdup(secret))) ||
        fo_serve_list_parse(&cfg->apply_users, &cfg->apply_user_count,
                            getenv("FIXORIGIN_APPLY_USERS")) != 0 ||
        fo_serve_list_parse(&cfg->url_allow, &cfg->url_allow_count,
                            getenv("FIXORIGIN_RESPONSE_URL_ALLOW")) != 0) {
        fo_report_errorf("out of memory");
        return FO_EXIT_ERROR;
    }
    for (size_t i = 0; i < cfg->url_allow_count; i++) {
        if (!fo_serve_prefix_valid(cfg->url_allow[i])) {
            fo_report_errorf("FIXORIGIN_RESPONSE_URL_ALLOW: '%s' must be http(s)://HOST[:PORT]/... "
                             "(a whole host, ending in '/')",
                             cfg->url_allow[i]);
            return FO_EXIT_USAGE;
        }
        /* A reply carries the plan and who asked: not over plain http unless told so. */
        if (strncmp(cfg->url_allow[i], "http://", 7) == 0 && !cfg->allow_http_reply) {
            fo_report_errorf("FIXORIGIN_RESPONSE_URL_ALLOW: '%s' is plain http: replies would "
                             "travel unencrypted; use https, or pass --allow-http-response-url "
                             "(a relay on this machine)",
                             cfg->url_allow[i]);
            return FO_EXIT_USAGE;
        }
    }
    return FO_EXIT_OK;
}

static void config_clear(fo_serve_config *cfg)
{
    fo_secret_free(cfg->serve_token);
    fo_secret_free(cfg->slack_secret);
    fo_serve_list_free(cfg->apply_users, cfg->apply_user_count);
    fo_serve_list_free(cfg->url_allow, cfg->url_allow_count);
}

int fo_cmd_serve(int argc, char **argv)
{
    fo_serve srv;
    fo_serve_http *http = NULL;
    fo_error err;
    const char *state_dir = NULL;
    sigset_t stop_signals;
    int signal_number = 0;
    memset(&srv, 0, sizeof(srv));
    fo_error_clear(&err);
    serve_args args = {.cfg = &srv.cfg};
    int exit_code = parse_args(&args, argc, argv);
    if (exit_code != FO_EXIT_OK || args.help ||
        (exit_code = read_environment(&srv.cfg)) != FO_EXIT_OK)
        goto out;
    state_dir = args.common.state_dir;
    exit_code = FO_EXIT_USAGE;
    fo_api_config_init(&srv.api);
    if (fo_api_config_from_env(&srv.api, &srv.fastly_token, srv.cfg.token_file, &err) != 0 ||
        fo_scan_state_dir(srv.state_dir, sizeof(srv.state_dir), state_dir, &err) != 0 ||
        fo_scan_state_dir_ready(srv.state_dir, &err) != 0) {
        fo_report_errorf("%s", err.msg);
        exit_code = err.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR;
        goto out;
    }
    /* Read and copied: from here on the secrets live only in memory we wipe (serve runs for
     * weeks; core dumps are off since main). */
    fo_cmd_forget_secrets();
    exit_code = FO_EXIT_ERROR;
    if (fo_prober_new(&srv.prober, srv.cfg.trust_bundle, &err) != 0) {
        fo_report_errorf("%s", err.msg);
        goto out;
    }
    if (fo_serve_plans_new(&srv.plans) != 0) {
        fo_report_errorf("out of memory");
        goto out;
    }
    /* Every thread started from here on inherits the blocked signals: only sigwait below
     * sees them. A client that goes away must not kill the server with SIGPIPE. */
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (fo_serve_slack_start(&srv.slack, &srv, srv.cfg.workers, &err) != 0 ||
        fo_serve_http_start(&http, srv.cfg.listen, srv.cfg.max_body, srv.cfg.max_per_ip,
                            srv.cfg.receive_ms, srv.cfg.max_receiving, fo_serve_route, &srv,
                            &err) != 0) {
        fo_report_errorf("%s", err.msg);
        exit_code = err.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR;
        goto out;
    }
    const char *colon = strrchr(srv.cfg.listen, ':');
    printf("fixorigin serve: listening on http://%.*s:%u\n", (int)(colon - srv.cfg.listen),
           srv.cfg.listen, fo_serve_http_port(http));
    fflush(stdout);
    fprintf(stderr, "fixorigin serve: JSON API %s, Slack %s, %zu user(s) may apply\n",
            srv.cfg.serve_token ? "on" : "off", srv.cfg.slack_secret ? "on" : "off",
            srv.cfg.apply_user_count);
    sigwait(&stop_signals, &signal_number);
    fprintf(stderr, "fixorigin serve: %s: finishing requests in progress\n",
            signal_number == SIGINT ? "SIGINT" : "SIGTERM");
    exit_code = FO_EXIT_OK;
out:
    fo_serve_http_stop(http, srv.cfg.grace_ms);
    fo_serve_slack_stop(srv.slack);
    fo_prober_free(srv.prober);
    fo_serve_plans_free(srv.plans);
    fo_secret_free(srv.fastly_token);
    config_clear(&srv.cfg);
    return exit_code;
}
