/* The check that decides whether a draft goes on: the draft read back as data (service
 * details) against the version it was cloned from. The details here are shaped like the
 * recorded ones (services_details_with_filters/version.yaml for the version, the recorded
 * backend list for a backend item) and read through the real client over the replay
 * transport, so the parse is tested with the comparison. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_replay.h"
#include "remediate_fixture.h"

Suite *remediate_structure_suite(void);

static char why[400];

/* A backend item as the recorded backend list spells one (every key it has). */
#define BACKEND(name, port, cert_hostname, sni)                                                    \
    "{\"address\":\"127.0.0.1\",\"auto_loadbalance\":false,\"between_bytes_timeout\":10000,"       \
    "\"client_cert\":null,\"comment\":\"\",\"connect_timeout\":1000,\"created_at\":"               \
    "\"2026-05-06T18:11:06Z\",\"deleted_at\":null,\"error_threshold\":0,\"first_byte_timeout\":"   \
    "15000,\"healthcheck\":null,\"hostname\":\"127.0.0.1\",\"ipv4\":null,\"ipv6\":null,"           \
    "\"keepalive_time\":null,\"max_conn\":200,\"max_lifetime\":60000,\"max_tls_version\":null,"    \
    "\"max_use\":100,\"min_tls_version\":null,\"name\":\"" name "\",\"override_host\":null,"       \
    "\"port\":" port ",\"prefer_ipv6\":false,\"request_condition\":\"\",\"service_id\":\"SVC\","   \
    "\"share_key\":null,\"shield\":null,\"ssl_ca_cert\":null,\"ssl_cert_hostname\":" cert_hostname \
    ",\"ssl_check_cert\":true,\"ssl_ciphers\":null,\"ssl_client_cert\":null,"                      \
    "\"ssl_client_key\":null,\"ssl_hostname\":null,\"ssl_sni_hostname\":" sni ","                  \
    "\"tcp_keepalive_enable\":null,\"use_ssl\":true,\"version\":1,\"weight\":100}"

/* Version 1 of service SVC as details returns it. */
static const char base_version[] =
    "{\"updated_at\":\"2026-05-06T18:10:59Z\",\"locked\":true,\"number\":1,\"staging\":false,"
    "\"deployed\":true,\"environments\":[],\"created_at\":\"2026-05-06T18:10:59Z\","
    "\"testing\":false,\"service_id\":\"SVC\",\"comment\":\"base\",\"active\":true,"
    "\"deleted_at\":null,\"acls\":[],"
    "\"backends\":[" BACKEND(
        "origin", "443", "\"www.origin.test\"",
        "\"www.origin.test\"") "," BACKEND("api", "443", "\"api.origin.test\"",
                                           "null") "],"
                                                   "\"cache_settings\":[],\"conditions\":[],"
                                                   "\"dictionaries\":[],\"directors\":[],"
                                                   "\"domains\":[{\"comment\":\"\",\"created_at\":"
                                                   "\"2026-05-06T18:10:59Z\","
                                                   "\"deleted_at\":null,\"name\":\"www.shop.test\","
                                                   "\"service_id\":\"SVC\","
                                                   "\"updated_at\":\"2026-05-06T18:10:59Z\","
                                                   "\"version\":1}],"
                                                   "\"gzips\":[],\"headers\":[],\"healthchecks\":[]"
                                                   ",\"request_settings\":[],"
                                                   "\"response_objects\":[],\"snippets\":[],"
                                                   "\"vcls\":[{\"content\":\"sub vcl_recv "
                                                   "{\\n}\\n\",\"main\":true,\"name\":"
                                                   "\"main\",\"service_id\":\"SVC\",\"version\":1}]"
                                                   ","
                                                   "\"wordpress\":[],\"settings\":{\"general."
                                                   "default_host\":\"\","
                                                   "\"general.stale_if_error\":false,\"general."
                                                   "default_ttl\":3600,"
                                                   "\"general.stale_if_error_ttl\":43200,\"general."
                                                   "default_pci\":0}}";

/* The clone as Fastly makes it: number 2, unlocked, inactive, its own times, every item
 * numbered 2, and fixorigin's comment. */
static json_t *cloned(void)
{
    json_t *v = json_loads(base_version, 0, NULL);
    ck_assert_ptr_nonnull(v);
    json_object_set_new(v, "number", json_integer(2));
    json_object_set_new(v, "locked", json_false());
    json_object_set_new(v, "active", json_false());
    json_object_set_new(v, "deployed", json_false());
    json_object_set_new(v, "comment", json_string("fixorigin: origin: ... (run 1)"));
    json_object_set_new(v, "created_at", json_string("2026-12-03T10:00:00Z"));
    json_object_set_new(v, "updated_at", json_string("2026-12-03T10:00:01Z"));
    const char *key;
    json_t *section;
    json_object_foreach(v, key, section)
    {
        size_t i;
        json_t *item;
        if (!json_is_array(section))
            continue;
        json_array_foreach(section, i, item)
        {
            if (!json_is_object(item))
                continue;
            json_object_set_new(item, "version", json_integer(2));
            json_object_set_new(item, "created_at", json_string("2026-12-03T10:00:00Z"));
            json_object_set_new(item, "updated_at", json_string("2026-12-03T10:00:01Z"));
        }
    }
    return v;
}

static json_t *item_named(json_t *version, const char *section, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(version, section), i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0)
            return item;
    }
    ck_abort_msg("no %s '%s'", section, name);
    return NULL;
}

/* The version object read through the client: details?version=N answered with it. */
static fo_version_config *read_config(const json_t *version)
{
    replay *r = replay_new();
    fo_api *api = replay_client(r);
    long number = (long)json_integer_value(json_object_get(version, "number"));
    json_t *details = json_pack("{s:s,s:s,s:s,s:[],s:O,s:n}", "id", "SVC", "name", "shop", "type",
                                "vcl", "versions", "version", version, "active_version");
    char *body = json_dumps(details, JSON_COMPACT);
    char path[64];
    snprintf(path, sizeof(path), "/service/SVC/details?version=%ld", number);
    replay_add(r, "GET", path, 200, body);
    fo_service *svc = NULL;
    fo_error err;
    ck_assert_msg(fo_api_service_details(api, &svc, "SVC", number, &err) == 0, "%s", err.msg);
    fo_version_config *config = svc->version;
    svc->version = NULL;
    fo_service_free(svc);
    free(body);
    json_decref(details);
    fo_api_free(api);
    replay_free(r);
    return config;
}

/* The plan: origin's ssl_cert_hostname changes to other.origin.test (and what more adds). */
static fo_plan *plan_for(void (*more)(fo_fix *fix))
{
    json_t *base = json_loads(base_version, 0, NULL);
    fo_version_config *before = read_config(base);
    json_decref(base);
    fo_backend *backends[2] = {NULL, NULL};
    fo_fix fixes[2] = {{0}, {0}};
    for (size_t i = 0; i < 2; i++) {
        fo_backend *copy = calloc(1, sizeof(*copy));
        const fo_backend *b = &before->backends[i];
        *copy = *b;
        char **strings[] = {&copy->name,
                            &copy->address,
                            &copy->ssl_cert_hostname,
                            &copy->ssl_sni_hostname,
                            &copy->ssl_hostname,
                            &copy->ssl_ca_cert,
                            &copy->ssl_client_cert,
                            &copy->ssl_client_key,
                            &copy->ssl_ciphers,
                            &copy->min_tls_version,
                            &copy->max_tls_version,
                            &copy->override_host,
                            &copy->shield,
                            &copy->comment};
        for (size_t k = 0; k < sizeof(strings) / sizeof(strings[0]); k++)
            *strings[k] = *strings[k] ? strdup(*strings[k]) : NULL;
        backends[i] = copy;
    }
    rt_fix_add(&fixes[0], "ssl_cert_hostname", "www.origin.test", "other.origin.test");
    if (more)
        more(&fixes[0]);
    fo_plan *plan = rt_plan(backends, fixes, 2);
    plan->planned_from = before;
    return plan;
}

/* Whether the draft (the clone with the planned change, then changed by edit) matches. */
static bool draft_matches(fo_plan *plan, void (*edit)(json_t *draft))
{
    json_t *draft = cloned();
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_cert_hostname",
                        json_string("other.origin.test"));
    if (edit)
        edit(draft);
    fo_version_config *config = read_config(draft);
    json_decref(draft);
    why[0] = '\0';
    bool ok = fo_remediate_draft_matches(plan, config, why, sizeof(why));
    fo_version_config_free(config);
    return ok;
}

START_TEST(exactly_the_planned_change_matches)
{
    fo_plan *plan = plan_for(NULL);
    ck_assert_msg(draft_matches(plan, NULL), "%s", why);
    fo_plan_free(plan);
}
END_TEST

static void clear_sni(fo_fix *fix)
{
    rt_fix_add(fix, "ssl_sni_hostname", "www.origin.test", NULL);
}

static void sni_cleared_as_null(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_sni_hostname", json_null());
}

static void sni_cleared_as_empty(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_sni_hostname",
                        json_string(""));
}

START_TEST(clearing_a_field_matches_however_fastly_spells_unset)
{
    fo_plan *plan = plan_for(clear_sni);
    ck_assert_msg(draft_matches(plan, sni_cleared_as_null), "%s", why);
    ck_assert_msg(draft_matches(plan, sni_cleared_as_empty), "%s", why);
    /* Not cleared: the planned change did not take. */
    ck_assert(!draft_matches(plan, NULL));
    ck_assert_str_eq(why, "backends 'origin' ssl_sni_hostname reads back as \"www.origin.test\", "
                          "the plan says (unset)");
    fo_plan_free(plan);
}
END_TEST

static void add_ca(fo_fix *fix)
{
    rt_fix_add(fix, "ssl_ca_cert", NULL, rt_pki_get()->intermediate_pem);
}

static void ca_with_crlf(json_t *draft)
{
    const char *pem = rt_pki_get()->intermediate_pem;
    size_t n = strlen(pem);
    char *crlf = calloc(2 * n + 1, 1);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (pem[i] == '\n')
            crlf[j++] = '\r';
        crlf[j++] = pem[i];
    }
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_ca_cert", json_string(crlf));
    free(crlf);
}

static void ca_other(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_ca_cert",
                        json_string(rt_pki_get()->root_pem));
}

START_TEST(a_pem_change_matches_by_certificate)
{
    fo_plan *plan = plan_for(add_ca);
    ck_assert_msg(draft_matches(plan, ca_with_crlf), "%s", why);
    ck_assert(!draft_matches(plan, ca_other));
    ck_assert_str_eq(why, "backends 'origin' ssl_ca_cert holds other certificates than planned");
    ck_assert_ptr_null(strstr(why, "BEGIN"));
    fo_plan_free(plan);
}
END_TEST

static void port_changed(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "origin"), "port", json_integer(8443));
}

static void other_backend_changed(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "api"), "ssl_cert_hostname",
                        json_string("evil.test"));
}

static void unknown_field_changed(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "api"), "weight", json_integer(1));
}

static void field_added(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "api"), "keepalive_pool",
                        json_string("shared"));
}

static void backend_added(json_t *draft)
{
    json_t *copy = json_deep_copy(item_named(draft, "backends", "api"));
    json_object_set_new(copy, "name", json_string("Host 1: new"));
    json_array_append_new(json_object_get(draft, "backends"), copy);
}

static void backend_removed(json_t *draft)
{
    json_array_remove(json_object_get(draft, "backends"), 1);
}

static void domain_changed(json_t *draft)
{
    json_object_set_new(item_named(draft, "domains", "www.shop.test"), "name",
                        json_string("evil.test"));
}

static void vcl_changed(json_t *draft)
{
    json_object_set_new(item_named(draft, "vcls", "main"), "content",
                        json_string("sub vcl_recv { set req.backend = F_evil; }\n"));
}

static void setting_changed(json_t *draft)
{
    json_object_set_new(json_object_get(draft, "settings"), "general.default_ttl", json_integer(0));
}

static void snippet_added(json_t *draft)
{
    json_array_append_new(json_object_get(draft, "snippets"),
                          json_pack("{s:s,s:s,s:s}", "name", "init", "type", "init", "content",
                                    "backend F_x { .host = \"evil.test\"; }"));
}

static void section_added(json_t *draft)
{
    json_object_set_new(draft, "rate_limiters", json_pack("[{s:i}]", "rps", 10));
}

static void version_field_changed(json_t *draft)
{
    json_object_set_new(draft, "service_id", json_string("OTHER"));
}

START_TEST(an_unplanned_difference_is_named)
{
    fo_plan *plan = plan_for(NULL);
    static const struct {
        void (*edit)(json_t *);
        const char *why;
    } cases[] = {
        {port_changed, "backends 'origin' port is \"8443\", was \"443\""},
        {other_backend_changed, "backends 'api' ssl_cert_hostname is \"evil.test\", was "
                                "\"api.origin.test\""},
        {unknown_field_changed, "backends 'api' weight changed"},
        {field_added, "backends 'api' keepalive_pool changed"},
        {backend_added, "backends 'Host 1: new' was added"},
        {backend_removed, "backends 'api' is gone"},
        {domain_changed, "domains 'www.shop.test' is gone"},
        {vcl_changed, "vcls 'main' content changed"},
        {setting_changed, "settings general.default_ttl changed"},
        {snippet_added, "snippets 'init' was added"},
        {section_added, "rate_limiters #1 was added"},
        {version_field_changed, "the version's service_id changed"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_msg(!draft_matches(plan, cases[i].edit), "case %zu matched", i);
        ck_assert_str_eq(why, cases[i].why);
    }
    fo_plan_free(plan);
}
END_TEST

static void spelt_otherwise(json_t *draft)
{
    json_t *api = item_named(draft, "backends", "api");
    json_object_set_new(api, "port", json_string("443"));
    json_object_set_new(api, "use_ssl", json_integer(1));
    json_object_set_new(api, "comment", json_null());
    json_object_del(api, "keepalive_time"); /* null before: absent is unset too */
}

START_TEST(fastly_spellings_of_one_value_match)
{
    fo_plan *plan = plan_for(NULL);
    ck_assert_msg(draft_matches(plan, spelt_otherwise), "%s", why);
    fo_plan_free(plan);
}
END_TEST

static void planned_change_missing(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "origin"), "ssl_cert_hostname",
                        json_string("www.origin.test"));
}

static void control_characters(json_t *draft)
{
    json_object_set_new(item_named(draft, "backends", "api"), "override_host",
                        json_string("evil\x1b[31m.test"));
}

START_TEST(the_planned_change_must_be_there_and_names_are_clean)
{
    fo_plan *plan = plan_for(NULL);
    ck_assert(!draft_matches(plan, planned_change_missing));
    ck_assert_str_eq(why, "backends 'origin' ssl_cert_hostname reads back as \"www.origin.test\", "
                          "the plan says \"other.origin.test\"");
    ck_assert(!draft_matches(plan, control_characters));
    ck_assert_str_eq(why, "backends 'api' override_host is \"evil?[31m.test\", was (unset)");
    fo_plan_free(plan);
}
END_TEST

START_TEST(nothing_to_compare_with_does_not_match)
{
    fo_plan *plan = plan_for(NULL);
    fo_version_config_free(plan->planned_from);
    plan->planned_from = NULL;
    ck_assert(!draft_matches(plan, NULL));
    ck_assert_str_eq(why, "the version planned against holds no configuration to compare");
    fo_plan_free(plan);
}
END_TEST

/* What h13's sections will plan: a change allowed by (section, item, field). */
START_TEST(a_planned_field_of_any_section_is_allowed)
{
    json_t *base = json_loads(base_version, 0, NULL);
    fo_version_config *before = read_config(base);
    json_decref(base);
    json_t *draft = cloned();
    vcl_changed(draft);
    fo_version_config *after = read_config(draft);
    json_decref(draft);
    const fo_planned_field vcl = {"vcls", "main", "content"};
    const fo_planned_field other = {"vcls", "other", "content"};
    ck_assert_msg(fo_remediate_config_matches(before, after, &vcl, 1, why, sizeof(why)), "%s", why);
    ck_assert(!fo_remediate_config_matches(before, after, &other, 1, why, sizeof(why)));
    ck_assert_str_eq(why, "vcls 'main' content changed");
    fo_version_config_free(before);
    fo_version_config_free(after);
}
END_TEST

Suite *remediate_structure_suite(void)
{
    Suite *s = suite_create("remediate_structure");
    TCase *tc = tcase_create("structure");
    tcase_add_test(tc, exactly_the_planned_change_matches);
    tcase_add_test(tc, clearing_a_field_matches_however_fastly_spells_unset);
    tcase_add_test(tc, a_pem_change_matches_by_certificate);
    tcase_add_test(tc, an_unplanned_difference_is_named);
    tcase_add_test(tc, fastly_spellings_of_one_value_match);
    tcase_add_test(tc, the_planned_change_must_be_there_and_names_are_clean);
    tcase_add_test(tc, nothing_to_compare_with_does_not_match);
    tcase_add_test(tc, a_planned_field_of_any_section_is_allowed);
    suite_add_tcase(s, tc);
    return s;
}
