/* Form bodies and paths exactly as go-fastly writes them. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "api_int.h"

Suite *api_form_suite(void);

static char *encode(const fo_form_field *fields, size_t count)
{
    fo_buf out = {0};
    ck_assert_int_eq(fo_api_form_encode(&out, fields, count), 0);
    return fo_buf_steal(&out);
}

/* The recorded S3 logging POST carries a multi-line PGP key: the decoded
 * form go-vcr kept, encoded by us, must give the very body go-fastly sent. */
START_TEST(pem_body_matches_go_fastly_byte_for_byte)
{
    char **keys = NULL, **values = NULL;
    size_t n =
        replay_recorded_form("form_encoding_pem_and_409_duplicate/create6.yaml", &keys, &values);
    ck_assert_uint_eq(n, 16);
    /* Reverse order, so the sorting is ours and not the cassette's. */
    fo_form_field *fields = calloc(n, sizeof(*fields));
    for (size_t i = 0; i < n; i++)
        fields[i] = (fo_form_field){keys[n - 1 - i], values[n - 1 - i]};
    char *body = encode(fields, n);

    replay *r = replay_new();
    replay_load(r, "form_encoding_pem_and_409_duplicate/create6.yaml");
    const replay_answer *recorded = replay_answer_at(r, 0);
    ck_assert_str_eq(body, recorded->request_body);
    ck_assert_ptr_nonnull(
        strstr(body, "-----BEGIN+PGP+PUBLIC+KEY+BLOCK-----%0A%0AmQENBFyUD8sBCAC"));
    ck_assert_ptr_nonnull(strstr(body, "server_side_encryption=aws%3Akms"));
    ck_assert_ptr_nonnull(strstr(body, "timestamp_format=%25Y"));

    replay_free(r);
    free(body);
    free(fields);
    replay_form_free(keys, values, n);
}
END_TEST

START_TEST(escaping_follows_go_query_escape)
{
    const fo_form_field fields[] = {
        {"ssl_ca_cert", "-----BEGIN CERTIFICATE-----\nab+/=\n-----END CERTIFICATE-----\n"},
        {"comment", "a b&c=d?e#f%g~h_i.j-k\xc3\xa9"},
    };
    char *body = encode(fields, 2);
    ck_assert_str_eq(body, "comment=a+b%26c%3Dd%3Fe%23f%25g~h_i.j-k%C3%A9&"
                           "ssl_ca_cert=-----BEGIN+CERTIFICATE-----%0Aab%2B%2F%3D%0A"
                           "-----END+CERTIFICATE-----%0A");
    free(body);
}
END_TEST

START_TEST(null_value_is_sent_empty_to_clear)
{
    const fo_form_field fields[] = {{"port", "0"}, {"override_host", NULL}};
    char *body = encode(fields, 2);
    ck_assert_str_eq(body, "override_host=&port=0");
    free(body);
}
END_TEST

START_TEST(keys_are_sorted_bytewise)
{
    const fo_form_field fields[] = {{"use_ssl", "1"}, {"port", "443"}, {"Port", "x"}, {"p", "y"}};
    char *body = encode(fields, 4);
    ck_assert_str_eq(body, "Port=x&p=y&port=443&use_ssl=1");
    free(body);
}
END_TEST

START_TEST(no_fields_is_an_empty_body)
{
    char *body = encode(NULL, 0);
    ck_assert_str_eq(body, "");
    free(body);
}
END_TEST

START_TEST(path_segments_are_escaped_as_go_path_escape)
{
    fo_buf path = {0};
    ck_assert_int_eq(fo_api_path(&path, "/service/%s/version/%ld/backend/%s", "SVC 1/2", 7L,
                                 "Host 1;a,b?c:d@e&f=g+h$i%j"),
                     0);
    ck_assert_str_eq(path.data, "/service/SVC%201%2F2/version/7/backend/"
                                "Host%201%3Ba%2Cb%3Fc:d@e&f=g+h$i%25j");
    fo_buf_clear(&path);
}
END_TEST

/* Names come from the API and from the user: none may change which resource a request
 * reaches. "." and ".." are dot segments that curl, proxies and servers resolve, so they go
 * out as %2E; everything else that is not a plain segment character is escaped as Go does. */
START_TEST(path_segments_cannot_escape_their_place)
{
    static const struct {
        const char *name;
        const char *escaped;
    } cases[] = {
        {".", "%2E"},
        {"..", "%2E%2E"},
        {"...", "..."},
        {"a..b", "a..b"},
        {"./x", ".%2Fx"},
        {"%2F", "%252F"},
        {"a/../b", "a%2F..%2Fb"},
        {"?x=1", "%3Fx=1"},
        {"#top", "%23top"},
        {"my origin", "my%20origin"},
        {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
        {"%2E%2E", "%252E%252E"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fo_buf path = {0}, want = {0};
        ck_assert_int_eq(fo_api_path(&path, "/service/%s/version/%ld/backend/%s/vcl/%s",
                                     cases[i].name, 2L, cases[i].name, cases[i].name),
                         0);
        ck_assert_int_eq(fo_buf_printf(&want, "/service/%s/version/2/backend/%s/vcl/%s",
                                       cases[i].escaped, cases[i].escaped, cases[i].escaped),
                         0);
        ck_assert_msg(strcmp(path.data, want.data) == 0, "'%s': got %s", cases[i].name, path.data);
        fo_buf_clear(&path);
        fo_buf_clear(&want);
    }
}
END_TEST

START_TEST(path_keeps_literal_text_and_query)
{
    fo_buf path = {0};
    ck_assert_int_eq(
        fo_api_path(&path, "/service/%s/diff/from/%ld/to/%ld?format=text", "abc", -1L, 2147483647L),
        0);
    ck_assert_str_eq(path.data, "/service/abc/diff/from/-1/to/2147483647?format=text");
    fo_buf_clear(&path);
}
END_TEST

Suite *api_form_suite(void)
{
    Suite *s = suite_create("api_form");
    TCase *tc = tcase_create("form");
    tcase_add_test(tc, pem_body_matches_go_fastly_byte_for_byte);
    tcase_add_test(tc, escaping_follows_go_query_escape);
    tcase_add_test(tc, null_value_is_sent_empty_to_clear);
    tcase_add_test(tc, keys_are_sorted_bytewise);
    tcase_add_test(tc, no_fields_is_an_empty_body);
    tcase_add_test(tc, path_segments_are_escaped_as_go_path_escape);
    tcase_add_test(tc, path_segments_cannot_escape_their_place);
    tcase_add_test(tc, path_keeps_literal_text_and_query);
    suite_add_tcase(s, tc);
    return s;
}
