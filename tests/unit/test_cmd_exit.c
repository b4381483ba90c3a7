/* cmd/exit.c: the exit codes are one table, and what README.md, the man page and
 * docs/json.md say about them is that table. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

Suite *cmd_exit_suite(void);

static char *read_doc(const char *path)
{
    char *text = NULL;
    fo_error e;
    ck_assert_msg(fo_read_file(&text, path, 1 << 20, &e) == 0, "%s: %s", path, e.msg);
    return text;
}

/* The part of text from the line that is heading to the next line starting with next. */
static char *section(const char *text, const char *heading, const char *next)
{
    const char *start = strstr(text, heading);
    ck_assert_msg(start, "no '%s'", heading);
    start += strlen(heading);
    const char *end = start;
    while ((end = strchr(end, '\n')) && strncmp(end + 1, next, strlen(next)) != 0)
        end++;
    return strndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* Whether codes[0..n) are exactly the table's codes (a bitmap of 0..127). */
static void assert_same_codes(const char *where, const int *codes, size_t n)
{
    size_t count;
    const fo_exit_status *table = fo_cmd_exit_statuses(&count);
    unsigned char documented[128] = {0}, tabled[128] = {0};
    for (size_t i = 0; i < n; i++) {
        ck_assert_msg(codes[i] >= 0 && codes[i] < 128, "%s: exit code %d", where, codes[i]);
        ck_assert_msg(!documented[codes[i]], "%s documents %d twice", where, codes[i]);
        documented[codes[i]] = 1;
    }
    for (size_t i = 0; i < count; i++)
        tabled[table[i].code] = 1;
    for (int c = 0; c < 128; c++) {
        ck_assert_msg(!tabled[c] || documented[c], "%s lacks exit code %d", where, c);
        ck_assert_msg(!documented[c] || tabled[c],
                      "%s documents exit code %d, which fixorigin "
                      "does not have",
                      where, c);
    }
}

START_TEST(every_result_has_one_code)
{
    size_t count;
    const fo_exit_status *table = fo_cmd_exit_statuses(&count);
    ck_assert_uint_ge(count, 7);
    for (size_t i = 0; i < count; i++) {
        ck_assert(table[i].meaning && *table[i].meaning);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(table[i].code != table[j].code, "code %d twice", table[i].code);
    }
    /* The numbers automation depends on. */
    static const struct {
        fo_result result;
        int code;
    } stable[] = {{FO_RESULT_OK, 0},          {FO_RESULT_ERROR, 1},    {FO_RESULT_PLANNED, 2},
                  {FO_RESULT_ROLLED_BACK, 3}, {FO_RESULT_CONFLICT, 4}, {FO_RESULT_NEEDS_HUMAN, 5}};
    for (size_t i = 0; i < sizeof(stable) / sizeof(stable[0]); i++)
        ck_assert_int_eq(fo_cmd_exit_code(stable[i].result), stable[i].code);
    ck_assert_int_eq(FO_EXIT_USAGE, 64);
    ck_assert_int_eq(FO_EXIT_PROBLEM, fo_cmd_exit_code(FO_RESULT_PLANNED));
}
END_TEST

/* README.md's "## Exit codes" table: a row "| N | meaning |" a code. */
START_TEST(readme_table_is_the_table)
{
    char *readme = read_doc(FO_SOURCE_DIR "/README.md");
    char *part = section(readme, "\n## Exit codes\n", "#");
    int codes[64];
    size_t n = 0;
    for (const char *p = strstr(part, "\n| "); p && n < 64; p = strstr(p + 1, "\n| ")) {
        int code, used = 0;
        if (sscanf(p, "\n| %d |%n", &code, &used) == 1 && used > 0)
            codes[n++] = code;
    }
    assert_same_codes("README.md's Exit codes", codes, n);
    free(part);
    free(readme);
}
END_TEST

/* The man page's EXIT STATUS: ".TP" then ".B N" a code. */
START_TEST(man_page_exit_status_is_the_table)
{
    char *man = read_doc(FO_SOURCE_DIR "/cmd/fixorigin.1");
    char *part = section(man, "\n.SH \"EXIT STATUS\"\n", ".SH");
    int codes[64];
    size_t n = 0;
    for (const char *p = strstr(part, ".TP\n.B "); p && n < 64; p = strstr(p + 1, ".TP\n.B ")) {
        int code, used = 0;
        if (sscanf(p, ".TP\n.B %d%n", &code, &used) == 1 && used > 0)
            codes[n++] = code;
    }
    assert_same_codes("the man page's EXIT STATUS", codes, n);
    free(part);
    free(man);
}
END_TEST

/* docs/json.md names each result with its exit code: "`ok` 0, `error` 1, ...". */
START_TEST(json_doc_pairs_results_with_their_codes)
{
    char *doc = read_doc(FO_SOURCE_DIR "/docs/json.md");
    for (int r = FO_RESULT_OK; r <= FO_RESULT_NEEDS_HUMAN; r++) {
        char pair[64];
        snprintf(pair, sizeof(pair), "`%s` %d", fo_result_name((fo_result)r),
                 fo_cmd_exit_code((fo_result)r));
        ck_assert_msg(strstr(doc, pair), "docs/json.md does not say %s", pair);
    }
    free(doc);
}
END_TEST

Suite *cmd_exit_suite(void)
{
    Suite *s = suite_create("cmd_exit");
    TCase *tc = tcase_create("exit");
    tcase_add_test(tc, every_result_has_one_code);
    tcase_add_test(tc, readme_table_is_the_table);
    tcase_add_test(tc, man_page_exit_status_is_the_table);
    tcase_add_test(tc, json_doc_pairs_results_with_their_codes);
    suite_add_tcase(s, tc);
    return s;
}
