/* fixorigin serve: what a request asks for. The JSON API's bodies, Slack's form bodies and
 * the text of a slash command, read strictly into a fo_serve_command. Pure: no I/O. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"

const char *fo_serve_action_name(fo_serve_action action)
{
    switch (action) {
    case FO_SERVE_DIAGNOSE:
        return "diagnose";
    case FO_SERVE_PLAN:
        return "plan";
    case FO_SERVE_APPLY:
        return "apply";
    default:
        return "help";
    }
}

static bool lower_hex(const char *id, size_t min, size_t max)
{
    size_t len = id ? strlen(id) : 0;
    if (len < min || len > max)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'f'))
            return false;
    }
    return true;
}

bool fo_serve_plan_id_valid(const char *id)
{
    return lower_hex(id, 64, 64);
}

bool fo_serve_plan_ref_valid(const char *id)
{
    return lower_hex(id, FO_SERVE_PLAN_ID_SHORT, 64);
}

/* Decodes one form component (`+` is a space, %XX a byte) into a new string. */
static int form_decode(char **out, const char *text, size_t len)
{
    char *s = malloc(len + 1);
    if (!s)
        return FO_ENOMEM;
    int rc = fo_percent_decode(s, text, len, FO_PERCENT_PLUS_SPACE, NULL);
    if (rc != 0) {
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int fo_serve_form_value(char **out, const char *body, size_t len, const char *key, fo_error *err)
{
    size_t key_len = strlen(key);
    *out = NULL;
    for (size_t at = 0; at < len;) {
        const char *pair = body + at;
        const char *amp = memchr(pair, '&', len - at);
        size_t pair_len = amp ? (size_t)(amp - pair) : len - at;
        at += pair_len + 1;
        if (pair_len > key_len && pair[key_len] == '=' && memcmp(pair, key, key_len) == 0) {
            int rc = form_decode(out, pair + key_len + 1, pair_len - key_len - 1);
            if (rc == FO_EINVAL)
                return fo_error_set(err, rc, "the form field %s is not URL-encoded", key);
            if (rc != 0)
                return fo_error_set(err, rc, "out of memory");
            return 0;
        }
    }
    return 0;
}

/* Splits text at runs of white space into at most max words of at most word_max bytes. */
static int split_words(char words[][FO_SERVE_WORD_MAX], int max, const char *text)
{
    int count = 0;
    for (const char *p = text; *p;) {
        p += strspn(p, " \t\r\n");
        size_t len = strcspn(p, " \t\r\n");
        if (len == 0)
            break;
        if (count == max || len >= FO_SERVE_WORD_MAX)
            return -1;
        memcpy(words[count], p, len);
        words[count][len] = '\0';
        count++;
        p += len;
    }
    return count;
}

int fo_serve_command_parse(fo_serve_command *out, const char *text, fo_error *err)
{
    char words[4][FO_SERVE_WORD_MAX];
    memset(out, 0, sizeof(*out));
    int count = split_words(words, 4, text ? text : "");
    if (count < 0)
        return fo_error_set(err, FO_EINVAL, "too many or too long words");
    if (count == 0 || strcmp(words[0], "help") == 0) {
        out->action = FO_SERVE_HELP;
        return 0;
    }
    if (strcmp(words[0], "diagnose") == 0)
        out->action = FO_SERVE_DIAGNOSE;
    else if (strcmp(words[0], "plan") == 0)
        out->action = FO_SERVE_PLAN;
    else if (strcmp(words[0], "apply") == 0)
        out->action = FO_SERVE_APPLY;
    else
        return fo_error_set(err, FO_EINVAL, "unknown command '%.40s'", words[0]);
    int want = out->action == FO_SERVE_APPLY ? 3 : 2;
    if (count != want)
        return fo_error_set(err, FO_EINVAL, "usage: %s",
                            out->action == FO_SERVE_APPLY  ? "apply <service> <plan_id>"
                            : out->action == FO_SERVE_PLAN ? "plan <service>"
                                                           : "diagnose <service>");
    if (!fo_api_service_id_valid(words[1]))
        return fo_error_set(err, FO_EINVAL, "'%.40s' is not a service id", words[1]);
    strcpy(out->service_id, words[1]);
    if (out->action == FO_SERVE_APPLY) {
        if (!fo_serve_plan_ref_valid(words[2]))
            return fo_error_set(err, FO_EINVAL,
                                "'%.70s' is not a plan id (the 12 or 64 hex digits from 'plan')",
                                words[2]);
        strcpy(out->plan_id, words[2]);
    }
    return 0;
}

int fo_serve_json_parse(fo_serve_command *out, fo_serve_action action, const char *body, size_t len,
                        fo_error *err)
{
    json_error_t jerr;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    out->action = action;
    json_t *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fo_error_set(err, FO_EINVAL, "the body is not JSON: %s", jerr.text);
    const char *service = json_string_value(json_object_get(root, "service_id"));
    const char *plan = json_string_value(json_object_get(root, "plan_id"));
    if (!json_is_object(root)) {
        rc = fo_error_set(err, FO_EINVAL, "the body must be a JSON object");
    } else if (!service) {
        rc = fo_error_set(err, FO_EINVAL, "the body needs \"service_id\" (a string)");
    } else if (!fo_api_service_id_valid(service)) {
        rc = fo_error_set(err, FO_EINVAL, "\"service_id\" is not a service id");
    } else if (action == FO_SERVE_APPLY && !plan) {
        rc = fo_error_set(err, FO_EINVAL, "the body needs \"plan_id\" (from /v1/plan)");
    } else if (action == FO_SERVE_APPLY && !fo_serve_plan_ref_valid(plan)) {
        rc = fo_error_set(err, FO_EINVAL,
                          "\"plan_id\" is not a plan id (the 12 or 64 hex digits from /v1/plan)");
    } else {
        strcpy(out->service_id, service);
        if (action == FO_SERVE_APPLY)
            strcpy(out->plan_id, plan);
    }
    json_decref(root);
    return rc;
}

/* A string member of obj no longer than max, or NULL (absent, not a string, too long). */
static const char *bounded_string(const json_t *obj, const char *key, size_t max)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s && strlen(s) <= max ? s : NULL;
}

int fo_serve_interaction_parse(fo_serve_interaction *out, const char *payload, size_t len,
                               fo_error *err)
{
    json_error_t jerr;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    json_t *root = json_loadb(payload ? payload : "", len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return fo_error_set(err, FO_EINVAL, "the payload is not JSON: %s", jerr.text);
    const char *type = bounded_string(root, "type", 64);
    const char *user = bounded_string(json_object_get(root, "user"), "id", FO_SERVE_USER_ID_MAX);
    const char *channel =
        bounded_string(json_object_get(root, "channel"), "id", FO_SERVE_USER_ID_MAX);
    const char *url = bounded_string(root, "response_url", FO_SERVE_URL_MAX);
    const json_t *actions = json_object_get(root, "actions");
    const json_t *action = NULL;
    /* Only the first few actions are looked at: a click sends one. */
    for (size_t i = 0; i < json_array_size(actions) && i < 8 && !action; i++) {
        const char *id = bounded_string(json_array_get(actions, i), "action_id", 64);
        if (id && strncmp(id, "fixorigin_", 10) == 0)
            action = json_array_get(actions, i);
    }
    const char *action_id = action ? bounded_string(action, "action_id", 64) : NULL;
    const char *value = action ? bounded_string(action, "value", 200) : NULL;
    if (!json_is_object(root)) {
        rc = fo_error_set(err, FO_EINVAL, "the payload must be a JSON object");
    } else if (!type || strcmp(type, "block_actions") != 0 || !action) {
        /* Another kind of interaction, or another app's button: not ours to act on. */
        out->ours = false;
    } else if (!user || !fo_api_service_id_valid(user)) {
        rc = fo_error_set(err, FO_EINVAL, "the payload has no valid user.id");
    } else if (channel && !fo_api_service_id_valid(channel)) {
        rc = fo_error_set(err, FO_EINVAL, "the payload's channel.id is not a Slack id");
    } else if (!url) {
        rc = fo_error_set(err, FO_EINVAL, "the payload has no response_url");
    } else if (strcmp(action_id, "fixorigin_approve") != 0 &&
               strcmp(action_id, "fixorigin_cancel") != 0) {
        rc = fo_error_set(err, FO_EINVAL, "unknown action_id (fixorigin_approve or _cancel)");
    } else {
        /* value: "SERVICE PLAN_ID", as the plan message's buttons carry it. */
        const char *space = value ? strchr(value, ' ') : NULL;
        size_t service_len = space ? (size_t)(space - value) : 0;
        if (!space || service_len == 0 || service_len > FO_API_ID_MAX ||
            !fo_serve_plan_id_valid(space + 1)) {
            rc = fo_error_set(err, FO_EINVAL, "the button's value is not 'SERVICE PLAN_ID'");
        } else {
            memcpy(out->service_id, value, service_len);
            out->service_id[service_len] = '\0';
            if (!fo_api_service_id_valid(out->service_id)) {
                rc = fo_error_set(err, FO_EINVAL, "the button's value names no service id");
            } else {
                strcpy(out->plan_id, space + 1);
                strcpy(out->user_id, user);
                snprintf(out->channel_id, sizeof(out->channel_id), "%s", channel ? channel : "");
                out->approve = strcmp(action_id, "fixorigin_approve") == 0;
                out->ours = true;
                if (!(out->response_url = strdup(url)))
                    rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            }
        }
    }
    json_decref(root);
    return rc;
}

void fo_serve_interaction_clear(fo_serve_interaction *in)
{
    free(in->response_url);
    in->response_url = NULL;
}
