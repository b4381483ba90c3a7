/* cmd/util.c: text from origins and the API reaches the terminal clean; usage errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

Suite *cmd_util_suite(void);

/* What fo_cmd_put_clean prints for s. */
static char *clean(const char *s)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(out);
    fo_cmd_put_clean(out, s);
    fclose(out);
    return text;
}

START_TEST(clean_text_keeps_utf8_and_hides_controls)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"www.origin.test", "www.origin.test"},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"},
        {"x\x1b]0;PWNED\x07\x1b[2J", "x?]0;PWNED??[2J"},
        {"tab\there\nnew\x7f", "tab?here?new?"},
        {"c1 \xc2\x9b"
         "31m",
         "c1 ?"
         "?31m"}, /* U+009B, CSI */
        {"lone \x9b"
         "31m",
         "lone ?31m"},                        /* a raw C1 byte */
        {"cut \xe2\x82", "cut ??"},           /* a sequence cut short */
        {"nbsp \xc2\xa0.", "nbsp \xc2\xa0."}, /* U+00A0 is text */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = clean(cases[i].in);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "case %zu: '%s'", i, got);
        free(got);
    }
    char *none = clean(NULL);
    ck_assert_str_eq(none, "");
    free(none);
}
END_TEST

START_TEST(json_strings_survive_text_that_is_not_utf8)
{
    json_t *v = fo_cmd_json_string("caf\xc3\xa9");
    ck_assert_str_eq(json_string_value(v), "caf\xc3\xa9");
    json_decref(v);
    v = fo_cmd_json_string("caf\xe9 \xff");
    ck_assert_str_eq(json_string_value(v), "caf? ?");
    json_decref(v);
    v = fo_cmd_json_string(NULL);
    ck_assert(json_is_null(v));
    json_decref(v);
}
END_TEST

Suite *cmd_util_suite(void)
{
    Suite *s = suite_create("cmd_util");
    TCase *tc = tcase_create("util");
    tcase_add_test(tc, clean_text_keeps_utf8_and_hides_controls);
    tcase_add_test(tc, json_strings_survive_text_that_is_not_utf8);
    suite_add_tcase(s, tc);
    return s;
}
