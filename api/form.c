/* Form bodies and paths, byte for byte as go-fastly builds them, so that what
 * Fastly receives from fixorigin is what it receives from its own clients. */
#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

/* Appends s with every byte outside the unreserved set and keep escaped as
 * %XX (upper case), and a space as '+' when space_plus. */
static int escape(fo_buf *out, const char *s, const char *keep, bool space_plus)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        char enc[3] = {(char)*p};
        size_t n = 1;
        if (*p == ' ' && space_plus) {
            enc[0] = '+';
        } else if (!is_unreserved(*p) && !(*p && strchr(keep, *p))) {
            enc[0] = '%';
            enc[1] = hex[*p >> 4];
            enc[2] = hex[*p & 15];
            n = 3;
        }
        if (fo_buf_append(out, enc, n) != 0)
            return FO_ENOMEM;
    }
    return 0;
}

/* Go's url.QueryEscape: unreserved bytes as they are, space as '+', every
 * other byte as %XX. */
static int query_escape(fo_buf *out, const char *s)
{
    return escape(out, s, "", true);
}

/* Go's url.PathEscape: RFC 3986 allows ':' '@' '&' '=' '+' '$' in a segment,
 * and Go keeps them; '/' ';' ',' '?' and everything else is escaped (a space is
 * %20, never '+'). */
static int path_escape(fo_buf *out, const char *s)
{
    /* "." and ".." are dot segments: libcurl, proxies and servers remove them, so a
     * backend named ".." would send its write to the version itself. Go leaves them as
     * they are; we send %2E, which names the record and is never a dot segment to curl
     * (http.c also sets CURLOPT_PATH_AS_IS, so curl sends this path untouched). */
    if (strcmp(s, ".") == 0)
        return fo_buf_puts(out, "%2E");
    if (strcmp(s, "..") == 0)
        return fo_buf_puts(out, "%2E%2E");
    return escape(out, s, ":@&=+$", false);
}

static int field_cmp(const void *a, const void *b)
{
    const fo_form_field *fa = a, *fb = b;
    return strcmp(fa->key, fb->key);
}

int fo_api_form_encode(fo_buf *out, const fo_form_field *fields, size_t count)
{
    int rc = 0;
    fo_form_field *sorted = NULL;
    if (count == 0)
        return fo_buf_append(out, "", 0);
    sorted = malloc(count * sizeof(*sorted));
    if (!sorted)
        return FO_ENOMEM;
    memcpy(sorted, fields, count * sizeof(*sorted));
    qsort(sorted, count, sizeof(*sorted), field_cmp);
    for (size_t i = 0; i < count; i++) {
        if ((i > 0 && fo_buf_append(out, "&", 1) != 0) || query_escape(out, sorted[i].key) != 0 ||
            fo_buf_append(out, "=", 1) != 0 ||
            (sorted[i].value && query_escape(out, sorted[i].value) != 0)) {
            rc = FO_ENOMEM;
            goto out;
        }
    }
out:
    free(sorted);
    return rc;
}

int fo_api_pathv(fo_buf *out, const char *fmt, va_list ap)
{
    int rc = 0;
    for (const char *p = fmt; *p && rc == 0; p++) {
        if (*p != '%') {
            rc = fo_buf_append(out, p, 1);
        } else if (p[1] == 's') {
            rc = path_escape(out, va_arg(ap, const char *));
            p++;
        } else if (p[1] == 'l' && p[2] == 'd') {
            rc = fo_buf_printf(out, "%ld", va_arg(ap, long));
            p += 2;
        } else {
            assert(!"fo_api_path: only %s and %ld");
            rc = FO_EINVAL;
        }
    }
    return rc;
}

int fo_api_path(fo_buf *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = fo_api_pathv(out, fmt, ap);
    va_end(ap);
    return rc;
}
