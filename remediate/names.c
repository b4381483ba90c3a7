/* Names: whether a certificate covers a name, and a name's registrable domain by the
 * public suffix list. Both decide which ssl_cert_hostname fixorigin may propose. */
#include <arpa/inet.h>
#include <ctype.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Whether a wildcard entry ("*.co.uk") stands over a public suffix alone: OpenSSL's check
 * accepts it (it only wants two labels after the star), fixorigin never does. */
static bool wildcard_over_suffix(const char *entry)
{
    char rest[MAX_NAME];
    if (strncmp(entry, "*.", 2) != 0)
        return false;
    lower_name(rest, sizeof(rest), entry + 2);
    return !rest[0] || !strchr(rest, '.') || is_public_suffix(rest);
}

bool fo_remediate_cert_covers(const fo_cert_facts *cert, const char *name)
{
    unsigned char ip[16];
    int ip_len;
    char lname[MAX_NAME];
    char *matched = NULL;
    bool covered = false;
    if (!cert || fo_str_empty(name))
        return false;
    /* A rooted name ("www.origin.test.") is the same name; an address with a dot after it
     * is no address, and no name either. */
    lower_name(lname, sizeof(lname), name);
    if (!lname[0] || (!ip_bytes(name, ip, &ip_len) && ip_bytes(lname, ip, &ip_len)))
        return false;
    if (fo_probe_cert_covers(&covered, &matched, cert, lname, true, NULL) != 0)
        return false;
    /* Matched only by a wildcard over a public suffix: an entry without '*' must cover it. */
    if (covered && wildcard_over_suffix(matched) &&
        fo_probe_cert_covers(&covered, NULL, cert, lname, false, NULL) != 0)
        covered = false;
    free(matched);
    return covered;
}
