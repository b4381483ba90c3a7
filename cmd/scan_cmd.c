/* `fixorigin scan`: the remediation over many services, for schedulers. Services come from
 * --service, --services-file and --all, then --shard; --concurrency workers each own an API
 * client (a fo_api is not thread-safe) and share one prober. With --apply --only-safe each
 * service is worked on under its lock, only safe fixes are written, at most --max-apply
 * services are changed, and no apply starts that the API write budget cannot finish. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "fixorigin/scan.h"

enum {
    DEFAULT_CONCURRENCY = 4,
    OPT_ALL = FO_OPT_OWN,
    OPT_SERVICE,
    OPT_SERVICES_FILE,
    OPT_SHARD,
    OPT_FORMAT,
    OPT_CONCURRENCY,
    OPT_PROBE_CONCURRENCY,
    OPT_APPLY,
    OPT_ONLY_SAFE,
    OPT_YES,
    OPT_MAX_APPLY,
    OPT_ACTIVATE,
    OPT_ACK,
    OPT_INCLUDE_TERRAFORM,
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fixorigin scan (--all | --service ID... | --services-file FILE) [options]\n"
            "\n"
            "Diagnoses and plans every selected service as `fixorigin --service ID` does,\n"
            "several at once; with --apply --only-safe writes their safe fixes.\n"
            "\n"
            "services (together: each service once):\n"
            "  --all                  every service the token can see\n"
            "  --service ID           this service (repeatable)\n"
            "  --services-file FILE   one service id a line ('#' comments)\n"
            "  --shard I/N            only the services of shard I of N (1 <= I <= N), by a\n"
            "                         hash of the service id: runs on N machines split a\n"
            "                         fleet\n"
            "output:\n"
            "  --format text|json|ndjson\n"
            "                         text (default); json: one object at the end; ndjson:\n"
            "                         one " FO_REPORT_SCHEMA " object a line as each service\n"
            "                         finishes, then a summary line\n"
            "  --concurrency N        services read, planned and applied at once: API work\n"
            "                         (default 4, at most 64)\n"
            "  --probe-concurrency N  backends of the whole fleet probed at once, in one pool\n"
            "                         (1-1024; default 512, fewer when the file limit says)\n"
            "  --ack FILE             known problems: reported, but left out of the exit code\n"
            "                         until they expire (lines: SERVICE BACKEND CLASS EXPIRES\n"
            "                         REASON; see docs/unattended.md)\n"
            "apply:\n"
            "  --apply --only-safe    write the fixes the plan calls safe, never one that\n"
            "                         needs consent or downgrades TLS\n"
            "  --yes                  do not ask (needed when stdin is not a terminal)\n"
            "  --max-apply N          change at most N services in this run\n"
            "  --include-terraform    also apply to services Terraform probably manages\n"
            "                         (comment \"Managed by Terraform\"); without it they are\n"
            "                         planned, skipped, and reported with the reason\n"
            "  --activate=auto|none   none: stop at validated drafts\n"
            "  --state-dir DIR        per-service locks (default $XDG_STATE_HOME/fixorigin,\n"
            "                         else ~/.local/state/fixorigin)\n"
            "other options:\n"
            "  --trust-bundle FILE    CAs standing for Fastly's trust store (env\n"
            "                         FIXORIGIN_TRUST_BUNDLE; default: the system's)\n"
            "  --token-file FILE      the API token's file (default: $FASTLY_API_TOKEN)\n"
            "  -h, --help             this help\n"
            "\n"
            "exit: the most severe of the services, in the order 1 > 3 > 5 > 4 > 2 > 0:\n"
            "      0 nothing to fix, or applied and verified; 1 error; 2 fixes planned;\n"
            "      3 rolled back; 4 conflict or locked by another run (retry);\n"
            "      5 needs a person; 64 usage\n");
}

static const struct option long_options[] = {
    {"all", no_argument, NULL, OPT_ALL},
    {"service", required_argument, NULL, OPT_SERVICE},
    {"services-file", required_argument, NULL, OPT_SERVICES_FILE},
    {"shard", required_argument, NULL, OPT_SHARD},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
    {"probe-concurrency", required_argument, NULL, OPT_PROBE_CONCURRENCY},
    {"apply", no_argument, NULL, OPT_APPLY},
    {"only-safe", no_argument, NULL, OPT_ONLY_SAFE},
    {"yes", no_argument, NULL, OPT_YES},
    {"max-apply", required_argument, NULL, OPT_MAX_APPLY},
    {"activate", required_argument, NULL, OPT_ACTIVATE},
    {"state-dir", required_argument, NULL, FO_OPT_STATE_DIR},
    {"trust-bundle", required_argument, NULL, FO_OPT_TRUST_BUNDLE},
    {"token-file", required_argument, NULL, FO_OPT_TOKEN_FILE},
    {"ack", required_argument, NULL, OPT_ACK},
    {"include-terraform", no_argument, NULL, OPT_INCLUDE_TERRAFORM},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

#define usage_error(...) fo_cmd_usage_error("scan", __VA_ARGS__)

typedef struct scan_args {
    fo_scan_options opts;
    bool all;
    const char *services_file;
    const char *shard_text;
    fo_cmd_common_args common; /* --state-dir, --trust-bundle, --token-file */
    const char *ack_file;
    bool help; /* --help was printed: nothing more to do */
} scan_args;

/* Parses the arguments into a. Returns FO_EXIT_OK to go on (or, with a->help, after printing
 * the help), else the exit code of a usage error it has printed. */
static int parse_args(scan_args *a, fo_scan_list *cli_ids, int argc, char **argv)
{
    long n = 0;
    int opt;
    fo_scan_options *o = &a->opts;
    o->format = FO_SCAN_TEXT;
    o->concurrency = DEFAULT_CONCURRENCY;
    o->exit_code = fo_cmd_exit_code;
    o->max_apply = -1;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            a->help = true;
            return FO_EXIT_OK;
        case OPT_ALL:
            a->all = true;
            break;
        case OPT_SERVICE:
            if (!fo_api_service_id_valid(optarg))
                return usage_error("--service '%s' is not a service id", optarg);
            if (fo_scan_list_add(cli_ids, optarg, strlen(optarg)) != 0)
                return usage_error("out of memory");
            break;
        case OPT_SERVICES_FILE:
            a->services_file = optarg;
            break;
        case OPT_SHARD:
            a->shard_text = optarg;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                o->format = FO_SCAN_TEXT;
            else if (strcmp(optarg, "json") == 0)
                o->format = FO_SCAN_JSON;
            else if (strcmp(optarg, "ndjson") == 0)
                o->format = FO_SCAN_NDJSON;
            else
                return usage_error("--format takes text, json or ndjson, not '%s'", optarg);
            break;
        case OPT_CONCURRENCY:
            if (!fo_cmd_parse_int(optarg, 1, 64, &n))
                return usage_error("--concurrency takes 1 to 64, not '%s'", optarg);
            o->concurrency = (int)n;
            break;
        case OPT_PROBE_CONCURRENCY:
            if (!fo_cmd_parse_int(optarg, 1, FO_PROBE_MAX_CONCURRENCY, &n))
                return usage_error("--probe-concurrency takes 1 to %d, not '%s'",
                                   FO_PROBE_MAX_CONCURRENCY, optarg);
            o->probe_concurrency = fo_cmd_fit_concurrency(n, true, "--probe-concurrency");
            break;
        case OPT_APPLY:
            o->apply = true;
            break;
        case OPT_ONLY_SAFE:
            o->only_safe = true;
            break;
        case OPT_YES:
            o->yes = true;
            break;
        case OPT_MAX_APPLY:
            if (!fo_cmd_parse_int(optarg, 0, 1000000, &n))
                return usage_error("--max-apply takes a number of services, not '%s'", optarg);
            o->max_apply = n;
            break;
        case OPT_ACTIVATE:
            if (!fo_activate_mode_parse(optarg, &o->activate))
                return usage_error("--activate takes auto or none, not '%s'", optarg);
            break;
        case OPT_ACK:
            a->ack_file = optarg;
            break;
        case OPT_INCLUDE_TERRAFORM:
            o->include_terraform = true;
            break;
        default:
            if (!fo_cmd_common_option(&a->common, opt, optarg))
                return fo_cmd_option_error("scan", opt, argv);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    if (!a->all && !a->services_file && cli_ids->count == 0)
        return usage_error("which services? --all, --service ID or --services-file FILE");
    if (o->apply && !o->only_safe)
        return usage_error("scan writes only safe fixes: say so with --apply --only-safe (for "
                           "a fix that needs consent, use fixorigin --service ID)");
    if (!o->apply && (o->only_safe || o->yes || o->max_apply >= 0 || o->include_terraform))
        return usage_error("--only-safe, --yes, --max-apply and --include-terraform go with "
                           "--apply");
    if (o->apply && !o->yes && isatty(STDIN_FILENO) != 1)
        return usage_error("--apply needs --yes when stdin is not a terminal; nothing was "
                           "written");
    o->trust_bundle = fo_cmd_trust_bundle(a->common.trust_bundle, NULL);
    return FO_EXIT_OK;
}

/* Every service the token can see, appended to list (one paginated read). */
static int list_all(fo_scan_list *list, const fo_api_config *cfg, fo_api_stats *spent,
                    fo_error *err)
{
    fo_api *api = NULL;
    fo_service_list *services = NULL;
    int rc = fo_api_new(&api, cfg, err);
    if (rc == 0)
        rc = fo_api_service_list(api, &services, err);
    for (size_t i = 0; rc == 0 && i < services->count; i++) {
        const char *id = services->items[i].id;
        if (id && fo_api_service_id_valid(id) && fo_scan_list_add(list, id, strlen(id)) != 0)
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    if (api)
        fo_api_get_stats(api, spent);
    fo_service_list_free(services);
    fo_api_free(api);
    return rc;
}

int fo_cmd_scan(int argc, char **argv)
{
    scan_args a;
    fo_scan_list ids = {0};
    fo_api_config cfg;
    fo_error err;
    char *token = NULL;
    fo_scan_shard shard = {0, 0};
    fo_scan_acks acks = {0};
    double began = fo_now_ms();
    memset(&a, 0, sizeof(a));
    fo_error_clear(&err);
    int code = parse_args(&a, &ids, argc, argv);
    if (code != FO_EXIT_OK || a.help)
        goto out;
    if (fo_cmd_signals_start() != 0) {
        fo_report_errorf("cannot set up signal handling");
        code = FO_EXIT_ERROR;
        goto out;
    }
    code = FO_EXIT_USAGE;
    if (a.shard_text && fo_scan_shard_parse(&shard, a.shard_text, &err) != 0) {
        usage_error("%s", err.msg);
        goto out;
    }
    fo_api_config_init(&cfg);
    if (fo_api_config_from_env(&cfg, &token, a.common.token_file, &err) != 0 ||
        (a.opts.apply && (fo_scan_state_dir(a.opts.state_dir, sizeof(a.opts.state_dir),
                                            a.common.state_dir, &err) != 0 ||
                          fo_scan_state_dir_ready(a.opts.state_dir, &err) != 0))) {
        fo_report_errorf("%s", err.msg);
        code = err.code == FO_EINVAL ? FO_EXIT_USAGE : FO_EXIT_ERROR;
        goto out;
    }
    fo_cmd_forget_secrets(); /* read and copied */
    code = FO_EXIT_ERROR;
    if ((a.services_file && fo_scan_list_load(&ids, a.services_file, &err) != 0) ||
        (a.ack_file && fo_scan_acks_load(&acks, a.ack_file, &err) != 0)) {
        fo_report_errorf("%s", err.msg);
        goto out;
    }
    a.opts.acks = a.ack_file ? &acks : NULL;
    a.opts.now = (long long)time(NULL);
    if (a.all && list_all(&ids, &cfg, &a.opts.listing, &err) != 0) {
        char message[sizeof(err.msg) + 48];
        snprintf(message, sizeof(message), "the service listing (--all) failed: %s", err.msg);
        fo_report_errorf("--all: %s", err.msg);
        code = fo_cmd_exit_code(fo_scan_fail(&a.opts, message, fo_now_ms() - began));
        goto out;
    }
    a.opts.selected = ids.count;
    fo_scan_list_shard(&ids, &shard);
    a.opts.shard = shard;
    a.opts.api = &cfg;
    a.opts.stop = fo_cmd_stop_requested;
    if (a.opts.apply)
        fo_cmd_signals_state("an apply under way may leave a draft active and unverified: its "
                             "record in %s/intents names it, and the next scan finishes it",
                             a.opts.state_dir);
    code = fo_cmd_exit_code(fo_scan_run(&a.opts, (const char *const *)ids.ids, ids.count));
out:
    fo_scan_acks_clear(&acks);
    fo_scan_list_clear(&ids);
    fo_secret_free(token);
    return code;
}
