/* fixorigin serve's routes: which path does what, with which credential. The JSON API
 * (/v1/...) takes a bearer token, Slack's endpoint a request signature, /healthz nothing.
 * Every refusal is a JSON error with a status a client can act on. */
#include <microhttpd.h>
#include <string.h>

#include "fixorigin/serve.h"

static void healthz(const fo_serve_request *req, fo_serve_reply *out)
{
    (void)req;
    fo_serve_reply_json(out, MHD_HTTP_OK,
                        json_pack("{s:s, s:s}", "status", "ok", "version", FO_VERSION));
}

static void api_call(fo_serve *srv, fo_serve_action action, const fo_serve_request *req,
                     fo_serve_reply *out)
{
    fo_serve_command cmd;
    fo_serve_outcome outcome;
    fo_error err;
    if (!srv->cfg.exit_code) { /* the answers' "exit_code"s are the front end's to give */
        fo_serve_reply_error(out, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                             "serve has no exit-code mapping (fo_serve_config.exit_code)");
        return;
    }
    if (!fo_serve_bearer_ok(srv->cfg.serve_token, fo_serve_header(req, "Authorization"))) {
        out->authenticate = "Bearer realm=\"fixorigin\"";
        fo_serve_reply_error(out, MHD_HTTP_UNAUTHORIZED, "unauthorized",
                             srv->cfg.serve_token
                                 ? "a valid 'Authorization: Bearer <token>' header is needed"
                                 : "the JSON API is off: FIXORIGIN_SERVE_TOKEN is not set");
        return;
    }
    fo_error_clear(&err);
    if (fo_serve_json_parse(&cmd, action, req->body, req->body_len, &err) != 0) {
        fo_serve_reply_error(out, MHD_HTTP_BAD_REQUEST, "bad_request", "%s", err.msg);
        return;
    }
    fo_serve_work(srv, &outcome, &cmd, NULL);
    fo_serve_outcome_reply(out, srv->cfg.exit_code, &outcome, &cmd);
    fo_serve_outcome_clear(&outcome);
}

typedef struct route {
    const char *path;
    const char *method;
    int action; /* a fo_serve_action for /v1 routes, -1 otherwise */
} route;

static const route routes[] = {
    {"/healthz", "GET", -1},
    {"/v1/diagnose", "POST", FO_SERVE_DIAGNOSE},
    {"/v1/plan", "POST", FO_SERVE_PLAN},
    {"/v1/apply", "POST", FO_SERVE_APPLY},
    {"/slack/command", "POST", -1},
    {"/slack/interactive", "POST", -1},
};

void fo_serve_route(void *ctx, const fo_serve_request *req, fo_serve_reply *out)
{
    fo_serve *srv = ctx;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const route *r = &routes[i];
        if (strcmp(req->path, r->path) != 0)
            continue;
        bool head_of_get = strcmp(r->method, "GET") == 0 && strcmp(req->method, "HEAD") == 0;
        if (strcmp(req->method, r->method) != 0 && !head_of_get) {
            out->allow = strcmp(r->method, "GET") == 0 ? "GET, HEAD" : r->method;
            fo_serve_reply_error(out, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed",
                                 "%s takes %s", r->path, r->method);
        } else if (r->action >= 0) {
            api_call(srv, (fo_serve_action)r->action, req, out);
        } else if (strcmp(r->path, "/healthz") == 0) {
            healthz(req, out);
        } else if (strcmp(r->path, "/slack/interactive") == 0) {
            fo_serve_slack_interactive(srv, req, out);
        } else {
            fo_serve_slack_command(srv, req, out);
        }
        return;
    }
    fo_serve_reply_error(out, MHD_HTTP_NOT_FOUND, "not_found",
                         "no such endpoint (see GET /healthz, POST /v1/diagnose, /v1/plan, "
                         "/v1/apply, /slack/command, /slack/interactive)");
}
