/* probe/probe_co.h: many probes on a few threads. Each probe runs as a coroutine on its own small
 * stack; when it waits for a socket (fo_co_poll) it is parked in its thread's epoll set and
 * another probe runs. A probe waiting on a silent origin then costs a file descriptor and a
 * parked stack, not a thread: the probes waiting are bounded by the file limit, the probes
 * computing by the threads (one per core). The probe code itself stays sequential, so its
 * steps, evidence and timing rules are the same on a loop as on a thread of its own.
 * Internal to probe/. */
#ifndef FO_PROBE_PROBE_CO_H
#define FO_PROBE_PROBE_CO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

/* One unit of work: the probe of target index. Runs on a coroutine of a loop thread. */
typedef void (*fo_co_task)(void *ctx, size_t index);

/* Runs task(ctx, i) for every i in [0, count): at most concurrency at once, spread over
 * threads loop threads (at least one; on the caller's thread when none can be started). A
 * task that cannot get a coroutine stack runs directly on its loop thread (blocking it, but
 * still correct). Returns 0 once every task has returned, or FO_ENOMEM before any started. */
int fo_co_run(size_t count, int concurrency, int threads, fo_co_task task, void *ctx);

/* Tasks that come in over time: 1 and the next task's index in *index, 0 when there is none
 * yet (more may come: asked again within a few ms), -1 when there will be no more. Called
 * from every loop thread: it locks what it shares. */
typedef int (*fo_co_source)(void *ctx, size_t *index);

/* fo_co_run over the tasks source hands out, until it says there are no more. */
int fo_co_run_source(fo_co_source source, int concurrency, int threads, fo_co_task task, void *ctx);

/* Like poll(fds, n, ...) until the monotonic deadline_ms: returns the number of fds with
 * revents set, 0 when the deadline passed first, -1 on error. Inside a task of fo_co_run the
 * caller is parked and other tasks run; anywhere else it is poll(). When queued_ms is not
 * NULL it receives the time the task, though ready, waited for its thread to come back to it
 * (0 outside a loop): time the origin did not take. n may be 0 (a sleep). */
int fo_co_poll(struct pollfd *fds, nfds_t n, double deadline_ms, double *queued_ms);

/* True inside a task of fo_co_run. */
bool fo_co_inside(void);

#endif
