/* tests/integration/mock_harness.h: runs build/bin/fastly-mock for a test on a port the
 * kernel picks, talks plain HTTP to it with libcurl (a fresh connection per request, so
 * libcurl never silently resends a request whose connection was dropped), and reads the
 * recorded responses in tests/fixtures/fastly-api. Every wait is bounded. */
#ifndef FO_MOCK_HARNESS_H
#define FO_MOCK_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define MOCK_TOKEN "mock-test-token-5be1c0de"

typedef struct mock_proc {
    pid_t pid;
    unsigned port;
    char dir[256]; /* temporary directory: state.json, port, log.jsonl, out.json, stderr */
} mock_proc;

/* Writes state (NULL = the program's --example-state) to dir/state.json and starts the
 * mock with --token MOCK_TOKEN, --log, --write-state, --port-file and then the extra
 * arguments (NULL-terminated, may be NULL). Aborts the test when it does not come up. */
void mock_start(mock_proc *m, const char *state, const char *const *extra);
/* SIGTERM, then waits (10 s, then SIGKILL); returns the exit status, or -1 when killed. */
int mock_stop(mock_proc *m);
/* Stops if running and removes the directory; fails the test when the mock did not
 * stop cleanly (exit 0, no sanitizer report). */
void mock_cleanup(mock_proc *m);
/* dir/name as a path (static buffer, one at a time per call site). */
const char *mock_path(const mock_proc *m, const char *name);
/* The whole file, or NULL; caller frees. */
char *read_file(const char *path);
/* Lines of the request log, parsed; caller decrefs. */
json_t *mock_log(const mock_proc *m);

typedef struct http_resp {
    int curl_code; /* 0 = a complete answer */
    long status;
    char *body;
    char *headers; /* raw header block */
    json_t *json;  /* body parsed, or NULL */
} http_resp;

/* One request to 127.0.0.1:port, ending after timeout_ms. headers: "Name: value" lines
 * (NULL-terminated, may be NULL); body NULL = none; chunked: the body goes in pieces without
 * a Content-Length. */
void http_request(http_resp *out, unsigned port, const char *method, const char *path,
                  const char *const *headers, const char *body, bool chunked, long timeout_ms);
/* One request to the stand-in. token NULL = no Fastly-Key; body NULL = none; a body is sent as
 * application/x-www-form-urlencoded unless content_type says otherwise. */
void http(http_resp *out, const mock_proc *m, const char *method, const char *path,
          const char *token, const char *body, const char *content_type);
/* The same with MOCK_TOKEN; aborts unless the status is `expect`. */
json_t *api(const mock_proc *m, const char *method, const char *path, const char *body,
            long expect);
void http_free(http_resp *r);
/* A response header's value (static buffer), or NULL. */
const char *http_header(const http_resp *r, const char *name);

/* The response body of the nth (0-based) interaction of a recording, parsed. */
json_t *fixture_body(const char *cassette, int nth);
/* Asserts that got has exactly the recorded keys (plus those in `extra`, comma-separated)
 * and the recorded JSON type wherever the recording is not null. */
void assert_same_shape(const json_t *got, const json_t *recorded, const char *extra,
                       const char *what);

/* Runs argv with env (NULL-terminated "K=V" list added to a clean environment), stdout
 * and stderr into out_path, killed after timeout_s. Returns the exit status, or -1. */
int run_command(const char *const *argv, const char *const *env, const char *out_path,
                int timeout_s);

#endif
