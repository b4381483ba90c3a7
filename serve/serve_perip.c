/* serve's per-address connection limit, counting live connections only.
 *
 * libmicrohttpd's own limit (MHD_OPTION_PER_IP_CONNECTION_LIMIT) frees an address's slot only
 * once the daemon has cleaned up the connection's thread, well after the client has gone: a
 * client that keeps exactly max_per_ip connections, closing one and opening the next at once,
 * was refused. Here a connection counts from its acceptance until libmicrohttpd lets go of it,
 * and a connection whose client has already hung up is not counted at all. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fixorigin/serve.h"

struct live_conn {
    int fd;
    struct sockaddr_storage addr;
    struct live_conn *prev, *next;
    double since_ms; /* when it began sending its current request */
    bool receiving;  /* its request is not read whole yet */
};

struct fo_serve_perip {
    unsigned max_per_ip;
    pthread_mutex_t lock;
    struct live_conn *head; /* newest first */
    long receive_ms;        /* a request not read whole by then is cut; 0: no deadline */
    unsigned budget;        /* connections still sending at once; 0: no budget */
    pthread_t sweeper;
    bool sweeping;
    bool stop;
    pthread_cond_t wake;
    unsigned long cut; /* connections cut so far (deadline or budget) */
};

int fo_serve_perip_new(fo_serve_perip **out, unsigned max_per_ip)
{
    fo_serve_perip *limit = calloc(1, sizeof(*limit));
    if (!limit)
        return FO_ENOMEM;
    limit->max_per_ip = max_per_ip;
    pthread_mutex_init(&limit->lock, NULL);
    pthread_cond_init(&limit->wake, NULL);
    *out = limit;
    return 0;
}

void fo_serve_perip_free(fo_serve_perip *limit)
{
    if (!limit)
        return;
    if (limit->sweeping) {
        pthread_mutex_lock(&limit->lock);
        limit->stop = true;
        pthread_cond_signal(&limit->wake);
        pthread_mutex_unlock(&limit->lock);
        pthread_join(limit->sweeper, NULL);
    }
    pthread_cond_destroy(&limit->wake);
    for (struct live_conn *c = limit->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&limit->lock);
    free(limit);
}

/* Same address (the port is not part of it). */
static bool same_address(const struct sockaddr *a, const struct sockaddr_storage *b)
{
    if (a->sa_family != b->ss_family)
        return false;
    /* By offset: a struct sockaddr is less aligned than the sockaddr_in it stands for */
    if (a->sa_family == AF_INET) {
        size_t at = offsetof(struct sockaddr_in, sin_addr);
        return memcmp((const char *)a + at, (const char *)b + at, sizeof(struct in_addr)) == 0;
    }
    if (a->sa_family == AF_INET6) {
        size_t at = offsetof(struct sockaddr_in6, sin6_addr);
        return memcmp((const char *)a + at, (const char *)b + at, sizeof(struct in6_addr)) == 0;
    }
    return false;
}

/* A client that closed its end is gone, whether or not its thread has noticed yet. */
static bool hung_up(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

/* Ends a connection that is still sending: its thread sees the end of the stream and closes
 * it. The fd is still the connection's: entries leave the list before MHD closes them. */
static void cut_off(fo_serve_perip *limit, struct live_conn *c)
{
    shutdown(c->fd, SHUT_RDWR);
    c->receiving = false;
    limit->cut++;
}

/* Under the lock: when the connections still sending their request fill the budget, the one
 * sending longest makes room. A slow client holds a slot only until enough others arrive, so
 * many slow connections cannot keep a quick request (a health check) out. */
static void make_room(fo_serve_perip *limit)
{
    unsigned receiving = 0;
    struct live_conn *oldest = NULL;
    for (struct live_conn *c = limit->head; c; c = c->next) {
        if (!c->receiving || hung_up(c->fd))
            continue;
        receiving++;
        if (!oldest || c->since_ms <= oldest->since_ms)
            oldest = c;
    }
    if (limit->budget > 0 && receiving >= limit->budget && oldest)
        cut_off(limit, oldest);
}

bool fo_serve_perip_admit(fo_serve_perip *limit, const struct sockaddr *addr)
{
    unsigned live = 0;
    bool admit = true;
    pthread_mutex_lock(&limit->lock);
    if (limit->max_per_ip > 0) {
        for (struct live_conn *c = limit->head; c && live < limit->max_per_ip; c = c->next)
            live += same_address(addr, &c->addr) && !hung_up(c->fd);
        admit = live < limit->max_per_ip;
    }
    if (admit)
        make_room(limit);
    pthread_mutex_unlock(&limit->lock);
    return admit;
}

/* Cuts, every 100 ms, the connections whose request is not read whole within receive_ms: a
 * client sending a byte now and then never trips the idle timeout. */
static void *sweep(void *arg)
{
    fo_serve_perip *limit = arg;
    pthread_mutex_lock(&limit->lock);
    while (!limit->stop) {
        struct timespec next;
        clock_gettime(CLOCK_REALTIME, &next);
        next.tv_nsec += 100 * 1000000L;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&limit->wake, &limit->lock, &next);
        double now = fo_now_ms();
        for (struct live_conn *c = limit->head; c; c = c->next) {
            if (c->receiving && now - c->since_ms > (double)limit->receive_ms)
                cut_off(limit, c);
        }
    }
    pthread_mutex_unlock(&limit->lock);
    return NULL;
}

int fo_serve_perip_bound(fo_serve_perip *limit, long receive_ms, unsigned budget)
{
    limit->receive_ms = receive_ms;
    limit->budget = budget;
    if (receive_ms <= 0 || limit->sweeping)
        return 0;
    if (pthread_create(&limit->sweeper, NULL, sweep, limit) != 0)
        return FO_ENOMEM;
    limit->sweeping = true;
    return 0;
}

/* The connection's state, found through its socket context. */
static void set_receiving(fo_serve_perip *limit, struct MHD_Connection *conn, bool receiving)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct live_conn *c = info ? info->socket_context : NULL;
    if (!c)
        return;
    pthread_mutex_lock(&limit->lock);
    c->receiving = receiving;
    c->since_ms = fo_now_ms();
    pthread_mutex_unlock(&limit->lock);
}

void fo_serve_perip_received(fo_serve_perip *limit, struct MHD_Connection *conn)
{
    set_receiving(limit, conn, false);
}

void fo_serve_perip_answered(fo_serve_perip *limit, struct MHD_Connection *conn)
{
    set_receiving(limit, conn, true); /* kept alive: the next request's clock starts */
}

unsigned long fo_serve_perip_cut(fo_serve_perip *limit)
{
    pthread_mutex_lock(&limit->lock);
    unsigned long n = limit->cut;
    pthread_mutex_unlock(&limit->lock);
    return n;
}

void fo_serve_perip_notify(fo_serve_perip *limit, struct MHD_Connection *conn, void **socket_ctx,
                           int toe)
{
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fd =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *addr =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        struct live_conn *c = fd && addr && addr->client_addr ? calloc(1, sizeof(*c)) : NULL;
        if (!c) /* not tracked: the limit errs on the side of admitting */
            return;
        c->fd = fd->connect_fd;
        c->since_ms = fo_now_ms();
        c->receiving = true;
        size_t len = addr->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                              : sizeof(struct sockaddr_in);
        memcpy(&c->addr, addr->client_addr, len);
        pthread_mutex_lock(&limit->lock);
        c->next = limit->head;
        if (limit->head)
            limit->head->prev = c;
        limit->head = c;
        pthread_mutex_unlock(&limit->lock);
        *socket_ctx = c;
        return;
    }
    struct live_conn *c = *socket_ctx;
    if (!c)
        return;
    /* Removed before libmicrohttpd closes the socket, so admit never polls a reused fd. */
    pthread_mutex_lock(&limit->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        limit->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&limit->lock);
    *socket_ctx = NULL;
    free(c);
}
