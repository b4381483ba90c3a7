/* fixorigin scan's output: per service the fixorigin.report/v1 object (json, ndjson) or a few
 * lines (text), and a summary. Only data goes to stdout. */
#include <stdlib.h>
#include <string.h>

#include "fixorigin/report.h"
#include "fixorigin/scan.h"

#define GREEN "\033[32m"
#define YELLOW "\033[33m"
#define RED "\033[1;31m"
#define RESET "\033[0m"

json_t *fo_scan_item_json(const fo_scan_options *opts, const fo_scan_item *item)
{
    fo_report report = {
        .service_id = item->service_id,
        .plan = item->plan,
        .applied = item->applied,
        .apply_mode = opts->apply,
        .result = item->result,
        .exit_code = opts->exit_code(item->result),
        .error = item->error.code != 0 ? item->error.msg : NULL,
        .earlier_run = item->earlier_run[0] ? item->earlier_run : NULL,
        .stats = item->stats,
    };
    return fo_report_json(&report);
}

static const char *result_color(fo_result result)
{
    switch (result) {
    case FO_RESULT_OK:
        return GREEN;
    case FO_RESULT_PLANNED:
    case FO_RESULT_CONFLICT:
        return YELLOW;
    default:
        return RED;
    }
}

static void backend_line(FILE *out, const fo_backend_plan *bp)
{
    fo_class class = bp->diagnosis ? bp->diagnosis->verdict.class : FO_CLASS_OK;
    fputs("  ", out);
    fo_report_put_clean(out, bp->backend->name);
    if (bp->origin.kind != FO_ORIGIN_BACKEND) { /* where it is defined, when not the API */
        fputs(" (", out);
        fo_report_put_clean(out, fo_origin_source(&bp->origin));
        fputc(')', out);
    }
    fprintf(out, "  %s", bp->status == FO_BACKEND_ERROR ? "error" : fo_class_id(class));
    switch (bp->status) {
    case FO_BACKEND_OK:
        break;
    case FO_BACKEND_FIX:
        fprintf(out, "  fix (%s): ", fo_safety_name(bp->fix.safety));
        fo_report_put_clean(out, bp->fix.summary);
        break;
    case FO_BACKEND_BLOCKED:
        fputs("  not for scan (needs ", out);
        fo_report_put_clean(out, bp->fix.consent ? bp->fix.consent : "consent");
        fputs("): ", out);
        fo_report_put_clean(out, bp->fix.summary);
        break;
    case FO_BACKEND_HUMAN:
        fputs("  needs a person: ", out);
        fo_report_put_clean(out, bp->advice);
        break;
    case FO_BACKEND_ERROR:
        fputs(": ", out);
        fo_report_put_clean(out, bp->error.msg);
        break;
    }
    fputc('\n', out);
}

void fo_scan_item_text(FILE *out, const fo_scan_item *item, bool color)
{
    const fo_plan *plan = item->plan;
    fo_report_put_clean(out, item->service_id);
    if (plan && plan->service_name) {
        fputs("  \"", out);
        fo_report_put_clean(out, plan->service_name);
        fputc('"', out);
    }
    fprintf(out, "  %s%s%s (%d)", color ? result_color(item->result) : "",
            fo_result_name(item->result), color ? RESET : "", (int)item->result);
    if (plan)
        fprintf(out, "  active version %ld", plan->active_version);
    if (item->ms < 1000)
        fprintf(out, "  [%.0f ms", item->ms);
    else
        fprintf(out, "  [%.1f s", item->ms / 1000.0);
    fprintf(out, ", %u API request%s]\n", item->stats.requests,
            item->stats.requests == 1 ? "" : "s");
    for (size_t i = 0; plan && i < plan->backend_count; i++)
        backend_line(out, &plan->backends[i]);
    if (plan && plan->terraform) {
        fputs("  terraform: probably managed by Terraform (", out);
        fo_report_put_clean(out, plan->terraform);
        fputs("): the next terraform apply reverts an API fix\n", out);
    }
    if (item->applied) {
        fprintf(out, "  apply: %s", fo_apply_outcome_name(item->applied->outcome));
        if (item->applied->active_after > 0)
            fprintf(out, ", active version %ld", item->applied->active_after);
        if (item->applied->draft > 0 && item->applied->outcome != FO_APPLY_VERIFIED)
            fprintf(out, ", draft %ld", item->applied->draft);
        fprintf(out, " (run %s)\n", item->applied->run_id);
    }
    if (item->earlier_run[0]) {
        fputs("  earlier run: ", out);
        fo_report_put_clean(out, item->earlier_run);
        fputc('\n', out);
    }
    if (item->error.code != 0) {
        fputs("  ", out);
        fo_report_put_clean(out, item->error.msg);
        fputc('\n', out);
    }
}

/* "2026-12-31 23:59:59 UTC" for an expiry, "never" for none. */
static void expiry_text(char *out, size_t size, long long expires)
{
    if (expires == 0)
        snprintf(out, size, "never");
    else
        fo_format_time(out, size, expires);
}

/* Calls fn for each problem of item an acknowledgement names, live or expired. */
typedef void (*ack_fn)(void *ctx, const char *backend, const char *class_id, const fo_scan_ack *ack,
                       bool expired);

static void each_ack(const fo_scan_options *opts, const fo_scan_item *item, ack_fn fn, void *ctx)
{
    bool expired = false;
    const fo_scan_ack *ack = NULL;
    if (!opts->acks || opts->acks->count == 0 || item->applied)
        return;
    if (!item->plan) {
        if (item->result != FO_RESULT_OK &&
            (ack = fo_scan_acks_find(opts->acks, item->service_id, NULL, "error", opts->now,
                                     &expired)))
            fn(ctx, NULL, "error", ack, expired);
        return;
    }
    for (size_t i = 0; i < item->plan->backend_count; i++) {
        const fo_backend_plan *bp = &item->plan->backends[i];
        const char *class_id = fo_scan_ack_backend_class(bp);
        if (bp->status != FO_BACKEND_OK &&
            (ack = fo_scan_acks_find(opts->acks, item->service_id, bp->backend->name, class_id,
                                     opts->now, &expired)))
            fn(ctx, bp->backend->name, class_id, ack, expired);
    }
}

static void ack_line(void *ctx, const char *backend, const char *class_id, const fo_scan_ack *ack,
                     bool expired)
{
    FILE *out = ctx;
    char until[40];
    expiry_text(until, sizeof(until), ack->expires);
    fputs(expired ? "  acknowledgement expired " : "  acknowledged ", out);
    fprintf(out, "%s%s: ", expired ? "" : "until ", until);
    fo_report_put_clean(out, backend ? backend : "(the service)");
    fprintf(out, " %s: ", class_id);
    fo_report_put_clean(out, ack->reason);
    fputs(expired ? " (counted again)\n" : "\n", out);
}

void fo_scan_acks_text(FILE *out, const fo_scan_options *opts, const fo_scan_item *item)
{
    each_ack(opts, item, ack_line, out);
}

static void ack_object(void *ctx, const char *backend, const char *class_id, const fo_scan_ack *ack,
                       bool expired)
{
    json_t **list = ctx;
    char until[40];
    expiry_text(until, sizeof(until), ack->expires);
    if (!*list)
        *list = json_array();
    json_array_append_new(
        *list, json_pack("{s:o, s:s, s:o, s:o, s:b}", "backend",
                         backend ? fo_report_json_string(backend) : json_null(), "class", class_id,
                         "reason", fo_report_json_string(ack->reason), "expires",
                         ack->expires ? json_string(until) : json_null(), "expired", expired));
}

json_t *fo_scan_acks_json(const fo_scan_options *opts, const fo_scan_item *item)
{
    json_t *list = NULL;
    each_ack(opts, item, ack_object, &list);
    return list;
}

json_t *fo_scan_summary_json(const fo_scan_options *opts, const fo_scan_summary *summary)
{
    char shard[48];
    json_t *results = json_object();
    for (int r = FO_RESULT_OK; r <= FO_RESULT_NEEDS_HUMAN; r++)
        json_object_set_new(results, fo_result_name((fo_result)r),
                            json_integer((json_int_t)summary->by_result[r]));
    snprintf(shard, sizeof(shard), "%u/%u", opts->shard.index, opts->shard.count);
    json_t *o = json_pack("{s:I, s:I, s:o, s:o, s:I, s:I, s:s, s:i, s:{s:I, s:I}, s:f}", "services",
                          (json_int_t)summary->services, "selected", (json_int_t)opts->selected,
                          "shard", opts->shard.count > 0 ? json_string(shard) : json_null(),
                          "results", results, "applied", (json_int_t)summary->applied, "warnings",
                          (json_int_t)summary->warnings, "result", fo_result_name(summary->result),
                          "exit_code", opts->exit_code(summary->result), "api", "requests",
                          (json_int_t)summary->requests, "writes", (json_int_t)summary->writes,
                          "elapsed_ms", summary->elapsed_ms);
    if (o && opts->acks)
        json_object_set_new(o, "acknowledged", json_integer((json_int_t)summary->acknowledged));
    if (o && opts->apply)
        json_object_set_new(o, "skipped_terraform",
                            json_integer((json_int_t)summary->skipped_terraform));
    if (o && summary->error)
        json_object_set_new(o, "error", fo_report_json_string(summary->error));
    return o;
}

void fo_scan_summary_text(FILE *out, const fo_scan_options *opts, const fo_scan_summary *summary)
{
    fprintf(out, "\nscan: %zu service%s", summary->services, summary->services == 1 ? "" : "s");
    if (opts->shard.count > 0)
        fprintf(out, " (shard %u/%u of %zu selected)", opts->shard.index, opts->shard.count,
                opts->selected);
    fprintf(out, " in %.1f s:", summary->elapsed_ms / 1000.0);
    const char *sep = " ";
    for (int r = FO_RESULT_OK; r <= FO_RESULT_NEEDS_HUMAN; r++) {
        if (summary->by_result[r] == 0)
            continue;
        fprintf(out, "%s%zu %s", sep, summary->by_result[r], fo_result_name((fo_result)r));
        sep = ", ";
    }
    if (summary->error) {
        fputs(" ", out);
        fo_report_put_clean(out, summary->error);
    } else if (summary->services == 0) {
        fputs(" nothing to do", out);
    }
    if (summary->acknowledged > 0)
        fprintf(out, "; %zu acknowledged", summary->acknowledged);
    if (opts->apply)
        fprintf(out, "; %zu changed", summary->applied);
    if (summary->skipped_terraform > 0)
        fprintf(out, "; %zu skipped (Terraform manages them; --include-terraform)",
                summary->skipped_terraform);
    if (summary->warnings > 0)
        fprintf(out, "; %zu warning%s", summary->warnings, summary->warnings == 1 ? "" : "s");
    fprintf(out, "; %u API request%s, %u write%s; exit %d\n", summary->requests,
            summary->requests == 1 ? "" : "s", summary->writes, summary->writes == 1 ? "" : "s",
            opts->exit_code(summary->result));
}
