/* What Fastly computes from a version: the YAML-ish dump the diff endpoint compares,
 * the line diff itself, validation ("does it compile?") and the generated VCL. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock.h"

/* ---- YAML scalars, spelled as Fastly's dump spells them ---- */

static bool looks_like_number(const char *s)
{
    char *end;
    if (!s[0])
        return false;
    (void)strtod(s, &end);
    return *end == '\0';
}

static bool needs_quotes(const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on",
                                        "off",  "null",  "~",   "y",  "n"};
    size_t n = strlen(s);
    if (n == 0 || looks_like_number(s))
        return true;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(s, words[i]) == 0)
            return true;
    }
    if (strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]) || s[n - 1] == ' ' || s[n - 1] == ':')
        return true;
    return strstr(s, ": ") || strstr(s, " #") || strchr(s, '\t');
}

bool fo_mock_diff_keys_parse(fo_mock_dump_style *style, const char *value)
{
    if (strcmp(value, "name-first") == 0)
        style->keys = FO_MOCK_KEYS_NAME_FIRST;
    else if (strcmp(value, "sorted") == 0)
        style->keys = FO_MOCK_KEYS_SORTED;
    else if (strcmp(value, "name-last") == 0)
        style->keys = FO_MOCK_KEYS_NAME_LAST;
    else
        return false;
    return true;
}

bool fo_mock_diff_quotes_parse(fo_mock_dump_style *style, const char *value)
{
    if (strcmp(value, "minimal") != 0 && strcmp(value, "double") != 0)
        return false;
    style->double_quotes = strcmp(value, "double") == 0;
    return true;
}

/* "...", every byte below a space escaped, as a YAML writer that always quotes spells it. */
static int put_double_quoted(fo_buf *out, const char *s)
{
    int rc = fo_buf_puts(out, " \"");
    for (const char *p = s; rc == 0 && *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\')
            rc = fo_buf_printf(out, "\\%c", c);
        else if (c == '\n')
            rc = fo_buf_puts(out, "\\n");
        else if (c < 0x20 || c == 0x7f)
            rc = fo_buf_printf(out, "\\x%02x", c);
        else
            rc = fo_buf_append(out, p, 1);
    }
    return rc == 0 ? fo_buf_puts(out, "\"\n") : rc;
}

/* Appends the value after "key:"; multi-line strings become literal blocks indented by
 * indent + 2. */
static int put_scalar(fo_buf *out, const json_t *value, int indent, const fo_mock_dump_style *style)
{
    if (!value || json_is_null(value))
        return fo_buf_puts(out, style->double_quotes ? " null\n" : "\n");
    if (json_is_true(value))
        return fo_buf_puts(out, " true\n");
    if (json_is_false(value))
        return fo_buf_puts(out, " false\n");
    if (json_is_integer(value))
        return fo_buf_printf(out, " %lld\n", (long long)json_integer_value(value));
    const char *s = json_string_value(value);
    if (!s)
        return fo_buf_puts(out, style->double_quotes ? " null\n" : "\n");
    if (style->double_quotes)
        return put_double_quoted(out, s);
    if (strchr(s, '\n')) {
        size_t n = strlen(s);
        int rc = fo_buf_puts(out, s[n - 1] == '\n' ? " |\n" : " |-\n");
        const char *line = s;
        while (rc == 0 && *line) {
            size_t len = strcspn(line, "\n");
            rc = fo_buf_printf(out, "%*s%.*s\n", indent + 2, "", (int)len, line);
            line += len;
            if (*line == '\n')
                line++;
        }
        return rc;
    }
    if (!needs_quotes(s))
        return fo_buf_printf(out, " %s\n", s);
    int rc = fo_buf_puts(out, " '");
    for (const char *p = s; rc == 0 && *p; p++)
        rc = *p == '\'' ? fo_buf_puts(out, "''") : fo_buf_append(out, p, 1);
    return rc == 0 ? fo_buf_puts(out, "'\n") : rc;
}

static int put_field(fo_buf *out, int indent, const char *lead, const char *key,
                     const json_t *value, const fo_mock_dump_style *style)
{
    int rc = fo_buf_printf(out, "%*s%s%s:", indent, "", lead, key);
    return rc == 0 ? put_scalar(out, value, indent + (int)strlen(lead), style) : rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define MAX_ITEM_KEYS 64

/* The keys of one item in the style's order: name, then order (NULL = every key of the
 * object but metadata, which for backends is alphabetical), name moved as the style says. */
static size_t item_keys(const char **keys, const json_t *view, const char *const *order,
                        const fo_mock_dump_style *style)
{
    static const char *const skip[] = {"name",       "service_id", "version",
                                       "created_at", "updated_at", "deleted_at"};
    size_t n = 0;
    keys[n++] = "name";
    if (order) {
        for (size_t k = 0; order[k] && n < MAX_ITEM_KEYS; k++)
            keys[n++] = order[k];
    } else {
        const char *field;
        json_t *value;
        json_object_foreach((json_t *)view, field, value)
        {
            bool skipped = n >= MAX_ITEM_KEYS;
            for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
                skipped = skipped || strcmp(field, skip[k]) == 0;
            if (!skipped)
                keys[n++] = field;
        }
    }
    if (style->keys == FO_MOCK_KEYS_SORTED) {
        qsort(keys, n, sizeof(*keys), by_name);
    } else if (style->keys == FO_MOCK_KEYS_NAME_LAST) {
        memmove(keys, keys + 1, (n - 1) * sizeof(*keys));
        keys[n - 1] = "name";
    }
    return n;
}

/* A list of objects, each item's keys in the style's order. */
static int put_list(fo_buf *out, const char *key, const json_t *items, const char *const *order,
                    const char *service_id, int version, const fo_mock_dump_style *style)
{
    if (json_array_size(items) == 0)
        return fo_buf_printf(out, "%s: []\n", key);
    int rc = fo_buf_printf(out, "%s:\n", key);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        json_t *view = order ? json_incref(item) : fo_mock_backend_view(item, service_id, version);
        if (!view)
            return FO_ENOMEM;
        const char *keys[MAX_ITEM_KEYS];
        size_t n = item_keys(keys, view, order, style);
        for (size_t k = 0; rc == 0 && k < n; k++)
            rc = put_field(out, k == 0 ? 0 : 2, k == 0 ? "- " : "", keys[k],
                           json_object_get(view, keys[k]), style);
        json_decref(view);
    }
    return rc;
}

char *fo_mock_version_dump(const fo_mock_service *service, const fo_mock_version *version,
                           const fo_mock_dump_style *style)
{
    static const char *const domain_order[] = {"comment", NULL};
    static const char *const vcl_order[] = {"content", "main", NULL};
    static const fo_mock_dump_style recorded = {.keys = FO_MOCK_KEYS_NAME_FIRST};
    fo_buf out = {0};
    json_t *comment = json_string(version->comment);
    json_t *sid = json_string(service->id);
    json_t *empty = json_string("");
    int rc = comment && sid && empty ? 0 : FO_ENOMEM;
    if (!style)
        style = &recorded;
    if (rc == 0)
        rc = fo_buf_puts(&out, "acls: []\n");
    if (rc == 0)
        rc = put_list(&out, "backends", version->backends, NULL, service->id, version->number,
                      style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "cache_settings: []\n");
    if (rc == 0)
        rc = put_field(&out, 0, "", "comment", comment, style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "conditions: []\ndeployed: false\ndictionaries: []\n"
                               "directors: []\n");
    if (rc == 0)
        rc = put_list(&out, "domains", version->domains, domain_order, NULL, 0, style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "gzips: []\nheaders: []\nhealthchecks: []\n");
    if (rc == 0)
        rc = fo_mock_origins_dump(&out, version, "pools");
    if (rc == 0)
        rc = fo_buf_puts(&out, "request_settings: []\nresponse_objects: []\n");
    if (rc == 0)
        rc = put_field(&out, 0, "", "service_id", sid, style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "settings:\n");
    if (rc == 0)
        rc = put_field(&out, 2, "", "general.default_host", empty, style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "  general.default_pci: 0\n"
                               "  general.default_ttl: 3600\n"
                               "  general.stale_if_error: false\n"
                               "  general.stale_if_error_ttl: 43200\n"
                               "");
    if (rc == 0)
        rc = fo_mock_origins_dump(&out, version, "snippets");
    if (rc == 0)
        rc = fo_buf_puts(&out, "staging: false\ntesting: false\n");
    if (rc == 0)
        rc = put_list(&out, "vcls", version->vcls, vcl_order, NULL, 0, style);
    if (rc == 0)
        rc = fo_buf_puts(&out, "wordpress: []\n");
    json_decref(comment);
    json_decref(sid);
    json_decref(empty);
    if (rc != 0) {
        fo_buf_clear(&out);
        return NULL;
    }
    return fo_buf_steal(&out);
}

/* ---- line diff (the lines: common/lines.c) ---- */

static int emit(fo_buf *out, char mark, const fo_lines *l, size_t i)
{
    return fo_buf_printf(out, "%c%.*s\n", mark, (int)l->len[i], l->start[i]);
}

/* Largest middle (lines x lines) compared line by line; beyond it the middle is shown as
 * all removed then all added, which is still a correct diff, only a longer one. */
#define DIFF_MAX_CELLS ((size_t)4 * 1000 * 1000)

static int diff_middle(fo_buf *out, const fo_lines *a, size_t a0, size_t a1, const fo_lines *b,
                       size_t b0, size_t b1)
{
    size_t n = a1 - a0, m = b1 - b0;
    int rc = 0;
    if ((n + 1) * (m + 1) > DIFF_MAX_CELLS) {
        for (size_t i = a0; rc == 0 && i < a1; i++)
            rc = emit(out, '-', a, i);
        for (size_t j = b0; rc == 0 && j < b1; j++)
            rc = emit(out, '+', b, j);
        return rc;
    }
    /* lcs[i][j]: longest common subsequence of a[a0+i..] and b[b0+j..]. */
    uint32_t *lcs = calloc((n + 1) * (m + 1), sizeof(*lcs));
    if (!lcs)
        return FO_ENOMEM;
#define L(i, j) lcs[(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;) {
        for (size_t j = m; j-- > 0;) {
            if (fo_lines_same(a, a0 + i, b, b0 + j))
                L(i, j) = L(i + 1, j + 1) + 1;
            else
                L(i, j) = L(i + 1, j) >= L(i, j + 1) ? L(i + 1, j) : L(i, j + 1);
        }
    }
    size_t i = 0, j = 0;
    while (rc == 0 && (i < n || j < m)) {
        if (i < n && j < m && fo_lines_same(a, a0 + i, b, b0 + j)) {
            rc = emit(out, ' ', a, a0 + i);
            i++;
            j++;
        } else if (i < n && (j == m || L(i + 1, j) >= L(i, j + 1))) {
            rc = emit(out, '-', a, a0 + i++);
        } else {
            rc = emit(out, '+', b, b0 + j++);
        }
    }
#undef L
    free(lcs);
    return rc;
}

char *fo_mock_diff(const char *from, const char *to)
{
    fo_lines a = {0}, b = {0};
    fo_buf out = {0};
    int rc = fo_lines_split(&a, from);
    if (rc == 0)
        rc = fo_lines_split(&b, to);
    if (rc != 0)
        goto out;
    size_t head = 0, tail = 0;
    fo_lines_common_ends(&head, &tail, &a, &b);
    for (size_t i = 0; rc == 0 && i < head; i++)
        rc = emit(&out, ' ', &a, i);
    if (rc == 0)
        rc = diff_middle(&out, &a, head, a.count - tail, &b, head, b.count - tail);
    for (size_t i = a.count - tail; rc == 0 && i < a.count; i++)
        rc = emit(&out, ' ', &a, i);
out:
    fo_lines_clear(&a);
    fo_lines_clear(&b);
    if (rc != 0) {
        fo_buf_clear(&out);
        return NULL;
    }
    return fo_buf_steal(&out);
}

/* ---- validation ---- */

static bool flag(const json_t *backend, const char *field)
{
    return json_is_true(json_object_get(backend, field));
}

const char *fo_mock_validate(const fo_mock_version *version, char *detail, size_t len)
{
    size_t i;
    json_t *backend;
    json_array_foreach(version->backends, i, backend)
    {
        const char *name = fo_mock_backend_name(backend);
        if (flag(backend, "use_ssl") && flag(backend, "ssl_check_cert") &&
            fo_str_empty(fo_mock_backend_str(backend, "ssl_cert_hostname")) &&
            fo_str_empty(fo_mock_backend_str(backend, "ssl_hostname"))) {
            snprintf(detail, len,
                     "Backend '%s': Mandatory SSL cert checks require specifying cert hostname",
                     name);
            return "Mandatory SSL cert checks require specifying cert hostname";
        }
        const char *min = fo_mock_backend_str(backend, "min_tls_version");
        const char *max = fo_mock_backend_str(backend, "max_tls_version");
        if (!fo_str_empty(min) && !fo_str_empty(max) && strtod(min, NULL) > strtod(max, NULL)) {
            snprintf(detail, len, "Backend '%s': min_tls_version is above max_tls_version", name);
            return "Minimum TLS version cannot be greater than maximum TLS version";
        }
    }
    return NULL;
}

/* ---- generated VCL ---- */

static int vcl_name(fo_buf *out, const char *name)
{
    int rc = fo_buf_puts(out, "F_");
    for (const char *p = name; rc == 0 && *p; p++) {
        char c = isalnum((unsigned char)*p) ? *p : '_';
        rc = fo_buf_append(out, &c, 1);
    }
    return rc;
}

/* A VCL string: "..." when it can be, else a long string {"..."}. */
static int vcl_string(fo_buf *out, const char *key, const char *value)
{
    if (strpbrk(value, "\"\n%"))
        return fo_buf_printf(out, "    .%s = {\"%s\"};\n", key, value);
    return fo_buf_printf(out, "    .%s = \"%s\";\n", key, value);
}

static int vcl_backend(fo_buf *out, const json_t *b, const char *service_id)
{
    const char *str_fields[][2] = {{"address", "host"},
                                   {"override_host", "host_header"},
                                   {"ssl_cert_hostname", "ssl_cert_hostname"},
                                   {"ssl_sni_hostname", "ssl_sni_hostname"},
                                   {"ssl_ca_cert", "ssl_ca_cert"},
                                   {"ssl_client_cert", "ssl_client_cert"},
                                   {"ssl_ciphers", "ciphers"},
                                   {"min_tls_version", "min_tls_version"},
                                   {"max_tls_version", "max_tls_version"}};
    int rc = fo_buf_puts(out, "backend ");
    if (rc == 0)
        rc = vcl_name(out, fo_mock_backend_name(b));
    if (rc == 0)
        rc = fo_buf_printf(
            out,
            " {\n    .always_use_host_header = %s;\n    .between_bytes_timeout = %lldms;\n"
            "    .connect_timeout = %lldms;\n    .dynamic = true;\n"
            "    .first_byte_timeout = %lldms;\n    .max_connections = %lld;\n"
            "    .port = \"%lld\";\n    .share_key = \"%s\";\n",
            fo_str_empty(fo_mock_backend_str(b, "override_host")) ? "false" : "true",
            (long long)json_integer_value(json_object_get(b, "between_bytes_timeout")),
            (long long)json_integer_value(json_object_get(b, "connect_timeout")),
            (long long)json_integer_value(json_object_get(b, "first_byte_timeout")),
            (long long)json_integer_value(json_object_get(b, "max_conn")),
            (long long)json_integer_value(json_object_get(b, "port")), service_id);
    for (size_t i = 0; rc == 0 && i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
        const char *value = fo_mock_backend_str(b, str_fields[i][0]);
        if (!fo_str_empty(value))
            rc = vcl_string(out, str_fields[i][1], value);
    }
    if (rc == 0 && flag(b, "use_ssl"))
        rc = fo_buf_printf(out, "    .ssl = true;\n    .ssl_check_cert = %s;\n",
                           flag(b, "ssl_check_cert") ? "always" : "never");
    return rc == 0 ? fo_buf_puts(out, "}\n\n") : rc;
}

char *fo_mock_generated_vcl(const fo_mock_service *service, const fo_mock_version *version)
{
    fo_buf out = {0};
    const char *main_vcl = NULL;
    size_t i;
    json_t *item;
    int rc = fo_buf_printf(&out, "# Generated for service %s version %d by fastly-mock\n\n",
                           service->id, version->number);
    json_array_foreach(version->backends, i, item)
    {
        if (rc == 0)
            rc = vcl_backend(&out, item, service->id);
    }
    json_array_foreach(version->vcls, i, item)
    {
        if (json_is_true(json_object_get(item, "main")))
            main_vcl = json_string_value(json_object_get(item, "content"));
    }
    if (rc == 0 && main_vcl) {
        rc = fo_buf_printf(&out, "%s\n", main_vcl);
    } else if (rc == 0) {
        rc = fo_buf_puts(&out, "sub vcl_recv {\n#--FASTLY RECV BEGIN\n");
        if (rc == 0 && json_array_size(version->backends) > 0) {
            rc = fo_buf_puts(&out, "  set req.backend = ");
            if (rc == 0)
                rc = vcl_name(&out, fo_mock_backend_name(json_array_get(version->backends, 0)));
            if (rc == 0)
                rc = fo_buf_puts(&out, ";\n");
        }
        if (rc == 0)
            rc = fo_buf_puts(&out, "#--FASTLY RECV END\n  return(lookup);\n}\n");
    }
    if (rc != 0) {
        fo_buf_clear(&out);
        return NULL;
    }
    return fo_buf_steal(&out);
}
