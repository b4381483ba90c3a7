/* Fuzzes the reader of saved plans (fo_saved_plan_parse, report/saved_plan.c): the file
 * `fix --plan-out` writes and `fixorigin apply FILE` applies, which anyone who had the file
 * may have edited. Any bytes are read without a crash or a leak.
 *
 * A plan is accepted only when its "plan_id" is the SHA-256 of its changes, which a mutation
 * never hits; so each input is read twice: as it is, and (when it is a JSON object) with its
 * "plan_id" replaced by the id of its own fixes computed here, on their own, with
 * fo_remediate_plan_id over a plan made from the JSON (as slack_fuzzer signs its input).
 * The second reading reaches everything behind the id check.
 *
 * Properties of an accepted plan: its id is the one computed here from its JSON; what the
 * reader promises is there and within its bounds; fo_saved_plan_check takes the plan its own
 * changes make, and refuses it at another active version or with a changed "from". */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/report.h"
#include "fuzz_util.h"

/* The reader's bounds (report/saved_plan.c), as its messages state them. */
#define NAME_MAX_LEN 1024
#define FIXES_MAX 1000
#define CHANGES_MAX 32
#define NAMES_MAX 64

/* The plan a saved plan's JSON describes, as the planner would have made it: what the id
 * and fo_saved_plan_check are computed over. Every string is a copy. */
typedef struct json_plan {
    fo_plan plan;
    fo_backend *backends;
} json_plan;

static void json_plan_clear(json_plan *jp)
{
    for (size_t i = 0; jp->plan.backends && i < jp->plan.backend_count; i++) {
        fo_backend_plan *bp = &jp->plan.backends[i];
        for (size_t j = 0; j < bp->fix.change_count; j++) {
            free((void *)(uintptr_t)bp->fix.changes[j].field);
            free(bp->fix.changes[j].from);
            free(bp->fix.changes[j].to);
        }
        free(bp->fix.changes);
        free(bp->origin.source);
        free(jp->backends[i].name);
    }
    free(jp->plan.backends);
    free(jp->backends);
    free(jp->plan.service_id);
    memset(jp, 0, sizeof(*jp));
}

/* A string member as a new copy: NULL for null (when nullable), else false. */
static bool copy_string(char **out, json_t *obj, const char *key, bool nullable)
{
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (nullable && json_is_null(v))
        return true;
    if (!json_is_string(v))
        return false;
    *out = strdup(json_string_value(v));
    return *out != NULL;
}

static bool read_change(fo_change *c, json_t *o)
{
    char *field = NULL;
    if (!copy_string(&field, o, "field", false) || !copy_string(&c->from, o, "from", true) ||
        !copy_string(&c->to, o, "to", true)) {
        free(field);
        free(c->from);
        free(c->to);
        c->from = c->to = NULL;
        return false;
    }
    c->field = field;
    return true;
}

/* Fills jp from root; false when root does not have the shape (then jp is cleared). */
static bool json_plan_of(json_plan *jp, json_t *root)
{
    memset(jp, 0, sizeof(*jp));
    json_t *fixes = json_object_get(root, "fixes");
    json_t *active = json_object_get(root, "active_version");
    size_t n = json_array_size(fixes);
    if (!json_is_integer(active) || !json_is_array(fixes) ||
        !copy_string(&jp->plan.service_id, json_object_get(root, "service"), "id", false))
        goto fail;
    jp->plan.active_version = (long)json_integer_value(active);
    jp->backends = calloc(n ? n : 1, sizeof(*jp->backends));
    jp->plan.backends = calloc(n ? n : 1, sizeof(*jp->plan.backends));
    if (!jp->backends || !jp->plan.backends)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        json_t *fix = json_array_get(fixes, i);
        json_t *changes = json_object_get(fix, "changes");
        size_t m = json_array_size(changes);
        fo_backend_plan *bp = &jp->plan.backends[i];
        jp->plan.backend_count++;
        bp->backend = &jp->backends[i];
        bp->status = FO_BACKEND_FIX;
        if (!copy_string(&jp->backends[i].name, fix, "backend", false) ||
            !copy_string(&bp->origin.source, fix, "source", false) || !json_is_array(changes) ||
            !(bp->fix.changes = calloc(m ? m : 1, sizeof(*bp->fix.changes))))
            goto fail;
        /* Where a fix is written decides only whether the id hashes its source. */
        bp->origin.kind =
            strcmp(bp->origin.source, "backend") == 0 ? FO_ORIGIN_BACKEND : FO_ORIGIN_VCL;
        for (size_t j = 0; j < m; j++) {
            if (!read_change(&bp->fix.changes[j], json_array_get(changes, j)))
                goto fail;
            bp->fix.change_count++;
        }
    }
    fo_remediate_plan_id(jp->plan.plan_id, &jp->plan);
    if (jp->plan.plan_id[0])
        return true;
fail:
    json_plan_clear(jp);
    return false;
}

static bool bounded(const char *s, size_t max)
{
    return s && *s && strlen(s) <= max;
}

/* What fo_saved_plan_parse promises of a plan it accepted from root. */
static void check_accepted(const fo_saved_plan *p, json_t *root)
{
    json_plan jp;
    if (!json_plan_of(&jp, root))
        abort(); /* it accepted what has not the shape of a plan */
    if (strcmp(jp.plan.plan_id, p->plan_id) != 0)
        abort(); /* the id is not the one of its changes */
    if (!fo_api_service_id_valid(p->service_id) || p->active_version < 1 || !p->created_at ||
        (p->trust_presented_sha256 && !p->trust_presented_ca))
        abort();
    unsigned char sha[FO_SHA256_LEN];
    if (p->trust_presented_sha256 && fo_sha256_parse(sha, p->trust_presented_sha256, NULL) != 0)
        abort();
    if (p->backend_count > NAMES_MAX || p->accept_count > NAMES_MAX ||
        p->fix_count != jp.plan.backend_count || p->fix_count > FIXES_MAX)
        abort();
    for (size_t i = 0; i < p->backend_count; i++)
        if (!bounded(p->backends[i], NAME_MAX_LEN))
            abort();
    for (size_t i = 0; i < p->accept_count; i++)
        if (!bounded(p->accept_cert_hostnames[i], NAME_MAX_LEN))
            abort();
    for (size_t i = 0; i < p->fix_count; i++) {
        const fo_saved_fix *f = &p->fixes[i];
        if (!bounded(f->backend, NAME_MAX_LEN) || !bounded(f->source, NAME_MAX_LEN) ||
            f->change_count == 0 || f->change_count > CHANGES_MAX)
            abort();
        for (size_t j = 0; j < f->change_count; j++)
            if (!bounded(f->changes[j].field, 64) ||
                fo_remediate_field_kind(f->changes[j].field) == FO_FIELD_SECRET)
                abort(); /* a saved plan never holds a secret */
    }

    /* The plan its own changes make is still the saved plan ... */
    fo_error err;
    if (fo_saved_plan_check(p, &jp.plan, &err) != 0)
        abort();
    /* ... but not at another active version, nor when a value changed under it. */
    jp.plan.active_version++;
    if (fo_saved_plan_check(p, &jp.plan, &err) != FO_ECONFLICT)
        abort();
    jp.plan.active_version--;
    if (jp.plan.backend_count > 0) {
        fo_change *c = &jp.plan.backends[0].fix.changes[0];
        char *was = c->from;
        char other[] = "changed under the plan", another[] = "changed again";
        c->from = was && strcmp(was, other) == 0 ? another : other;
        int rc = fo_saved_plan_check(p, &jp.plan, &err);
        c->from = was;
        if (rc != FO_ECONFLICT)
            abort();
    }
    json_plan_clear(&jp);
}

static void read_plan(const char *text, size_t len)
{
    fo_saved_plan *p = NULL;
    fo_error err;
    int rc = fo_saved_plan_parse(&p, text, len, &err);
    if (rc == 0) {
        json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
        if (!root)
            abort(); /* accepted what is not JSON */
        check_accepted(p, root);
        json_decref(root);
        fo_saved_plan_free(p);
    } else if (p || (rc != FO_EINVAL && rc != FO_ENOMEM) || err.msg[0] == '\0') {
        abort(); /* a refusal gives nothing back, and says why */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    read_plan(text, size);

    /* Again with the id its fixes make: past the id check. */
    json_t *root = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
    json_plan jp;
    if (json_is_object(root) && json_plan_of(&jp, root)) {
        char *signed_text = NULL;
        if (json_object_set_new(root, "plan_id", json_string(jp.plan.plan_id)) == 0)
            signed_text = json_dumps(root, JSON_COMPACT);
        json_plan_clear(&jp);
        if (signed_text)
            read_plan(signed_text, strlen(signed_text));
        free(signed_text);
    }
    json_decref(root);
    return 0;
}
