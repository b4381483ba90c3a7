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

/* prefix, then the PEM text of certs[0..count). A new string. */
char *tc_pem(const char *prefix, X509 *const *certs, size_t count);

#endif
