/* Certificates for the api tests, made at run time: none is checked in. */
#ifndef FO_TEST_API_TESTCERT_H
#define FO_TEST_API_TESTCERT_H

/* A self-signed P-256 certificate, subject "CN=<cn>,O=fixorigin", as PEM
 * (free it). out_sha256 (96 bytes) gets its SHA-256 fingerprint, upper-case
 * hex pairs joined by ':'. */
char *api_test_cert_pem(const char *cn, char *out_sha256);

#endif
