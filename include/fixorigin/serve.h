/* fixorigin/serve.h: what the files of `fixorigin serve` share. The HTTP plumbing
 * (serve_http.c), who may ask (serve_auth.c), what a request asks for (serve_input.c),
 * the routes (serve_routes.c), the work on a service (serve_work.c), Slack's side
 * (serve_slack.c) and the command (serve_cmd.c). */
#ifndef FO_CMD_SERVE_H
#define FO_CMD_SERVE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/api.h"
#include "fixorigin/fo.h"
#include "fixorigin/probe.h"
#include "fixorigin/scan.h"

#define FO_SERVE_DEFAULT_LISTEN "127.0.0.1:8080"
#define FO_SERVE_DEFAULT_MAX_BODY (64 * 1024)
#define FO_SERVE_DEFAULT_WORKERS 4
/* A request's headers and body must arrive within this (slowloris), and at most this many
 * connections may be sending one at once (the one sending longest makes room). */
#define FO_SERVE_DEFAULT_RECEIVE_S 10
#define FO_SERVE_DEFAULT_RECEIVING 128
#define FO_SERVE_MAX_RECEIVING 192
#define FO_SERVE_QUEUE_MAX 64
#define FO_SERVE_WORD_MAX 80
/* Slack refuses requests signed more than five minutes ago; one signed in the future is a
 * clock out of step, allowed a minute (a replay memory must cover the whole window). */
#define FO_SLACK_MAX_SKEW_S 300
#define FO_SLACK_FUTURE_SKEW_S 60
/* Signed requests remembered at once; past it new commands are refused, never forgotten. */
#define FO_SLACK_REPLAY_SLOTS 4096
#define FO_SLACK_SIGNATURE_MAX 80 /* "v0=" and 64 hex digits */
/* Secrets shorter than this are refused at start (a guessable secret is no secret). */
#define FO_SERVE_MIN_SECRET 16
#define FO_SLACK_RESPONSE_PREFIX "https://hooks.slack.com/"
#define FO_SERVE_USER_ID_MAX 40 /* a Slack user or channel id ("U012AB3CD") */
#define FO_SERVE_URL_MAX 2048   /* a response_url */
/* Plans posted with Approve/Cancel buttons that serve remembers at once, and for how long a
 * button stays good (past either, a click asks for a new plan). */
#define FO_SLACK_PENDING_MAX 256
#define FO_SLACK_PENDING_TTL_S (24 * 3600)

/* ---- serve_http.c: the HTTP plumbing ----------------------------------------------- */

struct MHD_Connection;

/* A request read whole, as a handler sees it. Borrowed for the handler's call. */
typedef struct fo_serve_request {
    struct MHD_Connection *conn;
    const char *method;
    const char *path; /* without the query */
    const char *body; /* NUL-terminated ("" when none); may hold NULs before body_len */
    size_t body_len;
} fo_serve_request;

/* A request header's value, or NULL. */
const char *fo_serve_header(const fo_serve_request *req, const char *name);

/* The answer a handler fills. */
typedef struct fo_serve_reply {
    unsigned status;
    char *body;               /* owned; sent and freed by the plumbing */
    const char *content_type; /* NULL: application/json */
    const char *allow;        /* the Allow header of a 405, or NULL */
    const char *authenticate; /* the WWW-Authenticate header of a 401, or NULL */
} fo_serve_reply;

/* Sets status and a compact JSON body; takes the reference to body. */
void fo_serve_reply_json(fo_serve_reply *out, unsigned status, json_t *body);
/* {"error": code, "message": "..."} with status. */
void fo_serve_reply_error(fo_serve_reply *out, unsigned status, const char *code, const char *fmt,
                          ...) FO_PRINTF(4, 5);
void fo_serve_reply_clear(fo_serve_reply *reply);

/* Answers one request; runs on the connection's own thread, so it may take its time. */
typedef void (*fo_serve_handler)(void *ctx, const fo_serve_request *req, fo_serve_reply *out);

typedef struct fo_serve_http fo_serve_http;

/* Listens on listen ("127.0.0.1:8080", "[::1]:0": a numeric address; port 0 lets the kernel
 * choose) and answers every request with handler, bodies bounded to max_body bytes (413), at
 * most max_per_ip connections from one address (0: no limit) so that one slow client cannot
 * take every connection, each request read whole within receive_ms and at most
 * receive_budget connections sending one at once (fo_serve_perip_bound). Returns 0, FO_EINVAL (a
 * bad address), FO_EIO (cannot listen), FO_ENOMEM. */
int fo_serve_http_start(fo_serve_http **out, const char *listen, size_t max_body,
                        unsigned max_per_ip, long receive_ms, unsigned receive_budget,
                        fo_serve_handler handler, void *ctx, fo_error *err) FO_WARN_UNUSED;
/* The port listened on. */
unsigned fo_serve_http_port(const fo_serve_http *http);
/* Stops accepting, waits up to grace_ms for requests in progress, then closes everything
 * and frees http (NULL is fine). */
void fo_serve_http_stop(fo_serve_http *http, long grace_ms);

/* ---- serve_perip.c: the per-address connection limit ----------------------------- */

/* Connections counted per client address: from acceptance until libmicrohttpd lets go of
 * them, leaving out those whose client has hung up (live connections only). */
typedef struct fo_serve_perip fo_serve_perip;
struct MHD_Connection;
struct sockaddr;

/* max_per_ip 0: no limit. Returns 0 or FO_ENOMEM. */
int fo_serve_perip_new(fo_serve_perip **out, unsigned max_per_ip) FO_WARN_UNUSED;
void fo_serve_perip_free(fo_serve_perip *limit);
/* Whether one more connection from addr stays within the limit (the accept policy). */
bool fo_serve_perip_admit(fo_serve_perip *limit, const struct sockaddr *addr);
/* Bounds the receipt of requests: a connection whose request (headers and body) is not read
 * whole within receive_ms of its first byte is cut (0: no deadline; a sweeper thread runs
 * until fo_serve_perip_free), and at most budget connections may be sending a request at
 * once: a new one cuts the one sending longest (0: no budget). 0 or FO_ENOMEM. */
int fo_serve_perip_bound(fo_serve_perip *limit, long receive_ms, unsigned budget) FO_WARN_UNUSED;
/* The connection's request was read whole: its deadline no longer runs. */
void fo_serve_perip_received(fo_serve_perip *limit, struct MHD_Connection *conn);
/* Its answer went out: a kept-alive connection starts waiting for its next request. */
void fo_serve_perip_answered(fo_serve_perip *limit, struct MHD_Connection *conn);
/* Connections cut so far, by the deadline or the budget. */
unsigned long fo_serve_perip_cut(fo_serve_perip *limit);
/* libmicrohttpd's connection notification (toe: MHD_CONNECTION_NOTIFY_STARTED or _CLOSED):
 * tracks the connection in *socket_ctx. */
void fo_serve_perip_notify(fo_serve_perip *limit, struct MHD_Connection *conn, void **socket_ctx,
                           int toe);

/* ---- serve_auth.c: pure checks ---------------------------------------------------- */

/* Whether an Authorization header carries `Bearer <expected>`. Constant time in the
 * token's content and length. False when expected is empty. */
bool fo_serve_bearer_ok(const char *expected, const char *authorization);

/* Checks Slack's v0 signature: X-Slack-Signature = "v0=" hex(HMAC-SHA256(secret,
 * "v0:{timestamp}:{raw body}")), in constant time, and that the timestamp is at most five
 * minutes old and at most FO_SLACK_FUTURE_SKEW_S ahead of now. Returns 0, or FO_EAUTH with
 * the reason (never a secret), FO_ENOMEM. */
int fo_serve_slack_verify(const char *secret, const char *timestamp, const char *signature,
                          const char *body, size_t body_len, long long now,
                          fo_error *err) FO_WARN_UNUSED;

/* The signatures of Slack requests taken, each remembered until its timestamp leaves the
 * window in which fo_serve_slack_verify accepts it. Not locked: the caller serialises. */
typedef struct fo_serve_replay {
    char signature[FO_SLACK_REPLAY_SLOTS][FO_SLACK_SIGNATURE_MAX];
    long long until[FO_SLACK_REPLAY_SLOTS]; /* last second it is accepted; 0 = free */
    size_t next;
} fo_serve_replay;

typedef enum fo_serve_replay_result {
    FO_REPLAY_NEW,  /* first time: remembered */
    FO_REPLAY_SEEN, /* taken before: refuse it */
    FO_REPLAY_FULL, /* every slot holds a live signature: refuse, try later */
} fo_serve_replay_result;

/* Checks and remembers a verified request's signature; timestamp is its signed
 * X-Slack-Request-Timestamp, now the time it arrived. */
fo_serve_replay_result fo_serve_replay_check(fo_serve_replay *r, const char *signature,
                                             long long timestamp, long long now);

/* Whether a reply URL may be called: it starts with https://hooks.slack.com/ or one of
 * prefixes, and holds no white space, control character or backslash. */
bool fo_serve_url_allowed(const char *url, const char *const *prefixes, size_t count);
/* Whether an allow-list prefix names a whole scheme, host and port ("http://127.0.0.1:9/"). */
bool fo_serve_prefix_valid(const char *prefix);

/* Splits a list written with commas or white space ("U1,U2 U3") into new strings. Returns
 * 0 (an empty list for NULL or ""), FO_ENOMEM. */
int fo_serve_list_parse(char ***out, size_t *out_count, const char *text) FO_WARN_UNUSED;
void fo_serve_list_free(char **items, size_t count);
bool fo_serve_list_has(char *const *items, size_t count, const char *value);

/* ---- serve_input.c: what a request asks for (pure) ---------------------------------- */

typedef enum fo_serve_action {
    FO_SERVE_DIAGNOSE,
    FO_SERVE_PLAN,
    FO_SERVE_APPLY,
    FO_SERVE_HELP, /* Slack only: an empty or "help" command */
} fo_serve_action;

/* "diagnose", "plan", "apply", "help". */
const char *fo_serve_action_name(fo_serve_action action);

typedef struct fo_serve_command {
    fo_serve_action action;
    char service_id[FO_API_ID_MAX + 1];
    char plan_id[65]; /* apply only: the whole id, or a short one (fo_serve_plan_ref_valid) */
} fo_serve_command;

/* 64 lowercase hex digits, as fo_remediate_plan_id writes them. */
bool fo_serve_plan_id_valid(const char *id);
/* The digits of a short plan id, as text shows it ("plan 1a2b3c4d5e6f: ..."). */
#define FO_SERVE_PLAN_ID_SHORT 12
/* A plan id or a short one: FO_SERVE_PLAN_ID_SHORT to 64 lowercase hex digits. */
bool fo_serve_plan_ref_valid(const char *id);

/* The decoded value of key in an application/x-www-form-urlencoded body: 0 and a new
 * string in *out, or *out NULL when the key is absent; FO_EINVAL (bad %-escape or a NUL),
 * FO_ENOMEM. */
int fo_serve_form_value(char **out, const char *body, size_t len, const char *key,
                        fo_error *err) FO_WARN_UNUSED;

/* A slash command's text: "diagnose <service>", "plan <service>",
 * "apply <service> <plan_id>", "help" or nothing. Returns 0, or FO_EINVAL with a message
 * the user sees (usage, a bad id). */
int fo_serve_command_parse(fo_serve_command *out, const char *text, fo_error *err) FO_WARN_UNUSED;

/* A JSON API body: {"service_id": "...", "plan_id": "..." (apply only)}; other keys are
 * ignored. Returns 0, or FO_EINVAL with the problem. */
int fo_serve_json_parse(fo_serve_command *out, fo_serve_action action, const char *body, size_t len,
                        fo_error *err) FO_WARN_UNUSED;

/* A click on a plan message's button: Slack's block_actions payload (the form field
 * `payload` of a POST to /slack/interactive), read tolerantly (unknown fields ignored) and
 * strictly (every field used is checked and bounded). */
typedef struct fo_serve_interaction {
    bool ours;    /* a fixorigin button; false: another interaction, to be ignored */
    bool approve; /* fixorigin_approve; else fixorigin_cancel */
    char user_id[FO_SERVE_USER_ID_MAX + 1];
    char channel_id[FO_SERVE_USER_ID_MAX + 1]; /* "" when the payload has none */
    char service_id[FO_API_ID_MAX + 1];
    char plan_id[65];
    char *response_url; /* owned */
} fo_serve_interaction;

/* Reads a payload's JSON text. Returns 0 (out->ours false for what is not a fixorigin
 * button), or FO_EINVAL with the problem, FO_ENOMEM. Clear out with
 * fo_serve_interaction_clear either way. */
int fo_serve_interaction_parse(fo_serve_interaction *out, const char *payload, size_t len,
                               fo_error *err) FO_WARN_UNUSED;
void fo_serve_interaction_clear(fo_serve_interaction *in);

/* ---- serve_plans.c: the plans handed out, for short ids ----------------------------- */

#define FO_SERVE_PLANS_MAX 512
#define FO_SERVE_PLAN_TTL_S (24 * 3600)

typedef struct fo_serve_plans fo_serve_plans;

/* 0 or FO_ENOMEM. */
int fo_serve_plans_new(fo_serve_plans **out) FO_WARN_UNUSED;
void fo_serve_plans_free(fo_serve_plans *plans);
/* Records a plan handed out at now (Unix seconds); the oldest is forgotten past
 * FO_SERVE_PLANS_MAX. Thread-safe; plans NULL does nothing. */
void fo_serve_plans_add(fo_serve_plans *plans, const char *service_id, const char *plan_id,
                        long long now);
/* The whole plan id for id: a whole id as it is; a short one when exactly one pending plan
 * (of any service, made less than FO_SERVE_PLAN_TTL_S ago) starts with it and it is a plan of
 * service_id. Returns 0, FO_EINVAL (not a plan id; ambiguous: several plans start with it)
 * or FO_ENOTFOUND (no pending plan has it; it is another service's), each with a message
 * for the user. Thread-safe. */
int fo_serve_plans_resolve(fo_serve_plans *plans, char out[65], const char *service_id,
                           const char *id, long long now, fo_error *err) FO_WARN_UNUSED;

/* ---- The server ------------------------------------------------------------------- */

/* serve's settings: flags, and the environment for secrets (never a flag: `ps` shows
 * flags). */
typedef struct fo_serve_config {
    const char *listen;
    size_t max_body;
    unsigned max_per_ip;     /* connections from one address at once; 0: no limit */
    int workers;             /* Slack commands worked on at once */
    int backend_concurrency; /* backends of one service probed at once */
    long grace_ms;           /* on SIGTERM: how long requests in progress may take */
    const char *trust_bundle;
    const char *token_file; /* the Fastly API token's file, or NULL: the environment */
    char *serve_token;      /* FIXORIGIN_SERVE_TOKEN: a secret; NULL: every /v1 call is 401 */
    char *slack_secret;     /* SLACK_SIGNING_SECRET: a secret; NULL: /slack/command is 401 */
    char **apply_users;     /* FIXORIGIN_APPLY_USERS: Slack user ids that may apply */
    size_t apply_user_count;
    char **url_allow; /* FIXORIGIN_RESPONSE_URL_ALLOW: reply-URL prefixes besides Slack's */
    size_t url_allow_count;
    bool allow_http_reply;     /* --allow-http-response-url: plain-http prefixes may be allowed */
    long receive_ms;           /* --receive-timeout: a request's headers and body arrive by then */
    unsigned max_receiving;    /* --max-receiving: connections sending a request at once */
    bool include_terraform;    /* --include-terraform: apply to Terraform-managed services too */
    fo_exit_code_fn exit_code; /* required: the "exit_code" of a result (the front end's);
                                * without it every /v1 call is a 500 and does nothing */
} fo_serve_config;

typedef struct fo_serve_slack fo_serve_slack;

typedef struct fo_serve {
    fo_serve_config cfg;
    fo_api_config api;  /* every request makes its own client from it (one per thread) */
    char *fastly_token; /* the secret api.token points at */
    char state_dir[FO_SCAN_PATH_MAX];
    fo_prober *prober; /* shared: thread-safe */
    fo_serve_slack *slack;
    fo_serve_plans *plans; /* the plans handed out (short ids); NULL: whole ids only */
} fo_serve;

/* ---- serve_routes.c ---------------------------------------------------------------- */

/* The fo_serve_handler of the server (ctx is the fo_serve): GET /healthz, POST /v1/diagnose,
 * /v1/plan, /v1/apply (bearer token), POST /slack/command and /slack/interactive (Slack's
 * signature). */
void fo_serve_route(void *ctx, const fo_serve_request *req, fo_serve_reply *out);

/* ---- serve_work.c: one service's diagnosis, plan or apply --------------------------- */

struct fo_plan;
struct fo_apply_result;

typedef struct fo_serve_outcome {
    int code; /* 0: the work ran; else FO_E* and error: it could not */
    fo_error error;
    struct fo_plan *plan;            /* the fresh plan */
    struct fo_apply_result *applied; /* apply, when the plan id still matched */
    bool stale;                      /* apply: the fresh plan has another id */
    bool terraform;                  /* apply: refused, Terraform probably manages it */
    bool approvable;       /* the plan has fixes serve would apply: Slack shows Approve/Cancel */
    const char *error_id;  /* the JSON API's error id when the work did not run, or NULL */
    fo_result result;      /* what `fixorigin --service` would end with */
    fo_api_stats stats;    /* API requests and writes the work spent */
    char earlier_run[600]; /* apply: what an earlier, killed run left and this one finished */
} fo_serve_outcome;

/* Plans the service (a fresh details read and probes) and, for apply, applies the plan's
 * safe fixes when its id is still cmd->plan_id, under the service's lock; requested_by
 * (a chat user id, or NULL) goes into the version comment. Never applies a consent or
 * downgrade fix: serve takes no consent flags. Fills out; clear it with
 * fo_serve_outcome_clear. */
void fo_serve_work(fo_serve *srv, fo_serve_outcome *out, const fo_serve_command *cmd,
                   const char *requested_by);
void fo_serve_outcome_clear(fo_serve_outcome *outcome);
/* The JSON API's answer: the HTTP status and body for an outcome, its "exit_code"s from
 * exit_code (required). */
void fo_serve_outcome_reply(fo_serve_reply *out, fo_exit_code_fn exit_code,
                            const fo_serve_outcome *outcome, const fo_serve_command *cmd);

/* ---- serve_slack.c: the slash command ------------------------------------------------ */

/* Appends s to b escaped for Slack's mrkdwn (&, <, > as entities: no mention or link can be
 * forged; control characters as '?'); in code (`...`) backticks become quotes. */
void fo_serve_mrkdwn_append(fo_buf *b, const char *s, bool code);

/* Starts workers threads that do Slack's commands and post their results. 0, FO_ENOMEM,
 * FO_EIO (no thread). */
int fo_serve_slack_start(fo_serve_slack **out, fo_serve *srv, int workers,
                         fo_error *err) FO_WARN_UNUSED;
/* Answers commands still queued with "not done: shutting down", waits for those in
 * progress, frees (NULL is fine). */
void fo_serve_slack_stop(fo_serve_slack *slack);
/* POST /slack/command: verifies the signature, answers at once (an acknowledgement, help,
 * or why not), and queues the work. */
void fo_serve_slack_command(fo_serve *srv, const fo_serve_request *req, fo_serve_reply *out);
/* POST /slack/interactive: a click on Approve or Cancel. The same signature, replay and
 * allow-list checks as the command; answers at once and queues the work, whose result
 * replaces the plan message through the payload's response_url. */
void fo_serve_slack_interactive(fo_serve *srv, const fo_serve_request *req, fo_serve_reply *out);
/* The Block Kit message for a finished command (serve_blocks.c); with outcome->approvable,
 * an actions block with Approve and Cancel buttons whose value is "SERVICE PLAN_ID".
 * NULL when out of memory. */
json_t *fo_serve_slack_message(const fo_serve_command *cmd, const fo_serve_outcome *outcome,
                               const char *user_id);

#endif
