/* Saved plans ("fixorigin.saved-plan/v1"): `fixorigin --service ID --plan-out FILE` writes
 * the plan a person reviewed, `fixorigin apply FILE` reads it back. The reader is a parser
 * of untrusted input (a file anyone may have edited): bounded, strict (unknown keys, wrong
 * types and out-of-range values are refused, each with its own message), and it recomputes
 * the plan id from the changes it read, so an edited change never passes for the plan that
 * was reviewed. What apply writes is always a fresh plan whose id equals the file's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/report.h"
#include "report_int.h"

/* Bounds: far above any real plan (a service has at most a few hundred backends, a change
 * at most a CA bundle of --ca-file's 1 MiB), far below what would hurt. */
#define MAX_FIXES 1000
#define MAX_CHANGES 32
#define MAX_NAMES 64
#define MAX_NAME_LEN 1024
#define MAX_VALUE_LEN (1u << 20)

static json_t *names_json(const char *const *names, size_t count, bool *ok)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++)
        push(list, json_string(names[i]), ok);
    return list;
}

static json_t *options_json(const fo_plan_options *opts, fo_activate_mode activate, bool *ok)
{
    const fo_remediate_options *c = &opts->consent;
    json_t *o = json_object();
    if (!o)
        return NULL;
    put(o, "backends", names_json(opts->backends, opts->backend_count, ok), ok);
    put(o, "trust_presented_ca", json_boolean(c->trust_presented_ca), ok);
    put(o, "trust_presented_sha256", fo_report_json_string(c->trust_presented_sha256), ok);
    put(o, "ca_file_pem", fo_report_json_string(c->ca_file_pem), ok);
    put(o, "accept_cert_hostnames", names_json(c->accept_cert_hostnames, c->accept_count, ok), ok);
    put(o, "allow_downgrade", json_boolean(c->allow_downgrade), ok);
    put(o, "allow_dynamic_snippet", json_boolean(c->allow_dynamic_snippet), ok);
    put(o, "terraform", json_boolean(opts->terraform), ok);
    put(o, "activate", json_string(activate == FO_ACTIVATE_NONE ? "none" : "auto"), ok);
    return o;
}

int fo_saved_plan_text(char **out, const fo_plan *plan, const fo_plan_options *opts,
                       fo_activate_mode activate, int64_t now, fo_error *err)
{
    bool ok = true;
    char created[32];
    *out = NULL;
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        for (size_t j = 0; bp->status == FO_BACKEND_FIX && j < bp->fix.change_count; j++) {
            if (bp->fix.changes[j].kind == FO_FIELD_SECRET)
                return fo_error_set(err, FO_EINVAL,
                                    "the plan changes %s of backend '%.100s': a saved plan never "
                                    "holds a secret; apply it with --apply instead",
                                    bp->fix.changes[j].field, bp->backend->name);
        }
    }
    json_t *o = json_object();
    json_t *service = json_object();
    json_t *fixes = json_array();
    if (!o || !service || !fixes) {
        json_decref(o);
        json_decref(service);
        json_decref(fixes);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    fo_format_time(created, sizeof(created), now);
    put(o, "schema", json_string(FO_SAVED_PLAN_SCHEMA), &ok);
    put(o, "plan_id", json_string(plan->plan_id), &ok);
    put(service, "id", fo_report_json_string(plan->service_id), &ok);
    put(service, "name", fo_report_json_string(plan->service_name), &ok);
    put(o, "service", service, &ok);
    put(o, "active_version", json_integer(plan->active_version), &ok);
    put(o, "created_at", json_string(created), &ok);
    put(o, "fixorigin_version", json_string(FO_VERSION), &ok);
    put(o, "options", options_json(opts, activate, &ok), &ok);
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX)
            continue;
        json_t *fix = json_object();
        json_t *changes = json_array();
        if (fix) {
            put(fix, "backend", fo_report_json_string(bp->backend->name), &ok);
            put(fix, "source", json_string(fo_origin_source(&bp->origin)), &ok);
            put(fix, "summary", fo_report_json_string(bp->fix.summary), &ok);
        }
        for (size_t j = 0; changes && j < bp->fix.change_count; j++) {
            const fo_change *c = &bp->fix.changes[j];
            json_t *change = json_object();
            if (change) {
                put(change, "field", json_string(c->field), &ok);
                put(change, "from", fo_report_json_string(c->from), &ok);
                put(change, "to", fo_report_json_string(c->to), &ok);
            }
            push(changes, change, &ok);
        }
        if (fix)
            put(fix, "changes", changes, &ok);
        else
            json_decref(changes);
        push(fixes, fix, &ok);
    }
    put(o, "fixes", fixes, &ok);
    /* Names and values that are not UTF-8 were written with '?': such a file would not
     * name what the plan changes, and its id would not match; refuse it now. */
    char *text = ok ? json_dumps(o, JSON_INDENT(2) | JSON_ENSURE_ASCII) : NULL;
    json_decref(o);
    if (!text)
        return fo_error_set(err, FO_ENOMEM, "out of memory writing the plan");
    fo_saved_plan *check = NULL;
    fo_error perr;
    int rc = fo_saved_plan_parse(&check, text, strlen(text), &perr);
    fo_saved_plan_free(check);
    if (rc != 0) {
        free(text);
        return fo_error_set(err, rc == FO_ENOMEM ? FO_ENOMEM : FO_EINVAL,
                            "this plan cannot be saved: %s", perr.msg);
    }
    *out = text;
    return 0;
}

int fo_saved_plan_write(const char *path, const char *text, fo_error *err)
{
    /* Written beside and renamed over: a reader never sees half a plan. */
    fo_buf file = {0};
    fo_error werr;
    int rc = fo_buf_printf(&file, "%s\n", text) != 0 ? FO_ENOMEM : 0;
    if (rc != 0)
        fo_error_set(err, rc, "out of memory writing the plan");
    else if ((rc = fo_write_file(path, file.data, file.len, 0644, &werr)) != 0)
        fo_error_set(err, rc, "--plan-out: %s", werr.msg);
    fo_buf_clear(&file);
    return rc;
}

/* ---- the reader ---- */

typedef struct reader {
    fo_error *err;
    int rc;
} reader;

static int fail(reader *r, const char *fmt, ...) FO_PRINTF(2, 3);

static int fail(reader *r, const char *fmt, ...)
{
    if (r->rc == 0) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        r->rc = fo_error_set(r->err, FO_EINVAL, "not a saved plan: %s", msg);
    }
    return r->rc;
}

static int nomem(reader *r)
{
    if (r->rc == 0)
        r->rc = fo_error_set(r->err, FO_ENOMEM, "out of memory");
    return r->rc;
}

/* Refuses keys of obj not in allowed (NULL-terminated); where names the object. */
static int only_keys(reader *r, json_t *obj, const char *const *allowed, const char *where)
{
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value)
    {
        (void)value;
        bool known = false;
        for (const char *const *k = allowed; *k && !known; k++)
            known = strcmp(key, *k) == 0;
        if (!known)
            return fail(r, "%s has an unknown key \"%.40s\"", where, key);
    }
    for (const char *const *k = allowed; *k; k++) {
        if (!json_object_get(obj, *k))
            return fail(r, "%s has no \"%s\"", where, *k);
    }
    return 0;
}

/* A string of at most max bytes into *out (a new copy), or with nullable also null (NULL). */
static int get_string(reader *r, char **out, json_t *obj, const char *key, size_t max,
                      bool nullable, const char *where)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (nullable && json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fail(r, "%s \"%s\" must be a string%s", where, key, nullable ? " or null" : "");
    if (json_string_length(v) > max)
        return fail(r, "%s \"%s\" is longer than %zu bytes", where, key, max);
    if (!(*out = strdup(json_string_value(v))))
        return nomem(r);
    return 0;
}

static int get_bool(reader *r, bool *out, json_t *obj, const char *key, const char *where)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_boolean(v))
        return fail(r, "%s \"%s\" must be true or false", where, key);
    *out = json_is_true(v);
    return 0;
}

/* An array of at most MAX_NAMES non-empty strings. */
static int get_names(reader *r, char ***out, size_t *count, json_t *obj, const char *key)
{
    json_t *list = json_object_get(obj, key);
    size_t n = json_array_size(list);
    if (!json_is_array(list))
        return fail(r, "options \"%s\" must be an array", key);
    if (n > MAX_NAMES)
        return fail(r, "options \"%s\" has more than %d names", key, MAX_NAMES);
    if (n > 0 && !(*out = calloc(n, sizeof(**out))))
        return nomem(r);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(list, i);
        if (!json_is_string(v) || json_string_length(v) == 0 ||
            json_string_length(v) > MAX_NAME_LEN)
            return fail(r, "options \"%s\" must hold names (non-empty strings)", key);
        if (!((*out)[i] = strdup(json_string_value(v))))
            return nomem(r);
        (*count)++;
    }
    return 0;
}

static bool hex64(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (size_t i = 0; i < 64; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

/* A backend field's name as fixorigin spells them: lowercase letters, digits, '_'. */
static bool field_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    }
    return true;
}

static int read_options(reader *r, fo_saved_plan *p, json_t *o)
{
    static const char *const keys[] = {"backends",
                                       "trust_presented_ca",
                                       "trust_presented_sha256",
                                       "ca_file_pem",
                                       "accept_cert_hostnames",
                                       "allow_downgrade",
                                       "allow_dynamic_snippet",
                                       "terraform",
                                       "activate",
                                       NULL};
    char *activate = NULL;
    unsigned char sha256[FO_SHA256_LEN];
    if (!json_is_object(o))
        return fail(r, "\"options\" must be an object");
    if (only_keys(r, o, keys, "options") != 0 ||
        get_names(r, &p->backends, &p->backend_count, o, "backends") != 0 ||
        get_bool(r, &p->trust_presented_ca, o, "trust_presented_ca", "options") != 0 ||
        get_string(r, &p->trust_presented_sha256, o, "trust_presented_sha256", 128, true,
                   "options") != 0 ||
        get_string(r, &p->ca_file_pem, o, "ca_file_pem", MAX_VALUE_LEN, true, "options") != 0 ||
        get_names(r, &p->accept_cert_hostnames, &p->accept_count, o, "accept_cert_hostnames") !=
            0 ||
        get_bool(r, &p->allow_downgrade, o, "allow_downgrade", "options") != 0 ||
        get_bool(r, &p->allow_dynamic_snippet, o, "allow_dynamic_snippet", "options") != 0 ||
        get_bool(r, &p->terraform, o, "terraform", "options") != 0 ||
        get_string(r, &activate, o, "activate", 16, false, "options") != 0)
        goto out;
    if (p->trust_presented_sha256 && fo_sha256_parse(sha256, p->trust_presented_sha256, NULL) != 0)
        fail(r, "options \"trust_presented_sha256\" is not a SHA-256 fingerprint");
    else if (p->trust_presented_sha256 && !p->trust_presented_ca)
        fail(r, "options \"trust_presented_sha256\" without \"trust_presented_ca\"");
    else if (!fo_activate_mode_parse(activate, &p->activate))
        fail(r, "options \"activate\" must be \"auto\" or \"none\"");
out:
    free(activate);
    return r->rc;
}

static int read_fix(reader *r, fo_saved_fix *fix, json_t *o, size_t index)
{
    static const char *const keys[] = {"backend", "source", "summary", "changes", NULL};
    static const char *const change_keys[] = {"field", "from", "to", NULL};
    char where[48];
    char *summary = NULL;
    snprintf(where, sizeof(where), "fixes[%zu]", index);
    if (!json_is_object(o))
        return fail(r, "%s must be an object", where);
    if (only_keys(r, o, keys, where) != 0 ||
        get_string(r, &fix->backend, o, "backend", MAX_NAME_LEN, false, where) != 0 ||
        get_string(r, &fix->source, o, "source", MAX_NAME_LEN, false, where) != 0 ||
        get_string(r, &summary, o, "summary", MAX_NAME_LEN * 4, true, where) != 0)
        goto out;
    if (fix->backend[0] == '\0' || fix->source[0] == '\0') {
        fail(r, "%s has an empty backend or source", where);
        goto out;
    }
    json_t *changes = json_object_get(o, "changes");
    size_t n = json_array_size(changes);
    if (!json_is_array(changes) || n == 0 || n > MAX_CHANGES) {
        fail(r, "%s \"changes\" must be an array of 1 to %d changes", where, MAX_CHANGES);
        goto out;
    }
    if (!(fix->changes = calloc(n, sizeof(*fix->changes)))) {
        nomem(r);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(changes, i);
        fo_saved_change *sc = &fix->changes[i];
        snprintf(where, sizeof(where), "fixes[%zu].changes[%zu]", index, i);
        fix->change_count++;
        if (!json_is_object(c)) {
            fail(r, "%s must be an object", where);
            goto out;
        }
        if (only_keys(r, c, change_keys, where) != 0 ||
            get_string(r, &sc->field, c, "field", 64, false, where) != 0 ||
            get_string(r, &sc->from, c, "from", MAX_VALUE_LEN, true, where) != 0 ||
            get_string(r, &sc->to, c, "to", MAX_VALUE_LEN, true, where) != 0)
            goto out;
        if (!field_name(sc->field)) {
            fail(r, "%s \"field\" is not a backend field name", where);
            goto out;
        }
        if (fo_remediate_field_kind(sc->field) == FO_FIELD_SECRET) {
            fail(r, "%s changes %s: a saved plan never holds a secret", where, sc->field);
            goto out;
        }
    }
out:
    free(summary);
    return r->rc;
}

/* A plan fixes each backend once. A second fix of one (the same backend where it is defined)
 * is no plan fixorigin wrote, and fo_saved_plan_check would hold it against the first. */
static int fixed_before(reader *r, const fo_saved_plan *p, size_t i)
{
    const fo_saved_fix *f = &p->fixes[i];
    for (size_t k = 0; k < i; k++) {
        if (strcmp(p->fixes[k].backend, f->backend) == 0 &&
            strcmp(p->fixes[k].source, f->source) == 0)
            return fail(r, "fixes[%zu] fixes backend '%.100s' (%.100s) again, after fixes[%zu]", i,
                        f->backend, f->source, k);
    }
    return 0;
}

/* The plan id of what was read, by fo_remediate_plan_id itself: a plan of the service and
 * version whose fixed backends are the file's fixes. */
static int recompute_id(char out[65], const fo_saved_plan *p)
{
    int rc = FO_ENOMEM;
    fo_plan plan;
    memset(&plan, 0, sizeof(plan));
    plan.service_id = p->service_id;
    plan.active_version = p->active_version;
    plan.backend_count = p->fix_count;
    fo_backend *backends = calloc(p->fix_count ? p->fix_count : 1, sizeof(*backends));
    plan.backends = calloc(p->fix_count ? p->fix_count : 1, sizeof(*plan.backends));
    if (!backends || !plan.backends)
        goto out;
    for (size_t i = 0; i < p->fix_count; i++) {
        fo_backend_plan *bp = &plan.backends[i];
        fo_change *changes = calloc(p->fixes[i].change_count, sizeof(*changes));
        if (!changes)
            goto out;
        backends[i].name = p->fixes[i].backend;
        bp->backend = &backends[i];
        bp->status = FO_BACKEND_FIX;
        bp->origin.kind =
            strcmp(p->fixes[i].source, "backend") == 0 ? FO_ORIGIN_BACKEND : FO_ORIGIN_VCL;
        bp->origin.source = p->fixes[i].source;
        bp->fix.changes = changes;
        bp->fix.change_count = p->fixes[i].change_count;
        for (size_t j = 0; j < p->fixes[i].change_count; j++) {
            changes[j].field = p->fixes[i].changes[j].field;
            changes[j].to = p->fixes[i].changes[j].to;
        }
    }
    fo_remediate_plan_id(out, &plan);
    rc = out[0] ? 0 : FO_ENOMEM;
out:
    for (size_t i = 0; plan.backends && i < p->fix_count; i++)
        free(plan.backends[i].fix.changes);
    free(plan.backends);
    free(backends);
    return rc;
}

int fo_saved_plan_parse(fo_saved_plan **out, const char *text, size_t len, fo_error *err)
{
    static const char *const keys[] = {"schema",         "plan_id",    "service",
                                       "active_version", "created_at", "fixorigin_version",
                                       "options",        "fixes",      NULL};
    static const char *const service_keys[] = {"id", "name", NULL};
    reader r = {.err = err};
    json_error_t jerr;
    json_t *root = NULL;
    char *schema = NULL, *plan_id = NULL, *version = NULL;
    *out = NULL;
    if (len > FO_SAVED_PLAN_MAX_BYTES)
        return fail(&r, "larger than %u bytes", FO_SAVED_PLAN_MAX_BYTES);
    fo_saved_plan *p = calloc(1, sizeof(*p));
    if (!p)
        return nomem(&r);
    root = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        fail(&r, "not JSON (line %d: %.100s)", jerr.line, jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        fail(&r, "the file must hold one JSON object");
        goto out;
    }
    if (get_string(&r, &schema, root, "schema", 64, false, "the plan") != 0)
        goto out;
    if (strcmp(schema, FO_SAVED_PLAN_SCHEMA) != 0) {
        fail(&r, "\"schema\" is \"%.40s\", not \"%s\"", schema, FO_SAVED_PLAN_SCHEMA);
        goto out;
    }
    json_t *service = json_object_get(root, "service");
    json_t *active = json_object_get(root, "active_version");
    if (only_keys(&r, root, keys, "the plan") != 0 ||
        get_string(&r, &plan_id, root, "plan_id", 64, false, "the plan") != 0 ||
        get_string(&r, &p->created_at, root, "created_at", 64, false, "the plan") != 0 ||
        get_string(&r, &version, root, "fixorigin_version", 64, false, "the plan") != 0)
        goto out;
    if (!hex64(plan_id)) {
        fail(&r, "\"plan_id\" must be 64 lowercase hex digits");
        goto out;
    }
    memcpy(p->plan_id, plan_id, 65);
    if (!json_is_object(service)) {
        fail(&r, "\"service\" must be an object");
        goto out;
    }
    if (only_keys(&r, service, service_keys, "service") != 0 ||
        get_string(&r, &p->service_id, service, "id", FO_API_ID_MAX, false, "service") != 0 ||
        get_string(&r, &p->service_name, service, "name", MAX_NAME_LEN, true, "service") != 0)
        goto out;
    if (!fo_api_service_id_valid(p->service_id)) {
        fail(&r, "service \"id\" is not a service id");
        goto out;
    }
    if (!json_is_integer(active) || json_integer_value(active) < 1 ||
        json_integer_value(active) > 1000000000) {
        fail(&r, "\"active_version\" must be a version number");
        goto out;
    }
    p->active_version = (long)json_integer_value(active);
    if (read_options(&r, p, json_object_get(root, "options")) != 0)
        goto out;
    json_t *fixes = json_object_get(root, "fixes");
    size_t n = json_array_size(fixes);
    if (!json_is_array(fixes) || n > MAX_FIXES) {
        fail(&r, "\"fixes\" must be an array of at most %d fixes", MAX_FIXES);
        goto out;
    }
    if (n > 0 && !(p->fixes = calloc(n, sizeof(*p->fixes)))) {
        nomem(&r);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        p->fix_count++;
        if (read_fix(&r, &p->fixes[i], json_array_get(fixes, i), i) != 0 ||
            fixed_before(&r, p, i) != 0)
            goto out;
    }
    char id[65];
    if (recompute_id(id, p) != 0) {
        nomem(&r);
        goto out;
    }
    if (strcmp(id, p->plan_id) != 0) {
        fail(&r, "its plan id does not match its changes (the file was edited or damaged)");
        goto out;
    }
out:
    json_decref(root);
    free(schema);
    free(plan_id);
    free(version);
    if (r.rc != 0) {
        fo_saved_plan_free(p);
        return r.rc;
    }
    *out = p;
    return 0;
}

static void free_names(char **names, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

void fo_saved_plan_free(fo_saved_plan *p)
{
    if (!p)
        return;
    free(p->service_id);
    free(p->service_name);
    free(p->created_at);
    free_names(p->backends, p->backend_count);
    free(p->trust_presented_sha256);
    free(p->ca_file_pem);
    free_names(p->accept_cert_hostnames, p->accept_count);
    for (size_t i = 0; i < p->fix_count; i++) {
        free(p->fixes[i].backend);
        free(p->fixes[i].source);
        for (size_t j = 0; j < p->fixes[i].change_count; j++) {
            free(p->fixes[i].changes[j].field);
            free(p->fixes[i].changes[j].from);
            free(p->fixes[i].changes[j].to);
        }
        free(p->fixes[i].changes);
    }
    free(p->fixes);
    free(p);
}

static bool same_value(const char *a, const char *b)
{
    return fo_str_empty(a) ? fo_str_empty(b) : b && strcmp(a, b) == 0;
}

int fo_saved_plan_check(const fo_saved_plan *saved, const fo_plan *fresh, fo_error *err)
{
    if (fresh->active_version != saved->active_version)
        return fo_error_set(err, FO_ECONFLICT,
                            "the active version is now %ld; the plan was made against version "
                            "%ld",
                            fresh->active_version, saved->active_version);
    if (strcmp(fresh->plan_id, saved->plan_id) != 0)
        return fo_error_set(err, FO_ECONFLICT,
                            "the fixes planned now are not the saved ones (plan %.12s now, "
                            "%.12s saved): the origins or what can be fixed changed",
                            fresh->plan_id, saved->plan_id);
    /* The same id is the same changes; what they change from must be the same too (the
     * active version is locked, but a dynamic snippet or a pool's servers are not). */
    for (size_t i = 0; i < saved->fix_count; i++) {
        const fo_saved_fix *sf = &saved->fixes[i];
        const fo_backend_plan *bp = NULL;
        for (size_t k = 0; !bp && k < fresh->backend_count; k++) {
            const fo_backend_plan *c = &fresh->backends[k];
            if (c->status == FO_BACKEND_FIX && strcmp(c->backend->name, sf->backend) == 0 &&
                strcmp(fo_origin_source(&c->origin), sf->source) == 0)
                bp = c;
        }
        if (!bp || bp->fix.change_count != sf->change_count)
            return fo_error_set(err, FO_ECONFLICT, "backend '%.100s' is no longer planned so",
                                sf->backend);
        for (size_t j = 0; j < sf->change_count; j++) {
            if (!same_value(bp->fix.changes[j].from, sf->changes[j].from))
                return fo_error_set(err, FO_ECONFLICT,
                                    "%.40s of backend '%.100s' is no longer what the plan "
                                    "changes it from",
                                    sf->changes[j].field, sf->backend);
        }
    }
    return 0;
}
