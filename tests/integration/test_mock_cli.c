/* Fidelity: Fastly's official CLI (a client no one here wrote, built on go-fastly) drives
 * fastly-mock through a fix: clone the active version, update the backend's TLS settings
 * with a PEM CA, validate, activate, describe; and a write to the active version is
 * refused with Fastly's 422. The CLI comes from the npm registry through
 * scripts/fastly-cli.sh (cached); when it cannot be installed the test fails, never skips. */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock_harness.h"

Suite *mock_cli_suite(void);

#define SVC "/service/SVC0EXAMPLE"

static mock_proc mock;
static char cli[1024];
static char endpoint[128];
static char env_api[160], env_account[160], env_home[600];
static char output_path[600];

static void teardown(void)
{
    mock_cleanup(&mock);
}

static void install_cli(void)
{
    char out_path[] = "/tmp/fo-mock-cli-install-XXXXXX";
    int fd = mkstemp(out_path);
    ck_assert_int_ge(fd, 0);
    const char *argv[] = {"/bin/sh", FO_SOURCE_DIR "/scripts/fastly-cli.sh", NULL};
    int status = run_command(argv, NULL, out_path, 400);
    char *out = read_file(out_path);
    unlink(out_path);
    ck_assert_msg(status == 0, "the official Fastly CLI could not be installed (exit %d): %s",
                  status, out ? out : "");
    /* The path is the last line (npm may have said something before). */
    char *end = out + strlen(out);
    while (end > out && end[-1] == '\n')
        *--end = '\0';
    char *last = strrchr(out, '\n');
    snprintf(cli, sizeof(cli), "%s", last ? last + 1 : out);
    free(out);
    struct stat st;
    ck_assert_msg(stat(cli, &st) == 0 && (st.st_mode & S_IXUSR), "no CLI binary at '%s'", cli);
}

static void start_with(const char *state)
{
    install_cli();
    mock_start(&mock, state, NULL);
    snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%u", mock.port);
    snprintf(env_api, sizeof(env_api), "FASTLY_API_ENDPOINT=%s", endpoint);
    snprintf(env_account, sizeof(env_account), "FASTLY_ACCOUNT_ENDPOINT=%s", endpoint);
    snprintf(env_home, sizeof(env_home), "HOME=%s", mock_path(&mock, "home"));
    ck_assert_int_eq(mkdir(mock_path(&mock, "home"), 0700), 0);
    snprintf(output_path, sizeof(output_path), "%s", mock_path(&mock, "cli.out"));
}

static void start(void)
{
    start_with(NULL);
}

/* Runs `fastly ARGS... -i` against the mock; returns its exit status, output in *out. */
static int fastly(char **out, const char *const *args)
{
    const char *argv[32] = {cli};
    size_t n = 1;
    for (size_t i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n++] = "-i";
    argv[n] = NULL;
    const char *env[] = {env_api, env_account, "FASTLY_API_TOKEN=" MOCK_TOKEN, env_home, NULL};
    int status = run_command(argv, env, output_path, 120);
    *out = read_file(output_path);
    ck_assert_ptr_nonnull(*out);
    ck_assert_msg(!strstr(*out, MOCK_TOKEN), "the CLI printed the token");
    return status;
}

static void expect_output(const char *const *args, int status, const char *needle)
{
    char *out;
    int got = fastly(&out, args);
    ck_assert_msg(got == status, "fastly %s %s: exit %d, want %d: %s", args[0], args[1], got,
                  status, out);
    ck_assert_msg(strstr(out, needle), "fastly %s %s: '%s' not in: %s", args[0], args[1], needle,
                  out);
    free(out);
}

static char *make_ca_pem(void)
{
    char pem_path[600];
    snprintf(pem_path, sizeof(pem_path), "%s", mock_path(&mock, "ca.pem"));
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
                          "/CN=fidelity-test-ca",
                          "-days",
                          "2",
                          "-out",
                          pem_path,
                          NULL};
    ck_assert_int_eq(run_command(argv, NULL, mock_path(&mock, "openssl.out"), 60), 0);
    char *pem = read_file(pem_path);
    ck_assert_ptr_nonnull(pem);
    return pem;
}

START_TEST(official_cli_applies_a_tls_fix)
{
    start();
    char *pem = make_ca_pem();
    char *ca_flag = malloc(strlen(pem) + 32);
    sprintf(ca_flag, "--ssl-ca-cert=%s", pem);

    expect_output((const char *[]){"service", "version", "clone", "-s", "SVC0EXAMPLE", "--version",
                                   "active", NULL},
                  0, "Cloned service SVC0EXAMPLE version 1 to version 2");
    expect_output((const char *[]){"service", "backend", "update", "-s", "SVC0EXAMPLE", "--version",
                                   "2", "-n", "origin", "--ssl-cert-hostname", "origin.test",
                                   "--ssl-sni-hostname", "origin.test", ca_flag, NULL},
                  0, "Updated backend origin (service SVC0EXAMPLE version 2)");
    expect_output((const char *[]){"service", "version", "validate", "-s", "SVC0EXAMPLE",
                                   "--version", "2", NULL},
                  0, "Service SVC0EXAMPLE version 2 is valid");
    expect_output((const char *[]){"service", "version", "activate", "-s", "SVC0EXAMPLE",
                                   "--version", "2", NULL},
                  0, "Activated service SVC0EXAMPLE version 2");

    char *out;
    ck_assert_int_eq(
        fastly(&out, (const char *[]){"service", "backend", "describe", "-s", "SVC0EXAMPLE",
                                      "--version", "2", "-n", "origin", NULL}),
        0);
    static const char *const lines[] = {"Service Version: 2",
                                        "Name: origin",
                                        "Address: origin.example.com",
                                        "Port: 443",
                                        "Use SSL: true",
                                        "SSL check cert: true",
                                        "SSL cert hostname: origin.test",
                                        "SSL SNI hostname: origin.test",
                                        "SSL CA cert: -----BEGIN CERTIFICATE-----",
                                        "Connect timeout: 1000",
                                        "First byte timeout: 15000",
                                        "Between bytes timeout: 10000"};
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        ck_assert_msg(strstr(out, lines[i]), "describe lacks '%s': %s", lines[i], out);
    free(out);

    /* The state the CLI left behind. */
    json_t *d = api(&mock, "GET", SVC "/details", NULL, 200);
    json_t *active = json_object_get(d, "active_version");
    ck_assert_int_eq(json_integer_value(json_object_get(active, "number")), 2);
    ck_assert(json_is_true(json_object_get(active, "locked")));
    json_t *origin = json_array_get(json_object_get(active, "backends"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(origin, "ssl_ca_cert")), pem);
    ck_assert_str_eq(json_string_value(json_object_get(origin, "ssl_cert_hostname")),
                     "origin.test");
    json_t *v1 = json_array_get(json_object_get(d, "versions"), 0);
    ck_assert(json_is_false(json_object_get(v1, "active")));
    json_decref(d);

    /* What the CLI sent: a form-encoded partial update carrying the PEM. */
    json_t *log = mock_log(&mock);
    bool saw_update = false;
    for (size_t i = 0; i < json_array_size(log); i++) {
        json_t *line = json_array_get(log, i);
        if (strcmp(json_string_value(json_object_get(line, "method")), "PUT") == 0 &&
            strcmp(json_string_value(json_object_get(line, "path")),
                   SVC "/version/2/backend/origin") == 0) {
            const char *body = json_string_value(json_object_get(line, "body"));
            ck_assert_ptr_nonnull(strstr(body, "ssl_ca_cert=-----BEGIN+CERTIFICATE-----%0A"));
            ck_assert_ptr_nonnull(strstr(body, "ssl_cert_hostname=origin.test"));
            ck_assert_str_eq(json_string_value(json_object_get(line, "content_type")),
                             "application/x-www-form-urlencoded");
            saw_update = true;
        }
    }
    ck_assert(saw_update);
    json_decref(log);
    free(ca_flag);
    free(pem);
}
END_TEST

START_TEST(official_cli_sees_fastly_refusals)
{
    start();
    expect_output((const char *[]){"service", "version", "clone", "-s", "SVC0EXAMPLE", "--version",
                                   "active", NULL},
                  0, "to version 2");
    /* A draft that does not compile: validate says why, activate is refused. */
    json_decref(api(&mock, "PUT", SVC "/version/2/backend/origin", "ssl_cert_hostname=", 200));
    expect_output((const char *[]){"service", "version", "validate", "-s", "SVC0EXAMPLE",
                                   "--version", "2", NULL},
                  0, "not valid: Mandatory SSL cert checks require specifying cert hostname");
    expect_output((const char *[]){"service", "version", "activate", "-s", "SVC0EXAMPLE",
                                   "--version", "2", NULL},
                  1, "400 Bad Request");

    /* A write to the active version: the API answers 422 and the CLI shows it. */
    expect_output((const char *[]){"service", "version", "update", "-s", "SVC0EXAMPLE", "--version",
                                   "1", "--comment", "changed", NULL},
                  1,
                  "422 Unprocessable Entity: Version locked (Version '1' for service "
                  "'SVC0EXAMPLE' is locked)");
    json_t *v = api(&mock, "GET", SVC "/version/1", NULL, 200);
    ck_assert_str_eq(json_string_value(json_object_get(v, "comment")), "initial configuration");
    ck_assert(json_is_true(json_object_get(v, "active")));
    json_decref(v);
    v = api(&mock, "GET", SVC "/version/2", NULL, 200);
    ck_assert(json_is_false(json_object_get(v, "active")));
    json_decref(v);

    /* A wrong token: the CLI reports the API's 401. */
    char *out;
    const char *argv[] = {cli, "service", "version", "list", "-s", "SVC0EXAMPLE", "-i", NULL};
    const char *env[] = {env_api, env_account, "FASTLY_API_TOKEN=not-the-token", env_home, NULL};
    ck_assert_int_ne(run_command(argv, env, output_path, 120), 0);
    out = read_file(output_path);
    ck_assert_msg(strstr(out, "Provided credentials are missing or invalid"), "%s", out);
    free(out);
}
END_TEST

/* Writes text to a file in the stand-in's directory for a CLI --content flag; returns
 * "--content=PATH" (static, one at a time). */
static const char *content_flag(const char *name, const char *text)
{
    static char flag[700];
    const char *path = mock_path(&mock, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    snprintf(flag, sizeof(flag), "--content=%s", path);
    return flag;
}

START_TEST(official_cli_edits_custom_vcl_and_snippets)
{
    start_with("{\"services\":[{\"id\":\"SVCV\",\"name\":\"vcl-service\",\"versions\":[{"
               "\"number\":1,\"active\":true,\"locked\":true,"
               "\"vcls\":[{\"name\":\"main\",\"main\":true,\"content\":"
               "\"backend a { .host = \\\"a.test\\\"; .port = \\\"443\\\"; }\\n\"}],"
               "\"snippets\":[{\"name\":\"backends\",\"type\":\"init\",\"content\":"
               "\"backend b { .host = \\\"b.test\\\"; }\\n\"},"
               "{\"name\":\"live\",\"type\":\"recv\",\"dynamic\":true,\"id\":\"DYN1\"}]}],"
               "\"dynamic_snippets\":{\"DYN1\":\"set req.http.x-a = \\\"1\\\";\\n\"}}]}");
    expect_output((const char *[]){"vcl", "custom", "list", "-s", "SVCV", "--version", "1", NULL},
                  0, "main");
    expect_output(
        (const char *[]){"service", "version", "clone", "-s", "SVCV", "--version", "active", NULL},
        0, "Cloned service SVCV version 1 to version 2");
    const char *fixed = "backend a { .host = \"a.test\"; .port = \"443\"; "
                        ".ssl_cert_hostname = \"a.test\"; }\n";
    expect_output((const char *[]){"vcl", "custom", "update", "-s", "SVCV", "--version", "2",
                                   "--name", "main", content_flag("main.vcl", fixed), NULL},
                  0, "main");
    expect_output((const char *[]){"vcl", "custom", "describe", "-s", "SVCV", "--version", "2",
                                   "--name", "main", NULL},
                  0, ".ssl_cert_hostname = \"a.test\";");
    expect_output((const char *[]){"vcl", "snippet", "list", "-s", "SVCV", "--version", "2", NULL},
                  0, "live");
    expect_output((const char *[]){"vcl", "snippet", "update", "-s", "SVCV", "--version", "2",
                                   "--name", "backends",
                                   content_flag("b.vcl", "backend b { .host = \"b2.test\"; }\n"),
                                   NULL},
                  0, "backends");
    expect_output((const char *[]){"vcl", "snippet", "describe", "-s", "SVCV", "--version", "2",
                                   "--name", "backends", NULL},
                  0, "b2.test");
    expect_output((const char *[]){"vcl", "snippet", "describe", "-s", "SVCV", "--version", "2",
                                   "--dynamic", "--snippet-id", "DYN1", NULL},
                  0, "set req.http.x-a");
    expect_output((const char *[]){"vcl", "snippet", "update", "-s", "SVCV", "--version", "2",
                                   "--dynamic", "--snippet-id", "DYN1",
                                   content_flag("d.vcl", "set req.http.x-b = \"2\";\n"), NULL},
                  0, "DYN1");
    expect_output(
        (const char *[]){"service", "version", "validate", "-s", "SVCV", "--version", "2", NULL}, 0,
        "Service SVCV version 2 is valid");
    /* What Fastly's compiler refuses, the stand-in refuses with a message. */
    expect_output((const char *[]){"vcl", "custom", "update", "-s", "SVCV", "--version", "2",
                                   "--name", "main",
                                   content_flag("bad.vcl", "backend a { .host = \"a.test\"; "
                                                           ".port = 443; }\n"),
                                   NULL},
                  0, "main");
    expect_output(
        (const char *[]){"service", "version", "validate", "-s", "SVCV", "--version", "2", NULL}, 0,
        "Service SVCV version 2 is not valid: VCL compilation failed");
    json_t *v = api(&mock, "GET", "/service/SVCV/version/2/validate", NULL, 200);
    ck_assert_str_eq(json_string_value(json_object_get(v, "status")), "error");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_array_get(json_object_get(v, "errors"), 0)),
                                 "Expected a STRING for '.port' in backend a"));
    json_decref(v);

    json_t *d = api(&mock, "GET", "/service/SVCV/snippet/DYN1", NULL, 200);
    ck_assert_str_eq(json_string_value(json_object_get(d, "content")),
                     "set req.http.x-b = \"2\";\n");
    json_decref(d);
    d = api(&mock, "GET", "/service/SVCV/version/1/vcl/main", NULL, 200);
    ck_assert_str_eq(json_string_value(json_object_get(d, "content")),
                     "backend a { .host = \"a.test\"; .port = \"443\"; }\n");
    json_decref(d);
}
END_TEST

START_TEST(official_cli_pages_through_services)
{
    /* 130 services: the CLI asks for 100 a page and must follow the Link header. */
    char *state = malloc(130 * 120 + 32);
    strcpy(state, "{\"services\":[");
    for (int i = 0; i < 130; i++)
        sprintf(state + strlen(state),
                "%s{\"id\":\"SVC%03d\",\"name\":\"service-%03d\",\"versions\":[{\"number\":1,"
                "\"active\":true,\"locked\":true},{\"number\":2}]}",
                i ? "," : "", i, i);
    strcat(state, "]}");
    start_with(state);
    free(state);
    char *out;
    ck_assert_int_eq(fastly(&out, (const char *[]){"service", "list", NULL}), 0);
    size_t lines = 0;
    for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
        lines++;
    ck_assert_uint_eq(lines, 131); /* a header and every service */
    ck_assert_ptr_nonnull(strstr(out, "service-000  SVC000"));
    ck_assert_ptr_nonnull(strstr(out, "service-129  SVC129"));
    free(out);
    json_t *log = mock_log(&mock);
    size_t pages = 0;
    for (size_t i = 0; i < json_array_size(log); i++)
        pages += strcmp(json_string_value(json_object_get(json_array_get(log, i), "path")),
                        "/service") == 0;
    ck_assert_uint_eq(pages, 2);
    json_decref(log);
}
END_TEST

Suite *mock_cli_suite(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("mock_cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 600);
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, official_cli_applies_a_tls_fix);
    tcase_add_test(tc, official_cli_sees_fastly_refusals);
    tcase_add_test(tc, official_cli_pages_through_services);
    tcase_add_test(tc, official_cli_edits_custom_vcl_and_snippets);
    suite_add_tcase(s, tc);
    return s;
}
