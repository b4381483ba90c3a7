/* cmd/util.c: text from origins and the API reaches the terminal clean; usage errors. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cmd.h"

Suite *cmd_util_suite(void);

/* What fo_report_put_clean prints for s. */
static char *clean(const char *s)
{
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(out);
    fo_report_put_clean(out, s);
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
    json_t *v = fo_report_json_string("caf\xc3\xa9");
    ck_assert_str_eq(json_string_value(v), "caf\xc3\xa9");
    json_decref(v);
    v = fo_report_json_string("caf\xe9 \xff");
    ck_assert_str_eq(json_string_value(v), "caf? ?");
    json_decref(v);
    v = fo_report_json_string(NULL);
    ck_assert(json_is_null(v));
    json_decref(v);
}
END_TEST

/* What fo_report_wrap makes of text at width (the caller frees it). */
static char *wrapped(const char *text, int width)
{
    char *out_text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&out_text, &size);
    ck_assert_ptr_nonnull(out);
    fo_report_wrap(out, text, strlen(text), width);
    fclose(out);
    return out_text;
}

START_TEST(wrapping_keeps_the_layout)
{
    static const struct {
        const char *in;
        int width;
        const char *out;
    } cases[] = {
        /* Short lines, and a line of exactly the width, are left alone. */
        {"  tls        TLSv1.3\nshort\n", 40, "  tls        TLSv1.3\nshort\n"},
        {"0123456789012345678901234567890123456789\n", 40,
         "0123456789012345678901234567890123456789\n"},
        /* A labelled line continues under its value. */
        {"  evidence   one two three four five six seven eight nine ten\n", 40,
         "  evidence   one two three four five six\n"
         "             seven eight nine ten\n"},
        /* A sentence continues under its own indent. */
        {"  The name does not resolve: names under .invalid never resolve.\n", 40,
         "  The name does not resolve: names under\n"
         "  .invalid never resolve.\n"},
        /* A diff line continues after its sign. */
        {"             + ssl_ca_cert: CN=Testbed Private Root CA,O=fixorigin testbed\n", 50,
         "             + ssl_ca_cert: CN=Testbed Private\n"
         "               Root CA,O=fixorigin testbed\n"},
        /* A word longer than the room stays whole, where it is: a fingerprint must stay
         * copyable, and beside what names it. */
        {"  sha256     0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef x\n", 40,
         "  sha256     0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"
         "             x\n"},
        {"  ca         SHA-256 0123456789abcdef0123456789abcdef0123456789abcdef\n", 40,
         "  ca         SHA-256 0123456789abcdef0123456789abcdef0123456789abcdef\n"},
        /* Colour codes take no room; the label's own spacing stays. */
        {"  \033[1;31mhostname_mismatch\033[0m  Hostname mismatch, and more words here\n", 45,
         "  \033[1;31mhostname_mismatch\033[0m  Hostname mismatch, and\n"
         "                     more words here\n"},
        /* Text without a final newline keeps that. */
        {"abc", 40, "abc"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got = wrapped(cases[i].in, cases[i].width);
        ck_assert_msg(strcmp(got, cases[i].out) == 0, "case %zu:\n%s\nwanted\n%s", i, got,
                      cases[i].out);
        free(got);
    }
}
END_TEST

START_TEST(width_comes_from_the_terminal_or_columns)
{
    FILE *file = tmpfile();
    ck_assert_ptr_nonnull(file);
    unsetenv("COLUMNS");
    ck_assert_int_eq(fo_report_width(file), 80);
    setenv("COLUMNS", "120", 1);
    ck_assert_int_eq(fo_report_width(file), 120);
    setenv("COLUMNS", "10", 1); /* too narrow to keep a layout */
    ck_assert_int_eq(fo_report_width(file), 40);
    setenv("COLUMNS", "wide", 1);
    ck_assert_int_eq(fo_report_width(file), 80);
    unsetenv("COLUMNS");
    fclose(file);
}
END_TEST

/* A writer's buffer: what was printed comes out folded, at each flush and at the end. */
START_TEST(wrapped_buffer_flushes_in_steps)
{
    char *text = NULL;
    size_t size = 0;
    FILE *dest = open_memstream(&text, &size);
    ck_assert_ptr_nonnull(dest);
    setenv("COLUMNS", "40", 1);
    fo_wrapped w;
    FILE *out = fo_wrapped_begin(&w, dest);
    ck_assert_ptr_ne(out, dest);
    fprintf(out, "  step       one two three four five six seven\n");
    fo_wrapped_flush(&w);
    fflush(dest);
    ck_assert_str_eq(text, "  step       one two three four five six\n             seven\n");
    fprintf(out, "end\n");
    fo_wrapped_end(&w);
    fo_wrapped_end(&w); /* twice is harmless */
    fflush(dest);
    ck_assert_str_eq(text, "  step       one two three four five six\n             seven\nend\n");
    unsetenv("COLUMNS");
    fclose(dest);
    free(text);
}
END_TEST

/* What main() does for every command: no core dump, not dumpable; the secrets still readable
 * until the command has read them, then gone. (That they leave the environment block the
 * process started with is seen from outside: hostile_api's no_command_keeps_secrets_...) */
/* --json, --trust-bundle, --token-file and --state-dir mean one thing in every command that
 * takes them: one function keeps them, and it leaves a command's own options to the command. */
START_TEST(shared_options_are_kept_in_one_place)
{
    fo_cmd_common_args c;
    memset(&c, 0, sizeof(c));
    ck_assert(fo_cmd_common_option(&c, FO_OPT_JSON, NULL));
    ck_assert(fo_cmd_common_option(&c, FO_OPT_TRUST_BUNDLE, "ca.pem"));
    ck_assert(fo_cmd_common_option(&c, FO_OPT_TOKEN_FILE, "token"));
    ck_assert(fo_cmd_common_option(&c, FO_OPT_STATE_DIR, "state"));
    ck_assert(c.json);
    ck_assert_str_eq(c.trust_bundle, "ca.pem");
    ck_assert_str_eq(c.token_file, "token");
    ck_assert_str_eq(c.state_dir, "state");
    /* A command's own ids, getopt's '?' and ':' and -h are not shared options. */
    const int others[] = {FO_OPT_OWN, FO_OPT_OWN + 5, '?', ':', 'h', 0};
    for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++)
        ck_assert(!fo_cmd_common_option(&c, others[i], "x"));
    ck_assert_str_eq(c.trust_bundle, "ca.pem");
}
END_TEST

/* The flag, else the variable, else the system's store: and a message names the one used,
 * never the variable when it is not set. */
START_TEST(trust_bundle_names_its_source)
{
    const char *source = NULL;
    unsetenv("FIXORIGIN_TRUST_BUNDLE");
    ck_assert_ptr_null(fo_cmd_trust_bundle(NULL, &source));
    ck_assert_str_eq(source, "the system's trust store");
    setenv("FIXORIGIN_TRUST_BUNDLE", "", 1);
    ck_assert_ptr_null(fo_cmd_trust_bundle(NULL, &source));
    ck_assert_str_eq(source, "the system's trust store");
    setenv("FIXORIGIN_TRUST_BUNDLE", "/env/ca.pem", 1);
    ck_assert_str_eq(fo_cmd_trust_bundle(NULL, &source), "/env/ca.pem");
    ck_assert_str_eq(source, "FIXORIGIN_TRUST_BUNDLE");
    ck_assert_str_eq(fo_cmd_trust_bundle("/flag/ca.pem", &source), "/flag/ca.pem");
    ck_assert_str_eq(source, "--trust-bundle");
    ck_assert_str_eq(fo_cmd_trust_bundle("/flag/ca.pem", NULL), "/flag/ca.pem");
    unsetenv("FIXORIGIN_TRUST_BUNDLE");
}
END_TEST

START_TEST(a_process_keeps_no_core_and_forgets_its_secrets)
{
    setenv("FASTLY_API_TOKEN", "token-for-the-test", 1);
    setenv("SLACK_SIGNING_SECRET", "slack-for-the-test", 1);
    setenv("FASTLY_API_ENDPOINT", "http://127.0.0.1:1", 1);
    ck_assert_int_eq(fo_cmd_protect_process(), 0);
    ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    struct rlimit core;
    ck_assert_int_eq(getrlimit(RLIMIT_CORE, &core), 0);
    ck_assert_uint_eq(core.rlim_cur, 0);
    ck_assert_uint_eq(core.rlim_max, 0);
    ck_assert_str_eq(getenv("FASTLY_API_TOKEN"), "token-for-the-test");
    fo_cmd_forget_secrets();
    ck_assert_ptr_null(getenv("FASTLY_API_TOKEN"));
    ck_assert_ptr_null(getenv("SLACK_SIGNING_SECRET"));
    ck_assert_str_eq(getenv("FASTLY_API_ENDPOINT"), "http://127.0.0.1:1"); /* not a secret */
}
END_TEST

Suite *cmd_util_suite(void)
{
    Suite *s = suite_create("cmd_util");
    TCase *tc = tcase_create("util");
    tcase_add_test(tc, clean_text_keeps_utf8_and_hides_controls);
    tcase_add_test(tc, trust_bundle_names_its_source);
    tcase_add_test(tc, json_strings_survive_text_that_is_not_utf8);
    tcase_add_test(tc, wrapping_keeps_the_layout);
    tcase_add_test(tc, width_comes_from_the_terminal_or_columns);
    tcase_add_test(tc, wrapped_buffer_flushes_in_steps);
    tcase_add_test(tc, a_process_keeps_no_core_and_forgets_its_secrets);
    tcase_add_test(tc, shared_options_are_kept_in_one_place);
    suite_add_tcase(s, tc);
    return s;
}
