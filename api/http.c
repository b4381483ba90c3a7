/* The libcurl transport: the only file of fixorigin that includes curl. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"

#define MAX_LINK_BYTES 8192

typedef struct http_ctx {
    CURL *curl; /* one handle for every call, so its connection is reused */
    char *ca_file;
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_body_bytes;
} http_ctx;

/* Where the callbacks of one exchange write. */
typedef struct exchange {
    fo_api_response *resp;
    size_t max_body_bytes;
    bool too_large;
    bool nomem;
} exchange;

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    exchange *x = userdata;
    size_t n = size * nmemb;
    if (x->resp->body.len + n > x->max_body_bytes) {
        x->too_large = true;
        return 0; /* aborts the transfer */
    }
    if (fo_buf_append(&x->resp->body, data, n) != 0) {
        x->nomem = true;
        return 0;
    }
    return n;
}

static long long header_number(const char *text)
{
    char *end = NULL;
    if (!*text || strlen(text) >= 24)
        return -1;
    long long n = strtoll(text, &end, 10);
    return (*end == '\0' && n >= 0) ? n : -1;
}

/* The value of the final response's last header called name (libcurl keeps 1xx and
 * earlier responses' headers apart and trims the value), or NULL. */
static const char *final_header(CURL *c, const char *name)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    if (h->amount > 1 &&
        curl_easy_header(c, name, h->amount - 1, CURLH_HEADER, -1, &h) != CURLHE_OK)
        return NULL;
    return h->value;
}

/* The headers the client acts on, read once the transfer is over (even a failed one). */
static int read_headers(CURL *c, fo_api_response *resp)
{
    const char *v;
    if ((v = final_header(c, "Fastly-RateLimit-Remaining")))
        resp->ratelimit_remaining = header_number(v);
    if ((v = final_header(c, "Fastly-RateLimit-Reset")))
        resp->ratelimit_reset = header_number(v);
    if ((v = final_header(c, "Link")) && strlen(v) < MAX_LINK_BYTES) {
        free(resp->link);
        if (!(resp->link = strdup(v)))
            return FO_ENOMEM;
    }
    return 0;
}

/* Failures before anything was sent: the request certainly never arrived. */
static bool never_sent(CURLcode code)
{
    switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        return true;
    default:
        return false;
    }
}

static int failure_code(CURLcode code)
{
    switch (code) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
        return FO_ERESOLVE;
    case CURLE_OPERATION_TIMEDOUT:
        return FO_ETIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
        return FO_ETLS;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        return FO_EPROTO;
    default:
        return FO_ECONNECT;
    }
}

/* Whether a timeout came from the low-speed limit rather than the total one. */
static bool timed_out_by_stall(CURL *c, long timeout_ms)
{
    curl_off_t total_us = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
    return total_us / 1000 + 50 < timeout_ms;
}

static int add_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);
    if (!grown)
        return FO_ENOMEM;
    *list = grown;
    return 0;
}

static int http_send(void *ctxp, const fo_api_request *req, fo_api_response *resp, fo_error *err)
{
    http_ctx *ctx = ctxp;
    CURL *c = ctx->curl;
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE];
    exchange x = {.resp = resp, .max_body_bytes = ctx->max_body_bytes};
    int rc = 0;
    fo_buf key = {0};

    errbuf[0] = '\0';
    curl_easy_reset(c); /* keeps the connection cache, drops the last call's options */
    if (fo_buf_printf(&key, "Fastly-Key: %s", req->token) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    char content_type[128];
    snprintf(content_type, sizeof(content_type), "Content-Type: %s",
             req->content_type ? req->content_type : "");
    /* No "Expect: 100-continue": a PEM body would otherwise wait on it. */
    if (add_header(&headers, key.data) != 0 ||
        add_header(&headers, "Accept: application/json") != 0 ||
        add_header(&headers, "Expect:") != 0 ||
        /* An empty "Content-Type:" stops libcurl adding its own to a PUT
         * with no body: go-fastly sends none there. */
        add_header(&headers, req->content_type ? content_type : "Content-Type:") != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }

    curl_easy_setopt(c, CURLOPT_URL, req->url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* the token must not follow a redirect */
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, ctx->connect_timeout_ms);
    long timeout_ms = ctx->timeout_ms;
    if (req->timeout_ms > 0 && req->timeout_ms < timeout_ms)
        timeout_ms = req->timeout_ms;
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    if (req->stall_ms > 0) {
        /* A trickle (1 byte a second) passes every timeout but the total one: end it
         * once the flow stays under 100 bytes/s for the stall time (whole seconds). */
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 100L);
        curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (req->stall_ms + 999) / 1000);
    }
    /* The path is escaped segment by segment (form.c turns "." and ".." into %2E), so it
     * has no dot segments; curl must send it as built rather than resolve any. */
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (ctx->ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ctx->ca_file);
    curl_easy_setopt(c, CURLOPT_USERAGENT, req->user_agent);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
    if (req->is_write) {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(req->body ? req->body_len : 0));
        /* libcurl re-sends a request by itself when a reused connection
         * turns out dead with no answer. For a write that is the blind retry
         * we must never make (the server may have acted before closing), so
         * writes get a connection of their own. */
        curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }

    CURLcode code = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (read_headers(c, resp) != 0)
        x.nomem = true;
    if (code == CURLE_OK && !x.nomem)
        goto out;
    if (x.nomem) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory reading a Fastly API response");
    } else if (x.too_large) {
        resp->too_large = true;
        rc = fo_error_set(err, FO_EPROTO, "Fastly API: response larger than %zu bytes",
                          ctx->max_body_bytes);
    } else if (code == CURLE_OPERATION_TIMEDOUT && req->stall_ms > 0 &&
               timed_out_by_stall(c, timeout_ms)) {
        rc = fo_error_set(err, FO_ETIMEOUT,
                          "Fastly API: the answer stalled (under 100 bytes/s for %ld s)",
                          (req->stall_ms + 999) / 1000);
    } else {
        rc = fo_error_set(err, failure_code(code), "Fastly API: %s",
                          errbuf[0] ? errbuf : curl_easy_strerror(code));
    }
    /* Whether the server may have acted on it: anything but a failure before
     * the request went out (resolving, connecting, the TLS handshake, or a
     * timeout while connecting). An answer, even cut short, says it arrived. */
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(c, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    bool before_sending =
        never_sent(code) || (code == CURLE_OPERATION_TIMEDOUT && pretransfer == 0);
    resp->maybe_delivered = resp->status != 0 || !before_sending;
out:
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    /* curl copied the header; wipe our copies of the token. */
    for (struct curl_slist *h = headers; h; h = h->next) {
        if (strncmp(h->data, "Fastly-Key:", 11) == 0)
            OPENSSL_cleanse(h->data, strlen(h->data));
    }
    curl_slist_free_all(headers);
    if (key.data)
        OPENSSL_cleanse(key.data, key.len);
    fo_buf_clear(&key);
    return rc;
}

static void http_destroy(void *ctxp)
{
    http_ctx *ctx = ctxp;
    if (!ctx)
        return;
    curl_easy_cleanup(ctx->curl);
    free(ctx->ca_file);
    free(ctx);
}

int fo_api_http_transport_new(fo_api_transport *out, const char *ca_file, long connect_timeout_ms,
                              long timeout_ms, size_t max_body_bytes)
{
    http_ctx *ctx = NULL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK)
        return FO_ENOMEM;
    ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return FO_ENOMEM;
    ctx->curl = curl_easy_init();
    ctx->ca_file = fo_strdup(ca_file);
    if (!ctx->curl || (ca_file && !ctx->ca_file)) {
        http_destroy(ctx);
        return FO_ENOMEM;
    }
    ctx->connect_timeout_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 10000;
    ctx->timeout_ms = timeout_ms > 0 ? timeout_ms : 60000;
    ctx->max_body_bytes = max_body_bytes > 0 ? max_body_bytes : 64u * 1024 * 1024;
    out->send = http_send;
    out->destroy = http_destroy;
    out->ctx = ctx;
    return 0;
}

/* A handle for a URL that is not the API: no token, TLS verified, bounded in time, the body
 * into x (errbuf gets libcurl's message). NULL when libcurl cannot start. */
static CURL *public_handle(const char *url, long timeout_ms, exchange *x, char *errbuf)
{
    CURL *c = NULL;
    pthread_once(&global_once, global_init);
    if (global_rc != CURLE_OK || !(c = curl_easy_init()))
        return NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 10000L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "fixorigin/" FO_VERSION);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
    return c;
}

/* Whether a fetch may connect to an address: public ones only (see fo_api_fetch_url), and
 * this machine's when flags allow it. */
static bool address_allowed(const struct sockaddr *sa, unsigned flags, char *shown, size_t size)
{
    unsigned char ip[16];
    int family = sa->sa_family;
    if (family == AF_INET)
        memcpy(ip, (const char *)sa + offsetof(struct sockaddr_in, sin_addr), 4);
    else if (family == AF_INET6)
        memcpy(ip, (const char *)sa + offsetof(struct sockaddr_in6, sin6_addr), 16);
    else
        return false;
    inet_ntop(family, ip, shown, (socklen_t)size);
    if ((flags & FO_FETCH_ALLOW_LOOPBACK) && fo_ip_is_loopback(family, ip))
        return true;
    return fo_ip_is_public(family, ip);
}

typedef struct fetch_guard {
    unsigned flags;
    bool refused;
    char address[INET6_ADDRSTRLEN];
} fetch_guard;

static curl_socket_t open_guarded(void *data, curlsocktype purpose, struct curl_sockaddr *addr)
{
    fetch_guard *g = data;
    (void)purpose;
    if (!address_allowed(&addr->addr, g->flags, g->address, sizeof(g->address))) {
        g->refused = true;
        return CURL_SOCKET_BAD;
    }
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

int fo_api_fetch_url(fo_buf *out, const char *url, size_t max_bytes, long timeout_ms,
                     unsigned flags, fo_error *err)
{
    fetch_guard guard = {.flags = flags};
    int rc = 0;
    CURL *c = NULL;
    fo_api_response resp = {0};
    exchange x = {.resp = &resp, .max_body_bytes = max_bytes};
    char errbuf[CURL_ERROR_SIZE];
    /* Shown in messages: the URL comes from a certificate, so keep it short. */
    const char *shown = url ? url : "";
    int shown_len = (int)(strlen(shown) > 120 ? 120 : strlen(shown));

    errbuf[0] = '\0';
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return fo_error_set(err, FO_EINVAL, "'%.*s' is not an http or https URL", shown_len, shown);
    if (!(c = public_handle(url, timeout_ms, &x, errbuf)))
        return fo_error_set(err, FO_ENOMEM, "cannot set up the HTTP client");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_guarded);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &guard);
    CURLcode code = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (x.nomem) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    } else if (x.too_large) {
        rc = fo_error_set(err, FO_EPROTO, "%.*s: larger than %zu bytes", shown_len, shown,
                          max_bytes);
    } else if (code != CURLE_OK && guard.refused) {
        rc = fo_error_set(err, FO_ECONNECT,
                          "%.*s: not fetched: it leads to %s, a private or internal address",
                          shown_len, shown, guard.address);
    } else if (code != CURLE_OK) {
        rc = fo_error_set(err, failure_code(code), "%.*s: %s", shown_len, shown,
                          errbuf[0] ? errbuf : curl_easy_strerror(code));
    } else if (status != 200) {
        rc = fo_error_set(err, FO_EHTTP, "%.*s: HTTP %ld", shown_len, shown, status);
        if (err)
            err->http_status = status;
    } else if (resp.body.len > 0 && fo_buf_append(out, resp.body.data, resp.body.len) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    fo_api_response_clear(&resp);
    curl_easy_cleanup(c);
    return rc;
}

/* "scheme://host[:port]" of url into out: what a message may show of a URL whose path is a
 * credential (a chat reply URL). */
static void url_origin(char *out, size_t out_size, const char *url)
{
    const char *host = strstr(url, "://");
    size_t len = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : strcspn(url, "/");
    if (len > 100)
        len = 100;
    snprintf(out, out_size, "%.*s", (int)len, url);
    for (char *p = out; *p; p++)
        *p = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
}

int fo_api_post_url(const char *url, const char *content_type, const char *body, size_t body_len,
                    long timeout_ms, fo_error *err)
{
    int rc = 0;
    CURL *c = NULL;
    struct curl_slist *headers = NULL;
    fo_api_response resp = {0};
    exchange x = {.resp = &resp, .max_body_bytes = 64 * 1024};
    char errbuf[CURL_ERROR_SIZE], shown[128], type_line[160];

    errbuf[0] = '\0';
    url_origin(shown, sizeof(shown), url ? url : "");
    if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
        return fo_error_set(err, FO_EINVAL, "'%s' is not an http or https URL", shown);
    snprintf(type_line, sizeof(type_line), "Content-Type: %s",
             content_type ? content_type : "application/octet-stream");
    if (!(c = public_handle(url, timeout_ms, &x, errbuf)))
        return fo_error_set(err, FO_ENOMEM, "cannot set up the HTTP client");
    if (add_header(&headers, type_line) != 0 || add_header(&headers, "Expect:") != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L); /* the allow-list checked this URL only */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
    CURLcode code = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (x.nomem) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    } else if (code != CURLE_OK && !x.too_large) {
        /* curl's text can quote the URL: name the host only. */
        rc = fo_error_set(err, failure_code(code), "POST %s: %s", shown, curl_easy_strerror(code));
    } else if (status < 200 || status > 299) {
        rc = fo_error_set(err, FO_EHTTP, "POST %s: HTTP %ld", shown, status);
        if (err)
            err->http_status = status;
    }
out:
    fo_api_response_clear(&resp);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    return rc;
}
