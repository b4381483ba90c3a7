/* fixorigin/fo.h: what every fixorigin module shares: the error record, the log
 * callback, a growable string buffer and secret wiping. Free of curl, OpenSSL
 * and jansson types. */
#ifndef FO_COMMON_H
#define FO_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fixorigin/version.h" /* FO_VERSION, from CMake's project() */

#if defined(__GNUC__) || defined(__clang__)
#define FO_WARN_UNUSED __attribute__((warn_unused_result))
#define FO_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define FO_WARN_UNUSED
#define FO_PRINTF(fmt, args)
#endif

/* Error codes: 0 is success, failures are negative. Pass them up unchanged. */
enum {
    FO_OK = 0,
    FO_EINVAL = -1,      /* bad input: an argument, a file, a setting */
    FO_ENOMEM = -2,      /* out of memory */
    FO_EIO = -3,         /* a local file or system call failed */
    FO_ERESOLVE = -4,    /* a host name did not resolve */
    FO_ECONNECT = -5,    /* could not connect (refused, unreachable, reset) */
    FO_ETIMEOUT = -6,    /* a deadline passed */
    FO_ETLS = -7,        /* a TLS failure outside the origin being diagnosed */
    FO_EHTTP = -8,       /* an HTTP error status not covered below */
    FO_EAUTH = -9,       /* 401/403: token missing, invalid or not allowed */
    FO_ENOTFOUND = -10,  /* 404, or Fastly's 400 for an unknown service */
    FO_ELOCKED = -11,    /* 422: the version is locked or active */
    FO_ERATELIMIT = -12, /* 429: the write budget is spent */
    FO_ECONFLICT = -13,  /* 409, or the service changed under us */
    FO_EPROTO = -14,     /* a malformed or unexpected response */
    FO_EUNKNOWN = -15,   /* a write's outcome is unknown and could not be learned */
    FO_ESTATE = -16,     /* the operation is not possible in the current state */
};

/* A caller-owned record of the first failure, with one line a user can act on. */
typedef struct fo_error {
    int code;         /* one of the FO_E* codes */
    long http_status; /* 0 when not HTTP */
    char msg[256];    /* "backend 'Host 1' not found in version 7" */
} fo_error;

/* Fills err (when not NULL) and returns code, so a failure reads
 * `return fo_error_set(err, FO_EINVAL, "...", ...);`. */
int fo_error_set(fo_error *err, int code, const char *fmt, ...) FO_PRINTF(3, 4);
int fo_error_setv(fo_error *err, int code, const char *fmt, va_list ap) FO_PRINTF(3, 0);
/* Clears err to "no error". */
void fo_error_clear(fo_error *err);
/* A short English name of a code ("timeout"); never NULL. */
const char *fo_strerror(int code);

typedef enum fo_log_level { FO_LOG_DEBUG, FO_LOG_INFO, FO_LOG_WARN } fo_log_level;
/* Libraries never print: they report through this callback, when one is set. */
typedef void (*fo_log_fn)(void *ctx, fo_log_level level, const char *msg);

/* A growable NUL-terminated byte buffer. Zero-initialise, append, then fo_buf_clear (the
 * struct is the caller's; _clear frees what it holds and leaves it empty, ready for reuse). */
typedef struct fo_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
} fo_buf;

int fo_buf_append(fo_buf *b, const void *data, size_t len) FO_WARN_UNUSED;
int fo_buf_puts(fo_buf *b, const char *s) FO_WARN_UNUSED;
int fo_buf_printf(fo_buf *b, const char *fmt, ...) FO_PRINTF(2, 3) FO_WARN_UNUSED;
/* Hands the buffer's string to the caller (never NULL: "" when empty) and resets b. */
char *fo_buf_steal(fo_buf *b);
void fo_buf_clear(fo_buf *b);

/* Appends to the string in buf (size bytes, NUL-terminated), cutting the addition short
 * where it does not fit: for one-line messages where a shortened list is the intent.
 * Returns the string's new length (< size). */
size_t fo_str_appendf(char *buf, size_t size, const char *fmt, ...) FO_PRINTF(3, 4);

/* strdup that accepts NULL (returns NULL). */
char *fo_strdup(const char *s);
/* True when s is NULL or "". Fastly treats null and "" alike: unset. */
bool fo_str_empty(const char *s);
/* Copies s into out (size bytes, NUL-terminated, cut to fit) as a message may show text
 * from outside: each control character as '?'. s NULL: "". */
void fo_str_clean_copy(char *out, size_t size, const char *s);
/* Wipes a secret string (OPENSSL_cleanse) and frees it; accepts NULL. */
void fo_secret_free(char *s);
/* Monotonic clock in milliseconds. */
double fo_now_ms(void);

/* Formats Unix seconds as "2026-11-28T00:00:00Z" into buf (at least 21 bytes); "?" when t
 * cannot be shown. */
void fo_format_time(char *buf, size_t size, int64_t t);
/* Writes len bytes as 2*len lowercase hex digits and a NUL into out (2*len+1 bytes). */
void fo_hex_encode(char *out, const unsigned char *bytes, size_t len);

/* How fo_percent_decode reads '+' and raw NUL bytes. */
enum {
    FO_PERCENT_PLUS_SPACE = 1 << 0, /* '+' is a space (application/x-www-form-urlencoded) */
    FO_PERCENT_REFUSE_NUL = 1 << 1, /* a raw NUL byte in the input is refused */
};
/* Decodes len bytes of %XX-escaped text (common/percent.c) into out, which has room for
 * len + 1 bytes and may be in itself (decoding never writes ahead of what it read), and
 * NUL-terminates it. Returns 0, or FO_EINVAL for a '%' without two hex digits after it
 * within len, for %00 (it would cut the text short) and, with FO_PERCENT_REFUSE_NUL, for a
 * raw NUL; then *bad_at (when not NULL) is the offset of the byte refused, and out holds
 * nothing of use. */
int fo_percent_decode(char *out, const char *in, size_t len, unsigned flags,
                      size_t *bad_at) FO_WARN_UNUSED;

/* A SHA-256 digest's length in bytes. */
#define FO_SHA256_LEN 32
/* Reads a SHA-256 fingerprint as users write it into its 32 bytes: 64 hex digits, any case,
 * whole pairs optionally separated by ':' ("AB:CD:..." as openssl x509 -fingerprint prints
 * it, or "abcd..." as fixorigin prints it). Returns 0, or FO_EINVAL (NULL, "", a digit too
 * many or too few, any other character, a ':' inside a pair) and leaves out unspecified.
 * Compare fingerprints by their bytes, not their text. */
int fo_sha256_parse(unsigned char out[FO_SHA256_LEN], const char *text,
                    fo_error *err) FO_WARN_UNUSED;

/* A text as lines (common/lines.c): where each starts in the text and its length without
 * the line end ("a\nb" and "a\nb\n" are both two lines; "" is none). The text must outlive
 * it. */
typedef struct fo_lines {
    const char **start;
    size_t *len;
    size_t count;
} fo_lines;
/* Splits text into out; 0 or FO_ENOMEM (then out holds nothing). */
int fo_lines_split(fo_lines *out, const char *text) FO_WARN_UNUSED;
/* Frees what fo_lines_split allocated; l is empty after. */
void fo_lines_clear(fo_lines *l);
/* Whether line i of a and line j of b are the same bytes. */
bool fo_lines_same(const fo_lines *a, size_t i, const fo_lines *b, size_t j);
/* How many lines a and b share at their start (*head) and, of the rest, at their end
 * (*tail): what lies between differs, the region a diff shows. */
void fo_lines_common_ends(size_t *head, size_t *tail, const fo_lines *a, const fo_lines *b);

/* IP addresses as raw bytes: family AF_INET (4 bytes) or AF_INET6 (16), network order
 * (common/ip.c). Loopback: 127.0.0.0/8 and ::1, also written as ::ffff:127.x.y.z. */
bool fo_ip_is_loopback(int family, const unsigned char *ip);
/* The same for a numeric address as text ("127.0.0.2", "::1", "[::1]"); false for names. */
bool fo_ip_text_is_loopback(const char *text);
/* Whether anybody may reach it: no block of RFC 6890's special-purpose registries that is
 * not globally reachable (loopback, private, shared, link-local, documentation TEST-NETs,
 * benchmarking, 6to4 relay anycast, multicast, reserved, broadcast; IPv6 unique local,
 * link-local, multicast, documentation, benchmarking, discard); an address carrying an IPv4
 * one (mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) is judged by that IPv4 address;
 * local-use NAT64 64:ff9b:1::/48 and Teredo 2001::/32 never are public. */
bool fo_ip_is_public(int family, const unsigned char *ip);

/* Reads a whole text file of at most max_bytes into a new NUL-terminated string the
 * caller frees (common/file.c); "-" reads stdin (fo_input_open). Returns 0, FO_EIO naming the path
 * and the reason, FO_EINVAL naming the line of a NUL byte (the text would silently end there),
 * FO_ENOMEM. */
int fo_read_file(char **out, const char *path, size_t max_bytes, fo_error *err) FO_WARN_UNUSED;
/* Replaces path with len bytes of data, atomically: written to "PATH.PID.tmp" (created new,
 * never through a link) with mode, synced, and renamed over path, so a reader sees the old
 * file or the new one, never half of one. Returns 0 or FO_EIO naming the file and the
 * reason; the temporary file is gone either way (unless the process is killed meanwhile). */
int fo_write_file(const char *path, const void *data, size_t len, unsigned mode,
                  fo_error *err) FO_WARN_UNUSED;

/* Every file fixorigin reads may be "-": standard input, as in most command-line tools. It can
 * hold one file only: a second "-" in one run is FO_EINVAL. fo_input_open opens path (stdin
 * for "-") for reading, else FO_EIO naming it; fo_input_close closes it (never stdin). */
int fo_input_open(FILE **out, const char *path, fo_error *err) FO_WARN_UNUSED;
void fo_input_close(FILE *f);
/* The name of path in messages: "stdin" for "-". */
const char *fo_input_name(const char *path);

/* Raises the soft RLIMIT_NOFILE to the hard limit: a fleet run needs a descriptor for every
 * origin it waits on, and the usual soft limit (1024) is far below what the system allows.
 * Returns the soft limit now in force (fo_fd_limit). Safe to call more than once. */
long fo_fd_limit_raise(void);
/* The soft RLIMIT_NOFILE in force; LONG_MAX when unlimited. */
long fo_fd_limit(void);

#endif
