#include "api_replay.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct replay {
    replay_answer *answers;
    size_t answer_count;
    replay_sent *sent;
    size_t sent_count;
    long slept_ms;
    long long now;
};

replay *replay_new(void)
{
    replay *r = calloc(1, sizeof(*r));
    ck_assert_ptr_nonnull(r);
    r->now = 1700000000;
    return r;
}

void replay_free(replay *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->answer_count; i++) {
        replay_answer *a = &r->answers[i];
        free(a->method);
        free(a->path);
        free(a->request_body);
        free(a->request_content_type);
        free(a->body);
        free(a->link);
    }
    for (size_t i = 0; i < r->sent_count; i++) {
        replay_sent *s = &r->sent[i];
        free(s->method);
        free(s->path);
        free(s->body);
        free(s->content_type);
        free(s->token);
        free(s->user_agent);
    }
    free(r->answers);
    free(r->sent);
    free(r);
}

static replay_answer *new_answer(replay *r)
{
    replay_answer *grown = realloc(r->answers, (r->answer_count + 1) * sizeof(*grown));
    ck_assert_ptr_nonnull(grown);
    r->answers = grown;
    replay_answer *a = &r->answers[r->answer_count++];
    memset(a, 0, sizeof(*a));
    a->ratelimit_remaining = -1;
    a->ratelimit_reset = -1;
    return a;
}

replay_answer *replay_answer_at(replay *r, int index)
{
    ck_assert_int_ge(index, 0);
    ck_assert_uint_lt((size_t)index, r->answer_count);
    return &r->answers[index];
}

void replay_retarget(replay *r, int index, const char *method, const char *path)
{
    replay_answer *a = replay_answer_at(r, index);
    free(a->method);
    free(a->path);
    a->method = strdup(method);
    a->path = strdup(path);
}

int replay_add(replay *r, const char *method, const char *path, long status, const char *body)
{
    replay_answer *a = new_answer(r);
    a->method = strdup(method);
    a->path = strdup(path);
    a->request_body = strdup("");
    a->status = status;
    a->body = strdup(body);
    return (int)(r->answer_count - 1);
}

int replay_add_failure(replay *r, const char *method, const char *path, int fail_code,
                       bool delivered)
{
    int index = replay_add(r, method, path, 0, "");
    r->answers[index].fail_code = fail_code;
    r->answers[index].delivered = delivered;
    return index;
}

void replay_allow_writes(replay *r)
{
    int index = replay_add(r, "GET", "/tokens/self", 200,
                           "{\"name\":\"test\",\"scope\":\"global\",\"services\":[]}");
    r->answers[index].sticky = true;
}

/* ---- cassettes ---- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(doc, p->value);
    }
    return NULL;
}

static char *scalar(yaml_node_t *node)
{
    if (!node || node->type != YAML_SCALAR_NODE)
        return NULL;
    return strndup((char *)node->data.scalar.value, node->data.scalar.length);
}

/* A header's first value: headers are maps of name -> [values]. */
static char *header(yaml_document_t *doc, yaml_node_t *headers, const char *name)
{
    if (!headers || headers->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = headers->data.mapping.pairs.start;
         p < headers->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || strcasecmp((char *)k->data.scalar.value, name) != 0)
            continue;
        if (v && v->type == YAML_SEQUENCE_NODE &&
            v->data.sequence.items.top > v->data.sequence.items.start)
            return scalar(yaml_document_get_node(doc, *v->data.sequence.items.start));
        return scalar(v);
    }
    return NULL;
}

static long long header_number(yaml_document_t *doc, yaml_node_t *headers, const char *name)
{
    char *v = header(doc, headers, name);
    long long n = v ? atoll(v) : -1;
    free(v);
    return n;
}

/* Loads a cassette and returns its interactions; the caller deletes doc. */
static yaml_node_t *load_cassette(yaml_document_t *doc, const char *cassette)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/fastly-api/%s", FO_FIXTURES_DIR, cassette);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    yaml_parser_t parser;
    ck_assert(yaml_parser_initialize(&parser));
    yaml_parser_set_input_file(&parser, f);
    ck_assert_msg(yaml_parser_load(&parser, doc), "cannot parse %s", path);
    yaml_parser_delete(&parser);
    fclose(f);
    yaml_node_t *interactions = map_get(doc, yaml_document_get_root_node(doc), "interactions");
    ck_assert_msg(interactions && interactions->type == YAML_SEQUENCE_NODE &&
                      interactions->data.sequence.items.top >
                          interactions->data.sequence.items.start,
                  "%s: no interactions", path);
    return interactions;
}

size_t replay_recorded_form(const char *cassette, char ***keys, char ***values)
{
    yaml_document_t doc;
    yaml_node_t *interactions = load_cassette(&doc, cassette);
    yaml_node_t *first = yaml_document_get_node(&doc, *interactions->data.sequence.items.start);
    yaml_node_t *form = map_get(&doc, map_get(&doc, first, "request"), "form");
    ck_assert(form && form->type == YAML_MAPPING_NODE);
    size_t n = (size_t)(form->data.mapping.pairs.top - form->data.mapping.pairs.start);
    *keys = calloc(n + 1, sizeof(char *));
    *values = calloc(n + 1, sizeof(char *));
    ck_assert(*keys && *values);
    for (size_t i = 0; i < n; i++) {
        yaml_node_pair_t *p = &form->data.mapping.pairs.start[i];
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        ck_assert(v->type == YAML_SEQUENCE_NODE);
        ck_assert_int_eq(v->data.sequence.items.top - v->data.sequence.items.start, 1);
        (*keys)[i] = scalar(yaml_document_get_node(&doc, p->key));
        (*values)[i] = scalar(yaml_document_get_node(&doc, *v->data.sequence.items.start));
    }
    yaml_document_delete(&doc);
    return n;
}

void replay_form_free(char **keys, char **values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(keys[i]);
        free(values[i]);
    }
    free(keys);
    free(values);
}

int replay_load(replay *r, const char *cassette)
{
    yaml_document_t doc;
    yaml_node_t *interactions = load_cassette(&doc, cassette);
    int first = (int)r->answer_count;
    for (yaml_node_item_t *it = interactions->data.sequence.items.start;
         it < interactions->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&doc, *it);
        yaml_node_t *req = map_get(&doc, item, "request");
        yaml_node_t *resp = map_get(&doc, item, "response");
        replay_answer *a = new_answer(r);
        char *url = scalar(map_get(&doc, req, "url"));
        ck_assert_ptr_nonnull(url);
        ck_assert_msg(strncmp(url, REPLAY_BASE_URL, strlen(REPLAY_BASE_URL)) == 0, "%s: %s",
                      cassette, url);
        a->path = strdup(url + strlen(REPLAY_BASE_URL));
        free(url);
        a->method = scalar(map_get(&doc, req, "method"));
        a->request_body = scalar(map_get(&doc, req, "body"));
        a->request_content_type = header(&doc, map_get(&doc, req, "headers"), "Content-Type");
        char *code = scalar(map_get(&doc, resp, "code"));
        a->status = code ? atol(code) : 0;
        free(code);
        a->body = scalar(map_get(&doc, resp, "body"));
        yaml_node_t *headers = map_get(&doc, resp, "headers");
        a->ratelimit_remaining = header_number(&doc, headers, "Fastly-Ratelimit-Remaining");
        a->ratelimit_reset = header_number(&doc, headers, "Fastly-Ratelimit-Reset");
        a->link = header(&doc, headers, "Link");
        ck_assert(a->method && a->request_body && a->body && a->status > 0);
    }
    yaml_document_delete(&doc);
    return first;
}

/* ---- the transport ---- */

static int find_answer(replay *r, const char *method, const char *path)
{
    size_t plen = strcspn(path, "?");
    for (int exact = 1; exact >= 0; exact--) {
        for (size_t i = 0; i < r->answer_count; i++) {
            replay_answer *a = &r->answers[i];
            if (a->used || strcmp(a->method, method) != 0)
                continue;
            if (exact ? strcmp(a->path, path) == 0
                      : strcspn(a->path, "?") == plen && strncmp(a->path, path, plen) == 0)
                return (int)i;
        }
    }
    return -1;
}

static int replay_send(void *ctx, const fo_api_request *req, fo_api_response *resp, fo_error *err)
{
    replay *r = ctx;
    size_t base = strlen(REPLAY_BASE_URL);
    ck_assert_msg(strncmp(req->url, REPLAY_BASE_URL, base) == 0, "request to %s", req->url);
    replay_sent *grown = realloc(r->sent, (r->sent_count + 1) * sizeof(*grown));
    ck_assert_ptr_nonnull(grown);
    r->sent = grown;
    replay_sent *s = &r->sent[r->sent_count++];
    s->method = strdup(req->method);
    s->path = strdup(req->url + base);
    s->body = req->body ? strndup(req->body, req->body_len) : strdup("");
    s->content_type = req->content_type ? strdup(req->content_type) : NULL;
    s->token = strdup(req->token);
    s->user_agent = strdup(req->user_agent);
    s->answer = find_answer(r, req->method, s->path);
    if (s->answer < 0)
        return fo_error_set(err, FO_ECONNECT, "replay: nothing recorded for %s %s", req->method,
                            s->path);
    replay_answer *a = &r->answers[s->answer];
    a->used = !a->sticky;
    if (a->fail_code) {
        resp->maybe_delivered = a->delivered;
        return fo_error_set(err, a->fail_code, "replay: injected failure for %s %s", req->method,
                            s->path);
    }
    resp->status = a->status;
    ck_assert_int_eq(fo_buf_puts(&resp->body, a->body), 0);
    resp->ratelimit_remaining = a->ratelimit_remaining;
    resp->ratelimit_reset = a->ratelimit_reset;
    resp->link = a->link ? strdup(a->link) : NULL;
    return 0;
}

fo_api_transport replay_transport(replay *r)
{
    fo_api_transport t = {.send = replay_send, .destroy = NULL, .ctx = r};
    return t;
}

size_t replay_sent_count(const replay *r)
{
    return r->sent_count;
}

const replay_sent *replay_sent_at(const replay *r, size_t index)
{
    ck_assert_uint_lt(index, r->sent_count);
    return &r->sent[index];
}

const replay_sent *replay_last(const replay *r, const char *method)
{
    for (size_t i = r->sent_count; i > 0; i--) {
        if (strcmp(r->sent[i - 1].method, method) == 0)
            return &r->sent[i - 1];
    }
    return NULL;
}

static void record_sleep(void *ctx, long ms)
{
    replay *r = ctx;
    r->slept_ms += ms;
    r->now += ms / 1000;
}

static long long read_clock(void *ctx)
{
    return ((replay *)ctx)->now;
}

fo_api *replay_client(replay *r)
{
    return replay_client_logged(r, NULL, NULL);
}

void replay_config(replay *r, fo_api_config *cfg, fo_api_transport *t)
{
    fo_api_config_init(cfg);
    *t = replay_transport(r);
    cfg->base_url = REPLAY_BASE_URL;
    cfg->token = REPLAY_TOKEN;
    cfg->transport = t;
    cfg->backoff_initial_ms = 10;
    cfg->backoff_max_ms = 40;
    cfg->sleep = record_sleep;
    cfg->clock = read_clock;
    cfg->clock_ctx = r;
}

fo_api *replay_client_logged(replay *r, fo_log_fn log, void *log_ctx)
{
    fo_api_config cfg;
    fo_api_transport t;
    fo_error err;
    fo_api *api = NULL;
    replay_config(r, &cfg, &t);
    cfg.log = log;
    cfg.log_ctx = log_ctx;
    ck_assert_int_eq(fo_api_new(&api, &cfg, &err), 0);
    return api;
}

long replay_slept_ms(const replay *r)
{
    return r->slept_ms;
}

void replay_set_clock(replay *r, long long now)
{
    r->now = now;
}
