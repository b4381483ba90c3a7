/* The read endpoints: one function each, GET and parse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"

int fo_api_service_details(fo_api *api, fo_service **out, const char *service_id, long version,
                           fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version ? version : 1, NULL, err);
    if (rc == 0 && version)
        rc = fo_api_get(api, &resp, err, "/service/%s/details?version=%ld", service_id, version);
    else if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/details", service_id);
    if (rc == 0)
        rc = fo_api_parse_service_details(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

/* RFC 8288 Link: `<url>; rel="next", <url>; rel="last"`. Only whether a next
 * page exists is taken from it: the client builds the next URL itself so the
 * token never follows a link to somewhere else. */
static bool has_next_page(const char *link)
{
    for (const char *p = link; p && *p; p++) {
        if (strncasecmp(p, "rel=\"next\"", 10) == 0 || strncasecmp(p, "rel=next", 8) == 0)
            return true;
    }
    return false;
}

/* The services already listed, by id: indices into the list (+1; 0 is empty), open
 * addressing, so a listing of 100000 services checks each new one in constant time. */
typedef struct id_set {
    size_t *slots;
    size_t size; /* a power of two */
    size_t used;
} id_set;

static size_t id_hash(const char *id)
{
    size_t h = 1469598103934665603u;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return h;
}

/* Whether list->items[index]'s id was listed before; adds it when not. FO_ENOMEM. */
static int id_set_add(id_set *set, const fo_service_list *list, size_t index, bool *out_seen)
{
    const char *id = list->items[index].id;
    *out_seen = false;
    if (!id)
        return 0;
    if (2 * (set->used + 1) > set->size) {
        size_t size = set->size ? set->size * 2 : 256;
        size_t *slots = calloc(size, sizeof(*slots));
        if (!slots)
            return FO_ENOMEM;
        for (size_t i = 0; i < set->size; i++) {
            if (!set->slots[i])
                continue;
            size_t j = id_hash(list->items[set->slots[i] - 1].id) & (size - 1);
            while (slots[j])
                j = (j + 1) & (size - 1);
            slots[j] = set->slots[i];
        }
        free(set->slots);
        set->slots = slots;
        set->size = size;
    }
    size_t j = id_hash(id) & (set->size - 1);
    for (; set->slots[j]; j = (j + 1) & (set->size - 1)) {
        if (strcmp(list->items[set->slots[j] - 1].id, id) == 0) {
            *out_seen = true;
            return 0;
        }
    }
    set->slots[j] = index + 1;
    set->used++;
    return 0;
}

/* Keeps the services of the page just appended (from `first` on) that were not listed
 * before; *out_new is how many. A service created while we list shifts the pages by one,
 * so one repeat is normal; a page with nothing new is the server repeating itself. */
static int keep_new_services(fo_service_list *list, id_set *set, size_t first, size_t *out_new)
{
    size_t kept = first;
    for (size_t i = first; i < list->count; i++) {
        if (kept != i)
            list->items[kept] = list->items[i];
        bool seen = false;
        if (id_set_add(set, list, kept, &seen) != 0) {
            for (size_t k = kept; k < list->count; k++)
                if (k == kept || k > i)
                    fo_api_service_clear(&list->items[k]);
            list->count = kept;
            return FO_ENOMEM;
        }
        if (seen)
            fo_api_service_clear(&list->items[kept]);
        else
            kept++;
    }
    *out_new = kept - first;
    list->count = kept;
    return 0;
}

int fo_api_service_list(fo_api *api, fo_service_list **out, fo_error *err)
{
    int rc = 0;
    fo_api_response resp = {0};
    id_set ids = {0};
    const double start = fo_now_ms();
    const long max_pages = api->cfg.list_max_pages;
    const size_t max_items = api->cfg.list_max_items;
    fo_service_list *list = calloc(1, sizeof(*list));
    if (!list)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (long page = 1;; page++) {
        if (page > max_pages) {
            rc = fo_error_set(err, FO_EPROTO,
                              "Fastly API: the service listing goes on past %ld pages "
                              "(FIXORIGIN_API_MAX_PAGES)",
                              max_pages);
            goto out;
        }
        if (fo_now_ms() - start > (double)api->cfg.list_deadline_ms) {
            rc = fo_error_set(err, FO_ETIMEOUT,
                              "Fastly API: the service listing took over %ld s, at page %ld "
                              "(FIXORIGIN_API_LIST_DEADLINE_MS)",
                              api->cfg.list_deadline_ms / 1000, page);
            goto out;
        }
        /* The parameters and their order are go-fastly's paginator's. */
        rc = fo_api_get(api, &resp, err,
                        "/service?direction=descend&page=%ld&per_page=100&sort=created", page);
        size_t first = list->count, added = 0;
        if (rc == 0)
            rc = fo_api_parse_service_page(list, resp.body.data, resp.body.len, err);
        if (rc == 0 && keep_new_services(list, &ids, first, &added) != 0)
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        if (rc != 0)
            break;
        if (list->count > max_items) {
            rc = fo_error_set(err, FO_EPROTO,
                              "Fastly API: the service listing holds over %zu services "
                              "(FIXORIGIN_API_MAX_SERVICES)",
                              max_items);
            goto out;
        }
        bool next = has_next_page(resp.link);
        if (next && added == 0 && page > 1) {
            rc = fo_error_set(err, FO_EPROTO,
                              "Fastly API: the service listing repeats itself: page %ld "
                              "names no service not listed before, yet says there is a next",
                              page);
            goto out;
        }
        if (!next)
            break;
        fo_api_response_clear(&resp);
    }
    if (rc == 0) {
        *out = list;
        list = NULL;
    }
out:
    free(ids.slots);
    fo_api_response_clear(&resp);
    fo_service_list_free(list);
    return rc;
}

int fo_api_service_by_name(fo_api *api, char out[FO_API_ID_MAX + 1], const char *name,
                           fo_error *err)
{
    fo_service_list *list = NULL;
    char shown[61]; /* the name as a message shows it: at most 60 bytes */
    const fo_service *match = NULL, *other = NULL, *folded = NULL;
    size_t matches = 0;
    out[0] = '\0';
    if (fo_str_empty(name))
        return fo_error_set(err, FO_EINVAL, "--service-name takes a service's name");
    fo_str_clean_copy(shown, sizeof(shown), name);
    int rc = fo_api_service_list(api, &list, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < list->count; i++) {
        const fo_service *s = &list->items[i];
        if (!s->name || !s->id)
            continue;
        if (strcmp(s->name, name) == 0) {
            if (matches++ == 0)
                match = s;
            else if (!other)
                other = s;
        } else if (!folded && strcasecmp(s->name, name) == 0) {
            folded = s;
        }
    }
    if (matches == 1 && !fo_api_service_id_valid(match->id)) {
        rc = fo_error_set(err, FO_EPROTO,
                          "Fastly API: the service named '%s' has an id that is "
                          "not one",
                          shown);
    } else if (matches == 1) {
        snprintf(out, FO_API_ID_MAX + 1, "%s", match->id);
    } else if (matches > 1) {
        char a[FO_API_ID_MAX + 1], b[FO_API_ID_MAX + 1];
        fo_str_clean_copy(a, sizeof(a), match->id);
        fo_str_clean_copy(b, sizeof(b), other->id);
        rc = fo_error_set(err, FO_EINVAL,
                          "%zu services are named '%s' (%s, %s%s): pass --service ID", matches,
                          shown, a, b, matches > 2 ? ", ..." : "");
    } else if (folded) {
        char f[61]; /* at most 60 bytes, as shown above */
        fo_str_clean_copy(f, sizeof(f), folded->name);
        rc = fo_error_set(err, FO_EINVAL,
                          "no service is named '%s' among the %zu the token can see; did you "
                          "mean '%s'? (names are compared exactly)",
                          shown, list->count, f);
    } else {
        rc =
            fo_error_set(err, FO_EINVAL, "no service is named '%s' among the %zu the token can see",
                         shown, list->count);
    }
    fo_service_list_free(list);
    return rc;
}

int fo_api_version_list(fo_api *api, fo_version_list **out, const char *service_id, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, 1, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version", service_id);
    if (rc == 0)
        rc = fo_api_parse_version_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_version_get(fo_api *api, fo_version **out, const char *service_id, long version,
                       fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_version(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_version_validate(fo_api *api, fo_validation **out, const char *service_id, long version,
                            fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/validate", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_validation(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_backend_get(fo_api *api, fo_backend **out, const char *service_id, long version,
                       const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/backend/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_backend(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_backend_list(fo_api *api, fo_backend_list **out, const char *service_id, long version,
                        fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/backend", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_backend_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

/* A redacted ssl_client_key line of the diff, while its value's lines are skipped. */
typedef struct key_redaction {
    bool active;
    size_t indent;   /* the key's column: deeper lines continue its value */
    size_t start;    /* where its line begins in the output */
    size_t head_len; /* the line up to and including "ssl_client_key:" */
    bool shown;      /* the line says [redacted] already */
    bool continued;  /* value lines followed (a multi-line value) */
    bool changed;    /* one of them was '-' or '+' */
} key_redaction;

/* Ends a redaction: a value that goes on over lines is [redacted] however it began, and a
 * change inside it shows as a change of the key, so the diff check sees it. */
static int finish_key(fo_buf *out, key_redaction *k)
{
    int rc = 0;
    if (k->active && ((k->continued && !k->shown) || (k->changed && out->data[k->start] == ' '))) {
        char head[256];
        size_t n = k->head_len < sizeof(head) ? k->head_len : sizeof(head) - 1;
        memcpy(head, out->data + k->start, n);
        out->len = k->start;
        if (k->changed && head[0] == ' ') {
            head[0] = '-';
            rc = fo_buf_printf(out, "%.*s [redacted]\n", (int)n, head);
            head[0] = '+';
        }
        if (rc == 0)
            rc = fo_buf_printf(out, "%.*s [redacted]\n", (int)n, head);
    }
    k->active = false;
    return rc;
}

/* The diff is a line-prefixed YAML dump that carries ssl_client_key. Its value, and the
 * lines a multi-line value continues on (deeper indented), become "[redacted]" so the key
 * can never reach a screen or a report. */
static int redact_client_keys(fo_buf *out, const char *text)
{
    static const char key[] = "ssl_client_key:";
    key_redaction k = {0};
    int rc = 0;
    for (const char *line = text; *line && rc == 0;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        /* Column 0 is the diff's prefix (' ', '+', '-'); the dump follows. */
        const char *body = len > 0 ? line + 1 : line;
        size_t indent = strspn(body, " ");
        while (strncmp(body + indent, "- ", 2) == 0) /* a list item's first key */
            indent += 2 + strspn(body + indent + 2, " ");
        bool blank = body[indent] == '\n' || body[indent] == '\0';
        if (k.active && (blank || indent > k.indent)) {
            k.continued = true;
            k.changed = k.changed || line[0] == '-' || line[0] == '+';
            line += len;
            continue;
        }
        rc = finish_key(out, &k);
        if (rc == 0 && len > 1 && strncmp(body + indent, key, sizeof(key) - 1) == 0) {
            const char *value = body + indent + sizeof(key) - 1;
            size_t value_len = strcspn(value, "\n");
            size_t space = strspn(value, " ");
            bool empty = space == value_len ||
                         (space + 2 == value_len && strncmp(value + space, "''", 2) == 0);
            k = (key_redaction){.active = true,
                                .indent = indent,
                                .start = out->len,
                                .head_len = (size_t)(value - line),
                                .shown = !empty};
            rc = fo_buf_append(out, line, k.head_len);
            if (rc == 0)
                rc = empty ? fo_buf_append(out, value, value_len) : fo_buf_puts(out, " [redacted]");
            if (rc == 0)
                rc = fo_buf_puts(out, "\n");
        } else if (rc == 0) {
            rc = fo_buf_append(out, line, len);
        }
        line += len;
    }
    if (rc == 0)
        rc = finish_key(out, &k);
    return rc == 0 ? fo_buf_append(out, "", 0) : FO_ENOMEM;
}

int fo_api_diff(fo_api *api, fo_diff **out, const char *service_id, long from, long to,
                fo_error *err)
{
    fo_api_response resp = {0};
    fo_diff *diff = NULL;
    fo_buf clean = {0};
    int rc = fo_api_check_args(service_id, from < to ? from : to, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/diff/from/%ld/to/%ld?format=text", service_id,
                        from, to);
    if (rc == 0)
        rc = fo_api_parse_diff(&diff, resp.body.data, resp.body.len, err);
    if (rc == 0 && redact_client_keys(&clean, diff->text) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0) {
        fo_secret_free(diff->text);
        diff->text = fo_buf_steal(&clean);
        *out = diff;
        diff = NULL;
    }
    fo_buf_clear(&clean);
    fo_diff_free(diff);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_vcl_list(fo_api *api, fo_custom_vcl_list **out, const char *service_id, long version,
                    fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/vcl", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_vcl_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_vcl_get(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                   const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/vcl/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_vcl(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_generated_vcl(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                         fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/generated_vcl", service_id,
                        version);
    if (rc == 0)
        rc = fo_api_parse_vcl(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_public_ip_list(fo_api *api, fo_ip_list **out, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_get(api, &resp, err, "/public-ip-list");
    if (rc == 0)
        rc = fo_api_parse_ip_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_token_self(fo_api *api, fo_token_info **out, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_get(api, &resp, err, "/tokens/self");
    if (rc == 0)
        rc = fo_api_parse_token(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

/* ---- snippets and pools ---- */

int fo_api_snippet_list(fo_api *api, fo_snippet_list **out, const char *service_id, long version,
                        fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/snippet", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_snippets(out, resp.body.data, resp.body.len, true, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_snippet_get(fo_api *api, fo_snippet **out, const char *service_id, long version,
                       const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/snippet/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_snippet(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_dynamic_snippet_get(fo_api *api, fo_snippet **out, const char *service_id,
                               const char *snippet_id, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, 1, snippet_id ? snippet_id : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/snippet/%s", service_id, snippet_id);
    if (rc == 0)
        rc = fo_api_parse_snippet(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_pool_list(fo_api *api, fo_pool_list **out, const char *service_id, long version,
                     fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/pool", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_pools(out, resp.body.data, resp.body.len, true, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_pool_get(fo_api *api, fo_pool **out, const char *service_id, long version,
                    const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/pool/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_pool(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_pool_server_list(fo_api *api, fo_pool_server_list **out, const char *service_id,
                            const char *pool_id, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, 1, pool_id ? pool_id : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/pool/%s/servers", service_id, pool_id);
    if (rc == 0)
        rc = fo_api_parse_pool_servers(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}
