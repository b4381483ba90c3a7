#include "testcert.h"

#include <check.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

EVP_PKEY *tc_key(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    ck_assert_ptr_nonnull(key);
    return key;
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx = {0}; /* no config database: what X509V3_set_ctx_nodb() sets */
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_msg(ext != NULL, "extension %d '%s'", nid, value);
    ck_assert_int_eq(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

X509 *tc_cert(const char *cn, const char *org, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
              time_t not_before, time_t not_after, const int *nids, const char *const *values)
{
    static long serial = 1;
    X509 *cert = X509_new();
    ck_assert_ptr_nonnull(cert);
    X509_set_version(cert, nids ? 2 : 0);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), serial++);
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notBefore(cert), not_before));
    ck_assert_ptr_nonnull(ASN1_TIME_set(X509_getm_notAfter(cert), not_after));
    X509_NAME *name = X509_get_subject_name(cert);
    if (org)
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)org, -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(cert, key);
    for (size_t i = 0; nids && nids[i]; i++)
        add_ext(cert, issuer ? issuer : cert, nids[i], values[i]);
    ck_assert_int_gt(X509_sign(cert, issuer ? issuer_key : key, EVP_sha256()), 0);
    return cert;
}

char *tc_pem(const char *prefix, X509 *const *certs, size_t count)
{
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert_ptr_nonnull(bio);
    BIO_puts(bio, prefix);
    for (size_t i = 0; i < count; i++)
        ck_assert_int_eq(PEM_write_bio_X509(bio, certs[i]), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, data, (size_t)n);
    BIO_free(bio);
    return text;
}

char *tc_private_key_pem(void)
{
    EVP_PKEY *key = tc_key();
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert_ptr_nonnull(bio);
    ck_assert_int_eq(PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL), 1);
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *text = calloc(1, (size_t)n + 1);
    ck_assert_ptr_nonnull(text);
    memcpy(text, data, (size_t)n);
    BIO_free(bio);
    EVP_PKEY_free(key);
    return text;
}

void tc_pem_line(char *out, size_t size, const char *pem, int n)
{
    const char *line = pem;
    for (int i = 0; i < n && line; i++) {
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    ck_assert_ptr_nonnull(line);
    size_t len = strcspn(line, "\n");
    len = len < size ? len : size - 1;
    memcpy(out, line, len);
    out[len] = '\0';
}
