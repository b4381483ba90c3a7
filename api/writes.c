/* The write endpoints. None is ever sent twice blindly: when a write's
 * outcome is unknown (timeout, dropped connection, 5xx) the state is read back
 * to learn whether it happened. Each write first makes sure the token may
 * write to the service at all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

int fo_api_token_cache_new(fo_api_token_cache **out)
{
    fo_api_token_cache *cache = calloc(1, sizeof(*cache));
    if (!cache)
        return FO_ENOMEM;
    pthread_mutex_init(&cache->lock, NULL);
    cache->shared = true;
    *out = cache;
    return 0;
}

void fo_api_token_cache_free(fo_api_token_cache *cache)
{
    if (!cache)
        return;
    fo_token_info_free(cache->token);
    if (cache->shared)
        pthread_mutex_destroy(&cache->lock);
    free(cache);
}

/* GET /tokens/self, once per cache: the run's (cfg.token_cache) or the client's own. The
 * answer is borrowed from the cache, which outlives the client's use of it. */
static int token_info(fo_api *api, const fo_token_info **out, fo_error *err)
{
    fo_api_token_cache *cache = api->cfg.token_cache ? api->cfg.token_cache : &api->own_token;
    int rc = 0;
    if (cache->shared)
        pthread_mutex_lock(&cache->lock);
    if (!cache->token)
        rc = fo_api_token_self(api, &cache->token, err);
    *out = cache->token;
    if (cache->shared)
        pthread_mutex_unlock(&cache->lock);
    return rc;
}

int fo_api_check_write_access(fo_api *api, const char *service_id, fo_error *err)
{
    const fo_token_info *token = NULL;
    int rc = fo_api_check_args(service_id, 1, NULL, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < api->write_checked_count; i++) {
        if (strcmp(api->write_checked[i], service_id) == 0)
            return 0;
    }
    rc = token_info(api, &token, err);
    if (rc != 0)
        goto out;
    bool global = false;
    for (const char *p = token->scope; p && *p;) {
        size_t len = strcspn(p, " ");
        if (len == 6 && strncmp(p, "global", 6) == 0)
            global = true;
        p += len + strspn(p + len, " ");
    }
    if (!global) {
        rc = fo_error_set(err, FO_EAUTH,
                          "the Fastly API token has scope '%s': it can read but not change "
                          "services (a 'global' token is needed)",
                          token->scope);
        goto out;
    }
    bool allowed = token->service_count == 0;
    for (size_t i = 0; i < token->service_count; i++)
        allowed = allowed || strcmp(token->services[i], service_id) == 0;
    if (!allowed) {
        rc = fo_error_set(err, FO_EAUTH,
                          "the Fastly API token is limited to other services: it may not change "
                          "service %s",
                          service_id);
        goto out;
    }
    char **grown = realloc(api->write_checked, (api->write_checked_count + 1) * sizeof(*grown));
    char *copy = fo_strdup(service_id);
    if (grown)
        api->write_checked = grown;
    if (!grown || !copy) {
        free(copy);
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    api->write_checked[api->write_checked_count++] = copy;
out:
    return rc;
}

/* Sends a write once the token is known to be allowed to make it. */
static int send_write(fo_api *api, const char *service_id, const char *path, const char *form,
                      fo_api_response *resp, bool *out_unknown, fo_error *err)
{
    int rc = fo_api_check_write_access(api, service_id, err);
    if (rc == 0)
        rc = fo_api_call(api, FO_PUT, path, form, resp, out_unknown, err);
    return rc;
}

/* The three ends of a write whose outcome was unknown. happened: 1 the
 * re-read shows the change, 0 it shows none, negative: the re-read failed
 * (read_err says why). err holds the write's own failure. */
static int settle(fo_api *api, int write_rc, int happened, const fo_error *read_err, fo_error *err)
{
    char first[sizeof(err->msg)];
    snprintf(first, sizeof(first), "%s", err ? err->msg : "");
    if (happened > 0) {
        if (api->cfg.log)
            api->cfg.log(api->cfg.log_ctx, FO_LOG_WARN,
                         "the write's answer was lost, but reading back shows it was made");
        fo_error_clear(err);
        return 0;
    }
    /* Never 0 here: a caller reading back after a failure relies on a failure when the
     * write did not happen (find_clone uses the draft only on success). */
    if (happened == 0)
        return fo_error_set(err, write_rc < 0 ? write_rc : FO_EUNKNOWN,
                            "%s; reading back shows nothing changed", first);
    fo_error_set(err, FO_EUNKNOWN, "%s; whether it was made is unknown: reading back failed: %s",
                 first, read_err->msg);
    fo_api_scrub_error(api, err);
    return FO_EUNKNOWN;
}

/* A write of one object (a version, a backend, a VCL, a snippet, a pool): parse turns an
 * answer, or what is read back, into the caller's object (called a second time only after the
 * first failed, which sets nothing); holds says whether an object read back after an unknown
 * outcome holds the change: 1, 0, or -1 when it cannot be read (read_err says why). */
typedef struct object_write {
    int (*parse)(void *ctx, const char *body, size_t len, fo_error *err);
    int (*holds)(void *ctx, const char *body, size_t len, fo_error *read_err);
    void *ctx;
    const char *reread_path; /* where the object is read back; NULL: the path written */
    bool absent_unchanged;   /* a 404 there means the write did not happen (a rename's new name) */
} object_write;

/* PUTs form to path (already escaped) once. When the outcome is unknown (no answer, or one
 * that cannot be read), GETs the object and settles on what it holds. */
static int write_object(fo_api *api, const char *service_id, const char *path, const char *form,
                        const object_write *w, fo_error *err)
{
    fo_api_response resp = {0};
    bool unknown = false;
    int rc = send_write(api, service_id, path, form, &resp, &unknown, err);
    if (rc == 0) {
        rc = w->parse(w->ctx, resp.body.data, resp.body.len, err);
        unknown = rc == FO_EPROTO; /* made, but the answer is unreadable */
    }
    if (rc != 0 && unknown) {
        fo_api_response reread = {0};
        fo_error read_err;
        fo_error_clear(&read_err);
        int read_rc = fo_api_call(api, FO_GET, w->reread_path ? w->reread_path : path, NULL,
                                  &reread, NULL, &read_err);
        int happened = -1; /* the read failed: read_err says why */
        if (read_rc == FO_ENOTFOUND && w->absent_unchanged)
            happened = 0;
        else if (read_rc == 0)
            happened = w->holds(w->ctx, reread.body.data, reread.body.len, &read_err);
        rc = settle(api, rc, happened, &read_err, err);
        if (rc == 0)
            rc = w->parse(w->ctx, reread.body.data, reread.body.len, err);
        fo_api_response_clear(&reread);
    }
    fo_api_response_clear(&resp);
    return rc;
}

/* A version write: PUT the path; on an unknown outcome, GET the version and ask check
 * whether the change is there. */
typedef bool (*version_check_fn)(const fo_version *v, const void *want);

typedef struct version_write_ctx {
    fo_version **out;
    version_check_fn check;
    const void *want;
} version_write_ctx;

static int version_parse(void *ctx, const char *body, size_t len, fo_error *err)
{
    version_write_ctx *v = ctx;
    return fo_api_parse_version(v->out, body, len, err);
}

static int version_holds(void *ctx, const char *body, size_t len, fo_error *read_err)
{
    const version_write_ctx *v = ctx;
    fo_version *now = NULL;
    if (fo_api_parse_version(&now, body, len, read_err) != 0)
        return -1;
    int holds = v->check(now, v->want) ? 1 : 0;
    fo_version_free(now);
    return holds;
}

static int version_write(fo_api *api, fo_version **out, const char *service_id, long version,
                         const char *path, const char *form, version_check_fn check,
                         const void *want, fo_error *err)
{
    fo_buf version_path = {0};
    version_write_ctx v = {out, check, want};
    int rc = 0;
    if (fo_api_path(&version_path, "/service/%s/version/%ld", service_id, version) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    const object_write w = {version_parse, version_holds, &v, version_path.data, false};
    if (rc == 0)
        rc = write_object(api, service_id, path, form, &w, err);
    fo_buf_clear(&version_path);
    return rc;
}

static int build_path(fo_buf *path, fo_error *err, const char *fmt, const char *service_id,
                      long version)
{
    if (fo_api_path(path, fmt, service_id, version) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    return 0;
}

static bool is_active(const fo_version *v, const void *want)
{
    (void)want;
    return v->active;
}

static bool is_inactive(const fo_version *v, const void *want)
{
    (void)want;
    return !v->active;
}

static bool is_locked(const fo_version *v, const void *want)
{
    (void)want;
    return v->locked;
}

static bool has_comment(const fo_version *v, const void *want)
{
    const char *comment = want;
    return strcmp(v->comment ? v->comment : "", comment) == 0;
}

/* The simple version actions: PUT .../{action} with no body. */
static int version_action(fo_api *api, fo_version **out, const char *service_id, long version,
                          const char *fmt, version_check_fn check, fo_error *err)
{
    fo_buf path = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = build_path(&path, err, fmt, service_id, version);
    if (rc == 0)
        rc = version_write(api, out, service_id, version, path.data, NULL, check, NULL, err);
    fo_buf_clear(&path);
    return rc;
}

int fo_api_version_lock(fo_api *api, fo_version **out, const char *service_id, long version,
                        fo_error *err)
{
    return version_action(api, out, service_id, version, "/service/%s/version/%ld/lock", is_locked,
                          err);
}

int fo_api_version_activate(fo_api *api, fo_version **out, const char *service_id, long version,
                            fo_error *err)
{
    return version_action(api, out, service_id, version, "/service/%s/version/%ld/activate",
                          is_active, err);
}

int fo_api_version_deactivate(fo_api *api, fo_version **out, const char *service_id, long version,
                              fo_error *err)
{
    return version_action(api, out, service_id, version, "/service/%s/version/%ld/deactivate",
                          is_inactive, err);
}

int fo_api_version_comment(fo_api *api, fo_version **out, const char *service_id, long version,
                           const char *comment, fo_error *err)
{
    fo_buf path = {0}, form = {0};
    const fo_form_field field = {"comment", comment ? comment : ""};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = build_path(&path, err, "/service/%s/version/%ld", service_id, version);
    if (rc == 0 && fo_api_form_encode(&form, &field, 1) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0)
        rc = version_write(api, out, service_id, version, path.data, form.data, has_comment,
                           field.value, err);
    fo_buf_clear(&path);
    fo_buf_clear(&form);
    return rc;
}

/* After a lost clone answer: the draft it made, if any, is the one version
 * numbered above everything listed before the clone, unlocked, inactive, with
 * the source's comment. Two such drafts mean someone else is cloning too. */
static int find_clone(fo_api *api, fo_version **out, const char *service_id, long highest_before,
                      const char *source_comment, int write_rc, fo_error *err)
{
    fo_error read_err;
    fo_version_list *after = NULL;
    fo_error_clear(&read_err);
    int rc = fo_api_version_list(api, &after, service_id, &read_err);
    if (rc != 0)
        return settle(api, write_rc, -1, &read_err, err);
    fo_version *found = NULL;
    size_t candidates = 0;
    for (size_t i = 0; i < after->count; i++) {
        fo_version *v = &after->items[i];
        if (v->number > highest_before && !v->locked && !v->active &&
            strcmp(v->comment ? v->comment : "", source_comment) == 0) {
            found = v;
            candidates++;
        }
    }
    if (candidates > 1) {
        rc = fo_error_set(err, FO_ECONFLICT,
                          "the clone's answer was lost and %zu new drafts appeared meanwhile: "
                          "someone else is changing service %s",
                          candidates, service_id);
        goto out;
    }
    rc = settle(api, write_rc, found ? 1 : 0, NULL, err);
    if (rc == 0) {
        fo_version *draft = malloc(sizeof(*draft));
        if (!draft) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
        /* Moved out of the list, which then frees an empty slot. */
        *draft = *found;
        memset(found, 0, sizeof(*found));
        *out = draft;
    }
out:
    fo_version_list_free(after);
    return rc;
}

int fo_api_version_clone_known(fo_api *api, fo_version **out, const char *service_id, long version,
                               const fo_version *known, size_t known_count, fo_error *err)
{
    fo_buf path = {0};
    fo_api_response resp = {0};
    char *source_comment = NULL;
    bool unknown = false;
    long highest_before = 0;
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_check_write_access(api, service_id, err);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < known_count; i++) {
        if (known[i].number > highest_before)
            highest_before = known[i].number;
        if (known[i].number == version && known[i].comment &&
            !(source_comment = fo_strdup(known[i].comment))) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    rc = build_path(&path, err, "/service/%s/version/%ld/clone", service_id, version);
    if (rc == 0)
        rc = fo_api_call(api, FO_PUT, path.data, NULL, &resp, &unknown, err);
    if (rc == 0) {
        rc = fo_api_parse_version(out, resp.body.data, resp.body.len, err);
        unknown = rc == FO_EPROTO; /* made, but the answer is unreadable */
    }
    if (rc != 0 && unknown)
        rc = find_clone(api, out, service_id, highest_before, source_comment ? source_comment : "",
                        rc, err);
out:
    free(source_comment);
    fo_api_response_clear(&resp);
    fo_buf_clear(&path);
    return rc;
}

int fo_api_version_clone(fo_api *api, fo_version **out, const char *service_id, long version,
                         fo_error *err)
{
    fo_version_list *before = NULL;
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_check_write_access(api, service_id, err);
    /* What exists before, so a lost answer can be told apart from drafts
     * that were already there. */
    if (rc == 0)
        rc = fo_api_version_list(api, &before, service_id, err);
    if (rc == 0)
        rc = fo_api_version_clone_known(api, out, service_id, version, before->items, before->count,
                                        err);
    fo_version_list_free(before);
    return rc;
}

/* ---- backends ---- */

static bool is_digits(const char *s)
{
    return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 9;
}

/* Checks the changes and spells them for the form: booleans as go-fastly's
 * 1/0. Messages name fields, never values (one may be a private key). */
static int prepare_changes(fo_backend_change *fields, const fo_backend_change *changes,
                           size_t count, const char **out_new_name, fo_error *err)
{
    const char *port = NULL;
    bool use_ssl = false;
    *out_new_name = NULL;
    if (count == 0)
        return fo_error_set(err, FO_EINVAL, "a backend update needs at least one change");
    for (size_t i = 0; i < count; i++) {
        const char *value = changes[i].value;
        /* The form takes every field Fastly has (backend_fields.c), spelt as go-fastly does. */
        const fo_backend_field *f = fo_backend_field_find(changes[i].field);
        if (!f)
            return fo_error_set(err, FO_EINVAL, "'%s' is not a backend field",
                                changes[i].field ? changes[i].field : "(null)");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(fields[j].field, f->name) == 0)
                return fo_error_set(err, FO_EINVAL, "backend field '%s' is changed twice", f->name);
        }
        fields[i].field = f->name;
        fields[i].value = value;
        if (f->kind == FO_FIELD_BOOL && value) {
            if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
                fields[i].value = "1";
            else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
                fields[i].value = "0";
            else
                return fo_error_set(err, FO_EINVAL, "backend field '%s' takes true or false",
                                    f->name);
        }
        if (f->kind == FO_FIELD_NUMBER && value && !is_digits(value))
            return fo_error_set(err, FO_EINVAL, "backend field '%s' takes a number", f->name);
        if (strcmp(f->name, "name") == 0) {
            if (fo_str_empty(value))
                return fo_error_set(err, FO_EINVAL, "a backend's name cannot be cleared");
            *out_new_name = value;
        }
        if (strcmp(f->name, "port") == 0)
            port = value;
        if (strcmp(f->name, "use_ssl") == 0)
            use_ssl = true;
    }
    /* Fastly flips use_ssl when port becomes 80 or 443, unless use_ssl is in
     * the same request: the caller must say which it means. */
    if (port && !use_ssl && (strcmp(port, "80") == 0 || strcmp(port, "443") == 0))
        return fo_error_set(err, FO_EINVAL,
                            "setting port %s also changes use_ssl on Fastly: send use_ssl with it",
                            port);
    return 0;
}

/* A backend or pool write: its changed fields are the change. */
typedef struct fields_write {
    fo_backend **backend; /* one of the two */
    fo_pool **pool;
    const fo_backend_change *fields;
    size_t count;
} fields_write;

static int fields_parse(void *ctx, const char *body, size_t len, fo_error *err)
{
    fields_write *f = ctx;
    return f->backend ? fo_api_parse_backend(f->backend, body, len, err)
                      : fo_api_parse_pool(f->pool, body, len, err);
}

static int fields_holds(void *ctx, const char *body, size_t len, fo_error *read_err)
{
    const fields_write *f = ctx;
    int holds = fo_api_backend_matches(body, len, f->fields, f->count);
    if (holds < 0) /* unreadable: "unknown", never "nothing changed" */
        fo_error_set(read_err, FO_EPROTO, "what was read back is not a JSON object");
    return holds;
}

int fo_api_backend_update(fo_api *api, fo_backend **out, const char *service_id, long version,
                          const char *name, const fo_backend_change *changes, size_t change_count,
                          fo_error *err)
{
    fo_buf path = {0}, form = {0}, reread_path = {0};
    fo_backend_change *fields = NULL;
    fo_form_field *form_fields = NULL;
    const char *new_name = NULL;
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc != 0)
        goto out;
    fields = calloc(change_count ? change_count : 1, sizeof(*fields));
    form_fields = calloc(change_count ? change_count : 1, sizeof(*form_fields));
    if (!fields || !form_fields) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    rc = prepare_changes(fields, changes, change_count, &new_name, err);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < change_count; i++)
        form_fields[i] = (fo_form_field){fields[i].field, fields[i].value};
    /* On an unknown outcome the backend is read back under its new name when renamed: not
     * found there, it was not renamed, so not changed either. */
    if (fo_api_path(&path, "/service/%s/version/%ld/backend/%s", service_id, version, name) != 0 ||
        fo_api_path(&reread_path, "/service/%s/version/%ld/backend/%s", service_id, version,
                    new_name ? new_name : name) != 0 ||
        fo_api_form_encode(&form, form_fields, change_count) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    fields_write f = {.backend = out, .fields = fields, .count = change_count};
    const object_write w = {fields_parse, fields_holds, &f, reread_path.data, new_name != NULL};
    rc = write_object(api, service_id, path.data, form.data, &w, err);
out:
    if (form.data)
        fo_secret_free(fo_buf_steal(&form)); /* it may carry ssl_client_key */
    fo_buf_clear(&path);
    fo_buf_clear(&reread_path);
    free(fields);
    free(form_fields);
    return rc;
}

/* A VCL or snippet write: the object's content is the change. */
typedef struct content_write {
    const char *content;
    fo_custom_vcl **vcl; /* one of the two */
    fo_snippet **snippet;
} content_write;

static int content_parse(void *ctx, const char *body, size_t len, fo_error *err)
{
    content_write *c = ctx;
    return c->vcl ? fo_api_parse_vcl(c->vcl, body, len, err)
                  : fo_api_parse_snippet(c->snippet, body, len, err);
}

static int content_holds(void *ctx, const char *body, size_t len, fo_error *read_err)
{
    const content_write *c = ctx;
    fo_custom_vcl *vcl = NULL;
    fo_snippet *snippet = NULL;
    const char *now = NULL;
    if (c->vcl ? fo_api_parse_vcl(&vcl, body, len, read_err) != 0
               : fo_api_parse_snippet(&snippet, body, len, read_err) != 0)
        return -1;
    now = vcl ? vcl->content : snippet->content;
    int holds = now && strcmp(now, c->content) == 0;
    fo_custom_vcl_free(vcl);
    fo_snippet_free(snippet);
    return holds;
}

/* PUT content=... to path (a VCL's or a snippet's) through write_object. */
static int content_update(fo_api *api, content_write *c, const char *service_id, const fo_buf *path,
                          int rc, fo_error *err)
{
    fo_buf form = {0};
    const fo_form_field field = {"content", c->content};
    if (rc == 0 && (!path->data || fo_api_form_encode(&form, &field, 1) != 0))
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    const object_write w = {content_parse, content_holds, c, NULL, false};
    if (rc == 0)
        rc = write_object(api, service_id, path->data, form.data, &w, err);
    fo_buf_clear(&form);
    return rc;
}

int fo_api_vcl_update(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                      const char *name, const char *content, fo_error *err)
{
    fo_buf path = {0};
    content_write c = {.content = content ? content : "", .vcl = out};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0 &&
        fo_api_path(&path, "/service/%s/version/%ld/vcl/%s", service_id, version, name) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    rc = content_update(api, &c, service_id, &path, rc, err);
    fo_buf_clear(&path);
    return rc;
}

/* ---- snippets and pools ---- */

/* PUT content=... to a snippet's path; on an unknown outcome the snippet is read back and
 * its content compared. version 0: a dynamic snippet (versionless). */
static int snippet_write(fo_api *api, fo_snippet **out, const char *service_id, long version,
                         const char *name_or_id, const char *content, fo_error *err)
{
    fo_buf path = {0};
    content_write c = {.content = content ? content : "", .snippet = out};
    int rc =
        fo_api_check_args(service_id, version ? version : 1, name_or_id ? name_or_id : "", err);
    if (rc == 0 &&
        (version ? fo_api_path(&path, "/service/%s/version/%ld/snippet/%s", service_id, version,
                               name_or_id)
                 : fo_api_path(&path, "/service/%s/snippet/%s", service_id, name_or_id)) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    rc = content_update(api, &c, service_id, &path, rc, err);
    fo_buf_clear(&path);
    return rc;
}

int fo_api_snippet_update(fo_api *api, fo_snippet **out, const char *service_id, long version,
                          const char *name, const char *content, fo_error *err)
{
    if (version <= 0)
        return fo_error_set(err, FO_EINVAL, "a versioned snippet needs a version");
    return snippet_write(api, out, service_id, version, name, content, err);
}

int fo_api_dynamic_snippet_update(fo_api *api, fo_snippet **out, const char *service_id,
                                  const char *snippet_id, const char *content, fo_error *err)
{
    return snippet_write(api, out, service_id, 0, snippet_id, content, err);
}

/* The pool fields fixorigin may write, and whether each is a boolean. */
static const struct {
    const char *name;
    bool boolean;
} pool_fields[] = {
    {"max_tls_version", false},
    {"min_tls_version", false},
    {"override_host", false},
    {"tls_ca_cert", false},
    {"tls_cert_hostname", false},
    {"tls_check_cert", true},
    {"tls_ciphers", false},
    {"tls_client_cert", false},
    {"tls_client_key", false},
    {"tls_sni_hostname", false},
    {"use_tls", true},
};

int fo_api_pool_update(fo_api *api, fo_pool **out, const char *service_id, long version,
                       const char *name, const fo_backend_change *changes, size_t change_count,
                       fo_error *err)
{
    fo_buf path = {0}, form = {0};
    fo_backend_change *fields = calloc(change_count ? change_count : 1, sizeof(*fields));
    fo_form_field *form_fields = calloc(change_count ? change_count : 1, sizeof(*form_fields));
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0 && (!fields || !form_fields))
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0 && change_count == 0)
        rc = fo_error_set(err, FO_EINVAL, "a pool update needs at least one change");
    for (size_t i = 0; rc == 0 && i < change_count; i++) {
        size_t f = 0, nf = sizeof(pool_fields) / sizeof(pool_fields[0]);
        while (f < nf && (!changes[i].field || strcmp(pool_fields[f].name, changes[i].field) != 0))
            f++;
        if (f == nf) {
            rc = fo_error_set(err, FO_EINVAL, "'%s' is not a pool field fixorigin writes",
                              changes[i].field ? changes[i].field : "(null)");
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(fields[j].field, pool_fields[f].name) == 0)
                rc = fo_error_set(err, FO_EINVAL, "pool field '%s' is changed twice",
                                  pool_fields[f].name);
        const char *value = changes[i].value;
        if (rc == 0 && pool_fields[f].boolean && value) {
            if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0)
                value = "1";
            else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0)
                value = "0";
            else
                rc = fo_error_set(err, FO_EINVAL, "pool field '%s' takes true or false",
                                  pool_fields[f].name);
        }
        fields[i] = (fo_backend_change){pool_fields[f].name, value};
        form_fields[i] = (fo_form_field){pool_fields[f].name, value};
    }
    if (rc == 0 &&
        (fo_api_path(&path, "/service/%s/version/%ld/pool/%s", service_id, version, name) != 0 ||
         fo_api_form_encode(&form, form_fields, change_count) != 0))
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    fields_write p = {.pool = out, .fields = fields, .count = change_count};
    const object_write w = {fields_parse, fields_holds, &p, NULL, false};
    if (rc == 0)
        rc = write_object(api, service_id, path.data, form.data, &w, err);
    if (form.data)
        fo_secret_free(fo_buf_steal(&form)); /* it may carry tls_client_key */
    fo_buf_clear(&path);
    free(fields);
    free(form_fields);
    return rc;
}
