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

/* Replaces control characters (below space, DEL) in s with '?': text from the API or an
 * origin on its way to a terminal. */
void fo_rem_clean(char *s);
/* A new string built like printf; NULL when out of memory. */
char *fo_rem_strdupf(const char *fmt, ...) FO_PRINTF(1, 2);
/* Appends ", "-separated (or sep-separated) text to *s, which may be NULL. FO_ENOMEM. */
int fo_rem_join(char **s, const char *sep, const char *text) FO_WARN_UNUSED;

/* ---- terraform.c ---- */

/* Sets plan->terraform when told (--terraform) or when the service's or its active
 * version's comment says Terraform manages it. FO_ENOMEM. */
int fo_rem_terraform_detect(fo_plan *plan, const fo_service *svc, bool told) FO_WARN_UNUSED;

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

/* ---- origins.c: origins defined in VCL, snippets and pools ---- */

void fo_rem_origin_clear(fo_origin *o);
/* Adds to plan every origin of the service's active version (svc: a details read) that is
 * not an API backend: declarations in custom VCL files and snippets (dynamic ones read at
 * their own path), the servers of its pools; and notes what cannot be checked (a Compute
 * service's dynamic backends, VCL that cannot be read). Reads only. opts filters by name
 * (NULL: all). The API's codes, FO_ENOMEM. */
int fo_rem_origins_discover(fo_plan *plan, fo_api *api, const fo_service *svc,
                            const fo_plan_options *opts, fo_error *err) FO_WARN_UNUSED;
/* The same for one version (config) of a service of type (NULL: unknown). */
int fo_rem_origins_discover_in(fo_plan *plan, fo_api *api, const char *type,
                               const fo_version_config *config, const fo_plan_options *opts,
                               fo_error *err) FO_WARN_UNUSED;
/* After proving: works out each VCL-declared fix as an edit of its declaration (the text and
 * a unified diff), keeps a pool's fix only when every server of the pool wants it or still
 * passes with it (probed again with prober), holds a
 * dynamic snippet's fix back unless consent allows it. A fix that cannot be written where
 * its origin is defined becomes advice. FO_ENOMEM. */
int fo_rem_origins_settle(fo_plan *plan, const fo_remediate_options *consent,
                          fo_prober *prober) FO_WARN_UNUSED;
/* content with backend's declaration edited by fix. FO_EINVAL (a field no property holds,
 * a declaration the editor refuses), FO_ENOMEM. */
int fo_rem_vcl_edit_fix(char **out, const char *content, const char *backend, const fo_fix *fix,
                        fo_error *err) FO_WARN_UNUSED;
/* A unified diff (---/+++/@@) of two texts differing in one region; NULL when out of
 * memory, "" when they are equal. */
char *fo_rem_unified_diff(const char *label, const char *from, const char *to);
/* The pool field a backend field maps to ("ssl_cert_hostname" -> "tls_cert_hostname"), or
 * NULL. */
const char *fo_rem_pool_field(const char *backend_field);
/* Writes the plan's fixes of VCL files, versioned snippets and pools into draft, reads each
 * back, and checks the written VCL: the planned text, changed only inside the fixed
 * declarations. Records steps. On failure returns the code with err filled, *failed the
 * step and *who (borrowed from plan) what it concerns. */
int fo_rem_origins_write(fo_rem_steps *steps, fo_api *api, const fo_plan *plan, long draft,
                         fo_step *failed, const char **who, fo_error *err) FO_WARN_UNUSED;
/* Per plan backend (plan->backend_count entries): the origin as version now holds it, for
 * the fixed origins not defined as API backends (NULL elsewhere, or when gone). The caller
 * frees with fo_rem_origins_live_free. svc: a details read of the service. */
int fo_rem_origins_live(fo_backend ***out, fo_api *api, const fo_plan *plan, const fo_service *svc,
                        fo_error *err) FO_WARN_UNUSED;
void fo_rem_origins_live_free(fo_backend **live, size_t count);

/* Applies the plan's allowed fixes of dynamic snippets (versionless, so only with consent):
 * each is read again and left alone when another writer changed it, written, read back, its
 * fixed backends probed; when one fails its old text is written back (there is no version to
 * roll back to). dry: nothing is written (--activate=none). Raises result->outcome to what
 * happened (VERIFIED, CONFLICT, ROLLED_BACK, FAILED, UNKNOWN) and fills result->verified. */
void fo_rem_dynamic_apply(fo_rem_steps *steps, fo_api *api, fo_prober *prober, const fo_plan *plan,
                          bool dry, fo_apply_result *result);

#endif
