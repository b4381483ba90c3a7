/* Hand-built ClientHellos and the strict ServerHello parser. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "probe_hello.h"

Suite *probe_hello_suite(void);

static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* A ServerHello message (handshake header included). selected: a supported_versions
 * extension when not 0. */
static size_t server_hello_message(uint8_t *out, unsigned legacy, unsigned cipher,
                                   unsigned selected, bool hrr)
{
    size_t n = 4;
    out[n++] = (uint8_t)(legacy >> 8);
    out[n++] = (uint8_t)legacy;
    for (int i = 0; i < 32; i++)
        out[n++] = hrr ? hrr_random[i] : (uint8_t)(i + 1);
    out[n++] = 32; /* session id */
    for (int i = 0; i < 32; i++)
        out[n++] = 0xab;
    out[n++] = (uint8_t)(cipher >> 8);
    out[n++] = (uint8_t)cipher;
    out[n++] = 0; /* compression */
    size_t ext_at = n;
    n += 2;
    out[n++] = 0xff; /* renegotiation_info */
    out[n++] = 0x01;
    out[n++] = 0;
    out[n++] = 1;
    out[n++] = 0;
    if (selected) {
        out[n++] = 0x00;
        out[n++] = 0x2b;
        out[n++] = 0;
        out[n++] = 2;
        out[n++] = (uint8_t)(selected >> 8);
        out[n++] = (uint8_t)selected;
    }
    out[ext_at] = (uint8_t)((n - ext_at - 2) >> 8);
    out[ext_at + 1] = (uint8_t)(n - ext_at - 2);
    out[0] = 2;
    out[1] = 0;
    out[2] = (uint8_t)((n - 4) >> 8);
    out[3] = (uint8_t)(n - 4);
    return n;
}

/* Wraps data in records of at most fragment bytes each. */
static size_t records(uint8_t *out, uint8_t type, const uint8_t *data, size_t len, size_t fragment)
{
    size_t n = 0;
    for (size_t off = 0; off < len; off += fragment) {
        size_t take = len - off < fragment ? len - off : fragment;
        out[n++] = type;
        out[n++] = 3;
        out[n++] = 3;
        out[n++] = (uint8_t)(take >> 8);
        out[n++] = (uint8_t)take;
        memcpy(out + n, data + off, take);
        n += take;
    }
    return n;
}

static fo_hello_reply parse(const uint8_t *buf, size_t len)
{
    fo_hello_reply reply;
    fo_hello_parse(&reply, buf, len);
    return reply;
}

/* Every strict prefix of a decided input is undecided or decided the same way. */
static void assert_prefixes_agree(const uint8_t *buf, size_t len)
{
    fo_hello_reply full = parse(buf, len);
    for (size_t cut = 0; cut < len; cut++) {
        fo_hello_reply part = parse(buf, cut);
        ck_assert_msg(part.status == FO_HELLO_INCOMPLETE || part.status == full.status,
                      "prefix %zu decided %d, the whole %d", cut, part.status, full.status);
    }
}

static const uint8_t entropy[FO_HELLO_ENTROPY] = {1, 2, 3};

/* Finds an extension of a ClientHello built here; returns its data or NULL. */
static const uint8_t *find_extension(const uint8_t *hello, size_t len, unsigned type,
                                     size_t *ext_len)
{
    size_t pos = 5 + 4 + 2 + 32;
    pos += 1 + hello[pos];
    pos += 2 + get16(hello + pos);
    pos += 1 + hello[pos];
    size_t end = pos + 2 + get16(hello + pos);
    ck_assert_uint_eq(end, len);
    for (pos += 2; pos + 4 <= end;) {
        unsigned t = get16(hello + pos);
        size_t n = get16(hello + pos + 2);
        if (t == type) {
            *ext_len = n;
            return hello + pos + 4;
        }
        pos += 4 + n;
    }
    return NULL;
}

static void cipher_suites(const uint8_t *hello, const uint8_t **suites, size_t *count)
{
    size_t pos = 5 + 4 + 2 + 32;
    pos += 1 + hello[pos];
    *count = get16(hello + pos) / 2;
    *suites = hello + pos + 2;
}

START_TEST(client_hello_for_each_version_is_well_formed)
{
    static const unsigned expected_version[] = {0, 0x0301, 0x0302, 0x0303, 0x0303};
    for (int v = FO_TLS_1_0; v <= FO_TLS_1_3; v++) {
        uint8_t hello[FO_HELLO_MAX_SIZE];
        size_t len = fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, (fo_tls_version)v,
                                    "www.origin.test", entropy);
        ck_assert_uint_gt(len, 50);
        ck_assert_uint_eq(hello[0], 22);
        ck_assert_uint_eq(get16(hello + 1), 0x0301);
        ck_assert_uint_eq(get16(hello + 3), len - 5);
        ck_assert_uint_eq(hello[5], 1); /* client_hello */
        ck_assert_uint_eq((size_t)hello[6] << 16 | get16(hello + 7), len - 9);
        ck_assert_uint_eq(get16(hello + 9), expected_version[v]);

        size_t n = 0;
        const uint8_t *sni = find_extension(hello, len, 0x0000, &n);
        ck_assert_ptr_nonnull(sni);
        ck_assert_uint_eq(n, 5 + strlen("www.origin.test"));
        ck_assert_int_eq(memcmp(sni + 5, "www.origin.test", 15), 0);
        const uint8_t *versions = find_extension(hello, len, 0x002b, &n);
        const uint8_t *key_share = find_extension(hello, len, 0x0033, &n);
        if (v == FO_TLS_1_3) {
            ck_assert_ptr_nonnull(versions);
            ck_assert_uint_eq(versions[0], 2);
            ck_assert_uint_eq(get16(versions + 1), 0x0304);
            ck_assert_ptr_nonnull(key_share);
        } else {
            ck_assert_ptr_null(versions);
            ck_assert_ptr_null(key_share);
        }
        const uint8_t *suites;
        size_t count;
        cipher_suites(hello, &suites, &count);
        for (size_t i = 0; i < count; i++) {
            unsigned suite = get16(suites + 2 * i);
            ck_assert(!fo_hello_is_rc4_suite((uint16_t)suite));
            ck_assert((v == FO_TLS_1_3) == (suite >> 8 == 0x13));
            for (size_t k = 0; k < i; k++) /* each suite once */
                ck_assert_uint_ne(get16(suites + 2 * k), suite);
        }
    }
}
END_TEST

START_TEST(client_hello_without_sni_has_no_server_name)
{
    uint8_t hello[FO_HELLO_MAX_SIZE];
    size_t n = 0;
    size_t len =
        fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_1_2, NULL, entropy);
    ck_assert_uint_gt(len, 0);
    ck_assert_ptr_null(find_extension(hello, len, 0x0000, &n));
    ck_assert_ptr_nonnull(find_extension(hello, len, 0x000d, &n)); /* signature_algorithms */
    len = fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_1_0, NULL, entropy);
    ck_assert_ptr_null(find_extension(hello, len, 0x000d, &n)); /* not before TLS 1.2 */
}
END_TEST

START_TEST(rc4_hello_offers_rc4_only)
{
    uint8_t hello[FO_HELLO_MAX_SIZE];
    size_t len =
        fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_RC4, FO_TLS_UNSET, NULL, entropy);
    ck_assert_uint_gt(len, 0);
    ck_assert_uint_eq(get16(hello + 9), 0x0303);
    const uint8_t *suites;
    size_t count;
    cipher_suites(hello, &suites, &count);
    ck_assert_uint_ge(count, 2);
    for (size_t i = 0; i < count; i++)
        ck_assert(fo_hello_is_rc4_suite((uint16_t)get16(suites + 2 * i)));
}
END_TEST

START_TEST(client_hello_refuses_what_does_not_fit)
{
    uint8_t hello[FO_HELLO_MAX_SIZE];
    char long_name[300];
    memset(long_name, 'a', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    ck_assert_uint_eq(fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_1_2,
                                     long_name, entropy),
                      0);
    ck_assert_uint_eq(fo_hello_build(hello, 40, FO_HELLO_OFFER_VERSION, FO_TLS_1_2, NULL, entropy),
                      0);
    ck_assert_uint_eq(
        fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_UNSET, NULL, entropy),
        0);
    long_name[253] = '\0'; /* the longest DNS name fits */
    ck_assert_uint_gt(fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_1_3,
                                     long_name, entropy),
                      0);
}
END_TEST

START_TEST(server_hello_for_each_version)
{
    static const struct {
        unsigned legacy, selected, want;
    } cases[] = {
        {0x0301, 0, 0x0301}, {0x0302, 0, 0x0302}, {0x0303, 0, 0x0303}, {0x0303, 0x0304, 0x0304}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t msg[256], wire[512];
        size_t len = server_hello_message(msg, cases[i].legacy, 0xc02f, cases[i].selected, false);
        size_t n = records(wire, 22, msg, len, 16384);
        fo_hello_reply reply = parse(wire, n);
        ck_assert_int_eq(reply.status, FO_HELLO_SERVER_HELLO);
        ck_assert_uint_eq(reply.version, cases[i].want);
        ck_assert_uint_eq(reply.cipher, 0xc02f);
        assert_prefixes_agree(wire, n);
    }
}
END_TEST

START_TEST(server_hello_without_extensions)
{
    uint8_t msg[256], wire[512];
    size_t len = server_hello_message(msg, 0x0301, 0x0005, 0, false);
    len -= 7; /* drop the extensions block */
    msg[3] = (uint8_t)(len - 4);
    size_t n = records(wire, 22, msg, len, 16384);
    fo_hello_reply reply = parse(wire, n);
    ck_assert_int_eq(reply.status, FO_HELLO_SERVER_HELLO);
    ck_assert_uint_eq(reply.version, 0x0301);
    ck_assert(fo_hello_is_rc4_suite(reply.cipher));
}
END_TEST

START_TEST(hello_retry_request_accepts_tls13)
{
    uint8_t msg[256], wire[512];
    size_t len = server_hello_message(msg, 0x0303, 0x1301, 0x0304, true);
    size_t n = records(wire, 22, msg, len, 16384);
    fo_hello_reply reply = parse(wire, n);
    ck_assert_int_eq(reply.status, FO_HELLO_RETRY_REQUEST);
    ck_assert_uint_eq(reply.version, 0x0304);
}
END_TEST

START_TEST(server_hello_split_across_records)
{
    uint8_t msg[256], wire[2048];
    size_t len = server_hello_message(msg, 0x0303, 0x1302, 0x0304, false);
    for (size_t fragment = 1; fragment < len; fragment += 7) {
        size_t n = records(wire, 22, msg, len, fragment);
        fo_hello_reply reply = parse(wire, n);
        ck_assert_int_eq(reply.status, FO_HELLO_SERVER_HELLO);
        ck_assert_uint_eq(reply.version, 0x0304);
        ck_assert_uint_eq(reply.cipher, 0x1302);
    }
    assert_prefixes_agree(wire, records(wire, 22, msg, len, 5));
}
END_TEST

START_TEST(server_hello_followed_by_more_is_still_decided)
{
    uint8_t msg[256], wire[1024];
    size_t len = server_hello_message(msg, 0x0303, 0xc02b, 0, false);
    memset(msg + len, 0x0b, 100); /* a Certificate message would follow */
    size_t n = records(wire, 22, msg, len + 100, 16384);
    ck_assert_int_eq(parse(wire, n).status, FO_HELLO_SERVER_HELLO);
}
END_TEST

START_TEST(alerts)
{
    const uint8_t fatal[] = {21, 3, 3, 0, 2, 2, 40};
    fo_hello_reply reply = parse(fatal, sizeof(fatal));
    ck_assert_int_eq(reply.status, FO_HELLO_ALERT);
    ck_assert_uint_eq(reply.alert_level, 2);
    ck_assert_uint_eq(reply.alert, 40);
    const uint8_t internal[] = {21, 3, 1, 0, 2, 2, 80};
    reply = parse(internal, sizeof(internal));
    ck_assert_int_eq(reply.status, FO_HELLO_ALERT);
    ck_assert_uint_eq(reply.alert, 80);
    assert_prefixes_agree(internal, sizeof(internal));
    const uint8_t long_alert[] = {21, 3, 3, 0, 3, 2, 40, 0};
    ck_assert_int_eq(parse(long_alert, sizeof(long_alert)).status, FO_HELLO_MALFORMED);
    const uint8_t bad_level[] = {21, 3, 3, 0, 2, 7, 40};
    ck_assert_int_eq(parse(bad_level, sizeof(bad_level)).status, FO_HELLO_MALFORMED);
}
END_TEST

START_TEST(plain_http_and_garbage_are_not_tls)
{
    const char *http = "HTTP/1.1 400 Bad Request\r\n\r\n";
    ck_assert_int_eq(parse((const uint8_t *)http, strlen(http)).status, FO_HELLO_NOT_TLS);
    ck_assert_int_eq(parse((const uint8_t *)"H", 1).status, FO_HELLO_NOT_TLS);
    const uint8_t sslv2[] = {0x80, 0x2e, 0x04, 0x00};
    ck_assert_int_eq(parse(sslv2, sizeof(sslv2)).status, FO_HELLO_NOT_TLS);
    const uint8_t wrong_major[] = {22, 2, 0};
    ck_assert_int_eq(parse(wrong_major, sizeof(wrong_major)).status, FO_HELLO_NOT_TLS);
    ck_assert_int_eq(parse(NULL, 0).status, FO_HELLO_INCOMPLETE);
    const uint8_t start[] = {22, 3};
    ck_assert_int_eq(parse(start, sizeof(start)).status, FO_HELLO_INCOMPLETE);
}
END_TEST

START_TEST(truncated_input_is_incomplete)
{
    uint8_t msg[256], wire[512];
    size_t len = server_hello_message(msg, 0x0303, 0xc02f, 0x0304, false);
    size_t n = records(wire, 22, msg, len, 40);
    for (size_t cut = 0; cut < n; cut++)
        ck_assert_int_eq(parse(wire, cut).status, FO_HELLO_INCOMPLETE);
}
END_TEST

START_TEST(broken_records_are_malformed)
{
    uint8_t wire[32] = {22, 3, 3, 0, 0};
    fo_hello_reply reply = parse(wire, 5); /* zero-length record */
    ck_assert_int_eq(reply.status, FO_HELLO_MALFORMED);
    ck_assert_ptr_nonnull(reply.why);
    wire[3] = 0x40;
    wire[4] = 0x01; /* 16385 bytes: over the limit */
    ck_assert_int_eq(parse(wire, 5).status, FO_HELLO_MALFORMED);
    const uint8_t app_data[] = {23, 3, 3, 0, 1, 0};
    ck_assert_int_eq(parse(app_data, sizeof(app_data)).status, FO_HELLO_MALFORMED);
    const uint8_t bad_minor[] = {22, 3, 9, 0, 1, 2};
    ck_assert_int_eq(parse(bad_minor, sizeof(bad_minor)).status, FO_HELLO_MALFORMED);
    const uint8_t not_server_hello[] = {22, 3, 3, 0, 4, 11, 0, 0, 0};
    ck_assert_int_eq(parse(not_server_hello, sizeof(not_server_hello)).status, FO_HELLO_MALFORMED);
    const uint8_t oversized[] = {22, 3, 3, 0, 4, 2, 0, 0x20, 0};
    ck_assert_int_eq(parse(oversized, sizeof(oversized)).status, FO_HELLO_MALFORMED);
    const uint8_t empty_hello[] = {22, 3, 3, 0, 4, 2, 0, 0, 0};
    ck_assert_int_eq(parse(empty_hello, sizeof(empty_hello)).status, FO_HELLO_MALFORMED);
}
END_TEST

START_TEST(broken_server_hellos_are_malformed)
{
    uint8_t msg[256], wire[512] = {0};
    size_t len = server_hello_message(msg, 0x0303, 0xc02f, 0x0304, false);
    ck_assert(len > 80 && len <= sizeof(msg));
    size_t versions_len = len - 3; /* the supported_versions extension is the last one */

    msg[4 + 2 + 32] = 33; /* session id longer than 32 */
    ck_assert_int_eq(parse(wire, records(wire, 22, msg, len, 16384)).status, FO_HELLO_MALFORMED);
    msg[4 + 2 + 32] = 32;

    size_t ext_at = 4 + 2 + 32 + 1 + 32 + 3;
    msg[ext_at + 1]++; /* extensions longer than the message */
    ck_assert_int_eq(parse(wire, records(wire, 22, msg, len, 16384)).status, FO_HELLO_MALFORMED);
    msg[ext_at + 1]--;

    msg[versions_len] = 3; /* supported_versions of 3 bytes */
    ck_assert_int_eq(parse(wire, records(wire, 22, msg, len, 16384)).status, FO_HELLO_MALFORMED);
    msg[versions_len] = 2;

    msg[4] = 2; /* legacy_version 2.3 */
    ck_assert_int_eq(parse(wire, records(wire, 22, msg, len, 16384)).status, FO_HELLO_MALFORMED);
    msg[4] = 3;

    /* An alert inside a handshake message split over records. */
    size_t n = records(wire, 22, msg, 20, 16384);
    const uint8_t alert[] = {21, 3, 3, 0, 2, 2, 40};
    memcpy(wire + n, alert, sizeof(alert));
    ck_assert_int_eq(parse(wire, n + sizeof(alert)).status, FO_HELLO_MALFORMED);

    /* The intact message still parses. */
    ck_assert_int_eq(parse(wire, records(wire, 22, msg, len, 16384)).status, FO_HELLO_SERVER_HELLO);
}
END_TEST

START_TEST(our_own_client_hello_is_not_a_server_hello)
{
    uint8_t hello[FO_HELLO_MAX_SIZE];
    size_t len = fo_hello_build(hello, sizeof(hello), FO_HELLO_OFFER_VERSION, FO_TLS_1_3,
                                "www.origin.test", entropy);
    ck_assert_int_eq(parse(hello, len).status, FO_HELLO_MALFORMED);
}
END_TEST

START_TEST(random_bytes_never_crash_and_prefixes_agree)
{
    /* A fixed xorshift stream, so a failure reproduces; ASan watches the reads. */
    uint32_t state = 2463534242u;
    uint8_t buf[600];
    for (int round = 0; round < 3000; round++) {
        size_t len = 0;
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        len = state % sizeof(buf);
        for (size_t i = 0; i < len; i++) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            buf[i] = (uint8_t)state;
        }
        if (round % 3 == 0 && len >= 5) { /* make it look like TLS more often */
            buf[0] = round % 2 ? 22 : 21;
            buf[1] = 3;
            buf[2] = 3;
        }
        parse(buf, len);
        if (round % 50 == 0)
            assert_prefixes_agree(buf, len);
    }
}
END_TEST

START_TEST(wire_versions_and_rc4_suites)
{
    ck_assert_uint_eq(fo_hello_wire_version(FO_TLS_1_0), 0x0301);
    ck_assert_uint_eq(fo_hello_wire_version(FO_TLS_1_3), 0x0304);
    ck_assert_uint_eq(fo_hello_wire_version(FO_TLS_UNSET), 0);
    ck_assert(fo_hello_is_rc4_suite(0x0005));
    ck_assert(fo_hello_is_rc4_suite(0xc011));
    ck_assert(!fo_hello_is_rc4_suite(0xc02f));
    ck_assert(!fo_hello_is_rc4_suite(0x1301));
}
END_TEST

Suite *probe_hello_suite(void)
{
    Suite *s = suite_create("probe_hello");
    TCase *tc = tcase_create("hello");
    tcase_add_test(tc, client_hello_for_each_version_is_well_formed);
    tcase_add_test(tc, client_hello_without_sni_has_no_server_name);
    tcase_add_test(tc, rc4_hello_offers_rc4_only);
    tcase_add_test(tc, client_hello_refuses_what_does_not_fit);
    tcase_add_test(tc, server_hello_for_each_version);
    tcase_add_test(tc, server_hello_without_extensions);
    tcase_add_test(tc, hello_retry_request_accepts_tls13);
    tcase_add_test(tc, server_hello_split_across_records);
    tcase_add_test(tc, server_hello_followed_by_more_is_still_decided);
    tcase_add_test(tc, alerts);
    tcase_add_test(tc, plain_http_and_garbage_are_not_tls);
    tcase_add_test(tc, truncated_input_is_incomplete);
    tcase_add_test(tc, broken_records_are_malformed);
    tcase_add_test(tc, broken_server_hellos_are_malformed);
    tcase_add_test(tc, our_own_client_hello_is_not_a_server_hello);
    tcase_add_test(tc, random_bytes_never_crash_and_prefixes_agree);
    tcase_add_test(tc, wire_versions_and_rc4_suites);
    suite_add_tcase(s, tc);
    return s;
}
