/* A fake transport for the api tests: it answers from go-fastly's recorded
 * exchanges (go-vcr cassettes in tests/fixtures/fastly-api/) or from answers
 * a test adds by hand, and records every request the client sent. No sockets.
 */
#ifndef FO_TEST_API_REPLAY_H
#define FO_TEST_API_REPLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/api.h"

/* The base URL the recordings were made against. */
#define REPLAY_BASE_URL "https://api.fastly.com"
#define REPLAY_TOKEN "replay-token-0123456789abcdef"

typedef struct replay replay;

/* One request as the client sent it. */
typedef struct replay_sent {
    char *method;
    char *path; /* path and query, without the base URL */
    char *body; /* "" when none */
    char *content_type;
    char *token;
    char *user_agent;
    int answer; /* index of the answer served, -1 when none matched */
} replay_sent;

/* One answer: what a cassette recorded, or what a test added. */
typedef struct replay_answer {
    char *method;
    char *path; /* path and query */
    char *request_body;
    char *request_content_type; /* NULL when the recording sent none */
    long status;                /* 0: fail with fail_code instead */
    char *body;
    long long ratelimit_remaining; /* -1 when absent */
    long long ratelimit_reset;
    char *link;
    int fail_code;  /* a transport failure (FO_ECONNECT, FO_ETIMEOUT) */
    bool delivered; /* with fail_code: the server may have acted */
    bool used;
    bool sticky; /* answers every matching request, not just one */
} replay_answer;

replay *replay_new(void);
void replay_free(replay *r);

/* Adds every exchange of a cassette, by its path under fastly-api/; returns
 * the index of its first answer. Fails the test when it cannot be read. */
int replay_load(replay *r, const char *cassette);
/* Adds an answer by hand; returns its index. */
int replay_add(replay *r, const char *method, const char *path, long status, const char *body);
/* Adds a transport failure for the next matching request. */
int replay_add_failure(replay *r, const char *method, const char *path, int fail_code,
                       bool delivered);
replay_answer *replay_answer_at(replay *r, int index);
/* Makes a loaded answer serve another request (a recorded error body for an
 * endpoint whose own recording has none). */
void replay_retarget(replay *r, int index, const char *method, const char *path);

/* The decoded form fields go-vcr recorded for a cassette's first request (its
 * `form:` map, one value per key), as keys[i] = values[i]; free with
 * replay_form_free. */
size_t replay_recorded_form(const char *cassette, char ***keys, char ***values);
void replay_form_free(char **keys, char **values, size_t count);

/* A token allowed to write to every service, for tests of writes (a sticky
 * answer to every GET /tokens/self). */
void replay_allow_writes(replay *r);

/* The transport to give fo_api_config (it is not freed by the client: the
 * test owns r). */
fo_api_transport replay_transport(replay *r);

size_t replay_sent_count(const replay *r);
const replay_sent *replay_sent_at(const replay *r, size_t index);
/* The last request sent with this method, or NULL. */
const replay_sent *replay_last(const replay *r, const char *method);

/* Fills cfg for a client over r (transport t, which it sets up): the replay
 * base URL and token, tiny backoffs, a sleep that only records and r's clock.
 * Tests change what they test, then call fo_api_new. */
void replay_config(replay *r, fo_api_config *cfg, fo_api_transport *t);
/* A client over r with that configuration. */
fo_api *replay_client(replay *r);
fo_api *replay_client_logged(replay *r, fo_log_fn log, void *log_ctx);
/* Milliseconds the client asked to sleep, in total. */
long replay_slept_ms(const replay *r);
/* Sets the wall clock the client sees (epoch seconds). */
void replay_set_clock(replay *r, long long now);

#endif
