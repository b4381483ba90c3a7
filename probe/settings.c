/* Backend settings by Fastly's field names, HOST[:PORT] and targets files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

#include "fixorigin/probe.h"

#define TARGETS_MAX_BYTES (16u << 20)
#define CA_FILE_MAX_BYTES (1u << 20)

void fo_probe_settings_init(fo_probe_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->use_ssl = true;
    s->check_cert = true;
    s->connect_timeout_ms = FO_DEFAULT_CONNECT_TIMEOUT_MS;
    s->expiry_warning_days = FO_DEFAULT_EXPIRY_WARNING_DAYS;
}

static int parse_bool(bool *out, const char *key, const char *value, fo_error *err)
{
    if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0) {
        *out = false;
        return 0;
    }
    return fo_error_set(err, FO_EINVAL, "%s must be 0, 1, true or false, not '%s'", key, value);
}

int fo_probe_settings_set(fo_probe_settings *s, const char *key, const char *value, fo_error *err)
{
    if (!value)
        value = "";
    /* "" means unset, as Fastly treats it: the field goes back to Fastly's default. */
    fo_probe_settings defaults;
    fo_probe_settings_init(&defaults);
    if (strcmp(key, "ssl_sni_hostname") == 0) {
        s->sni_hostname = value;
    } else if (strcmp(key, "ssl_cert_hostname") == 0) {
        s->cert_hostname = value;
    } else if (strcmp(key, "ssl_ca_cert") == 0) {
        s->ca_cert_pem = value;
    } else if (strcmp(key, "ssl_ciphers") == 0) {
        s->ciphers = value;
    } else if (strcmp(key, "ssl_check_cert") == 0) {
        if (*value == '\0')
            s->check_cert = defaults.check_cert;
        else
            return parse_bool(&s->check_cert, key, value, err);
    } else if (strcmp(key, "use_ssl") == 0) {
        if (*value == '\0')
            s->use_ssl = defaults.use_ssl;
        else
            return parse_bool(&s->use_ssl, key, value, err);
    } else if (strcmp(key, "prefer_ipv6") == 0) {
        if (*value == '\0')
            s->prefer_ipv6 = defaults.prefer_ipv6;
        else
            return parse_bool(&s->prefer_ipv6, key, value, err);
    } else if (strcmp(key, "min_tls_version") == 0 || strcmp(key, "max_tls_version") == 0) {
        fo_tls_version *field = strcmp(key, "min_tls_version") == 0 ? &s->min_tls : &s->max_tls;
        if (fo_tls_version_parse(field, value) != 0)
            return fo_error_set(err, FO_EINVAL, "%s must be 1.0, 1.1, 1.2 or 1.3, not '%s'", key,
                                value);
    } else if (strcmp(key, "connect_timeout") == 0 && *value == '\0') {
        s->connect_timeout_ms = defaults.connect_timeout_ms;
    } else if (strcmp(key, "connect_timeout") == 0) {
        char *end = NULL;
        errno = 0;
        long ms = strtol(value, &end, 10);
        if (errno != 0 || *end != '\0' || ms < 1 || ms > FO_MAX_CONNECT_TIMEOUT_MS)
            return fo_error_set(err, FO_EINVAL,
                                "connect_timeout must be a whole number of milliseconds "
                                "from 1 to %d, not '%s'",
                                FO_MAX_CONNECT_TIMEOUT_MS, value);
        s->connect_timeout_ms = ms;
    } else {
        return fo_error_set(err, FO_EINVAL,
                            "unknown setting '%s' (known: ssl_sni_hostname, ssl_cert_hostname, "
                            "ssl_ca_cert, ssl_check_cert, min_tls_version, max_tls_version, "
                            "ssl_ciphers, connect_timeout, use_ssl, prefer_ipv6)",
                            key);
    }
    return 0;
}

bool fo_probe_sni_name_ok(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0 || len > FO_SNI_NAME_MAX)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (c == '.') {
            if (label == 0) /* an empty label: "a..b", ".a" or "a." */
                return false;
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return false;
        if (++label > 63)
            return false;
    }
    return label > 0;
}

static bool is_ip_literal(const char *text)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

/* "'www.exa...' (300 bytes)": a name quoted short enough for one line. */
#define NAME_QUOTE(name) (name), strlen(name) > 40 ? "..." : "", strlen(name)

int fo_probe_settings_check(const fo_probe_settings *s, fo_error *err)
{
    if (!fo_str_empty(s->sni_hostname) && !fo_probe_sni_name_ok(s->sni_hostname))
        return fo_error_set(err, FO_EINVAL,
                            "ssl_sni_hostname '%.40s%s' (%zu bytes) is not a name SNI can carry "
                            "(a DNS name of 1 to %d letters, digits, '.', '-', '_', labels of "
                            "1 to 63)",
                            NAME_QUOTE(s->sni_hostname), FO_SNI_NAME_MAX);
    if (!fo_str_empty(s->cert_hostname) && !is_ip_literal(s->cert_hostname) &&
        !fo_probe_sni_name_ok(s->cert_hostname))
        return fo_error_set(err, FO_EINVAL,
                            "ssl_cert_hostname '%.40s%s' (%zu bytes) is neither a host name (a "
                            "DNS name of 1 to %d letters, digits, '.', '-', '_', labels of 1 to "
                            "63) nor an IP address",
                            NAME_QUOTE(s->cert_hostname), FO_SNI_NAME_MAX);
    if (s->min_tls != FO_TLS_UNSET && s->max_tls != FO_TLS_UNSET && s->min_tls > s->max_tls)
        return fo_error_set(err, FO_EINVAL, "min_tls_version %s is above max_tls_version %s",
                            fo_tls_version_name(s->min_tls), fo_tls_version_name(s->max_tls));
    if (s->connect_timeout_ms < 1 || s->connect_timeout_ms > FO_MAX_CONNECT_TIMEOUT_MS)
        return fo_error_set(err, FO_EINVAL, "connect_timeout must be 1 to %d ms",
                            FO_MAX_CONNECT_TIMEOUT_MS);
    return 0;
}

static bool host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':' || c == '%';
}

static int parse_port(int *out, const char *text, const char *whole, fo_error *err)
{
    char *end = NULL;
    errno = 0;
    long port = strtol(text, &end, 10);
    if (*text < '0' || *text > '9' || errno != 0 || *end != '\0' || port < 1 || port > 65535)
        return fo_error_set(err, FO_EINVAL, "bad port in '%s' (want 1-65535)", whole);
    *out = (int)port;
    return 0;
}

int fo_probe_parse_hostport(char **host_out, int *port_out, const char *text, int default_port,
                            fo_error *err)
{
    const char *host = text;
    size_t host_len = 0;
    const char *port_text = NULL;
    int port = default_port;

    if (fo_str_empty(text))
        return fo_error_set(err, FO_EINVAL, "empty target (want HOST[:PORT])");
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return fo_error_set(err, FO_EINVAL, "'%s': missing ']' after the IPv6 address", text);
        host = text + 1;
        host_len = (size_t)(close - host);
        if (close[1] == ':')
            port_text = close + 2;
        else if (close[1] != '\0')
            return fo_error_set(err, FO_EINVAL, "'%s': expected ':PORT' after ']'", text);
    } else {
        const char *colon = strchr(text, ':');
        if (colon && strchr(colon + 1, ':')) {
            /* Several colons and no brackets: a bare IPv6 address, no port. */
            unsigned char addr[16];
            char copy[64];
            if (strlen(text) >= sizeof(copy) || inet_pton(AF_INET6, strcpy(copy, text), addr) != 1)
                return fo_error_set(err, FO_EINVAL,
                                    "'%s' is not an IPv6 address (write [ADDRESS]:PORT)", text);
            host_len = strlen(text);
        } else if (colon) {
            host_len = (size_t)(colon - text);
            port_text = colon + 1;
        } else {
            host_len = strlen(text);
        }
    }
    if (host_len == 0 || host_len > 253)
        return fo_error_set(err, FO_EINVAL, "'%s': the host name is empty or too long", text);
    for (size_t i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (!host_char_ok((char)c)) {
            if (c < 0x20 || c >= 0x7f)
                return fo_error_set(err, FO_EINVAL,
                                    "'%.*s': bad character in the host name: byte 0x%02X at "
                                    "position %zu%s",
                                    (int)i, host, c, i + 1,
                                    c == 0xEF ? " (a UTF-8 byte order mark?)" : "");
            return fo_error_set(err, FO_EINVAL, "'%s': bad character '%c' in the host name", text,
                                (char)c);
        }
    }
    if (port_text && parse_port(&port, port_text, text, err) != 0)
        return FO_EINVAL;

    char *copy = malloc(host_len + 1);
    if (!copy)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    memcpy(copy, host, host_len);
    copy[host_len] = '\0';
    *host_out = copy;
    *port_out = port;
    return 0;
}

/* Keeps s alive as long as the list; returns s, or NULL (and frees s) when out of memory. */
static char *list_keep(fo_probe_target_list *list, char *s)
{
    if (!s)
        return NULL;
    char **grown = realloc(list->strings, (list->string_count + 1) * sizeof(*grown));
    if (!grown) {
        free(s);
        return NULL;
    }
    list->strings = grown;
    list->strings[list->string_count++] = s;
    return s;
}

static int list_add(fo_probe_target_list *list, const fo_probe_target *target, long line)
{
    fo_probe_target *targets = realloc(list->targets, (list->count + 1) * sizeof(*targets));
    if (!targets)
        return FO_ENOMEM;
    list->targets = targets;
    long *lines = realloc(list->lines, (list->count + 1) * sizeof(*lines));
    if (!lines)
        return FO_ENOMEM;
    list->lines = lines;
    list->targets[list->count] = *target;
    list->lines[list->count] = line;
    list->count++;
    return 0;
}

/* One parse of a targets file. Each ssl_ca_cert=@FILE is read once and its text shared by
 * every line naming it: thousands of lines may name one large bundle. */
struct parse_state {
    fo_probe_target_list *list;
    const char *name;
    struct ca_file {
        const char *path; /* kept by the list */
        const char *pem;  /* kept by the list */
    } * ca_files;
    size_t ca_file_count;
};

int fo_probe_read_ca_file(char **out, const char *path, fo_error *err)
{
    char *pem = NULL;
    int rc = fo_read_file(&pem, path, CA_FILE_MAX_BYTES, err);
    if (rc != 0)
        return rc;
    /* An empty file is no "unset": the user named CAs to trust, and there are none. */
    if (pem[strspn(pem, " \t\r\n")] == '\0') {
        free(pem);
        return fo_error_set(err, FO_EINVAL, "%s is empty: it holds no PEM certificate",
                            fo_input_name(path));
    }
    *out = pem;
    return 0;
}

/* The PEM text of path, read on first use. */
static int ca_file_text(const char **out, struct parse_state *st, const char *path, fo_error *err)
{
    for (size_t i = 0; i < st->ca_file_count; i++) {
        if (strcmp(st->ca_files[i].path, path) == 0) {
            *out = st->ca_files[i].pem;
            return 0;
        }
    }
    char *pem = NULL;
    int rc = fo_probe_read_ca_file(&pem, path, err);
    if (rc != 0)
        return rc;
    struct ca_file *grown = realloc(st->ca_files, (st->ca_file_count + 1) * sizeof(*grown));
    if (!grown) {
        free(pem);
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    st->ca_files = grown;
    if (!list_keep(st->list, pem))
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    grown[st->ca_file_count].path = path;
    grown[st->ca_file_count].pem = pem;
    st->ca_file_count++;
    *out = pem;
    return 0;
}

/* Parses one line's tokens (the line is modified). Empty lines add nothing. */
static int parse_line(struct parse_state *st, char *line, long line_no, fo_error *err)
{
    fo_probe_target_list *list = st->list;
    const char *name = st->name;
    fo_probe_target target = {0};
    fo_error inner = {0};
    char *save = NULL;
    char *token = strtok_r(line, " \t\r", &save);

    if (!token || token[0] == '#')
        return 0;
    fo_probe_settings_init(&target.settings);
    char *host = NULL;
    if (fo_probe_parse_hostport(&host, &target.port, token, 443, &inner) != 0)
        return fo_error_set(err, inner.code, "%s:%ld: %s", name, line_no, inner.msg);
    if (!list_keep(list, host))
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    target.host = host;

    const char *seen[32];
    size_t seen_count = 0;
    const char *last_key = NULL;
    while ((token = strtok_r(NULL, " \t\r", &save)) != NULL) {
        if (token[0] == '#')
            break;
        char *eq = strchr(token, '=');
        if (!eq && last_key)
            return fo_error_set(err, FO_EINVAL,
                                "%s:%ld: '%s' is not key=value: a value cannot contain spaces "
                                "(is it part of %s?)",
                                name, line_no, token, last_key);
        if (!eq)
            return fo_error_set(err, FO_EINVAL, "%s:%ld: '%s' is not key=value", name, line_no,
                                token);
        *eq = '\0';
        const char *key = token;
        for (size_t i = 0; i < seen_count; i++) {
            if (strcmp(seen[i], key) == 0)
                return fo_error_set(err, FO_EINVAL,
                                    "%s:%ld: %s is given twice (which one is meant?)", name,
                                    line_no, key);
        }
        if (seen_count < sizeof(seen) / sizeof(seen[0]))
            seen[seen_count++] = key;
        last_key = key;
        char *raw = eq + 1;
        size_t raw_len = strlen(raw);
        /* Quotes around a whole value are stripped (a shell habit); a lone one is refused,
         * since a quoted value with spaces was split here. */
        if (raw[0] == '"' || raw[0] == '\'') {
            if (raw_len < 2 || raw[raw_len - 1] != raw[0])
                return fo_error_set(err, FO_EINVAL,
                                    "%s:%ld: the value of %s has an unmatched quote (a value "
                                    "cannot contain spaces, quoted or not)",
                                    name, line_no, key);
            raw[raw_len - 1] = '\0';
            raw++;
        }
        char *value = list_keep(list, fo_strdup(raw));
        if (!value)
            return fo_error_set(err, FO_ENOMEM, "out of memory");
        const char *setting = value;
        if (strcmp(key, "ssl_ca_cert") == 0 && value[0] != '\0') {
            if (value[0] != '@')
                return fo_error_set(err, FO_EINVAL,
                                    "%s:%ld: ssl_ca_cert takes @FILE (a PEM file), not '%s'", name,
                                    line_no, value);
            if (ca_file_text(&setting, st, value + 1, &inner) != 0)
                return fo_error_set(err, inner.code, "%s:%ld: ssl_ca_cert: %s", name, line_no,
                                    inner.msg);
        }
        if (fo_probe_settings_set(&target.settings, key, setting, &inner) != 0)
            return fo_error_set(err, inner.code, "%s:%ld: %s", name, line_no, inner.msg);
    }
    if (fo_probe_settings_check(&target.settings, &inner) != 0)
        return fo_error_set(err, inner.code, "%s:%ld: %s", name, line_no, inner.msg);
    if (list_add(list, &target, line_no) != 0)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    return 0;
}

int fo_probe_targets_parse(fo_probe_target_list **out, const char *text, const char *name,
                           fo_error *err)
{
    int rc = 0;
    char *copy = fo_strdup(text);
    struct parse_state st = {.list = calloc(1, sizeof(*st.list)), .name = name};
    if (!copy || !st.list) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    long line_no = 1;
    char *start = copy;
    /* A UTF-8 byte order mark (what some editors write first) is no part of the text. */
    if (start && strncmp(start, "\xEF\xBB\xBF", 3) == 0)
        start += 3;
    for (char *line = start; line; line_no++) {
        char *next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if ((rc = parse_line(&st, line, line_no, err)) != 0)
            goto out;
        line = next;
    }
    *out = st.list;
    st.list = NULL;
out:
    fo_probe_target_list_free(st.list);
    free(st.ca_files);
    free(copy);
    return rc;
}

int fo_probe_targets_load(fo_probe_target_list **out, const char *path, fo_error *err)
{
    char *text = NULL;
    int rc = fo_read_file(&text, path, TARGETS_MAX_BYTES, err);
    if (rc == 0)
        rc = fo_probe_targets_parse(out, text, fo_input_name(path), err);
    free(text);
    return rc;
}

void fo_probe_target_list_free(fo_probe_target_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->string_count; i++)
        free(list->strings[i]);
    free(list->strings);
    free(list->targets);
    free(list->lines);
    free(list);
}
