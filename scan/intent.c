/* Intent records: what a run that writes to a service is about to do, kept in
 * STATE_DIR/intents/<service>.json, so that the next run for the service on this machine
 * finishes what a killed one left. A record is written right after the clone (the draft and
 * the run id, before the draft's comment, which may never be written) and again right before
 * the activate request; it is removed once nothing the run did can still change what is
 * active. Files are replaced atomically (a temporary file, fsync, rename), so a run killed at
 * any instruction leaves the old record or the new one, never half of one.
 *
 * The writer guard bundles what every writing path (fix --apply, scan --apply, serve apply)
 * does before planning: take the service's lock, read the record an earlier run left, and
 * after the plan hand the apply a journal and the drafts known to be over. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/scan.h"

#define RECORD_MAX_BYTES (256 * 1024)

static int record_path(char *out, size_t size, const char *state_dir, const char *service_id,
                       const char *suffix, fo_error *err)
{
    int n = snprintf(out, size, "%s/intents/%s.json%s", state_dir, service_id, suffix);
    if (n < 0 || (size_t)n >= size)
        return fo_error_set(err, FO_EINVAL, "state directory path too long");
    return 0;
}

void fo_intent_free(fo_intent *intent)
{
    if (!intent)
        return;
    for (size_t i = 0; i < intent->fixed_count; i++)
        free(intent->fixed[i]);
    free(intent->fixed);
    free(intent);
}

int fo_intent_read(fo_intent **out, const char *state_dir, const char *service_id, fo_error *err)
{
    char path[FO_SCAN_PATH_MAX];
    json_error_t jerr;
    *out = NULL;
    int rc = record_path(path, sizeof(path), state_dir, service_id, "", err);
    if (rc != 0)
        return rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return fo_error_set(err, FO_EIO, "cannot read the record %s: %s", path, strerror(errno));
    }
    json_t *root = json_loadfd(fd, JSON_DISABLE_EOF_CHECK, &jerr);
    close(fd);
    fo_intent *intent = calloc(1, sizeof(*intent));
    const char *run_id = NULL, *phase = NULL;
    json_int_t draft = 0, before = 0, highest = 0;
    json_t *fixed = NULL;
    if (!intent) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (!root ||
        json_unpack(root, "{s:s, s:I, s:I, s:I, s:s, s:o}", "run_id", &run_id, "draft", &draft,
                    "active_before", &before, "highest_before", &highest, "phase", &phase, "fixed",
                    &fixed) != 0 ||
        (draft < 1 && strcmp(phase, "cloning") != 0) || before < 0 || !json_is_array(fixed)) {
        /* Only this program writes it, atomically: a bad one was edited or damaged. */
        rc = fo_error_set(err, FO_EIO,
                          "the record %s is damaged: move it away once the service is checked",
                          path);
        goto out;
    }
    snprintf(intent->run_id, sizeof(intent->run_id), "%.16s", run_id);
    intent->draft = (long)draft;
    intent->active_before = (long)before;
    intent->activating = strcmp(phase, "activating") == 0;
    intent->cloning = strcmp(phase, "cloning") == 0;
    intent->highest_before = (long)highest;
    size_t n = json_array_size(fixed);
    intent->fixed = calloc(n ? n : 1, sizeof(char *));
    if (!intent->fixed) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(fixed, i));
        if (name && !(intent->fixed[intent->fixed_count++] = fo_strdup(name))) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    *out = intent;
    intent = NULL;
out:
    fo_intent_free(intent);
    json_decref(root);
    return rc;
}

int fo_intent_write(const char *state_dir, const fo_plan *plan, const fo_apply_result *result,
                    fo_journal_phase phase, fo_error *err)
{
    const char *phase_name = phase == FO_JOURNAL_CLONING ? "cloning"
                             : phase == FO_JOURNAL_DRAFT ? "draft"
                                                         : "activating";
    char dir[FO_SCAN_PATH_MAX], path[FO_SCAN_PATH_MAX], stamp[32], host[64] = "?";
    int n = snprintf(dir, sizeof(dir), "%s/intents", state_dir);
    if (n < 0 || (size_t)n >= sizeof(dir))
        return fo_error_set(err, FO_EINVAL, "state directory path too long");
    int rc = record_path(path, sizeof(path), state_dir, plan->service_id, "", err);
    if (rc == 0 && mkdir(dir, 0700) != 0 && errno != EEXIST)
        rc = fo_error_set(err, FO_EIO, "cannot create %s: %s", dir, strerror(errno));
    if (rc != 0)
        return rc;
    json_t *fixed = json_array();
    for (size_t i = 0; fixed && i < plan->backend_count; i++) {
        /* API backends: what a later run can verify from the active version's backend list
         * (origins declared in VCL, snippets or pools are probed by its plan anyway). */
        if (plan->backends[i].status == FO_BACKEND_FIX &&
            plan->backends[i].origin.kind == FO_ORIGIN_BACKEND &&
            json_array_append_new(fixed, json_string(plan->backends[i].backend->name)) != 0) {
            json_decref(fixed);
            fixed = NULL;
        }
    }
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    fo_format_time(stamp, sizeof(stamp), (int64_t)time(NULL));
    json_t *root = fixed
                       ? json_pack("{s:s, s:s, s:I, s:I, s:I, s:s, s:o, s:I, s:s, s:s}",
                                   "service_id", plan->service_id, "run_id", result->run_id,
                                   "draft", (json_int_t)result->draft, "active_before",
                                   (json_int_t)plan->active_version, "highest_before",
                                   (json_int_t)result->highest_before, "phase", phase_name, "fixed",
                                   fixed, "pid", (json_int_t)getpid(), "host", host, "at", stamp)
                       : NULL;
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    if (!text)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    else
        rc = fo_write_file(path, text, strlen(text), 0600, err);
    free(text);
    json_decref(root);
    return rc;
}

int fo_intent_clear(const char *state_dir, const char *service_id, fo_error *err)
{
    char path[FO_SCAN_PATH_MAX];
    int rc = record_path(path, sizeof(path), state_dir, service_id, "", err);
    if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
        rc = fo_error_set(err, FO_EIO, "cannot remove the record %s: %s", path, strerror(errno));
    return rc;
}

/* ---- the writer guard ---- */

static int journal(void *ctx, fo_journal_phase phase, const fo_plan *plan,
                   const fo_apply_result *result, fo_error *err)
{
    const fo_writer *w = ctx;
    if (phase == FO_JOURNAL_SETTLED)
        return fo_intent_clear(w->state_dir, plan->service_id, err);
    return fo_intent_write(w->state_dir, plan, result, phase, err);
}

/* An earlier run killed while cloning: its draft, if the clone happened, is numbered above
 * the highest version it knew, unlocked, and carries the source version's comment (never
 * commented) or its own run id. So may another machine's draft made at the same moment, in
 * the instant between its clone and its comment: so only a single such draft is taken for
 * the dead run's, and only as long as it still looks uncommented (the apply checks again at
 * its ticket, when a live run's draft is commented). With two or more, none is: each counts
 * as a ticket until its lease ends. */
static int find_cloned(fo_writer *w, fo_api *api, fo_error *err)
{
    const fo_intent *in = w->earlier;
    fo_version_list *list = NULL;
    const char *source = NULL;
    size_t candidates = 0;
    int rc = fo_api_version_list(api, &list, w->service_id, err);
    if (rc != 0) {
        snprintf(w->recovery.message, sizeof(w->recovery.message),
                 "run %s was stopped while cloning version %ld, and the versions cannot be read "
                 "to find its draft: %.200s; the record stays for the next run",
                 in->run_id, in->active_before, err->msg);
        return FO_EUNKNOWN;
    }
    for (size_t i = 0; i < list->count; i++) {
        if (list->items[i].number == in->active_before)
            source = list->items[i].comment ? list->items[i].comment : "";
    }
    fo_buf found = {0};
    for (size_t i = 0; i < list->count; i++) {
        const fo_version *v = &list->items[i];
        const char *comment = v->comment ? v->comment : "";
        if (v->number <= in->highest_before || v->locked || v->active ||
            !((source && strcmp(comment, source) == 0) ||
              fo_remediate_comment_names_run(comment, in->run_id)))
            continue;
        candidates++;
        w->orphan_draft = v->number;
        if (fo_buf_printf(&found, "%s%ld", found.len ? ", " : "", v->number) != 0)
            rc = FO_ENOMEM;
    }
    if (candidates == 1 && source && !(w->orphan_comment = fo_strdup(source)))
        rc = FO_ENOMEM;
    if (candidates != 1 || rc != 0)
        w->orphan_draft = 0;
    if (rc == 0 && candidates > 1)
        snprintf(w->recovery.message, sizeof(w->recovery.message),
                 "run %s was stopped while cloning version %ld: one of drafts %s, never "
                 "commented, may be what it left, and the others another writer's made at the "
                 "same time: each counts as a ticket until its lease ends",
                 in->run_id, in->active_before, found.data);
    else if (rc == 0)
        snprintf(w->recovery.message, sizeof(w->recovery.message),
                 found.len ? "run %s was stopped while cloning version %ld: draft %s, never "
                             "activated, is what it left"
                           : "run %s was stopped while cloning version %ld%s: no draft of it is "
                             "left",
                 in->run_id, in->active_before, found.len ? found.data : "");
    fo_buf_clear(&found);
    fo_version_list_free(list);
    return rc;
}

int fo_writer_adopt(fo_writer *w, const char *state_dir, const char *service_id, fo_scan_lock *lock,
                    fo_error *err)
{
    memset(w, 0, sizeof(*w));
    snprintf(w->state_dir, sizeof(w->state_dir), "%s", state_dir);
    w->service_id = service_id;
    w->lock = lock;
    int rc = fo_intent_read(&w->earlier, state_dir, service_id, err);
    if (rc != 0)
        fo_writer_end(w);
    return rc;
}

int fo_writer_begin(fo_writer *w, const char *state_dir, const char *service_id, fo_error *err)
{
    fo_scan_lock *lock = NULL;
    memset(w, 0, sizeof(*w));
    int rc = fo_scan_lock_acquire(&lock, state_dir, service_id, err);
    return rc != 0 ? rc : fo_writer_adopt(w, state_dir, service_id, lock, err);
}

int fo_writer_recover(fo_writer *w, fo_api *api, fo_prober *prober, fo_error *err)
{
    if (!w->earlier)
        return 0;
    const fo_intent *in = w->earlier;
    if (in->cloning) {
        memset(&w->recovery, 0, sizeof(w->recovery));
        int rc = find_cloned(w, api, err);
        w->recovered = true;
        w->recovery.outcome = FO_RECOVER_DRAFT_ONLY;
        w->recovery.settled = rc == 0;
        if (rc == 0 && fo_intent_clear(w->state_dir, w->service_id, err) != 0)
            return FO_EIO;
        if (rc != 0)
            fo_error_set(err, rc, "%s", w->recovery.message);
        return rc;
    }
    fo_earlier_run run = {.run_id = in->run_id,
                          .draft = in->draft,
                          .active_before = in->active_before,
                          .activating = in->activating,
                          .fixed = (const char *const *)in->fixed,
                          .fixed_count = in->fixed_count};
    int rc = fo_remediate_recover(&w->recovery, api, prober, w->service_id, &run, err);
    if (rc != 0)
        return rc;
    w->recovered = true;
    /* Its run is over (the lock is ours): its draft is no ticket. */
    w->dead_drafts[w->dead_count++] = in->draft;
    if (w->recovery.settled && fo_intent_clear(w->state_dir, w->service_id, err) != 0)
        return FO_EIO;
    if (!w->recovery.settled) {
        fo_error_set(err, FO_EUNKNOWN, "%s", w->recovery.message);
        return FO_EUNKNOWN;
    }
    return 0;
}

int fo_writer_check_active(fo_writer *w, fo_plan **plan, fo_api *api, fo_prober *prober,
                           const fo_plan_options *replan, fo_error *err)
{
    fo_recovery found;
    if (w->earlier || !*plan)
        return 0; /* this machine's record said what the last run here did */
    int rc = fo_remediate_check_active(&found, api, prober, *plan, err);
    if (rc != 0 || !found.message[0])
        return rc;
    w->recovered = true;
    w->recovery = found;
    if (!found.settled)
        return fo_error_set(err, FO_EUNKNOWN, "%s", found.message);
    if (found.outcome != FO_RECOVER_ROLLED_BACK)
        return 0;
    /* The plan was made against the version rolled back: plan again. */
    fo_plan_free(*plan);
    *plan = NULL;
    return fo_remediate_plan(plan, api, prober, w->service_id, replan, err);
}

void fo_writer_apply_options(fo_writer *w, fo_apply_options *opts)
{
    opts->journal = journal;
    opts->journal_ctx = w;
    opts->dead_drafts = w->dead_drafts;
    opts->dead_draft_count = w->dead_count;
    opts->orphan_draft = w->orphan_draft;
    opts->orphan_comment = w->orphan_comment;
    opts->orphan_run_id = w->orphan_draft && w->earlier ? w->earlier->run_id : NULL;
    const char *lease = getenv("FIXORIGIN_TICKET_LEASE_S");
    char *end = NULL;
    long value = lease ? strtol(lease, &end, 10) : 0;
    if (lease && end && *end == '\0' && value >= 2 && value <= 86400)
        opts->ticket_lease_s = value;
}

const char *fo_writer_earlier(const fo_writer *w)
{
    return w->recovered ? w->recovery.message : NULL;
}

void fo_writer_end(fo_writer *w)
{
    fo_scan_lock_release(w->lock);
    fo_intent_free(w->earlier);
    free(w->orphan_comment);
    w->lock = NULL;
    w->earlier = NULL;
    w->orphan_comment = NULL;
}
