/* Resolving and connecting with deadlines (see net.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/tcp.h>

#include "probe_co.h"
#include "probe_net.h"

#define RESOLVER_STACK_SIZE (512u * 1024)

bool fo_net_is_address(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* RFC 6761 6.4: names under .invalid never resolve, so no query is sent for them. */
static bool is_invalid_tld(const char *host)
{
    size_t n = strlen(host);
    if (n > 0 && host[n - 1] == '.')
        n--;
    static const char tld[] = "invalid";
    size_t t = sizeof(tld) - 1;
    if (n < t || strncasecmp(host + n - t, tld, t) != 0)
        return false;
    return n == t || host[n - t - 1] == '.';
}

/* getaddrinfo has no deadline: it runs on a helper thread the caller may walk away from.
 * The job is freed by whichever side lets go of it last. */
struct resolve_job {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done;
    int refs;
    int rc;
    struct addrinfo *result;
    char *host;
    char port[16];
};

static void job_release(struct resolve_job *job)
{
    pthread_mutex_lock(&job->lock);
    bool last = --job->refs == 0;
    pthread_mutex_unlock(&job->lock);
    if (!last)
        return;
    if (job->result)
        freeaddrinfo(job->result);
    pthread_mutex_destroy(&job->lock);
    pthread_cond_destroy(&job->done_cond);
    free(job->host);
    free(job);
}

static const struct addrinfo lookup_hints = {
    .ai_family = AF_UNSPEC,
    .ai_socktype = SOCK_STREAM,
    .ai_protocol = IPPROTO_TCP,
};

static void *resolve_thread(void *arg)
{
    struct resolve_job *job = arg;
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(job->host, job->port, &lookup_hints, &result);
    pthread_mutex_lock(&job->lock);
    job->rc = rc;
    job->result = result;
    job->done = true;
    pthread_cond_signal(&job->done_cond);
    pthread_mutex_unlock(&job->lock);
    job_release(job);
    return NULL;
}

/* Resolves a name on a helper thread, waiting at most FO_NET_RESOLVE_TIMEOUT_MS.
 * Returns a getaddrinfo code, EAI_AGAIN on the deadline, EAI_MEMORY. */
static int resolve_name(struct addrinfo **out, const char *host, const char *port)
{
    struct resolve_job *job = calloc(1, sizeof(*job));
    if (!job)
        return EAI_MEMORY;
    job->host = fo_strdup(host);
    snprintf(job->port, sizeof(job->port), "%s", port);
    job->refs = 2;
    pthread_condattr_t cattr;
    pthread_condattr_init(&cattr);
    pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
    pthread_mutex_init(&job->lock, NULL);
    pthread_cond_init(&job->done_cond, &cattr);
    pthread_condattr_destroy(&cattr);

    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, RESOLVER_STACK_SIZE);
    bool started = job->host && pthread_create(&thread, &attr, resolve_thread, job) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        job->refs = 1;
        job_release(job);
        return EAI_MEMORY;
    }

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += FO_NET_RESOLVE_TIMEOUT_MS / 1000;
    int rc = EAI_AGAIN;
    if (fo_co_inside()) {
        /* On a probe loop: look in now and then, letting the other probes run meanwhile. */
        double until = fo_now_ms() + FO_NET_RESOLVE_TIMEOUT_MS;
        for (double pause = 1;; pause = pause < 32 ? pause * 2 : pause) {
            pthread_mutex_lock(&job->lock);
            bool done = job->done;
            pthread_mutex_unlock(&job->lock);
            double now = fo_now_ms();
            if (done || now >= until)
                break;
            fo_co_poll(NULL, 0, now + pause < until ? now + pause : until, NULL);
        }
    }
    pthread_mutex_lock(&job->lock);
    while (!job->done) {
        if (pthread_cond_timedwait(&job->done_cond, &job->lock, &deadline) == ETIMEDOUT)
            break;
    }
    if (job->done) {
        rc = job->rc;
        *out = job->result;
        job->result = NULL;
    }
    pthread_mutex_unlock(&job->lock);
    job_release(job);
    return rc;
}

int fo_net_resolve(fo_net_addr addrs[FO_NET_MAX_ADDRESSES], const char *host, int port,
                   char *problem, size_t problem_size)
{
    char port_text[16];
    struct addrinfo *result = NULL;
    int rc;

    snprintf(port_text, sizeof(port_text), "%d", port);
    if (is_invalid_tld(host)) {
        snprintf(problem, problem_size, "names under .invalid never resolve (RFC 6761)");
        return FO_ERESOLVE;
    }
    if (fo_net_is_address(host)) {
        struct addrinfo hints = lookup_hints;
        hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
        rc = getaddrinfo(host, port_text, &hints, &result);
    } else {
        rc = resolve_name(&result, host, port_text);
    }
    if (rc == EAI_MEMORY)
        return FO_ENOMEM;
    if (rc != 0) {
        if (rc == EAI_AGAIN && !result)
            snprintf(problem, problem_size, "%s (or no answer within %d ms)", gai_strerror(rc),
                     FO_NET_RESOLVE_TIMEOUT_MS);
        else
            snprintf(problem, problem_size, "%s", gai_strerror(rc));
        return FO_ERESOLVE;
    }
    int count = 0;
    for (struct addrinfo *ai = result; ai && count < FO_NET_MAX_ADDRESSES; ai = ai->ai_next) {
        if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
            ai->ai_addrlen > sizeof(addrs[0].sa))
            continue;
        fo_net_addr *a = &addrs[count];
        memset(a, 0, sizeof(*a));
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->len = ai->ai_addrlen;
        const char *raw = (const char *)ai->ai_addr +
                          (ai->ai_family == AF_INET ? offsetof(struct sockaddr_in, sin_addr)
                                                    : offsetof(struct sockaddr_in6, sin6_addr));
        inet_ntop(ai->ai_family, raw, a->text, sizeof(a->text));
        bool repeat = false;
        for (int i = 0; i < count; i++)
            repeat |= strcmp(addrs[i].text, a->text) == 0;
        if (!repeat)
            count++;
    }
    freeaddrinfo(result);
    if (count == 0) {
        snprintf(problem, problem_size, "no IPv4 or IPv6 address");
        return FO_ERESOLVE;
    }
    return count;
}

int fo_net_wait_queued(int fd, short events, double deadline_ms, double *queued_ms)
{
    if (queued_ms)
        *queued_ms = 0;
    if (deadline_ms - fo_now_ms() <= 0)
        return 0;
    struct pollfd pfd = {.fd = fd, .events = events};
    int rc = fo_co_poll(&pfd, 1, deadline_ms, queued_ms);
    return rc > 0 ? 1 : rc;
}

int fo_net_wait(int fd, short events, double deadline_ms)
{
    return fo_net_wait_queued(fd, events, deadline_ms, NULL);
}

int fo_net_send_all(int fd, const void *data, size_t len, double deadline_ms)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        /* EWOULDBLOCK is EAGAIN on Linux, the only system this builds for (epoll) */
        if (n < 0 && errno == EAGAIN && fo_net_wait(fd, POLLOUT, deadline_ms) == 1)
            continue;
        return -1;
    }
    return 0;
}

double fo_net_patience_ms(double timeout_ms)
{
    double patience = 3 * timeout_ms;
    if (patience > 10000)
        patience = 10000;
    return patience > timeout_ms ? patience : timeout_ms;
}

static int connect_error(int fd)
{
    int error = 0;
    socklen_t len = sizeof(error);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) != 0)
        return errno;
    return error;
}

/* Failures that come from this machine, not from the origin or the network in between:
 * no source address for the family, no route out, no file descriptors or buffers left, a
 * local firewall. Fastly's edge would not see them: they are the prober's own failure, and
 * calling them a refusal would send the user to the origin's firewall. */
static bool local_failure(int error)
{
    switch (error) {
    case EADDRNOTAVAIL:
    case ENETUNREACH:
    case ENETDOWN:
    case EMFILE:
    case ENFILE:
    case ENOBUFS:
    case ENOMEM:
    case EAFNOSUPPORT:
    case EPERM:
    case EACCES:
        return true;
    default:
        return false;
    }
}

static int local_problem(fo_connect_result *out, const fo_net_addr *addr, int error)
{
    snprintf(out->problem, sizeof(out->problem),
             "this machine cannot connect to %s: %s (the prober's own failure, not the origin's)",
             addr->text, strerror(error));
    return FO_EIO;
}

int fo_net_connect(fo_connect_result *out, const fo_net_addr *addr, double timeout_ms,
                   double patience_ms)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->late_ms = -1;
    int fd = socket(addr->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return local_problem(out, addr, errno);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    double start = fo_now_ms(), queued = 0;
    int error = 0;
    if (connect(fd, (const struct sockaddr *)&addr->sa, addr->len) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
            /* Time a probe loop took to come back to us is ours, not the origin's. */
            int ready = fo_net_wait_queued(fd, POLLOUT, start + timeout_ms, &queued);
            if (ready == 0) {
                out->status = FO_CONNECT_TIMEOUT;
                if (patience_ms > timeout_ms &&
                    fo_net_wait(fd, POLLOUT, start + patience_ms) == 1 && connect_error(fd) == 0)
                    out->late_ms = fo_now_ms() - start;
                close(fd);
                return 0;
            }
            error = ready < 0 ? errno : connect_error(fd);
        }
    }
    /* Reset before we looked: the connection was made, then the origin dropped it. That
     * is the handshake's failure to name, not a refusal; the first send will see it. */
    if (error != 0 && local_failure(error)) {
        close(fd);
        return local_problem(out, addr, error);
    }
    if (error != 0 && error != ECONNRESET) {
        out->status = FO_CONNECT_REFUSED;
        snprintf(out->problem, sizeof(out->problem), "%s", strerror(error));
        close(fd);
        return 0;
    }
    out->status = FO_CONNECT_OK;
    out->fd = fd;
    out->connect_ms = fo_now_ms() - start - queued;
    return 0;
}
