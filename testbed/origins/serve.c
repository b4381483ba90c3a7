/* The server: one epoll loop accepts on every listener, each connection gets a
 * thread of its own while it lasts, and every connection ends by a deadline, so a
 * client that misbehaves costs a thread for a bounded time and a shutdown is prompt.
 * A thread whose connection ended waits a little for the next one rather than exit:
 * a benchmark's thousands of handshakes a second then cost the origins their TLS work,
 * not a thread's creation and teardown each (the client's figures are measured beside
 * them on the same cores). */
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "origins.h"

enum {
    HANDSHAKE_MS = 10000, /* a TLS handshake, the longest any case should take */
    REQUEST_MS = 5000,    /* reading a request after the handshake */
    HOLD_MS = 30000,      /* silent and dripping origins: longer than any probe waits */
    LINGER_MS = 5000,     /* after answering: wait for the client to close first */
    MAX_CONNECTIONS = 4096,
    IDLE_MS = 2000, /* a thread without a connection waits this long for another, then exits */
    FILLERS_MAX = 8,
    EVENTS_MAX = 64,
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
    int fd;
    int stop_fd;
    const tb_origin *origin;
    struct conn *next; /* in the server's queue */
} conn;

/* A thread that serves one connection after another. */
typedef struct worker {
    pthread_t thread;
    struct server *server;
    conn *first;
    struct worker *next_done;
} worker;

typedef struct server {
    pthread_mutex_t lock;
    pthread_cond_t work;      /* a connection was queued, or the server stops */
    pthread_cond_t exited;    /* a worker ended */
    size_t busy;              /* connections being served or queued */
    size_t waiting;           /* workers waiting for a connection */
    size_t workers;           /* live worker threads */
    conn *queue, *queue_tail; /* handed to waiting workers, as many as wait */
    size_t queued;
    bool stopping;
    worker *done; /* ended workers waiting to be joined */
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

static void serve_conn(const conn *c)
{
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
}

/* The next queued connection, waiting up to IDLE_MS for one; NULL when none came (or the
 * server stops with none queued). Called with s->lock held. */
static conn *next_conn(server *s)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += IDLE_MS / 1000;
    until.tv_nsec += (long)(IDLE_MS % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    s->waiting++;
    while (!s->queue && !s->stopping) {
        if (pthread_cond_timedwait(&s->work, &s->lock, &until) == ETIMEDOUT)
            break;
    }
    s->waiting--;
    conn *c = s->queue;
    if (c) {
        s->queue = c->next;
        if (!s->queue)
            s->queue_tail = NULL;
        s->queued--;
    }
    return c;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    server *s = w->server;
    for (conn *c = w->first; c;) {
        serve_conn(c);
        free(c);
        pthread_mutex_lock(&s->lock);
        s->busy--;
        c = next_conn(s);
        pthread_mutex_unlock(&s->lock);
    }
    /* OpenSSL keeps per-thread state; free it now rather than at thread exit. */
    OPENSSL_thread_stop();
    pthread_mutex_lock(&s->lock);
    w->next_done = s->done;
    s->done = w;
    s->workers--;
    pthread_cond_signal(&s->exited);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Joins the threads that have ended. */
static void reap(server *s)
{
    pthread_mutex_lock(&s->lock);
    worker *done = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->lock);
    while (done) {
        worker *next = done->next_done;
        pthread_join(done->thread, NULL);
        free(done);
        done = next;
    }
}

/* A new thread for c; false when none can be made. */
static bool start_worker(server *s, conn *c)
{
    worker *w = calloc(1, sizeof(*w));
    if (!w)
        return false;
    *w = (worker){.server = s, .first = c};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1 << 20);
    pthread_mutex_lock(&s->lock);
    s->workers++;
    pthread_mutex_unlock(&s->lock);
    bool ok = pthread_create(&w->thread, &attr, worker_main, w) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        pthread_mutex_lock(&s->lock);
        s->workers--;
        pthread_mutex_unlock(&s->lock);
        free(w);
    }
    return ok;
}

static void start_conn(server *s, const tb_origin *o, int fd, int stop_fd)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    *c = (conn){.fd = fd, .stop_fd = stop_fd, .origin = o};
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    pthread_mutex_lock(&s->lock);
    bool room = s->busy < MAX_CONNECTIONS;
    /* Queued only for a worker that waits and has not been promised another: a connection
     * never waits behind one that is being served. */
    bool handed = room && s->waiting > s->queued;
    if (room)
        s->busy++;
    if (handed) {
        if (s->queue_tail)
            s->queue_tail->next = c;
        else
            s->queue = c;
        s->queue_tail = c;
        s->queued++;
        pthread_cond_signal(&s->work);
    }
    pthread_mutex_unlock(&s->lock);
    if (handed)
        return;
    if (!room || !start_worker(s, c)) {
        if (room) {
            pthread_mutex_lock(&s->lock);
            s->busy--;
            pthread_mutex_unlock(&s->lock);
        }
        close(fd);
        free(c);
    }
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
    server s = {.busy = 0};
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.work, &attr);
    pthread_cond_init(&s.exited, NULL);
    pthread_condattr_destroy(&attr);
    /* epoll: a wake costs the listeners that are ready, not all of them (a benchmark's
     * testbed has a thousand). */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event stop = {.events = EPOLLIN, .data.ptr = NULL};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, stop_fd, &stop) != 0) {
        rc = fo_error_set(err, FO_EIO, "epoll: %s", strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        if (!accepts_connections(origins[i]))
            continue;
        struct epoll_event listener = {.events = EPOLLIN, .data.ptr = origins[i]};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, origins[i]->fd, &listener) != 0) {
            rc = fo_error_set(err, FO_EIO, "epoll: %s", strerror(errno));
            goto out;
        }
    }
    for (bool stopping = false; !stopping;) {
        struct epoll_event events[EVENTS_MAX];
        int ready = epoll_wait(ep, events, EVENTS_MAX, 200);
        if (ready < 0 && errno != EINTR) {
            rc = fo_error_set(err, FO_EIO, "epoll_wait: %s", strerror(errno));
            break;
        }
        for (int i = 0; i < ready; i++) {
            if (!events[i].data.ptr)
                stopping = true;
            else
                accept_all(&s, events[i].data.ptr, stop_fd);
        }
        reap(&s);
    }
out:
    /* Every connection watches stop_fd and ends promptly; waiting workers are woken: wait
     * for them all. */
    pthread_mutex_lock(&s.lock);
    s.stopping = true;
    pthread_cond_broadcast(&s.work);
    while (s.workers > 0)
        pthread_cond_wait(&s.exited, &s.lock);
    pthread_mutex_unlock(&s.lock);
    reap(&s);
    if (ep >= 0)
        close(ep);
    pthread_cond_destroy(&s.exited);
    pthread_cond_destroy(&s.work);
    pthread_mutex_destroy(&s.lock);
    return rc;
}
