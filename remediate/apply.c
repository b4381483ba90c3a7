/* Apply: write a plan's allowed fixes in one new version, and activate it only once Fastly's
 * own answers show exactly the planned change and the fixed origins pass the probe.
 *
 * The invariant: at the end the active version is the one planned against, or a new one that
 * was verified; the only exception is an API that stops answering between activating and
 * reading back, which the outcome FO_APPLY_UNKNOWN says. Writes are never retried blindly:
 * the API client reads back instead. A one-backend fix costs 14 requests, 5 of them writes
 * (clone, comment, update, activate, the verified mark); a rollback is one more write, and so
 * is marking a draft released when a run stops after cloning. One writer per service: see
 * FO_TICKET_LEASE_S. */
#define _GNU_SOURCE /* timegm */
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "remediate_int.h"

#define MAX_COMMENT 480

typedef struct apply_ctx {
    fo_api *api;
    fo_prober *prober;
    const fo_plan *plan;
    const fo_apply_options *opts;
    fo_apply_result *result;
    fo_rem_steps steps;
    const char *sid;
    long draft;
    long long draft_made; /* Fastly's created_at of our draft, epoch s; -1 unknown */
    double cloned_ms;     /* monotonic, just before the clone went out */
    long lease_s;
    bool journal_open; /* the journal has a record of this run's draft */
} apply_ctx;

bool fo_activate_mode_parse(const char *s, fo_activate_mode *out)
{
    if (s && strcmp(s, "auto") == 0)
        *out = FO_ACTIVATE_AUTO;
    else if (s && strcmp(s, "none") == 0)
        *out = FO_ACTIVATE_NONE;
    else
        return false;
    return true;
}

const char *fo_apply_outcome_name(fo_apply_outcome outcome)
{
    switch (outcome) {
    case FO_APPLY_NOTHING:
        return "nothing";
    case FO_APPLY_VERIFIED:
        return "verified";
    case FO_APPLY_DRAFT:
        return "draft";
    case FO_APPLY_FAILED:
        return "failed";
    case FO_APPLY_CONFLICT:
        return "conflict";
    case FO_APPLY_ROLLED_BACK:
        return "rolled_back";
    case FO_APPLY_UNKNOWN:
        return "unknown";
    }
    return "?";
}

/* Ends the run with outcome, keeping the first failure's error. */
static void finish(apply_ctx *a, fo_apply_outcome outcome, const fo_error *e)
{
    a->result->outcome = outcome;
    if (e && a->result->error.code == 0)
        a->result->error = *e;
}

static void random_run_id(char out[17])
{
    unsigned char bytes[6];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        /* No randomness: the clock still tells runs apart. */
        snprintf(out, 17, "%012llx",
                 (unsigned long long)(fo_now_ms() * 1000.0) & 0xffffffffffffULL);
        return;
    }
    fo_hex_encode(out, bytes, sizeof(bytes));
}

/* "fixorigin: origin: set ssl_cert_hostname to x; api: ... (run ID, 1 -> 2, by U1)" after
 * head: a later run knows its drafts by the prefix, by the head whether one is still a ticket
 * (or was verified), and by "1 -> 2" which version a draft was cloned from and which it is,
 * so that a copy of it (a clone carries the comment along) is never taken for it. */
static char *version_comment(const apply_ctx *a, const char *head)
{
    fo_buf b = {0};
    char tail[160];
    snprintf(tail, sizeof(tail), " (run %s, %ld -> %ld%s%.64s)", a->result->run_id,
             a->plan->active_version, a->draft, a->opts->requested_by ? ", by " : "",
             a->opts->requested_by ? a->opts->requested_by : "");
    int rc = fo_buf_puts(&b, head);
    bool first = true;
    for (size_t i = 0; rc == 0 && i < a->plan->backend_count; i++) {
        const fo_backend_plan *bp = &a->plan->backends[i];
        if (bp->status != FO_BACKEND_FIX)
            continue;
        if (b.len + strlen(bp->backend->name) + strlen(bp->fix.summary) + 4 >
            MAX_COMMENT - strlen(tail)) {
            rc = fo_buf_puts(&b, first ? "several backends" : "; and more");
            break;
        }
        rc = fo_buf_printf(&b, "%s%s: %s", first ? "" : "; ", bp->backend->name, bp->fix.summary);
        first = false;
    }
    if (rc == 0)
        rc = fo_buf_puts(&b, tail);
    if (rc != 0) {
        fo_buf_clear(&b);
        return NULL;
    }
    return fo_buf_steal(&b);
}

/* The active version's number from a version list, 0 when none is active. */
static long active_in(const fo_version_list *list)
{
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].active)
            return list->items[i].number;
    }
    return 0;
}

/* Marks the draft as one no fixorigin run will activate, so that it stops being a ticket
 * at once rather than when its lease ends. One write; when it fails the draft is still
 * never activated, and the journal keeps the record so this machine's next run knows. */
static void release_draft(apply_ctx *a, const char *why)
{
    fo_version *v = NULL;
    fo_error e;
    char head[160];
    fo_error_clear(&e);
    snprintf(head, sizeof(head), FO_COMMENT_RELEASED " (%.100s): ", why);
    char *comment = version_comment(a, head);
    fo_rem_step_start(&a->steps, FO_STEP_RELEASE, NULL);
    int rc = comment ? fo_api_version_comment(a->api, &v, a->sid, a->draft, comment, &e)
                     : fo_error_set(&e, FO_ENOMEM, "out of memory");
    if (rc == 0) {
        fo_rem_step_done(&a->steps, FO_STEP_RELEASE, NULL, true, NULL,
                         "draft %ld is marked released: no fixorigin run activates it", a->draft);
    } else {
        fo_rem_step_done(&a->steps, FO_STEP_RELEASE, NULL, false, NULL,
                         "%s: draft %ld still counts as a ticket until its lease ends", e.msg,
                         a->draft);
        a->result->record_open = true;
    }
    fo_version_free(v);
    free(comment);
}

/* A step that failed after the clone: the draft stays, never activated. */
static int draft_failed(apply_ctx *a, fo_step step, const char *backend, int rc, const fo_error *e,
                        const char *diff)
{
    fo_rem_step_done(&a->steps, step, backend, false, diff,
                     "%s; draft %ld is left as it is and never activated", e->msg, a->draft);
    finish(a, rc == FO_ECONFLICT ? FO_APPLY_CONFLICT : FO_APPLY_FAILED, e);
    release_draft(a, fo_step_name(step));
    return rc ? rc : FO_ESTATE;
}

/* ---- the ticket ---- */

/* "2022-11-04T17:45:17Z" (anything after the seconds is ignored) as epoch seconds, -1 when
 * it is not that. */
static long long parse_utc(const char *s)
{
    int year, month, day, hour, minute, second;
    if (!s ||
        sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &year, &month, &day, &hour, &minute, &second) != 6)
        return -1;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : (long long)t;
}

static bool starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* A draft whose run is known to be over: one this machine's record names, or the one a run
 * killed while cloning may have left, while it still looks as that one would (never
 * commented: the comment of the version it was cloned from, or that run's marker). */
static bool known_dead(const apply_ctx *a, const fo_version *v)
{
    for (size_t i = 0; i < a->opts->dead_draft_count; i++) {
        if (a->opts->dead_drafts[i] == v->number)
            return true;
    }
    if (!a->opts->orphan_draft || a->opts->orphan_draft != v->number)
        return false;
    const char *comment = v->comment ? v->comment : "";
    return (a->opts->orphan_comment && strcmp(comment, a->opts->orphan_comment) == 0) ||
           (a->opts->orphan_run_id &&
            fo_remediate_comment_names_run(comment, a->opts->orphan_run_id));
}

bool fo_remediate_comment_names_run(const char *comment, const char *run_id)
{
    char marker[32]; /* as version_comment writes it: " (run ID, N -> D...)" */
    snprintf(marker, sizeof(marker), "(run %.16s,", run_id ? run_id : "");
    return comment && run_id && *run_id && strstr(comment, marker) != NULL;
}

/* The first draft in list that may be an earlier writer's ticket ahead of ours: numbered
 * between the planned version and our draft, neither locked nor active, not marked released
 * or for review, not known to be over, and made less than the lease before ours. A draft of
 * unknown age counts: no safety decision rests on a field that may be missing. */
static const fo_version *ticket_ahead(const apply_ctx *a, const fo_version_list *list)
{
    long long ours = a->draft_made;
    for (size_t i = 0; i < list->count && ours < 0; i++) {
        if (list->items[i].number == a->draft)
            ours = parse_utc(list->items[i].created_at);
    }
    for (size_t i = 0; i < list->count; i++) {
        const fo_version *v = &list->items[i];
        if (v->number <= a->plan->active_version || v->number >= a->draft || v->locked ||
            v->active || starts_with(v->comment, FO_COMMENT_RELEASED) ||
            starts_with(v->comment, FO_COMMENT_REVIEW) || known_dead(a, v))
            continue;
        long long made = parse_utc(v->created_at);
        if (made >= 0 && ours >= 0 && made < ours - a->lease_s)
            continue;
        return v;
    }
    return NULL;
}

/* Stands down for the earlier writer's draft: nothing of ours is activated. */
static int stand_down(apply_ctx *a, fo_step step, const fo_version *ahead)
{
    fo_error e;
    char comment[120];
    snprintf(comment, sizeof(comment), "%s", ahead->comment ? ahead->comment : "");
    fo_error_set(&e, FO_ECONFLICT,
                 "draft %ld (made %s, comment \"%.80s\") came before ours (%ld): another writer "
                 "may be about to activate it, so this run stands down and activates nothing; "
                 "run again later (a draft stops counting %ld minutes after it was made, or "
                 "once fixorigin marks it released)",
                 ahead->number, ahead->created_at ? ahead->created_at : "at an unknown time",
                 comment, a->draft, (a->lease_s + 59) / 60);
    a->result->ticket_ahead = ahead->number;
    fo_rem_step_done(&a->steps, step, NULL, false, NULL, "%s", e.msg);
    finish(a, FO_APPLY_CONFLICT, &e);
    release_draft(a, "stood down for an earlier draft");
    return FO_ECONFLICT;
}

/* After cloning: the version list decides whether this run holds the lowest ticket. */
static int check_ticket(apply_ctx *a)
{
    fo_version_list *list = NULL;
    fo_error e;
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, FO_STEP_TICKET, NULL);
    int rc = fo_api_version_list(a->api, &list, a->sid, &e);
    if (rc != 0)
        return draft_failed(a, FO_STEP_TICKET, NULL, rc, &e, NULL);
    const fo_version *ahead = ticket_ahead(a, list);
    if (ahead)
        rc = stand_down(a, FO_STEP_TICKET, ahead);
    else
        fo_rem_step_done(&a->steps, FO_STEP_TICKET, NULL, true, NULL,
                         "draft %ld is the first since version %ld: no other writer is ahead",
                         a->draft, a->plan->active_version);
    fo_version_list_free(list);
    return rc;
}

/* Asks the caller whether to stop; before activating only. */
static int maybe_stop(apply_ctx *a)
{
    if (!a->opts->stop || !a->opts->stop(a->opts->stop_ctx))
        return 0;
    fo_error e;
    a->result->interrupted = true;
    if (a->draft > 0) {
        fo_error_set(&e, FO_ESTATE,
                     "interrupted before activating: nothing was activated; draft %ld is left "
                     "as it is",
                     a->draft);
        finish(a, FO_APPLY_FAILED, &e);
        release_draft(a, "interrupted");
    } else {
        fo_error_set(&e, FO_ESTATE, "interrupted before writing anything");
        finish(a, FO_APPLY_FAILED, &e);
    }
    return FO_ESTATE;
}

static int journal(apply_ctx *a, fo_journal_phase phase, fo_error *e)
{
    if (!a->opts->journal)
        return 0;
    int rc = a->opts->journal(a->opts->journal_ctx, phase, a->plan, a->result, e);
    if (rc == 0)
        a->journal_open = phase != FO_JOURNAL_SETTLED;
    return rc;
}

/* Reads the version list and checks the planned version is still active. Returns 0, a
 * failure to read (FAILED), or FO_ECONFLICT. */
static int check_still_active(apply_ctx *a, fo_step step, fo_version_list **out_list)
{
    fo_version_list *list = NULL;
    fo_error e;
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, step, NULL);
    int rc = fo_api_version_list(a->api, &list, a->sid, &e);
    if (rc != 0) {
        fo_rem_step_done(&a->steps, step, NULL, false, NULL, "%s", e.msg);
        finish(a, FO_APPLY_FAILED, &e);
        return rc;
    }
    long now = active_in(list);
    if (now != a->plan->active_version) {
        fo_error_set(&e, FO_ECONFLICT,
                     "version %ld was planned against, but version %ld is active now: someone "
                     "changed the service meanwhile; run again",
                     a->plan->active_version, now);
        fo_rem_step_done(&a->steps, step, NULL, false, NULL, "%s", e.msg);
        finish(a, FO_APPLY_CONFLICT, &e);
        a->result->active_after = now;
        fo_version_list_free(list);
        if (a->draft > 0)
            release_draft(a, "the service changed meanwhile");
        return FO_ECONFLICT;
    }
    if (a->draft > 0) {
        /* Right before activating: still the lowest ticket, and well within its lease. */
        const fo_version *ahead = ticket_ahead(a, list);
        double held_s = (fo_now_ms() - a->cloned_ms) / 1000.0;
        if (ahead) {
            rc = stand_down(a, step, ahead);
            fo_version_list_free(list);
            return rc;
        }
        if (held_s > (double)a->lease_s / 2) {
            fo_error_set(&e, FO_ECONFLICT,
                         "draft %ld was cloned %.0f s ago, more than half its %ld s lease: other "
                         "writers may soon count it as lapsed, so it is not activated; run again",
                         a->draft, held_s, a->lease_s);
            fo_rem_step_done(&a->steps, step, NULL, false, NULL, "%s", e.msg);
            finish(a, FO_APPLY_CONFLICT, &e);
            fo_version_list_free(list);
            release_draft(a, "its lease ran short");
            return FO_ECONFLICT;
        }
    }
    fo_rem_step_done(&a->steps, step, NULL, true, NULL, "version %ld is still active", now);
    if (out_list)
        *out_list = list;
    else
        fo_version_list_free(list);
    return 0;
}

static int clone_draft(apply_ctx *a)
{
    fo_version_list *fresh = NULL;
    fo_version *draft = NULL;
    fo_error e;
    fo_error_clear(&e);
    int rc = 0;
    if (a->opts->reread_first)
        rc = check_still_active(a, FO_STEP_REREAD, &fresh);
    if (rc != 0)
        return rc;
    const fo_version *known = fresh ? fresh->items : a->plan->versions;
    size_t known_count = fresh ? fresh->count : a->plan->version_count;
    for (size_t i = 0; i < known_count; i++) {
        if (known[i].number > a->result->highest_before)
            a->result->highest_before = known[i].number;
    }
    fo_rem_step_start(&a->steps, FO_STEP_CLONE, NULL);
    /* On record before the request: a run killed while cloning leaves a draft the next run
     * can still tell from other writers' (numbered above highest_before, never commented). */
    if ((rc = journal(a, FO_JOURNAL_CLONING, &e)) != 0) {
        char first[sizeof(e.msg)];
        snprintf(first, sizeof(first), "%s", e.msg);
        fo_error_set(&e, rc, "cannot record the run's intent: %s; nothing was written", first);
        fo_rem_step_done(&a->steps, FO_STEP_CLONE, NULL, false, NULL, "%s", e.msg);
        finish(a, FO_APPLY_FAILED, &e);
        fo_version_list_free(fresh);
        return rc;
    }
    a->cloned_ms = fo_now_ms();
    rc = fresh ? fo_api_version_clone_known(a->api, &draft, a->sid, a->plan->active_version,
                                            fresh->items, fresh->count, &e)
               : fo_api_version_clone_known(a->api, &draft, a->sid, a->plan->active_version,
                                            a->plan->versions, a->plan->version_count, &e);
    fo_version_list_free(fresh);
    if (rc != 0) {
        fo_rem_step_done(&a->steps, FO_STEP_CLONE, NULL, false, NULL, "%s%s", e.msg,
                         rc == FO_EUNKNOWN ? " (a draft may have been made: a later run names it)"
                                           : "");
        a->result->record_open = rc == FO_EUNKNOWN;
        finish(a, rc == FO_ECONFLICT ? FO_APPLY_CONFLICT : FO_APPLY_FAILED, &e);
        return rc;
    }
    a->draft = a->result->draft = draft->number;
    a->draft_made = parse_utc(draft->created_at);
    fo_version_free(draft);
    /* Recorded at once, so that this machine's next run knows the draft whatever happens. */
    if ((rc = journal(a, FO_JOURNAL_DRAFT, &e)) != 0) {
        char first[sizeof(e.msg)];
        snprintf(first, sizeof(first), "%s", e.msg);
        fo_error_set(&e, rc, "cannot record the run's intent: %s", first);
        return draft_failed(a, FO_STEP_CLONE, NULL, rc, &e, NULL);
    }
    fo_rem_step_done(&a->steps, FO_STEP_CLONE, NULL, true, NULL, "version %ld -> draft %ld",
                     a->plan->active_version, a->draft);
    return 0;
}

static int comment_draft(apply_ctx *a)
{
    fo_version *v = NULL;
    fo_error e;
    fo_error_clear(&e);
    char *comment = version_comment(
        a, a->opts->activate == FO_ACTIVATE_NONE ? FO_COMMENT_REVIEW ": " : FO_COMMENT_PREFIX);
    if (!comment)
        return FO_ENOMEM;
    fo_rem_step_start(&a->steps, FO_STEP_COMMENT, NULL);
    int rc = fo_api_version_comment(a->api, &v, a->sid, a->draft, comment, &e);
    if (rc == 0)
        fo_rem_step_done(&a->steps, FO_STEP_COMMENT, NULL, true, NULL, "draft %ld: %s", a->draft,
                         comment);
    else
        rc = draft_failed(a, FO_STEP_COMMENT, NULL, rc, &e, NULL);
    fo_version_free(v);
    free(comment);
    return rc;
}

static int update_backend(apply_ctx *a, const fo_backend_plan *bp)
{
    fo_backend *after = NULL;
    fo_error e;
    char why[400];
    fo_error_clear(&e);
    const char *name = bp->backend->name;
    fo_backend_change *changes = calloc(bp->fix.change_count, sizeof(*changes));
    char *diff = fo_remediate_fix_diff(&bp->fix);
    int rc = changes && diff ? 0 : FO_ENOMEM;
    for (size_t i = 0; rc == 0 && i < bp->fix.change_count; i++)
        changes[i] = (fo_backend_change){bp->fix.changes[i].field, bp->fix.changes[i].to};
    if (rc == 0) {
        fo_rem_step_start(&a->steps, FO_STEP_UPDATE, name);
        rc = fo_api_backend_update(a->api, &after, a->sid, a->draft, name, changes,
                                   bp->fix.change_count, &e);
        if (rc != 0)
            rc = draft_failed(a, FO_STEP_UPDATE, name, rc, &e, diff);
        else
            fo_rem_step_done(&a->steps, FO_STEP_UPDATE, name, true, diff, "%s in draft %ld",
                             bp->fix.summary, a->draft);
    }
    /* The update's answer is the backend as Fastly now stores it: the read-back. */
    if (rc == 0) {
        fo_rem_step_start(&a->steps, FO_STEP_READBACK, name);
        if (fo_remediate_readback_matches(bp->backend, after, &bp->fix, why, sizeof(why))) {
            fo_rem_step_done(&a->steps, FO_STEP_READBACK, name, true, NULL,
                             "backend '%s' holds exactly the planned change", name);
        } else {
            fo_error_set(&e, FO_EPROTO, "backend '%s' does not read back as planned: %s", name,
                         why);
            rc = draft_failed(a, FO_STEP_READBACK, name, FO_EPROTO, &e, NULL);
        }
    }
    fo_backend_free(after);
    free(changes);
    free(diff);
    return rc;
}

/* The fixes of origins defined in VCL files, versioned snippets and pools. */
static int update_origins(apply_ctx *a)
{
    fo_error e;
    fo_step failed = FO_STEP_UPDATE;
    const char *who = NULL;
    fo_error_clear(&e);
    int rc = fo_rem_origins_write(&a->steps, a->api, a->plan, a->draft, &failed, &who, &e);
    return rc == 0 ? 0 : draft_failed(a, failed, who, rc, &e, NULL);
}

/* The check that decides: the draft read back as data (one details read) against the
 * version it was cloned from as the plan read it. Fastly's text diff, read after it, is only
 * shown. */
static int compare_draft(apply_ctx *a)
{
    fo_service *svc = NULL;
    fo_error e;
    char why[400];
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, FO_STEP_COMPARE, NULL);
    int rc = fo_api_service_details(a->api, &svc, a->sid, a->draft, &e);
    const fo_version_config *draft = rc == 0 ? svc->version : NULL;
    if (rc != 0) {
        rc = draft_failed(a, FO_STEP_COMPARE, NULL, rc, &e, NULL);
    } else if (!draft || draft->version.number != a->draft) {
        fo_error_set(&e, FO_EPROTO, "Fastly's details of draft %ld describe version %ld", a->draft,
                     draft ? draft->version.number : 0L);
        rc = draft_failed(a, FO_STEP_COMPARE, NULL, FO_EPROTO, &e, NULL);
    } else if (!fo_remediate_draft_matches(a->plan, draft, why, sizeof(why))) {
        fo_error_set(&e, FO_EPROTO, "draft %ld holds a change nobody planned: %s", a->draft, why);
        rc = draft_failed(a, FO_STEP_COMPARE, NULL, FO_EPROTO, &e, NULL);
    } else {
        fo_rem_step_done(&a->steps, FO_STEP_COMPARE, NULL, true, NULL,
                         "draft %ld read back equals version %ld but for the planned fields "
                         "(%zu sections compared)",
                         a->draft, a->plan->active_version, draft->section_count);
    }
    fo_service_free(svc);
    return rc;
}

/* Fastly's own diff, as evidence for a person: whatever it says or fails to say, the run
 * goes on, since the comparison before it has decided. */
static void show_diff(apply_ctx *a)
{
    fo_diff *diff = NULL;
    fo_diff_view view;
    fo_error e;
    long from = a->plan->active_version;
    fo_error_clear(&e);
    memset(&view, 0, sizeof(view));
    fo_rem_step_start(&a->steps, FO_STEP_DIFF, NULL);
    int rc = fo_api_diff(a->api, &diff, a->sid, from, a->draft, &e);
    if (rc != 0) {
        fo_rem_step_done(&a->steps, FO_STEP_DIFF, NULL, true, NULL,
                         "Fastly's diff of version %ld -> %ld could not be read (%s); it is "
                         "evidence only, the comparison decided",
                         from, a->draft, e.msg);
    } else if (diff->from != from || diff->to != a->draft) {
        fo_rem_step_done(&a->steps, FO_STEP_DIFF, NULL, true, NULL,
                         "Fastly answered a diff of versions %ld and %ld, not %ld and %ld: not "
                         "shown",
                         diff->from, diff->to, from, a->draft);
    } else if (fo_remediate_diff_read(&view, diff->text) != 0) {
        fo_rem_step_done(&a->steps, FO_STEP_DIFF, NULL, true, NULL,
                         "out of memory reading Fastly's diff: not shown");
    } else if (!view.understood) {
        fo_rem_step_done(&a->steps, FO_STEP_DIFF, NULL, true, view.shown,
                         "Fastly's diff of version %ld -> %ld is not in a form fixorigin reads: "
                         "shown as it came; the comparison decided",
                         from, a->draft);
    } else {
        fo_rem_step_done(&a->steps, FO_STEP_DIFF, NULL, true, view.shown,
                         "Fastly's diff of version %ld -> %ld shows %s%s%s", from, a->draft,
                         view.places ? "changes to " : "no change", view.places ? view.places : "",
                         view.unattributed ? " and lines it cannot place (shown as they are)" : "");
    }
    fo_diff_view_clear(&view);
    fo_diff_free(diff);
}

static int validate_draft(apply_ctx *a)
{
    fo_validation *v = NULL;
    fo_error e;
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, FO_STEP_VALIDATE, NULL);
    int rc = fo_api_version_validate(a->api, &v, a->sid, a->draft, &e);
    if (rc == 0 && !v->ok) {
        fo_error_set(&e, FO_ESTATE, "Fastly does not validate draft %ld: %s", a->draft,
                     v->msg ? v->msg : "no reason given");
        rc = FO_ESTATE;
    }
    if (rc != 0)
        rc = draft_failed(a, FO_STEP_VALIDATE, NULL, rc, &e, NULL);
    else
        fo_rem_step_done(&a->steps, FO_STEP_VALIDATE, NULL, true, NULL, "draft %ld is valid%s%s",
                         a->draft, v->msg ? ": " : "", v->msg ? v->msg : "");
    fo_validation_free(v);
    return rc;
}

/* ---- after activation ---- */

typedef struct verify_state {
    fo_diagnosis **out;
    const size_t *index; /* target i -> plan backend */
} verify_state;

static void verify_done(void *ctx, size_t i, fo_diagnosis *d, const fo_error *err)
{
    verify_state *v = ctx;
    (void)err;
    v->out[v->index[i]] = d;
}

static const fo_backend *find_backend(const fo_version_config *config, const char *name)
{
    for (size_t i = 0; config && i < config->backend_count; i++) {
        if (config->backends[i].name && strcmp(config->backends[i].name, name) == 0)
            return &config->backends[i];
    }
    return NULL;
}

/* Probes every fixed backend as the active version now holds it. Returns whether each
 * holds its planned change and passes; why names the first that does not. */
static bool verify_backends(apply_ctx *a, const fo_service *svc, char *why, size_t why_size,
                            fo_buf *report)
{
    const fo_version_config *active = svc->active;
    size_t count = a->plan->backend_count, n = 0;
    fo_probe_target *targets = calloc(count, sizeof(*targets));
    size_t *index = calloc(count, sizeof(*index));
    fo_backend **lives = NULL;
    fo_error live_err;
    bool ok = targets && index;
    if (!ok)
        snprintf(why, why_size, "out of memory");
    if (ok && fo_rem_origins_live(&lives, a->api, a->plan, svc, &live_err) != 0) {
        snprintf(why, why_size, "the active version's VCL and pools cannot be read back: %s",
                 live_err.msg);
        ok = false;
    }
    for (size_t i = 0; ok && i < count; i++) {
        const fo_backend_plan *bp = &a->plan->backends[i];
        if (bp->status != FO_BACKEND_FIX || bp->origin.kind == FO_ORIGIN_DYNAMIC_SNIPPET)
            continue;
        const fo_backend *live = bp->origin.kind == FO_ORIGIN_BACKEND
                                     ? find_backend(active, bp->backend->name)
                                     : lives[i];
        fo_error e;
        char mismatch[300];
        if (!live) {
            snprintf(why, why_size, "backend '%s' is missing from the active version",
                     bp->backend->name);
            ok = false;
        } else if (!fo_remediate_readback_matches(bp->backend, live, &bp->fix, mismatch,
                                                  sizeof(mismatch))) {
            snprintf(why, why_size, "backend '%s' in the active version: %s", bp->backend->name,
                     mismatch);
            ok = false;
        } else if (fo_rem_target(&targets[n], live, &e) != 0) {
            snprintf(why, why_size, "backend '%s': %s", bp->backend->name, e.msg);
            ok = false;
        } else {
            index[n++] = i;
        }
    }
    verify_state state = {.out = a->result->verified, .index = index};
    fo_error e;
    if (ok && n > 0 &&
        fo_probe_run_many(a->prober, targets, n, (int)n, verify_done, &state, &e) != 0) {
        snprintf(why, why_size, "cannot probe: %s", e.msg);
        ok = false;
    }
    for (size_t k = 0; ok && k < n; k++) {
        const fo_backend_plan *bp = &a->plan->backends[index[k]];
        const fo_diagnosis *d = a->result->verified[index[k]];
        if (!d || d->verdict.class != FO_CLASS_OK) {
            snprintf(why, why_size, "backend '%s' does not pass: %s", bp->backend->name,
                     d ? fo_class_id(d->verdict.class) : "the probe could not run");
            ok = false;
        } else if (fo_buf_printf(report, "%s%s ok", report->len ? ", " : "", bp->backend->name) !=
                   0) {
            snprintf(why, why_size, "out of memory");
            ok = false;
        }
    }
    free(targets);
    free(index);
    fo_rem_origins_live_free(lives, count);
    return ok;
}

static void rollback(apply_ctx *a, const char *why)
{
    fo_version *v = NULL;
    fo_error e;
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, FO_STEP_ROLLBACK, NULL);
    int rc = fo_api_version_activate(a->api, &v, a->sid, a->plan->active_version, &e);
    fo_version_free(v);
    if (rc == 0) {
        a->result->active_after = a->plan->active_version;
        fo_rem_step_done(&a->steps, FO_STEP_ROLLBACK, NULL, true, NULL,
                         "version %ld is active again (draft %ld stays, never to be activated "
                         "by fixorigin)",
                         a->plan->active_version, a->draft);
        fo_error_set(&e, FO_ESTATE, "rolled back: %s", why);
        finish(a, FO_APPLY_ROLLED_BACK, &e);
        return;
    }
    fo_rem_step_done(&a->steps, FO_STEP_ROLLBACK, NULL, false, NULL,
                     "%s: version %ld may still be active, unverified: check the service", e.msg,
                     a->draft);
    a->result->active_after = 0;
    a->result->record_open = true; /* the next run for the service looks again */
    char first[sizeof(e.msg)];
    snprintf(first, sizeof(first), "%s", e.msg);
    fo_error_set(&e, FO_EUNKNOWN,
                 "verification failed (%s) and so did the rollback (%s): unknown whether draft "
                 "%ld or version %ld is active",
                 why, first, a->draft, a->plan->active_version);
    finish(a, FO_APPLY_UNKNOWN, &e);
}

/* Marks the verified draft so in its comment (FO_COMMENT_VERIFIED), for runs elsewhere that
 * have no record of this one: without the mark such a run probes the version again and rolls
 * it back if it fails then. Fastly may refuse to change a locked version at all (422 "Version
 * locked"): the run is verified either way, and nothing is decided on the answer. */
static void mark_verified(apply_ctx *a, char *note, size_t size)
{
    fo_version *v = NULL;
    fo_error e;
    fo_error_clear(&e);
    char *comment = version_comment(a, FO_COMMENT_VERIFIED ": ");
    int rc = comment ? fo_api_version_comment(a->api, &v, a->sid, a->draft, comment, &e)
                     : fo_error_set(&e, FO_ENOMEM, "out of memory");
    if (rc == 0)
        snprintf(note, size, "its comment is marked verified");
    else
        snprintf(note, size,
                 "its comment could not be marked verified (%.150s): a run without this "
                 "machine's record probes it again",
                 e.msg);
    fo_version_free(v);
    free(comment);
}

/* Whether a failed request got a clear answer from Fastly (a 3xx or 4xx status) rather than
 * none (a timeout, a dropped connection) or a server error: only then can a request still
 * be on its way when the state is read back. */
static bool answered(const fo_error *e)
{
    return e->http_status >= 300 && e->http_status < 500;
}

/* Activates the draft, reads the active version back and probes its fixed backends; rolls
 * back when a fix does not hold. Whatever the activate request's answer, the version active
 * afterwards is read, never inferred from the answer: Fastly (or a proxy) may have applied
 * an activation it answered with an error, or answered too late for the timeout. */
static void activate_and_verify(apply_ctx *a)
{
    fo_version *v = NULL;
    fo_service *svc = NULL;
    fo_error e;
    char why[400];
    fo_buf report = {0};
    fo_error_clear(&e);
    fo_rem_step_start(&a->steps, FO_STEP_ACTIVATE, NULL);
    int act_rc = fo_api_version_activate(a->api, &v, a->sid, a->draft, &e);
    fo_version_free(v);
    bool failed = act_rc != 0;
    if (failed)
        fo_rem_step_done(&a->steps, FO_STEP_ACTIVATE, NULL, false, NULL,
                         "%s: reading the service back to learn which version is active", e.msg);
    else
        fo_rem_step_done(&a->steps, FO_STEP_ACTIVATE, NULL, true, NULL, "draft %ld is active",
                         a->draft);
    if (!failed) {
        a->result->active_after = a->draft;
        fo_error_clear(&e);
    }

    fo_rem_step_start(&a->steps, FO_STEP_VERIFY, NULL);
    fo_error read_err;
    fo_error_clear(&read_err);
    int rc = fo_api_service_details(a->api, &svc, a->sid, 0, &read_err);
    long now = rc == 0 && svc->active ? svc->active->version.number : 0;
    if (rc != 0) {
        snprintf(why, sizeof(why), "the active version cannot be read back: %s", read_err.msg);
        fo_rem_step_done(&a->steps, FO_STEP_VERIFY, NULL, false, NULL, "%s", why);
        /* Draft or original, unknown: activating the original again makes it known. */
        rollback(a, why);
    } else if (now == a->draft) {
        a->result->active_after = now;
        if (failed)
            fo_error_clear(&e); /* it happened: the answer was wrong, not the activation */
        if (verify_backends(a, svc, why, sizeof(why), &report)) {
            char mark[300];
            mark_verified(a, mark, sizeof(mark));
            fo_rem_step_done(&a->steps, FO_STEP_VERIFY, NULL, true, NULL,
                             "version %ld is active%s and its fixed backends pass: %s; %s", now,
                             failed ? " (despite the activate request's answer)" : "",
                             report.data ? report.data : "", mark);
            finish(a, FO_APPLY_VERIFIED, NULL);
        } else {
            fo_rem_step_done(&a->steps, FO_STEP_VERIFY, NULL, false, NULL, "%s", why);
            rollback(a, why);
        }
    } else if (failed && now == a->plan->active_version) {
        a->result->active_after = now;
        a->result->activation_pending = !answered(&e);
        a->result->record_open = a->result->activation_pending;
        char first[sizeof(e.msg)];
        snprintf(first, sizeof(first), "%s", e.msg);
        if (a->result->activation_pending)
            fo_error_set(&e, act_rc,
                         "%s; version %ld is active as read back afterwards, not draft %ld; the "
                         "request got no clear answer, so it may still take effect: the next "
                         "run for this service checks",
                         first, now, a->draft);
        else
            fo_error_set(&e, act_rc,
                         "%s; version %ld is active as read back afterwards: draft %ld was not "
                         "activated and is left as it is",
                         first, now, a->draft);
        fo_rem_step_done(&a->steps, FO_STEP_VERIFY, NULL, false, NULL, "%s", e.msg);
        finish(a, act_rc == FO_ECONFLICT ? FO_APPLY_CONFLICT : FO_APPLY_FAILED, &e);
        if (!a->result->activation_pending)
            release_draft(a, "not activated");
    } else {
        /* Someone activated another version after ours (or instead): theirs stays. */
        a->result->active_after = now;
        fo_error_set(&e, FO_ECONFLICT,
                     "version %ld is active, not draft %ld: someone activated it meanwhile; "
                     "fixorigin leaves it",
                     now, a->draft);
        fo_rem_step_done(&a->steps, FO_STEP_VERIFY, NULL, false, NULL, "%s", e.msg);
        finish(a, FO_APPLY_CONFLICT, &e);
    }
    fo_buf_clear(&report);
    fo_service_free(svc);
}

int fo_remediate_apply(fo_apply_result **out, fo_api *api, fo_prober *prober, const fo_plan *plan,
                       const fo_apply_options *opts, fo_error *err)
{
    static const fo_apply_options defaults;
    if (!plan || !api || !prober)
        return fo_error_set(err, FO_EINVAL, "nothing to apply");
    if (!opts)
        opts = &defaults;
    fo_apply_result *result = calloc(1, sizeof(*result));
    fo_diagnosis **verified =
        calloc(plan->backend_count ? plan->backend_count : 1, sizeof(*verified));
    if (!result || !verified) {
        free(result);
        free(verified);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    result->verified = verified;
    result->verified_count = plan->backend_count;
    result->active_before = result->active_after = plan->active_version;
    if (opts->run_id)
        snprintf(result->run_id, sizeof(result->run_id), "%.16s", opts->run_id);
    else
        random_run_id(result->run_id);
    apply_ctx a = {.draft_made = -1,
                   .lease_s = opts->ticket_lease_s > 0 ? opts->ticket_lease_s : FO_TICKET_LEASE_S,
                   .api = api,
                   .prober = prober,
                   .plan = plan,
                   .opts = opts,
                   .result = result,
                   .steps = {.event = opts->event, .event_ctx = opts->event_ctx},
                   .sid = plan->service_id};
    size_t fixes = 0, dynamic = 0;
    for (size_t i = 0; i < plan->backend_count; i++) {
        bool fix = plan->backends[i].status == FO_BACKEND_FIX;
        bool versionless = plan->backends[i].origin.kind == FO_ORIGIN_DYNAMIC_SNIPPET;
        fixes += fix && !versionless;
        dynamic += fix && versionless;
    }
    int rc = 0;
    if (fixes == 0) {
        finish(&a, FO_APPLY_NOTHING, NULL);
        if (dynamic > 0)
            fo_rem_dynamic_apply(&a.steps, api, prober, plan, opts->activate == FO_ACTIVATE_NONE,
                                 result);
        goto out;
    }
    rc = maybe_stop(&a);
    if (rc == 0)
        rc = clone_draft(&a);
    if (rc == 0)
        rc = check_ticket(&a);
    if (rc == 0)
        rc = maybe_stop(&a);
    if (rc == 0)
        rc = comment_draft(&a);
    for (size_t i = 0; rc == 0 && i < plan->backend_count; i++) {
        if (plan->backends[i].status == FO_BACKEND_FIX &&
            plan->backends[i].origin.kind == FO_ORIGIN_BACKEND && (rc = maybe_stop(&a)) == 0)
            rc = update_backend(&a, &plan->backends[i]);
    }
    if (rc == 0)
        rc = maybe_stop(&a);
    if (rc == 0)
        rc = update_origins(&a);
    if (rc == 0)
        rc = maybe_stop(&a);
    if (rc == 0)
        rc = compare_draft(&a);
    if (rc == 0)
        show_diff(&a);
    if (rc == 0)
        rc = maybe_stop(&a);
    if (rc == 0)
        rc = validate_draft(&a);
    if (rc == 0 && opts->activate == FO_ACTIVATE_NONE) {
        finish(&a, FO_APPLY_DRAFT, NULL);
        goto out;
    }
    if (rc == 0)
        rc = maybe_stop(&a);
    if (rc == 0)
        rc = check_still_active(&a, FO_STEP_RECHECK, NULL);
    if (rc == 0)
        rc = maybe_stop(&a); /* the last chance: from here on the run finishes */
    if (rc == 0) {
        fo_error e;
        fo_error_clear(&e);
        /* The intent goes on record before the request: a run killed from here on leaves a
         * record the next run for this service follows up. */
        if ((rc = journal(&a, FO_JOURNAL_ACTIVATING, &e)) != 0) {
            char first[sizeof(e.msg)];
            snprintf(first, sizeof(first), "%s", e.msg);
            fo_error_set(&e, rc, "cannot record the run's intent to activate: %s", first);
            rc = draft_failed(&a, FO_STEP_ACTIVATE, NULL, rc, &e, NULL);
        }
    }
    if (rc == 0)
        activate_and_verify(&a);
    /* Versionless changes only on top of a verified version (or with none to make). */
    if (dynamic > 0 && result->outcome == FO_APPLY_VERIFIED)
        fo_rem_dynamic_apply(&a.steps, api, prober, plan, false, result);
out:
    if (a.journal_open && !result->record_open) {
        fo_error e;
        /* A record that cannot be cleared only makes the next run look again. */
        (void)journal(&a, FO_JOURNAL_SETTLED, &e);
    }
    result->record_open = a.journal_open;
    result->steps = a.steps.items;
    result->step_count = a.steps.count;
    if (fixes > 0 && result->outcome == FO_APPLY_NOTHING) {
        /* Stopped without an outcome: only memory runs out that way, before activating. */
        fo_error_set(&result->error, rc ? rc : FO_ENOMEM, "%s",
                     rc == FO_ENOMEM || rc == 0 ? "out of memory" : fo_strerror(rc));
        result->outcome = FO_APPLY_FAILED;
    }
    *out = result;
    return 0;
}

/* Probes each named backend as config holds it; true when all pass, else why says which
 * does not. */
static bool earlier_fixes_pass(fo_prober *prober, const fo_version_config *config,
                               const fo_earlier_run *run, char *why, size_t why_size)
{
    size_t n = run->fixed_count;
    fo_probe_target *targets = calloc(n ? n : 1, sizeof(*targets));
    fo_diagnosis **found = calloc(n ? n : 1, sizeof(*found));
    size_t *index = calloc(n ? n : 1, sizeof(*index));
    bool ok = targets && found && index;
    fo_error e;
    if (!ok)
        snprintf(why, why_size, "out of memory");
    for (size_t i = 0; ok && i < n; i++) {
        const fo_backend *live = find_backend(config, run->fixed[i]);
        if (!live) {
            snprintf(why, why_size, "backend '%s' is missing from the active version",
                     run->fixed[i]);
            ok = false;
        } else if (fo_rem_target(&targets[i], live, &e) != 0) {
            snprintf(why, why_size, "backend '%s': %s", run->fixed[i], e.msg);
            ok = false;
        }
        index[i] = i;
    }
    verify_state state = {.out = found, .index = index};
    if (ok && n > 0 &&
        fo_probe_run_many(prober, targets, n, (int)n, verify_done, &state, &e) != 0) {
        snprintf(why, why_size, "cannot probe: %s", e.msg);
        ok = false;
    }
    for (size_t i = 0; ok && i < n; i++) {
        if (!found[i] || found[i]->verdict.class != FO_CLASS_OK) {
            snprintf(why, why_size, "backend '%s' does not pass: %s", run->fixed[i],
                     found[i] ? fo_class_id(found[i]->verdict.class) : "the probe could not run");
            ok = false;
        }
    }
    for (size_t i = 0; found && i < n; i++)
        fo_diagnosis_free(found[i]);
    free(found);
    free(targets);
    free(index);
    return ok;
}

/* Follows up run as the service reads now (svc, which it frees): verified, rolled back to
 * the version before (reading the active version again right before), or left. */
static void recover_active(fo_recovery *out, fo_api *api, fo_prober *prober, const char *service_id,
                           const fo_earlier_run *run, fo_service *svc)
{
    fo_version *v = NULL;
    fo_error e;
    char why[400];
    const char *id = run->run_id ? run->run_id : "?";
    fo_error_clear(&e);
    out->active = svc->active ? svc->active->version.number : 0;
    out->settled = true;
    if (out->active == run->active_before) {
        out->outcome = FO_RECOVER_NOT_ACTIVATED;
        snprintf(out->message, sizeof(out->message),
                 "run %s did not activate its draft %ld: version %ld is active, as before", id,
                 run->draft, out->active);
    } else if (out->active != run->draft) {
        out->outcome = FO_RECOVER_OTHER;
        snprintf(out->message, sizeof(out->message),
                 "run %s left draft %ld; version %ld is active now (someone else's), and is "
                 "left alone",
                 id, run->draft, out->active);
    } else if (earlier_fixes_pass(prober, svc->active, run, why, sizeof(why))) {
        out->outcome = FO_RECOVER_VERIFIED;
        snprintf(out->message, sizeof(out->message),
                 "run %s activated draft %ld and stopped before verifying it: verified now, "
                 "its fixed backends pass",
                 id, run->draft);
    } else {
        /* Read again right before: a version someone activated meanwhile stays. */
        fo_service_free(svc);
        svc = NULL;
        long now = fo_api_service_details(api, &svc, service_id, 0, &e) == 0 && svc->active
                       ? svc->active->version.number
                       : 0;
        if (now != run->draft) {
            out->outcome = now ? FO_RECOVER_OTHER : FO_RECOVER_UNKNOWN;
            out->settled = now != 0;
            out->active = now;
            snprintf(out->message, sizeof(out->message),
                     "run %s activated draft %ld, which fails verification (%.200s), but version "
                     "%ld is active now: nothing is rolled back",
                     id, run->draft, why, now);
        } else if (fo_api_version_activate(api, &v, service_id, run->active_before, &e) == 0) {
            out->outcome = FO_RECOVER_ROLLED_BACK;
            out->active = run->active_before;
            snprintf(out->message, sizeof(out->message),
                     "run %s activated draft %ld and stopped before verifying it; it fails "
                     "verification (%.200s): version %ld is active again",
                     id, run->draft, why, run->active_before);
        } else {
            out->outcome = FO_RECOVER_UNKNOWN;
            out->settled = false;
            out->active = 0;
            snprintf(out->message, sizeof(out->message),
                     "run %s activated draft %ld, which fails verification (%.200s), and rolling "
                     "back to version %ld failed: %.150s; unknown whether %ld or %ld is active",
                     id, run->draft, why, run->active_before, e.msg, run->draft,
                     run->active_before);
        }
    }
    fo_version_free(v);
    fo_service_free(svc);
}

int fo_remediate_recover(fo_recovery *out, fo_api *api, fo_prober *prober, const char *service_id,
                         const fo_earlier_run *run, fo_error *err)
{
    fo_service *svc = NULL;
    fo_error e;
    memset(out, 0, sizeof(*out));
    if (!run || !api || !prober || !service_id)
        return fo_error_set(err, FO_EINVAL, "nothing to recover");
    const char *id = run->run_id ? run->run_id : "?";
    if (!run->activating) {
        out->outcome = FO_RECOVER_DRAFT_ONLY;
        out->settled = true;
        snprintf(out->message, sizeof(out->message),
                 "run %s stopped before activating: its draft %ld was never activated and "
                 "never will be",
                 id, run->draft);
        return 0;
    }
    fo_error_clear(&e);
    if (fo_api_service_details(api, &svc, service_id, 0, &e) != 0) {
        out->outcome = FO_RECOVER_UNKNOWN;
        snprintf(out->message, sizeof(out->message),
                 "run %s may have activated draft %ld (version %ld was active before) and it "
                 "cannot be read now: %.200s; the record stays for the next run",
                 id, run->draft, run->active_before, e.msg);
        return 0;
    }
    recover_active(out, api, prober, service_id, run, svc);
    return 0;
}

/* ---- across machines: the active version's own comment ---- */

/* Reads the run marker " (run ID, N -> D" of a version comment (the last one: the fixes text
 * before it holds backend names). False when there is none. */
static bool read_marker(const char *comment, char run_id[17], long *from, long *to)
{
    const char *p = NULL;
    for (const char *q = comment; q && (q = strstr(q, "(run ")) != NULL; q++)
        p = q + 5;
    if (!p)
        return false;
    size_t n = strspn(p, "0123456789abcdefABCDEFghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ_-");
    if (n == 0 || n > 16 || strncmp(p + n, ", ", 2) != 0)
        return false;
    snprintf(run_id, 17, "%.*s", (int)n, p);
    char *end = NULL;
    p += n + 2;
    long a = strtol(p, &end, 10);
    if (end == p || strncmp(end, " -> ", 4) != 0)
        return false;
    p = end + 4;
    long b = strtol(p, &end, 10);
    if (end == p || a < 1 || b <= a)
        return false;
    *from = a;
    *to = b;
    return true;
}

/* A version a fixorigin run activated itself (its marker names it) and never marked verified;
 * a draft "released" or "for review" that a person activated is theirs. */
static bool unverified_own(const fo_version *v, char run_id[17], long *from)
{
    long to = 0;
    return v && starts_with(v->comment, FO_COMMENT_PREFIX) &&
           !starts_with(v->comment, FO_COMMENT_VERIFIED) &&
           !starts_with(v->comment, FO_COMMENT_RELEASED) &&
           !starts_with(v->comment, FO_COMMENT_REVIEW) &&
           read_marker(v->comment, run_id, from, &to) && to == v->number;
}

static const fo_version *version_in(const fo_version *list, size_t count, long number)
{
    for (size_t i = 0; i < count; i++) {
        if (list[i].number == number)
            return &list[i];
    }
    return NULL;
}

/* Whether two backends differ in any field (the secret compared without copying it). */
static bool backends_differ(const fo_backend *x, const fo_backend *y)
{
    const char *field;
    for (size_t i = 0; (field = fo_rem_field_at(i)) != NULL; i++) {
        if (fo_remediate_field_kind(field) == FO_FIELD_SECRET)
            continue;
        char *tx = NULL, *ty = NULL;
        bool nomem = fo_remediate_field_text(&tx, x, field) != 0 ||
                     fo_remediate_field_text(&ty, y, field) != 0;
        bool same = !nomem && ((!tx && !ty) || (tx && ty && strcmp(tx, ty) == 0));
        free(tx);
        free(ty);
        if (!same)
            return true;
    }
    const char *kx = x->ssl_client_key ? x->ssl_client_key : "";
    const char *ky = y->ssl_client_key ? y->ssl_client_key : "";
    return strcmp(kx, ky) != 0;
}

int fo_remediate_check_active(fo_recovery *out, fo_api *api, fo_prober *prober, const fo_plan *plan,
                              fo_error *err)
{
    fo_service *svc = NULL, *source = NULL;
    char **fixed = NULL;
    size_t fixed_count = 0;
    char run_id[17];
    long from = 0;
    fo_error e;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!plan || !api || !prober)
        return fo_error_set(err, FO_EINVAL, "nothing to check");
    const char *sid = plan->service_id;
    /* The plan's read decides whether to look at all (no request for a service fixorigin
     * did not activate); what is done rests on fresh reads. */
    if (!unverified_own(version_in(plan->versions, plan->version_count, plan->active_version),
                        run_id, &from))
        return 0;
    long number = plan->active_version;
    fo_error_clear(&e);
    if (fo_api_service_details(api, &svc, sid, 0, &e) != 0) {
        out->outcome = FO_RECOVER_UNKNOWN;
        snprintf(out->message, sizeof(out->message),
                 "version %ld was activated by fixorigin run %s (cloned from version %ld) and "
                 "never marked verified, and the service cannot be read again to check it: "
                 "%.200s",
                 number, run_id, from, e.msg);
        goto out;
    }
    long now = svc->active ? svc->active->version.number : 0;
    char again[17];
    long again_from = 0;
    if (now != number ||
        !unverified_own(version_in(svc->versions, svc->version_count, now), again, &again_from) ||
        strcmp(again, run_id) != 0 || again_from != from)
        goto out; /* changed since the plan read it: the apply's own checks see to it */
    long later = 0;
    for (size_t i = 0; i < svc->version_count; i++) {
        const fo_version *v = &svc->versions[i];
        if (v->number > number && (v->locked || v->active))
            later = v->number;
    }
    out->active = now;
    if (later || !version_in(svc->versions, svc->version_count, from)) {
        /* Someone activated another version after it was made, and it is active again: that
         * was someone's choice, and what it replaced is not known. */
        out->outcome = FO_RECOVER_LEFT;
        out->settled = true;
        char reason[120];
        if (later)
            snprintf(reason, sizeof(reason), "version %ld was activated after it was made", later);
        else
            snprintf(reason, sizeof(reason), "version %ld it was cloned from is not listed", from);
        snprintf(out->message, sizeof(out->message),
                 "version %ld was activated by fixorigin run %s and never marked verified, but "
                 "%s: what it replaced is not known, so it is left as it is",
                 number, run_id, reason);
        goto out;
    }
    if (fo_api_service_details(api, &source, sid, from, &e) != 0 || !source->version ||
        source->version->version.number != from) {
        out->outcome = FO_RECOVER_UNKNOWN;
        snprintf(out->message, sizeof(out->message),
                 "version %ld was activated by fixorigin run %s and never marked verified, and "
                 "version %ld it was cloned from cannot be read to tell what it changed: %.200s",
                 number, run_id, from, source ? "Fastly described another version" : e.msg);
        goto out;
    }
    /* What the run fixed: the API backends that differ from the version it was cloned from,
     * as Fastly holds both now (not the comment, whose text is free). */
    size_t n = svc->active->backend_count;
    fixed = calloc(n ? n : 1, sizeof(*fixed));
    if (!fixed) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const fo_backend *b = &svc->active->backends[i];
        const fo_backend *before = b->name ? find_backend(source->version, b->name) : NULL;
        if (b->name && (!before || backends_differ(before, b)) &&
            !(fixed[fixed_count++] = fo_strdup(b->name))) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (fixed_count == 0) {
        out->outcome = FO_RECOVER_LEFT;
        out->settled = true;
        snprintf(out->message, sizeof(out->message),
                 "version %ld was activated by fixorigin run %s and never marked verified; it "
                 "changes no API backend of version %ld (its change is in VCL, snippets or "
                 "pools, which the plan probes), so it is left as it is",
                 number, run_id, from);
        goto out;
    }
    fo_earlier_run run = {.run_id = run_id,
                          .draft = number,
                          .active_before = from,
                          .activating = true,
                          .fixed = (const char *const *)fixed,
                          .fixed_count = fixed_count};
    recover_active(out, api, prober, sid, &run, svc);
    svc = NULL;
    size_t len = strlen(out->message);
    snprintf(out->message + len, sizeof(out->message) - len,
             " (found by its version comment: no record of it on this machine)");
out:
    for (size_t i = 0; i < fixed_count; i++)
        free(fixed[i]);
    free(fixed);
    fo_service_free(source);
    fo_service_free(svc);
    return rc;
}

void fo_apply_result_free(fo_apply_result *result)
{
    if (!result)
        return;
    fo_rem_step_records_free(result->steps, result->step_count);
    for (size_t i = 0; i < result->verified_count; i++)
        fo_diagnosis_free(result->verified[i]);
    free(result->verified);
    free(result);
}
