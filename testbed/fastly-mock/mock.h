/* testbed/fastly-mock/mock.h: the parts of fastly-mock, a stand-in for the Fastly API
 * that tests, benchmarks and the demo run on loopback. Internal to the program and its
 * tests: the state model, the backend field rules, form bodies, fault rules, the
 * version dump (diff, generated VCL) and the HTTP routes. The README section
 * "fastly-mock" documents the behaviour users rely on (state file, --fail syntax). */
#ifndef FO_MOCK_H
#define FO_MOCK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/fo.h"

/* ---- state ------------------------------------------------------------------ */

typedef struct fo_mock_version {
    int number;
    bool active;
    bool locked;
    char *comment;
    char *created_at;
    char *updated_at;
    json_t *backends; /* array of stored backend objects (see backend.c), in order */
    json_t *domains;  /* array of {"name","comment"} */
    json_t *vcls;     /* array of {"name","main","content"} */
    json_t *snippets; /* array of {"id","name","type","content","dynamic","priority"} */
    json_t *pools;    /* array of pool objects (mock_origins.c) */
} fo_mock_version;

typedef struct fo_mock_service {
    char *id;
    char *name;
    char *comment;
    char *type;
    char *created_at;
    char *updated_at;
    fo_mock_version *versions; /* ascending by number; realloc'd by clone */
    size_t nversions;
    json_t *dynamic_snippets; /* {snippet id: content}: versionless */
    json_t *pool_servers;     /* {pool id: [{"id","address","port"}]}: versionless */
} fo_mock_service;

typedef struct fo_mock_state {
    char *customer_id;
    fo_mock_service *services;
    size_t nservices;
} fo_mock_state;

/* Reads and validates a state file; *out is owned by the caller (fo_mock_state_free).
 * FO_EIO when the file cannot be read, FO_EINVAL with the JSON path of the first bad
 * value ("services[0].versions[1].backends[0].port: expected an integer"). */
int fo_mock_state_load(fo_mock_state **out, const char *path, fo_error *err) FO_WARN_UNUSED;
/* The same from a parsed document (borrowed). */
int fo_mock_state_from_json(fo_mock_state **out, const json_t *root, fo_error *err) FO_WARN_UNUSED;
/* The state in the file format (every stored backend field spelled out); new reference. */
json_t *fo_mock_state_to_json(const fo_mock_state *state);
/* Writes the state atomically (temporary file, then rename). FO_EIO on failure. */
int fo_mock_state_save(const fo_mock_state *state, const char *path, fo_error *err) FO_WARN_UNUSED;
void fo_mock_state_free(fo_mock_state *state);
/* A valid example state: service SVC0EXAMPLE, active version 1, TLS backend "origin". */
const char *fo_mock_example_state(void);

fo_mock_service *fo_mock_service_find(fo_mock_state *state, const char *id);
fo_mock_version *fo_mock_version_find(fo_mock_service *service, int number);
/* The active version, or NULL. */
fo_mock_version *fo_mock_version_active(fo_mock_service *service);
/* Appends a copy of `from` as number highest+1, unlocked and inactive; returns the new
 * version (pointers into service->versions taken before are stale) or NULL (no memory). */
fo_mock_version *fo_mock_version_clone(fo_mock_service *service, int from, const char *now);

/* UTC now as "2026-05-06T18:11:06Z" into buf (at least 21 bytes). */
void fo_mock_now(char *buf, size_t len);

/* ---- form bodies and query strings ------------------------------------------------ */

typedef struct fo_mock_form {
    size_t n;
    char **keys;   /* decoded */
    char **values; /* decoded */
} fo_mock_form;

/* Parses application/x-www-form-urlencoded text ('+' is a space, %XX a byte). FO_EINVAL
 * on a bad escape or a NUL byte. The form is owned by the caller (fo_mock_form_free). */
int fo_mock_form_parse(fo_mock_form *out, const char *text, size_t len,
                       fo_error *err) FO_WARN_UNUSED;
/* The last value given for key, or NULL when the key is absent. */
const char *fo_mock_form_get(const fo_mock_form *form, const char *key);
void fo_mock_form_free(fo_mock_form *form);
/* Decodes %XX escapes of a path segment in place ('+' stays). FO_EINVAL on a bad one. */
int fo_mock_unescape_segment(char *segment) FO_WARN_UNUSED;

/* ---- backends ---------------------------------------------------------------------- */

/* A stored backend from a state file object: defaults filled in, types checked. `where`
 * prefixes error messages. New reference in *out. */
int fo_mock_backend_from_state(json_t **out, const json_t *given, const char *where,
                               const char *now, fo_error *err) FO_WARN_UNUSED;
/* Applies a create (POST) or partial update (PUT) form to a stored backend, as Fastly
 * does: absent keys are left alone, `key=` clears, port 80/443 flips use_ssl unless
 * use_ssl is in the same form. FO_EINVAL with Fastly's 400 detail in err on a bad value;
 * the backend is unchanged then. */
int fo_mock_backend_apply_form(json_t *backend, const fo_mock_form *form, bool create,
                               const char *now, fo_error *err) FO_WARN_UNUSED;
/* The API view: every field in alphabetical order with derived ones (hostname, ipv4,
 * ipv6, service_id, version, deleted_at). New reference. */
json_t *fo_mock_backend_view(const json_t *backend, const char *service_id, int version);
/* The stored object as written to a state file (a copy). */
json_t *fo_mock_backend_stored(const json_t *backend);
/* The backend's name (borrowed). */
const char *fo_mock_backend_name(const json_t *backend);
/* Borrowed string field, NULL when null or absent. */
const char *fo_mock_backend_str(const json_t *backend, const char *field);

/* ---- version dump, diff, validation, generated VCL ------------------------------------ */

/* How the dump lays out a list item and spells a string. The one recorded diff with a list
 * item (diff/get_again.yaml: a backend added) writes `- name:` first and the other keys
 * sorted; how Fastly writes a changed item was never recorded, so the stand-in can write it
 * the other ways a YAML writer might, and the tests run fixorigin against each. */
typedef enum fo_mock_diff_keys {
    FO_MOCK_KEYS_NAME_FIRST, /* as recorded: name, then the other keys sorted */
    FO_MOCK_KEYS_SORTED,     /* every key sorted, name among them (a sorted hash's dump) */
    FO_MOCK_KEYS_NAME_LAST,  /* the other keys sorted, name last */
} fo_mock_diff_keys;

typedef struct fo_mock_dump_style {
    fo_mock_diff_keys keys;
    bool double_quotes; /* every string "double-quoted" (escapes, no blocks), null as `null`;
                           false: as recorded, quoted only when YAML needs it, null as nothing */
} fo_mock_dump_style;

/* Parses --diff-keys ("name-first", "sorted", "name-last") and --diff-quotes ("minimal",
 * "double") values into style; false for anything else. */
bool fo_mock_diff_keys_parse(fo_mock_dump_style *style, const char *value);
bool fo_mock_diff_quotes_parse(fo_mock_dump_style *style, const char *value);

/* Fastly's text dump of a version, the YAML-ish text the diff endpoint compares (without
 * the diff's one-character line prefix), in style (NULL: as recorded). Caller frees. NULL
 * when out of memory. */
char *fo_mock_version_dump(const fo_mock_service *service, const fo_mock_version *version,
                           const fo_mock_dump_style *style);
/* A line diff of two dumps: unchanged lines keep their ' ' prefix, removed ones get '-',
 * added ones '+'. Identical inputs give the input unchanged. Caller frees. */
char *fo_mock_diff(const char *from, const char *to);
/* NULL when the version compiles, else Fastly's message (static text), with the
 * offending backend's name in detail (at least 256 bytes). */
const char *fo_mock_validate(const fo_mock_version *version, char *detail, size_t len);
/* A plausible generated VCL with every backend declared. Caller frees. */
char *fo_mock_generated_vcl(const fo_mock_service *service, const fo_mock_version *version);

/* ---- fault injection -------------------------------------------------------------- */

typedef enum fo_mock_fault_kind {
    FO_MOCK_FAULT_DROP_BEFORE,  /* close the connection; nothing changes */
    FO_MOCK_FAULT_DROP_AFTER,   /* apply the request, then close without a response */
    FO_MOCK_FAULT_STATUS,       /* answer the status; nothing changes */
    FO_MOCK_FAULT_STATUS_AFTER, /* apply the request, then answer the status */
    FO_MOCK_FAULT_HTML,         /* answer the status with a proxy's HTML page */
    FO_MOCK_FAULT_MALFORMED,    /* apply, then answer 200 with truncated JSON */
    FO_MOCK_FAULT_TRUNCATE,     /* apply, then send headers and half the body, then close */
    FO_MOCK_FAULT_DELAY,        /* wait, then answer normally */
    FO_MOCK_FAULT_HANG_AFTER,   /* apply the request, then wait before answering */
} fo_mock_fault_kind;

typedef struct fo_mock_fault {
    char method[16]; /* "PUT", or "*" */
    char *glob;      /* fnmatch pattern on the raw path, '*' stops at '/' */
    long nth;        /* 1-based match to act on; 0 = every match */
    fo_mock_fault_kind kind;
    int status;    /* for STATUS, STATUS_AFTER, HTML */
    long delay_ms; /* for DELAY, HANG_AFTER */
    long seen;     /* matching requests so far */
} fo_mock_fault;

/* Parses "METHOD:GLOB:N:ACTION" (see README). FO_EINVAL with a reason on bad syntax.
 * out->glob is owned by out (fo_mock_fault_clear). */
int fo_mock_fault_parse(fo_mock_fault *out, const char *spec, fo_error *err) FO_WARN_UNUSED;
void fo_mock_fault_clear(fo_mock_fault *fault);
/* Counts the request against the rule; true when the rule fires for it. */
bool fo_mock_fault_hit(fo_mock_fault *fault, const char *method, const char *path);
/* Short name of the action for the request log ("drop", "503", "delay"). */
const char *fo_mock_fault_name(const fo_mock_fault *fault, char *buf, size_t len);

/* Parses a write budget "N[/SECONDS]" (window default 3600). */
int fo_mock_rate_parse(long *budget, long *window, const char *spec, fo_error *err) FO_WARN_UNUSED;

/* ---- the API ---------------------------------------------------------------------- */

typedef struct fo_mock_token {
    char *token;     /* compared in constant time; never logged */
    char *scope;     /* "global", "global:read", space-separated */
    char **services; /* NULL = every service */
    size_t nservices;
} fo_mock_token;

/* Parses "TOKEN[/SCOPE[/SVC,SVC...]]". Error messages never quote the token. */
int fo_mock_token_parse(fo_mock_token *out, const char *spec, fo_error *err) FO_WARN_UNUSED;
void fo_mock_token_clear(fo_mock_token *token);

/* One API call, as the server hands it to the routes. */
typedef struct fo_mock_call {
    const char *method;
    const char *path; /* raw, as sent */
    char **segments;  /* decoded path segments */
    size_t nsegments;
    const fo_mock_form *query;
    const fo_mock_form *form; /* the body; empty for reads */
    const fo_mock_token *token;
    size_t token_index;   /* for /tokens/self */
    const char *base_url; /* "http://127.0.0.1:PORT" for Link headers */
    const char *user_agent;
    const fo_mock_dump_style *diff_style; /* NULL: as recorded */
    bool locked_comments;                 /* a comment-only update of a locked version is taken */
} fo_mock_call;

typedef struct fo_mock_reply {
    unsigned status;
    json_t *json; /* owned; the body unless text is set */
    char *text;   /* owned; a non-JSON body */
    char *link;   /* owned; the Link header, or NULL */
    bool changed; /* the state changed: write it back */
} fo_mock_reply;

/* Routes one authenticated call against the state (the caller holds the lock). */
void fo_mock_route(fo_mock_state *state, const fo_mock_call *call, fo_mock_reply *out);
/* Fills out with Fastly's {"msg","detail"} error body. detail may be NULL. */
void fo_mock_reply_error(fo_mock_reply *out, unsigned status, const char *msg, const char *detail);
void fo_mock_reply_clear(fo_mock_reply *reply);

/* ---- snippets and pools (mock_origins.c) ------------------------------------------ */

/* The optional "snippets" and "pools" of a version, and "dynamic_snippets" (id -> content)
 * and "pool_servers" (pool id -> servers) of a service, from a state file. */
int fo_mock_origins_load_version(fo_mock_version *v, const json_t *obj, const char *where,
                                 fo_error *err) FO_WARN_UNUSED;
int fo_mock_origins_load_service(fo_mock_service *s, const json_t *obj, const char *where,
                                 fo_error *err) FO_WARN_UNUSED;
/* Adds them to a state file object (only when there are some). */
void fo_mock_origins_save_version(json_t *obj, const fo_mock_version *v);
void fo_mock_origins_save_service(json_t *obj, const fo_mock_service *s);
/* The versioned snippet list as the API shows it (dynamic content null). New reference. */
json_t *fo_mock_snippets_view(const fo_mock_service *s, const fo_mock_version *v);
/* NULL when every VCL file and snippet compiles, else Fastly's message with the file and
 * line in detail: a broken text, an unreadable backend declaration, an unknown property, a
 * .port that is not a string. */
const char *fo_mock_validate_vcl(const fo_mock_service *s, const fo_mock_version *v, char *detail,
                                 size_t len);
/* .../version/{n}/snippet[/name] and .../pool[/name]; false when the call is not one. */
bool fo_mock_origins_version_route(fo_mock_service *s, fo_mock_version *v, const fo_mock_call *call,
                                   fo_mock_reply *out);
/* /service/{id}/snippet/{snippet_id} and /service/{id}/pool/{pool_id}/servers. */
bool fo_mock_origins_service_route(fo_mock_service *s, const fo_mock_call *call,
                                   fo_mock_reply *out);
/* The "pools:" or "snippets:" section of the version dump. */
int fo_mock_origins_dump(fo_buf *out, const fo_mock_version *v, const char *section) FO_WARN_UNUSED;

/* ---- the server ---------------------------------------------------------------------- */

typedef struct fo_mock_options {
    const char *listen;      /* "127.0.0.1:PORT" or "[::1]:PORT"; loopback only */
    const char *write_state; /* NULL or a file rewritten after every change and at stop */
    const char *log_path;    /* NULL or the request log (appended) */
    fo_mock_token *tokens;   /* none = any non-empty key is a global token */
    size_t ntokens;
    fo_mock_fault *faults;
    size_t nfaults;
    long rate_budget; /* writes per window */
    long rate_window; /* seconds */
    fo_mock_dump_style diff_style;
    bool locked_comments; /* --locked-comments: Fastly's answer there is not recorded */
} fo_mock_options;

/* Frees the tokens and faults the options own (not the strings, which are borrowed). */
void fo_mock_options_free(fo_mock_options *opts);

typedef struct fo_mock_server fo_mock_server;

/* Starts serving `state` on its own threads. Takes ownership of state and of the tokens
 * and faults arrays in opts (also on failure). FO_EINVAL for a bad or non-loopback
 * address, FO_EIO when the log cannot be opened or the port cannot be bound. */
int fo_mock_server_start(fo_mock_server **out, fo_mock_state *state, fo_mock_options *opts,
                         fo_error *err) FO_WARN_UNUSED;
/* The bound port (the kernel's choice for port 0). */
unsigned fo_mock_server_port(const fo_mock_server *server);
/* Stops serving (waiting for requests in flight), writes the state when asked to and
 * frees everything. FO_EIO when the final state write failed. Accepts NULL. */
int fo_mock_server_stop(fo_mock_server *server, fo_error *err);

#endif
