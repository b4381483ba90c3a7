/* cmd/cmd.h: what the fixorigin program's subcommands share: exit codes, output
 * helpers. Only cmd/ prints. */
#ifndef FO_CMD_H
#define FO_CMD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "fo.h"

/* Exit codes: documented in README.md and stable; automation depends on them. */
enum {
    FO_EXIT_OK = 0,      /* nothing wrong, or applied and verified */
    FO_EXIT_ERROR = 1,   /* could not run; nothing activated */
    FO_EXIT_PROBLEM = 2, /* a problem was found (probe) / fixes planned (plan mode) */
    FO_EXIT_ROLLED_BACK = 3,
    FO_EXIT_CONFLICT = 4, /* the service changed under us; safe to retry */
    FO_EXIT_NEEDS_HUMAN = 5,
    FO_EXIT_USAGE = 64,
};

/* A subcommand: argv[0] is the subcommand's name. Returns an exit code. */
typedef int (*fo_cmd_fn)(int argc, char **argv);

/* True when colour should be used on this stream (a terminal, and NO_COLOR unset). */
bool fo_cmd_use_color(FILE *stream);

/* Prints s (NULL prints nothing) with every control character (C0, DEL, C1 whether UTF-8
 * encoded or a lone byte) and every byte that is not UTF-8 as '?': text from an origin or
 * the API must not drive the terminal. Valid UTF-8 text is printed as it is. */
void fo_cmd_put_clean(FILE *out, const char *s);

/* Prints "fixorigin: <message>" to stderr. */
void fo_cmd_errorf(const char *fmt, ...) FO_PRINTF(1, 2);

/* Prints "fixorigin: <message> (see 'fixorigin[ SUB] --help')" to stderr (sub NULL: the
 * main command's help) and returns FO_EXIT_USAGE. */
int fo_cmd_usage_error(const char *sub, const char *fmt, ...) FO_PRINTF(2, 3);

/* The usage error for what getopt_long returned with a ':' optstring: ':' for an option
 * missing its value, else an unknown option (named as the user wrote it). */
int fo_cmd_option_error(const char *sub, int c, char **argv);

/* The trust bundle: the --trust-bundle flag, else $FIXORIGIN_TRUST_BUNDLE, else NULL (the
 * system's). */
const char *fo_cmd_trust_bundle(const char *flag);

/* A JSON string of s, or when s is not UTF-8 (certificate fields need not be) of s with every
 * byte above 0x7f as '?'; null for NULL. NULL when out of memory. */
json_t *fo_cmd_json_string(const char *s);

/* Parses a whole decimal integer in [min, max]; false when s is not one. */
bool fo_cmd_parse_int(const char *s, long min, long max, long *out);

/* The probes to run at once: requested, or fewer when the file limit (ulimit -n, raised to
 * its hard limit at start) cannot hold that many; then, when the user asked for the number
 * (explicit), a warning naming both goes to stderr. option names the flag in the warning. */
int fo_cmd_fit_concurrency(long requested, bool explicit, const char *option);

/* The subcommands (cmd/<name>_cmd.c). */
int fo_cmd_probe(int argc, char **argv);
int fo_cmd_show(int argc, char **argv);
/* `fixorigin --service ID ...` and `fixorigin fix ...` (cmd/fix_cmd.c). */
int fo_cmd_fix(int argc, char **argv);
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
