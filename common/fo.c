#include "fixorigin/fo.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int fo_error_setv(fo_error *err, int code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    }
    return code;
}

int fo_error_set(fo_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fo_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void fo_error_clear(fo_error *err)
{
    if (err) {
        err->code = FO_OK;
        err->http_status = 0;
        err->msg[0] = '\0';
    }
}

const char *fo_strerror(int code)
{
    switch (code) {
    case FO_OK:
        return "success";
    case FO_EINVAL:
        return "invalid input";
    case FO_ENOMEM:
        return "out of memory";
    case FO_EIO:
        return "I/O error";
    case FO_ERESOLVE:
        return "name resolution failed";
    case FO_ECONNECT:
        return "connection failed";
    case FO_ETIMEOUT:
        return "timed out";
    case FO_ETLS:
        return "TLS error";
    case FO_EHTTP:
        return "HTTP error";
    case FO_EAUTH:
        return "not authorised";
    case FO_ENOTFOUND:
        return "not found";
    case FO_ELOCKED:
        return "version locked";
    case FO_ERATELIMIT:
        return "rate limited";
    case FO_ECONFLICT:
        return "conflict";
    case FO_EPROTO:
        return "malformed response";
    case FO_EUNKNOWN:
        return "outcome unknown";
    case FO_ESTATE:
        return "not possible in this state";
    default:
        return "unknown error";
    }
}

static int buf_reserve(fo_buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1) {
        if (cap > ((size_t)-1) / 2)
            return FO_ENOMEM;
        cap *= 2;
    }
    char *data = realloc(b->data, cap);
    if (!data)
        return FO_ENOMEM;
    b->data = data;
    b->cap = cap;
    return 0;
}

int fo_buf_append(fo_buf *b, const void *data, size_t len)
{
    if (buf_reserve(b, len) != 0)
        return FO_ENOMEM;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int fo_buf_puts(fo_buf *b, const char *s)
{
    return fo_buf_append(b, s, strlen(s));
}

int fo_buf_printf(fo_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return FO_EINVAL;
    if (buf_reserve(b, (size_t)n) != 0)
        return FO_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

size_t fo_str_appendf(char *buf, size_t size, const char *fmt, ...)
{
    if (size == 0)
        return 0;
    size_t used = strnlen(buf, size);
    if (used + 1 >= size)
        return size - 1;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    if (n < 0) {
        buf[used] = '\0';
        return used;
    }
    return (size_t)n < size - used ? used + (size_t)n : size - 1;
}

char *fo_buf_steal(fo_buf *b)
{
    char *s = b->data ? b->data : calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void fo_buf_clear(fo_buf *b)
{
    if (!b)
        return;
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *fo_strdup(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, s, n);
    return copy;
}

bool fo_str_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

void fo_secret_free(char *s)
{
    if (!s)
        return;
    OPENSSL_cleanse(s, strlen(s));
    free(s);
}

double fo_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

long fo_fd_limit(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 1024; /* what nearly every system starts with */
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (rlim_t)LONG_MAX)
        return LONG_MAX;
    return (long)limit.rlim_cur;
}

long fo_fd_limit_raise(void)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        rlim_t wanted = limit.rlim_max;
        /* An unlimited hard limit cannot be the soft one (the kernel caps it at nr_open):
         * ask for a large number instead, and halve it until the kernel agrees. */
        if (wanted == RLIM_INFINITY)
            wanted = (rlim_t)1 << 20;
        for (; wanted > limit.rlim_cur; wanted /= 2) {
            struct rlimit raised = {.rlim_cur = wanted, .rlim_max = limit.rlim_max};
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
                break;
        }
    }
    return fo_fd_limit();
}

void fo_format_time(char *buf, size_t size, int64_t t)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "?");
}

void fo_hex_encode(char *out, const unsigned char *bytes, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex[bytes[i] >> 4];
        out[2 * i + 1] = hex[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

int fo_sha256_parse(unsigned char out[FO_SHA256_LEN], const char *text, fo_error *err)
{
    size_t len = 0;
    /* OpenSSL reports a refusal on the thread's error queue: take it back off, so a later
     * TLS failure is not explained by it. */
    ERR_set_mark();
    int ok = text && OPENSSL_hexstr2buf_ex(out, FO_SHA256_LEN, &len, text, ':') == 1;
    ERR_pop_to_mark();
    if (!ok || len != FO_SHA256_LEN)
        return fo_error_set(err, FO_EINVAL,
                            "not a SHA-256 fingerprint (64 hex digits, pairs optionally "
                            "separated by ':')");
    return FO_OK;
}

void fo_str_clean_copy(char *out, size_t size, const char *s)
{
    size_t n = 0;
    for (; s && s[n] && n + 1 < size; n++)
        out[n] = ((unsigned char)s[n] < 0x20 || s[n] == 0x7f) ? '?' : s[n];
    out[n] = '\0';
}
