/* The fixorigin program: dispatches to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"

struct subcommand {
    const char *name;
    fo_cmd_fn run;
    const char *summary;
};

/* Each subcommand lives in cmd/<name>_cmd.c. */
static const struct subcommand subcommands[] = {
    {"probe", fo_cmd_probe, "name the error Fastly would report for an origin"},
    {"show", fo_cmd_show, "print a service's versions and backends' TLS settings"},
    {"fix", fo_cmd_fix, "plan, prove and --apply the fix (also: fixorigin --service ID)"},
    {"apply", fo_cmd_apply, "apply a plan saved with --plan-out, if still current"},
    {"scan", fo_cmd_scan, "plan (and --apply --only-safe) many services: schedulers"},
    {"serve", fo_cmd_serve, "an HTTP backend for chat bots: JSON API and Slack command"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: fixorigin --service ID [--apply] [options]   (see fixorigin fix --help)\n"
                 "       fixorigin <command> [options]\n"
                 "\n"
                 "Finds out why Fastly cannot reach an origin over TLS and fixes the service.\n"
                 "\n"
                 "commands:\n");
    for (const struct subcommand *c = subcommands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\n"
                 "Three ways to use it: at a terminal (fixorigin --service ID), from a scheduler\n"
                 "(fixorigin scan), and behind a chat bot (fixorigin serve).\n"
                 "\n"
                 "  fixorigin <command> --help   describes a command (also: fixorigin help CMD)\n"
                 "  fixorigin --version          prints the version\n"
                 "  man fixorigin                the manual, with exit codes and environment\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return FO_EXIT_USAGE;
    }
    const char *name = argv[1];
    /* `fixorigin help scan` is `fixorigin scan --help`. */
    if (strcmp(name, "help") == 0 && argc == 3) {
        char help[] = "--help";
        char *args[] = {argv[2], help, NULL};
        for (const struct subcommand *c = subcommands; c->name; c++) {
            if (strcmp(argv[2], c->name) == 0)
                return c->run(2, args);
        }
        fo_report_errorf("unknown command '%s' (see 'fixorigin --help')", argv[2]);
        return FO_EXIT_USAGE;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        usage(stdout);
        return FO_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("fixorigin %s\n", FO_VERSION);
        return FO_EXIT_OK;
    }
    /* Every command may hold the Fastly token: no core dump, and not in /proc/PID/environ.
     * After --help and --version, which hold nothing and must answer in any sandbox. */
    int code = fo_cmd_protect_process();
    if (code != FO_EXIT_OK)
        return code;
    /* Every command may wait on many origins at once: one descriptor each. */
    (void)fo_fd_limit_raise();
    for (const struct subcommand *c = subcommands; c->name; c++) {
        if (strcmp(name, c->name) == 0)
            return c->run(argc - 1, argv + 1);
    }
    /* The main command has no word of its own: `fixorigin --service ID [--apply]`. */
    if (name[0] == '-')
        return fo_cmd_fix(argc, argv);
    fo_report_errorf("unknown command '%s' (see 'fixorigin --help')", name);
    return FO_EXIT_USAGE;
}
