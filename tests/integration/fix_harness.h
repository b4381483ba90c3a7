/* tests/integration/fix_harness.h: what the `fixorigin --service` suites share: a Fastly
 * stand-in (fastly-mock) serving one service whose backends are testbed origins, the real
 * fixorigin binary run against both, and readers for what the stand-in logged and wrote.
 * One testbed per suite (fx_setup), one stand-in per test. */
#ifndef FO_FIX_HARNESS_H
#define FO_FIX_HARNESS_H

#include <jansson.h>

#include "mock_harness.h"
#include "testbed_fixture.h"

#define FIX_SERVICE "SVC1"

/* One backend of the service: a testbed case's origin and settings, under the case's name,
 * with fields overridden by `extra` (a JSON object text, or NULL). */
typedef struct fix_backend {
    const char *case_name;
    const char *extra;
} fix_backend;

/* The stand-in's backend `name` for testbed case case_name: the case's address, port and
 * settings (ssl_ca_cert: the PEM text of the file it names); use_ssl and ssl_check_cert on
 * unless the case turns TLS off. A new object. */
json_t *fix_case_backend(const fx_testbed *tb, const char *case_name, const char *name);

/* A state with service SVC1, domain www.shop.test, version 1 active holding the backends;
 * versions_extra (JSON text of more versions, comma-separated, or NULL) is appended. A new
 * string. */
char *fix_state(const fx_testbed *tb, const fix_backend *backends, size_t count,
                const char *versions_extra);

typedef struct fix_env {
    mock_proc mock;
    char token_env[96];
    char endpoint_env[96];
    char state_env[400]; /* XDG_STATE_HOME in the stand-in's directory: locks and records */
} fix_env;

/* Starts the stand-in with fix_state(...) and extra mock arguments (may be NULL). */
void fix_start(fix_env *f, const fx_testbed *tb, const fix_backend *backends, size_t count,
               const char *versions_extra, const char *const *mock_args);
/* The same with a state of the caller's (JSON text). */
void fix_start_state(fix_env *f, const char *state, const char *const *mock_args);
void fix_stop(fix_env *f);

/* Runs `fixorigin --trust-bundle TRUST args...` (args NULL-terminated; the service is
 * given by the caller; a first word that is no option is the subcommand, put first) with the
 * stand-in's token and URL in the environment, stdin from /dev/null. When json is not NULL, stdout
 * is parsed into *json (NULL when not JSON). Asserts that no sanitizer spoke and that the token
 * appears in no output. */
void fix_run(tb_run *run, json_t **json, const fix_env *f, const char *const *args);

/* The state the stand-in wrote last (its --write-state file), parsed; caller decrefs. */
json_t *fix_written(const fix_env *f);
/* The active version's number in a written state (0 when none). */
long fix_active_version(const json_t *state);
/* A version of the service in a written state (borrowed), or NULL. */
json_t *fix_version(const json_t *state, long number);
/* A backend of version `number` (borrowed), or NULL. */
json_t *fix_backend_in(const json_t *state, long number, const char *name);
/* A backend field as a string, for easy comparison: borrowed, and for numbers and booleans
 * a static buffer the next call overwrites; "" for null. */
const char *fix_field(const json_t *backend, const char *field);

/* The request log's lines so far. */
size_t fix_log_lines(const fix_env *f);
/* Requests and writes (not GET) in the log from line `from` (0-based) on. */
void fix_log_count(const fix_env *f, size_t from, size_t *requests, size_t *writes);
/* Waits (up to timeout_ms) until the log has at least n lines; false on timeout. */
bool fix_wait_log(const fix_env *f, size_t n, int timeout_ms);

/* A report's backend entry by name (borrowed), or NULL. */
json_t *fix_report_backend(const json_t *report, const char *name);

/* Runs argv (argv[0] a path) on a pseudo-terminal (its stdin, stdout and stderr) with env
 * ("K=V", NULL-terminated, may be NULL) and NO_COLOR, answering each "[y/N] " question with
 * the next of answers (NULL-terminated; "n" when they run out), for at most timeout_ms.
 * Returns what it printed (owned); *status gets the exit code, *asked the questions. */
char *fix_run_on_terminal(const char *const *argv, const char *const *env,
                          const char *const *answers, int timeout_ms, int *status, int *asked);

/* Activates version `number` through the stand-in's API, as another person would. */
void fix_activate_other(const fix_env *f, long number);

#endif
