/* tests/integration/probe_expect.h: the probe contract's fixed class ids and
 * Fastly texts, written out independently of the probe's own table, and the
 * checks every probe result must pass. Shared by the test_probe_* suites. */
#ifndef FO_PROBE_EXPECT_H
#define FO_PROBE_EXPECT_H

#include <check.h>
#include <jansson.h>
#include <string.h>

#include "testbed_fixture.h"

static const struct {
    const char *class_id;
    const char *fastly_error; /* NULL: none (ok), or OpenSSL's text of the verify code */
} probe_classes[] = {
    {"ok", NULL},
    {"hostname_mismatch", "Hostname mismatch"},
    {"missing_cert_hostname", "Mandatory SSL cert checks require specifying cert hostname"},
    {"unable_to_verify_first_certificate", "unable to verify the first certificate"},
    {"self_signed_certificate", "self signed certificate"},
    {"unable_to_get_local_issuer_certificate", "unable to get local issuer certificate"},
    {"self_signed_certificate_in_chain", "self signed certificate in certificate chain"},
    {"unable_to_get_issuer_certificate", "unable to get issuer certificate"},
    {"certificate_expired", "Certificate has expired"},
    {"dns_failure", "Gethostbyname"},
    {"connection_timeout", "Connection timeout"},
    {"connection_refused", "Connection refused"},
    {"unknown_protocol", "Unknown protocol"},
    {"handshake_failure", "SSL handshake failure"},
    {"tlsv1_alert_internal_error", "TLSv1 alert internal error"},
    {"rc4_cipher", "Using RC4 Cipher"},
    {"certificate_not_yet_valid", "certificate is not yet valid"},
    {"unsuitable_certificate_purpose", "unsuitable certificate purpose"},
    {"name_constraints_violation", NULL}, /* OpenSSL's text of the code: checked below */
    {"invalid_ca", "invalid CA certificate"},
    {"unhandled_critical_extension", "unhandled critical extension"},
    {"certificate_revoked", "certificate revoked"},
    {"key_too_small", NULL},
    {"ca_md_too_weak", "CA signature digest algorithm too weak"},
    {"certificate_error", NULL},
};

/* The index of class_id in probe_classes, or -1 when it is not one. */
static inline int probe_class_index(const char *class_id)
{
    for (size_t i = 0; class_id && i < sizeof(probe_classes) / sizeof(probe_classes[0]); i++) {
        if (strcmp(probe_classes[i].class_id, class_id) == 0)
            return (int)i;
    }
    return -1;
}

static inline const char *json_str(const json_t *object, const char *key)
{
    return json_string_value(json_object_get(object, key));
}

static inline bool json_array_has_string(const json_t *array, const char *value)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        if (json_is_string(item) && strcmp(json_string_value(item), value) == 0)
            return true;
    }
    return false;
}

/* What every result says about itself, whatever the case: a known class with
 * its own Fastly text, ok only for "ok", and a readable detail. */
static inline void check_result_shape(const json_t *result, const char *label)
{
    ck_assert_msg(result != NULL, "%s: no JSON", label);
    ck_assert_msg(strcmp(json_str(result, "schema") ? json_str(result, "schema") : "",
                         "fixorigin.probe/v1") == 0,
                  "%s: schema", label);
    const char *class_id = json_str(result, "class");
    int index = probe_class_index(class_id);
    ck_assert_msg(index >= 0, "%s: unknown class '%s'", label, class_id ? class_id : "(null)");
    const char *expected_text = probe_classes[index].fastly_error;
    json_t *text = json_object_get(result, "fastly_error");
    if (expected_text)
        ck_assert_msg(json_is_string(text) && strcmp(json_string_value(text), expected_text) == 0,
                      "%s: fastly_error for %s", label, class_id);
    else if (index != 0) /* OpenSSL's text of the very verify error */
        ck_assert_msg(json_is_string(text) && strlen(json_string_value(text)) > 0,
                      "%s: fastly_error for %s", label, class_id);
    else
        ck_assert_msg(json_is_null(text), "%s: fastly_error should be null", label);
    ck_assert_msg(json_is_boolean(json_object_get(result, "ok")) &&
                      json_is_true(json_object_get(result, "ok")) == (index == 0),
                  "%s: ok flag", label);
    const char *detail = json_str(result, "detail");
    ck_assert_msg(detail && strlen(detail) > 10 && !strchr(detail, '\n'), "%s: detail", label);
    ck_assert_msg(json_is_array(json_object_get(result, "also")), "%s: also", label);
    ck_assert_msg(json_is_object(json_object_get(result, "evidence")), "%s: evidence", label);
}

/* A result against its manifest entry: the expected class (any defined non-ok
 * class for a robustness case), the expected "also", and the target. */
static inline void check_result_for_case(const json_t *result, const json_t *entry)
{
    const char *name = json_str(entry, "case");
    check_result_shape(result, name);
    const char *class_id = json_str(result, "class");
    if (json_is_true(json_object_get(entry, "robustness")))
        ck_assert_msg(strcmp(class_id, "ok") != 0, "%s: a hostile origin is not ok", name);
    else
        ck_assert_msg(strcmp(class_id, json_str(entry, "expected_class")) == 0,
                      "%s: class %s, want %s (%s)", name, class_id,
                      json_str(entry, "expected_class"), json_str(result, "detail"));
    size_t i;
    json_t *also;
    json_array_foreach(json_object_get(entry, "expected_also"), i, also)
    {
        ck_assert_msg(
            json_array_has_string(json_object_get(result, "also"), json_string_value(also)),
            "%s: also lacks %s", name, json_string_value(also));
    }
    const char *detail = json_str(entry, "expected_detail");
    if (detail)
        ck_assert_msg(strstr(json_str(result, "detail"), detail) != NULL,
                      "%s: detail '%s' lacks '%s'", name, json_str(result, "detail"), detail);
    const char *warning = json_str(entry, "expected_warning");
    bool warned = false;
    json_array_foreach(json_object_get(result, "warnings"), i, also)
    {
        warned |= warning && strstr(json_string_value(also), warning) != NULL;
    }
    ck_assert_msg(!warning || warned, "%s: no warning with '%s'", name, warning ? warning : "");
    json_t *target = json_object_get(result, "target");
    ck_assert_str_eq(json_str(target, "host"), fx_case_host(entry));
    ck_assert_int_eq(json_integer_value(json_object_get(target, "port")), fx_case_port(entry));
}

#endif
