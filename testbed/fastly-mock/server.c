/* The HTTP side of fastly-mock on libmicrohttpd: one thread per connection so injected
 * delays never stall other clients; one lock around the state, the fault counters, the
 * write budget and the request log, so every request sees and leaves a consistent state.
 * Order per request: fault rules (before-faults answer here), authentication, the write
 * budget, the route, after-faults, the log line. The Fastly-Key header is read for the
 * comparison only: it is never logged, echoed or kept. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mock.h"

#define MAX_BODY (4 * 1024 * 1024)
#define MAX_SEGMENTS 16

struct fo_mock_server {
    pthread_mutex_t lock;
    fo_mock_state *state;
    fo_mock_options opts; /* owns tokens and faults */
    FILE *log;
    time_t rate_reset; /* end of the current window, epoch seconds */
    long rate_used;
    struct MHD_Daemon *daemon;
    unsigned port;
    char fallback_base[80];
    atomic_bool stopping;
};

typedef struct request {
    char *target; /* the raw request target: path and query as sent */
    fo_buf body;
    bool started;
    bool too_large;
} request;

/* What the fault rules decided for one request. */
typedef struct fault_hit {
    bool hit;
    fo_mock_fault rule; /* a copy without its glob */
} fault_hit;

/* ---- small helpers ---- */

static void sleep_ms(fo_mock_server *srv, long ms)
{
    /* In slices, so a stop does not wait for a long injected delay. */
    double end = fo_now_ms() + (double)ms;
    while (!atomic_load(&srv->stopping) && fo_now_ms() < end) {
        double left = end - fo_now_ms();
        long slice = left > 50 ? 50 : (long)left + 1;
        struct timespec ts = {0, slice * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static bool is_loopback(const struct sockaddr *sa)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in in;
        memcpy(&in, sa, sizeof(in));
        return fo_ip_is_loopback(AF_INET, (const unsigned char *)&in.sin_addr);
    }
    if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 in6;
        memcpy(&in6, sa, sizeof(in6));
        return fo_ip_is_loopback(AF_INET6, in6.sin6_addr.s6_addr);
    }
    return false;
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
    return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* The configured token matching key (constant-time per candidate); *index its position.
 * With no tokens configured any non-empty key passes as a global token. */
static bool authenticate(const fo_mock_server *srv, const char *key, const fo_mock_token **token,
                         size_t *index)
{
    *token = NULL;
    *index = 0;
    if (fo_str_empty(key))
        return false;
    if (srv->opts.ntokens == 0)
        return true;
    size_t key_len = strlen(key);
    bool found = false;
    for (size_t i = 0; i < srv->opts.ntokens; i++) {
        const fo_mock_token *t = &srv->opts.tokens[i];
        if (strlen(t->token) == key_len && CRYPTO_memcmp(t->token, key, key_len) == 0 && !found) {
            *token = t;
            *index = i;
            found = true;
        }
    }
    return found;
}

static bool scope_has(const char *scope, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = scope; *p;) {
        size_t len = strcspn(p, " ");
        if (len == n && strncmp(p, word, n) == 0)
            return true;
        p += len + (p[len] == ' ');
    }
    return false;
}

/* Renews the window when it has passed. The caller holds the lock. */
static void rate_refresh(fo_mock_server *srv)
{
    time_t now = time(NULL);
    if (now >= srv->rate_reset) {
        srv->rate_reset = now + srv->opts.rate_window;
        srv->rate_used = 0;
    }
}

static int split_target(const char *target, char **path, char **query)
{
    const char *q = strchr(target, '?');
    size_t path_len = q ? (size_t)(q - target) : strlen(target);
    *path = strndup(target, path_len);
    *query = strdup(q ? q + 1 : "");
    return *path && *query ? 0 : FO_ENOMEM;
}

/* Decoded segments of a path ("/a/b%20c" -> "a", "b c"); false when malformed. */
static bool split_path(const char *path, char **segments, size_t *n, char *storage, size_t size)
{
    *n = 0;
    if (path[0] != '/' || strlen(path) >= size)
        return false;
    strcpy(storage, path + 1);
    char *p = storage;
    if (*p == '\0')
        return true;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (*n == MAX_SEGMENTS || fo_mock_unescape_segment(p) != 0)
            return false;
        segments[(*n)++] = p;
        if (!slash)
            return true;
        p = slash + 1;
    }
}

/* ---- the request log ---- */

/* Jansson only takes valid UTF-8; a body that is not gets its high bytes as '?'. */
static json_t *log_string(const char *s, size_t len)
{
    json_t *value = json_stringn(s, len);
    if (value)
        return value;
    char *copy = malloc(len + 1);
    if (!copy)
        return json_null();
    for (size_t i = 0; i < len; i++)
        copy[i] = (unsigned char)s[i] < 0x80 ? s[i] : '?';
    value = json_stringn(copy, len);
    free(copy);
    return value ? value : json_null();
}

/* A copy of a form body with every ssl_client_key value replaced by "[redacted]": the
 * key is a secret and the log is a test artifact. NULL when out of memory. */
static char *redact_form(const char *body, size_t len)
{
    static const char key[] = "ssl_client_key=";
    fo_buf out = {0};
    size_t i = 0;
    while (i < len) {
        size_t end = i;
        while (end < len && body[end] != '&')
            end++;
        bool secret = end - i >= sizeof(key) - 1 && memcmp(body + i, key, sizeof(key) - 1) == 0;
        int rc = secret ? fo_buf_puts(&out, "ssl_client_key=[redacted]")
                        : fo_buf_append(&out, body + i, end - i);
        if (rc == 0 && end < len)
            rc = fo_buf_puts(&out, "&");
        if (rc != 0) {
            fo_buf_clear(&out);
            return NULL;
        }
        i = end + 1;
    }
    return fo_buf_steal(&out);
}

/* One JSON object a line; the caller holds the lock. Headers are not logged at all, so
 * the token cannot be; ssl_client_key values are redacted. */
static void log_request(fo_mock_server *srv, const char *method, const char *path,
                        const char *query, const char *content_type, const request *req,
                        unsigned status, const fault_hit *fault)
{
    if (!srv->log)
        return;
    char name[32];
    char *body = redact_form(req->body.data ? req->body.data : "", req->body.len);
    json_t *line =
        json_pack("{s:s,s:s,s:s,s:s?,s:o,s:i}", "method", method, "path", path, "query", query,
                  "content_type", content_type, "body",
                  body ? log_string(body, strlen(body)) : json_null(), "status", (int)status);
    free(body);
    if (line && fault && fault->hit)
        json_object_set_new(line, "fault",
                            json_string(fo_mock_fault_name(&fault->rule, name, sizeof(name))));
    char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text) {
        fprintf(srv->log, "%s\n", text);
        fflush(srv->log);
    }
    free(text);
    json_decref(line);
}

/* ---- responses ---- */

typedef struct truncated {
    char *body;
    size_t half;
} truncated;

static ssize_t truncated_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    truncated *t = cls;
    if (pos >= t->half)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = t->half - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, t->body + pos, n);
    return (ssize_t)n;
}

static void truncated_free(void *cls)
{
    truncated *t = cls;
    free(t->body);
    free(t);
}

static void add_rate_headers(fo_mock_server *srv, struct MHD_Response *resp, bool spent)
{
    char remaining[32], reset[32];
    long left = spent ? 0 : srv->opts.rate_budget - srv->rate_used;
    snprintf(remaining, sizeof(remaining), "%ld", left > 0 ? left : 0);
    snprintf(reset, sizeof(reset), "%lld", (long long)srv->rate_reset);
    MHD_add_response_header(resp, "Fastly-RateLimit-Remaining", remaining);
    MHD_add_response_header(resp, "Fastly-RateLimit-Reset", reset);
}

typedef enum { NO_RATE, RATE, RATE_SPENT } rate_headers;

/* Sends the reply; takes the body text. truncate sends half of it, then closes. */
static enum MHD_Result send_reply(struct MHD_Connection *conn, unsigned status, char *body,
                                  const char *content_type, const char *link, rate_headers rate,
                                  bool truncate, fo_mock_server *srv)
{
    struct MHD_Response *resp;
    size_t len = strlen(body);
    if (truncate) {
        truncated *t = malloc(sizeof(*t));
        if (!t) {
            free(body);
            return MHD_NO;
        }
        t->body = body;
        t->half = len / 2;
        resp = MHD_create_response_from_callback(len, 4096, truncated_reader, t, truncated_free);
        if (!resp)
            truncated_free(t);
    } else {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp)
            free(body);
    }
    if (!resp)
        return MHD_NO;
    MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (link)
        MHD_add_response_header(resp, "Link", link);
    if (rate != NO_RATE)
        add_rate_headers(srv, resp, rate == RATE_SPENT);
    enum MHD_Result rc = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

static char *reply_body(const fo_mock_reply *reply)
{
    if (reply->text)
        return strdup(reply->text);
    return json_dumps(reply->json, JSON_COMPACT | JSON_ENCODE_ANY);
}

static const char *reason(unsigned status)
{
    const char *text = MHD_get_reason_phrase_for(status);
    return text && text[0] ? text : "Error";
}

/* ---- admin endpoints (/__mock/...): not the real API, never logged or counted ---- */

static void admin(fo_mock_server *srv, const char *method, const char *path, const request *req,
                  fo_mock_reply *out)
{
    const char *body = req->body.data ? req->body.data : "";
    fo_error err;
    memset(out, 0, sizeof(*out));
    if (strcmp(path, "/__mock/state") == 0 && strcmp(method, "GET") == 0) {
        out->status = 200;
        out->json = fo_mock_state_to_json(srv->state);
    } else if (strcmp(path, "/__mock/fail") == 0 && strcmp(method, "DELETE") == 0) {
        for (size_t i = 0; i < srv->opts.nfaults; i++)
            fo_mock_fault_clear(&srv->opts.faults[i]);
        srv->opts.nfaults = 0;
        out->status = 200;
        out->json = json_pack("{s:s,s:i}", "status", "ok", "rules", 0);
    } else if (strcmp(path, "/__mock/fail") == 0 && strcmp(method, "POST") == 0) {
        /* One rule a line; all or none are added. */
        char *copy = strdup(body);
        size_t added = 0;
        char *save = NULL;
        for (char *line = copy ? strtok_r(copy, "\r\n", &save) : NULL; line;
             line = strtok_r(NULL, "\r\n", &save)) {
            fo_mock_fault rule;
            if (fo_mock_fault_parse(&rule, line, &err) != 0) {
                fo_mock_reply_error(out, 400, "Bad request", err.msg);
                break;
            }
            fo_mock_fault *grown =
                realloc(srv->opts.faults, (srv->opts.nfaults + 1) * sizeof(*grown));
            if (!grown) {
                fo_mock_fault_clear(&rule);
                fo_mock_reply_error(out, 500, "Internal Server Error", "out of memory");
                break;
            }
            srv->opts.faults = grown;
            srv->opts.faults[srv->opts.nfaults++] = rule;
            added++;
        }
        if (out->status) {
            while (added--)
                fo_mock_fault_clear(&srv->opts.faults[--srv->opts.nfaults]);
        } else if (!added) {
            fo_mock_reply_error(out, 400, "Bad request", "no fault rule in the body");
        } else {
            out->status = 200;
            out->json = json_pack("{s:s,s:i}", "status", "ok", "rules", (int)srv->opts.nfaults);
        }
        free(copy);
    } else if (strcmp(path, "/__mock/rate-limit") == 0 && strcmp(method, "POST") == 0) {
        long budget, window;
        if (fo_mock_rate_parse(&budget, &window, body, &err) != 0) {
            fo_mock_reply_error(out, 400, "Bad request", err.msg);
        } else {
            srv->opts.rate_budget = budget;
            srv->opts.rate_window = window;
            srv->rate_used = 0;
            srv->rate_reset = time(NULL) + window;
            out->status = 200;
            out->json = json_pack("{s:s,s:i,s:I}", "status", "ok", "budget", (int)budget, "reset",
                                  (json_int_t)srv->rate_reset);
        }
    } else {
        fo_mock_reply_error(out, 404, "Record not found", "unknown /__mock endpoint");
    }
}

/* ---- the API ---- */

static fault_hit match_faults(fo_mock_server *srv, const char *method, const char *path)
{
    fault_hit hit = {0};
    for (size_t i = 0; i < srv->opts.nfaults; i++) {
        if (fo_mock_fault_hit(&srv->opts.faults[i], method, path) && !hit.hit) {
            hit.hit = true;
            hit.rule = srv->opts.faults[i];
            hit.rule.glob = NULL; /* the rule may be cleared at run time meanwhile */
        }
    }
    return hit;
}

static void status_reply(fo_mock_reply *out, unsigned status, const char *detail)
{
    fo_mock_reply_clear(out);
    fo_mock_reply_error(out, status, reason(status), detail);
}

static void html_reply(fo_mock_reply *out, unsigned status)
{
    char page[256];
    fo_mock_reply_clear(out);
    snprintf(page, sizeof(page),
             "<html><head><title>%u %s</title></head><body><h1>%s</h1></body></html>\n", status,
             reason(status), reason(status));
    out->status = status;
    out->text = strdup(page);
}

/* Authentication, the write budget, the route. The caller holds the lock. */
static void serve_api(fo_mock_server *srv, struct MHD_Connection *conn, const char *method,
                      const char *path, const char *query, const request *req, fo_mock_reply *out,
                      bool *is_write)
{
    char *segments[MAX_SEGMENTS], storage[2048];
    fo_mock_form query_form = {0}, body_form = {0};
    const fo_mock_token *token;
    size_t token_index;
    fo_error err;
    fo_mock_call call = {0};
    char base[300];
    memset(out, 0, sizeof(*out));
    *is_write = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;

    if (!authenticate(srv, header(conn, "Fastly-Key"), &token, &token_index) &&
        strcmp(path, "/public-ip-list") != 0) {
        *is_write = false; /* no user, no budget */
        /* Paths outside the API (the CLI asks for OIDC metadata at start) are 404s. */
        if (strncmp(path, "/service", 8) == 0 || strncmp(path, "/tokens", 7) == 0)
            fo_mock_reply_error(out, 401, "Provided credentials are missing or invalid", NULL);
        else
            fo_mock_reply_error(out, 404, "Record not found", "fastly-mock has no such endpoint");
        goto out;
    }
    if (*is_write && token && !scope_has(token->scope, "global")) {
        fo_mock_reply_error(out, 403,
                            scope_has(token->scope, "global:read")
                                ? "Read only tokens are not allowed to access this endpoint."
                                : "This token's scope does not allow this request.",
                            NULL);
        goto out;
    }
    if (*is_write) {
        rate_refresh(srv);
        if (srv->rate_used >= srv->opts.rate_budget) {
            char detail[160];
            snprintf(detail, sizeof(detail),
                     "The budget of %ld write requests is spent until %lld (epoch seconds)",
                     srv->opts.rate_budget, (long long)srv->rate_reset);
            fo_mock_reply_error(out, 429, "Too many requests", detail);
            goto out;
        }
        srv->rate_used++;
    }
    size_t nsegments;
    if (!split_path(path, segments, &nsegments, storage, sizeof(storage))) {
        fo_mock_reply_error(out, 400, "Bad request", "malformed path");
        goto out;
    }
    if (fo_mock_form_parse(&query_form, query, strlen(query), &err) != 0) {
        fo_mock_reply_error(out, 400, "Bad request", err.msg);
        goto out;
    }
    if (*is_write && req->body.len) {
        const char *type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0) {
            fo_mock_reply_error(out, 400, "Bad request",
                                "writes take application/x-www-form-urlencoded bodies");
            goto out;
        }
        if (fo_mock_form_parse(&body_form, req->body.data, req->body.len, &err) != 0) {
            fo_mock_reply_error(out, 400, "Bad request", err.msg);
            goto out;
        }
    }
    const char *host = header(conn, MHD_HTTP_HEADER_HOST);
    if (host && strlen(host) < 200 &&
        strspn(host, "0123456789.:[]abcdefghijklmnopqrstuvwxyz-") == strlen(host))
        snprintf(base, sizeof(base), "http://%s", host);
    else
        snprintf(base, sizeof(base), "%s", srv->fallback_base);
    call.method = method;
    call.path = path;
    call.segments = segments;
    call.nsegments = nsegments;
    call.query = &query_form;
    call.form = &body_form;
    call.token = token;
    call.token_index = token_index;
    call.base_url = base;
    call.user_agent = header(conn, MHD_HTTP_HEADER_USER_AGENT);
    call.diff_style = &srv->opts.diff_style;
    call.locked_comments = srv->opts.locked_comments;
    fo_mock_route(srv->state, &call, out);
    if (out->changed && srv->opts.write_state &&
        fo_mock_state_save(srv->state, srv->opts.write_state, &err) != 0)
        fprintf(stderr, "fastly-mock: %s\n", err.msg);
out:
    fo_mock_form_free(&query_form);
    fo_mock_form_free(&body_form);
}

static enum MHD_Result serve(fo_mock_server *srv, struct MHD_Connection *conn, const char *method,
                             request *req)
{
    char *path = NULL, *query = NULL;
    fo_mock_reply reply = {0};
    enum MHD_Result result = MHD_NO;
    bool is_write = false, truncate = false, spent = false;
    const char *content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (split_target(req->target, &path, &query) != 0)
        goto out;

    if (strncmp(path, "/__mock/", 8) == 0) {
        const union MHD_ConnectionInfo *info =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (!info || !is_loopback(info->client_addr))
            goto out;
        pthread_mutex_lock(&srv->lock);
        admin(srv, method, path, req, &reply);
        char *body = reply_body(&reply);
        pthread_mutex_unlock(&srv->lock);
        if (body)
            result =
                send_reply(conn, reply.status, body, "application/json", NULL, NO_RATE, false, srv);
        goto out;
    }

    pthread_mutex_lock(&srv->lock);
    fault_hit fault = match_faults(srv, method, path);
    pthread_mutex_unlock(&srv->lock);
    if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_DELAY)
        sleep_ms(srv, fault.rule.delay_ms);

    pthread_mutex_lock(&srv->lock);
    if (req->too_large) {
        fo_mock_reply_error(&reply, 413, "Payload Too Large", "the body is over 4 MiB");
    } else if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_DROP_BEFORE) {
        log_request(srv, method, path, query, content_type, req, 0, &fault);
        pthread_mutex_unlock(&srv->lock);
        goto out; /* MHD_NO: the connection closes without an answer */
    } else if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_STATUS) {
        status_reply(&reply, (unsigned)fault.rule.status, "injected by fastly-mock --fail");
        if (fault.rule.status == 429) {
            rate_refresh(srv);
            is_write = spent = true;
        }
    } else if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_HTML) {
        html_reply(&reply, (unsigned)fault.rule.status);
    } else {
        serve_api(srv, conn, method, path, query, req, &reply, &is_write);
        if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_DROP_AFTER) {
            log_request(srv, method, path, query, content_type, req, 0, &fault);
            pthread_mutex_unlock(&srv->lock);
            goto out;
        }
        if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_STATUS_AFTER)
            status_reply(&reply, (unsigned)fault.rule.status, "injected by fastly-mock --fail");
        truncate = fault.hit && fault.rule.kind == FO_MOCK_FAULT_TRUNCATE;
    }
    char *body = reply_body(&reply);
    if (body && fault.hit && fault.rule.kind == FO_MOCK_FAULT_MALFORMED)
        body[strlen(body) / 2] = '\0';
    log_request(srv, method, path, query, content_type, req, reply.status, &fault);
    rate_headers rate = !is_write ? NO_RATE : spent || reply.status == 429 ? RATE_SPENT : RATE;
    if (fault.hit && fault.rule.kind == FO_MOCK_FAULT_HANG_AFTER) {
        /* Done, but answered late: other clients (a read-back) are served meanwhile. */
        pthread_mutex_unlock(&srv->lock);
        sleep_ms(srv, fault.rule.delay_ms);
        pthread_mutex_lock(&srv->lock);
    }
    if (body) {
        result = send_reply(conn, reply.status, body, reply.text ? "text/html" : "application/json",
                            reply.link, rate, truncate, srv);
    }
    pthread_mutex_unlock(&srv->lock);
out:
    fo_mock_reply_clear(&reply);
    free(path);
    free(query);
    return result;
}

/* ---- libmicrohttpd callbacks ---- */

/* Called first, with the raw request target: keeps it before MHD unescapes the path,
 * so "%2F" inside a backend name stays part of that segment. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    request *req = calloc(1, sizeof(*req));
    if (req && !(req->target = strdup(uri))) {
        free(req);
        req = NULL;
    }
    return req;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)url;
    (void)version;
    request *req = *req_cls;
    if (!req)
        return MHD_NO;
    if (!req->started) {
        req->started = true;
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (req->body.len + *upload_data_size > MAX_BODY ||
            fo_buf_append(&req->body, upload_data, *upload_data_size) != 0)
            req->too_large = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    return serve(cls, conn, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls;
    (void)conn;
    (void)code;
    request *req = *req_cls;
    if (!req)
        return;
    free(req->target);
    fo_buf_clear(&req->body);
    free(req);
    *req_cls = NULL;
}

/* ---- start and stop ---- */

static int parse_listen(struct sockaddr_storage *out, bool *ipv6, const char *listen, fo_error *err)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    memset(out, 0, sizeof(*out));
    if (!colon || (size_t)(colon - listen) >= sizeof(host))
        return fo_error_set(err, FO_EINVAL, "--listen %s: expected ADDRESS:PORT", listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return fo_error_set(err, FO_EINVAL, "--listen %s: bad port", listen);
    *ipv6 = host[0] == '[';
    if (*ipv6) {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']')
            return fo_error_set(err, FO_EINVAL, "--listen %s: expected [::1]:PORT", listen);
        host[n - 1] = '\0';
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
            return fo_error_set(err, FO_EINVAL, "--listen %s: bad IPv6 address", listen);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
            return fo_error_set(err, FO_EINVAL, "--listen %s: expected a numeric address", listen);
    }
    if (!is_loopback((struct sockaddr *)out))
        return fo_error_set(err, FO_EINVAL,
                            "--listen %s: only loopback addresses (127.0.0.0/8, "
                            "[::1]) are allowed",
                            listen);
    return 0;
}

void fo_mock_options_free(fo_mock_options *opts)
{
    for (size_t i = 0; i < opts->ntokens; i++)
        fo_mock_token_clear(&opts->tokens[i]);
    free(opts->tokens);
    for (size_t i = 0; i < opts->nfaults; i++)
        fo_mock_fault_clear(&opts->faults[i]);
    free(opts->faults);
    opts->tokens = NULL;
    opts->faults = NULL;
    opts->ntokens = opts->nfaults = 0;
}

int fo_mock_server_start(fo_mock_server **out, fo_mock_state *state, fo_mock_options *opts,
                         fo_error *err)
{
    struct sockaddr_storage addr;
    bool ipv6 = false;
    int rc = 0;
    *out = NULL;
    fo_mock_server *srv = calloc(1, sizeof(*srv));
    if (!srv) {
        fo_mock_state_free(state);
        fo_mock_options_free(opts);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&srv->lock, NULL);
    srv->state = state;
    srv->opts = *opts;
    memset(opts, 0, sizeof(*opts));
    atomic_init(&srv->stopping, false);
    srv->rate_reset = time(NULL) + srv->opts.rate_window;

    rc = parse_listen(&addr, &ipv6, srv->opts.listen, err);
    if (rc != 0)
        goto out;
    if (srv->opts.log_path && !(srv->log = fopen(srv->opts.log_path, "a"))) {
        rc = fo_error_set(err, FO_EIO, "cannot open the log %s", srv->opts.log_path);
        goto out;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | (ipv6 ? MHD_USE_IPv6 : 0);
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned)1024,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)512, MHD_OPTION_THREAD_STACK_SIZE,
        (size_t)(512 * 1024), MHD_OPTION_END);
    if (!srv->daemon) {
        rc = fo_error_set(err, FO_EIO, "cannot listen on %s (in use?)", srv->opts.listen);
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : 0;
    snprintf(srv->fallback_base, sizeof(srv->fallback_base), "http://%s%u",
             ipv6 ? "[::1]:" : "127.0.0.1:", srv->port);
out:
    if (rc != 0) {
        fo_mock_server_stop(srv, NULL);
        return rc;
    }
    *out = srv;
    return 0;
}

unsigned fo_mock_server_port(const fo_mock_server *server)
{
    return server->port;
}

int fo_mock_server_stop(fo_mock_server *srv, fo_error *err)
{
    int rc = 0;
    if (!srv)
        return 0;
    atomic_store(&srv->stopping, true);
    if (srv->daemon) {
        MHD_stop_daemon(srv->daemon);
        if (srv->opts.write_state)
            rc = fo_mock_state_save(srv->state, srv->opts.write_state, err);
    }
    if (srv->log)
        fclose(srv->log);
    fo_mock_state_free(srv->state);
    fo_mock_options_free(&srv->opts);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
    return rc;
}
