/* What apply reads after a write: the backend as read back after the update (a check), and
 * Fastly's diff of the active version against the draft (read tolerantly, shown only). */
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

/* ---- Fastly's diff: shown, never trusted ---- */

/* Name first, the other keys sorted: how the stand-in's name-first layout (and the one
 * recorded diff, diff/get_again.yaml) writes an item. */
static const char name_first[] = " acls: []\n"
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

/* Every key sorted, name among them: how a YAML dump of a sorted hash comes out. */
static const char sorted[] = " acls: []\n"
                             " backends:\n"
                             " - address: 10.0.0.2\n"
                             "   name: api\n"
                             "   ssl_cert_hostname: api.origin.test\n"
                             " - address: 127.0.0.1\n"
                             "   auto_loadbalance: false\n"
                             "   client_cert:\n"
                             "   name: origin\n"
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

/* Name last, the list indented under its key, names double-quoted. */
static const char name_last[] = " backends:\n"
                                "   - address: 10.0.0.2\n"
                                "     ssl_cert_hostname: api.origin.test\n"
                                "     name: \"api\"\n"
                                "   - address: 127.0.0.1\n"
                                "-    ssl_ca_cert: ~\n"
                                "+    ssl_ca_cert: |-\n"
                                "+      -----BEGIN CERTIFICATE-----\n"
                                "+      MIIB\n"
                                "+      -----END CERTIFICATE-----\n"
                                "-    ssl_cert_hostname: www.origin.test\n"
                                "+    ssl_cert_hostname: other.origin.test\n"
                                "     name: \"origin\"\n"
                                "-comment: base\n"
                                "+comment: 'fixorigin: origin: set ... (run 1)'\n";

static const char expected_places[] = "backends 'origin' ssl_ca_cert, backends 'origin' "
                                      "ssl_cert_hostname, comment";

START_TEST(every_layout_names_the_item_by_its_name)
{
    static const char *const layouts[] = {name_first, sorted, name_last};
    for (size_t i = 0; i < 3; i++) {
        fo_diff_view view;
        ck_assert_int_eq(fo_remediate_diff_read(&view, layouts[i]), 0);
        ck_assert_msg(view.understood, "layout %zu", i);
        ck_assert_str_eq(view.places, expected_places);
        ck_assert_uint_eq(view.changed_lines, 9);
        ck_assert_uint_eq(view.unattributed, 0);
        ck_assert_ptr_nonnull(strstr(view.shown, "  backends 'origin':\n"));
        ck_assert_ptr_nonnull(strstr(view.shown, "+     (3 lines of certificate text)\n"));
        ck_assert_ptr_null(strstr(view.shown, "BEGIN"));
        ck_assert_ptr_null(strstr(view.shown, "'api'"));
        fo_diff_view_clear(&view);
    }
}
END_TEST

/* One dump whose items disagree on where name sits. */
START_TEST(a_mixed_layout_names_each_item)
{
    static const char mixed[] = " backends:\n"
                                " - name: api\n"
                                "-  port: 80\n"
                                "+  port: 443\n"
                                " - address: 10.0.0.3\n"
                                "-  connect_timeout: 1000\n"
                                "+  connect_timeout: 2500\n"
                                "   name: edge\n"
                                "   weight: 100\n"
                                " - address: 127.0.0.1\n"
                                "-  ssl_cert_hostname: www.origin.test\n"
                                "+  ssl_cert_hostname: other.origin.test\n"
                                "   name: origin\n"
                                " comment: ''\n";
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, mixed), 0);
    ck_assert(view.understood);
    ck_assert_str_eq(view.places, "backends 'api' port, backends 'edge' connect_timeout, backends "
                                  "'origin' ssl_cert_hostname");
    fo_diff_view_clear(&view);
}
END_TEST

START_TEST(the_shown_lines_are_grouped_and_folded)
{
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, sorted), 0);
    ck_assert_str_eq(view.shown, "  backends 'origin':\n"
                                 "-   ssl_ca_cert:\n"
                                 "+   ssl_ca_cert: |\n"
                                 "+     (3 lines of certificate text)\n"
                                 "-   ssl_cert_hostname: www.origin.test\n"
                                 "+   ssl_cert_hostname: other.origin.test\n"
                                 "- comment: base\n"
                                 "+ comment: 'fixorigin: origin: set ... (run 1)'\n");
    fo_diff_view_clear(&view);
}
END_TEST

/* diff with one line replaced. */
static char *diff_with(const char *diff, const char *line, const char *replacement)
{
    const char *at = strstr(diff, line);
    ck_assert_ptr_nonnull(at);
    size_t head = (size_t)(at - diff);
    char *text = malloc(strlen(diff) + strlen(replacement) + 1);
    memcpy(text, diff, head);
    strcpy(text + head, replacement);
    strcat(text, at + strlen(line));
    return text;
}

START_TEST(names_are_read_however_they_are_quoted)
{
    static const struct {
        const char *spelt, *name;
    } names[] = {
        {"'Host 1: it''s'", "Host 1: it's"},
        {"\"Host 1: \\\"quoted\\\"\"", "Host 1: \"quoted\""},
        {"'- leading dash'", "- leading dash"},
        {"Host 1", "Host 1"},
        {"origine-été", "origine-été"},
        {"'123'", "123"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "   name: %s\n", names[i].spelt);
        char *text = diff_with(sorted, "   name: origin\n", line);
        fo_diff_view view;
        ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
        char want[200];
        snprintf(want, sizeof(want), "backends '%s' ssl_ca_cert", names[i].name);
        ck_assert_msg(view.places && strncmp(view.places, want, strlen(want)) == 0, "%s: places %s",
                      names[i].spelt, view.places);
        fo_diff_view_clear(&view);
        free(text);
    }
}
END_TEST

START_TEST(a_certificate_on_one_line_is_named_not_shown)
{
    char *text = diff_with(sorted, "-  ssl_cert_hostname: www.origin.test\n",
                           "-  ssl_client_cert: \"-----BEGIN CERTIFICATE-----\\nMIIB\\n\"\n"
                           "-  ssl_cert_hostname: www.origin.test\n");
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
    ck_assert_ptr_nonnull(strstr(view.shown, "-   ssl_client_cert: (certificate text)\n"));
    ck_assert_ptr_null(strstr(view.shown, "MIIB"));
    fo_diff_view_clear(&view);
    free(text);
}
END_TEST

START_TEST(null_and_empty_values_are_values)
{
    /* The recorded spelling of null is nothing after the colon; '' is an empty string. */
    char *text =
        diff_with(sorted, "   port: 443\n",
                  "-  port:\n+  port: 443\n-  override_host: ''\n+  override_host: null\n");
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
    ck_assert(view.understood);
    ck_assert_ptr_nonnull(strstr(view.places, "backends 'origin' port, backends 'origin' "
                                              "override_host, backends 'origin' ssl_ca_cert"));
    fo_diff_view_clear(&view);
    free(text);
}
END_TEST

/* Appends the lines of a PEM key, each after prefix (the first after first), with kind
 * ("RSA ", "EC " or "") put before "PRIVATE KEY" in the armour: the key is made at run time,
 * so no key text is checked in. Returns the number of lines. */
static int put_key(fo_buf *out, const char *pem, const char *first, const char *prefix,
                   const char *kind)
{
    int lines = 0;
    for (const char *line = pem; *line; lines++) {
        const char *eol = strchr(line, '\n');
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        const char *label = strstr(line, "PRIVATE KEY");
        if (label && label >= line + len)
            label = NULL; /* on a later line */
        size_t head = label ? (size_t)(label - line) : len;
        ck_assert_int_eq(fo_buf_printf(out, "%s%.*s%s%.*s\n", lines ? prefix : first, (int)head,
                                       line, label ? kind : "", (int)(len - head), line + head),
                         0);
        line += len + (eol != NULL);
    }
    return lines;
}

START_TEST(key_text_never_shows)
{
    char *key = tc_private_key_pem();
    fo_buf diffs[4] = {{0}};
    /* the client's redaction, kept */
    ck_assert_int_eq(fo_buf_puts(&diffs[0], " backends:\n - address: x\n-  ssl_client_key: "
                                            "[redacted]\n+  ssl_client_key:\n   name: origin\n"),
                     0);
    /* a pool's key, inline and as a block */
    ck_assert_int_eq(fo_buf_puts(&diffs[1], " pools:\n - name: p\n-  tls_client_key: "
                                            "secretvalue\n+  tls_client_key: |\n"),
                     0);
    int key_lines = put_key(&diffs[1], key, "+    ", "+    ", "");
    /* key text where no field can be told */
    ck_assert_int_eq(fo_buf_puts(&diffs[2], " backends: []\n"), 0);
    put_key(&diffs[2], key, "+garbage ", "+", "RSA ");
    /* and in a text that is no diff at all, with a line after it */
    put_key(&diffs[3], key, "", "", "EC ");
    ck_assert_int_eq(fo_buf_puts(&diffs[3], "after the key\n"), 0);
    for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++) {
        fo_diff_view view;
        ck_assert_int_eq(fo_remediate_diff_read(&view, diffs[i].data), 0);
        ck_assert_ptr_nonnull(view.shown);
        ck_assert_msg(!strstr(view.shown, "secretvalue"), "case %zu shows: %s", i, view.shown);
        for (int n = 1; n < key_lines - 1; n++) {
            char body[100];
            tc_pem_line(body, sizeof(body), key, n);
            ck_assert_msg(!strstr(view.shown, body), "case %zu shows: %s", i, view.shown);
        }
        fo_diff_view_clear(&view);
    }
    fo_diff_view view;
    char expected[300];
    /* The fold of key text in a text that is no diff is a line like the others: what
     * follows it still shows (it once carried a NUL mark that ended the text there). */
    ck_assert_int_eq(fo_remediate_diff_read(&view, diffs[3].data), 0);
    snprintf(expected, sizeof(expected),
             "      (%d lines of private key text, not shown)\n  after the key\n", key_lines);
    ck_assert_str_eq(view.shown, expected);
    fo_diff_view_clear(&view);
    snprintf(expected, sizeof(expected),
             "  pools 'p':\n"
             "-   tls_client_key: [redacted]\n"
             "+   tls_client_key: [redacted]\n"
             "+     (%d lines of private key text, not shown)\n",
             key_lines);
    ck_assert_int_eq(fo_remediate_diff_read(&view, diffs[1].data), 0);
    ck_assert_str_eq(view.shown, expected);
    fo_diff_view_clear(&view);
    for (size_t i = 0; i < sizeof(diffs) / sizeof(diffs[0]); i++)
        fo_buf_clear(&diffs[i]);
    free(key);
}
END_TEST

START_TEST(text_that_is_no_diff_is_shown_as_it_came)
{
    static const char *const blobs[] = {
        "<html><body>502 Bad Gateway</body></html>",
        "{\"backends\":[{\"name\":\"origin\"}]}",
        "\x1b[31mred\x01\x7f\n\n\n",
        "",
    };
    for (size_t i = 0; i < sizeof(blobs) / sizeof(blobs[0]); i++) {
        fo_diff_view view;
        ck_assert_int_eq(fo_remediate_diff_read(&view, blobs[i]), 0);
        ck_assert_msg(!view.understood, "blob %zu understood", i);
        ck_assert_ptr_null(view.places);
        if (i == 0)
            ck_assert_str_eq(view.shown, "  <html><body>502 Bad Gateway</body></html>\n");
        if (i == 2)
            ck_assert_str_eq(view.shown, "  ?[31mred??\n");
        fo_diff_view_clear(&view);
    }
    /* Many lines: the first 40, then a count. */
    fo_buf many = {0};
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(fo_buf_printf(&many, "line %d\n", i), 0);
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, many.data), 0);
    ck_assert_ptr_nonnull(strstr(view.shown, "  line 39\n  (60 more lines not shown)\n"));
    fo_diff_view_clear(&view);
    fo_buf_clear(&many);
    /* A dump too long to read in bounded memory is shown like one not understood. */
    int rc = 0;
    for (int i = 0; i < 200001; i++) /* no check per line: each is a message to the runner */
        rc |= fo_buf_puts(&many, i ? " a: 1\n" : "+a: 2\n");
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(fo_remediate_diff_read(&view, many.data), 0);
    ck_assert(!view.understood);
    ck_assert_ptr_nonnull(strstr(view.shown, "  (199961 more lines not shown)\n"));
    fo_diff_view_clear(&view);
    fo_buf_clear(&many);
}
END_TEST

START_TEST(lines_that_fit_nowhere_are_shown_as_they_are)
{
    char *text =
        diff_with(sorted, " conditions: []\n", "+   ??? not yaml at all\n conditions: []\n");
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
    ck_assert(view.understood);
    ck_assert_uint_eq(view.unattributed, 0); /* deeper than comment's line: its value goes on */
    fo_diff_view_clear(&view);
    free(text);
    text = diff_with(sorted, " acls: []\n", "+??? not yaml at all\n acls: []\n");
    ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
    ck_assert(view.understood);
    ck_assert_uint_eq(view.unattributed, 1);
    ck_assert_ptr_nonnull(strstr(view.shown, "+ ??? not yaml at all\n"));
    fo_diff_view_clear(&view);
    free(text);
}
END_TEST

START_TEST(identical_versions_show_no_change)
{
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, " acls: []\n backends: []\n comment: ''\n"), 0);
    ck_assert(view.understood);
    ck_assert_uint_eq(view.changed_lines, 0);
    ck_assert_ptr_null(view.places);
    ck_assert_ptr_null(view.shown);
    fo_diff_view_clear(&view);
}
END_TEST

START_TEST(a_long_diff_line_is_cut_and_says_so)
{
    char long_comment[600];
    memset(long_comment, 'x', sizeof(long_comment));
    memcpy(long_comment, "+comment: '", 11);
    snprintf(long_comment + 500, 100, "'\n");
    char *text =
        diff_with(sorted, "+comment: 'fixorigin: origin: set ... (run 1)'\n", long_comment);
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, text), 0);
    const char *line = strstr(view.shown, "+ comment: '");
    ck_assert_ptr_nonnull(line);
    /* The mark, then 300 characters of the line, then the cut mark. */
    ck_assert_uint_eq(strcspn(line, "\n"), strlen("+ ") + 300 + strlen(" [...]"));
    ck_assert_ptr_nonnull(strstr(line, "xxx [...]\n"));
    fo_diff_view_clear(&view);
    free(text);
}
END_TEST

START_TEST(the_recorded_diff_reads)
{
    /* diff/get_again.yaml's text: a backend added, name first, null as nothing. */
    static const char recorded[] =
        " acls: []\n-backends: []\n+backends:\n+- name: test-backend\n"
        "+  address: integ-test.go-fastly.com\n+  auto_loadbalance: false\n+  client_cert:\n"
        "+  comment: ''\n+  port: 80\n+  ssl_client_key:\n+  use_ssl: false\n"
        " cache_settings: []\n comment: ''\n settings:\n   general.default_host: ''\n"
        " vcls: []\n";
    fo_diff_view view;
    ck_assert_int_eq(fo_remediate_diff_read(&view, recorded), 0);
    ck_assert(view.understood);
    ck_assert_str_eq(view.places, "backends, backends 'test-backend' name, backends "
                                  "'test-backend' address, backends 'test-backend' "
                                  "auto_loadbalance, backends 'test-backend' client_cert, "
                                  "backends 'test-backend' comment, backends 'test-backend' port, "
                                  "backends 'test-backend' ssl_client_key, backends "
                                  "'test-backend' use_ssl");
    ck_assert_ptr_nonnull(strstr(view.shown, "+   ssl_client_key: [redacted]\n"));
    fo_diff_view_clear(&view);
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
    tcase_add_test(tc, every_layout_names_the_item_by_its_name);
    tcase_add_test(tc, a_mixed_layout_names_each_item);
    tcase_add_test(tc, the_shown_lines_are_grouped_and_folded);
    tcase_add_test(tc, names_are_read_however_they_are_quoted);
    tcase_add_test(tc, null_and_empty_values_are_values);
    tcase_add_test(tc, a_certificate_on_one_line_is_named_not_shown);
    tcase_add_test(tc, key_text_never_shows);
    tcase_add_test(tc, text_that_is_no_diff_is_shown_as_it_came);
    tcase_add_test(tc, lines_that_fit_nowhere_are_shown_as_they_are);
    tcase_add_test(tc, identical_versions_show_no_change);
    tcase_add_test(tc, a_long_diff_line_is_cut_and_says_so);
    tcase_add_test(tc, the_recorded_diff_reads);
    suite_add_tcase(s, tc);
    return s;
}
