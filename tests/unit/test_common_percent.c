/* fo_percent_decode: the one %XX decoder (serve's forms, VCL strings, the API stand-in). */
#include <check.h>
#include <string.h>

#include "fixorigin/fo.h"

START_TEST(escapes_decode_in_either_case)
{
    char out[64];
    ck_assert_int_eq(fo_percent_decode(out, "a%41%2fb%2F", 11, 0, NULL), 0);
    ck_assert_str_eq(out, "aA/b/");
    ck_assert_int_eq(fo_percent_decode(out, "", 0, 0, NULL), 0);
    ck_assert_str_eq(out, "");
    /* Only len bytes are read: what follows is not part of the text. */
    ck_assert_int_eq(fo_percent_decode(out, "ab%41", 2, 0, NULL), 0);
    ck_assert_str_eq(out, "ab");
}
END_TEST

START_TEST(plus_is_a_space_only_when_asked)
{
    char out[64];
    ck_assert_int_eq(fo_percent_decode(out, "a+b%2B", 6, FO_PERCENT_PLUS_SPACE, NULL), 0);
    ck_assert_str_eq(out, "a b+");
    ck_assert_int_eq(fo_percent_decode(out, "a+b%2B", 6, 0, NULL), 0);
    ck_assert_str_eq(out, "a+b+");
}
END_TEST

START_TEST(truncated_and_non_hex_escapes_are_refused_where_they_start)
{
    static const struct {
        const char *text;
        size_t bad_at;
    } cases[] = {
        {"%", 0},   {"ab%", 2}, {"ab%4", 2}, {"%0", 0},   {"x%zz", 1},
        {"%g1", 0}, {"%1g", 0}, {"% 41", 0}, {"%%41", 0}, {"ok%-1", 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        char out[64];
        size_t bad = 999;
        ck_assert_msg(fo_percent_decode(out, cases[i].text, strlen(cases[i].text), 0, &bad) ==
                          FO_EINVAL,
                      "'%s' was accepted", cases[i].text);
        ck_assert_uint_eq(bad, cases[i].bad_at);
    }
    /* An escape cut off by len is truncated even when the bytes after len would finish it. */
    char out[8];
    size_t bad = 999;
    ck_assert_int_eq(fo_percent_decode(out, "a%41", 3, 0, &bad), FO_EINVAL);
    ck_assert_uint_eq(bad, 1);
    ck_assert_int_eq(fo_percent_decode(out, "%", 1, 0, NULL), FO_EINVAL); /* bad_at may be NULL */
}
END_TEST

START_TEST(percent_00_is_refused_and_raw_nul_when_asked)
{
    char out[16];
    size_t bad = 999;
    ck_assert_int_eq(fo_percent_decode(out, "ab%00", 5, FO_PERCENT_PLUS_SPACE, &bad), FO_EINVAL);
    ck_assert_uint_eq(bad, 2);
    /* %01 and %10 are bytes like any other. */
    ck_assert_int_eq(fo_percent_decode(out, "%01%10", 6, 0, NULL), 0);
    ck_assert_str_eq(out, "\x01\x10");
    /* A raw NUL passes through unless refused. */
    const char nul[] = {'a', '\0', 'b'};
    ck_assert_int_eq(fo_percent_decode(out, nul, 3, 0, NULL), 0);
    ck_assert_int_eq(memcmp(out, "a\0b", 4), 0);
    ck_assert_int_eq(fo_percent_decode(out, nul, 3, FO_PERCENT_REFUSE_NUL, &bad), FO_EINVAL);
    ck_assert_uint_eq(bad, 1);
}
END_TEST

START_TEST(high_bytes_pass_and_decode)
{
    char out[16];
    ck_assert_int_eq(fo_percent_decode(out, "%ff%80\xc3\xa9", 8, FO_PERCENT_REFUSE_NUL, NULL), 0);
    ck_assert_int_eq(memcmp(out, "\xff\x80\xc3\xa9", 5), 0);
}
END_TEST

START_TEST(decodes_in_place)
{
    char text[] = "a%20b+c%7e";
    ck_assert_int_eq(fo_percent_decode(text, text, strlen(text), FO_PERCENT_PLUS_SPACE, NULL), 0);
    ck_assert_str_eq(text, "a b c~");
}
END_TEST

Suite *common_percent_suite(void);

Suite *common_percent_suite(void)
{
    Suite *s = suite_create("common_percent");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, escapes_decode_in_either_case);
    tcase_add_test(tc, plus_is_a_space_only_when_asked);
    tcase_add_test(tc, truncated_and_non_hex_escapes_are_refused_where_they_start);
    tcase_add_test(tc, percent_00_is_refused_and_raw_nul_when_asked);
    tcase_add_test(tc, high_bytes_pass_and_decode);
    tcase_add_test(tc, decodes_in_place);
    suite_add_tcase(s, tc);
    return s;
}
