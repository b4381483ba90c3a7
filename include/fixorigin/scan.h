/* fixorigin/scan.h: `fixorigin scan` over many services: the services a run takes
 * (scan_select.c), per-service locks in the state directory (scan_lock.c, which serve uses
 * too), the run itself (scan_run.c: workers, locks, budget) and its output (scan_output.c:
 * text, json, ndjson). */
#ifndef FO_SCAN_H
#define FO_SCAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fixorigin/api.h"
#include "fixorigin/fo.h"
#include "fixorigin/probe.h"
#include "fixorigin/remediate.h"
#include "fixorigin/report.h"

#define FO_SCAN_MAX_SHARDS 10000
#define FO_SCAN_PATH_MAX 1024

/* ---- scan_select.c ---------------------------------------------------------------- */

/* Service ids, each once, in the order first added. Zero-initialise; free with
 * fo_scan_list_clear. */
typedef struct fo_scan_list {
    char **ids;
    size_t count;
} fo_scan_list;

void fo_scan_list_clear(fo_scan_list *list);
/* Adds id (id_len bytes) unless it is there already. 0 or FO_ENOMEM. */
int fo_scan_list_add(fo_scan_list *list, const char *id, size_t id_len) FO_WARN_UNUSED;
/* Adds the ids of a services file's text: one a line, '#' starts a comment, white space
 * around is ignored. name is used in messages ("fleet.txt:3: ..."). 0, FO_EINVAL naming the
 * line (not a service id), FO_ENOMEM. */
int fo_scan_list_read(fo_scan_list *list, const char *text, const char *name,
                      fo_error *err) FO_WARN_UNUSED;
/* The same for a file (at most 16 MiB); FO_EIO when it cannot be read. */
int fo_scan_list_load(fo_scan_list *list, const char *path, fo_error *err) FO_WARN_UNUSED;

/* --shard I/N: this run takes the services whose shard is I, of N (1 <= I <= N). */
typedef struct fo_scan_shard {
    unsigned index;
    unsigned count; /* 0: no sharding */
} fo_scan_shard;

int fo_scan_shard_parse(fo_scan_shard *out, const char *text, fo_error *err) FO_WARN_UNUSED;
/* The shard (1..count) of a service: FNV-1a 64 of its id, mod count, plus one. */
unsigned fo_scan_shard_of(const char *service_id, unsigned count);
/* Keeps only the services of shard (order kept). */
void fo_scan_list_shard(fo_scan_list *list, const fo_scan_shard *shard);

/* ---- scan_lock.c -------------------------------------------------------------------- */

/* The state directory: given (--state-dir) when set, else $XDG_STATE_HOME/fixorigin, else
 * $HOME/.local/state/fixorigin. Nothing is created here. 0 or FO_EINVAL. */
int fo_scan_state_dir(char *out, size_t size, const char *given, fo_error *err) FO_WARN_UNUSED;

/* Creates state_dir/locks (0700) as needed and checks that both are this user's alone: no
 * symbolic link, owned by this user or root, writable by no one else (as ssh checks ~/.ssh).
 * 0, FO_EIO (with what to do), FO_EINVAL (a path too long). */
int fo_scan_state_dir_ready(const char *state_dir, fo_error *err) FO_WARN_UNUSED;

typedef struct fo_scan_lock fo_scan_lock;

/* Takes the lock of service_id in state_dir/locks (created 0700 as needed) without waiting.
 * Returns 0 and the lock, FO_ECONFLICT when another run (or thread) holds it (the message
 * names the holder as its lock file says), FO_EIO, FO_ENOMEM. */
int fo_scan_lock_acquire(fo_scan_lock **out, const char *state_dir, const char *service_id,
                         fo_error *err) FO_WARN_UNUSED;
/* Releases the lock (NULL is fine). The file stays. */
void fo_scan_lock_release(fo_scan_lock *lock);

/* ---- scan_ack.c: acknowledged problems (scan --ack FILE) ----------------------------- */

typedef struct fo_scan_ack {
    char *service_id;
    char *backend;     /* a backend name, or "*" */
    char *class_id;    /* a class id, "error", or "*" */
    long long expires; /* last second it holds (epoch s); 0: never expires */
    char *reason;
} fo_scan_ack;

typedef struct fo_scan_acks {
    fo_scan_ack *items;
    size_t count;
} fo_scan_acks;

/* Reads an acknowledgement file (format in scan_ack.c and docs/unattended.md). Expired ones
 * are kept: they are reported as expired. 0, FO_EINVAL naming the file and line, FO_EIO,
 * FO_ENOMEM. fo_scan_acks_clear it. */
int fo_scan_acks_load(fo_scan_acks *out, const char *path, fo_error *err) FO_WARN_UNUSED;
/* The same from an open stream (path names it in messages); the file's reader and the fuzz
 * target (fuzzers/ack_fuzzer.c) share it. */
int fo_scan_acks_read(fo_scan_acks *out, FILE *in, const char *path, fo_error *err) FO_WARN_UNUSED;
void fo_scan_acks_clear(fo_scan_acks *acks);
/* The acknowledgement of a backend's problem (backend NULL: the service as a whole), live
 * ones first; *out_expired when the only match has expired. NULL when none. */
const fo_scan_ack *fo_scan_acks_find(const fo_scan_acks *acks, const char *service_id,
                                     const char *backend, const char *class_id, long long now,
                                     bool *out_expired);

/* ---- intent.c: intent records and the writer guard ---------------------------------- */

/* A run's record: STATE_DIR/intents/<service>.json. */
typedef struct fo_intent {
    char run_id[17];
    long draft; /* 0 while cloning */
    long active_before;
    long highest_before; /* the highest version number before the clone */
    bool cloning;        /* written right before the clone request */
    bool activating;     /* written right before the activate request */
    char **fixed;        /* the backends the draft fixes */
    size_t fixed_count;
} fo_intent;

/* The service's record, or *out NULL when there is none. FO_EIO (unreadable or damaged,
 * the message names the file), FO_ENOMEM. */
int fo_intent_read(fo_intent **out, const char *state_dir, const char *service_id,
                   fo_error *err) FO_WARN_UNUSED;
/* Replaces the record atomically with the run's phase ("cloning", "draft", "activating"). */
int fo_intent_write(const char *state_dir, const fo_plan *plan, const fo_apply_result *result,
                    fo_journal_phase phase, fo_error *err) FO_WARN_UNUSED;
/* Removes the record (none is fine). */
int fo_intent_clear(const char *state_dir, const char *service_id, fo_error *err) FO_WARN_UNUSED;
void fo_intent_free(fo_intent *intent);

/* What a writing path (fix --apply, scan --apply, serve apply) holds for one service: its
 * lock, the record an earlier run left, and what following it up found. */
typedef struct fo_writer {
    char state_dir[FO_SCAN_PATH_MAX];
    const char *service_id; /* borrowed */
    fo_scan_lock *lock;
    fo_intent *earlier;
    bool recovered;
    fo_recovery recovery;
    long dead_drafts[8]; /* drafts of this machine's earlier, finished runs */
    size_t dead_count;
    /* The one draft a run killed while cloning may have left (never commented), or 0: no
     * ticket while it still looks that way (fo_apply_options.orphan_draft). */
    long orphan_draft;
    char *orphan_comment; /* the comment of the version it was cloned from */
} fo_writer;

/* Takes the service's lock and reads its record. FO_ECONFLICT (another run holds the lock),
 * FO_EIO, FO_ENOMEM; nothing is held on failure. */
int fo_writer_begin(fo_writer *w, const char *state_dir, const char *service_id,
                    fo_error *err) FO_WARN_UNUSED;
/* The same with a lock already held (scan's pool takes it before reading the service),
 * which the guard takes over, also on failure. */
int fo_writer_adopt(fo_writer *w, const char *state_dir, const char *service_id, fo_scan_lock *lock,
                    fo_error *err) FO_WARN_UNUSED;
/* Finishes what the earlier run left, if anything (fo_remediate_recover; for a run stopped
 * while cloning, finds its draft), and clears its record. FO_EUNKNOWN when the service's
 * state cannot be known (the record stays: do not apply), FO_EIO. */
int fo_writer_recover(fo_writer *w, fo_api *api, fo_prober *prober, fo_error *err) FO_WARN_UNUSED;
/* After the plan: when no record of this machine's explained the service and its active
 * version is one a fixorigin run activated and never marked verified (a run killed on another
 * machine), verifies it or rolls it back (fo_remediate_check_active); after a rollback *plan
 * is freed and made again with replan against the version now active (*plan NULL when that
 * fails). fo_writer_earlier then says what was found. FO_EUNKNOWN when the service's state
 * cannot be known (do not apply), the new plan's error, FO_ENOMEM. */
int fo_writer_check_active(fo_writer *w, fo_plan **plan, fo_api *api, fo_prober *prober,
                           const fo_plan_options *replan, fo_error *err) FO_WARN_UNUSED;
/* Points opts at the guard: the journal that keeps this run's record, the earlier runs'
 * drafts as ones whose runs are over, and FIXORIGIN_TICKET_LEASE_S when set (2..86400). The
 * guard must outlive the apply. */
void fo_writer_apply_options(fo_writer *w, fo_apply_options *opts);
/* What following up the earlier run found, in one line, or NULL when there was none. */
const char *fo_writer_earlier(const fo_writer *w);
/* Releases the lock (the record stays as the apply left it). */
void fo_writer_end(fo_writer *w);

/* ---- scan_run.c --------------------------------------------------------------------- */

#define FO_SCAN_SCHEMA "fixorigin.scan/v1"

typedef enum fo_scan_format { FO_SCAN_TEXT, FO_SCAN_JSON, FO_SCAN_NDJSON } fo_scan_format;

typedef struct fo_scan_options {
    fo_scan_format format;
    int concurrency;       /* services read, planned and applied at once (API work) */
    int probe_concurrency; /* backends of the whole fleet probed at once; 0: what the file
                            * limit allows */
    bool apply;            /* --apply --only-safe */
    bool only_safe;
    bool yes;
    long max_apply;         /* services changed at most; -1: no limit */
    bool include_terraform; /* --include-terraform: apply to services Terraform manages too */
    fo_activate_mode activate;
    char state_dir[FO_SCAN_PATH_MAX]; /* apply only */
    const char *trust_bundle;
    const fo_api_config *api; /* each worker makes its own client from it */
    fo_scan_shard shard;
    size_t selected;           /* services before --shard */
    fo_api_stats listing;      /* what --all spent */
    const fo_scan_acks *acks;  /* --ack: problems left out of the exit code; NULL: none */
    long long now;             /* the time acknowledgements are judged at (epoch s) */
    fo_apply_stop_fn stop;     /* a signal asked to stop: no new service, applies stop early */
    fo_exit_code_fn exit_code; /* required: the "exit_code" of a result (the front end's) */
} fo_scan_options;

/* Works on every service and prints as it goes; returns the most severe service's result
 * (FO_RESULT_OK for none). Without opts->exit_code it does nothing but say so on stderr, and
 * returns FO_RESULT_ERROR (so does fo_scan_fail). */
fo_result fo_scan_run(const fo_scan_options *opts, const char *const *ids, size_t count);

/* When the run cannot get to its services (the service listing failed): prints the summary
 * anyway, with message as its error (json, ndjson: an "error" object too), so a scheduler
 * always gets its closing line. Returns FO_RESULT_ERROR. */
fo_result fo_scan_fail(const fo_scan_options *opts, const char *message, double elapsed_ms);

/* One service's outcome. */
typedef struct fo_scan_item {
    const char *service_id;
    fo_plan *plan;            /* NULL when it stopped before planning */
    fo_apply_result *applied; /* NULL unless apply ran */
    fo_result result;
    fo_error error;     /* code != 0: why it stopped, or why nothing was applied */
    fo_api_stats stats; /* spent on this service */
    double ms;
    char earlier_run[600]; /* what an earlier run left and this one finished, or "" */
} fo_scan_item;

typedef struct fo_scan_summary {
    const char *error;   /* the run could not get to its services (the listing failed) */
    size_t acknowledged; /* backends (or services) whose problem an --ack entry covers */
    size_t services;
    size_t by_result[6];      /* indexed by fo_result */
    size_t applied;           /* services where apply wrote something */
    size_t skipped_terraform; /* services with fixes not applied: Terraform manages them */
    size_t warnings;          /* warnings of every backend's diagnosis: what is about to break */
    fo_result result;
    unsigned requests, writes;
    double elapsed_ms;
} fo_scan_summary;

/* The result that counts toward the exit code: item's, less the problems a live
 * acknowledgement covers (an apply's outcome is never acknowledged). *out_acknowledged gets
 * how many were covered. */
fo_result fo_scan_acks_result(const fo_scan_acks *acks, const fo_scan_item *item, long long now,
                              size_t *out_acknowledged);
/* The class a backend's problem is acknowledged under: its class id, or "error". */
const char *fo_scan_ack_backend_class(const fo_backend_plan *bp);

/* ---- scan_output.c ---- */

/* The item's fixorigin.report/v1 object (NULL when out of memory). */
json_t *fo_scan_item_json(const fo_scan_options *opts, const fo_scan_item *item);
/* A few lines about the item: service, result, each backend's class and fix. */
void fo_scan_item_text(FILE *out, const fo_scan_item *item, bool color);
/* Lines naming the item's acknowledged problems (and expired acknowledgements). */
void fo_scan_acks_text(FILE *out, const fo_scan_options *opts, const fo_scan_item *item);
/* The same as an array of {"backend","class","reason","expires","expired"}, or NULL. */
json_t *fo_scan_acks_json(const fo_scan_options *opts, const fo_scan_item *item);
/* The summary object ("services", "shard", "results", "applied", "exit_code", "api"...;
 * "acknowledged" with --ack, "error" when the run could not get to its services). */
json_t *fo_scan_summary_json(const fo_scan_options *opts, const fo_scan_summary *summary);
void fo_scan_summary_text(FILE *out, const fo_scan_options *opts, const fo_scan_summary *summary);

#endif
