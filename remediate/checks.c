/* What apply reads after a write: the backend as read back (a check), and Fastly's own
 * diff of the active version against the draft (shown, never trusted). Pure. */
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
        char *was = NULL, *got = NULL;
        for (size_t j = 0; fix && j < fix->change_count; j++) {
            if (strcmp(fix->changes[j].field, field) == 0)
                change = &fix->changes[j];
        }
        bool nomem = (!change && fo_remediate_field_text(&was, before, field) != 0) ||
                     fo_remediate_field_text(&got, after, field) != 0;
        const char *want = change ? change->to : was;
        fo_field_kind kind = fo_remediate_field_kind(field);
        if (nomem) {
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
        fo_rem_clean(why);
    return ok;
}

/* ---- Fastly's diff, shown and never trusted ----
 *
 * The text is Ruby's Diffy over a YAML dump of each version: every line marked ' ', '-' or
 * '+'. How Fastly lays a changed list item out has never been recorded (which key comes
 * first, how a name is quoted, how null is spelt), so nothing here depends on it: an item is
 * named by its `name:` wherever that key sits, values may be plain, quoted, empty or blocks,
 * and a line that fits nowhere is shown as it is. */

#define SHOW_MAX_LINE 300     /* characters of one line shown */
#define SHOW_MAX_RAW_LINES 40 /* lines shown of a text not understood */
#define MAX_PLACES 12         /* places named in the summary */
#define MAX_LINES 200000      /* lines read: a longer text is shown raw, not read */

typedef struct diff_item {
    char section[64];
    char name[256];
    bool named;
} diff_item;

/* Where one side (before: ' ' and '-' lines; after: ' ' and '+') stands in the dump. */
typedef struct side {
    char section[64];
    long item; /* index into the items, -1: none */
    size_t field_indent;
    char field[64];
    long cont_indent; /* deeper lines continue the field's value; -1: they are structure */
} side;

/* What one line was found to be, on the side its mark puts it. */
typedef struct diff_line {
    char mark;
    const char *text; /* after the mark */
    size_t len;
    char section[64];
    long item;
    char field[64];
    bool continuation; /* a further line of field's value */
    bool attributed;   /* false: shown as it is */
} diff_line;

typedef struct reader {
    diff_item *items;
    size_t item_count;
    int rc;
} reader;

static long new_item(reader *r, const char *section)
{
    diff_item *grown = realloc(r->items, (r->item_count + 1) * sizeof(*grown));
    if (!grown) {
        r->rc = FO_ENOMEM;
        return -1;
    }
    r->items = grown;
    memset(&grown[r->item_count], 0, sizeof(*grown));
    snprintf(grown[r->item_count].section, sizeof(grown->section), "%s", section);
    return (long)r->item_count++;
}

/* A scalar as YAML spells it: plain, 'single' ('' is a quote), "double" (backslash escapes),
 * ~ or null or nothing for null (out ""). Unclosed quotes keep what the line holds. */
static void scalar(char *out, size_t size, const char *s, size_t len)
{
    size_t n = 0;
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\r'))
        len--;
    while (len > 0 && *s == ' ') {
        s++;
        len--;
    }
    out[0] = '\0';
    if ((len == 1 && s[0] == '~') || (len == 4 && strncmp(s, "null", 4) == 0))
        return;
    if (len > 0 && s[0] == '\'') {
        for (size_t i = 1; i < len && n + 1 < size; i++) {
            if (s[i] == '\'' && i + 1 < len && s[i + 1] == '\'')
                i++;
            else if (s[i] == '\'')
                break;
            out[n++] = s[i];
        }
    } else if (len > 0 && s[0] == '"') {
        for (size_t i = 1; i < len && n + 1 < size; i++) {
            if (s[i] == '"')
                break;
            if (s[i] == '\\' && i + 1 < len) {
                char c = s[++i];
                out[n++] = c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? '?' : c;
                continue;
            }
            out[n++] = s[i];
        }
    } else {
        for (size_t i = 0; i < len && n + 1 < size; i++)
            out[n++] = s[i];
    }
    out[n] = '\0';
}

/* A "key:" at the start of text (plain or quoted); copies the key and returns where its value
 * starts, or NULL when the text is no key. */
static const char *key_of(char *key, size_t size, const char *text, size_t len)
{
    size_t end = 0;
    if (len == 0 || text[0] == '#' || text[0] == '-' || text[0] == ' ')
        return NULL;
    if (text[0] == '\'' || text[0] == '"') {
        end = 1;
        while (end < len && text[end] != text[0])
            end++;
        if (end >= len)
            return NULL;
        end++;
        if (end >= len || text[end] != ':')
            return NULL;
    } else {
        while (end < len && !(text[end] == ':' && (end + 1 == len || text[end + 1] == ' ')))
            end++;
        if (end >= len)
            return NULL;
    }
    scalar(key, size, text, end);
    return text + end + 1;
}

/* A value that starts a block (|, |-, >, ...) or goes on: either way deeper lines are it. */
static void read_line(reader *r, side *s, diff_line *d, const char *text, size_t len)
{
    size_t indent = 0;
    char key[64];
    while (indent < len && text[indent] == ' ')
        indent++;
    bool blank = indent == len;
    d->attributed = true;
    if (s->cont_indent >= 0 && (blank || (long)indent > s->cont_indent)) {
        d->continuation = true;
    } else if (blank) {
        d->continuation = s->field[0] != '\0';
    } else if (indent == 0 && (strncmp(text, "---", 3) == 0 || strncmp(text, "...", 3) == 0) &&
               (len == 3 || text[3] == ' ')) {
        s->section[0] = s->field[0] = '\0'; /* a YAML document marker */
        s->item = -1;
        s->cont_indent = -1;
        d->attributed = false;
        return;
    } else if (s->section[0] &&
               (text[indent] == '-' && (indent + 1 == len || text[indent + 1] == ' '))) {
        /* A list item: its first key follows the dash on the same line. */
        size_t at = indent + 1;
        while (at < len && text[at] == ' ')
            at++;
        s->item = new_item(r, s->section);
        s->field_indent = at;
        s->field[0] = '\0';
        s->cont_indent = (long)at;
        const char *value = key_of(key, sizeof(key), text + at, len - at);
        if (value) {
            snprintf(s->field, sizeof(s->field), "%s", key);
            if (strcmp(key, "name") == 0 && s->item >= 0) {
                scalar(r->items[s->item].name, sizeof(r->items->name), value,
                       len - (size_t)(value - text));
                r->items[s->item].named = true;
            }
        }
    } else {
        const char *value = key_of(key, sizeof(key), text + indent, len - indent);
        size_t rest = value ? len - (size_t)(value - text) : 0;
        bool nested = value && strspn(value, " ") == rest; /* "key:" and nothing after */
        if (value && indent == 0) {
            snprintf(s->section, sizeof(s->section), "%s", key);
            s->item = -1;
            s->field[0] = '\0';
            s->cont_indent = nested ? -1 : 0;
        } else if (value && s->item >= 0 && indent == s->field_indent) {
            snprintf(s->field, sizeof(s->field), "%s", key);
            s->cont_indent = (long)indent;
            if (strcmp(key, "name") == 0) {
                scalar(r->items[s->item].name, sizeof(r->items->name), value, rest);
                r->items[s->item].named = true;
            }
        } else if (value && s->item < 0 && s->section[0]) {
            snprintf(s->field, sizeof(s->field), "%s", key); /* a key of a map (settings) */
            s->cont_indent = (long)indent;
        } else if (s->field[0]) {
            d->continuation = true;
        } else {
            d->attributed = false;
            return;
        }
    }
    snprintf(d->section, sizeof(d->section), "%s", s->section);
    snprintf(d->field, sizeof(d->field), "%s", s->field);
    d->item = s->item;
    d->attributed = s->section[0] != '\0';
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && strcmp(s + n - m, tail) == 0;
}

static bool has_text(const diff_line *d, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= d->len; i++) {
        if (memcmp(d->text + i, needle, m) == 0)
            return true;
    }
    return false;
}

/* Key material: ssl_client_key (the client redacts it already), a pool's tls_client_key, or
 * any text that says it is a private key, wherever it sits. */
static bool is_key_field(const char *field)
{
    return fo_remediate_field_kind(field) == FO_FIELD_SECRET || ends_with(field, "_key");
}

static bool is_cert_field(const char *field)
{
    return fo_remediate_field_kind(field) == FO_FIELD_PEM || ends_with(field, "_cert");
}

typedef struct display {
    fo_buf out;
    char fold_mark;
    size_t fold_count;
    const char *fold_what;
    char last_group[330];
    bool in_private_key; /* between a BEGIN ... PRIVATE KEY line and its END */
    int rc;
} display;

static void flush_fold(display *d)
{
    if (d->fold_count > 0 && d->rc == 0)
        d->rc = fo_buf_printf(&d->out, "%c     (%zu line%s of %s)\n", d->fold_mark, d->fold_count,
                              d->fold_count == 1 ? "" : "s", d->fold_what);
    d->fold_count = 0;
}

static void fold(display *d, char mark, const char *what)
{
    if (d->fold_count > 0 && (d->fold_mark != mark || strcmp(d->fold_what, what) != 0))
        flush_fold(d);
    d->fold_mark = mark;
    d->fold_what = what;
    d->fold_count++;
}

/* Appends text for a terminal: control characters (C0, DEL, C1) become '?'. */
static void put_clean(display *d, const char *text, size_t len)
{
    for (size_t i = 0; i < len && d->rc == 0; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 &&
            (unsigned char)text[i + 1] <= 0x9f) {
            d->rc = fo_buf_puts(&d->out, "?");
            i++;
        } else {
            char shown = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
            d->rc = fo_buf_append(&d->out, &shown, 1);
        }
    }
}

static void show_text(display *d, char mark, const char *text, size_t len)
{
    if (d->rc == 0)
        d->rc = fo_buf_printf(&d->out, "%c ", mark);
    put_clean(d, text, len > SHOW_MAX_LINE ? SHOW_MAX_LINE : len);
    if (d->rc == 0)
        d->rc = fo_buf_puts(&d->out, len > SHOW_MAX_LINE ? " [...]\n" : "\n");
}

/* A changed line's key material never shows, whatever the layout; certificates fold. */
static bool hidden(display *d, const diff_line *l)
{
    bool begins = has_text(l, "BEGIN") && has_text(l, "PRIVATE KEY");
    if (begins)
        d->in_private_key = true;
    if (d->in_private_key || has_text(l, "PRIVATE KEY")) {
        if (has_text(l, "END") && has_text(l, "PRIVATE KEY"))
            d->in_private_key = false;
        fold(d, l->mark, "private key text, not shown");
        return true;
    }
    if (l->attributed && l->continuation && is_key_field(l->field)) {
        fold(d, l->mark, "key text, not shown");
        return true;
    }
    if (l->attributed && l->continuation &&
        (is_cert_field(l->field) || has_text(l, "-----BEGIN") || has_text(l, "-----END"))) {
        fold(d, l->mark, "certificate text");
        return true;
    }
    return false;
}

static void show_line(display *d, const reader *r, const diff_line *l)
{
    if (hidden(d, l))
        return;
    flush_fold(d);
    char group[330] = "";
    if (l->attributed && l->item >= 0) {
        const diff_item *item = &r->items[l->item];
        snprintf(group, sizeof(group), "%s %s%s%s", item->section, item->named ? "'" : "",
                 item->named ? item->name : "(an item without a name)", item->named ? "'" : "");
        if (d->rc == 0 && strcmp(group, d->last_group) != 0) {
            d->rc = fo_buf_puts(&d->out, "  ");
            put_clean(d, group, strlen(group));
            if (d->rc == 0)
                d->rc = fo_buf_puts(&d->out, ":\n");
        }
    }
    snprintf(d->last_group, sizeof(d->last_group), "%s", group);
    bool inline_cert = is_cert_field(l->field) && has_text(l, "BEGIN");
    if (l->attributed && !l->continuation && (is_key_field(l->field) || inline_cert)) {
        /* "ssl_client_key: ..." on one line: the key's name, never its value; a certificate
         * written on one line ("...\n...") is named like a folded one */
        char text[128];
        size_t name_len = strcspn(l->text, ":");
        /* A field name is short; a longer one is cut, never the "[redacted]" after it */
        int shown = name_len < 96 ? (int)name_len : 96;
        snprintf(text, sizeof(text), "%.*s: %s", shown, l->text,
                 inline_cert && !is_key_field(l->field) ? "(certificate text)" : "[redacted]");
        show_text(d, l->mark, text, strlen(text));
        return;
    }
    show_text(d, l->mark, l->text, l->len);
}

/* "backends 'origin' ssl_cert_hostname", "comment", "settings general.default_ttl". */
static void place_of(char *out, size_t size, const reader *r, const diff_line *l)
{
    const diff_item *item = l->item >= 0 ? &r->items[l->item] : NULL;
    out[0] = '\0';
    fo_str_appendf(
        out, size, "%s%s%s%s%s%s", l->section, item ? " " : "", item && item->named ? "'" : "",
        item ? (item->named ? item->name : "(an item without a name)") : "",
        item && item->named ? "'" : "", l->field[0] && strcmp(l->field, l->section) ? " " : "");
    if (l->field[0] && strcmp(l->field, l->section) != 0)
        fo_str_appendf(out, size, "%s", l->field);
}

static int add_place(fo_buf *places, size_t *count, const char *place)
{
    /* Each place once: a short list, searched as text. */
    for (const char *p = places->data; p && *p;) {
        size_t len = strcspn(p, "\n");
        if (len == strlen(place) && strncmp(p, place, len) == 0)
            return 0;
        p += len + (p[len] == '\n');
    }
    (*count)++;
    return *count > MAX_PLACES ? 0 : fo_buf_printf(places, "%s\n", place);
}

static char *join_places(fo_buf *places, size_t count)
{
    fo_buf out = {0};
    int rc = fo_buf_puts(&out, "");
    bool first = true;
    for (const char *p = places->data; rc == 0 && p && *p; first = false) {
        size_t len = strcspn(p, "\n");
        rc = fo_buf_printf(&out, "%s%.*s", first ? "" : ", ", (int)len, p);
        p += len + (p[len] == '\n');
    }
    if (rc == 0 && count > MAX_PLACES)
        rc = fo_buf_printf(&out, " and %zu more", count - MAX_PLACES);
    if (rc == 0)
        fo_rem_clean(out.data); /* names come from the API */
    char *joined = rc == 0 ? fo_buf_steal(&out) : NULL;
    fo_buf_clear(&out);
    return joined;
}

void fo_diff_view_clear(fo_diff_view *view)
{
    if (!view)
        return;
    free(view->shown);
    free(view->places);
    memset(view, 0, sizeof(*view));
}

/* A text not understood: its first lines as they came (empty ones left out), key material
 * still hidden. */
static int show_raw(display *d, const diff_line *lines, size_t count, size_t total)
{
    size_t shown = 0, i = 0;
    for (; i < count && shown < SHOW_MAX_RAW_LINES && d->rc == 0; i++) {
        diff_line whole = lines[i];
        whole.attributed = false;
        whole.mark = ' '; /* shown as it came, mark and all: a fold says ' ' too, never NUL */
        whole.text = lines[i].text - (lines[i].mark ? 1 : 0);
        whole.len = lines[i].len + (lines[i].mark ? 1 : 0);
        if (whole.len == 0 || hidden(d, &whole))
            continue;
        flush_fold(d);
        show_text(d, ' ', whole.text, whole.len);
        shown++;
    }
    flush_fold(d);
    while (count == total && i < count && lines[count - 1].len == 0 && !lines[count - 1].mark)
        count--;
    if (count < total)
        count = total; /* lines past MAX_LINES were never read */
    if (d->rc == 0 && count > i)
        d->rc = fo_buf_printf(&d->out, "  (%zu more lines not shown)\n", count - i);
    return d->rc;
}

int fo_remediate_diff_read(fo_diff_view *out, const char *diff_text)
{
    reader r = {0};
    display d = {.rc = 0};
    fo_buf places = {0};
    size_t place_count = 0, count = 0, total = 0, bad_marks = 0, keys = 0;
    side before = {.item = -1, .cont_indent = -1}, after = {.item = -1, .cont_indent = -1};
    const char *text = diff_text ? diff_text : "";
    memset(out, 0, sizeof(*out));
    for (const char *p = text; *p; p++)
        total += *p == '\n';
    total += text[0] && text[strlen(text) - 1] != '\n';
    diff_line *lines = calloc(total < MAX_LINES ? total + 1 : MAX_LINES, sizeof(*lines));
    if (!lines)
        return FO_ENOMEM;
    for (const char *line = text; *line && r.rc == 0 && count < MAX_LINES;) {
        size_t len = strcspn(line, "\n");
        diff_line *l = &lines[count++];
        l->mark = line[0];
        l->text = line + 1;
        l->len = len > 0 ? len - 1 : 0;
        l->item = -1;
        if (len == 0 || (l->mark != ' ' && l->mark != '-' && l->mark != '+')) {
            /* not a diff line (Diffy's "\ No newline at end of file" is one such) */
            bad_marks += len > 0 && l->mark != '\\';
            l->mark = 0;
            l->text = line;
            l->len = len;
        } else {
            diff_line seen_after = *l;
            if (l->mark != '+')
                read_line(&r, &before, l, l->text, l->len);
            if (l->mark != '-')
                read_line(&r, &after, l->mark == '+' ? l : &seen_after, l->text, l->len);
            keys += l->attributed && l->item < 0 && !l->field[0] && !l->continuation;
        }
        line += len + (line[len] == '\n');
    }
    out->understood = r.rc == 0 && bad_marks == 0 && keys > 0 && total <= MAX_LINES;
    d.rc = r.rc != 0 ? r.rc : fo_buf_puts(&d.out, "");
    for (size_t i = 0; d.rc == 0 && out->understood && i < count; i++) {
        const diff_line *l = &lines[i];
        if (l->mark != '-' && l->mark != '+')
            continue;
        out->changed_lines++;
        if (!l->attributed) {
            out->unattributed++;
            flush_fold(&d);
            d.last_group[0] = '\0';
            if (!hidden(&d, l))
                show_text(&d, l->mark, l->text, l->len);
            continue;
        }
        char place[400];
        place_of(place, sizeof(place), &r, l);
        if (add_place(&places, &place_count, place) != 0)
            d.rc = FO_ENOMEM;
        show_line(&d, &r, l);
    }
    if (d.rc == 0 && out->understood)
        flush_fold(&d);
    else if (d.rc == 0)
        show_raw(&d, lines, count, total);
    if (d.rc == 0 && place_count > 0 && !(out->places = join_places(&places, place_count)))
        d.rc = FO_ENOMEM;
    if (d.rc == 0 && d.out.len > 0)
        out->shown = fo_buf_steal(&d.out);
    int rc = d.rc;
    fo_buf_clear(&d.out);
    fo_buf_clear(&places);
    free(lines);
    free(r.items);
    if (rc != 0)
        fo_diff_view_clear(out);
    return rc;
}
