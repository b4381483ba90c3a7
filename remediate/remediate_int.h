/* remediate/remediate_int.h: what the remediate module's files share and nobody else sees. */
#ifndef FO_REMEDIATE_INTERNAL_H
#define FO_REMEDIATE_INTERNAL_H

#include "fixorigin/remediate.h"

/* Limits that keep one backend's work bounded whatever the origin does. */
#define FO_REM_MAX_STAGES 3         /* a fix that reveals the next problem, at most thrice */
#define FO_REM_MAX_PROBES 12        /* proof probes per backend */
#define FO_REM_MAX_AIA_FETCHES 4    /* AIA URLs fetched per backend */
#define FO_REM_MAX_CANDIDATES 8     /* candidates per stage */
#define FO_REM_MAX_TIMEOUT_MS 10000 /* the highest connect_timeout fixorigin proposes */

/* ---- fields.c: backend fields as text ---- */

/* The name of the i-th field of fo_backend, NULL past the last: every field, for
 * comparisons that must miss none. */
const char *fo_rem_field_at(size_t i);
/* A deep copy of src (every field, ssl_client_key included: wiped when freed). */
int fo_rem_backend_copy(fo_backend **out, const fo_backend *src) FO_WARN_UNUSED;
/* Sets a field from its text spelling (NULL clears). FO_EINVAL for an unknown field or a
 * number or boolean that does not parse, FO_ENOMEM. */
int fo_rem_backend_set(fo_backend *b, const char *field, const char *value) FO_WARN_UNUSED;
/* Sets every change of fix on b (its `to`). */
int fo_rem_backend_apply(fo_backend *b, const fo_fix *fix) FO_WARN_UNUSED;
/* The probe target for a backend's settings; strings are borrowed from b. FO_EINVAL (with
 * a message naming the field) when b cannot be probed: no address, a bad TLS version. */
int fo_rem_target(fo_probe_target *out, const fo_backend *b, fo_error *err) FO_WARN_UNUSED;

/* Appends a change of field (from -> to, copied) to fix. FO_ENOMEM. */
int fo_rem_fix_add(fo_fix *fix, const char *field, const char *from, const char *to) FO_WARN_UNUSED;
/* Merges a later stage's fix into an earlier one: a field changed twice keeps its first
 * `from` and its last `to`; safety, consent and words add up. FO_ENOMEM. */
int fo_rem_fix_merge(fo_fix *into, const fo_fix *later) FO_WARN_UNUSED;
/* The certificates of PEM text as summaries (none when it holds no readable one). */
int fo_rem_pem_summaries(fo_ca_summary **out, size_t *count, const char *pem) FO_WARN_UNUSED;
void fo_rem_summaries_free(fo_ca_summary *list, size_t count);

/* A new string built like printf; NULL when out of memory. */
char *fo_rem_strdupf(const char *fmt, ...) FO_PRINTF(1, 2);
/* Appends ", "-separated (or sep-separated) text to *s, which may be NULL. FO_ENOMEM. */
int fo_rem_join(char **s, const char *sep, const char *text) FO_WARN_UNUSED;

/* ---- steps.c: the step records apply and plan emit ---- */

typedef struct fo_rem_steps {
    fo_step_record *items;
    size_t count;
    fo_remediate_event_fn event;
    void *event_ctx;
} fo_rem_steps;

/* Emits "started". */
void fo_rem_step_start(fo_rem_steps *steps, fo_step step, const char *backend);
/* Records and emits "finished" (message built like printf). diff is copied (may be NULL).
 * Returns ok, so a caller can `if (!fo_rem_step_done(...)) goto out;`. */
bool fo_rem_step_done(fo_rem_steps *steps, fo_step step, const char *backend, bool ok,
                      const char *diff, const char *fmt, ...) FO_PRINTF(6, 7);
void fo_rem_step_records_free(fo_step_record *items, size_t count);

#endif
