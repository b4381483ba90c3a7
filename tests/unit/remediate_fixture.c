#include "remediate_fixture.h"

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *make_key(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(key);
    return key;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(ext);
    ck_assert_int_eq(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, bool ca,
                       const char *sans, const char *aia)
{
    static long serial = 1;
    X509 *cert = X509_new();
    ck_assert_ptr_nonnull(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 86400L * 365);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert, key);
    add_ext(cert, issuer ? issuer : cert, NID_basic_constraints,
            ca ? "critical,CA:TRUE" : "CA:FALSE");
    add_ext(cert, issuer ? issuer : cert, NID_subject_key_identifier, "hash");
    if (sans)
        add_ext(cert, issuer ? issuer : cert, NID_subject_alt_name, sans);
    if (aia) {
        char value[300];
        snprintf(value, sizeof(value), "caIssuers;URI:%s", aia);
        add_ext(cert, issuer ? issuer : cert, NID_info_access, value);
    }
    ck_assert_int_gt(X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()), 0);
    return cert;
}

static char *pem_of(X509 *cert)
{
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *text = calloc(1, (size_t)n + 1);
    memcpy(text, data, (size_t)n);
    BIO_free(bio);
    return text;
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
    EVP_PKEY *root_key = make_key();
    X509 *root = make_cert("Test Root CA", root_key, NULL, NULL, true, NULL, NULL);
    intermediate_key = make_key();
    intermediate_cert = make_cert("Test Intermediate CA", intermediate_key, root, root_key, true,
                                  NULL, "http://127.0.0.1:9/root.der");
    EVP_PKEY *self_key = make_key();
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
    EVP_PKEY *key = make_key();
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
                                        "ssl_ciphers",       "max_tls_version",  "min_tls_version"};
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
