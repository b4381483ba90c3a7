/* fastly-mock's parts without sockets: the --fail and --token specs, form decoding, the
 * backend update rules, the YAML-ish dump, the line diff and state loading. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

Suite *mock_parts_suite(void);

/* ---- specs ---- */

START_TEST(fault_specs_parse)
{
    fo_mock_fault f;
    char name[32];
    ck_assert_int_eq(fo_mock_fault_parse(&f, "PUT:/service/*/version/*/clone:1:drop", NULL), 0);
    ck_assert_str_eq(f.method, "PUT");
    ck_assert_str_eq(f.glob, "/service/*/version/*/clone");
    ck_assert_int_eq(f.nth, 1);
    ck_assert_int_eq(f.kind, FO_MOCK_FAULT_DROP_AFTER);
    ck_assert_str_eq(fo_mock_fault_name(&f, name, sizeof(name)), "drop");
    fo_mock_fault_clear(&f);

    static const struct {
        const char *spec;
        fo_mock_fault_kind kind;
        int status;
        long delay;
        const char *name;
    } ok[] = {
        {"*:/x:*:drop-before", FO_MOCK_FAULT_DROP_BEFORE, 0, 0, "drop-before"},
        {"GET:/x:2:503", FO_MOCK_FAULT_STATUS, 503, 0, "503"},
        {"GET:/x:2:429", FO_MOCK_FAULT_STATUS, 429, 0, "429"},
        {"PUT:/x:3:500-after", FO_MOCK_FAULT_STATUS_AFTER, 500, 0, "500-after"},
        {"GET:/x:1:502-html", FO_MOCK_FAULT_HTML, 502, 0, "502-html"},
        {"GET:/x:1:malformed", FO_MOCK_FAULT_MALFORMED, 0, 0, "malformed"},
        {"GET:/x:1:truncate", FO_MOCK_FAULT_TRUNCATE, 0, 0, "truncate"},
        {"GET:/x:1:delay=250", FO_MOCK_FAULT_DELAY, 0, 250, "delay=250"},
        {"PUT:/x:1:hang-after=900", FO_MOCK_FAULT_HANG_AFTER, 0, 900, "hang-after=900"},
        {"GET:/a:b:1:drop", FO_MOCK_FAULT_DROP_AFTER, 0, 0, "drop"}, /* ':' inside the path */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_msg(fo_mock_fault_parse(&f, ok[i].spec, NULL) == 0, "%s", ok[i].spec);
        ck_assert_int_eq(f.kind, ok[i].kind);
        ck_assert_int_eq(f.status, ok[i].status);
        ck_assert_int_eq(f.delay_ms, ok[i].delay);
        ck_assert_str_eq(fo_mock_fault_name(&f, name, sizeof(name)), ok[i].name);
        fo_mock_fault_clear(&f);
    }
    ck_assert_int_eq(fo_mock_fault_parse(&f, "GET:/a:b:1:drop", NULL), 0);
    ck_assert_str_eq(f.glob, "/a:b");
    fo_mock_fault_clear(&f);
}
END_TEST

START_TEST(bad_fault_specs_say_why)
{
    static const char *const bad[][2] = {
        {"drop", "expected METHOD:PATH:N:ACTION"},
        {"GET:/x:drop", "expected METHOD:PATH:N:ACTION"},
        {"get:/x:1:drop", "upper case"},
        {"GET:x:1:drop", "must start with /"},
        {"GET:/x:0:drop", "count must be"},
        {"GET:/x:-1:drop", "count must be"},
        {"GET:/x:1:explode", "unknown action"},
        {"GET:/x:1:99", "unknown action"},
        {"GET:/x:1:700", "not between 200 and 599"},
        {"GET:/x:1:503-later", "unknown status suffix"},
        {"GET:/x:1:delay=", "delay wants milliseconds"},
        {"GET:/x:1:delay=9999999", "delay wants milliseconds"},
        {"PUT:/x:1:hang-after=x", "hang-after wants milliseconds"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fo_mock_fault f;
        fo_error err;
        ck_assert_int_eq(fo_mock_fault_parse(&f, bad[i][0], &err), FO_EINVAL);
        ck_assert_msg(strstr(err.msg, bad[i][1]), "%s: '%s' lacks '%s'", bad[i][0], err.msg,
                      bad[i][1]);
        ck_assert_ptr_null(f.glob);
    }
}
END_TEST

START_TEST(fault_counts_matches)
{
    fo_mock_fault f;
    ck_assert_int_eq(fo_mock_fault_parse(&f, "PUT:/service/*/version/*/clone:2:503", NULL), 0);
    ck_assert(!fo_mock_fault_hit(&f, "GET", "/service/S/version/1/clone"));
    ck_assert(!fo_mock_fault_hit(&f, "PUT", "/service/S/version/1/lock"));
    ck_assert(!fo_mock_fault_hit(&f, "PUT", "/service/S/x/version/1/clone")); /* '*' stops at / */
    ck_assert(!fo_mock_fault_hit(&f, "PUT", "/service/S/version/1/clone"));   /* 1st */
    ck_assert(fo_mock_fault_hit(&f, "PUT", "/service/S/version/2/clone"));    /* 2nd */
    ck_assert(!fo_mock_fault_hit(&f, "PUT", "/service/S/version/3/clone"));   /* 3rd */
    fo_mock_fault_clear(&f);
    ck_assert_int_eq(fo_mock_fault_parse(&f, "*:/public-ip-list:*:500", NULL), 0);
    for (int i = 0; i < 3; i++)
        ck_assert(fo_mock_fault_hit(&f, i ? "GET" : "POST", "/public-ip-list"));
    fo_mock_fault_clear(&f);
}
END_TEST

START_TEST(token_and_rate_specs)
{
    fo_mock_token t;
    fo_error err;
    ck_assert_int_eq(fo_mock_token_parse(&t, "abc", NULL), 0);
    ck_assert_str_eq(t.token, "abc");
    ck_assert_str_eq(t.scope, "global");
    ck_assert_uint_eq(t.nservices, 0);
    fo_mock_token_clear(&t);
    ck_assert_int_eq(fo_mock_token_parse(&t, "abc/global:read purge_all/S1,S2", NULL), 0);
    ck_assert_str_eq(t.scope, "global:read purge_all");
    ck_assert_uint_eq(t.nservices, 2);
    ck_assert_str_eq(t.services[1], "S2");
    fo_mock_token_clear(&t);
    static const char *const bad[] = {"",    "/global", "zq9/", "zq9/global/", "zq9/global/S1,,S2",
                                      "zq 9"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(fo_mock_token_parse(&t, bad[i], &err), FO_EINVAL);
        ck_assert_ptr_null(strstr(err.msg, "zq"));
    }

    long budget, window;
    ck_assert_int_eq(fo_mock_rate_parse(&budget, &window, "1000", NULL), 0);
    ck_assert_int_eq(budget, 1000);
    ck_assert_int_eq(window, 3600);
    ck_assert_int_eq(fo_mock_rate_parse(&budget, &window, "2/3", NULL), 0);
    ck_assert_int_eq(budget, 2);
    ck_assert_int_eq(window, 3);
    static const char *const bad_rates[] = {"", "x", "2/", "2/0", "-1", "2/3/4", "1e3"};
    for (size_t i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++)
        ck_assert_int_eq(fo_mock_rate_parse(&budget, &window, bad_rates[i], NULL), FO_EINVAL);
}
END_TEST

/* ---- forms ---- */

START_TEST(forms_decode_like_fastly)
{
    fo_mock_form form;
    const char *body = "comment=a+b%2Bc&ssl_ca_cert=-----BEGIN%0AX%3D%3D&empty=&flag&comment=last";
    ck_assert_int_eq(fo_mock_form_parse(&form, body, strlen(body), NULL), 0);
    ck_assert_str_eq(fo_mock_form_get(&form, "comment"), "last");
    ck_assert_str_eq(fo_mock_form_get(&form, "ssl_ca_cert"), "-----BEGIN\nX==");
    ck_assert_str_eq(fo_mock_form_get(&form, "empty"), "");
    ck_assert_str_eq(fo_mock_form_get(&form, "flag"), "");
    ck_assert_ptr_null(fo_mock_form_get(&form, "absent"));
    ck_assert_str_eq(form.values[0], "a b+c");
    fo_mock_form_free(&form);
    static const char *const bad[] = {"a=%zz", "a=%4", "a=%00", "a=%"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fo_error err;
        ck_assert_int_eq(fo_mock_form_parse(&form, bad[i], strlen(bad[i]), &err), FO_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "malformed"));
    }
    ck_assert_int_eq(fo_mock_form_parse(&form, "a=b\0c", 5, NULL), FO_EINVAL);
    char segment[] = "Host%201%2Fx+y";
    ck_assert_int_eq(fo_mock_unescape_segment(segment), 0);
    ck_assert_str_eq(segment, "Host 1/x+y");
}
END_TEST

/* ---- backends ---- */

static json_t *backend(const char *json)
{
    json_t *given = json_loads(json, 0, NULL);
    json_t *out;
    ck_assert_int_eq(fo_mock_backend_from_state(&out, given, "b", "2026-01-01T00:00:00Z", NULL), 0);
    json_decref(given);
    return out;
}

static int apply(json_t *b, const char *body, fo_error *err)
{
    fo_mock_form form;
    ck_assert_int_eq(fo_mock_form_parse(&form, body, strlen(body), NULL), 0);
    int rc = fo_mock_backend_apply_form(b, &form, false, "2026-02-02T00:00:00Z", err);
    fo_mock_form_free(&form);
    return rc;
}

START_TEST(backend_rules)
{
    json_t *b = backend("{\"name\":\"o\",\"address\":\"a.example\"}");
    fo_error err;
    ck_assert(json_is_true(json_object_get(b, "ssl_check_cert")));
    ck_assert_int_eq(json_integer_value(json_object_get(b, "port")), 80);
    ck_assert_int_eq(apply(b, "port=443", NULL), 0);
    ck_assert(json_is_true(json_object_get(b, "use_ssl")));
    ck_assert_int_eq(apply(b, "port=80&use_ssl=true", NULL), 0);
    ck_assert(json_is_true(json_object_get(b, "use_ssl")));
    ck_assert_int_eq(apply(b, "tcp_keepalive_enable=1&keepalive_time=5", NULL), 0);
    ck_assert(json_is_true(json_object_get(b, "tcp_keepalive_enable")));
    ck_assert_int_eq(apply(b, "tcp_keepalive_enable=&keepalive_time=", NULL), 0);
    ck_assert(json_is_null(json_object_get(b, "tcp_keepalive_enable")));
    ck_assert(json_is_null(json_object_get(b, "keepalive_time")));
    ck_assert_str_eq(json_string_value(json_object_get(b, "updated_at")), "2026-02-02T00:00:00Z");
    /* Fields no form may set are ignored, like unknown ones. */
    ck_assert_int_eq(apply(b, "client_cert=x&created_at=x&version=9&hostname=h", NULL), 0);
    ck_assert(json_is_null(json_object_get(b, "client_cert")));
    ck_assert_str_eq(json_string_value(json_object_get(b, "created_at")), "2026-01-01T00:00:00Z");
    ck_assert_ptr_null(json_object_get(b, "version"));

    json_t *before = json_deep_copy(b);
    ck_assert_int_eq(apply(b, "port=1&use_ssl=yes", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "use_ssl must be true or false");
    ck_assert_int_eq(apply(b, "max_tls_version=1.4", &err), FO_EINVAL);
    ck_assert_int_eq(apply(b, "weight=101", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "weight must be between 1 and 100");
    ck_assert_int_eq(apply(b, "port=12x", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "port must be an integer");
    ck_assert(json_equal(b, before));
    json_decref(before);

    json_t *view = fo_mock_backend_view(b, "S", 7);
    ck_assert_uint_eq(json_object_size(view), 44);
    ck_assert_str_eq(json_string_value(json_object_get(view, "hostname")), "a.example");
    ck_assert_int_eq(json_integer_value(json_object_get(view, "version")), 7);
    json_decref(view);
    json_decref(b);

    b = backend("{\"name\":\"v6\",\"address\":\"::1\"}");
    view = fo_mock_backend_view(b, "S", 1);
    ck_assert_str_eq(json_string_value(json_object_get(view, "ipv6")), "::1");
    ck_assert(json_is_null(json_object_get(view, "hostname")));
    json_decref(view);
    json_decref(b);
}
END_TEST

/* ---- dump and diff ---- */

START_TEST(dump_quotes_yaml_scalars)
{
    char id[] = "S", comment[] = "it's: a test";
    fo_mock_service s = {.id = id};
    fo_mock_version v = {.number = 1, .comment = comment};
    v.backends = json_array();
    v.domains = json_array();
    v.vcls = json_array();
    json_array_append_new(
        v.backends,
        backend("{\"name\":\"yes\",\"address\":\"1.2\",\"override_host\":\"#x\","
                "\"comment\":\"-----BEGIN\\nAB\\n-----END\\n\",\"ssl_ciphers\":\"HIGH\"}"));
    char *dump = fo_mock_version_dump(&s, &v, NULL);
    ck_assert_ptr_nonnull(strstr(dump, "comment: 'it''s: a test'\n"));
    ck_assert_ptr_nonnull(strstr(dump, "backends:\n- name: 'yes'\n  address: '1.2'\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  override_host: '#x'\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  comment: |\n    -----BEGIN\n    AB\n    -----END\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  ssl_ciphers: HIGH\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  ssl_cert_hostname:\n"));
    ck_assert_ptr_null(strstr(dump, "service_id: S\n  ")); /* backend metadata left out */
    free(dump);
    json_decref(v.backends);
    json_decref(v.domains);
    json_decref(v.vcls);
}
END_TEST

/* The layouts a YAML writer might choose for an item, and double quotes throughout. */
START_TEST(dump_lays_items_out_as_asked)
{
    char id[] = "S", comment[] = "base";
    fo_mock_service s = {.id = id};
    fo_mock_version v = {.number = 1, .comment = comment};
    v.backends = json_array();
    v.domains = json_pack("[{s:s,s:s}]", "name", "www.shop.test", "comment", "");
    v.vcls = json_array();
    json_array_append_new(v.backends,
                          backend("{\"name\":\"Host 1: it's\",\"address\":\"127.0.0.1\"}"));
    fo_mock_dump_style style = {0};

    char *dump = fo_mock_version_dump(&s, &v, &style);
    ck_assert_ptr_nonnull(strstr(dump, "backends:\n- name: 'Host 1: it''s'\n  address: 127.0.0.1\n"
                                       "  auto_loadbalance: false\n"));
    ck_assert_ptr_nonnull(strstr(dump, "domains:\n- name: www.shop.test\n  comment: ''\n"));
    free(dump);

    ck_assert(fo_mock_diff_keys_parse(&style, "sorted"));
    dump = fo_mock_version_dump(&s, &v, &style);
    ck_assert_ptr_nonnull(strstr(dump, "backends:\n- address: 127.0.0.1\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  min_tls_version:\n  name: 'Host 1: it''s'\n"
                                       "  override_host:\n"));
    ck_assert_ptr_nonnull(strstr(dump, "domains:\n- comment: ''\n  name: www.shop.test\n"));
    free(dump);

    ck_assert(fo_mock_diff_keys_parse(&style, "name-last"));
    ck_assert(fo_mock_diff_quotes_parse(&style, "double"));
    dump = fo_mock_version_dump(&s, &v, &style);
    ck_assert_ptr_nonnull(strstr(dump, "backends:\n- address: \"127.0.0.1\"\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  weight: 100\n  name: \"Host 1: it's\"\n"));
    ck_assert_ptr_nonnull(strstr(dump, "  ssl_cert_hostname: null\n"));
    ck_assert_ptr_nonnull(strstr(dump, "comment: \"base\"\n"));
    free(dump);

    ck_assert(!fo_mock_diff_keys_parse(&style, "alphabetical"));
    ck_assert(!fo_mock_diff_quotes_parse(&style, "single"));
    json_decref(v.backends);
    json_decref(v.domains);
    json_decref(v.vcls);
}
END_TEST

START_TEST(diff_marks_changes)
{
    char *d = fo_mock_diff("a\nb\nc\n", "a\nb\nc\n");
    ck_assert_str_eq(d, " a\n b\n c\n");
    free(d);
    d = fo_mock_diff("a\nb\nc\nd\n", "a\nx\nc\nd\ne\n");
    ck_assert_str_eq(d, " a\n-b\n+x\n c\n d\n+e\n");
    free(d);
    d = fo_mock_diff("", "a\n");
    ck_assert_str_eq(d, "+a\n");
    free(d);
    d = fo_mock_diff("a\nb\n", "");
    ck_assert_str_eq(d, "-a\n-b\n");
    free(d);
    d = fo_mock_diff("k\nx\ny\nk\n", "k\ny\nx\nk\n"); /* a move: one side kept */
    ck_assert(strcmp(d, " k\n-x\n y\n+x\n k\n") == 0 || strcmp(d, " k\n+y\n x\n-y\n k\n") == 0);
    free(d);

    /* Past the comparison budget the middle is replaced wholesale, still correct. */
    fo_buf a = {0}, b = {0};
    for (int i = 0; i < 3000; i++) {
        ck_assert_int_eq(fo_buf_printf(&a, "a%d\n", i), 0);
        ck_assert_int_eq(fo_buf_printf(&b, "b%d\n", i), 0);
    }
    d = fo_mock_diff(a.data, b.data);
    ck_assert_uint_eq(strlen(d), a.len + b.len + 6000);
    ck_assert_int_eq(d[0], '-');
    free(d);
    fo_buf_clear(&a);
    fo_buf_clear(&b);
}
END_TEST

/* ---- state ---- */

START_TEST(state_loads_sorts_and_clones)
{
    json_t *root = json_loads("{\"services\":[{\"id\":\"S\",\"name\":\"n\",\"versions\":["
                              "{\"number\":7},{\"number\":2,\"active\":true,\"locked\":true}]}]}",
                              0, NULL);
    fo_mock_state *st;
    ck_assert_int_eq(fo_mock_state_from_json(&st, root, NULL), 0);
    json_decref(root);
    fo_mock_service *s = fo_mock_service_find(st, "S");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_null(fo_mock_service_find(st, "T"));
    ck_assert_int_eq(s->versions[0].number, 2);
    ck_assert_int_eq(fo_mock_version_active(s)->number, 2);
    fo_mock_version *copy = fo_mock_version_clone(s, 2, "2026-03-03T00:00:00Z");
    ck_assert_int_eq(copy->number, 8);
    ck_assert(!copy->locked && !copy->active);
    ck_assert_ptr_null(fo_mock_version_clone(s, 5, "x"));
    ck_assert_str_eq(st->customer_id, "CUST0EXAMPLE");

    json_t *written = fo_mock_state_to_json(st);
    fo_mock_state *again;
    ck_assert_int_eq(fo_mock_state_from_json(&again, written, NULL), 0);
    ck_assert_uint_eq(again->services[0].nversions, 3);
    fo_mock_state_free(again);
    json_decref(written);
    fo_mock_state_free(st);
    fo_mock_state_free(NULL);

    json_t *example = json_loads(fo_mock_example_state(), 0, NULL);
    ck_assert_int_eq(fo_mock_state_from_json(&st, example, NULL), 0);
    ck_assert_str_eq(st->services[0].id, "SVC0EXAMPLE");
    fo_mock_state_free(st);
    json_decref(example);
}
END_TEST

Suite *mock_parts_suite(void)
{
    Suite *s = suite_create("mock_parts");
    TCase *tc = tcase_create("parts");
    tcase_add_test(tc, fault_specs_parse);
    tcase_add_test(tc, bad_fault_specs_say_why);
    tcase_add_test(tc, fault_counts_matches);
    tcase_add_test(tc, token_and_rate_specs);
    tcase_add_test(tc, forms_decode_like_fastly);
    tcase_add_test(tc, backend_rules);
    tcase_add_test(tc, dump_quotes_yaml_scalars);
    tcase_add_test(tc, dump_lays_items_out_as_asked);
    tcase_add_test(tc, diff_marks_changes);
    tcase_add_test(tc, state_loads_sorts_and_clones);
    suite_add_tcase(s, tc);
    return s;
}
