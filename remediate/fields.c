/* Backend fields as text, changes and fixes: the vocabulary every other file of the
 * remediation speaks. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"

/* The planner's fields: those of the one table (api/backend_fields.c) marked planned. */
static const fo_backend_field *find_field(const char *name)
{
    const fo_backend_field *f = fo_backend_field_find(name);
    return f && (f->uses & FO_FIELD_PLANNED) ? f : NULL;
}

const char *fo_rem_field_at(size_t i)
{
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t j = 0; j < count; j++) {
        if ((fields[j].uses & FO_FIELD_PLANNED) && i-- == 0)
            return fields[j].name;
    }
    return NULL;
}

fo_field_kind fo_remediate_field_kind(const char *field)
{
    const fo_backend_field *f = find_field(field);
    return f ? f->kind : FO_FIELD_TEXT;
}

int fo_remediate_field_text(char **out, const fo_backend *b, const char *field)
{
    const fo_backend_field *f = find_field(field);
    *out = NULL;
    if (!f)
        return 0;
    switch (f->slot) {
    case FO_SLOT_STRING: {
        const char *value = fo_backend_text(b, f);
        if (fo_str_empty(value))
            return 0;
        *out = fo_strdup(value);
        break;
    }
    case FO_SLOT_LONG: {
        long value = fo_backend_long(b, f);
        if (value < 0)
            return 0;
        *out = fo_rem_strdupf("%ld", value);
        break;
    }
    case FO_SLOT_BOOL:
        *out = fo_strdup(fo_backend_bool(b, f) ? "true" : "false");
        break;
    case FO_SLOT_TRISTATE: /* no planned field is one */
    case FO_SLOT_NONE:
        return 0;
    }
    return *out ? 0 : FO_ENOMEM;
}

int fo_rem_backend_set(fo_backend *b, const char *field, const char *value)
{
    const fo_backend_field *f = find_field(field);
    if (!f)
        return FO_EINVAL;
    switch (f->slot) {
    case FO_SLOT_STRING: {
        char *copy = fo_str_empty(value) ? NULL : fo_strdup(value);
        if (!fo_str_empty(value) && !copy)
            return FO_ENOMEM;
        char **at = fo_backend_text_slot(b, f);
        if (f->kind == FO_FIELD_SECRET)
            fo_secret_free(*at);
        else
            free(*at);
        *at = copy;
        return 0;
    }
    case FO_SLOT_LONG: {
        long number = -1;
        if (!fo_str_empty(value)) {
            char *end = NULL;
            errno = 0;
            number = strtol(value, &end, 10);
            if (errno != 0 || *end != '\0' || number < 0)
                return FO_EINVAL;
        }
        *fo_backend_long_slot(b, f) = number;
        return 0;
    }
    case FO_SLOT_BOOL: {
        bool on;
        if (value && (strcmp(value, "true") == 0 || strcmp(value, "1") == 0))
            on = true;
        else if (value && (strcmp(value, "false") == 0 || strcmp(value, "0") == 0))
            on = false;
        else
            return FO_EINVAL;
        *fo_backend_bool_slot(b, f) = on;
        return 0;
    }
    case FO_SLOT_TRISTATE:
    case FO_SLOT_NONE:
        break;
    }
    return FO_EINVAL;
}

int fo_rem_backend_copy(fo_backend **out, const fo_backend *src)
{
    fo_backend *copy = malloc(sizeof(*copy));
    if (!copy)
        return FO_ENOMEM;
    *copy = *src;
    /* Own every string: clear the borrowed pointers first so a failure frees only copies. */
    size_t count;
    const fo_backend_field *fields = fo_backend_fields(&count);
    for (size_t i = 0; i < count; i++) {
        if (fields[i].slot == FO_SLOT_STRING)
            *fo_backend_text_slot(copy, &fields[i]) = NULL;
    }
    for (size_t i = 0; i < count; i++) {
        if (fields[i].slot != FO_SLOT_STRING)
            continue;
        const char *value = fo_backend_text(src, &fields[i]);
        if (value && !(*fo_backend_text_slot(copy, &fields[i]) = fo_strdup(value))) {
            fo_backend_free(copy);
            return FO_ENOMEM;
        }
    }
    *out = copy;
    return 0;
}

int fo_rem_backend_apply(fo_backend *b, const fo_fix *fix)
{
    for (size_t i = 0; i < fix->change_count; i++) {
        int rc = fo_rem_backend_set(b, fix->changes[i].field, fix->changes[i].to);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int fo_rem_target(fo_probe_target *out, const fo_backend *b, fo_error *err)
{
    fo_probe_target t;
    memset(&t, 0, sizeof(t));
    fo_probe_settings_init(&t.settings);
    if (fo_str_empty(b->address))
        return fo_error_set(err, FO_EINVAL, "backend '%s' has no address", b->name ? b->name : "");
    t.host = b->address;
    t.port = b->port > 0 && b->port <= 65535 ? (int)b->port : b->use_ssl ? 443 : 80;
    t.settings.use_ssl = b->use_ssl;
    t.settings.check_cert = b->ssl_check_cert;
    /* ssl_hostname is the deprecated field that set both names at once. */
    t.settings.sni_hostname =
        !fo_str_empty(b->ssl_sni_hostname) ? b->ssl_sni_hostname : b->ssl_hostname;
    t.settings.cert_hostname =
        !fo_str_empty(b->ssl_cert_hostname) ? b->ssl_cert_hostname : b->ssl_hostname;
    t.settings.ca_cert_pem = fo_str_empty(b->ssl_ca_cert) ? NULL : b->ssl_ca_cert;
    t.settings.ciphers = fo_str_empty(b->ssl_ciphers) ? NULL : b->ssl_ciphers;
    t.settings.prefer_ipv6 = b->prefer_ipv6 == 1;
    if (fo_tls_version_parse(&t.settings.min_tls, b->min_tls_version) != 0)
        return fo_error_set(err, FO_EINVAL, "min_tls_version '%s' is not a TLS version",
                            b->min_tls_version);
    if (fo_tls_version_parse(&t.settings.max_tls, b->max_tls_version) != 0)
        return fo_error_set(err, FO_EINVAL, "max_tls_version '%s' is not a TLS version",
                            b->max_tls_version);
    /* Fastly's default when unset; the probe's own bound above. */
    t.settings.connect_timeout_ms =
        b->connect_timeout > 0 ? b->connect_timeout : FO_DEFAULT_CONNECT_TIMEOUT_MS;
    if (t.settings.connect_timeout_ms > FO_MAX_CONNECT_TIMEOUT_MS)
        t.settings.connect_timeout_ms = FO_MAX_CONNECT_TIMEOUT_MS;
    *out = t;
    return 0;
}

/* ---- changes and fixes ---- */

void fo_rem_summaries_free(fo_ca_summary *list, size_t count)
{
    for (size_t i = 0; list && i < count; i++)
        free(list[i].subject);
    free(list);
}

int fo_rem_pem_summaries(fo_ca_summary **out, size_t *count, const char *pem)
{
    fo_cert_list *certs = NULL;
    *out = NULL;
    *count = 0;
    if (fo_str_empty(pem))
        return 0;
    int rc = fo_probe_certs_parse(&certs, pem, strlen(pem), "PEM", NULL);
    if (rc == FO_EINVAL)
        return 0; /* shown as "holds no readable certificate" */
    if (rc != 0)
        return rc;
    fo_ca_summary *list = calloc(certs->count, sizeof(*list));
    if (!list) {
        fo_cert_list_free(certs);
        return FO_ENOMEM;
    }
    for (size_t i = 0; i < certs->count; i++) {
        list[i].subject = certs->certs[i].subject;
        certs->certs[i].subject = NULL; /* moved */
        memcpy(list[i].sha256, certs->certs[i].sha256, sizeof(list[i].sha256));
    }
    *out = list;
    *count = certs->count;
    fo_cert_list_free(certs);
    return 0;
}

static void change_clear(fo_change *c)
{
    if (c->kind == FO_FIELD_SECRET) {
        fo_secret_free(c->from);
        fo_secret_free(c->to);
    } else {
        free(c->from);
        free(c->to);
    }
    fo_rem_summaries_free(c->from_certs, c->from_cert_count);
    fo_rem_summaries_free(c->to_certs, c->to_cert_count);
    memset(c, 0, sizeof(*c));
}

static int change_set_to(fo_change *c, const char *to)
{
    char *copy = fo_str_empty(to) ? NULL : fo_strdup(to);
    if (!fo_str_empty(to) && !copy)
        return FO_ENOMEM;
    free(c->to);
    c->to = copy;
    fo_rem_summaries_free(c->to_certs, c->to_cert_count);
    c->to_certs = NULL;
    c->to_cert_count = 0;
    if (c->kind == FO_FIELD_PEM)
        return fo_rem_pem_summaries(&c->to_certs, &c->to_cert_count, c->to);
    return 0;
}

int fo_rem_fix_add(fo_fix *fix, const char *field, const char *from, const char *to)
{
    const fo_backend_field *f = find_field(field);
    if (!f)
        return FO_EINVAL;
    fo_change *grown = realloc(fix->changes, (fix->change_count + 1) * sizeof(*grown));
    if (!grown)
        return FO_ENOMEM;
    fix->changes = grown;
    fo_change *c = &fix->changes[fix->change_count];
    memset(c, 0, sizeof(*c));
    c->field = f->name;
    c->kind = f->kind;
    int rc = 0;
    if (!fo_str_empty(from) && !(c->from = fo_strdup(from)))
        rc = FO_ENOMEM;
    if (rc == 0 && c->kind == FO_FIELD_PEM)
        rc = fo_rem_pem_summaries(&c->from_certs, &c->from_cert_count, c->from);
    if (rc == 0)
        rc = change_set_to(c, to);
    if (rc != 0) {
        change_clear(c);
        return rc;
    }
    fix->change_count++;
    return 0;
}

void fo_fix_clear(fo_fix *fix)
{
    if (!fix)
        return;
    for (size_t i = 0; i < fix->change_count; i++)
        change_clear(&fix->changes[i]);
    free(fix->changes);
    free(fix->consent);
    free(fix->summary);
    free(fix->reason);
    free(fix->note);
    memset(fix, 0, sizeof(*fix));
}

int fo_rem_join(char **s, const char *sep, const char *text)
{
    if (fo_str_empty(text))
        return 0;
    if (*s && strstr(*s, text))
        return 0; /* already said */
    char *joined = *s ? fo_rem_strdupf("%s%s%s", *s, sep, text) : fo_strdup(text);
    if (!joined)
        return FO_ENOMEM;
    free(*s);
    *s = joined;
    return 0;
}

int fo_rem_fix_merge(fo_fix *into, const fo_fix *later)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < later->change_count; i++) {
        const fo_change *c = &later->changes[i];
        fo_change *same = NULL;
        for (size_t j = 0; j < into->change_count; j++) {
            if (strcmp(into->changes[j].field, c->field) == 0)
                same = &into->changes[j];
        }
        rc = same ? change_set_to(same, c->to) : fo_rem_fix_add(into, c->field, c->from, c->to);
    }
    /* Downgrade outranks consent, which outranks safe. */
    if (later->safety > into->safety)
        into->safety = later->safety;
    into->allowed = into->allowed && later->allowed;
    if (rc == 0)
        rc = fo_rem_join(&into->consent, ", ", later->consent);
    if (rc == 0)
        rc = fo_rem_join(&into->summary, "; ", later->summary);
    if (rc == 0)
        rc = fo_rem_join(&into->reason, " ", later->reason);
    if (rc == 0)
        rc = fo_rem_join(&into->note, " ", later->note);
    return rc;
}

const char *fo_safety_name(fo_safety safety)
{
    switch (safety) {
    case FO_SAFETY_SAFE:
        return "safe";
    case FO_SAFETY_CONSENT:
        return "consent";
    case FO_SAFETY_DOWNGRADE:
        return "downgrade";
    }
    return "?";
}

void fo_rem_clean(char *s)
{
    for (; s && *s; s++)
        *s = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
}

/* Text for a terminal: control characters become '?'. */
static int put_clean(fo_buf *b, const char *s)
{
    int rc = 0;
    for (; rc == 0 && s && *s; s++) {
        char c = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
        rc = fo_buf_append(b, &c, 1);
    }
    return rc;
}

static int put_value(fo_buf *b, char sign, const fo_change *c, const char *value,
                     const fo_ca_summary *certs, size_t cert_count)
{
    int rc = fo_buf_printf(b, "%c %s: ", sign, c->field);
    if (rc == 0 && fo_str_empty(value))
        return fo_buf_puts(b, "(unset)\n");
    switch (c->kind) {
    case FO_FIELD_SECRET:
        return rc == 0 ? fo_buf_puts(b, "(set)\n") : rc;
    case FO_FIELD_NUMBER:
    case FO_FIELD_BOOL:
        if (rc == 0)
            rc = put_clean(b, value);
        return rc == 0 ? fo_buf_puts(b, "\n") : rc;
    case FO_FIELD_PEM:
        if (rc == 0 && cert_count == 0)
            rc = fo_buf_puts(b, "set, but holds no readable certificate\n");
        for (size_t i = 0; rc == 0 && i < cert_count; i++) {
            if (i > 0)
                rc = fo_buf_printf(b, "%c %*s  ", sign, (int)strlen(c->field), "");
            if (rc == 0)
                rc = put_clean(b, certs[i].subject ? certs[i].subject : "(no subject)");
            if (rc == 0)
                rc = fo_buf_printf(b, ", SHA-256 %s\n", certs[i].sha256);
        }
        return rc;
    case FO_FIELD_TEXT:
        break;
    }
    if (rc == 0)
        rc = fo_buf_puts(b, "\"");
    if (rc == 0)
        rc = put_clean(b, value);
    return rc == 0 ? fo_buf_puts(b, "\"\n") : rc;
}

char *fo_remediate_fix_diff(const fo_fix *fix)
{
    fo_buf b = {0};
    int rc = fo_buf_puts(&b, "");
    for (size_t i = 0; rc == 0 && i < fix->change_count; i++) {
        const fo_change *c = &fix->changes[i];
        rc = put_value(&b, '-', c, c->from, c->from_certs, c->from_cert_count);
        if (rc == 0)
            rc = put_value(&b, '+', c, c->to, c->to_certs, c->to_cert_count);
    }
    if (rc != 0) {
        fo_buf_clear(&b);
        return NULL;
    }
    return fo_buf_steal(&b);
}

char *fo_rem_strdupf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    if ((size_t)n < sizeof(buf))
        return fo_strdup(buf);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return big;
}
