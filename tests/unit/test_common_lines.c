/* fo_lines: a text as lines, and what two texts share at their ends (remediate's unified diff,
 * the stand-in's version diff). */
#include <check.h>
#include <string.h>

#include "fixorigin/fo.h"

static void assert_line(const fo_lines *l, size_t i, const char *want)
{
    ck_assert_uint_eq(l->len[i], strlen(want));
    ck_assert_int_eq(memcmp(l->start[i], want, l->len[i]), 0);
}

START_TEST(a_final_line_end_makes_no_line)
{
    fo_lines l;
    ck_assert_int_eq(fo_lines_split(&l, "a\n\nbc"), 0);
    ck_assert_uint_eq(l.count, 3);
    assert_line(&l, 0, "a");
    assert_line(&l, 1, "");
    assert_line(&l, 2, "bc");
    fo_lines_clear(&l);
    ck_assert_ptr_null(l.start);
    ck_assert_int_eq(fo_lines_split(&l, "a\n\nbc\n"), 0);
    ck_assert_uint_eq(l.count, 3);
    fo_lines_clear(&l);
    ck_assert_int_eq(fo_lines_split(&l, ""), 0);
    ck_assert_uint_eq(l.count, 0);
    fo_lines_clear(&l);
    ck_assert_int_eq(fo_lines_split(&l, "\n"), 0);
    ck_assert_uint_eq(l.count, 1);
    assert_line(&l, 0, "");
    fo_lines_clear(&l);
}
END_TEST

static void ends(const char *a, const char *b, size_t want_head, size_t want_tail)
{
    fo_lines x, y;
    size_t head = 99, tail = 99;
    ck_assert_int_eq(fo_lines_split(&x, a), 0);
    ck_assert_int_eq(fo_lines_split(&y, b), 0);
    fo_lines_common_ends(&head, &tail, &x, &y);
    ck_assert_msg(head == want_head && tail == want_tail, "'%s' ~ '%s': head %zu tail %zu", a, b,
                  head, tail);
    fo_lines_clear(&x);
    fo_lines_clear(&y);
}

START_TEST(common_ends_leave_the_region_that_differs)
{
    ends("a\nb\nc\n", "a\nb\nc\n", 3, 0);
    ends("a\nb\nc\n", "a\nX\nc\n", 1, 1);
    ends("a\nb\nc\n", "a\nc\n", 1, 1);
    ends("a\nc\n", "a\nb\nc\n", 1, 1);
    ends("", "a\n", 0, 0);
    ends("a\na\n", "a\na\na\n", 2, 0); /* head first: a line is counted once */
    ends("x\nab\n", "y\nab\n", 0, 1);
    ends("ab\n", "abc\n", 0, 0); /* a line is compared whole */
}
END_TEST

Suite *common_lines_suite(void);

Suite *common_lines_suite(void)
{
    Suite *s = suite_create("common_lines");
    TCase *tc = tcase_create("lines");
    tcase_add_test(tc, a_final_line_end_makes_no_line);
    tcase_add_test(tc, common_ends_leave_the_region_that_differs);
    suite_add_tcase(s, tc);
    return s;
}
