/* tests/unit/testcert.h: certificates the unit suites make with OpenSSL at run time (none is
 * checked in). Every failure is a libcheck assertion. */
#ifndef FO_TEST_TESTCERT_H
#define FO_TEST_TESTCERT_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <time.h>

/* A new P-256 key. */
EVP_PKEY *tc_key(void);

/* A certificate for CN=cn (after O=org when org is not NULL) with key's public half, valid
 * from not_before to not_after, signed by issuer/issuer_key or self-signed when issuer is
 * NULL. Extensions: nids[i] with the X509V3 config text values[i] until a 0 nid; without
 * any (nids NULL) a version 1 certificate. Serial numbers count up from 1. */
X509 *tc_cert(const char *cn, const char *org, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key,
              time_t not_before, time_t not_after, const int *nids, const char *const *values);

/* A new P-256 private key as PKCS#8 PEM: the ssl_client_key of tests, made at run time so
 * that no key is ever checked in. A new string. */
char *tc_private_key_pem(void);

/* Line n (0: the armour, 1: the first base64 line) of a PEM text into out: a piece that
 * shows whether the key leaked somewhere. */
void tc_pem_line(char *out, size_t size, const char *pem, int n);

/* prefix, then the PEM text of certs[0..count). A new string. */
char *tc_pem(const char *prefix, X509 *const *certs, size_t count);

#endif
