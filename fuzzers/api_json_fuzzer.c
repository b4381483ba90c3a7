/* Fuzzes the Fastly API's JSON readers (api/model.c): the same bytes go to every parser, as
 * any response may come back from any request when the API (or something in between)
 * answers wrongly. None may crash, leak or read past the body; what a parser accepts must
 * keep the model's promise that a string is NULL or not empty ("" means unset). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "fuzz_util.h"

/* A model string is NULL (null, "" or absent) or holds text. */
static void check_str(const char *s)
{
    if (s && !*s)
        abort();
}

static void check_backend(const fo_backend *b)
{
    const char *strings[] = {
        b->name,         b->address,         b->ssl_cert_hostname, b->ssl_sni_hostname,
        b->ssl_hostname, b->ssl_ca_cert,     b->ssl_client_cert,   b->ssl_client_key,
        b->ssl_ciphers,  b->min_tls_version, b->max_tls_version,   b->override_host,
        b->shield,       b->comment};
    for (size_t i = 0; i < sizeof(strings) / sizeof(*strings); i++)
        check_str(strings[i]);
    if (b->prefer_ipv6 < -1 || b->prefer_ipv6 > 1)
        abort();
}

static void check_service(const fo_service *s)
{
    check_str(s->id);
    check_str(s->name);
    for (size_t i = 0; s->version && i < s->version->backend_count; i++)
        check_backend(&s->version->backends[i]);
    for (size_t i = 0; s->active && i < s->active->backend_count; i++)
        check_backend(&s->active->backends[i]);
}

static void backends(const char *json, size_t len)
{
    fo_error err;
    fo_backend *one = NULL;
    fo_backend_list *list = NULL;
    if (fo_api_parse_backend(&one, json, len, &err) == 0)
        check_backend(one);
    fo_backend_free(one);
    if (fo_api_parse_backend_list(&list, json, len, &err) == 0)
        for (size_t i = 0; i < list->count; i++)
            check_backend(&list->items[i]);
    fo_backend_list_free(list);
    /* What a write's read-back compares: the response against the fields sent. */
    const fo_backend_change changes[] = {
        {"ssl_cert_hostname", "origin.example.com"},
        {"port", "443"},
        {"use_ssl", "1"},
        {"ssl_ca_cert", NULL},
    };
    (void)fo_api_backend_matches(json, len, changes, 4);
}

static void services(const char *json, size_t len)
{
    fo_error err;
    fo_service *details = NULL;
    if (fo_api_parse_service_details(&details, json, len, &err) == 0)
        check_service(details);
    fo_service_free(details);
    /* Two pages into one list, as the listing reads them. */
    fo_service_list *list = calloc(1, sizeof(*list));
    if (list && fo_api_parse_service_page(list, json, len, &err) == 0 &&
        fo_api_parse_service_page(list, json, len, &err) == 0)
        for (size_t i = 0; i < list->count; i++)
            check_service(&list->items[i]);
    fo_service_list_free(list);
}

static void versions(const char *json, size_t len)
{
    fo_error err;
    fo_version *one = NULL;
    fo_version_list *list = NULL;
    if (fo_api_parse_version(&one, json, len, &err) == 0)
        check_str(one->service_id);
    fo_version_free(one);
    if (fo_api_parse_version_list(&list, json, len, &err) == 0)
        for (size_t i = 0; i < list->count; i++)
            check_str(list->items[i].comment);
    fo_version_list_free(list);
}

/* A parser returns 0 and what it read, or an error and nothing. */
static void outcome(int rc, const void *out)
{
    if ((rc == 0) != (out != NULL))
        abort();
}

static void vcl_snippets_pools(const char *json, size_t len)
{
    fo_error err;
    int rc;
    fo_custom_vcl *vcl = NULL;
    fo_custom_vcl_list *vcls = NULL;
    fo_snippet *snippet = NULL;
    fo_snippet_list *snippets = NULL, *snippet_list = NULL;
    fo_pool *pool = NULL;
    fo_pool_list *pools = NULL, *pool_list = NULL;
    fo_pool_server_list *servers = NULL;
    rc = fo_api_parse_vcl(&vcl, json, len, &err);
    outcome(rc, vcl);
    rc = fo_api_parse_vcl_list(&vcls, json, len, &err);
    outcome(rc, vcls);
    rc = fo_api_parse_snippet(&snippet, json, len, &err);
    outcome(rc, snippet);
    rc = fo_api_parse_snippets(&snippets, json, len, false, &err);
    outcome(rc, snippets);
    rc = fo_api_parse_snippets(&snippet_list, json, len, true, &err);
    outcome(rc, snippet_list);
    rc = fo_api_parse_pool(&pool, json, len, &err);
    outcome(rc, pool);
    rc = fo_api_parse_pools(&pools, json, len, false, &err);
    outcome(rc, pools);
    rc = fo_api_parse_pools(&pool_list, json, len, true, &err);
    outcome(rc, pool_list);
    rc = fo_api_parse_pool_servers(&servers, json, len, &err);
    outcome(rc, servers);
    fo_custom_vcl_free(vcl);
    fo_custom_vcl_list_free(vcls);
    fo_snippet_free(snippet);
    fo_snippet_list_free(snippets);
    fo_snippet_list_free(snippet_list);
    fo_pool_free(pool);
    fo_pool_list_free(pools);
    fo_pool_list_free(pool_list);
    fo_pool_server_list_free(servers);
}

static void the_rest(const char *json, size_t len)
{
    fo_error err;
    int rc;
    fo_validation *validation = NULL;
    fo_diff *diff = NULL;
    fo_ip_list *ips = NULL;
    fo_token_info *token = NULL;
    char text[200];
    rc = fo_api_parse_validation(&validation, json, len, &err);
    outcome(rc, validation);
    rc = fo_api_parse_diff(&diff, json, len, &err);
    outcome(rc, diff);
    rc = fo_api_parse_ip_list(&ips, json, len, &err);
    outcome(rc, ips);
    rc = fo_api_parse_token(&token, json, len, &err);
    outcome(rc, token);
    fo_validation_free(validation);
    fo_diff_free(diff);
    fo_ip_list_free(ips);
    fo_token_info_free(token);
    /* An error body's text is cut to the buffer and always terminated. */
    if (fo_api_error_text(text, sizeof(text), json, len) &&
        memchr(text, '\0', sizeof(text)) == NULL)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *json = (const char *)data;
    backends(json, size);
    services(json, size);
    versions(json, size);
    vcl_snippets_pools(json, size);
    the_rest(json, size);
    return 0;
}
