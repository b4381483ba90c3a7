/* fixorigin serve's work on one service, the same engine as `fixorigin --service ID`: a
 * fresh plan every time (a plan id handed out earlier is only a promise of what to change),
 * and for apply the plan's safe fixes when the fresh plan still has the id the caller
 * approved. Each call makes its own API client: a fo_api is not thread-safe, and requests
 * run on threads of their own. */
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixorigin/report.h"
#include "fixorigin/remediate.h"
#include "fixorigin/serve.h"

void fo_serve_work(fo_serve *srv, fo_serve_outcome *out, const fo_serve_command *cmd,
                   const char *requested_by)
{
    fo_api *api = NULL;
    fo_writer guard;
    char plan_id[65] = "";
    memset(&guard, 0, sizeof(guard));
    memset(out, 0, sizeof(*out));
    fo_error_clear(&out->error);
    out->result = FO_RESULT_ERROR;
    /* A short id names one of the plans handed out, or the work does not start. */
    if (cmd->action == FO_SERVE_APPLY &&
        (out->code = fo_serve_plans_resolve(srv->plans, plan_id, cmd->service_id, cmd->plan_id,
                                            (long long)time(NULL), &out->error)) != 0) {
        out->error_id = out->code == FO_ENOTFOUND ? "unknown_plan_id" : "ambiguous_plan_id";
        return;
    }
    if ((out->code = fo_api_new_for_thread(&api, &srv->api, &out->error)) != 0)
        goto out;
    /* The lock is taken before planning, so that what is applied is what this run saw. */
    if (cmd->action == FO_SERVE_APPLY &&
        (out->code = fo_writer_begin(&guard, srv->state_dir, cmd->service_id, &out->error)) != 0) {
        if (out->code == FO_ECONFLICT)
            out->result = FO_RESULT_CONFLICT;
        goto out;
    }
    /* What an earlier run left on this service is finished before planning. */
    if (cmd->action == FO_SERVE_APPLY &&
        (out->code = fo_writer_recover(&guard, api, srv->prober, &out->error)) != 0)
        goto out;
    fo_plan_options popts = {.concurrency = srv->cfg.backend_concurrency};
    out->code =
        fo_remediate_plan(&out->plan, api, srv->prober, cmd->service_id, &popts, &out->error);
    /* A version another machine's run activated and never verified is finished first; after
     * a rollback the new plan differs from the one approved, which the check below says. */
    if (out->code == 0 && cmd->action == FO_SERVE_APPLY)
        out->code =
            fo_writer_check_active(&guard, &out->plan, api, srv->prober, &popts, &out->error);
    if (out->code != 0)
        goto out;
    if (cmd->action == FO_SERVE_APPLY && strcmp(out->plan->plan_id, plan_id) != 0) {
        /* The service, its origins or what can be fixed changed since the plan was shown:
         * nothing is written, the caller gets the new plan to approve. */
        out->stale = true;
        out->result = FO_RESULT_CONFLICT;
        goto out;
    }
    if (cmd->action == FO_SERVE_APPLY && out->plan->terraform && !srv->cfg.include_terraform &&
        fo_remediate_result(out->plan, NULL) != FO_RESULT_OK) {
        /* The next terraform apply would revert the fix: the HCL is the place to change it,
         * unless the server was told to apply to such services. Nothing is written. */
        out->terraform = true;
        out->result = fo_remediate_result(out->plan, NULL);
        goto out;
    }
    if (cmd->action == FO_SERVE_APPLY) {
        fo_apply_options aopts = {.activate = FO_ACTIVATE_AUTO, .requested_by = requested_by};
        fo_writer_apply_options(&guard, &aopts);
        out->code =
            fo_remediate_apply(&out->applied, api, srv->prober, out->plan, &aopts, &out->error);
        if (out->code != 0)
            goto out;
    }
    out->result = fo_remediate_result(out->plan, out->applied);
out:
    /* A plan (or a stale apply's new plan) with fixes serve may write can be approved. */
    if (out->plan && !out->applied && !out->terraform && cmd->action != FO_SERVE_DIAGNOSE &&
        (!out->plan->terraform || srv->cfg.include_terraform)) {
        for (size_t i = 0; i < out->plan->backend_count; i++)
            out->approvable = out->approvable || out->plan->backends[i].status == FO_BACKEND_FIX;
    }
    /* A plan handed out (a plan, or a stale apply's new plan) may be approved by its short id. */
    if (out->plan && (cmd->action == FO_SERVE_PLAN || out->stale))
        fo_serve_plans_add(srv->plans, cmd->service_id, out->plan->plan_id, (long long)time(NULL));
    if (api)
        fo_api_get_stats(api, &out->stats);
    if (fo_writer_earlier(&guard))
        snprintf(out->earlier_run, sizeof(out->earlier_run), "%s", fo_writer_earlier(&guard));
    fo_writer_end(&guard);
    fo_api_free(api);
}

void fo_serve_outcome_clear(fo_serve_outcome *outcome)
{
    fo_apply_result_free(outcome->applied);
    fo_plan_free(outcome->plan);
    outcome->applied = NULL;
    outcome->plan = NULL;
}

/* The HTTP status and error id of work that could not run. */
static unsigned failure_status(int code, const char **id)
{
    switch (code) {
    case FO_EINVAL:
        *id = "bad_request";
        return MHD_HTTP_BAD_REQUEST;
    case FO_ENOTFOUND:
        *id = "not_found";
        return MHD_HTTP_NOT_FOUND;
    case FO_ECONFLICT:
        *id = "locked";
        return MHD_HTTP_CONFLICT;
    case FO_ERATELIMIT:
        *id = "rate_limited";
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    case FO_ENOMEM:
    case FO_EIO: /* the server's own files: the state directory, a lock */
        *id = "internal";
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    default:
        /* The Fastly API (or our token there) failed: we are a gateway to it. */
        *id = code == FO_EAUTH ? "fastly_auth" : "fastly_api";
        return MHD_HTTP_BAD_GATEWAY;
    }
}

/* Each backend's diagnosis in brief: what /v1/diagnose answers. */
static json_t *diagnoses_json(const fo_plan *plan)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        fo_class class = bp->diagnosis ? bp->diagnosis->verdict.class : FO_CLASS_OK;
        const char *fastly =
            bp->diagnosis ? fo_verdict_fastly_error(&bp->diagnosis->verdict) : NULL;
        json_t *o = json_pack(
            "{s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "name", fo_report_json_string(bp->backend->name),
            "address", fo_report_json_string(bp->backend->address), "port",
            bp->backend->port >= 0 ? json_integer(bp->backend->port) : json_null(), "status",
            fo_backend_status_name(bp->status), "class",
            bp->diagnosis ? json_string(fo_class_id(class)) : json_null(), "fastly_error",
            fastly ? json_string(fastly) : json_null(), "evidence",
            fo_report_json_string(bp->status == FO_BACKEND_ERROR ? bp->error.msg : bp->evidence));
        if (!o || json_array_append_new(list, o) != 0) {
            json_decref(list);
            return NULL;
        }
    }
    return list;
}

void fo_serve_outcome_reply(fo_serve_reply *out, fo_exit_code_fn exit_code,
                            const fo_serve_outcome *outcome, const fo_serve_command *cmd)
{
    const char *id = NULL;
    if (!outcome->plan) {
        unsigned status = failure_status(outcome->code, &id);
        if (outcome->error_id) /* a plan id that names no plan, or more than one */
            id = outcome->error_id;
        fo_serve_reply_error(out, status, id, "%s", outcome->error.msg);
        return;
    }
    fo_report report = {
        .service_id = cmd->service_id,
        .plan = outcome->plan,
        .applied = outcome->applied,
        .apply_mode = cmd->action == FO_SERVE_APPLY && !outcome->stale && !outcome->terraform,
        /* A stale apply's answer carries the new plan: its report says what that plan is. */
        .result = outcome->stale || outcome->terraform ? fo_remediate_result(outcome->plan, NULL)
                                                       : outcome->result,
        .error = outcome->code != 0 ? outcome->error.msg : NULL,
        .earlier_run = outcome->earlier_run[0] ? outcome->earlier_run : NULL,
        .stats = outcome->stats,
    };
    report.exit_code = exit_code(report.result);
    json_t *body = json_object();
    json_object_set_new(body, "service_id", json_string(cmd->service_id));
    json_object_set_new(body, "result", json_string(fo_result_name(outcome->result)));
    json_object_set_new(body, "exit_code", json_integer(exit_code(outcome->result)));
    if (cmd->action == FO_SERVE_DIAGNOSE) {
        json_object_set_new(body, "backends", diagnoses_json(outcome->plan));
    } else {
        json_object_set_new(body, "plan_id", json_string(outcome->plan->plan_id));
        json_object_set_new(body, "report", fo_report_json(&report));
    }
    if (outcome->stale) {
        json_object_set_new(body, "error", json_string("stale_plan"));
        json_object_set_new(body, "message",
                            json_string("the plan changed since it was made (the service, its "
                                        "origins or what can be fixed): nothing was written; "
                                        "this is the new plan"));
        fo_serve_reply_json(out, MHD_HTTP_CONFLICT, body);
        return;
    }
    if (outcome->terraform) {
        json_object_set_new(body, "error", json_string("terraform_managed"));
        json_object_set_new(
            body, "message",
            json_string("not applied: Terraform probably manages this service, and the next "
                        "terraform apply would revert the fix; change its HCL (fixorigin "
                        "--service ID --emit terraform prints it), or start serve with "
                        "--include-terraform"));
        fo_serve_reply_json(out, MHD_HTTP_CONFLICT, body);
        return;
    }
    if (outcome->code != 0) {
        /* apply could not start (out of memory): the plan is what we know */
        json_object_set_new(body, "error", json_string("internal"));
        json_object_set_new(body, "message", json_string(outcome->error.msg));
        fo_serve_reply_json(out, MHD_HTTP_INTERNAL_SERVER_ERROR, body);
        return;
    }
    fo_serve_reply_json(out, MHD_HTTP_OK, body);
}
