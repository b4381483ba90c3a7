/* JSON into the model. The only file of the module that knows jansson.
 *
 * Fastly is loose with types: backends and versions use real ints and bools,
 * other objects strings for numbers and "0"/"1" for booleans, and null and ""
 * both mean unset. The getters below take every spelling seen; a value of a
 * type no spelling covers makes the response malformed (FO_EPROTO). */
#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* Collects the first problem while a whole object is read, so each getter
 * stays a one-liner and the parse function checks once. */
typedef struct reader {
    const char *what;      /* "backend", "version" */
    const char *bad_field; /* the first field with a type no spelling covers */
    bool nomem;
} reader;

static void mark_bad(reader *r, const char *key)
{
    if (!r->bad_field)
        r->bad_field = key;
}

static char *dup_or_nomem(reader *r, const char *s)
{
    char *copy = fo_strdup(s);
    if (!copy)
        r->nomem = true;
    return copy;
}

/* A string; numbers are taken as their decimal text. NULL for null, "",
 * absent. */
static char *rd_str(reader *r, const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    char num[32];
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_length(v) == 0 ? NULL : dup_or_nomem(r, json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return dup_or_nomem(r, num);
    }
    mark_bad(r, key);
    return NULL;
}

static bool parse_long_text(const char *s, long *out)
{
    char *end = NULL;
    errno = 0;
    long value = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return false;
    *out = value;
    return true;
}

/* An int or a numeric string; unset gives fallback. */
static long rd_int(reader *r, const json_t *obj, const char *key, long fallback)
{
    const json_t *v = json_object_get(obj, key);
    long value = fallback;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return fallback;
    if (json_is_integer(v) && json_integer_value(v) >= -2147483647LL &&
        json_integer_value(v) <= 2147483647LL)
        return (long)json_integer_value(v);
    if (json_is_string(v) && parse_long_text(json_string_value(v), &value))
        return value;
    mark_bad(r, key);
    return fallback;
}

/* true/false, 1/0, "1"/"0", "true"/"false"; unset gives fallback. */
static bool rd_bool(reader *r, const json_t *obj, const char *key, bool fallback)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return fallback;
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1))
        return json_integer_value(v) == 1;
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (s[0] == '\0')
            return fallback;
        if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
            return true;
        if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
            return false;
    }
    mark_bad(r, key);
    return fallback;
}

static int reader_result(const reader *r, fo_error *err)
{
    if (r->nomem)
        return fo_error_set(err, FO_ENOMEM, "out of memory reading a Fastly %s", r->what);
    if (r->bad_field)
        return fo_error_set(err, FO_EPROTO, "Fastly API: malformed %s: '%s' has an unexpected type",
                            r->what, r->bad_field);
    return 0;
}

static int load(json_t **out, const char *json, size_t len, const char *what, fo_error *err)
{
    json_error_t jerr;
    *out = json_loadb(json, len, 0, &jerr);
    if (!*out)
        return fo_error_set(err, FO_EPROTO, "Fastly API: malformed %s: not JSON (%s at %d:%d)",
                            what, jerr.text, jerr.line, jerr.column);
    return 0;
}

static int expect(const json_t *v, json_type type, const char *what, fo_error *err)
{
    if (v && json_typeof(v) == type)
        return 0;
    return fo_error_set(err, FO_EPROTO, "Fastly API: malformed %s: expected a JSON %s", what,
                        type == JSON_ARRAY ? "array" : "object");
}

/* Reads one item (a struct of its own kind) from a JSON object; clears one. */
typedef int (*item_reader)(void *item, const json_t *obj, fo_error *err);
typedef void (*item_clearer)(void *item);

/* One kind of item the API answers with (backend, version, VCL, snippet, pool, pool server):
 * its size, how one is read and cleared, what messages call one and a list of them, and where
 * its list type (fo_backend_list, ...) keeps the items and their count. Every kind is parsed
 * and freed by the same functions below, the way backend_fields.c's slots serve every field. */
typedef struct item_kind {
    size_t size;
    item_reader read;
    item_clearer clear;
    const char *one;  /* "backend" */
    const char *list; /* "backend list" */
    size_t list_size, items_at, count_at;
} item_kind;

/* The last three members of an item_kind: the list type's size and where it keeps what. */
#define LIST_LAYOUT(type)                                                                          \
    .list_size = sizeof(type), .items_at = offsetof(type, items), .count_at = offsetof(type, count)

/* Clears count items of size bytes and frees their array: a list's items, or what a failed
 * read leaves. */
static void items_free(void *items, size_t count, size_t size, item_clearer clear)
{
    for (size_t i = 0; i < count; i++)
        clear((char *)items + i * size);
    free(items);
}

/* Clears one item of its own and frees it (the public fo_*_free); accepts NULL. */
static void item_free(void *item, item_clearer clear)
{
    if (item)
        clear(item);
    free(item);
}

/* The objects of a JSON array (NULL or empty: none) into a new array of items, the one way
 * every list of the API is read. On failure nothing is left: the items are cleared and
 * freed. */
static int read_array(void **out, size_t *out_count, const json_t *arr, const item_kind *kind,
                      fo_error *err)
{
    size_t n = json_array_size(arr);
    *out = NULL;
    *out_count = 0;
    if (n == 0)
        return 0;
    char *items = calloc(n, kind->size);
    if (!items)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = kind->read(items + i * kind->size, json_array_get(arr, i), err);
    if (rc != 0) {
        items_free(items, n, kind->size, kind->clear);
        return rc;
    }
    *out = items;
    *out_count = n;
    return 0;
}

/* A response that is a JSON array of objects (list) or one object into a new array of items
 * (one for an object); on failure nothing is left. */
static int parse_items(void **out, size_t *out_count, const char *json, size_t len, bool list,
                       const item_kind *kind, fo_error *err)
{
    json_t *root = NULL;
    const char *what = list ? kind->list : kind->one;
    *out = NULL;
    *out_count = 0;
    int rc = load(&root, json, len, what, err);
    if (rc == 0 && list) {
        rc = expect(root, JSON_ARRAY, what, err);
        if (rc == 0)
            rc = read_array(out, out_count, root, kind, err);
    } else if (rc == 0) {
        void *one = calloc(1, kind->size);
        rc = one ? kind->read(one, root, err) : fo_error_set(err, FO_ENOMEM, "out of memory");
        if (rc == 0) {
            *out = one;
            *out_count = 1;
        } else {
            item_free(one, kind->clear);
        }
    }
    json_decref(root);
    return rc;
}

/* A response that is one object into a new item of its own (fo_api_parse_backend, ...). */
static int parse_one(void **out, const char *json, size_t len, const item_kind *kind, fo_error *err)
{
    size_t count;
    return parse_items(out, &count, json, len, false, kind, err);
}

/* A response that is an array (list) or one object into a new list of kind's list type. */
static int parse_list(void **out, const char *json, size_t len, bool list, const item_kind *kind,
                      fo_error *err)
{
    void *items = NULL;
    size_t count = 0;
    char *l = calloc(1, kind->list_size);
    int rc = l ? parse_items(&items, &count, json, len, list, kind, err)
               : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc != 0) {
        free(l);
        return rc;
    }
    memcpy(l + kind->items_at, &items, sizeof(items));
    memcpy(l + kind->count_at, &count, sizeof(count));
    *out = l;
    return 0;
}

/* Frees a list of kind's list type (the public fo_*_list_free); accepts NULL. */
static void list_free(void *list, const item_kind *kind)
{
    char *l = list;
    void *items = NULL;
    size_t count = 0;
    if (!l)
        return;
    memcpy(&items, l + kind->items_at, sizeof(items));
    memcpy(&count, l + kind->count_at, sizeof(count));
    items_free(items, count, kind->size, kind->clear);
    free(l);
}

/* ---- backends ---- */

static void backend_clear(void *item)
{
    fo_backend *b = item;
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].slot != FO_SLOT_STRING)
            continue;
        char **text = fo_backend_text_slot(b, &fields[i]);
        if (fields[i].kind == FO_FIELD_SECRET)
            fo_secret_free(*text);
        else
            free(*text);
    }
    memset(b, 0, sizeof(*b));
}

void fo_backend_free(fo_backend *b)
{
    item_free(b, backend_clear);
}

/* One field into b, by its slot (backend_fields.c): absent numbers read as -1, absent flags as
 * the field says. */
static void read_field(reader *r, fo_backend *b, const json_t *obj, const fo_backend_field *f)
{
    switch (f->slot) {
    case FO_SLOT_STRING:
        *fo_backend_text_slot(b, f) = rd_str(r, obj, f->name);
        break;
    case FO_SLOT_LONG:
        *fo_backend_long_slot(b, f) = rd_int(r, obj, f->name, -1);
        break;
    case FO_SLOT_BOOL:
        *fo_backend_bool_slot(b, f) = rd_bool(r, obj, f->name, f->absent != 0);
        break;
    case FO_SLOT_TRISTATE: {
        const json_t *v = json_object_get(obj, f->name);
        *fo_backend_tristate_slot(b, f) = !v || json_is_null(v)             ? f->absent
                                          : rd_bool(r, obj, f->name, false) ? 1
                                                                            : 0;
        break;
    }
    case FO_SLOT_NONE:
        break;
    }
}

static int read_backend(void *item, const json_t *obj, fo_error *err)
{
    fo_backend *b = item;
    reader r = {.what = "backend"};
    int rc = expect(obj, JSON_OBJECT, "backend", err);
    if (rc != 0)
        return rc;
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t i = 0; i < count; i++)
        read_field(&r, b, obj, &fields[i]);
    if (!r.bad_field && !r.nomem && !b->name)
        mark_bad(&r, "name");
    return reader_result(&r, err);
}

static const item_kind backend_kind = {
    .size = sizeof(fo_backend),
    .read = read_backend,
    .clear = backend_clear,
    .one = "backend",
    .list = "backend list",
    LIST_LAYOUT(fo_backend_list),
};

int fo_api_parse_backend(fo_backend **out, const char *json, size_t len, fo_error *err)
{
    void *one = NULL;
    int rc = parse_one(&one, json, len, &backend_kind, err);
    if (rc == 0)
        *out = one;
    return rc;
}

void fo_backend_list_free(fo_backend_list *l)
{
    list_free(l, &backend_kind);
}

int fo_api_parse_backend_list(fo_backend_list **out, const char *json, size_t len, fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, true, &backend_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

/* ---- versions ---- */

static void version_clear(void *item)
{
    fo_version *v = item;
    free(v->comment);
    free(v->created_at);
    free(v->updated_at);
    free(v->service_id);
    free(v->msg);
    memset(v, 0, sizeof(*v));
}

void fo_version_free(fo_version *v)
{
    item_free(v, version_clear);
}

static int read_version(void *item, const json_t *obj, fo_error *err)
{
    fo_version *v = item;
    reader r = {.what = "version"};
    int rc = expect(obj, JSON_OBJECT, "version", err);
    if (rc != 0)
        return rc;
    v->number = rd_int(&r, obj, "number", -1);
    v->active = rd_bool(&r, obj, "active", false);
    v->locked = rd_bool(&r, obj, "locked", false);
    v->deployed = rd_bool(&r, obj, "deployed", false);
    v->staging = rd_bool(&r, obj, "staging", false);
    v->testing = rd_bool(&r, obj, "testing", false);
    v->comment = rd_str(&r, obj, "comment");
    v->created_at = rd_str(&r, obj, "created_at");
    v->updated_at = rd_str(&r, obj, "updated_at");
    v->service_id = rd_str(&r, obj, "service_id");
    v->msg = rd_str(&r, obj, "msg");
    if (!r.bad_field && v->number <= 0)
        mark_bad(&r, "number");
    return reader_result(&r, err);
}

static const item_kind version_kind = {
    .size = sizeof(fo_version),
    .read = read_version,
    .clear = version_clear,
    .one = "version",
    .list = "version list",
    LIST_LAYOUT(fo_version_list),
};

int fo_api_parse_version(fo_version **out, const char *json, size_t len, fo_error *err)
{
    void *one = NULL;
    int rc = parse_one(&one, json, len, &version_kind, err);
    if (rc == 0)
        *out = one;
    return rc;
}

void fo_version_list_free(fo_version_list *l)
{
    list_free(l, &version_kind);
}

int fo_api_parse_version_list(fo_version_list **out, const char *json, size_t len, fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, true, &version_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

/* ---- services ---- */

static void free_strings(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

/* Strings of a JSON array; entries may also be objects with a "name" (domains). */
static int read_strings(char ***out, size_t *out_count, const json_t *arr, const char *what,
                        fo_error *err)
{
    reader r = {.what = what};
    size_t n = json_array_size(arr);
    char **items = NULL;
    size_t count = 0;
    *out = NULL;
    *out_count = 0;
    if (arr && !json_is_array(arr) && !json_is_null(arr))
        return expect(arr, JSON_ARRAY, what, err);
    if (n == 0)
        return 0;
    items = calloc(n, sizeof(*items));
    if (!items)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char *s = NULL;
        if (json_is_string(v))
            s = json_string_length(v) ? dup_or_nomem(&r, json_string_value(v)) : NULL;
        else if (json_is_object(v))
            s = rd_str(&r, v, "name");
        else
            mark_bad(&r, "[]");
        if (s)
            items[count++] = s;
    }
    int rc = reader_result(&r, err);
    if (rc != 0) {
        free_strings(items, count);
        return rc;
    }
    *out = items;
    *out_count = count;
    return 0;
}

/* ---- a version as plain data ---- */

static void item_clear(fo_config_item *item)
{
    for (size_t i = 0; i < item->field_count; i++) {
        free(item->fields[i].name);
        fo_secret_free(item->fields[i].value); /* any field may be a key */
    }
    free(item->fields);
}

static void sections_free(fo_config_section *sections, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < sections[i].item_count; j++)
            item_clear(&sections[i].items[j]);
        free(sections[i].items);
        free(sections[i].name);
    }
    free(sections);
}

/* A value as fo_config_field spells it: the text a tolerant comparison needs. */
static int value_text(char **out, const json_t *v)
{
    char num[64];
    *out = NULL;
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return 0;
    if (json_is_string(v))
        *out = fo_strdup(json_string_value(v));
    else if (json_is_boolean(v))
        *out = fo_strdup(json_is_true(v) ? "true" : "false");
    else if (json_is_integer(v))
        *out = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v)) > 0
                   ? fo_strdup(num)
                   : NULL;
    else if (json_is_real(v))
        *out = snprintf(num, sizeof(num), "%.17g", json_real_value(v)) > 0 ? fo_strdup(num) : NULL;
    else
        *out = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    return *out ? 0 : FO_ENOMEM;
}

static int add_field(fo_config_item *item, const char *name, const json_t *value)
{
    fo_config_field *grown = realloc(item->fields, (item->field_count + 1) * sizeof(*grown));
    if (!grown)
        return FO_ENOMEM;
    item->fields = grown;
    fo_config_field *f = &grown[item->field_count];
    f->name = fo_strdup(name);
    if (!f->name)
        return FO_ENOMEM;
    if (value_text(&f->value, value) != 0) {
        free(f->name);
        return FO_ENOMEM;
    }
    item->field_count++;
    return 0;
}

/* An item from an object (every key a field) or from any other value (one field ""). */
static int read_item(fo_config_item *item, const json_t *v)
{
    const char *key;
    json_t *value;
    int rc = 0;
    if (!json_is_object(v))
        return add_field(item, "", v);
    json_object_foreach((json_t *)v, key, value)
    {
        if (rc == 0)
            rc = add_field(item, key, value);
    }
    return rc;
}

static fo_config_section *add_section(fo_version_config *c, const char *name, bool list,
                                      size_t item_count)
{
    fo_config_section *grown = realloc(c->sections, (c->section_count + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    c->sections = grown;
    fo_config_section *s = &grown[c->section_count];
    memset(s, 0, sizeof(*s));
    s->name = fo_strdup(name);
    s->list = list;
    s->items = calloc(item_count ? item_count : 1, sizeof(*s->items));
    if (!s->name || !s->items) {
        free(s->name);
        free(s->items);
        return NULL;
    }
    c->section_count++;
    return s;
}

/* Every key of the version object: arrays and objects become sections, scalars the fields of
 * the section "version". Nothing here knows a section's shape, so nothing can be missed. */
static int read_sections(fo_version_config *c, const json_t *obj)
{
    fo_config_section *own = add_section(c, "version", false, 1);
    const char *key;
    json_t *value;
    int rc = own ? 0 : FO_ENOMEM;
    if (rc == 0)
        own->item_count = 1;
    json_object_foreach((json_t *)obj, key, value)
    {
        if (rc != 0)
            break;
        if (!json_is_array(value) && !json_is_object(value)) {
            rc = add_field(&c->sections[0].items[0], key, value);
            continue;
        }
        size_t n = json_is_array(value) ? json_array_size(value) : 1;
        fo_config_section *s = add_section(c, key, json_is_array(value), n);
        if (!s) {
            rc = FO_ENOMEM;
            break;
        }
        for (size_t i = 0; rc == 0 && i < n; i++) {
            rc = read_item(&s->items[i], json_is_array(value) ? json_array_get(value, i) : value);
            s->item_count = i + 1; /* what holds memory is freed, also on failure */
        }
    }
    return rc;
}

void fo_version_config_free(fo_version_config *c)
{
    if (!c)
        return;
    version_clear(&c->version);
    items_free(c->backends, c->backend_count, sizeof(*c->backends), backend_clear);
    free_strings(c->domains, c->domain_count);
    sections_free(c->sections, c->section_count);
    free(c);
}

static int read_config(fo_version_config **out, const json_t *obj, fo_error *err)
{
    fo_version_config *c = calloc(1, sizeof(*c));
    int rc =
        c ? read_version(&c->version, obj, err) : fo_error_set(err, FO_ENOMEM, "out of memory");
    const json_t *backends = json_object_get(obj, "backends");
    if (rc == 0 && backends && !json_is_null(backends))
        rc = expect(backends, JSON_ARRAY, "version's backends", err);
    void *items = NULL;
    if (rc == 0)
        rc = read_array(&items, &c->backend_count, backends, &backend_kind, err);
    if (rc == 0)
        c->backends = items;
    if (rc == 0)
        rc = read_strings(&c->domains, &c->domain_count, json_object_get(obj, "domains"),
                          "version's domains", err);
    if (rc == 0 && read_sections(c, obj) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory reading a Fastly version");
    if (rc == 0) {
        const json_t *vcls = json_object_get(obj, "vcls");
        const json_t *snippets = json_object_get(obj, "snippets");
        c->vcl_count = json_is_array(vcls) ? (long)json_array_size(vcls) : -1;
        c->snippet_count = json_is_array(snippets) ? (long)json_array_size(snippets) : -1;
    }
    if (rc == 0) {
        *out = c;
        c = NULL;
    }
    fo_version_config_free(c);
    return rc;
}

void fo_api_service_clear(fo_service *s)
{
    free(s->id);
    free(s->name);
    free(s->type);
    free(s->comment);
    items_free(s->versions, s->version_count, sizeof(*s->versions), version_clear);
    fo_version_config_free(s->version);
    fo_version_config_free(s->active);
    memset(s, 0, sizeof(*s));
}

static void service_clear(void *item)
{
    fo_api_service_clear(item);
}

void fo_service_free(fo_service *s)
{
    item_free(s, service_clear);
}

static int read_service(fo_service *s, const json_t *obj, bool details, fo_error *err)
{
    reader r = {.what = "service"};
    int rc = expect(obj, JSON_OBJECT, "service", err);
    if (rc != 0)
        return rc;
    s->id = rd_str(&r, obj, "id");
    s->name = rd_str(&r, obj, "name");
    s->type = rd_str(&r, obj, "type");
    s->comment = rd_str(&r, obj, "comment");
    if (!r.bad_field && !r.nomem && !s->id)
        mark_bad(&r, "id");
    rc = reader_result(&r, err);
    const json_t *versions = json_object_get(obj, "versions");
    if (rc == 0 && versions && !json_is_null(versions))
        rc = expect(versions, JSON_ARRAY, "service's versions", err);
    void *items = NULL;
    if (rc == 0)
        rc = read_array(&items, &s->version_count, versions, &version_kind, err);
    s->versions = items;
    const json_t *version = json_object_get(obj, "version");
    const json_t *active = json_object_get(obj, "active_version");
    if (rc == 0 && details && json_is_object(version))
        rc = read_config(&s->version, version, err);
    if (rc == 0 && details && json_is_object(active))
        rc = read_config(&s->active, active, err);
    if (rc != 0)
        return rc;
    /* prefer_ipv6 defaults to true for Compute services: a backend that does not say has it. */
    for (int c = 0; s->type && strcmp(s->type, "wasm") == 0 && c < 2; c++) {
        fo_version_config *config = c == 0 ? s->version : s->active;
        for (size_t i = 0; config && i < config->backend_count; i++) {
            if (config->backends[i].prefer_ipv6 < 0)
                config->backends[i].prefer_ipv6 = 1;
        }
    }

    /* The active and latest numbers from whatever the response carries. */
    for (size_t i = 0; i < s->version_count; i++) {
        if (s->versions[i].active)
            s->active_version = s->versions[i].number;
        if (s->versions[i].number > s->latest_version)
            s->latest_version = s->versions[i].number;
    }
    if (s->active)
        s->active_version = s->active->version.number;
    else if (json_is_integer(active) || json_is_string(active))
        s->active_version = rd_int(&r, obj, "active_version", 0);
    if (s->version && s->version->version.number > s->latest_version)
        s->latest_version = s->version->version.number;
    return reader_result(&r, err);
}

int fo_api_parse_service_details(fo_service **out, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    fo_service *s = calloc(1, sizeof(*s));
    int rc = s ? load(&root, json, len, "service details", err)
               : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = read_service(s, root, true, err);
    if (rc == 0) {
        *out = s;
        s = NULL;
    }
    fo_service_free(s);
    json_decref(root);
    return rc;
}

void fo_service_list_free(fo_service_list *l)
{
    if (l)
        items_free(l->items, l->count, sizeof(*l->items), service_clear);
    free(l);
}

int fo_api_parse_service_page(fo_service_list *list, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    int rc = load(&root, json, len, "service list", err);
    if (rc == 0)
        rc = expect(root, JSON_ARRAY, "service list", err);
    size_t n = json_array_size(root);
    if (rc == 0 && n > 0) {
        fo_service *items = realloc(list->items, (list->count + n) * sizeof(*items));
        if (!items) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
        list->items = items;
        for (size_t i = 0; i < n && rc == 0; i++) {
            fo_service *s = &list->items[list->count];
            memset(s, 0, sizeof(*s));
            rc = read_service(s, json_array_get(root, i), false, err);
            if (rc != 0)
                fo_api_service_clear(s);
            else
                list->count++;
        }
    }
out:
    json_decref(root);
    return rc;
}

/* ---- validate, diff, VCL, IPs, token ---- */

void fo_validation_free(fo_validation *v)
{
    if (!v)
        return;
    free(v->msg);
    free(v);
}

/* Appends the strings (or objects' "message"/"msg") of a JSON array to buf. */
static int join_messages(fo_buf *buf, const json_t *arr)
{
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        const char *text = json_string_value(item);
        if (!text)
            text = json_string_value(json_object_get(item, "message"));
        if (!text)
            text = json_string_value(json_object_get(item, "msg"));
        if (!text || !*text)
            continue;
        if ((buf->len && fo_buf_puts(buf, "; ") != 0) || fo_buf_puts(buf, text) != 0)
            return FO_ENOMEM;
    }
    return 0;
}

int fo_api_parse_validation(fo_validation **out, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    fo_buf msg = {0};
    fo_validation *v = calloc(1, sizeof(*v));
    int rc = v ? load(&root, json, len, "validation", err)
               : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = expect(root, JSON_OBJECT, "validation", err);
    if (rc != 0)
        goto out;
    const char *status = json_string_value(json_object_get(root, "status"));
    if (!status) {
        rc = fo_error_set(err, FO_EPROTO, "Fastly API: malformed validation: no status");
        goto out;
    }
    v->ok = strcmp(status, "ok") == 0;
    const char *text = json_string_value(json_object_get(root, "msg"));
    if ((text && *text && fo_buf_puts(&msg, text) != 0) ||
        join_messages(&msg, json_object_get(root, "errors")) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (msg.len)
        v->msg = fo_buf_steal(&msg);
    *out = v;
    v = NULL;
out:
    fo_buf_clear(&msg);
    fo_validation_free(v);
    json_decref(root);
    return rc;
}

void fo_diff_free(fo_diff *d)
{
    if (!d)
        return;
    free(d->text);
    free(d);
}

int fo_api_parse_diff(fo_diff **out, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    reader r = {.what = "diff"};
    fo_diff *d = calloc(1, sizeof(*d));
    int rc =
        d ? load(&root, json, len, "diff", err) : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = expect(root, JSON_OBJECT, "diff", err);
    if (rc != 0)
        goto out;
    d->from = rd_int(&r, root, "from", -1);
    d->to = rd_int(&r, root, "to", -1);
    d->text = rd_str(&r, root, "diff");
    if (!d->text && !r.nomem)
        d->text = dup_or_nomem(&r, "");
    rc = reader_result(&r, err);
    if (rc == 0) {
        *out = d;
        d = NULL;
    }
out:
    fo_diff_free(d);
    json_decref(root);
    return rc;
}

static void vcl_clear(void *item)
{
    fo_custom_vcl *v = item;
    free(v->name);
    free(v->content);
    memset(v, 0, sizeof(*v));
}

void fo_custom_vcl_free(fo_custom_vcl *v)
{
    item_free(v, vcl_clear);
}

static int read_vcl(void *item, const json_t *obj, fo_error *err)
{
    fo_custom_vcl *v = item;
    reader r = {.what = "VCL"};
    int rc = expect(obj, JSON_OBJECT, "VCL", err);
    if (rc != 0)
        return rc;
    v->name = rd_str(&r, obj, "name");
    v->content = rd_str(&r, obj, "content");
    v->main = rd_bool(&r, obj, "main", false);
    if (!v->content && !r.nomem)
        v->content = dup_or_nomem(&r, "");
    return reader_result(&r, err);
}

static const item_kind vcl_kind = {
    .size = sizeof(fo_custom_vcl),
    .read = read_vcl,
    .clear = vcl_clear,
    .one = "VCL",
    .list = "VCL list",
    LIST_LAYOUT(fo_custom_vcl_list),
};

int fo_api_parse_vcl(fo_custom_vcl **out, const char *json, size_t len, fo_error *err)
{
    void *one = NULL;
    int rc = parse_one(&one, json, len, &vcl_kind, err);
    if (rc == 0)
        *out = one;
    return rc;
}

void fo_custom_vcl_list_free(fo_custom_vcl_list *l)
{
    list_free(l, &vcl_kind);
}

int fo_api_parse_vcl_list(fo_custom_vcl_list **out, const char *json, size_t len, fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, true, &vcl_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

void fo_ip_list_free(fo_ip_list *l)
{
    if (!l)
        return;
    free_strings(l->ipv4, l->ipv4_count);
    free_strings(l->ipv6, l->ipv6_count);
    free(l);
}

int fo_api_parse_ip_list(fo_ip_list **out, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    fo_ip_list *l = calloc(1, sizeof(*l));
    int rc = l ? load(&root, json, len, "public IP list", err)
               : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = expect(root, JSON_OBJECT, "public IP list", err);
    if (rc == 0)
        rc = read_strings(&l->ipv4, &l->ipv4_count, json_object_get(root, "addresses"),
                          "public IP list", err);
    if (rc == 0)
        rc = read_strings(&l->ipv6, &l->ipv6_count, json_object_get(root, "ipv6_addresses"),
                          "public IP list", err);
    if (rc == 0 && l->ipv4_count + l->ipv6_count == 0)
        rc = fo_error_set(err, FO_EPROTO, "Fastly API: malformed public IP list: no addresses");
    if (rc == 0) {
        *out = l;
        l = NULL;
    }
    fo_ip_list_free(l);
    json_decref(root);
    return rc;
}

void fo_token_info_free(fo_token_info *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->scope);
    free_strings(t->services, t->service_count);
    free(t->expires_at);
    free(t);
}

int fo_api_parse_token(fo_token_info **out, const char *json, size_t len, fo_error *err)
{
    json_t *root = NULL;
    reader r = {.what = "token"};
    fo_buf scopes = {0};
    fo_token_info *t = calloc(1, sizeof(*t));
    int rc =
        t ? load(&root, json, len, "token", err) : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = expect(root, JSON_OBJECT, "token", err);
    if (rc != 0)
        goto out;
    t->name = rd_str(&r, root, "name");
    t->scope = rd_str(&r, root, "scope");
    t->expires_at = rd_str(&r, root, "expires_at");
    /* Older answers carry only "scopes": an array of the same words. */
    if (!t->scope && !r.nomem) {
        const json_t *arr = json_object_get(root, "scopes");
        size_t i;
        const json_t *item;
        json_array_foreach(arr, i, item)
        {
            if (!json_is_string(item))
                continue;
            if ((scopes.len && fo_buf_puts(&scopes, " ") != 0) ||
                fo_buf_puts(&scopes, json_string_value(item)) != 0)
                r.nomem = true;
        }
        if (scopes.len)
            t->scope = fo_buf_steal(&scopes);
    }
    rc = reader_result(&r, err);
    if (rc == 0)
        rc = read_strings(&t->services, &t->service_count, json_object_get(root, "services"),
                          "token", err);
    if (rc == 0 && !t->scope)
        rc = fo_error_set(err, FO_EPROTO, "Fastly API: malformed token: no scope");
    if (rc == 0) {
        *out = t;
        t = NULL;
    }
out:
    fo_buf_clear(&scopes);
    fo_token_info_free(t);
    json_decref(root);
    return rc;
}

/* ---- reading a write back ---- */

static bool value_matches(const json_t *v, const char *want)
{
    long number = 0;
    if (!v || json_is_null(v))
        return fo_str_empty(want);
    if (json_is_string(v))
        return strcmp(json_string_value(v), want ? want : "") == 0;
    if (!want)
        return false;
    if (json_is_boolean(v))
        return json_is_true(v) ? strcmp(want, "1") == 0 || strcmp(want, "true") == 0
                               : strcmp(want, "0") == 0 || strcmp(want, "false") == 0;
    if (json_is_integer(v) && parse_long_text(want, &number))
        return json_integer_value(v) == number;
    return false;
}

int fo_api_backend_matches(const char *json, size_t len, const fo_backend_change *changes,
                           size_t count)
{
    json_error_t jerr;
    json_t *root = json_loadb(json, len, 0, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return -1;
    }
    bool match = true;
    for (size_t i = 0; match && i < count; i++)
        match = value_matches(json_object_get(root, changes[i].field), changes[i].value);
    json_decref(root);
    return match ? 1 : 0;
}

/* ---- error bodies ---- */

/* Copies s into out as one line: control characters become spaces. */
static void append_line(char *out, size_t out_size, const char *s)
{
    size_t len = strlen(out);
    for (; s && *s && len + 1 < out_size; s++)
        out[len++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? ' ' : *s;
    out[len] = '\0';
}

static void title_detail(char *out, size_t out_size, const char *title, const char *detail)
{
    out[0] = '\0';
    append_line(out, out_size, title);
    if (title && *title && detail && *detail)
        append_line(out, out_size, ": ");
    append_line(out, out_size, detail);
}

bool fo_api_error_text(char *out, size_t out_size, const char *json, size_t len)
{
    json_error_t jerr;
    bool found = false;
    json_t *root = json_loadb(json, len, 0, &jerr);
    out[0] = '\0';
    if (!json_is_object(root))
        goto out;
    const char *msg = json_string_value(json_object_get(root, "msg"));
    const char *detail = json_string_value(json_object_get(root, "detail"));
    const json_t *first = json_array_get(json_object_get(root, "errors"), 0);
    if (msg || detail) {
        title_detail(out, out_size, msg, detail);
    } else if (json_is_object(first)) {
        title_detail(out, out_size, json_string_value(json_object_get(first, "title")),
                     json_string_value(json_object_get(first, "detail")));
    } else if (json_is_string(first)) {
        title_detail(out, out_size, json_string_value(first), NULL);
    }
    found = out[0] != '\0';
out:
    json_decref(root);
    return found;
}

/* ---- snippets and pools: strings for numbers, "0"/"1" for booleans ---- */

static void snippet_clear(void *item)
{
    fo_snippet *s = item;
    free(s->id);
    free(s->name);
    free(s->type);
    free(s->content);
    memset(s, 0, sizeof(*s));
}

void fo_snippet_free(fo_snippet *s)
{
    item_free(s, snippet_clear);
}

static int read_snippet(void *item, const json_t *obj, fo_error *err)
{
    fo_snippet *s = item;
    reader r = {.what = "snippet"};
    int rc = expect(obj, JSON_OBJECT, "snippet", err);
    if (rc != 0)
        return rc;
    s->id = rd_str(&r, obj, "id");
    if (!s->id) /* the versionless answer calls it snippet_id */
        s->id = rd_str(&r, obj, "snippet_id");
    s->name = rd_str(&r, obj, "name");
    s->type = rd_str(&r, obj, "type");
    /* null is "not shown here" (a dynamic snippet in the versioned list); "" is empty. */
    const json_t *content = json_object_get(obj, "content");
    if (json_is_string(content))
        s->content = dup_or_nomem(&r, json_string_value(content));
    else if (content && !json_is_null(content))
        mark_bad(&r, "content");
    s->dynamic = rd_bool(&r, obj, "dynamic", false);
    s->priority = rd_int(&r, obj, "priority", -1);
    if (!r.bad_field && !r.nomem && !s->name && !s->id)
        mark_bad(&r, "name");
    return reader_result(&r, err);
}

static void pool_clear(void *item)
{
    fo_pool *p = item;
    free(p->id);
    free(p->name);
    free(p->tls_cert_hostname);
    free(p->tls_sni_hostname);
    free(p->tls_ca_cert);
    free(p->tls_client_cert);
    fo_secret_free(p->tls_client_key);
    free(p->tls_ciphers);
    free(p->min_tls_version);
    free(p->max_tls_version);
    free(p->override_host);
    memset(p, 0, sizeof(*p));
}

void fo_pool_free(fo_pool *p)
{
    item_free(p, pool_clear);
}

static int read_pool(void *item, const json_t *obj, fo_error *err)
{
    fo_pool *p = item;
    reader r = {.what = "pool"};
    int rc = expect(obj, JSON_OBJECT, "pool", err);
    if (rc != 0)
        return rc;
    p->id = rd_str(&r, obj, "id");
    p->name = rd_str(&r, obj, "name");
    p->use_tls = rd_bool(&r, obj, "use_tls", false);
    p->tls_check_cert = rd_bool(&r, obj, "tls_check_cert", true);
    p->tls_cert_hostname = rd_str(&r, obj, "tls_cert_hostname");
    p->tls_sni_hostname = rd_str(&r, obj, "tls_sni_hostname");
    p->tls_ca_cert = rd_str(&r, obj, "tls_ca_cert");
    p->tls_client_cert = rd_str(&r, obj, "tls_client_cert");
    p->tls_client_key = rd_str(&r, obj, "tls_client_key");
    p->tls_ciphers = rd_str(&r, obj, "tls_ciphers");
    p->min_tls_version = rd_str(&r, obj, "min_tls_version");
    p->max_tls_version = rd_str(&r, obj, "max_tls_version");
    p->override_host = rd_str(&r, obj, "override_host");
    p->connect_timeout = rd_int(&r, obj, "connect_timeout", -1);
    p->first_byte_timeout = rd_int(&r, obj, "first_byte_timeout", -1);
    p->between_bytes_timeout = rd_int(&r, obj, "between_bytes_timeout", -1);
    if (!r.bad_field && !r.nomem && !p->name)
        mark_bad(&r, "name");
    return reader_result(&r, err);
}

static void pool_server_clear(void *item)
{
    fo_pool_server *s = item;
    free(s->id);
    free(s->address);
    memset(s, 0, sizeof(*s));
}

static int read_pool_server(void *item, const json_t *obj, fo_error *err)
{
    fo_pool_server *s = item;
    reader r = {.what = "pool server"};
    int rc = expect(obj, JSON_OBJECT, "pool server", err);
    if (rc != 0)
        return rc;
    s->id = rd_str(&r, obj, "id");
    s->address = rd_str(&r, obj, "address");
    s->port = rd_int(&r, obj, "port", -1);
    s->disabled = rd_bool(&r, obj, "disabled", false);
    if (!r.bad_field && !r.nomem && !s->address)
        mark_bad(&r, "address");
    return reader_result(&r, err);
}

static const item_kind snippet_kind = {
    .size = sizeof(fo_snippet),
    .read = read_snippet,
    .clear = snippet_clear,
    .one = "snippet",
    .list = "snippet list",
    LIST_LAYOUT(fo_snippet_list),
};
static const item_kind pool_kind = {
    .size = sizeof(fo_pool),
    .read = read_pool,
    .clear = pool_clear,
    .one = "pool",
    .list = "pool list",
    LIST_LAYOUT(fo_pool_list),
};
static const item_kind pool_server_kind = {
    .size = sizeof(fo_pool_server),
    .read = read_pool_server,
    .clear = pool_server_clear,
    .one = "pool server",
    .list = "pool server list",
    LIST_LAYOUT(fo_pool_server_list),
};

void fo_snippet_list_free(fo_snippet_list *l)
{
    list_free(l, &snippet_kind);
}

void fo_pool_list_free(fo_pool_list *l)
{
    list_free(l, &pool_kind);
}

void fo_pool_server_list_free(fo_pool_server_list *l)
{
    list_free(l, &pool_server_kind);
}

int fo_api_parse_snippets(fo_snippet_list **out, const char *json, size_t len, bool list,
                          fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, list, &snippet_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

int fo_api_parse_pools(fo_pool_list **out, const char *json, size_t len, bool list, fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, list, &pool_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

int fo_api_parse_pool_servers(fo_pool_server_list **out, const char *json, size_t len,
                              fo_error *err)
{
    void *l = NULL;
    int rc = parse_list(&l, json, len, true, &pool_server_kind, err);
    if (rc == 0)
        *out = l;
    return rc;
}

int fo_api_parse_snippet(fo_snippet **out, const char *json, size_t len, fo_error *err)
{
    void *one = NULL;
    int rc = parse_one(&one, json, len, &snippet_kind, err);
    if (rc == 0)
        *out = one;
    return rc;
}

int fo_api_parse_pool(fo_pool **out, const char *json, size_t len, fo_error *err)
{
    void *one = NULL;
    int rc = parse_one(&one, json, len, &pool_kind, err);
    if (rc == 0)
        *out = one;
    return rc;
}
