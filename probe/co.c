/* Many probes on a few threads: coroutines parked on epoll (see probe_co.h). */
#define _GNU_SOURCE /* RTLD_NOLOAD */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "probe_co.h"
#include "fixorigin/fo.h"

#if defined(__SANITIZE_ADDRESS__)
#define CO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_ASAN 1
#endif
#endif

/* A probe's deepest path (a handshake verifying a chain) fits in a fraction of this; the
 * pages never touched cost no memory. Sanitizers need more. */
#ifdef CO_ASAN
#define CO_STACK_SIZE (1024u * 1024)
#else
#define CO_STACK_SIZE (256u * 1024)
#endif
#define LOOP_THREAD_STACK CO_STACK_SIZE /* a task that got no coroutine runs right here */
#define MAX_EVENTS 256
#define SOURCE_POLL_MS 5 /* how often a loop looks for tasks a source does not have yet */

#ifdef CO_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
void __asan_unpoison_memory_region(const volatile void *addr, size_t size);
/* The switches are annotated above, and a reused stack is unpoisoned before each task: the
 * sanitizer's own swapcontext wrapper, which only warns that it cannot do this, is skipped
 * (its warning on stderr would be the only thing a sanitizer build prints). */
static int co_swapcontext(ucontext_t *from, const ucontext_t *to)
{
    static int (*real)(ucontext_t *, const ucontext_t *);
    if (!real) {
        void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
        if (libc)
            *(void **)&real = dlsym(libc, "swapcontext");
    }
    return real ? real(from, to) : swapcontext(from, to);
}
#define swapcontext co_swapcontext
#endif

struct co {
    ucontext_t context;
    void *mapping; /* the stack, a guard page below it */
    size_t mapping_size;
    size_t index; /* the task */
    bool finished;
    bool parked;
    bool ready;       /* an event came while parked */
    double ready_at;  /* when the loop saw it */
    double deadline;  /* parked until */
    void *fake_stack; /* the sanitizer's, while switched out */
    struct co *next_free;
};

/* What every loop thread of one fo_co_run shares. */
struct shared {
    pthread_mutex_t lock;
    size_t count;
    size_t next;
    fo_co_source source; /* NULL: the indices 0 .. count-1 */
    fo_co_task task;
    void *ctx;
};

struct loop {
    struct shared *shared;
    int slots; /* tasks at once */
    int epfd;
    struct co **active;
    int active_count;
    struct co *free_list;
    struct co *current; /* the coroutine running, NULL on the loop's own stack */
    ucontext_t main_context;
    void *main_fake_stack;
    const void *main_bottom; /* the loop's own stack, for the sanitizer */
    size_t main_size;
};

static _Thread_local struct loop *this_loop;

bool fo_co_inside(void)
{
    return this_loop && this_loop->current;
}

static int plain_poll(struct pollfd *fds, nfds_t n, double deadline_ms)
{
    for (;;) {
        double left = deadline_ms - fo_now_ms();
        if (left <= 0) {
            int rc = n > 0 ? poll(fds, n, 0) : 0; /* ready beats the deadline */
            return rc < 0 && errno == EINTR ? 0 : rc;
        }
        int rc = poll(fds, n, (int)(left + 0.999));
        if (rc != 0 && !(rc < 0 && errno == EINTR))
            return rc;
    }
}

/* The next task: 1, 0 when there is none yet (more may come), -1 when there are no more. */
static int take(struct shared *shared, size_t *index)
{
    if (shared->source)
        return shared->source(shared->ctx, index);
    pthread_mutex_lock(&shared->lock);
    bool got = shared->next < shared->count;
    if (got)
        *index = shared->next++;
    pthread_mutex_unlock(&shared->lock);
    return got ? 1 : -1;
}

/* From the loop's stack into co, until co parks or finishes. */
static void switch_in(struct loop *loop, struct co *co)
{
    loop->current = co;
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(&loop->main_fake_stack,
                                   (char *)co->mapping + sysconf(_SC_PAGESIZE),
                                   co->mapping_size - (size_t)sysconf(_SC_PAGESIZE));
#endif
    swapcontext(&loop->main_context, &co->context);
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(loop->main_fake_stack, NULL, NULL);
#endif
    loop->current = NULL;
}

/* From co back to the loop's stack; returns when the loop resumes co. */
static void switch_out(struct loop *loop, struct co *co)
{
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(&co->fake_stack, loop->main_bottom, loop->main_size);
#endif
    swapcontext(&co->context, &loop->main_context);
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(co->fake_stack, NULL, NULL);
#endif
}

static void co_entry(void)
{
    struct loop *loop = this_loop;
    struct co *co = loop->current;
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop->main_bottom, &loop->main_size);
#endif
    loop->shared->task(loop->shared->ctx, co->index);
    co->finished = true;
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(NULL, loop->main_bottom, loop->main_size);
#endif
    /* Returning resumes uc_link: the loop's stack. */
}

static struct co *co_get(struct loop *loop)
{
    struct co *co = loop->free_list;
    if (co) {
        loop->free_list = co->next_free;
        return co;
    }
    co = calloc(1, sizeof(*co));
    if (!co)
        return NULL;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    co->mapping_size = CO_STACK_SIZE + page;
    co->mapping = mmap(NULL, co->mapping_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (co->mapping == MAP_FAILED) {
        free(co);
        return NULL;
    }
    /* An overflow faults on the guard page instead of writing over another stack. */
    mprotect(co->mapping, page, PROT_NONE);
    return co;
}

static void co_free(struct co *co)
{
    munmap(co->mapping, co->mapping_size);
    free(co);
}

/* getcontext returns twice in principle (never here: the context is only entered through
 * makecontext's entry), so it stays alone in a function of its own. */
static int init_context(ucontext_t *context)
{
    return getcontext(context);
}

/* Starts task index on a coroutine, or runs it here when none can be made. */
static void start(struct loop *loop, size_t index)
{
    struct co *co = co_get(loop);
    if (!co || init_context(&co->context) != 0) {
        if (co) {
            co->next_free = loop->free_list;
            loop->free_list = co;
        }
        loop->shared->task(loop->shared->ctx, index);
        return;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
#ifdef CO_ASAN
    /* What the last task on this stack left poisoned is not this task's. */
    __asan_unpoison_memory_region((char *)co->mapping + page, co->mapping_size - page);
#endif
    co->index = index;
    co->finished = co->parked = co->ready = false;
    co->context.uc_stack.ss_sp = (char *)co->mapping + page;
    co->context.uc_stack.ss_size = co->mapping_size - page;
    co->context.uc_link = &loop->main_context;
    makecontext(&co->context, co_entry, 0);
    loop->active[loop->active_count++] = co;
    switch_in(loop, co);
}

/* After co returned to the loop: recycles it when its task is done. i is its place. */
static void settle(struct loop *loop, int i)
{
    struct co *co = loop->active[i];
    if (!co->finished)
        return;
    loop->active[i] = loop->active[--loop->active_count];
    co->next_free = loop->free_list;
    loop->free_list = co;
}

static int wait_ms(const struct loop *loop, double now)
{
    double soonest = -1;
    for (int i = 0; i < loop->active_count; i++) {
        const struct co *co = loop->active[i];
        if (co->parked && (soonest < 0 || co->deadline < soonest))
            soonest = co->deadline;
    }
    if (soonest < 0)
        return 1000;
    double left = soonest - now;
    return left <= 0 ? 0 : (int)(left + 0.999);
}

static void run_loop(struct loop *loop)
{
    struct epoll_event events[MAX_EVENTS];
    size_t index;
    this_loop = loop;
    bool drained = false; /* the source has no more tasks */
    for (;;) {
        int got = 0;
        while (loop->active_count < loop->slots && (got = take(loop->shared, &index)) > 0) {
            start(loop, index);
            if (loop->active_count > 0)
                settle(loop, loop->active_count - 1);
        }
        drained |= got < 0;
        if (loop->active_count == 0 && drained)
            break;
        /* Nothing to take yet: look again soon. */
        int wait = wait_ms(loop, fo_now_ms());
        if (got == 0 && loop->active_count < loop->slots && wait > SOURCE_POLL_MS)
            wait = SOURCE_POLL_MS;
        int n = epoll_wait(loop->epfd, events, MAX_EVENTS, wait);
        double now = fo_now_ms();
        for (int i = 0; i < n; i++) {
            struct co *co = events[i].data.ptr;
            if (co->parked && !co->ready) {
                co->ready = true;
                co->ready_at = now;
            }
        }
        /* Backwards: settle() moves the last entry, one already visited, into place i. */
        for (int i = loop->active_count - 1; i >= 0; i--) {
            struct co *co = loop->active[i];
            if (co->parked && (co->ready || now >= co->deadline)) {
                co->parked = false;
                switch_in(loop, co);
                settle(loop, i);
            }
        }
    }
    this_loop = NULL;
}

/* Runs the tasks it can take without a loop: when epoll is not available. */
static void run_direct(struct shared *shared)
{
    size_t index;
    for (int got; (got = take(shared, &index)) >= 0;) {
        if (got > 0)
            shared->task(shared->ctx, index);
        else
            fo_co_poll(NULL, 0, fo_now_ms() + SOURCE_POLL_MS, NULL);
    }
}

static void *loop_thread(void *arg)
{
    struct loop *loop = arg;
    if (loop->epfd >= 0)
        run_loop(loop);
    else
        run_direct(loop->shared);
    return NULL;
}

static int epoll_events(short events)
{
    return (events & POLLIN ? EPOLLIN : 0) | (events & POLLOUT ? EPOLLOUT : 0) |
           (events & POLLPRI ? EPOLLPRI : 0);
}

int fo_co_poll(struct pollfd *fds, nfds_t n, double deadline_ms, double *queued_ms)
{
    struct loop *loop = this_loop;
    struct co *co = loop ? loop->current : NULL;
    if (queued_ms)
        *queued_ms = 0;
    if (!co)
        return plain_poll(fds, n, deadline_ms);
    for (;;) {
        /* What poll() would answer at once: ready beats the deadline. */
        int rc = n > 0 ? poll(fds, n, 0) : 0;
        if (rc > 0 || (rc < 0 && errno != EINTR))
            return rc;
        if (fo_now_ms() >= deadline_ms)
            return 0;
        nfds_t added = 0;
        for (; added < n; added++) {
            struct epoll_event ev = {.events = (uint32_t)epoll_events(fds[added].events),
                                     .data.ptr = co};
            if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fds[added].fd, &ev) != 0)
                break;
        }
        if (added == n) {
            co->parked = true;
            co->ready = false;
            co->deadline = deadline_ms;
            switch_out(loop, co);
            if (queued_ms && co->ready)
                *queued_ms += fo_now_ms() - co->ready_at;
        }
        for (nfds_t i = 0; i < added; i++)
            epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fds[i].fd, NULL);
        if (added < n) /* the set would not take it: wait here, holding up the loop */
            return plain_poll(fds, n, deadline_ms);
    }
}

static void loop_clear(struct loop *loop)
{
    if (loop->epfd >= 0)
        close(loop->epfd);
    for (struct co *co = loop->free_list, *next; co; co = next) {
        next = co->next_free;
        co_free(co);
    }
    free(loop->active);
}

static int run(size_t count, fo_co_source source, int concurrency, int threads, fo_co_task task,
               void *ctx)
{
    if (concurrency < 1)
        concurrency = 1;
    if (!source && (size_t)concurrency > count)
        concurrency = (int)count;
    if (threads < 1)
        threads = 1;
    if (threads > concurrency)
        threads = concurrency;
    struct shared shared = {.count = count, .source = source, .task = task, .ctx = ctx};
    struct loop *loops = calloc((size_t)threads, sizeof(*loops));
    pthread_t *ids = calloc((size_t)threads, sizeof(*ids));
    int rc = 0;
    if (!loops || !ids) {
        rc = FO_ENOMEM;
        goto out;
    }
    pthread_mutex_init(&shared.lock, NULL);
    for (int i = 0; i < threads; i++) {
        struct loop *loop = &loops[i];
        loop->shared = &shared;
        loop->slots = concurrency / threads + (i < concurrency % threads);
        loop->active = calloc((size_t)loop->slots, sizeof(*loop->active));
        loop->epfd = loop->active ? epoll_create1(EPOLL_CLOEXEC) : -1;
    }
    /* The caller's thread runs the first loop; the others get threads of their own. */
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, LOOP_THREAD_STACK);
    bool *started = calloc((size_t)threads, sizeof(*started));
    for (int i = 1; started && i < threads; i++)
        started[i] = pthread_create(&ids[i], &attr, loop_thread, &loops[i]) == 0;
    pthread_attr_destroy(&attr);
    loop_thread(&loops[0]);
    for (int i = 1; started && i < threads; i++) {
        if (started[i])
            pthread_join(ids[i], NULL);
    }
    free(started);
    for (int i = 0; i < threads; i++)
        loop_clear(&loops[i]);
    pthread_mutex_destroy(&shared.lock);
out:
    free(loops);
    free(ids);
    return rc;
}

int fo_co_run(size_t count, int concurrency, int threads, fo_co_task task, void *ctx)
{
    return count == 0 ? 0 : run(count, NULL, concurrency, threads, task, ctx);
}

int fo_co_run_source(fo_co_source source, int concurrency, int threads, fo_co_task task, void *ctx)
{
    return run(0, source, concurrency, threads, task, ctx);
}
