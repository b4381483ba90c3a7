/* Class ids, Fastly's texts and TLS version names: the fixed vocabulary of the contract. */
#include <string.h>

#include "fixorigin/probe.h"

static const struct {
    const char *id;
    const char *fastly_error;
} classes[FO_CLASS_COUNT] = {
    [FO_CLASS_OK] = {"ok", NULL},
    [FO_CLASS_HOSTNAME_MISMATCH] = {"hostname_mismatch", "Hostname mismatch"},
    [FO_CLASS_MISSING_CERT_HOSTNAME] = {"missing_cert_hostname",
                                        "Mandatory SSL cert checks require specifying cert "
                                        "hostname"},
    [FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE] = {"unable_to_verify_first_certificate",
                                                     "unable to verify the first certificate"},
    [FO_CLASS_SELF_SIGNED_CERTIFICATE] = {"self_signed_certificate", "self signed certificate"},
    [FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE] = {"unable_to_get_local_issuer_certificate",
                                                         "unable to get local issuer certificate"},
    [FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN] = {"self_signed_certificate_in_chain",
                                                   "self signed certificate in certificate chain"},
    [FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE] = {"unable_to_get_issuer_certificate",
                                                   "unable to get issuer certificate"},
    [FO_CLASS_CERTIFICATE_EXPIRED] = {"certificate_expired", "Certificate has expired"},
    [FO_CLASS_DNS_FAILURE] = {"dns_failure", "Gethostbyname"},
    [FO_CLASS_CONNECTION_TIMEOUT] = {"connection_timeout", "Connection timeout"},
    [FO_CLASS_CONNECTION_REFUSED] = {"connection_refused", "Connection refused"},
    [FO_CLASS_UNKNOWN_PROTOCOL] = {"unknown_protocol", "Unknown protocol"},
    [FO_CLASS_HANDSHAKE_FAILURE] = {"handshake_failure", "SSL handshake failure"},
    [FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR] = {"tlsv1_alert_internal_error",
                                             "TLSv1 alert internal error"},
    [FO_CLASS_RC4_CIPHER] = {"rc4_cipher", "Using RC4 Cipher"},
    /* OpenSSL's verify texts, which Fastly shows for certificate errors. */
    [FO_CLASS_CERTIFICATE_NOT_YET_VALID] = {"certificate_not_yet_valid",
                                            "certificate is not yet valid"},
    [FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE] = {"unsuitable_certificate_purpose",
                                                 "unsuitable certificate purpose"},
    [FO_CLASS_NAME_CONSTRAINTS_VIOLATION] = {"name_constraints_violation",
                                             "permitted subtree violation"},
    [FO_CLASS_INVALID_CA] = {"invalid_ca", "invalid CA certificate"},
    [FO_CLASS_UNHANDLED_CRITICAL_EXTENSION] = {"unhandled_critical_extension",
                                               "unhandled critical extension"},
    [FO_CLASS_CERTIFICATE_REVOKED] = {"certificate_revoked", "certificate revoked"},
    [FO_CLASS_KEY_TOO_SMALL] = {"key_too_small", "EE certificate key too weak"},
    [FO_CLASS_CA_MD_TOO_WEAK] = {"ca_md_too_weak", "CA signature digest algorithm too weak"},
    [FO_CLASS_CERTIFICATE_ERROR] = {"certificate_error", "certificate verify failed"},
};

const char *fo_class_id(fo_class c)
{
    if ((unsigned)c >= FO_CLASS_COUNT)
        return "?";
    return classes[c].id;
}

const char *fo_class_fastly_error(fo_class c)
{
    if ((unsigned)c >= FO_CLASS_COUNT)
        return NULL;
    return classes[c].fastly_error;
}

bool fo_class_is_certificate(fo_class c)
{
    switch (c) {
    case FO_CLASS_HOSTNAME_MISMATCH:
    case FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE:
    case FO_CLASS_SELF_SIGNED_CERTIFICATE:
    case FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE:
    case FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN:
    case FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE:
    case FO_CLASS_CERTIFICATE_EXPIRED:
    case FO_CLASS_CERTIFICATE_NOT_YET_VALID:
    case FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE:
    case FO_CLASS_NAME_CONSTRAINTS_VIOLATION:
    case FO_CLASS_INVALID_CA:
    case FO_CLASS_UNHANDLED_CRITICAL_EXTENSION:
    case FO_CLASS_CERTIFICATE_REVOKED:
    case FO_CLASS_KEY_TOO_SMALL:
    case FO_CLASS_CA_MD_TOO_WEAK:
    case FO_CLASS_CERTIFICATE_ERROR:
        return true;
    default:
        return false;
    }
}

const char *fo_verdict_fastly_error(const fo_verdict *v)
{
    if (v->class == FO_CLASS_OK)
        return NULL;
    return v->fastly_error[0] ? v->fastly_error : fo_class_fastly_error(v->class);
}

int fo_class_parse(fo_class *out, const char *id)
{
    for (int c = 0; id && c < FO_CLASS_COUNT; c++) {
        if (strcmp(classes[c].id, id) == 0) {
            *out = (fo_class)c;
            return 0;
        }
    }
    return FO_EINVAL;
}

static const char *const tls_names[] = {NULL, "1.0", "1.1", "1.2", "1.3"};

const char *fo_tls_version_name(fo_tls_version v)
{
    if ((unsigned)v > FO_TLS_1_3)
        return NULL;
    return tls_names[v];
}

int fo_tls_version_parse(fo_tls_version *out, const char *text)
{
    if (fo_str_empty(text)) {
        *out = FO_TLS_UNSET;
        return 0;
    }
    for (int v = FO_TLS_1_0; v <= FO_TLS_1_3; v++) {
        if (strcmp(tls_names[v], text) == 0) {
            *out = (fo_tls_version)v;
            return 0;
        }
    }
    return FO_EINVAL;
}
