#include <check.h>
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
    tcase_add_test(tc, format_time_is_utc_iso8601);
    suite_add_tcase(s, tc);
    return s;
}
