/* Which names a certificate covers, and registrable domains by the public suffix list. */
#include <check.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remediate_fixture.h"
#include "testcert.h"

Suite *remediate_names_suite(void);

START_TEST(exact_names_any_case)
{
    fo_cert_list *c = rt_leaf("www.origin.test", "DNS:www.origin.test,DNS:Origin.Test", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "WWW.Origin.TEST"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.origin.test.")); /* rooted */
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "WWW.ORIGIN.TEST."));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.origin.test.x"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.origin.tes"));
    /* A leading dot is no name (OpenSSL's own check would read it as "any name under"). */
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], ".origin.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "."));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "api.origin.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "ww.origin.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], ""));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], NULL));
    ck_assert(!fo_remediate_cert_covers(NULL, "www.origin.test"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(a_wildcard_covers_one_whole_label)
{
    fo_cert_list *c = rt_leaf("shop", "DNS:*.shop.example.com", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.shop.example.com"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "a.b.shop.example.com"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "shop.example.com"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], ".shop.example.com"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "WWW.Shop.Example.COM."));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.shop.example.co"));
    /* The CN does not count beside a DNS subjectAltName. */
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "shop"));
    fo_cert_list_free(c);

    /* Never a wildcard over a public suffix. */
    c = rt_leaf("x", "DNS:*.co.uk,DNS:*.com", NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.co.uk"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "EXAMPLE.CO.UK."));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.com"));
    fo_cert_list_free(c);
    /* ... nor one over a suffix shared by strangers (github.io), CN or not. */
    c = rt_leaf("*.github.io", NULL, NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "alice.github.io"));
    fo_cert_list_free(c);
    c = rt_leaf("*.co.uk", NULL, NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.co.uk"));
    fo_cert_list_free(c);
    /* A name of its own beside such a wildcard still counts, in either order. */
    c = rt_leaf("x", "DNS:*.co.uk,DNS:shop.co.uk", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "shop.co.uk"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "other.co.uk"));
    fo_cert_list_free(c);
    c = rt_leaf("x", "DNS:shop.co.uk,DNS:*.co.uk", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "shop.co.uk"));
    fo_cert_list_free(c);
    /* Under a registrable domain a wildcard is fine, public suffix or not above it. */
    c = rt_leaf("x", "DNS:*.example.co.uk", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.example.co.uk"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.co.uk"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(ip_addresses_match_ip_names_only)
{
    fo_cert_list *c = rt_leaf("127.0.0.1", "IP:127.0.0.1,IP:::1,DNS:localhost.test", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "127.0.0.1"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "0:0:0:0:0:0:0:1"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "127.0.0.2"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "::2"));
    /* An address with a dot after it is no address, and not the DNS name either. */
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "127.0.0.1."));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "LOCALHOST.test"));
    fo_cert_list_free(c);
    /* An IP address in the CN is no IP name. */
    c = rt_leaf("10.0.0.1", NULL, NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "10.0.0.1"));
    fo_cert_list_free(c);
    /* Nor is an address written as a DNS name: OpenSSL's check would refuse it. */
    c = rt_leaf("x", "DNS:127.0.0.1", NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "127.0.0.1"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(the_cn_counts_without_dns_names)
{
    fo_cert_list *c = rt_leaf("legacy.origin.test", NULL, NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "legacy.origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "Legacy.Origin.Test."));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "other.origin.test"));
    fo_cert_list_free(c);
    /* An IP subjectAltName is no DNS name: the CN still counts beside it. */
    c = rt_leaf("legacy.origin.test", "IP:127.0.0.1", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "legacy.origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "127.0.0.1"));
    fo_cert_list_free(c);
    /* A wildcard CN is a wildcard like any other. */
    c = rt_leaf("*.legacy.origin.test", NULL, NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.legacy.origin.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "legacy.origin.test"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(hostile_patterns_cover_nothing_more)
{
    /* "*" alone is no wildcard: it covers no name. */
    fo_cert_list *c = rt_leaf("x", "DNS:*", NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.origin.test"));
    fo_cert_list_free(c);
    c = rt_leaf("*", NULL, NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "localhost"));
    fo_cert_list_free(c);
    /* A star inside a label, or not leftmost, stands for nothing (as with Fastly's check:
     * no partial wildcards). */
    c = rt_leaf("x",
                "DNS:a*.shop.example,DNS:*a.shop.example,DNS:w*w.example,"
                "DNS:www.*.example,DNS:xn--*.example",
                NULL);
    static const char *const none[] = {"ab.shop.example", "a.shop.example",       "ba.shop.example",
                                       "www.example",     "wxw.example",          "www.x.example",
                                       "xn--a.example",   "xn--bcher-kva.example"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        ck_assert_msg(!fo_remediate_cert_covers(&c->certs[0], none[i]), "%s covered", none[i]);
    fo_cert_list_free(c);
    /* Names in the punycode the certificate has them in (IDN A-labels), any case; a
     * U-label (UTF-8) is another name. */
    c = rt_leaf("x", "DNS:xn--bcher-kva.example.com,DNS:*.xn--caf-dma.example", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "xn--bcher-kva.example.com"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "XN--BCHER-KVA.example.com"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "b\xc3\xbc"
                                                      "cher.example.com"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.xn--caf-dma.example"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "xn--80ak6aa92e.xn--caf-dma.example"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "xn--caf-dma.example"));
    fo_cert_list_free(c);
}
END_TEST

/* A self-signed certificate for CN=cn whose only subjectAltName is the DNS name of len
 * bytes, NULs and all (config text cannot say it). */
static fo_cert_list *with_raw_dns_name(const char *cn, const char *dns, int len)
{
    EVP_PKEY *key = tc_key();
    static const int nids[] = {NID_basic_constraints, 0};
    static const char *const values[] = {"CA:FALSE"};
    time_t now = time(NULL);
    X509 *cert = tc_cert(cn, NULL, key, NULL, NULL, now - 3600, now + 86400, nids, values);
    GENERAL_NAMES *names = GENERAL_NAMES_new();
    GENERAL_NAME *name = GENERAL_NAME_new();
    ASN1_IA5STRING *text = ASN1_IA5STRING_new();
    ck_assert(names && name && text && ASN1_STRING_set(text, dns, len) == 1);
    GENERAL_NAME_set0_value(name, GEN_DNS, text);
    ck_assert(sk_GENERAL_NAME_push(names, name) > 0);
    ck_assert_int_eq(X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, 0), 1);
    ck_assert_int_gt(X509_sign(cert, key, EVP_sha256()), 0);
    char *pem = tc_pem("", &cert, 1);
    fo_cert_list *list = NULL;
    fo_error err;
    ck_assert_int_eq(fo_probe_certs_parse(&list, pem, strlen(pem), "test", &err), 0);
    free(pem);
    GENERAL_NAMES_free(names);
    X509_free(cert);
    EVP_PKEY_free(key);
    return list;
}

START_TEST(a_name_with_a_nul_inside_covers_nothing)
{
    /* "www.bank.test\0.evil.test": its text would read as www.bank.test. It names nothing,
     * and as a DNS subjectAltName it still keeps the CN from counting (as in a client). */
    fo_cert_list *c = with_raw_dns_name("www.bank.test", "www.bank.test\0.evil.test", 24);
    ck_assert_uint_eq(c->certs[0].san_count, 0); /* the facts leave it out */
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.bank.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "www.bank.test.evil.test"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "evil.test"));
    fo_cert_list_free(c);
    /* The same certificate with a clean name, to show the builder itself is sound. */
    c = with_raw_dns_name("x", "www.bank.test", 13);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.bank.test"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(facts_without_a_certificate_cover_nothing)
{
    /* Facts built by hand (no PEM) have no certificate for OpenSSL to check. */
    fo_cert_list *c = rt_leaf("www.origin.test", "DNS:www.origin.test,IP:127.0.0.1", NULL);
    fo_cert_facts bare = c->certs[0];
    ck_assert(fo_remediate_cert_covers(&bare, "www.origin.test"));
    bare.pem = NULL;
    ck_assert(!fo_remediate_cert_covers(&bare, "www.origin.test"));
    ck_assert(!fo_remediate_cert_covers(&bare, "127.0.0.1"));
    char broken[] = "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n";
    bare.pem = broken;
    ck_assert(!fo_remediate_cert_covers(&bare, "www.origin.test"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(registrable_domains)
{
    char out[128];
    fo_remediate_registrable_domain(out, sizeof(out), "www.shop.example.co.uk");
    ck_assert_str_eq(out, "example.co.uk");
    fo_remediate_registrable_domain(out, sizeof(out), "WWW.Example.COM");
    ck_assert_str_eq(out, "example.com");
    fo_remediate_registrable_domain(out, sizeof(out), "other.origin.test");
    ck_assert_str_eq(out, "origin.test");
    /* A suffix shared by strangers (github.io) makes each site its own domain. */
    fo_remediate_registrable_domain(out, sizeof(out), "a.alice.github.io");
    ck_assert_str_eq(out, "alice.github.io");
    fo_remediate_registrable_domain(out, sizeof(out), "co.uk");
    ck_assert_str_eq(out, "");
    fo_remediate_registrable_domain(out, sizeof(out), "127.0.0.1");
    ck_assert_str_eq(out, "");
    fo_remediate_registrable_domain(out, sizeof(out), "::1");
    ck_assert_str_eq(out, "");
    fo_remediate_registrable_domain(out, sizeof(out), "");
    ck_assert_str_eq(out, "");
    fo_remediate_registrable_domain(out, sizeof(out), NULL);
    ck_assert_str_eq(out, "");
}
END_TEST

Suite *remediate_names_suite(void)
{
    Suite *s = suite_create("remediate_names");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, exact_names_any_case);
    tcase_add_test(tc, a_wildcard_covers_one_whole_label);
    tcase_add_test(tc, ip_addresses_match_ip_names_only);
    tcase_add_test(tc, the_cn_counts_without_dns_names);
    tcase_add_test(tc, hostile_patterns_cover_nothing_more);
    tcase_add_test(tc, a_name_with_a_nul_inside_covers_nothing);
    tcase_add_test(tc, facts_without_a_certificate_cover_nothing);
    tcase_add_test(tc, registrable_domains);
    suite_add_tcase(s, tc);
    return s;
}
