/* The plan: read the active version once, then work out every backend concurrently: probe it
 * with its own settings, ask the pure planner for candidates, gather what it asks for (AIA
 * fetches, extra probes), and prove candidates by probing with them until one passes. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"

#define DEFAULT_CONCURRENCY 8
#define MAX_CONCURRENCY 64
#define DEFAULT_FETCH_TIMEOUT_MS 5000
#define DEFAULT_FETCH_MAX_BYTES (64u * 1024)

typedef struct plan_ctx {
    fo_prober *prober;
    const fo_plan_options *opts;
    fo_plan *plan; /* workers fill their backend's entry, nothing else */
    long fetch_timeout_ms;
    size_t fetch_max_bytes;
    pthread_mutex_t lock;
    size_t next; /* the next backend a worker takes */
} plan_ctx;

/* What gathering has learnt for one stage of one backend. */
typedef struct gathering {
    fo_cert_list **lists; /* fetched issuers, owned */
    size_t list_count;
    fo_cert_facts *issuers; /* shallow copies of the lists' certificates: the planner's view */
    size_t issuer_count;
    char **tried;
    size_t tried_count;
    fo_diagnosis *port80;
    bool port80_done;
    fo_diagnosis *without_ciphers;
    bool without_ciphers_done;
    char *notes;          /* what failed while gathering, for the advice */
    unsigned fetch_flags; /* FO_FETCH_*: kept from stage to stage */
} gathering;

static void gathering_clear(gathering *g)
{
    for (size_t i = 0; i < g->list_count; i++)
        fo_cert_list_free(g->lists[i]);
    free(g->lists);
    free(g->issuers);
    for (size_t i = 0; i < g->tried_count; i++)
        free(g->tried[i]);
    free(g->tried);
    fo_diagnosis_free(g->port80);
    fo_diagnosis_free(g->without_ciphers);
    free(g->notes);
    unsigned fetch_flags = g->fetch_flags;
    memset(g, 0, sizeof(*g));
    g->fetch_flags = fetch_flags;
}

/* An AIA URL may lead to this machine only when the origin itself is on it (a testbed):
 * otherwise a certificate could make fixorigin fetch from services only it can reach. */
static unsigned fetch_flags_for(const fo_diagnosis *d)
{
    size_t loopback = 0;
    for (size_t i = 0; d && i < d->facts.address_count; i++) {
        const char *a = d->facts.addresses[i];
        loopback += fo_ip_text_is_loopback(a);
    }
    return d && loopback > 0 && loopback == d->facts.address_count ? FO_FETCH_ALLOW_LOOPBACK : 0;
}

static fo_gathered gathering_view(const gathering *g)
{
    return (fo_gathered){.issuers = g->issuers,
                         .issuer_count = g->issuer_count,
                         .tried_urls = (const char *const *)g->tried,
                         .tried_url_count = g->tried_count,
                         .port80 = g->port80,
                         .without_ciphers = g->without_ciphers};
}

static int note(gathering *g, const char *what, const char *why)
{
    char *text = fo_rem_strdupf("%s: %s.", what, why);
    int rc = text ? fo_rem_join(&g->notes, " ", text) : FO_ENOMEM;
    free(text);
    return rc;
}

/* Fetches one AIA URL and adds what it holds to the issuers. */
static int fetch_issuer(const plan_ctx *ctx, gathering *g, const char *url)
{
    fo_buf body = {0};
    fo_error err;
    fo_cert_list *list = NULL;
    fo_error_clear(&err);
    char *copy = fo_strdup(url);
    char **tried = realloc(g->tried, (g->tried_count + 1) * sizeof(*tried));
    if (tried)
        g->tried = tried;
    if (!copy || !tried) {
        free(copy);
        return FO_ENOMEM;
    }
    g->tried[g->tried_count++] = copy;
    int rc = fo_api_fetch_url(&body, url, ctx->fetch_max_bytes, ctx->fetch_timeout_ms,
                              g->fetch_flags, &err);
    if (rc == 0)
        rc = fo_probe_certs_parse(&list, body.data ? body.data : "", body.len, url, &err);
    fo_buf_clear(&body);
    if (rc == FO_ENOMEM)
        return rc;
    if (rc != 0)
        return note(g, "Fetching the issuer from the certificate's AIA URL failed", err.msg);
    fo_cert_list **lists = realloc(g->lists, (g->list_count + 1) * sizeof(*lists));
    fo_cert_facts *issuers =
        lists ? realloc(g->issuers, (g->issuer_count + list->count) * sizeof(*issuers)) : NULL;
    if (lists)
        g->lists = lists;
    if (issuers)
        g->issuers = issuers;
    if (!lists || !issuers) {
        fo_cert_list_free(list);
        return FO_ENOMEM;
    }
    g->lists[g->list_count++] = list;
    for (size_t i = 0; i < list->count; i++)
        g->issuers[g->issuer_count++] = list->certs[i];
    return 0;
}

/* Probes a variant of the backend: port 80 without TLS, or without ssl_ciphers. */
static int probe_variant(const plan_ctx *ctx, fo_diagnosis **out, const fo_backend *backend,
                         bool port80, gathering *g)
{
    fo_probe_target target;
    fo_error err;
    int rc = fo_rem_target(&target, backend, &err);
    if (rc == 0 && port80) {
        target.port = 80;
        target.settings.use_ssl = false;
    } else if (rc == 0) {
        target.settings.ciphers = NULL;
    }
    if (rc == 0)
        rc = fo_probe_run(ctx->prober, out, &target, &err);
    if (rc == FO_ENOMEM)
        return rc;
    if (rc != 0)
        return note(g, port80 ? "Probing port 80 failed" : "Probing without ssl_ciphers failed",
                    err.msg);
    return 0;
}

/* Gathers what the candidates asked for and was not gathered yet. *did says whether
 * anything new was learnt (then the planner is asked again). */
static int gather(const plan_ctx *ctx, gathering *g, const fo_candidates *c,
                  const fo_backend *backend, bool *did)
{
    int rc = 0;
    *did = false;
    for (size_t i = 0; rc == 0 && (c->needs & FO_NEED_AIA) && i < c->aia_url_count; i++) {
        if (g->tried_count >= FO_REM_MAX_AIA_FETCHES)
            break;
        rc = fetch_issuer(ctx, g, c->aia_urls[i]);
        *did = true;
    }
    if (rc == 0 && (c->needs & FO_NEED_PORT80) && !g->port80_done) {
        g->port80_done = *did = true;
        rc = probe_variant(ctx, &g->port80, backend, true, g);
    }
    if (rc == 0 && (c->needs & FO_NEED_WITHOUT_CIPHERS) && !g->without_ciphers_done) {
        g->without_ciphers_done = *did = true;
        rc = probe_variant(ctx, &g->without_ciphers, backend, false, g);
    }
    return rc;
}

static int add_attempt(fo_backend_plan *bp, const fo_fix *fix, const fo_diagnosis *d,
                       const char *problem)
{
    fo_attempt *grown = realloc(bp->attempts, (bp->attempt_count + 1) * sizeof(*grown));
    if (!grown)
        return FO_ENOMEM;
    bp->attempts = grown;
    fo_attempt *a = &grown[bp->attempt_count];
    a->summary = fo_strdup(fix->summary);
    a->class = d ? d->verdict.class : FO_CLASS_OK;
    a->detail = fo_strdup(d ? d->verdict.detail : problem);
    if (!a->summary || !a->detail) {
        free(a->summary);
        free(a->detail);
        return FO_ENOMEM;
    }
    bp->attempt_count++;
    return 0;
}

/* A candidate that does not pass but gets the probe past the problem it was made for: the
 * handshake now completes and the class is another one (the next problem in the chain). */
static bool is_progress(const fo_diagnosis *before, const fo_diagnosis *after)
{
    return after->verdict.class != before->verdict.class && after->facts.outcome == FO_OUTCOME_OK;
}

/* The backend with fix applied, probed. */
static int try_fix(const plan_ctx *ctx, fo_backend **out_trial, fo_diagnosis **out,
                   const fo_backend *current, const fo_fix *fix, fo_error *err)
{
    fo_backend *trial = NULL;
    fo_probe_target target;
    int rc = fo_rem_backend_copy(&trial, current);
    if (rc == 0)
        rc = fo_rem_backend_apply(trial, fix);
    if (rc == FO_EINVAL)
        rc = fo_error_set(err, FO_EINVAL, "the candidate sets a field fixorigin cannot probe");
    if (rc == 0)
        rc = fo_rem_target(&target, trial, err);
    if (rc == 0)
        rc = fo_probe_run(ctx->prober, out, &target, err);
    if (rc == 0)
        *out_trial = trial;
    else
        fo_backend_free(trial);
    return rc;
}

/* Whether the origin refuses the handshake for want of a client certificate that the
 * backend does not have: it asked for one, and the handshake failed (as the class, or behind
 * a certificate error that Fastly would see first). */
static bool needs_client_cert(const fo_diagnosis *d, const fo_backend *backend)
{
    if (!d || !d->facts.client_cert_requested || !fo_str_empty(backend->ssl_client_cert))
        return false;
    bool refused = d->verdict.class == FO_CLASS_HANDSHAKE_FAILURE;
    for (size_t i = 0; !refused && i < d->verdict.also_count; i++)
        refused = d->verdict.also[i] == FO_CLASS_HANDSHAKE_FAILURE;
    return refused;
}

/* Probe, plan, gather, prove: stages, each one fixing the problem the last one revealed. */
static int prove(const plan_ctx *ctx, fo_backend_plan *bp)
{
    fo_backend *current = NULL;
    const fo_diagnosis *current_diag = bp->diagnosis;
    fo_diagnosis *owned_diag = NULL;
    fo_fix merged = {.allowed = true};
    fo_candidates cands = {0};
    gathering g = {.fetch_flags = fetch_flags_for(bp->diagnosis)};
    char *advice = NULL;
    int probes = 0;
    bool done = false;
    int rc = fo_rem_backend_copy(&current, bp->backend);
    for (int stage = 0; rc == 0 && !done && stage < FO_REM_MAX_STAGES; stage++) {
        fo_backend *progress_trial = NULL;
        fo_diagnosis *progress_diag = NULL;
        size_t progress = 0;
        for (int round = 0; rc == 0; round++) {
            bool did = false;
            fo_gathered view = gathering_view(&g);
            fo_candidates_clear(&cands);
            fo_candidates_input in = {.backend = current,
                                      .diagnosis = current_diag,
                                      .domains = (const char *const *)ctx->plan->domains,
                                      .domain_count = ctx->plan->domain_count,
                                      .options = &ctx->opts->consent,
                                      .gathered = &view};
            rc = fo_remediate_candidates(&cands, &in, &bp->error);
            if (rc == 0 && round < 4)
                rc = gather(ctx, &g, &cands, current, &did);
            if (!did)
                break;
        }
        free(advice);
        advice = rc == 0 ? fo_strdup(cands.advice) : NULL;
        if (rc == 0 && g.notes && advice)
            rc = fo_rem_join(&advice, " ", g.notes);
        for (size_t i = 0; rc == 0 && !done && i < cands.count && probes < FO_REM_MAX_PROBES; i++) {
            fo_backend *trial = NULL;
            fo_diagnosis *d = NULL;
            fo_error perr;
            fo_error_clear(&perr);
            probes++;
            rc = try_fix(ctx, &trial, &d, current, &cands.fixes[i], &perr);
            if (rc != 0) {
                rc = rc == FO_ENOMEM ? rc : add_attempt(bp, &cands.fixes[i], NULL, perr.msg);
                continue;
            }
            if (d->verdict.class == FO_CLASS_OK) {
                rc = fo_rem_fix_merge(&merged, &cands.fixes[i]);
                bp->proof = d;
                done = true;
            } else {
                rc = add_attempt(bp, &cands.fixes[i], d, NULL);
                if (!progress_diag && is_progress(current_diag, d)) {
                    progress_diag = d;
                    progress_trial = trial;
                    progress = i;
                    d = NULL;
                    trial = NULL;
                }
            }
            if (!done)
                fo_diagnosis_free(d);
            fo_backend_free(trial);
        }
        if (rc == 0 && !done && progress_diag)
            rc = fo_rem_fix_merge(&merged, &cands.fixes[progress]);
        if (rc == 0 && !done && progress_diag) {
            fo_backend_free(current);
            fo_diagnosis_free(owned_diag);
            current = progress_trial;
            current_diag = owned_diag = progress_diag;
            gathering_clear(&g);
            continue;
        }
        fo_backend_free(progress_trial);
        fo_diagnosis_free(progress_diag);
        break;
    }
    if (rc == 0 && done) {
        bp->status = merged.allowed ? FO_BACKEND_FIX : FO_BACKEND_BLOCKED;
        bp->fix = merged;
        memset(&merged, 0, sizeof(merged));
        if (bp->status == FO_BACKEND_BLOCKED)
            bp->advice =
                fo_rem_strdupf("A fix is proven but needs your consent (%s): %s",
                               bp->fix.consent ? bp->fix.consent : "a flag", bp->fix.reason);
    } else if (rc == 0) {
        bp->status = FO_BACKEND_HUMAN;
        if (needs_client_cert(current_diag, current)) {
            /* No name, CA or version change gets past a refusal for want of a client
             * certificate: say that, not what would have helped otherwise. */
            free(advice);
            advice = fo_strdup("The origin requires a client certificate (mutual TLS) and the "
                               "backend presents none: set ssl_client_cert and ssl_client_key "
                               "to the certificate the origin expects (fixorigin cannot make "
                               "one).");
        }
        bp->advice =
            merged.summary
                ? fo_rem_strdupf("Even after \"%s\" the probe reports %s. %s", merged.summary,
                                 fo_class_id(current_diag->verdict.class), advice ? advice : "")
                : fo_strdup(advice ? advice : "No automatic fix.");
    }
    if (rc == 0 && bp->status != FO_BACKEND_FIX && !bp->advice)
        rc = FO_ENOMEM;
    fo_candidates_clear(&cands);
    gathering_clear(&g);
    fo_fix_clear(&merged);
    fo_backend_free(current);
    fo_diagnosis_free(owned_diag);
    free(advice);
    return rc;
}

int fo_remediate_target(fo_probe_target *out, const fo_backend *b, fo_error *err)
{
    return fo_rem_target(out, b, err);
}

static void work_backend(const plan_ctx *ctx, fo_backend_plan *bp)
{
    fo_probe_target target;
    if (bp->advice)
        return; /* discovery decided already: a declaration that cannot be read */
    const fo_plan_options *opts = ctx->opts;
    int rc = opts->diagnosed
                 ? opts->diagnosed(opts->diagnosed_ctx, bp->backend, &bp->diagnosis, &bp->error)
                 : 0;
    if (rc == 1) /* probed beforehand, in the fleet's pool */
        rc = 0;
    else if (rc == 0 && (rc = fo_rem_target(&target, bp->backend, &bp->error)) == 0)
        rc = fo_probe_run(ctx->prober, &bp->diagnosis, &target, &bp->error);
    if (rc != 0) {
        /* Settings the probe refuses (a broken ssl_ca_cert, a cipher string OpenSSL rejects)
         * are the service's to fix; anything else is ours. */
        bp->status = rc == FO_EINVAL ? FO_BACKEND_HUMAN : FO_BACKEND_ERROR;
        bp->advice = fo_rem_strdupf("The backend cannot be probed: %s", bp->error.msg);
        return;
    }
    bp->evidence = fo_remediate_evidence(bp->diagnosis);
    if (bp->diagnosis->verdict.class == FO_CLASS_OK) {
        bp->status = FO_BACKEND_OK;
        return;
    }
    rc = prove(ctx, bp);
    if (rc != 0) {
        bp->status = FO_BACKEND_ERROR;
        if (rc == FO_ENOMEM || bp->error.code == 0)
            fo_error_set(&bp->error, rc, "%s", rc == FO_ENOMEM ? "out of memory" : fo_strerror(rc));
        free(bp->advice);
        bp->advice = fo_strdup(bp->error.msg);
    }
}

static void *worker(void *arg)
{
    plan_ctx *ctx = arg;
    for (;;) {
        pthread_mutex_lock(&ctx->lock);
        size_t i = ctx->next++;
        pthread_mutex_unlock(&ctx->lock);
        if (i >= ctx->plan->backend_count)
            break;
        work_backend(ctx, &ctx->plan->backends[i]);
    }
    return NULL;
}

/* Runs the workers; on the caller's thread alone when none can be started. */
static void work_all(plan_ctx *ctx, int concurrency)
{
    pthread_t threads[MAX_CONCURRENCY];
    int started = 0;
    size_t count = ctx->plan->backend_count;
    int wanted = (size_t)concurrency < count ? concurrency : (int)count;
    for (int i = 0; i < wanted; i++) {
        if (pthread_create(&threads[started], NULL, worker, ctx) != 0)
            break;
        started++;
    }
    if (started == 0)
        worker(ctx);
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

/* ---- the plan as a whole ---- */

static void emit(const fo_plan_options *opts, fo_step step, const char *backend,
                 const fo_step_record *record)
{
    if (!opts->event)
        return;
    fo_event ev = {.step = step, .finished = record != NULL, .backend = backend, .record = record};
    opts->event(opts->event_ctx, &ev);
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static int copy_versions(fo_plan *plan, const fo_service *svc)
{
    plan->versions = calloc(svc->version_count ? svc->version_count : 1, sizeof(fo_version));
    if (!plan->versions)
        return FO_ENOMEM;
    for (size_t i = 0; i < svc->version_count; i++) {
        const fo_version *v = &svc->versions[i];
        fo_version *copy = &plan->versions[plan->version_count++];
        copy->number = v->number;
        copy->active = v->active;
        copy->locked = v->locked;
        if (v->comment && !(copy->comment = fo_strdup(v->comment)))
            return FO_ENOMEM;
        if (v->number > svc->active_version && !v->locked && !v->active &&
            starts_with(v->comment, "fixorigin:")) {
            fo_leftover *grown =
                realloc(plan->leftovers, (plan->leftover_count + 1) * sizeof(*grown));
            if (!grown)
                return FO_ENOMEM;
            plan->leftovers = grown;
            grown[plan->leftover_count].number = v->number;
            if (!(grown[plan->leftover_count].comment = fo_strdup(v->comment)))
                return FO_ENOMEM;
            plan->leftover_count++;
        }
    }
    return 0;
}

static bool wanted(const fo_plan_options *opts, const char *name)
{
    if (opts->backend_count == 0)
        return true;
    for (size_t i = 0; i < opts->backend_count; i++) {
        if (name && strcmp(opts->backends[i], name) == 0)
            return true;
    }
    return false;
}

/* Fills the plan's service, versions, domains and backends from the details read. */
static int plan_from_details(fo_plan *plan, const fo_service *svc, const fo_plan_options *opts,
                             fo_error *err)
{
    const fo_version_config *active = svc->active;
    if (!active)
        return fo_error_set(err, FO_ESTATE,
                            "service %s has no active version: nothing reaches an origin yet",
                            svc->id ? svc->id : "?");
    plan->active_version = active->version.number;
    if ((svc->name && !(plan->service_name = fo_strdup(svc->name))) ||
        copy_versions(plan, svc) != 0 || fo_rem_terraform_detect(plan, svc, opts->terraform) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    plan->domains = calloc(active->domain_count ? active->domain_count : 1, sizeof(char *));
    plan->backends =
        calloc(active->backend_count ? active->backend_count : 1, sizeof(fo_backend_plan));
    if (!plan->domains || !plan->backends)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < active->domain_count; i++) {
        if (!(plan->domains[plan->domain_count++] = fo_strdup(active->domains[i])))
            return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < active->backend_count; i++) {
        if (!wanted(opts, active->backends[i].name))
            continue;
        fo_backend_plan *bp = &plan->backends[plan->backend_count++];
        if (fo_rem_backend_copy(&bp->backend, &active->backends[i]) != 0)
            return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    return 0;
}

/* A refused connection is fixed at the origin's firewall: name Fastly's ranges. */
static void add_public_ips(fo_plan *plan, fo_api *api)
{
    bool refused = false;
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_diagnosis *d = plan->backends[i].diagnosis;
        refused = refused || (d && d->verdict.class == FO_CLASS_CONNECTION_REFUSED &&
                              plan->backends[i].status == FO_BACKEND_HUMAN);
    }
    if (!refused || fo_api_public_ip_list(api, &plan->public_ips, NULL) != 0)
        return;
    const fo_ip_list *ips = plan->public_ips;
    char sample[200] = "";
    for (size_t i = 0; i < ips->ipv4_count && i < 3; i++)
        fo_str_appendf(sample, sizeof(sample), "%s%s", i ? ", " : "", ips->ipv4[i]);
    for (size_t i = 0; i < plan->backend_count; i++) {
        fo_backend_plan *bp = &plan->backends[i];
        if (!bp->diagnosis || bp->diagnosis->verdict.class != FO_CLASS_CONNECTION_REFUSED)
            continue;
        char *more = fo_rem_strdupf("Fastly connects from %zu IPv4 ranges (%s%s) and %zu IPv6 "
                                    "ranges.",
                                    ips->ipv4_count, sample, ips->ipv4_count > 3 ? ", ..." : "",
                                    ips->ipv6_count);
        if (more && fo_rem_join(&bp->advice, " ", more) != 0) {
            /* out of memory: the advice stays without the ranges */
        }
        free(more);
    }
}

static void emit_backend(const fo_plan_options *opts, const fo_backend_plan *bp)
{
    fo_step_record record = {.step = FO_STEP_PROBE,
                             .backend = bp->backend->name,
                             .ok = bp->status == FO_BACKEND_OK || bp->status == FO_BACKEND_FIX};
    char *diff = bp->status != FO_BACKEND_FIX && bp->status != FO_BACKEND_BLOCKED ? NULL
                 : bp->origin.text_diff ? fo_strdup(bp->origin.text_diff)
                                        : fo_remediate_fix_diff(&bp->fix);
    char *message = fo_rem_strdupf(
        "%s: %s%s%s", fo_class_id(bp->diagnosis ? bp->diagnosis->verdict.class : FO_CLASS_OK),
        fo_backend_status_name(bp->status), bp->fix.summary ? ", " : "",
        bp->fix.summary ? bp->fix.summary : "");
    record.message = message;
    record.diff = diff;
    emit(opts, FO_STEP_PROBE, bp->backend->name, &record);
    free(message);
    free(diff);
}

int fo_remediate_plan(fo_plan **out, fo_api *api, fo_prober *prober, const char *service_id,
                      const fo_plan_options *opts, fo_error *err_out)
{
    fo_error e, *err = &e;
    fo_service *svc = NULL;
    fo_plan *plan = calloc(1, sizeof(*plan));
    static const fo_plan_options defaults;
    int rc = 0;
    fo_error_clear(&e);
    if (!opts)
        opts = &defaults;
    if (!plan || !(plan->service_id = fo_strdup(service_id ? service_id : ""))) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (opts->consent.ca_file_pem) {
        fo_cert_list *file = NULL;
        rc = fo_probe_certs_parse(&file, opts->consent.ca_file_pem,
                                  strlen(opts->consent.ca_file_pem), "--ca-file", err);
        fo_cert_list_free(file);
        if (rc != 0)
            goto out;
    }
    emit(opts, FO_STEP_DETAILS, NULL, NULL);
    svc = opts->details; /* read beforehand (scan): taken over */
    rc = svc ? 0 : fo_api_service_details(api, &svc, service_id, 0, err);
    if (rc == 0)
        rc = plan_from_details(plan, svc, opts, err);
    /* Before the version is taken whole below: discovery reads it. */
    if (rc == 0)
        rc = fo_rem_origins_discover(plan, api, svc, opts, err);
    for (size_t i = 0; rc == 0 && i < opts->backend_count; i++) {
        bool found = false;
        for (size_t j = 0; j < plan->backend_count; j++)
            found = found || strcmp(plan->backends[j].backend->name, opts->backends[i]) == 0;
        if (!found)
            rc = fo_error_set(err, FO_EINVAL, "backend '%s' is not in version %ld of service %s",
                              opts->backends[i], plan->active_version, plan->service_id);
    }
    if (rc == 0) {
        /* Kept whole: apply compares the draft with it, read the same way (details'
         * "version" object, whose shape a recording pins; "active_version" has only ever
         * been recorded as null). Details show the active version there unless asked for
         * another; should they not, the active_version object stands in. */
        fo_version_config **whole =
            svc->version && svc->version->version.number == plan->active_version ? &svc->version
                                                                                 : &svc->active;
        plan->planned_from = *whole;
        *whole = NULL;
    }
    char read_words[] = "read the active version";
    fo_step_record details = {
        .step = FO_STEP_DETAILS, .ok = rc == 0, .message = rc == 0 ? read_words : e.msg};
    emit(opts, FO_STEP_DETAILS, NULL, &details);
    if (rc != 0)
        goto out;
    plan_ctx ctx = {.prober = prober,
                    .opts = opts,
                    .plan = plan,
                    .fetch_timeout_ms = opts->fetch_timeout_ms > 0 ? opts->fetch_timeout_ms
                                                                   : DEFAULT_FETCH_TIMEOUT_MS,
                    .fetch_max_bytes = opts->fetch_max_bytes > 0 ? opts->fetch_max_bytes
                                                                 : DEFAULT_FETCH_MAX_BYTES};
    int concurrency = opts->concurrency > 0 ? opts->concurrency : DEFAULT_CONCURRENCY;
    if (concurrency > MAX_CONCURRENCY)
        concurrency = MAX_CONCURRENCY;
    pthread_mutex_init(&ctx.lock, NULL);
    for (size_t i = 0; i < plan->backend_count; i++)
        emit(opts, FO_STEP_PROBE, plan->backends[i].backend->name, NULL);
    work_all(&ctx, concurrency);
    pthread_mutex_destroy(&ctx.lock);
    if (fo_rem_origins_settle(plan, &opts->consent, prober) != 0) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < plan->backend_count; i++) {
        if (plan->backends[i].status == FO_BACKEND_ERROR &&
            plan->backends[i].error.code == FO_ENOMEM) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    add_public_ips(plan, api);
    for (size_t i = 0; i < plan->backend_count; i++)
        emit_backend(opts, &plan->backends[i]);
    fo_remediate_plan_id(plan->plan_id, plan);
    bool fixes = false;
    for (size_t i = 0; i < plan->backend_count; i++)
        fixes = fixes || plan->backends[i].status == FO_BACKEND_FIX;
    if (!fixes) { /* nothing to apply, so nothing to compare with: a scan keeps many plans */
        fo_version_config_free(plan->planned_from);
        plan->planned_from = NULL;
    }
    *out = plan;
    plan = NULL;
out:
    if (rc != 0 && err_out)
        *err_out = e;
    fo_service_free(svc);
    fo_plan_free(plan);
    return rc;
}

static void backend_plan_clear(fo_backend_plan *bp)
{
    fo_rem_origin_clear(&bp->origin);
    fo_backend_free(bp->backend);
    fo_diagnosis_free(bp->diagnosis);
    fo_fix_clear(&bp->fix);
    fo_diagnosis_free(bp->proof);
    for (size_t i = 0; i < bp->attempt_count; i++) {
        free(bp->attempts[i].summary);
        free(bp->attempts[i].detail);
    }
    free(bp->attempts);
    free(bp->evidence);
    free(bp->advice);
}

void fo_plan_free(fo_plan *plan)
{
    if (!plan)
        return;
    free(plan->service_id);
    free(plan->service_name);
    for (size_t i = 0; i < plan->version_count; i++)
        free(plan->versions[i].comment);
    free(plan->versions);
    for (size_t i = 0; i < plan->leftover_count; i++)
        free(plan->leftovers[i].comment);
    free(plan->leftovers);
    for (size_t i = 0; i < plan->domain_count; i++)
        free(plan->domains[i]);
    free(plan->domains);
    for (size_t i = 0; i < plan->backend_count; i++)
        backend_plan_clear(&plan->backends[i]);
    free(plan->backends);
    fo_ip_list_free(plan->public_ips);
    fo_version_config_free(plan->planned_from);
    for (size_t i = 0; i < plan->note_count; i++)
        free(plan->notes[i]);
    free(plan->notes);
    free(plan->service_type);
    free(plan->terraform);
    free(plan);
}

/* ---- identity, words and results ---- */

static void hash_text(EVP_MD_CTX *md, const char *text)
{
    /* Each value ends with a NUL, so ("ab","c") and ("a","bc") differ. */
    EVP_DigestUpdate(md, text ? text : "", text ? strlen(text) + 1 : 1);
}

void fo_remediate_plan_id(char out[65], const fo_plan *plan)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    char version[32];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    out[0] = '\0';
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(md);
        return;
    }
    snprintf(version, sizeof(version), "%ld", plan->active_version);
    hash_text(md, "fixorigin plan v1");
    hash_text(md, plan->service_id);
    hash_text(md, version);
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX)
            continue;
        hash_text(md, bp->backend->name);
        if (bp->origin.kind != FO_ORIGIN_BACKEND)
            hash_text(md, bp->origin.source);
        for (size_t j = 0; j < bp->fix.change_count; j++) {
            hash_text(md, bp->fix.changes[j].field);
            hash_text(md, bp->fix.changes[j].to ? bp->fix.changes[j].to : "\x01(unset)");
        }
    }
    if (EVP_DigestFinal_ex(md, digest, &len) == 1 && len == 32)
        fo_hex_encode(out, digest, len);
    EVP_MD_CTX_free(md);
}

static const char *outcome_words(const fo_probe_facts *f)
{
    switch (f->outcome) {
    case FO_OUTCOME_OK:
        return NULL;
    case FO_OUTCOME_DNS_FAILURE:
        return "the name does not resolve";
    case FO_OUTCOME_CONNECT_REFUSED:
        return "connection refused";
    case FO_OUTCOME_CONNECT_TIMEOUT:
        return "TCP connect timed out";
    case FO_OUTCOME_HANDSHAKE_TIMEOUT:
        return "TLS handshake timed out";
    case FO_OUTCOME_NOT_TLS:
        return "the reply is not TLS";
    case FO_OUTCOME_ALERT:
        return "alert";
    case FO_OUTCOME_CLOSED:
        return "the origin closed the connection during the handshake";
    case FO_OUTCOME_TLS_ERROR:
        return "no TLS version or cipher in common";
    }
    return NULL;
}

/* Whether a reply's first line is text worth quoting (not a hostile origin's noise). */
static bool readable(const char *s)
{
    size_t printable = 0, n = strlen(s);
    for (size_t i = 0; i < n; i++)
        printable += (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f;
    return n > 0 && printable * 10 >= n * 9;
}

/* Whether the attempt got as far as sending a ClientHello. */
static bool handshake_tried(const fo_probe_facts *f)
{
    return f->outcome == FO_OUTCOME_OK || f->outcome == FO_OUTCOME_HANDSHAKE_TIMEOUT ||
           f->outcome == FO_OUTCOME_NOT_TLS || f->outcome == FO_OUTCOME_ALERT ||
           f->outcome == FO_OUTCOME_CLOSED || f->outcome == FO_OUTCOME_TLS_ERROR;
}

char *fo_remediate_evidence(const fo_diagnosis *d)
{
    const fo_probe_facts *f = &d->facts;
    fo_buf b = {0};
    bool v6 = d->target.host && strchr(d->target.host, ':');
    int rc = fo_buf_printf(&b, "%s%s%s:%d", v6 ? "[" : "", d->target.host ? d->target.host : "?",
                           v6 ? "]" : "", d->target.port);
    const char *outcome = outcome_words(f);
    if (rc == 0 && f->outcome == FO_OUTCOME_ALERT && f->alert >= 0)
        rc = fo_buf_printf(&b, "; alert %d %s", f->alert, fo_probe_alert_name(f->alert));
    else if (rc == 0 && outcome)
        rc = fo_buf_printf(&b, "; %s", outcome);
    if (rc == 0 && f->reply_start && readable(f->reply_start))
        rc = fo_buf_printf(&b, " (\"%.60s\")", f->reply_start);
    if (rc == 0 && f->late_answer_ms >= 0)
        rc = fo_buf_printf(&b, "; answered after %.0f ms", f->late_answer_ms);
    if (rc == 0 && f->protocol)
        rc = fo_buf_printf(&b, "; %s", f->protocol);
    if (rc == 0 && d->target.settings.use_ssl && handshake_tried(f))
        rc = f->sni_sent ? fo_buf_printf(&b, ", SNI %s", f->sni_sent) : fo_buf_puts(&b, ", no SNI");
    if (rc == 0 && f->chain_count > 0) {
        const fo_cert_facts *leaf = &f->chain[0];
        rc = fo_buf_printf(&b, "; certificate %s", leaf->subject);
        for (size_t i = 0; rc == 0 && i < leaf->san_count && i < 4; i++)
            rc = fo_buf_printf(&b, "%s%s", i ? ", " : " for ", leaf->san[i]);
        if (rc == 0 && leaf->san_count > 4)
            rc = fo_buf_printf(&b, " and %zu more", leaf->san_count - 4);
        if (rc == 0)
            rc = fo_buf_printf(&b, " (chain of %zu)", f->chain_count);
    }
    if (rc == 0 && f->verify_code != 0)
        rc = fo_buf_printf(&b, "; verify error %d (%s)", f->verify_code, fo_probe_verify_text(f));
    if (rc == 0 && f->needs_sni == FO_YES)
        rc = fo_buf_puts(&b, "; answers differently with SNI");
    if (rc == 0 && f->plain_http == FO_YES && d->target.settings.use_ssl)
        rc = fo_buf_puts(&b, "; speaks plain HTTP");
    if (rc != 0) {
        fo_buf_clear(&b);
        return NULL;
    }
    /* The origin's words reach a terminal: no control characters. */
    for (size_t i = 0; i < b.len; i++) {
        if ((unsigned char)b.data[i] < 0x20 || b.data[i] == 0x7f)
            b.data[i] = '?';
    }
    return fo_buf_steal(&b);
}

const char *fo_backend_status_name(fo_backend_status status)
{
    switch (status) {
    case FO_BACKEND_OK:
        return "ok";
    case FO_BACKEND_FIX:
        return "fix";
    case FO_BACKEND_BLOCKED:
        return "blocked";
    case FO_BACKEND_HUMAN:
        return "needs_human";
    case FO_BACKEND_ERROR:
        return "error";
    }
    return "?";
}

const char *fo_result_name(fo_result result)
{
    switch (result) {
    case FO_RESULT_OK:
        return "ok";
    case FO_RESULT_ERROR:
        return "error";
    case FO_RESULT_PLANNED:
        return "fixes_planned";
    case FO_RESULT_ROLLED_BACK:
        return "rolled_back";
    case FO_RESULT_CONFLICT:
        return "conflict";
    case FO_RESULT_NEEDS_HUMAN:
        return "needs_human";
    }
    return "?";
}

static int severity(fo_result r)
{
    static const int rank[] = {
        [FO_RESULT_OK] = 0,          [FO_RESULT_PLANNED] = 1,     [FO_RESULT_CONFLICT] = 2,
        [FO_RESULT_NEEDS_HUMAN] = 3, [FO_RESULT_ROLLED_BACK] = 4, [FO_RESULT_ERROR] = 5};
    return (unsigned)r < sizeof(rank) / sizeof(rank[0]) ? rank[r] : 5;
}

fo_result fo_remediate_result_worse(fo_result a, fo_result b)
{
    return severity(a) >= severity(b) ? a : b;
}

fo_result fo_remediate_result(const fo_plan *plan, const fo_apply_result *applied)
{
    fo_result result = FO_RESULT_OK;
    for (size_t i = 0; i < plan->backend_count; i++) {
        fo_result r = FO_RESULT_OK;
        switch (plan->backends[i].status) {
        case FO_BACKEND_OK:
            break;
        case FO_BACKEND_FIX:
            r = applied ? FO_RESULT_OK : FO_RESULT_PLANNED;
            break;
        case FO_BACKEND_BLOCKED:
        case FO_BACKEND_HUMAN:
            r = FO_RESULT_NEEDS_HUMAN;
            break;
        case FO_BACKEND_ERROR:
            r = FO_RESULT_ERROR;
            break;
        }
        result = fo_remediate_result_worse(result, r);
    }
    if (!applied)
        return result;
    switch (applied->outcome) {
    case FO_APPLY_NOTHING:
    case FO_APPLY_VERIFIED:
    case FO_APPLY_DRAFT:
        return result;
    case FO_APPLY_CONFLICT:
        return fo_remediate_result_worse(result, FO_RESULT_CONFLICT);
    case FO_APPLY_ROLLED_BACK:
        return fo_remediate_result_worse(result, FO_RESULT_ROLLED_BACK);
    case FO_APPLY_FAILED:
    case FO_APPLY_UNKNOWN:
        return FO_RESULT_ERROR;
    }
    return FO_RESULT_ERROR;
}
