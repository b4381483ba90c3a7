/* Writes: the request for the recorded inputs is the recorded request
 * (method, path, body); bad changes send nothing; a token that cannot write
 * stops everything before a change; and a write whose answer was lost is
 * settled by reading back, never by sending it twice. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "testcert.h"

Suite *api_writes_suite(void);

#define SVC "kKJb5bOFI47uHeBVluGfX1"

static replay *r;
static fo_api *api;
static fo_error err;
static int warnings;

static void count_warnings(void *ctx, fo_log_level level, const char *msg)
{
    (void)ctx;
    (void)msg;
    if (level == FO_LOG_WARN)
        warnings++;
}

static void setup(void)
{
    r = replay_new();
    api = replay_client(r);
    fo_error_clear(&err);
    warnings = 0;
}

static void teardown(void)
{
    fo_api_free(api);
    replay_free(r);
}

static size_t count_sent(const char *method)
{
    size_t n = 0;
    for (size_t i = 0; i < replay_sent_count(r); i++)
        n += strcmp(replay_sent_at(r, i)->method, method) == 0;
    return n;
}

/* The last PUT equals the recorded request it was answered with. */
static void assert_put_as_recorded(void)
{
    const replay_sent *sent = replay_last(r, "PUT");
    ck_assert_ptr_nonnull(sent);
    ck_assert_int_ge(sent->answer, 0);
    const replay_answer *rec = replay_answer_at(r, sent->answer);
    ck_assert_str_eq(sent->method, rec->method);
    ck_assert_str_eq(sent->path, rec->path);
    ck_assert_str_eq(sent->body, rec->request_body);
    if (rec->request_content_type)
        ck_assert_str_eq(sent->content_type, rec->request_content_type);
    else
        ck_assert_ptr_null(sent->content_type);
    ck_assert_str_eq(sent->token, REPLAY_TOKEN);
    ck_assert_str_eq(sent->user_agent, "fixorigin/" FO_VERSION);
}

/* ---- byte for byte ---- */

START_TEST(backend_update_as_go_fastly_sends_it)
{
    /* The inputs of go-fastly's update test, in another order and with
     * booleans spelt otherwise. */
    const fo_backend_change changes[] = {
        {"ssl_sni_hostname", "ssl-hostname-updated.com"},
        {"name", "new-test-backend"},
        {"ssl_check_cert", "false"},
        {"prefer_ipv6", "true"},
        {"port", "1234"},
        {"override_host", "www.example.com"},
        {"max_use", "200"},
        {"max_lifetime", "120000"},
        {"share_key", "sharedkey"},
        {"ssl_ciphers", "HIGH"},
    };
    fo_backend *b = NULL;
    fo_api_stats stats;
    replay_allow_writes(r);
    replay_load(r, "backends/update.yaml");
    ck_assert_int_eq(fo_api_backend_update(api, &b, SVC, 145, "test-backend", changes, 10, &err),
                     0);
    assert_put_as_recorded();
    ck_assert_str_eq(b->name, "new-test-backend");
    ck_assert_int_eq(b->port, 1234);
    ck_assert(!b->ssl_check_cert);
    ck_assert_str_eq(b->ssl_sni_hostname, "ssl-hostname-updated.com");
    ck_assert_str_eq(b->override_host, "www.example.com");
    ck_assert_str_eq(b->ssl_ciphers, "HIGH");
    fo_api_get_stats(api, &stats);
    ck_assert_int_eq(stats.ratelimit_remaining, 9995);
    ck_assert_int_eq(stats.ratelimit_reset, 1778094000);
    ck_assert_uint_eq(stats.requests, 2); /* /tokens/self, the PUT */
    ck_assert_uint_eq(stats.writes, 1);
    fo_backend_free(b);
}
END_TEST

START_TEST(backend_update_clears_with_empty_value)
{
    const fo_backend_change changes[] = {{"port", "0"}, {"override_host", NULL}};
    fo_backend *b = NULL;
    replay_allow_writes(r);
    replay_load(r, "backends/update_allow_empty_values.yaml");
    ck_assert_int_eq(fo_api_backend_update(api, &b, SVC, 145, "new-test-backend", changes, 2, &err),
                     0);
    assert_put_as_recorded();
    ck_assert_str_eq(replay_last(r, "PUT")->body, "override_host=&port=0");
    ck_assert_ptr_null(b->override_host);
    ck_assert_int_eq(b->port, 0);
    fo_backend_free(b);
}
END_TEST

START_TEST(clone_as_go_fastly_sends_it)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_load(r, "versions/list.yaml");
    replay_load(r, "versions/clone.yaml");
    ck_assert_int_eq(fo_api_version_clone(api, &v, SVC, 75, &err), 0);
    assert_put_as_recorded();
    ck_assert_ptr_null(replay_last(r, "PUT")->content_type);
    ck_assert_int_eq(v->number, 76);
    ck_assert(!v->locked && !v->active);
    ck_assert_str_eq(v->comment, "new comment");
    ck_assert_uint_eq(count_sent("PUT"), 1);
    fo_version_free(v);
}
END_TEST

START_TEST(comment_lock_activate_as_go_fastly_sends_them)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_load(r, "versions/update.yaml");
    replay_load(r, "versions/lock.yaml");
    replay_load(r, "versions_activate_deactivate/activate_version.yaml");
    ck_assert_int_eq(fo_api_version_comment(api, &v, SVC, 75, "new comment", &err), 0);
    assert_put_as_recorded();
    ck_assert_str_eq(v->comment, "new comment");
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_lock(api, &v, SVC, 75, &err), 0);
    assert_put_as_recorded();
    ck_assert(v->locked);
    fo_version_free(v);
    ck_assert_int_eq(fo_api_version_activate(api, &v, SVC, 143, &err), 0);
    assert_put_as_recorded();
    ck_assert(v->active);
    fo_version_free(v);
    ck_assert_uint_eq(count_sent("GET"), 1); /* the token, once for the service */
}
END_TEST

START_TEST(vcl_update_sends_content)
{
    fo_custom_vcl *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/S/version/3/vcl/main%20vcl", 200,
               "{\"name\":\"main vcl\",\"content\":\"backend a {}\\n\",\"main\":true}");
    ck_assert_int_eq(fo_api_vcl_update(api, &v, "S", 3, "main vcl", "backend a {}\n", &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->body, "content=backend+a+%7B%7D%0A");
    ck_assert_str_eq(replay_last(r, "PUT")->content_type, "application/x-www-form-urlencoded");
    ck_assert_str_eq(v->content, "backend a {}\n");
    fo_custom_vcl_free(v);
}
END_TEST

/* A backend named ".." once sent its update to the version itself (PUT /service/S/version/2/):
 * each write goes to the record it names, whatever the name. */
START_TEST(dot_names_write_to_their_own_record)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "origin.example.com"}};
    fo_backend *b = NULL;
    fo_custom_vcl *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/%2E%2E/version/2/backend/%2E%2E", 200,
               "{\"name\":\"..\",\"ssl_cert_hostname\":\"origin.example.com\"}");
    replay_add(r, "PUT", "/service/S/version/2/vcl/%2E", 200,
               "{\"name\":\".\",\"content\":\"x\",\"main\":false}");
    replay_add(r, "PUT", "/service/S/version/2/backend/a%2F..%2F%3F%23%20%C3%A9", 200,
               "{\"name\":\"odd\"}");
    ck_assert_int_eq(fo_api_backend_update(api, &b, "..", 2, "..", changes, 1, &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->path, "/service/%2E%2E/version/2/backend/%2E%2E");
    fo_backend_free(b);
    b = NULL;
    ck_assert_int_eq(fo_api_vcl_update(api, &v, "S", 2, ".", "x", &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->path, "/service/S/version/2/vcl/%2E");
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a/../?# \xc3\xa9", changes, 1, &err),
                     0);
    ck_assert_str_eq(replay_last(r, "PUT")->path,
                     "/service/S/version/2/backend/a%2F..%2F%3F%23%20%C3%A9");
    for (size_t i = 0; i < replay_sent_count(r); i++)
        ck_assert_int_ge(replay_sent_at(r, i)->answer, 0);
    fo_backend_free(b);
    fo_custom_vcl_free(v);
}
END_TEST

/* ---- bad changes send nothing ---- */

START_TEST(port_80_or_443_needs_use_ssl)
{
    const fo_backend_change alone[] = {{"port", "443"}};
    const fo_backend_change both[] = {{"port", "443"}, {"use_ssl", "true"}};
    fo_backend *b = NULL;
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", alone, 1, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg,
                     "setting port 443 also changes use_ssl on Fastly: send use_ssl with it");
    ck_assert_uint_eq(replay_sent_count(r), 0);
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/S/version/2/backend/a", 200,
               "{\"name\":\"a\",\"port\":443,\"use_ssl\":true}");
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", both, 2, &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->body, "port=443&use_ssl=1");
    fo_backend_free(b);
}
END_TEST

START_TEST(bad_changes_are_refused_before_sending)
{
    static const struct {
        fo_backend_change changes[2];
        size_t count;
        const char *msg;
    } cases[] = {
        {{{"ssl_cert_hostnme", "x"}}, 1, "'ssl_cert_hostnme' is not a backend field"},
        {{{NULL, "x"}}, 1, "'(null)' is not a backend field"},
        {{{"use_ssl", "yes"}}, 1, "backend field 'use_ssl' takes true or false"},
        {{{"port", "44 3"}}, 1, "backend field 'port' takes a number"},
        {{{"connect_timeout", "-1"}}, 1, "backend field 'connect_timeout' takes a number"},
        {{{"name", ""}}, 1, "a backend's name cannot be cleared"},
        {{{"name", NULL}}, 1, "a backend's name cannot be cleared"},
        {{{"shield", "a"}, {"shield", "b"}}, 2, "backend field 'shield' is changed twice"},
        {{{"port", "80"}},
         1,
         "setting port 80 also changes use_ssl on Fastly: send use_ssl with it"},
        {{{"address", "x"}}, 0, "a backend update needs at least one change"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fo_backend *b = NULL;
        ck_assert_int_eq(
            fo_api_backend_update(api, &b, "S", 2, "a", cases[i].changes, cases[i].count, &err),
            FO_EINVAL);
        ck_assert_str_eq(err.msg, cases[i].msg);
        ck_assert_ptr_null(b);
    }
    ck_assert_uint_eq(replay_sent_count(r), 0);
}
END_TEST

START_TEST(client_key_never_in_messages)
{
    char *key = tc_private_key_pem(), line[100];
    tc_pem_line(line, sizeof(line), key, 1);
    const fo_backend_change changes[] = {{"ssl_client_key", key}, {"use_ssl", "maybe"}};
    fo_backend *b = NULL;
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", changes, 2, &err), FO_EINVAL);
    ck_assert_ptr_null(strstr(err.msg, line));
    ck_assert_ptr_null(strstr(err.msg, "PRIVATE KEY"));
    free(key);
}
END_TEST

/* ---- the token is checked before any write ---- */

START_TEST(read_only_token_changes_nothing)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/tokens/self", 200,
               "{\"name\":\"ro\",\"scope\":\"global:read purge_select\",\"services\":[]}");
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "the Fastly API token has scope 'global:read purge_select': it can "
                              "read but not change services (a 'global' token is needed)");
    ck_assert_uint_eq(count_sent("PUT"), 0);
    ck_assert_uint_eq(replay_sent_count(r), 1);
}
END_TEST

START_TEST(token_limited_to_other_services)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "origin.example.com"}};
    fo_backend *b = NULL;
    replay_load(r, "tokens_self/get_self.yaml"); /* limited to XXXXXXXXXXXXXXXXXXXXXX */
    ck_assert_int_eq(fo_api_backend_update(api, &b, SVC, 2, "a", changes, 1, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "the Fastly API token is limited to other services: it may not "
                              "change service " SVC);
    ck_assert_uint_eq(count_sent("PUT"), 0);
}
END_TEST

START_TEST(token_allowed_for_this_service)
{
    replay_add(r, "GET", "/tokens/self", 200,
               "{\"scopes\":[\"purge_all\",\"global\"],\"services\":[\"A\",\"S\"]}");
    ck_assert_int_eq(fo_api_check_write_access(api, "S", &err), 0);
    /* Remembered: a second check asks nothing. */
    ck_assert_int_eq(fo_api_check_write_access(api, "S", &err), 0);
    ck_assert_uint_eq(replay_sent_count(r), 1);
}
END_TEST

START_TEST(invalid_token_is_an_auth_error)
{
    fo_version *v = NULL;
    replay_add(r, "GET", "/tokens/self", 401,
               "{\"msg\":\"Provided credentials are missing or invalid\"}");
    ck_assert_int_eq(fo_api_version_activate(api, &v, "S", 2, &err), FO_EAUTH);
    ck_assert_str_eq(err.msg, "Fastly API: 401 Provided credentials are missing or invalid");
    ck_assert_int_eq(err.http_status, 401);
    ck_assert_uint_eq(count_sent("PUT"), 0);
}
END_TEST

/* ---- lost answers ---- */

static const char *versions_1_2 =
    "[{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\"},"
    "{\"number\":2,\"active\":false,\"locked\":false,\"comment\":\"old draft\"}]";

START_TEST(lost_clone_finds_the_new_draft)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    replay_add_failure(r, "PUT", "/service/S/version/1/clone", FO_ECONNECT, true);
    /* The clone happened: version 3, a copy of 1 with its comment. An old
     * draft (2) with another comment is not taken for it. */
    replay_add(r, "GET", "/service/S/version", 200,
               "[{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\"},"
               "{\"number\":2,\"active\":false,\"locked\":false,\"comment\":\"old draft\"},"
               "{\"number\":3,\"active\":false,\"locked\":false,\"comment\":\"base\"}]");
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), 0);
    ck_assert_int_eq(v->number, 3);
    ck_assert_str_eq(v->comment, "base");
    ck_assert_uint_eq(count_sent("PUT"), 1);
    fo_version_free(v);
}
END_TEST

START_TEST(lost_clone_that_did_not_happen)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    replay_add_failure(r, "PUT", "/service/S/version/1/clone", FO_ETIMEOUT, true);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), FO_ETIMEOUT);
    ck_assert_str_eq(err.msg, "replay: injected failure for PUT /service/S/version/1/clone; "
                              "reading back shows nothing changed");
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(count_sent("PUT"), 1);
}
END_TEST

START_TEST(lost_clone_with_two_new_drafts_is_a_conflict)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    replay_add(r, "PUT", "/service/S/version/1/clone", 502, "<html>Bad Gateway</html>");
    replay_add(r, "GET", "/service/S/version", 200,
               "[{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\"},"
               "{\"number\":3,\"active\":false,\"locked\":false,\"comment\":\"base\"},"
               "{\"number\":4,\"active\":false,\"locked\":false,\"comment\":\"base\"}]");
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), FO_ECONFLICT);
    ck_assert_str_eq(err.msg, "the clone's answer was lost and 2 new drafts appeared meanwhile: "
                              "someone else is changing service S");
    ck_assert_uint_eq(count_sent("PUT"), 1);
}
END_TEST

START_TEST(lost_clone_and_failed_reread_is_unknown)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    replay_add_failure(r, "PUT", "/service/S/version/1/clone", FO_ECONNECT, true);
    /* Nothing answers the re-read: it is retried, then given up. */
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), FO_EUNKNOWN);
    ck_assert_str_eq(err.msg, "replay: injected failure for PUT /service/S/version/1/clone; "
                              "whether it was made is unknown: reading back failed: replay: "
                              "nothing recorded for GET /service/S/version");
    ck_assert_uint_eq(count_sent("PUT"), 1);
    ck_assert_uint_eq(count_sent("GET"), 2 + 5); /* token, list, and the re-read 5 times */
}
END_TEST

START_TEST(clone_with_known_versions_lists_nothing_first)
{
    fo_version *v = NULL;
    char base[] = "base", old[] = "old draft";
    fo_version known[2] = {{.number = 1, .active = true, .locked = true, .comment = base},
                           {.number = 2, .comment = old}};
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/S/version/1/clone", 200,
               "{\"number\":3,\"active\":false,\"locked\":false,\"comment\":\"base\"}");
    ck_assert_int_eq(fo_api_version_clone_known(api, &v, "S", 1, known, 2, &err), 0);
    ck_assert_int_eq(v->number, 3);
    ck_assert_uint_eq(count_sent("PUT"), 1);
    ck_assert_uint_eq(count_sent("GET"), 1); /* the token check only: no version list */
    fo_version_free(v);
}
END_TEST

START_TEST(lost_clone_with_known_versions_finds_the_draft)
{
    fo_version *v = NULL;
    char base[] = "base";
    fo_version known[2] = {{.number = 1, .active = true, .locked = true, .comment = base},
                           {.number = 2, .comment = base}};
    replay_allow_writes(r);
    replay_add_failure(r, "PUT", "/service/S/version/1/clone", FO_ECONNECT, true);
    /* 2 was there before (it is in the caller's list): only 3 is the clone. */
    replay_add(r, "GET", "/service/S/version", 200,
               "[{\"number\":1,\"active\":true,\"locked\":true,\"comment\":\"base\"},"
               "{\"number\":2,\"active\":false,\"locked\":false,\"comment\":\"base\"},"
               "{\"number\":3,\"active\":false,\"locked\":false,\"comment\":\"base\"}]");
    ck_assert_int_eq(fo_api_version_clone_known(api, &v, "S", 1, known, 2, &err), 0);
    ck_assert_int_eq(v->number, 3);
    ck_assert_uint_eq(count_sent("PUT"), 1);
    fo_version_free(v);
}
END_TEST

START_TEST(write_that_never_left_is_sent_again)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "GET", "/service/S/version", 200, versions_1_2);
    replay_add_failure(r, "PUT", "/service/S/version/1/clone", FO_ECONNECT, false);
    replay_add(r, "PUT", "/service/S/version/1/clone", 200,
               "{\"number\":3,\"active\":false,\"locked\":false,\"comment\":\"base\"}");
    ck_assert_int_eq(fo_api_version_clone(api, &v, "S", 1, &err), 0);
    ck_assert_int_eq(v->number, 3);
    ck_assert_uint_eq(count_sent("PUT"), 2);
    fo_version_free(v);
}
END_TEST

START_TEST(lost_backend_update_read_back)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "origin.example.com"},
                                         {"ssl_check_cert", "1"},
                                         {"ssl_sni_hostname", NULL}};
    fo_backend *b = NULL;
    replay_allow_writes(r);
    /* First: the answer is lost but the change is there. */
    replay_add_failure(r, "PUT", "/service/S/version/2/backend/a", FO_ETIMEOUT, true);
    replay_add(r, "GET", "/service/S/version/2/backend/a", 200,
               "{\"name\":\"a\",\"ssl_cert_hostname\":\"origin.example.com\","
               "\"ssl_check_cert\":true,\"ssl_sni_hostname\":null}");
    /* Second: lost again, and the backend still holds the old values. */
    replay_add(r, "PUT", "/service/S/version/2/backend/a", 503,
               "{\"msg\":\"Service Unavailable\"}");
    replay_add(r, "GET", "/service/S/version/2/backend/a", 200,
               "{\"name\":\"a\",\"ssl_cert_hostname\":null,\"ssl_check_cert\":true,"
               "\"ssl_sni_hostname\":\"\"}");
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", changes, 3, &err), 0);
    ck_assert_str_eq(b->ssl_cert_hostname, "origin.example.com");
    fo_backend_free(b);
    b = NULL;
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", changes, 3, &err), FO_EHTTP);
    ck_assert_str_eq(err.msg,
                     "Fastly API: 503 Service Unavailable; reading back shows nothing changed");
    ck_assert_int_eq(err.http_status, 503);
    ck_assert_ptr_null(b);
    ck_assert_uint_eq(count_sent("PUT"), 2);
}
END_TEST

/* A read-back that cannot be read says nothing either way: the outcome is unknown, never
 * "nothing changed". */
START_TEST(lost_backend_update_unreadable_read_back_is_unknown)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "origin.example.com"}};
    fo_backend *b = NULL;
    replay_allow_writes(r);
    replay_add_failure(r, "PUT", "/service/S/version/2/backend/a", FO_ETIMEOUT, true);
    replay_add(r, "GET", "/service/S/version/2/backend/a", 200, "<html>maintenance</html>");
    ck_assert_int_eq(fo_api_backend_update(api, &b, "S", 2, "a", changes, 1, &err), FO_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(err.msg, "whether it was made is unknown: reading back failed: "
                                          "what was read back is not a JSON object"));
    ck_assert_ptr_null(b);
    ck_assert_uint_eq(count_sent("PUT"), 1);
}
END_TEST

START_TEST(lost_rename_read_back_under_the_new_name)
{
    const fo_backend_change changes[] = {{"name", "b"}};
    fo_backend *out = NULL;
    replay_allow_writes(r);
    replay_add_failure(r, "PUT", "/service/S/version/2/backend/a", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/2/backend/b", 404,
               "{\"msg\":\"Record not found\",\"detail\":\"Couldn't find Backend 'b'\"}");
    ck_assert_int_eq(fo_api_backend_update(api, &out, "S", 2, "a", changes, 1, &err), FO_ECONNECT);
    ck_assert_ptr_nonnull(strstr(err.msg, "reading back shows nothing changed"));
}
END_TEST

START_TEST(lost_activate_read_back)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add_failure(r, "PUT", "/service/S/version/3/activate", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/3", 200,
               "{\"number\":3,\"active\":true,\"locked\":true}");
    replay_add(r, "PUT", "/service/S/version/4/activate", 500, "");
    replay_add(r, "GET", "/service/S/version/4", 200,
               "{\"number\":4,\"active\":false,\"locked\":false}");
    fo_api_free(api);
    api = replay_client_logged(r, count_warnings, NULL);
    ck_assert_int_eq(fo_api_version_activate(api, &v, "S", 3, &err), 0);
    ck_assert(v->active);
    ck_assert_int_ge(warnings, 1);
    fo_version_free(v);
    v = NULL;
    ck_assert_int_eq(fo_api_version_activate(api, &v, "S", 4, &err), FO_EHTTP);
    ck_assert_str_eq(err.msg, "Fastly API: 500 Internal Server Error; reading back shows nothing "
                              "changed");
    ck_assert_uint_eq(count_sent("PUT"), 2);
}
END_TEST

START_TEST(lost_comment_and_vcl_read_back)
{
    fo_version *v = NULL;
    fo_custom_vcl *vcl = NULL;
    replay_allow_writes(r);
    replay_add_failure(r, "PUT", "/service/S/version/3", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/3", 200, "{\"number\":3,\"comment\":\"fixorigin\"}");
    replay_add_failure(r, "PUT", "/service/S/version/3/vcl/main", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/3/vcl/main", 200,
               "{\"name\":\"main\",\"content\":\"old\"}");
    ck_assert_int_eq(fo_api_version_comment(api, &v, "S", 3, "fixorigin", &err), 0);
    ck_assert_str_eq(v->comment, "fixorigin");
    fo_version_free(v);
    ck_assert_int_eq(fo_api_vcl_update(api, &vcl, "S", 3, "main", "new", &err), FO_ECONNECT);
    ck_assert_ptr_nonnull(strstr(err.msg, "reading back shows nothing changed"));
    ck_assert_uint_eq(count_sent("PUT"), 2);
}
END_TEST

START_TEST(unreadable_answer_to_a_write_is_read_back)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/S/version/3/lock", 200, "{\"number\":3,\"lock");
    replay_add(r, "GET", "/service/S/version/3", 200, "{\"number\":3,\"locked\":true}");
    replay_add(r, "PUT", "/service/S/version/4/lock", 200, "[]");
    replay_add(r, "GET", "/service/S/version/4", 200, "{\"number\":4,\"locked\":false}");
    ck_assert_int_eq(fo_api_version_lock(api, &v, "S", 3, &err), 0);
    ck_assert(v->locked);
    fo_version_free(v);
    v = NULL;
    ck_assert_int_eq(fo_api_version_lock(api, &v, "S", 4, &err), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: malformed version: expected a JSON object; reading "
                              "back shows nothing changed");
    ck_assert_uint_eq(count_sent("PUT"), 2);
}
END_TEST

START_TEST(locked_version_is_refused_once)
{
    const fo_backend_change changes[] = {{"ssl_cert_hostname", "x"}};
    fo_backend *b = NULL;
    replay_allow_writes(r);
    int first = replay_load(r, "errors/version_locked_422/cleanup.yaml");
    replay_retarget(r, first + 1, "PUT", "/service/XsjdElScZGjmfCcTwsYRC1/version/56/backend/a");
    ck_assert_int_eq(
        fo_api_backend_update(api, &b, "XsjdElScZGjmfCcTwsYRC1", 56, "a", changes, 1, &err),
        FO_ELOCKED);
    ck_assert_str_eq(err.msg, "Fastly API: 422 Version locked: Version '56' for service "
                              "'XsjdElScZGjmfCcTwsYRC1' is locked");
    ck_assert_int_eq(err.http_status, 422);
    ck_assert_uint_eq(count_sent("PUT"), 1);
    ck_assert_uint_eq(count_sent("GET"), 1); /* only the token: no read-back, no retry */
}
END_TEST

START_TEST(rate_limited_write_waits_for_a_near_reset)
{
    fo_version *v = NULL;
    replay_allow_writes(r);
    replay_set_clock(r, 1000);
    int i =
        replay_add(r, "PUT", "/service/S/version/3/lock", 429, "{\"msg\":\"Rate limit exceeded\"}");
    replay_answer_at(r, i)->ratelimit_remaining = 0;
    replay_answer_at(r, i)->ratelimit_reset = 1030;
    replay_add(r, "PUT", "/service/S/version/3/lock", 200, "{\"number\":3,\"locked\":true}");
    ck_assert_int_eq(fo_api_version_lock(api, &v, "S", 3, &err), 0);
    ck_assert(v->locked);
    ck_assert_uint_eq(count_sent("PUT"), 2);
    ck_assert_int_ge(replay_slept_ms(r), 30000);
    ck_assert_int_le(replay_slept_ms(r), 32000);
    fo_version_free(v);
}
END_TEST

START_TEST(rate_limited_write_with_a_far_reset_fails)
{
    fo_version *v = NULL;
    fo_api_stats stats;
    replay_allow_writes(r);
    replay_set_clock(r, 1700000000);
    int i =
        replay_add(r, "PUT", "/service/S/version/3/lock", 429, "{\"msg\":\"Rate limit exceeded\"}");
    replay_answer_at(r, i)->ratelimit_remaining = 0;
    replay_answer_at(r, i)->ratelimit_reset = 1700003000;
    ck_assert_int_eq(fo_api_version_lock(api, &v, "S", 3, &err), FO_ERATELIMIT);
    ck_assert_str_eq(err.msg, "Fastly API: 429 Rate limit exceeded (write budget spent; it resets "
                              "at 2023-11-14 23:03:20 UTC, in 3000 s)");
    ck_assert_int_eq(replay_slept_ms(r), 0);
    fo_api_get_stats(api, &stats);
    ck_assert_int_eq(stats.ratelimit_remaining, 0);
    ck_assert_int_eq(stats.ratelimit_reset, 1700003000);
}
END_TEST

Suite *api_writes_suite(void)
{
    Suite *s = suite_create("api_writes");
    TCase *tc = tcase_create("as_recorded");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, backend_update_as_go_fastly_sends_it);
    tcase_add_test(tc, backend_update_clears_with_empty_value);
    tcase_add_test(tc, clone_as_go_fastly_sends_it);
    tcase_add_test(tc, comment_lock_activate_as_go_fastly_sends_them);
    tcase_add_test(tc, vcl_update_sends_content);
    tcase_add_test(tc, dot_names_write_to_their_own_record);
    suite_add_tcase(s, tc);
    tc = tcase_create("refused");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, port_80_or_443_needs_use_ssl);
    tcase_add_test(tc, bad_changes_are_refused_before_sending);
    tcase_add_test(tc, client_key_never_in_messages);
    tcase_add_test(tc, read_only_token_changes_nothing);
    tcase_add_test(tc, token_limited_to_other_services);
    tcase_add_test(tc, token_allowed_for_this_service);
    tcase_add_test(tc, invalid_token_is_an_auth_error);
    tcase_add_test(tc, locked_version_is_refused_once);
    suite_add_tcase(s, tc);
    tc = tcase_create("lost");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, lost_clone_finds_the_new_draft);
    tcase_add_test(tc, lost_clone_that_did_not_happen);
    tcase_add_test(tc, lost_clone_with_two_new_drafts_is_a_conflict);
    tcase_add_test(tc, lost_clone_and_failed_reread_is_unknown);
    tcase_add_test(tc, clone_with_known_versions_lists_nothing_first);
    tcase_add_test(tc, lost_clone_with_known_versions_finds_the_draft);
    tcase_add_test(tc, write_that_never_left_is_sent_again);
    tcase_add_test(tc, lost_backend_update_read_back);
    tcase_add_test(tc, lost_backend_update_unreadable_read_back_is_unknown);
    tcase_add_test(tc, lost_rename_read_back_under_the_new_name);
    tcase_add_test(tc, lost_activate_read_back);
    tcase_add_test(tc, lost_comment_and_vcl_read_back);
    tcase_add_test(tc, unreadable_answer_to_a_write_is_read_back);
    tcase_add_test(tc, rate_limited_write_waits_for_a_near_reset);
    tcase_add_test(tc, rate_limited_write_with_a_far_reset_fails);
    suite_add_tcase(s, tc);
    return s;
}
