/* fixorigin/api.h: the Fastly REST client, the whole interface of the api module.
 *
 * Plain structs in, plain structs out: no curl or jansson types here. One
 * function per endpoint fixorigin uses (FASTLY.md's table). Reads are retried
 * on connection errors and 5xx; writes never are: when a write's outcome is
 * unknown the client reads the state back to learn whether it happened.
 *
 * A fo_api is not thread-safe (one connection, one set of counters): use one
 * per thread. */
#ifndef FO_API_H
#define FO_API_H

#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/fo.h"

#define FO_API_DEFAULT_BASE_URL "https://api.fastly.com"

/* ---- The transport seam ------------------------------------------------ */

/* One HTTP request, as the client hands it to a transport. Everything is
 * borrowed for the duration of the call. */
typedef struct fo_api_request {
    const char *method;       /* "GET", "PUT" */
    const char *url;          /* absolute: base URL, escaped path, query */
    const char *token;        /* the Fastly-Key header's value: a secret */
    const char *user_agent;   /* "fixorigin/" FO_VERSION */
    const char *content_type; /* NULL when there is no body */
    const char *body;         /* NULL or the form-encoded body */
    size_t body_len;
    bool is_write;   /* not a GET: the transport must not replay it by itself */
    long timeout_ms; /* this attempt's whole time, when shorter than the transport's; 0 = its own */
    long stall_ms;   /* give up when under 100 bytes/s flow for this long; 0 = never */
} fo_api_request;

/* What a transport learnt from one exchange. The client zero-initialises it
 * and frees it (fo_api_response_clear). */
typedef struct fo_api_response {
    long status;                   /* HTTP status; 0 when none arrived */
    fo_buf body;                   /* the response body */
    long long ratelimit_remaining; /* Fastly-RateLimit-Remaining, -1 when absent */
    long long ratelimit_reset;     /* Fastly-RateLimit-Reset (epoch s), -1 when absent */
    char *link;                    /* the Link header (pagination), NULL when absent */
    bool maybe_delivered;          /* on failure: the server may have received the request */
    bool too_large;                /* on failure: the body passed the size limit (no retry) */
} fo_api_response;

void fo_api_response_clear(fo_api_response *resp);

/* A transport sends one request and fills resp. It returns 0 when an HTTP
 * response arrived, whatever its status, or a negative FO_E* code with a
 * message in err when none did: FO_ERESOLVE, FO_ECONNECT, FO_ETIMEOUT, FO_ETLS,
 * FO_EPROTO (malformed or oversized response). On failure it sets
 * resp->maybe_delivered unless the request certainly never left. */
typedef struct fo_api_transport {
    int (*send)(void *ctx, const fo_api_request *req, fo_api_response *resp, fo_error *err);
    void (*destroy)(void *ctx); /* may be NULL */
    void *ctx;
} fo_api_transport;

/* The libcurl transport: one reused connection, connect and total timeouts, TLS
 * verification always on (ca_file NULL: the system's trust store), the proxy
 * environment honoured, no redirects, bodies larger than max_body_bytes
 * refused. Writes go on a fresh connection so libcurl never re-sends one by
 * itself. On success *out is owned by the caller (pass it to fo_api_new).
 * FO_ENOMEM. */
int fo_api_http_transport_new(fo_api_transport *out, const char *ca_file, long connect_timeout_ms,
                              long timeout_ms, size_t max_body_bytes) FO_WARN_UNUSED;

/* ---- Configuration -------------------------------------------------------- */

/* Sleeps ms milliseconds; tests replace it to run retries instantly. */
typedef void (*fo_api_sleep_fn)(void *ctx, long ms);
/* Wall-clock time in seconds since the epoch (rate-limit resets are epoch s). */
typedef long long (*fo_api_clock_fn)(void *ctx);

typedef struct fo_api_config {
    const char *base_url;       /* NULL: FO_API_DEFAULT_BASE_URL. Plain http only to loopback */
    const char *token;          /* required; copied, and the copy wiped on free */
    const char *ca_file;        /* NULL: system trust store (curl transport only) */
    long connect_timeout_ms;    /* default 10000 */
    long timeout_ms;            /* whole request; default 60000 */
    size_t max_body_bytes;      /* default 64 MiB */
    int read_retries;           /* extra attempts for a read; default 4 */
    long backoff_initial_ms;    /* first retry delay; default 500 */
    long backoff_max_ms;        /* cap of one delay; default 8000 */
    long ratelimit_max_wait_ms; /* wait for a 429's reset only if it is this near; 60000 */
    /* Bounds against an API that answers late, slowly or without end (docs/reliability.md). */
    long deadline_ms;      /* one call, all its attempts, backoffs and waits; default 120000 */
    long stall_ms;         /* an attempt moving under 100 bytes/s this long ends; 30000 */
    long list_max_pages;   /* pages of GET /service; default 1000 */
    size_t list_max_items; /* services in that listing; default 100000 */
    long list_deadline_ms; /* the whole listing; default 600000 */
    /* What GET /tokens/self said, shared by the clients of one run (scan's readers and
     * workers), so the token is read once per run; NULL: once per client. Not owned. */
    struct fo_api_token_cache *token_cache;
    fo_log_fn log; /* method, path, status, ms: never headers or bodies */
    void *log_ctx;
    const fo_api_transport *transport; /* NULL: the curl transport; else taken over */
    fo_api_sleep_fn sleep;             /* NULL: nanosleep */
    fo_api_clock_fn clock;             /* NULL: time() */
    void *clock_ctx;                   /* passed to sleep and clock */
} fo_api_config;

/* Fills cfg with the defaults above (token NULL). */
void fo_api_config_init(fo_api_config *cfg);

/* The longest service id fixorigin accepts (Fastly's own are 22 characters). */
#define FO_API_ID_MAX 64

/* True when id is 1-FO_API_ID_MAX letters, digits, '_' or '-': a service id that can go into
 * a URL path unescaped and that no terminal or chat message could misread. */
bool fo_api_service_id_valid(const char *id);

/* Reads the settings the official CLI reads: the token from token_file when
 * not NULL, else FASTLY_API_TOKEN, else FASTLY_API_KEY; the base URL from
 * FASTLY_API_ENDPOINT, else FASTLY_API_URL. On success *out_token is a copy the
 * caller wipes with fo_secret_free and cfg->token points at it; cfg->base_url
 * points into the environment when set there. The bounds come from FIXORIGIN_API_DEADLINE_MS,
 * _STALL_MS, _MAX_PAGES, _MAX_SERVICES, _LIST_DEADLINE_MS and _MAX_BODY when set
 * (docs/reliability.md). FO_EINVAL (no token: the message names the variables; an empty or
 * unreadable token file; a bound out of range), FO_EIO, FO_ENOMEM. */
int fo_api_config_from_env(fo_api_config *cfg, char **out_token, const char *token_file,
                           fo_error *err) FO_WARN_UNUSED;

typedef struct fo_api fo_api;

/* Creates a client. Takes over cfg->transport (destroyed with the client, also
 * on failure). FO_EINVAL (no token, a base URL that is not https, or http to a
 * host that is not loopback), FO_ENOMEM. */
int fo_api_new(fo_api **out, const fo_api_config *cfg, fo_error *err) FO_WARN_UNUSED;
/* A client for one worker thread of many (a fo_api is not thread-safe): fo_api_new with cfg's
 * settings but cfg->transport ignored, so that each client gets a libcurl handle of its own
 * (a given transport is taken over by one client only). The clients share cfg->token_cache. */
int fo_api_new_for_thread(fo_api **out, const fo_api_config *cfg, fo_error *err) FO_WARN_UNUSED;
/* Frees the client and wipes its copy of the token; accepts NULL. */
void fo_api_free(fo_api *api);

typedef struct fo_api_stats {
    unsigned requests;             /* HTTP exchanges attempted, retries included */
    unsigned writes;               /* of those, non-GET */
    unsigned retries;              /* reads sent again */
    long long ratelimit_remaining; /* last Fastly-RateLimit-Remaining: writes left, -1 unknown */
    long long ratelimit_reset;     /* when that budget refills (epoch s), -1 unknown */
} fo_api_stats;

void fo_api_get_stats(const fo_api *api, fo_api_stats *out);

/* ---- The model --------------------------------------------------------------
 * Strings are NULL when Fastly says null or "" (both mean unset). Integers
 * are -1 when absent. */

typedef struct fo_backend {
    char *name;
    char *address;
    long port;
    bool use_ssl;
    bool ssl_check_cert; /* Fastly's default is true */
    char *ssl_cert_hostname;
    char *ssl_sni_hostname;
    char *ssl_hostname; /* deprecated, still returned */
    char *ssl_ca_cert;
    char *ssl_client_cert;
    char *ssl_client_key; /* a secret: wiped on free, never print it */
    char *ssl_ciphers;
    char *min_tls_version;
    char *max_tls_version;
    char *override_host;
    long connect_timeout; /* milliseconds */
    int prefer_ipv6;      /* 1 or 0 as the response says, -1 when it does not; read only:
                           * service details make it 1 for Compute services, their default */
    long first_byte_timeout;
    long between_bytes_timeout;
    char *shield;
    char *comment;
} fo_backend;

void fo_backend_free(fo_backend *b);

typedef struct fo_backend_list {
    fo_backend *items;
    size_t count;
} fo_backend_list;

void fo_backend_list_free(fo_backend_list *l);

/* ---- Backend fields: one table (api/backend_fields.c) -------------------------------- */

/* How a backend field's value is spelt and shown. */
typedef enum fo_field_kind {
    FO_FIELD_TEXT,   /* a name or a string */
    FO_FIELD_NUMBER, /* decimal: "1000" */
    FO_FIELD_BOOL,   /* "true" / "false" (the form: 1 / 0) */
    FO_FIELD_PEM,    /* certificates: shown as subject and SHA-256, never whole */
    FO_FIELD_SECRET, /* ssl_client_key: shown as set/unset only */
} fo_field_kind;

/* Where fo_backend keeps a field. */
typedef enum fo_field_slot {
    FO_SLOT_NONE,     /* not kept: only the form writer knows the field */
    FO_SLOT_STRING,   /* char *, NULL when unset */
    FO_SLOT_LONG,     /* long, -1 when unset */
    FO_SLOT_BOOL,     /* bool */
    FO_SLOT_TRISTATE, /* int: 1, 0, or -1 when the response does not say */
} fo_field_slot;

/* What uses a field besides the parser and the form writer. */
enum {
    FO_FIELD_PLANNED = 1,   /* the planner reads, sets and compares it */
    FO_FIELD_SHOWN = 2,     /* `fixorigin show` prints it */
    FO_FIELD_TERRAFORM = 4, /* terraform-provider-fastly's backend block has it, same spelling */
};

typedef struct fo_backend_field {
    const char *name; /* Fastly's spelling: a read's JSON key, a write's form field */
    fo_field_kind kind;
    fo_field_slot slot;
    size_t offset;    /* offsetof(fo_backend, ...) unless FO_SLOT_NONE */
    int absent;       /* FO_SLOT_BOOL, _TRISTATE: the value when a response does not say */
    unsigned uses;    /* FO_FIELD_PLANNED | FO_FIELD_SHOWN | FO_FIELD_TERRAFORM */
    const char *unit; /* show: after a number ("ms"); NULL */
    const char *pool; /* a pool's field for it ("tls_cert_hostname"); NULL: pools have none */
} fo_backend_field;

/* Every backend field Fastly has: those fo_backend keeps first, in the order show prints
 * them, then those only the form writer knows. count gets its length. Static. */
const fo_backend_field *fo_backend_fields(size_t *count);
/* The field spelt name, or NULL. */
const fo_backend_field *fo_backend_field_find(const char *name);
/* A kept field of b, by its slot (the field's slot must be the one named). */
char **fo_backend_text_slot(fo_backend *b, const fo_backend_field *f);
long *fo_backend_long_slot(fo_backend *b, const fo_backend_field *f);
bool *fo_backend_bool_slot(fo_backend *b, const fo_backend_field *f);
int *fo_backend_tristate_slot(fo_backend *b, const fo_backend_field *f);
const char *fo_backend_text(const fo_backend *b, const fo_backend_field *f);
long fo_backend_long(const fo_backend *b, const fo_backend_field *f);
bool fo_backend_bool(const fo_backend *b, const fo_backend_field *f);

typedef struct fo_version {
    long number;
    bool active;
    bool locked;
    bool deployed;
    bool staging;
    bool testing;
    char *comment;
    char *created_at; /* "2022-11-04T17:45:17Z" */
    char *updated_at;
    char *service_id;
    char *msg; /* activate only: the compiler's warnings */
} fo_version;

void fo_version_free(fo_version *v);

typedef struct fo_version_list {
    fo_version *items; /* ascending by number, as Fastly lists them */
    size_t count;
} fo_version_list;

void fo_version_list_free(fo_version_list *l);

/* A version's configuration read as plain data, without knowing any section's shape, so
 * that two versions can be compared field by field whatever Fastly adds to them. */
typedef struct fo_config_field {
    char *name;
    /* NULL for null and ""; "true"/"false"; numbers in decimal; strings as they are; objects
     * and arrays as compact JSON with sorted keys. May hold a secret (ssl_client_key): wiped
     * on free, never printed. */
    char *value;
} fo_config_field;

typedef struct fo_config_item {
    fo_config_field *fields; /* in the order Fastly sent them */
    size_t field_count;
} fo_config_item;

typedef struct fo_config_section {
    char *name; /* the key in the version object ("backends", "settings"), or "version" for
                   the version's own scalar fields (number, comment, locked, ...) */
    bool list;  /* a JSON array, one item per element (an element that is not an object is
                   an item with one field named ""); false: one object, one item */
    fo_config_item *items;
    size_t item_count;
} fo_config_section;

/* A version with its configuration, as service details returns it. */
typedef struct fo_version_config {
    fo_version version;
    fo_backend *backends;
    size_t backend_count;
    char **domains; /* domain names: candidates for a safe certificate hostname */
    size_t domain_count;
    fo_config_section *sections; /* every key of the version object, in the order sent */
    size_t section_count;
    /* How many custom VCL files and snippets details lists: -1 when it does not say (an
     * absent or null key), so only a said 0 spares reading them. */
    long vcl_count;
    long snippet_count;
} fo_version_config;

/* Frees a version configuration (service details own theirs); accepts NULL. */
void fo_version_config_free(fo_version_config *c);

typedef struct fo_service {
    char *id;
    char *name;
    char *type; /* "vcl", "wasm" */
    char *comment;
    long active_version; /* 0 when no version is active */
    long latest_version; /* highest version number, 0 when unknown */
    fo_version *versions;
    size_t version_count;
    /* service details only (NULL in lists): the version asked for, else the
     * active one, else the latest; and the active one when there is one. */
    fo_version_config *version;
    fo_version_config *active;
} fo_service;

void fo_service_free(fo_service *s);

typedef struct fo_service_list {
    fo_service *items;
    size_t count;
} fo_service_list;

void fo_service_list_free(fo_service_list *l);

typedef struct fo_validation {
    bool ok;
    char *msg; /* Fastly's message, errors joined by "; "; NULL when ok and silent */
} fo_validation;

void fo_validation_free(fo_validation *v);

typedef struct fo_diff {
    long from;
    long to;
    char *text; /* ssl_client_key values replaced by "[redacted]" */
} fo_diff;

void fo_diff_free(fo_diff *d);

/* A custom VCL file of a version, as the API gives it (fixorigin/vcl.h reads its text). */
typedef struct fo_custom_vcl {
    char *name;
    char *content;
    bool main;
} fo_custom_vcl;

void fo_custom_vcl_free(fo_custom_vcl *v);

typedef struct fo_custom_vcl_list {
    fo_custom_vcl *items;
    size_t count;
} fo_custom_vcl_list;

void fo_custom_vcl_list_free(fo_custom_vcl_list *l);

/* A VCL snippet. Versioned ones belong to a version; dynamic ones (dynamic true) are
 * versionless: the versioned listing shows them with content NULL, and their content is
 * read and written at /service/{id}/snippet/{id}, taking effect at once. */
typedef struct fo_snippet {
    char *id;
    char *name;
    char *type;    /* init, recv, ..., none */
    char *content; /* NULL when the listing leaves it out (dynamic snippets) */
    bool dynamic;
    long priority; /* -1 when absent */
} fo_snippet;

void fo_snippet_free(fo_snippet *s);

typedef struct fo_snippet_list {
    fo_snippet *items;
    size_t count;
} fo_snippet_list;

void fo_snippet_list_free(fo_snippet_list *l);

/* A load-balancer pool: its servers (versionless) inherit its TLS settings. */
typedef struct fo_pool {
    char *id;
    char *name;
    bool use_tls;
    bool tls_check_cert; /* Fastly's default is true */
    char *tls_cert_hostname;
    char *tls_sni_hostname;
    char *tls_ca_cert;
    char *tls_client_cert;
    char *tls_client_key; /* a secret: wiped on free, never print it */
    char *tls_ciphers;
    char *min_tls_version;
    char *max_tls_version;
    char *override_host;
    long connect_timeout; /* milliseconds, -1 when absent */
    long first_byte_timeout;
    long between_bytes_timeout;
} fo_pool;

void fo_pool_free(fo_pool *p);

typedef struct fo_pool_list {
    fo_pool *items;
    size_t count;
} fo_pool_list;

void fo_pool_list_free(fo_pool_list *l);

typedef struct fo_pool_server {
    char *id;
    char *address;
    long port; /* -1 when absent */
    bool disabled;
} fo_pool_server;

typedef struct fo_pool_server_list {
    fo_pool_server *items;
    size_t count;
} fo_pool_server_list;

void fo_pool_server_list_free(fo_pool_server_list *l);

typedef struct fo_ip_list {
    char **ipv4; /* CIDRs an origin firewall must allow */
    size_t ipv4_count;
    char **ipv6;
    size_t ipv6_count;
} fo_ip_list;

void fo_ip_list_free(fo_ip_list *l);

typedef struct fo_token_info {
    char *name;
    char *scope;     /* space-separated: "global", "global:read purge_all" */
    char **services; /* the services it is limited to; none = every service */
    size_t service_count;
    char *expires_at;
} fo_token_info;

void fo_token_info_free(fo_token_info *t);

/* A run's memory of GET /tokens/self, for fo_api_config.token_cache: thread-safe. A failed
 * read is not remembered (the next write asks again). Returns 0 or FO_ENOMEM. */
typedef struct fo_api_token_cache fo_api_token_cache;
int fo_api_token_cache_new(fo_api_token_cache **out) FO_WARN_UNUSED;
void fo_api_token_cache_free(fo_api_token_cache *cache);

/* One field of a backend update: value NULL clears the field (`key=`). */
typedef struct fo_backend_change {
    const char *field; /* a backend form field: "ssl_cert_hostname", "port", ... */
    const char *value; /* booleans: "1"/"0"/"true"/"false" (sent as 1/0) */
} fo_backend_change;

/* ---- Reads ----------------------------------------------------------------
 * Each returns 0 and a new object in *out that the caller frees, or a negative
 * code: FO_EAUTH (401/403), FO_ENOTFOUND (404, or Fastly's 400 for an unknown
 * service), FO_ERATELIMIT (429 not near its reset), FO_EHTTP (other statuses),
 * FO_EPROTO (a malformed response), or a transport's code once retries are
 * spent. The message is one line: "Fastly API: 404 Record not found: ...". */

/* GET /service/{id}/details[?version=N]; version 0 = Fastly's choice. */
int fo_api_service_details(fo_api *api, fo_service **out, const char *service_id, long version,
                           fo_error *err) FO_WARN_UNUSED;
/* GET /service, every page. */
int fo_api_service_list(fo_api *api, fo_service_list **out, fo_error *err) FO_WARN_UNUSED;
/* The id of the one service named name (compared exactly), by the service listing: 0 and the
 * id in out, FO_EINVAL when no service or more than one has that name (the message names
 * them, or a service whose name differs only in case), or the listing's code. */
int fo_api_service_by_name(fo_api *api, char out[FO_API_ID_MAX + 1], const char *name,
                           fo_error *err) FO_WARN_UNUSED;
int fo_api_version_list(fo_api *api, fo_version_list **out, const char *service_id,
                        fo_error *err) FO_WARN_UNUSED;
int fo_api_version_get(fo_api *api, fo_version **out, const char *service_id, long version,
                       fo_error *err) FO_WARN_UNUSED;
/* GET .../validate: a version that does not compile is *out->ok false with
 * Fastly's message, not an error. */
int fo_api_version_validate(fo_api *api, fo_validation **out, const char *service_id, long version,
                            fo_error *err) FO_WARN_UNUSED;
int fo_api_backend_get(fo_api *api, fo_backend **out, const char *service_id, long version,
                       const char *name, fo_error *err) FO_WARN_UNUSED;
int fo_api_backend_list(fo_api *api, fo_backend_list **out, const char *service_id, long version,
                        fo_error *err) FO_WARN_UNUSED;
/* GET /service/{id}/diff/from/{a}/to/{b}?format=text, ssl_client_key redacted. */
int fo_api_diff(fo_api *api, fo_diff **out, const char *service_id, long from, long to,
                fo_error *err) FO_WARN_UNUSED;
int fo_api_vcl_list(fo_api *api, fo_custom_vcl_list **out, const char *service_id, long version,
                    fo_error *err) FO_WARN_UNUSED;
int fo_api_vcl_get(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                   const char *name, fo_error *err) FO_WARN_UNUSED;
/* The VCL the edge really runs; *out->name is NULL. */
int fo_api_generated_vcl(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                         fo_error *err) FO_WARN_UNUSED;
/* GET .../version/{n}/snippet: versioned and dynamic snippets alike (a dynamic one's
 * content is NULL here). */
int fo_api_snippet_list(fo_api *api, fo_snippet_list **out, const char *service_id, long version,
                        fo_error *err) FO_WARN_UNUSED;
int fo_api_snippet_get(fo_api *api, fo_snippet **out, const char *service_id, long version,
                       const char *name, fo_error *err) FO_WARN_UNUSED;
/* GET /service/{id}/snippet/{snippet_id}: a dynamic snippet's current content. */
int fo_api_dynamic_snippet_get(fo_api *api, fo_snippet **out, const char *service_id,
                               const char *snippet_id, fo_error *err) FO_WARN_UNUSED;
/* GET .../version/{n}/pool. */
int fo_api_pool_list(fo_api *api, fo_pool_list **out, const char *service_id, long version,
                     fo_error *err) FO_WARN_UNUSED;
int fo_api_pool_get(fo_api *api, fo_pool **out, const char *service_id, long version,
                    const char *name, fo_error *err) FO_WARN_UNUSED;
/* GET /service/{id}/pool/{pool_id}/servers (versionless). */
int fo_api_pool_server_list(fo_api *api, fo_pool_server_list **out, const char *service_id,
                            const char *pool_id, fo_error *err) FO_WARN_UNUSED;
int fo_api_public_ip_list(fo_api *api, fo_ip_list **out, fo_error *err) FO_WARN_UNUSED;
int fo_api_token_self(fo_api *api, fo_token_info **out, fo_error *err) FO_WARN_UNUSED;

/* Checks once per service (GET /tokens/self, read once per client, or once per run with
 * fo_api_config.token_cache) that the token may
 * write to service_id: FO_EAUTH for a read-only token ("global:read", no
 * "global" scope) or one whose services list leaves this service out. Every
 * write below calls it first, so nothing changes with a token that cannot
 * finish the job. */
int fo_api_check_write_access(fo_api *api, const char *service_id, fo_error *err) FO_WARN_UNUSED;

/* ---- Writes ---------------------------------------------------------------
 * Never sent twice blindly. When the outcome is unknown (a timeout, a dropped
 * connection, a 5xx, a 2xx whose body is unreadable) the client re-reads the
 * state: if the change is there the call succeeds; if it is not, the call
 * fails with the write's own code and says that nothing changed; if the
 * re-read fails too, FO_EUNKNOWN. A write that certainly never left (refused
 * connection) is sent again like a read. A 429 is a refusal: when its reset is
 * near the client waits and sends it again.
 * Besides the read codes: FO_ELOCKED (422: the version is locked or active),
 * FO_ECONFLICT (409), FO_EINVAL (bad arguments, nothing sent). */

/* PUT .../version/{n}/clone: creates a draft (*out, unlocked); never
 * activates. Lists the versions first so a lost response can be recovered by
 * finding the one new draft. */
int fo_api_version_clone(fo_api *api, fo_version **out, const char *service_id, long version,
                         fo_error *err) FO_WARN_UNUSED;
/* The same clone, with the versions the caller already read (service details
 * carry them) standing for the list taken before it: no extra request. known
 * must be fresh (read just before), since a lost answer is recovered by
 * finding the one draft numbered above all of them. */
int fo_api_version_clone_known(fo_api *api, fo_version **out, const char *service_id, long version,
                               const fo_version *known, size_t known_count,
                               fo_error *err) FO_WARN_UNUSED;
/* PUT .../version/{n} comment=... */
int fo_api_version_comment(fo_api *api, fo_version **out, const char *service_id, long version,
                           const char *comment, fo_error *err) FO_WARN_UNUSED;
int fo_api_version_lock(fo_api *api, fo_version **out, const char *service_id, long version,
                        fo_error *err) FO_WARN_UNUSED;
/* Activates (and so locks) a version; the previously active one is
 * deactivated by Fastly. *out->msg carries compiler warnings. */
int fo_api_version_activate(fo_api *api, fo_version **out, const char *service_id, long version,
                            fo_error *err) FO_WARN_UNUSED;
int fo_api_version_deactivate(fo_api *api, fo_version **out, const char *service_id, long version,
                              fo_error *err) FO_WARN_UNUSED;
/* PUT .../backend/{name}: a partial update, sent as go-fastly sends it
 * (sorted keys, form escaping, booleans as 1/0, NULL as `key=`). Setting
 * port to 80 or 443 flips use_ssl on Fastly unless use_ssl is in the same
 * request, so such a change without use_ssl is FO_EINVAL. An empty change
 * list is FO_EINVAL (it would spend a write on nothing). */
int fo_api_backend_update(fo_api *api, fo_backend **out, const char *service_id, long version,
                          const char *name, const fo_backend_change *changes, size_t change_count,
                          fo_error *err) FO_WARN_UNUSED;
/* PUT .../vcl/{name} content=... */
int fo_api_vcl_update(fo_api *api, fo_custom_vcl **out, const char *service_id, long version,
                      const char *name, const char *content, fo_error *err) FO_WARN_UNUSED;

/* PUT .../version/{n}/snippet/{name} content=... (a versioned snippet). */
int fo_api_snippet_update(fo_api *api, fo_snippet **out, const char *service_id, long version,
                          const char *name, const char *content, fo_error *err) FO_WARN_UNUSED;
/* PUT /service/{id}/snippet/{snippet_id} content=...: a dynamic snippet, which takes effect
 * at once with no version to roll back to; the caller keeps the old content. */
int fo_api_dynamic_snippet_update(fo_api *api, fo_snippet **out, const char *service_id,
                                  const char *snippet_id, const char *content,
                                  fo_error *err) FO_WARN_UNUSED;
/* PUT .../version/{n}/pool/{name}: a partial update of the pool's fields (tls_cert_hostname,
 * use_tls, ...), sent like fo_api_backend_update. */
int fo_api_pool_update(fo_api *api, fo_pool **out, const char *service_id, long version,
                       const char *name, const fo_backend_change *changes, size_t change_count,
                       fo_error *err) FO_WARN_UNUSED;

/* ---- Other fetches ---------------------------------------------------- */

/* fo_api_fetch_url's flags. */
enum {
    FO_FETCH_ALLOW_LOOPBACK = 1, /* the URL may lead to this machine (127.0.0.0/8, ::1) */
};

/* GET url (http or https only, no token sent, at most 3 redirects, TLS
 * verified against the system's trust store), appending the body to out, bounded to max_bytes
 * and timeout_ms (connect included). For public files such as a certificate's AIA caIssuers
 * URL, which whoever made the certificate chose: every connection (redirects included) goes
 * to a public address only, never a private, link-local (cloud metadata), multicast or
 * reserved one, nor loopback unless flags allow it (a proxy from the environment, when set,
 * is trusted to decide). Returns 0 for a 200 answer; FO_EINVAL (not an http(s) URL),
 * FO_EHTTP (another status), FO_EPROTO (larger than max_bytes), FO_ETIMEOUT, FO_ERESOLVE,
 * FO_ECONNECT (refused, or an address not allowed), FO_ETLS, FO_ENOMEM. The message names
 * the URL. Thread-safe. */
int fo_api_fetch_url(fo_buf *out, const char *url, size_t max_bytes, long timeout_ms,
                     unsigned flags, fo_error *err) FO_WARN_UNUSED;

/* POST body (content_type, e.g. "application/json") to url: http or https only, no token
 * sent, redirects never followed (a redirect is an error), TLS verified against the system's
 * trust store, bounded to timeout_ms (connect included); the answer's body is read (at most
 * 64 KiB) and dropped. For a chat service's reply URL. The caller decides which URLs may be
 * called. Returns 0 for a 2xx answer; FO_EINVAL (not an http(s) URL), FO_EHTTP (another
 * status, in err->http_status), FO_ETIMEOUT, FO_ERESOLVE, FO_ECONNECT, FO_ETLS, FO_EPROTO,
 * FO_ENOMEM. The message names the URL's scheme and host only (a reply URL is a
 * credential). Thread-safe. */
int fo_api_post_url(const char *url, const char *content_type, const char *body, size_t body_len,
                    long timeout_ms, fo_error *err) FO_WARN_UNUSED;

#endif
