/* fixorigin serve's HTTP plumbing on libmicrohttpd: a thread per connection, so one request
 * waiting on a slow Fastly API or origin never holds up another; bodies bounded (413 as soon
 * as the limit is passed, from Content-Length when it is sent); idle connections closed; one
 * access-log line per request (method, path, status, time: never a header or a body); a stop
 * that first stops accepting and lets requests in progress finish. */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/report.h"
#include "fixorigin/serve.h"

enum {
    IDLE_TIMEOUT_S = 30,    /* a connection silent this long is closed (slow clients) */
    CONNECTION_LIMIT = 256, /* threads at most; more wait in the backlog (the budget of
                               connections still sending, FO_SERVE_MAX_RECEIVING, is below) */
    MAX_PATH_SHOWN = 120,   /* of a request path in the access log */
    DISCARD_MAX = 4 << 20,  /* of a body over the limit, read and dropped before a 413 */
};

struct fo_serve_http {
    struct MHD_Daemon *daemon;
    unsigned port;
    size_t max_body;
    fo_serve_handler handler;
    void *ctx;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    int active;    /* requests between their first byte and their completion */
    int working;   /* requests inside the handler: planning, applying */
    bool stopping; /* past the grace period: no new work starts */
    fo_serve_perip *perip;
};

/* One request being read and answered: MHD's per-request context. */
typedef struct request {
    fo_serve_http *http;
    char *method; /* for the access log */
    char *path;
    fo_buf body;
    double started_ms;
    unsigned status;  /* what was answered, for the access log */
    bool answered;    /* a reply was queued before the body was read whole (413) */
    bool too_large;   /* over max_body: the rest is read and dropped, then 413 */
    size_t discarded; /* bytes dropped so far */
} request;

const char *fo_serve_header(const fo_serve_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

void fo_serve_reply_clear(fo_serve_reply *reply)
{
    free(reply->body);
    reply->body = NULL;
}

void fo_serve_reply_json(fo_serve_reply *out, unsigned status, json_t *body)
{
    out->status = status;
    out->content_type = "application/json";
    out->body = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    if (!out->body) {
        out->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        out->body = fo_strdup("{\"error\":\"internal\",\"message\":\"out of memory\"}");
    }
}

void fo_serve_reply_error(fo_serve_reply *out, unsigned status, const char *code, const char *fmt,
                          ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    fo_serve_reply_json(out, status,
                        json_pack("{s:s, s:s%}", "error", code, "message", message,
                                  strnlen(message, sizeof(message))));
}

static void request_begin(fo_serve_http *http)
{
    pthread_mutex_lock(&http->lock);
    http->active++;
    pthread_mutex_unlock(&http->lock);
}

static void request_end(fo_serve_http *http)
{
    pthread_mutex_lock(&http->lock);
    if (--http->active == 0)
        pthread_cond_broadcast(&http->idle);
    pthread_mutex_unlock(&http->lock);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, request *req, fo_serve_reply *reply)
{
    const char *body = reply->body ? reply->body : "";
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result result = MHD_NO;
    if (resp) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                reply->content_type ? reply->content_type : "application/json");
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
        if (reply->allow)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, reply->allow);
        if (reply->status == MHD_HTTP_UNAUTHORIZED && reply->authenticate)
            MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, reply->authenticate);
        result = MHD_queue_response(conn, reply->status, resp);
        MHD_destroy_response(resp);
    }
    req->status = reply->status;
    fo_serve_reply_clear(reply);
    return result;
}

static enum MHD_Result too_large(struct MHD_Connection *conn, request *req)
{
    fo_serve_reply reply = {0};
    fo_serve_reply_error(&reply, MHD_HTTP_CONTENT_TOO_LARGE, "too_large",
                         "the request body is over %zu bytes", req->http->max_body);
    req->answered = true;
    return send_reply(conn, req, &reply);
}

/* A body over the limit is read to its end and dropped before the 413 goes out: answering
 * while the client still sends makes the kernel reset the connection, and the client never
 * sees the answer. Past DISCARD_MAX the connection is simply closed. */
static bool discard(request *req, size_t n)
{
    req->body.len = 0;
    req->too_large = true;
    req->discarded += n;
    return req->discarded <= DISCARD_MAX;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    fo_serve_http *http = cls;
    request *req = *req_cls;
    (void)version;
    if (!req) {
        if (!(req = calloc(1, sizeof(*req))))
            return MHD_NO;
        req->http = http;
        req->started_ms = fo_now_ms();
        req->method = fo_strdup(method);
        req->path = fo_strdup(url);
        *req_cls = req;
        request_begin(http);
        const char *length =
            MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        /* Too large to even read: answer at once (the client may miss it). */
        if (length && strtoull(length, NULL, 10) > DISCARD_MAX)
            return too_large(conn, req);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->answered)
            return MHD_YES;
        if (req->too_large || req->body.len + n > http->max_body)
            return discard(req, n) ? MHD_YES : MHD_NO;
        if (fo_buf_append(&req->body, upload_data, n) != 0)
            return MHD_NO;
        return MHD_YES;
    }
    fo_serve_perip_received(http->perip, conn); /* read whole: its deadline stops */
    if (req->answered)
        return MHD_YES;
    if (req->too_large)
        return too_large(conn, req);
    fo_serve_request request_view = {
        .conn = conn,
        .method = method,
        .path = url,
        .body = req->body.data ? req->body.data : "",
        .body_len = req->body.len,
    };
    fo_serve_reply reply = {0};
    pthread_mutex_lock(&http->lock);
    bool stopping = http->stopping;
    http->working += !stopping;
    pthread_mutex_unlock(&http->lock);
    if (stopping) {
        fo_serve_reply_error(&reply, MHD_HTTP_SERVICE_UNAVAILABLE, "stopping",
                             "the server is stopping: nothing was done; try again");
        return send_reply(conn, req, &reply);
    }
    http->handler(http->ctx, &request_view, &reply);
    enum MHD_Result result = send_reply(conn, req, &reply);
    pthread_mutex_lock(&http->lock);
    http->working--;
    pthread_cond_broadcast(&http->idle);
    pthread_mutex_unlock(&http->lock);
    return result;
}

/* A copy of s fit for a log line: control characters as '?', at most size - 1 bytes. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode code)
{
    fo_serve_http *http = cls;
    request *req = *req_cls;
    char method[16], path[MAX_PATH_SHOWN];
    (void)conn;
    if (!req)
        return;
    /* Method, path (no query: it is not ours to log), status and time, in one write so
     * lines of concurrent requests do not interleave. */
    fo_str_clean_copy(method, sizeof(method), req->method);
    fo_str_clean_copy(path, sizeof(path), req->path);
    if (req->status)
        fprintf(stderr, "fixorigin serve: %s %s %u %.0f ms\n", method, path, req->status,
                fo_now_ms() - req->started_ms);
    else
        fprintf(stderr, "fixorigin serve: %s %s closed before an answer (%s)\n", method, path,
                code == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? "timeout" : "client");
    fo_serve_perip_answered(http->perip, conn);
    request_end(http);
    fo_buf_clear(&req->body);
    free(req->method);
    free(req->path);
    free(req);
    *req_cls = NULL;
}

/* "ADDRESS:PORT", "[IPv6]:PORT": a numeric address (no name is looked up). */
static int parse_listen(struct sockaddr_storage *out, socklen_t *out_len, const char *listen,
                        fo_error *err)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon = strrchr(listen, ':');
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *found = NULL;
    size_t host_len = colon ? (size_t)(colon - listen) : 0;
    if (!colon || host_len == 0 || host_len >= sizeof(host) || !colon[1] ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || strlen(colon + 1) > 5 ||
        atoi(colon + 1) > 65535)
        return fo_error_set(err, FO_EINVAL, "--listen %s: expected ADDRESS:PORT", listen);
    memcpy(host, listen, host_len);
    host[host_len] = '\0';
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']')
            return fo_error_set(err, FO_EINVAL, "--listen %s: expected [IPv6]:PORT", listen);
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    if (getaddrinfo(host, colon + 1, &hints, &found) != 0 || !found)
        return fo_error_set(err, FO_EINVAL, "--listen %s: expected a numeric address", listen);
    memcpy(out, found->ai_addr, found->ai_addrlen);
    *out_len = found->ai_addrlen;
    freeaddrinfo(found);
    return 0;
}

static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    fo_serve_http *http = cls;
    (void)addrlen;
    return fo_serve_perip_admit(http->perip, addr) ? MHD_YES : MHD_NO;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    fo_serve_http *http = cls;
    fo_serve_perip_notify(http->perip, conn, socket_ctx, (int)toe);
}

int fo_serve_http_start(fo_serve_http **out, const char *listen, size_t max_body,
                        unsigned max_per_ip, long receive_ms, unsigned receive_budget,
                        fo_serve_handler handler, void *ctx, fo_error *err)
{
    struct sockaddr_storage addr;
    socklen_t addr_len = 0;
    int rc = parse_listen(&addr, &addr_len, listen, err);
    *out = NULL;
    if (rc != 0)
        return rc;
    fo_serve_http *http = calloc(1, sizeof(*http));
    if (!http)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    http->max_body = max_body;
    http->handler = handler;
    http->ctx = ctx;
    pthread_mutex_init(&http->lock, NULL);
    pthread_cond_init(&http->idle, NULL);
    if (fo_serve_perip_new(&http->perip, max_per_ip) != 0 ||
        fo_serve_perip_bound(http->perip, receive_ms, receive_budget) != 0) {
        fo_serve_http_stop(http, 0);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG |
                     (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    http->daemon = MHD_start_daemon(
        flags, 0, on_accept, http, on_request, http, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, http, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)128, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
        http, MHD_OPTION_END);
    if (!http->daemon) {
        fo_serve_http_stop(http, 0);
        return fo_error_set(err, FO_EIO, "cannot listen on %s (in use, or not an address here)",
                            listen);
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(http->daemon, MHD_DAEMON_INFO_BIND_PORT);
    http->port = info ? info->port : 0;
    *out = http;
    return 0;
}

unsigned fo_serve_http_port(const fo_serve_http *http)
{
    return http->port;
}

static struct timespec deadline_after(long ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += ms / 1000;
    deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

void fo_serve_http_stop(fo_serve_http *http, long grace_ms)
{
    if (!http)
        return;
    if (http->daemon) {
        /* Stop accepting first; then let what is in progress finish, within grace_ms. */
        MHD_socket listener = MHD_quiesce_daemon(http->daemon);
        if (listener != MHD_INVALID_SOCKET)
            close(listener);
        struct timespec deadline = deadline_after(grace_ms);
        pthread_mutex_lock(&http->lock);
        while (http->active > 0 && pthread_cond_timedwait(&http->idle, &http->lock, &deadline) == 0)
            ;
        /* Past the grace period no new work starts. Work under way is never cut short: an
         * apply stopped between activating and verifying would leave an unverified version
         * active, and every step of it is bounded in time on its own. Its answer still goes
         * out before the connections close. */
        http->stopping = true;
        if (http->working > 0)
            fprintf(stderr,
                    "fixorigin serve: %d request%s still at work after the grace period: "
                    "waiting for %s (an apply is never cut short)\n",
                    http->working, http->working == 1 ? "" : "s",
                    http->working == 1 ? "it" : "them");
        while (http->working > 0)
            pthread_cond_wait(&http->idle, &http->lock);
        deadline = deadline_after(2000); /* for the last answers to be sent */
        while (http->active > 0 && pthread_cond_timedwait(&http->idle, &http->lock, &deadline) == 0)
            ;
        pthread_mutex_unlock(&http->lock);
        MHD_stop_daemon(http->daemon);
    }
    fo_serve_perip_free(http->perip);
    pthread_cond_destroy(&http->idle);
    pthread_mutex_destroy(&http->lock);
    free(http);
}
