/* probe/probe_certs.h: certificates as plain facts, and PEM text as certificates. Internal to
 * probe/ (it speaks OpenSSL types); tests use it to check extraction. */
#ifndef FO_PROBE_CERTS_H
#define FO_PROBE_CERTS_H

#include <openssl/x509.h>

#include "fixorigin/probe.h"

/* Fills out from cert. Returns 0 or FO_ENOMEM (out is then cleared). */
int fo_certs_facts(fo_cert_facts *out, X509 *cert) FO_WARN_UNUSED;
/* Frees what a fo_cert_facts points to and zeroes it. */
void fo_certs_facts_clear(fo_cert_facts *facts);

/* Parses every certificate of PEM text (what names it in messages: "ssl_ca_cert").
 * Returns 0 and a stack the caller frees (sk_X509_pop_free), or FO_EINVAL when the text
 * holds no certificate or a broken one, FO_ENOMEM. */
int fo_certs_parse_pem(STACK_OF(X509) * *out, const char *pem, const char *what,
                       fo_error *err) FO_WARN_UNUSED;

/* Subject (RFC 2253) and SHA-256 of each certificate, as the diagnosis echoes ssl_ca_cert. */
int fo_certs_summaries(fo_ca_summary **out, size_t *count, STACK_OF(X509) * certs) FO_WARN_UNUSED;

#endif
