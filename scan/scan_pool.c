/* The fleet as one pool of probes (see scan_pool.h). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scan_pool.h"

#define MAX_READERS 64
#define APPLY_WINDOW 128 /* services read ahead with --apply: each holds a lock file */
/* probed[]: no target could be made; the plan probes it and says why. */
#define NOT_POOLED 2

/* One selected service, from its read to its plan. */
typedef struct pool_service {
    fo_scan_lock *lock; /* --apply: held from before the read until the service is done */
    int lock_rc;
    fo_error lock_err;
    fo_service *details; /* NULL until read, when the read failed, or once handed over */
    int read_rc;
    fo_error read_err;
    fo_api_stats read_stats; /* what its read spent */
    size_t backend_count;    /* of details->active */
    fo_probe_target *targets;
    int *probed; /* per backend: 1 diagnosed, < 0 the probe's code, 0 not (yet), NOT_POOLED */
    fo_diagnosis **diagnoses;   /* owned until the plan takes them */
    fo_error *errors;           /* when probed < 0 */
    size_t pending;             /* backends still in the pool */
    bool is_ready;              /* read, and every pooled backend probed */
    const fo_backend *backends; /* details->active->backends (names survive the hand-over:
                                 * the plan frees details only when it is done) */
} pool_service;

/* A backend in the pool: service and backend index. */
typedef struct pool_job {
    size_t service, backend;
} pool_job;

struct fo_scan_pool {
    const fo_scan_options *opts;
    fo_prober *prober;
    const char *const *ids;
    size_t count;
    pool_service *services;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t changed;
    size_t next_read;
    size_t window; /* services read and not yet done, at most */
    size_t in_window;
    int readers_running;
    pool_job *jobs; /* every backend put in the pool; a probe's token is its index here */
    size_t job_count, job_cap, job_next;
    size_t *ready; /* services ready to plan, in the order they became so */
    size_t ready_head, ready_tail;
    size_t handed;
    int probe_concurrency;
    pthread_t readers[MAX_READERS];
    int reader_count;
    pthread_t probe_thread;
    bool probe_started;
};

static void make_ready(fo_scan_pool *pool, size_t index)
{
    pool->services[index].is_ready = true;
    pool->ready[pool->ready_tail++] = index;
    pthread_cond_broadcast(&pool->changed);
}

/* Puts the backends of a service just read into the pool (under the lock). */
static int enqueue(fo_scan_pool *pool, size_t index)
{
    pool_service *s = &pool->services[index];
    for (size_t b = 0; b < s->backend_count; b++) {
        if (s->probed[b] != 0)
            continue; /* no target: the plan probes it and says why */
        if (pool->job_count == pool->job_cap) {
            size_t cap = pool->job_cap ? 2 * pool->job_cap : 1024;
            pool_job *grown = realloc(pool->jobs, cap * sizeof(*grown));
            if (!grown)
                return FO_ENOMEM;
            pool->jobs = grown;
            pool->job_cap = cap;
        }
        pool->jobs[pool->job_count++] = (pool_job){.service = index, .backend = b};
        s->pending++;
    }
    if (s->pending == 0)
        make_ready(pool, index);
    return 0;
}

/* The targets of a service's active backends; those that cannot be one are left to the
 * plan (probed = 0 and no job), which names the problem as it always has. */
static int prepare(pool_service *s)
{
    const fo_version_config *active = s->details ? s->details->active : NULL;
    size_t n = active ? active->backend_count : 0;
    s->backends = active ? active->backends : NULL;
    if (n == 0)
        return 0;
    s->targets = calloc(n, sizeof(*s->targets));
    s->probed = calloc(n, sizeof(*s->probed));
    s->diagnoses = calloc(n, sizeof(*s->diagnoses));
    s->errors = calloc(n, sizeof(*s->errors));
    if (!s->targets || !s->probed || !s->diagnoses || !s->errors)
        return FO_ENOMEM;
    s->backend_count = n;
    for (size_t b = 0; b < n; b++) {
        fo_error ignored;
        if (fo_remediate_target(&s->targets[b], &active->backends[b], &ignored) != 0)
            s->probed[b] = NOT_POOLED;
    }
    return 0;
}

static void *reader(void *arg)
{
    fo_scan_pool *pool = arg;
    fo_api *api = NULL;
    fo_error api_err;
    int api_rc = fo_api_new_for_thread(&api, pool->opts->api, &api_err);
    for (;;) {
        pthread_mutex_lock(&pool->lock);
        while (pool->in_window >= pool->window && pool->next_read < pool->count)
            pthread_cond_wait(&pool->changed, &pool->lock);
        size_t index = pool->next_read < pool->count ? pool->next_read++ : pool->count;
        pool->in_window += index < pool->count;
        pthread_mutex_unlock(&pool->lock);
        if (index == pool->count)
            break;
        pool_service *s = &pool->services[index];
        fo_service *details = NULL;
        fo_error err;
        fo_error_clear(&err);
        fo_api_stats before, after;
        int rc = api_rc;
        /* One writer per service: with --apply the lock comes first, before the read, as
         * when a service was worked on from start to end by one worker. */
        if (pool->opts->apply &&
            (s->lock_rc = fo_scan_lock_acquire(&s->lock, pool->opts->state_dir, pool->ids[index],
                                               &s->lock_err)) != 0) {
            rc = s->lock_rc;
            err = s->lock_err;
        } else if (rc != 0) {
            err = api_err;
        } else {
            fo_api_get_stats(api, &before);
            rc = fo_api_service_details(api, &details, pool->ids[index], 0, &err);
            fo_api_get_stats(api, &after);
            s->read_stats = after;
            s->read_stats.requests -= before.requests;
            s->read_stats.writes -= before.writes;
            s->read_stats.retries -= before.retries;
        }
        s->details = details;
        s->read_rc = rc;
        s->read_err = err;
        if (rc == 0 && prepare(s) != 0) {
            s->read_rc = fo_error_set(&s->read_err, FO_ENOMEM, "out of memory");
            fo_service_free(s->details);
            s->details = NULL;
            s->backend_count = 0;
        }
        pthread_mutex_lock(&pool->lock);
        if (enqueue(pool, index) != 0) {
            /* No room to pool them: the plan probes them itself. */
            s->pending = 0;
            make_ready(pool, index);
        }
        pthread_mutex_unlock(&pool->lock);
    }
    pthread_mutex_lock(&pool->lock);
    pool->readers_running--;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
    fo_api_free(api);
    return NULL;
}

static int next_target(void *ctx, const fo_probe_target **target, size_t *token)
{
    fo_scan_pool *pool = ctx;
    int got;
    pthread_mutex_lock(&pool->lock);
    if (pool->job_next < pool->job_count) {
        const pool_job *job = &pool->jobs[pool->job_next];
        *target = &pool->services[job->service].targets[job->backend];
        *token = pool->job_next++;
        got = 1;
    } else {
        got = pool->readers_running > 0 ? 0 : -1;
    }
    pthread_mutex_unlock(&pool->lock);
    return got;
}

static void probed(void *ctx, size_t token, fo_diagnosis *d, const fo_error *err)
{
    fo_scan_pool *pool = ctx;
    pthread_mutex_lock(&pool->lock);
    pool_job job = pool->jobs[token];
    pool_service *s = &pool->services[job.service];
    s->diagnoses[job.backend] = d;
    s->probed[job.backend] = d ? 1 : err->code < 0 ? err->code : FO_EIO;
    if (!d)
        s->errors[job.backend] = *err;
    if (--s->pending == 0)
        make_ready(pool, job.service);
    pthread_mutex_unlock(&pool->lock);
}

static void *probe_thread(void *arg)
{
    fo_scan_pool *pool = arg;
    fo_error err;
    if (fo_probe_run_stream(pool->prober, next_target, pool->probe_concurrency, probed, pool,
                            &err) != 0) {
        /* Nothing more will be probed here: what is left is probed by the plans. */
        pthread_mutex_lock(&pool->lock);
        for (size_t i = pool->job_next; i < pool->job_count; i++) {
            pool_service *s = &pool->services[pool->jobs[i].service];
            if (--s->pending == 0)
                make_ready(pool, pool->jobs[i].service);
        }
        pool->job_next = pool->job_count;
        pthread_mutex_unlock(&pool->lock);
    }
    return NULL;
}

/* The plan's question for each backend: was it probed in the pool? */
static int diagnosed(void *ctx, const fo_backend *backend, fo_diagnosis **out, fo_error *err)
{
    pool_service *s = ctx;
    for (size_t b = 0; b < s->backend_count; b++) {
        /* The same backend: name, address and port (an origin found elsewhere, in VCL say,
         * may share a name but is probed by the plan). */
        const fo_backend *pooled = &s->backends[b];
        if (s->probed[b] == 0 || s->probed[b] == NOT_POOLED || !pooled->name || !backend->name ||
            strcmp(pooled->name, backend->name) != 0 || !pooled->address || !backend->address ||
            strcmp(pooled->address, backend->address) != 0 || pooled->port != backend->port)
            continue;
        int rc = s->probed[b];
        s->probed[b] = 0; /* given: a second backend of the same name is probed by the plan */
        if (rc == 1) {
            *out = s->diagnoses[b];
            s->diagnoses[b] = NULL;
            return 1;
        }
        if (err)
            *err = s->errors[b];
        return rc;
    }
    return 0;
}

int fo_scan_pool_start(fo_scan_pool **out, const fo_scan_options *opts, fo_prober *prober,
                       const char *const *ids, size_t count)
{
    fo_scan_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return FO_ENOMEM;
    pool->opts = opts;
    pool->prober = prober;
    pool->ids = ids;
    pool->count = count;
    pool->services = calloc(count ? count : 1, sizeof(*pool->services));
    pool->ready = calloc(count ? count : 1, sizeof(*pool->ready));
    if (!pool->services || !pool->ready) {
        free(pool->services);
        free(pool->ready);
        free(pool);
        return FO_ENOMEM;
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->changed, NULL);
    /* API clients take descriptors too: a reader's and a worker's each. */
    /* Enough services read ahead to keep the pool busy while some wait on silent origins;
     * with --apply each holds its lock file open meanwhile, so fewer. */
    size_t window = opts->apply ? APPLY_WINDOW : 0;
    int cap = fo_probe_concurrency_cap(fo_fd_limit() - 2L * opts->concurrency - (long)window);
    int wanted =
        opts->probe_concurrency > 0 ? opts->probe_concurrency : FO_PROBE_DEFAULT_CONCURRENCY;
    pool->probe_concurrency = wanted < cap ? wanted : cap;
    if (!window)
        window = (size_t)pool->probe_concurrency < 64 ? 64 : (size_t)pool->probe_concurrency;
    pool->window = window;
    int readers = opts->concurrency < 1 ? 1 : opts->concurrency;
    if (readers > MAX_READERS)
        readers = MAX_READERS;
    if ((size_t)readers > count)
        readers = count ? (int)count : 1;
    pool->readers_running = readers;
    for (int i = 0; i < readers; i++) {
        if (pthread_create(&pool->readers[pool->reader_count], NULL, reader, pool) != 0)
            break;
        pool->reader_count++;
    }
    /* Those that did not start will not say they are done (the others may be already). */
    pthread_mutex_lock(&pool->lock);
    pool->readers_running -= readers - pool->reader_count;
    pthread_mutex_unlock(&pool->lock);
    if (pool->reader_count == 0) {
        pool->readers_running = 1;
        pool->window = count; /* no thread: read every service here, then probe */
        reader(pool);
    }
    pool->probe_started = pthread_create(&pool->probe_thread, NULL, probe_thread, pool) == 0;
    if (!pool->probe_started)
        probe_thread(pool);
    *out = pool;
    return 0;
}

/* With --apply, services are handed out in the order given, so --max-apply and the write
 * budget go to the first ones as they always did; without it, as their probes finish. */
static bool next_in_order(const fo_scan_pool *pool)
{
    if (!pool->opts->apply)
        return pool->ready_head < pool->ready_tail;
    return pool->handed < pool->count && pool->services[pool->handed].is_ready;
}

bool fo_scan_pool_next(fo_scan_pool *pool, size_t *index)
{
    bool got = false;
    pthread_mutex_lock(&pool->lock);
    while (pool->handed < pool->count && !next_in_order(pool))
        pthread_cond_wait(&pool->changed, &pool->lock);
    if (pool->handed < pool->count) {
        *index = pool->opts->apply ? pool->handed : pool->ready[pool->ready_head++];
        pool->handed++;
        got = true;
    }
    pthread_mutex_unlock(&pool->lock);
    return got;
}

int fo_scan_pool_take_lock(fo_scan_pool *pool, size_t index, fo_scan_lock **lock, fo_error *err)
{
    pool_service *s = &pool->services[index];
    *lock = s->lock;
    s->lock = NULL;
    if (s->lock_rc != 0 && err)
        *err = s->lock_err;
    return s->lock_rc;
}

fo_api_stats fo_scan_pool_read_stats(const fo_scan_pool *pool, size_t index)
{
    return pool->services[index].read_stats;
}

int fo_scan_pool_plan_options(fo_scan_pool *pool, size_t index, fo_plan_options *popts,
                              fo_error *err)
{
    pool_service *s = &pool->services[index];
    if (s->read_rc != 0) {
        if (err)
            *err = s->read_err;
        return s->read_rc;
    }
    popts->details = s->details;
    s->details = NULL; /* the plan's now; backends stay valid until it returns */
    popts->diagnosed = diagnosed;
    popts->diagnosed_ctx = s;
    return 0;
}

void fo_scan_pool_done(fo_scan_pool *pool, size_t index)
{
    pool_service *s = &pool->services[index];
    for (size_t b = 0; b < s->backend_count; b++)
        fo_diagnosis_free(s->diagnoses[b]);
    free(s->diagnoses);
    free(s->targets);
    free(s->probed);
    free(s->errors);
    fo_service_free(s->details);
    fo_scan_lock_release(s->lock);
    memset(s, 0, sizeof(*s));
    pthread_mutex_lock(&pool->lock);
    pool->in_window--;
    pthread_cond_broadcast(&pool->changed);
    pthread_mutex_unlock(&pool->lock);
}

void fo_scan_pool_stop(fo_scan_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->reader_count; i++)
        pthread_join(pool->readers[i], NULL);
    if (pool->probe_started)
        pthread_join(pool->probe_thread, NULL);
    for (size_t i = 0; i < pool->count; i++) {
        if (pool->services[i].probed || pool->services[i].details)
            fo_scan_pool_done(pool, i);
    }
    pthread_cond_destroy(&pool->changed);
    pthread_mutex_destroy(&pool->lock);
    free(pool->jobs);
    free(pool->ready);
    free(pool->services);
    free(pool);
}
