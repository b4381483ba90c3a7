/* tests/unit/remediate_fixture.h: what the remediation's unit suites share: certificates
 * made with OpenSSL's API at run time (a root, an intermediate with an AIA URL, leaves),
 * diagnoses and backends built by hand, so the planner and the checks run without sockets. */
#ifndef FO_REMEDIATE_FIXTURE_H
#define FO_REMEDIATE_FIXTURE_H

#include "fixorigin/remediate.h"

/* A small PKI: root -> intermediate -> leaves; and a self-signed leaf. PEM texts and facts
 * (from fo_probe_certs_parse). Made once per process. */
typedef struct rt_pki {
    char *root_pem, *intermediate_pem, *self_signed_pem;
    fo_cert_list *root, *intermediate, *self_signed;
} rt_pki;

const rt_pki *rt_pki_get(void);

/* A leaf for sans ("DNS:a,DNS:b,IP:127.0.0.1"), signed by the intermediate, with AIA URL
 * aia (NULL: none). Facts owned by the caller (fo_cert_list_free). */
fo_cert_list *rt_leaf(const char *cn, const char *sans, const char *aia);

/* A diagnosis of class with the given chain (borrowed facts, may be NULL): facts say the
 * handshake completed (FO_OUTCOME_OK) unless outcome says otherwise. Free with rt_diag_free
 * (not fo_diagnosis_free: strings are borrowed). */
fo_diagnosis *rt_diag(fo_class class, fo_outcome outcome, const fo_cert_facts *chain,
                      size_t chain_count);
void rt_diag_free(fo_diagnosis *d);

/* A TLS backend at address:443 with check_cert on and the given names (NULL: unset). Free
 * with fo_backend_free. */
fo_backend *rt_backend(const char *address, const char *cert_hostname, const char *sni);

/* Appends a change (strings copied) to fix, as the planner would make it (no certificate
 * summaries). */
void rt_fix_add(fo_fix *fix, const char *field, const char *from, const char *to);

/* A plan of one service (SVC, active version 1) whose backends (taken over) have the given
 * fixes (taken over; status FIX when a fix has changes, else OK). Free with fo_plan_free. */
fo_plan *rt_plan(fo_backend **backends, fo_fix *fixes, size_t count);
#endif
