/* The API endpoints: each answers with the shapes and status codes of the recordings in
 * tests/fixtures/fastly-api (real ints and bools on services, versions and backends;
 * diff from/to as strings; errors as {"msg","detail"}). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"

#define ACTIVATE_MSG "Warning: No default director found\nat: (default Line 174 Pos 1)"

void fo_mock_reply_error(fo_mock_reply *out, unsigned status, const char *msg, const char *detail)
{
    json_decref(out->json);
    out->status = status;
    out->json = detail ? json_pack("{s:s,s:s}", "msg", msg, "detail", detail)
                       : json_pack("{s:s}", "msg", msg);
    out->changed = false;
}

void fo_mock_reply_clear(fo_mock_reply *reply)
{
    if (!reply)
        return;
    json_decref(reply->json);
    free(reply->text);
    free(reply->link);
    memset(reply, 0, sizeof(*reply));
}

static void reply_json(fo_mock_reply *out, json_t *body)
{
    if (!body) {
        fo_mock_reply_error(out, 500, "Internal Server Error", "fastly-mock ran out of memory");
        return;
    }
    json_decref(out->json);
    out->status = 200;
    out->json = body;
}

static void not_found(fo_mock_reply *out, const char *what)
{
    fo_mock_reply_error(out, 404, "Record not found", what);
}

static void bad_request(fo_mock_reply *out, const char *detail)
{
    fo_mock_reply_error(out, 400, "Bad request", detail);
}

static void version_locked(fo_mock_reply *out, const fo_mock_service *s, const fo_mock_version *v)
{
    char detail[200];
    snprintf(detail, sizeof(detail), "Version '%d' for service '%s' is locked", v->number, s->id);
    fo_mock_reply_error(out, 422, "Version locked", detail);
}

/* A positive decimal number and nothing else. */
static bool parse_number(int *out, const char *s, int max)
{
    long v = 0;
    if (!s[0] || strlen(s) > 9)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v < 1 || v > max)
        return false;
    *out = (int)v;
    return true;
}

static void touch(char **field, const char *now)
{
    char *copy = fo_strdup(now);
    if (copy) {
        free(*field);
        *field = copy;
    }
}

/* ---- JSON views ---- */

static json_t *version_json(const fo_mock_service *s, const fo_mock_version *v)
{
    return json_pack("{s:b,s:s,s:s,s:n,s:b,s:[],s:b,s:i,s:s,s:b,s:b,s:s}", "active", v->active,
                     "comment", v->comment, "created_at", v->created_at, "deleted_at", "deployed",
                     false, "environments", "locked", v->locked, "number", v->number, "service_id",
                     s->id, "staging", false, "testing", false, "updated_at", v->updated_at);
}

static json_t *versions_json(const fo_mock_service *s)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < s->nversions; i++)
        json_array_append_new(list, version_json(s, &s->versions[i]));
    return list;
}

static json_t *domain_json(const fo_mock_service *s, const fo_mock_version *v, const json_t *d)
{
    return json_pack("{s:O,s:s,s:n,s:O,s:s,s:s,s:i}", "comment", json_object_get(d, "comment"),
                     "created_at", v->created_at, "deleted_at", "name", json_object_get(d, "name"),
                     "service_id", s->id, "updated_at", v->updated_at, "version", v->number);
}

static json_t *vcl_json(const fo_mock_service *s, const fo_mock_version *v, const json_t *vcl)
{
    return json_pack("{s:O,s:s,s:n,s:O,s:O,s:s,s:s,s:i}", "content",
                     json_object_get(vcl, "content"), "created_at", v->created_at, "deleted_at",
                     "main", json_object_get(vcl, "main"), "name", json_object_get(vcl, "name"),
                     "service_id", s->id, "updated_at", v->updated_at, "version", v->number);
}

typedef json_t *(*item_view)(const fo_mock_service *, const fo_mock_version *, const json_t *);

static json_t *backend_json(const fo_mock_service *s, const fo_mock_version *v, const json_t *b)
{
    return fo_mock_backend_view(b, s->id, v->number);
}

static json_t *list_json(const fo_mock_service *s, const fo_mock_version *v, const json_t *items,
                         item_view view)
{
    json_t *list = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (list)
            json_array_append_new(list, view(s, v, item));
    }
    return list;
}

/* The version as /details shows it: the version fields plus its configuration. */
static json_t *version_detail_json(const fo_mock_service *s, const fo_mock_version *v)
{
    json_t *obj = version_json(s, v);
    if (!obj)
        return NULL;
    static const char *const empty[] = {
        "acls",    "cache_settings", "conditions",       "dictionaries",     "directors", "gzips",
        "headers", "healthchecks",   "request_settings", "response_objects", "wordpress"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        json_object_set_new(obj, empty[i], json_array());
    json_object_set_new(obj, "backends", list_json(s, v, v->backends, backend_json));
    json_object_set_new(obj, "domains", list_json(s, v, v->domains, domain_json));
    json_object_set_new(obj, "vcls", list_json(s, v, v->vcls, vcl_json));
    json_object_set_new(obj, "snippets", fo_mock_snippets_view(s, v));
    json_object_set_new(obj, "settings",
                        json_pack("{s:s,s:i,s:i,s:b,s:i}", "general.default_host", "",
                                  "general.default_pci", 0, "general.default_ttl", 3600,
                                  "general.stale_if_error", false, "general.stale_if_error_ttl",
                                  43200));
    return obj;
}

static json_t *service_json(const fo_mock_state *st, const fo_mock_service *s)
{
    return json_pack("{s:s,s:s,s:s,s:n,s:[],s:s,s:s,s:b,s:s,s:s,s:s,s:o}", "comment", s->comment,
                     "created_at", s->created_at, "customer_id", st->customer_id, "deleted_at",
                     "environments", "id", s->id, "name", s->name, "paused", false, "publish_key",
                     "", "type", s->type, "updated_at", s->updated_at, "versions",
                     versions_json(s));
}

/* ---- services ---- */

static bool token_allows(const fo_mock_token *token, const char *service_id)
{
    if (!token || token->nservices == 0)
        return true;
    for (size_t i = 0; i < token->nservices; i++) {
        if (strcmp(token->services[i], service_id) == 0)
            return true;
    }
    return false;
}

/* "a=1&b=2" with keys sorted, page and per_page replaced, as Fastly writes its links. */
static int page_link(fo_buf *out, const fo_mock_call *call, int page, int per_page, const char *rel)
{
    const fo_mock_form *q = call->query;
    char page_s[16], per_page_s[16];
    snprintf(page_s, sizeof(page_s), "%d", page);
    snprintf(per_page_s, sizeof(per_page_s), "%d", per_page);
    const char *keys[64], *values[64];
    size_t n = 0;
    for (size_t i = 0; i < q->n && n < 62; i++) {
        if (strcmp(q->keys[i], "page") != 0 && strcmp(q->keys[i], "per_page") != 0 &&
            fo_mock_form_get(q, q->keys[i]) == q->values[i]) {
            keys[n] = q->keys[i];
            values[n++] = q->values[i];
        }
    }
    keys[n] = "page";
    values[n++] = page_s;
    keys[n] = "per_page";
    values[n++] = per_page_s;
    for (size_t i = 1; i < n; i++) { /* insertion sort: a handful of keys */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
            const char *k = keys[j], *v = values[j];
            keys[j] = keys[j - 1];
            values[j] = values[j - 1];
            keys[j - 1] = k;
            values[j - 1] = v;
        }
    }
    int rc = fo_buf_printf(out, "%s<%s/service?", out->len ? ", " : "", call->base_url);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = fo_buf_printf(out, "%s%s=", i ? "&" : "", keys[i]);
        for (const unsigned char *p = (const unsigned char *)values[i]; rc == 0 && *p; p++) {
            if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                strchr("-._~", *p))
                rc = fo_buf_append(out, p, 1);
            else
                rc = fo_buf_printf(out, "%%%02X", *p);
        }
    }
    return rc == 0 ? fo_buf_printf(out, ">; rel=\"%s\"", rel) : rc;
}

static void list_services(fo_mock_state *st, const fo_mock_call *call, fo_mock_reply *out)
{
    const char *page_s = fo_mock_form_get(call->query, "page");
    const char *per_page_s = fo_mock_form_get(call->query, "per_page");
    const char *direction = fo_mock_form_get(call->query, "direction");
    int page = 1, per_page = 20;
    if ((page_s && !parse_number(&page, page_s, 1000000)) ||
        (per_page_s && !parse_number(&per_page, per_page_s, 1000)))
        return bad_request(out, "page and per_page must be positive integers");
    bool descend = direction && strcmp(direction, "descend") == 0;

    size_t visible = 0;
    for (size_t i = 0; i < st->nservices; i++)
        visible += token_allows(call->token, st->services[i].id);
    int last = visible ? (int)((visible + (size_t)per_page - 1) / (size_t)per_page) : 1;
    size_t first = (size_t)(page - 1) * (size_t)per_page;

    json_t *list = json_array();
    size_t seen = 0;
    for (size_t k = 0; list && k < st->nservices; k++) {
        const fo_mock_service *s = &st->services[descend ? st->nservices - 1 - k : k];
        if (!token_allows(call->token, s->id))
            continue;
        if (seen++ < first || json_array_size(list) >= (size_t)per_page)
            continue;
        fo_mock_version *shown = fo_mock_version_active((fo_mock_service *)s);
        if (!shown)
            shown = &s->versions[s->nversions - 1];
        json_t *item = service_json(st, s);
        json_object_del(item, "publish_key");
        json_object_set_new(item, "version", json_integer(shown->number));
        json_array_append_new(list, item);
    }
    fo_buf link = {0};
    int rc = 0;
    if (page < last) {
        rc = page_link(&link, call, last, per_page, "last");
        if (rc == 0)
            rc = page_link(&link, call, page + 1, per_page, "next");
    }
    if (rc == 0 && page > 1) {
        rc = page_link(&link, call, page - 1 < last ? page - 1 : last, per_page, "prev");
        if (rc == 0)
            rc = page_link(&link, call, 1, per_page, "first");
    }
    reply_json(out, list);
    if (rc == 0 && link.len)
        out->link = fo_buf_steal(&link);
    fo_buf_clear(&link);
}

static void search_service(fo_mock_state *st, const fo_mock_call *call, fo_mock_reply *out)
{
    const char *name = fo_mock_form_get(call->query, "name");
    for (size_t i = 0; name && i < st->nservices; i++) {
        if (strcmp(st->services[i].name, name) == 0 &&
            token_allows(call->token, st->services[i].id))
            return reply_json(out, service_json(st, &st->services[i]));
    }
    not_found(out, "Cannot find service");
}

static void service_details(fo_mock_state *st, fo_mock_service *s, const fo_mock_call *call,
                            fo_mock_reply *out)
{
    const char *asked = fo_mock_form_get(call->query, "version");
    fo_mock_version *active = fo_mock_version_active(s);
    fo_mock_version *shown = active ? active : &s->versions[s->nversions - 1];
    if (asked) {
        int number;
        if (!parse_number(&number, asked, 1000000))
            return bad_request(out, "version must be a positive integer");
        shown = fo_mock_version_find(s, number);
        if (!shown) {
            char detail[160];
            snprintf(detail, sizeof(detail), "Couldn't find Version '%s' of service '%s'", asked,
                     s->id);
            return not_found(out, detail);
        }
    }
    json_t *obj = service_json(st, s);
    if (obj) {
        json_object_del(obj, "paused");
        json_object_del(obj, "publish_key");
        json_object_set_new(obj, "version", version_detail_json(s, shown));
        json_object_set_new(obj, "active_version",
                            active ? version_detail_json(s, active) : json_null());
    }
    reply_json(out, obj);
}

/* ---- versions ---- */

static void version_action(fo_mock_service *s, fo_mock_version *v, const char *action,
                           const char *now, char *detail, size_t detail_len, fo_mock_reply *out)
{
    if (strcmp(action, "clone") == 0) {
        fo_mock_version *copy = fo_mock_version_clone(s, v->number, now);
        if (!copy)
            return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
        touch(&s->updated_at, now);
        reply_json(out, version_json(s, copy));
    } else if (strcmp(action, "lock") == 0) {
        if (!v->locked)
            touch(&v->updated_at, now);
        v->locked = true;
        reply_json(out, version_json(s, v));
    } else if (strcmp(action, "activate") == 0) {
        const char *problem = fo_mock_validate(v, detail, detail_len);
        if (problem)
            return bad_request(out, detail);
        fo_mock_version *previous = fo_mock_version_active(s);
        if (previous && previous != v) {
            previous->active = false;
            touch(&previous->updated_at, now);
        }
        v->active = true;
        v->locked = true;
        touch(&v->updated_at, now);
        json_t *body = version_json(s, v);
        if (body)
            json_object_set_new(body, "msg", json_string(ACTIVATE_MSG));
        reply_json(out, body);
    } else { /* deactivate */
        if (!v->active) {
            snprintf(detail, detail_len, "Version '%d' for service '%s' is not active", v->number,
                     s->id);
            return bad_request(out, detail);
        }
        v->active = false;
        touch(&v->updated_at, now);
        reply_json(out, version_json(s, v));
    }
    out->changed = out->status == 200;
}

static void validate_version(const fo_mock_service *s, const fo_mock_version *v, fo_mock_reply *out)
{
    char detail[512];
    const char *problem = fo_mock_validate(v, detail, sizeof(detail));
    if (!problem)
        problem = fo_mock_validate_vcl(s, v, detail, sizeof(detail));
    if (problem)
        reply_json(out, json_pack("{s:s,s:s,s:[s],s:[],s:[]}", "status", "error", "msg", problem,
                                  "errors", detail, "warnings", "messages"));
    else
        reply_json(out, json_pack("{s:s,s:n,s:[],s:[],s:[]}", "status", "ok", "msg", "errors",
                                  "warnings", "messages"));
}

static void diff_versions(fo_mock_service *s, const fo_mock_call *call, fo_mock_reply *out)
{
    int from_n, to_n;
    const char *format = fo_mock_form_get(call->query, "format");
    if (!parse_number(&from_n, call->segments[4], 1000000) ||
        !parse_number(&to_n, call->segments[6], 1000000))
        return bad_request(out, "version numbers must be positive integers");
    if (format && strcmp(format, "text") != 0)
        return bad_request(out, "format must be text (fastly-mock does not render html)");
    fo_mock_version *from = fo_mock_version_find(s, from_n);
    fo_mock_version *to = fo_mock_version_find(s, to_n);
    if (!from || !to) {
        char detail[160];
        snprintf(detail, sizeof(detail), "Couldn't find Version '%d' of service '%s'",
                 from ? to_n : from_n, s->id);
        return not_found(out, detail);
    }
    char *a = fo_mock_version_dump(s, from, call->diff_style);
    char *b = fo_mock_version_dump(s, to, call->diff_style);
    char *diff = a && b ? fo_mock_diff(a, b) : NULL;
    char from_s[16], to_s[16];
    snprintf(from_s, sizeof(from_s), "%d", from_n);
    snprintf(to_s, sizeof(to_s), "%d", to_n);
    reply_json(out, diff ? json_pack("{s:s,s:s,s:s,s:s}", "from", from_s, "to", to_s, "format",
                                     "text", "diff", diff)
                         : NULL);
    free(a);
    free(b);
    free(diff);
}

/* ---- backends, VCL ---- */

static json_t *find_named(json_t *list, const char *name, size_t *index)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0) {
            if (index)
                *index = i;
            return item;
        }
    }
    return NULL;
}

static void record_not_found(fo_mock_reply *out, const char *kind, const fo_mock_service *s,
                             const fo_mock_version *v, const char *name)
{
    char detail[400];
    snprintf(detail, sizeof(detail),
             "Couldn't find %s '{ name => %s, service => %s, version => %d }'", kind, name, s->id,
             v->number);
    not_found(out, detail);
}

static void duplicate(fo_mock_reply *out, const char *kind, const char *name)
{
    char detail[300];
    snprintf(detail, sizeof(detail), "Duplicate %s: '%s'", kind, name);
    fo_mock_reply_error(out, 409, "Duplicate record", detail);
}

/* POST (name NULL) creates, PUT updates the named backend. */
static void write_backend(fo_mock_service *s, fo_mock_version *v, const char *name,
                          const fo_mock_call *call, const char *now, fo_mock_reply *out)
{
    size_t index = 0;
    json_t *current = name ? find_named(v->backends, name, &index) : NULL;
    if (name && !current)
        return record_not_found(out, "Backend", s, v, name);
    json_t *draft = NULL;
    fo_error err;
    if (current) {
        draft = json_deep_copy(current);
    } else {
        /* Defaults first; the form must then name the backend and its address. */
        json_t *blank = json_pack("{s:s,s:s}", "name", "-", "address", "-");
        if (blank && fo_mock_backend_from_state(&draft, blank, "backend", now, &err) != 0)
            draft = NULL;
        json_decref(blank);
    }
    if (!draft)
        return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
    if (fo_mock_backend_apply_form(draft, call->form, !current, now, &err) != 0) {
        json_decref(draft);
        return bad_request(out, err.msg);
    }
    const char *new_name = fo_mock_backend_name(draft);
    json_t *other = find_named(v->backends, new_name, NULL);
    if (other && other != current) {
        duplicate(out, "backend", new_name);
        json_decref(draft);
        return;
    }
    if (current)
        json_array_set_new(v->backends, index, draft);
    else
        json_array_append_new(v->backends, draft);
    touch(&v->updated_at, now);
    reply_json(out, fo_mock_backend_view(draft, s->id, v->number));
    out->changed = true;
}

static void write_vcl(fo_mock_service *s, fo_mock_version *v, const char *name,
                      const fo_mock_call *call, const char *now, fo_mock_reply *out)
{
    size_t index = 0;
    json_t *current = name ? find_named(v->vcls, name, &index) : NULL;
    if (name && !current)
        return record_not_found(out, "Vcl", s, v, name);
    const char *new_name = fo_mock_form_get(call->form, "name");
    const char *content = fo_mock_form_get(call->form, "content");
    const char *main_s = fo_mock_form_get(call->form, "main");
    if (!current && (fo_str_empty(new_name) || !content))
        return bad_request(out, "name and content are required");
    if (new_name && new_name[0] == '\0')
        return bad_request(out, "Name can't be blank");
    if (main_s && strcmp(main_s, "1") != 0 && strcmp(main_s, "0") != 0 &&
        strcmp(main_s, "true") != 0 && strcmp(main_s, "false") != 0)
        return bad_request(out, "main must be true or false");
    json_t *other = new_name ? find_named(v->vcls, new_name, NULL) : NULL;
    if (other && other != current)
        return duplicate(out, "vcl", new_name);
    json_t *vcl =
        current ? current : json_pack("{s:s,s:b,s:s}", "name", new_name, "main", 0, "content", "");
    if (!vcl)
        return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
    if (new_name)
        json_object_set_new(vcl, "name", json_string(new_name));
    if (content)
        json_object_set_new(vcl, "content", json_string(content));
    if (main_s) {
        bool is_main = main_s[0] == '1' || main_s[0] == 't';
        if (is_main) { /* one main VCL per version */
            size_t i;
            json_t *item;
            json_array_foreach(v->vcls, i, item)
            {
                json_object_set_new(item, "main", json_false());
            }
        }
        json_object_set_new(vcl, "main", json_boolean(is_main));
    }
    if (!current)
        json_array_append_new(v->vcls, vcl);
    touch(&v->updated_at, now);
    reply_json(out, vcl_json(s, v, vcl));
    out->changed = true;
}

/* /service/{id}/version/{n}/... with the version found. */
static void version_route(fo_mock_service *s, fo_mock_version *v, const fo_mock_call *call,
                          fo_mock_reply *out)
{
    const char *m = call->method;
    bool get = strcmp(m, "GET") == 0, put = strcmp(m, "PUT") == 0;
    bool post = strcmp(m, "POST") == 0, del = strcmp(m, "DELETE") == 0;
    size_t n = call->nsegments;
    const char *what = n > 4 ? call->segments[4] : "";
    const char *name = n > 5 ? call->segments[5] : NULL;
    char now[32], detail[512];
    fo_mock_now(now, sizeof(now));

    if (n == 4 && get)
        return reply_json(out, version_json(s, v));
    if (n == 5 && get && strcmp(what, "validate") == 0)
        return validate_version(s, v, out);
    if (n == 5 && get && strcmp(what, "generated_vcl") == 0) {
        char *text = fo_mock_generated_vcl(s, v);
        reply_json(out, text
                            ? json_pack("{s:s,s:b,s:s,s:s,s:i}", "content", text, "main", 1, "name",
                                        "generated", "service_id", s->id, "version", v->number)
                            : NULL);
        free(text);
        return;
    }
    if (n == 5 && get && strcmp(what, "backend") == 0)
        return reply_json(out, list_json(s, v, v->backends, backend_json));
    if (n == 5 && get && strcmp(what, "domain") == 0)
        return reply_json(out, list_json(s, v, v->domains, domain_json));
    if (n == 5 && get && strcmp(what, "vcl") == 0)
        return reply_json(out, list_json(s, v, v->vcls, vcl_json));
    if (n == 6 && get &&
        (strcmp(what, "backend") == 0 || strcmp(what, "domain") == 0 || strcmp(what, "vcl") == 0)) {
        json_t *list = what[0] == 'b' ? v->backends : what[0] == 'd' ? v->domains : v->vcls;
        json_t *item = find_named(list, name, NULL);
        if (!item)
            return record_not_found(out,
                                    what[0] == 'b'   ? "Backend"
                                    : what[0] == 'd' ? "Domain"
                                                     : "Vcl",
                                    s, v, name);
        item_view view = what[0] == 'b' ? backend_json : what[0] == 'd' ? domain_json : vcl_json;
        return reply_json(out, view(s, v, item));
    }
    if (fo_mock_origins_version_route(s, v, call, out))
        return;
    if (n == 5 && put &&
        (strcmp(what, "clone") == 0 || strcmp(what, "lock") == 0 || strcmp(what, "activate") == 0 ||
         strcmp(what, "deactivate") == 0))
        return version_action(s, v, what, now, detail, sizeof(detail), out);

    bool writes_config =
        (n == 4 && put) ||
        (strcmp(what, "backend") == 0 && ((n == 5 && post) || (n == 6 && (put || del)))) ||
        (strcmp(what, "vcl") == 0 && ((n == 5 && post) || (n == 6 && put)));
    if (!writes_config) {
        snprintf(detail, sizeof(detail), "fastly-mock has no endpoint %s %s", m, call->path);
        return not_found(out, detail);
    }
    /* Whether Fastly takes a new comment on a locked version is not recorded: refused (as
     * every write to one) unless --locked-comments says otherwise. */
    bool comment_only = n == 4 && call->form->n == 1 && fo_mock_form_get(call->form, "comment");
    if ((v->locked || v->active) && !(comment_only && call->locked_comments))
        return version_locked(out, s, v);
    if (n == 4) {
        const char *comment = fo_mock_form_get(call->form, "comment");
        if (comment)
            touch(&v->comment, comment);
        touch(&v->updated_at, now);
        reply_json(out, version_json(s, v));
        out->changed = true;
    } else if (strcmp(what, "backend") == 0 && del) {
        size_t index;
        if (!find_named(v->backends, name, &index))
            return record_not_found(out, "Backend", s, v, name);
        json_array_remove(v->backends, index);
        touch(&v->updated_at, now);
        reply_json(out, json_pack("{s:s}", "status", "ok"));
        out->changed = true;
    } else if (strcmp(what, "backend") == 0) {
        write_backend(s, v, name, call, now, out);
    } else {
        write_vcl(s, v, name, call, now, out);
    }
}

/* ---- entry ---- */

static const char *const public_ipv4[] = {
    "23.235.32.0/20",   "43.249.72.0/22",  "103.244.50.0/24", "103.245.222.0/23",
    "103.245.224.0/24", "104.156.80.0/20", "140.248.64.0/18", "140.248.128.0/17",
    "146.75.0.0/17",    "151.101.0.0/16",  "157.52.64.0/18",  "167.82.0.0/17",
    "167.82.128.0/20",  "167.82.160.0/20", "167.82.224.0/20", "172.111.64.0/18",
    "185.31.16.0/22",   "199.27.72.0/21",  "199.232.0.0/16"};

static json_t *public_ip_list(void)
{
    json_t *v4 = json_array();
    for (size_t i = 0; v4 && i < sizeof(public_ipv4) / sizeof(public_ipv4[0]); i++)
        json_array_append_new(v4, json_string(public_ipv4[i]));
    return json_pack("{s:o,s:[s,s]}", "addresses", v4, "ipv6_addresses", "2a04:4e40::/32",
                     "2a04:4e42::/32");
}

static json_t *token_json(const fo_mock_state *st, const fo_mock_call *call)
{
    const fo_mock_token *t = call->token;
    char id[32];
    snprintf(id, sizeof(id), "TOKEN%017zu", call->token_index + 1);
    json_t *scopes = json_array();
    json_t *services = json_array();
    const char *p = t ? t->scope : "global";
    while (scopes && *p) {
        size_t len = strcspn(p, " ");
        if (len)
            json_array_append_new(scopes, json_stringn(p, len));
        p += len + (p[len] == ' ');
    }
    for (size_t i = 0; t && services && i < t->nservices; i++)
        json_array_append_new(services, json_string(t->services[i]));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:s,s:s,s:n,s:o,s:s,s:o,s:s?}", "id", id,
                     "user_id", "USER0EXAMPLE", "customer_id", st->customer_id, "name",
                     "fastly-mock token", "last_used_at", "2026-01-01T00:00:00Z", "created_at",
                     "2026-01-01T00:00:00Z", "expires_at", "ip", "127.0.0.1", "user_agent",
                     call->user_agent ? call->user_agent : "", "sudo_expires_at", "scopes", scopes,
                     "scope", t ? t->scope : "global", "services", services, "service_id",
                     t && t->nservices ? t->services[0] : NULL);
}

void fo_mock_route(fo_mock_state *st, const fo_mock_call *call, fo_mock_reply *out)
{
    char *const *seg = call->segments;
    size_t n = call->nsegments;
    bool get = strcmp(call->method, "GET") == 0;
    char detail[512];
    memset(out, 0, sizeof(*out));

    if (n == 1 && get && strcmp(seg[0], "public-ip-list") == 0)
        return reply_json(out, public_ip_list());
    if (n == 2 && get && strcmp(seg[0], "tokens") == 0 && strcmp(seg[1], "self") == 0)
        return reply_json(out, token_json(st, call));
    if (n >= 1 && strcmp(seg[0], "service") == 0) {
        if (n == 1 && get)
            return list_services(st, call, out);
        if (n == 2 && get && strcmp(seg[1], "search") == 0)
            return search_service(st, call, out);
        if (n >= 2) {
            fo_mock_service *s = fo_mock_service_find(st, seg[1]);
            if (!s) {
                snprintf(detail, sizeof(detail), "Invalid value for service_id: '%s'", seg[1]);
                return bad_request(out, detail);
            }
            if (!token_allows(call->token, s->id)) {
                snprintf(detail, sizeof(detail), "This token is not authorized for service '%s'",
                         s->id);
                return fo_mock_reply_error(out, 403, "Forbidden", detail);
            }
            if (n == 2 && get)
                return reply_json(out, service_json(st, s));
            if (n == 3 && get && strcmp(seg[2], "details") == 0)
                return service_details(st, s, call, out);
            if (n == 3 && get && strcmp(seg[2], "version") == 0)
                return reply_json(out, versions_json(s));
            if (n == 7 && get && strcmp(seg[2], "diff") == 0 && strcmp(seg[3], "from") == 0 &&
                strcmp(seg[5], "to") == 0)
                return diff_versions(s, call, out);
            if (fo_mock_origins_service_route(s, call, out))
                return;
            if (n >= 4 && n <= 6 && strcmp(seg[2], "version") == 0) {
                int number;
                if (!parse_number(&number, seg[3], 1000000))
                    return bad_request(out, "version must be a positive integer");
                fo_mock_version *v = fo_mock_version_find(s, number);
                if (!v) {
                    snprintf(detail, sizeof(detail), "Couldn't find Version '%d' of service '%s'",
                             number, s->id);
                    return not_found(out, detail);
                }
                return version_route(s, v, call, out);
            }
        }
    }
    snprintf(detail, sizeof(detail), "fastly-mock has no endpoint %s %s", call->method, call->path);
    not_found(out, detail);
}
