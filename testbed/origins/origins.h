/* testbed/origins/origins.h: the parts of testbed-origins: a throwaway PKI, the
 * raw ClientHello reader behind the emulated origins, the case table and the
 * server loop. Internal to the program (and its unit test); nothing here is a
 * fixorigin interface. */
#ifndef FO_TESTBED_ORIGINS_H
#define FO_TESTBED_ORIGINS_H

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixorigin/fo.h"

/* ---- PKI (pki.c) ---- */

/* What a certificate says. Validity is relative to now, in days. */
typedef struct tb_cert_spec {
    const char *common_name;
    const char *san_dns; /* one DNS name for subjectAltName, or NULL */
    bool is_ca;
    int valid_from_days;        /* e.g. -1 */
    int valid_to_days;          /* e.g. 365; negative gives an expired certificate */
    const char *aia_issuer_url; /* authorityInfoAccess caIssuers, or NULL */
    const char *ext_key_usage;  /* a leaf's extendedKeyUsage; NULL: serverAuth */
    const char
        *name_constraints; /* a CA's nameConstraints ("critical,permitted;DNS:.x"), or NULL */
    bool not_a_ca;         /* used as an intermediate: CA:FALSE and no keyUsage */
    bool unknown_critical; /* carries a critical extension nobody knows */
    int rsa_bits;          /* with an RSA key: its size; 0 gives 2048 */
    bool sha1;             /* signed by its issuer with SHA-1 */
} tb_cert_spec;

/* A key and its certificate; both owned. */
typedef struct tb_identity {
    EVP_PKEY *key;
    X509 *cert;
} tb_identity;

/* Generates a key (EC P-256, or RSA 2048 when rsa) and a certificate signed by
 * issuer (NULL: self-signed). Fills out; free with tb_identity_free. */
int tb_pki_issue(tb_identity *out, const tb_cert_spec *spec, const tb_identity *issuer, bool rsa,
                 fo_error *err) FO_WARN_UNUSED;
void tb_identity_free(tb_identity *id);

/* Writes certs as PEM to path (mode 0644). */
int tb_pki_write_certs(const char *path, X509 *const *certs, size_t count,
                       fo_error *err) FO_WARN_UNUSED;
/* Writes key as unencrypted PKCS#8 PEM to path (mode 0600). */
int tb_pki_write_key(const char *path, EVP_PKEY *key, fo_error *err) FO_WARN_UNUSED;
/* DER encoding of cert into *out (free with OPENSSL_free). */
int tb_pki_der(unsigned char **out, size_t *out_len, X509 *cert, fo_error *err) FO_WARN_UNUSED;

/* ---- ClientHello reader (hello.c) ---- */

/* The parts of a ClientHello the emulated origins look at. */
typedef struct tb_client_hello {
    uint16_t version;     /* legacy_version from the hello */
    uint16_t suites[256]; /* offered cipher suites, in the client's order */
    size_t suite_count;   /* suites beyond the array are counted, not stored */
    bool has_server_name; /* carries the server_name extension */
} tb_client_hello;

/* Parses one TLS record holding a whole ClientHello (record header included).
 * Strict: every length must agree. 0 on success, FO_EPROTO when malformed,
 * FO_EINVAL when data is shorter than the record claims (read more). */
int tb_hello_parse(tb_client_hello *out, const unsigned char *data, size_t len) FO_WARN_UNUSED;
/* True when suite is one of the RC4 cipher suites of the IANA registry. */
bool tb_hello_is_rc4(uint16_t suite);
/* Writes a ServerHello record that picks suite into buf (at least 64 bytes);
 * returns its length. */
size_t tb_hello_server_hello(unsigned char *buf, size_t cap, uint16_t version, uint16_t suite);

/* ---- origins and the server (cases.c, serve.c) ---- */

/* How an origin answers a connection. */
typedef enum tb_behaviour {
    TB_TLS,          /* OpenSSL server with the origin's SSL_CTX */
    TB_HTTP,         /* plain HTTP: 200 to a request, 400 to anything else; AIA files */
    TB_SILENT,       /* accepts TCP, reads and never answers */
    TB_RC4,          /* emulated: ServerHello with an RC4 suite when offered, else alert 40 */
    TB_GARBAGE,      /* sends random bytes that are not TLS */
    TB_DRIP,         /* sends a record header, then one byte every 250 ms */
    TB_HUGE_RECORD,  /* sends a record header claiming 65535 bytes */
    TB_RESET,        /* resets the connection when the ClientHello arrives */
    TB_REFUSED,      /* bound but not listening: the kernel answers RST */
    TB_BACKLOG_FULL, /* listening with a full accept queue: SYNs go unanswered */
    TB_NO_LISTENER,  /* nothing at all (a name that does not resolve) */
} tb_behaviour;

/* A file the HTTP behaviour serves (AIA issuer certificates). */
typedef struct tb_http_file {
    const char *path; /* "/public-intermediate.der" */
    unsigned char *body;
    size_t len;
} tb_http_file;

/* One listening origin. */
typedef struct tb_origin {
    const char *name;
    tb_behaviour behaviour;
    char host[64];
    int port;
    int fd;          /* the listening (or reserved) socket, -1 when none */
    int *filler_fds; /* TB_BACKLOG_FULL: connections that fill the queue */
    size_t filler_count;
    SSL_CTX *ctx;     /* TB_TLS */
    SSL_CTX *sni_ctx; /* TB_TLS: switched to when the client sends sni_name */
    const char *sni_name;
    bool fail_without_sni;     /* alert handshake_failure when no SNI is sent */
    bool alert_internal;       /* alert internal_error on every ClientHello */
    int delay_ms;              /* wait before answering the handshake */
    const tb_http_file *files; /* TB_HTTP: served paths, NULL-path terminated; may be NULL */
} tb_origin;

/* Opens the socket an origin needs on host (port 0: the kernel picks). */
int tb_origin_open(tb_origin *o, const char *host, int port, fo_error *err) FO_WARN_UNUSED;
/* Closes its sockets (not its SSL_CTX). */
void tb_origin_close(tb_origin *o);

/* Serves every origin until stop_fd becomes readable, then lets the open
 * connections end (each is bounded in time) and returns. */
int tb_serve(tb_origin *const *origins, size_t count, int stop_fd, fo_error *err) FO_WARN_UNUSED;

/* ---- the testbed (cases.c) ---- */

typedef struct tb_options {
    const char *dir;      /* where the PKI, manifest and targets files go */
    const char *host;     /* IPv4 loopback address the origins listen on */
    const char *manifest; /* manifest path; NULL: DIR/manifest.json */
    int bulk_count;       /* extra healthy origins for benchmarks */
} tb_options;

typedef struct tb_testbed tb_testbed;

/* Binds every origin, generates the PKI into opts->dir and prepares the TLS
 * contexts. Free with tb_testbed_free. */
int tb_testbed_new(tb_testbed **out, const tb_options *opts, fo_error *err) FO_WARN_UNUSED;
/* Writes DIR/targets.txt, DIR/bulk-targets.txt and, last and atomically, the
 * manifest; fills manifest_path (cap bytes). */
int tb_testbed_write(const tb_testbed *tb, char *manifest_path, size_t cap,
                     fo_error *err) FO_WARN_UNUSED;
/* Serves until stop_fd becomes readable. */
int tb_testbed_serve(tb_testbed *tb, int stop_fd, fo_error *err) FO_WARN_UNUSED;
void tb_testbed_free(tb_testbed *tb);

#endif
