/* The strict ClientHello reader of testbed-origins: a well-formed hello is
 * read whole, and every length that disagrees is refused, never overread. */
#include <check.h>
#include <string.h>

#include "origins.h"

Suite *testbed_hello_suite(void);

/* A hello offering suites, with one server_name extension when sni. */
static size_t build_hello(unsigned char *buf, const uint16_t *suites, size_t count, bool sni)
{
    static const unsigned char server_name[] = {0x00, 0x00, 0x00, 0x08, 0x00, 0x06,
                                                0x00, 0x00, 0x03, 'w',  'w',  'w'};
    unsigned char body[512];
    size_t n = 0;
    body[n++] = 3;
    body[n++] = 3;
    memset(body + n, 0x11, 32);
    n += 32;
    body[n++] = 0;
    body[n++] = (unsigned char)(2 * count >> 8);
    body[n++] = (unsigned char)(2 * count);
    for (size_t i = 0; i < count; i++) {
        body[n++] = (unsigned char)(suites[i] >> 8);
        body[n++] = (unsigned char)suites[i];
    }
    body[n++] = 1;
    body[n++] = 0;
    if (sni) {
        body[n++] = 0;
        body[n++] = sizeof(server_name);
        memcpy(body + n, server_name, sizeof(server_name));
        n += sizeof(server_name);
    }
    unsigned char *p = buf;
    *p++ = 22;
    *p++ = 3;
    *p++ = 1;
    *p++ = (unsigned char)((n + 4) >> 8);
    *p++ = (unsigned char)(n + 4);
    *p++ = 1;
    *p++ = 0;
    *p++ = (unsigned char)(n >> 8);
    *p++ = (unsigned char)n;
    memcpy(p, body, n);
    return 9 + n;
}

START_TEST(reads_suites_version_and_sni)
{
    static const uint16_t suites[] = {0x1301, 0xc02f, 0x0005};
    unsigned char hello[600];
    size_t len = build_hello(hello, suites, 3, true);
    tb_client_hello parsed;
    ck_assert_int_eq(tb_hello_parse(&parsed, hello, len), FO_OK);
    ck_assert_uint_eq(parsed.version, 0x0303);
    ck_assert_uint_eq(parsed.suite_count, 3);
    ck_assert_uint_eq(parsed.suites[2], 0x0005);
    ck_assert(parsed.has_server_name);
    len = build_hello(hello, suites, 2, false);
    ck_assert_int_eq(tb_hello_parse(&parsed, hello, len), FO_OK);
    ck_assert(!parsed.has_server_name);
    ck_assert_uint_eq(parsed.suite_count, 2);
}
END_TEST

START_TEST(short_data_asks_for_more)
{
    static const uint16_t suites[] = {0x0005};
    unsigned char hello[600];
    size_t len = build_hello(hello, suites, 1, true);
    tb_client_hello parsed;
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(tb_hello_parse(&parsed, hello, cut), FO_EINVAL);
}
END_TEST

START_TEST(disagreeing_lengths_are_refused)
{
    static const uint16_t suites[] = {0x0005, 0x002f};
    unsigned char hello[600];
    tb_client_hello parsed;
    size_t len = build_hello(hello, suites, 2, true);
    /* Each length field made one too long or too short. */
    static const size_t fields[] = {8 /* handshake */, 45 /* suites */, 50 /* compression */,
                                    53 /* extensions */};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        for (int delta = -1; delta <= 1; delta += 2) {
            unsigned char copy[600];
            memcpy(copy, hello, len);
            copy[fields[i]] = (unsigned char)(copy[fields[i]] + delta);
            ck_assert_msg(tb_hello_parse(&parsed, copy, len) == FO_EPROTO, "field %zu %+d",
                          fields[i], delta);
        }
    }
    unsigned char copy[600];
    memcpy(copy, hello, len);
    copy[4]--; /* the record ends inside the hello */
    ck_assert_int_eq(tb_hello_parse(&parsed, copy, len), FO_EPROTO);
    copy[4] += 2; /* the record claims a byte not yet read */
    ck_assert_int_eq(tb_hello_parse(&parsed, copy, len), FO_EINVAL);
    memcpy(copy, hello, len);
    copy[0] = 23; /* application data, not a handshake */
    ck_assert_int_eq(tb_hello_parse(&parsed, copy, len), FO_EPROTO);
    memcpy(copy, hello, len);
    copy[5] = 2; /* a ServerHello */
    ck_assert_int_eq(tb_hello_parse(&parsed, copy, len), FO_EPROTO);
    memcpy(copy, "\x16\x03\x03\xff\xff", 5); /* longer than TLS allows */
    ck_assert_int_eq(tb_hello_parse(&parsed, copy, len), FO_EPROTO);
    ck_assert_int_eq(tb_hello_parse(&parsed, (const unsigned char *)"GET / HTTP/1.1\r\n", 16),
                     FO_EPROTO);
}
END_TEST

START_TEST(knows_rc4_suites)
{
    ck_assert(tb_hello_is_rc4(0x0005));
    ck_assert(tb_hello_is_rc4(0xc011));
    ck_assert(!tb_hello_is_rc4(0x002f));
    ck_assert(!tb_hello_is_rc4(0x1301));
}
END_TEST

START_TEST(server_hello_picks_the_suite)
{
    unsigned char buf[64];
    ck_assert_uint_eq(tb_hello_server_hello(buf, 10, 0x0303, 0x0005), 0);
    size_t len = tb_hello_server_hello(buf, sizeof(buf), 0x0301, 0xc011);
    ck_assert_uint_eq(len, 47);
    ck_assert_uint_eq(buf[0], 22);
    ck_assert_uint_eq((size_t)(buf[3] << 8 | buf[4]), len - 5);
    ck_assert_uint_eq(buf[5], 2);
    ck_assert_uint_eq((unsigned)(buf[9] << 8 | buf[10]), 0x0301);
    ck_assert_uint_eq((unsigned)(buf[44] << 8 | buf[45]), 0xc011);
}
END_TEST

Suite *testbed_hello_suite(void)
{
    Suite *s = suite_create("testbed_hello");
    TCase *tc = tcase_create("hello");
    tcase_add_test(tc, reads_suites_version_and_sni);
    tcase_add_test(tc, short_data_asks_for_more);
    tcase_add_test(tc, disagreeing_lengths_are_refused);
    tcase_add_test(tc, knows_rc4_suites);
    tcase_add_test(tc, server_hello_picks_the_suite);
    suite_add_tcase(s, tc);
    return s;
}
