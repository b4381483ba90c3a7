/* The libcurl transport against a small HTTP(S) server in this process, on
 * loopback: the exact headers it sends, connection reuse (and a fresh one for
 * writes), the body bound, timeouts, refused and dropped connections, the
 * proxy environment, and TLS verification that is always on. */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixorigin/api.h"

Suite *api_http_suite(void);

#define TOKEN "htok-29af0c1d"
#define MAX_CONNS 8

typedef enum server_mode { ANSWER, SILENT, HANG_UP } server_mode;

/* Answers every request on every connection with the next canned reply (the
 * last one repeats), keeping connections open, and records what it got. */
typedef struct server {
    int listen_fd;
    int port;
    server_mode mode;
    const char *replies[4];
    int reply_count;
    SSL_CTX *tls;
    pthread_t thread;
    pthread_mutex_t lock;
    fo_buf received; /* every request, as raw bytes */
    int accepted;
    int answered;
    volatile int stop;
} server;

static server srv;

static int listen_loopback(int *out_port)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
    *out_port = ntohs(addr.sin_port);
    return fd;
}

typedef struct conn {
    int fd;
    SSL *ssl;
    fo_buf pending;
} conn;

static ssize_t conn_read(conn *c, char *buf, size_t n)
{
    if (c->ssl) {
        int got = SSL_read(c->ssl, buf, (int)n);
        return got > 0 ? got : -1;
    }
    return read(c->fd, buf, n);
}

static void conn_write(conn *c, const char *data)
{
    if (c->ssl)
        SSL_write(c->ssl, data, (int)strlen(data));
    else if (write(c->fd, data, strlen(data)) < 0)
        perror("write");
}

static void conn_close(conn *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    close(c->fd);
    fo_buf_clear(&c->pending);
    c->fd = -1;
    c->ssl = NULL;
}

/* A whole request in pending: headers and Content-Length bytes of body. */
static size_t request_length(const fo_buf *b)
{
    const char *end = b->data ? strstr(b->data, "\r\n\r\n") : NULL;
    if (!end)
        return 0;
    size_t head = (size_t)(end - b->data) + 4;
    const char *cl = strcasestr(b->data, "\r\nContent-Length:");
    size_t body = cl && cl < end ? (size_t)atol(cl + 17) : 0;
    return b->len >= head + body ? head + body : 0;
}

static void *serve(void *arg)
{
    (void)arg;
    conn conns[MAX_CONNS];
    for (int i = 0; i < MAX_CONNS; i++)
        conns[i] = (conn){.fd = -1};
    while (!srv.stop) {
        struct pollfd pfd[MAX_CONNS + 1];
        pfd[0] = (struct pollfd){.fd = srv.listen_fd, .events = POLLIN};
        for (int i = 0; i < MAX_CONNS; i++)
            pfd[i + 1] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(pfd, MAX_CONNS + 1, 50) <= 0)
            continue;
        if (pfd[0].revents & POLLIN) {
            int fd = accept(srv.listen_fd, NULL, NULL);
            for (int i = 0; fd >= 0 && i < MAX_CONNS; i++) {
                if (conns[i].fd >= 0)
                    continue;
                conns[i] = (conn){.fd = fd};
                if (srv.tls) {
                    conns[i].ssl = SSL_new(srv.tls);
                    SSL_set_fd(conns[i].ssl, fd);
                    if (SSL_accept(conns[i].ssl) != 1) {
                        ERR_clear_error();
                        conn_close(&conns[i]);
                        break;
                    }
                }
                pthread_mutex_lock(&srv.lock);
                srv.accepted++;
                pthread_mutex_unlock(&srv.lock);
                break;
            }
        }
        for (int i = 0; i < MAX_CONNS; i++) {
            conn *c = &conns[i];
            if (c->fd < 0 || !(pfd[i + 1].revents & (POLLIN | POLLHUP)))
                continue;
            char buf[4096];
            ssize_t n = conn_read(c, buf, sizeof(buf));
            if (n <= 0) {
                conn_close(c);
                continue;
            }
            ck_assert_int_eq(fo_buf_append(&c->pending, buf, (size_t)n), 0);
            size_t len = request_length(&c->pending);
            if (len == 0)
                continue;
            pthread_mutex_lock(&srv.lock);
            ck_assert_int_eq(fo_buf_append(&srv.received, c->pending.data, len), 0);
            int index = srv.answered < srv.reply_count ? srv.answered : srv.reply_count - 1;
            if (srv.mode == ANSWER)
                srv.answered++;
            pthread_mutex_unlock(&srv.lock);
            memmove(c->pending.data, c->pending.data + len, c->pending.len - len + 1);
            c->pending.len -= len;
            if (srv.mode == ANSWER)
                conn_write(c, srv.replies[index]);
            else if (srv.mode == HANG_UP)
                conn_close(c);
        }
    }
    for (int i = 0; i < MAX_CONNS; i++) {
        if (conns[i].fd >= 0)
            conn_close(&conns[i]);
    }
    return NULL;
}

static void start_server(server_mode mode, SSL_CTX *tls)
{
    srv.listen_fd = listen_loopback(&srv.port);
    srv.mode = mode;
    srv.tls = tls;
    ck_assert_int_eq(pthread_create(&srv.thread, NULL, serve, NULL), 0);
}

static const char *ok_reply = "HTTP/1.1 200 OK\r\n"
                              "Content-Type: application/json\r\n"
                              "Fastly-RateLimit-Remaining: 42\r\n"
                              "fastly-ratelimit-reset:  1700000000 \r\n"
                              "Link: <https://api.fastly.com/service?page=2>; rel=\"next\"\r\n"
                              "Content-Length: 12\r\n"
                              "\r\n"
                              "{\"number\":1}";

static fo_api_transport transport;
static fo_api_response resp;
static fo_error err;

static void setup(void)
{
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.lock, NULL);
    srv.replies[0] = ok_reply;
    srv.reply_count = 1;
    memset(&resp, 0, sizeof(resp));
    fo_api_response_clear(&resp);
    fo_error_clear(&err);
    unsetenv("http_proxy");
    unsetenv("HTTP_PROXY");
    unsetenv("https_proxy");
    unsetenv("HTTPS_PROXY");
    unsetenv("ALL_PROXY");
    unsetenv("all_proxy");
    setenv("no_proxy", "*", 1);
    ck_assert_int_eq(fo_api_http_transport_new(&transport, NULL, 5000, 5000, 1 << 20), 0);
}

static void teardown(void)
{
    if (srv.thread) {
        srv.stop = 1;
        pthread_join(srv.thread, NULL);
        close(srv.listen_fd);
    }
    transport.destroy(transport.ctx);
    fo_api_response_clear(&resp);
    fo_buf_clear(&srv.received);
    if (srv.tls)
        SSL_CTX_free(srv.tls);
}

static int send_request(const char *method, const char *path, const char *body)
{
    char url[256];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d%s", srv.tls ? "https" : "http", srv.port, path);
    fo_api_request req = {
        .method = method,
        .url = url,
        .token = TOKEN,
        .user_agent = "fixorigin/" FO_VERSION,
        .content_type = body ? "application/x-www-form-urlencoded" : NULL,
        .body = body,
        .body_len = body ? strlen(body) : 0,
        .is_write = strcmp(method, "GET") != 0,
    };
    fo_api_response_clear(&resp);
    return transport.send(transport.ctx, &req, &resp, &err);
}

static int accepted(void)
{
    pthread_mutex_lock(&srv.lock);
    int n = srv.accepted;
    pthread_mutex_unlock(&srv.lock);
    return n;
}

static bool received(const char *text)
{
    pthread_mutex_lock(&srv.lock);
    bool found = srv.received.data && strstr(srv.received.data, text);
    pthread_mutex_unlock(&srv.lock);
    return found;
}

START_TEST(get_sends_token_agent_and_reads_headers)
{
    start_server(ANSWER, NULL);
    ck_assert_int_eq(send_request("GET", "/service/S%201/version", NULL), 0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert_str_eq(resp.body.data, "{\"number\":1}");
    ck_assert_int_eq(resp.ratelimit_remaining, 42);
    ck_assert_int_eq(resp.ratelimit_reset, 1700000000);
    ck_assert_str_eq(resp.link, "<https://api.fastly.com/service?page=2>; rel=\"next\"");
    ck_assert(received("GET /service/S%201/version HTTP/1.1\r\n"));
    ck_assert(received("\r\nFastly-Key: " TOKEN "\r\n"));
    ck_assert(received("\r\nUser-Agent: fixorigin/" FO_VERSION "\r\n"));
    ck_assert(received("\r\nAccept: application/json\r\n"));
    ck_assert(!received("Content-Type"));
}
END_TEST

START_TEST(put_sends_the_form_and_no_expect)
{
    start_server(ANSWER, NULL);
    /* Long enough (over 1 MiB) that libcurl would otherwise ask for a
     * 100-continue and wait a second for it. */
    size_t size = (1u << 20) + 4096;
    char *body = malloc(size + 1);
    ck_assert_ptr_nonnull(body);
    memset(body, 'a', size);
    memcpy(body, "ssl_ca_cert=", 12);
    body[size] = '\0';
    double start = fo_now_ms();
    ck_assert_int_eq(send_request("PUT", "/service/S/version/2/backend/a", body), 0);
    ck_assert_msg(fo_now_ms() - start < 900, "waited on Expect: 100-continue");
    ck_assert(received("PUT /service/S/version/2/backend/a HTTP/1.1\r\n"));
    ck_assert(received("\r\nContent-Type: application/x-www-form-urlencoded\r\n"));
    ck_assert(received("\r\nContent-Length: 1052672\r\n"));
    ck_assert(received("\r\n\r\nssl_ca_cert=aaaa"));
    ck_assert(!received("Expect"));
    free(body);
}
END_TEST

START_TEST(put_without_body_has_no_content_type)
{
    start_server(ANSWER, NULL);
    ck_assert_int_eq(send_request("PUT", "/service/S/version/1/clone", NULL), 0);
    ck_assert(received("PUT /service/S/version/1/clone HTTP/1.1\r\n"));
    ck_assert(received("\r\nContent-Length: 0\r\n"));
    ck_assert(!received("Content-Type"));
}
END_TEST

/* The path goes out byte for byte as the client built it: curl neither decodes %2E nor
 * resolves dot segments (CURLOPT_PATH_AS_IS), so no name can move a request elsewhere. */
START_TEST(path_is_sent_as_built)
{
    start_server(ANSWER, NULL);
    ck_assert_int_eq(send_request("PUT", "/service/S/version/2/backend/%2E%2E", "a=1"), 0);
    ck_assert(received("PUT /service/S/version/2/backend/%2E%2E HTTP/1.1\r\n"));
    ck_assert_int_eq(send_request("GET", "/service/%2E/vcl/./x/../y", NULL), 0);
    ck_assert(received("GET /service/%2E/vcl/./x/../y HTTP/1.1\r\n"));
}
END_TEST

START_TEST(reads_reuse_a_connection_writes_get_their_own)
{
    start_server(ANSWER, NULL);
    ck_assert_int_eq(send_request("GET", "/a", NULL), 0);
    ck_assert_int_eq(send_request("GET", "/b", NULL), 0);
    ck_assert_int_eq(accepted(), 1);
    ck_assert_int_eq(send_request("PUT", "/c", "x=1"), 0);
    ck_assert_int_eq(accepted(), 2);
    ck_assert_int_eq(send_request("PUT", "/d", "x=2"), 0);
    ck_assert_int_eq(accepted(), 3);
    ck_assert_int_eq(send_request("GET", "/e", NULL), 0);
    ck_assert_int_eq(accepted(), 3);
}
END_TEST

START_TEST(oversized_body_is_refused)
{
    fo_api_transport small;
    static char big[4096];
    snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n%2000d", 7);
    srv.replies[0] = big;
    start_server(ANSWER, NULL);
    ck_assert_int_eq(fo_api_http_transport_new(&small, NULL, 5000, 5000, 1000), 0);
    fo_api_transport saved = transport;
    transport = small;
    ck_assert_int_eq(send_request("GET", "/big", NULL), FO_EPROTO);
    ck_assert_str_eq(err.msg, "Fastly API: response larger than 1000 bytes");
    ck_assert(resp.maybe_delivered);
    transport = saved;
    small.destroy(small.ctx);
}
END_TEST

START_TEST(silent_server_times_out)
{
    fo_api_transport quick;
    start_server(SILENT, NULL);
    ck_assert_int_eq(fo_api_http_transport_new(&quick, NULL, 2000, 400, 1 << 20), 0);
    fo_api_transport saved = transport;
    transport = quick;
    double start = fo_now_ms();
    ck_assert_int_eq(send_request("PUT", "/service/S/version/1/clone", NULL), FO_ETIMEOUT);
    ck_assert_msg(fo_now_ms() - start < 3000, "took %.0f ms", fo_now_ms() - start);
    ck_assert(resp.maybe_delivered); /* it was sent: the outcome is unknown */
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: "));
    transport = saved;
    quick.destroy(quick.ctx);
}
END_TEST

START_TEST(dropped_connection_may_have_been_delivered)
{
    start_server(HANG_UP, NULL);
    ck_assert_int_eq(send_request("PUT", "/service/S/version/1/clone", NULL), FO_ECONNECT);
    ck_assert(resp.maybe_delivered);
    ck_assert_int_eq(resp.status, 0);
    ck_assert(received("PUT /service/S/version/1/clone"));
}
END_TEST

START_TEST(refused_connection_was_never_delivered)
{
    int fd = listen_loopback(&srv.port);
    close(fd); /* nothing listens there now */
    ck_assert_int_eq(send_request("PUT", "/x", "a=1"), FO_ECONNECT);
    ck_assert(!resp.maybe_delivered);
    ck_assert_ptr_nonnull(strstr(err.msg, "Fastly API: "));
}
END_TEST

START_TEST(proxy_environment_is_honoured)
{
    start_server(ANSWER, NULL);
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", srv.port);
    setenv("http_proxy", proxy, 1);
    unsetenv("no_proxy");
    unsetenv("NO_PROXY");
    fo_api_request req = {.method = "GET",
                          .url = "http://127.0.0.2:9/service",
                          .token = TOKEN,
                          .user_agent = "fixorigin/" FO_VERSION};
    ck_assert_int_eq(transport.send(transport.ctx, &req, &resp, &err), 0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(received("GET http://127.0.0.2:9/service HTTP/1.1\r\n"));
}
END_TEST

/* ---- TLS ---- */

/* A self-signed certificate for 127.0.0.1, its key kept in memory only. */
static SSL_CTX *tls_server(const char *cert_path)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    ck_assert(key && cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
    X509_gmtime_adj(X509_getm_notBefore(cert), -60);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)"127.0.0.1", -1, -1, 0);
    X509_set_issuer_name(cert, X509_get_subject_name(cert));
    X509_set_pubkey(cert, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "IP:127.0.0.1");
    ck_assert_ptr_nonnull(san);
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    ck_assert(X509_sign(cert, key, EVP_sha256()) > 0);
    FILE *f = fopen(cert_path, "w");
    ck_assert_ptr_nonnull(f);
    PEM_write_X509(f, cert);
    fclose(f);
    SSL_CTX *tls = SSL_CTX_new(TLS_server_method());
    ck_assert(SSL_CTX_use_certificate(tls, cert) == 1 && SSL_CTX_use_PrivateKey(tls, key) == 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    return tls;
}

START_TEST(tls_verification_is_always_on)
{
    char cert_path[] = "/tmp/fo-api-tls-XXXXXX";
    int fd = mkstemp(cert_path);
    ck_assert_int_ge(fd, 0);
    close(fd);
    start_server(ANSWER, tls_server(cert_path));
    /* The system's trust store does not know this certificate. */
    ck_assert_int_eq(send_request("GET", "/service", NULL), FO_ETLS);
    ck_assert(!resp.maybe_delivered);
    ck_assert(!received("GET"));
    /* Given as the trusted CA bundle, it verifies. */
    fo_api_transport trusting;
    ck_assert_int_eq(fo_api_http_transport_new(&trusting, cert_path, 5000, 5000, 1 << 20), 0);
    fo_api_transport saved = transport;
    transport = trusting;
    ck_assert_int_eq(send_request("GET", "/service", NULL), 0);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(received("Fastly-Key: " TOKEN));
    transport = saved;
    trusting.destroy(trusting.ctx);
    unlink(cert_path);
}
END_TEST

/* ---- fo_api_fetch_url: public files such as an AIA issuer ---- */

static char fetch_url[128];

static const char *url_of(const char *path)
{
    snprintf(fetch_url, sizeof(fetch_url), "http://127.0.0.1:%d%s", srv.port, path);
    return fetch_url;
}

START_TEST(fetch_url_reads_a_body_without_the_token)
{
    fo_buf body = {0};
    start_server(ANSWER, NULL);
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/ca.der"), 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err), 0);
    ck_assert_uint_eq(body.len, 12);
    ck_assert_str_eq(body.data, "{\"number\":1}");
    ck_assert(received("GET /ca.der HTTP/1.1"));
    ck_assert(!received("Fastly-Key"));
    fo_buf_clear(&body);
}
END_TEST

START_TEST(fetch_url_follows_a_redirect_but_not_to_file)
{
    fo_buf body = {0};
    static char redirect[256];
    srv.replies[0] = redirect;
    srv.replies[1] = ok_reply;
    srv.reply_count = 2;
    start_server(ANSWER, NULL);
    snprintf(redirect, sizeof(redirect),
             "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/moved\r\n"
             "Content-Length: 0\r\n\r\n",
             srv.port);
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/ca.der"), 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err), 0);
    ck_assert(received("GET /moved HTTP/1.1"));
    fo_buf_clear(&body);

    snprintf(redirect, sizeof(redirect),
             "HTTP/1.1 302 Found\r\nLocation: file:///etc/passwd\r\nContent-Length: 0\r\n\r\n");
    srv.reply_count = 1;
    pthread_mutex_lock(&srv.lock);
    srv.answered = 0;
    pthread_mutex_unlock(&srv.lock);
    ck_assert_int_lt(
        fo_api_fetch_url(&body, url_of("/again"), 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err), 0);
    ck_assert_ptr_null(body.data);
}
END_TEST

START_TEST(fetch_url_refuses_other_schemes_statuses_and_big_bodies)
{
    fo_buf body = {0};
    ck_assert_int_eq(
        fo_api_fetch_url(&body, "file:///etc/passwd", 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err),
        FO_EINVAL);
    ck_assert_str_eq(err.msg, "'file:///etc/passwd' is not an http or https URL");
    ck_assert_int_eq(
        fo_api_fetch_url(&body, "ldap://127.0.0.1/x", 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err),
        FO_EINVAL);
    ck_assert_int_eq(fo_api_fetch_url(&body, NULL, 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err),
                     FO_EINVAL);

    srv.replies[0] = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!";
    start_server(ANSWER, NULL);
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/missing.der"), 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err),
        FO_EHTTP);
    ck_assert_int_eq(err.http_status, 404);
    ck_assert_ptr_nonnull(strstr(err.msg, "/missing.der: HTTP 404"));
    ck_assert_ptr_null(body.data);

    srv.replies[0] = ok_reply;
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/big"), 5, 5000, FO_FETCH_ALLOW_LOOPBACK, &err), FO_EPROTO);
    ck_assert_ptr_nonnull(strstr(err.msg, "larger than 5 bytes"));
    ck_assert_ptr_null(body.data);
}
END_TEST

START_TEST(fetch_url_goes_to_public_addresses_only)
{
    /* The URL comes from a certificate: it must not reach this machine's or the network's
     * private services (here, the test's server on loopback) unless told it may. */
    fo_buf body = {0};
    start_server(ANSWER, NULL);
    ck_assert_int_eq(fo_api_fetch_url(&body, url_of("/ca.der"), 1000, 5000, 0, &err), FO_ECONNECT);
    ck_assert_ptr_nonnull(strstr(err.msg, "not fetched: it leads to 127.0.0.1, a private or "
                                          "internal address"));
    ck_assert(!received("GET /ca.der"));
    ck_assert_ptr_null(body.data);
    /* Nor by a redirect from an allowed place. */
    static char redirect[256];
    srv.replies[0] = redirect;
    srv.reply_count = 1;
    snprintf(redirect, sizeof(redirect),
             "HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\n"
             "Content-Length: 0\r\n\r\n");
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/moved.der"), 1000, 5000, FO_FETCH_ALLOW_LOOPBACK, &err),
        FO_ECONNECT);
    ck_assert_ptr_nonnull(strstr(err.msg, "it leads to 169.254.169.254"));
    /* Private, link-local, unspecified, mapped, NAT64 and 6to4 addresses, literally. */
    static const char *const urls[] = {"http://10.1.2.3/x",
                                       "http://192.168.0.1/x",
                                       "http://172.16.5.4/x",
                                       "http://0.0.0.0/x",
                                       "http://[::1]/x",
                                       "http://[fe80::1]/x",
                                       "http://[fd00::1]/x",
                                       "http://[::ffff:10.0.0.1]/x",
                                       "http://[64:ff9b::a9fe:a9fe]/x",
                                       "http://[2002:a00:1::1]/x",
                                       "http://[64:ff9b:1::1]/x"};
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        ck_assert_msg(fo_api_fetch_url(&body, urls[i], 1000, 2000, 0, &err) == FO_ECONNECT,
                      "%s: %s", urls[i], err.msg);
        ck_assert_ptr_nonnull(strstr(err.msg, "a private or internal address"));
    }
}
END_TEST

START_TEST(fetch_url_is_bounded_in_time)
{
    fo_buf body = {0};
    start_server(SILENT, NULL);
    double start = fo_now_ms();
    ck_assert_int_eq(
        fo_api_fetch_url(&body, url_of("/slow.der"), 1000, 400, FO_FETCH_ALLOW_LOOPBACK, &err),
        FO_ETIMEOUT);
    ck_assert_msg(fo_now_ms() - start < 3000, "took %.0f ms", fo_now_ms() - start);
    ck_assert_ptr_null(body.data);
}
END_TEST

Suite *api_http_suite(void)
{
    Suite *s = suite_create("api_http");
    TCase *tc = tcase_create("http");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, get_sends_token_agent_and_reads_headers);
    tcase_add_test(tc, put_sends_the_form_and_no_expect);
    tcase_add_test(tc, put_without_body_has_no_content_type);
    tcase_add_test(tc, path_is_sent_as_built);
    tcase_add_test(tc, reads_reuse_a_connection_writes_get_their_own);
    tcase_add_test(tc, oversized_body_is_refused);
    tcase_add_test(tc, silent_server_times_out);
    tcase_add_test(tc, dropped_connection_may_have_been_delivered);
    tcase_add_test(tc, refused_connection_was_never_delivered);
    tcase_add_test(tc, proxy_environment_is_honoured);
    tcase_add_test(tc, tls_verification_is_always_on);
    tcase_add_test(tc, fetch_url_reads_a_body_without_the_token);
    tcase_add_test(tc, fetch_url_follows_a_redirect_but_not_to_file);
    tcase_add_test(tc, fetch_url_refuses_other_schemes_statuses_and_big_bodies);
    tcase_add_test(tc, fetch_url_goes_to_public_addresses_only);
    tcase_add_test(tc, fetch_url_is_bounded_in_time);
    suite_add_tcase(s, tc);
    return s;
}
