/* probe/probe_net.h: resolving and connecting with deadlines, the way a probe must (the system
 * calls have none of their own). Internal to probe/. */
#ifndef FO_PROBE_NET_H
#define FO_PROBE_NET_H

#include <stdbool.h>
#include <stddef.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "fixorigin/probe.h"

/* At most this many addresses of a name are kept. */
#define FO_NET_MAX_ADDRESSES 16
/* How long a name may take to resolve. */
#define FO_NET_RESOLVE_TIMEOUT_MS 5000

typedef struct fo_net_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    char text[64]; /* "127.0.0.1", "::1" */
} fo_net_addr;

/* Resolves host (a name or an address literal) for port. Names under .invalid fail at
 * once without a query (RFC 6761). Returns the number of addresses (>= 1) written to
 * addrs, or FO_ERESOLVE with the reason in problem, or FO_ENOMEM. */
int fo_net_resolve(fo_net_addr addrs[FO_NET_MAX_ADDRESSES], const char *host, int port,
                   char *problem, size_t problem_size);

/* True when host is an IPv4 or IPv6 address literal. */
bool fo_net_is_address(const char *host);

typedef enum fo_connect_status {
    FO_CONNECT_OK,
    FO_CONNECT_REFUSED, /* refused or another immediate failure: problem says which */
    FO_CONNECT_TIMEOUT,
} fo_connect_status;

typedef struct fo_connect_result {
    fo_connect_status status;
    int fd;            /* connected socket (non-blocking) when OK, else -1 */
    double connect_ms; /* when OK */
    double late_ms;    /* after a timeout: when the connect did complete, else < 0 */
    char problem[256];
} fo_connect_result;

/* Connects to addr, giving up after timeout_ms; after a timeout it keeps waiting until
 * patience_ms (when larger) to learn late_ms, then closes that socket. Returns 0, or FO_EIO
 * when this machine could not try (no socket, no source address or route, a local
 * firewall: problem says so), which is the prober's failure, never the origin's. */
int fo_net_connect(fo_connect_result *out, const fo_net_addr *addr, double timeout_ms,
                   double patience_ms);

/* Waits until fd is ready for events or the monotonic deadline passes (on a probe loop the
 * probe is parked meanwhile: co.h). Returns 1 when ready, 0 on the deadline, -1 on error. */
int fo_net_wait(int fd, short events, double deadline_ms);
/* fo_net_wait that also gives the time the probe, though ready, waited for its loop
 * (fo_co_poll): our own queueing, not the origin's time. */
int fo_net_wait_queued(int fd, short events, double deadline_ms, double *queued_ms);

/* Sends all of data before the deadline. Returns 0, or -1 (closed, reset, deadline). */
int fo_net_send_all(int fd, const void *data, size_t len, double deadline_ms);

/* The extra wait after a timeout that tells how late the origin answers: up to three
 * times the timeout, capped at 10 s (but never less than the timeout itself). */
double fo_net_patience_ms(double timeout_ms);

#endif
