/* What a user reads: `fixorigin --help`, each command's --help (and `fixorigin help CMD`),
 * --version, and the man page: every option a command's help lists is in fixorigin.1, the
 * page renders without a warning, and `make install` (cmake --install) puts it in man1 with
 * the version filled in. (ctest options_reference compares the options both ways.) */
#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fixorigin/fo.h"
#include "mock_harness.h"
#include "testbed_fixture.h"

Suite *scan_docs_suite(void);

static const char *const commands[] = {"fix", "apply", "probe", "show", "scan", "serve"};

static void run(tb_run *r, const char *a, const char *b, const char *c)
{
    const char *argv[] = {FO_BIN_DIR "/fixorigin", a, b, c, NULL};
    fx_run_argv(r, argv, NULL, 30000);
}

START_TEST(top_level_help_and_version)
{
    tb_run r;
    run(&r, "--version", NULL, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_str_eq(r.out, "fixorigin " FO_VERSION "\n");
    tb_run_free(&r);
    run(&r, "--help", NULL, NULL);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_str_eq(r.err, "");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "\n  %s ", commands[i]);
        ck_assert_msg(strstr(r.out, line), "--help does not list %s", commands[i]);
    }
    ck_assert_ptr_nonnull(strstr(r.out, "man fixorigin"));
    tb_run_free(&r);
    /* No command: usage on stderr, 64. An unknown one: 64. */
    run(&r, NULL, NULL, NULL);
    ck_assert_int_eq(r.exit_code, 64);
    ck_assert_str_eq(r.out, "");
    ck_assert_ptr_nonnull(strstr(r.err, "usage: fixorigin"));
    tb_run_free(&r);
    run(&r, "frobnicate", NULL, NULL);
    ck_assert_int_eq(r.exit_code, 64);
    ck_assert_ptr_nonnull(strstr(r.err, "unknown command 'frobnicate'"));
    tb_run_free(&r);
    run(&r, "help", "frobnicate", NULL);
    ck_assert_int_eq(r.exit_code, 64);
    tb_run_free(&r);
}
END_TEST

/* Whether the man page's source holds option (--name) as roff writes it: \-\-name. */
static bool in_man(const char *man, const char *option, size_t len)
{
    char roff[128];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 3 < sizeof(roff); i++) {
        if (option[i] == '-')
            roff[n++] = '\\';
        roff[n++] = option[i];
    }
    roff[n] = '\0';
    /* Followed by something that ends a name: "\-\-all" must not match "\-\-allow". */
    for (const char *p = strstr(man, roff); p; p = strstr(p + 1, roff)) {
        char next = p[n];
        if (!isalnum((unsigned char)next) && next != '\\')
            return true;
    }
    return false;
}

/* Asserts every line of a help text is at most 80 columns (ASCII: bytes are columns). */
static void assert_help_fits(const char *text, const char *what)
{
    ck_assert_msg(text && *text, "%s printed no help", what);
    int number = 1;
    for (const char *line = text; *line; number++) {
        size_t len = strcspn(line, "\n");
        for (size_t i = 0; i < len; i++)
            ck_assert_msg((unsigned char)line[i] >= 0x20 && (unsigned char)line[i] < 0x7f,
                          "%s line %d: a byte that is not printable ASCII", what, number);
        ck_assert_msg(len <= 80, "%s line %d is %zu columns:\n%.*s", what, number, len, (int)len,
                      line);
        line += len + (line[len] == '\n');
    }
}

/* Every help text fits an 80-column terminal: the top-level one, and each command's in every
 * form (--help, -h, `fixorigin help CMD`), for the commands the top-level help lists. */
START_TEST(every_help_line_fits_80_columns)
{
    tb_run top;
    run(&top, "--help", NULL, NULL);
    ck_assert_int_eq(top.exit_code, 0);
    assert_help_fits(top.out, "fixorigin --help");
    /* The commands: "  NAME       summary" lines after "commands:". */
    char names[16][32];
    size_t count = 0;
    const char *list = strstr(top.out, "commands:\n");
    ck_assert_ptr_nonnull(list);
    for (const char *line = list + strlen("commands:\n"); strncmp(line, "  ", 2) == 0 && count < 16;
         count++) {
        ck_assert_int_eq(sscanf(line, "%31s", names[count]), 1);
        line += strcspn(line, "\n") + 1;
    }
    ck_assert_uint_ge(count, sizeof(commands) / sizeof(commands[0]));
    for (size_t i = 0; i < count; i++) {
        const char *forms[][2] = {{names[i], "--help"}, {names[i], "-h"}, {"help", names[i]}};
        for (size_t k = 0; k < 3; k++) {
            tb_run r;
            char what[96];
            snprintf(what, sizeof(what), "fixorigin %s %s", forms[k][0], forms[k][1]);
            run(&r, forms[k][0], forms[k][1], NULL);
            ck_assert_msg(r.exit_code == 0, "%s: exit %d", what, r.exit_code);
            assert_help_fits(r.out, what);
            tb_run_free(&r);
        }
    }
    tb_run_free(&top);
}
END_TEST

START_TEST(every_option_is_in_the_man_page)
{
    char *man = read_file(FO_SOURCE_DIR "/cmd/fixorigin.1");
    ck_assert_ptr_nonnull(man);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        tb_run r, alias;
        run(&r, commands[i], "--help", NULL);
        ck_assert_msg(r.exit_code == 0, "%s --help: exit %d", commands[i], r.exit_code);
        ck_assert_str_eq(r.err, "");
        ck_assert_msg(strncmp(r.out, "usage: fixorigin", 16) == 0, "%s", r.out);
        run(&alias, "help", commands[i], NULL);
        ck_assert_str_eq(alias.out, r.out);
        tb_run_free(&alias);
        size_t options = 0;
        for (const char *p = strstr(r.out, "--"); p; p = strstr(p + 2, "--")) {
            size_t len = 2 + strspn(p + 2, "abcdefghijklmnopqrstuvwxyz0123456789-");
            if (len < 4 || (p > r.out && isalnum((unsigned char)p[-1])))
                continue;
            while (p[len - 1] == '-')
                len--;
            ck_assert_msg(in_man(man, p, len), "fixorigin.1 lacks %s's %.*s", commands[i], (int)len,
                          p);
            options++;
        }
        ck_assert_uint_gt(options, 2);
        tb_run_free(&r);
    }
    /* The environment serve and scan read is documented too. */
    const char *env[] = {"FIXORIGIN_SERVE_TOKEN", "SLACK_SIGNING_SECRET",
                         "FIXORIGIN_APPLY_USERS", "FIXORIGIN_RESPONSE_URL_ALLOW",
                         "XDG_STATE_HOME",        "FASTLY_API_TOKEN"};
    for (size_t i = 0; i < sizeof(env) / sizeof(env[0]); i++)
        ck_assert_msg(strstr(man, env[i]), "fixorigin.1 lacks %s", env[i]);
    free(man);
}
END_TEST

START_TEST(man_page_renders_cleanly)
{
    if (!fx_have_program("groff")) {
        fprintf(stderr, "scan_docs: groff not installed; rendering not checked\n");
        return;
    }
    tb_run r;
    const char *argv[] = {"groff", "-man", "-ww", "-z", "-Tutf8", FO_SOURCE_DIR "/cmd/fixorigin.1",
                          NULL};
    fx_run_argv(&r, argv, NULL, 30000);
    ck_assert_int_eq(r.exit_code, 0);
    ck_assert_msg(strcmp(r.err, "") == 0, "groff warns: %s", r.err);
    tb_run_free(&r);
}
END_TEST

START_TEST(install_puts_the_man_page_in_man1)
{
    char prefix[] = "/tmp/fo-install-XXXXXX", build_dir[512], page[600], program[600];
    ck_assert_ptr_nonnull(mkdtemp(prefix));
    snprintf(build_dir, sizeof(build_dir), "%s/..", FO_BIN_DIR);
    const char *argv[] = {"cmake", "--install", build_dir, "--prefix", prefix, NULL};
    tb_run r;
    fx_run_argv(&r, argv, NULL, 120000);
    ck_assert_msg(r.exit_code == 0, "%s%s", r.out, r.err);
    tb_run_free(&r);
    struct stat st;
    snprintf(page, sizeof(page), "%s/share/man/man1/fixorigin.1", prefix);
    snprintf(program, sizeof(program), "%s/bin/fixorigin", prefix);
    bool has_page = stat(page, &st) == 0 && st.st_size > 1000;
    bool has_program = stat(program, &st) == 0;
    /* The page's header names the version project() says, filled in when it is made. */
    char *installed = has_page ? read_file(page) : NULL;
    bool has_version = installed && strstr(installed, "\"fixorigin " FO_VERSION "\"") &&
                       !strstr(installed, "@PROJECT_VERSION@");
    free(installed);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", prefix);
    ck_assert_int_eq(system(cmd), 0);
    ck_assert_msg(has_page, "no %s", page);
    ck_assert_msg(has_version, "%s does not name fixorigin " FO_VERSION, page);
    ck_assert(has_program);
}
END_TEST

Suite *scan_docs_suite(void)
{
    Suite *s = suite_create("scan_docs");
    TCase *tc = tcase_create("docs");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, top_level_help_and_version);
    tcase_add_test(tc, every_help_line_fits_80_columns);
    tcase_add_test(tc, every_option_is_in_the_man_page);
    tcase_add_test(tc, man_page_renders_cleanly);
    tcase_add_test(tc, install_puts_the_man_page_in_man1);
    suite_add_tcase(s, tc);
    return s;
}
