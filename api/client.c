/* The client's core: configuration, one call with its retries, status
 * mapping, counters and logs. */
#define _GNU_SOURCE /* memmem */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"

void fo_api_config_init(fo_api_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = 10000;
    cfg->timeout_ms = 60000;
    cfg->max_body_bytes = 64u * 1024 * 1024;
    cfg->read_retries = 4;
    cfg->backoff_initial_ms = 500;
    cfg->backoff_max_ms = 8000;
    cfg->ratelimit_max_wait_ms = 60000;
    cfg->deadline_ms = 120000;
    cfg->stall_ms = 30000;
    cfg->list_max_pages = 1000;
    cfg->list_max_items = 100000;
    cfg->list_deadline_ms = 600000;
}

void fo_api_response_clear(fo_api_response *resp)
{
    fo_buf_clear(&resp->body);
    free(resp->link);
    memset(resp, 0, sizeof(*resp));
    resp->ratelimit_remaining = -1;
    resp->ratelimit_reset = -1;
}

static void default_sleep(void *ctx, long ms)
{
    (void)ctx;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static long long default_clock(void *ctx)
{
    (void)ctx;
    return (long long)time(NULL);
}

/* The token travels in a header: over plain HTTP only to this machine (the
 * stand-in in tests), never to another host. */
static bool is_loopback_host(const char *host, size_t len)
{
    char text[64];
    if (len >= sizeof(text))
        return false;
    memcpy(text, host, len);
    text[len] = '\0';
    return strcmp(text, "localhost") == 0 || fo_ip_text_is_loopback(text);
}

int fo_api_check_base_url(const char *url, fo_error *err)
{
    bool https = strncmp(url, "https://", 8) == 0;
    bool http = strncmp(url, "http://", 7) == 0;
    if (!https && !http)
        return fo_error_set(err, FO_EINVAL, "API base URL must start with https:// (got '%.80s')",
                            url);
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= ' ' || *p == 0x7f)
            return fo_error_set(err, FO_EINVAL,
                                "API base URL contains a space or control character");
    }
    /* libcurl's own parser, so the host checked here is the host libcurl connects to. */
    CURLU *u = curl_url();
    char *host = NULL, *user = NULL, *password = NULL, *query = NULL, *fragment = NULL;
    int rc = 0;
    if (!u)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        rc = fo_error_set(err, FO_EINVAL, "API base URL is not a URL: %s", curl_url_strerror(uc));
        goto out;
    }
    curl_url_get(u, CURLUPART_USER, &user, 0);
    curl_url_get(u, CURLUPART_PASSWORD, &password, 0);
    curl_url_get(u, CURLUPART_QUERY, &query, 0);
    curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0] || user || password) {
        rc = fo_error_set(err, FO_EINVAL, "API base URL has no host, or carries credentials");
    } else if (query || fragment) {
        rc = fo_error_set(err, FO_EINVAL, "API base URL must not have a query or fragment");
    } else if (http && !is_loopback_host(host, strlen(host))) {
        rc = fo_error_set(err, FO_EINVAL,
                          "refusing to send the API token over plain http to '%.80s': use https",
                          host);
    }
out:
    curl_free(host);
    curl_free(user);
    curl_free(password);
    curl_free(query);
    curl_free(fragment);
    curl_url_cleanup(u);
    return rc;
}

int fo_api_new(fo_api **out, const fo_api_config *cfg, fo_error *err)
{
    int rc = 0;
    fo_api *api = calloc(1, sizeof(*api));
    fo_api_transport transport = {0};
    if (cfg->transport)
        transport = *cfg->transport;
    if (!api) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    api->transport = transport;
    transport.destroy = NULL; /* the client owns it from here */
    api->cfg = *cfg;
    api->cfg.token = NULL;
    api->cfg.base_url = NULL;
    api->cfg.transport = NULL;
    if (fo_str_empty(cfg->token)) {
        rc = fo_error_set(err, FO_EINVAL, "no Fastly API token given");
        goto out;
    }
    const char *base = cfg->base_url ? cfg->base_url : FO_API_DEFAULT_BASE_URL;
    rc = fo_api_check_base_url(base, err);
    if (rc != 0)
        goto out;
    api->base_url = fo_strdup(base);
    api->token = fo_strdup(cfg->token);
    if (!api->base_url || !api->token) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    size_t n = strlen(api->base_url);
    while (n > 0 && api->base_url[n - 1] == '/')
        api->base_url[--n] = '\0';
    if (!api->transport.send) {
        rc = fo_api_http_transport_new(&api->transport, cfg->ca_file, cfg->connect_timeout_ms,
                                       cfg->timeout_ms, cfg->max_body_bytes);
        if (rc != 0) {
            rc = fo_error_set(err, rc, "cannot set up the HTTP client");
            goto out;
        }
    }
    /* A config filled by hand (not by fo_api_config_init) still gets every bound. */
    fo_api_config defaults;
    fo_api_config_init(&defaults);
    if (api->cfg.deadline_ms <= 0)
        api->cfg.deadline_ms = defaults.deadline_ms;
    if (api->cfg.stall_ms < 0)
        api->cfg.stall_ms = defaults.stall_ms;
    if (api->cfg.list_max_pages <= 0)
        api->cfg.list_max_pages = defaults.list_max_pages;
    if (api->cfg.list_max_items == 0)
        api->cfg.list_max_items = defaults.list_max_items;
    if (api->cfg.list_deadline_ms <= 0)
        api->cfg.list_deadline_ms = defaults.list_deadline_ms;
    if (!api->cfg.sleep)
        api->cfg.sleep = default_sleep;
    if (!api->cfg.clock)
        api->cfg.clock = default_clock;
    api->stats.ratelimit_remaining = -1;
    api->stats.ratelimit_reset = -1;
    api->rng = (unsigned long long)(fo_now_ms() * 1000.0) ^ (unsigned long long)(size_t)api;
    api->rng |= 1;
    *out = api;
    api = NULL;
out:
    if (transport.destroy)
        transport.destroy(transport.ctx);
    fo_api_free(api);
    return rc;
}

int fo_api_new_for_thread(fo_api **out, const fo_api_config *cfg, fo_error *err)
{
    fo_api_config own = *cfg;
    own.transport = NULL;
    return fo_api_new(out, &own, err);
}

void fo_api_free(fo_api *api)
{
    if (!api)
        return;
    if (api->transport.destroy)
        api->transport.destroy(api->transport.ctx);
    fo_secret_free(api->token);
    free(api->base_url);
    for (size_t i = 0; i < api->write_checked_count; i++)
        free(api->write_checked[i]);
    free(api->write_checked);
    fo_token_info_free(api->own_token.token);
    free(api);
}

void fo_api_get_stats(const fo_api *api, fo_api_stats *out)
{
    *out = api->stats;
}

/* Writes "[redacted]" at `at` (room bytes, room > 0), as much of it as fits, and a NUL;
 * returns the characters written. */
static size_t put_redacted(char *at, size_t room)
{
    static const char mark[] = "[redacted]";
    size_t n = sizeof(mark) - 1 < room - 1 ? sizeof(mark) - 1 : room - 1;
    memcpy(at, mark, n);
    at[n] = '\0';
    return n;
}

/* Replaces the token in s (a string in a buffer of size bytes) with "[redacted]", and a
 * piece of it left at the end where something cut the text short. */
static void scrub_text(const char *token, char *s, size_t size)
{
    size_t tlen = token ? strlen(token) : 0;
    if (tlen == 0 || size == 0)
        return;
    if (strstr(s, token)) {
        char *clean = malloc(size);
        size_t n = 0;
        if (!clean) {
            put_redacted(s, size);
            return;
        }
        for (const char *p = s; *p && n + 1 < size;) {
            if (strncmp(p, token, tlen) == 0) {
                n += put_redacted(clean + n, size - n);
                p += tlen;
            } else {
                clean[n++] = *p++;
            }
        }
        clean[n] = '\0';
        memcpy(s, clean, n + 1);
        free(clean);
    }
    /* The longest tail of s that begins the token: a cut-off token. Shorter than 6
     * characters it says nothing worth hiding (and would eat ordinary words). */
    size_t len = strlen(s);
    for (size_t k = tlen - 1 < len ? tlen - 1 : len; k >= 6; k--) {
        if (strncmp(s + len - k, token, k) == 0) {
            put_redacted(s + len - k, size - (len - k));
            break;
        }
    }
}

void fo_api_scrub_error(const fo_api *api, fo_error *err)
{
    if (err && api)
        scrub_text(api->token, err->msg, sizeof(err->msg));
}

static void logf_api(const fo_api *api, fo_log_level level, const char *fmt, ...) FO_PRINTF(3, 4);

static void logf_api(const fo_api *api, fo_log_level level, const char *fmt, ...)
{
    if (!api->cfg.log)
        return;
    fo_error line; /* reuses the scrubber: nothing logged may carry the token */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line.msg, sizeof(line.msg), fmt, ap);
    va_end(ap);
    fo_api_scrub_error(api, &line);
    api->cfg.log(api->cfg.log_ctx, level, line.msg);
}

static const char *reason_phrase(long status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 500 ? "Server Error" : "HTTP error";
    }
}

/* The first line of a body that is not JSON (a proxy's HTML page), tags
 * dropped, so the user still learns what answered. */
static void body_snippet(char *out, size_t out_size, const fo_buf *body)
{
    size_t n = 0;
    bool in_tag = false;
    for (size_t i = 0; i < body->len && n + 1 < out_size && n < 100; i++) {
        char c = body->data[i];
        if (c == '<')
            in_tag = true;
        else if (c == '>')
            in_tag = false;
        else if (c == '\n' && n > 0)
            break;
        else if (!in_tag && (unsigned char)c >= 0x20 && c != 0x7f && !(n == 0 && c == ' '))
            out[n++] = c;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

static bool contains_ci(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    for (; *haystack; haystack++) {
        if (strncasecmp(haystack, needle, n) == 0)
            return true;
    }
    return false;
}

static int status_code(long status, const char *text, bool read)
{
    if (status == 401 || status == 403)
        return FO_EAUTH;
    if (status == 404)
        return FO_ENOTFOUND;
    /* Fastly answers an unknown or deleted service with 400, not 404. A read
     * sends nothing but its URL, so its 400 can only mean that; a write's 400
     * is about its fields unless the text says otherwise. */
    if (status == 400 &&
        (read || (contains_ci(text, "service") &&
                  (contains_ci(text, "find") || contains_ci(text, "not found") ||
                   contains_ci(text, "deleted") || contains_ci(text, "unknown") ||
                   contains_ci(text, "exist") || contains_ci(text, "invalid value for service")))))
        return FO_ENOTFOUND;
    if (status == 409)
        return FO_ECONFLICT;
    if (status == 422)
        return FO_ELOCKED;
    if (status == 429)
        return FO_ERATELIMIT;
    return FO_EHTTP;
}

/* A copy of body with the token replaced, before anything shortens the text
 * and could leave a piece of it behind. */
static int redact_body(const fo_api *api, const fo_buf *body, fo_buf *out)
{
    size_t tlen = strlen(api->token);
    const char *p = body->data;
    const char *end = body->data + body->len;
    while (p < end) {
        const char *hit = memmem(p, (size_t)(end - p), api->token, tlen);
        size_t keep = hit ? (size_t)(hit - p) : (size_t)(end - p);
        if (fo_buf_append(out, p, keep) != 0 || (hit && fo_buf_puts(out, "[redacted]") != 0))
            return FO_ENOMEM;
        p += keep + (hit ? tlen : 0);
    }
    return fo_buf_append(out, "", 0);
}

static int status_error(const fo_api *api, long status, const fo_buf *raw_body, bool read,
                        fo_error *err)
{
    char text[200], decoded[1024];
    fo_buf clean = {0};
    const fo_buf *body = redact_body(api, raw_body, &clean) == 0 ? &clean : raw_body;
    if (body == raw_body)
        body = &(const fo_buf){0}; /* out of memory: say only the status */
    /* The body may spell the token with JSON escapes: scrub what it decodes to, before the
     * text is cut to length. */
    if (body->data && fo_api_error_text(decoded, sizeof(decoded), body->data, body->len)) {
        scrub_text(api->token, decoded, sizeof(decoded));
        snprintf(text, sizeof(text), "%.*s", (int)sizeof(text) - 1, decoded);
    } else {
        char snippet[120];
        snippet[0] = '\0';
        if (body->data)
            body_snippet(snippet, sizeof(snippet), body);
        snprintf(text, sizeof(text), "%s%s%s", reason_phrase(status), snippet[0] ? ": " : "",
                 snippet);
    }
    int code = status_code(status, text, read);
    fo_error_set(err, code, "Fastly API: %ld %s", status, text);
    if (err)
        err->http_status = status;
    fo_api_scrub_error(api, err);
    fo_buf_clear(&clean);
    return code;
}

/* Milliseconds left of a call that started at start_ms (never below 0). */
static long time_left(const fo_api *api, double start_ms)
{
    double left = (double)api->cfg.deadline_ms - (fo_now_ms() - start_ms);
    return left > 0 ? (long)left : 0;
}

/* The wait before attempt+1, or -1 when it would end past the call's deadline (the caller
 * then gives up now with the error it has). */
static long backoff_ms(fo_api *api, int attempt, double start_ms)
{
    long delay = api->cfg.backoff_initial_ms;
    for (int i = 0; i < attempt && delay < api->cfg.backoff_max_ms; i++)
        delay *= 2;
    if (delay > api->cfg.backoff_max_ms)
        delay = api->cfg.backoff_max_ms;
    /* Full jitter over the upper half, so many clients do not retry in step. */
    api->rng ^= api->rng << 13;
    api->rng ^= api->rng >> 7;
    api->rng ^= api->rng << 17;
    long half = delay / 2;
    long wait = half + (long)(api->rng % (unsigned long long)(half + 1));
    return wait >= time_left(api, start_ms) ? -1 : wait;
}

/* Says that the request is sent again, which attempt of how many, after how long and why
 * (a person watching must see retries as retries, not as the same failure again), then
 * waits. False (no wait, nothing said) when no time is left for it. */
static bool retry_after(fo_api *api, const char *method, const char *path_query, int attempt,
                        double start_ms, const char *why)
{
    long wait = backoff_ms(api, attempt, start_ms);
    if (wait < 0)
        return false;
    char in[48];
    if (wait < 1000)
        snprintf(in, sizeof(in), "%ld ms", wait);
    else
        snprintf(in, sizeof(in), "%ld.%ld s", wait / 1000, wait % 1000 / 100);
    logf_api(api, FO_LOG_WARN, "retrying %s %s (attempt %d of %d) in %s: %s", method, path_query,
             attempt + 2, api->cfg.read_retries + 1, in, why);
    if (wait > 0)
        api->cfg.sleep(api->cfg.clock_ctx, wait);
    return true;
}

static const char *method_name(fo_api_method method)
{
    return method == FO_GET ? "GET" : "PUT";
}

int fo_api_call(fo_api *api, fo_api_method method, const char *path_query, const char *form_body,
                fo_api_response *out, bool *out_unknown, fo_error *err)
{
    int rc = 0;
    fo_buf url = {0};
    fo_api_response resp;
    const bool write = method != FO_GET;
    int attempt = 0, waits = 0;
    char ua[64];

    memset(&resp, 0, sizeof(resp));
    fo_api_response_clear(&resp);
    if (out_unknown)
        *out_unknown = false;
    if (fo_buf_puts(&url, api->base_url) != 0 || fo_buf_puts(&url, path_query) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(ua, sizeof(ua), "fixorigin/%s", FO_VERSION);
    const double call_start = fo_now_ms();
    fo_api_request req = {
        .method = method_name(method),
        .url = url.data,
        .token = api->token,
        .user_agent = ua,
        .content_type = form_body ? "application/x-www-form-urlencoded" : NULL,
        .body = form_body,
        .body_len = form_body ? strlen(form_body) : 0,
        .is_write = write,
        .stall_ms = api->cfg.stall_ms,
    };
    for (;;) {
        fo_error terr;
        fo_error_clear(&terr);
        fo_api_response_clear(&resp);
        req.timeout_ms = time_left(api, call_start);
        if (req.timeout_ms < 1) {
            rc = fo_error_set(err, FO_ETIMEOUT, "Fastly API: %s %s: no answer within %ld s",
                              req.method, path_query, (api->cfg.deadline_ms + 999) / 1000);
            fo_api_scrub_error(api, err);
            goto out;
        }
        api->stats.requests++;
        if (write)
            api->stats.writes++;
        double start = fo_now_ms();
        rc = api->transport.send(api->transport.ctx, &req, &resp, &terr);
        long ms = (long)(fo_now_ms() - start);
        if (rc != 0) {
            fo_api_scrub_error(api, &terr);
            /* A request that never left may be sent again, even a write. A body over the
             * size limit would be just as big the next time. */
            bool may_retry = (!write || !resp.maybe_delivered) && !resp.too_large;
            if (may_retry && attempt < api->cfg.read_retries) {
                logf_api(api, FO_LOG_INFO, "%s %s: %s (%ld ms)", req.method, path_query, terr.msg,
                         ms);
                if (retry_after(api, req.method, path_query, attempt, call_start, terr.msg)) {
                    attempt++;
                    api->stats.retries++;
                    continue;
                }
            } else {
                logf_api(api, FO_LOG_WARN, "%s %s: %s (%ld ms)", req.method, path_query, terr.msg,
                         ms);
            }
            if (write && resp.maybe_delivered && out_unknown)
                *out_unknown = true;
            if (err)
                *err = terr;
            goto out;
        }
        /* A 5xx on a read is retried: the retry line says so, and this one stays quiet. */
        bool retry_5xx = resp.status >= 500 && !write && attempt < api->cfg.read_retries;
        logf_api(api, resp.status < 400 || retry_5xx ? FO_LOG_INFO : FO_LOG_WARN,
                 "%s %s -> %ld (%ld ms)", req.method, path_query, resp.status, ms);
        if (resp.ratelimit_remaining >= 0)
            api->stats.ratelimit_remaining = resp.ratelimit_remaining;
        if (resp.ratelimit_reset >= 0)
            api->stats.ratelimit_reset = resp.ratelimit_reset;
        if (resp.status >= 200 && resp.status < 300) {
            fo_api_response_clear(out);
            *out = resp;
            memset(&resp, 0, sizeof(resp));
            rc = 0;
            goto out;
        }
        if (resp.status == 429) {
            /* Refused, not done: waiting for the reset and sending again is
             * safe for writes too, when the reset is near. */
            long long now = api->cfg.clock(api->cfg.clock_ctx);
            long long wait_ms = (resp.ratelimit_reset - now) * 1000 + 1000;
            if (resp.ratelimit_reset > 0 && wait_ms <= api->cfg.ratelimit_max_wait_ms + 1000 &&
                waits < 3 && (wait_ms < 1000 ? 1000 : wait_ms) < time_left(api, call_start)) {
                if (wait_ms < 1000)
                    wait_ms = 1000;
                logf_api(api, FO_LOG_WARN,
                         "rate limited: waiting %lld s for the reset, then retrying %s %s",
                         wait_ms / 1000, req.method, path_query);
                api->cfg.sleep(api->cfg.clock_ctx, (long)wait_ms);
                waits++;
                continue;
            }
            rc = status_error(api, resp.status, &resp.body, !write, err);
            if (err && resp.ratelimit_reset > 0) {
                char when[32];
                time_t reset = (time_t)resp.ratelimit_reset;
                struct tm tm;
                gmtime_r(&reset, &tm);
                strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
                size_t len = strlen(err->msg);
                snprintf(err->msg + len, sizeof(err->msg) - len,
                         " (write budget spent; it resets at %s, in %lld s)", when,
                         resp.ratelimit_reset - now);
            }
            goto out;
        }
        if (retry_5xx) {
            char why[64];
            snprintf(why, sizeof(why), "%ld %s", resp.status, reason_phrase(resp.status));
            if (retry_after(api, req.method, path_query, attempt, call_start, why)) {
                attempt++;
                api->stats.retries++;
                continue;
            }
            logf_api(api, FO_LOG_WARN, "%s %s -> %ld (%ld ms)", req.method, path_query, resp.status,
                     ms);
        }
        /* A 5xx on a write: the change may or may not have been made. */
        if (resp.status >= 500 && write && out_unknown)
            *out_unknown = true;
        if (resp.status >= 300 && resp.status < 400)
            rc = fo_error_set(err, FO_EHTTP,
                              "Fastly API: %ld redirect refused (the token is never sent on)",
                              resp.status);
        else
            rc = status_error(api, resp.status, &resp.body, !write, err);
        if (err)
            err->http_status = resp.status;
        goto out;
    }
out:
    fo_api_response_clear(&resp);
    fo_buf_clear(&url);
    return rc;
}

int fo_api_get(fo_api *api, fo_api_response *out, fo_error *err, const char *fmt, ...)
{
    fo_buf path = {0};
    va_list ap;
    va_start(ap, fmt);
    int rc = fo_api_pathv(&path, fmt, ap);
    va_end(ap);
    if (rc != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    else
        rc = fo_api_call(api, FO_GET, path.data, NULL, out, NULL, err);
    fo_buf_clear(&path);
    return rc;
}

int fo_api_check_args(const char *service_id, long version, const char *name, fo_error *err)
{
    if (fo_str_empty(service_id))
        return fo_error_set(err, FO_EINVAL, "no Fastly service id given");
    if (version < 1)
        return fo_error_set(err, FO_EINVAL, "%ld is not a version number", version);
    if (name && name[0] == '\0')
        return fo_error_set(err, FO_EINVAL, "an empty name was given");
    return 0;
}
