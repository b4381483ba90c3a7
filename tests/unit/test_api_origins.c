/* The API client's reads and writes of snippets and pools: shapes parsed tolerantly (strings
 * for numbers, "0"/"1" booleans, a dynamic snippet's content null in the versioned list, the
 * versionless answer's snippet_id) and writes sent as go-fastly sends them. No sockets. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "fixorigin/api.h"

Suite *api_origins_suite(void);

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

START_TEST(snippets_in_every_spelling)
{
    replay_add(r, "GET", "/service/S/version/4/snippet", 200,
               "[{\"id\":\"A1\",\"name\":\"backends\",\"type\":\"init\",\"content\":\"backend b "
               "{ }\",\"dynamic\":\"0\",\"priority\":\"100\",\"version\":\"4\"},"
               "{\"id\":\"D1\",\"name\":\"live\",\"type\":\"recv\",\"content\":null,"
               "\"dynamic\":\"1\",\"priority\":50}]");
    fo_snippet_list *l = NULL;
    ck_assert_int_eq(fo_api_snippet_list(api, &l, "S", 4, &err), 0);
    ck_assert_uint_eq(l->count, 2);
    ck_assert_str_eq(l->items[0].content, "backend b { }");
    ck_assert(!l->items[0].dynamic);
    ck_assert_int_eq(l->items[0].priority, 100);
    ck_assert(l->items[1].dynamic);
    ck_assert_ptr_null(l->items[1].content); /* not shown here, not empty */
    ck_assert_str_eq(l->items[1].id, "D1");
    fo_snippet_list_free(l);

    /* The versionless answer names the id snippet_id. */
    replay_add(r, "GET", "/service/S/snippet/D1", 200,
               "{\"service_id\":\"S\",\"snippet_id\":\"D1\",\"content\":\"set x = 1;\"}");
    fo_snippet *s = NULL;
    ck_assert_msg(fo_api_dynamic_snippet_get(api, &s, "S", "D1", &err) == 0, "%s", err.msg);
    ck_assert_str_eq(s->id, "D1");
    ck_assert_str_eq(s->content, "set x = 1;");
    fo_snippet_free(s);

    /* A content that is neither a string nor null is a malformed answer. */
    replay_add(r, "GET", "/service/S/version/4/snippet", 200, "[{\"name\":\"x\",\"content\":5}]");
    ck_assert_int_eq(fo_api_snippet_list(api, &l, "S", 4, &err), FO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "content"));
}
END_TEST

START_TEST(pools_and_servers_in_every_spelling)
{
    replay_add(r, "GET", "/service/S/version/4/pool", 200,
               "[{\"id\":\"P\",\"name\":\"lb\",\"use_tls\":\"1\",\"tls_check_cert\":\"0\","
               "\"tls_cert_hostname\":\"\",\"tls_sni_hostname\":null,\"min_tls_version\":\"1.2\","
               "\"connect_timeout\":\"2000\",\"tls_client_key\":\"secret-key-text\"}]");
    fo_pool_list *l = NULL;
    ck_assert_int_eq(fo_api_pool_list(api, &l, "S", 4, &err), 0);
    ck_assert_uint_eq(l->count, 1);
    ck_assert(l->items[0].use_tls);
    ck_assert(!l->items[0].tls_check_cert);
    ck_assert_ptr_null(l->items[0].tls_cert_hostname); /* "" is unset */
    ck_assert_ptr_null(l->items[0].tls_sni_hostname);
    ck_assert_int_eq(l->items[0].connect_timeout, 2000);
    ck_assert_int_eq(l->items[0].first_byte_timeout, -1);
    fo_pool_list_free(l);
    replay_add(r, "GET", "/service/S/pool/P/servers", 200,
               "[{\"id\":\"X\",\"address\":\"10.0.0.1\",\"port\":\"443\",\"disabled\":\"0\"},"
               "{\"id\":\"Y\",\"address\":\"10.0.0.2\",\"port\":8443}]");
    fo_pool_server_list *servers = NULL;
    ck_assert_int_eq(fo_api_pool_server_list(api, &servers, "S", "P", &err), 0);
    ck_assert_uint_eq(servers->count, 2);
    ck_assert_int_eq(servers->items[0].port, 443);
    ck_assert_int_eq(servers->items[1].port, 8443);
    fo_pool_server_list_free(servers);
}
END_TEST

START_TEST(writes_as_go_fastly_sends_them)
{
    replay_allow_writes(r);
    replay_add(r, "PUT", "/service/S/version/5/snippet/backends", 200,
               "{\"name\":\"backends\",\"content\":\"backend b { .host = \\\"b\\\"; }\"}");
    fo_snippet *s = NULL;
    ck_assert_int_eq(
        fo_api_snippet_update(api, &s, "S", 5, "backends", "backend b { .host = \"b\"; }", &err),
        0);
    ck_assert_str_eq(replay_last(r, "PUT")->body, "content=backend+b+%7B+.host+%3D+%22b%22%3B+%7D");
    fo_snippet_free(s);

    replay_add(r, "PUT", "/service/S/snippet/D%201", 200,
               "{\"snippet_id\":\"D 1\",\"content\":\"x\"}");
    ck_assert_int_eq(fo_api_dynamic_snippet_update(api, &s, "S", "D 1", "x", &err), 0);
    fo_snippet_free(s);

    replay_add(r, "PUT", "/service/S/version/5/pool/lb", 200,
               "{\"name\":\"lb\",\"use_tls\":\"1\",\"tls_sni_hostname\":\"www.x.test\"}");
    const fo_backend_change changes[] = {{"use_tls", "true"}, {"tls_sni_hostname", "www.x.test"}};
    fo_pool *p = NULL;
    ck_assert_int_eq(fo_api_pool_update(api, &p, "S", 5, "lb", changes, 2, &err), 0);
    ck_assert_str_eq(replay_last(r, "PUT")->body, "tls_sni_hostname=www.x.test&use_tls=1");
    ck_assert_str_eq(p->tls_sni_hostname, "www.x.test");
    fo_pool_free(p);

    /* What is not a pool field fixorigin writes is refused before anything is sent. */
    const fo_backend_change bad[] = {{"address", "10.0.0.9"}};
    size_t sent = replay_sent_count(r);
    ck_assert_int_eq(fo_api_pool_update(api, &p, "S", 5, "lb", bad, 1, &err), FO_EINVAL);
    ck_assert_uint_eq(replay_sent_count(r), sent);
    ck_assert_int_eq(fo_api_snippet_update(api, &s, "S", 0, "backends", "x", &err), FO_EINVAL);
}
END_TEST

/* A snippet or pool write whose answer is lost or unreadable is settled by reading the same
 * path back, never sent again: the change there (0, the object read back), not there (the
 * write's error, "nothing changed"), or unreadable (FO_EUNKNOWN). */
START_TEST(lost_snippet_and_pool_writes_are_read_back)
{
    replay_allow_writes(r);
    fo_snippet *s = NULL;
    replay_add_failure(r, "PUT", "/service/S/version/5/snippet/backends", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/5/snippet/backends", 200,
               "{\"name\":\"backends\",\"content\":\"new\"}");
    ck_assert_int_eq(fo_api_snippet_update(api, &s, "S", 5, "backends", "new", &err), 0);
    ck_assert_str_eq(s->content, "new");
    fo_snippet_free(s);
    s = NULL;

    replay_add(r, "PUT", "/service/S/snippet/D1", 200, "{\"snippet_id\":");
    replay_add(r, "GET", "/service/S/snippet/D1", 200,
               "{\"snippet_id\":\"D1\",\"content\":\"old\"}");
    ck_assert_int_eq(fo_api_dynamic_snippet_update(api, &s, "S", "D1", "new", &err), FO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "reading back shows nothing changed"));
    ck_assert_ptr_null(s);

    const fo_backend_change changes[] = {{"tls_sni_hostname", "www.x.test"}};
    fo_pool *p = NULL;
    replay_add_failure(r, "PUT", "/service/S/version/5/pool/lb", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/5/pool/lb", 200,
               "{\"name\":\"lb\",\"tls_sni_hostname\":\"www.x.test\"}");
    ck_assert_int_eq(fo_api_pool_update(api, &p, "S", 5, "lb", changes, 1, &err), 0);
    ck_assert_str_eq(p->tls_sni_hostname, "www.x.test");
    fo_pool_free(p);
    p = NULL;

    replay_add_failure(r, "PUT", "/service/S/version/6/pool/lb", FO_ECONNECT, true);
    replay_add(r, "GET", "/service/S/version/6/pool/lb", 404, "{\"msg\":\"Record not found\"}");
    ck_assert_int_eq(fo_api_pool_update(api, &p, "S", 6, "lb", changes, 1, &err), FO_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(err.msg, "whether it was made is unknown"));
    ck_assert_ptr_null(p);
    size_t puts = 0;
    for (size_t i = 0; i < replay_sent_count(r); i++)
        puts += strcmp(replay_sent_at(r, i)->method, "PUT") == 0;
    ck_assert_uint_eq(puts, 4); /* each write once */
}
END_TEST

Suite *api_origins_suite(void)
{
    Suite *s = suite_create("api_origins");
    TCase *tc = tcase_create("origins");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, snippets_in_every_spelling);
    tcase_add_test(tc, pools_and_servers_in_every_spelling);
    tcase_add_test(tc, writes_as_go_fastly_sends_them);
    tcase_add_test(tc, lost_snippet_and_pool_writes_are_read_back);
    suite_add_tcase(s, tc);
    return s;
}
