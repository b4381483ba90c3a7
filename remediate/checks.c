/* The checks apply makes before trusting a write: the backend as read back, and Fastly's
 * own diff of the active version against the draft. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"

/* ---- read-back ---- */

/* Whether two PEM values hold the same certificates (text that holds none: same text). */
static bool same_pem(const char *a, const char *b)
{
    fo_ca_summary *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same;
    if (fo_rem_pem_summaries(&x, &nx, a) != 0 || fo_rem_pem_summaries(&y, &ny, b) != 0 || nx == 0 ||
        ny == 0) {
        same = fo_str_empty(a) ? fo_str_empty(b) : !fo_str_empty(b) && strcmp(a, b) == 0;
    } else {
        same = nx == ny;
        for (size_t i = 0; same && i < nx; i++)
            same = strcmp(x[i].sha256, y[i].sha256) == 0;
    }
    fo_rem_summaries_free(x, nx);
    fo_rem_summaries_free(y, ny);
    return same;
}

static const char *shown(const char *value)
{
    return value ? value : "(unset)";
}

bool fo_remediate_readback_matches(const fo_backend *before, const fo_backend *after,
                                   const fo_fix *fix, char *why, size_t why_size)
{
    bool ok = true;
    for (size_t i = 0; ok && fo_rem_field_at(i); i++) {
        const char *field = fo_rem_field_at(i);
        const fo_change *change = NULL;
        bool nomem_a = false, nomem_b = false;
        for (size_t j = 0; fix && j < fix->change_count; j++) {
            if (strcmp(fix->changes[j].field, field) == 0)
                change = &fix->changes[j];
        }
        char *was = change ? NULL : fo_remediate_field_text(before, field, &nomem_a);
        const char *want = change ? change->to : was;
        char *got = fo_remediate_field_text(after, field, &nomem_b);
        fo_field_kind kind = fo_remediate_field_kind(field);
        if (nomem_a || nomem_b) {
            snprintf(why, why_size, "out of memory comparing %s", field);
            ok = false;
        } else if (kind == FO_FIELD_PEM) {
            ok = same_pem(want, got);
            if (!ok)
                snprintf(why, why_size, "%s holds other certificates than %s", field,
                         change ? "planned" : "before");
        } else {
            ok = fo_str_empty(want) ? fo_str_empty(got) : got && strcmp(want, got) == 0;
            if (!ok && kind == FO_FIELD_SECRET)
                snprintf(why, why_size, "%s is not what it was", field);
            else if (!ok)
                snprintf(why, why_size, "%s reads back as %s%s%s, %s %s%s%s", field,
                         got ? "\"" : "", shown(got), got ? "\"" : "",
                         change ? "the plan says" : "it was", want ? "\"" : "", shown(want),
                         want ? "\"" : "");
        }
        if (kind == FO_FIELD_SECRET) {
            fo_secret_free(was);
            fo_secret_free(got);
        } else {
            free(was);
            free(got);
        }
    }
    if (!ok) /* values come from the API: keep control characters off the terminal */
        for (char *p = why; *p; p++)
            *p = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    return ok;
}

/* ---- Fastly's diff ---- */

/* Where a line of the YAML-ish dump stands: top-level key, list item name, item field. */
typedef struct place {
    char section[64];
    char item[256];
    char field[64];
    bool continuation; /* a line of a multi-line value (block scalar) */
} place;

/* A scalar as the dump spells it: bare, or in single quotes with '' for a quote. */
static void unquote(char *out, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    if (len >= 2 && s[0] == '\'' && s[len - 1] == '\'') {
        for (size_t i = 1; i + 1 < len && n + 1 < size; i++) {
            if (s[i] == '\'' && s[i + 1] == '\'')
                i++;
            out[n++] = s[i];
        }
    } else {
        for (size_t i = 0; i < len && n + 1 < size; i++)
            out[n++] = s[i];
    }
    out[n] = '\0';
}

/* "key:" at the start of text: copies key and returns the value's start, or NULL. */
static const char *key_of(char *key, size_t size, const char *text, size_t len)
{
    size_t n = 0;
    while (n < len && n + 1 < size &&
           (text[n] == '_' || text[n] == '.' || text[n] == '-' ||
            (text[n] >= 'a' && text[n] <= 'z') || (text[n] >= 'A' && text[n] <= 'Z') ||
            (text[n] >= '0' && text[n] <= '9')))
        n++;
    if (n == 0 || n >= len || text[n] != ':')
        return NULL;
    memcpy(key, text, n);
    key[n] = '\0';
    return text + n + 1 + (n + 1 < len && text[n + 1] == ' ');
}

static void advance(place *p, const char *text, size_t len)
{
    size_t indent = 0;
    char key[64];
    while (indent < len && text[indent] == ' ')
        indent++;
    p->continuation = false;
    if (indent == 0 && len >= 2 && text[0] == '-' && text[1] == ' ') {
        const char *value = key_of(key, sizeof(key), text + 2, len - 2);
        if (value) {
            unquote(p->item, sizeof(p->item), value, len - (size_t)(value - text));
            snprintf(p->field, sizeof(p->field), "%s", key);
        }
    } else if (indent == 0 && key_of(key, sizeof(key), text, len)) {
        snprintf(p->section, sizeof(p->section), "%s", key);
        p->item[0] = p->field[0] = '\0';
    } else if (indent == 2 && p->item[0] && key_of(key, sizeof(key), text + 2, len - 2)) {
        snprintf(p->field, sizeof(p->field), "%s", key);
    } else {
        p->continuation = true;
    }
}

/* Keys of the version itself that differ between any two versions. */
static bool version_key(const char *key)
{
    static const char *const keys[] = {"comment",    "deployed",  "staging", "testing",
                                       "locked",     "active",    "number",  "version",
                                       "updated_at", "created_at"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(keys[i], key) == 0)
            return true;
    }
    return false;
}

/* Whether field of backend item is a planned change; *seen_index is its index in seen[]. */
static bool planned(const fo_plan *plan, const char *item, const char *field, size_t *seen_index)
{
    size_t index = 0;
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX)
            continue;
        for (size_t j = 0; j < bp->fix.change_count; j++, index++) {
            if (bp->backend->name && strcmp(bp->backend->name, item) == 0 &&
                strcmp(bp->fix.changes[j].field, field) == 0) {
                *seen_index = index;
                return true;
            }
        }
    }
    return false;
}

static bool allowed(const fo_plan *plan, const place *p, bool *seen, char *why, size_t size)
{
    size_t index = 0;
    if (!p->item[0] && version_key(p->section))
        return true;
    if (strcmp(p->section, "backends") == 0 && p->item[0] && strcmp(p->field, "name") != 0) {
        if (planned(plan, p->item, p->field, &index)) {
            seen[index] = true;
            return true;
        }
        if (version_key(p->field) && strcmp(p->field, "comment") != 0)
            return true;
    }
    snprintf(why, size, "Fastly's diff shows a change nobody planned: %s%s%s%s%s", p->section,
             p->item[0] ? " '" : "", p->item, p->item[0] ? "'" : "", p->field[0] ? " " : "");
    if (p->field[0])
        snprintf(why + strlen(why), size - strlen(why), "%s", p->field);
    return false;
}

/* Appends a changed line for display, folding certificate text to a count. */
typedef struct display {
    fo_buf out;
    char fold_mark;
    size_t fold_count;
    char last_group[330];
    int rc;
} display;

static void flush_fold(display *d)
{
    if (d->fold_count > 0 && d->rc == 0)
        d->rc = fo_buf_printf(&d->out, "%c     (%zu lines of certificate text)\n", d->fold_mark,
                              d->fold_count);
    d->fold_count = 0;
}

static void show_line(display *d, char mark, const place *p, const char *text, size_t len)
{
    char group[330];
    snprintf(group, sizeof(group), "%s/%s", p->section, p->item);
    if (p->continuation && fo_remediate_field_kind(p->field) == FO_FIELD_PEM) {
        if (d->fold_count > 0 && d->fold_mark != mark)
            flush_fold(d);
        d->fold_mark = mark;
        d->fold_count++;
        return;
    }
    flush_fold(d);
    if (d->rc == 0 && p->item[0] && strcmp(group, d->last_group) != 0)
        d->rc = fo_buf_printf(&d->out, "  %s '%s':\n", p->section, p->item);
    snprintf(d->last_group, sizeof(d->last_group), "%s", group);
    if (d->rc == 0)
        d->rc = fo_buf_printf(&d->out, "%c %.*s%s\n", mark, (int)(len > 300 ? 300 : len), text,
                              len > 300 ? " [...]" : "");
}

bool fo_remediate_diff_matches(const char *diff_text, const fo_plan *plan, char *why,
                               size_t why_size, char **shown_out)
{
    place before, after;
    size_t planned_count = 0;
    memset(&before, 0, sizeof(before));
    memset(&after, 0, sizeof(after));
    display d = {.rc = 0};
    bool ok = true;
    for (size_t i = 0; i < plan->backend_count; i++)
        planned_count +=
            plan->backends[i].status == FO_BACKEND_FIX ? plan->backends[i].fix.change_count : 0;
    bool *seen = calloc(planned_count ? planned_count : 1, sizeof(bool));
    if (!seen) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    d.rc = fo_buf_puts(&d.out, "");
    for (const char *line = diff_text ? diff_text : ""; *line;) {
        size_t len = strcspn(line, "\n");
        char mark = line[0];
        const char *text = line + 1;
        size_t text_len = len > 0 ? len - 1 : 0;
        if (len > 0 && (mark == ' ' || mark == '-'))
            advance(&before, text, text_len);
        if (len > 0 && (mark == ' ' || mark == '+'))
            advance(&after, text, text_len);
        if (ok && len > 0 && (mark == '-' || mark == '+')) {
            ok = allowed(plan, mark == '-' ? &before : &after, seen, why, why_size);
            show_line(&d, mark, mark == '-' ? &before : &after, text, text_len);
        }
        line += len + (line[len] == '\n');
    }
    flush_fold(&d);
    size_t index = 0;
    for (size_t i = 0; ok && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        for (size_t j = 0; bp->status == FO_BACKEND_FIX && j < bp->fix.change_count; j++, index++) {
            if (ok && !seen[index]) {
                snprintf(why, why_size,
                         "Fastly's diff does not show the planned change of %s "
                         "on backend '%s'",
                         bp->fix.changes[j].field, bp->backend->name);
                ok = false;
            }
        }
    }
    free(seen);
    if (shown_out) {
        for (size_t i = 0; d.rc == 0 && i < d.out.len; i++) {
            unsigned char c = (unsigned char)d.out.data[i];
            if ((c < 0x20 && c != '\n') || c == 0x7f)
                d.out.data[i] = '?';
        }
        *shown_out = d.rc == 0 ? fo_buf_steal(&d.out) : NULL;
    }
    fo_buf_free(&d.out);
    return ok;
}
