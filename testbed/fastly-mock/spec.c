/* Command-line specs: fault rules (--fail) and tokens (--token). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

static bool parse_long(long *out, const char *s, long min, long max)
{
    char *end;
    if (!s[0] || s[0] == '-' || s[0] == '+')
        return false;
    long v = strtol(s, &end, 10);
    if (*end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

static int parse_action(fo_mock_fault *out, const char *action, fo_error *err)
{
    long n;
    if (strcmp(action, "drop") == 0 || strcmp(action, "drop-after") == 0) {
        out->kind = FO_MOCK_FAULT_DROP_AFTER;
    } else if (strcmp(action, "drop-before") == 0) {
        out->kind = FO_MOCK_FAULT_DROP_BEFORE;
    } else if (strcmp(action, "malformed") == 0) {
        out->kind = FO_MOCK_FAULT_MALFORMED;
    } else if (strcmp(action, "truncate") == 0) {
        out->kind = FO_MOCK_FAULT_TRUNCATE;
    } else if (strncmp(action, "delay=", 6) == 0) {
        if (!parse_long(&out->delay_ms, action + 6, 0, 600000))
            return fo_error_set(err, FO_EINVAL, "delay wants milliseconds from 0 to 600000");
        out->kind = FO_MOCK_FAULT_DELAY;
    } else if (strncmp(action, "hang-after=", 11) == 0) {
        if (!parse_long(&out->delay_ms, action + 11, 0, 600000))
            return fo_error_set(err, FO_EINVAL, "hang-after wants milliseconds from 0 to 600000");
        out->kind = FO_MOCK_FAULT_HANG_AFTER;
    } else {
        char digits[4];
        const char *suffix = action + strspn(action, "0123456789");
        size_t len = (size_t)(suffix - action);
        if (len != 3)
            return fo_error_set(err, FO_EINVAL,
                                "unknown action '%s' (drop, drop-before, STATUS, STATUS-after, "
                                "STATUS-html, malformed, truncate, delay=MS, "
                                "hang-after=MS)",
                                action);
        memcpy(digits, action, 3);
        digits[3] = '\0';
        if (!parse_long(&n, digits, 200, 599))
            return fo_error_set(err, FO_EINVAL, "status %s is not between 200 and 599", digits);
        out->status = (int)n;
        if (suffix[0] == '\0')
            out->kind = FO_MOCK_FAULT_STATUS;
        else if (strcmp(suffix, "-after") == 0)
            out->kind = FO_MOCK_FAULT_STATUS_AFTER;
        else if (strcmp(suffix, "-html") == 0)
            out->kind = FO_MOCK_FAULT_HTML;
        else
            return fo_error_set(err, FO_EINVAL, "unknown status suffix '%s' (-after, -html)",
                                suffix);
    }
    return 0;
}

int fo_mock_fault_parse(fo_mock_fault *out, const char *spec, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *first = strchr(spec, ':');
    const char *last = strrchr(spec, ':');
    const char *count = NULL;
    if (first && last > first) {
        for (const char *p = last - 1; p > first; p--) {
            if (*p == ':') {
                count = p;
                break;
            }
        }
    }
    if (!count)
        return fo_error_set(err, FO_EINVAL, "fault '%s': expected METHOD:PATH:N:ACTION", spec);
    size_t method_len = (size_t)(first - spec);
    if (method_len == 0 || method_len >= sizeof(out->method))
        return fo_error_set(err, FO_EINVAL, "fault '%s': bad method", spec);
    memcpy(out->method, spec, method_len);
    out->method[method_len] = '\0';
    if (strcmp(out->method, "*") != 0 &&
        strspn(out->method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != method_len)
        return fo_error_set(err, FO_EINVAL, "fault '%s': method must be upper case or *", spec);

    size_t glob_len = (size_t)(count - first - 1);
    if (glob_len == 0 || first[1] != '/')
        return fo_error_set(err, FO_EINVAL, "fault '%s': the path pattern must start with /", spec);
    char nth[32];
    size_t nth_len = (size_t)(last - count - 1);
    if (nth_len == 0 || nth_len >= sizeof(nth))
        return fo_error_set(err, FO_EINVAL, "fault '%s': bad count", spec);
    memcpy(nth, count + 1, nth_len);
    nth[nth_len] = '\0';
    if (strcmp(nth, "*") == 0)
        out->nth = 0;
    else if (!parse_long(&out->nth, nth, 1, 1000000))
        return fo_error_set(err, FO_EINVAL, "fault '%s': count must be 1 or more, or *", spec);

    fo_error action_err;
    char reason[sizeof(action_err.msg)];
    if (parse_action(out, last + 1, &action_err) != 0) {
        snprintf(reason, sizeof(reason), "%s", action_err.msg);
        return fo_error_set(err, FO_EINVAL, "fault '%s': %s", spec, reason);
    }
    out->glob = malloc(glob_len + 1);
    if (!out->glob)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    memcpy(out->glob, first + 1, glob_len);
    out->glob[glob_len] = '\0';
    return 0;
}

void fo_mock_fault_clear(fo_mock_fault *fault)
{
    if (!fault)
        return;
    free(fault->glob);
    memset(fault, 0, sizeof(*fault));
}

bool fo_mock_fault_hit(fo_mock_fault *fault, const char *method, const char *path)
{
    if (strcmp(fault->method, "*") != 0 && strcmp(fault->method, method) != 0)
        return false;
    if (fnmatch(fault->glob, path, FNM_PATHNAME) != 0)
        return false;
    fault->seen++;
    return fault->nth == 0 || fault->seen == fault->nth;
}

const char *fo_mock_fault_name(const fo_mock_fault *fault, char *buf, size_t len)
{
    switch (fault->kind) {
    case FO_MOCK_FAULT_DROP_BEFORE:
        return "drop-before";
    case FO_MOCK_FAULT_DROP_AFTER:
        return "drop";
    case FO_MOCK_FAULT_STATUS:
        snprintf(buf, len, "%d", fault->status);
        return buf;
    case FO_MOCK_FAULT_STATUS_AFTER:
        snprintf(buf, len, "%d-after", fault->status);
        return buf;
    case FO_MOCK_FAULT_HTML:
        snprintf(buf, len, "%d-html", fault->status);
        return buf;
    case FO_MOCK_FAULT_MALFORMED:
        return "malformed";
    case FO_MOCK_FAULT_TRUNCATE:
        return "truncate";
    case FO_MOCK_FAULT_DELAY:
        snprintf(buf, len, "delay=%ld", fault->delay_ms);
        return buf;
    case FO_MOCK_FAULT_HANG_AFTER:
        snprintf(buf, len, "hang-after=%ld", fault->delay_ms);
        return buf;
    }
    return "?";
}

int fo_mock_rate_parse(long *budget, long *window, const char *spec, fo_error *err)
{
    char copy[64];
    if (strlen(spec) >= sizeof(copy))
        return fo_error_set(err, FO_EINVAL, "--rate-limit: expected N or N/SECONDS");
    strcpy(copy, spec);
    char *slash = strchr(copy, '/');
    if (slash)
        *slash = '\0';
    *window = 3600;
    if (!parse_long(budget, copy, 0, 100000000) ||
        (slash && !parse_long(window, slash + 1, 1, 86400)))
        return fo_error_set(err, FO_EINVAL,
                            "--rate-limit: expected N (0 or more) or N/SECONDS (1 to 86400)");
    return 0;
}

int fo_mock_token_parse(fo_mock_token *out, const char *spec, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    const char *slash = strchr(spec, '/');
    size_t token_len = slash ? (size_t)(slash - spec) : strlen(spec);
    const char *scope = slash ? slash + 1 : "global";
    const char *services = strchr(scope, '/');
    size_t scope_len = services ? (size_t)(services - scope) : strlen(scope);
    int rc = 0;
    /* The message never quotes the spec: it holds a token. */
    if (token_len == 0 || token_len > 256)
        return fo_error_set(err, FO_EINVAL, "--token: the token must be 1 to 256 characters");
    for (size_t i = 0; i < token_len; i++) {
        if ((unsigned char)spec[i] <= ' ' || (unsigned char)spec[i] >= 0x7f)
            return fo_error_set(err, FO_EINVAL, "--token: the token must be printable ASCII");
    }
    if (scope_len == 0)
        return fo_error_set(err, FO_EINVAL, "--token: empty scope");
    out->token = strndup(spec, token_len);
    out->scope = strndup(scope, scope_len);
    if (!out->token || !out->scope) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (services) {
        const char *p = services + 1;
        while (*p) {
            size_t n = strcspn(p, ",");
            if (n == 0) {
                rc = fo_error_set(err, FO_EINVAL, "--token: empty service id in the list");
                goto out;
            }
            char **grown = realloc(out->services, (out->nservices + 1) * sizeof(*grown));
            if (!grown) {
                rc = fo_error_set(err, FO_ENOMEM, "out of memory");
                goto out;
            }
            out->services = grown;
            out->services[out->nservices] = strndup(p, n);
            if (!out->services[out->nservices]) {
                rc = fo_error_set(err, FO_ENOMEM, "out of memory");
                goto out;
            }
            out->nservices++;
            p += n;
            if (*p == ',')
                p++;
        }
        if (out->nservices == 0)
            rc = fo_error_set(err, FO_EINVAL, "--token: empty service list");
    }
out:
    if (rc != 0)
        fo_mock_token_clear(out);
    return rc;
}

void fo_mock_token_clear(fo_mock_token *token)
{
    if (!token)
        return;
    fo_secret_free(token->token);
    free(token->scope);
    for (size_t i = 0; i < token->nservices; i++)
        free(token->services[i]);
    free(token->services);
    memset(token, 0, sizeof(*token));
}
