/* fixorigin serve: who may ask. The bearer token of the JSON API, Slack's request signature
 * and the allow-list of reply URLs. Pure functions: no I/O, the clock is an argument. Secrets
 * are compared in constant time and never copied into a message. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fixorigin/serve.h"

/* Both sides are hashed first so the comparison takes the same time whatever the lengths
 * and wherever the first difference is. */
static bool same_secret(const char *expected, const char *given, size_t given_len)
{
    unsigned char a[32], b[32];
    unsigned int alen = 0, blen = 0;
    if (EVP_Digest(expected, strlen(expected), a, &alen, EVP_sha256(), NULL) != 1 ||
        EVP_Digest(given, given_len, b, &blen, EVP_sha256(), NULL) != 1)
        return false;
    return CRYPTO_memcmp(a, b, sizeof(a)) == 0;
}

bool fo_serve_bearer_ok(const char *expected, const char *authorization)
{
    if (fo_str_empty(expected) || !authorization)
        return false;
    /* RFC 6750: the scheme is case-insensitive, one or more spaces follow it. */
    if (strncasecmp(authorization, "Bearer ", 7) != 0)
        return false;
    const char *given = authorization + 7;
    while (*given == ' ')
        given++;
    size_t len = strlen(given);
    while (len > 0 && given[len - 1] == ' ')
        len--;
    return len > 0 && same_secret(expected, given, len);
}

int fo_serve_slack_verify(const char *secret, const char *timestamp, const char *signature,
                          const char *body, size_t body_len, long long now, fo_error *err)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    char expected[3 + 2 * EVP_MAX_MD_SIZE + 1] = "v0=";
    char *end = NULL;
    fo_buf base = {0};
    int rc = 0;

    if (fo_str_empty(timestamp) || fo_str_empty(signature))
        return fo_error_set(err, FO_EAUTH,
                            "missing X-Slack-Request-Timestamp or X-Slack-Signature");
    long long sent = strtoll(timestamp, &end, 10);
    if (!isdigit((unsigned char)timestamp[0]) || *end != '\0' || strlen(timestamp) > 12)
        return fo_error_set(err, FO_EAUTH, "X-Slack-Request-Timestamp is not a Unix time");
    /* Slack's advice: refuse requests more than five minutes old, so a captured request
     * cannot be replayed later. One from the future is only a clock a little ahead: five
     * minutes there would stretch the window a replay memory must cover to ten. */
    if (sent < now - FO_SLACK_MAX_SKEW_S)
        return fo_error_set(err, FO_EAUTH, "X-Slack-Request-Timestamp is more than 5 minutes old");
    if (sent > now + FO_SLACK_FUTURE_SKEW_S)
        return fo_error_set(err, FO_EAUTH,
                            "X-Slack-Request-Timestamp is more than %d s ahead of this "
                            "server's clock",
                            FO_SLACK_FUTURE_SKEW_S);
    if (fo_buf_printf(&base, "v0:%s:", timestamp) != 0 ||
        (body_len > 0 && fo_buf_append(&base, body, body_len) != 0)) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)base.data, base.len,
              mac, &mac_len)) {
        rc = fo_error_set(err, FO_ENOMEM, "cannot compute the request signature");
        goto out;
    }
    fo_hex_encode(expected + 3, mac, mac_len);
    if (!same_secret(expected, signature, strlen(signature)))
        rc = fo_error_set(err, FO_EAUTH, "X-Slack-Signature does not match the request");
out:
    fo_buf_clear(&base);
    return rc;
}

fo_serve_replay_result fo_serve_replay_check(fo_serve_replay *r, const char *signature,
                                             long long timestamp, long long now)
{
    /* Remembered for as long as the timestamp is accepted: through the very second
     * timestamp + FO_SLACK_MAX_SKEW_S, whenever it arrived. */
    long long until = timestamp + FO_SLACK_MAX_SKEW_S;
    size_t free_slot = FO_SLACK_REPLAY_SLOTS;
    for (size_t i = 0; i < FO_SLACK_REPLAY_SLOTS; i++) {
        size_t at = (r->next + i) % FO_SLACK_REPLAY_SLOTS;
        bool live = r->until[at] != 0 && r->until[at] >= now;
        if (live && strncmp(r->signature[at], signature, FO_SLACK_SIGNATURE_MAX - 1) == 0)
            return FO_REPLAY_SEEN;
        if (!live && free_slot == FO_SLACK_REPLAY_SLOTS)
            free_slot = at;
    }
    if (free_slot == FO_SLACK_REPLAY_SLOTS)
        return FO_REPLAY_FULL;
    snprintf(r->signature[free_slot], FO_SLACK_SIGNATURE_MAX, "%s", signature);
    r->until[free_slot] = until < now ? now : until;
    r->next = (free_slot + 1) % FO_SLACK_REPLAY_SLOTS;
    return FO_REPLAY_NEW;
}

bool fo_serve_url_allowed(const char *url, const char *const *prefixes, size_t count)
{
    if (!url)
        return false;
    /* No white space or control characters: what is checked is what is called. */
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\')
            return false;
    }
    if (strncmp(url, FO_SLACK_RESPONSE_PREFIX, strlen(FO_SLACK_RESPONSE_PREFIX)) == 0)
        return true;
    for (size_t i = 0; i < count; i++) {
        if (strncmp(url, prefixes[i], strlen(prefixes[i])) == 0)
            return true;
    }
    return false;
}

bool fo_serve_prefix_valid(const char *prefix)
{
    const char *rest = NULL;
    if (strncmp(prefix, "https://", 8) == 0)
        rest = prefix + 8;
    else if (strncmp(prefix, "http://", 7) == 0)
        rest = prefix + 7;
    /* It must name the whole host and port ("http://127.0.0.1:8080/"), so that it cannot
     * also match "http://127.0.0.1:80800/" or "http://127.0.0.1.evil.test/". */
    if (!rest || rest[0] == '/' || !strchr(rest, '/'))
        return false;
    for (const char *p = prefix; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '\\' || *p == '@')
            return false;
    }
    return true;
}

void fo_serve_list_free(char **items, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(items[i]);
    free(items);
}

int fo_serve_list_parse(char ***out, size_t *out_count, const char *text)
{
    char **items = NULL;
    size_t count = 0;
    int rc = 0;
    for (const char *p = text ? text : ""; *p;) {
        p += strspn(p, ", \t\n");
        size_t len = strcspn(p, ", \t\n");
        if (len == 0)
            continue;
        char **grown = realloc(items, (count + 1) * sizeof(*items));
        if (!grown) {
            rc = FO_ENOMEM;
            goto out;
        }
        items = grown;
        if (!(items[count] = strndup(p, len))) {
            rc = FO_ENOMEM;
            goto out;
        }
        count++;
        p += len;
    }
out:
    if (rc != 0) {
        fo_serve_list_free(items, count);
        items = NULL;
        count = 0;
    }
    *out = items;
    *out_count = count;
    return rc;
}

bool fo_serve_list_has(char *const *items, size_t count, const char *value)
{
    for (size_t i = 0; value && i < count; i++) {
        if (strcmp(items[i], value) == 0)
            return true;
    }
    return false;
}
