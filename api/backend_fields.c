/* Every backend field Fastly has, in one table: its API spelling (the JSON key of a read, the
 * form field of a write; a load-balancer pool's spelling), its kind, where fo_backend keeps
 * it, and how show prints it. The
 * API parser (model.c), the form writer (writes.c), the planner (remediate/fields.c) and
 * `fixorigin show` all read this table; adding a field is one line here (and one member of
 * fo_backend when fixorigin keeps it). */
#include <assert.h>
#include <stddef.h>
#include <string.h>

#include "api_int.h"

#define KEPT(member) offsetof(fo_backend, member)
#define PLANNED_SHOWN (FO_FIELD_PLANNED | FO_FIELD_SHOWN)
#define TF FO_FIELD_TERRAFORM

/* Those fo_backend keeps first, in the order show prints them; then, alphabetically, those
 * only the form writer knows (a fix never sets them, but the form takes every field). */
static const fo_backend_field fields[] = {
    {"name", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(name), 0, FO_FIELD_PLANNED | TF, NULL, NULL},
    {"address", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(address), 0, PLANNED_SHOWN | TF, NULL, NULL},
    {"port", FO_FIELD_NUMBER, FO_SLOT_LONG, KEPT(port), 0, PLANNED_SHOWN | TF, NULL, NULL},
    {"use_ssl", FO_FIELD_BOOL, FO_SLOT_BOOL, KEPT(use_ssl), 0, PLANNED_SHOWN | TF, NULL, "use_tls"},
    /* Fastly checks the certificate unless told not to. */
    {"ssl_check_cert", FO_FIELD_BOOL, FO_SLOT_BOOL, KEPT(ssl_check_cert), 1, PLANNED_SHOWN | TF,
     NULL, "tls_check_cert"},
    {"ssl_cert_hostname", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(ssl_cert_hostname), 0,
     PLANNED_SHOWN | TF, NULL, "tls_cert_hostname"},
    {"ssl_sni_hostname", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(ssl_sni_hostname), 0,
     PLANNED_SHOWN | TF, NULL, "tls_sni_hostname"},
    /* Deprecated (it set both names), still returned: read and compared, not shown. */
    {"ssl_hostname", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(ssl_hostname), 0, FO_FIELD_PLANNED, NULL,
     NULL},
    {"ssl_ca_cert", FO_FIELD_PEM, FO_SLOT_STRING, KEPT(ssl_ca_cert), 0, PLANNED_SHOWN | TF, NULL,
     "tls_ca_cert"},
    {"ssl_client_cert", FO_FIELD_PEM, FO_SLOT_STRING, KEPT(ssl_client_cert), 0, PLANNED_SHOWN | TF,
     NULL, NULL},
    {"ssl_client_key", FO_FIELD_SECRET, FO_SLOT_STRING, KEPT(ssl_client_key), 0, PLANNED_SHOWN | TF,
     NULL, NULL},
    {"ssl_ciphers", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(ssl_ciphers), 0, PLANNED_SHOWN | TF, NULL,
     "tls_ciphers"},
    {"min_tls_version", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(min_tls_version), 0, PLANNED_SHOWN | TF,
     NULL, "min_tls_version"},
    {"max_tls_version", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(max_tls_version), 0, PLANNED_SHOWN | TF,
     NULL, "max_tls_version"},
    {"override_host", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(override_host), 0, PLANNED_SHOWN | TF,
     NULL, "override_host"},
    {"connect_timeout", FO_FIELD_NUMBER, FO_SLOT_LONG, KEPT(connect_timeout), 0, PLANNED_SHOWN | TF,
     "ms", NULL},
    /* Read only: service details make it 1 for Compute services (their default), so an
     * update's answer may say otherwise; the planner neither sets nor compares it. */
    {"prefer_ipv6", FO_FIELD_BOOL, FO_SLOT_TRISTATE, KEPT(prefer_ipv6), -1, 0, NULL, NULL},
    {"first_byte_timeout", FO_FIELD_NUMBER, FO_SLOT_LONG, KEPT(first_byte_timeout), 0,
     PLANNED_SHOWN | TF, "ms", NULL},
    {"between_bytes_timeout", FO_FIELD_NUMBER, FO_SLOT_LONG, KEPT(between_bytes_timeout), 0,
     PLANNED_SHOWN | TF, "ms", NULL},
    {"shield", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(shield), 0, PLANNED_SHOWN | TF, NULL, NULL},
    {"comment", FO_FIELD_TEXT, FO_SLOT_STRING, KEPT(comment), 0, FO_FIELD_PLANNED, NULL, NULL},

    {"auto_loadbalance", FO_FIELD_BOOL, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"error_threshold", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"healthcheck", FO_FIELD_TEXT, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"ipv4", FO_FIELD_TEXT, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"ipv6", FO_FIELD_TEXT, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"keepalive_time", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"max_conn", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"max_lifetime", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"max_use", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"request_condition", FO_FIELD_TEXT, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"share_key", FO_FIELD_TEXT, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
    {"tcp_keepalive_enable", FO_FIELD_BOOL, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"tcp_keepalive_interval", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"tcp_keepalive_probes", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"tcp_keepalive_time", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, 0, NULL, NULL},
    {"weight", FO_FIELD_NUMBER, FO_SLOT_NONE, 0, 0, TF, NULL, NULL},
};

const fo_backend_field *fo_backend_fields(size_t *count)
{
    *count = sizeof(fields) / sizeof(fields[0]);
    return fields;
}

const fo_backend_field *fo_backend_field_find(const char *name)
{
    for (size_t i = 0; name && i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

static const void *slot_in(const fo_backend *b, const fo_backend_field *f, fo_field_slot slot)
{
    assert(f->slot == slot);
    (void)slot;
    return (const char *)b + f->offset;
}

static void *slot_at(fo_backend *b, const fo_backend_field *f, fo_field_slot slot)
{
    assert(f->slot == slot);
    (void)slot;
    return (char *)b + f->offset;
}

char **fo_backend_text_slot(fo_backend *b, const fo_backend_field *f)
{
    return slot_at(b, f, FO_SLOT_STRING);
}

long *fo_backend_long_slot(fo_backend *b, const fo_backend_field *f)
{
    return slot_at(b, f, FO_SLOT_LONG);
}

bool *fo_backend_bool_slot(fo_backend *b, const fo_backend_field *f)
{
    return slot_at(b, f, FO_SLOT_BOOL);
}

int *fo_backend_tristate_slot(fo_backend *b, const fo_backend_field *f)
{
    return slot_at(b, f, FO_SLOT_TRISTATE);
}

const char *fo_backend_text(const fo_backend *b, const fo_backend_field *f)
{
    return *(char *const *)slot_in(b, f, FO_SLOT_STRING);
}

long fo_backend_long(const fo_backend *b, const fo_backend_field *f)
{
    return *(const long *)slot_in(b, f, FO_SLOT_LONG);
}

bool fo_backend_bool(const fo_backend *b, const fo_backend_field *f)
{
    return *(const bool *)slot_in(b, f, FO_SLOT_BOOL);
}
