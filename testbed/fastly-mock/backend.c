/* Backends: every field Fastly returns, its type and default, and the rules of a
 * form update. A stored backend is a JSON object holding the STORED and META fields;
 * the API view adds the DERIVED ones. Types follow the recordings: real ints and bools. */
#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mock.h"

typedef enum { T_STR, T_INT, T_BOOL } field_type;
typedef enum {
    K_STORED,  /* in the state, settable by a form */
    K_FIXED,   /* in the state, not settable (Fastly returns it, nothing writes it) */
    K_META,    /* timestamps: in the state, set by the mock */
    K_DERIVED, /* computed for the view */
} field_kind;

typedef struct field {
    const char *name;
    field_type type;
    field_kind kind;
    const char *def; /* JSON text of the default; "null" = unset */
    long long min, max;
} field;

#define NOLIMIT 0, 0

/* Alphabetical, the order of the view and of the diff dump. */
static const field fields[] = {
    {"address", T_STR, K_STORED, "null", NOLIMIT},
    {"auto_loadbalance", T_BOOL, K_STORED, "false", NOLIMIT},
    {"between_bytes_timeout", T_INT, K_STORED, "10000", 0, 3600000},
    {"client_cert", T_STR, K_FIXED, "null", NOLIMIT},
    {"comment", T_STR, K_STORED, "\"\"", NOLIMIT},
    {"connect_timeout", T_INT, K_STORED, "1000", 0, 3600000},
    {"created_at", T_STR, K_META, "null", NOLIMIT},
    {"deleted_at", T_STR, K_DERIVED, "null", NOLIMIT},
    {"error_threshold", T_INT, K_STORED, "0", 0, 2147483647},
    {"first_byte_timeout", T_INT, K_STORED, "15000", 0, 3600000},
    {"healthcheck", T_STR, K_STORED, "null", NOLIMIT},
    {"hostname", T_STR, K_DERIVED, "null", NOLIMIT},
    {"ipv4", T_STR, K_DERIVED, "null", NOLIMIT},
    {"ipv6", T_STR, K_DERIVED, "null", NOLIMIT},
    {"keepalive_time", T_INT, K_STORED, "null", 0, 2147483647},
    {"max_conn", T_INT, K_STORED, "200", 0, 2147483647},
    {"max_lifetime", T_INT, K_STORED, "0", 0, 2147483647},
    {"max_tls_version", T_STR, K_STORED, "null", NOLIMIT},
    {"max_use", T_INT, K_STORED, "0", 0, 2147483647},
    {"min_tls_version", T_STR, K_STORED, "null", NOLIMIT},
    {"name", T_STR, K_STORED, "null", NOLIMIT},
    {"override_host", T_STR, K_STORED, "null", NOLIMIT},
    {"port", T_INT, K_STORED, "80", 0, 65535},
    {"prefer_ipv6", T_BOOL, K_STORED, "false", NOLIMIT},
    {"request_condition", T_STR, K_STORED, "\"\"", NOLIMIT},
    {"service_id", T_STR, K_DERIVED, "null", NOLIMIT},
    {"share_key", T_STR, K_STORED, "null", NOLIMIT},
    {"shield", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_ca_cert", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_cert_hostname", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_check_cert", T_BOOL, K_STORED, "true", NOLIMIT},
    {"ssl_ciphers", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_client_cert", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_client_key", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_hostname", T_STR, K_STORED, "null", NOLIMIT},
    {"ssl_sni_hostname", T_STR, K_STORED, "null", NOLIMIT},
    {"tcp_keepalive_enable", T_BOOL, K_STORED, "null", NOLIMIT},
    {"tcp_keepalive_interval", T_INT, K_STORED, "null", 0, 2147483647},
    {"tcp_keepalive_probes", T_INT, K_STORED, "null", 0, 2147483647},
    {"tcp_keepalive_time", T_INT, K_STORED, "null", 0, 2147483647},
    {"updated_at", T_STR, K_META, "null", NOLIMIT},
    {"use_ssl", T_BOOL, K_STORED, "false", NOLIMIT},
    {"version", T_INT, K_DERIVED, "null", NOLIMIT},
    {"weight", T_INT, K_STORED, "100", 1, 100},
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static const field *field_find(const char *name)
{
    for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

static json_t *field_default(const field *f)
{
    return json_loads(f->def, JSON_DECODE_ANY, NULL);
}

static bool is_tls_version(const char *s)
{
    static const char *const known[] = {"1", "1.0", "1.1", "1.2", "1.3"};
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
        if (strcmp(s, known[i]) == 0)
            return true;
    }
    return false;
}

/* True when text holds one or more PEM certificates and nothing else that looks like
 * PEM. Fastly rejects a CA or client certificate it cannot parse. */
static bool is_pem_certificates(const char *text)
{
    BIO *bio = BIO_new_mem_buf(text, -1);
    if (!bio)
        return false;
    int count = 0;
    X509 *cert;
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_free(cert);
        count++;
    }
    ERR_clear_error();
    BIO_free(bio);
    return count > 0;
}

/* Checks a string value against the field's own rules; detail gets Fastly's words. */
static int check_string(const field *f, const char *value, fo_error *err)
{
    if (strcmp(f->name, "name") == 0 && value[0] == '\0')
        return fo_error_set(err, FO_EINVAL, "Name can't be blank");
    if (strcmp(f->name, "address") == 0 && value[0] == '\0')
        return fo_error_set(err, FO_EINVAL, "Address can't be blank");
    if ((strcmp(f->name, "min_tls_version") == 0 || strcmp(f->name, "max_tls_version") == 0) &&
        value[0] && !is_tls_version(value))
        return fo_error_set(err, FO_EINVAL, "%s must be one of 1.0, 1.1, 1.2, 1.3", f->name);
    if ((strcmp(f->name, "ssl_ca_cert") == 0 || strcmp(f->name, "ssl_client_cert") == 0) &&
        value[0] && !is_pem_certificates(value))
        return fo_error_set(err, FO_EINVAL, "%s is not a valid PEM certificate", f->name);
    if (strcmp(f->name, "ssl_client_key") == 0 && value[0] &&
        (!strstr(value, "-----BEGIN") || !strstr(value, "PRIVATE KEY-----")))
        return fo_error_set(err, FO_EINVAL, "ssl_client_key is not a valid PEM private key");
    return 0;
}

static int check_int(const field *f, long long value, fo_error *err)
{
    if (f->min != f->max && (value < f->min || value > f->max))
        return fo_error_set(err, FO_EINVAL, "%s must be between %lld and %lld", f->name, f->min,
                            f->max);
    return 0;
}

/* A form value as JSON of the field's type. Empty clears: null for fields whose default
 * is unset, the default for string fields that default to "", else a 400. */
static int form_value(json_t **out, const field *f, const char *value, fo_error *err)
{
    *out = NULL;
    if (value[0] == '\0') {
        json_t *def = field_default(f);
        if (json_is_null(def) || json_is_string(def)) {
            if (strcmp(f->name, "name") == 0 || strcmp(f->name, "address") == 0) {
                json_decref(def);
                return check_string(f, value, err);
            }
            *out = def;
            return 0;
        }
        json_decref(def);
        return fo_error_set(err, FO_EINVAL, "%s can't be blank", f->name);
    }
    switch (f->type) {
    case T_STR:
        if (check_string(f, value, err) != 0)
            return FO_EINVAL;
        *out = json_string(value);
        break;
    case T_INT: {
        char *end;
        long long n = strtoll(value, &end, 10);
        if (*end != '\0' || end == value)
            return fo_error_set(err, FO_EINVAL, "%s must be an integer", f->name);
        if (check_int(f, n, err) != 0)
            return FO_EINVAL;
        *out = json_integer(n);
        break;
    }
    case T_BOOL:
        if (strcmp(value, "1") == 0 || strcasecmp(value, "true") == 0)
            *out = json_true();
        else if (strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0)
            *out = json_false();
        else
            return fo_error_set(err, FO_EINVAL, "%s must be true or false", f->name);
        break;
    }
    return *out ? 0 : fo_error_set(err, FO_ENOMEM, "out of memory");
}

/* A state file value: the JSON type must match (null allowed for every field). */
static int state_value(const field *f, const json_t *value, const char *where, fo_error *err)
{
    if (json_is_null(value))
        return 0;
    switch (f->type) {
    case T_STR:
        if (!json_is_string(value))
            return fo_error_set(err, FO_EINVAL, "%s.%s: expected a string or null", where, f->name);
        if (check_string(f, json_string_value(value), err) != 0)
            return fo_error_set(err, FO_EINVAL, "%s.%s: %s", where, f->name, err->msg);
        return 0;
    case T_INT:
        if (!json_is_integer(value))
            return fo_error_set(err, FO_EINVAL, "%s.%s: expected an integer", where, f->name);
        if (check_int(f, json_integer_value(value), err) != 0)
            return fo_error_set(err, FO_EINVAL, "%s.%s: %s", where, f->name, err->msg);
        return 0;
    case T_BOOL:
        if (!json_is_boolean(value))
            return fo_error_set(err, FO_EINVAL, "%s.%s: expected true or false", where, f->name);
        return 0;
    }
    return 0;
}

int fo_mock_backend_from_state(json_t **out, const json_t *given, const char *where,
                               const char *now, fo_error *err)
{
    *out = NULL;
    if (!json_is_object(given))
        return fo_error_set(err, FO_EINVAL, "%s: expected an object", where);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)given, key, value)
    {
        const field *f = field_find(key);
        if (!f || f->kind == K_DERIVED)
            return fo_error_set(err, FO_EINVAL, "%s: unknown backend field '%s'", where, key);
        if (state_value(f, value, where, err) != 0)
            return FO_EINVAL;
    }
    if (!json_is_string(json_object_get(given, "name")))
        return fo_error_set(err, FO_EINVAL, "%s.name: a backend needs a name", where);
    if (!json_is_string(json_object_get(given, "address")))
        return fo_error_set(err, FO_EINVAL, "%s.address: a backend needs an address", where);

    json_t *backend = json_object();
    if (!backend)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        if (f->kind == K_DERIVED)
            continue;
        json_t *v = json_object_get(given, f->name);
        json_t *copy = v ? json_deep_copy(v) : field_default(f);
        if (f->kind == K_META && json_is_null(copy)) {
            json_decref(copy);
            copy = json_string(now);
        }
        if (!copy || json_object_set_new(backend, f->name, copy) != 0) {
            json_decref(backend);
            return fo_error_set(err, FO_ENOMEM, "out of memory");
        }
    }
    *out = backend;
    return 0;
}

int fo_mock_backend_apply_form(json_t *backend, const fo_mock_form *form, bool create,
                               const char *now, fo_error *err)
{
    json_t *changes = json_object();
    int rc = 0;
    if (!changes)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < form->n; i++) {
        const field *f = field_find(form->keys[i]);
        if (!f || f->kind != K_STORED)
            continue; /* Fastly ignores fields it does not know or lets no one set */
        json_t *value;
        rc = form_value(&value, f, form->values[i], err);
        if (rc != 0)
            goto out;
        json_object_set_new(changes, f->name, value);
    }
    if (create && !json_is_string(json_object_get(changes, "name"))) {
        rc = fo_error_set(err, FO_EINVAL, "Name can't be blank");
        goto out;
    }
    if (create && !json_is_string(json_object_get(changes, "address"))) {
        rc = fo_error_set(err, FO_EINVAL, "Address can't be blank");
        goto out;
    }
    /* Fastly's rule: a port of 443 or 80 turns TLS on or off, unless the same request
     * says what use_ssl is. */
    json_t *port = json_object_get(changes, "port");
    if (json_is_integer(port) && !json_object_get(changes, "use_ssl")) {
        if (json_integer_value(port) == 443)
            json_object_set_new(changes, "use_ssl", json_true());
        else if (json_integer_value(port) == 80)
            json_object_set_new(changes, "use_ssl", json_false());
    }
    const char *key;
    json_t *value;
    json_object_foreach(changes, key, value)
    {
        json_object_set(backend, key, value);
    }
    json_object_set_new(backend, "updated_at", json_string(now));
    if (create)
        json_object_set_new(backend, "created_at", json_string(now));
out:
    json_decref(changes);
    return rc;
}

static bool is_ip_literal(const char *s, int family)
{
    unsigned char buf[16];
    return s && inet_pton(family, s, buf) == 1;
}

json_t *fo_mock_backend_view(const json_t *backend, const char *service_id, int version)
{
    json_t *view = json_object();
    if (!view)
        return NULL;
    const char *address = fo_mock_backend_str(backend, "address");
    bool v4 = is_ip_literal(address, AF_INET);
    bool v6 = is_ip_literal(address, AF_INET6);
    for (size_t i = 0; i < NFIELDS; i++) {
        const field *f = &fields[i];
        json_t *value;
        if (f->kind != K_DERIVED)
            value = json_deep_copy(json_object_get(backend, f->name));
        else if (strcmp(f->name, "hostname") == 0)
            value = v4 || v6 || !address ? json_null() : json_string(address);
        else if (strcmp(f->name, "ipv4") == 0)
            value = v4 ? json_string(address) : json_null();
        else if (strcmp(f->name, "ipv6") == 0)
            value = v6 ? json_string(address) : json_null();
        else if (strcmp(f->name, "service_id") == 0)
            value = json_string(service_id);
        else if (strcmp(f->name, "version") == 0)
            value = json_integer(version);
        else
            value = json_null();
        if (!value || json_object_set_new(view, f->name, value) != 0) {
            json_decref(view);
            return NULL;
        }
    }
    return view;
}

json_t *fo_mock_backend_stored(const json_t *backend)
{
    return json_deep_copy(backend);
}

const char *fo_mock_backend_name(const json_t *backend)
{
    return json_string_value(json_object_get(backend, "name"));
}

const char *fo_mock_backend_str(const json_t *backend, const char *name)
{
    return json_string_value(json_object_get(backend, name));
}
