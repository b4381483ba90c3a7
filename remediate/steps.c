/* Step records: what apply did at each step, kept for the report and told to the caller as
 * it happens. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_int.h"

const char *fo_step_name(fo_step step)
{
    static const char *const names[] = {
        [FO_STEP_DETAILS] = "details",    [FO_STEP_PROBE] = "probe",
        [FO_STEP_REREAD] = "reread",      [FO_STEP_CLONE] = "clone",
        [FO_STEP_COMMENT] = "comment",    [FO_STEP_UPDATE] = "update",
        [FO_STEP_READBACK] = "read-back", [FO_STEP_COMPARE] = "compare",
        [FO_STEP_DIFF] = "diff",          [FO_STEP_VALIDATE] = "validate",
        [FO_STEP_RECHECK] = "recheck",    [FO_STEP_ACTIVATE] = "activate",
        [FO_STEP_VERIFY] = "verify",      [FO_STEP_ROLLBACK] = "rollback",
        [FO_STEP_TICKET] = "ticket",      [FO_STEP_RELEASE] = "release",
    };
    return (unsigned)step < sizeof(names) / sizeof(names[0]) ? names[step] : "?";
}

void fo_rem_step_start(fo_rem_steps *steps, fo_step step, const char *backend)
{
    if (!steps->event)
        return;
    fo_event ev = {.step = step, .finished = false, .backend = backend};
    steps->event(steps->event_ctx, &ev);
}

bool fo_rem_step_done(fo_rem_steps *steps, fo_step step, const char *backend, bool ok,
                      const char *diff, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    fo_step_record record = {.step = step, .ok = ok};
    fo_step_record *grown = realloc(steps->items, (steps->count + 1) * sizeof(*grown));
    if (grown) {
        steps->items = grown;
        record.backend = fo_strdup(backend);
        record.message = fo_strdup(message);
        record.diff = fo_strdup(diff);
        /* A record that lost a string to memory still says which step and how it ended. */
        grown[steps->count++] = record;
    }
    if (steps->event) {
        fo_step_record shown = {.step = step,
                                .backend = (char *)backend,
                                .ok = ok,
                                .message = message,
                                .diff = (char *)diff};
        fo_event ev = {.step = step, .finished = true, .backend = backend, .record = &shown};
        steps->event(steps->event_ctx, &ev);
    }
    return ok;
}

void fo_rem_step_records_free(fo_step_record *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++) {
        free(items[i].backend);
        free(items[i].message);
        free(items[i].diff);
    }
    free(items);
}
