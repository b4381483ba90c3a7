/* fixorigin/report.h: what the fixorigin applications (the CLI, scan, serve) print with:
 * text cleaned for a terminal, error lines, and the JSON objects they share — a diagnosis as
 * "fixorigin.probe/v1" and a remediation run as "fixorigin.report/v1": the plan, each
 * backend's probe, changes, safety, proof, what apply did at each step, the versions and the
 * API requests spent. `scan` and `serve` print the same report object per service. */
#ifndef FO_REPORT_H
#define FO_REPORT_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "fixorigin/api.h"
#include "fixorigin/fo.h"
#include "fixorigin/probe.h"
#include "fixorigin/remediate.h"

/* ---- output.c ---------------------------------------------------------------------- */

/* True when colour should be used on this stream (a terminal, and NO_COLOR unset). */
bool fo_report_use_color(FILE *stream);

/* Prints s (NULL prints nothing) with every control character (C0, DEL, C1 whether UTF-8
 * encoded or a lone byte) and every byte that is not UTF-8 as '?': text from an origin or
 * the API must not drive the terminal. Valid UTF-8 text is printed as it is. */
void fo_report_put_clean(FILE *out, const char *s);

/* Prints "fixorigin: <message>" to stderr. */
void fo_report_errorf(const char *fmt, ...) FO_PRINTF(1, 2);

/* A JSON string of s, or when s is not UTF-8 (certificate fields need not be) of s with every
 * byte above 0x7f as '?'; null for NULL. NULL when out of memory. */
json_t *fo_report_json_string(const char *s);

/* ---- wrap.c: text folded to the terminal's width --------------------------------------- */

/* The width text output folds to when the stream is no terminal and COLUMNS is unset. */
#define FO_REPORT_DEFAULT_WIDTH 80

/* The width to fold stream's text to: the terminal's (TIOCGWINSZ) when it is one, else
 * $COLUMNS when it is a number, else FO_REPORT_DEFAULT_WIDTH; at least 40, at most 1000. */
int fo_report_width(FILE *stream);

/* Writes text[0..len) to out with each line longer than width cells folded at spaces, with a
 * hanging indent that keeps the layout: a "  label      value" line continues under its
 * value, a "- "/"+ " diff line under its text, any other under its own indent. Colour codes
 * take no cell; a word longer than the room is kept whole. */
void fo_report_wrap(FILE *out, const char *text, size_t len, int width);

/* A text writer's buffer: fo_wrapped_begin returns the stream to print to (dest itself when
 * out of memory); fo_wrapped_flush writes what was printed so far, folded to dest's width,
 * and flushes dest (for output that comes in steps); fo_wrapped_end does the same and frees.
 * Decide colour on dest (fo_report_use_color), not on the buffer. */
typedef struct fo_wrapped {
    FILE *dest;
    FILE *buf;
    char *data;
    size_t size;
    int width;
} fo_wrapped;

FILE *fo_wrapped_begin(fo_wrapped *w, FILE *dest);
void fo_wrapped_flush(fo_wrapped *w);
void fo_wrapped_end(fo_wrapped *w);

/* ---- progress.c: a progress line on a terminal ------------------------------------------ */

/* "probe: 37/99 targets, 6.1 s; waiting on origin.test:443 (line 12) and 11 more" on out
 * (stderr), redrawn as items finish and every 250 ms while none does; nothing at all when
 * out is not a terminal. Thread-safe. */
typedef struct fo_progress {
    FILE *out;
    bool on; /* out is a terminal: the rest is used only then */
    const char *what, *unit;
    size_t total, done;
    double start_ms, drawn_ms;
    bool drawn, hidden, stop, ticking;
    char waiting[200];
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t ticker;
} fo_progress;

/* Starts the line: what ("probe"), unit ("targets"), total items; what and unit are borrowed
 * until fo_progress_end. */
void fo_progress_start(fo_progress *p, FILE *out, const char *what, const char *unit, size_t total);
/* done items so far, and what is waited on (NULL: nothing named); redraws the line. */
void fo_progress_update(fo_progress *p, size_t done, const char *waiting);
/* Erases the line before other output to the same terminal; the next update draws it. */
void fo_progress_hide(fo_progress *p);
/* Erases the line and stops the ticker. */
void fo_progress_end(fo_progress *p);

/* ---- probe_json.c ------------------------------------------------------------------ */

#define FO_PROBE_SCHEMA "fixorigin.probe/v1"

/* Compact, one line, times to the microsecond without float noise. */
#define FO_REPORT_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

/* A new "fixorigin.probe/v1" object for d (the caller owns the reference); line > 0 adds
 * "line" (the --targets input line). NULL when out of memory. */
json_t *fo_report_diagnosis_json(const fo_diagnosis *d, long line);

/* ---- report_json.c ----------------------------------------------------------------- */

#define FO_REPORT_SCHEMA "fixorigin.report/v1"

/* The front end's mapping of a run's result to the exit code the process exits with
 * (fixorigin's: fo_cmd_exit_code, cmd/exit.c). No library holds exit codes: what prints one
 * is given the number (fo_report.exit_code) or this mapping (fo_scan_options,
 * fo_serve_config). */
typedef int (*fo_exit_code_fn)(fo_result result);

/* What the report says about one run. plan is NULL when the run stopped before it had one
 * (then error says why); applied is NULL in plan mode or when apply never started. */
typedef struct fo_report {
    const char *service_id;
    const fo_plan *plan;
    const fo_apply_result *applied;
    bool apply_mode;
    fo_result result;
    int exit_code;           /* what the caller exits with for result: "exit_code" */
    const char *error;       /* the run's failure, or NULL */
    const char *earlier_run; /* what an earlier, killed run left and this one finished */
    fo_api_stats stats;
} fo_report;

/* A new report object (the caller owns the reference), or NULL when out of memory. */
json_t *fo_report_json(const fo_report *report);

/* ---- saved_plan.c: `--plan-out FILE` and `fixorigin apply FILE` --------------------- */

#define FO_SAVED_PLAN_SCHEMA "fixorigin.saved-plan/v1"
/* A saved plan's file is read only up to this size. */
#define FO_SAVED_PLAN_MAX_BYTES (4u << 20)

/* One field's change as saved: spelt as fo_change values are (NULL: unset). */
typedef struct fo_saved_change {
    char *field;
    char *from;
    char *to;
} fo_saved_change;

/* One backend's fix: the backend's name and where it is defined (fo_origin_source). */
typedef struct fo_saved_fix {
    char *backend;
    char *source;
    fo_saved_change *changes;
    size_t change_count;
} fo_saved_fix;

/* A plan as `--plan-out` saved it: what was planned, and the options to plan it again
 * with (the consent given then, the --backend filters, --activate). */
typedef struct fo_saved_plan {
    char plan_id[65];
    char *service_id;
    char *service_name; /* or NULL */
    long active_version;
    char *created_at;
    char **backends; /* --backend filters */
    size_t backend_count;
    bool trust_presented_ca;
    char *trust_presented_sha256; /* or NULL */
    char *ca_file_pem;            /* --ca-file's text, or NULL */
    char **accept_cert_hostnames;
    size_t accept_count;
    bool allow_downgrade, allow_dynamic_snippet;
    bool terraform; /* --terraform: the plan warns that terraform apply reverts a fix */
    fo_activate_mode activate;
    fo_saved_fix *fixes; /* the plan's allowed fixes, in the plan's order */
    size_t fix_count;
} fo_saved_plan;

/* The saved-plan text (JSON, "fixorigin.saved-plan/v1") of plan, made with opts and to be
 * applied with activate, at now (Unix seconds). Returns 0 and a new string, FO_EINVAL when
 * the plan cannot be saved (it changes a secret; a name that is not UTF-8), FO_ENOMEM. */
int fo_saved_plan_text(char **out, const fo_plan *plan, const fo_plan_options *opts,
                       fo_activate_mode activate, int64_t now, fo_error *err) FO_WARN_UNUSED;
/* Writes text to path through a temporary file beside it and a rename. 0 or FO_EIO. */
int fo_saved_plan_write(const char *path, const char *text, fo_error *err) FO_WARN_UNUSED;
/* Reads a saved plan: untrusted input, read strictly (every key known and present, types and
 * bounds checked, at most FO_SAVED_PLAN_MAX_BYTES) and its plan id recomputed from its
 * changes. Returns 0 and a plan the caller frees, FO_EINVAL with what is wrong
 * ("not a saved plan: ..."), FO_ENOMEM. */
int fo_saved_plan_parse(fo_saved_plan **out, const char *text, size_t len,
                        fo_error *err) FO_WARN_UNUSED;
void fo_saved_plan_free(fo_saved_plan *plan);
/* Whether fresh (planned now with the saved options) is still the saved plan: the same
 * active version, the same plan id (so the same changes), each change from the same value.
 * Returns 0, or FO_ECONFLICT saying what differs. */
int fo_saved_plan_check(const fo_saved_plan *saved, const fo_plan *fresh,
                        fo_error *err) FO_WARN_UNUSED;

#endif
