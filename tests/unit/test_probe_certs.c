/* Certificate facts, from certificates this test makes with OpenSSL's API. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "probe_certs.h"
#include "probe_tls.h"
#include "testcert.h"

Suite *probe_certs_suite(void);

#define NOT_BEFORE ((int64_t)1767225600) /* 2026-01-01T00:00:00Z */
#define NOT_AFTER ((int64_t)1798761600)  /* 2027-01-01T00:00:00Z */

/* A certificate valid through 2026. */
static X509 *make_cert(const char *cn, const char *org, EVP_PKEY *key, X509 *issuer,
                       EVP_PKEY *issuer_key, const int *nids, const char *const *values)
{
    return tc_cert(cn, org, key, issuer, issuer_key, (time_t)NOT_BEFORE, (time_t)NOT_AFTER, nids,
                   values);
}

static EVP_PKEY *ca_key, *leaf_key;
static X509 *ca, *leaf;

static void setup(void)
{
    ca_key = tc_key();
    leaf_key = tc_key();
    static const int ca_nids[] = {NID_basic_constraints, NID_key_usage, NID_subject_key_identifier,
                                  0};
    static const char *const ca_values[] = {"critical,CA:TRUE", "critical,keyCertSign,cRLSign",
                                            "hash"};
    ca = make_cert("Testbed Root CA", "Testbed", ca_key, NULL, NULL, ca_nids, ca_values);
    static const int leaf_nids[] = {NID_basic_constraints, NID_subject_alt_name, NID_info_access,
                                    NID_authority_key_identifier, 0};
    static const char *const leaf_values[] = {
        "CA:FALSE", "DNS:www.origin.test,DNS:origin.test,IP:127.0.0.1,IP:::1",
        "caIssuers;URI:http://127.0.0.1:8080/ca.der,OCSP;URI:http://127.0.0.1:8080/ocsp",
        "keyid:always"};
    leaf = make_cert("www.origin.test", "Testbed", leaf_key, ca, ca_key, leaf_nids, leaf_values);
}

static void teardown(void)
{
    X509_free(leaf);
    X509_free(ca);
    EVP_PKEY_free(leaf_key);
    EVP_PKEY_free(ca_key);
}

static void hex_digest(char out[65], X509 *cert)
{
    unsigned char md[32];
    unsigned int n = 0;
    ck_assert_int_eq(X509_digest(cert, EVP_sha256(), md, &n), 1);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

START_TEST(leaf_facts)
{
    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, leaf), 0);
    ck_assert_str_eq(f.subject, "CN=www.origin.test,O=Testbed");
    ck_assert_str_eq(f.issuer, "CN=Testbed Root CA,O=Testbed");
    ck_assert_uint_eq(f.san_count, 4);
    ck_assert_str_eq(f.san[0], "www.origin.test");
    ck_assert_str_eq(f.san[1], "origin.test");
    ck_assert_str_eq(f.san[2], "127.0.0.1");
    ck_assert_str_eq(f.san[3], "::1");
    ck_assert_int_eq(f.not_before, NOT_BEFORE);
    ck_assert_int_eq(f.not_after, NOT_AFTER);
    char digest[65];
    hex_digest(digest, leaf);
    ck_assert_str_eq(f.sha256, digest);
    ck_assert_uint_eq(strlen(f.sha256), 64);
    ck_assert(!f.self_signed);
    ck_assert(!f.is_ca);
    ck_assert_str_eq(f.aia_issuer_url, "http://127.0.0.1:8080/ca.der");

    /* The PEM text is the same certificate. */
    BIO *bio = BIO_new_mem_buf(f.pem, -1);
    X509 *again = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(again);
    ck_assert_int_eq(X509_cmp(again, leaf), 0);
    X509_free(again);
    BIO_free(bio);
    fo_certs_facts_clear(&f);
    ck_assert_ptr_null(f.subject);
    ck_assert_uint_eq(f.san_count, 0);
}
END_TEST

START_TEST(ca_facts)
{
    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, ca), 0);
    ck_assert(f.self_signed);
    ck_assert(f.is_ca);
    ck_assert_uint_eq(f.san_count, 0);
    ck_assert_ptr_null(f.aia_issuer_url);
    ck_assert_str_eq(f.subject, f.issuer);
    fo_certs_facts_clear(&f);
}
END_TEST

START_TEST(version1_certificate_without_extensions)
{
    EVP_PKEY *key = tc_key();
    X509 *v1 = make_cert("old.origin.test", NULL, key, NULL, NULL, NULL, NULL);
    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, v1), 0);
    ck_assert_str_eq(f.subject, "CN=old.origin.test");
    ck_assert(f.self_signed);
    ck_assert(!f.is_ca);
    ck_assert_uint_eq(f.san_count, 0);
    fo_certs_facts_clear(&f);
    X509_free(v1);
    EVP_PKEY_free(key);
}
END_TEST

START_TEST(utf8_names_stay_readable)
{
    EVP_PKEY *key = tc_key();
    X509 *cert =
        make_cert("caf\xc3\xa9.origin.test", "Soci\xc3\xa9t\xc3\xa9", key, NULL, NULL, NULL, NULL);
    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, cert), 0);
    ck_assert_str_eq(f.subject, "CN=caf\xc3\xa9.origin.test,O=Soci\xc3\xa9t\xc3\xa9");
    fo_certs_facts_clear(&f);
    X509_free(cert);
    EVP_PKEY_free(key);
}
END_TEST

/* An IA5String holding len bytes of text, NULs and all. */
static ASN1_IA5STRING *ia5(const char *text, int len)
{
    ASN1_IA5STRING *s = ASN1_IA5STRING_new();
    ck_assert(s && ASN1_STRING_set(s, text, len) == 1);
    return s;
}

/* A name or URL with a NUL inside is none: as text it would read as its first part. */
START_TEST(names_with_a_nul_inside_are_left_out)
{
    EVP_PKEY *key = tc_key();
    X509 *cert = make_cert("www.bank.test", NULL, key, NULL, NULL, NULL, NULL);
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *nul_name = GENERAL_NAME_new(), *good_name = GENERAL_NAME_new();
    GENERAL_NAME_set0_value(nul_name, GEN_DNS, ia5("www.bank.test\0.evil.test", 24));
    GENERAL_NAME_set0_value(good_name, GEN_DNS, ia5("origin.test", 11));
    sk_GENERAL_NAME_push(names, nul_name);
    sk_GENERAL_NAME_push(names, good_name);
    ck_assert_int_eq(X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, 0), 1);
    AUTHORITY_INFO_ACCESS *aia = AUTHORITY_INFO_ACCESS_new();
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(NID_ad_ca_issuers);
    GENERAL_NAME_set0_value(ad->location, GEN_URI, ia5("http://ca.test/\0@evil.test", 26));
    sk_ACCESS_DESCRIPTION_push(aia, ad);
    ck_assert_int_eq(X509_add1_ext_i2d(cert, NID_info_access, aia, 0, 0), 1);
    ck_assert_int_gt(X509_sign(cert, key, EVP_sha256()), 0);

    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, cert), 0);
    ck_assert_uint_eq(f.san_count, 1);
    ck_assert_str_eq(f.san[0], "origin.test");
    ck_assert_ptr_null(f.aia_issuer_url);
    fo_certs_facts_clear(&f);
    AUTHORITY_INFO_ACCESS_free(aia);
    GENERAL_NAMES_free(names);
    X509_free(cert);
    EVP_PKEY_free(key);
}
END_TEST

static char *pem_of(X509 *a, X509 *b, const char *prefix)
{
    X509 *certs[2] = {a, b};
    return tc_pem(prefix, certs, b ? 2 : 1);
}

START_TEST(pem_text_with_several_certificates)
{
    fo_error err = {0};
    char *text = pem_of(leaf, ca, "subject=CN = www.origin.test\n");
    STACK_OF(X509) *certs = NULL;
    ck_assert_int_eq(fo_certs_parse_pem(&certs, text, "ssl_ca_cert", &err), 0);
    ck_assert_int_eq(sk_X509_num(certs), 2);
    ck_assert_int_eq(X509_cmp(sk_X509_value(certs, 1), ca), 0);

    fo_ca_summary *summaries = NULL;
    size_t count = 0;
    ck_assert_int_eq(fo_certs_summaries(&summaries, &count, certs), 0);
    ck_assert_uint_eq(count, 2);
    ck_assert_str_eq(summaries[1].subject, "CN=Testbed Root CA,O=Testbed");
    char digest[65];
    hex_digest(digest, ca);
    ck_assert_str_eq(summaries[1].sha256, digest);
    for (size_t i = 0; i < count; i++)
        free(summaries[i].subject);
    free(summaries);
    sk_X509_pop_free(certs, X509_free);
    free(text);
}
END_TEST

START_TEST(pem_text_without_a_good_certificate)
{
    fo_error err = {0};
    STACK_OF(X509) *certs = NULL;
    ck_assert_int_eq(fo_certs_parse_pem(&certs, "", "ssl_ca_cert", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "ssl_ca_cert holds no PEM certificate");
    ck_assert_int_eq(fo_certs_parse_pem(&certs, "not a certificate\n", "--ca-file x", &err),
                     FO_EINVAL);
    ck_assert_str_eq(err.msg, "--ca-file x holds no PEM certificate");
    ck_assert_int_eq(fo_certs_parse_pem(&certs,
                                        "-----BEGIN CERTIFICATE-----\n!!!!\n"
                                        "-----END CERTIFICATE-----\n",
                                        "ssl_ca_cert", &err),
                     FO_EINVAL);
    ck_assert_str_eq(err.msg, "ssl_ca_cert holds a PEM certificate that does not parse");
    ck_assert_ptr_null(certs);

    /* A good certificate followed by a broken one is still refused. */
    char *good = pem_of(ca, NULL, "");
    char broken[4096];
    snprintf(broken, sizeof(broken),
             "%s-----BEGIN CERTIFICATE-----\nAAAA\n"
             "-----END CERTIFICATE-----\n",
             good);
    ck_assert_int_eq(fo_certs_parse_pem(&certs, broken, "ssl_ca_cert", &err), FO_EINVAL);
    ck_assert_ptr_null(certs);
    free(good);
}
END_TEST

START_TEST(certs_parse_reads_pem_and_der)
{
    fo_error err = {0};
    fo_cert_list *list = NULL;
    char *text = pem_of(leaf, ca, "");
    ck_assert_int_eq(fo_probe_certs_parse(&list, text, strlen(text), "ssl_ca_cert", &err), 0);
    ck_assert_uint_eq(list->count, 2);
    ck_assert_str_eq(list->certs[0].subject, "CN=www.origin.test,O=Testbed");
    ck_assert_str_eq(list->certs[1].subject, "CN=Testbed Root CA,O=Testbed");
    ck_assert(list->certs[1].self_signed);
    fo_cert_list_free(list);
    free(text);

    /* One DER certificate, as an AIA URL serves it: its PEM text comes with it. */
    unsigned char *der = NULL;
    int len = i2d_X509(ca, &der);
    ck_assert_int_gt(len, 0);
    list = NULL;
    ck_assert_int_eq(fo_probe_certs_parse(&list, der, (size_t)len, "issuer", &err), 0);
    ck_assert_uint_eq(list->count, 1);
    ck_assert_ptr_nonnull(strstr(list->certs[0].pem, "-----BEGIN CERTIFICATE-----"));
    char digest[65];
    hex_digest(digest, ca);
    ck_assert_str_eq(list->certs[0].sha256, digest);
    fo_cert_list_free(list);

    /* DER with trailing bytes, a cut DER, nothing and garbage are refused. */
    unsigned char *longer = malloc((size_t)len + 1);
    memcpy(longer, der, (size_t)len);
    longer[len] = 0;
    list = NULL;
    ck_assert_int_eq(fo_probe_certs_parse(&list, longer, (size_t)len + 1, "issuer", &err),
                     FO_EINVAL);
    ck_assert_str_eq(err.msg, "issuer holds no PEM or DER certificate");
    ck_assert_int_eq(fo_probe_certs_parse(&list, der, (size_t)len / 2, "issuer", &err), FO_EINVAL);
    ck_assert_int_eq(fo_probe_certs_parse(&list, "", 0, "issuer", &err), FO_EINVAL);
    ck_assert_int_eq(fo_probe_certs_parse(&list, "<html>404</html>", 16, "issuer", &err),
                     FO_EINVAL);
    ck_assert_int_eq(
        fo_probe_certs_parse(&list, "-----BEGIN CERTIFICATE-----\n!!\n", 32, "issuer", &err),
        FO_EINVAL);
    ck_assert_ptr_null(list);
    free(longer);
    OPENSSL_free(der);
}
END_TEST

static EVP_PKEY *rsa_pss_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
    if (ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) == 1)
        EVP_PKEY_generate(ctx, &key);
    EVP_PKEY_CTX_free(ctx);
    return key;
}

/* The probe's library context (libctx.c) offers only the default provider's
 * SubjectPublicKeyInfo decoders: a certificate of every key type an origin may present must
 * parse there to the key OpenSSL's default context gives, and its signature must verify with
 * an issuer key from the default context (the trust bundle's). */
START_TEST(probe_context_decodes_every_key_type)
{
    OSSL_LIB_CTX *probe_ctx = fo_tls_libctx();
    ck_assert_msg(probe_ctx != NULL, "the probe's library context could not be set up");
    ck_assert_ptr_eq(fo_tls_libctx(), probe_ctx); /* set up once */
    EVP_PKEY *keys[] = {
        EVP_EC_gen("P-256"),
        EVP_EC_gen("P-384"),
        EVP_RSA_gen(1024),
        rsa_pss_key(),
        EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
        EVP_PKEY_Q_keygen(NULL, NULL, "ED448"),
        EVP_PKEY_Q_keygen(NULL, NULL,
                          "X25519"), /* no certificate signs with it, but one may carry it */
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ck_assert_ptr_nonnull(keys[i]);
        X509 *cert = make_cert("www.origin.test", "Testbed", keys[i], ca, ca_key, NULL, NULL);
        unsigned char *der = NULL;
        int len = i2d_X509(cert, &der);
        ck_assert_int_gt(len, 0);
        const unsigned char *p = der;
        X509 *parsed = X509_new_ex(probe_ctx, NULL);
        ck_assert_ptr_nonnull(parsed);
        ck_assert_ptr_nonnull(d2i_X509(&parsed, &p, len));
        EVP_PKEY *key = X509_get0_pubkey(parsed);
        ck_assert_msg(key != NULL, "key %zu did not decode", i);
        ck_assert_int_eq(EVP_PKEY_eq(key, keys[i]), 1);
        ck_assert_int_eq(EVP_PKEY_get_base_id(key), EVP_PKEY_get_base_id(keys[i]));
        ck_assert_int_eq(EVP_PKEY_get_bits(key), EVP_PKEY_get_bits(keys[i]));
        ck_assert_int_eq(X509_verify(parsed, ca_key), 1);
        fo_cert_facts facts;
        ck_assert_int_eq(fo_certs_facts(&facts, parsed), 0);
        ck_assert_int_eq(facts.key_bits, EVP_PKEY_get_bits(keys[i]));
        fo_certs_facts_clear(&facts);
        X509_free(parsed);
        OPENSSL_free(der);
        X509_free(cert);
        EVP_PKEY_free(keys[i]);
    }
}
END_TEST

/* The name check is OpenSSL's, on the certificate the facts carry as PEM. */
START_TEST(cert_covers_checks_the_pem_with_openssl)
{
    static const int nids[] = {NID_basic_constraints, NID_subject_alt_name, 0};
    static const char *const values[] = {"CA:FALSE",
                                         "DNS:*.shop.test,DNS:www.origin.test,IP:192.0.2.7"};
    X509 *cert = make_cert("cn.origin.test", NULL, leaf_key, ca, ca_key, nids, values);
    fo_cert_facts f;
    ck_assert_int_eq(fo_certs_facts(&f, cert), 0);
    bool covered = false;
    char *matched = NULL;
    fo_error err = {0};

    /* The entry that matched comes back: the wildcard for a name under it. */
    ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, "A.Shop.Test", true, &err), 0);
    ck_assert(covered);
    ck_assert_str_eq(matched, "*.shop.test");
    free(matched);
    ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, "www.origin.test", true, &err),
                     0);
    ck_assert(covered);
    ck_assert_str_eq(matched, "www.origin.test");
    free(matched);
    ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, "192.0.2.7", true, &err), 0);
    ck_assert(covered);
    ck_assert_str_eq(matched, "192.0.2.7");
    free(matched);
    /* Without wildcards only the entries of their own count. */
    ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, "a.shop.test", false, &err), 0);
    ck_assert(!covered);
    ck_assert_ptr_null(matched);
    ck_assert_int_eq(fo_probe_cert_covers(&covered, NULL, &f, "www.origin.test", false, &err), 0);
    ck_assert(covered);
    /* Not covered: the CN beside DNS names, an address as a name, a leading dot, nothing. */
    static const char *const not_covered[] = {"cn.origin.test", "192.0.2.8",     ".shop.test",
                                              ".origin.test",   "a.b.shop.test", ""};
    for (size_t i = 0; i < sizeof(not_covered) / sizeof(not_covered[0]); i++) {
        ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, not_covered[i], true, &err),
                         0);
        ck_assert_msg(!covered, "%s covered", not_covered[i]);
        ck_assert_ptr_null(matched);
    }
    /* Facts without a certificate (built by hand) are an error, and cover nothing. */
    char *pem = f.pem;
    f.pem = NULL;
    ck_assert_int_eq(fo_probe_cert_covers(&covered, &matched, &f, "www.origin.test", true, &err),
                     FO_EINVAL);
    ck_assert(!covered);
    ck_assert_ptr_null(matched);
    ck_assert_ptr_nonnull(strstr(err.msg, "PEM"));
    char broken[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    f.pem = broken;
    ck_assert_int_eq(fo_probe_cert_covers(&covered, NULL, &f, "www.origin.test", true, &err),
                     FO_EINVAL);
    ck_assert(!covered);
    ck_assert_uint_eq(ERR_peek_error(), 0); /* nothing left for a later TLS error */
    f.pem = pem;
    fo_certs_facts_clear(&f);
    X509_free(cert);
}
END_TEST

Suite *probe_certs_suite(void)
{
    Suite *s = suite_create("probe_certs");
    TCase *tc = tcase_create("certs");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, leaf_facts);
    tcase_add_test(tc, ca_facts);
    tcase_add_test(tc, version1_certificate_without_extensions);
    tcase_add_test(tc, utf8_names_stay_readable);
    tcase_add_test(tc, names_with_a_nul_inside_are_left_out);
    tcase_add_test(tc, cert_covers_checks_the_pem_with_openssl);
    tcase_add_test(tc, pem_text_with_several_certificates);
    tcase_add_test(tc, pem_text_without_a_good_certificate);
    tcase_add_test(tc, certs_parse_reads_pem_and_der);
    tcase_add_test(tc, probe_context_decodes_every_key_type);
    suite_add_tcase(s, tc);
    return s;
}
