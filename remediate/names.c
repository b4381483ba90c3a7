/* Names: whether a certificate covers a name, and a name's registrable domain by the
 * public suffix list. Both decide which ssl_cert_hostname fixorigin may propose. */
#include <arpa/inet.h>
#include <ctype.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "remediate_int.h"

#define MAX_NAME 256

/* The name lower-cased, without a trailing dot; "" when it does not fit. */
static void lower_name(char *out, size_t size, const char *in)
{
    size_t n = 0;
    for (; in && in[n] && n + 1 < size; n++)
        out[n] = (char)tolower((unsigned char)in[n]);
    if (in && in[n]) {
        out[0] = '\0';
        return;
    }
    while (n > 0 && out[n - 1] == '.')
        n--;
    out[n] = '\0';
}

/* Parses an IP address literal into bytes; false for anything else. */
static bool ip_bytes(const char *text, unsigned char out[16], int *len)
{
    if (inet_pton(AF_INET, text, out) == 1) {
        *len = 4;
        return true;
    }
    if (inet_pton(AF_INET6, text, out) == 1) {
        *len = 16;
        return true;
    }
    return false;
}

/* psl_builtin() is libpsl's compiled-in list: static data, nothing to free. When libpsl was
 * built without one, the system's latest list file is loaded for the call. */
static const psl_ctx_t *psl_open(psl_ctx_t **loaded)
{
    *loaded = NULL;
    const psl_ctx_t *psl = psl_builtin();
    if (!psl)
        psl = *loaded = psl_latest(NULL);
    return psl;
}

void fo_remediate_registrable_domain(char *out, size_t out_size, const char *name)
{
    char lname[MAX_NAME];
    unsigned char ip[16];
    int ip_len;
    psl_ctx_t *loaded = NULL;
    out[0] = '\0';
    if (fo_str_empty(name) || ip_bytes(name, ip, &ip_len))
        return;
    lower_name(lname, sizeof(lname), name);
    if (!lname[0])
        return;
    const psl_ctx_t *psl = psl_open(&loaded);
    const char *domain = psl ? psl_registrable_domain(psl, lname) : NULL;
    if (domain)
        snprintf(out, out_size, "%s", domain);
    psl_free(loaded);
}

static bool is_public_suffix(const char *lname)
{
    psl_ctx_t *loaded = NULL;
    const psl_ctx_t *psl = psl_open(&loaded);
    bool suffix = psl ? psl_is_public_suffix(psl, lname) != 0 : false;
    psl_free(loaded);
    return suffix;
}

/* A certificate name pattern against a lower-cased DNS name: equal, or "*.rest" where the
 * star stands for exactly one whole label and rest is more than a public suffix. */
static bool pattern_matches(const char *pattern, const char *lname)
{
    char lpattern[MAX_NAME];
    lower_name(lpattern, sizeof(lpattern), pattern);
    if (!lpattern[0])
        return false;
    if (strcmp(lpattern, lname) == 0)
        return true;
    if (strncmp(lpattern, "*.", 2) != 0)
        return false;
    const char *rest = lpattern + 2;
    const char *dot = strchr(lname, '.');
    if (!dot || dot == lname || strcmp(dot + 1, rest) != 0)
        return false;
    return strchr(rest, '.') != NULL && !is_public_suffix(rest);
}

/* The subject's CN from its RFC 2253 text ("CN=www.origin.test,O=Example"), unescaped. */
static bool subject_cn(char *out, size_t size, const char *subject)
{
    const char *p = subject;
    while (p && *p) {
        bool is_cn = strncasecmp(p, "CN=", 3) == 0;
        if (is_cn)
            p += 3;
        size_t n = 0;
        while (*p && *p != ',') {
            if (*p == '\\' && p[1])
                p++;
            if (is_cn && n + 1 < size)
                out[n++] = *p;
            p++;
        }
        if (is_cn) {
            out[n] = '\0';
            return n > 0;
        }
        if (*p == ',')
            p++;
    }
    return false;
}

bool fo_remediate_cert_covers(const fo_cert_facts *cert, const char *name)
{
    unsigned char want[16], have[16];
    int want_len = 0, have_len = 0;
    char lname[MAX_NAME];
    if (!cert || fo_str_empty(name))
        return false;
    if (ip_bytes(name, want, &want_len)) {
        /* Only IP entries match an address: a DNS entry spelling it does not. */
        for (size_t i = 0; i < cert->san_count; i++) {
            if (fo_cert_san_is_ip(cert, i) && ip_bytes(cert->san[i], have, &have_len) &&
                have_len == want_len && memcmp(have, want, (size_t)want_len) == 0)
                return true;
        }
        return false;
    }
    lower_name(lname, sizeof(lname), name);
    if (!lname[0])
        return false;
    bool has_dns = false;
    for (size_t i = 0; i < cert->san_count; i++) {
        if (fo_cert_san_is_ip(cert, i))
            continue;
        has_dns = true;
        if (pattern_matches(cert->san[i], lname))
            return true;
    }
    /* As OpenSSL's name check does: the CN counts only without DNS subjectAltNames. */
    char cn[MAX_NAME];
    return !has_dns && subject_cn(cn, sizeof(cn), cert->subject) && pattern_matches(cn, lname);
}
