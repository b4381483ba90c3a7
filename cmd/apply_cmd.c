/* `fixorigin apply FILE`: applies a plan saved by `fixorigin --service ID --plan-out FILE`,
 * as `terraform apply PLAN` does: only while it is still current. The file is read strictly
 * (fo_saved_plan_parse); the run is fix's own (fo_cmd_fix_saved), with the saved options, the
 * service's lock, the intent record and the fresh plan checked against the saved one. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "fixorigin/report.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: fixorigin apply FILE [options]\n"
                 "\n"
                 "Applies a plan saved by 'fixorigin --service ID --plan-out FILE' as it was\n"
                 "reviewed: it plans the service again with the options the plan was made with,\n"
                 "and applies only when the active version, the plan id and every change are\n"
                 "still the saved ones. Otherwise nothing is written, the plan as it is now is\n"
                 "shown and the exit code is 4. It does not ask: the plan was reviewed.\n"
                 "\n"
                 "  --json                      print one " FO_REPORT_SCHEMA " object\n"
                 "  --trust-bundle FILE         as for fixorigin --service\n"
                 "  --token-file FILE           as for fixorigin --service\n"
                 "  --state-dir DIR             as for fixorigin --service\n"
                 "  -h, --help                  this help\n"
                 "\n"
                 "exit: as fixorigin --service --apply; 1 also for a file that is not a saved\n"
                 "      plan (edited, damaged, or too large); 4 when the plan is stale\n");
}

static const struct option long_options[] = {
    {"json", no_argument, NULL, FO_OPT_JSON},
    {"trust-bundle", required_argument, NULL, FO_OPT_TRUST_BUNDLE},
    {"token-file", required_argument, NULL, FO_OPT_TOKEN_FILE},
    {"state-dir", required_argument, NULL, FO_OPT_STATE_DIR},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parses the arguments into a and *path. Returns FO_EXIT_OK to go on (*path still NULL after
 * printing --help), else the exit code of a usage error it has printed. */
static int parse_args(fo_cmd_common_args *a, const char **path, int argc, char **argv)
{
    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
        switch (opt) {
        case 'h':
            usage(stdout);
            return FO_EXIT_OK;
        default:
            if (!fo_cmd_common_option(a, opt, optarg))
                return fo_cmd_option_error("apply", opt, argv);
        }
    }
    if (optind >= argc)
        return fo_cmd_usage_error("apply", "apply takes the saved plan's file");
    if (optind + 1 < argc)
        return fo_cmd_usage_error("apply", "unexpected argument '%s'", argv[optind + 1]);
    *path = argv[optind];
    return FO_EXIT_OK;
}

int fo_cmd_apply(int argc, char **argv)
{
    fo_cmd_common_args a;
    const char *path = NULL;
    fo_error e;
    char *text = NULL;
    fo_saved_plan *saved = NULL;
    int code = parse_args(&a, &path, argc, argv);
    if (code != FO_EXIT_OK || !path)
        return code;
    bool read = fo_read_file(&text, path, FO_SAVED_PLAN_MAX_BYTES, &e) == 0;
    if (!read || fo_saved_plan_parse(&saved, text, strlen(text), &e) != 0) {
        /* fo_read_file's messages name the file already; the parser's do not. */
        char msg[sizeof(e.msg) + 200];
        if (read)
            snprintf(msg, sizeof(msg), "%.190s: %s", fo_input_name(path), e.msg);
        else
            snprintf(msg, sizeof(msg), "%s", e.msg);
        fo_report_errorf("%s; nothing was written", msg);
        if (a.json) { /* the report says why, with no service */
            fo_report report = {.result = FO_RESULT_ERROR, .error = msg, .apply_mode = true};
            fo_cmd_print_report(&report);
        }
        code = FO_EXIT_ERROR;
        goto out;
    }
    code = fo_cmd_fix_saved(saved, &a);
out:
    fo_saved_plan_free(saved);
    free(text);
    return code;
}
