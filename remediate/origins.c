/* Origins a service defines outside its API backends: `backend` declarations in custom VCL
 * files and snippets (versioned and dynamic), and the servers of load-balancer pools. Each
 * becomes a backend plan like an API backend's (an fo_backend to probe and prove), with its
 * origin saying where it is defined; a proven fix is then written where it is defined: an
 * edit of the declaration, or the pool's tls_* fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"
#include "fixorigin/vcl.h"

const char *fo_origin_source(const fo_origin *origin)
{
    return origin && origin->source ? origin->source : "backend";
}

void fo_rem_origin_clear(fo_origin *o)
{
    free(o->source);
    free(o->container);
    free(o->container_id);
    free(o->content);
    free(o->edited);
    free(o->text_diff);
    memset(o, 0, sizeof(*o));
}

/* ---- declarations as backends ---- */

/* "1s", "500ms", "2m", "15000" (ms) in milliseconds; -1 when not a duration. */
static long duration_ms(const char *s)
{
    char *end = NULL;
    long n = strtol(s, &end, 10);
    if (end == s || n < 0 || n > 86400000L)
        return -1;
    if (strcmp(end, "ms") == 0 || *end == '\0')
        return n;
    if (strcmp(end, "s") == 0)
        return n * 1000;
    if (strcmp(end, "m") == 0)
        return n * 60000;
    return -1;
}

static int set_text(char **slot, const fo_vcl_decl *d, const char *prop, char *why, size_t size)
{
    const fo_vcl_prop *p = fo_vcl_decl_prop(d, prop);
    if (!p)
        return 0;
    if (p->kind != FO_VCL_STRING && p->kind != FO_VCL_LONG_STRING) {
        snprintf(why, size, ".%s is not a string", prop);
        return FO_EINVAL;
    }
    if (p->value[0] && !(*slot = fo_strdup(p->value)))
        return FO_ENOMEM;
    return 0;
}

/* The backend a declaration describes. FO_EINVAL with why when it cannot be read as Fastly
 * would (no .host, a .port that is not a string, a bad duration or flag). */
/* A backend's member by its offsetof: through void *, as the offset keeps the member's
 * alignment, which a cast from char * cannot tell the compiler. */
static void *member_at(fo_backend *b, size_t offset)
{
    return (char *)b + offset;
}

/* A property that is one of two words (true or false, always or never): *out 1 for yes, 0
 * for no, left as it was when the property is not set. FO_EINVAL with why for another value. */
static int word_flag(int *out, const fo_vcl_decl *d, const char *prop, const char *yes,
                     const char *no, char *why, size_t size)
{
    const fo_vcl_prop *p = fo_vcl_decl_prop(d, prop);
    if (!p)
        return 0;
    if (p->kind != FO_VCL_WORD || (strcmp(p->value, yes) != 0 && strcmp(p->value, no) != 0)) {
        snprintf(why, size, ".%s is neither %s nor %s", prop, yes, no);
        return FO_EINVAL;
    }
    *out = strcmp(p->value, yes) == 0;
    return 0;
}

/* .ssl, .prefer_ipv6 and .ssl_check_cert into b. */
static int decl_flags(fo_backend *b, const fo_vcl_decl *d, char *why, size_t size)
{
    int use_ssl = b->use_ssl, check_cert = b->ssl_check_cert;
    int rc = word_flag(&use_ssl, d, "ssl", "true", "false", why, size);
    if (rc == 0)
        rc = word_flag(&b->prefer_ipv6, d, "prefer_ipv6", "true", "false", why, size);
    if (rc == 0)
        rc = word_flag(&check_cert, d, "ssl_check_cert", "always", "never", why, size);
    b->use_ssl = use_ssl != 0;
    b->ssl_check_cert = check_cert != 0;
    return rc;
}

static int decl_backend(fo_backend **out, const fo_vcl_decl *d, char *why, size_t size)
{
    fo_backend *b = calloc(1, sizeof(*b));
    int rc = b ? 0 : FO_ENOMEM;
    if (rc == 0 && !(b->name = fo_strdup(d->name ? d->name : "(no name)")))
        rc = FO_ENOMEM;
    if (rc == 0) {
        b->port = -1;
        b->connect_timeout = b->first_byte_timeout = b->between_bytes_timeout = -1;
        b->ssl_check_cert = true; /* Fastly's default: always */
        b->prefer_ipv6 = -1;      /* not said: the service type's default */
    }
    static const struct {
        const char *prop;
        size_t offset;
    } strings[] = {
        {"host", offsetof(fo_backend, address)},
        {"ssl_cert_hostname", offsetof(fo_backend, ssl_cert_hostname)},
        {"ssl_sni_hostname", offsetof(fo_backend, ssl_sni_hostname)},
        {"ssl_ca_cert", offsetof(fo_backend, ssl_ca_cert)},
        {"ssl_client_cert", offsetof(fo_backend, ssl_client_cert)},
        {"ssl_client_key", offsetof(fo_backend, ssl_client_key)},
        {"ssl_ciphers", offsetof(fo_backend, ssl_ciphers)},
        {"min_tls_version", offsetof(fo_backend, min_tls_version)},
        {"max_tls_version", offsetof(fo_backend, max_tls_version)},
        {"host_header", offsetof(fo_backend, override_host)},
    };
    for (size_t i = 0; rc == 0 && i < sizeof(strings) / sizeof(strings[0]); i++)
        rc = set_text(member_at(b, strings[i].offset), d, strings[i].prop, why, size);
    const fo_vcl_prop *p;
    if (rc == 0 && !b->address) {
        snprintf(why, size, "it has no .host");
        rc = FO_EINVAL;
    }
    if (rc == 0 && (p = fo_vcl_decl_prop(d, "port"))) {
        char *end = NULL;
        long port = p->value ? strtol(p->value, &end, 10) : -1;
        if (p->kind != FO_VCL_STRING) {
            snprintf(why, size, ".port is not a string (Fastly wants \"443\")");
            rc = FO_EINVAL;
        } else if (end == p->value || *end != '\0' || port < 1 || port > 65535) {
            snprintf(why, size, ".port \"%.20s\" is not a port", p->value);
            rc = FO_EINVAL;
        } else {
            b->port = port;
        }
    }
    if (rc == 0)
        rc = decl_flags(b, d, why, size);
    static const struct {
        const char *prop;
        size_t offset;
    } durations[] = {
        {"connect_timeout", offsetof(fo_backend, connect_timeout)},
        {"first_byte_timeout", offsetof(fo_backend, first_byte_timeout)},
        {"between_bytes_timeout", offsetof(fo_backend, between_bytes_timeout)},
    };
    for (size_t i = 0; rc == 0 && i < sizeof(durations) / sizeof(durations[0]); i++) {
        p = fo_vcl_decl_prop(d, durations[i].prop);
        if (!p)
            continue;
        long ms = p->kind == FO_VCL_WORD ? duration_ms(p->value) : -1;
        if (ms < 0) {
            snprintf(why, size, ".%s is not a duration such as 1s or 500ms", durations[i].prop);
            rc = FO_EINVAL;
        }
        long *at = member_at(b, durations[i].offset);
        *at = ms;
    }
    if (rc == 0)
        *out = b;
    else
        fo_backend_free(b);
    return rc;
}

/* The name generated VCL gives API backend name: F_ and non-alphanumerics as '_'. */
static bool is_generated_name(const char *decl, const char *api_name)
{
    if (!decl || !api_name || strncmp(decl, "F_", 2) != 0 || strlen(decl) != strlen(api_name) + 2)
        return false;
    for (size_t i = 0; api_name[i]; i++) {
        char c = api_name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (decl[i + 2] != (alnum ? c : '_'))
            return false;
    }
    return true;
}

static bool wanted(const fo_plan_options *opts, const char *name)
{
    if (!opts || opts->backend_count == 0)
        return true;
    for (size_t i = 0; i < opts->backend_count; i++)
        if (name && strcmp(opts->backends[i], name) == 0)
            return true;
    return false;
}

static int add_note(fo_plan *plan, char *note)
{
    char **grown = note ? realloc(plan->notes, (plan->note_count + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(note);
        return FO_ENOMEM;
    }
    plan->notes = grown;
    plan->notes[plan->note_count++] = note;
    return 0;
}

static fo_backend_plan *new_plan_entry(fo_plan *plan)
{
    fo_backend_plan *grown =
        realloc(plan->backends, (plan->backend_count + 1) * sizeof(*plan->backends));
    if (!grown)
        return NULL;
    plan->backends = grown;
    fo_backend_plan *bp = &grown[plan->backend_count++];
    memset(bp, 0, sizeof(*bp));
    return bp;
}

/* Every declaration of one VCL text as a backend plan. */
static int add_declarations(fo_plan *plan, const fo_version_config *config,
                            const fo_plan_options *opts, fo_origin_kind kind, const char *prefix,
                            const char *container, const char *container_id, const char *content)
{
    fo_vcl_file file;
    int rc = fo_vcl_parse(&file, content, strlen(content), NULL);
    if (rc != 0)
        return rc;
    if (file.problem)
        rc = add_note(plan, fo_rem_strdupf("%s:%s cannot be read (%s): its backends are not "
                                           "checked",
                                           prefix, container, file.problem));
    const fo_version_config *active = config;
    for (size_t i = 0; rc == 0 && i < file.count; i++) {
        const fo_vcl_decl *d = &file.decls[i];
        bool generated = false;
        for (size_t j = 0; active && j < active->backend_count; j++)
            generated = generated || is_generated_name(d->name, active->backends[j].name);
        if (generated || !wanted(opts, d->name))
            continue; /* an API backend, counted once already */
        fo_backend_plan *bp = new_plan_entry(plan);
        if (!bp)
            return FO_ENOMEM;
        bp->origin.kind = kind;
        bp->origin.source = fo_rem_strdupf("%s:%s", prefix, container);
        bp->origin.container = fo_strdup(container);
        bp->origin.container_id = fo_strdup(container_id);
        bp->origin.content = fo_strdup(content);
        if (!bp->origin.source || !bp->origin.container || !bp->origin.content ||
            (container_id && !bp->origin.container_id)) {
            rc = FO_ENOMEM;
            break;
        }
        char why[200] = "";
        int drc = d->understood ? decl_backend(&bp->backend, d, why, sizeof(why)) : FO_EINVAL;
        if (drc == FO_ENOMEM) {
            rc = drc;
        } else if (drc != 0) {
            /* Reported, never guessed: no probe, no fix. */
            if (!bp->backend) {
                bp->backend = calloc(1, sizeof(*bp->backend));
                if (!bp->backend || !(bp->backend->name = fo_strdup(d->name ? d->name : "?")))
                    return FO_ENOMEM;
                bp->backend->port = -1;
            }
            bp->status = FO_BACKEND_HUMAN;
            bp->advice = fo_rem_strdupf(
                "The declaration of backend %s in %s (line %u) is not understood: %s. fixorigin "
                "does not guess at it: check it by hand.",
                d->name ? d->name : "?", bp->origin.source, d->line,
                d->understood ? why : d->problem);
            if (!bp->advice)
                rc = FO_ENOMEM;
        }
    }
    fo_vcl_file_clear(&file);
    return rc;
}

/* The backend a pool server is reached as: the pool's TLS, the server's address. */
static int pool_backend(fo_backend **out, const fo_pool *pool, const fo_pool_server *server)
{
    fo_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return FO_ENOMEM;
    b->name = fo_rem_strdupf("%s/%s:%ld", pool->name, server->address, server->port);
    b->address = fo_strdup(server->address);
    b->port = server->port;
    b->prefer_ipv6 = -1; /* a pool does not say */
    b->use_ssl = pool->use_tls;
    b->ssl_check_cert = pool->tls_check_cert;
    b->connect_timeout = pool->connect_timeout;
    b->first_byte_timeout = pool->first_byte_timeout;
    b->between_bytes_timeout = pool->between_bytes_timeout;
    const char *from[] = {pool->tls_cert_hostname, pool->tls_sni_hostname, pool->tls_ca_cert,
                          pool->tls_client_cert,   pool->tls_client_key,   pool->tls_ciphers,
                          pool->min_tls_version,   pool->max_tls_version,  pool->override_host};
    char **to[] = {&b->ssl_cert_hostname, &b->ssl_sni_hostname, &b->ssl_ca_cert,
                   &b->ssl_client_cert,   &b->ssl_client_key,   &b->ssl_ciphers,
                   &b->min_tls_version,   &b->max_tls_version,  &b->override_host};
    bool nomem = !b->name || !b->address;
    for (size_t i = 0; i < sizeof(to) / sizeof(to[0]); i++)
        if (!fo_str_empty(from[i]) && !(*to[i] = fo_strdup(from[i])))
            nomem = true;
    if (nomem) {
        fo_backend_free(b);
        return FO_ENOMEM;
    }
    *out = b;
    return 0;
}

static int add_pools(fo_plan *plan, fo_api *api, const fo_plan_options *opts,
                     const fo_pool_list *pools, fo_error *err)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < pools->count; i++) {
        const fo_pool *pool = &pools->items[i];
        fo_pool_server_list *servers = NULL;
        if (fo_str_empty(pool->id)) {
            rc = add_note(plan, fo_rem_strdupf("pool %s: the API gave no id, so its servers "
                                               "cannot be listed",
                                               pool->name));
            continue;
        }
        rc = fo_api_pool_server_list(api, &servers, plan->service_id, pool->id, err);
        for (size_t j = 0; rc == 0 && j < servers->count; j++) {
            const fo_pool_server *server = &servers->items[j];
            char *name = fo_rem_strdupf("%s/%s:%ld", pool->name, server->address, server->port);
            bool want = name && wanted(opts, name);
            free(name);
            if (!want)
                continue;
            fo_backend_plan *bp = new_plan_entry(plan);
            if (!bp) {
                rc = FO_ENOMEM;
                break;
            }
            bp->origin.kind = FO_ORIGIN_POOL;
            bp->origin.source =
                fo_rem_strdupf("pool:%s/%s:%ld", pool->name, server->address, server->port);
            bp->origin.container = fo_strdup(pool->name);
            bp->origin.container_id = fo_strdup(pool->id);
            rc = bp->origin.source && bp->origin.container && bp->origin.container_id
                     ? pool_backend(&bp->backend, pool, server)
                     : FO_ENOMEM;
        }
        fo_pool_server_list_free(servers);
    }
    return rc;
}

int fo_rem_origins_discover(fo_plan *plan, fo_api *api, const fo_service *svc,
                            const fo_plan_options *opts, fo_error *err)
{
    return fo_rem_origins_discover_in(plan, api, svc->type, svc->active, opts, err);
}

int fo_rem_origins_discover_in(fo_plan *plan, fo_api *api, const char *type,
                               const fo_version_config *config, const fo_plan_options *opts,
                               fo_error *err)
{
    fo_custom_vcl_list *vcls = NULL;
    fo_snippet_list *snippets = NULL;
    fo_pool_list *pools = NULL;
    long version = config ? config->version.number : 0;
    int rc = 0;
    if (version <= 0)
        return 0;
    if (type && !plan->service_type && !(plan->service_type = fo_strdup(type)))
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    if (type && strcmp(type, "wasm") == 0) {
        /* Compute: no VCL, no snippets, no pools; backends made by the Wasm code at run
         * time never reach the API. */
        if (config->backend_count == 0)
            rc = add_note(plan, fo_strdup("a Compute service with no static backends: backends "
                                          "its code creates at run time (dynamic backends) are "
                                          "invisible to the API and were not checked"));
        return rc == 0 ? 0 : fo_error_set(err, rc, "out of memory");
    }
    /* Details says how many VCL files and snippets there are; an explicit none spares the
     * read (anything else, absent included, is read). */
    if (config->vcl_count != 0)
        rc = fo_api_vcl_list(api, &vcls, plan->service_id, version, err);
    for (size_t i = 0; rc == 0 && vcls && i < vcls->count; i++)
        rc = add_declarations(plan, config, opts, FO_ORIGIN_VCL, "vcl", vcls->items[i].name, NULL,
                              vcls->items[i].content ? vcls->items[i].content : "");
    if (rc == 0 && config->snippet_count != 0)
        rc = fo_api_snippet_list(api, &snippets, plan->service_id, version, err);
    for (size_t i = 0; rc == 0 && snippets && i < snippets->count; i++) {
        const fo_snippet *s = &snippets->items[i];
        if (!s->dynamic) {
            rc = add_declarations(plan, config, opts, FO_ORIGIN_SNIPPET, "snippet", s->name, NULL,
                                  s->content ? s->content : "");
            continue;
        }
        fo_snippet *live = NULL;
        if (fo_str_empty(s->id)) {
            rc = add_note(plan, fo_rem_strdupf("dynamic snippet %s: the API gave no id, so its "
                                               "content cannot be read",
                                               s->name));
            continue;
        }
        rc = fo_api_dynamic_snippet_get(api, &live, plan->service_id, s->id, err);
        if (rc == 0)
            rc = add_declarations(plan, config, opts, FO_ORIGIN_DYNAMIC_SNIPPET, "dynamic_snippet",
                                  s->name, s->id, live->content ? live->content : "");
        fo_snippet_free(live);
    }
    if (rc == 0)
        rc = fo_api_pool_list(api, &pools, plan->service_id, version, err);
    if (rc == 0)
        rc = add_pools(plan, api, opts, pools, err);
    if (rc == FO_ENOMEM)
        fo_error_set(err, rc, "out of memory");
    fo_custom_vcl_list_free(vcls);
    fo_snippet_list_free(snippets);
    fo_pool_list_free(pools);
    return rc;
}

/* ---- fixes where the origin is defined ---- */

/* A backend field's change as a declaration property. FO_EINVAL for a field a declaration
 * fixorigin edits cannot express. */
static int vcl_set_of(fo_vcl_set *out, char *scratch, size_t size, const fo_change *c)
{
    static const struct {
        const char *field, *prop;
        fo_vcl_kind kind;
    } map[] = {
        {"address", "host", FO_VCL_STRING},
        {"port", "port", FO_VCL_STRING},
        {"use_ssl", "ssl", FO_VCL_WORD},
        {"ssl_check_cert", "ssl_check_cert", FO_VCL_WORD},
        {"ssl_cert_hostname", "ssl_cert_hostname", FO_VCL_STRING},
        {"ssl_sni_hostname", "ssl_sni_hostname", FO_VCL_STRING},
        {"ssl_ca_cert", "ssl_ca_cert", FO_VCL_LONG_STRING},
        {"ssl_ciphers", "ssl_ciphers", FO_VCL_STRING},
        {"min_tls_version", "min_tls_version", FO_VCL_STRING},
        {"max_tls_version", "max_tls_version", FO_VCL_STRING},
        {"override_host", "host_header", FO_VCL_STRING},
        {"connect_timeout", "connect_timeout", FO_VCL_WORD},
        {"first_byte_timeout", "first_byte_timeout", FO_VCL_WORD},
        {"between_bytes_timeout", "between_bytes_timeout", FO_VCL_WORD},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i].field, c->field) != 0)
            continue;
        *out = (fo_vcl_set){map[i].prop, map[i].kind, c->to};
        if (c->to && strcmp(c->field, "ssl_check_cert") == 0)
            out->value = strcmp(c->to, "true") == 0 ? "always" : "never";
        else if (c->to && map[i].kind == FO_VCL_WORD && strstr(c->field, "timeout")) {
            snprintf(scratch, size, "%sms", c->to);
            out->value = scratch;
        }
        return 0;
    }
    return FO_EINVAL;
}

int fo_rem_vcl_edit_fix(char **out, const char *content, const char *backend, const fo_fix *fix,
                        fo_error *err)
{
    fo_vcl_set sets[16];
    char scratch[16][32];
    size_t out_len;
    if (fix->change_count > 16)
        return fo_error_set(err, FO_EINVAL, "too many changes for one declaration");
    for (size_t i = 0; i < fix->change_count; i++)
        if (vcl_set_of(&sets[i], scratch[i], sizeof(scratch[i]), &fix->changes[i]) != 0)
            return fo_error_set(err, FO_EINVAL,
                                "a backend declaration has no property fixorigin writes for %s",
                                fix->changes[i].field);
    return fo_vcl_edit(out, &out_len, content, strlen(content), backend, sets, fix->change_count,
                       err);
}

/* A unified diff of two texts that differ in one region (the editor's edits are inside one
 * declaration): the common lines around it are context, three each side. */
char *fo_rem_unified_diff(const char *label, const char *from, const char *to)
{
    fo_buf b = {0};
    fo_lines x = {0}, y = {0};
    char *result = NULL;
    if (fo_lines_split(&x, from) != 0 || fo_lines_split(&y, to) != 0)
        goto out;
    size_t head = 0, tail = 0;
    fo_lines_common_ends(&head, &tail, &x, &y);
    if (head == x.count && head == y.count) {
        result = fo_strdup("");
        goto out;
    }
    size_t before = head < 3 ? head : 3, after = tail < 3 ? tail : 3;
    size_t removed = x.count - head - tail, added = y.count - head - tail;
    int rc = fo_buf_printf(&b, "--- %s\n+++ %s (planned)\n@@ -%zu,%zu +%zu,%zu @@\n", label, label,
                           head - before + 1, before + removed + after, head - before + 1,
                           before + added + after);
    for (size_t i = head - before; rc == 0 && i < head; i++)
        rc = fo_buf_printf(&b, " %.*s\n", (int)x.len[i], x.start[i]);
    for (size_t i = head; rc == 0 && i < head + removed; i++)
        rc = fo_buf_printf(&b, "-%.*s\n", (int)x.len[i], x.start[i]);
    for (size_t i = head; rc == 0 && i < head + added; i++)
        rc = fo_buf_printf(&b, "+%.*s\n", (int)y.len[i], y.start[i]);
    for (size_t i = x.count - tail; rc == 0 && i < x.count - tail + after; i++)
        rc = fo_buf_printf(&b, " %.*s\n", (int)x.len[i], x.start[i]);
    if (rc != 0)
        goto out;
    /* VCL text reaches a terminal: no control characters but tabs (CR line ends go). */
    size_t o = 0;
    for (size_t i = 0; i < b.len; i++) {
        unsigned char c = (unsigned char)b.data[i];
        if (c == '\r' && i + 1 < b.len && b.data[i + 1] == '\n')
            continue;
        b.data[o++] = ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) ? '?' : (char)c;
    }
    b.len = o;
    b.data[o] = '\0';
    result = fo_buf_steal(&b);
out:
    fo_buf_clear(&b);
    fo_lines_clear(&x);
    fo_lines_clear(&y);
    return result;
}

/* The pool field a backend field is written as (api/backend_fields.c); NULL when a pool has
 * none. */
const char *fo_rem_pool_field(const char *backend_field)
{
    const fo_backend_field *f = fo_backend_field_find(backend_field);
    return f ? f->pool : NULL;
}

static bool same_changes(const fo_fix *a, const fo_fix *b)
{
    if (a->change_count != b->change_count)
        return false;
    for (size_t i = 0; i < a->change_count; i++) {
        const fo_change *x = &a->changes[i], *y = &b->changes[i];
        if (strcmp(x->field, y->field) != 0 || (x->to == NULL) != (y->to == NULL) ||
            (x->to && strcmp(x->to, y->to) != 0))
            return false;
    }
    return true;
}

/* Turns a fix that cannot be written where the origin is defined into advice. */
static int demote(fo_backend_plan *bp, const char *why)
{
    char *advice =
        fo_rem_strdupf("A fix is proven (%s) but fixorigin cannot write it in %s: %s. "
                       "Make the change by hand.",
                       bp->fix.summary ? bp->fix.summary : "?", fo_origin_source(&bp->origin), why);
    if (!advice)
        return FO_ENOMEM;
    free(bp->advice);
    bp->advice = advice;
    bp->status = FO_BACKEND_HUMAN;
    return 0;
}

/* Whether a pool server the probe found fine still passes with fix applied to the pool's
 * settings (its settings are the pool's, so the fix reaches it too). */
static bool still_passes(fo_prober *prober, const fo_backend *server, const fo_fix *fix)
{
    fo_backend *trial = NULL;
    fo_diagnosis *d = NULL;
    fo_probe_target target;
    fo_error e;
    bool ok = prober && fo_rem_backend_copy(&trial, server) == 0 &&
              fo_rem_backend_apply(trial, fix) == 0 && fo_rem_target(&target, trial, &e) == 0 &&
              fo_probe_run(prober, &d, &target, &e) == 0 && d->verdict.class == FO_CLASS_OK;
    fo_diagnosis_free(d);
    fo_backend_free(trial);
    return ok;
}

int fo_rem_origins_settle(fo_plan *plan, const fo_remediate_options *consent, fo_prober *prober)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < plan->backend_count; i++) {
        fo_backend_plan *bp = &plan->backends[i];
        bool fixed = bp->status == FO_BACKEND_FIX || bp->status == FO_BACKEND_BLOCKED;
        if (!fixed || bp->origin.kind == FO_ORIGIN_BACKEND)
            continue;
        if (bp->origin.kind == FO_ORIGIN_POOL) {
            for (size_t j = 0; rc == 0 && j < bp->fix.change_count; j++)
                if (!fo_rem_pool_field(bp->fix.changes[j].field))
                    rc = demote(bp, "a pool has no such TLS setting (it belongs to the server)");
            /* One pool, one set of TLS settings: every server must want the same change. */
            for (size_t j = 0; rc == 0 && bp->status != FO_BACKEND_HUMAN && j < plan->backend_count;
                 j++) {
                const fo_backend_plan *other = &plan->backends[j];
                if (j == i || other->origin.kind != FO_ORIGIN_POOL ||
                    strcmp(other->origin.container, bp->origin.container) != 0)
                    continue;
                /* A server that needs the same change agrees; one that is fine agrees when
                 * it still passes with the change (probed again); any other does not. */
                bool agrees =
                    (other->status == FO_BACKEND_FIX || other->status == FO_BACKEND_BLOCKED)
                        ? same_changes(&other->fix, &bp->fix)
                        : other->status == FO_BACKEND_OK &&
                              still_passes(prober, other->backend, &bp->fix);
                if (!agrees)
                    rc = demote(bp, "the pool's servers need different changes, or one of them "
                                    "would not pass with this one, and they share the pool's "
                                    "TLS settings");
            }
            continue;
        }
        fo_error e;
        fo_error_clear(&e);
        int erc = fo_rem_vcl_edit_fix(&bp->origin.edited, bp->origin.content, bp->backend->name,
                                      &bp->fix, &e);
        if (erc == FO_ENOMEM)
            return erc;
        if (erc != 0) {
            rc = demote(bp, e.msg);
            continue;
        }
        bp->origin.text_diff =
            fo_rem_unified_diff(bp->origin.source, bp->origin.content, bp->origin.edited);
        if (!bp->origin.text_diff)
            return FO_ENOMEM;
        if (bp->origin.kind == FO_ORIGIN_DYNAMIC_SNIPPET && bp->status == FO_BACKEND_FIX &&
            !(consent && consent->allow_dynamic_snippet)) {
            /* Versionless: the change takes effect at once with no version to go back to. */
            bp->status = FO_BACKEND_BLOCKED;
            bp->fix.allowed = false;
            rc = fo_rem_join(&bp->fix.consent, ", ", "--allow-dynamic-snippet");
            free(bp->advice);
            bp->advice =
                rc == 0 ? fo_rem_strdupf("A fix is proven but it edits dynamic snippet %s, which "
                                         "takes effect at once with no version to roll back to: "
                                         "it needs --allow-dynamic-snippet (fixorigin run by hand)",
                                         bp->origin.container)
                        : NULL;
            if (rc == 0 && !bp->advice)
                rc = FO_ENOMEM;
        }
    }
    return rc;
}

/* ---- apply ---- */

static bool same_container(const fo_backend_plan *a, const fo_backend_plan *b)
{
    return a->origin.kind == b->origin.kind && a->origin.container && b->origin.container &&
           strcmp(a->origin.container, b->origin.container) == 0;
}

/* Whether the i-th backend plan is the first fixed one of its container. */
static bool first_of_container(const fo_plan *plan, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (plan->backends[j].status == FO_BACKEND_FIX &&
            same_container(&plan->backends[j], &plan->backends[i]))
            return false;
    return true;
}

/* The text of a container with every fix planned in it made, in plan order. */
static int container_text(char **out, const fo_plan *plan, size_t first, fo_error *e)
{
    const fo_backend_plan *bp = &plan->backends[first];
    char *text = fo_strdup(bp->origin.content);
    int rc = text ? 0 : fo_error_set(e, FO_ENOMEM, "out of memory");
    for (size_t j = first; rc == 0 && j < plan->backend_count; j++) {
        const fo_backend_plan *other = &plan->backends[j];
        if (other->status != FO_BACKEND_FIX || !same_container(other, bp))
            continue;
        char *next = NULL;
        rc = fo_rem_vcl_edit_fix(&next, text, other->backend->name, &other->fix, e);
        free(text);
        text = next;
    }
    if (rc == 0)
        *out = text;
    else
        free(text);
    return rc;
}

/* Whether edited differs from original only inside the declarations of the fixed backends:
 * the same declarations in the same order, every other one byte for byte, and the text
 * before the first fixed one and after the last one untouched. */
static bool only_inside(const fo_plan *plan, size_t first, const char *original, const char *edited,
                        char *why, size_t size)
{
    fo_vcl_file a, b;
    bool ok = false;
    if (fo_vcl_parse(&a, original, strlen(original), NULL) != 0) {
        snprintf(why, size, "out of memory");
        return false;
    }
    if (fo_vcl_parse(&b, edited, strlen(edited), NULL) != 0) {
        fo_vcl_file_clear(&a);
        snprintf(why, size, "out of memory");
        return false;
    }
    size_t lo = (size_t)-1, hi = 0, hi_b = 0, lo_b = (size_t)-1;
    if (b.problem) {
        snprintf(why, size, "the written VCL is broken: %s", b.problem);
        goto out;
    }
    if (a.count != b.count) {
        snprintf(why, size, "the written VCL declares %zu backends, not %zu", b.count, a.count);
        goto out;
    }
    for (size_t k = 0; k < a.count; k++) {
        const fo_vcl_decl *x = &a.decls[k], *y = &b.decls[k];
        bool fixed = false;
        for (size_t j = first; x->name && j < plan->backend_count; j++)
            fixed = fixed || (plan->backends[j].status == FO_BACKEND_FIX &&
                              same_container(&plan->backends[j], &plan->backends[first]) &&
                              strcmp(plan->backends[j].backend->name, x->name) == 0);
        if ((x->name == NULL) != (y->name == NULL) || (x->name && strcmp(x->name, y->name) != 0)) {
            snprintf(why, size, "the written VCL's declarations are not the same ones");
            goto out;
        }
        if (fixed) {
            lo = x->start < lo ? x->start : lo;
            hi = x->end > hi ? x->end : hi;
            lo_b = y->start < lo_b ? y->start : lo_b;
            hi_b = y->end > hi_b ? y->end : hi_b;
        } else if (x->end - x->start != y->end - y->start ||
                   memcmp(original + x->start, edited + y->start, x->end - x->start) != 0) {
            snprintf(why, size, "backend %s changed, which no fix planned",
                     x->name ? x->name : "?");
            goto out;
        }
    }
    size_t la = strlen(original), lb = strlen(edited);
    if (lo == (size_t)-1 || lo != lo_b || memcmp(original, edited, lo) != 0 ||
        la - hi != lb - hi_b || memcmp(original + hi, edited + hi_b, la - hi) != 0) {
        snprintf(why, size, "the text outside the fixed declarations changed");
        goto out;
    }
    ok = true;
out:
    fo_vcl_file_clear(&a);
    fo_vcl_file_clear(&b);
    return ok;
}

/* A pool field of p as text ("true"/"false" for booleans), borrowed or static. */
static const char *pool_value(const fo_pool *p, const char *field)
{
    if (strcmp(field, "use_tls") == 0)
        return p->use_tls ? "true" : "false";
    if (strcmp(field, "tls_check_cert") == 0)
        return p->tls_check_cert ? "true" : "false";
    const struct {
        const char *name;
        const char *value;
    } strings[] = {{"tls_cert_hostname", p->tls_cert_hostname},
                   {"tls_sni_hostname", p->tls_sni_hostname},
                   {"tls_ca_cert", p->tls_ca_cert},
                   {"tls_ciphers", p->tls_ciphers},
                   {"min_tls_version", p->min_tls_version},
                   {"max_tls_version", p->max_tls_version},
                   {"override_host", p->override_host}};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        if (strcmp(strings[i].name, field) == 0)
            return fo_str_empty(strings[i].value) ? NULL : strings[i].value;
    return NULL;
}

static int write_pool(fo_rem_steps *steps, fo_api *api, const fo_plan *plan, long draft,
                      const fo_backend_plan *bp, fo_step *failed, fo_error *e)
{
    fo_backend_change changes[16];
    fo_pool *after = NULL;
    size_t n = bp->fix.change_count < 16 ? bp->fix.change_count : 16;
    for (size_t j = 0; j < n; j++)
        changes[j] =
            (fo_backend_change){fo_rem_pool_field(bp->fix.changes[j].field), bp->fix.changes[j].to};
    char *diff = fo_remediate_fix_diff(&bp->fix);
    const char *who = bp->origin.container;
    fo_rem_step_start(steps, FO_STEP_UPDATE, who);
    *failed = FO_STEP_UPDATE;
    int rc = fo_api_pool_update(api, &after, plan->service_id, draft, bp->origin.container, changes,
                                n, e);
    if (rc == 0) {
        fo_rem_step_done(steps, FO_STEP_UPDATE, who, true, diff, "pool %s: %s in draft %ld", who,
                         bp->fix.summary, draft);
        fo_rem_step_start(steps, FO_STEP_READBACK, who);
        *failed = FO_STEP_READBACK;
        for (size_t j = 0; rc == 0 && j < n; j++) {
            const char *got = pool_value(after, changes[j].field);
            const char *want = changes[j].value;
            bool same = fo_str_empty(want) ? fo_str_empty(got) : got && strcmp(got, want) == 0;
            if (!same && fo_remediate_field_kind(bp->fix.changes[j].field) == FO_FIELD_PEM)
                same = got && want && strstr(got, "-----BEGIN") && strcmp(got, want) == 0;
            if (!same)
                rc = fo_error_set(e, FO_EPROTO, "pool %s does not read back as planned: %s", who,
                                  changes[j].field);
        }
        if (rc == 0)
            fo_rem_step_done(steps, FO_STEP_READBACK, who, true, NULL,
                             "pool %s holds the planned change", who);
    }
    fo_pool_free(after);
    free(diff);
    return rc;
}

static int write_text(fo_rem_steps *steps, fo_api *api, const fo_plan *plan, long draft,
                      size_t first, char **out_text, fo_step *failed, fo_error *e)
{
    const fo_backend_plan *bp = &plan->backends[first];
    const char *who = bp->origin.source;
    char *text = NULL, *diff = NULL, *got = NULL;
    *failed = FO_STEP_UPDATE;
    int rc = container_text(&text, plan, first, e);
    if (rc == 0 && !(diff = fo_rem_unified_diff(who, bp->origin.content, text)))
        rc = fo_error_set(e, FO_ENOMEM, "out of memory");
    if (rc == 0) {
        fo_rem_step_start(steps, FO_STEP_UPDATE, who);
        if (bp->origin.kind == FO_ORIGIN_VCL) {
            fo_custom_vcl *v = NULL;
            rc = fo_api_vcl_update(api, &v, plan->service_id, draft, bp->origin.container, text, e);
            if (rc == 0 && !(got = fo_strdup(v->content ? v->content : "")))
                rc = fo_error_set(e, FO_ENOMEM, "out of memory");
            fo_custom_vcl_free(v);
        } else {
            fo_snippet *s = NULL;
            rc = fo_api_snippet_update(api, &s, plan->service_id, draft, bp->origin.container, text,
                                       e);
            if (rc == 0 && !(got = fo_strdup(s->content ? s->content : "")))
                rc = fo_error_set(e, FO_ENOMEM, "out of memory");
            fo_snippet_free(s);
        }
    }
    if (rc == 0) {
        fo_rem_step_done(steps, FO_STEP_UPDATE, who, true, diff, "%s written in draft %ld", who,
                         draft);
        fo_rem_step_start(steps, FO_STEP_READBACK, who);
        *failed = FO_STEP_READBACK;
        if (strcmp(got, text) != 0)
            rc = fo_error_set(e, FO_EPROTO, "%s does not read back byte for byte as planned", who);
        else
            fo_rem_step_done(steps, FO_STEP_READBACK, who, true, NULL,
                             "%s reads back byte for byte as planned", who);
    }
    free(diff);
    free(got);
    if (rc == 0)
        *out_text = text;
    else
        free(text);
    return rc;
}

/* The written VCL files and versioned snippets as the draft now lists them: each holds its
 * planned text, changed only inside the fixed declarations. (That nothing else in the draft
 * changed is the draft check's, fo_remediate_draft_matches.) */
static int check_structure(fo_rem_steps *steps, fo_api *api, const fo_plan *plan, long draft,
                           char **texts, fo_error *e)
{
    fo_custom_vcl_list *vcls = NULL;
    fo_snippet_list *snippets = NULL;
    char why[300] = "";
    bool any_vcl = false, any_snippet = false;
    for (size_t i = 0; i < plan->backend_count; i++) {
        any_vcl = any_vcl || (texts[i] && plan->backends[i].origin.kind == FO_ORIGIN_VCL);
        any_snippet =
            any_snippet || (texts[i] && plan->backends[i].origin.kind == FO_ORIGIN_SNIPPET);
    }
    fo_rem_step_start(steps, FO_STEP_READBACK, "vcl");
    int rc = any_vcl ? fo_api_vcl_list(api, &vcls, plan->service_id, draft, e) : 0;
    if (rc == 0 && any_snippet)
        rc = fo_api_snippet_list(api, &snippets, plan->service_id, draft, e);
    for (size_t i = 0; rc == 0 && !why[0] && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (!texts[i])
            continue;
        bool is_vcl = bp->origin.kind == FO_ORIGIN_VCL;
        const char *now = NULL;
        size_t count = is_vcl ? vcls->count : snippets->count;
        for (size_t m = 0; m < count; m++) {
            const char *name = is_vcl ? vcls->items[m].name : snippets->items[m].name;
            if (name && strcmp(name, bp->origin.container) == 0)
                now = is_vcl ? vcls->items[m].content : snippets->items[m].content;
        }
        char inside[200];
        if (!now)
            snprintf(why, sizeof(why), "%s is not in draft %ld", bp->origin.source, draft);
        else if (strcmp(now, texts[i]) != 0)
            snprintf(why, sizeof(why), "%s does not hold the planned text", bp->origin.source);
        else if (!only_inside(plan, i, bp->origin.content, now, inside, sizeof(inside)))
            snprintf(why, sizeof(why), "%s: %s", bp->origin.source, inside);
    }
    if (rc == 0 && why[0])
        rc = fo_error_set(e, FO_EPROTO, "%s", why);
    else if (rc == 0)
        fo_rem_step_done(steps, FO_STEP_READBACK, "vcl", true, NULL,
                         "draft %ld: the written VCL holds the planned text, changed only inside "
                         "the fixed backend declarations",
                         draft);
    fo_custom_vcl_list_free(vcls);
    fo_snippet_list_free(snippets);
    return rc;
}

int fo_rem_origins_write(fo_rem_steps *steps, fo_api *api, const fo_plan *plan, long draft,
                         fo_step *failed, const char **who, fo_error *e)
{
    int rc = 0;
    bool any_text = false;
    char **texts = calloc(plan->backend_count ? plan->backend_count : 1, sizeof(*texts));
    if (!texts)
        return fo_error_set(e, FO_ENOMEM, "out of memory");
    for (size_t i = 0; rc == 0 && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        bool versioned = bp->origin.kind == FO_ORIGIN_VCL || bp->origin.kind == FO_ORIGIN_SNIPPET ||
                         bp->origin.kind == FO_ORIGIN_POOL;
        if (bp->status != FO_BACKEND_FIX || !versioned || !first_of_container(plan, i))
            continue;
        *who = bp->origin.kind == FO_ORIGIN_POOL ? bp->origin.container : bp->origin.source;
        if (bp->origin.kind == FO_ORIGIN_POOL) {
            rc = write_pool(steps, api, plan, draft, bp, failed, e);
        } else {
            rc = write_text(steps, api, plan, draft, i, &texts[i], failed, e);
            any_text = true;
        }
    }
    if (rc == 0 && any_text) {
        *who = "vcl";
        *failed = FO_STEP_READBACK;
        rc = check_structure(steps, api, plan, draft, texts, e);
    }
    for (size_t i = 0; i < plan->backend_count; i++)
        free(texts[i]);
    free(texts);
    return rc;
}

void fo_rem_origins_live_free(fo_backend **live, size_t count)
{
    for (size_t i = 0; live && i < count; i++)
        fo_backend_free(live[i]);
    free(live);
}

int fo_rem_origins_live(fo_backend ***out, fo_api *api, const fo_plan *plan, const fo_service *svc,
                        fo_error *err)
{
    fo_plan now;
    memset(&now, 0, sizeof(now));
    now.service_id = plan->service_id; /* borrowed */
    fo_backend **live = calloc(plan->backend_count ? plan->backend_count : 1, sizeof(*live));
    if (!live)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    bool needed = false;
    for (size_t i = 0; i < plan->backend_count; i++)
        needed = needed || (plan->backends[i].status == FO_BACKEND_FIX &&
                            plan->backends[i].origin.kind != FO_ORIGIN_BACKEND);
    int rc = needed ? fo_rem_origins_discover(&now, api, svc, NULL, err) : 0;
    for (size_t i = 0; rc == 0 && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX || bp->origin.kind == FO_ORIGIN_BACKEND)
            continue;
        for (size_t j = 0; j < now.backend_count; j++) {
            fo_backend_plan *found = &now.backends[j];
            if (found->origin.kind == bp->origin.kind &&
                strcmp(found->origin.source, bp->origin.source) == 0 &&
                strcmp(found->backend->name, bp->backend->name) == 0 && !found->advice) {
                live[i] = found->backend;
                found->backend = NULL;
                break;
            }
        }
    }
    for (size_t j = 0; j < now.backend_count; j++) {
        fo_rem_origin_clear(&now.backends[j].origin);
        fo_backend_free(now.backends[j].backend);
        free(now.backends[j].advice);
    }
    free(now.backends);
    for (size_t j = 0; j < now.note_count; j++)
        free(now.notes[j]);
    free(now.notes);
    free(now.service_type);
    if (rc != 0) {
        fo_rem_origins_live_free(live, plan->backend_count);
        return rc;
    }
    *out = live;
    return 0;
}

/* ---- dynamic snippets: versionless, so the old text is the only way back ---- */

/* Outcome of one dynamic snippet's change. */
static void dynamic_finish(fo_apply_result *result, fo_apply_outcome outcome, const fo_error *e)
{
    static const int rank[] = {
        [FO_APPLY_NOTHING] = 0,  [FO_APPLY_DRAFT] = 1,       [FO_APPLY_VERIFIED] = 2,
        [FO_APPLY_CONFLICT] = 3, [FO_APPLY_ROLLED_BACK] = 4, [FO_APPLY_FAILED] = 5,
        [FO_APPLY_UNKNOWN] = 6};
    if (rank[outcome] > rank[result->outcome]) {
        result->outcome = outcome;
        if (e && result->error.code == 0)
            result->error = *e;
    }
}

/* Probes the fixed backends of one dynamic snippet as its live text declares them. */
static bool dynamic_verify(fo_prober *prober, const fo_plan *plan, size_t first, const char *text,
                           fo_apply_result *result, char *why, size_t size)
{
    fo_vcl_file file;
    bool ok = true;
    if (fo_vcl_parse(&file, text, strlen(text), NULL) != 0) {
        snprintf(why, size, "out of memory");
        return false;
    }
    for (size_t i = first; ok && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX || !same_container(bp, &plan->backends[first]))
            continue;
        const fo_vcl_decl *d = NULL;
        for (size_t k = 0; k < file.count; k++)
            if (file.decls[k].name && strcmp(file.decls[k].name, bp->backend->name) == 0)
                d = &file.decls[k];
        fo_backend *live = NULL;
        fo_probe_target target;
        fo_error e;
        char detail[300];
        if (!d || !d->understood || decl_backend(&live, d, detail, sizeof(detail)) != 0) {
            snprintf(why, size, "backend %s is not readable in the written snippet",
                     bp->backend->name);
            ok = false;
        } else if (!fo_remediate_readback_matches(bp->backend, live, &bp->fix, detail,
                                                  sizeof(detail))) {
            snprintf(why, size, "backend %s: %s", bp->backend->name, detail);
            ok = false;
        } else if (fo_rem_target(&target, live, &e) != 0 ||
                   fo_probe_run(prober, &result->verified[i], &target, &e) != 0) {
            snprintf(why, size, "backend %s cannot be probed: %s", bp->backend->name, e.msg);
            ok = false;
        } else if (result->verified[i]->verdict.class != FO_CLASS_OK) {
            snprintf(why, size, "backend %s does not pass: %s", bp->backend->name,
                     fo_class_id(result->verified[i]->verdict.class));
            ok = false;
        }
        fo_backend_free(live);
    }
    fo_vcl_file_clear(&file);
    return ok;
}

void fo_rem_dynamic_apply(fo_rem_steps *steps, fo_api *api, fo_prober *prober, const fo_plan *plan,
                          bool dry, fo_apply_result *result)
{
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX || bp->origin.kind != FO_ORIGIN_DYNAMIC_SNIPPET ||
            !first_of_container(plan, i))
            continue;
        const char *who = bp->origin.source;
        const char *sid = plan->service_id, *id = bp->origin.container_id;
        fo_snippet *now = NULL, *written = NULL, *restored = NULL;
        char *text = NULL, *diff = NULL;
        char why[400];
        fo_error e;
        fo_error_clear(&e);
        if (dry) {
            fo_rem_step_start(steps, FO_STEP_UPDATE, who);
            fo_rem_step_done(steps, FO_STEP_UPDATE, who, false, NULL,
                             "%s is not written: a dynamic snippet takes effect at once, and "
                             "--activate=none activates nothing",
                             who);
            continue;
        }
        fo_rem_step_start(steps, FO_STEP_REREAD, who);
        int rc = fo_api_dynamic_snippet_get(api, &now, sid, id, &e);
        if (rc == 0 && (!now->content || strcmp(now->content, bp->origin.content) != 0)) {
            fo_error_set(&e, FO_ECONFLICT,
                         "%s changed since it was planned against: someone else wrote it; "
                         "fixorigin leaves it",
                         who);
            fo_rem_step_done(steps, FO_STEP_REREAD, who, false, NULL, "%s", e.msg);
            dynamic_finish(result, FO_APPLY_CONFLICT, &e);
            goto next;
        }
        if (rc != 0) {
            fo_rem_step_done(steps, FO_STEP_REREAD, who, false, NULL, "%s", e.msg);
            dynamic_finish(result, FO_APPLY_FAILED, &e);
            goto next;
        }
        fo_rem_step_done(steps, FO_STEP_REREAD, who, true, NULL,
                         "%s still holds the text planned against", who);
        rc = container_text(&text, plan, i, &e);
        if (rc == 0 && !(diff = fo_rem_unified_diff(who, bp->origin.content, text)))
            rc = fo_error_set(&e, FO_ENOMEM, "out of memory");
        fo_rem_step_start(steps, FO_STEP_UPDATE, who);
        if (rc == 0)
            rc = fo_api_dynamic_snippet_update(api, &written, sid, id, text, &e);
        if (rc != 0) {
            fo_rem_step_done(steps, FO_STEP_UPDATE, who, false, diff, "%s", e.msg);
            dynamic_finish(result, rc == FO_EUNKNOWN ? FO_APPLY_UNKNOWN : FO_APPLY_FAILED, &e);
            goto next;
        }
        fo_rem_step_done(steps, FO_STEP_UPDATE, who, true, diff,
                         "%s written: it takes effect at once (no version)", who);
        bool ok = written->content && strcmp(written->content, text) == 0;
        if (!ok)
            snprintf(why, sizeof(why), "%s does not read back byte for byte as planned", who);
        fo_rem_step_start(steps, FO_STEP_VERIFY, who);
        /* What is live now, read again, is what is probed. */
        fo_snippet *live = NULL;
        fo_error read_err;
        if (ok && fo_api_dynamic_snippet_get(api, &live, sid, id, &read_err) != 0) {
            snprintf(why, sizeof(why), "%s cannot be read back: %s", who, read_err.msg);
            ok = false;
        } else if (ok && (!live->content || strcmp(live->content, text) != 0)) {
            snprintf(why, sizeof(why), "%s does not hold the written text", who);
            ok = false;
        }
        if (ok)
            ok = dynamic_verify(prober, plan, i, live->content, result, why, sizeof(why));
        fo_snippet_free(live);
        if (ok) {
            fo_rem_step_done(steps, FO_STEP_VERIFY, who, true, NULL, "%s: its fixed backends pass",
                             who);
            dynamic_finish(result, FO_APPLY_VERIFIED, NULL);
            goto next;
        }
        fo_rem_step_done(steps, FO_STEP_VERIFY, who, false, NULL, "%s", why);
        /* No version to go back to: the text read before writing is put back. */
        fo_rem_step_start(steps, FO_STEP_ROLLBACK, who);
        rc = fo_api_dynamic_snippet_update(api, &restored, sid, id, bp->origin.content, &e);
        if (rc == 0 && restored->content && strcmp(restored->content, bp->origin.content) == 0) {
            fo_rem_step_done(steps, FO_STEP_ROLLBACK, who, true, NULL,
                             "%s holds its old text again (a dynamic snippet has no version to "
                             "roll back to: its old text was kept and written back)",
                             who);
            fo_error_set(&e, FO_ESTATE, "rolled back: %s", why);
            dynamic_finish(result, FO_APPLY_ROLLED_BACK, &e);
        } else {
            fo_rem_step_done(steps, FO_STEP_ROLLBACK, who, false, NULL,
                             "writing the old text of %s back failed (%s): it may hold the "
                             "unverified change; check it",
                             who, rc ? e.msg : "it reads back otherwise");
            fo_error_set(&e, FO_EUNKNOWN,
                         "verification of %s failed (%s) and so did writing "
                         "its old text back",
                         who, why);
            dynamic_finish(result, FO_APPLY_UNKNOWN, &e);
        }
    next:
        fo_snippet_free(now);
        fo_snippet_free(written);
        fo_snippet_free(restored);
        free(text);
        free(diff);
    }
}

/* ---- discovery for callers that only show ---- */

void fo_origin_list_free(fo_origin_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        fo_rem_origin_clear(&list->items[i].origin);
        fo_backend_free(list->items[i].backend);
        free(list->items[i].problem);
    }
    free(list->items);
    for (size_t i = 0; i < list->note_count; i++)
        free(list->notes[i]);
    free(list->notes);
    free(list);
}

int fo_remediate_origins(fo_origin_list **out, fo_api *api, const char *service_id,
                         const char *service_type, const fo_version_config *config, fo_error *err)
{
    fo_plan found;
    memset(&found, 0, sizeof(found));
    found.service_id = (char *)service_id; /* borrowed, never freed here */
    fo_origin_list *list = calloc(1, sizeof(*list));
    int rc = list ? fo_rem_origins_discover_in(&found, api, service_type, config, NULL, err)
                  : fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0 && found.backend_count > 0 &&
        !(list->items = calloc(found.backend_count, sizeof(*list->items))))
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < found.backend_count; i++) {
        fo_backend_plan *bp = &found.backends[i];
        if (rc == 0) {
            fo_origin_entry *e = &list->items[list->count++];
            e->origin = bp->origin;
            e->backend = bp->backend;
            e->problem = bp->advice;
        } else {
            fo_rem_origin_clear(&bp->origin);
            fo_backend_free(bp->backend);
            free(bp->advice);
        }
    }
    free(found.backends);
    if (list) {
        list->notes = found.notes;
        list->note_count = found.note_count;
    } else {
        for (size_t i = 0; i < found.note_count; i++)
            free(found.notes[i]);
        free(found.notes);
    }
    free(found.service_type);
    if (rc != 0) {
        fo_origin_list_free(list);
        return rc;
    }
    *out = list;
    return 0;
}
