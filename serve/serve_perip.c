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
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fixorigin/serve.h"

struct live_conn {
    int fd;
    struct sockaddr_storage addr;
    struct live_conn *prev, *next;
};

struct fo_serve_perip {
    unsigned max_per_ip;
    pthread_mutex_t lock;
    struct live_conn *head;
};

int fo_serve_perip_new(fo_serve_perip **out, unsigned max_per_ip)
{
    fo_serve_perip *limit = calloc(1, sizeof(*limit));
    if (!limit)
        return FO_ENOMEM;
    limit->max_per_ip = max_per_ip;
    pthread_mutex_init(&limit->lock, NULL);
    *out = limit;
    return 0;
}

void fo_serve_perip_free(fo_serve_perip *limit)
{
    if (!limit)
        return;
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
    if (a->sa_family == AF_INET)
        return memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                      &((const struct sockaddr_in *)b)->sin_addr, sizeof(struct in_addr)) == 0;
    if (a->sa_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
    return false;
}

/* A client that closed its end is gone, whether or not its thread has noticed yet. */
static bool hung_up(int fd)
{
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

bool fo_serve_perip_admit(fo_serve_perip *limit, const struct sockaddr *addr)
{
    if (limit->max_per_ip == 0)
        return true;
    unsigned live = 0;
    pthread_mutex_lock(&limit->lock);
    for (struct live_conn *c = limit->head; c && live < limit->max_per_ip; c = c->next)
        live += same_address(addr, &c->addr) && !hung_up(c->fd);
    pthread_mutex_unlock(&limit->lock);
    return live < limit->max_per_ip;
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
