/* vcl/vcl.c: the reader and editor of backend declarations (vcl.h).
 *
 * One pass over the text keeps the brace depth and skips comments and strings; a
 * `backend` keyword at depth 0 starts a declaration, whose body is read property by
 * property. Positions are byte offsets into the caller's text, so the editor can splice
 * new values in without touching anything else. No recursion: a nested block is skipped
 * by counting braces, so hostile nesting costs no stack. */
#include "fixorigin/vcl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Documented properties of a backend declaration (Fastly's VCL reference). */
static const char *const known_properties[] = {
    "always_use_host_header",
    "between_bytes_timeout",
    "bypass_local_route_table",
    "connect_timeout",
    "dynamic",
    "first_byte_timeout",
    "host",
    "host_header",
    "max_connections",
    "max_tls_version",
    "min_tls_version",
    "port",
    "prefer_ipv6",
    "probe",
    "share_key",
    "ssl",
    "ssl_ca_cert",
    "ssl_cert_hostname",
    "ssl_check_cert",
    "ssl_ciphers",
    "ssl_client_cert",
    "ssl_client_key",
    "ssl_sni_hostname",
};

bool fo_vcl_property_known(const char *name)
{
    if (name == NULL)
        return false;
    for (size_t i = 0; i < sizeof(known_properties) / sizeof(known_properties[0]); i++)
        if (strcmp(known_properties[i], name) == 0)
            return true;
    return false;
}

unsigned fo_vcl_line_of(const char *text, size_t len, size_t offset)
{
    unsigned line = 1;
    for (size_t i = 0; i < offset && i < len; i++)
        if (text[i] == '\n')
            line++;
    return line;
}

/* ---- Lexing ------------------------------------------------------------------------- */

typedef struct lexer {
    const char *t;
    size_t n;
    size_t pos;
    /* the first break in the text itself (set once): an unterminated comment or string */
    char problem[160];
    bool broken;
} lexer;

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool is_ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident(char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* A bare value: true, always, 1s, 500ms, 1.5, a probe's name. */
static bool is_word(char c)
{
    return is_ident(c) || c == '.' || c == '-';
}

static void lex_break(lexer *lx, size_t at, const char *what)
{
    if (lx->broken)
        return;
    lx->broken = true;
    snprintf(lx->problem, sizeof(lx->problem), "%s at line %u", what,
             fo_vcl_line_of(lx->t, lx->n, at));
}

/* Skips whitespace and comments. False when a comment never ends (lx->broken set). */
static bool skip_trivia(lexer *lx)
{
    while (lx->pos < lx->n) {
        char c = lx->t[lx->pos];
        if (is_space(c)) {
            lx->pos++;
        } else if (c == '#' || (c == '/' && lx->pos + 1 < lx->n && lx->t[lx->pos + 1] == '/')) {
            while (lx->pos < lx->n && lx->t[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->n && lx->t[lx->pos + 1] == '*') {
            size_t open = lx->pos;
            lx->pos += 2;
            for (;;) {
                if (lx->pos + 1 >= lx->n) {
                    lx->pos = lx->n;
                    lex_break(lx, open, "a /* comment that never ends");
                    return false;
                }
                if (lx->t[lx->pos] == '*' && lx->t[lx->pos + 1] == '/') {
                    lx->pos += 2;
                    break;
                }
                lx->pos++;
            }
        } else {
            break;
        }
    }
    return true;
}

/* At pos: the length of a long string's opening ({" or {X"), 0 when it is not one. */
static size_t long_open_len(const lexer *lx, size_t pos)
{
    if (pos >= lx->n || lx->t[pos] != '{')
        return 0;
    size_t p = pos + 1;
    while (p < lx->n && is_ident(lx->t[p]) && p - pos <= 64)
        p++;
    if (p < lx->n && lx->t[p] == '"')
        return p + 1 - pos;
    return 0;
}

/* Skips a long string at lx->pos; sets *body and *body_len to its content. False when it
 * never ends. */
static bool skip_long_string(lexer *lx, const char **body, size_t *body_len)
{
    size_t open = lx->pos;
    size_t open_len = long_open_len(lx, open);
    const char *delim = lx->t + open + 1;
    size_t delim_len = open_len - 2;
    size_t p = open + open_len;
    for (; p < lx->n; p++) {
        if (lx->t[p] != '"' || p + 1 + delim_len >= lx->n)
            continue;
        if (memcmp(lx->t + p + 1, delim, delim_len) == 0 && lx->t[p + 1 + delim_len] == '}') {
            if (body != NULL) {
                *body = lx->t + open + open_len;
                *body_len = p - (open + open_len);
            }
            lx->pos = p + 2 + delim_len;
            return true;
        }
    }
    lx->pos = lx->n;
    lex_break(lx, open, "a long string that never ends");
    return false;
}

/* Skips a quoted string at lx->pos; a line end or the text's end inside it breaks it. */
static bool skip_quoted(lexer *lx)
{
    size_t open = lx->pos;
    for (size_t p = open + 1; p < lx->n; p++) {
        if (lx->t[p] == '"') {
            lx->pos = p + 1;
            return true;
        }
        if (lx->t[p] == '\n' || lx->t[p] == '\r')
            break;
    }
    lx->pos = lx->n;
    lex_break(lx, open, "a string that never ends");
    return false;
}

/* Skips a block from its '{' at lx->pos to just past the matching '}', strings and
 * comments included. False when it never closes. */
static bool skip_block(lexer *lx)
{
    size_t open = lx->pos;
    size_t depth = 0;
    while (lx->pos < lx->n) {
        if (!skip_trivia(lx))
            return false;
        if (lx->pos >= lx->n)
            break;
        char c = lx->t[lx->pos];
        if (c == '"') {
            if (!skip_quoted(lx))
                return false;
        } else if (long_open_len(lx, lx->pos) > 0) {
            if (!skip_long_string(lx, NULL, NULL))
                return false;
        } else if (c == '{') {
            depth++;
            lx->pos++;
        } else if (c == '}') {
            lx->pos++;
            if (--depth == 0)
                return true;
        } else {
            lx->pos++;
        }
    }
    lex_break(lx, open, "a '{' that is never closed");
    return false;
}

/* ---- Declarations -------------------------------------------------------------------- */

static char *dup_range(const char *s, size_t len)
{
    char *out = malloc(len + 1);
    if (out != NULL) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
    return out;
}

/* Decodes a quoted string's body (%XX escapes). NULL with *why set when it holds what this
 * reader does not read (another escape form, a NUL byte); NULL with *why NULL when out of
 * memory. */
static char *decode_quoted(const char *s, size_t len, const char **why)
{
    *why = NULL;
    char *out = malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t bad = 0;
    if (fo_percent_decode(out, s, len, FO_PERCENT_REFUSE_NUL, &bad) != 0) {
        *why = s[bad] == '\0' ? "a NUL byte" : "a %-escape fixorigin does not read";
        free(out);
        return NULL;
    }
    return out;
}

static void decl_clear(fo_vcl_decl *d)
{
    for (size_t i = 0; i < d->prop_count; i++) {
        free(d->props[i].name);
        free(d->props[i].value);
    }
    free(d->props);
    free(d->name);
    free(d->problem);
    memset(d, 0, sizeof(*d));
}

void fo_vcl_file_clear(fo_vcl_file *file)
{
    if (file == NULL)
        return;
    for (size_t i = 0; i < file->count; i++)
        decl_clear(&file->decls[i]);
    free(file->decls);
    free(file->problem);
    memset(file, 0, sizeof(*file));
}

const fo_vcl_prop *fo_vcl_decl_prop(const fo_vcl_decl *decl, const char *name)
{
    if (decl == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < decl->prop_count; i++)
        if (strcmp(decl->props[i].name, name) == 0)
            return &decl->props[i];
    return NULL;
}

/* Marks d not understood (the first reason wins). FO_ENOMEM or 0. */
static int decl_not_understood(fo_vcl_decl *d, const lexer *lx, size_t at, const char *what)
{
    if (!d->understood)
        return 0;
    d->understood = false;
    char msg[200];
    snprintf(msg, sizeof(msg), "%s at line %u", what, fo_vcl_line_of(lx->t, lx->n, at));
    d->problem = fo_strdup(msg);
    return d->problem == NULL ? FO_ENOMEM : 0;
}

/* Reads one property at lx->pos (its '.'). Returns 0 with *prop filled or *bad set (the
 * body is then not understood and its reason recorded), FO_ENOMEM, or 1 when the text
 * itself broke (lx->broken). */
static int read_property(lexer *lx, fo_vcl_decl *d, fo_vcl_prop *prop, bool *bad)
{
    *bad = false;
    memset(prop, 0, sizeof(*prop));
    prop->start = lx->pos++;
    size_t name_at = lx->pos;
    while (lx->pos < lx->n && is_ident(lx->t[lx->pos]))
        lx->pos++;
    if (lx->pos == name_at || !is_ident_start(lx->t[name_at])) {
        *bad = true;
        return decl_not_understood(d, lx, prop->start, "a '.' not followed by a property name");
    }
    prop->name = dup_range(lx->t + name_at, lx->pos - name_at);
    if (prop->name == NULL)
        return FO_ENOMEM;
    char what[120];
    if (!skip_trivia(lx))
        return 1;
    if (lx->pos >= lx->n || lx->t[lx->pos] != '=') {
        *bad = true;
        snprintf(what, sizeof(what), "no '=' after .%.60s", prop->name);
        return decl_not_understood(d, lx, lx->pos, what);
    }
    lx->pos++;
    if (!skip_trivia(lx))
        return 1;
    prop->value_start = lx->pos;
    if (lx->pos >= lx->n) {
        lex_break(lx, prop->start, "a backend declaration that never ends");
        return 1;
    }
    char c = lx->t[lx->pos];
    if (c == '"') {
        if (!skip_quoted(lx))
            return 1;
        const char *why;
        prop->value =
            decode_quoted(lx->t + prop->value_start + 1, lx->pos - prop->value_start - 2, &why);
        if (prop->value == NULL && why == NULL)
            return FO_ENOMEM;
        if (prop->value == NULL) {
            *bad = true;
            snprintf(what, sizeof(what), "%s in .%.60s", why, prop->name);
            return decl_not_understood(d, lx, prop->value_start, what);
        }
        prop->kind = FO_VCL_STRING;
    } else if (long_open_len(lx, lx->pos) > 0) {
        const char *body;
        size_t body_len;
        if (!skip_long_string(lx, &body, &body_len))
            return 1;
        if (memchr(body, '\0', body_len) != NULL) {
            *bad = true;
            snprintf(what, sizeof(what), "a NUL byte in .%.60s", prop->name);
            return decl_not_understood(d, lx, prop->value_start, what);
        }
        prop->value = dup_range(body, body_len);
        if (prop->value == NULL)
            return FO_ENOMEM;
        prop->kind = FO_VCL_LONG_STRING;
    } else if (c == '{') {
        if (!skip_block(lx))
            return 1;
        prop->kind = FO_VCL_BLOCK;
        prop->value_end = lx->pos;
        prop->end = lx->pos;
        /* A block's ';' is optional. */
        size_t after = lx->pos;
        if (!skip_trivia(lx))
            return 1;
        if (lx->pos < lx->n && lx->t[lx->pos] == ';')
            prop->end = ++lx->pos;
        else
            lx->pos = after;
        return 0;
    } else if (is_word(c)) {
        while (lx->pos < lx->n && is_word(lx->t[lx->pos]))
            lx->pos++;
        prop->value = dup_range(lx->t + prop->value_start, lx->pos - prop->value_start);
        if (prop->value == NULL)
            return FO_ENOMEM;
        prop->kind = FO_VCL_WORD;
    } else {
        *bad = true;
        snprintf(what, sizeof(what), "a value of .%.60s fixorigin does not read", prop->name);
        return decl_not_understood(d, lx, prop->value_start, what);
    }
    prop->value_end = lx->pos;
    if (!skip_trivia(lx))
        return 1;
    if (lx->pos >= lx->n || lx->t[lx->pos] != ';') {
        *bad = true;
        snprintf(what, sizeof(what), "no ';' after the value of .%.60s", prop->name);
        return decl_not_understood(d, lx, prop->value_end, what);
    }
    prop->end = ++lx->pos;
    return 0;
}

static void prop_clear(fo_vcl_prop *p)
{
    free(p->name);
    free(p->value);
    memset(p, 0, sizeof(*p));
}

/* Reads a declaration whose `backend` keyword ends at lx->pos. Leaves lx->pos after it
 * (after its body when it has one). FO_ENOMEM or 0; a broken text sets lx->broken. */
static int read_decl(lexer *lx, fo_vcl_decl *d)
{
    int rc = 0;
    d->understood = true;
    if (!skip_trivia(lx))
        return 0;
    size_t name_at = lx->pos;
    while (lx->pos < lx->n && is_ident(lx->t[lx->pos]))
        lx->pos++;
    if (lx->pos == name_at || !is_ident_start(lx->t[name_at])) {
        d->end = name_at;
        lx->pos = name_at;
        return decl_not_understood(d, lx, d->start, "a backend declaration without a name");
    }
    d->name = dup_range(lx->t + name_at, lx->pos - name_at);
    if (d->name == NULL)
        return FO_ENOMEM;
    size_t after_name = lx->pos;
    if (!skip_trivia(lx))
        return 0;
    if (lx->pos >= lx->n || lx->t[lx->pos] != '{' || long_open_len(lx, lx->pos) > 0) {
        d->end = after_name;
        lx->pos = after_name;
        return decl_not_understood(d, lx, d->start, "no '{' after the backend's name");
    }
    d->body_open = lx->pos++;
    for (;;) {
        if (!skip_trivia(lx))
            return 0;
        if (lx->pos >= lx->n) {
            lex_break(lx, d->body_open, "a '{' that is never closed");
            return 0;
        }
        char c = lx->t[lx->pos];
        if (c == '}') {
            d->end = ++lx->pos;
            return 0;
        }
        bool bad = true;
        fo_vcl_prop prop;
        memset(&prop, 0, sizeof(prop));
        if (c == '.') {
            rc = read_property(lx, d, &prop, &bad);
            if (rc != 0) {
                prop_clear(&prop);
                return rc < 0 ? rc : 0;
            }
        } else {
            rc = decl_not_understood(d, lx, lx->pos, "something other than a property");
            if (rc != 0)
                return rc;
        }
        if (!bad && fo_vcl_decl_prop(d, prop.name) != NULL) {
            char what[120];
            snprintf(what, sizeof(what), "the property .%.60s set twice", prop.name);
            bad = true;
            rc = decl_not_understood(d, lx, prop.start, what);
            if (rc != 0) {
                prop_clear(&prop);
                return rc;
            }
        }
        if (bad) {
            /* Not understood: find the body's end so the scan goes on after it. */
            prop_clear(&prop);
            lx->pos = d->body_open;
            if (skip_block(lx))
                d->end = lx->pos;
            return 0;
        }
        fo_vcl_prop *grown = realloc(d->props, (d->prop_count + 1) * sizeof(*grown));
        if (grown == NULL) {
            prop_clear(&prop);
            return FO_ENOMEM;
        }
        d->props = grown;
        d->props[d->prop_count++] = prop;
    }
}

int fo_vcl_parse(fo_vcl_file *out, const char *text, size_t len, fo_error *err)
{
    memset(out, 0, sizeof(*out));
    lexer lx = {.t = text, .n = text == NULL ? 0 : len};
    size_t depth = 0;
    size_t outer_open = 0; /* the '{' that took depth from 0 to 1 */
    int rc = 0;
    while (lx.pos < lx.n && !lx.broken) {
        if (!skip_trivia(&lx) || lx.pos >= lx.n)
            break;
        char c = lx.t[lx.pos];
        if (c == '"') {
            skip_quoted(&lx);
        } else if (long_open_len(&lx, lx.pos) > 0) {
            skip_long_string(&lx, NULL, NULL);
        } else if (c == '{') {
            if (depth++ == 0)
                outer_open = lx.pos;
            lx.pos++;
        } else if (c == '}') {
            if (depth == 0) {
                lex_break(&lx, lx.pos, "a '}' that closes nothing");
                break;
            }
            depth--;
            lx.pos++;
        } else if (is_ident_start(c)) {
            size_t at = lx.pos;
            while (lx.pos < lx.n && is_ident(lx.t[lx.pos]))
                lx.pos++;
            bool keyword = lx.pos - at == 7 && memcmp(lx.t + at, "backend", 7) == 0 &&
                           (at == 0 || lx.t[at - 1] != '.');
            if (!keyword || depth != 0)
                continue;
            fo_vcl_decl d;
            memset(&d, 0, sizeof(d));
            d.start = at;
            d.line = fo_vcl_line_of(lx.t, lx.n, at);
            rc = read_decl(&lx, &d);
            if (rc != 0 || lx.broken) {
                decl_clear(&d);
                if (rc != 0)
                    goto out;
                break;
            }
            fo_vcl_decl *grown = realloc(out->decls, (out->count + 1) * sizeof(*grown));
            if (grown == NULL) {
                decl_clear(&d);
                rc = FO_ENOMEM;
                goto out;
            }
            out->decls = grown;
            out->decls[out->count++] = d;
        } else {
            lx.pos++;
        }
    }
    if (!lx.broken && depth > 0)
        lex_break(&lx, outer_open, "a '{' that is never closed");
    if (lx.broken) {
        out->problem = fo_strdup(lx.problem);
        if (out->problem == NULL)
            rc = FO_ENOMEM;
    }
out:
    if (rc != 0) {
        fo_vcl_file_clear(out);
        return fo_error_set(err, rc, "out of memory reading VCL");
    }
    return 0;
}

/* ---- Editing ----------------------------------------------------------------------------- */

typedef struct splice {
    size_t from, to; /* the bytes replaced */
    char *text;      /* what takes their place */
    size_t order;    /* for a stable sort of insertions at one offset */
} splice;

static int splice_cmp(const void *a, const void *b)
{
    const splice *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* The value as VCL text: quoted when it can be, a long string with a delimiter its text
 * does not contain otherwise. NULL when out of memory; *bad when it cannot be written. */
static char *encode_value(const fo_vcl_set *set, const char *eol, bool *bad)
{
    *bad = false;
    const char *v = set->value;
    fo_buf b = {0};
    if (set->kind == FO_VCL_WORD) {
        if (*v == '\0') {
            *bad = true;
            return NULL;
        }
        for (const char *p = v; *p; p++)
            if (!is_word(*p)) {
                *bad = true;
                return NULL;
            }
        return fo_strdup(v);
    }
    if (set->kind == FO_VCL_BLOCK) {
        *bad = true;
        return NULL;
    }
    bool plain = set->kind == FO_VCL_STRING;
    for (const char *p = v; *p && plain; p++)
        if (*p == '"' || *p == '%' || (unsigned char)*p < 0x20 || *p == 0x7f)
            plain = false;
    if (plain) {
        if (fo_buf_printf(&b, "\"%s\"", v) != 0)
            goto nomem;
        return fo_buf_steal(&b);
    }
    /* The shortest delimiter whose closing quote is not in the text. */
    char delim[16] = "";
    for (unsigned i = 0; i < 1000; i++) {
        if (i > 0)
            snprintf(delim, sizeof(delim), "FO%u", i);
        char close[24];
        snprintf(close, sizeof(close), "\"%s}", delim);
        if (strstr(v, close) == NULL)
            break;
        if (i == 999) {
            *bad = true;
            return NULL;
        }
    }
    if (fo_buf_printf(&b, "{%s\"", delim) != 0)
        goto nomem;
    /* Line ends inside follow the file's, so a CRLF file stays CRLF throughout. */
    for (const char *p = v; *p; p++) {
        if (*p == '\n' && strcmp(eol, "\r\n") == 0 && (p == v || p[-1] != '\r')) {
            if (fo_buf_puts(&b, "\r\n") != 0)
                goto nomem;
        } else if (fo_buf_append(&b, p, 1) != 0) {
            goto nomem;
        }
    }
    if (fo_buf_printf(&b, "\"%s}", delim) != 0)
        goto nomem;
    return fo_buf_steal(&b);
nomem:
    fo_buf_clear(&b);
    return NULL;
}

static size_t line_start(const char *t, size_t at)
{
    while (at > 0 && t[at - 1] != '\n')
        at--;
    return at;
}

/* Whether only spaces and tabs lie between from and to. */
static bool blank_between(const char *t, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (t[i] != ' ' && t[i] != '\t')
            return false;
    return true;
}

static int find_decl(const fo_vcl_file *file, const char *backend, const fo_vcl_decl **out,
                     fo_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < file->count; i++) {
        const fo_vcl_decl *d = &file->decls[i];
        if (d->name == NULL || strcmp(d->name, backend) != 0)
            continue;
        if (*out != NULL)
            return fo_error_set(err, FO_EINVAL, "backend %s is declared more than once", backend);
        *out = d;
    }
    if (*out == NULL)
        return fo_error_set(err, FO_EINVAL, "no declaration of backend %s", backend);
    if (!(*out)->understood)
        return fo_error_set(err, FO_EINVAL, "the declaration of backend %s is not understood: %s",
                            backend, (*out)->problem);
    return 0;
}

int fo_vcl_edit(char **out, size_t *out_len, const char *text, size_t len, const char *backend,
                const fo_vcl_set *sets, size_t set_count, fo_error *err)
{
    *out = NULL;
    *out_len = 0;
    fo_vcl_file file;
    splice *splices = NULL;
    size_t splice_count = 0;
    fo_buf result = {0};
    int rc = fo_vcl_parse(&file, text, len, err);
    if (rc != 0)
        return rc;
    if (file.problem != NULL) {
        rc = fo_error_set(err, FO_EINVAL, "the VCL is broken: %s", file.problem);
        goto out;
    }
    const fo_vcl_decl *d;
    rc = find_decl(&file, backend, &d, err);
    if (rc != 0)
        goto out;
    splices = calloc(set_count > 0 ? set_count : 1, sizeof(*splices));
    if (splices == NULL) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
        goto out;
    }

    /* The declaration's line end, and the indentation of its property lines. */
    const char *eol = "\n";
    for (size_t i = d->start; i + 1 < d->end; i++)
        if (text[i] == '\r' && text[i + 1] == '\n') {
            eol = "\r\n";
            break;
        }
    size_t close = d->end - 1; /* the '}' */
    size_t close_line = line_start(text, close);
    bool close_alone = close_line > d->body_open && blank_between(text, close_line, close);
    char indent[64] = "    ";
    bool have_indent = false;
    for (size_t i = 0; i < d->prop_count && !have_indent; i++) {
        size_t ls = line_start(text, d->props[i].start);
        if (ls > d->body_open && blank_between(text, ls, d->props[i].start) &&
            d->props[i].start - ls < sizeof(indent)) {
            memcpy(indent, text + ls, d->props[i].start - ls);
            indent[d->props[i].start - ls] = '\0';
            have_indent = true;
        }
    }
    if (!have_indent && close_alone && close - close_line + 4 < sizeof(indent)) {
        memcpy(indent, text + close_line, close - close_line);
        memcpy(indent + (close - close_line), "    ", 5);
    }

    for (size_t i = 0; i < set_count; i++) {
        const fo_vcl_set *set = &sets[i];
        const fo_vcl_prop *p = fo_vcl_decl_prop(d, set->property);
        splice *s = &splices[splice_count];
        s->order = i;
        if (set->property == NULL || set->property[0] == '\0' ||
            !is_ident_start(set->property[0])) {
            rc = fo_error_set(err, FO_EINVAL, "a property name is missing");
            goto out;
        }
        for (const char *c = set->property; *c; c++)
            if (!is_ident(*c)) {
                rc = fo_error_set(err, FO_EINVAL, "bad property name");
                goto out;
            }
        for (size_t j = 0; j < i; j++)
            if (strcmp(sets[j].property, set->property) == 0) {
                rc = fo_error_set(err, FO_EINVAL, "property .%s set twice in one edit",
                                  set->property);
                goto out;
            }
        if (set->value == NULL) {
            if (p == NULL)
                continue; /* already absent */
            size_t ls = line_start(text, p->start);
            size_t to = p->end;
            while (to < d->end && (text[to] == ' ' || text[to] == '\t'))
                to++;
            if (ls > d->body_open && blank_between(text, ls, p->start) &&
                (text[to] == '\n' || (text[to] == '\r' && to + 1 < len && text[to + 1] == '\n'))) {
                /* The property has its line to itself: the line goes. */
                s->from = ls;
                s->to = to + (text[to] == '\r' ? 2 : 1);
            } else {
                s->from = p->start;
                s->to = to;
            }
            s->text = fo_strdup("");
        } else {
            bool bad;
            char *value = encode_value(set, eol, &bad);
            if (value == NULL) {
                rc = bad ? fo_error_set(err, FO_EINVAL, "a value for .%s VCL cannot hold",
                                        set->property)
                         : fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
                goto out;
            }
            if (p != NULL) {
                if (p->kind == FO_VCL_BLOCK) {
                    free(value);
                    rc = fo_error_set(err, FO_EINVAL, "the block .%s is not replaced",
                                      set->property);
                    goto out;
                }
                s->from = p->value_start;
                s->to = p->value_end;
                s->text = value;
            } else {
                fo_buf line = {0};
                int brc;
                if (close_alone) {
                    s->from = s->to = close_line;
                    brc = fo_buf_printf(&line, "%s.%s = %s;%s", indent, set->property, value, eol);
                } else if (close > 0 && (text[close - 1] == ' ' || text[close - 1] == '\t')) {
                    s->from = s->to = close;
                    brc = fo_buf_printf(&line, ".%s = %s; ", set->property, value);
                } else {
                    s->from = s->to = close;
                    brc = fo_buf_printf(&line, " .%s = %s;", set->property, value);
                }
                free(value);
                if (brc != 0) {
                    fo_buf_clear(&line);
                    rc = fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
                    goto out;
                }
                s->text = fo_buf_steal(&line);
            }
        }
        if (s->text == NULL) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
            goto out;
        }
        splice_count++;
    }
    qsort(splices, splice_count, sizeof(*splices), splice_cmp);
    size_t at = 0;
    for (size_t i = 0; i < splice_count; i++) {
        if (splices[i].from < at) {
            rc = fo_error_set(err, FO_EINVAL, "overlapping edits"); /* cannot happen */
            goto out;
        }
        if (fo_buf_append(&result, text + at, splices[i].from - at) != 0 ||
            fo_buf_puts(&result, splices[i].text) != 0) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
            goto out;
        }
        at = splices[i].to;
    }
    if (fo_buf_append(&result, text + at, len - at) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory editing VCL");
        goto out;
    }
    *out_len = result.len;
    *out = fo_buf_steal(&result);
out:
    for (size_t i = 0; i < set_count && splices != NULL; i++)
        free(splices[i].text);
    free(splices);
    fo_buf_clear(&result);
    fo_vcl_file_clear(&file);
    return rc;
}
