/* Extra connections that explain a failure (see probe_explain.h). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/tcp.h>
#include <sys/random.h>

#include "probe_co.h"
#include "probe_hello.h"
#include "probe_explain.h"

#define SLOT_RC4 FO_TLS_VERSION_COUNT
#define SLOTS (FO_TLS_VERSION_COUNT + 1)

enum slot_state { SLOT_CONNECTING, SLOT_SENT, SLOT_DONE };

struct slot {
    int fd;
    enum slot_state state;
    bool answered; /* the origin replied or closed: it took a position */
    fo_hello_reply reply;
    uint8_t hello[FO_HELLO_MAX_SIZE];
    size_t hello_len;
    uint8_t *buf;
    size_t len;
};

static void fill_entropy(uint8_t *out, size_t n)
{
    /* The hellos need unpredictable-looking bytes, not secrets: any source will do. */
    if (getrandom(out, n, GRND_NONBLOCK) == (ssize_t)n)
        return;
    double now_ms = fo_now_ms();
    unsigned seed = (unsigned)now_ms;
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)rand_r(&seed);
}

static void slot_finish(struct slot *slot, bool answered)
{
    slot->state = SLOT_DONE;
    slot->answered = answered;
    if (slot->fd >= 0)
        close(slot->fd);
    slot->fd = -1;
}

static void slot_start(struct slot *slot, const fo_net_addr *addr)
{
    slot->fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (slot->fd < 0 || slot->hello_len == 0)
        return slot_finish(slot, false);
    int one = 1;
    setsockopt(slot->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    slot->state = SLOT_CONNECTING;
    if (connect(slot->fd, (const struct sockaddr *)&addr->sa, addr->len) != 0 &&
        errno != EINPROGRESS)
        slot_finish(slot, false);
}

static void slot_writable(struct slot *slot, double deadline)
{
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(slot->fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0 || error != 0)
        return slot_finish(slot, error == ECONNRESET); /* a reset is the origin's answer */
    if (fo_net_send_all(slot->fd, slot->hello, slot->hello_len, deadline) != 0)
        return slot_finish(slot, true);
    slot->state = SLOT_SENT;
}

static void slot_readable(struct slot *slot)
{
    ssize_t n = recv(slot->fd, slot->buf + slot->len, FO_EXPLAIN_MAX_REPLY - slot->len, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) /* closed or reset without a ServerHello: a refusal */
        return slot_finish(slot, true);
    slot->len += (size_t)n;
    fo_hello_parse(&slot->reply, slot->buf, slot->len);
    if (slot->reply.status != FO_HELLO_INCOMPLETE || slot->len == FO_EXPLAIN_MAX_REPLY)
        slot_finish(slot, true);
}

static void run_slots(struct slot *slots, const fo_net_addr *addr, double deadline)
{
    for (int i = 0; i < SLOTS; i++)
        slot_start(&slots[i], addr);
    for (;;) {
        struct pollfd pfds[SLOTS];
        int map[SLOTS], n = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (slots[i].state == SLOT_DONE)
                continue;
            pfds[n].fd = slots[i].fd;
            pfds[n].events = slots[i].state == SLOT_CONNECTING ? POLLOUT : POLLIN;
            pfds[n].revents = 0;
            map[n++] = i;
        }
        double left = deadline - fo_now_ms();
        if (n == 0 || left <= 0)
            break;
        int ready = fo_co_poll(pfds, (nfds_t)n, deadline, NULL);
        if (ready < 0 && errno != EINTR)
            break;
        for (int k = 0; ready > 0 && k < n; k++) {
            struct slot *slot = &slots[map[k]];
            if (pfds[k].revents == 0)
                continue;
            if (slot->state == SLOT_CONNECTING)
                slot_writable(slot, deadline);
            else
                slot_readable(slot);
        }
    }
    for (int i = 0; i < SLOTS; i++) {
        if (slots[i].state != SLOT_DONE)
            slot_finish(&slots[i], false);
    }
}

/* How many probes are sending hellos right now, process-wide. */
static int explaining;
static pthread_mutex_t explaining_lock = PTHREAD_MUTEX_INITIALIZER;

static long explain_slots(long fd_limit)
{
    long slots = (fd_limit - FO_PROBE_FD_RESERVE) / 8 / FO_EXPLAIN_HELLO_FDS;
    return slots < 1 ? 1 : slots > 32 ? 32 : slots;
}

long fo_explain_fds(long fd_limit)
{
    return explain_slots(fd_limit) * FO_EXPLAIN_HELLO_FDS;
}

/* Waits (letting other probes run on a probe loop) for a place among the probes explaining. */
static void explain_enter(void)
{
    for (;;) {
        pthread_mutex_lock(&explaining_lock);
        bool room = explaining < explain_slots(fo_fd_limit());
        explaining += room;
        pthread_mutex_unlock(&explaining_lock);
        if (room)
            return;
        fo_co_poll(NULL, 0, fo_now_ms() + 2, NULL);
    }
}

static void explain_leave(void)
{
    pthread_mutex_lock(&explaining_lock);
    explaining--;
    pthread_mutex_unlock(&explaining_lock);
}

static fo_tristate version_verdict(const struct slot *slot, fo_tls_version version)
{
    if (!slot->answered)
        return FO_UNTESTED;
    bool hello =
        slot->reply.status == FO_HELLO_SERVER_HELLO || slot->reply.status == FO_HELLO_RETRY_REQUEST;
    return hello && slot->reply.version == fo_hello_wire_version(version) ? FO_YES : FO_NO;
}

int fo_explain_hellos(fo_probe_facts *facts, const fo_net_addr *addr, const char *sni,
                      double timeout_ms)
{
    int rc = 0;
    struct slot *slots = calloc(SLOTS, sizeof(*slots));
    if (!slots)
        return FO_ENOMEM;
    for (int i = 0; i < SLOTS; i++) {
        uint8_t entropy[FO_HELLO_ENTROPY];
        fill_entropy(entropy, sizeof(entropy));
        slots[i].fd = -1;
        slots[i].buf = malloc(FO_EXPLAIN_MAX_REPLY);
        if (!slots[i].buf) {
            rc = FO_ENOMEM;
            goto out;
        }
        fo_hello_offer offer = i == SLOT_RC4 ? FO_HELLO_OFFER_RC4 : FO_HELLO_OFFER_VERSION;
        slots[i].hello_len =
            fo_hello_build(slots[i].hello, sizeof(slots[i].hello), offer,
                           (fo_tls_version)(FO_TLS_1_0 + (i % SLOT_RC4)), sni, entropy);
    }
    explain_enter();
    run_slots(slots, addr, fo_now_ms() + timeout_ms);
    explain_leave();
    for (int v = 0; v < FO_TLS_VERSION_COUNT; v++)
        facts->protocols[v] = version_verdict(&slots[v], (fo_tls_version)(FO_TLS_1_0 + v));
    const struct slot *rc4 = &slots[SLOT_RC4];
    if (rc4->answered)
        facts->rc4_only =
            rc4->reply.status == FO_HELLO_SERVER_HELLO && fo_hello_is_rc4_suite(rc4->reply.cipher)
                ? FO_YES
                : FO_NO;
out:
    for (int i = 0; i < SLOTS; i++)
        free(slots[i].buf);
    free(slots);
    return rc;
}

void fo_explain_http(fo_probe_facts *facts, int fd, const char *host, int port, double timeout_ms)
{
    char request[512];
    bool v6 = strchr(host, ':') != NULL;
    char port_part[16] = "";
    if (port != 80)
        snprintf(port_part, sizeof(port_part), ":%d", port);
    int n = snprintf(request, sizeof(request),
                     "HEAD / HTTP/1.1\r\nHost: %s%s%s%s\r\nUser-Agent: fixorigin-probe\r\n"
                     "Connection: close\r\n\r\n",
                     v6 ? "[" : "", host, v6 ? "]" : "", port_part);
    double deadline = fo_now_ms() + timeout_ms;
    if (n < 0 || (size_t)n >= sizeof(request) ||
        fo_net_send_all(fd, request, (size_t)n, deadline) != 0)
        return;

    char reply[256];
    size_t len = 0;
    bool closed = false;
    /* memchr reads only the len bytes recv wrote (none at first): cppcheck takes the empty
     * read of the unset buffer for a use */
    // cppcheck-suppress uninitvar
    while (len < sizeof(reply) - 1 && !memchr(reply, '\n', len)) {
        if (fo_net_wait(fd, POLLIN, deadline) != 1)
            break;
        ssize_t got = recv(fd, reply + len, sizeof(reply) - 1 - len, 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            closed = true;
            break;
        }
        len += (size_t)got;
    }
    if (len == 0) {
        facts->plain_http = closed ? FO_NO : FO_UNTESTED;
        return;
    }
    reply[len] = '\0';
    facts->plain_http = len >= 5 && memcmp(reply, "HTTP/", 5) == 0 ? FO_YES : FO_NO;
    size_t line = strcspn(reply, "\r\n");
    for (size_t i = 0; i < line; i++) {
        if ((unsigned char)reply[i] < 0x20 || (unsigned char)reply[i] >= 0x7f)
            reply[i] = '?';
    }
    reply[line] = '\0';
    free(facts->reply_start);
    facts->reply_start = fo_strdup(reply);
}
