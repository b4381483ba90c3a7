/* probe/probe_tls.h: one TLS handshake over a connected socket, driven through memory BIOs so
 * every read has a deadline and a byte budget, turned into plain facts. Internal. */
#ifndef FO_PROBE_TLS_H
#define FO_PROBE_TLS_H

#include <semaphore.h>

#include <openssl/ssl.h>

#include "fixorigin/probe.h"

/* The most bytes read from an origin during one handshake. */
#define FO_TLS_MAX_HANDSHAKE_BYTES (256u * 1024)
/* The most presented certificates described. */
#define FO_TLS_MAX_CHAIN 16
/* The most verify errors recorded. */
#define FO_TLS_MAX_VERIFY_ERRORS 32

typedef struct fo_tls_params {
    SSL_CTX *ctx;
    const char *sni;         /* SNI to send, or NULL */
    const char *verify_name; /* the name (or IP address) the certificate must cover, or NULL */
    double timeout_ms;       /* the handshake's deadline */
    double patience_ms;      /* after a timeout, keep waiting until this for a late answer */
    sem_t *cpu_slots;        /* held while OpenSSL computes, so many probes don't starve each
                              * other into false timeouts; NULL: not limited */
} fo_tls_params;

/* Runs a handshake on the connected non-blocking socket fd and records into facts: the
 * outcome, problem, handshake_ms, late_answer_ms, protocol, cipher, alert, verify errors,
 * chain, sni_sent, reply_start, plain_http. Verification never stops the handshake: every
 * error is recorded and the caller decides. Returns 0, FO_EINVAL when OpenSSL refuses the
 * SNI name, or FO_ENOMEM. */
int fo_tls_handshake(fo_probe_facts *facts, int fd, const fo_tls_params *params) FO_WARN_UNUSED;

/* Frees the chain and verify errors of facts. */
void fo_tls_facts_clear_chain(fo_probe_facts *facts);

/* Verification callback for SSL_CTX_set_verify: records the error, lets the handshake go on. */
int fo_tls_verify_callback(int preverify_ok, X509_STORE_CTX *store);

/* The library context for the probe's TLS contexts: OpenSSL's default provider with only the
 * key decoders a handshake uses, which makes parsing an origin's certificates about half as
 * costly under OpenSSL 3.0 (libctx.c says why). Set up once; NULL when it cannot be, which
 * means OpenSSL's default context. Lives as long as the process. */
OSSL_LIB_CTX *fo_tls_libctx(void);

#endif
