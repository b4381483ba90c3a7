/* The checks apply makes before trusting a write: the backend as read back after the update,
 * and Fastly's diff of the active version against the draft. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_fixture.h"
#include "testcert.h"

Suite *remediate_checks_suite(void);

static char why[400];

/* ---- read-back ---- */

START_TEST(readback_with_exactly_the_planned_change_matches)
{
    fo_backend *before = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_backend *after = rt_backend("127.0.0.1", "other.origin.test", "www.origin.test");
    fo_fix fix = {0};
    rt_fix_add(&fix, "ssl_cert_hostname", "www.origin.test", "other.origin.test");
    ck_assert(fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));

    /* The change did not take: the read-back says so with both values. */
    ck_assert(!fo_remediate_readback_matches(before, before, &fix, why, sizeof(why)));
    ck_assert_str_eq(why, "ssl_cert_hostname reads back as \"www.origin.test\", the plan says "
                          "\"other.origin.test\"");
    fo_fix_clear(&fix);
    fo_backend_free(before);
    fo_backend_free(after);
}
END_TEST

START_TEST(readback_with_anything_else_changed_does_not_match)
{
    fo_backend *before = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_backend *after = rt_backend("127.0.0.1", "other.origin.test", "www.origin.test");
    fo_fix fix = {0};
    rt_fix_add(&fix, "ssl_cert_hostname", "www.origin.test", "other.origin.test");
    after->port = 8443;
    ck_assert(!fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));
    ck_assert_str_eq(why, "port reads back as \"8443\", it was \"443\"");
    after->port = 443;
    after->ssl_check_cert = false;
    ck_assert(!fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));
    ck_assert_str_eq(why, "ssl_check_cert reads back as \"false\", it was \"true\"");
    after->ssl_check_cert = true;
    after->override_host = strdup("evil\x1b[31m.test");
    ck_assert(!fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));
    ck_assert_str_eq(why, "override_host reads back as \"evil?[31m.test\", it was (unset)");
    fo_fix_clear(&fix);
    fo_backend_free(before);
    fo_backend_free(after);
}
END_TEST

START_TEST(readback_never_shows_the_client_key)
{
    fo_backend *before = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_backend *after = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    before->ssl_client_key = tc_private_key_pem();
    after->ssl_client_key = tc_private_key_pem();
    ck_assert(!fo_remediate_readback_matches(before, after, NULL, why, sizeof(why)));
    ck_assert_str_eq(why, "ssl_client_key is not what it was");
    ck_assert_ptr_null(strstr(why, "PRIVATE KEY"));
    fo_backend_free(before);
    fo_backend_free(after);
}
END_TEST

START_TEST(readback_compares_pem_by_certificate)
{
    const rt_pki *pki = rt_pki_get();
    fo_backend *before = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_backend *after = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_fix fix = {0};
    rt_fix_add(&fix, "ssl_ca_cert", NULL, pki->intermediate_pem);
    /* Stored with Windows line ends and no final newline: still the same certificate. */
    size_t n = strlen(pki->intermediate_pem);
    char *crlf = calloc(2 * n + 1, 1);
    for (size_t i = 0, j = 0; i + 1 < n; i++) {
        if (pki->intermediate_pem[i] == '\n')
            crlf[j++] = '\r';
        crlf[j++] = pki->intermediate_pem[i];
    }
    after->ssl_ca_cert = crlf;
    ck_assert(fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));
    /* Another certificate is not. */
    free(after->ssl_ca_cert);
    after->ssl_ca_cert = strdup(pki->root_pem);
    ck_assert(!fo_remediate_readback_matches(before, after, &fix, why, sizeof(why)));
    ck_assert_str_eq(why, "ssl_ca_cert holds other certificates than planned");
    fo_fix_clear(&fix);
    fo_backend_free(before);
    fo_backend_free(after);
}
END_TEST

/* ---- Fastly's diff ---- */

/* As the stand-in (and Fastly) write it: the whole dump, each line marked. */
static const char diff_ok[] = " acls: []\n"
                              " backends:\n"
                              " - name: api\n"
                              "   address: 10.0.0.2\n"
                              "   ssl_cert_hostname: api.origin.test\n"
                              " - name: origin\n"
                              "   address: 127.0.0.1\n"
                              "   port: 443\n"
                              "-  ssl_ca_cert:\n"
                              "+  ssl_ca_cert: |\n"
                              "+    -----BEGIN CERTIFICATE-----\n"
                              "+    MIIB\n"
                              "+    -----END CERTIFICATE-----\n"
                              "-  ssl_cert_hostname: www.origin.test\n"
                              "+  ssl_cert_hostname: other.origin.test\n"
                              "   ssl_check_cert: true\n"
                              " cache_settings: []\n"
                              "-comment: base\n"
                              "+comment: 'fixorigin: origin: set ... (run 1)'\n"
                              " conditions: []\n"
                              " settings:\n"
                              "   general.default_host: ''\n"
                              " vcls: []\n";

static fo_plan *origin_plan(void)
{
    fo_backend *backends[2] = {rt_backend("10.0.0.2", "api.origin.test", NULL),
                               rt_backend("127.0.0.1", "www.origin.test", NULL)};
    free(backends[0]->name);
    backends[0]->name = strdup("api");
    fo_fix fixes[2] = {{0}, {0}};
    rt_fix_add(&fixes[1], "ssl_cert_hostname", "www.origin.test", "other.origin.test");
    rt_fix_add(&fixes[1], "ssl_ca_cert", NULL, "PEM");
    return rt_plan(backends, fixes, 2);
}

START_TEST(a_diff_of_only_the_planned_fields_matches)
{
    fo_plan *plan = origin_plan();
    char *shown = NULL;
    ck_assert_msg(fo_remediate_diff_matches(diff_ok, plan, why, sizeof(why), &shown), "%s", why);
    ck_assert_str_eq(shown, "  backends 'origin':\n"
                            "-   ssl_ca_cert:\n"
                            "+   ssl_ca_cert: |\n"
                            "+     (3 lines of certificate text)\n"
                            "-   ssl_cert_hostname: www.origin.test\n"
                            "+   ssl_cert_hostname: other.origin.test\n"
                            "- comment: base\n"
                            "+ comment: 'fixorigin: origin: set ... (run 1)'\n");
    free(shown);
    fo_plan_free(plan);
}
END_TEST

/* diff_ok with one line replaced. */
static char *diff_with(const char *line, const char *replacement)
{
    const char *at = strstr(diff_ok, line);
    ck_assert_ptr_nonnull(at);
    size_t head = (size_t)(at - diff_ok);
    char *text = malloc(strlen(diff_ok) + strlen(replacement) + 1);
    memcpy(text, diff_ok, head);
    strcpy(text + head, replacement);
    strcat(text, at + strlen(line));
    return text;
}

START_TEST(a_long_diff_line_is_cut_and_says_so)
{
    fo_plan *plan = origin_plan();
    char long_comment[600];
    memset(long_comment, 'x', sizeof(long_comment));
    memcpy(long_comment, "+comment: '", 11);
    snprintf(long_comment + 500, 100, "'\n");
    char *text = diff_with("+comment: 'fixorigin: origin: set ... (run 1)'\n", long_comment);
    char *shown = NULL;
    ck_assert_msg(fo_remediate_diff_matches(text, plan, why, sizeof(why), &shown), "%s", why);
    const char *line = strstr(shown, "+ comment: '");
    ck_assert_ptr_nonnull(line);
    /* The mark, then 300 characters of the line, then the cut mark. */
    ck_assert_uint_eq(strcspn(line, "\n"), strlen("+ ") + 300 + strlen(" [...]"));
    ck_assert_ptr_nonnull(strstr(line, "xxx [...]\n"));
    free(shown);
    free(text);
    fo_plan_free(plan);
}
END_TEST

START_TEST(any_other_change_does_not_match)
{
    fo_plan *plan = origin_plan();
    static const struct {
        const char *line, *replacement, *why;
    } cases[] = {
        /* another field of the planned backend */
        {"   port: 443\n", "-  port: 443\n+  port: 80\n",
         "Fastly's diff shows a change nobody planned: backends 'origin' port"},
        /* a field of a backend with no plan */
        {"   ssl_cert_hostname: api.origin.test\n",
         "-  ssl_cert_hostname: api.origin.test\n+  ssl_cert_hostname: evil.test\n",
         "Fastly's diff shows a change nobody planned: backends 'api' ssl_cert_hostname"},
        /* a backend renamed, added or removed */
        {" - name: api\n", "-- name: api\n+- name: api2\n",
         "Fastly's diff shows a change nobody planned: backends 'api' name"},
        /* the service's settings */
        {"   general.default_host: ''\n",
         "-  general.default_host: ''\n+  general.default_host: x\n",
         "Fastly's diff shows a change nobody planned: settings"},
        /* a new top-level section */
        {" vcls: []\n", "-vcls: []\n+vcls:\n+- name: main\n",
         "Fastly's diff shows a change nobody planned: vcls"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = diff_with(cases[i].line, cases[i].replacement);
        char *shown = NULL;
        ck_assert_msg(!fo_remediate_diff_matches(text, plan, why, sizeof(why), &shown),
                      "case %zu matched", i);
        ck_assert_str_eq(why, cases[i].why);
        ck_assert_ptr_nonnull(shown);
        free(shown);
        free(text);
    }
    fo_plan_free(plan);
}
END_TEST

START_TEST(a_planned_change_missing_from_the_diff_does_not_match)
{
    fo_plan *plan = origin_plan();
    char *text = diff_with("-  ssl_cert_hostname: www.origin.test\n+  ssl_cert_hostname: "
                           "other.origin.test\n",
                           "   ssl_cert_hostname: www.origin.test\n");
    ck_assert(!fo_remediate_diff_matches(text, plan, why, sizeof(why), NULL));
    ck_assert_str_eq(why, "Fastly's diff does not show the planned change of ssl_cert_hostname "
                          "on backend 'origin'");
    free(text);
    /* Identical versions: the whole dump, no +/- lines. */
    ck_assert(
        !fo_remediate_diff_matches(" acls: []\n backends: []\n", plan, why, sizeof(why), NULL));
    ck_assert(!fo_remediate_diff_matches("", plan, why, sizeof(why), NULL));
    fo_plan_free(plan);
}
END_TEST

START_TEST(quoted_backend_names_are_read_as_yaml_spells_them)
{
    fo_backend *backends[1] = {rt_backend("127.0.0.1", "www.origin.test", NULL)};
    free(backends[0]->name);
    backends[0]->name = strdup("Host 1: it's");
    fo_fix fixes[1] = {{0}};
    rt_fix_add(&fixes[0], "connect_timeout", "1000", "2500");
    fo_plan *plan = rt_plan(backends, fixes, 1);
    ck_assert(fo_remediate_diff_matches(" backends:\n"
                                        " - name: 'Host 1: it''s'\n"
                                        "-  connect_timeout: 1000\n"
                                        "+  connect_timeout: 2500\n",
                                        plan, why, sizeof(why), NULL));
    fo_plan_free(plan);
}
END_TEST

Suite *remediate_checks_suite(void)
{
    Suite *s = suite_create("remediate_checks");
    TCase *tc = tcase_create("checks");
    tcase_add_test(tc, readback_with_exactly_the_planned_change_matches);
    tcase_add_test(tc, readback_with_anything_else_changed_does_not_match);
    tcase_add_test(tc, readback_never_shows_the_client_key);
    tcase_add_test(tc, readback_compares_pem_by_certificate);
    tcase_add_test(tc, a_diff_of_only_the_planned_fields_matches);
    tcase_add_test(tc, a_long_diff_line_is_cut_and_says_so);
    tcase_add_test(tc, any_other_change_does_not_match);
    tcase_add_test(tc, a_planned_change_missing_from_the_diff_does_not_match);
    tcase_add_test(tc, quoted_backend_names_are_read_as_yaml_spells_them);
    suite_add_tcase(s, tc);
    return s;
}
