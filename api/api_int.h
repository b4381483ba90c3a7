/* api/api_int.h: what the api module's files share and nobody else sees.
 * Still free of curl and jansson types: http.c and model.c keep those. */
#ifndef FO_API_INTERNAL_H
#define FO_API_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/api.h"

struct fo_api_token_cache {
    pthread_mutex_t lock;
    fo_token_info *token; /* NULL until read */
    bool shared;          /* made by fo_api_token_cache_new (its lock initialised) */
};

struct fo_api {
    char *base_url; /* without a trailing slash */
    char *token;    /* a secret */
    fo_api_config cfg;
    fo_api_transport transport;
    fo_api_stats stats;
    char **write_checked; /* services whose write access /tokens/self confirmed */
    size_t write_checked_count;
    fo_api_token_cache own_token; /* when cfg.token_cache is NULL */
    unsigned long long rng;       /* jitter for backoff */
};

/* ---- form.c: encoding exactly as go-fastly's url.Values.Encode ---------- */

typedef struct fo_form_field {
    const char *key;
    const char *value; /* NULL is sent as `key=` (clears the field) */
} fo_form_field;

/* A token goes into a header line: only visible ASCII (config.c). */
bool fo_api_token_is_clean(const char *token);
/* The token the official Fastly CLI stores: `fastly auth token`, else (an older CLI) `fastly
 * profile token`, run from PATH with stdin from /dev/null, for at most 5 s in all
 * (cli_token.c). Returns 0 and a new string (wipe it with fo_secret_free), FO_ENOTFOUND (no
 * fastly program), FO_EINVAL (the CLI has no token or printed something else: the message
 * quotes its stderr, never its output), FO_ETIMEOUT, FO_EIO, FO_ENOMEM. */
int fo_api_token_from_cli(char **out, fo_error *err) FO_WARN_UNUSED;

/* Appends fields to out sorted by key, each key and value escaped as Go's
 * url.QueryEscape does. FO_ENOMEM. */
int fo_api_form_encode(fo_buf *out, const fo_form_field *fields, size_t count) FO_WARN_UNUSED;

/* Appends a path built from fmt, where %s is a path segment escaped as Go's
 * url.PathEscape does and %ld a long; nothing else is allowed. FO_ENOMEM. */
int fo_api_path(fo_buf *out, const char *fmt, ...) FO_WARN_UNUSED;
int fo_api_pathv(fo_buf *out, const char *fmt, va_list ap) FO_WARN_UNUSED;

/* ---- model.c: JSON into the model (the only file with jansson) ---------- */

int fo_api_parse_backend(fo_backend **out, const char *json, size_t len,
                         fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_backend_list(fo_backend_list **out, const char *json, size_t len,
                              fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_version(fo_version **out, const char *json, size_t len,
                         fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_version_list(fo_version_list **out, const char *json, size_t len,
                              fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_service_details(fo_service **out, const char *json, size_t len,
                                 fo_error *err) FO_WARN_UNUSED;
/* Frees what a service holds, not the struct itself (an element of a list). */
void fo_api_service_clear(fo_service *s);
/* Appends one page of GET /service to list. */
int fo_api_parse_service_page(fo_service_list *list, const char *json, size_t len,
                              fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_validation(fo_validation **out, const char *json, size_t len,
                            fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_diff(fo_diff **out, const char *json, size_t len, fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_vcl(fo_custom_vcl **out, const char *json, size_t len,
                     fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_vcl_list(fo_custom_vcl_list **out, const char *json, size_t len,
                          fo_error *err) FO_WARN_UNUSED;
/* Snippets and pools: one object (list false) or a bare array of them. */
int fo_api_parse_snippets(fo_snippet_list **out, const char *json, size_t len, bool list,
                          fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_pools(fo_pool_list **out, const char *json, size_t len, bool list,
                       fo_error *err) FO_WARN_UNUSED;
/* One snippet or pool object. */
int fo_api_parse_snippet(fo_snippet **out, const char *json, size_t len,
                         fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_pool(fo_pool **out, const char *json, size_t len, fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_pool_servers(fo_pool_server_list **out, const char *json, size_t len,
                              fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_ip_list(fo_ip_list **out, const char *json, size_t len,
                         fo_error *err) FO_WARN_UNUSED;
int fo_api_parse_token(fo_token_info **out, const char *json, size_t len,
                       fo_error *err) FO_WARN_UNUSED;

/* Reads an error body ({"msg","detail"} or {"errors":[{"title","detail"}]})
 * into out as "msg: detail"; false when the body is not one of those. */
bool fo_api_error_text(char *out, size_t out_size, const char *json, size_t len);

/* Whether url can be the API's base: https, or plain http to a loopback host only, with a
 * host, no credentials, query, fragment or control character. 0, or FO_EINVAL saying why. */
int fo_api_check_base_url(const char *url, fo_error *err);

/* ---- client.c: one call with retries, error mapping, counters, logs ----- */

typedef enum fo_api_method { FO_GET, FO_PUT } fo_api_method;

/* Sends method path_query (form_body NULL: no body) and on a 2xx hands the
 * response to the caller in *out (fo_api_response_clear it). Reads are
 * retried; a 429 near its reset is waited out; other statuses become errors.
 * For a write whose outcome is unknown, *out_unknown is set and the error
 * returned. */
int fo_api_call(fo_api *api, fo_api_method method, const char *path_query, const char *form_body,
                fo_api_response *out, bool *out_unknown, fo_error *err) FO_WARN_UNUSED;

/* GET of a path built as fo_api_path builds it. */
int fo_api_get(fo_api *api, fo_api_response *out, fo_error *err, const char *fmt,
               ...) FO_WARN_UNUSED;

/* Checks what every call names: a service id, a version number, a record name. */
int fo_api_check_args(const char *service_id, long version, const char *name,
                      fo_error *err) FO_WARN_UNUSED;

/* text without the white space around it (' ', tab, CR, LF): the start, with the end cut in
 * place. How a token file and the Fastly CLI's output are read. */
char *fo_api_token_trim(char *text);

/* Redacts the token wherever it appears in err's message. */
void fo_api_scrub_error(const fo_api *api, fo_error *err);

/* Whether the backend (or pool) JSON already holds every change (tolerant comparison:
 * 1 == true == "1", 443 == "443", null == "" == a clear): 1 or 0, or -1 when json is not a
 * JSON object, which says nothing either way. */
int fo_api_backend_matches(const char *json, size_t len, const fo_backend_change *changes,
                           size_t count);

#endif
