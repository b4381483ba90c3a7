/* The read endpoints: one function each, GET and parse. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* Bounds a paginated listing, so a server that always says "next" ends. */
#define MAX_PAGES 1000

int fo_api_service_details(fo_api *api, fo_service **out, const char *service_id, long version,
                           fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version ? version : 1, NULL, err);
    if (rc == 0 && version)
        rc = fo_api_get(api, &resp, err, "/service/%s/details?version=%ld", service_id, version);
    else if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/details", service_id);
    if (rc == 0)
        rc = fo_api_parse_service_details(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

/* RFC 8288 Link: `<url>; rel="next", <url>; rel="last"`. Only whether a next
 * page exists is taken from it: the client builds the next URL itself so the
 * token never follows a link to somewhere else. */
static bool has_next_page(const char *link)
{
    for (const char *p = link; p && *p; p++) {
        if (strncasecmp(p, "rel=\"next\"", 10) == 0 || strncasecmp(p, "rel=next", 8) == 0)
            return true;
    }
    return false;
}

int fo_api_service_list(fo_api *api, fo_service_list **out, fo_error *err)
{
    int rc = 0;
    fo_api_response resp = {0};
    fo_service_list *list = calloc(1, sizeof(*list));
    if (!list)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (long page = 1;; page++) {
        if (page > MAX_PAGES) {
            rc = fo_error_set(err, FO_EPROTO, "Fastly API: more than %d pages of services",
                              MAX_PAGES);
            goto out;
        }
        /* The parameters and their order are go-fastly's paginator's. */
        rc = fo_api_get(api, &resp, err,
                        "/service?direction=descend&page=%ld&per_page=100&sort=created", page);
        if (rc == 0)
            rc = fo_api_parse_service_page(list, resp.body.data, resp.body.len, err);
        if (rc != 0 || !has_next_page(resp.link))
            break;
        fo_api_response_clear(&resp);
    }
    if (rc == 0) {
        *out = list;
        list = NULL;
    }
out:
    fo_api_response_clear(&resp);
    fo_service_list_free(list);
    return rc;
}

int fo_api_version_list(fo_api *api, fo_version_list **out, const char *service_id, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, 1, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version", service_id);
    if (rc == 0)
        rc = fo_api_parse_version_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_version_get(fo_api *api, fo_version **out, const char *service_id, long version,
                       fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_version(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_version_validate(fo_api *api, fo_validation **out, const char *service_id, long version,
                            fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/validate", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_validation(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_backend_get(fo_api *api, fo_backend **out, const char *service_id, long version,
                       const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/backend/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_backend(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_backend_list(fo_api *api, fo_backend_list **out, const char *service_id, long version,
                        fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/backend", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_backend_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

/* The diff is a line-prefixed YAML dump that carries ssl_client_key. Its
 * value, and the lines a multi-line value continues on (deeper indented),
 * become "[redacted]" so the key can never reach a screen or a report. */
static int redact_client_keys(fo_buf *out, const char *text)
{
    static const char key[] = "ssl_client_key:";
    size_t key_indent = 0;
    bool skipping = false;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        /* Column 0 is the diff's prefix (' ', '+', '-'); the dump follows. */
        const char *body = len > 0 ? line + 1 : line;
        size_t indent = strspn(body, " ");
        while (strncmp(body + indent, "- ", 2) == 0) /* a list item's first key */
            indent += 2 + strspn(body + indent + 2, " ");
        bool blank = body[indent] == '\n' || body[indent] == '\0';
        if (skipping && (blank || indent > key_indent)) {
            line += len;
            continue;
        }
        skipping = false;
        int rc = 0;
        if (len > 1 && strncmp(body + indent, key, sizeof(key) - 1) == 0) {
            const char *value = body + indent + sizeof(key) - 1;
            size_t value_len = strcspn(value, "\n");
            bool empty = strspn(value, " ") == value_len ||
                         (value_len >= 3 && strncmp(value + strspn(value, " "), "''", 2) == 0 &&
                          strspn(value, " ") + 2 == value_len);
            rc = fo_buf_append(out, line, (size_t)(value - line));
            if (rc == 0 && !empty)
                rc = fo_buf_puts(out, " [redacted]");
            else if (rc == 0)
                rc = fo_buf_append(out, value, value_len);
            if (rc == 0 && end)
                rc = fo_buf_puts(out, "\n");
            key_indent = indent;
            skipping = !empty;
        } else {
            rc = fo_buf_append(out, line, len);
        }
        if (rc != 0)
            return FO_ENOMEM;
        line += len;
    }
    return fo_buf_append(out, "", 0);
}

int fo_api_diff(fo_api *api, fo_diff **out, const char *service_id, long from, long to,
                fo_error *err)
{
    fo_api_response resp = {0};
    fo_diff *diff = NULL;
    fo_buf clean = {0};
    int rc = fo_api_check_args(service_id, from < to ? from : to, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/diff/from/%ld/to/%ld?format=text", service_id,
                        from, to);
    if (rc == 0)
        rc = fo_api_parse_diff(&diff, resp.body.data, resp.body.len, err);
    if (rc == 0 && redact_client_keys(&clean, diff->text) != 0)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0) {
        fo_secret_free(diff->text);
        diff->text = fo_buf_steal(&clean);
        *out = diff;
        diff = NULL;
    }
    fo_buf_free(&clean);
    fo_diff_free(diff);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_vcl_list(fo_api *api, fo_vcl_list **out, const char *service_id, long version,
                    fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/vcl", service_id, version);
    if (rc == 0)
        rc = fo_api_parse_vcl_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_vcl_get(fo_api *api, fo_vcl **out, const char *service_id, long version,
                   const char *name, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, name ? name : "", err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/vcl/%s", service_id, version,
                        name);
    if (rc == 0)
        rc = fo_api_parse_vcl(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_generated_vcl(fo_api *api, fo_vcl **out, const char *service_id, long version,
                         fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_check_args(service_id, version, NULL, err);
    if (rc == 0)
        rc = fo_api_get(api, &resp, err, "/service/%s/version/%ld/generated_vcl", service_id,
                        version);
    if (rc == 0)
        rc = fo_api_parse_vcl(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_public_ip_list(fo_api *api, fo_ip_list **out, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_get(api, &resp, err, "/public-ip-list");
    if (rc == 0)
        rc = fo_api_parse_ip_list(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}

int fo_api_token_self(fo_api *api, fo_token_info **out, fo_error *err)
{
    fo_api_response resp = {0};
    int rc = fo_api_get(api, &resp, err, "/tokens/self");
    if (rc == 0)
        rc = fo_api_parse_token(out, resp.body.data, resp.body.len, err);
    fo_api_response_clear(&resp);
    return rc;
}
