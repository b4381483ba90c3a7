#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <openssl/err.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/fo.h"

START_TEST(hex_encode_is_lowercase_and_terminated)
{
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    char out[2 * sizeof(bytes) + 1];
    memset(out, 'x', sizeof(out));
    fo_hex_encode(out, bytes, sizeof(bytes));
    ck_assert_str_eq(out, "000fa5ff");
    fo_hex_encode(out, bytes, 0);
    ck_assert_str_eq(out, "");
}
END_TEST

/* 32 bytes 0x00, 0x11, ... as hex: every digit value, both cases are told apart below. */
static const char sha_lower[] = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210";

static void expect_sha(const char *text, bool valid)
{
    unsigned char got[FO_SHA256_LEN], want[FO_SHA256_LEN];
    fo_error err = {0};
    int rc = fo_sha256_parse(got, text, &err);
    ck_assert_msg((rc == 0) == valid, "'%s' %s", text ? text : "(null)",
                  valid ? "refused" : "accepted");
    if (!valid) {
        ck_assert_int_eq(rc, FO_EINVAL);
        ck_assert_int_eq(err.code, FO_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "SHA-256"));
        return;
    }
    ck_assert_int_eq(fo_sha256_parse(want, sha_lower, NULL), 0);
    ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "'%s' read as other bytes", text);
}

START_TEST(sha256_fingerprints_as_users_write_them)
{
    unsigned char bytes[FO_SHA256_LEN];
    char back[2 * FO_SHA256_LEN + 1];
    ck_assert_int_eq(fo_sha256_parse(bytes, sha_lower, NULL), 0);
    ck_assert_uint_eq(bytes[0], 0x00);
    ck_assert_uint_eq(bytes[1], 0x11);
    ck_assert_uint_eq(bytes[31], 0x10);
    fo_hex_encode(back, bytes, sizeof(bytes));
    ck_assert_str_eq(back, sha_lower);

    char upper[sizeof(sha_lower)], mixed[sizeof(sha_lower)], colons[3 * FO_SHA256_LEN];
    char colons_lower[3 * FO_SHA256_LEN];
    for (size_t i = 0; sha_lower[i]; i++) {
        upper[i] = (char)toupper((unsigned char)sha_lower[i]);
        mixed[i] = i % 3 ? upper[i] : sha_lower[i];
    }
    upper[64] = mixed[64] = '\0';
    colons[0] = colons_lower[0] = '\0';
    for (size_t i = 0; i < 64; i += 2) {
        fo_str_appendf(colons, sizeof(colons), "%s%.2s", i ? ":" : "", upper + i);
        fo_str_appendf(colons_lower, sizeof(colons_lower), "%s%.2s", i ? ":" : "", sha_lower + i);
    }
    expect_sha(upper, true);
    expect_sha(mixed, true);
    expect_sha(colons, true); /* as openssl x509 -fingerprint prints it */
    expect_sha(colons_lower, true);

    /* ':' between whole pairs only; any number of them, as before. */
    char buf[200];
    snprintf(buf, sizeof(buf), ":%s:", colons);
    expect_sha(buf, true);
    snprintf(buf, sizeof(buf), "%.4s::%s", sha_lower, sha_lower + 4);
    expect_sha(buf, true);
    snprintf(buf, sizeof(buf), "%.3s:%s", sha_lower, sha_lower + 3);
    expect_sha(buf, false); /* inside a pair */

    /* 63 and 65 digits, 62 and 66 (a byte short, a byte over), with and without ':' */
    snprintf(buf, sizeof(buf), "%.63s", sha_lower);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%s0", sha_lower);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%.62s", sha_lower);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%s00", sha_lower);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%.92s", colons);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%s:00", colons);
    expect_sha(buf, false);

    /* Other separators, spaces, prefixes and non-hex letters are refused. */
    static const char *const seps[] = {"-", " ", ".", ";", "\t", "\n"};
    for (size_t k = 0; k < sizeof(seps) / sizeof(seps[0]); k++) {
        snprintf(buf, sizeof(buf), "%.2s%s%s", sha_lower, seps[k], sha_lower + 2);
        expect_sha(buf, false);
        snprintf(buf, sizeof(buf), "%s%s", sha_lower, seps[k]);
        expect_sha(buf, false);
    }
    snprintf(buf, sizeof(buf), "0x%.62s", sha_lower);
    expect_sha(buf, false);
    snprintf(buf, sizeof(buf), "%.63sg", sha_lower);
    expect_sha(buf, false);
    expect_sha("", false);
    expect_sha(":", false);
    expect_sha("abc", false);
    expect_sha(NULL, false);
    ck_assert_int_eq(fo_sha256_parse(bytes, NULL, NULL), FO_EINVAL);
    /* A refusal leaves nothing on OpenSSL's error queue for a later TLS error to be
     * explained by. */
    ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(format_time_is_utc_iso8601)
{
    char buf[32];
    fo_format_time(buf, sizeof(buf), 1795824000); /* 2026-11-28T00:00:00Z */
    ck_assert_str_eq(buf, "2026-11-28T00:00:00Z");
    fo_format_time(buf, sizeof(buf), 0);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
    fo_format_time(buf, 4, 0); /* too small: says it cannot, never a cut date */
    ck_assert_str_eq(buf, "?");
}
END_TEST

/* An address in text, judged by fo_ip_is_public (the AIA fetch's blocklist). */
static bool text_is_public(const char *text)
{
    unsigned char ip[16];
    if (inet_pton(AF_INET, text, ip) == 1)
        return fo_ip_is_public(AF_INET, ip);
    ck_assert_msg(inet_pton(AF_INET6, text, ip) == 1, "%s is no address", text);
    return fo_ip_is_public(AF_INET6, ip);
}

START_TEST(loopback_is_127_slash_8_and_colon_colon_1_in_any_spelling)
{
    static const char *const yes[] = {"127.0.0.1", "127.1.2.3",       "127.255.255.255", "::1",
                                      "[::1]",     "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"};
    static const char *const no[] = {"128.0.0.1", "126.255.255.255",       "::2",   "::",
                                     "localhost", "127.0.0.1.example.com", "127.1", "[127.0.0.1]",
                                     "[::1",      "64:ff9b::127.0.0.1",    "",      NULL};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        ck_assert_msg(fo_ip_text_is_loopback(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ck_assert_msg(!fo_ip_text_is_loopback(no[i]), "%s", no[i] ? no[i] : "NULL");
    const unsigned char v4[4] = {127, 0, 0, 9};
    ck_assert(fo_ip_is_loopback(AF_INET, v4));
    ck_assert(!fo_ip_is_loopback(AF_UNIX, v4));
}
END_TEST

START_TEST(public_addresses_and_the_blocklist)
{
    static const char *const public[] = {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0",
                                         "172.32.0.1", "192.0.1.1", "198.20.0.1", "223.255.255.255",
                                         "2606:4700::1111", "2a04:4e42::1",
                                         /* IPv4 inside IPv6: the IPv4 address decides */
                                         "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:0808:0808::1"};
    static const char *const blocked[] = {
        "0.1.2.3", "10.0.0.1", "100.64.0.1", "127.0.0.1", "169.254.169.254", "172.16.0.1",
        "172.31.255.255", "192.0.0.8", "192.168.1.1", "198.18.0.1", "198.19.255.255", "224.0.0.1",
        "255.255.255.255", "::", "::1", "fe80::1", "febf::1", "fc00::1", "fd12:3456::1", "ff02::1",
        /* mapped, NAT64 (RFC 6052) and 6to4 (RFC 3056) around a blocked IPv4 address */
        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::10.0.0.1", "64:ff9b::127.0.0.1",
        "64:ff9b::169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:c0a8:0101::1", "2002:7f00:0001::1",
        "2002:a9fe:a9fe::", "2002:0a00:0001:ffff::1",
        /* the deprecated IPv4-compatible form, local-use NAT64 (RFC 8215), Teredo */
        "::8.8.8.8", "::10.0.0.1", "64:ff9b:1::8.8.8.8", "64:ff9b:1:ffff::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2"};
    for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
        ck_assert_msg(text_is_public(public[i]), "%s refused", public[i]);
    for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
        ck_assert_msg(!text_is_public(blocked[i]), "%s allowed", blocked[i]);
    /* Just outside the NAT64 prefixes: ordinary global addresses. */
    ck_assert(text_is_public("64:ff9b:0:0:0:1:808:808"));
    ck_assert(text_is_public("64:ff9b:2::1"));
    ck_assert(text_is_public("2001:db9::1"));
}
END_TEST

/* Every IPv4 block the AIA fetch refuses (RFC 6890's special-purpose registry, the blocks
 * not globally reachable): its first and last address, and the addresses just outside it
 * (NULL where another refused block or the end of the space is there). */
static const struct {
    const char *first, *last, *before, *after;
} v4_blocks[] = {
    {"0.0.0.0", "0.255.255.255", NULL, "1.0.0.0"},
    {"10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0"},
    {"100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0"},
    {"127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0"},
    {"169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0"},
    {"172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0"},
    {"192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0"},
    {"192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0"},          /* TEST-NET-1 */
    {"192.88.99.0", "192.88.99.255", "192.88.98.255", "192.88.100.0"}, /* 6to4 relay */
    {"192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0"},
    {"198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0"},    /* benchmarking */
    {"198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0"}, /* TEST-NET-2 */
    {"203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0"},    /* TEST-NET-3 */
    {"224.0.0.0", "239.255.255.255", "223.255.255.255", NULL},           /* multicast */
    {"240.0.0.0", "255.255.255.255", NULL, NULL}, /* reserved, and the broadcast address */
    {"255.255.255.255", "255.255.255.255", NULL, NULL},
};

/* text as an IPv4 address, then inside each IPv6 address that carries one: mapped, NAT64
 * (RFC 6052) and 6to4 (RFC 3056); each judged as the IPv4 address is. */
static void expect_v4_everywhere(const char *text, bool public)
{
    unsigned char v4[4];
    char v6[INET6_ADDRSTRLEN + 16];
    ck_assert_msg(inet_pton(AF_INET, text, v4) == 1, "%s is no IPv4 address", text);
    ck_assert_msg(text_is_public(text) == public, "%s %s", text, public ? "refused" : "allowed");
    const char *prefixes[] = {"::ffff:", "64:ff9b::", NULL};
    for (size_t i = 0; prefixes[i]; i++) {
        snprintf(v6, sizeof(v6), "%s%s", prefixes[i], text);
        ck_assert_msg(text_is_public(v6) == public, "%s %s", v6, public ? "refused" : "allowed");
    }
    snprintf(v6, sizeof(v6), "2002:%02x%02x:%02x%02x::1", v4[0], v4[1], v4[2], v4[3]);
    ck_assert_msg(text_is_public(v6) == public, "%s %s", v6, public ? "refused" : "allowed");
    /* Teredo hides the address it reaches (the client's, obfuscated): never public. */
    snprintf(v6, sizeof(v6), "2001:0:%02x%02x:%02x%02x::1", v4[0], v4[1], v4[2], v4[3]);
    ck_assert_msg(!text_is_public(v6), "%s allowed", v6);
}

START_TEST(every_special_ipv4_block_at_its_edges)
{
    for (size_t i = 0; i < sizeof(v4_blocks) / sizeof(v4_blocks[0]); i++) {
        expect_v4_everywhere(v4_blocks[i].first, false);
        expect_v4_everywhere(v4_blocks[i].last, false);
        if (v4_blocks[i].before)
            expect_v4_everywhere(v4_blocks[i].before, true);
        if (v4_blocks[i].after)
            expect_v4_everywhere(v4_blocks[i].after, true);
    }
    /* The registry's globally reachable special blocks stay reachable: AS112 (RFC 7535),
     * AMT (RFC 7450), direct delegation AS112 (RFC 7534). */
    expect_v4_everywhere("192.31.196.1", true);
    expect_v4_everywhere("192.52.193.1", true);
    expect_v4_everywhere("192.175.48.1", true);
}
END_TEST

START_TEST(ipv6_documentation_and_benchmarking_blocks)
{
    static const char *const blocked[] = {"2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
                                          "3fff::",     "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
                                          "2001:2::",   "2001:2:0:ffff:ffff:ffff:ffff:ffff",
                                          "100::",      "100::ffff:ffff:ffff:ffff"};
    static const char *const public[] = {"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff",
                                         "2001:db9::",
                                         "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                                         "3fff:1000::",
                                         "100:0:0:1::",
                                         "ff::1"};
    for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++)
        ck_assert_msg(!text_is_public(blocked[i]), "%s allowed", blocked[i]);
    for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
        ck_assert_msg(text_is_public(public[i]), "%s refused", public[i]);
}
END_TEST

Suite *common_suite(void);

START_TEST(error_set_returns_code_and_formats)
{
    fo_error err;
    fo_error_clear(&err);
    int rc = fo_error_set(&err, FO_ELOCKED, "version %d is locked", 7);
    ck_assert_int_eq(rc, FO_ELOCKED);
    ck_assert_int_eq(err.code, FO_ELOCKED);
    ck_assert_str_eq(err.msg, "version 7 is locked");
    ck_assert_int_eq(fo_error_set(NULL, FO_EINVAL, "ignored"), FO_EINVAL);
}
END_TEST

START_TEST(error_message_is_truncated_not_overflowed)
{
    fo_error err;
    char long_name[600];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    fo_error_set(&err, FO_EINVAL, "backend '%s' not found", long_name);
    ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
}
END_TEST

START_TEST(strerror_names_every_code)
{
    for (int code = FO_OK; code >= FO_ESTATE; code--)
        ck_assert_str_ne(fo_strerror(code), "unknown error");
    ck_assert_str_eq(fo_strerror(-999), "unknown error");
}
END_TEST

START_TEST(buf_grows_and_steals)
{
    fo_buf b = {0};
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(fo_buf_printf(&b, "%d,", i % 10), 0);
    ck_assert_uint_eq(b.len, 2000);
    ck_assert_int_eq(fo_buf_puts(&b, "end"), 0);
    char *s = fo_buf_steal(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(strlen(s), 2003);
    ck_assert_str_eq(s + 2000, "end");
    free(s);
    s = fo_buf_steal(&b);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

START_TEST(empty_means_null_or_blank)
{
    ck_assert(fo_str_empty(NULL));
    ck_assert(fo_str_empty(""));
    ck_assert(!fo_str_empty(" "));
    ck_assert_ptr_null(fo_strdup(NULL));
    fo_secret_free(NULL);
    fo_secret_free(fo_strdup("secret"));
}
END_TEST

Suite *common_suite(void)
{
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, error_set_returns_code_and_formats);
    tcase_add_test(tc, error_message_is_truncated_not_overflowed);
    tcase_add_test(tc, strerror_names_every_code);
    tcase_add_test(tc, buf_grows_and_steals);
    tcase_add_test(tc, empty_means_null_or_blank);
    tcase_add_test(tc, hex_encode_is_lowercase_and_terminated);
    tcase_add_test(tc, sha256_fingerprints_as_users_write_them);
    tcase_add_test(tc, format_time_is_utc_iso8601);
    tcase_add_test(tc, loopback_is_127_slash_8_and_colon_colon_1_in_any_spelling);
    tcase_add_test(tc, public_addresses_and_the_blocklist);
    tcase_add_test(tc, every_special_ipv4_block_at_its_edges);
    tcase_add_test(tc, ipv6_documentation_and_benchmarking_blocks);
    suite_add_tcase(s, tc);
    return s;
}
