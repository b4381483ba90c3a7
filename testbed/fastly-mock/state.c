/* The stand-in's state: services, their versions and each version's backends, domains
 * and custom VCL, read from and written to the JSON file the README documents. Loading
 * is strict (unknown keys and wrong types are errors naming their JSON path) so a typo
 * in a test's state fails loudly instead of silently meaning a default. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mock.h"

#define DEFAULT_TIME "2026-01-01T00:00:00Z"
#define DEFAULT_CUSTOMER "CUST0EXAMPLE"

void fo_mock_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void version_clear(fo_mock_version *v)
{
    free(v->comment);
    free(v->created_at);
    free(v->updated_at);
    json_decref(v->backends);
    json_decref(v->domains);
    json_decref(v->vcls);
    json_decref(v->snippets);
    json_decref(v->pools);
    memset(v, 0, sizeof(*v));
}

static void service_clear(fo_mock_service *s)
{
    free(s->id);
    free(s->name);
    free(s->comment);
    free(s->type);
    free(s->created_at);
    free(s->updated_at);
    for (size_t i = 0; i < s->nversions; i++)
        version_clear(&s->versions[i]);
    free(s->versions);
    json_decref(s->dynamic_snippets);
    json_decref(s->pool_servers);
    memset(s, 0, sizeof(*s));
}

void fo_mock_state_free(fo_mock_state *state)
{
    if (!state)
        return;
    for (size_t i = 0; i < state->nservices; i++)
        service_clear(&state->services[i]);
    free(state->services);
    free(state->customer_id);
    free(state);
}

/* ---- strict reading helpers ---- */

static int check_keys(const json_t *obj, const char *where, const char *const *allowed,
                      fo_error *err)
{
    if (!json_is_object(obj))
        return fo_error_set(err, FO_EINVAL, "%s: expected an object", where);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)obj, key, value)
    {
        bool known = false;
        for (size_t i = 0; allowed[i]; i++)
            known = known || strcmp(key, allowed[i]) == 0;
        if (!known)
            return fo_error_set(err, FO_EINVAL, "%s: unknown field '%s'", where, key);
    }
    return 0;
}

/* A string member; def when absent (NULL def = required). New copy in *out. */
static int get_string(char **out, const json_t *obj, const char *key, const char *def,
                      const char *where, fo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        if (!def)
            return fo_error_set(err, FO_EINVAL, "%s.%s: required", where, key);
        *out = fo_strdup(def);
    } else if (!json_is_string(v)) {
        return fo_error_set(err, FO_EINVAL, "%s.%s: expected a string", where, key);
    } else {
        *out = fo_strdup(json_string_value(v));
    }
    return *out ? 0 : fo_error_set(err, FO_ENOMEM, "out of memory");
}

static int get_bool(bool *out, const json_t *obj, const char *key, const char *where, fo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fo_error_set(err, FO_EINVAL, "%s.%s: expected true or false", where, key);
    *out = json_is_true(v);
    return 0;
}

/* An array member, borrowed in *out; NULL when absent, which json_array_* treat as empty. */
static int get_array(const json_t **out, const json_t *obj, const char *key, const char *where,
                     fo_error *err)
{
    const json_t *v = json_object_get(obj, key);
    *out = v;
    if (v && !json_is_array(v))
        return fo_error_set(err, FO_EINVAL, "%s.%s: expected an array", where, key);
    return 0;
}

static bool valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool name_taken(const json_t *list, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        if (strcmp(json_string_value(json_object_get(item, "name")), name) == 0)
            return true;
    }
    return false;
}

static int load_domains(fo_mock_version *v, const json_t *list, const char *where, fo_error *err)
{
    static const char *const keys[] = {"name", "comment", NULL};
    size_t i;
    json_t *item;
    json_array_foreach(list, i, item)
    {
        char at[160], *name = NULL, *comment = NULL;
        snprintf(at, sizeof(at), "%s.domains[%zu]", where, i);
        int rc = check_keys(item, at, keys, err);
        if (rc == 0)
            rc = get_string(&name, item, "name", NULL, at, err);
        if (rc == 0)
            rc = get_string(&comment, item, "comment", "", at, err);
        if (rc == 0 && (name[0] == '\0' || name_taken(v->domains, name)))
            rc = fo_error_set(err, FO_EINVAL, "%s.name: empty or duplicate domain", at);
        if (rc == 0 && json_array_append_new(v->domains, json_pack("{s:s,s:s}", "name", name,
                                                                   "comment", comment)) != 0)
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        free(name);
        free(comment);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int load_vcls(fo_mock_version *v, const json_t *list, const char *where, fo_error *err)
{
    static const char *const keys[] = {"name", "main", "content", NULL};
    size_t i;
    json_t *item;
    int mains = 0;
    json_array_foreach(list, i, item)
    {
        char at[160], *name = NULL, *content = NULL;
        bool main_vcl = false;
        snprintf(at, sizeof(at), "%s.vcls[%zu]", where, i);
        int rc = check_keys(item, at, keys, err);
        if (rc == 0)
            rc = get_string(&name, item, "name", NULL, at, err);
        if (rc == 0)
            rc = get_string(&content, item, "content", "", at, err);
        if (rc == 0)
            rc = get_bool(&main_vcl, item, "main", at, err);
        if (rc == 0 && (name[0] == '\0' || name_taken(v->vcls, name)))
            rc = fo_error_set(err, FO_EINVAL, "%s.name: empty or duplicate VCL name", at);
        if (rc == 0 && main_vcl && ++mains > 1)
            rc = fo_error_set(err, FO_EINVAL, "%s.main: only one VCL can be main", at);
        if (rc == 0 &&
            json_array_append_new(v->vcls, json_pack("{s:s,s:b,s:s}", "name", name, "main",
                                                     main_vcl, "content", content)) != 0)
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        free(name);
        free(content);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int load_version(fo_mock_version *v, const json_t *obj, const char *where,
                        const char *service_created, fo_error *err)
{
    static const char *const keys[] = {"number",     "active",     "locked",   "comment",
                                       "created_at", "updated_at", "backends", "domains",
                                       "vcls",       "snippets",   "pools",    NULL};
    const json_t *backends, *domains, *vcls;
    int rc = check_keys(obj, where, keys, err);
    if (rc != 0)
        return rc;
    const json_t *number = json_object_get(obj, "number");
    if (!json_is_integer(number) || json_integer_value(number) < 1 ||
        json_integer_value(number) > 1000000)
        return fo_error_set(err, FO_EINVAL, "%s.number: expected an integer from 1", where);
    v->number = (int)json_integer_value(number);
    v->backends = json_array();
    v->domains = json_array();
    v->vcls = json_array();
    if (!v->backends || !v->domains || !v->vcls)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    if ((rc = get_bool(&v->active, obj, "active", where, err)) != 0 ||
        (rc = get_bool(&v->locked, obj, "locked", where, err)) != 0 ||
        (rc = get_string(&v->comment, obj, "comment", "", where, err)) != 0 ||
        (rc = get_string(&v->created_at, obj, "created_at", service_created, where, err)) != 0 ||
        (rc = get_string(&v->updated_at, obj, "updated_at", v->created_at, where, err)) != 0 ||
        (rc = get_array(&backends, obj, "backends", where, err)) != 0 ||
        (rc = get_array(&domains, obj, "domains", where, err)) != 0 ||
        (rc = get_array(&vcls, obj, "vcls", where, err)) != 0)
        return rc;
    if (v->active && !v->locked) {
        /* Fastly locks what it activates; a state saying otherwise is a mistake. */
        return fo_error_set(err, FO_EINVAL, "%s: an active version is always locked", where);
    }
    size_t i;
    json_t *item;
    json_array_foreach(backends, i, item)
    {
        char at[160];
        json_t *backend;
        snprintf(at, sizeof(at), "%s.backends[%zu]", where, i);
        rc = fo_mock_backend_from_state(&backend, item, at, v->created_at, err);
        if (rc != 0)
            return rc;
        if (name_taken(v->backends, fo_mock_backend_name(backend))) {
            json_decref(backend);
            return fo_error_set(err, FO_EINVAL, "%s.name: duplicate backend name", at);
        }
        json_array_append_new(v->backends, backend);
    }
    if ((rc = load_domains(v, domains, where, err)) != 0)
        return rc;
    if ((rc = load_vcls(v, vcls, where, err)) != 0)
        return rc;
    return fo_mock_origins_load_version(v, obj, where, err);
}

static int compare_versions(const void *a, const void *b)
{
    const fo_mock_version *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

static int load_service(fo_mock_service *s, const json_t *obj, const char *where, fo_error *err)
{
    static const char *const keys[] = {"id",           "name",       "comment",  "type",
                                       "created_at",   "updated_at", "versions", "dynamic_snippets",
                                       "pool_servers", NULL};
    const json_t *versions;
    int rc = check_keys(obj, where, keys, err);
    if (rc != 0)
        return rc;
    if ((rc = get_string(&s->id, obj, "id", NULL, where, err)) != 0 ||
        (rc = get_string(&s->name, obj, "name", NULL, where, err)) != 0 ||
        (rc = get_string(&s->comment, obj, "comment", "", where, err)) != 0 ||
        (rc = get_string(&s->type, obj, "type", "vcl", where, err)) != 0 ||
        (rc = get_string(&s->created_at, obj, "created_at", DEFAULT_TIME, where, err)) != 0 ||
        (rc = get_string(&s->updated_at, obj, "updated_at", s->created_at, where, err)) != 0 ||
        (rc = get_array(&versions, obj, "versions", where, err)) != 0)
        return rc;
    if (!valid_id(s->id))
        return fo_error_set(err, FO_EINVAL, "%s.id: 1 to 64 letters, digits, '_' or '-'", where);
    if ((rc = fo_mock_origins_load_service(s, obj, where, err)) != 0)
        return rc;
    size_t n = json_array_size(versions);
    if (n == 0)
        return fo_error_set(err, FO_EINVAL, "%s.versions: a service has at least one version",
                            where);
    s->versions = calloc(n, sizeof(*s->versions));
    if (!s->versions)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    int active = 0;
    for (size_t i = 0; i < n; i++) {
        char at[128];
        snprintf(at, sizeof(at), "%s.versions[%zu]", where, i);
        s->nversions++;
        rc = load_version(&s->versions[i], json_array_get(versions, i), at, s->created_at, err);
        if (rc != 0)
            return rc;
        for (size_t j = 0; j < i; j++) {
            if (s->versions[j].number == s->versions[i].number)
                return fo_error_set(err, FO_EINVAL, "%s.number: duplicate version %d", at,
                                    s->versions[i].number);
        }
        if (s->versions[i].active && ++active > 1)
            return fo_error_set(err, FO_EINVAL, "%s.active: only one version can be active", at);
    }
    qsort(s->versions, s->nversions, sizeof(*s->versions), compare_versions);
    return 0;
}

int fo_mock_state_from_json(fo_mock_state **out, const json_t *root, fo_error *err)
{
    static const char *const keys[] = {"customer_id", "services", NULL};
    const json_t *services;
    *out = NULL;
    fo_mock_state *state = calloc(1, sizeof(*state));
    if (!state)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    int rc = check_keys(root, "state", keys, err);
    if (rc == 0)
        rc = get_string(&state->customer_id, root, "customer_id", DEFAULT_CUSTOMER, "state", err);
    if (rc == 0)
        rc = get_array(&services, root, "services", "state", err);
    if (rc != 0)
        goto out;
    size_t n = json_array_size(services);
    state->services = calloc(n ? n : 1, sizeof(*state->services));
    if (!state->services) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char at[64];
        snprintf(at, sizeof(at), "services[%zu]", i);
        state->nservices++;
        rc = load_service(&state->services[i], json_array_get(services, i), at, err);
        if (rc != 0)
            goto out;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(state->services[j].id, state->services[i].id) == 0) {
                rc = fo_error_set(err, FO_EINVAL, "%s.id: duplicate service id '%s'", at,
                                  state->services[i].id);
                goto out;
            }
        }
    }
out:
    if (rc != 0) {
        fo_mock_state_free(state);
        return rc;
    }
    *out = state;
    return 0;
}

int fo_mock_state_load(fo_mock_state **out, const char *path, fo_error *err)
{
    json_error_t jerr;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fo_error_set(err, FO_EIO, "cannot read %s: %s", path, strerror(errno));
    json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
    fclose(f);
    if (!root)
        return fo_error_set(err, FO_EINVAL, "%s: line %d: %s", path, jerr.line, jerr.text);
    int rc = fo_mock_state_from_json(out, root, err);
    json_decref(root);
    if (rc != 0 && err) {
        char msg[sizeof(err->msg)];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        fo_error_set(err, rc, "%s: %s", path, msg);
    }
    return rc;
}

static json_t *version_to_json(const fo_mock_version *v)
{
    json_t *backends = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v->backends, i, item)
    {
        json_array_append_new(backends, fo_mock_backend_stored(item));
    }
    json_t *obj = json_pack("{s:i,s:b,s:b,s:s,s:s,s:s,s:o,s:O,s:O}", "number", v->number, "active",
                            v->active, "locked", v->locked, "comment", v->comment, "created_at",
                            v->created_at, "updated_at", v->updated_at, "backends", backends,
                            "domains", v->domains, "vcls", v->vcls);
    if (obj)
        fo_mock_origins_save_version(obj, v);
    return obj;
}

json_t *fo_mock_state_to_json(const fo_mock_state *state)
{
    json_t *services = json_array();
    for (size_t i = 0; i < state->nservices; i++) {
        const fo_mock_service *s = &state->services[i];
        json_t *versions = json_array();
        for (size_t j = 0; j < s->nversions; j++)
            json_array_append_new(versions, version_to_json(&s->versions[j]));
        json_t *obj = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "id", s->id, "name", s->name,
                                "comment", s->comment, "type", s->type, "created_at", s->created_at,
                                "updated_at", s->updated_at, "versions", versions);
        if (obj)
            fo_mock_origins_save_service(obj, s);
        json_array_append_new(services, obj);
    }
    return json_pack("{s:s,s:o}", "customer_id", state->customer_id, "services", services);
}

int fo_mock_state_save(const fo_mock_state *state, const char *path, fo_error *err)
{
    char tmp[4096];
    int rc = 0;
    json_t *root = fo_mock_state_to_json(state);
    if (!root)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= sizeof(tmp)) {
        rc = fo_error_set(err, FO_EINVAL, "state path too long");
        goto out;
    }
    if (json_dump_file(root, tmp, JSON_INDENT(2)) != 0 || rename(tmp, path) != 0) {
        rc = fo_error_set(err, FO_EIO, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
    }
out:
    json_decref(root);
    return rc;
}

fo_mock_service *fo_mock_service_find(fo_mock_state *state, const char *id)
{
    for (size_t i = 0; i < state->nservices; i++) {
        if (strcmp(state->services[i].id, id) == 0)
            return &state->services[i];
    }
    return NULL;
}

fo_mock_version *fo_mock_version_find(fo_mock_service *service, int number)
{
    for (size_t i = 0; i < service->nversions; i++) {
        if (service->versions[i].number == number)
            return &service->versions[i];
    }
    return NULL;
}

fo_mock_version *fo_mock_version_active(fo_mock_service *service)
{
    for (size_t i = 0; i < service->nversions; i++) {
        if (service->versions[i].active)
            return &service->versions[i];
    }
    return NULL;
}

fo_mock_version *fo_mock_version_clone(fo_mock_service *service, int from, const char *now)
{
    fo_mock_version *source = fo_mock_version_find(service, from);
    if (!source)
        return NULL;
    size_t index = (size_t)(source - service->versions);
    fo_mock_version *grown =
        realloc(service->versions, (service->nversions + 1) * sizeof(*service->versions));
    if (!grown)
        return NULL;
    service->versions = grown;
    source = &grown[index];
    fo_mock_version *copy = &grown[service->nversions];
    memset(copy, 0, sizeof(*copy));
    copy->number = grown[service->nversions - 1].number + 1;
    copy->comment = fo_strdup(source->comment);
    copy->created_at = fo_strdup(now);
    copy->updated_at = fo_strdup(now);
    copy->backends = json_deep_copy(source->backends);
    copy->domains = json_deep_copy(source->domains);
    copy->vcls = json_deep_copy(source->vcls);
    copy->snippets = json_deep_copy(source->snippets);
    copy->pools = json_deep_copy(source->pools);
    if (!copy->comment || !copy->created_at || !copy->updated_at || !copy->backends ||
        !copy->domains || !copy->vcls || !copy->snippets || !copy->pools) {
        version_clear(copy);
        return NULL;
    }
    service->nversions++;
    return copy;
}

const char *fo_mock_example_state(void)
{
    return "{\n"
           "  \"customer_id\": \"CUST0EXAMPLE\",\n"
           "  \"services\": [\n"
           "    {\n"
           "      \"id\": \"SVC0EXAMPLE\",\n"
           "      \"name\": \"example\",\n"
           "      \"comment\": \"\",\n"
           "      \"versions\": [\n"
           "        {\n"
           "          \"number\": 1,\n"
           "          \"active\": true,\n"
           "          \"locked\": true,\n"
           "          \"comment\": \"initial configuration\",\n"
           "          \"domains\": [{\"name\": \"www.example.com\", \"comment\": \"\"}],\n"
           "          \"backends\": [\n"
           "            {\n"
           "              \"name\": \"origin\",\n"
           "              \"address\": \"origin.example.com\",\n"
           "              \"port\": 443,\n"
           "              \"use_ssl\": true,\n"
           "              \"ssl_check_cert\": true,\n"
           "              \"ssl_cert_hostname\": \"origin.example.com\",\n"
           "              \"ssl_sni_hostname\": \"origin.example.com\",\n"
           "              \"override_host\": \"origin.example.com\"\n"
           "            }\n"
           "          ],\n"
           "          \"vcls\": []\n"
           "        }\n"
           "      ]\n"
           "    }\n"
           "  ]\n"
           "}\n";
}
