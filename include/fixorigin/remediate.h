/* fixorigin/remediate.h: the remediation's whole interface. It plans the smallest backend
 * change that lets Fastly reach an origin over TLS, proves it by probing again with the
 * changed settings, and applies it: clone, comment, update, read back, diff, validate,
 * re-check, activate, verify, roll back.
 *
 * Three layers, each usable alone:
 * - pure planning: fo_remediate_candidates turns (backend, diagnosis, service domains,
 *   consent options, gathered evidence) into ordered candidate fixes with their safety.
 *   No I/O; unit-tested without sockets.
 * - fo_remediate_plan: one details read, then per backend (concurrently) probe, gather
 *   (AIA fetches, extra probes), prove (the first candidate whose probe passes wins; a
 *   change that does not pass is never offered). Writes nothing.
 * - fo_remediate_apply: writes a plan's allowed fixes through the API client.
 *
 * Plain structs, no printing, no global state: callers print, through return values and
 * the event callback. Nothing here ever holds or shows ssl_client_key beyond the backend
 * copies (wiped when freed). */
#ifndef FO_REMEDIATE_H
#define FO_REMEDIATE_H

#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/api.h"
#include "fixorigin/fo.h"
#include "fixorigin/probe.h"

/* ---- Changes ---------------------------------------------------------------------- */

/* The kind of a backend field the planner knows (fo_field_kind and the table of fields are
 * fixorigin/api.h's); FO_FIELD_TEXT for one it does not. */
fo_field_kind fo_remediate_field_kind(const char *field);

/* A backend field as text, spelt as fo_change values are: numbers in decimal, booleans
 * "true"/"false", strings as stored. Returns 0 with *out a new string, or NULL when the field
 * is unset (or unknown); FO_ENOMEM. */
int fo_remediate_field_text(char **out, const fo_backend *backend,
                            const char *field) FO_WARN_UNUSED;

/* One field's change. Values are spelt as the API takes them (see above); NULL is unset,
 * and a NULL `to` clears the field. */
typedef struct fo_change {
    const char *field; /* static: "ssl_cert_hostname" */
    fo_field_kind kind;
    char *from;
    char *to;
    /* PEM fields: each certificate of from and to (subject, SHA-256), for display. */
    fo_ca_summary *from_certs;
    size_t from_cert_count;
    fo_ca_summary *to_certs;
    size_t to_cert_count;
} fo_change;

typedef enum fo_safety {
    FO_SAFETY_SAFE,      /* written with --apply alone */
    FO_SAFETY_CONSENT,   /* trusts what only the user can vouch for: needs a flag */
    FO_SAFETY_DOWNGRADE, /* weakens the connection (TLS below 1.2, or no TLS) */
} fo_safety;

/* "safe", "consent", "downgrade". */
const char *fo_safety_name(fo_safety safety);

/* A fix for one backend: changes made together. */
typedef struct fo_fix {
    fo_change *changes;
    size_t change_count;
    fo_safety safety;
    bool allowed;  /* safe, or the flag that consents to it was given */
    char *consent; /* when not safe: the flag(s) that allow it ("--trust-presented-ca") */
    char *summary; /* the change in words: "set ssl_cert_hostname to other.origin.test" */
    char *reason;  /* why this change, and why it is or is not safe */
    char *note;    /* what should change outside the service too, or NULL */
} fo_fix;

void fo_fix_clear(fo_fix *fix);

/* The field diff of a fix, one line each: `- ssl_cert_hostname: "www.origin.test"` then
 * `+ ssl_cert_hostname: "other.origin.test"`; numbers and booleans bare, unset as (unset),
 * PEM as each certificate's subject and SHA-256, control characters as '?'. A new string
 * (lines end with '\n'), or NULL when out of memory. */
char *fo_remediate_fix_diff(const fo_fix *fix);

/* ---- Pure planning ------------------------------------------------------------------ */

/* The user's consent, given by flags. Strings are borrowed. */
typedef struct fo_remediate_options {
    bool trust_presented_ca;                  /* --trust-presented-ca */
    const char *trust_presented_sha256;       /* --trust-presented-ca=SHA256: only that one
                                                 (fo_sha256_parse's form), or NULL */
    const char *ca_file_pem;                  /* --ca-file's PEM text, or NULL */
    const char *const *accept_cert_hostnames; /* --accept-cert-hostname NAME, repeatable */
    size_t accept_count;
    bool allow_downgrade;       /* --allow-downgrade */
    bool allow_dynamic_snippet; /* --allow-dynamic-snippet: edit a dynamic snippet, which
                                   has no version to roll back to (never scan or serve) */
} fo_remediate_options;

/* Evidence gathered for one backend after the first planning asked for it. Borrowed. */
typedef struct fo_gathered {
    const fo_cert_facts *issuers; /* certificates fetched from AIA URLs, in fetch order */
    size_t issuer_count;
    const char *const *tried_urls; /* AIA URLs fetched (or failed): never asked for again */
    size_t tried_url_count;
    const fo_diagnosis *port80;          /* the address probed on port 80 without TLS */
    const fo_diagnosis *without_ciphers; /* probed again with ssl_ciphers unset */
} fo_gathered;

/* What fo_remediate_candidates may ask the caller to gather. */
enum {
    FO_NEED_AIA = 1,             /* fetch aia_urls */
    FO_NEED_PORT80 = 2,          /* probe the address on port 80 without TLS */
    FO_NEED_WITHOUT_CIPHERS = 4, /* probe again with ssl_ciphers unset */
};

typedef struct fo_candidates_input {
    const fo_backend *backend;     /* the settings probed */
    const fo_diagnosis *diagnosis; /* the probe with those settings (class not ok) */
    const char *const *domains;    /* the service's domains */
    size_t domain_count;
    const fo_remediate_options *options; /* NULL: no consent given */
    const fo_gathered *gathered;         /* NULL: nothing gathered yet */
} fo_candidates_input;

typedef struct fo_candidates {
    fo_fix *fixes; /* to prove in this order: allowed ones first */
    size_t count;
    unsigned needs;  /* FO_NEED_*: gathering that may add candidates */
    char **aia_urls; /* FO_NEED_AIA: URLs not yet tried */
    size_t aia_url_count;
    char *advice; /* what a person must do when no candidate passes; never NULL on success */
} fo_candidates;

/* The candidate fixes for one broken backend, by the class table of README.md ("fixorigin
 * --service ID"). Pure: no I/O, no clock. Returns 0 and fills out (clear it with
 * fo_candidates_clear), FO_EINVAL (no diagnosis or backend), FO_ENOMEM. */
int fo_remediate_candidates(fo_candidates *out, const fo_candidates_input *in,
                            fo_error *err) FO_WARN_UNUSED;
void fo_candidates_clear(fo_candidates *c);

/* Whether the certificate covers name, as OpenSSL's client check does
 * (fo_probe_cert_covers): its DNS subjectAltNames (a leftmost "*" label matches exactly
 * one label), IP subjectAltNames for an IP address, and the subject CN when there is no
 * DNS subjectAltName; any case; a trailing dot ignored. On top, fixorigin's rule: a
 * wildcard over a public suffix ("*.co.uk") covers nothing. Facts without a PEM (built by
 * hand) cover nothing: every certificate the probe reads carries one. */
bool fo_remediate_cert_covers(const fo_cert_facts *cert, const char *name);

/* The registrable domain of a DNS name by the public suffix list (libpsl's built-in list):
 * "www.example.co.uk" -> "example.co.uk". Writes "" for an IP address, a public suffix or
 * a bad name. */
void fo_remediate_registrable_domain(char *out, size_t out_size, const char *name);

/* ---- The plan ------------------------------------------------------------------------ */

typedef enum fo_backend_status {
    FO_BACKEND_OK,      /* Fastly reaches it: nothing to do */
    FO_BACKEND_FIX,     /* a proven, allowed fix: --apply writes it */
    FO_BACKEND_BLOCKED, /* a proven fix that needs a flag not given */
    FO_BACKEND_HUMAN,   /* no proven fix: the origin, DNS or a person must act */
    FO_BACKEND_ERROR,   /* it could not be probed (error says why) */
} fo_backend_status;

/* "ok", "fix", "blocked", "needs_human", "error". */
const char *fo_backend_status_name(fo_backend_status status);

/* A candidate proven not to work. */
typedef struct fo_attempt {
    char *summary;
    fo_class class; /* what the probe said with it */
    char *detail;
} fo_attempt;

/* Where the service defines an origin. */
typedef enum fo_origin_kind {
    FO_ORIGIN_BACKEND,         /* an API backend object */
    FO_ORIGIN_VCL,             /* a `backend NAME { ... }` declaration in a custom VCL file */
    FO_ORIGIN_SNIPPET,         /* ... in a versioned snippet */
    FO_ORIGIN_DYNAMIC_SNIPPET, /* ... in a dynamic snippet: versionless, no rollback */
    FO_ORIGIN_POOL,            /* a server of a load-balancer pool, with the pool's TLS */
} fo_origin_kind;

typedef struct fo_origin {
    fo_origin_kind kind;
    char *source;       /* "backend", "vcl:<file>", "snippet:<name>", "dynamic_snippet:<name>",
                           "pool:<name>/<server>"; NULL means "backend" */
    char *container;    /* the VCL file, snippet or pool name; NULL for an API backend */
    char *container_id; /* a dynamic snippet's or a pool's id, else NULL */
    char *content;      /* VCL kinds: the file or snippet text as read */
    char *edited;       /* VCL kinds with a fix: content with this declaration's fix made */
    char *text_diff;    /* VCL kinds with a fix: a unified diff of content -> edited */
} fo_origin;

/* "backend" for an API backend (source NULL), else origin->source. */
const char *fo_origin_source(const fo_origin *origin);

/* Origins a version defines outside its API backends, for callers that only show them. */
typedef struct fo_origin_entry {
    fo_origin origin;
    fo_backend *backend; /* the settings as declared (name only when not understood) */
    char *problem;       /* a declaration fixorigin does not understand: why; else NULL */
} fo_origin_entry;

typedef struct fo_origin_list {
    fo_origin_entry *items;
    size_t count;
    char **notes; /* what cannot be checked: a Compute service's dynamic backends, broken VCL */
    size_t note_count;
} fo_origin_list;

/* Reads the custom VCL, snippets and pools of version config of a service (type "vcl",
 * "wasm" or NULL) and lists the origins they define. Reads only. Returns 0 and a list the
 * caller frees, or the API's codes, FO_ENOMEM. */
int fo_remediate_origins(fo_origin_list **out, fo_api *api, const char *service_id,
                         const char *service_type, const fo_version_config *config,
                         fo_error *err) FO_WARN_UNUSED;
void fo_origin_list_free(fo_origin_list *list);

typedef struct fo_backend_plan {
    fo_origin origin;        /* where it is defined (zero: an API backend) */
    fo_backend *backend;     /* as the active version holds it */
    fo_diagnosis *diagnosis; /* the probe with its own settings; NULL on error */
    fo_backend_status status;
    fo_fix fix;           /* FIX, BLOCKED: every change, stages merged */
    fo_diagnosis *proof;  /* FIX, BLOCKED: the probe with the fix applied (class ok) */
    fo_attempt *attempts; /* candidates that did not pass, in order */
    size_t attempt_count;
    char *evidence; /* the diagnosis in one line */
    char *advice;   /* BLOCKED, HUMAN, ERROR: what must be done, by whom */
    fo_error error; /* ERROR */
} fo_backend_plan;

/* A draft an earlier run left: a version newer than the active one, unlocked, whose
 * comment starts with "fixorigin:". Never activated; a fresh draft is cloned instead. */
typedef struct fo_leftover {
    long number;
    char *comment;
} fo_leftover;

typedef struct fo_plan {
    char *service_id;
    char *service_name;
    long active_version;  /* 0: no version is active (nothing is planned then) */
    fo_version *versions; /* as the details read listed them (the clone's stale list) */
    size_t version_count;
    fo_leftover *leftovers;
    size_t leftover_count;
    char **domains;
    size_t domain_count;
    fo_backend_plan *backends; /* in the version's order; only those asked for */
    size_t backend_count;
    fo_ip_list *public_ips; /* read when a backend is refused: the ranges to allow */
    /* The active version as the plan read it, whole: what apply compares the draft with.
     * NULL when no backend has a fix to apply. */
    fo_version_config *planned_from;
    char *service_type; /* "vcl", "wasm" (Compute), or NULL when not said */
    char **notes;       /* what discovery saw but could not plan: a Compute service's
                           dynamic backends, VCL it could not read */
    size_t note_count;
    /* Why Terraform probably manages the service (its comment, or the user's --terraform),
     * or NULL: then a fix made through the API is undone by the next `terraform apply`. */
    char *terraform;
    char plan_id[65]; /* hex SHA-256 of service, active version and allowed changes */
} fo_plan;

/* Events as the work goes on: a step starts, then finishes with its record. */
typedef enum fo_step {
    FO_STEP_DETAILS,  /* read the active version (plan) */
    FO_STEP_PROBE,    /* probe, gather and prove one backend */
    FO_STEP_REREAD,   /* re-read the active version before cloning (stale plan) */
    FO_STEP_CLONE,    /* clone the active version into a draft */
    FO_STEP_COMMENT,  /* name the draft */
    FO_STEP_UPDATE,   /* update one backend */
    FO_STEP_READBACK, /* the update's answer against the plan */
    FO_STEP_COMPARE,  /* the draft read back as data differs only by the planned fields */
    FO_STEP_DIFF,     /* Fastly's own diff active -> draft, shown as evidence */
    FO_STEP_VALIDATE, /* the draft compiles */
    FO_STEP_RECHECK,  /* the active version is still the one planned against */
    FO_STEP_ACTIVATE,
    FO_STEP_VERIFY,   /* read the active version back and probe its fixed backends */
    FO_STEP_ROLLBACK, /* re-activate the previous version */
    FO_STEP_TICKET,   /* after the clone: no earlier writer's draft is ahead of ours */
    FO_STEP_RELEASE,  /* a draft that will not be activated is marked so in its comment */
} fo_step;

/* "details", "probe", "reread", "clone", "comment", "update", "read-back", "compare", "diff",
 * "validate", "recheck", "activate", "verify", "rollback", "ticket", "release". */
const char *fo_step_name(fo_step step);

typedef struct fo_step_record {
    fo_step step;
    char *backend; /* the backend it concerns, or NULL */
    bool ok;
    char *message; /* what it did, or why it failed */
    char *diff;    /* the diff it saw (field lines, or Fastly's changed lines), or NULL */
} fo_step_record;

typedef struct fo_event {
    fo_step step;
    bool finished;                /* false: started; true: record is set */
    const char *backend;          /* or NULL */
    const fo_step_record *record; /* finished only */
} fo_event;

/* Called on the caller's thread, one event at a time. */
typedef void (*fo_remediate_event_fn)(void *ctx, const fo_event *event);

typedef struct fo_plan_options {
    fo_remediate_options consent;
    const char *const *backends; /* --backend NAME filters; none: every backend */
    size_t backend_count;
    int concurrency;        /* backends worked on at once; 0: 8 */
    long fetch_timeout_ms;  /* one AIA fetch; 0: 5000 */
    size_t fetch_max_bytes; /* one AIA fetch; 0: 64 KiB */
    fo_remediate_event_fn event;
    void *event_ctx;
    /* A fleet is read and probed in one pool first (scan), then each service planned:
     * details is the service's details already read (not read again; the plan takes it
     * over and frees it, whatever it returns), and
     * diagnosed, called for each backend to plan, returns 1 with the diagnosis made
     * beforehand in *out (the plan owns it), a negative code with err when that probe could
     * not run, or 0 to probe here. */
    fo_service *details;
    int (*diagnosed)(void *ctx, const fo_backend *backend, fo_diagnosis **out, fo_error *err);
    void *diagnosed_ctx;
    bool terraform; /* the user says Terraform manages the service (--terraform) */
} fo_plan_options;

/* The probe target for a backend's settings, as fo_remediate_plan probes it (strings borrowed
 * from b). Returns 0, or FO_EINVAL naming the field when b cannot be probed. */
int fo_remediate_target(fo_probe_target *out, const fo_backend *b, fo_error *err) FO_WARN_UNUSED;

/* Reads the active version (one details request; another, /public-ip-list, only when a
 * backend's connection is refused) and works out every asked-for backend: probe with its own
 * settings, plan, gather, prove. Talks to the API, the origins and AIA URLs; writes nothing.
 * Returns 0 and a plan the caller frees (a broken origin is a plan, not an error), or
 * FO_EINVAL (a --backend the version does not have; bad --ca-file text), FO_ENOMEM, or
 * the API's code when the details read fails. */
int fo_remediate_plan(fo_plan **out, fo_api *api, fo_prober *prober, const char *service_id,
                      const fo_plan_options *opts, fo_error *err) FO_WARN_UNUSED;
void fo_plan_free(fo_plan *plan);

/* Whether a service or version comment carries terraform-provider-fastly's default
 * service comment, "Managed by Terraform" (any case, anywhere in it). Pure. */
bool fo_remediate_terraform_comment(const char *comment);

/* The plan's fixes as the HCL to write instead: for each backend with a fix, a `backend`
 * block of the service's fastly_service_vcl / fastly_service_compute resource with its name
 * and the changed attributes as terraform-provider-fastly spells them (PEM as a heredoc;
 * secrets never printed); origins declared in VCL get their text diff as comments. Pure.
 * A new string, or NULL when out of memory. */
char *fo_remediate_terraform_hcl(const fo_plan *plan);

/* The plan's identity: hex SHA-256 over the service id, the active version and every
 * allowed change (backend, field, new value). Pure; fo_remediate_plan fills plan_id. */
void fo_remediate_plan_id(char out[65], const fo_plan *plan);

/* The diagnosis in one line: where, how far it got, what the certificate says. Pure. */
char *fo_remediate_evidence(const fo_diagnosis *d);

/* ---- Apply ---------------------------------------------------------------------------- */

typedef enum fo_activate_mode {
    FO_ACTIVATE_AUTO, /* activate, verify, roll back when verification fails */
    FO_ACTIVATE_NONE, /* stop at a validated draft */
} fo_activate_mode;

/* Parses --activate's value, "auto" or "none"; false for anything else. */
bool fo_activate_mode_parse(const char *s, fo_activate_mode *out);

/* One writer per service, across machines, with nothing but Fastly's version list: a clone
 * is a ticket. Fastly numbers versions one at a time, so after cloning a run lists the
 * versions, and an unlocked draft numbered between the planned active version and its own,
 * made less than the lease before its own (by Fastly's created_at: one clock), is an earlier
 * writer's ticket: the run stands down (conflict, exit 4) and marks its draft released. The
 * lowest ticket proceeds, and activates within half the lease of cloning or stands down too,
 * so a ticket older than the lease is one nobody will activate any more: a killed run's draft
 * stops blocking others once its lease ends. docs/reliability.md has the argument. */
#define FO_TICKET_LEASE_S 900
/* Version comments: a run's draft "fixorigin: <fixes> (run ID, N -> D[, by WHO])", N the
 * version it was cloned from and D the draft itself; one that no fixorigin run will activate
 * starts with "released" or "for review", and one a run activated and then verified is
 * marked "verified" afterwards (when Fastly lets a locked version's comment change: see
 * fo_remediate_check_active). */
#define FO_COMMENT_PREFIX "fixorigin: "
#define FO_COMMENT_RELEASED "fixorigin: released"
#define FO_COMMENT_REVIEW "fixorigin: for review"
#define FO_COMMENT_VERIFIED "fixorigin: verified"

struct fo_apply_result;

/* What a run tells its journal (the intent record in the state directory, cmd/intent.c). */
typedef enum fo_journal_phase {
    FO_JOURNAL_CLONING,    /* the clone is about to go out (result->highest_before) */
    FO_JOURNAL_DRAFT,      /* a draft was cloned (result->draft, result->run_id) */
    FO_JOURNAL_ACTIVATING, /* the activate request is about to go out */
    FO_JOURNAL_SETTLED,    /* nothing this run did can still change what is active */
} fo_journal_phase;

/* Records phase; a failure (err set) before activating stops the run: a run that cannot
 * record its intent does not activate. */
typedef int (*fo_apply_journal_fn)(void *ctx, fo_journal_phase phase, const struct fo_plan *plan,
                                   const struct fo_apply_result *result, fo_error *err);
/* Whether the run should stop (a signal): asked between the steps before activating only,
 * since from the activation on the run must finish verifying or rolling back. */
typedef bool (*fo_apply_stop_fn)(void *ctx);

typedef struct fo_apply_options {
    fo_activate_mode activate;
    bool reread_first;        /* re-read the active version before cloning: the plan is not fresh
                                 (a person took time to confirm it) */
    const char *run_id;       /* in the version comment; NULL: a random one */
    const char *requested_by; /* who asked (a chat user id), in the comment; NULL: none */
    fo_remediate_event_fn event;
    void *event_ctx;
    fo_apply_journal_fn journal; /* NULL: no record kept */
    void *journal_ctx;
    fo_apply_stop_fn stop; /* NULL: never asked to stop */
    void *stop_ctx;
    const long *dead_drafts; /* drafts whose runs are known to be over (this machine's
                                records, with the service's lock held): no tickets */
    size_t dead_draft_count;
    long ticket_lease_s; /* 0: FO_TICKET_LEASE_S */
    /* A draft an earlier run here may have left while it was killed cloning (its clone
     * answer never came): no ticket while it still carries orphan_comment (the comment of the
     * version it was cloned from: never commented) or orphan_run_id's marker. A live run's
     * draft taken for it is commented by then, and counts. 0: none. */
    long orphan_draft;
    const char *orphan_comment;
    const char *orphan_run_id;
} fo_apply_options;

/* Whether a version comment carries run_id's marker, "(run ID, N -> D)" as fixorigin's runs
 * write it: how a run's draft is known by its id alone (a run killed while cloning). */
bool fo_remediate_comment_names_run(const char *comment, const char *run_id);

typedef enum fo_apply_outcome {
    FO_APPLY_NOTHING,     /* no allowed fix: nothing written */
    FO_APPLY_VERIFIED,    /* activated and verified */
    FO_APPLY_DRAFT,       /* --activate=none: a validated draft waits */
    FO_APPLY_FAILED,      /* stopped before activating: the active version is unchanged */
    FO_APPLY_CONFLICT,    /* the service changed under us: nothing activated; retry */
    FO_APPLY_ROLLED_BACK, /* activated, failed verification, the previous version is back */
    FO_APPLY_UNKNOWN,     /* whether activation or rollback happened is unknown */
} fo_apply_outcome;

/* "nothing", "verified", "draft", "failed", "conflict", "rolled_back", "unknown". */
const char *fo_apply_outcome_name(fo_apply_outcome outcome);

typedef struct fo_apply_result {
    fo_apply_outcome outcome;
    long active_before;      /* the version the plan was made against */
    long draft;              /* the draft created, 0 when none */
    long active_after;       /* the version active at the end as last seen; 0 when unknown */
    bool activation_pending; /* the activate request got no clear answer and the draft was not
                                active when read back: it may still take effect */
    bool record_open;        /* the journal keeps this run's record: a later run must look */
    bool interrupted;        /* stopped by the stop callback before activating */
    long ticket_ahead;       /* the earlier writer's draft this run stood down for, or 0 */
    long highest_before;     /* the highest version number before the clone */
    fo_step_record *steps;
    size_t step_count;
    fo_diagnosis **verified; /* per plan backend: the probe after activation, or NULL */
    size_t verified_count;
    char run_id[17];
    fo_error error; /* when not NOTHING/VERIFIED/DRAFT: the failure that decided it */
} fo_apply_result;

/* Applies plan's allowed fixes (status FIX) in one new version: (re-read) -> clone the
 * planned active version -> comment "fixorigin: <backend>: <what> (run <id>)" -> update each
 * backend -> read each back against the plan -> Fastly's diff shows nothing else -> validate
 * -> re-read the active version -> activate -> read it back and probe the fixed backends ->
 * roll back when a fix does not hold. Never activates a version it did not verify the way up;
 * never retries a write blindly (the client reads back instead). Returns 0 and a result the
 * caller frees whatever the outcome, or FO_EINVAL (no plan), FO_ENOMEM. */
int fo_remediate_apply(fo_apply_result **out, fo_api *api, fo_prober *prober, const fo_plan *plan,
                       const fo_apply_options *opts, fo_error *err) FO_WARN_UNUSED;
void fo_apply_result_free(fo_apply_result *result);

/* What a run's record says it left (cmd/intent.c keeps records in the state directory). */
typedef struct fo_earlier_run {
    const char *run_id;
    long draft;
    long active_before;
    bool activating;          /* the activate request may have gone out */
    const char *const *fixed; /* the backends the draft fixes */
    size_t fixed_count;
} fo_earlier_run;

typedef enum fo_recovery_outcome {
    FO_RECOVER_DRAFT_ONLY,    /* it never asked to activate: its draft is named, nothing to do */
    FO_RECOVER_VERIFIED,      /* its draft is active and the fixed backends pass now */
    FO_RECOVER_ROLLED_BACK,   /* its draft was active and failed: the version before is back */
    FO_RECOVER_NOT_ACTIVATED, /* the version before is still active */
    FO_RECOVER_OTHER,         /* another version is active: someone else's, left alone */
    FO_RECOVER_UNKNOWN,       /* the service could not be read, or the rollback failed */
    FO_RECOVER_LEFT,          /* it may be unverified, but what it replaced is not known: left */
} fo_recovery_outcome;

typedef struct fo_recovery {
    fo_recovery_outcome outcome;
    long active;  /* the active version as read, 0 when unknown */
    bool settled; /* the record can be cleared */
    char message[600];
} fo_recovery;

/* Finishes what an earlier run left, the caller holding the service's lock: reads the active
 * version; when it is the earlier run's draft, probes its fixed backends and rolls back to
 * the version before when one fails (reading the active version again first, so another
 * writer's version is never replaced). Never activates the draft. 0 with *out filled, or
 * FO_EINVAL. */
int fo_remediate_recover(fo_recovery *out, fo_api *api, fo_prober *prober, const char *service_id,
                         const fo_earlier_run *run, fo_error *err) FO_WARN_UNUSED;

/* The same without a record, for a run on another machine: when the active version as plan
 * read it carries a fixorigin run's marker for itself ("(run ID, N -> D" with D the active
 * version) and no FO_COMMENT_VERIFIED mark, that run activated it and may have been killed
 * before verifying. Reads the service again (and version N), and when N is what it replaced
 * (no version numbered above D was activated since), probes the API backends that differ
 * from N's and rolls back to N when one fails, reading the active version again right before.
 * Writes nothing else; never activates anything but N. 0 with out->message empty when there
 * is nothing to look at, or filled as fo_remediate_recover does (FO_RECOVER_LEFT when what it
 * replaced cannot be told); FO_EINVAL, FO_ENOMEM. */
int fo_remediate_check_active(fo_recovery *out, fo_api *api, fo_prober *prober, const fo_plan *plan,
                              fo_error *err) FO_WARN_UNUSED;

/* Checks an updated backend as read back: every changed field holds its new value, every
 * other field its old one (PEM compared by certificate, ssl_client_key without showing it).
 * Pure. Returns true, or false with the first difference in why. */
bool fo_remediate_readback_matches(const fo_backend *before, const fo_backend *after,
                                   const fo_fix *fix, char *why, size_t why_size);

/* A difference a plan allows between a draft and the version it was cloned from: the field
 * `field` of the item of `section` whose identity (its name) is `item`. Borrowed strings. */
typedef struct fo_planned_field {
    const char *section; /* "backends" */
    const char *item;    /* "origin" */
    const char *field;   /* "ssl_cert_hostname" */
} fo_planned_field;

/* Compares a draft as read back (service details of the draft) with the version it was
 * cloned from, as data: every section details returns (backends, domains, VCLs, snippets,
 * conditions, headers, settings, the version's own fields, and any section Fastly adds),
 * items paired by their identity (remediate/structure.c's table), every field equal except
 * the planned ones and those that differ between any version and its clone (item version
 * numbers, timestamps, the version's number, flags and comment). Values compare tolerantly:
 * null == "", 1 == "1", true == "1". The planned fields' new values are not checked here.
 * Pure. Returns true, or false with the first unplanned difference in why, naming section,
 * item and field ("backends 'api' port is \"80\", was \"443\"", "domains 'x' is gone",
 * "vcls 'main' content changed"); certificates, VCL and keys are never printed. */
bool fo_remediate_config_matches(const fo_version_config *before, const fo_version_config *draft,
                                 const fo_planned_field *planned, size_t planned_count, char *why,
                                 size_t why_size);

/* The check apply makes after its updates: fo_remediate_config_matches of plan->planned_from
 * and the draft with the plan's backend changes allowed, then each fixed backend of the draft
 * against its plan (fo_remediate_readback_matches: PEM by certificate, the key unseen). Pure.
 * Returns true, or false with the first problem in why. */
bool fo_remediate_draft_matches(const fo_plan *plan, const fo_version_config *draft, char *why,
                                size_t why_size);

/* Fastly's text diff of the active version against the draft, read for a person to see and
 * trusted for nothing (the draft check, fo_remediate_draft_matches, decides). */
typedef struct fo_diff_view {
    /* The changed lines grouped by section and item ("  backends 'origin':"), certificate
     * text folded to a line count, key text never shown, lines cut at 300 characters, control
     * characters as '?'; lines that belong nowhere as they are. When the text was not
     * understood: its first 40 lines as they came (key text still hidden). NULL: nothing. */
    char *shown;
    /* Where the changes are: "backends 'origin' ssl_cert_hostname, comment" (at most 12,
     * then "and N more"); NULL when no line changed or the text was not understood. */
    char *places;
    size_t changed_lines; /* '-' and '+' lines */
    size_t unattributed;  /* of those, shown as they are: no section could be told */
    bool understood;      /* false: not a line-marked YAML dump fixorigin can read at all */
} fo_diff_view;

/* Reads Fastly's diff text tolerantly: a list item is named by its `name:` wherever that key
 * sits in the item; keys and values plain, 'single' or "double" quoted, empty (null) or
 * blocks; sections at any indentation. Never fails on content. Pure. Returns 0 and fills out
 * (clear it with fo_diff_view_clear), or FO_ENOMEM. */
int fo_remediate_diff_read(fo_diff_view *out, const char *diff_text) FO_WARN_UNUSED;
void fo_diff_view_clear(fo_diff_view *view);

/* ---- Results ------------------------------------------------------------------------------- */

/* A run's result, in its own numbers (0..5, an index for counting them). The exit code a
 * result gives is the front end's business (fixorigin's table: cmd/exit.c; the libraries that
 * print one are given it as an fo_exit_code_fn, fixorigin/report.h). */
typedef enum fo_result {
    FO_RESULT_OK = 0,          /* nothing to fix, or applied and verified */
    FO_RESULT_ERROR = 1,       /* could not run, or stopped: nothing activated */
    FO_RESULT_PLANNED = 2,     /* fixes planned (plan mode) */
    FO_RESULT_ROLLED_BACK = 3, /* activated, failed verification, rolled back */
    FO_RESULT_CONFLICT = 4,    /* the service changed under us, or a draft is in the way */
    FO_RESULT_NEEDS_HUMAN = 5, /* problems found that need a person */
} fo_result;

/* "ok", "error", "fixes_planned", "rolled_back", "conflict", "needs_human". */
const char *fo_result_name(fo_result result);
/* The more severe of a and b, in the order error > rolled_back > needs_human > conflict >
 * fixes_planned > ok (exit codes 1 > 3 > 5 > 4 > 2 > 0): how several backends, and several
 * services, add up. */
fo_result fo_remediate_result_worse(fo_result a, fo_result b);
/* A run's result: the plan alone (applied NULL: plan mode), or after apply. */
fo_result fo_remediate_result(const fo_plan *plan, const fo_apply_result *applied);

#endif
