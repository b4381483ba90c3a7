/* fixorigin serve's pending plans: the plan ids it handed out (by plan, and with a stale
 * apply's new plan), so that the short id people read in text and Slack (its first 12 hex
 * digits) can be resolved to the whole id, or refused as unknown or ambiguous. A short id is
 * looked up among every service's pending plans, as git looks up an abbreviated object name:
 * it names one plan or none. Bounded: the last FO_SERVE_PLANS_MAX plans, each for
 * FO_SERVE_PLAN_TTL_S. A whole id needs no lookup: it is checked against a fresh plan as
 * before, so a restart forgets short ids only. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"

typedef struct pending {
    char service_id[FO_API_ID_MAX + 1];
    char plan_id[65];
    long long made; /* Unix seconds; 0: an empty slot */
} pending;

struct fo_serve_plans {
    pthread_mutex_t lock;
    pending items[FO_SERVE_PLANS_MAX];
    size_t next; /* the slot the next plan takes: the oldest */
};

int fo_serve_plans_new(fo_serve_plans **out)
{
    fo_serve_plans *p = calloc(1, sizeof(*p));
    if (!p)
        return FO_ENOMEM;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return FO_ENOMEM;
    }
    *out = p;
    return 0;
}

void fo_serve_plans_free(fo_serve_plans *plans)
{
    if (!plans)
        return;
    pthread_mutex_destroy(&plans->lock);
    free(plans);
}

void fo_serve_plans_add(fo_serve_plans *plans, const char *service_id, const char *plan_id,
                        long long now)
{
    if (!plans || !fo_api_service_id_valid(service_id) || !fo_serve_plan_id_valid(plan_id))
        return;
    pthread_mutex_lock(&plans->lock);
    /* The same plan handed out again is one entry, made again. */
    pending *slot = NULL;
    for (size_t i = 0; i < FO_SERVE_PLANS_MAX && !slot; i++) {
        if (plans->items[i].made && strcmp(plans->items[i].plan_id, plan_id) == 0 &&
            strcmp(plans->items[i].service_id, service_id) == 0)
            slot = &plans->items[i];
    }
    if (!slot) {
        slot = &plans->items[plans->next];
        plans->next = (plans->next + 1) % FO_SERVE_PLANS_MAX;
        strcpy(slot->service_id, service_id);
        strcpy(slot->plan_id, plan_id);
    }
    slot->made = now;
    pthread_mutex_unlock(&plans->lock);
}

int fo_serve_plans_resolve(fo_serve_plans *plans, char out[65], const char *service_id,
                           const char *id, long long now, fo_error *err)
{
    size_t len = id ? strlen(id) : 0;
    if (!fo_serve_plan_ref_valid(id))
        return fo_error_set(err, FO_EINVAL, "'%.70s' is not a plan id (%d to 64 hex digits)",
                            id ? id : "", FO_SERVE_PLAN_ID_SHORT);
    if (len == 64) {
        memcpy(out, id, 65);
        return 0;
    }
    size_t matches = 0;
    pending found = {.made = 0};
    if (plans) {
        pthread_mutex_lock(&plans->lock);
        for (size_t i = 0; i < FO_SERVE_PLANS_MAX; i++) {
            const pending *p = &plans->items[i];
            if (p->made == 0 || now - p->made > FO_SERVE_PLAN_TTL_S ||
                strncmp(p->plan_id, id, len) != 0)
                continue;
            matches++; /* entries are distinct plans: a plan id binds its service */
            found = *p;
        }
        pthread_mutex_unlock(&plans->lock);
    }
    if (matches == 0)
        return fo_error_set(err, FO_ENOTFOUND,
                            "no pending plan has the id %s (plans are kept %d hours; plan again, "
                            "or give the whole 64-digit id)",
                            id, FO_SERVE_PLAN_TTL_S / 3600);
    if (matches > 1)
        return fo_error_set(err, FO_EINVAL,
                            "the plan id %s is ambiguous: %zu pending plans start with it; give "
                            "more digits or the whole 64-digit id",
                            id, matches);
    if (strcmp(found.service_id, service_id) != 0)
        return fo_error_set(err, FO_ENOTFOUND, "plan %s is a plan of service %s, not of %s", id,
                            found.service_id, service_id);
    memcpy(out, found.plan_id, 65);
    return 0;
}
