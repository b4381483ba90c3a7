/* cmd/args.c: the argument helpers the subcommands share. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

bool fo_cmd_parse_int(const char *s, long min, long max, long *out)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    errno = 0;
    long value = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max)
        return false;
    *out = value;
    return true;
}

bool fo_cmd_common_option(fo_cmd_common_args *c, int opt, const char *arg)
{
    switch (opt) {
    case FO_OPT_JSON:
        c->json = true;
        return true;
    case FO_OPT_TRUST_BUNDLE:
        c->trust_bundle = arg;
        return true;
    case FO_OPT_TOKEN_FILE:
        c->token_file = arg;
        return true;
    case FO_OPT_STATE_DIR:
        c->state_dir = arg;
        return true;
    default:
        return false;
    }
}

FO_PRINTF(2, 0) static void vusage_error(const char *sub, const char *fmt, va_list ap)
{
    fputs("fixorigin: ", stderr);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (see 'fixorigin%s%s --help')\n", sub ? " " : "", sub ? sub : "");
}

int fo_cmd_usage_error(const char *sub, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vusage_error(sub, fmt, ap);
    va_end(ap);
    return FO_EXIT_USAGE;
}

int fo_cmd_option_error(const char *sub, int c, char **argv)
{
    /* getopt_long leaves optind past the offending word; a short option's name is optopt
     * (the word may hold several, as in -hx). */
    const char *word = optind > 0 ? argv[optind - 1] : "?";
    char name[3] = {'-', (char)optopt, '\0'};
    const char *shown = optopt > 0 && optopt < 256 && strncmp(word, "--", 2) != 0 ? name : word;
    if (c == ':')
        return fo_cmd_usage_error(sub, "option '%s' needs a value", shown);
    return fo_cmd_usage_error(sub, "unknown option '%s'", shown);
}

const char *fo_cmd_trust_bundle(const char *flag, const char **source)
{
    const char *env = getenv("FIXORIGIN_TRUST_BUNDLE");
    const char *bundle = flag ? flag : fo_str_empty(env) ? NULL : env;
    if (source)
        *source = flag     ? "--trust-bundle"
                  : bundle ? "FIXORIGIN_TRUST_BUNDLE"
                           : "the system's trust store";
    return bundle;
}
