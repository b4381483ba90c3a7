/* fixorigin show, run over the replay transport: recorded details it has
 * never seen, TLS backends with certificates made here, the client key never
 * shown, and every usage error's exit code. */
#include <check.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "api_testcert.h"
#include "cmd.h"
#include "testcert.h"

Suite *api_show_suite(void);

static replay *r;
static char *out_text, *err_text;

static void setup(void)
{
    r = replay_new();
    out_text = err_text = NULL;
    setenv("FASTLY_API_TOKEN", REPLAY_TOKEN, 1);
    unsetenv("FASTLY_API_KEY");
    unsetenv("FASTLY_API_ENDPOINT");
    unsetenv("FASTLY_API_URL");
    unsetenv("FASTLY_SERVICE_ID");
}

static void teardown(void)
{
    replay_free(r);
    free(out_text);
    free(err_text);
}

/* Runs `fixorigin show ARGS...` (NULL-terminated) and returns its exit code. */
static int show(const char *arg, ...)
{
    char *argv[16] = {(char *)"show"};
    int argc = 1;
    va_list ap;
    va_start(ap, arg);
    for (const char *a = arg; a && argc < 15; a = va_arg(ap, const char *))
        argv[argc++] = (char *)a;
    va_end(ap);
    size_t out_len = 0, err_len = 0;
    free(out_text);
    free(err_text);
    FILE *out = open_memstream(&out_text, &out_len);
    FILE *err = open_memstream(&err_text, &err_len);
    fo_api_transport t = replay_transport(r);
    int rc = fo_cmd_show_with(argc, argv, &t, out, err);
    fclose(out);
    fclose(err);
    /* Whatever happened, the token is in no output. */
    ck_assert_ptr_null(strstr(out_text, REPLAY_TOKEN));
    ck_assert_ptr_null(strstr(err_text, REPLAY_TOKEN));
    return rc;
}

/* The VCL, snippet and pool listings of a version that has none (show reads them). */
static void no_origins(const char *service, int version)
{
    static const char *const what[] = {"vcl", "snippet", "pool"};
    for (size_t i = 0; i < 3; i++) {
        char path[160];
        snprintf(path, sizeof(path), "/service/%s/version/%d/%s", service, version, what[i]);
        replay_add(r, "GET", path, 200, "[]");
    }
}

START_TEST(recorded_details_it_has_not_seen)
{
    replay_load(r, "services/details.yaml");
    no_origins("FPkmJNp1fH8CnWbdi21Wf3", 1);
    ck_assert_int_eq(show("--service", "FPkmJNp1fH8CnWbdi21Wf3", NULL), FO_EXIT_OK);
    ck_assert_str_eq(replay_sent_at(r, 0)->path, "/service/FPkmJNp1fH8CnWbdi21Wf3/details");
    ck_assert_str_eq(out_text, "service   FPkmJNp1fH8CnWbdi21Wf3  \"test-service\" (vcl)\n"
                               "active    none: no version is active\n"
                               "latest    version 1 (draft)\n"
                               "shown     version 1 (draft)\n"
                               "domains   (none)\n"
                               "\n"
                               "no backends\n");
    ck_assert_str_eq(err_text, "");
}
END_TEST

START_TEST(recorded_details_as_json)
{
    json_error_t jerr;
    replay_load(r, "versions_activate_deactivate/details_staged_filter/staged_filter.yaml");
    setenv("FASTLY_SERVICE_ID", "yjiS959rX92xW0DLIb3pQ9", 1);
    no_origins("yjiS959rX92xW0DLIb3pQ9", 2);
    ck_assert_int_eq(show("--json", NULL), FO_EXIT_OK);
    json_t *root = json_loads(out_text, 0, &jerr);
    ck_assert_msg(root != NULL, "%s", jerr.text);
    ck_assert_str_eq(json_string_value(json_object_get(root, "schema")), "fixorigin.show/v1");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(root, "service"), "name")),
                     "test-service-staged-filter");
    ck_assert_int_eq(json_integer_value(json_object_get(root, "active_version")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(root, "latest_version")), 2);
    json_t *version = json_object_get(root, "version");
    ck_assert_int_eq(json_integer_value(json_object_get(version, "number")), 2);
    ck_assert_str_eq(json_string_value(json_object_get(version, "state")), "draft");
    ck_assert_uint_eq(json_array_size(json_object_get(root, "backends")), 0);
    json_decref(root);
}
END_TEST

/* A line of the client key tls_details put in the service: it must show nowhere. */
static char key_line[100];

static char *tls_details(const char *ca_pem, const char *client_cert)
{
    char *key = tc_private_key_pem();
    tc_pem_line(key_line, sizeof(key_line), key, 1);
    json_t *backend = json_pack(
        "{s:s, s:s, s:i, s:b, s:b, s:s, s:n, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:n, s:s}", "name",
        "origin", "address", "origin.example.com", "port", 443, "use_ssl", 1, "ssl_check_cert", 1,
        "ssl_cert_hostname", "origin.example.com", "ssl_sni_hostname", "ssl_ca_cert", ca_pem,
        "ssl_client_cert", client_cert, "ssl_client_key", key, "min_tls_version", "1.2",
        "connect_timeout", 1000, "first_byte_timeout", 15000, "between_bytes_timeout", 10000,
        "shield", "override_host", "");
    free(key);
    json_t *plain = json_pack("{s:s, s:s, s:i, s:b}", "name", "plain\x1b[2Jone", "address",
                              "10.0.0.1", "port", 80, "use_ssl", 0);
    json_t *root = json_pack(
        "{s:s, s:s, s:s, s:[{s:i, s:b, s:b}, {s:i, s:b, s:b}], s:{s:i, s:b, s:b, s:s, s:[o, o], "
        "s:[{s:s}, {s:s}]}, s:{s:i, s:b, s:b}}",
        "id", "SVC0EXAMPLE", "name", "example", "type", "vcl", "versions", "number", 1, "active", 1,
        "locked", 1, "number", 2, "active", 0, "locked", 0, "version", "number", 1, "active", 1,
        "locked", 1, "comment", "first", "backends", backend, plain, "domains", "name",
        "www.example.com", "name", "example.com", "active_version", "number", 1, "active", 1,
        "locked", 1);
    ck_assert_ptr_nonnull(root);
    char *text = json_dumps(root, 0);
    json_decref(root);
    return text;
}

START_TEST(tls_backend_with_certificates)
{
    char root_sha[3 * 32], inter_sha[3 * 32], client_sha[3 * 32];
    char *root_pem = api_test_cert_pem("Test Root CA", root_sha);
    char *inter_pem = api_test_cert_pem("Test Intermediate", inter_sha);
    char *client_pem = api_test_cert_pem("Client", client_sha);
    char *bundle = malloc(strlen(root_pem) + strlen(inter_pem) + 1);
    strcpy(bundle, root_pem);
    strcat(bundle, inter_pem);
    char *details = tls_details(bundle, client_pem);
    replay_add(r, "GET", "/service/SVC0EXAMPLE/details", 200, details);
    no_origins("SVC0EXAMPLE", 1);
    ck_assert_int_eq(show("--service", "SVC0EXAMPLE", NULL), FO_EXIT_OK);

    char expected[4096];
    snprintf(expected, sizeof(expected),
             "service   SVC0EXAMPLE  \"example\" (vcl)\n"
             "active    version 1\n"
             "latest    version 2 (draft)\n"
             "shown     version 1 (active): first\n"
             "domains   www.example.com, example.com\n"
             "\n"
             "backend origin\n"
             "  address               origin.example.com\n"
             "  port                  443\n"
             "  use_ssl               yes\n"
             "  ssl_check_cert        yes\n"
             "  ssl_cert_hostname     origin.example.com\n"
             "  ssl_sni_hostname      (unset)\n"
             "  ssl_ca_cert           CN=Test Root CA,O=fixorigin\n"
             "                          SHA-256 %s\n"
             "                        CN=Test Intermediate,O=fixorigin\n"
             "                          SHA-256 %s\n"
             "  ssl_client_cert       CN=Client,O=fixorigin\n"
             "                          SHA-256 %s\n"
             "  ssl_client_key        set\n"
             "  ssl_ciphers           (unset)\n"
             "  min_tls_version       1.2\n"
             "  max_tls_version       (unset)\n"
             "  override_host         (unset)\n"
             "  connect_timeout       1000 ms\n"
             "  first_byte_timeout    15000 ms\n"
             "  between_bytes_timeout 10000 ms\n"
             "  shield                (unset)\n"
             "\n"
             "backend plain?[2Jone\n"
             "  address               10.0.0.1\n"
             "  port                  80\n"
             "  use_ssl               no\n"
             "  ssl_check_cert        yes\n",
             root_sha, inter_sha, client_sha);
    ck_assert_msg(strncmp(out_text, expected, strlen(expected)) == 0, "got:\n%s", out_text);
    ck_assert_ptr_nonnull(strstr(out_text, "  ssl_client_key        unset\n"));
    ck_assert_ptr_null(strstr(out_text, key_line));
    ck_assert_ptr_null(strstr(out_text, "PRIVATE KEY"));

    /* The same in JSON. */
    replay_add(r, "GET", "/service/SVC0EXAMPLE/details", 200, details);
    no_origins("SVC0EXAMPLE", 1);
    ck_assert_int_eq(show("--service", "SVC0EXAMPLE", "--json", NULL), FO_EXIT_OK);
    ck_assert_ptr_null(strstr(out_text, key_line));
    json_t *root = json_loads(out_text, 0, NULL);
    json_t *origin = json_array_get(json_object_get(root, "backends"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(origin, "ssl_client_key")), "set");
    json_t *ca = json_object_get(origin, "ssl_ca_cert");
    ck_assert_uint_eq(json_array_size(ca), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ca, 1), "sha256")),
                     inter_sha);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(ca, 0), "subject")),
                     "CN=Test Root CA,O=fixorigin");
    ck_assert(json_is_null(json_object_get(origin, "ssl_sni_hostname")));
    ck_assert_int_eq(json_integer_value(json_object_get(origin, "port")), 443);
    ck_assert(json_is_true(json_object_get(origin, "use_ssl")));
    ck_assert_uint_eq(json_array_size(json_object_get(root, "domains")), 2);
    json_decref(root);

    free(details);
    free(bundle);
    free(root_pem);
    free(inter_pem);
    free(client_pem);
}
END_TEST

/* At 80 columns a long version comment folds under the value column. */
START_TEST(text_folds_to_the_width)
{
    json_t *root =
        json_pack("{s:s, s:s, s:s, s:[{s:i, s:b, s:b}], s:{s:i, s:b, s:b, s:s, s:[], s:[]}}", "id",
                  "SVC0WIDE", "name", "wide", "type", "vcl", "versions", "number", 1, "active", 1,
                  "locked", 1, "version", "number", 1, "active", 1, "locked", 1, "comment",
                  "fixorigin: origin0: set ssl_cert_hostname to other.origin.test; origin1: set "
                  "ssl_sni_hostname to www.origin.test (run 480eba62ebb7)",
                  "backends", "domains");
    char *details = json_dumps(root, 0);
    json_decref(root);
    replay_add(r, "GET", "/service/SVC0WIDE/details", 200, details);
    free(details);
    no_origins("SVC0WIDE", 1);
    setenv("COLUMNS", "80", 1);
    int rc = show("--service", "SVC0WIDE", NULL);
    setenv("COLUMNS", "1000", 1);
    ck_assert_int_eq(rc, FO_EXIT_OK);
    ck_assert_msg(strstr(out_text, "shown     version 1 (active): fixorigin: origin0: set "
                                   "ssl_cert_hostname to\n"
                                   "          other.origin.test; origin1: set ssl_sni_hostname to "
                                   "www.origin.test\n"
                                   "          (run 480eba62ebb7)\n") != NULL,
                  "got:\n%s", out_text);
}
END_TEST

/* A retry is said on stderr, with its attempt and wait: show never waits in silence. */
START_TEST(a_retry_is_said)
{
    replay_add(r, "GET", "/service/S/details", 503, "");
    replay_add(r, "GET", "/service/S/details", 200,
               "{\"id\":\"S\",\"versions\":[{\"number\":1,\"active\":true}],\"version\":"
               "{\"number\":1,\"active\":true,\"backends\":[],\"domains\":[]}}");
    no_origins("S", 1);
    ck_assert_int_eq(show("--service", "S", NULL), FO_EXIT_OK);
    ck_assert_msg(strncmp(err_text,
                          "fixorigin: retrying GET /service/S/details (attempt 2 of 5) in ",
                          63) == 0 &&
                      strstr(err_text, ": 503 Service Unavailable\n") &&
                      strchr(err_text, '\n') == err_text + strlen(err_text) - 1,
                  "stderr: %s", err_text);
}
END_TEST

START_TEST(unreadable_ca_cert_is_said_so)
{
    char *details = tls_details("-----BEGIN CERTIFICATE-----\nnot base64!\n", "");
    replay_add(r, "GET", "/service/SVC0EXAMPLE/details?version=1", 200, details);
    no_origins("SVC0EXAMPLE", 1);
    ck_assert_int_eq(show("--service", "SVC0EXAMPLE", "--version", "1", NULL), FO_EXIT_OK);
    ck_assert_ptr_nonnull(strstr(out_text, "  ssl_ca_cert           set, but holds no readable "
                                           "PEM certificate (40 bytes)\n"));
    ck_assert_ptr_nonnull(strstr(out_text, "  ssl_client_cert       (unset)\n"));
    free(details);
}
END_TEST

START_TEST(origins_in_vcl_snippets_and_pools_are_shown_with_their_source)
{
    replay_add(r, "GET", "/service/S1/details", 200,
               "{\"id\":\"S1\",\"name\":\"n\",\"type\":\"vcl\",\"versions\":[{\"number\":3,"
               "\"active\":true,\"locked\":true}],\"version\":{\"number\":3,\"active\":true,"
               "\"locked\":true,\"backends\":[],\"vcls\":[{\"name\":\"main\"}],\"snippets\":[]},"
               "\"active_version\":{\"number\":3,\"active\":true,\"locked\":true}}");
    replay_add(r, "GET", "/service/S1/version/3/vcl", 200,
               "[{\"name\":\"main\",\"main\":true,\"content\":\"backend from_vcl { .host = "
               "\\\"a.test\\\"; .port = \\\"443\\\"; .ssl = true; }\\nbackend odd { .host = "
               "\\\"b.test\\\"; .port = 443; }\\n\"}]");
    replay_add(r, "GET", "/service/S1/version/3/pool", 200,
               "[{\"id\":\"P1\",\"name\":\"lb\",\"use_tls\":\"1\",\"tls_cert_hostname\":"
               "\"www.lb.test\",\"connect_timeout\":\"2000\"}]");
    replay_add(r, "GET", "/service/S1/pool/P1/servers", 200,
               "[{\"id\":\"X\",\"address\":\"10.0.0.9\",\"port\":\"8443\"}]");
    ck_assert_int_eq(show("--service", "S1", NULL), FO_EXIT_OK);
    ck_assert_msg(strstr(out_text, "\nbackend from_vcl in vcl:main\n"
                                   "  address               a.test\n"
                                   "  port                  443\n"
                                   "  use_ssl               yes\n"),
                  "%s", out_text);
    ck_assert_ptr_nonnull(strstr(out_text, "\nbackend odd in vcl:main\n  not understood: "));
    ck_assert_ptr_nonnull(strstr(out_text, ".port is not a string"));
    ck_assert_msg(strstr(out_text, "\nbackend lb/10.0.0.9:8443 in pool:lb/10.0.0.9:8443\n"
                                   "  address               10.0.0.9\n"
                                   "  port                  8443\n"
                                   "  use_ssl               yes\n"
                                   "  ssl_check_cert        yes\n"
                                   "  ssl_cert_hostname     www.lb.test\n"),
                  "%s", out_text);
    ck_assert_ptr_nonnull(strstr(out_text, "  connect_timeout       2000 ms\n"));
}
END_TEST

START_TEST(a_compute_service_without_static_backends_says_so)
{
    replay_add(r, "GET", "/service/C1/details", 200,
               "{\"id\":\"C1\",\"name\":\"edge app\",\"type\":\"wasm\",\"versions\":[{\"number\":1,"
               "\"active\":true,\"locked\":true}],\"version\":{\"number\":1,\"active\":true,"
               "\"locked\":true,\"backends\":[]},\"active_version\":{\"number\":1,"
               "\"active\":true,\"locked\":true}}");
    ck_assert_int_eq(show("--service", "C1", "--json", NULL), FO_EXIT_OK);
    json_t *root = json_loads(out_text, 0, NULL);
    ck_assert_ptr_nonnull(root);
    const char *note = json_string_value(json_array_get(json_object_get(root, "notes"), 0));
    ck_assert_ptr_nonnull(note);
    ck_assert_ptr_nonnull(strstr(note, "dynamic backends"));
    ck_assert_uint_eq(replay_sent_count(r), 1); /* Compute: no VCL, no snippets, no pools */
    json_decref(root);
}
END_TEST

START_TEST(api_errors_exit_1)
{
    replay_load(r, "services_details_with_filters/cleanup.yaml");
    replay_retarget(r, 0, "GET", "/service/DCsx1c14IixEK8PqF0TvqK/details");
    ck_assert_int_eq(show("--service", "DCsx1c14IixEK8PqF0TvqK", NULL), FO_EXIT_ERROR);
    ck_assert_str_eq(err_text, "fixorigin: Fastly API: 400 Bad request: Service "
                               "'DCsx1c14IixEK8PqF0TvqK' is deleted\n");
    ck_assert_str_eq(out_text, "");
    replay_add(r, "GET", "/service/S/details", 200, "{\"id\":\"S\",\"versions\":[]}");
    ck_assert_int_eq(show("--service", "S", NULL), FO_EXIT_ERROR);
    ck_assert_str_eq(err_text, "fixorigin: Fastly API: service S has no version to show\n");
    replay_add(r, "GET", "/service/S/details", 200, "{\"id\":");
    ck_assert_int_eq(show("--service", "S", NULL), FO_EXIT_ERROR);
    ck_assert_ptr_nonnull(strstr(err_text, "fixorigin: Fastly API: malformed service details"));
}
END_TEST

#define LIST_PATH "/service?direction=descend&page=1&per_page=100&sort=created"

/* The service listing: test-service is the recorded details' service; twin is two services;
 * Shop differs from a name asked for only in case. */
static void listing(void)
{
    replay_add(r, "GET", LIST_PATH, 200,
               "[{\"id\":\"FPkmJNp1fH8CnWbdi21Wf3\",\"name\":\"test-service\",\"type\":\"vcl\","
               "\"version\":1},"
               "{\"id\":\"TWIN1\",\"name\":\"twin\",\"type\":\"vcl\",\"version\":1},"
               "{\"id\":\"TWIN2\",\"name\":\"twin\",\"type\":\"vcl\",\"version\":2},"
               "{\"id\":\"SHOP1\",\"name\":\"Shop\",\"type\":\"vcl\",\"version\":3}]");
}

START_TEST(a_service_named_by_its_name)
{
    listing();
    replay_load(r, "services/details.yaml");
    no_origins("FPkmJNp1fH8CnWbdi21Wf3", 1);
    ck_assert_int_eq(show("--service-name", "test-service", NULL), FO_EXIT_OK);
    ck_assert_str_eq(replay_sent_at(r, 0)->path, LIST_PATH);
    ck_assert_str_eq(replay_sent_at(r, 1)->path, "/service/FPkmJNp1fH8CnWbdi21Wf3/details");
    ck_assert_ptr_nonnull(strstr(out_text, "service   FPkmJNp1fH8CnWbdi21Wf3  \"test-service\""));
    ck_assert_str_eq(err_text, "");
}
END_TEST

START_TEST(a_name_that_names_no_service_or_two_is_an_error)
{
    static const struct {
        const char *name;
        const char *says;
    } cases[] = {
        {"twin", "fixorigin: --service-name: 2 services are named 'twin' (TWIN1, TWIN2): pass "
                 "--service ID\n"},
        {"nope", "fixorigin: --service-name: no service is named 'nope' among the 4 the token "
                 "can see\n"},
        {"shop", "fixorigin: --service-name: no service is named 'shop' among the 4 the token "
                 "can see; did you mean 'Shop'? (names are compared exactly)\n"},
        {"t\x1b[2Jx", "fixorigin: --service-name: no service is named 't?[2Jx' among the 4 the "
                      "token can see\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        listing();
        ck_assert_int_eq(show("--service-name", cases[i].name, NULL), FO_EXIT_ERROR);
        ck_assert_str_eq(err_text, cases[i].says);
        ck_assert_str_eq(out_text, "");
    }
    /* --json: the error object */
    listing();
    ck_assert_int_eq(show("--service-name", "twin", "--json", NULL), FO_EXIT_ERROR);
    ck_assert_ptr_nonnull(strstr(out_text, "\"exit_code\": 1"));
    /* The listing failing is the API's error. */
    replay_add(r, "GET", LIST_PATH, 401,
               "{\"msg\":\"Provided credentials are missing or invalid\"}");
    ck_assert_int_eq(show("--service-name", "twin", NULL), FO_EXIT_ERROR);
    ck_assert_ptr_nonnull(strstr(err_text, "401"));
    /* Both ways of naming the service, or an empty name: usage. */
    ck_assert_int_eq(show("--service", "S", "--service-name", "twin", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text,
                     "fixorigin: --service and --service-name both name the service: give one\n");
    ck_assert_int_eq(show("--service-name", "", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text, "fixorigin: --service-name takes a service's name\n");
}
END_TEST

START_TEST(usage_errors_exit_64)
{
    ck_assert_int_eq(show(NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text,
                     "fixorigin: no service: pass --service ID, --service-name NAME or set "
                     "FASTLY_SERVICE_ID\n");
    ck_assert_int_eq(show("--service", "S", "--version", "0", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text, "fixorigin: --version takes a version number, not '0'\n");
    ck_assert_int_eq(show("--service", "S", "--bogus", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text,
                     "fixorigin: unknown option '--bogus' (see 'fixorigin show --help')\n");
    ck_assert_int_eq(show("--service", "S", "extra", NULL), FO_EXIT_USAGE);
    ck_assert_int_eq(show("--service", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text,
                     "fixorigin: --service needs a value (see 'fixorigin show --help')\n");
    ck_assert_int_eq(show("--service", "S", "--token-file", "/nonexistent", NULL), FO_EXIT_USAGE);
    unsetenv("FASTLY_API_TOKEN");
    ck_assert_int_eq(show("--service", "S", NULL), FO_EXIT_USAGE);
    ck_assert_str_eq(err_text, "fixorigin: no Fastly API token: set FASTLY_API_TOKEN (or "
                               "FASTLY_API_KEY), pass --token-file FILE, or log in with the "
                               "Fastly CLI ('fastly auth login')\n");
    setenv("FASTLY_API_TOKEN", REPLAY_TOKEN, 1);
    setenv("FASTLY_API_ENDPOINT", "http://192.0.2.1", 1);
    ck_assert_int_eq(show("--service", "S", NULL), FO_EXIT_USAGE);
    ck_assert_uint_eq(replay_sent_count(r), 0);
    ck_assert_int_eq(show("--help", NULL), FO_EXIT_OK);
    ck_assert_ptr_nonnull(strstr(out_text, "usage: fixorigin show (--service ID"));
}
END_TEST

Suite *api_show_suite(void)
{
    Suite *s = suite_create("api_show");
    TCase *tc = tcase_create("show");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, recorded_details_it_has_not_seen);
    tcase_add_test(tc, recorded_details_as_json);
    tcase_add_test(tc, tls_backend_with_certificates);
    tcase_add_test(tc, text_folds_to_the_width);
    tcase_add_test(tc, a_retry_is_said);
    tcase_add_test(tc, unreadable_ca_cert_is_said_so);
    tcase_add_test(tc, api_errors_exit_1);
    tcase_add_test(tc, origins_in_vcl_snippets_and_pools_are_shown_with_their_source);
    tcase_add_test(tc, a_compute_service_without_static_backends_says_so);
    tcase_add_test(tc, a_service_named_by_its_name);
    tcase_add_test(tc, a_name_that_names_no_service_or_two_is_an_error);
    tcase_add_test(tc, usage_errors_exit_64);
    suite_add_tcase(s, tc);
    return s;
}
