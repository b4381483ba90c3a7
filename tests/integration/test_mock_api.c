/* fastly-mock over real HTTP: every endpoint's shape against the recordings, and the
 * behaviours the API client relies on (auth, 400/404/409/422, clone numbering,
 * activation, validation, the backend update rules, diff, pagination, concurrency). */
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/fo.h"
#include "mock_harness.h"
#include "testcert.h"

Suite *mock_api_suite(void);

#define SVC "/service/SVC0EXAMPLE"

/* Version 1 locked, 2 active, 3 a draft; a second service with one version. */
static const char *const state_json =
    "{\"customer_id\":\"CUST0TEST\",\"services\":["
    "{\"id\":\"SVC0EXAMPLE\",\"name\":\"example\",\"comment\":\"svc\",\"versions\":["
    "{\"number\":1,\"locked\":true,\"comment\":\"old\"},"
    "{\"number\":2,\"active\":true,\"locked\":true,\"comment\":\"live\","
    "\"backends\":[{\"name\":\"origin\",\"address\":\"origin.example.com\",\"port\":443,"
    "\"use_ssl\":true,\"ssl_cert_hostname\":\"origin.example.com\"},"
    "{\"name\":\"Host 1\",\"address\":\"127.0.0.1\",\"port\":8443,\"use_ssl\":true,"
    "\"ssl_check_cert\":false}],"
    "\"domains\":[{\"name\":\"www.example.com\"}],"
    "\"vcls\":[{\"name\":\"main\",\"main\":true,\"content\":\"sub vcl_recv { }\"}]},"
    "{\"number\":3,\"comment\":\"draft\","
    "\"backends\":[{\"name\":\"origin\",\"address\":\"origin.example.com\",\"port\":443,"
    "\"use_ssl\":true,\"ssl_cert_hostname\":\"origin.example.com\"},"
    "{\"name\":\"Host 1\",\"address\":\"127.0.0.1\",\"port\":8443,\"use_ssl\":true,"
    "\"ssl_check_cert\":false}],"
    "\"vcls\":[{\"name\":\"main\",\"main\":true,\"content\":\"sub vcl_recv { }\"}]}]},"
    "{\"id\":\"SVC1OTHER\",\"name\":\"other\",\"versions\":[{\"number\":1}]}]}";

static mock_proc mock;

static void start(const char *const *extra)
{
    mock_start(&mock, state_json, extra);
}

static void teardown(void)
{
    mock_cleanup(&mock);
}

static long long int_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_integer(v), "'%s' is not an integer", key);
    return (long long)json_integer_value(v);
}

static const char *str_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static bool bool_of(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    ck_assert_msg(json_is_boolean(v), "'%s' is not a boolean", key);
    return json_is_true(v);
}

/* The status and Fastly error body of a request with the test token. */
static void expect_error(const char *method, const char *path, const char *body, long status,
                         const char *msg, const char *detail_part)
{
    http_resp r;
    http(&r, &mock, method, path, MOCK_TOKEN, body, NULL);
    ck_assert_msg(r.status == status, "%s %s: status %ld, want %ld: %s", method, path, r.status,
                  status, r.body);
    ck_assert_msg(json_is_object(r.json), "%s %s: not a JSON object: %s", method, path, r.body);
    ck_assert_str_eq(str_of(r.json, "msg"), msg);
    if (detail_part)
        ck_assert_msg(str_of(r.json, "detail") && strstr(str_of(r.json, "detail"), detail_part),
                      "%s %s: detail '%s' lacks '%s'", method, path, str_of(r.json, "detail"),
                      detail_part);
    http_free(&r);
}

/* ---- shapes ---- */

static void same_shape_as(const char *method, const char *path, const char *body,
                          const char *cassette, int nth, const char *extra)
{
    json_t *got = api(&mock, method, path, body, 200);
    json_t *recorded = fixture_body(cassette, nth);
    assert_same_shape(json_is_array(got) ? json_array_get(got, 0) : got,
                      json_is_array(recorded) ? json_array_get(recorded, 0) : recorded, extra,
                      cassette);
    json_decref(got);
    json_decref(recorded);
}

START_TEST(backend_and_version_shapes_match_recordings)
{
    start(NULL);
    same_shape_as("GET", SVC "/version/3/backend/origin", NULL, "backends/get.yaml", 0, "");
    same_shape_as("GET", SVC "/version/3/backend", NULL, "backends/list.yaml", 0, "");
    same_shape_as("PUT", SVC "/version/3/backend/origin", "max_conn=100&ssl_ciphers=HIGH",
                  "backends/update.yaml", 0, "");
    same_shape_as("GET", SVC "/version/2", NULL, "versions/get.yaml", 0, "environments");
    same_shape_as("GET", SVC "/version", NULL, "versions/list.yaml", 0, "environments");
    same_shape_as("PUT", SVC "/version/3", "comment=new+comment", "versions/update.yaml", 0,
                  "environments");
    same_shape_as("PUT", SVC "/version/1/clone", NULL, "versions/clone.yaml", 0, "environments");
    same_shape_as("PUT", SVC "/version/4/lock", NULL, "versions/lock.yaml", 0, "environments");
    same_shape_as("PUT", SVC "/version/3/activate", NULL,
                  "versions_activate_deactivate/activate_version.yaml", 0, "");
    same_shape_as("PUT", SVC "/version/3/deactivate", NULL,
                  "versions_activate_deactivate/details_staged_filter/cleanup.yaml", 0, "");
}
END_TEST

START_TEST(service_shapes_match_recordings)
{
    start(NULL);
    same_shape_as("GET", SVC, NULL, "services/get.yaml", 0, "environments");
    same_shape_as("GET", "/service", NULL, "services/list.yaml", 0, "environments");
    same_shape_as("GET", SVC "/details?version=3", NULL,
                  "services_details_with_filters/version.yaml", 0, "");
    same_shape_as("GET", "/tokens/self", NULL, "tokens_self/get_self.yaml", 0, "");
    same_shape_as("GET", SVC "/diff/from/2/to/3", NULL, "diff/get.yaml", 0, "");

    /* Inside details: the version objects and their backends. */
    json_t *got = api(&mock, "GET", SVC "/details", NULL, 200);
    json_t *recorded =
        fixture_body("versions_activate_deactivate/details_staged_filter/staged_filter.yaml", 0);
    assert_same_shape(json_object_get(got, "version"), json_object_get(recorded, "version"), "",
                      "details.version");
    assert_same_shape(json_object_get(got, "active_version"),
                      json_object_get(recorded, "active_version"), "", "details.active_version");
    json_t *backend = fixture_body("backends/get.yaml", 0);
    assert_same_shape(
        json_array_get(json_object_get(json_object_get(got, "version"), "backends"), 0), backend,
        "", "details.version.backends[0]");
    json_decref(backend);
    json_decref(recorded);
    json_decref(got);

    /* The public IP list is Fastly's, exactly. */
    got = api(&mock, "GET", "/public-ip-list", NULL, 200);
    recorded = fixture_body("public_ip_list/list.yaml", 0);
    ck_assert(json_equal(got, recorded));
    json_decref(got);
    json_decref(recorded);
}
END_TEST

START_TEST(error_shapes_match_recordings)
{
    start(NULL);
    http_resp r;
    json_t *recorded = fixture_body("errors/version_locked_422/cleanup.yaml", 1);
    http(&r, &mock, "PUT", SVC "/version/2/backend/origin", MOCK_TOKEN, "port=80", NULL);
    ck_assert_int_eq(r.status, 422);
    assert_same_shape(r.json, recorded, "", "422");
    ck_assert_str_eq(str_of(r.json, "msg"), "Version locked");
    ck_assert_str_eq(str_of(r.json, "detail"), "Version '2' for service 'SVC0EXAMPLE' is locked");
    http_free(&r);
    json_decref(recorded);

    recorded = fixture_body("errors/record_not_found_404_and_400/cleanup.yaml", 0);
    http(&r, &mock, "GET", SVC "/version/3/backend/nope", MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 404);
    assert_same_shape(r.json, recorded, "", "404");
    http_free(&r);
    json_decref(recorded);

    recorded = fixture_body("form_encoding_pem_and_409_duplicate/create6.yaml", 0);
    http(&r, &mock, "POST", SVC "/version/3/backend", MOCK_TOKEN, "name=origin&address=a.example",
         NULL);
    ck_assert_int_eq(r.status, 409);
    assert_same_shape(r.json, recorded, "", "409");
    ck_assert_str_eq(str_of(r.json, "msg"), "Duplicate record");
    http_free(&r);
    json_decref(recorded);
}
END_TEST

/* ---- services, details, auth ---- */

START_TEST(details_picks_active_then_asked_version)
{
    start(NULL);
    json_t *d = api(&mock, "GET", SVC "/details", NULL, 200);
    ck_assert_int_eq(int_of(json_object_get(d, "version"), "number"), 2);
    ck_assert_int_eq(int_of(json_object_get(d, "active_version"), "number"), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(d, "versions")), 3);
    json_decref(d);
    d = api(&mock, "GET", SVC "/details?version=3", NULL, 200);
    ck_assert_int_eq(int_of(json_object_get(d, "version"), "number"), 3);
    ck_assert_int_eq(int_of(json_object_get(d, "active_version"), "number"), 2);
    json_decref(d);
    /* No active version: the latest, and active_version null. */
    d = api(&mock, "GET", "/service/SVC1OTHER/details", NULL, 200);
    ck_assert_int_eq(int_of(json_object_get(d, "version"), "number"), 1);
    ck_assert(json_is_null(json_object_get(d, "active_version")));
    json_decref(d);
    expect_error("GET", SVC "/details?version=99", NULL, 404, "Record not found", "Version '99'");
    expect_error("GET", SVC "/details?version=x", NULL, 400, "Bad request", NULL);
    expect_error("GET", "/service/NOSUCHSVC/details", NULL, 400, "Bad request", "NOSUCHSVC");
    expect_error("GET", "/service/NOSUCHSVC/version/1/backend", NULL, 400, "Bad request", NULL);
    expect_error("GET", SVC "/version/99", NULL, 404, "Record not found", NULL);
    expect_error("GET", SVC "/nothing", NULL, 404, "Record not found", NULL);
}
END_TEST

START_TEST(tokens_are_checked)
{
    const char *extra[] = {"--token", "ro-token/global:read", "--token",
                           "lim-token/global/SVC1OTHER", NULL};
    start(extra);
    http_resp r;
    http(&r, &mock, "GET", SVC "/details", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    ck_assert_str_eq(r.body, "{\"msg\":\"Provided credentials are missing or invalid\"}");
    http_free(&r);
    http(&r, &mock, "GET", SVC "/details", "wrong-token", NULL, NULL);
    ck_assert_int_eq(r.status, 401);
    http_free(&r);
    http(&r, &mock, "GET", "/public-ip-list", NULL, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);

    /* Read-only: reads pass, writes are refused before anything changes. */
    http(&r, &mock, "GET", "/tokens/self", "ro-token", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(str_of(r.json, "scope"), "global:read");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "scopes"), 0)),
                     "global:read");
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "services")), 0);
    http_free(&r);
    http(&r, &mock, "PUT", SVC "/version/2/clone", "ro-token", NULL, NULL);
    ck_assert_int_eq(r.status, 403);
    ck_assert_str_eq(str_of(r.json, "msg"),
                     "Read only tokens are not allowed to access this endpoint.");
    http_free(&r);
    json_t *versions = api(&mock, "GET", SVC "/version", NULL, 200);
    ck_assert_uint_eq(json_array_size(versions), 3);
    json_decref(versions);

    /* Limited to one service: the other is invisible and refused. */
    http(&r, &mock, "GET", "/tokens/self", "lim-token", NULL, NULL);
    ck_assert_str_eq(str_of(r.json, "scope"), "global");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(r.json, "services"), 0)),
                     "SVC1OTHER");
    http_free(&r);
    http(&r, &mock, "GET", "/service", "lim-token", NULL, NULL);
    ck_assert_uint_eq(json_array_size(r.json), 1);
    ck_assert_str_eq(str_of(json_array_get(r.json, 0), "id"), "SVC1OTHER");
    http_free(&r);
    http(&r, &mock, "GET", SVC "/details", "lim-token", NULL, NULL);
    ck_assert_int_eq(r.status, 403);
    http_free(&r);
    http(&r, &mock, "PUT", "/service/SVC1OTHER/version/1/clone", "lim-token", NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    http_free(&r);
}
END_TEST

static void check_link(const char *query, size_t items, const char *const *rels,
                       const char *const *pages)
{
    char path[128];
    http_resp r;
    snprintf(path, sizeof(path), "/service?%s", query);
    http(&r, &mock, "GET", path, MOCK_TOKEN, NULL, NULL);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(json_array_size(r.json), items);
    const char *link = http_header(&r, "Link");
    if (!rels[0]) {
        ck_assert_ptr_null(link);
    } else {
        char want[1024] = "";
        for (size_t i = 0; rels[i]; i++) {
            char part[256];
            snprintf(part, sizeof(part),
                     "%s<http://127.0.0.1:%u/service?direction=descend&page=%s&per_page=2>; "
                     "rel=\"%s\"",
                     i ? ", " : "", mock.port, pages[i], rels[i]);
            strcat(want, part);
        }
        ck_assert_ptr_nonnull(link);
        ck_assert_str_eq(link, want);
    }
    http_free(&r);
}

START_TEST(service_list_paginates_like_fastly)
{
    char state[4096] = "{\"services\":[";
    for (int i = 0; i < 5; i++) {
        char one[200];
        snprintf(one, sizeof(one),
                 "%s{\"id\":\"SVC%d\",\"name\":\"s%d\",\"versions\":[{\"number\":1,"
                 "\"active\":true,\"locked\":true},{\"number\":2}]}",
                 i ? "," : "", i, i);
        strcat(state, one);
    }
    strcat(state, "]}");
    mock_start(&mock, state, NULL);
    check_link("direction=descend&page=1&per_page=2", 2,
               (const char *const[]){"last", "next", NULL}, (const char *const[]){"3", "2"});
    check_link("per_page=2&page=2&direction=descend", 2,
               (const char *const[]){"last", "next", "prev", "first", NULL},
               (const char *const[]){"3", "3", "1", "1"});
    check_link("direction=descend&page=3&per_page=2", 1,
               (const char *const[]){"prev", "first", NULL}, (const char *const[]){"2", "1"});
    json_t *all = api(&mock, "GET", "/service?direction=descend", NULL, 200);
    ck_assert_uint_eq(json_array_size(all), 5);
    ck_assert_str_eq(str_of(json_array_get(all, 0), "id"), "SVC4");
    ck_assert_int_eq(int_of(json_array_get(all, 0), "version"), 1); /* active, not latest */
    json_decref(all);
    expect_error("GET", "/service?page=abc", NULL, 400, "Bad request", NULL);
    expect_error("GET", "/service?per_page=0", NULL, 400, "Bad request", NULL);
}
END_TEST

/* ---- versions ---- */

START_TEST(clone_takes_highest_plus_one_and_copies)
{
    start(NULL);
    json_t *v = api(&mock, "PUT", SVC "/version/1/clone", NULL, 200);
    ck_assert_int_eq(int_of(v, "number"), 4);
    ck_assert(!bool_of(v, "locked"));
    ck_assert(!bool_of(v, "active"));
    ck_assert_str_eq(str_of(v, "comment"), "old");
    json_decref(v);
    v = api(&mock, "PUT", SVC "/version/2/clone", NULL, 200);
    ck_assert_int_eq(int_of(v, "number"), 5);
    ck_assert_str_eq(str_of(v, "comment"), "live");
    json_decref(v);
    json_t *backends = api(&mock, "GET", SVC "/version/5/backend", NULL, 200);
    ck_assert_uint_eq(json_array_size(backends), 2);
    ck_assert_int_eq(int_of(json_array_get(backends, 0), "version"), 5);
    json_decref(backends);
    json_t *domains = api(&mock, "GET", SVC "/version/5/domain", NULL, 200);
    ck_assert_str_eq(str_of(json_array_get(domains, 0), "name"), "www.example.com");
    json_decref(domains);
    json_t *list = api(&mock, "GET", SVC "/version", NULL, 200);
    ck_assert_uint_eq(json_array_size(list), 5);
    for (size_t i = 0; i < 5; i++)
        ck_assert_int_eq(int_of(json_array_get(list, i), "number"), (long long)i + 1);
    json_decref(list);
    expect_error("PUT", SVC "/version/9/clone", NULL, 404, "Record not found", NULL);
    expect_error("PUT", SVC "/version/x/clone", NULL, 400, "Bad request", NULL);
}
END_TEST

START_TEST(activate_moves_the_active_version)
{
    start(NULL);
    json_t *v = api(&mock, "PUT", SVC "/version/3/activate", NULL, 200);
    ck_assert(bool_of(v, "active"));
    ck_assert(bool_of(v, "locked"));
    ck_assert_ptr_nonnull(strstr(str_of(v, "msg"), "Warning"));
    json_decref(v);
    v = api(&mock, "GET", SVC "/version/2", NULL, 200);
    ck_assert(!bool_of(v, "active"));
    ck_assert(bool_of(v, "locked"));
    json_decref(v);
    json_t *d = api(&mock, "GET", SVC "/details", NULL, 200);
    ck_assert_int_eq(int_of(json_object_get(d, "active_version"), "number"), 3);
    json_decref(d);

    /* Rolling back to a locked version is allowed. */
    v = api(&mock, "PUT", SVC "/version/2/activate", NULL, 200);
    json_decref(v);
    expect_error("PUT", SVC "/version/3/deactivate", NULL, 400, "Bad request", "not active");
    v = api(&mock, "PUT", SVC "/version/2/deactivate", NULL, 200);
    ck_assert(!bool_of(v, "active"));
    json_decref(v);
    d = api(&mock, "GET", SVC "/details", NULL, 200);
    ck_assert(json_is_null(json_object_get(d, "active_version")));
    ck_assert_int_eq(int_of(json_object_get(d, "version"), "number"), 3);
    json_decref(d);

    /* A version that does not compile is not activated. */
    v = api(&mock, "PUT", SVC "/version/3/clone", NULL, 200);
    json_decref(v);
    v = api(&mock, "PUT", SVC "/version/4/backend/origin", "ssl_cert_hostname=", 200);
    json_decref(v);
    expect_error("PUT", SVC "/version/4/activate", NULL, 400, "Bad request",
                 "Mandatory SSL cert checks require specifying cert hostname");
    v = api(&mock, "GET", SVC "/version/4", NULL, 200);
    ck_assert(!bool_of(v, "active"));
    ck_assert(!bool_of(v, "locked"));
    json_decref(v);
}
END_TEST

START_TEST(writes_to_locked_or_active_versions_get_422)
{
    start(NULL);
    const char *detail2 = "Version '2' for service 'SVC0EXAMPLE' is locked";
    expect_error("PUT", SVC "/version/2", "comment=x", 422, "Version locked", detail2);
    expect_error("PUT", SVC "/version/2/backend/origin", "port=80", 422, "Version locked", detail2);
    expect_error("POST", SVC "/version/2/backend", "name=b&address=b.example", 422,
                 "Version locked", detail2);
    expect_error("DELETE", SVC "/version/2/backend/origin", NULL, 422, "Version locked", detail2);
    expect_error("PUT", SVC "/version/2/vcl/main", "content=x", 422, "Version locked", detail2);
    expect_error("PUT", SVC "/version/1/backend/origin", "port=80", 422, "Version locked",
                 "Version '1'");
    json_t *b = api(&mock, "GET", SVC "/version/2/backend/origin", NULL, 200);
    ck_assert_int_eq(int_of(b, "port"), 443);
    json_decref(b);

    /* The same writes on the draft succeed; locking it makes them fail. */
    json_decref(api(&mock, "PUT", SVC "/version/3", "comment=fixed", 200));
    json_decref(api(&mock, "PUT", SVC "/version/3/vcl/main", "content=sub+vcl_recv+%7B%7D", 200));
    json_decref(api(&mock, "PUT", SVC "/version/3/lock", NULL, 200));
    expect_error("PUT", SVC "/version/3", "comment=again", 422, "Version locked", "Version '3'");
}
END_TEST

/* ---- backends ---- */

static json_t *update(const char *name, const char *body)
{
    char path[256];
    snprintf(path, sizeof(path), SVC "/version/3/backend/%s", name);
    return api(&mock, "PUT", path, body, 200);
}

START_TEST(port_flips_use_ssl_unless_sent)
{
    start(NULL);
    json_t *b = update("origin", "port=80");
    ck_assert_int_eq(int_of(b, "port"), 80);
    ck_assert(!bool_of(b, "use_ssl"));
    json_decref(b);
    b = update("origin", "port=443");
    ck_assert(bool_of(b, "use_ssl"));
    json_decref(b);
    b = update("origin", "port=443&use_ssl=0");
    ck_assert_int_eq(int_of(b, "port"), 443);
    ck_assert(!bool_of(b, "use_ssl"));
    json_decref(b);
    b = update("origin", "port=80&use_ssl=1");
    ck_assert(bool_of(b, "use_ssl"));
    json_decref(b);
    b = update("origin", "port=8443");
    ck_assert(bool_of(b, "use_ssl")); /* other ports leave it */
    json_decref(b);
    b = update("origin", "use_ssl=false");
    ck_assert_int_eq(int_of(b, "port"), 8443);
    ck_assert(!bool_of(b, "use_ssl"));
    json_decref(b);
}
END_TEST

START_TEST(empty_value_clears_and_name_renames)
{
    start(NULL);
    json_t *b = update("origin", "override_host=origin.example.com&comment=note");
    ck_assert_str_eq(str_of(b, "override_host"), "origin.example.com");
    json_decref(b);
    b = update("origin", "override_host=&ssl_cert_hostname=&comment=");
    ck_assert(json_is_null(json_object_get(b, "override_host")));
    ck_assert(json_is_null(json_object_get(b, "ssl_cert_hostname")));
    ck_assert_str_eq(str_of(b, "comment"), "");
    ck_assert_str_eq(str_of(b, "address"), "origin.example.com"); /* absent keys stay */
    json_decref(b);

    b = update("origin", "name=renamed&frobnicate=1");
    ck_assert_str_eq(str_of(b, "name"), "renamed");
    json_decref(b);
    json_decref(api(&mock, "GET", SVC "/version/3/backend/renamed", NULL, 200));
    expect_error("GET", SVC "/version/3/backend/origin", NULL, 404, "Record not found", "origin");
    expect_error("PUT", SVC "/version/3/backend/renamed", "name=Host+1", 409, "Duplicate record",
                 "Host 1");
    /* Names with a space or a slash are escaped path segments. */
    b = api(&mock, "GET", SVC "/version/3/backend/Host%201", NULL, 200);
    ck_assert_str_eq(str_of(b, "name"), "Host 1");
    ck_assert_str_eq(str_of(b, "ipv4"), "127.0.0.1");
    ck_assert(json_is_null(json_object_get(b, "hostname")));
    json_decref(b);
    json_decref(api(&mock, "POST", SVC "/version/3/backend", "name=a%2Fb&address=a.example", 200));
    b = api(&mock, "GET", SVC "/version/3/backend/a%2Fb", NULL, 200);
    ck_assert_str_eq(str_of(b, "name"), "a/b");
    json_decref(b);
    json_decref(api(&mock, "DELETE", SVC "/version/3/backend/a%2Fb", NULL, 200));
    expect_error("DELETE", SVC "/version/3/backend/a%2Fb", NULL, 404, "Record not found", NULL);
}
END_TEST

START_TEST(new_backend_gets_fastly_defaults)
{
    start(NULL);
    json_t *b = api(&mock, "POST", SVC "/version/3/backend", "address=new.example&name=new", 200);
    ck_assert(bool_of(b, "ssl_check_cert"));
    ck_assert(!bool_of(b, "use_ssl"));
    ck_assert_int_eq(int_of(b, "port"), 80);
    ck_assert_int_eq(int_of(b, "connect_timeout"), 1000);
    ck_assert_int_eq(int_of(b, "first_byte_timeout"), 15000);
    ck_assert_int_eq(int_of(b, "between_bytes_timeout"), 10000);
    ck_assert_int_eq(int_of(b, "max_conn"), 200);
    ck_assert_int_eq(int_of(b, "weight"), 100);
    ck_assert_str_eq(str_of(b, "hostname"), "new.example");
    ck_assert(json_is_null(json_object_get(b, "ssl_cert_hostname")));
    ck_assert(json_is_null(json_object_get(b, "ssl_client_key")));
    ck_assert_str_eq(str_of(b, "service_id"), "SVC0EXAMPLE");
    ck_assert_int_eq(int_of(b, "version"), 3);
    json_decref(b);
    expect_error("POST", SVC "/version/3/backend", "name=x", 400, "Bad request", "Address");
    expect_error("POST", SVC "/version/3/backend", "address=x.example", 400, "Bad request", "Name");
}
END_TEST

START_TEST(bad_backend_values_get_400_and_change_nothing)
{
    start(NULL);
    static const char *const bad[][2] = {{"port=abc", "port"},
                                         {"port=70000", "port"},
                                         {"port=", "port"},
                                         {"ssl_check_cert=maybe", "ssl_check_cert"},
                                         {"min_tls_version=1.4", "min_tls_version"},
                                         {"ssl_ca_cert=not+a+certificate", "ssl_ca_cert"},
                                         {"ssl_client_key=secret", "ssl_client_key"},
                                         {"address=", "Address"},
                                         {"name=", "Name"},
                                         {"weight=0", "weight"},
                                         {"connect_timeout=-5", "connect_timeout"},
                                         {"max_conn=100&port=x", "port"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_error("PUT", SVC "/version/3/backend/origin", bad[i][0], 400, "Bad request",
                     bad[i][1]);
    json_t *b = api(&mock, "GET", SVC "/version/3/backend/origin", NULL, 200);
    ck_assert_int_eq(int_of(b, "port"), 443);
    ck_assert_int_eq(int_of(b, "max_conn"), 200);
    json_decref(b);

    /* Writes are form-encoded; a JSON body is refused. */
    http_resp r;
    http(&r, &mock, "PUT", SVC "/version/3/backend/origin", MOCK_TOKEN, "{\"port\":80}",
         "application/json");
    ck_assert_int_eq(r.status, 400);
    http_free(&r);
    expect_error("PUT", SVC "/version/3/backend/origin", "port=%zz", 400, "Bad request", NULL);
}
END_TEST

START_TEST(ca_certificate_round_trips)
{
    start(NULL);
    const char *argv[] = {"/usr/bin/openssl",
                          "req",
                          "-x509",
                          "-newkey",
                          "ec",
                          "-pkeyopt",
                          "ec_paramgen_curve:prime256v1",
                          "-nodes",
                          "-keyout",
                          "/dev/null",
                          "-subj",
                          "/CN=mock-test-ca",
                          "-days",
                          "2",
                          "-out",
                          NULL,
                          NULL};
    char pem_path[512];
    snprintf(pem_path, sizeof(pem_path), "%s", mock_path(&mock, "ca.pem"));
    argv[15] = pem_path;
    ck_assert_int_eq(run_command(argv, NULL, mock_path(&mock, "openssl.out"), 60), 0);
    char *pem = read_file(pem_path);
    ck_assert_ptr_nonnull(pem);
    CURL *curl = curl_easy_init();
    char *escaped = curl_easy_escape(curl, pem, 0);
    char *body = malloc(strlen(escaped) + 64);
    sprintf(body, "ssl_ca_cert=%s&ssl_cert_hostname=origin.test", escaped);
    json_t *b = update("origin", body);
    ck_assert_str_eq(str_of(b, "ssl_ca_cert"), pem);
    json_decref(b);
    json_t *vcl = api(&mock, "GET", SVC "/version/3/generated_vcl", NULL, 200);
    ck_assert_ptr_nonnull(strstr(str_of(vcl, "content"), "-----BEGIN CERTIFICATE-----"));
    ck_assert_ptr_nonnull(strstr(str_of(vcl, "content"), ".ssl_cert_hostname = \"origin.test\";"));
    json_decref(vcl);
    curl_free(escaped);
    curl_easy_cleanup(curl);
    free(body);
    free(pem);
}
END_TEST

/* ---- validate, diff, VCL ---- */

START_TEST(validate_reports_missing_cert_hostname)
{
    start(NULL);
    json_t *v = api(&mock, "GET", SVC "/version/3/validate", NULL, 200);
    ck_assert_str_eq(str_of(v, "status"), "ok");
    json_decref(v);
    json_decref(update("origin", "ssl_cert_hostname="));
    v = api(&mock, "GET", SVC "/version/3/validate", NULL, 200);
    ck_assert_str_eq(str_of(v, "status"), "error");
    ck_assert_str_eq(str_of(v, "msg"),
                     "Mandatory SSL cert checks require specifying cert hostname");
    ck_assert_ptr_nonnull(
        strstr(json_string_value(json_array_get(json_object_get(v, "errors"), 0)), "'origin'"));
    json_decref(v);
    json_decref(update("origin", "ssl_check_cert=0"));
    v = api(&mock, "GET", SVC "/version/3/validate", NULL, 200);
    ck_assert_str_eq(str_of(v, "status"), "ok");
    json_decref(v);
    json_decref(update("origin", "ssl_check_cert=1&use_ssl=0"));
    v = api(&mock, "GET", SVC "/version/3/validate", NULL, 200);
    ck_assert_str_eq(str_of(v, "status"), "ok");
    json_decref(v);
}
END_TEST

START_TEST(diff_of_identical_and_changed_versions)
{
    start(NULL);
    json_decref(api(&mock, "PUT", SVC "/version/2/clone", NULL, 200));
    json_t *d = api(&mock, "GET", SVC "/diff/from/2/to/4?format=text", NULL, 200);
    ck_assert_str_eq(str_of(d, "from"), "2");
    ck_assert_str_eq(str_of(d, "to"), "4");
    ck_assert_str_eq(str_of(d, "format"), "text");
    const char *text = str_of(d, "diff");
    ck_assert_ptr_nonnull(
        strstr(text, " backends:\n - name: origin\n   address: origin.example.com\n"));
    for (const char *line = text; *line; line = strchr(line, '\n') + 1)
        ck_assert_msg(line[0] == ' ', "identical versions gave a changed line: %.40s", line);
    json_decref(d);

    json_decref(update("origin", "ssl_cert_hostname=other.example")); /* on 3: not in the diff */
    /* A client key made now (without its final newline): the dump shows it as a block. */
    char *key = tc_private_key_pem();
    key[strlen(key) - 1] = '\0';
    char *escaped = curl_easy_escape(NULL, key, 0);
    char form[1024], block[1024] = "\n+  ssl_client_key: |-\n";
    snprintf(form, sizeof(form), "ssl_cert_hostname=other.example&ssl_client_key=%s", escaped);
    curl_free(escaped);
    for (const char *line = key; *line;) {
        size_t len = strcspn(line, "\n");
        fo_str_appendf(block, sizeof(block), "+    %.*s\n", (int)len, line);
        line += len + (line[len] == '\n');
    }
    free(key);
    json_decref(api(&mock, "PUT", SVC "/version/4/backend/origin", form, 200));
    d = api(&mock, "GET", SVC "/diff/from/2/to/4", NULL, 200);
    text = str_of(d, "diff");
    ck_assert_ptr_nonnull(strstr(text, "\n-  ssl_cert_hostname: origin.example.com\n"
                                       "+  ssl_cert_hostname: other.example\n"));
    ck_assert_msg(strstr(text, block), "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\n   port: 443\n"));
    json_decref(d);
    expect_error("GET", SVC "/diff/from/2/to/99", NULL, 404, "Record not found", NULL);
    expect_error("GET", SVC "/diff/from/2/to/4?format=html", NULL, 400, "Bad request", NULL);
}
END_TEST

START_TEST(diff_reproduces_fastly_text)
{
    static const char *const state =
        "{\"services\":[{\"id\":\"kKJb5bOFI47uHeBVluGfX1\",\"name\":\"go-fastly\",\"versions\":["
        "{\"number\":56},{\"number\":57},{\"number\":58,\"backends\":[{\"name\":\"test-backend\","
        "\"address\":\"integ-test.go-fastly.com\",\"ssl_check_cert\":false}]}]}]}";
    mock_start(&mock, state, NULL);
    json_t *d = api(&mock, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/diff/from/56/to/57", NULL, 200);
    json_t *recorded = fixture_body("diff/get.yaml", 0);
    ck_assert_str_eq(str_of(d, "diff"), str_of(recorded, "diff"));
    json_decref(d);
    json_decref(recorded);

    /* With a backend added: every recorded line, in order; ours adds only the backend fields
     * Fastly introduced after the recording (2021). */
    d = api(&mock, "GET", "/service/kKJb5bOFI47uHeBVluGfX1/diff/from/56/to/58", NULL, 200);
    recorded = fixture_body("diff/get_again.yaml", 0);
    static const char *const newer[] = {"keepalive_time",
                                        "max_lifetime",
                                        "max_use",
                                        "prefer_ipv6",
                                        "share_key",
                                        "tcp_keepalive_enable",
                                        "tcp_keepalive_interval",
                                        "tcp_keepalive_probes",
                                        "tcp_keepalive_time"};
    const char *want = str_of(recorded, "diff");
    char *got = strdup(str_of(d, "diff"));
    for (char *line = got, *next; *line; line = next) {
        next = strchr(line, '\n') + 1;
        size_t len = (size_t)(next - line);
        if (strncmp(want, line, len) == 0) {
            want += len;
            continue;
        }
        bool is_newer = false;
        for (size_t i = 0; i < sizeof(newer) / sizeof(newer[0]); i++) {
            char field[64];
            snprintf(field, sizeof(field), "+  %s:", newer[i]);
            is_newer = is_newer || strncmp(line, field, strlen(field)) == 0;
        }
        ck_assert_msg(is_newer, "unexpected line %.*s (next recorded: %.40s)", (int)len, line,
                      want);
    }
    ck_assert_msg(*want == '\0', "recorded lines missing from ours: %.80s", want);
    free(got);
    json_decref(d);
    json_decref(recorded);
}
END_TEST

START_TEST(custom_and_generated_vcl)
{
    start(NULL);
    json_t *list = api(&mock, "GET", SVC "/version/3/vcl", NULL, 200);
    ck_assert_uint_eq(json_array_size(list), 1);
    ck_assert(bool_of(json_array_get(list, 0), "main"));
    json_decref(list);
    json_t *v =
        api(&mock, "PUT", SVC "/version/3/vcl/main", "content=sub+vcl_recv+%7B+%7D%0A", 200);
    ck_assert_str_eq(str_of(v, "content"), "sub vcl_recv { }\n");
    json_decref(v);
    json_decref(api(&mock, "POST", SVC "/version/3/vcl", "name=extra&content=x&main=1", 200));
    v = api(&mock, "GET", SVC "/version/3/vcl/main", NULL, 200);
    ck_assert(!bool_of(v, "main")); /* one main VCL */
    json_decref(v);
    expect_error("POST", SVC "/version/3/vcl", "name=extra&content=y", 409, "Duplicate record",
                 NULL);
    expect_error("GET", SVC "/version/3/vcl/none", NULL, 404, "Record not found", NULL);

    v = api(&mock, "GET", SVC "/version/2/generated_vcl", NULL, 200);
    const char *text = str_of(v, "content");
    ck_assert_ptr_nonnull(strstr(text, "backend F_origin {"));
    ck_assert_ptr_nonnull(strstr(text, "backend F_Host_1 {"));
    ck_assert_ptr_nonnull(strstr(text, ".ssl_cert_hostname = \"origin.example.com\";"));
    ck_assert_ptr_nonnull(strstr(text, ".ssl_check_cert = never;"));
    ck_assert_ptr_nonnull(strstr(text, "sub vcl_recv { }"));
    json_decref(v);
}
END_TEST

/* ---- concurrency ---- */

static void *hammer(void *arg)
{
    long clones = 0;
    for (int i = 0; i < 25; i++) {
        http_resp r;
        bool clone = (i % 5) == (int)(long)arg % 5;
        http(&r, &mock, clone ? "PUT" : "GET", clone ? SVC "/version/2/clone" : SVC "/details",
             MOCK_TOKEN, NULL, NULL);
        if (r.curl_code != 0 || r.status != 200) {
            http_free(&r);
            return (void *)-1L;
        }
        clones += clone;
        http_free(&r);
    }
    return (void *)clones;
}

START_TEST(concurrent_requests_are_consistent)
{
    start(NULL);
    pthread_t threads[8];
    long clones = 0;
    for (long i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, hammer, (void *)i), 0);
    for (int i = 0; i < 8; i++) {
        void *result;
        pthread_join(threads[i], &result);
        ck_assert_int_ge((long)result, 0);
        clones += (long)result;
    }
    json_t *list = api(&mock, "GET", SVC "/version", NULL, 200);
    ck_assert_uint_eq(json_array_size(list), 3 + (size_t)clones);
    for (size_t i = 0; i < json_array_size(list); i++)
        ck_assert_int_eq(int_of(json_array_get(list, i), "number"), (long long)i + 1);
    json_decref(list);
}
END_TEST

Suite *mock_api_suite(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("mock_api");
    TCase *tc = tcase_create("api");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, backend_and_version_shapes_match_recordings);
    tcase_add_test(tc, service_shapes_match_recordings);
    tcase_add_test(tc, error_shapes_match_recordings);
    tcase_add_test(tc, details_picks_active_then_asked_version);
    tcase_add_test(tc, tokens_are_checked);
    tcase_add_test(tc, service_list_paginates_like_fastly);
    tcase_add_test(tc, clone_takes_highest_plus_one_and_copies);
    tcase_add_test(tc, activate_moves_the_active_version);
    tcase_add_test(tc, writes_to_locked_or_active_versions_get_422);
    tcase_add_test(tc, port_flips_use_ssl_unless_sent);
    tcase_add_test(tc, empty_value_clears_and_name_renames);
    tcase_add_test(tc, new_backend_gets_fastly_defaults);
    tcase_add_test(tc, bad_backend_values_get_400_and_change_nothing);
    tcase_add_test(tc, ca_certificate_round_trips);
    tcase_add_test(tc, validate_reports_missing_cert_hostname);
    tcase_add_test(tc, diff_of_identical_and_changed_versions);
    tcase_add_test(tc, diff_reproduces_fastly_text);
    tcase_add_test(tc, custom_and_generated_vcl);
    tcase_add_test(tc, concurrent_requests_are_consistent);
    suite_add_tcase(s, tc);
    return s;
}
