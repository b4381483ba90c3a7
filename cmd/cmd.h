/* cmd/cmd.h: what the fixorigin program's subcommands share: the exit codes (exit.c),
 * argument helpers (args.c), signals. Private to cmd/; what the applications print with is
 * fixorigin/report.h's. */
#ifndef FO_CMD_H
#define FO_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fixorigin/fo.h"
#include "fixorigin/report.h"

/* ---- exit.c: the exit codes, in one table ---- */

/* The process's exit codes: stable, automation depends on them. README.md and the man page
 * (EXIT STATUS) document them; a test holds both to this table. */
typedef enum fo_exit {
    FO_EXIT_OK = 0,
    FO_EXIT_ERROR = 1,
    FO_EXIT_PROBLEM = 2, /* probe: a problem was found; plan mode: fixes planned */
    FO_EXIT_ROLLED_BACK = 3,
    FO_EXIT_CONFLICT = 4,
    FO_EXIT_NEEDS_HUMAN = 5,
    FO_EXIT_USAGE = 64,
} fo_exit;

/* One exit code: its number, the run result that exits with it (-1: none) and what it means. */
typedef struct fo_exit_status {
    int code;
    int result;
    const char *meaning;
} fo_exit_status;

/* The exit code of a run that ended with result: what every command exits with, and the
 * fo_exit_code_fn the libraries are given for every JSON object's "exit_code". */
int fo_cmd_exit_code(fo_result result);

/* The table of exit codes, in the documentation's order (count: its length). Borrowed. */
const fo_exit_status *fo_cmd_exit_statuses(size_t *count);

/* A subcommand: argv[0] is the subcommand's name. Returns an exit code. */
typedef int (*fo_cmd_fn)(int argc, char **argv);

/* Prints "fixorigin: <message> (see 'fixorigin[ SUB] --help')" to stderr (sub NULL: the
 * main command's help) and returns FO_EXIT_USAGE. */
int fo_cmd_usage_error(const char *sub, const char *fmt, ...) FO_PRINTF(2, 3);

/* The usage error for what getopt_long returned with a ':' optstring: ':' for an option
 * missing its value, else an unknown option (named as the user wrote it). */
int fo_cmd_option_error(const char *sub, int c, char **argv);

/* The trust bundle: the --trust-bundle flag, else $FIXORIGIN_TRUST_BUNDLE, else NULL (the
 * system's). source, when not NULL, says where it came from, for messages:
 * "--trust-bundle", "FIXORIGIN_TRUST_BUNDLE" or "the system's trust store". */
const char *fo_cmd_trust_bundle(const char *flag, const char **source);

/* The options several commands take, with one meaning in each: their getopt ids (a command's
 * own ids start at FO_OPT_OWN) and what they said (NULL or false: not given). A command lists
 * in its getopt table those it takes. */
enum { FO_OPT_JSON = 256, FO_OPT_TRUST_BUNDLE, FO_OPT_TOKEN_FILE, FO_OPT_STATE_DIR, FO_OPT_OWN };
typedef struct fo_cmd_common_args {
    bool json;                /* --json */
    const char *trust_bundle; /* --trust-bundle FILE, as given (see fo_cmd_trust_bundle) */
    const char *token_file;   /* --token-file FILE */
    const char *state_dir;    /* --state-dir DIR */
} fo_cmd_common_args;
/* Keeps the value of opt, one of the FO_OPT_* above, in c; false when opt is not one. */
bool fo_cmd_common_option(fo_cmd_common_args *c, int opt, const char *arg);

/* Parses a whole decimal integer in [min, max]; false when s is not one. */
bool fo_cmd_parse_int(const char *s, long min, long max, long *out);

/* The probes to run at once: requested, or fewer when the file limit (ulimit -n, raised to
 * its hard limit at start) cannot hold that many; then, when the user asked for the number
 * (explicit), a warning naming both goes to stderr. option names the flag in the warning. */
int fo_cmd_fit_concurrency(long requested, bool explicit, const char *option);

/* ---- secrets.c: core dumps and secrets, for every command ---- */

/* Turns core dumps off (RLIMIT_CORE 0, and PR_SET_DUMPABLE 0, which also keeps other users'
 * debuggers out) and moves FASTLY_API_TOKEN, FASTLY_API_KEY, FIXORIGIN_SERVE_TOKEN and
 * SLACK_SIGNING_SECRET out of the environment block the process started with (what
 * /proc/PID/environ shows), wiping it there; getenv still finds them. main() calls it before
 * any command. FO_EXIT_OK, or FO_EXIT_ERROR with a message printed. */
int fo_cmd_protect_process(void);
/* Wipes and unsets those variables: a command calls it once it has read what it needs. */
void fo_cmd_forget_secrets(void);

/* ---- signals.c: SIGINT/SIGTERM/SIGHUP and SIGPIPE for the commands that write ---- */

/* Ignores SIGPIPE and hands SIGINT, SIGTERM and SIGHUP to a thread of their own: the first
 * asks the run to stop (fo_cmd_stop_requested), and a second one, or the end of the grace
 * ($FIXORIGIN_GRACE_S, default 20 s), cuts the run short with exit 1 after printing the
 * state line to stderr. Call before starting any thread. 0 or FO_EIO. */
int fo_cmd_signals_start(void);
/* Whether a stop was asked for (an fo_apply_stop_fn; ctx unused). */
bool fo_cmd_stop_requested(void *ctx);
/* The signal that asked to stop, 0 when none did. */
int fo_cmd_stop_signal(void);
/* Sets what a run cut short says about the state it leaves. */
void fo_cmd_signals_state(const char *fmt, ...) FO_PRINTF(1, 2);

/* The subcommands (cmd/<name>_cmd.c). */
int fo_cmd_probe(int argc, char **argv);
int fo_cmd_show(int argc, char **argv);
/* `fixorigin --service ID ...` and `fixorigin fix ...` (cmd/fix_cmd.c). */
int fo_cmd_fix(int argc, char **argv);
/* `fixorigin apply FILE`: a plan saved with --plan-out, applied if still current
 * (cmd/apply_cmd.c), by fix's run with the saved plan's options (fo_cmd_fix_saved). */
int fo_cmd_apply(int argc, char **argv);
int fo_cmd_fix_saved(const fo_saved_plan *saved, const fo_cmd_common_args *args);
/* Prints a report as indented JSON on stdout, with its result's exit code (fix_cmd.c). */
void fo_cmd_print_report(const fo_report *report);
/* `fixorigin scan` over many services, `fixorigin serve` for chat bots (cmd/scan_cmd.c,
 * cmd/serve_cmd.c). */
int fo_cmd_scan(int argc, char **argv);
int fo_cmd_serve(int argc, char **argv);

/* fixorigin show over a given API transport (NULL: libcurl), printing to out
 * and err: the seam its tests use. */
struct fo_api_transport;
int fo_cmd_show_with(int argc, char **argv, const struct fo_api_transport *transport, FILE *out,
                     FILE *err);

#endif
