/* Which names a certificate covers, and registrable domains by the public suffix list. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_fixture.h"

Suite *remediate_names_suite(void);

START_TEST(exact_names_any_case)
{
    fo_cert_list *c = rt_leaf("www.origin.test", "DNS:www.origin.test,DNS:Origin.Test", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "WWW.Origin.TEST"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "origin.test"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "www.origin.test.")); /* rooted */
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
    /* The CN does not count beside a DNS subjectAltName. */
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "shop"));
    fo_cert_list_free(c);

    /* Never a wildcard over a public suffix. */
    c = rt_leaf("x", "DNS:*.co.uk,DNS:*.com", NULL);
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.co.uk"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "example.com"));
    fo_cert_list_free(c);
}
END_TEST

START_TEST(ip_addresses_match_ip_names_only)
{
    fo_cert_list *c = rt_leaf("127.0.0.1", "IP:127.0.0.1,IP:::1,DNS:localhost.test", NULL);
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "127.0.0.1"));
    ck_assert(fo_remediate_cert_covers(&c->certs[0], "0:0:0:0:0:0:0:1"));
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "127.0.0.2"));
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
    ck_assert(!fo_remediate_cert_covers(&c->certs[0], "other.origin.test"));
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
    tcase_add_test(tc, registrable_domains);
    suite_add_tcase(s, tc);
    return s;
}
