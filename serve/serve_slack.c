/* fixorigin serve's Slack slash command and its Approve/Cancel buttons. Slack waits 3
 * seconds for an answer, and a plan probes origins and reads the API for longer, so the
 * request is only checked and acknowledged here; a small pool of workers does the work and
 * posts the result to the request's response_url. The queue is bounded: when it is full the
 * user is told to retry, rather than the server growing without limit.
 *
 * A plan posted with buttons is remembered as pending (bounded, in memory): Approve applies
 * it once (a second click, or one on a cancelled plan, is refused), through the same
 * stale-plan guard as `apply SERVICE PLAN_ID`, and the result replaces the plan message;
 * Cancel forgets it and says so in its place. A restart forgets every pending plan: its
 * buttons then ask for a new plan, never apply an old one. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixorigin/report.h"
#include "fixorigin/serve.h"

enum { POST_TIMEOUT_MS = 10000, USER_ID_MAX = FO_SERVE_USER_ID_MAX };

typedef enum job_kind {
    JOB_COMMAND, /* a slash command: the answer is a new message */
    JOB_APPROVE, /* Approve: apply, and the result replaces the plan message */
    JOB_CANCEL,  /* Cancel: "cancelled" replaces the plan message */
    JOB_NOTICE,  /* a refusal shown to the clicking user only (text) */
} job_kind;

typedef struct slack_job {
    job_kind kind;
    fo_serve_command cmd;
    char user_id[USER_ID_MAX + 1];
    char *response_url;
    char text[400]; /* JOB_NOTICE */
    struct slack_job *next;
} slack_job;

typedef enum pending_state { PLAN_FREE, PLAN_PENDING, PLAN_APPLYING, PLAN_DONE } pending_state;

/* A plan posted with buttons: what a click may do with it. */
typedef struct pending_plan {
    pending_state state;
    char service_id[FO_API_ID_MAX + 1];
    char plan_id[65];
    char by[USER_ID_MAX + 1]; /* who approved or cancelled it */
    bool cancelled;           /* PLAN_DONE: cancelled rather than applied */
    long long posted;         /* when its message went out (epoch s) */
} pending_plan;

struct fo_serve_slack {
    fo_serve *srv;
    pthread_mutex_t lock;
    fo_serve_replay seen;                       /* signatures of the commands taken (under lock) */
    pending_plan pending[FO_SLACK_PENDING_MAX]; /* under lock */
    pthread_cond_t wake;
    slack_job *head, *tail;
    size_t queued;
    bool stopping;
    pthread_t *threads;
    int thread_count;
};

static const char HELP[] =
    "*fixorigin* finds out why Fastly cannot reach an origin over TLS and fixes the service.\n"
    "`diagnose <service>`: what Fastly sees at each backend\n"
    "`plan <service>`: the smallest fix, proven, with its plan id\n"
    "`apply <service> <plan_id>`: applies that plan (its whole id or first 12 digits) if it is "
    "still current (allowed users)";

static void ephemeral(fo_serve_reply *out, const char *text)
{
    /* The text may echo what the user typed: any bytes, not only UTF-8. */
    fo_serve_reply_json(
        out, MHD_HTTP_OK,
        json_pack("{s:s, s:o}", "response_type", "ephemeral", "text", fo_report_json_string(text)));
}

static void job_free(slack_job *job)
{
    if (job) {
        free(job->response_url);
        free(job);
    }
}

/* The pending entry of service and plan (under lock), or NULL. */
static pending_plan *pending_find(fo_serve_slack *slack, const char *service_id,
                                  const char *plan_id, long long now)
{
    for (size_t i = 0; i < FO_SLACK_PENDING_MAX; i++) {
        pending_plan *p = &slack->pending[i];
        if (p->state != PLAN_FREE && p->posted + FO_SLACK_PENDING_TTL_S < now)
            p->state = PLAN_FREE; /* its buttons are too old to act on */
        if (p->state != PLAN_FREE && strcmp(p->service_id, service_id) == 0 &&
            strcmp(p->plan_id, plan_id) == 0)
            return p;
    }
    return NULL;
}

/* Remembers that a plan went out with buttons: a free entry, else the oldest one not being
 * applied (its buttons then ask for a new plan). */
static void pending_add(fo_serve_slack *slack, const char *service_id, const char *plan_id)
{
    long long now = (long long)time(NULL);
    pthread_mutex_lock(&slack->lock);
    pending_plan *slot = pending_find(slack, service_id, plan_id, now);
    for (size_t i = 0; !slot && i < FO_SLACK_PENDING_MAX; i++) {
        pending_plan *p = &slack->pending[i];
        if (p->state == PLAN_FREE)
            slot = p;
    }
    for (size_t i = 0; !slot && i < FO_SLACK_PENDING_MAX; i++) {
        pending_plan *p = &slack->pending[i];
        if (p->state == PLAN_APPLYING)
            continue;
        if (!slot || p->state > slot->state ||
            (p->state == slot->state && p->posted < slot->posted))
            slot = p;
    }
    if (slot && slot->state != PLAN_APPLYING) {
        memset(slot, 0, sizeof(*slot));
        slot->state = PLAN_PENDING;
        snprintf(slot->service_id, sizeof(slot->service_id), "%s", service_id);
        snprintf(slot->plan_id, sizeof(slot->plan_id), "%s", plan_id);
        slot->posted = now;
    }
    pthread_mutex_unlock(&slack->lock);
}

/* After an approved plan's work: applied (done), or back to pending so that a person may
 * click again (the work could not run: the service was locked, the API failed). */
static void pending_settle(fo_serve_slack *slack, const slack_job *job, bool applied)
{
    pthread_mutex_lock(&slack->lock);
    pending_plan *p = pending_find(slack, job->cmd.service_id, job->cmd.plan_id, 0);
    if (p && p->state == PLAN_APPLYING)
        p->state = applied ? PLAN_DONE : PLAN_PENDING;
    pthread_mutex_unlock(&slack->lock);
}

static void post(const slack_job *job, json_t *message)
{
    fo_error err;
    char *body = message ? json_dumps(message, JSON_COMPACT) : NULL;
    fo_error_clear(&err);
    if (!body) {
        fprintf(stderr, "fixorigin serve: slack: out of memory building the answer\n");
    } else if (fo_api_post_url(job->response_url, "application/json", body, strlen(body),
                               POST_TIMEOUT_MS, &err) != 0) {
        fprintf(stderr, "fixorigin serve: slack: %s %s: cannot post the answer: %s\n",
                fo_serve_action_name(job->cmd.action), job->cmd.service_id, err.msg);
    }
    free(body);
    json_decref(message);
}

static void run_job(fo_serve *srv, const slack_job *job)
{
    fo_serve_outcome outcome;
    char requested_by[USER_ID_MAX + 8];
    /* Who asked, as the version comment shows it in Fastly's UI: "(run ..., by slack:U1)". */
    snprintf(requested_by, sizeof(requested_by), "slack:%s", job->user_id);
    fo_serve_work(srv, &outcome, &job->cmd, requested_by);
    if (job->kind == JOB_APPROVE)
        pending_settle(srv->slack, job,
                       outcome.applied != NULL || outcome.stale || outcome.terraform);
    if (outcome.approvable)
        pending_add(srv->slack, job->cmd.service_id, outcome.plan->plan_id);
    json_t *message = fo_serve_slack_message(&job->cmd, &outcome, job->user_id);
    if (message && job->kind == JOB_APPROVE) /* the result takes the plan message's place */
        json_object_set_new(message, "replace_original", json_true());
    post(job, message);
    fo_serve_outcome_clear(&outcome);
}

/* What replaces a cancelled plan's message. */
static json_t *cancelled_message(const slack_job *job)
{
    char text[300];
    snprintf(text, sizeof(text),
             ":no_entry_sign: Plan `%.12s` for `%s` was cancelled by <@%s>. Nothing was "
             "written; `plan %s` makes a new one.",
             job->cmd.plan_id, job->cmd.service_id, job->user_id, job->cmd.service_id);
    return json_pack("{s:s, s:b, s:s, s:[{s:s, s:{s:s, s:s}}]}", "response_type", "in_channel",
                     "replace_original", 1, "text", text, "blocks", "type", "section", "text",
                     "type", "mrkdwn", "text", text);
}

static void *worker(void *arg)
{
    fo_serve_slack *slack = arg;
    pthread_mutex_lock(&slack->lock);
    for (;;) {
        while (!slack->head && !slack->stopping)
            pthread_cond_wait(&slack->wake, &slack->lock);
        slack_job *job = slack->head;
        if (!job)
            break; /* stopping, and nothing left */
        slack->head = job->next;
        if (!slack->head)
            slack->tail = NULL;
        slack->queued--;
        bool stopping = slack->stopping;
        pthread_mutex_unlock(&slack->lock);
        if (stopping)
            post(job, json_pack("{s:s, s:s}", "response_type", "ephemeral", "text",
                                "fixorigin is shutting down and did not get to this command: "
                                "please send it again in a minute."));
        else if (job->kind == JOB_CANCEL)
            post(job, cancelled_message(job));
        else if (job->kind == JOB_NOTICE)
            post(job, json_pack("{s:s, s:b, s:s}", "response_type", "ephemeral", "replace_original",
                                0, "text", job->text));
        else
            run_job(slack->srv, job);
        job_free(job);
        pthread_mutex_lock(&slack->lock);
    }
    pthread_mutex_unlock(&slack->lock);
    return NULL;
}

int fo_serve_slack_start(fo_serve_slack **out, fo_serve *srv, int workers, fo_error *err)
{
    fo_serve_slack *slack = calloc(1, sizeof(*slack));
    *out = NULL;
    if (!slack || !(slack->threads = calloc((size_t)workers, sizeof(pthread_t)))) {
        free(slack);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    slack->srv = srv;
    pthread_mutex_init(&slack->lock, NULL);
    pthread_cond_init(&slack->wake, NULL);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&slack->threads[i], NULL, worker, slack) != 0) {
            fo_serve_slack_stop(slack);
            return fo_error_set(err, FO_EIO, "cannot start the Slack workers");
        }
        slack->thread_count++;
    }
    *out = slack;
    return 0;
}

void fo_serve_slack_stop(fo_serve_slack *slack)
{
    if (!slack)
        return;
    pthread_mutex_lock(&slack->lock);
    slack->stopping = true;
    pthread_cond_broadcast(&slack->wake);
    pthread_mutex_unlock(&slack->lock);
    for (int i = 0; i < slack->thread_count; i++)
        pthread_join(slack->threads[i], NULL);
    /* Workers answer what was queued before they leave; with none started, drop it. */
    while (slack->head) {
        slack_job *job = slack->head;
        slack->head = job->next;
        job_free(job);
    }
    pthread_cond_destroy(&slack->wake);
    pthread_mutex_destroy(&slack->lock);
    free(slack->threads);
    free(slack);
}

/* Queues job (taken over); false when the queue is full or stopping. */
static bool enqueue(fo_serve_slack *slack, slack_job *job)
{
    bool queued = false;
    pthread_mutex_lock(&slack->lock);
    if (!slack->stopping && slack->queued < FO_SERVE_QUEUE_MAX) {
        if (slack->tail)
            slack->tail->next = job;
        else
            slack->head = job;
        slack->tail = job;
        slack->queued++;
        queued = true;
        pthread_cond_signal(&slack->wake);
    }
    pthread_mutex_unlock(&slack->lock);
    if (!queued)
        job_free(job);
    return queued;
}

/* Whether a signature is new within Slack's window, remembering it: a captured request sent
 * again is refused (Slack signs every command anew; its retries carry X-Slack-Retry-Num and
 * are dropped before this). */
static fo_serve_replay_result first_time(fo_serve_slack *slack, const char *signature,
                                         const char *timestamp, long long now)
{
    pthread_mutex_lock(&slack->lock);
    fo_serve_replay_result seen =
        fo_serve_replay_check(&slack->seen, signature, strtoll(timestamp, NULL, 10), now);
    pthread_mutex_unlock(&slack->lock);
    return seen;
}

/* Reads the fields of a verified request into job; false (and out filled) when the request
 * cannot be worked on. */
static bool read_job(fo_serve *srv, const fo_serve_request *req, slack_job *job,
                     fo_serve_reply *out)
{
    char *text = NULL, *user = NULL;
    char answer[600];
    fo_error err;
    bool ok = false;
    fo_error_clear(&err);
    if (fo_serve_form_value(&text, req->body, req->body_len, "text", &err) != 0 ||
        fo_serve_form_value(&user, req->body, req->body_len, "user_id", &err) != 0 ||
        fo_serve_form_value(&job->response_url, req->body, req->body_len, "response_url", &err) !=
            0) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "bad_request", "%s", err.msg);
        goto out;
    }
    if (!user || !fo_api_service_id_valid(user) || strlen(user) > USER_ID_MAX) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "bad_request",
                             "the form has no valid user_id");
        goto out;
    }
    strcpy(job->user_id, user);
    if (fo_serve_command_parse(&job->cmd, text, &err) != 0) {
        /* The message quotes the user's words: escaped, as everything else shown. */
        fo_buf escaped = {0};
        fo_serve_mrkdwn_append(&escaped, err.msg, false);
        snprintf(answer, sizeof(answer), "%s\n\n%s", escaped.data ? escaped.data : "", HELP);
        fo_buf_clear(&escaped);
        ephemeral(out, answer);
        goto out;
    }
    if (job->cmd.action == FO_SERVE_HELP) {
        ephemeral(out, HELP);
        goto out;
    }
    if (job->cmd.action == FO_SERVE_APPLY &&
        !fo_serve_list_has(srv->cfg.apply_users, srv->cfg.apply_user_count, job->user_id)) {
        snprintf(answer, sizeof(answer),
                 "<@%s> may not apply fixes: only the users listed in FIXORIGIN_APPLY_USERS may. "
                 "Nothing was changed.",
                 job->user_id);
        ephemeral(out, answer);
        goto out;
    }
    if (!fo_serve_url_allowed(job->response_url, (const char *const *)srv->cfg.url_allow,
                              srv->cfg.url_allow_count)) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "response_url_refused",
                             "response_url is not a Slack URL (https://hooks.slack.com/) nor "
                             "in FIXORIGIN_RESPONSE_URL_ALLOW");
        goto out;
    }
    ok = true;
out:
    free(text);
    free(user);
    return ok;
}

/* The checks every Slack request passes before its body is read: the endpoint is on, the
 * signature is good and fresh, it is not a retry or a replay. False with out filled. */
static bool verified(fo_serve *srv, const fo_serve_request *req, fo_serve_reply *out)
{
    fo_error err;
    fo_error_clear(&err);
    if (!srv->cfg.slack_secret) {
        fo_serve_reply_error(out, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                             "the Slack endpoint is off: SLACK_SIGNING_SECRET is not set");
        return false;
    }
    if (fo_serve_slack_verify(srv->cfg.slack_secret,
                              fo_serve_header(req, "X-Slack-Request-Timestamp"),
                              fo_serve_header(req, "X-Slack-Signature"), req->body, req->body_len,
                              (long long)time(NULL), &err) != 0) {
        fo_serve_reply_error(out, MHD_HTTP_UNAUTHORIZED, "unauthorized", "%s", err.msg);
        return false;
    }
    /* Slack sends a request again when our first answer was slow; the first is queued. */
    if (fo_serve_header(req, "X-Slack-Retry-Num")) {
        fo_serve_reply_json(out, MHD_HTTP_OK, json_object());
        return false;
    }
    fo_serve_replay_result seen =
        first_time(srv->slack, fo_serve_header(req, "X-Slack-Signature"),
                   fo_serve_header(req, "X-Slack-Request-Timestamp"), (long long)time(NULL));
    if (seen == FO_REPLAY_SEEN) {
        fo_serve_reply_error(out, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                             "this signed request was taken already (a replay)");
        return false;
    }
    if (seen == FO_REPLAY_FULL) {
        ephemeral(out, "fixorigin has taken too many commands in the last minutes: please try "
                       "again in a few minutes. Nothing was changed.");
        return false;
    }
    return true;
}

void fo_serve_slack_command(fo_serve *srv, const fo_serve_request *req, fo_serve_reply *out)
{
    char answer[200];
    if (!verified(srv, req, out))
        return;
    slack_job *job = calloc(1, sizeof(*job));
    if (!job) {
        fo_serve_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
        return;
    }
    if (!read_job(srv, req, job, out)) {
        job_free(job);
        return;
    }
    snprintf(answer, sizeof(answer), "Working on `%s %s`; the answer follows here.",
             fo_serve_action_name(job->cmd.action), job->cmd.service_id);
    if (enqueue(srv->slack, job))
        ephemeral(out, answer);
    else
        ephemeral(out, "fixorigin is busy with other commands (or shutting down): please try "
                       "again in a minute. Nothing was changed.");
}

/* What a click on a plan's button does with its pending entry (under lock): the job's kind,
 * or JOB_NOTICE with the refusal in job->text. */
static void decide(fo_serve_slack *slack, slack_job *job, bool approve)
{
    const char *service = job->cmd.service_id;
    pending_plan *p = pending_find(slack, service, job->cmd.plan_id, (long long)time(NULL));
    job->kind = JOB_NOTICE;
    if (!p) {
        snprintf(job->text, sizeof(job->text),
                 "This plan for `%s` is no longer pending (a newer plan replaced it, it expired, "
                 "or fixorigin restarted): `plan %s` makes a new one. Nothing was changed.",
                 service, service);
    } else if (p->state == PLAN_APPLYING) {
        snprintf(job->text, sizeof(job->text),
                 "<@%s> approved this plan already; its result replaces the message. Nothing "
                 "more was done.",
                 p->by);
    } else if (p->state == PLAN_DONE) {
        snprintf(job->text, sizeof(job->text), "<@%s> %s this plan already. Nothing more was done.",
                 p->by, p->cancelled ? "cancelled" : "approved");
    } else {
        /* Pending: this click takes it, so that a second one finds it taken. */
        p->state = approve ? PLAN_APPLYING : PLAN_DONE;
        p->cancelled = !approve;
        snprintf(p->by, sizeof(p->by), "%s", job->user_id);
        job->kind = approve ? JOB_APPROVE : JOB_CANCEL;
    }
}

void fo_serve_slack_interactive(fo_serve *srv, const fo_serve_request *req, fo_serve_reply *out)
{
    fo_serve_interaction in;
    fo_error err;
    char *payload = NULL;
    slack_job *job = NULL;
    memset(&in, 0, sizeof(in));
    fo_error_clear(&err);
    if (!verified(srv, req, out))
        return;
    if (fo_serve_form_value(&payload, req->body, req->body_len, "payload", &err) != 0 || !payload) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "bad_request", "%s",
                             payload ? err.msg : "the form has no payload");
        goto out;
    }
    if (fo_serve_interaction_parse(&in, payload, strlen(payload), &err) != 0) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "bad_request", "%s", err.msg);
        goto out;
    }
    if (!in.ours) { /* another interaction: acknowledged, nothing done */
        fo_serve_reply_json(out, MHD_HTTP_OK, json_object());
        goto out;
    }
    if (!fo_serve_url_allowed(in.response_url, (const char *const *)srv->cfg.url_allow,
                              srv->cfg.url_allow_count)) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "response_url_refused",
                             "response_url is not a Slack URL (https://hooks.slack.com/) nor "
                             "in FIXORIGIN_RESPONSE_URL_ALLOW");
        goto out;
    }
    if (!(job = calloc(1, sizeof(*job)))) {
        fo_serve_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "out of memory");
        goto out;
    }
    job->cmd.action = FO_SERVE_APPLY;
    strcpy(job->cmd.service_id, in.service_id);
    strcpy(job->cmd.plan_id, in.plan_id);
    strcpy(job->user_id, in.user_id);
    job->response_url = in.response_url;
    in.response_url = NULL;
    pthread_mutex_lock(&srv->slack->lock);
    if (fo_serve_list_has(srv->cfg.apply_users, srv->cfg.apply_user_count, job->user_id)) {
        decide(srv->slack, job, in.approve);
    } else {
        job->kind = JOB_NOTICE;
        snprintf(job->text, sizeof(job->text),
                 "<@%s> may not approve or cancel plans: only the users listed in "
                 "FIXORIGIN_APPLY_USERS may. Nothing was changed.",
                 job->user_id);
    }
    pthread_mutex_unlock(&srv->slack->lock);
    job_kind kind = job->kind;
    if (!enqueue(srv->slack, job)) {
        if (kind == JOB_APPROVE || kind == JOB_CANCEL) { /* nothing done: the click may retry */
            pthread_mutex_lock(&srv->slack->lock);
            pending_plan *p = pending_find(srv->slack, in.service_id, in.plan_id, 0);
            if (p)
                p->state = PLAN_PENDING;
            pthread_mutex_unlock(&srv->slack->lock);
        }
        ephemeral(out, "fixorigin is busy with other commands (or shutting down): please try "
                       "again in a minute. Nothing was changed.");
    } else {
        fo_serve_reply_json(out, MHD_HTTP_OK, json_object());
    }
    job = NULL;
out:
    job_free(job);
    free(payload);
    fo_serve_interaction_clear(&in);
}
