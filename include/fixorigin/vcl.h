/* fixorigin/vcl.h: fixorigin's own reader and editor of `backend NAME { ... }` declarations in
 * Fastly VCL (custom VCL files and snippets), the whole interface of the vcl module.
 *
 * No C library parses Fastly VCL, so this is a small reader of just what a backend
 * declaration needs: comments (#, //, slash-star), quoted strings, long strings ({"..."}
 * and {X"..."X}), nested blocks (.probe = { ... }), CRLF line ends. Everything outside a
 * declaration is skipped, keeping only the brace depth, so a declaration is found wherever
 * it sits in the file. A declaration whose body is not plain `.name = value;` lines is
 * reported as not understood, with the reason: never guessed at.
 *
 * The editor changes the value of, adds or removes just the property lines a fix needs in
 * one declaration and leaves every other byte of the text as it was. Pure: no I/O, no
 * global state; safe on hostile text (bounded by its length, no recursion). */
#ifndef FO_VCL_H
#define FO_VCL_H

#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/fo.h"

/* How a property's value is written. */
typedef enum fo_vcl_kind {
    FO_VCL_STRING,      /* "text" (%XX escapes decoded) */
    FO_VCL_LONG_STRING, /* {"text"} or {X"text"X}: bytes as written */
    FO_VCL_WORD,        /* a bare word: true, always, 1s, 500ms, 200, a probe's name */
    FO_VCL_BLOCK,       /* a nested block: .probe = { ... } (value NULL) */
} fo_vcl_kind;

typedef struct fo_vcl_prop {
    char *name;  /* without the dot: "ssl_cert_hostname" */
    char *value; /* decoded text; NULL for a block */
    fo_vcl_kind kind;
    size_t start;       /* offset of the '.' */
    size_t value_start; /* offset of the value's first byte (its quote or brace) */
    size_t value_end;   /* offset just past the value */
    size_t end;         /* offset just past the ';' (or a block's '}' when none follows) */
} fo_vcl_prop;

typedef struct fo_vcl_decl {
    char *name;       /* NULL when the declaration has none that can be read */
    bool understood;  /* false: problem says why; props are not to be trusted */
    char *problem;    /* NULL when understood */
    unsigned line;    /* 1-based line of the `backend` keyword */
    size_t start;     /* offset of the `backend` keyword */
    size_t body_open; /* offset of its '{' (0 when none) */
    size_t end;       /* offset just past its '}' (the keyword's end when none) */
    fo_vcl_prop *props;
    size_t prop_count;
} fo_vcl_decl;

typedef struct fo_vcl_file {
    fo_vcl_decl *decls; /* in the order they appear */
    size_t count;
    char *problem; /* the text itself is broken (an unterminated string or comment, an
                      unbalanced brace): the first such problem with its line, or NULL.
                      Declarations after it are not listed */
} fo_vcl_file;

/* Reads every backend declaration of text (len bytes; NUL bytes are allowed and make a
 * declaration not understood). A broken text is not an error: out->problem says what is
 * broken. Returns 0 and fills out (clear it with fo_vcl_file_clear), or FO_ENOMEM. */
int fo_vcl_parse(fo_vcl_file *out, const char *text, size_t len, fo_error *err) FO_WARN_UNUSED;
void fo_vcl_file_clear(fo_vcl_file *file);

/* The property called name in decl, or NULL. */
const fo_vcl_prop *fo_vcl_decl_prop(const fo_vcl_decl *decl, const char *name);

/* Whether name is a property Fastly documents for a backend declaration. */
bool fo_vcl_property_known(const char *name);

/* The 1-based line of offset in text. */
unsigned fo_vcl_line_of(const char *text, size_t len, size_t offset);

/* One property to set in a declaration. */
typedef struct fo_vcl_set {
    const char *property; /* without the dot: "ssl_cert_hostname" */
    fo_vcl_kind kind;     /* FO_VCL_STRING (written quoted, or as a long string when the
                             text needs it), FO_VCL_LONG_STRING or FO_VCL_WORD */
    const char *value;    /* NULL: remove the property */
} fo_vcl_set;

/* Edits the declaration of backend `backend` in text: each property present gets its new
 * value in place; a missing one is added on a line of its own before the closing brace,
 * indented like the declaration's other property lines and ended like its lines (CRLF or
 * LF); a removed one loses its line. Every other byte stays as it was. *out is a new
 * NUL-terminated text (*out_len bytes) the caller frees. FO_EINVAL (no such declaration, more
 * than one, one not understood, a broken text, a word value that is not a word, a value with
 * a NUL byte, a block property to replace), FO_ENOMEM. */
int fo_vcl_edit(char **out, size_t *out_len, const char *text, size_t len, const char *backend,
                const fo_vcl_set *sets, size_t set_count, fo_error *err) FO_WARN_UNUSED;

#endif
