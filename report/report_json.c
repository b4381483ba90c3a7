/* A remediation run as the "fixorigin.report/v1" object (README.md has the schema). */
#include <stdlib.h>
#include <string.h>

#include "fixorigin/report.h"
#include "report_int.h"

static json_t *version_or_null(long number)
{
    return number > 0 ? json_integer(number) : json_null();
}

static json_t *certs_json(const fo_ca_summary *certs, size_t count, bool *ok)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++) {
        json_t *cert = json_object();
        if (cert) {
            put(cert, "subject", fo_report_json_string(certs[i].subject), ok);
            put(cert, "sha256", json_string(certs[i].sha256), ok);
        }
        push(list, cert, ok);
    }
    return list;
}

/* A change's value in its own JSON type; PEM as certificates, a secret never. */
static json_t *value_json(const fo_change *c, const char *value, const fo_ca_summary *certs,
                          size_t count, bool *ok)
{
    if (fo_str_empty(value))
        return json_null();
    switch (c->kind) {
    case FO_FIELD_NUMBER:
        return json_integer(strtoll(value, NULL, 10));
    case FO_FIELD_BOOL:
        return json_boolean(strcmp(value, "true") == 0);
    case FO_FIELD_PEM:
        return certs_json(certs, count, ok);
    case FO_FIELD_SECRET:
        return json_string("set");
    case FO_FIELD_TEXT:
        break;
    }
    return fo_report_json_string(value);
}

static json_t *changes_json(const fo_fix *fix, bool *ok)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < fix->change_count; i++) {
        const fo_change *c = &fix->changes[i];
        json_t *change = json_object();
        if (change) {
            put(change, "field", json_string(c->field), ok);
            put(change, "from", value_json(c, c->from, c->from_certs, c->from_cert_count, ok), ok);
            put(change, "to", value_json(c, c->to, c->to_certs, c->to_cert_count, ok), ok);
        }
        push(list, change, ok);
    }
    return list;
}

static json_t *probe_or_null(const fo_diagnosis *d)
{
    return d ? fo_report_diagnosis_json(d, 0) : json_null();
}

static json_t *backend_json(const fo_backend_plan *bp, const fo_diagnosis *verified, bool *ok)
{
    json_t *o = json_object();
    json_t *attempts = json_array();
    if (!o || !attempts) {
        json_decref(o);
        json_decref(attempts);
        return NULL;
    }
    bool has_fix = bp->status == FO_BACKEND_FIX || bp->status == FO_BACKEND_BLOCKED;
    put(o, "name", fo_report_json_string(bp->backend->name), ok);
    put(o, "source", json_string(fo_origin_source(&bp->origin)), ok);
    put(o, "address", fo_report_json_string(bp->backend->address), ok);
    put(o, "port", bp->backend->port >= 0 ? json_integer(bp->backend->port) : json_null(), ok);
    put(o, "status", json_string(fo_backend_status_name(bp->status)), ok);
    put(o, "class",
        bp->diagnosis ? json_string(fo_class_id(bp->diagnosis->verdict.class)) : json_null(), ok);
    put(o, "evidence", fo_report_json_string(bp->evidence), ok);
    put(o, "probe", probe_or_null(bp->diagnosis), ok);
    put(o, "summary", fo_report_json_string(has_fix ? bp->fix.summary : NULL), ok);
    put(o, "changes", has_fix ? changes_json(&bp->fix, ok) : json_array(), ok);
    put(o, "text_diff", fo_report_json_string(has_fix ? bp->origin.text_diff : NULL), ok);
    put(o, "safety", has_fix ? json_string(fo_safety_name(bp->fix.safety)) : json_null(), ok);
    put(o, "consent", fo_report_json_string(has_fix ? bp->fix.consent : NULL), ok);
    put(o, "allowed", json_boolean(bp->status == FO_BACKEND_FIX), ok);
    put(o, "reason", fo_report_json_string(has_fix ? bp->fix.reason : NULL), ok);
    put(o, "note", fo_report_json_string(has_fix ? bp->fix.note : NULL), ok);
    if (bp->proof) {
        json_t *proof = json_object();
        if (proof) {
            put(proof, "ok", json_boolean(bp->proof->verdict.class == FO_CLASS_OK), ok);
            put(proof, "probe", fo_report_diagnosis_json(bp->proof, 0), ok);
        }
        put(o, "proof", proof, ok);
    } else {
        put(o, "proof", json_null(), ok);
    }
    for (size_t i = 0; i < bp->attempt_count; i++) {
        const fo_attempt *a = &bp->attempts[i];
        json_t *attempt = json_object();
        if (attempt) {
            put(attempt, "summary", fo_report_json_string(a->summary), ok);
            put(attempt, "class", json_string(fo_class_id(a->class)), ok);
            put(attempt, "detail", fo_report_json_string(a->detail), ok);
        }
        push(attempts, attempt, ok);
    }
    put(o, "attempts", attempts, ok);
    put(o, "advice", fo_report_json_string(bp->advice), ok);
    put(o, "error", fo_report_json_string(bp->status == FO_BACKEND_ERROR ? bp->error.msg : NULL),
        ok);
    put(o, "verify", probe_or_null(verified), ok);
    return o;
}

static json_t *apply_json(const fo_apply_result *r, bool *ok)
{
    json_t *o = json_object();
    json_t *steps = json_array();
    if (!o || !steps) {
        json_decref(o);
        json_decref(steps);
        return NULL;
    }
    put(o, "outcome", json_string(fo_apply_outcome_name(r->outcome)), ok);
    put(o, "run_id", json_string(r->run_id), ok);
    put(o, "error", r->error.code ? fo_report_json_string(r->error.msg) : json_null(), ok);
    for (size_t i = 0; i < r->step_count; i++) {
        const fo_step_record *s = &r->steps[i];
        json_t *step = json_object();
        if (step) {
            put(step, "step", json_string(fo_step_name(s->step)), ok);
            put(step, "backend", fo_report_json_string(s->backend), ok);
            put(step, "ok", json_boolean(s->ok), ok);
            put(step, "message", fo_report_json_string(s->message), ok);
            put(step, "diff", fo_report_json_string(s->diff), ok);
        }
        push(steps, step, ok);
    }
    put(o, "steps", steps, ok);
    return o;
}

static json_t *strings_json(char *const *items, size_t count, bool *ok)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < count; i++)
        push(list, fo_report_json_string(items[i]), ok);
    return list;
}

json_t *fo_report_json(const fo_report *report)
{
    bool ok = true;
    const fo_plan *plan = report->plan;
    const fo_apply_result *applied = report->applied;
    json_t *o = json_object();
    json_t *service = json_object();
    json_t *versions = json_object();
    json_t *leftovers = json_array();
    json_t *backends = json_array();
    json_t *api = json_object();
    if (!o || !service || !versions || !leftovers || !backends || !api) {
        json_decref(o);
        json_decref(service);
        json_decref(versions);
        json_decref(leftovers);
        json_decref(backends);
        json_decref(api);
        return NULL;
    }
    put(o, "schema", json_string(FO_REPORT_SCHEMA), &ok);
    put(service, "id", fo_report_json_string(report->service_id), &ok);
    put(service, "name", fo_report_json_string(plan ? plan->service_name : NULL), &ok);
    put(o, "service", service, &ok);
    put(o, "mode", json_string(report->apply_mode ? "apply" : "plan"), &ok);
    put(o, "result", json_string(fo_result_name(report->result)), &ok);
    put(o, "exit_code", json_integer(report->exit_code), &ok);
    put(o, "error", fo_report_json_string(report->error), &ok);
    put(o, "earlier_run", fo_report_json_string(report->earlier_run), &ok);
    put(o, "plan_id", plan ? json_string(plan->plan_id) : json_null(), &ok);
    long before = plan ? plan->active_version : 0;
    put(versions, "active_before", version_or_null(before), &ok);
    put(versions, "draft", version_or_null(applied ? applied->draft : 0), &ok);
    put(versions, "active_after", version_or_null(applied ? applied->active_after : before), &ok);
    put(o, "versions", versions, &ok);
    for (size_t i = 0; plan && i < plan->leftover_count; i++) {
        json_t *draft = json_object();
        if (draft) {
            put(draft, "number", json_integer(plan->leftovers[i].number), &ok);
            put(draft, "comment", fo_report_json_string(plan->leftovers[i].comment), &ok);
        }
        push(leftovers, draft, &ok);
    }
    put(o, "leftover_drafts", leftovers, &ok);
    put(o, "notes", plan ? strings_json(plan->notes, plan->note_count, &ok) : json_array(), &ok);
    if (plan && plan->terraform) {
        json_t *tf = json_object();
        if (tf) {
            put(tf, "reason", fo_report_json_string(plan->terraform), &ok);
            put(tf, "warning",
                json_string("a fix applied through the API is reverted by the next terraform "
                            "apply: change the HCL (fixorigin --emit terraform prints it)"),
                &ok);
        }
        put(o, "terraform", tf, &ok);
    } else {
        put(o, "terraform", json_null(), &ok);
    }
    put(o, "domains", plan ? strings_json(plan->domains, plan->domain_count, &ok) : json_array(),
        &ok);
    for (size_t i = 0; plan && i < plan->backend_count; i++) {
        const fo_diagnosis *verified =
            applied && i < applied->verified_count ? applied->verified[i] : NULL;
        push(backends, backend_json(&plan->backends[i], verified, &ok), &ok);
    }
    put(o, "backends", backends, &ok);
    if (plan && plan->public_ips) {
        json_t *ranges = json_object();
        if (ranges) {
            put(ranges, "ipv4",
                strings_json(plan->public_ips->ipv4, plan->public_ips->ipv4_count, &ok), &ok);
            put(ranges, "ipv6",
                strings_json(plan->public_ips->ipv6, plan->public_ips->ipv6_count, &ok), &ok);
        }
        put(o, "fastly_ip_ranges", ranges, &ok);
    } else {
        put(o, "fastly_ip_ranges", json_null(), &ok);
    }
    put(o, "apply", applied ? apply_json(applied, &ok) : json_null(), &ok);
    put(api, "requests", json_integer(report->stats.requests), &ok);
    put(api, "writes", json_integer(report->stats.writes), &ok);
    put(api, "retries", json_integer(report->stats.retries), &ok);
    put(o, "api", api, &ok);
    if (!ok) {
        json_decref(o);
        return NULL;
    }
    return o;
}
