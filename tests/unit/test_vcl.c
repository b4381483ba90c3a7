/* The VCL reader and editor (vcl/vcl.c) on the shapes real services have: declarations in
 * the middle of a file and several per file, comments holding braces and quotes, long
 * strings with several PEMs and the {X"..."X} form, CRLF, a .probe block, broken files, and
 * edits that leave every other byte alone. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/vcl.h"

Suite *vcl_suite(void);

static fo_vcl_file parse(const char *text)
{
    fo_vcl_file f;
    fo_error err;
    ck_assert_int_eq(fo_vcl_parse(&f, text, strlen(text), &err), 0);
    return f;
}

static const char *value(const fo_vcl_decl *d, const char *name)
{
    const fo_vcl_prop *p = fo_vcl_decl_prop(d, name);
    return p == NULL ? NULL : p->value;
}

/* A main VCL as a customer writes one: boilerplate, a director, two backends between
 * subroutines, comments that would fool a reader counting braces or quotes. */
static const char main_vcl[] =
    "# custom main VCL for www.example.com { not a block \"nor a string\n"
    "import std;\n"
    "\n"
    "backend origin_eu {\n"
    "    .host = \"eu.origin.test\";\n"
    "    .port = \"443\";\n"
    "    .ssl = true;\n"
    "    .ssl_cert_hostname = \"eu.origin.test\"; // the cert's name }\n"
    "    .ssl_sni_hostname = \"eu.origin.test\";\n"
    "    .ssl_check_cert = always;\n"
    "    .min_tls_version = \"1.2\";\n"
    "    .connect_timeout = 1s;\n"
    "    .first_byte_timeout = 15s;\n"
    "    .between_bytes_timeout = 500ms;\n"
    "    .max_connections = 200;\n"
    "    /* a probe { with \" quotes } */\n"
    "    .probe = {\n"
    "        .request = \"HEAD / HTTP/1.1\" \"Host: eu.origin.test\" \"Connection: close\";\n"
    "        .expected_response = 200;\n"
    "        .interval = 60s;\n"
    "    }\n"
    "}\n"
    "\n"
    "sub vcl_recv {\n"
    "#FASTLY recv\n"
    "  if (req.http.host == \"backend { x }\") {\n"
    "    set req.backend = origin_eu;\n"
    "  }\n"
    "  return(lookup);\n"
    "}\n"
    "\n"
    "director main random {\n"
    "  { .backend = origin_eu; .weight = 1; }\n"
    "}\n"
    "\n"
    "backend F_us_origin { .host = \"us.origin.test\"; .port = \"443\"; .ssl = true; }\n";

START_TEST(reads_declarations_anywhere_in_a_file)
{
    fo_vcl_file f = parse(main_vcl);
    ck_assert_ptr_null(f.problem);
    ck_assert_uint_eq(f.count, 2);
    const fo_vcl_decl *eu = &f.decls[0];
    ck_assert(eu->understood);
    ck_assert_str_eq(eu->name, "origin_eu");
    ck_assert_uint_eq(eu->line, 4);
    ck_assert_str_eq(value(eu, "host"), "eu.origin.test");
    ck_assert_str_eq(value(eu, "port"), "443");
    ck_assert_int_eq(fo_vcl_decl_prop(eu, "port")->kind, FO_VCL_STRING);
    ck_assert_str_eq(value(eu, "ssl"), "true");
    ck_assert_int_eq(fo_vcl_decl_prop(eu, "ssl")->kind, FO_VCL_WORD);
    ck_assert_str_eq(value(eu, "ssl_cert_hostname"), "eu.origin.test");
    ck_assert_str_eq(value(eu, "ssl_check_cert"), "always");
    ck_assert_str_eq(value(eu, "min_tls_version"), "1.2");
    ck_assert_str_eq(value(eu, "connect_timeout"), "1s");
    ck_assert_str_eq(value(eu, "between_bytes_timeout"), "500ms");
    ck_assert_str_eq(value(eu, "max_connections"), "200");
    const fo_vcl_prop *probe = fo_vcl_decl_prop(eu, "probe");
    ck_assert_ptr_nonnull(probe);
    ck_assert_int_eq(probe->kind, FO_VCL_BLOCK);
    ck_assert_ptr_null(probe->value);
    ck_assert_uint_eq(eu->prop_count, 12);
    /* The one-line declaration at the end, named like an API backend. */
    const fo_vcl_decl *us = &f.decls[1];
    ck_assert(us->understood);
    ck_assert_str_eq(us->name, "F_us_origin");
    ck_assert_str_eq(value(us, "host"), "us.origin.test");
    ck_assert_uint_eq(us->end, strlen(main_vcl) - 1);
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(long_strings_with_several_pems_and_delimiters)
{
    const char *text = "backend b1 {\n"
                       "  .host = \"b1.origin.test\";\n"
                       "  .ssl_ca_cert = {\"-----BEGIN CERTIFICATE-----\n"
                       "MIIBone\n"
                       "-----END CERTIFICATE-----\n"
                       "-----BEGIN CERTIFICATE-----\n"
                       "MIIBtwo\n"
                       "-----END CERTIFICATE-----\n"
                       "\"};\n"
                       "  .ssl_client_cert = {EOF\"a \"} inside\"EOF};\n"
                       "  .share_key = \"a%20b\";\n"
                       "}\n";
    fo_vcl_file f = parse(text);
    ck_assert_ptr_null(f.problem);
    ck_assert_uint_eq(f.count, 1);
    ck_assert(f.decls[0].understood);
    const fo_vcl_prop *ca = fo_vcl_decl_prop(&f.decls[0], "ssl_ca_cert");
    ck_assert_int_eq(ca->kind, FO_VCL_LONG_STRING);
    ck_assert_str_eq(ca->value,
                     "-----BEGIN CERTIFICATE-----\nMIIBone\n-----END CERTIFICATE-----\n"
                     "-----BEGIN CERTIFICATE-----\nMIIBtwo\n-----END CERTIFICATE-----\n");
    ck_assert_str_eq(value(&f.decls[0], "ssl_client_cert"), "a \"} inside");
    ck_assert_str_eq(value(&f.decls[0], "share_key"), "a b"); /* %XX decoded */
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(crlf_files)
{
    const char *text =
        "backend crlf {\r\n\t.host = \"crlf.origin.test\";\r\n\t.port = \"443\";\r\n}\r\n"
        "backend second {\r\n\t.host = \"two.origin.test\";\r\n}\r\n";
    fo_vcl_file f = parse(text);
    ck_assert_ptr_null(f.problem);
    ck_assert_uint_eq(f.count, 2);
    ck_assert_str_eq(value(&f.decls[0], "host"), "crlf.origin.test");
    ck_assert_str_eq(f.decls[1].name, "second");
    ck_assert_uint_eq(f.decls[1].line, 5);
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(declarations_not_understood_are_reported)
{
    /* An expression, a property set twice, a %u escape, no name: each reported, none
     * guessed, and the reader goes on to the next declaration. */
    const char *text = "backend weird {\n  .host = \"a\" + \"b\";\n}\n"
                       "backend twice { .host = \"a\"; .host = \"b\"; }\n"
                       "backend esc { .host = \"%u0041\"; }\n"
                       "backend { .host = \"x\"; }\n"
                       "backend fine { .host = \"fine.origin.test\"; }\n";
    fo_vcl_file f = parse(text);
    ck_assert_ptr_null(f.problem);
    ck_assert_uint_eq(f.count, 5);
    ck_assert(!f.decls[0].understood);
    ck_assert_str_eq(f.decls[0].name, "weird");
    ck_assert_str_eq(f.decls[0].problem, "no ';' after the value of .host at line 2");
    ck_assert(!f.decls[1].understood);
    ck_assert_str_eq(f.decls[1].problem, "the property .host set twice at line 4");
    ck_assert(!f.decls[2].understood);
    ck_assert_ptr_nonnull(strstr(f.decls[2].problem, "%-escape"));
    ck_assert(!f.decls[3].understood);
    ck_assert_ptr_null(f.decls[3].name);
    ck_assert(f.decls[4].understood);
    ck_assert_str_eq(value(&f.decls[4], "host"), "fine.origin.test");
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(quoted_strings_refuse_nul_bytes_and_escapes_they_do_not_read)
{
    /* A raw NUL and %00 would cut the value short; each is named for what it is. */
    const char text[] = "backend nul { .host = \"a\0b\"; }\n"
                        "backend zero { .host = \"a%00b\"; }\n"
                        "backend cut { .host = \"a%4\"; }\n"
                        "backend fine { .host = \"a%2Db\"; }\n";
    fo_vcl_file f;
    fo_error err;
    ck_assert_int_eq(fo_vcl_parse(&f, text, sizeof(text) - 1, &err), 0);
    ck_assert_uint_eq(f.count, 4);
    ck_assert(!f.decls[0].understood);
    ck_assert_ptr_nonnull(strstr(f.decls[0].problem, "a NUL byte in .host"));
    ck_assert(!f.decls[1].understood);
    ck_assert_ptr_nonnull(
        strstr(f.decls[1].problem, "a %-escape fixorigin does not read in .host"));
    ck_assert(!f.decls[2].understood);
    ck_assert_ptr_nonnull(
        strstr(f.decls[2].problem, "a %-escape fixorigin does not read in .host"));
    ck_assert(f.decls[3].understood);
    ck_assert_str_eq(value(&f.decls[3], "host"), "a-b");
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(broken_files_say_where)
{
    struct {
        const char *text;
        const char *problem;
    } cases[] = {
        {"backend a {\n  .host = \"a.test\";\n", "a '{' that is never closed at line 1"},
        {"backend a { .host = \"a.test; }\n", "a string that never ends at line 1"},
        {"sub vcl_recv {\n}\n}\n", "a '}' that closes nothing at line 3"},
        {"/* never closed\nbackend a { }\n", "a /* comment that never ends at line 1"},
        {"backend a {\n .ssl_ca_cert = {\"-----BEGIN\n", "a long string that never ends at line 2"},
        {"sub vcl_recv {\n  if (x) {\n}\n", "a '{' that is never closed at line 1"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fo_vcl_file f = parse(cases[i].text);
        ck_assert_msg(f.problem != NULL, "case %zu", i);
        ck_assert_str_eq(f.problem, cases[i].problem);
        fo_vcl_file_clear(&f);
    }
    /* Empty and NUL-bearing texts are read without trouble. */
    fo_vcl_file f;
    ck_assert_int_eq(fo_vcl_parse(&f, "", 0, NULL), 0);
    ck_assert_uint_eq(f.count, 0);
    fo_vcl_file_clear(&f);
    ck_assert_int_eq(fo_vcl_parse(&f, "backend a { .host = {\"a\0b\"}; }", 30, NULL), 0);
    ck_assert_uint_eq(f.count, 1);
    ck_assert(!f.decls[0].understood);
    fo_vcl_file_clear(&f);
}
END_TEST

START_TEST(known_properties)
{
    ck_assert(fo_vcl_property_known("ssl_cert_hostname"));
    ck_assert(fo_vcl_property_known("probe"));
    ck_assert(fo_vcl_property_known("dynamic"));
    ck_assert(!fo_vcl_property_known("ssl_cert_hostnme"));
    ck_assert(!fo_vcl_property_known(NULL));
}
END_TEST

static char *edit(const char *text, const char *backend, const fo_vcl_set *sets, size_t n)
{
    char *out;
    size_t out_len;
    fo_error err;
    int rc = fo_vcl_edit(&out, &out_len, text, strlen(text), backend, sets, n, &err);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_uint_eq(strlen(out), out_len);
    return out;
}

START_TEST(edit_adds_a_property_indented_like_the_declaration)
{
    const fo_vcl_set set = {"ssl_cert_hostname", FO_VCL_STRING, "other.origin.test"};
    const char *text = "backend a {\n"
                       "\t\t.host = \"a.origin.test\";\n"
                       "\t\t.port = \"443\";\n"
                       "\t}\n"
                       "sub vcl_recv { }\n";
    char *out = edit(text, "a", &set, 1);
    ck_assert_str_eq(out, "backend a {\n"
                          "\t\t.host = \"a.origin.test\";\n"
                          "\t\t.port = \"443\";\n"
                          "\t\t.ssl_cert_hostname = \"other.origin.test\";\n"
                          "\t}\n"
                          "sub vcl_recv { }\n");
    free(out);
}
END_TEST

START_TEST(edit_replaces_only_the_value)
{
    const fo_vcl_set sets[] = {
        {"ssl_cert_hostname", FO_VCL_STRING, "other.origin.test"},
        {"max_tls_version", FO_VCL_STRING, "1.3"},
    };
    char *out = edit(main_vcl, "origin_eu", sets, 1);
    /* The same text but the one value. */
    const char *old_line = ".ssl_cert_hostname = \"eu.origin.test\"; // the cert's name }";
    const char *new_line = ".ssl_cert_hostname = \"other.origin.test\"; // the cert's name }";
    ck_assert_ptr_nonnull(strstr(out, new_line));
    ck_assert_ptr_null(strstr(out, old_line));
    size_t prefix = (size_t)(strstr(main_vcl, old_line) - main_vcl);
    ck_assert_int_eq(memcmp(out, main_vcl, prefix), 0);
    const char *rest = strstr(main_vcl, old_line) + strlen(old_line);
    ck_assert_str_eq(strstr(out, new_line) + strlen(new_line), rest);
    free(out);

    /* A new line goes after the .probe block, before the closing brace. */
    out = edit(main_vcl, "origin_eu", sets, 2);
    ck_assert_ptr_nonnull(strstr(out, "        .interval = 60s;\n    }\n"
                                      "    .max_tls_version = \"1.3\";\n}\n\nsub vcl_recv"));
    free(out);

    /* The one-line declaration: replaced and added inline. */
    const fo_vcl_set more[] = {
        {"ssl_cert_hostname", FO_VCL_STRING, "us.origin.test"},
        {"host", FO_VCL_STRING, "us2.origin.test"},
    };
    out = edit(main_vcl, "F_us_origin", more, 2);
    ck_assert_ptr_nonnull(strstr(out, "backend F_us_origin { .host = \"us2.origin.test\"; "
                                      ".port = \"443\"; .ssl = true; "
                                      ".ssl_cert_hostname = \"us.origin.test\"; }\n"));
    ck_assert_int_eq(memcmp(out, main_vcl, (size_t)(strstr(main_vcl, "backend F_us") - main_vcl)),
                     0);
    free(out);
}
END_TEST

START_TEST(edit_inserts_a_pem_and_keeps_crlf)
{
    const char *pem = "-----BEGIN CERTIFICATE-----\nMIIBxyz\n-----END CERTIFICATE-----\n";
    const fo_vcl_set set = {"ssl_ca_cert", FO_VCL_STRING, pem};
    const char *text = "backend crlf {\r\n  .host = \"c.test\";\r\n}\r\n";
    char *out = edit(text, "crlf", &set, 1);
    ck_assert_str_eq(out, "backend crlf {\r\n  .host = \"c.test\";\r\n"
                          "  .ssl_ca_cert = {\"-----BEGIN CERTIFICATE-----\r\nMIIBxyz\r\n"
                          "-----END CERTIFICATE-----\r\n\"};\r\n}\r\n");
    fo_vcl_file f = parse(out);
    ck_assert(f.decls[0].understood);
    ck_assert_int_eq(fo_vcl_decl_prop(&f.decls[0], "ssl_ca_cert")->kind, FO_VCL_LONG_STRING);
    fo_vcl_file_clear(&f);
    free(out);

    /* A value holding "} gets a delimiter it does not hold; a % forces a long string. */
    const fo_vcl_set odd[] = {{"share_key", FO_VCL_STRING, "a\"}b"},
                              {"host_header", FO_VCL_STRING, "50%"}};
    out = edit("backend x {\n}\n", "x", odd, 2);
    ck_assert_str_eq(out, "backend x {\n    .share_key = {FO1\"a\"}b\"FO1};\n"
                          "    .host_header = {\"50%\"};\n}\n");
    f = parse(out);
    ck_assert_str_eq(value(&f.decls[0], "share_key"), "a\"}b");
    ck_assert_str_eq(value(&f.decls[0], "host_header"), "50%");
    fo_vcl_file_clear(&f);
    free(out);
}
END_TEST

START_TEST(edit_removes_a_line)
{
    const fo_vcl_set sets[] = {{"ssl_ciphers", FO_VCL_STRING, NULL},
                               {"max_tls_version", FO_VCL_STRING, NULL}};
    const char *text = "backend a {\n  .host = \"a.test\";\n  .ssl_ciphers = \"RC4\";  \n}\n";
    char *out = edit(text, "a", sets, 2);
    ck_assert_str_eq(out, "backend a {\n  .host = \"a.test\";\n}\n");
    free(out);
    out = edit("backend a { .ssl_ciphers = \"RC4\"; .host = \"a\"; }", "a", sets, 2);
    ck_assert_str_eq(out, "backend a { .host = \"a\"; }");
    free(out);
}
END_TEST

START_TEST(edit_refuses_what_it_cannot_do_safely)
{
    char *out = NULL;
    size_t len;
    fo_error err;
    const fo_vcl_set set = {"ssl_cert_hostname", FO_VCL_STRING, "x.test"};
    const char *twice = "backend a { }\nbackend a { }\n";
    ck_assert_int_eq(fo_vcl_edit(&out, &len, twice, strlen(twice), "a", &set, 1, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "backend a is declared more than once");
    const char *weird = "backend a { .host = \"a\" \"b\"; }\n";
    ck_assert_int_eq(fo_vcl_edit(&out, &len, weird, strlen(weird), "a", &set, 1, &err), FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "not understood"));
    ck_assert_int_eq(fo_vcl_edit(&out, &len, main_vcl, strlen(main_vcl), "nope", &set, 1, &err),
                     FO_EINVAL);
    const char *broken = "backend a { .host = \"a\"; }\n}\n";
    ck_assert_int_eq(fo_vcl_edit(&out, &len, broken, strlen(broken), "a", &set, 1, &err),
                     FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "broken"));
    const fo_vcl_set word = {"ssl_check_cert", FO_VCL_WORD, "always; .x = 1"};
    ck_assert_int_eq(
        fo_vcl_edit(&out, &len, main_vcl, strlen(main_vcl), "origin_eu", &word, 1, &err),
        FO_EINVAL);
    const fo_vcl_set block = {"probe", FO_VCL_STRING, "p"};
    ck_assert_int_eq(
        fo_vcl_edit(&out, &len, main_vcl, strlen(main_vcl), "origin_eu", &block, 1, &err),
        FO_EINVAL);
    ck_assert_ptr_null(out);
}
END_TEST

Suite *vcl_suite(void)
{
    Suite *s = suite_create("vcl");
    TCase *tc = tcase_create("vcl");
    tcase_add_test(tc, reads_declarations_anywhere_in_a_file);
    tcase_add_test(tc, long_strings_with_several_pems_and_delimiters);
    tcase_add_test(tc, crlf_files);
    tcase_add_test(tc, declarations_not_understood_are_reported);
    tcase_add_test(tc, quoted_strings_refuse_nul_bytes_and_escapes_they_do_not_read);
    tcase_add_test(tc, broken_files_say_where);
    tcase_add_test(tc, known_properties);
    tcase_add_test(tc, edit_adds_a_property_indented_like_the_declaration);
    tcase_add_test(tc, edit_replaces_only_the_value);
    tcase_add_test(tc, edit_inserts_a_pem_and_keeps_crlf);
    tcase_add_test(tc, edit_removes_a_line);
    tcase_add_test(tc, edit_refuses_what_it_cannot_do_safely);
    suite_add_tcase(s, tc);
    return s;
}
