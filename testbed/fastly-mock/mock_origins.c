/* Origins a service defines outside its backends: VCL snippets (versioned and dynamic) and
 * load-balancer pools with their servers. Shapes as the API answers them: strings for
 * numbers and "0"/"1" for booleans (pools, snippets), a dynamic snippet's content null in
 * the versioned listing; snippet and pool ids stable across versions, servers and dynamic
 * snippet content versionless. Also the VCL compile check fixorigin's writes must pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "fixorigin/vcl.h"

static const char *const snippet_types[] = {"init",  "recv",  "hash",    "hit", "miss", "pass",
                                            "fetch", "error", "deliver", "log", "none", NULL};

static const char *const pool_strings[] = {"tls_ca_cert",
                                           "tls_client_cert",
                                           "tls_client_key",
                                           "tls_cert_hostname",
                                           "tls_sni_hostname",
                                           "tls_ciphers",
                                           "min_tls_version",
                                           "max_tls_version",
                                           "override_host",
                                           "comment",
                                           "shield",
                                           "request_condition",
                                           NULL};
static const char *const pool_bools[] = {"use_tls", "tls_check_cert", NULL};
static const char *const pool_ints[] = {"connect_timeout",
                                        "first_byte_timeout",
                                        "between_bytes_timeout",
                                        "max_conn_default",
                                        "quorum",
                                        NULL};

static bool in_list(const char *const *list, const char *key)
{
    for (size_t i = 0; list[i]; i++)
        if (strcmp(list[i], key) == 0)
            return true;
    return false;
}

static json_t *find_by(const json_t *list, const char *key, const char *value, size_t *index)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        const char *v = json_string_value(json_object_get(item, key));
        if (v && value && strcmp(v, value) == 0) {
            if (index)
                *index = i;
            return item;
        }
    }
    return NULL;
}

/* ---- state ---- */

static int load_snippet(json_t *list, const json_t *given, const char *at, fo_error *err)
{
    const char *key;
    json_t *value;
    if (!json_is_object(given))
        return fo_error_set(err, FO_EINVAL, "%s: expected an object", at);
    json_object_foreach((json_t *)given, key, value)
    {
        if (!in_list(
                (const char *const[]){"id", "name", "type", "content", "dynamic", "priority", NULL},
                key))
            return fo_error_set(err, FO_EINVAL, "%s.%s: unknown key", at, key);
    }
    const char *name = json_string_value(json_object_get(given, "name"));
    const char *type = json_string_value(json_object_get(given, "type"));
    const json_t *content = json_object_get(given, "content");
    const json_t *dynamic = json_object_get(given, "dynamic");
    const json_t *priority = json_object_get(given, "priority");
    if (!name || !name[0] || find_by(list, "name", name, NULL))
        return fo_error_set(err, FO_EINVAL, "%s.name: empty or duplicate snippet name", at);
    if (type && !in_list(snippet_types, type))
        return fo_error_set(err, FO_EINVAL, "%s.type: not a snippet type", at);
    if (content && !json_is_string(content))
        return fo_error_set(err, FO_EINVAL, "%s.content: expected a string", at);
    if (dynamic && !json_is_boolean(dynamic))
        return fo_error_set(err, FO_EINVAL, "%s.dynamic: expected true or false", at);
    if (priority && !json_is_integer(priority))
        return fo_error_set(err, FO_EINVAL, "%s.priority: expected an integer", at);
    char id[160];
    const char *given_id = json_string_value(json_object_get(given, "id"));
    snprintf(id, sizeof(id), "%s", given_id ? given_id : "");
    if (!given_id)
        snprintf(id, sizeof(id), "SNIP0%s", name);
    json_t *stored = json_pack(
        "{s:s,s:s,s:s,s:s,s:b,s:I}", "id", id, "name", name, "type", type ? type : "init",
        "content", content ? json_string_value(content) : "", "dynamic", json_is_true(dynamic),
        "priority", (json_int_t)(priority ? json_integer_value(priority) : 100));
    if (!stored || json_array_append_new(list, stored) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    return 0;
}

static int load_pool(json_t *list, const json_t *given, const char *at, fo_error *err)
{
    const char *key;
    json_t *value;
    if (!json_is_object(given))
        return fo_error_set(err, FO_EINVAL, "%s: expected an object", at);
    json_t *stored = json_object();
    if (!stored)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    json_object_set_new(stored, "use_tls", json_false());
    json_object_set_new(stored, "tls_check_cert", json_true());
    json_object_foreach((json_t *)given, key, value)
    {
        bool ok = (strcmp(key, "id") == 0 || strcmp(key, "name") == 0) ? json_is_string(value)
                  : in_list(pool_strings, key) ? json_is_string(value) || json_is_null(value)
                  : in_list(pool_bools, key)   ? json_is_boolean(value)
                  : in_list(pool_ints, key)    ? json_is_integer(value) || json_is_null(value)
                                               : false;
        if (!ok) {
            json_decref(stored);
            return fo_error_set(err, FO_EINVAL, "%s.%s: unknown key or wrong type", at, key);
        }
        json_object_set(stored, key, value);
    }
    const char *name = json_string_value(json_object_get(stored, "name"));
    if (!name || !name[0] || find_by(list, "name", name, NULL)) {
        json_decref(stored);
        return fo_error_set(err, FO_EINVAL, "%s.name: empty or duplicate pool name", at);
    }
    if (!json_object_get(stored, "id")) {
        char id[160];
        snprintf(id, sizeof(id), "POOL0%s", name);
        json_object_set_new(stored, "id", json_string(id));
    }
    json_array_append_new(list, stored);
    return 0;
}

/* Each object of given (an array or NULL) through load into list; where.key[i] names it. */
static int load_all(json_t *list, const json_t *given, const char *where, const char *key,
                    int (*load)(json_t *, const json_t *, const char *, fo_error *), fo_error *err)
{
    size_t i;
    json_t *item;
    json_array_foreach(given, i, item)
    {
        char at[200];
        snprintf(at, sizeof(at), "%s.%s[%zu]", where, key, i);
        int rc = load(list, item, at, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int fo_mock_origins_load_version(fo_mock_version *v, const json_t *obj, const char *where,
                                 fo_error *err)
{
    v->snippets = json_array();
    v->pools = json_array();
    if (!v->snippets || !v->pools)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    const json_t *snippets = json_object_get(obj, "snippets");
    const json_t *pools = json_object_get(obj, "pools");
    if ((snippets && !json_is_array(snippets)) || (pools && !json_is_array(pools)))
        return fo_error_set(err, FO_EINVAL, "%s: snippets and pools are arrays", where);
    int rc = load_all(v->snippets, snippets, where, "snippets", load_snippet, err);
    return rc != 0 ? rc : load_all(v->pools, pools, where, "pools", load_pool, err);
}

int fo_mock_origins_load_service(fo_mock_service *s, const json_t *obj, const char *where,
                                 fo_error *err)
{
    const json_t *dynamic = json_object_get(obj, "dynamic_snippets");
    const json_t *servers = json_object_get(obj, "pool_servers");
    if ((dynamic && !json_is_object(dynamic)) || (servers && !json_is_object(servers)))
        return fo_error_set(err, FO_EINVAL, "%s: dynamic_snippets and pool_servers are objects",
                            where);
    s->dynamic_snippets = dynamic ? json_deep_copy(dynamic) : json_object();
    s->pool_servers = json_object();
    if (!s->dynamic_snippets || !s->pool_servers)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    const char *key;
    json_t *value;
    json_object_foreach(s->dynamic_snippets, key, value)
    {
        if (!json_is_string(value))
            return fo_error_set(err, FO_EINVAL, "%s.dynamic_snippets.%s: expected a string", where,
                                key);
    }
    json_object_foreach((json_t *)servers, key, value)
    {
        if (!json_is_array(value))
            return fo_error_set(err, FO_EINVAL, "%s.pool_servers.%s: expected an array", where,
                                key);
        json_t *list = json_array();
        size_t i;
        json_t *server;
        json_array_foreach(value, i, server)
        {
            const char *address = json_string_value(json_object_get(server, "address"));
            const json_t *port = json_object_get(server, "port");
            if (!address || (port && !json_is_integer(port))) {
                json_decref(list);
                return fo_error_set(err, FO_EINVAL,
                                    "%s.pool_servers.%s[%zu]: address (string) and port", where,
                                    key, i);
            }
            char id[64];
            snprintf(id, sizeof(id), "SRV%zu0%s", i, key);
            const char *given_id = json_string_value(json_object_get(server, "id"));
            json_array_append_new(
                list, json_pack("{s:s,s:s,s:I}", "id", given_id ? given_id : id, "address", address,
                                "port", (json_int_t)(port ? json_integer_value(port) : 443)));
        }
        json_object_set_new(s->pool_servers, key, list);
    }
    return 0;
}

void fo_mock_origins_save_version(json_t *obj, const fo_mock_version *v)
{
    if (json_array_size(v->snippets) > 0)
        json_object_set(obj, "snippets", v->snippets);
    if (json_array_size(v->pools) > 0)
        json_object_set(obj, "pools", v->pools);
}

void fo_mock_origins_save_service(json_t *obj, const fo_mock_service *s)
{
    if (json_object_size(s->dynamic_snippets) > 0)
        json_object_set(obj, "dynamic_snippets", s->dynamic_snippets);
    if (json_object_size(s->pool_servers) > 0)
        json_object_set(obj, "pool_servers", s->pool_servers);
}

/* ---- views ---- */

static json_t *snippet_view(const fo_mock_service *s, const fo_mock_version *v, const json_t *sn,
                            bool versioned)
{
    bool dynamic = json_is_true(json_object_get(sn, "dynamic"));
    char priority[32];
    snprintf(priority, sizeof(priority), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(sn, "priority")));
    json_t *content = json_object_get(sn, "content");
    if (dynamic)
        content = versioned ? json_null()
                            : json_object_get(s->dynamic_snippets,
                                              json_string_value(json_object_get(sn, "id")));
    json_t *out = json_pack("{s:O?,s:s,s:n,s:s,s:O,s:O,s:s,s:s,s:O,s:s}", "content", content,
                            "created_at", v->created_at, "deleted_at", "dynamic",
                            dynamic ? "1" : "0", "id", json_object_get(sn, "id"), "name",
                            json_object_get(sn, "name"), "priority", priority, "service_id", s->id,
                            "type", json_object_get(sn, "type"), "updated_at", v->updated_at);
    if (out && versioned)
        json_object_set_new(out, "version", json_integer(v->number));
    if (out && !json_object_get(out, "content"))
        json_object_set_new(out, "content", json_null());
    return out;
}

static json_t *pool_view(const fo_mock_service *s, const fo_mock_version *v, const json_t *pool)
{
    json_t *out = json_pack("{s:O,s:O,s:s,s:s,s:n,s:s,s:s,s:i}", "id", json_object_get(pool, "id"),
                            "name", json_object_get(pool, "name"), "created_at", v->created_at,
                            "updated_at", v->updated_at, "deleted_at", "service_id", s->id, "type",
                            "random", "version", v->number);
    for (size_t i = 0; out && pool_strings[i]; i++) {
        const json_t *value = json_object_get(pool, pool_strings[i]);
        json_object_set_new(out, pool_strings[i],
                            json_is_string(value) ? json_copy((json_t *)value) : json_null());
    }
    for (size_t i = 0; out && pool_bools[i]; i++)
        json_object_set_new(
            out, pool_bools[i],
            json_string(json_is_true(json_object_get(pool, pool_bools[i])) ? "1" : "0"));
    for (size_t i = 0; out && pool_ints[i]; i++) {
        const json_t *value = json_object_get(pool, pool_ints[i]);
        char num[32];
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        json_object_set_new(out, pool_ints[i],
                            json_is_integer(value) ? json_string(num) : json_null());
    }
    if (out) /* a secret: shown as Fastly shows it, never the key itself */
        json_object_set_new(out, "tls_client_key",
                            json_object_get(pool, "tls_client_key") ? json_string("[redacted]")
                                                                    : json_null());
    return out;
}

json_t *fo_mock_snippets_view(const fo_mock_service *s, const fo_mock_version *v)
{
    json_t *list = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v->snippets, i, item)
    {
        if (list)
            json_array_append_new(list, snippet_view(s, v, item, true));
    }
    return list;
}

/* ---- the compile check ---- */

/* The first reason text does not compile as fixorigin's writes must: a broken text, a
 * declaration that cannot be read, an unknown property, a .port that is not a string. */
static bool vcl_problem(const char *where, const char *text, char *detail, size_t len)
{
    fo_vcl_file file;
    if (fo_vcl_parse(&file, text, strlen(text), NULL) != 0) {
        snprintf(detail, len, "%s: out of memory", where);
        return true;
    }
    bool bad = true;
    if (file.problem) {
        snprintf(detail, len, "Syntax error in %s: %s", where, file.problem);
        goto out;
    }
    for (size_t i = 0; i < file.count; i++) {
        const fo_vcl_decl *d = &file.decls[i];
        if (!d->understood) {
            snprintf(detail, len, "Syntax error in %s: backend %s: %s", where,
                     d->name ? d->name : "?", d->problem);
            goto out;
        }
        for (size_t k = 0; k < d->prop_count; k++) {
            const fo_vcl_prop *p = &d->props[k];
            if (!fo_vcl_property_known(p->name)) {
                snprintf(detail, len, "Unknown field '.%s' in backend %s (%s line %u)", p->name,
                         d->name, where, fo_vcl_line_of(text, strlen(text), p->start));
                goto out;
            }
            if (strcmp(p->name, "port") == 0 && p->kind != FO_VCL_STRING) {
                snprintf(detail, len, "Expected a STRING for '.port' in backend %s (%s line %u)",
                         d->name, where, fo_vcl_line_of(text, strlen(text), p->start));
                goto out;
            }
        }
    }
    bad = false;
out:
    fo_vcl_file_clear(&file);
    return bad;
}

const char *fo_mock_validate_vcl(const fo_mock_service *s, const fo_mock_version *v, char *detail,
                                 size_t len)
{
    size_t i;
    json_t *item;
    char where[300];
    json_array_foreach(v->vcls, i, item)
    {
        snprintf(where, sizeof(where), "VCL '%s'",
                 json_string_value(json_object_get(item, "name")));
        if (vcl_problem(where, json_string_value(json_object_get(item, "content")), detail, len))
            return "VCL compilation failed";
    }
    json_array_foreach(v->snippets, i, item)
    {
        const char *text = json_string_value(json_object_get(item, "content"));
        if (json_is_true(json_object_get(item, "dynamic")))
            text = json_string_value(json_object_get(
                s->dynamic_snippets, json_string_value(json_object_get(item, "id"))));
        snprintf(where, sizeof(where), "snippet '%s'",
                 json_string_value(json_object_get(item, "name")));
        if (text && vcl_problem(where, text, detail, len))
            return "VCL compilation failed";
    }
    return NULL;
}

/* ---- routes ---- */

static void reply(fo_mock_reply *out, json_t *body)
{
    if (!body)
        return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
    json_decref(out->json);
    out->status = 200;
    out->json = body;
}

static void missing(fo_mock_reply *out, const char *what, const char *name)
{
    char detail[300];
    snprintf(detail, sizeof(detail), "Couldn't find %s '%s'", what, name ? name : "");
    fo_mock_reply_error(out, 404, "Record not found", detail);
}

static bool writable(const fo_mock_service *s, const fo_mock_version *v, fo_mock_reply *out)
{
    if (!v->locked && !v->active)
        return true;
    char detail[200];
    snprintf(detail, sizeof(detail), "Version '%d' for service '%s' is locked", v->number, s->id);
    fo_mock_reply_error(out, 422, "Version locked", detail);
    return false;
}

static void write_snippet(fo_mock_service *s, fo_mock_version *v, const char *name,
                          const fo_mock_call *call, fo_mock_reply *out, const char *now)
{
    json_t *current = name ? find_by(v->snippets, "name", name, NULL) : NULL;
    if (name && !current)
        return missing(out, "Snippet", name);
    const char *new_name = fo_mock_form_get(call->form, "name");
    const char *content = fo_mock_form_get(call->form, "content");
    const char *type = fo_mock_form_get(call->form, "type");
    const char *dynamic = fo_mock_form_get(call->form, "dynamic");
    const char *priority = fo_mock_form_get(call->form, "priority");
    if (!current && fo_str_empty(new_name))
        return fo_mock_reply_error(out, 400, "Bad request", "name is required");
    if (type && !in_list(snippet_types, type))
        return fo_mock_reply_error(out, 400, "Bad request", "type is not a snippet type");
    if (priority && (strspn(priority, "0123456789") != strlen(priority) || !priority[0]))
        return fo_mock_reply_error(out, 400, "Bad request", "priority must be a number");
    if (dynamic && strcmp(dynamic, "0") != 0 && strcmp(dynamic, "1") != 0)
        return fo_mock_reply_error(out, 400, "Bad request", "dynamic must be 0 or 1");
    json_t *other = new_name ? find_by(v->snippets, "name", new_name, NULL) : NULL;
    if (other && other != current)
        return fo_mock_reply_error(out, 409, "Duplicate record", "a snippet has that name");
    json_t *sn = current;
    if (!sn) {
        char id[160];
        snprintf(id, sizeof(id), "SNIP0%s", new_name);
        sn = json_pack("{s:s,s:s,s:s,s:s,s:b,s:I}", "id", id, "name", new_name, "type", "init",
                       "content", "", "dynamic", dynamic && dynamic[0] == '1', "priority",
                       (json_int_t)100);
        if (!sn)
            return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
        json_array_append_new(v->snippets, sn);
    }
    if (new_name)
        json_object_set_new(sn, "name", json_string(new_name));
    if (type)
        json_object_set_new(sn, "type", json_string(type));
    if (priority)
        json_object_set_new(sn, "priority", json_integer(atol(priority)));
    if (content && json_is_true(json_object_get(sn, "dynamic")))
        json_object_set_new(s->dynamic_snippets, json_string_value(json_object_get(sn, "id")),
                            json_string(content));
    else if (content)
        json_object_set_new(sn, "content", json_string(content));
    free(v->updated_at);
    v->updated_at = fo_strdup(now);
    reply(out, snippet_view(s, v, sn, true));
    out->changed = true;
}

static void write_pool(fo_mock_service *s, fo_mock_version *v, const char *name,
                       const fo_mock_call *call, fo_mock_reply *out, const char *now)
{
    json_t *pool = find_by(v->pools, "name", name, NULL);
    if (!pool)
        return missing(out, "Pool", name);
    json_t *draft = json_deep_copy(pool);
    if (!draft)
        return fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
    for (size_t i = 0; i < call->form->n; i++) {
        const char *key = call->form->keys[i], *value = call->form->values[i];
        char detail[200];
        if (in_list(pool_strings, key)) {
            json_object_set_new(draft, key, value[0] ? json_string(value) : json_null());
        } else if (in_list(pool_bools, key)) {
            if (strcmp(value, "1") && strcmp(value, "0") && strcmp(value, "true") &&
                strcmp(value, "false")) {
                json_decref(draft);
                snprintf(detail, sizeof(detail), "%s must be a boolean", key);
                return fo_mock_reply_error(out, 400, "Bad request", detail);
            }
            json_object_set_new(draft, key, json_boolean(value[0] == '1' || value[0] == 't'));
        } else if (in_list(pool_ints, key) && strspn(value, "0123456789") == strlen(value)) {
            json_object_set_new(draft, key, value[0] ? json_integer(atol(value)) : json_null());
        } else if (strcmp(key, "name") != 0) {
            json_decref(draft);
            snprintf(detail, sizeof(detail), "unknown or bad pool field %.100s", key);
            return fo_mock_reply_error(out, 400, "Bad request", detail);
        }
    }
    const char *min = json_string_value(json_object_get(draft, "min_tls_version"));
    const char *max = json_string_value(json_object_get(draft, "max_tls_version"));
    if (min && max && strtod(min, NULL) > strtod(max, NULL)) {
        json_decref(draft);
        return fo_mock_reply_error(out, 400, "Bad request",
                                   "min_tls_version is above max_tls_version");
    }
    json_object_update(pool, draft);
    json_decref(draft);
    free(v->updated_at);
    v->updated_at = fo_strdup(now);
    reply(out, pool_view(s, v, pool));
    out->changed = true;
}

bool fo_mock_origins_version_route(fo_mock_service *s, fo_mock_version *v, const fo_mock_call *call,
                                   fo_mock_reply *out)
{
    size_t n = call->nsegments;
    const char *what = n > 4 ? call->segments[4] : "";
    const char *name = n > 5 ? call->segments[5] : NULL;
    bool get = strcmp(call->method, "GET") == 0, put = strcmp(call->method, "PUT") == 0;
    bool post = strcmp(call->method, "POST") == 0, del = strcmp(call->method, "DELETE") == 0;
    char now[32];
    fo_mock_now(now, sizeof(now));
    if (strcmp(what, "snippet") == 0) {
        if (n == 5 && get) {
            reply(out, fo_mock_snippets_view(s, v));
        } else if (n == 6 && get) {
            json_t *sn = find_by(v->snippets, "name", name, NULL);
            if (!sn)
                missing(out, "Snippet", name);
            else
                reply(out, snippet_view(s, v, sn, true));
        } else if ((n == 5 && post) || (n == 6 && put)) {
            if (writable(s, v, out))
                write_snippet(s, v, n == 6 ? name : NULL, call, out, now);
        } else if (n == 6 && del) {
            size_t index;
            if (!find_by(v->snippets, "name", name, &index))
                missing(out, "Snippet", name);
            else if (writable(s, v, out)) {
                json_array_remove(v->snippets, index);
                reply(out, json_pack("{s:s}", "status", "ok"));
                out->changed = true;
            }
        } else {
            return false;
        }
        return true;
    }
    if (strcmp(what, "pool") == 0) {
        if (n == 5 && get) {
            json_t *list = json_array();
            size_t i;
            json_t *item;
            json_array_foreach(v->pools, i, item)
            {
                if (list)
                    json_array_append_new(list, pool_view(s, v, item));
            }
            reply(out, list);
        } else if (n == 6 && get) {
            json_t *pool = find_by(v->pools, "name", name, NULL);
            if (!pool)
                missing(out, "Pool", name);
            else
                reply(out, pool_view(s, v, pool));
        } else if (n == 6 && put) {
            if (writable(s, v, out))
                write_pool(s, v, name, call, out, now);
        } else {
            return false;
        }
        return true;
    }
    return false;
}

bool fo_mock_origins_service_route(fo_mock_service *s, const fo_mock_call *call, fo_mock_reply *out)
{
    char *const *seg = call->segments;
    size_t n = call->nsegments;
    bool get = strcmp(call->method, "GET") == 0, put = strcmp(call->method, "PUT") == 0;
    if (n == 4 && strcmp(seg[2], "snippet") == 0 && (get || put)) {
        /* A dynamic snippet, by id: the same in every version. */
        const fo_mock_version *owner = NULL;
        const json_t *sn = NULL;
        for (size_t i = s->nversions; i-- > 0 && !sn;) {
            sn = find_by(s->versions[i].snippets, "id", seg[3], NULL);
            owner = &s->versions[i];
        }
        if (!sn || !json_is_true(json_object_get(sn, "dynamic"))) {
            missing(out, "dynamic snippet", seg[3]);
            return true;
        }
        if (put) {
            const char *content = fo_mock_form_get(call->form, "content");
            char detail[512];
            if (!content) {
                fo_mock_reply_error(out, 400, "Bad request", "content is required");
                return true;
            }
            /* Versionless: it must compile now, for it is live at once. */
            if (vcl_problem("the dynamic snippet", content, detail, sizeof(detail))) {
                fo_mock_reply_error(out, 400, "Bad request", detail);
                return true;
            }
            json_object_set_new(s->dynamic_snippets, seg[3], json_string(content));
            out->changed = true;
        }
        json_t *view = snippet_view(s, owner, sn, false);
        if (view) { /* the versionless view names no version, and the id is "snippet_id" */
            json_object_del(view, "version");
            json_object_set(view, "snippet_id", json_object_get(view, "id"));
        }
        bool changed = out->changed;
        reply(out, view);
        out->changed = changed;
        return true;
    }
    if (n == 5 && strcmp(seg[2], "pool") == 0 && strcmp(seg[4], "servers") == 0 && get) {
        json_t *servers = json_object_get(s->pool_servers, seg[3]);
        bool known = false;
        for (size_t i = 0; i < s->nversions && !known; i++)
            known = find_by(s->versions[i].pools, "id", seg[3], NULL) != NULL;
        if (!known) {
            missing(out, "Pool", seg[3]);
            return true;
        }
        json_t *list = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(servers, i, item)
        {
            char port[24];
            snprintf(port, sizeof(port), "%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(item, "port")));
            if (list)
                json_array_append_new(list, json_pack("{s:O,s:O,s:s,s:s,s:s,s:s,s:s,s:s,s:n,s:n}",
                                                      "id", json_object_get(item, "id"), "address",
                                                      json_object_get(item, "address"), "port",
                                                      port, "pool_id", seg[3], "service_id", s->id,
                                                      "weight", "100", "max_conn", "0", "disabled",
                                                      "0", "comment", "override_host"));
        }
        reply(out, list);
        return true;
    }
    return false;
}

/* ---- the version dump ---- */

int fo_mock_origins_dump(fo_buf *out, const fo_mock_version *v, const char *section)
{
    bool pools = strcmp(section, "pools") == 0;
    const json_t *list = pools ? v->pools : v->snippets;
    /* Fastly's recorded dump has "snippets: []" and no pools key at all: pools appear
     * only when there are some (their layout there is a guess, see docs/origins.md). */
    if (json_array_size(list) == 0)
        return pools ? 0 : fo_buf_printf(out, "%s: []\n", section);
    int rc = fo_buf_printf(out, "%s:\n", section);
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        rc = rc ? rc
                : fo_buf_printf(out, "- name: %s\n",
                                json_string_value(json_object_get(item, "name")));
        const char *key;
        json_t *value;
        json_object_foreach(item, key, value)
        {
            if (rc || strcmp(key, "name") == 0 || strcmp(key, "id") == 0 ||
                strcmp(key, "tls_client_key") == 0) /* a secret stays out of diffs */
                continue;
            if (json_is_string(value) && strchr(json_string_value(value), '\n')) {
                const char *s = json_string_value(value);
                rc = fo_buf_printf(out, "  %s: |\n", key);
                while (rc == 0 && *s) {
                    size_t len = strcspn(s, "\n");
                    rc = fo_buf_printf(out, "    %.*s\n", (int)len, s);
                    s += len + (s[len] == '\n');
                }
            } else if (json_is_string(value)) {
                rc = fo_buf_printf(out, "  %s: '%s'\n", key, json_string_value(value));
            } else if (json_is_integer(value)) {
                rc = fo_buf_printf(out, "  %s: %" JSON_INTEGER_FORMAT "\n", key,
                                   json_integer_value(value));
            } else if (json_is_boolean(value)) {
                rc = fo_buf_printf(out, "  %s: %s\n", key, json_is_true(value) ? "true" : "false");
            } else {
                rc = fo_buf_printf(out, "  %s:\n", key);
            }
        }
    }
    return rc;
}
