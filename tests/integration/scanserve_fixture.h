/* tests/integration/scanserve_fixture.h: a fleet of stand-in services for the scan and serve
 * suites. testbed-origins serves the backends, fastly-mock holds services whose backends are
 * testbed cases (with the cases' settings as backend fields), and the environment points
 * fixorigin at both. Everything is on loopback and in a scratch directory. */
#ifndef FO_SCANSERVE_FIXTURE_H
#define FO_SCANSERVE_FIXTURE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "fix_harness.h"
#include "mock_harness.h"
#include "testbed_fixture.h"

#define SS_MAX_BACKENDS 6

/* A service: its id and the testbed cases of its backends (named b0, b1, ...). */
typedef struct ss_service {
    const char *id;
    const char *cases[SS_MAX_BACKENDS]; /* NULL-terminated when shorter */
} ss_service;

/* Comments of a fleet's service and of its active version 1 (NULL: ""). */
typedef struct ss_comment {
    const char *service_id;
    const char *comment;
    const char *version_comment;
} ss_comment;

typedef struct ss_fleet {
    fx_testbed tb;
    mock_proc mock;
    char dir[64];        /* scratch: state directory, outputs */
    char state_dir[128]; /* for --state-dir */
    char env_endpoint[96];
    char env_token[96];
    char env_trust[400];
    const char *env[4]; /* FASTLY_API_ENDPOINT, FASTLY_API_TOKEN, FIXORIGIN_TRUST_BUNDLE */
} ss_fleet;

/* Starts the testbed and a mock holding services (each with active version 1 and the domain
 * www.origin.test); mock_args go to fastly-mock (NULL-terminated, may be NULL). */
void ss_fleet_start(ss_fleet *f, const ss_service *services, size_t count,
                    const char *const *mock_args);
/* The same, with comments for some services (comment_count entries). */
void ss_fleet_start_comments(ss_fleet *f, const ss_service *services, size_t count,
                             const ss_comment *comments, size_t comment_count,
                             const char *const *mock_args);
/* Stops both (asserting a clean stop) and removes the scratch directory. */
void ss_fleet_stop(ss_fleet *f);

/* Runs build/bin/fixorigin with args (NULL-terminated) and the fleet's environment plus
 * extra_env, output captured; asserts that no token appears in it. Returns the exit code. */
int ss_fixorigin(tb_run *run, const ss_fleet *f, const char *const *args,
                 const char *const *extra_env, int timeout_ms);

/* Asserts that text (one document, or with ndjson one a line) is valid against schema
 * ("file.json" or "file.json#/$defs/name" in docs/schemas/), with python3-jsonschema. */
void ss_assert_valid(const ss_fleet *f, const char *schema, const char *text, bool ndjson,
                     const char *what);

/* Asserts that text holds none of the fleet's secrets (the Fastly token). */
void ss_assert_no_token(const char *text, const char *what);

/* NDJSON text as an array of objects (asserting every line parses). */
json_t *ss_ndjson(const char *text);
/* The object whose service.id is id in an array of reports (borrowed), or NULL. */
json_t *ss_report(const json_t *reports, const char *id);

/* A program in the background, stdout and stderr to files in the fleet's directory. */
typedef struct ss_proc {
    pid_t pid;
    char out[160];
    char err[160];
} ss_proc;

void ss_spawn(ss_proc *p, const ss_fleet *f, const char *name, const char *const *args,
              const char *const *extra_env);
/* Waits up to timeout_ms; returns the exit code, or -1 (killed at the deadline, or died of a
 * signal). */
int ss_wait(ss_proc *p, int timeout_ms);
/* SIGTERM, then ss_wait. */
int ss_stop(ss_proc *p, int timeout_ms);

/* The mock's logged requests whose method is method and whose path matches glob (fnmatch,
 * '*' not crossing '/'). */
size_t ss_log_count(const ss_fleet *f, const char *method, const char *glob);

/* `fixorigin serve` running for a test. */
typedef struct ss_serve {
    ss_proc proc;
    unsigned port;
} ss_serve;

/* Starts fixorigin serve --listen 127.0.0.1:0 --state-dir DIR ARGS with the fleet's
 * environment plus extra_env, and waits for the port it prints. */
void ss_serve_start(ss_serve *s, const ss_fleet *f, const char *const *args,
                    const char *const *extra_env);
/* SIGTERM; asserts a clean exit (0) and no token in its output. */
void ss_serve_stop(ss_serve *s);

/* One HTTP request to 127.0.0.1:port: headers NULL-terminated (may be NULL); body NULL:
 * none; chunked: sent without Content-Length. Asserts that no Fastly token is in the
 * answer. */
void ss_http(http_resp *out, unsigned port, const char *method, const char *path,
             const char *const *headers, const char *body, bool chunked);

/* Runs fixorigin with args on a pseudo-terminal (its stdin, stdout and stderr) with the
 * fleet's environment and NO_COLOR, answering each "[y/N] " question with the next of
 * answers (NULL-terminated). Returns what it printed (owned); *status gets the exit code
 * and *asked the number of questions. */
char *ss_run_on_terminal(const ss_fleet *f, const char *const *args, const char *const *answers,
                         int *status, int *asked);

/* Sleeps ms milliseconds. */
void ss_sleep_ms(long ms);

#endif
