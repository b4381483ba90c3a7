/* The server: one poll loop accepts on every listener, each connection gets a
 * thread of its own, and every connection ends by a deadline, so a client that
 * misbehaves costs a thread for a bounded time and a shutdown is prompt. */
/* accept4 and POLLRDHUP */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "origins.h"

enum {
    HANDSHAKE_MS = 10000, /* a TLS handshake, the longest any case should take */
    REQUEST_MS = 5000,    /* reading a request after the handshake */
    HOLD_MS = 30000,      /* silent and dripping origins: longer than any probe waits */
    LINGER_MS = 5000,     /* after answering: wait for the client to close first */
    MAX_CONNECTIONS = 4096,
    FILLERS_MAX = 8,
};

/* ---- sockets ---- */

static int set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags < 0 ? -1 : fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

/* A socket bound to host (an IPv4 or IPv6 address; IPv6 only, so ::1 and 127.0.0.1 may
 * share a port) and port. */
static int socket_bound(const char *host, int port, fo_error *err)
{
    struct sockaddr_storage addr;
    socklen_t addr_len;
    memset(&addr, 0, sizeof(addr));
    struct sockaddr_in *v4 = (struct sockaddr_in *)&addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&addr;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        addr_len = sizeof(*v4);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        addr_len = sizeof(*v6);
    } else {
        fo_error_set(err, FO_EINVAL, "'%s' is not an IP address", host);
        return -1;
    }
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (addr.ss_family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
        bind(fd, (struct sockaddr *)&addr, addr_len) != 0) {
        fo_error_set(err, FO_EIO, "cannot bind %s:%d: %s", host, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int bound_port(int fd)
{
    struct sockaddr_storage addr;
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) != 0)
        return -1;
    if (addr.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&addr)->sin6_port);
    return ntohs(((struct sockaddr_in *)&addr)->sin_port);
}

/* Connects to port without waiting; true once connected within wait_ms. */
static bool connect_within(int fd, int port, int wait_ms)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (set_nonblocking(fd) != 0)
        return false;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
        return true;
    if (errno != EINPROGRESS)
        return false;
    struct pollfd p = {fd, POLLOUT, 0};
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    return poll(&p, 1, wait_ms) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 &&
           soerr == 0;
}

/* listen(fd, 0) queues one connection; connect until one stays unanswered, so
 * the probe's SYNs are then dropped and its connect times out. */
static int fill_backlog(tb_origin *o, fo_error *err)
{
    o->filler_fds = calloc(FILLERS_MAX, sizeof(int));
    if (!o->filler_fds)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < FILLERS_MAX; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return fo_error_set(err, FO_EIO, "socket: %s", strerror(errno));
        if (!connect_within(fd, o->port, 100)) {
            close(fd);
            return o->filler_count > 0 ? FO_OK
                                       : fo_error_set(err, FO_EIO, "cannot fill the accept queue");
        }
        o->filler_fds[o->filler_count++] = fd;
    }
    return fo_error_set(err, FO_EIO, "the accept queue of port %d never filled", o->port);
}

int tb_origin_open(tb_origin *o, const char *host, int port, fo_error *err)
{
    snprintf(o->host, sizeof(o->host), "%s", host);
    o->fd = -1;
    if (o->behaviour == TB_NO_LISTENER) {
        o->port = port;
        return FO_OK;
    }
    o->fd = socket_bound(host, port, err);
    if (o->fd < 0)
        return err ? err->code : FO_EIO;
    o->port = bound_port(o->fd);
    if (o->behaviour == TB_REFUSED) /* reserved, never listening */
        return FO_OK;
    int backlog = o->behaviour == TB_BACKLOG_FULL ? 0 : 512;
    if (listen(o->fd, backlog) != 0 || set_nonblocking(o->fd) != 0)
        return fo_error_set(err, FO_EIO, "cannot listen on %s:%d: %s", host, o->port,
                            strerror(errno));
    return o->behaviour == TB_BACKLOG_FULL ? fill_backlog(o, err) : FO_OK;
}

void tb_origin_close(tb_origin *o)
{
    for (size_t i = 0; i < o->filler_count; i++)
        close(o->filler_fds[i]);
    free(o->filler_fds);
    o->filler_fds = NULL;
    o->filler_count = 0;
    if (o->fd >= 0)
        close(o->fd);
    o->fd = -1;
}

static bool accepts_connections(const tb_origin *o)
{
    return o->fd >= 0 && o->behaviour != TB_REFUSED && o->behaviour != TB_BACKLOG_FULL &&
           o->behaviour != TB_NO_LISTENER;
}

/* ---- one connection ---- */

typedef struct conn {
    pthread_t thread;
    int fd;
    int stop_fd;
    const tb_origin *origin;
    struct server *server;
    struct conn *next_done;
} conn;

typedef struct server {
    pthread_mutex_t lock;
    pthread_cond_t idle;
    size_t live;
    conn *done; /* finished threads waiting to be joined */
} server;

/* Waits until fd is ready for events; false at the deadline or when the
 * testbed stops. */
static bool conn_wait(const conn *c, short events, double deadline)
{
    for (;;) {
        double left = deadline - fo_now_ms();
        if (left <= 0)
            return false;
        struct pollfd p[2] = {{c->fd, events, 0}, {c->stop_fd, POLLIN, 0}};
        int n = poll(p, 2, (int)left + 1);
        if (n < 0 && errno != EINTR)
            return false;
        if (n > 0 && p[1].revents)
            return false;
        if (n > 0 && p[0].revents)
            return true;
    }
}

/* Sleeps ms unless the testbed stops first; false when it stops. */
static bool conn_pause(const conn *c, int ms)
{
    struct pollfd p = {c->stop_fd, POLLIN, 0};
    double deadline = fo_now_ms() + ms;
    for (double left = ms; left > 0; left = deadline - fo_now_ms()) {
        int n = poll(&p, 1, (int)left + 1);
        if (n > 0 || (n < 0 && errno != EINTR))
            return false;
    }
    return true;
}

static bool send_all(const conn *c, const void *data, size_t len, double deadline)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!conn_wait(c, POLLOUT, deadline))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Reads into buf after the have bytes already there, until enough() says so,
 * the peer closes or the deadline passes. Returns the bytes now in buf. */
static size_t recv_until(const conn *c, char *buf, size_t have, size_t cap, double deadline,
                         bool (*enough)(const char *buf, size_t len))
{
    while (have < cap && !enough(buf, have)) {
        ssize_t n = recv(c->fd, buf + have, cap - have, 0);
        if (n > 0)
            have += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            break;
        else if (!conn_wait(c, POLLIN, deadline))
            break;
    }
    return have;
}

/* Holds the connection until the client closes or the deadline: the client
 * decides when it has seen enough. */
static void drain_until_closed(const conn *c, int ms)
{
    char sink[4096];
    double deadline = fo_now_ms() + ms;
    while (conn_wait(c, POLLIN, deadline)) {
        ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

static bool has_header_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 3 < len; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0)
            return true;
    }
    return false;
}

/* "GET /x HTTP/1.1": an upper-case method, a space, and the path. */
static bool looks_like_http(const char *buf, size_t len)
{
    size_t i = 0;
    while (i < len && buf[i] >= 'A' && buf[i] <= 'Z')
        i++;
    return i > 0 && i < len && buf[i] == ' ';
}

/* A TLS record header and all the bytes it announces. */
static bool has_whole_record(const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    return len >= 5 && len >= 5 + ((size_t)p[3] << 8 | p[4]);
}

static bool first_bytes(const char *buf, size_t len)
{
    (void)buf;
    return len > 0;
}

static void serve_http(const conn *c)
{
    char request[4096];
    double deadline = fo_now_ms() + REQUEST_MS;
    size_t len = recv_until(c, request, 0, sizeof(request) - 1, deadline, first_bytes);
    if (len == 0)
        return;
    char head[256];
    const unsigned char *body = (const unsigned char *)"";
    size_t body_len = 0;
    const char *status = "400 Bad Request";
    const char *type = "text/plain";
    if (looks_like_http(request, len)) {
        len = recv_until(c, request, len, sizeof(request) - 1, deadline, has_header_end);
        request[len] = '\0';
        char method[16] = "", path[256] = "";
        sscanf(request, "%15s %255s", method, path);
        status = "200 OK";
        body = (const unsigned char *)"plain http origin\n";
        body_len = strlen((const char *)body);
        if (c->origin->files) {
            status = "404 Not Found";
            body_len = 0;
            for (const tb_http_file *f = c->origin->files; f->path; f++) {
                if (strcmp(f->path, path) == 0) {
                    status = "200 OK";
                    type = "application/pkix-cert";
                    body = f->body;
                    body_len = f->len;
                }
            }
        }
        if (strcmp(method, "HEAD") == 0)
            body_len = 0;
    }
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, type, body_len);
    if (send_all(c, head, (size_t)n, deadline) && body_len > 0)
        send_all(c, body, body_len, deadline);
    shutdown(c->fd, SHUT_WR);
    drain_until_closed(c, LINGER_MS);
}

/* Runs one nonblocking OpenSSL step to completion or failure. */
static int ssl_step(const conn *c, SSL *ssl, int (*step)(SSL *), double deadline)
{
    for (;;) {
        int r = step(ssl);
        if (r > 0)
            return r;
        int e = SSL_get_error(ssl, r);
        short events = e == SSL_ERROR_WANT_READ ? POLLIN : e == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
        if (!events || !conn_wait(c, events, deadline))
            return r;
    }
}

/* Clients write a request in one go: its first bytes are the cue to answer. */
static int ssl_read_request(SSL *ssl)
{
    char buf[4096];
    return SSL_read(ssl, buf, sizeof(buf));
}

static int ssl_write_response(SSL *ssl)
{
    static const char response[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                                   "Content-Length: 16\r\nConnection: close\r\n\r\n"
                                   "testbed origin\r\n";
    return SSL_write(ssl, response, (int)sizeof(response) - 1);
}

static void serve_tls(const conn *c)
{
    SSL *ssl = NULL;
    if (c->origin->delay_ms > 0 && !conn_pause(c, c->origin->delay_ms))
        goto out;
    ssl = SSL_new(c->origin->ctx);
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1)
        goto out;
    double deadline = fo_now_ms() + HANDSHAKE_MS;
    if (ssl_step(c, ssl, SSL_accept, deadline) <= 0) {
        /* The alert is sent; a TLS 1.3 client may already have sent its request after its
         * Finished (a refused client certificate). Closing with that request unread would
         * reset the connection, and the reset can overtake the alert: linger as a web
         * server does, so the client reads why it was refused. */
        shutdown(c->fd, SHUT_WR);
        drain_until_closed(c, LINGER_MS);
        goto out;
    }
    deadline = fo_now_ms() + REQUEST_MS;
    if (ssl_step(c, ssl, ssl_read_request, deadline) > 0 &&
        ssl_step(c, ssl, ssl_write_response, deadline) > 0)
        SSL_shutdown(ssl);
out:
    SSL_free(ssl);
    ERR_clear_error();
}

static void serve_rc4(const conn *c)
{
    unsigned char hello[5 + 16384];
    double deadline = fo_now_ms() + HANDSHAKE_MS;
    size_t len = recv_until(c, (char *)hello, 0, sizeof(hello), deadline, has_whole_record);
    tb_client_hello parsed;
    int rc = tb_hello_parse(&parsed, hello, len);
    if (rc == FO_EINVAL)
        return; /* closed or timed out before a whole record */
    unsigned char reply[64];
    size_t reply_len = 0;
    for (size_t i = 0; rc == FO_OK && i < parsed.suite_count && i < 256; i++) {
        if (tb_hello_is_rc4(parsed.suites[i])) {
            uint16_t version = parsed.version < 0x0303 ? parsed.version : 0x0303;
            reply_len = tb_hello_server_hello(reply, sizeof(reply), version, parsed.suites[i]);
            break;
        }
    }
    if (reply_len == 0) { /* fatal alert: handshake_failure, or decode_error */
        static const unsigned char alert[] = {21, 3, 3, 0, 2, 2, 40};
        memcpy(reply, alert, sizeof(alert));
        reply[6] = rc == FO_OK ? 40 : 50;
        reply_len = sizeof(alert);
    }
    if (send_all(c, reply, reply_len, deadline))
        drain_until_closed(c, LINGER_MS);
}

static void serve_hostile(const conn *c)
{
    double deadline = fo_now_ms() + HOLD_MS;
    unsigned char bytes[1024];
    switch (c->origin->behaviour) {
    case TB_GARBAGE:
        if (RAND_bytes(bytes, sizeof(bytes)) != 1)
            memset(bytes, 0xa5, sizeof(bytes));
        bytes[0] = 0xff; /* never a TLS record type, never an HTTP method */
        if (send_all(c, bytes, sizeof(bytes), deadline))
            drain_until_closed(c, LINGER_MS);
        break;
    case TB_HUGE_RECORD:
        /* A handshake record far above TLS's 16 KiB limit, then filler. */
        memset(bytes, 0x41, sizeof(bytes));
        memcpy(bytes, "\x16\x03\x03\xff\xff\x02\xff\xff\xfb", 9);
        if (send_all(c, bytes, sizeof(bytes), deadline))
            drain_until_closed(c, LINGER_MS);
        break;
    case TB_DRIP: {
        static const unsigned char header[] = {22, 3, 3, 0x40, 0x00};
        for (size_t i = 0; i < sizeof(header) + 0x4000; i++) {
            unsigned char b = i < sizeof(header) ? header[i] : 0x42;
            if (!send_all(c, &b, 1, deadline) || !conn_pause(c, 250))
                break;
            struct pollfd p = {c->fd, POLLRDHUP, 0};
            if (poll(&p, 1, 0) == 1)
                break; /* the client gave up */
        }
        break;
    }
    case TB_RESET: {
        /* Reset once the hello is in, so the client is surely past its connect
         * (a reset racing the connect would read as "refused"). */
        recv_until(c, (char *)bytes, 0, sizeof(bytes), fo_now_ms() + REQUEST_MS, first_bytes);
        struct linger reset = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
        break;
    }
    default:
        drain_until_closed(c, HOLD_MS);
        break;
    }
}

static void *conn_main(void *arg)
{
    conn *c = arg;
    switch (c->origin->behaviour) {
    case TB_TLS:
        serve_tls(c);
        break;
    case TB_HTTP:
        serve_http(c);
        break;
    case TB_RC4:
        serve_rc4(c);
        break;
    default:
        serve_hostile(c);
        break;
    }
    close(c->fd);
    /* OpenSSL keeps per-thread state; free it now rather than at thread exit. */
    OPENSSL_thread_stop();
    server *s = c->server;
    pthread_mutex_lock(&s->lock);
    c->next_done = s->done;
    s->done = c;
    s->live--;
    pthread_cond_signal(&s->idle);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Joins the threads that have finished. */
static void reap(server *s)
{
    pthread_mutex_lock(&s->lock);
    conn *done = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->lock);
    while (done) {
        conn *next = done->next_done;
        pthread_join(done->thread, NULL);
        free(done);
        done = next;
    }
}

static void start_conn(server *s, const tb_origin *o, int fd, int stop_fd)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    *c = (conn){.fd = fd, .stop_fd = stop_fd, .origin = o, .server = s};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pthread_mutex_lock(&s->lock);
    bool room = s->live < MAX_CONNECTIONS;
    if (room)
        s->live++;
    pthread_mutex_unlock(&s->lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    if (!room || pthread_create(&c->thread, &attr, conn_main, c) != 0) {
        if (room) {
            pthread_mutex_lock(&s->lock);
            s->live--;
            pthread_mutex_unlock(&s->lock);
        }
        close(fd);
        free(c);
    }
    pthread_attr_destroy(&attr);
}

static void accept_all(server *s, const tb_origin *o, int stop_fd)
{
    for (;;) {
        int fd = accept4(o->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN, or out of descriptors: try again on the next wake */
        start_conn(s, o, fd, stop_fd);
    }
}

int tb_serve(tb_origin *const *origins, size_t count, int stop_fd, fo_error *err)
{
    int rc = FO_OK;
    server s = {.live = 0, .done = NULL};
    struct pollfd *fds = calloc(count + 1, sizeof(*fds));
    const tb_origin **owner = calloc(count + 1, sizeof(*owner));
    if (!fds || !owner) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.idle, NULL);
    size_t n = 0;
    fds[n++] = (struct pollfd){stop_fd, POLLIN, 0};
    for (size_t i = 0; i < count; i++) {
        if (accepts_connections(origins[i])) {
            owner[n] = origins[i];
            fds[n++] = (struct pollfd){origins[i]->fd, POLLIN, 0};
        }
    }
    for (;;) {
        int ready = poll(fds, n, 200);
        if (ready < 0 && errno != EINTR) {
            rc = fo_error_set(err, FO_EIO, "poll: %s", strerror(errno));
            break;
        }
        if (ready > 0 && fds[0].revents)
            break;
        for (size_t i = 1; ready > 0 && i < n; i++) {
            if (fds[i].revents & POLLIN)
                accept_all(&s, owner[i], stop_fd);
        }
        reap(&s);
    }
    /* Every connection watches stop_fd and ends promptly; wait for them all. */
    pthread_mutex_lock(&s.lock);
    while (s.live > 0)
        pthread_cond_wait(&s.idle, &s.lock);
    pthread_mutex_unlock(&s.lock);
    reap(&s);
    pthread_cond_destroy(&s.idle);
    pthread_mutex_destroy(&s.lock);
out:
    free(fds);
    free(owner);
    return rc;
}
