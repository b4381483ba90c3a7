/* probe/probe_hello.h: hand-built ClientHellos and a strict parser of what an origin answers,
 * up to its ServerHello. No sockets and no crypto here: the probe uses them to learn which
 * TLS versions an origin accepts and whether it would pick RC4 (which OpenSSL 3 cannot
 * offer), and fuzzers/hello_fuzzer.c feeds the parser arbitrary bytes. */
#ifndef FO_PROBE_HELLO_H
#define FO_PROBE_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixorigin/probe.h"

/* Bytes of entropy a hello needs: client random, session id, key share. */
#define FO_HELLO_ENTROPY 96
/* Room enough for any hello built here (a 253-byte SNI included). */
#define FO_HELLO_MAX_SIZE 1024
/* The largest ServerHello message accepted; real ones are a few hundred bytes. */
#define FO_HELLO_MAX_MESSAGE 4096
/* The largest TLS plaintext record (RFC 8446 5.1). */
#define FO_HELLO_MAX_RECORD 16384

/* What the hello offers. */
typedef enum fo_hello_offer {
    FO_HELLO_OFFER_VERSION, /* the given version only, with common suites for it */
    FO_HELLO_OFFER_RC4,     /* TLS <= 1.2 with RC4 suites only */
} fo_hello_offer;

/* Writes a ClientHello record for version (1.0 .. 1.3; ignored for RC4) into out. sni may
 * be NULL. Returns the length written, or 0 when it does not fit or sni is too long. */
size_t fo_hello_build(uint8_t *out, size_t cap, fo_hello_offer offer, fo_tls_version version,
                      const char *sni, const uint8_t entropy[FO_HELLO_ENTROPY]);

typedef enum fo_hello_status {
    FO_HELLO_INCOMPLETE,    /* valid so far; more bytes needed */
    FO_HELLO_SERVER_HELLO,  /* version and cipher are set */
    FO_HELLO_RETRY_REQUEST, /* a TLS 1.3 HelloRetryRequest: the version is accepted */
    FO_HELLO_ALERT,         /* alert_level and alert are set */
    FO_HELLO_NOT_TLS,       /* the first bytes are not a TLS record */
    FO_HELLO_MALFORMED,     /* TLS records, but broken (why says how) */
} fo_hello_status;

typedef struct fo_hello_reply {
    fo_hello_status status;
    uint16_t version; /* negotiated: supported_versions when present, else legacy_version */
    uint16_t cipher;
    uint8_t alert_level;
    uint8_t alert;
    const char *why; /* a static description when MALFORMED, else NULL */
} fo_hello_reply;

/* Parses the first len bytes an origin sent in answer to a ClientHello. Reads nothing
 * outside buf[0..len); decides from the bytes seen so far, so a longer buffer never
 * changes a decided answer. */
void fo_hello_parse(fo_hello_reply *out, const uint8_t *buf, size_t len);

/* The wire value of a TLS version (0x0301 .. 0x0304), 0 for FO_TLS_UNSET. */
uint16_t fo_hello_wire_version(fo_tls_version v);
/* True for a cipher suite using RC4. */
bool fo_hello_is_rc4_suite(uint16_t suite);

#endif
