/* Fuzzes what a Slack slash command brings (serve/serve_auth.c, serve_input.c,
 * serve_blocks.c): its signature headers and form body, and the command text. The input is
 * "TIMESTAMP\nSIGNATURE\nBODY". The request is accepted exactly when the timestamp is a Unix
 * time of at most 12 digits inside the window and the signature is Slack's v0 HMAC of it
 * and the body, computed here on its own (a forged one is never taken); the form's text is read as
 * a command, and a refusal quotes the user's words escaped for mrkdwn (no '<' or '>' to forge a
 * mention or a link, no control character); a response_url is called only when it is a Slack URL or
 * allowed. A button click's payload (serve_input.c's fo_serve_interaction_parse, the form's
 * "payload" field and the whole input as one) is ours only with valid ids and a response_url. */
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/serve.h"
#include "fuzz_util.h"

static const char secret[] = "fuzz-signing-secret-0123456789";
#define NOW 1780000000LL

static void check_escaped(const char *text)
{
    for (const char *p = text; p && *p; p++)
        if (*p == '<' || *p == '>' || (*p != '\n' && ((unsigned char)*p < 0x20 || *p == 0x7f)))
            abort();
}

static void command(const char *text)
{
    fo_serve_command cmd;
    fo_error err;
    if (fo_serve_command_parse(&cmd, text, &err) != 0) {
        fo_buf escaped = {0};
        fo_serve_mrkdwn_append(&escaped, err.msg, false);
        check_escaped(escaped.data);
        fo_buf_clear(&escaped);
        return;
    }
    if (cmd.action != FO_SERVE_HELP && !fo_api_service_id_valid(cmd.service_id))
        abort();
    if (cmd.action == FO_SERVE_APPLY && !fo_serve_plan_ref_valid(cmd.plan_id))
        abort();
}

static void interaction(const char *payload, size_t len)
{
    fo_serve_interaction in;
    fo_error err;
    int rc = fo_serve_interaction_parse(&in, payload, len, &err);
    if (in.ours &&
        (rc != 0 || !fo_api_service_id_valid(in.user_id) ||
         !fo_api_service_id_valid(in.service_id) || !fo_serve_plan_id_valid(in.plan_id) ||
         !in.response_url || strlen(in.response_url) > FO_SERVE_URL_MAX ||
         (in.channel_id[0] && !fo_api_service_id_valid(in.channel_id))))
        abort();
    if (!in.ours && in.response_url)
        abort();
    fo_serve_interaction_clear(&in);
}

static void form(const char *body, size_t len)
{
    static const char *const allow[] = {"http://127.0.0.1:8080/"};
    char *text = NULL, *user = NULL, *url = NULL, *payload = NULL;
    fo_error err;
    if (fo_serve_form_value(&text, body, len, "text", &err) == 0)
        command(text);
    if (fo_serve_form_value(&payload, body, len, "payload", &err) == 0 && payload)
        interaction(payload, strlen(payload));
    free(payload);
    if (fo_serve_form_value(&user, body, len, "user_id", &err) == 0 && user)
        (void)fo_api_service_id_valid(user);
    if (fo_serve_form_value(&url, body, len, "response_url", &err) == 0 && url &&
        fo_serve_url_allowed(url, allow, 1)) {
        if (strncmp(url, FO_SLACK_RESPONSE_PREFIX, strlen(FO_SLACK_RESPONSE_PREFIX)) != 0 &&
            strncmp(url, allow[0], strlen(allow[0])) != 0)
            abort();
        for (const char *p = url; *p; p++)
            if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
                abort();
    }
    free(text);
    free(user);
    free(url);
}

/* Whether Slack would have signed the request so, worked out apart from the server's code. */
static bool genuine(const char *timestamp, const char *signature, const char *body, size_t len)
{
    size_t digits = strspn(timestamp, "0123456789");
    if (digits == 0 || digits > 12 || timestamp[digits] != '\0')
        return false;
    long long sent = strtoll(timestamp, NULL, 10);
    if (sent < NOW - FO_SLACK_MAX_SKEW_S || sent > NOW + FO_SLACK_FUTURE_SKEW_S)
        return false;
    size_t base_len = 3 + strlen(timestamp) + 1 + len;
    unsigned char *base = malloc(base_len + 1), mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!base)
        abort();
    snprintf((char *)base, base_len + 1, "v0:%s:", timestamp);
    memcpy(base + base_len - len, body, len);
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), base, base_len, mac, &mac_len))
        abort();
    free(base);
    char want[3 + 2 * EVP_MAX_MD_SIZE + 1] = "v0=";
    for (unsigned int i = 0; i < mac_len; i++)
        snprintf(want + 3 + 2 * i, 3, "%02x", mac[i]);
    return strcmp(want, signature) == 0;
}

/* The next line of [*p, end) as a new string; the rest after it. */
static char *take_line(const char **p, const char *end)
{
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *line = malloc(len + 1);
    if (line) {
        memcpy(line, *p, len);
        line[len] = '\0';
    }
    *p += len + (nl != NULL);
    return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    char *timestamp = take_line(&p, end);
    char *signature = take_line(&p, end);
    fo_error err;
    if (!timestamp || !signature)
        abort();
    size_t body_len = (size_t)(end - p);
    bool taken = fo_serve_slack_verify(secret, timestamp, signature, p, body_len, NOW, &err) == 0;
    if (taken != genuine(timestamp, signature, p, body_len))
        abort();
    form(p, body_len);
    /* The whole input as the command's text, as Slack would have decoded it. */
    char *text = fuzz_text(data, size);
    if (text)
        command(text);
    free(text);
    interaction((const char *)data, size);
    free(timestamp);
    free(signature);
    return 0;
}
