#include "api_testcert.h"

#include <check.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <time.h>

#include "testcert.h"

/* A self-signed certificate made now; *out_sha256 gets its fingerprint. */
char *api_test_cert_pem(const char *cn, char *out_sha256)
{
    EVP_PKEY *key = tc_key();
    time_t now = time(NULL);
    X509 *cert = tc_cert(cn, "fixorigin", key, NULL, NULL, now, now + 3600, NULL, NULL);
    /* The fingerprint the way `openssl x509 -fingerprint -sha256` makes it: SHA-256 over the
     * DER. */
    unsigned char md[32];
    unsigned int md_len = 0;
    ck_assert(X509_digest(cert, EVP_sha256(), md, &md_len));
    for (unsigned int i = 0; i < md_len; i++)
        sprintf(out_sha256 + 3 * i, i + 1 < md_len ? "%02X:" : "%02X", md[i]);
    char *pem = tc_pem("", &cert, 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    return pem;
}
