/* The check that decides whether a draft may go on to validate and activate: the draft read
 * back as data (service details of the draft) against the version it was cloned from as read
 * at plan time. Every section details returns is compared, field by field, without knowing
 * its shape; only the planned changes and the fields that differ between any version and its
 * clone may differ. Pure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"

/* How the items of a section are told apart between two versions. A section not listed
 * here is compared the same way when every item has a "name", else item by item in order.
 * identity NULL: the section is one object (settings), compared key by key. To check a new
 * section by another key, add a line. */
static const struct section_rule {
    const char *section;
    const char *identity;
} section_rules[] = {
    {"backends", "name"},
    {"domains", "name"},
    {"vcls", "name"},
    {"snippets", "name"},
    {"conditions", "name"},
    {"headers", "name"},
    {"cache_settings", "name"},
    {"request_settings", "name"},
    {"response_objects", "name"},
    {"gzips", "name"},
    {"healthchecks", "name"},
    {"directors", "name"},
    {"dictionaries", "name"},
    {"acls", "name"},
    {"pools", "name"},
    {"settings", NULL},
    {"version", NULL}, /* the version's own scalar fields */
};

/* What legitimately differs between a version and its clone, so is never compared ("*": in
 * every section). Fastly gives every item the number of the version it belongs to and its
 * own timestamps (the recorded backend list: "version":145, created_at, updated_at); the
 * version itself has another number, its own timestamps, other flags (a clone is unlocked,
 * inactive, deployed nowhere, in no environment: "environments" lists where a version is
 * active) and the comment fixorigin writes. A field named here is skipped whatever its
 * value; any other field present on one side only is compared as unset. */
static const struct ignored {
    const char *section;
    const char *field;
} ignored_fields[] = {
    {"*", "version"},       {"*", "created_at"},    {"*", "updated_at"},     {"version", "number"},
    {"version", "active"},  {"version", "locked"},  {"version", "deployed"}, {"version", "staging"},
    {"version", "testing"}, {"version", "comment"}, {"environments", "*"},
};

static bool is_ignored(const char *section, const char *field)
{
    for (size_t i = 0; i < sizeof(ignored_fields) / sizeof(ignored_fields[0]); i++) {
        const struct ignored *g = &ignored_fields[i];
        if ((strcmp(g->section, "*") == 0 || strcmp(g->section, section) == 0) &&
            (strcmp(g->field, "*") == 0 || strcmp(g->field, field) == 0))
            return true;
    }
    return false;
}

static const char *field_value(const fo_config_item *item, const char *name, bool *present)
{
    for (size_t i = 0; i < item->field_count; i++) {
        if (strcmp(item->fields[i].name, name) == 0) {
            if (present)
                *present = true;
            return item->fields[i].value;
        }
    }
    if (present)
        *present = false;
    return NULL;
}

/* true/false in any spelling Fastly uses (FASTLY.md: 1/0, "1"/"0", "true"/"false"). */
static int bool_spelling(const char *s)
{
    if (!s)
        return -1;
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
        return 1;
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
        return 0;
    return -1;
}

/* Equal as Fastly means it: null and "" are both unset, 1 and "1" are one number, and a
 * boolean may be spelt four ways. */
static bool same_value(const char *a, const char *b)
{
    if (!a || !b)
        return !a && !b;
    if (strcmp(a, b) == 0)
        return true;
    int x = bool_spelling(a), y = bool_spelling(b);
    return x >= 0 && x == y;
}

static const char *identity_of(const fo_config_section *s)
{
    for (size_t i = 0; i < sizeof(section_rules) / sizeof(section_rules[0]); i++) {
        if (strcmp(section_rules[i].section, s->name) == 0)
            return s->list ? section_rules[i].identity : NULL;
    }
    if (!s->list)
        return NULL;
    for (size_t i = 0; i < s->item_count; i++) {
        if (!field_value(&s->items[i], "name", NULL))
            return ""; /* by position */
    }
    return "name";
}

static const fo_config_section *find_section(const fo_version_config *c, const char *name)
{
    for (size_t i = 0; c && i < c->section_count; i++) {
        if (strcmp(c->sections[i].name, name) == 0)
            return &c->sections[i];
    }
    return NULL;
}

static bool is_planned(const fo_planned_field *planned, size_t count, const char *section,
                       const char *item, const char *field)
{
    for (size_t i = 0; item && i < count; i++) {
        if (strcmp(planned[i].section, section) == 0 && strcmp(planned[i].item, item) == 0 &&
            strcmp(planned[i].field, field) == 0)
            return true;
    }
    return false;
}

typedef struct compare {
    const fo_planned_field *planned;
    size_t planned_count;
    char *why;
    size_t why_size;
} compare;

/* "backends 'Host 1'", "domains #2", "settings". */
static void item_label(char *out, size_t size, const fo_config_section *s, const char *identity,
                       const fo_config_item *item, size_t index)
{
    const char *id = identity && identity[0] ? field_value(item, identity, NULL) : NULL;
    if (id)
        snprintf(out, size, "%s '%.200s'", s->name, id);
    else if (s->list)
        snprintf(out, size, "%s #%zu", s->name, index + 1);
    else
        snprintf(out, size, "%s", s->name);
}

/* Values are shown only where they are short plain backend words (a port, a hostname):
 * certificates, VCL, keys and anything unknown are named, never printed. */
static bool showable(const char *section, const char *field, const char *a, const char *b)
{
    fo_field_kind kind = fo_remediate_field_kind(field);
    if (strcmp(section, "backends") != 0 || kind == FO_FIELD_PEM || kind == FO_FIELD_SECRET)
        return false;
    bool known = false;
    for (size_t i = 0; fo_rem_field_at(i); i++)
        known = known || strcmp(fo_rem_field_at(i), field) == 0;
    return known && (!a || strlen(a) < 100) && (!b || strlen(b) < 100);
}

static bool compare_items(compare *c, const fo_config_section *s, const char *identity,
                          const fo_config_item *before, const fo_config_item *after, size_t index)
{
    const char *id = identity && identity[0] ? field_value(before, identity, NULL) : NULL;
    /* Every field on either side: one the draft lacks is compared as unset. */
    for (int side = 0; side < 2; side++) {
        const fo_config_item *one = side == 0 ? before : after;
        const fo_config_item *other = side == 0 ? after : before;
        for (size_t i = 0; i < one->field_count; i++) {
            const char *field = one->fields[i].name;
            bool present = false;
            const char *theirs = field_value(other, field, &present);
            if (side == 1 && present)
                continue; /* compared from the first side */
            if (is_ignored(s->name, field) ||
                is_planned(c->planned, c->planned_count, s->name, id, field))
                continue;
            const char *was = side == 0 ? one->fields[i].value : theirs;
            const char *now = side == 0 ? theirs : one->fields[i].value;
            if (same_value(was, now))
                continue;
            char label[300];
            item_label(label, sizeof(label), s, identity, before, index);
            if (strcmp(s->name, "version") == 0)
                snprintf(label, sizeof(label), "the version's");
            if (showable(s->name, field, was, now))
                snprintf(c->why, c->why_size, "%s %s is %s%s%s, was %s%s%s", label,
                         field[0] ? field : "value", now ? "\"" : "", now ? now : "(unset)",
                         now ? "\"" : "", was ? "\"" : "", was ? was : "(unset)", was ? "\"" : "");
            else
                snprintf(c->why, c->why_size, "%s %s changed", label, field[0] ? field : "value");
            return false;
        }
    }
    return true;
}

/* Pairs the items of one section by identity (or position) and compares each pair. */
static bool compare_section(compare *c, const fo_config_section *before,
                            const fo_config_section *after)
{
    static const fo_config_section none = {0};
    const fo_config_section *a = before ? before : &none;
    const fo_config_section *b = after ? after : &none;
    const fo_config_section *named = before ? before : after;
    if (!named) /* neither side has the section: nothing differs */
        return true;
    if (strcmp(named->name, "environments") == 0 && is_ignored(named->name, "*"))
        return true;
    const char *identity = identity_of(named);
    bool *used = calloc(b->item_count ? b->item_count : 1, sizeof(bool));
    bool ok = used != NULL;
    char label[300];
    if (!ok)
        snprintf(c->why, c->why_size, "out of memory");
    for (size_t i = 0; ok && i < a->item_count; i++) {
        const char *id = identity && identity[0] ? field_value(&a->items[i], identity, NULL) : NULL;
        size_t match = b->item_count;
        for (size_t j = 0; j < b->item_count && match == b->item_count; j++) {
            if (used[j])
                continue;
            if (identity && identity[0])
                match = same_value(id, field_value(&b->items[j], identity, NULL)) ? j : match;
            else
                match = j == i ? j : match;
        }
        if (match == b->item_count) {
            item_label(label, sizeof(label), named, identity, &a->items[i], i);
            snprintf(c->why, c->why_size, "%s is gone", label);
            ok = false;
        } else {
            used[match] = true;
            ok = compare_items(c, named, identity, &a->items[i], &b->items[match], i);
        }
    }
    for (size_t j = 0; ok && j < b->item_count; j++) {
        if (!used[j]) {
            item_label(label, sizeof(label), named, identity, &b->items[j], j);
            snprintf(c->why, c->why_size, "%s was added", label);
            ok = false;
        }
    }
    free(used);
    return ok;
}

bool fo_remediate_config_matches(const fo_version_config *before, const fo_version_config *draft,
                                 const fo_planned_field *planned, size_t planned_count, char *why,
                                 size_t why_size)
{
    compare c = {
        .planned = planned, .planned_count = planned_count, .why = why, .why_size = why_size};
    bool ok = true;
    if (!before || !draft || before->section_count == 0 || draft->section_count == 0) {
        snprintf(why, why_size, "%s holds no configuration to compare",
                 !before || before->section_count == 0 ? "the version planned against"
                                                       : "the draft as read back");
        return false;
    }
    for (size_t i = 0; ok && i < before->section_count; i++)
        ok = compare_section(&c, &before->sections[i],
                             find_section(draft, before->sections[i].name));
    for (size_t i = 0; ok && i < draft->section_count; i++) {
        if (!find_section(before, draft->sections[i].name))
            ok = compare_section(&c, NULL, &draft->sections[i]);
    }
    if (!ok) /* names and values come from the API: keep control characters off the terminal */
        fo_rem_clean(why);
    return ok;
}

static const fo_backend *find_backend(const fo_version_config *config, const char *name)
{
    for (size_t i = 0; config && i < config->backend_count; i++) {
        if (config->backends[i].name && strcmp(config->backends[i].name, name) == 0)
            return &config->backends[i];
    }
    return NULL;
}

bool fo_remediate_draft_matches(const fo_plan *plan, const fo_version_config *draft, char *why,
                                size_t why_size)
{
    size_t count = 0;
    for (size_t i = 0; i < plan->backend_count; i++)
        count +=
            plan->backends[i].status == FO_BACKEND_FIX ? plan->backends[i].fix.change_count : 0;
    fo_planned_field *planned = calloc(count ? count : 1, sizeof(*planned));
    if (!planned) {
        snprintf(why, why_size, "out of memory");
        return false;
    }
    size_t n = 0;
    for (size_t i = 0; i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX)
            continue;
        /* Where the fix is written: a backend's fields, a VCL file's or snippet's content
         * (its declarations are checked by remediate/origins.c), a pool's tls_* fields; a
         * dynamic snippet is not in the version at all. */
        switch (bp->origin.kind) {
        case FO_ORIGIN_BACKEND:
            for (size_t j = 0; j < bp->fix.change_count; j++)
                planned[n++] =
                    (fo_planned_field){"backends", bp->backend->name, bp->fix.changes[j].field};
            break;
        case FO_ORIGIN_VCL:
            planned[n++] = (fo_planned_field){"vcls", bp->origin.container, "content"};
            break;
        case FO_ORIGIN_SNIPPET:
            planned[n++] = (fo_planned_field){"snippets", bp->origin.container, "content"};
            break;
        case FO_ORIGIN_POOL:
            for (size_t j = 0; j < bp->fix.change_count; j++)
                planned[n++] = (fo_planned_field){"pools", bp->origin.container,
                                                  fo_rem_pool_field(bp->fix.changes[j].field)};
            break;
        case FO_ORIGIN_DYNAMIC_SNIPPET:
            break;
        }
    }
    bool ok = fo_remediate_config_matches(plan->planned_from, draft, planned, n, why, why_size);
    free(planned);
    /* The planned fields themselves: each holds what the plan says, compared by kind (PEM by
     * certificate, the key without showing it). */
    for (size_t i = 0; ok && i < plan->backend_count; i++) {
        const fo_backend_plan *bp = &plan->backends[i];
        if (bp->status != FO_BACKEND_FIX || bp->origin.kind != FO_ORIGIN_BACKEND)
            continue;
        const fo_backend *now = find_backend(draft, bp->backend->name);
        char mismatch[300];
        if (!now) {
            snprintf(why, why_size, "backends '%s' is gone", bp->backend->name);
            ok = false;
        } else if (!fo_remediate_readback_matches(bp->backend, now, &bp->fix, mismatch,
                                                  sizeof(mismatch))) {
            snprintf(why, why_size, "backends '%s' %s", bp->backend->name, mismatch);
            ok = false;
        }
    }
    return ok;
}
