/* fixorigin serve's answers in Slack: a Block Kit message with the diagnosis of each
 * backend, the field diff of each fix and the plan id to approve. Text from origins and the
 * API is escaped for Slack's mrkdwn (&, <, > and control characters), so an origin's
 * certificate cannot mention users or forge links; sections stay within Slack's limits. */
#include <stdlib.h>
#include <string.h>

#include "fixorigin/remediate.h"
#include "fixorigin/serve.h"

enum {
    SECTION_MAX = 2900, /* Slack allows 3000 characters of text per section */
    BACKENDS_SHOWN = 40 /* and 50 blocks per message */
};

void fo_serve_mrkdwn_append(fo_buf *b, const char *s, bool code)
{
    for (; s && *s; s++) {
        const char *piece = NULL;
        char c[2] = {*s, '\0'};
        if (*s == '&')
            piece = "&amp;";
        else if (*s == '<')
            piece = "&lt;";
        else if (*s == '>')
            piece = "&gt;";
        else if (code && *s == '`')
            piece = "'";
        else if (*s != '\n' && ((unsigned char)*s < 0x20 || *s == 0x7f))
            piece = "?";
        if (fo_buf_puts(b, piece ? piece : c) != 0)
            return;
    }
}

static void put(fo_buf *b, const char *s)
{
    /* Out of memory only shortens the message. */
    if (fo_buf_puts(b, s) != 0)
        return;
}

/* A section block of text, cut at Slack's limit. Takes the buffer's text. */
static json_t *section(fo_buf *b)
{
    char *text = fo_buf_steal(b);
    if (strlen(text) > SECTION_MAX) {
        size_t cut = SECTION_MAX - 4;
        while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--; /* not inside a UTF-8 sequence */
        strcpy(text + cut, "\n…");
    }
    json_t *block =
        json_pack("{s:s, s:{s:s, s:s}}", "type", "section", "text", "type", "mrkdwn", "text", text);
    free(text);
    return block;
}

static json_t *context(fo_buf *b)
{
    char *text = fo_buf_steal(b);
    json_t *block = json_pack("{s:s, s:[{s:s, s:s}]}", "type", "context", "elements", "type",
                              "mrkdwn", "text", text);
    free(text);
    return block;
}

static void add(json_t *blocks, json_t *block)
{
    if (block)
        json_array_append_new(blocks, block);
}

static const char *result_words(fo_result result)
{
    switch (result) {
    case FO_RESULT_OK:
        return ":white_check_mark: nothing to fix";
    case FO_RESULT_PLANNED:
        return ":wrench: fixes planned";
    case FO_RESULT_ROLLED_BACK:
        return ":rewind: activated, failed verification, rolled back";
    case FO_RESULT_CONFLICT:
        return ":twisted_rightwards_arrows: conflict: the service changed meanwhile";
    case FO_RESULT_NEEDS_HUMAN:
        return ":warning: problems that need a person";
    default:
        return ":x: error";
    }
}

static void put_fix(fo_buf *b, const fo_backend_plan *bp)
{
    char *diff = fo_remediate_fix_diff(&bp->fix);
    put(b, bp->status == FO_BACKEND_FIX ? "\n*Fix* (" : "\n*Fix, not allowed here* (");
    put(b, fo_safety_name(bp->fix.safety));
    put(b, bp->proof ? ", proven): " : "): ");
    fo_serve_mrkdwn_append(b, bp->fix.summary, false);
    if (diff && *diff) {
        put(b, "\n```");
        fo_serve_mrkdwn_append(b, diff, true);
        put(b, "```");
    }
    free(diff);
    if (bp->status == FO_BACKEND_BLOCKED) {
        put(b, "\nNeeds the consent of `fixorigin --service` (");
        fo_serve_mrkdwn_append(b, bp->fix.consent ? bp->fix.consent : "a consent flag", false);
        put(b, "); serve applies safe fixes only.");
    }
    if (bp->fix.note) {
        put(b, "\n_");
        fo_serve_mrkdwn_append(b, bp->fix.note, false);
        put(b, "_");
    }
}

static json_t *backend_section(const fo_backend_plan *bp, fo_serve_action action)
{
    fo_buf b = {0};
    char port[24] = "";
    fo_class class = bp->diagnosis ? bp->diagnosis->verdict.class : FO_CLASS_OK;
    const char *fastly = bp->diagnosis ? fo_verdict_fastly_error(&bp->diagnosis->verdict) : NULL;
    if (bp->backend->port > 0)
        snprintf(port, sizeof(port), ":%ld", bp->backend->port);
    put(&b, "*");
    fo_serve_mrkdwn_append(&b, bp->backend->name, false);
    put(&b, "*  ");
    fo_serve_mrkdwn_append(&b, bp->backend->address, false);
    put(&b, port);
    put(&b, "\n");
    if (bp->status == FO_BACKEND_ERROR) {
        put(&b, ":x: could not be probed: ");
        fo_serve_mrkdwn_append(&b, bp->error.msg, false);
        return section(&b);
    }
    put(&b, class == FO_CLASS_OK ? ":large_green_circle: `ok`" : ":red_circle: `");
    if (class != FO_CLASS_OK) {
        put(&b, fo_class_id(class));
        put(&b, "` ");
        put(&b, fastly ? fastly : "");
    }
    if (bp->evidence) {
        put(&b, "\n_");
        fo_serve_mrkdwn_append(&b, bp->evidence, false);
        put(&b, "_");
    }
    if (action != FO_SERVE_DIAGNOSE &&
        (bp->status == FO_BACKEND_FIX || bp->status == FO_BACKEND_BLOCKED))
        put_fix(&b, bp);
    if (bp->status == FO_BACKEND_HUMAN && bp->advice) {
        put(&b, "\n*Needs a person:* ");
        fo_serve_mrkdwn_append(&b, bp->advice, false);
    }
    return section(&b);
}

static void put_apply(fo_buf *b, const fo_apply_result *r, const char *user_id)
{
    char line[200];
    put(b, "*Apply:* ");
    put(b, fo_apply_outcome_name(r->outcome));
    if (r->active_after > 0) {
        snprintf(line, sizeof(line), "; active version %ld", r->active_after);
        put(b, line);
    }
    if (r->draft > 0 && r->outcome != FO_APPLY_VERIFIED) {
        snprintf(line, sizeof(line), "; draft %ld", r->draft);
        put(b, line);
    }
    snprintf(line, sizeof(line), " (run %s, requested by <@%s>)", r->run_id, user_id);
    put(b, line);
    for (size_t i = 0; i < r->step_count; i++) {
        const fo_step_record *s = &r->steps[i];
        if (s->ok)
            continue;
        put(b, "\n:x: ");
        put(b, fo_step_name(s->step));
        put(b, ": ");
        fo_serve_mrkdwn_append(b, s->message, false);
    }
    if (r->error.code != 0) {
        put(b, "\n");
        fo_serve_mrkdwn_append(b, r->error.msg, false);
    }
}

/* Approve and Cancel for a plan: each button's value names the service and the plan, so a
 * click is checked against the same stale-plan guard as `apply SERVICE PLAN_ID`. */
static json_t *buttons(const char *service_id, const fo_plan *plan)
{
    char value[FO_API_ID_MAX + 1 + 65];
    char question[200];
    snprintf(value, sizeof(value), "%s %s", service_id, plan->plan_id);
    snprintf(question, sizeof(question),
             "fixorigin applies this plan's safe fixes to `%s` if the plan is still current.",
             service_id);
    return json_pack(
        "{s:s, s:s, s:[{s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:{s:{s:s, s:s}, s:{s:s, s:s}, "
        "s:{s:s, s:s}, s:{s:s, s:s}}}, {s:s, s:s, s:{s:s, s:s}, s:s}]}",
        "type", "actions", "block_id", "fixorigin_plan", "elements", "type", "button", "action_id",
        "fixorigin_approve", "text", "type", "plain_text", "text", "Approve", "style", "primary",
        "value", value, "confirm", "title", "type", "plain_text", "text", "Apply this plan?",
        "text", "type", "mrkdwn", "text", question, "confirm", "type", "plain_text", "text",
        "Apply", "deny", "type", "plain_text", "text", "Back", "type", "button", "action_id",
        "fixorigin_cancel", "text", "type", "plain_text", "text", "Cancel", "value", value);
}

json_t *fo_serve_slack_message(const fo_serve_command *cmd, const fo_serve_outcome *outcome,
                               const char *user_id)
{
    const fo_plan *plan = outcome->plan;
    fo_buf b = {0};
    char headline[300];
    json_t *blocks = json_array();
    if (!blocks)
        return NULL;
    if (!plan) {
        snprintf(headline, sizeof(headline), "fixorigin could not %s %s",
                 fo_serve_action_name(cmd->action), cmd->service_id);
        put(&b, ":x: Could not ");
        put(&b, fo_serve_action_name(cmd->action));
        put(&b, " `");
        put(&b, cmd->service_id);
        put(&b, "`: ");
        fo_serve_mrkdwn_append(&b, outcome->error.msg, false);
        add(blocks, section(&b));
    } else {
        snprintf(headline, sizeof(headline), "fixorigin %s %s: %s",
                 fo_serve_action_name(cmd->action), cmd->service_id,
                 outcome->stale       ? "the plan changed"
                 : outcome->terraform ? "not applied (Terraform manages it)"
                                      : fo_result_name(outcome->result));
        put(&b, "*");
        put(&b, fo_serve_action_name(cmd->action));
        put(&b, "* `");
        put(&b, cmd->service_id);
        put(&b, "`");
        if (plan->service_name) {
            put(&b, " (");
            fo_serve_mrkdwn_append(&b, plan->service_name, false);
            put(&b, ")");
        }
        put(&b, ": ");
        if (outcome->stale) {
            put(&b, ":warning: the plan changed since it was made (the service, its origins or "
                    "what can be fixed), so nothing was written. The new plan:");
        } else if (outcome->terraform) {
            put(&b, ":no_entry: not applied: the next `terraform apply` would revert the fix. "
                    "Change the service's HCL (`fixorigin --service ");
            put(&b, cmd->service_id);
            put(&b, " --emit terraform` prints it), or start serve with --include-terraform.");
        } else {
            put(&b, result_words(outcome->result));
        }
        if (plan->terraform) {
            put(&b, "\n:building_construction: Terraform probably manages this service (");
            fo_serve_mrkdwn_append(&b, plan->terraform, false);
            put(&b, "): a fix applied here is reverted by the next `terraform apply`.");
        }
        add(blocks, section(&b));
        for (size_t i = 0; i < plan->backend_count && i < BACKENDS_SHOWN; i++)
            add(blocks, backend_section(&plan->backends[i], cmd->action));
        if (plan->backend_count > BACKENDS_SHOWN) {
            char more[80];
            snprintf(more, sizeof(more), "… and %zu more backends (see `fixorigin --service`)",
                     plan->backend_count - BACKENDS_SHOWN);
            put(&b, more);
            add(blocks, section(&b));
        }
        if (outcome->applied) {
            put_apply(&b, outcome->applied, user_id);
            add(blocks, section(&b));
        }
        if (cmd->action != FO_SERVE_DIAGNOSE && !outcome->applied) {
            put(&b, "Plan id `");
            put(&b, plan->plan_id);
            put(&b, "`: `apply ");
            put(&b, cmd->service_id);
            put(&b, " ");
            put(&b, plan->plan_id);
            put(&b, "` applies its safe fixes if it is still current (allowed users only).");
            add(blocks, context(&b));
        }
        if (outcome->approvable)
            add(blocks, buttons(cmd->service_id, plan));
    }
    fo_buf_clear(&b);
    /* A change made is everyone's business in the channel; a look, or an apply that wrote
     * nothing, is the asker's. */
    bool changed = outcome->applied && outcome->applied->draft > 0;
    return json_pack("{s:s, s:b, s:s, s:o}", "response_type", changed ? "in_channel" : "ephemeral",
                     "replace_original", 0, "text", headline, "blocks", blocks);
}
