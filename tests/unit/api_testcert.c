#include "api_testcert.h"

#include <check.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

/* A self-signed certificate made now; *out_sha256 gets its fingerprint. */
char *api_test_cert_pem(const char *cn, char *out_sha256)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    ck_assert(key && cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"fixorigin", -1, -1,
                               0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_set_pubkey(cert, key);
    ck_assert(X509_sign(cert, key, EVP_sha256()) > 0);
    /* The fingerprint the way `openssl x509 -fingerprint -sha256` makes it:
     * SHA-256 over the DER. */
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    unsigned char md[32];
    unsigned int md_len = 0;
    ck_assert(EVP_Digest(der, (size_t)der_len, md, &md_len, EVP_sha256(), NULL));
    for (unsigned int i = 0; i < md_len; i++)
        sprintf(out_sha256 + 3 * i, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    OPENSSL_free(der);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, cert);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)len);
    BIO_free(bio);
    X509_free(cert);
    EVP_PKEY_free(key);
    return pem;
}
