#include "remediate_fixture.h"

#include <check.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testcert.h"

/* A certificate valid from an hour ago for a year, with the extensions a CA or a leaf has. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                       const char *sans, const char *aia)
{
    int nids[5] = {NID_basic_constraints, NID_subject_key_identifier, 0, 0, 0};
    const char *values[4] = {ca ? "critical,CA:TRUE" : "CA:FALSE", "hash", NULL, NULL};
    char aia_value[300];
    size_t n = 2;
    if (sans) {
        nids[n] = NID_subject_alt_name;
        values[n++] = sans;
    }
    if (aia) {
        snprintf(aia_value, sizeof(aia_value), "caIssuers;URI:%s", aia);
        nids[n] = NID_info_access;
        values[n++] = aia_value;
    }
    time_t now = time(NULL);
    return tc_cert(cn, NULL, key, issuer, issuer_key, now - 3600, now + 86400L * 365, nids, values);
}

static char *pem_of(X509 *cert)
{
    return tc_pem("", &cert, 1);
}

static fo_cert_list *facts_of(const char *pem)
{
    fo_cert_list *list = NULL;
    fo_error err;
    ck_assert_int_eq(fo_probe_certs_parse(&list, pem, strlen(pem), "test", &err), 0);
    return list;
}

static rt_pki pki;
static EVP_PKEY *intermediate_key;
static X509 *intermediate_cert;

const rt_pki *rt_pki_get(void)
{
    if (pki.root)
        return &pki;
    EVP_PKEY *root_key = tc_key();
    X509 *root = make_cert("Test Root CA", root_key, NULL, NULL, true, NULL, NULL);
    intermediate_key = tc_key();
    intermediate_cert = make_cert("Test Intermediate CA", intermediate_key, root, root_key, true,
                                  NULL, "http://127.0.0.1:9/root.der");
    EVP_PKEY *self_key = tc_key();
    X509 *self =
        make_cert("self.origin.test", self_key, NULL, NULL, false, "DNS:self.origin.test", NULL);
    pki.root_pem = pem_of(root);
    pki.intermediate_pem = pem_of(intermediate_cert);
    pki.self_signed_pem = pem_of(self);
    pki.root = facts_of(pki.root_pem);
    pki.intermediate = facts_of(pki.intermediate_pem);
    pki.self_signed = facts_of(pki.self_signed_pem);
    X509_free(root);
    X509_free(self);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(self_key);
    return &pki;
}

fo_cert_list *rt_leaf(const char *cn, const char *sans, const char *aia)
{
    rt_pki_get();
    EVP_PKEY *key = tc_key();
    X509 *leaf = make_cert(cn, key, intermediate_cert, intermediate_key, false, sans, aia);
    char *pem = pem_of(leaf);
    fo_cert_list *list = facts_of(pem);
    free(pem);
    X509_free(leaf);
    EVP_PKEY_free(key);
    return list;
}

fo_diagnosis *rt_diag(fo_class class, fo_outcome outcome, const fo_cert_facts *chain,
                      size_t chain_count)
{
    fo_diagnosis *d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    fo_probe_settings_init(&d->target.settings);
    d->target.host = "127.0.0.1";
    d->target.port = 443;
    fo_probe_facts_init(&d->facts);
    d->facts.outcome = outcome;
    d->facts.chain = (fo_cert_facts *)chain;
    d->facts.chain_count = chain_count;
    d->verdict.class = class;
    snprintf(d->verdict.detail, sizeof(d->verdict.detail), "%s", "the test's detail");
    return d;
}

void rt_diag_free(fo_diagnosis *d)
{
    free(d);
}

fo_backend *rt_backend(const char *address, const char *cert_hostname, const char *sni)
{
    fo_backend *b = calloc(1, sizeof(*b));
    ck_assert_ptr_nonnull(b);
    b->name = strdup("origin");
    b->address = strdup(address);
    b->port = 443;
    b->use_ssl = true;
    b->ssl_check_cert = true;
    b->ssl_cert_hostname = cert_hostname ? strdup(cert_hostname) : NULL;
    b->ssl_sni_hostname = sni ? strdup(sni) : NULL;
    b->connect_timeout = 1000;
    b->first_byte_timeout = 15000;
    b->between_bytes_timeout = 10000;
    return b;
}

void rt_fix_add(fo_fix *fix, const char *field, const char *from, const char *to)
{
    fix->changes = realloc(fix->changes, (fix->change_count + 1) * sizeof(fo_change));
    ck_assert_ptr_nonnull(fix->changes);
    fo_change *c = &fix->changes[fix->change_count++];
    memset(c, 0, sizeof(*c));
    static const char *const names[] = {"ssl_cert_hostname", "ssl_sni_hostname", "ssl_ca_cert",
                                        "connect_timeout",   "use_ssl",          "port",
                                        "ssl_ciphers",       "max_tls_version",  "min_tls_version",
                                        "ssl_check_cert"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i], field) == 0)
            c->field = names[i];
    }
    ck_assert_ptr_nonnull(c->field);
    c->kind = fo_remediate_field_kind(field);
    c->from = from ? strdup(from) : NULL;
    c->to = to ? strdup(to) : NULL;
    fix->allowed = true;
    if (!fix->summary)
        fix->summary = strdup("the test's change");
}

fo_plan *rt_plan(fo_backend **backends, fo_fix *fixes, size_t count)
{
    fo_plan *plan = calloc(1, sizeof(*plan));
    ck_assert_ptr_nonnull(plan);
    plan->service_id = strdup("SVC");
    plan->active_version = 1;
    plan->backends = calloc(count ? count : 1, sizeof(fo_backend_plan));
    plan->backend_count = count;
    for (size_t i = 0; i < count; i++) {
        plan->backends[i].backend = backends[i];
        plan->backends[i].fix = fixes[i];
        plan->backends[i].status = fixes[i].change_count ? FO_BACKEND_FIX : FO_BACKEND_OK;
    }
    return plan;
}
