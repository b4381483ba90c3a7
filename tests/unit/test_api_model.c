/* Every recorded response parses into the model with the right values, read
 * through the endpoint functions over the replay transport; and the tolerant
 * readers take every spelling Fastly uses and refuse what none covers. */
#include <check.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "testcert.h"

Suite *api_model_suite(void);

static replay *r;
static fo_api *api;
static fo_error err;

static void setup(void)
{
    r = replay_new();
    api = replay_client(r);
    fo_error_clear(&err);
}

static void teardown(void)
{
    fo_api_free(api);
    replay_free(r);
}

static void assert_sent(size_t index, const char *method, const char *path)
{
    const replay_sent *s = replay_sent_at(r, index);
    ck_assert_str_eq(s->method, method);
    ck_assert_str_eq(s->path, path);
}

START_TEST(backend_get)
{
    fo_backend *b = NULL;
    replay_load(r, "backends/get.yaml");
    ck_assert_int_eq(
        fo_api_backend_get(api, &b, "kKJb5bOFI47uHeBVluGfX1", 145, "test-backend", &err), 0);
    assert_sent(0, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/version/145/backend/test-backend");
    ck_assert_str_eq(b->name, "test-backend");
    ck_assert_str_eq(b->address, "integ-test.go-fastly.com");
    ck_assert_int_eq(b->port, 80);
    ck_assert(!b->use_ssl);
    ck_assert(!b->ssl_check_cert);
    ck_assert_ptr_null(b->ssl_cert_hostname);
    ck_assert_str_eq(b->ssl_sni_hostname, "ssl-hostname.com");
    ck_assert_ptr_null(b->ssl_hostname);
    ck_assert_ptr_null(b->ssl_ca_cert);
    ck_assert_ptr_null(b->ssl_client_cert);
    ck_assert_ptr_null(b->ssl_client_key);
    ck_assert_str_eq(b->ssl_ciphers,
                     "DHE-RSA-AES256-SHA:DHE-RSA-CAMELLIA256-SHA:AES256-GCM-SHA384");
    ck_assert_ptr_null(b->min_tls_version);
    ck_assert_ptr_null(b->max_tls_version);
    ck_assert_str_eq(b->override_host, "origin.example.com");
    ck_assert_int_eq(b->connect_timeout, 1500);
    ck_assert_int_eq(b->first_byte_timeout, 15000);
    ck_assert_int_eq(b->between_bytes_timeout, 10000);
    ck_assert_ptr_null(b->shield);
    ck_assert_ptr_null(b->comment); /* "" is unset */
    fo_backend_free(b);
}
END_TEST

START_TEST(backend_list)
{
    fo_backend_list *l = NULL;
    replay_load(r, "backends/list.yaml");
    ck_assert_int_eq(fo_api_backend_list(api, &l, "kKJb5bOFI47uHeBVluGfX1", 145, &err), 0);
    assert_sent(0, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/version/145/backend");
    ck_assert_uint_eq(l->count, 1);
    ck_assert_str_eq(l->items[0].name, "test-backend");
    ck_assert_int_eq(l->items[0].connect_timeout, 1500);
    fo_backend_list_free(l);
}
END_TEST

START_TEST(version_list_get)
{
    fo_version_list *l = NULL;
    fo_version *v = NULL;
    replay_load(r, "versions/list.yaml");
    replay_load(r, "versions/get.yaml");
    ck_assert_int_eq(fo_api_version_list(api, &l, "kKJb5bOFI47uHeBVluGfX1", &err), 0);
    ck_assert_uint_eq(l->count, 75);
    ck_assert_int_eq(l->items[0].number, 1);
    ck_assert_int_eq(l->items[74].number, 75);
    ck_assert_str_eq(l->items[74].comment, "test comment");
    ck_assert_str_eq(l->items[0].created_at, "2022-06-22T08:23:37Z");
    ck_assert(!l->items[0].locked && !l->items[0].active);
    ck_assert_int_eq(fo_api_version_get(api, &v, "kKJb5bOFI47uHeBVluGfX1", 75, &err), 0);
    assert_sent(1, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/version/75");
    ck_assert_int_eq(v->number, 75);
    ck_assert_str_eq(v->service_id, "kKJb5bOFI47uHeBVluGfX1");
    ck_assert_ptr_null(v->msg);
    fo_version_free(v);
    fo_version_list_free(l);
}
END_TEST

START_TEST(service_details_without_backends)
{
    fo_service *s = NULL;
    replay_load(r, "services/details.yaml");
    ck_assert_int_eq(fo_api_service_details(api, &s, "FPkmJNp1fH8CnWbdi21Wf3", 0, &err), 0);
    assert_sent(0, "GET", "/service/FPkmJNp1fH8CnWbdi21Wf3/details");
    ck_assert_str_eq(s->id, "FPkmJNp1fH8CnWbdi21Wf3");
    ck_assert_str_eq(s->name, "test-service");
    ck_assert_str_eq(s->type, "vcl");
    ck_assert_str_eq(s->comment, "comment");
    ck_assert_int_eq(s->active_version, 0); /* "active_version": null */
    ck_assert_int_eq(s->latest_version, 1);
    ck_assert_uint_eq(s->version_count, 1);
    ck_assert_ptr_nonnull(s->version);
    ck_assert_ptr_null(s->active);
    ck_assert_int_eq(s->version->version.number, 1);
    ck_assert_uint_eq(s->version->backend_count, 0);
    ck_assert_uint_eq(s->version->domain_count, 0);
    fo_service_free(s);
}
END_TEST

START_TEST(service_details_of_a_version)
{
    fo_service *s = NULL;
    replay_load(r, "services_details_with_filters/version.yaml");
    ck_assert_int_eq(fo_api_service_details(api, &s, "DCsx1c14IixEK8PqF0TvqK", 1, &err), 0);
    assert_sent(0, "GET", "/service/DCsx1c14IixEK8PqF0TvqK/details?version=1");
    ck_assert_str_eq(s->name, "test-service-filters");
    ck_assert_int_eq(s->version->version.number, 1);
    fo_service_free(s);
}
END_TEST

START_TEST(service_details_with_an_active_version)
{
    fo_service *s = NULL;
    replay_load(r, "versions_activate_deactivate/details_staged_filter/staged_filter.yaml");
    ck_assert_int_eq(fo_api_service_details(api, &s, "yjiS959rX92xW0DLIb3pQ9", 0, &err), 0);
    ck_assert_int_eq(s->active_version, 1);
    ck_assert_int_eq(s->latest_version, 2);
    ck_assert_int_eq(s->version->version.number, 2);
    ck_assert(s->version->version.staging);
    fo_service_free(s);
}
END_TEST

START_TEST(service_list_follows_every_page)
{
    fo_service_list *l = NULL;
    replay_load(r, "services/list.yaml");
    ck_assert_int_eq(fo_api_service_list(api, &l, &err), 0);
    ck_assert_uint_eq(replay_sent_count(r), 3);
    for (size_t i = 0; i < 3; i++) {
        const replay_answer *a = replay_answer_at(r, (int)i);
        assert_sent(i, "GET", a->path); /* go-fastly's exact query, page by page */
        ck_assert_int_eq(replay_sent_at(r, i)->answer, (int)i);
    }
    /* 258 entries over three pages, and kKJb5bOFI47uHeBVluGfX1 is on two of them (the
     * pages shift while they are read): each service is listed once. */
    ck_assert_uint_eq(l->count, 257);
    ck_assert_str_eq(l->items[0].id, "mjvYB61u7BiqD3Nzkl69P3");
    ck_assert_str_eq(l->items[0].name, "testing-paginator");
    ck_assert_ptr_null(l->items[0].version); /* lists carry no details */
    ck_assert_str_eq(l->items[100].id, "6lLMCIxlDtZwCQ7gj7rVlx");
    ck_assert_int_eq(l->items[100].active_version, 1);
    ck_assert_str_eq(l->items[256].id, "5CnEqgFd8oLAsjffrnGSEq");
    size_t seen = 0;
    for (size_t i = 0; i < l->count; i++)
        seen += strcmp(l->items[i].id, "kKJb5bOFI47uHeBVluGfX1") == 0;
    ck_assert_uint_eq(seen, 1);
    fo_service_list_free(l);
}
END_TEST

START_TEST(service_list_stops_without_next)
{
    fo_service_list *l = NULL;
    replay_add(r, "GET", "/service?direction=descend&page=1&per_page=100&sort=created", 200,
               "[{\"id\":\"A\",\"name\":\"a\",\"versions\":[]}]");
    replay_add(r, "GET", "/service?direction=descend&page=2&per_page=100&sort=created", 200, "[]");
    ck_assert_int_eq(fo_api_service_list(api, &l, &err), 0);
    ck_assert_uint_eq(replay_sent_count(r), 1);
    ck_assert_uint_eq(l->count, 1);
    fo_service_list_free(l);
}
END_TEST

START_TEST(diff_identical_and_changed)
{
    fo_diff *d = NULL;
    replay_load(r, "diff/get.yaml");
    replay_load(r, "diff/get_again.yaml");
    ck_assert_int_eq(fo_api_diff(api, &d, "kKJb5bOFI47uHeBVluGfX1", 56, 57, &err), 0);
    assert_sent(0, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/diff/from/56/to/57?format=text");
    ck_assert_int_eq(d->from, 56); /* a JSON string "56" */
    ck_assert_int_eq(d->to, 57);
    ck_assert_ptr_nonnull(strstr(d->text, " backends: []\n"));
    ck_assert_ptr_null(strstr(d->text, "\n+"));
    fo_diff_free(d);
    ck_assert_int_eq(fo_api_diff(api, &d, "kKJb5bOFI47uHeBVluGfX1", 56, 57, &err), 0);
    ck_assert_ptr_nonnull(strstr(d->text, "+- name: test-backend\n"));
    ck_assert_ptr_nonnull(strstr(d->text, "\n+  ssl_client_key:\n")); /* empty: kept */
    ck_assert_ptr_nonnull(strstr(d->text, "\n-backends: []\n"));
    fo_diff_free(d);
}
END_TEST

/* Appends the lines of a key (made at run time) from line `first` on to a diff text, each
 * after prefix (the diff's mark and the dump's indent); the last one (the closing armour)
 * followed by `close`. */
static void key_lines(fo_buf *diff, const char *pem, int first, const char *prefix,
                      const char *close)
{
    int i = 0;
    for (const char *line = pem; *line; i++) {
        size_t len = strcspn(line, "\n");
        bool last = line[len] == '\0' || line[len + 1] == '\0';
        if (i >= first)
            ck_assert_int_eq(
                fo_buf_printf(diff, "%s%.*s%s\n", prefix, (int)len, line, last ? close : ""), 0);
        line += len + (line[len] == '\n');
    }
}

/* Fastly's diff answer (1 -> 2) around a text. */
static void replay_diff(const fo_buf *diff)
{
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "from", "1", "to", "2", "format", "text",
                             "diff", diff->data);
    char *text = json_dumps(body, JSON_COMPACT);
    replay_add(r, "GET", "/service/S/diff/from/1/to/2", 200, text);
    free(text);
    json_decref(body);
}

/* Asserts that no line of key (armour or base64) shows in text. */
static void assert_no_key(const char *text, const char *key)
{
    char line[100];
    tc_pem_line(line, sizeof(line), key, 1);
    ck_assert_ptr_null(strstr(text, line));
    ck_assert_ptr_null(strstr(text, "PRIVATE KEY"));
}

START_TEST(diff_redacts_client_keys)
{
    fo_diff *d = NULL;
    char *old_key = tc_private_key_pem(), *new_key = tc_private_key_pem(), armour[100];
    fo_buf diff = {0};
    /* The old key as a quoted scalar over lines, the new one as a block. */
    tc_pem_line(armour, sizeof(armour), old_key, 0);
    ck_assert_int_eq(
        fo_buf_printf(&diff, " backends:\n-- name: a\n-  ssl_client_key: '%s\n", armour), 0);
    key_lines(&diff, old_key, 1, "-    ", "'");
    ck_assert_int_eq(fo_buf_puts(&diff, "-  use_ssl: true\n+- ssl_client_key: |-\n"), 0);
    key_lines(&diff, new_key, 0, "+    ", "");
    ck_assert_int_eq(fo_buf_puts(&diff, "+  name: a\n+  ssl_cert_hostname: x\n comment: ''\n"), 0);
    replay_diff(&diff);
    ck_assert_int_eq(fo_api_diff(api, &d, "S", 1, 2, &err), 0);
    assert_no_key(d->text, old_key);
    assert_no_key(d->text, new_key);
    ck_assert_str_eq(d->text, " backends:\n"
                              "-- name: a\n"
                              "-  ssl_client_key: [redacted]\n"
                              "-  use_ssl: true\n"
                              "+- ssl_client_key: [redacted]\n"
                              "+  name: a\n"
                              "+  ssl_cert_hostname: x\n"
                              " comment: ''\n");
    fo_diff_free(d);
    fo_buf_clear(&diff);
    free(old_key);
    free(new_key);
}
END_TEST

START_TEST(diff_shows_a_changed_client_key_as_a_change)
{
    /* The key's first line is the same in both versions, its body is not: the redacted diff
     * must still show that the key changed, or the check of the diff cannot see it. */
    fo_diff *d = NULL;
    char *old_key = tc_private_key_pem(), *new_key = tc_private_key_pem(),
         *plain = tc_private_key_pem();
    char armour[100], end[100], plain_line[100];
    fo_buf diff = {0};
    tc_pem_line(armour, sizeof(armour), old_key, 0);
    tc_pem_line(plain_line, sizeof(plain_line), plain, 1);
    ck_assert_int_eq(
        fo_buf_printf(&diff, " backends:\n - name: a\n   ssl_client_key: |-\n     %s\n", armour),
        0);
    /* The base64 lines differ; the armour around them does not. */
    for (int i = 1;; i++) {
        char a[100], b[100];
        tc_pem_line(a, sizeof(a), old_key, i);
        tc_pem_line(b, sizeof(b), new_key, i);
        if (strncmp(a, "-----END", 8) == 0) {
            snprintf(end, sizeof(end), "%s", a);
            break;
        }
        ck_assert_int_eq(fo_buf_printf(&diff, "-    %s\n+    %s\n", a, b), 0);
    }
    ck_assert_int_eq(fo_buf_printf(&diff,
                                   "     %s\n   use_ssl: true\n - name: b\n"
                                   "   ssl_client_key:\n     %s\n   use_ssl: true\n",
                                   end, plain_line),
                     0);
    replay_diff(&diff);
    ck_assert_int_eq(fo_api_diff(api, &d, "S", 1, 2, &err), 0);
    assert_no_key(d->text, old_key);
    assert_no_key(d->text, new_key);
    assert_no_key(d->text, plain);
    ck_assert_str_eq(d->text, " backends:\n"
                              " - name: a\n"
                              "-  ssl_client_key: [redacted]\n"
                              "+  ssl_client_key: [redacted]\n"
                              "   use_ssl: true\n"
                              " - name: b\n"
                              "   ssl_client_key: [redacted]\n"
                              "   use_ssl: true\n");
    fo_diff_free(d);
    fo_buf_clear(&diff);
    free(old_key);
    free(new_key);
    free(plain);
}
END_TEST

START_TEST(activate_and_deactivate_responses)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_load(r, "versions_activate_deactivate/activate_version.yaml");
    replay_load(r, "versions_activate_deactivate/details_staged_filter/cleanup.yaml");
    ck_assert_int_eq(fo_api_version_activate(api, &v, "kKJb5bOFI47uHeBVluGfX1", 143, &err), 0);
    ck_assert_int_eq(v->number, 143);
    ck_assert(v->active && v->locked);
    ck_assert_str_eq(v->msg, "Warning: No default director found\nat: (default Line 174 Pos 1)");
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_deactivate(api, &v, "yjiS959rX92xW0DLIb3pQ9", 1, &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->path,
                     "/service/yjiS959rX92xW0DLIb3pQ9/version/1/deactivate");
    ck_assert(!v->active && v->locked);
    fo_version_free(v);
}
END_TEST

START_TEST(public_ips_and_token)
{
    fo_ip_list *ips = NULL;
    fo_token_info *t = NULL;
    replay_load(r, "public_ip_list/list.yaml");
    replay_load(r, "tokens_self/get_self.yaml");
    ck_assert_int_eq(fo_api_public_ip_list(api, &ips, &err), 0);
    assert_sent(0, "GET", "/public-ip-list");
    ck_assert_uint_eq(ips->ipv4_count, 19);
    ck_assert_str_eq(ips->ipv4[0], "23.235.32.0/20");
    ck_assert_str_eq(ips->ipv4[18], "199.232.0.0/16");
    ck_assert_uint_eq(ips->ipv6_count, 2);
    ck_assert_str_eq(ips->ipv6[1], "2a04:4e42::/32");
    ck_assert_int_eq(fo_api_token_self(api, &t, &err), 0);
    assert_sent(1, "GET", "/tokens/self");
    ck_assert_str_eq(t->name, "TempTokenForGoFastlyTests");
    ck_assert_str_eq(t->scope, "global");
    ck_assert_uint_eq(t->service_count, 1);
    ck_assert_str_eq(t->services[0], "XXXXXXXXXXXXXXXXXXXXXX");
    ck_assert_ptr_null(t->expires_at);
    fo_ip_list_free(ips);
    fo_token_info_free(t);
}
END_TEST

START_TEST(validate_ok_and_error)
{
    fo_validation *v = NULL;
    replay_add(r, "GET", "/service/S/version/3/validate", 200,
               "{\"status\":\"ok\",\"msg\":null,\"errors\":[],\"warnings\":[]}");
    replay_add(r, "GET", "/service/S/version/4/validate", 200,
               "{\"status\":\"error\",\"msg\":\"Mandatory SSL cert checks require specifying cert "
               "hostname\",\"errors\":[\"Backend origin\"]}");
    ck_assert_int_eq(fo_api_version_validate(api, &v, "S", 3, &err), 0);
    ck_assert(v->ok);
    ck_assert_ptr_null(v->msg);
    fo_validation_free(v);
    ck_assert_int_eq(fo_api_version_validate(api, &v, "S", 4, &err), 0);
    ck_assert(!v->ok);
    ck_assert_str_eq(v->msg, "Mandatory SSL cert checks require specifying cert hostname; "
                             "Backend origin");
    fo_validation_free(v);
}
END_TEST

START_TEST(vcl_list_get_generated)
{
    fo_custom_vcl_list *l = NULL;
    fo_custom_vcl *v = NULL;
    replay_add(r, "GET", "/service/S/version/2/vcl", 200,
               "[{\"name\":\"main\",\"content\":\"sub vcl_recv {}\",\"main\":true},"
               "{\"name\":\"extra\",\"content\":\"\",\"main\":\"0\"}]");
    replay_add(r, "GET", "/service/S/version/2/vcl/my%20vcl", 200,
               "{\"name\":\"my vcl\",\"content\":\"backend F_a {}\",\"main\":false}");
    replay_add(r, "GET", "/service/S/version/2/generated_vcl", 200,
               "{\"service_id\":\"S\",\"version\":2,\"content\":\"# generated\\n\"}");
    ck_assert_int_eq(fo_api_vcl_list(api, &l, "S", 2, &err), 0);
    ck_assert_uint_eq(l->count, 2);
    ck_assert(l->items[0].main && !l->items[1].main);
    ck_assert_str_eq(l->items[1].content, "");
    ck_assert_int_eq(fo_api_vcl_get(api, &v, "S", 2, "my vcl", &err), 0);
    ck_assert_str_eq(v->name, "my vcl");
    ck_assert_str_eq(v->content, "backend F_a {}");
    fo_custom_vcl_free(v);
    ck_assert_int_eq(fo_api_generated_vcl(api, &v, "S", 2, &err), 0);
    ck_assert_ptr_null(v->name);
    ck_assert_str_eq(v->content, "# generated\n");
    fo_custom_vcl_free(v);
    fo_custom_vcl_list_free(l);
}
END_TEST

/* ---- tolerant readers ---- */

START_TEST(numbers_and_booleans_in_every_spelling)
{
    fo_backend *b = NULL;
    replay_add(r, "GET", "/service/S/version/1/backend/a", 200,
               "{\"name\":\"a\",\"port\":\"443\",\"use_ssl\":\"1\",\"ssl_check_cert\":0,"
               "\"connect_timeout\":\"\",\"first_byte_timeout\":null,\"between_bytes_timeout\":7,"
               "\"ssl_cert_hostname\":\"\",\"ssl_sni_hostname\":null,\"comment\":42}");
    replay_add(r, "GET", "/service/S/version/1/backend/b", 200,
               "{\"name\":\"b\",\"use_ssl\":\"true\",\"ssl_check_cert\":\"false\"}");
    replay_add(r, "GET", "/service/S/version/1/backend/c", 200,
               "{\"name\":\"c\",\"use_ssl\":1,\"ssl_check_cert\":\"0\"}");
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "a", &err), 0);
    ck_assert_int_eq(b->port, 443);
    ck_assert(b->use_ssl && !b->ssl_check_cert);
    ck_assert_int_eq(b->connect_timeout, -1);
    ck_assert_int_eq(b->first_byte_timeout, -1);
    ck_assert_int_eq(b->between_bytes_timeout, 7);
    ck_assert_ptr_null(b->ssl_cert_hostname);
    ck_assert_ptr_null(b->ssl_sni_hostname);
    ck_assert_str_eq(b->comment, "42");
    fo_backend_free(b);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "b", &err), 0);
    ck_assert(b->use_ssl && !b->ssl_check_cert);
    fo_backend_free(b);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "c", &err), 0);
    ck_assert(b->use_ssl && !b->ssl_check_cert);
    ck_assert_int_eq(b->port, -1);
    fo_backend_free(b);
}
END_TEST

START_TEST(ssl_check_cert_defaults_to_true)
{
    fo_backend *b = NULL;
    replay_add(r, "GET", "/service/S/version/1/backend/a", 200, "{\"name\":\"a\"}");
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "a", &err), 0);
    ck_assert(b->ssl_check_cert);
    ck_assert(!b->use_ssl);
    fo_backend_free(b);
}
END_TEST

/* prefer_ipv6 as the response says; a Compute service's backend that does not say has
 * Compute's default (true), a VCL service's has Fastly's (false). */
START_TEST(prefer_ipv6_defaults_by_service_type)
{
    fo_backend *b = NULL;
    replay_add(r, "GET", "/service/S/version/1/backend/a", 200,
               "{\"name\":\"a\",\"prefer_ipv6\":\"1\"}");
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "a", &err), 0);
    ck_assert_int_eq(b->prefer_ipv6, 1);
    fo_backend_free(b);
    static const char *const types[] = {"wasm", "vcl"};
    for (int i = 0; i < 2; i++) {
        char body[400];
        snprintf(body, sizeof(body),
                 "{\"id\":\"S%d\",\"type\":\"%s\",\"version\":{\"number\":1,\"backends\":"
                 "[{\"name\":\"a\"},{\"name\":\"b\",\"prefer_ipv6\":false}]}}",
                 i, types[i]);
        char path[64];
        snprintf(path, sizeof(path), "/service/S%d/details", i);
        replay_add(r, "GET", path, 200, body);
        fo_service *s = NULL;
        snprintf(path, sizeof(path), "S%d", i);
        ck_assert_int_eq(fo_api_service_details(api, &s, path, 0, &err), 0);
        ck_assert_int_eq(s->version->backends[0].prefer_ipv6, i == 0 ? 1 : -1);
        ck_assert_int_eq(s->version->backends[1].prefer_ipv6, 0);
        fo_service_free(s);
    }
}
END_TEST

START_TEST(types_no_spelling_covers_are_malformed)
{
    static const char *bodies[] = {
        "{\"name\":\"a\",\"port\":\"https\"}",
        "{\"name\":\"a\",\"use_ssl\":\"yes\"}",
        "{\"name\":\"a\",\"use_ssl\":2}",
        "{\"name\":\"a\",\"address\":[\"x\"]}",
        "{\"name\":\"a\",\"port\":1.5}",
        "{\"address\":\"x\"}",
        "[{\"name\":\"a\"}]",
        "{\"name\":\"a\"",
        "<html>Bad Gateway</html>",
        "",
    };
    static const char *fields[] = {"'port'",
                                   "'use_ssl'",
                                   "'use_ssl'",
                                   "'address'",
                                   "'port'",
                                   "'name'",
                                   "expected a JSON object",
                                   "not JSON",
                                   "not JSON",
                                   "not JSON"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        fo_backend *b = NULL;
        replay_add(r, "GET", "/service/S/version/1/backend/a", 200, bodies[i]);
        ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "a", &err), FO_EPROTO);
        ck_assert_ptr_null(b);
        ck_assert_msg(strstr(err.msg, "Fastly API: malformed backend") &&
                          strstr(err.msg, fields[i]),
                      "body %zu: %s", i, err.msg);
    }
    /* Malformed answers are not retried: only one request each. */
    ck_assert_uint_eq(replay_sent_count(r), sizeof(bodies) / sizeof(bodies[0]));
}
END_TEST

START_TEST(malformed_lists_and_objects)
{
    fo_version_list *vl = NULL;
    fo_service *s = NULL;
    fo_ip_list *ips = NULL;
    fo_token_info *t = NULL;
    fo_validation *v = NULL;
    replay_add(r, "GET", "/service/S/version", 200, "{\"number\":1}");
    replay_add(r, "GET", "/service/S/details", 200, "{\"id\":\"S\",\"versions\":{}}");
    replay_add(r, "GET", "/public-ip-list", 200, "{\"addresses\":[]}");
    replay_add(r, "GET", "/tokens/self", 200, "{\"name\":\"t\"}");
    replay_add(r, "GET", "/service/S/version/1/validate", 200, "{\"msg\":\"x\"}");
    ck_assert_int_eq(fo_api_version_list(api, &vl, "S", &err), FO_EPROTO);
    ck_assert_int_eq(fo_api_service_details(api, &s, "S", 0, &err), FO_EPROTO);
    ck_assert_int_eq(fo_api_public_ip_list(api, &ips, &err), FO_EPROTO);
    ck_assert_int_eq(fo_api_token_self(api, &t, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: malformed token: no scope");
    ck_assert_int_eq(fo_api_version_validate(api, &v, "S", 1, &err), FO_EPROTO);
    ck_assert(!vl && !s && !ips && !t && !v);
}
END_TEST

START_TEST(bad_arguments_send_nothing)
{
    fo_backend *b = NULL;
    fo_service *s = NULL;
    ck_assert_int_eq(fo_api_backend_get(api, &b, "", 1, "a", &err), FO_EINVAL);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 0, "a", &err), FO_EINVAL);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, "", &err), FO_EINVAL);
    ck_assert_int_eq(fo_api_backend_get(api, &b, "S", 1, NULL, &err), FO_EINVAL);
    ck_assert_int_eq(fo_api_service_details(api, &s, NULL, 0, &err), FO_EINVAL);
    ck_assert_int_eq(fo_api_service_details(api, &s, "S", -2, &err), FO_EINVAL);
    ck_assert_uint_eq(replay_sent_count(r), 0);
}
END_TEST

Suite *api_model_suite(void)
{
    Suite *s = suite_create("api_model");
    TCase *tc = tcase_create("recorded");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, backend_get);
    tcase_add_test(tc, backend_list);
    tcase_add_test(tc, version_list_get);
    tcase_add_test(tc, service_details_without_backends);
    tcase_add_test(tc, service_details_of_a_version);
    tcase_add_test(tc, service_details_with_an_active_version);
    tcase_add_test(tc, service_list_follows_every_page);
    tcase_add_test(tc, service_list_stops_without_next);
    tcase_add_test(tc, diff_identical_and_changed);
    tcase_add_test(tc, diff_redacts_client_keys);
    tcase_add_test(tc, diff_shows_a_changed_client_key_as_a_change);
    tcase_add_test(tc, activate_and_deactivate_responses);
    tcase_add_test(tc, public_ips_and_token);
    tcase_add_test(tc, validate_ok_and_error);
    tcase_add_test(tc, vcl_list_get_generated);
    suite_add_tcase(s, tc);
    tc = tcase_create("tolerant");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, numbers_and_booleans_in_every_spelling);
    tcase_add_test(tc, ssl_check_cert_defaults_to_true);
    tcase_add_test(tc, prefer_ipv6_defaults_by_service_type);
    tcase_add_test(tc, types_no_spelling_covers_are_malformed);
    tcase_add_test(tc, malformed_lists_and_objects);
    tcase_add_test(tc, bad_arguments_send_nothing);
    suite_add_tcase(s, tc);
    return s;
}
