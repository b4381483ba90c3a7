/* fixorigin scan's run: a pool of workers over the selected services. Each worker owns an
 * API client; the prober, the output and the apply budget are shared under one lock.
 * Output is printed as each service finishes (ndjson, text) or once at the end in input
 * order (json). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/report.h"
#include "fixorigin/scan.h"
#include "scan_pool.h"

/* Writes one apply may spend: clone, comment, one update per fixed backend, activate, and
 * the verified mark or a rollback. Reads are free. */
enum { APPLY_FIXED_WRITES = 4 };

typedef struct scan_state {
    const fo_scan_options *opts;
    const char *const *ids;
    size_t count;
    fo_prober *prober;
    fo_scan_pool *pool;   /* reads and probes the fleet; workers plan what it hands out */
    pthread_mutex_t lock; /* everything below */
    size_t done;
    long applies_started;  /* toward --max-apply */
    long long writes_left; /* the lowest Fastly-RateLimit-Remaining of this window, -1 unknown */
    long long writes_reset;
    long long writes_reserved; /* what the applies in flight may still write */
    pthread_cond_t budget;     /* writes_reserved went down or writes_left became known */
    json_t *reports;           /* json: the report objects in input order */
    fo_scan_summary summary;
    bool color;
    fo_progress progress; /* on a terminal's stderr only */
    bool *finished;       /* by service: done */
    size_t oldest;        /* the first service not done: the longest waited on */
} scan_state;

/* Drops every fix that is not safe to the status of a fix waiting for consent: --only-safe
 * holds even if the planner ever allowed one without a flag. */
static void keep_only_safe(fo_plan *plan)
{
    for (size_t i = 0; i < plan->backend_count; i++) {
        fo_backend_plan *bp = &plan->backends[i];
        if (bp->status == FO_BACKEND_FIX && bp->fix.safety != FO_SAFETY_SAFE)
            bp->status = FO_BACKEND_BLOCKED;
    }
}

static size_t fixes(const fo_plan *plan)
{
    size_t n = 0;
    for (size_t i = 0; i < plan->backend_count; i++)
        n += plan->backends[i].status == FO_BACKEND_FIX;
    return n;
}

/* Whether this service may be changed now: --max-apply and the write budget, less what the
 * applies in flight may still spend. Returns 0 and reserves a place under --max-apply and
 * the writes (*out: how many) when it may, else FO_ESTATE or FO_ERATELIMIT saying why not.
 * Until the budget is known (it comes with the answers to writes), one apply runs at a time. */
static int may_apply(scan_state *st, long long *out, const fo_plan *plan, fo_error *err)
{
    long long needed = APPLY_FIXED_WRITES + (long long)fixes(plan);
    int rc = 0;
    pthread_mutex_lock(&st->lock);
    while (st->writes_left < 0 && st->writes_reserved > 0)
        pthread_cond_wait(&st->budget, &st->lock);
    if (st->opts->max_apply >= 0 && st->applies_started >= st->opts->max_apply) {
        rc = fo_error_set(err, FO_ESTATE,
                          "not applied: --max-apply %ld reached (services changed in this run)",
                          st->opts->max_apply);
    } else if (st->writes_left >= 0 && st->writes_left - st->writes_reserved < needed) {
        char reset[32] = "?";
        fo_format_time(reset, sizeof(reset), st->writes_reset);
        rc = fo_error_set(err, FO_ERATELIMIT,
                          "not applied: the API write budget has %lld writes left until %s (%lld "
                          "of them held by applies in flight); this fix may need %lld",
                          st->writes_left, reset, st->writes_reserved, needed);
    } else {
        st->applies_started++;
        st->writes_reserved += needed;
        *out = needed;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

/* Gives back the place under --max-apply that may_apply reserved (a declined apply). */
static void unreserve(scan_state *st)
{
    pthread_mutex_lock(&st->lock);
    st->applies_started--;
    pthread_mutex_unlock(&st->lock);
}

/* Learns the budget from what a client last saw, and gives back the writes reserved. The
 * remaining count only falls within a window, and a worker's client may have seen it before
 * others spent some: the lowest of a window stands. */
static void settle_budget(scan_state *st, long long reserved, const fo_api_stats *seen)
{
    pthread_mutex_lock(&st->lock);
    st->writes_reserved -= reserved;
    if (seen->ratelimit_remaining >= 0) {
        bool new_window = st->writes_left < 0 || seen->ratelimit_reset > st->writes_reset;
        bool old_window = seen->ratelimit_reset < st->writes_reset;
        if (new_window || (!old_window && seen->ratelimit_remaining < st->writes_left)) {
            st->writes_left = seen->ratelimit_remaining;
            st->writes_reset = seen->ratelimit_reset;
        }
    }
    pthread_cond_broadcast(&st->budget);
    pthread_mutex_unlock(&st->lock);
}

/* The progress line (lock held): what the run waits on is the oldest service not done
 * (services start in order) and how many others are being worked on. */
static void say_progress(scan_state *st)
{
    if (!st->progress.on || !st->finished)
        return;
    while (st->oldest < st->count && st->finished[st->oldest])
        st->oldest++;
    if (st->oldest >= st->count) {
        fo_progress_update(&st->progress, st->done, NULL);
        return;
    }
    size_t pending = st->count - st->done;
    size_t busy = pending < (size_t)st->opts->concurrency ? pending : (size_t)st->opts->concurrency;
    char waiting[160], more[32] = "";
    if (busy > 1)
        snprintf(more, sizeof(more), " and %zu more", busy - 1);
    snprintf(waiting, sizeof(waiting), "service %s%s", st->ids[st->oldest], more);
    fo_progress_update(&st->progress, st->done, waiting);
}

/* Asks on the terminal whether to apply (scan without --yes); one question at a time. */
static bool confirm(scan_state *st, const fo_scan_item *item)
{
    char answer[16];
    bool yes = false;
    pthread_mutex_lock(&st->lock);
    fo_progress_hide(&st->progress);
    fo_wrapped w;
    fo_scan_item_text(fo_wrapped_begin(&w, stderr), item, st->color);
    fo_wrapped_end(&w);
    fprintf(stderr, "Apply %zu safe fix%s to service %s? [y/N] ", fixes(item->plan),
            fixes(item->plan) == 1 ? "" : "es", item->service_id);
    fflush(stderr);
    yes = fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
    pthread_mutex_unlock(&st->lock);
    return yes;
}

/* What item has spent since started, with the client's stats then in before, and its
 * details read (a reader's client) in read. */
static void take_stock(fo_scan_item *item, fo_api *api, const fo_api_stats *before,
                       const fo_api_stats *read, double started, fo_api_stats *now)
{
    fo_api_get_stats(api, now);
    item->stats = *now;
    item->stats.requests += read->requests - before->requests;
    item->stats.writes += read->writes - before->writes;
    item->stats.retries += read->retries - before->retries;
    item->ms = fo_now_ms() - started;
}

/* Plans (and applies) one service into item, from its details and diagnoses in the pool. */
static void work(scan_state *st, fo_api *api, fo_scan_item *item, size_t index)
{
    const fo_scan_options *opts = st->opts;
    fo_scan_lock *lock = NULL;
    fo_writer guard;
    fo_api_stats before, after, read = fo_scan_pool_read_stats(st->pool, index);
    long long reserved = 0;
    double started = fo_now_ms();
    fo_api_get_stats(api, &before);
    item->result = FO_RESULT_ERROR;
    fo_error_clear(&item->error);
    memset(&guard, 0, sizeof(guard));
    if (opts->apply &&
        (fo_scan_pool_take_lock(st->pool, index, &lock, &item->error) != 0 ||
         fo_writer_adopt(&guard, opts->state_dir, item->service_id, lock, &item->error) != 0)) {
        item->result = item->error.code == FO_ECONFLICT ? FO_RESULT_CONFLICT : FO_RESULT_ERROR;
        goto out;
    }
    /* What an earlier run left on this service is finished before anything else. */
    int recovered = opts->apply ? fo_writer_recover(&guard, api, st->prober, &item->error) : 0;
    if (fo_writer_earlier(&guard))
        snprintf(item->earlier_run, sizeof(item->earlier_run), "%s", fo_writer_earlier(&guard));
    if (recovered != 0)
        goto out;
    fo_plan_options popts = {0}, replan = {0};
    if (fo_scan_pool_plan_options(st->pool, index, &popts, &item->error) != 0 ||
        fo_remediate_plan(&item->plan, api, st->prober, item->service_id, &popts, &item->error) !=
            0)
        goto out;
    /* A version another machine's run activated and never verified is finished first (a
     * plan made again after a rollback reads and probes afresh). */
    if (opts->apply) {
        int checked =
            fo_writer_check_active(&guard, &item->plan, api, st->prober, &replan, &item->error);
        if (fo_writer_earlier(&guard) && !item->earlier_run[0])
            snprintf(item->earlier_run, sizeof(item->earlier_run), "%s", fo_writer_earlier(&guard));
        if (checked != 0)
            goto out;
    }
    if (opts->only_safe)
        keep_only_safe(item->plan);
    /* The next terraform apply would undo the fix (and Terraform would fight every scan):
     * such a service is a person's to change in its HCL, unless told otherwise. */
    bool terraform_skip =
        opts->apply && fixes(item->plan) > 0 && item->plan->terraform && !opts->include_terraform;
    if (terraform_skip)
        fo_error_set(&item->error, FO_ESTATE,
                     "not applied: Terraform probably manages this service (%s), and the next "
                     "terraform apply would revert the fix; change its HCL (fixorigin --service "
                     "%s --emit terraform prints it) or scan with --include-terraform",
                     item->plan->terraform, item->service_id);
    if (opts->apply && fixes(item->plan) > 0 && !terraform_skip &&
        may_apply(st, &reserved, item->plan, &item->error) == 0) {
        /* After a question the plan may be old: the active version is read again first. (The
         * details were read before the lock was taken; apply checks again that the version
         * planned against is still active before it activates.) */
        fo_apply_options aopts = {
            .activate = opts->activate, .reread_first = !opts->yes, .stop = opts->stop};
        fo_writer_apply_options(&guard, &aopts);
        /* The question shows the plan as it stands: planned, and what it cost so far. */
        item->result = fo_remediate_result(item->plan, NULL);
        take_stock(item, api, &before, &read, started, &after);
        if (!opts->yes && !confirm(st, item)) {
            unreserve(st);
            fo_error_set(&item->error, FO_ESTATE, "not applied: declined at the prompt");
        } else if (fo_remediate_apply(&item->applied, api, st->prober, item->plan, &aopts,
                                      &item->error) != 0) {
            item->result = FO_RESULT_ERROR;
            goto out;
        }
    }
    item->result = fo_remediate_result(item->plan, item->applied);
    if (item->applied)
        item->error = item->applied->error;
out:
    fo_writer_end(&guard);
    take_stock(item, api, &before, &read, started, &after);
    settle_budget(st, reserved, &after);
}

static void item_clear(fo_scan_item *item)
{
    fo_apply_result_free(item->applied);
    fo_plan_free(item->plan);
    item->applied = NULL;
    item->plan = NULL;
}

/* Counts and prints a finished item (under the lock). */
static void finish(scan_state *st, size_t index, fo_scan_item *item)
{
    fo_scan_summary *s = &st->summary;
    size_t acknowledged = 0;
    /* Acknowledged problems are reported but left out of the exit code until they expire. */
    fo_result counted = fo_scan_acks_result(st->opts->acks, item, st->opts->now, &acknowledged);
    pthread_mutex_lock(&st->lock);
    s->services++;
    s->by_result[item->result]++;
    s->applied += item->applied && item->applied->draft > 0;
    s->skipped_terraform += st->opts->apply && !item->applied && item->plan &&
                            item->plan->terraform && !st->opts->include_terraform &&
                            fixes(item->plan) > 0;
    for (size_t i = 0; item->plan && i < item->plan->backend_count; i++) {
        const fo_diagnosis *d = item->plan->backends[i].diagnosis;
        s->warnings += d ? d->verdict.warning_count : 0;
    }
    s->acknowledged += acknowledged;
    s->result = fo_remediate_result_worse(s->result, counted);
    s->requests += item->stats.requests;
    s->writes += item->stats.writes;
    st->done++;
    fo_progress_hide(&st->progress); /* stdout may be the same terminal */
    if (st->opts->format == FO_SCAN_TEXT) {
        fo_wrapped w;
        FILE *out = fo_wrapped_begin(&w, stdout);
        fo_scan_item_text(out, item, st->color);
        fo_scan_acks_text(out, st->opts, item);
        fo_wrapped_end(&w);
    } else {
        json_t *report = fo_scan_item_json(st->opts, item);
        json_t *acks = report ? fo_scan_acks_json(st->opts, item) : NULL;
        if (acks)
            json_object_set_new(report, "acknowledged", acks);
        if (st->opts->format == FO_SCAN_JSON) {
            json_array_set(st->reports, index, report ? report : json_null());
        } else if (report) {
            json_dumpf(report, stdout, FO_REPORT_JSON_FLAGS | JSON_PRESERVE_ORDER);
            fputc('\n', stdout);
        }
        json_decref(report);
    }
    fflush(stdout);
    if (st->finished)
        st->finished[index] = true;
    say_progress(st);
    pthread_mutex_unlock(&st->lock);
}

static void *worker(void *arg)
{
    scan_state *st = arg;
    fo_api *api = NULL;
    fo_error err;
    int rc = fo_api_new_for_thread(&api, st->opts->api, &err);
    size_t index;
    while (!(st->opts->stop && st->opts->stop(NULL)) && fo_scan_pool_next(st->pool, &index)) {
        fo_scan_item item = {.service_id = st->ids[index]};
        if (rc != 0) {
            item.error = err;
            item.result = FO_RESULT_ERROR;
        } else {
            work(st, api, &item, index);
        }
        fo_scan_pool_done(st->pool, index);
        finish(st, index, &item);
        item_clear(&item);
    }
    fo_api_free(api);
    return NULL;
}

/* The summary (text), or the closing object (json: with every report; ndjson: the summary
 * line); with summary->error, also an "error" object naming what failed. */
static void print_summary(const fo_scan_options *opts, fo_scan_summary *summary, json_t *reports)
{
    if (opts->format == FO_SCAN_TEXT) {
        fo_wrapped w;
        fo_scan_summary_text(fo_wrapped_begin(&w, stdout), opts, summary);
        fo_wrapped_end(&w);
    } else {
        json_t *summary_json = fo_scan_summary_json(opts, summary);
        json_t *line = json_pack("{s:s}", "schema", FO_SCAN_SCHEMA);
        if (line && summary->error)
            json_object_set_new(line, "error",
                                json_pack("{s:s, s:o}", "stage", "listing", "message",
                                          fo_report_json_string(summary->error)));
        if (line && opts->format == FO_SCAN_JSON)
            json_object_set_new(line, "services", reports ? json_incref(reports) : json_array());
        if (line)
            json_object_set(line, "summary", summary_json);
        if (line && summary_json)
            json_dumpf(line, stdout,
                       (opts->format == FO_SCAN_JSON ? JSON_INDENT(2) : FO_REPORT_JSON_FLAGS) |
                           JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
        fputc('\n', stdout);
        json_decref(line);
        json_decref(summary_json);
    }
    if (fflush(stdout) != 0) {
        fo_report_errorf("cannot write the output");
        summary->result = FO_RESULT_ERROR;
    }
}

/* Whether opts can be printed: its "exit_code"s come from the caller's mapping, and a run
 * that could not print its summary must not start. */
static bool has_exit_codes(const fo_scan_options *opts)
{
    if (!opts->exit_code)
        fo_report_errorf("scan: no exit-code mapping (fo_scan_options.exit_code): not run");
    return opts->exit_code != NULL;
}

fo_result fo_scan_fail(const fo_scan_options *opts, const char *message, double elapsed_ms)
{
    fo_scan_summary summary;
    if (!has_exit_codes(opts))
        return FO_RESULT_ERROR;
    memset(&summary, 0, sizeof(summary));
    summary.error = message;
    summary.result = FO_RESULT_ERROR;
    summary.requests = opts->listing.requests;
    summary.writes = opts->listing.writes;
    summary.elapsed_ms = elapsed_ms;
    print_summary(opts, &summary, NULL);
    return FO_RESULT_ERROR;
}

fo_result fo_scan_run(const fo_scan_options *given, const char *const *ids, size_t count)
{
    scan_state st;
    fo_error err;
    pthread_t threads[64];
    int started = 0;
    if (!has_exit_codes(given))
        return FO_RESULT_ERROR;
    /* Every client of the run shares one answer to GET /tokens/self: read once per run. */
    fo_api_config api_cfg = *given->api;
    fo_scan_options run_opts = *given;
    const fo_scan_options *opts = &run_opts;
    fo_api_token_cache *token_cache = NULL;
    if (fo_api_token_cache_new(&token_cache) == 0)
        api_cfg.token_cache = token_cache;
    run_opts.api = &api_cfg;
    memset(&st, 0, sizeof(st));
    st.opts = opts;
    st.ids = ids;
    st.count = count;
    st.writes_left = -1;
    st.summary.result = FO_RESULT_OK;
    st.summary.requests = opts->listing.requests;
    st.summary.writes = opts->listing.writes;
    st.color = opts->format == FO_SCAN_TEXT && fo_report_use_color(stdout);
    double began = fo_now_ms();
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.budget, NULL);
    if (fo_prober_new(&st.prober, opts->trust_bundle, &err) != 0) {
        fo_report_errorf("%s", err.msg);
        st.summary.result = FO_RESULT_ERROR;
        goto out;
    }
    if (opts->format == FO_SCAN_JSON) {
        st.reports = json_array();
        for (size_t i = 0; st.reports && i < count; i++)
            json_array_append_new(st.reports, json_null());
    }
    if (fo_scan_pool_start(&st.pool, opts, st.prober, ids, count) != 0) {
        fo_report_errorf("out of memory");
        st.summary.result = FO_RESULT_ERROR;
        goto out;
    }
    st.finished = calloc(count ? count : 1, sizeof(*st.finished));
    fo_progress_start(&st.progress, stderr, "scan", "services", count);
    pthread_mutex_lock(&st.lock);
    say_progress(&st);
    pthread_mutex_unlock(&st.lock);
    int workers = opts->concurrency < (int)count ? opts->concurrency : (int)count;
    for (; started < workers; started++) {
        if (pthread_create(&threads[started], NULL, worker, &st) != 0)
            break;
    }
    if (started == 0 && count > 0)
        worker(&st); /* no thread could start: work on this one */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    fo_scan_pool_stop(st.pool);
    fo_progress_end(&st.progress);
    st.summary.elapsed_ms = fo_now_ms() - began;
    print_summary(opts, &st.summary, st.reports);
out:
    fo_progress_end(&st.progress); /* idempotent */
    free(st.finished);
    json_decref(st.reports);
    fo_prober_free(st.prober);
    pthread_cond_destroy(&st.budget);
    pthread_mutex_destroy(&st.lock);
    fo_api_token_cache_free(token_cache);
    return st.summary.result;
}
