/* Classification: a pure function from the facts a probe gathered to the error Fastly
 * would report, every other problem found, a sentence and warnings. No I/O, no clock. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <arpa/inet.h>

#include "fixorigin/probe.h"

/* OpenSSL's verify codes (X509_V_ERR_*), spelt out so this file needs no OpenSSL. */
enum {
    VERIFY_UNABLE_TO_GET_ISSUER_CERT = 2,
    VERIFY_CERT_NOT_YET_VALID = 9,
    VERIFY_CERT_HAS_EXPIRED = 10,
    VERIFY_DEPTH_ZERO_SELF_SIGNED = 18,
    VERIFY_SELF_SIGNED_IN_CHAIN = 19,
    VERIFY_UNABLE_TO_GET_ISSUER_LOCALLY = 20,
    VERIFY_UNABLE_TO_VERIFY_LEAF_SIGNATURE = 21,
    VERIFY_CERT_REVOKED = 23,
    VERIFY_INVALID_PURPOSE = 26,
    VERIFY_UNHANDLED_CRITICAL_EXTENSION = 34,
    VERIFY_PERMITTED_VIOLATION = 47,
    VERIFY_EXCLUDED_VIOLATION = 48,
    VERIFY_SUBTREE_MINMAX = 49,
    VERIFY_UNSUPPORTED_CONSTRAINT_TYPE = 51,
    VERIFY_UNSUPPORTED_CONSTRAINT_SYNTAX = 52,
    VERIFY_UNSUPPORTED_NAME_SYNTAX = 53,
    VERIFY_HOSTNAME_MISMATCH = 62,
    VERIFY_IP_ADDRESS_MISMATCH = 64,
    VERIFY_EE_KEY_TOO_SMALL = 66,
    VERIFY_CA_KEY_TOO_SMALL = 67,
    VERIFY_CA_MD_TOO_WEAK = 68,
    VERIFY_INVALID_CA = 79,
};

#define ALERT_INTERNAL_ERROR 80
#define MAX_ADDRESS_RESULTS 16 /* as many addresses as the prober keeps of a name */

void fo_probe_facts_init(fo_probe_facts *facts)
{
    memset(facts, 0, sizeof(*facts));
    facts->connect_ms = -1;
    facts->handshake_ms = -1;
    facts->late_answer_ms = -1;
    facts->alert = -1;
    for (int i = 0; i < FO_TLS_VERSION_COUNT; i++)
        facts->protocols[i] = FO_UNTESTED;
    facts->rc4_only = FO_UNTESTED;
    facts->needs_sni = FO_UNTESTED;
    facts->plain_http = FO_UNTESTED;
}

/* The code an error counts as: a leaf whose issuer is unknown ends, once verification is
 * allowed to continue, in 21 "unable to verify the first certificate" — Fastly's text. */
static int effective_code(const fo_verify_error *e)
{
    if (e->code == VERIFY_UNABLE_TO_GET_ISSUER_LOCALLY && e->depth == 0)
        return VERIFY_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
    return e->code;
}

int fo_probe_primary_verify_error(const fo_probe_facts *facts, int *out)
{
    if (facts->verify_error_count == 0) {
        if (out)
            *out = 0;
        return -1;
    }
    if (out)
        *out = effective_code(&facts->verify_errors[0]);
    return 0;
}

const char *fo_probe_verify_text(const fo_probe_facts *facts)
{
    if (facts->verify_code == 0)
        return "ok";
    for (size_t i = 0; i < facts->verify_error_count; i++) {
        if (facts->verify_errors[i].code == facts->verify_code)
            return facts->verify_errors[i].error;
    }
    if (facts->verify_code == VERIFY_UNABLE_TO_VERIFY_LEAF_SIGNATURE)
        return "unable to verify the first certificate";
    return facts->verify_error_count > 0 ? facts->verify_errors[0].error : "unknown";
}

/* Every verify code has a class: Fastly shows OpenSSL's text for a certificate it refuses,
 * so a code without a class of its own is certificate_error, never a handshake failure. */
static fo_class verify_class(int code)
{
    switch (code) {
    case VERIFY_HOSTNAME_MISMATCH:
    case VERIFY_IP_ADDRESS_MISMATCH:
        return FO_CLASS_HOSTNAME_MISMATCH;
    case VERIFY_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
        return FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE;
    case VERIFY_DEPTH_ZERO_SELF_SIGNED:
        return FO_CLASS_SELF_SIGNED_CERTIFICATE;
    case VERIFY_UNABLE_TO_GET_ISSUER_LOCALLY:
        return FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE;
    case VERIFY_SELF_SIGNED_IN_CHAIN:
        return FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN;
    case VERIFY_UNABLE_TO_GET_ISSUER_CERT:
        return FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE;
    case VERIFY_CERT_HAS_EXPIRED:
        return FO_CLASS_CERTIFICATE_EXPIRED;
    case VERIFY_CERT_NOT_YET_VALID:
        return FO_CLASS_CERTIFICATE_NOT_YET_VALID;
    case VERIFY_INVALID_PURPOSE:
        return FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE;
    case VERIFY_PERMITTED_VIOLATION:
    case VERIFY_EXCLUDED_VIOLATION:
    case VERIFY_SUBTREE_MINMAX:
    case VERIFY_UNSUPPORTED_CONSTRAINT_TYPE:
    case VERIFY_UNSUPPORTED_CONSTRAINT_SYNTAX:
    case VERIFY_UNSUPPORTED_NAME_SYNTAX:
        return FO_CLASS_NAME_CONSTRAINTS_VIOLATION;
    case VERIFY_INVALID_CA:
        return FO_CLASS_INVALID_CA;
    case VERIFY_UNHANDLED_CRITICAL_EXTENSION:
        return FO_CLASS_UNHANDLED_CRITICAL_EXTENSION;
    case VERIFY_CERT_REVOKED:
        return FO_CLASS_CERTIFICATE_REVOKED;
    case VERIFY_EE_KEY_TOO_SMALL:
    case VERIFY_CA_KEY_TOO_SMALL:
        return FO_CLASS_KEY_TOO_SMALL;
    case VERIFY_CA_MD_TOO_WEAK:
        return FO_CLASS_CA_MD_TOO_WEAK;
    default:
        return FO_CLASS_CERTIFICATE_ERROR;
    }
}

/* The text Fastly shows for a verify error of class c: the class's own (Fastly's spelling
 * of the texts it lists), else OpenSSL's text of that very code. */
static const char *verify_fastly_text(fo_class c, const fo_verify_error *e)
{
    if (c == FO_CLASS_NAME_CONSTRAINTS_VIOLATION || c == FO_CLASS_KEY_TOO_SMALL ||
        c == FO_CLASS_CERTIFICATE_ERROR)
        return e->error[0] ? e->error : fo_class_fastly_error(c);
    return fo_class_fastly_error(c);
}

/* Whether the origin would pick RC4 for what Fastly offers: an RC4-only hello got RC4, and
 * no hello for a single TLS version (which offers no RC4) got a ServerHello. An origin that
 * also does AES picks that when RC4 is not offered, so RC4 is not why it fails. */
static bool picks_rc4(const fo_probe_facts *facts)
{
    if (facts->rc4_only != FO_YES)
        return false;
    for (int i = 0; i < FO_TLS_VERSION_COUNT; i++) {
        if (facts->protocols[i] == FO_YES)
            return false;
    }
    return true;
}

static fo_class outcome_class(const fo_probe_facts *facts)
{
    switch (facts->outcome) {
    case FO_OUTCOME_OK:
        return FO_CLASS_OK;
    case FO_OUTCOME_DNS_FAILURE:
        return FO_CLASS_DNS_FAILURE;
    case FO_OUTCOME_CONNECT_REFUSED:
        return FO_CLASS_CONNECTION_REFUSED;
    case FO_OUTCOME_CONNECT_TIMEOUT:
    case FO_OUTCOME_HANDSHAKE_TIMEOUT:
        return FO_CLASS_CONNECTION_TIMEOUT;
    case FO_OUTCOME_NOT_TLS:
        return FO_CLASS_UNKNOWN_PROTOCOL;
    case FO_OUTCOME_ALERT:
        if (facts->alert == ALERT_INTERNAL_ERROR)
            return FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR;
        break;
    case FO_OUTCOME_CLOSED:
    case FO_OUTCOME_TLS_ERROR:
        break;
    }
    return picks_rc4(facts) ? FO_CLASS_RC4_CIPHER : FO_CLASS_HANDSHAKE_FAILURE;
}

/* Whether the handshake ended in a refusal: an alert, a close, nothing in common. */
static bool handshake_refused(fo_outcome outcome)
{
    return outcome == FO_OUTCOME_ALERT || outcome == FO_OUTCOME_CLOSED ||
           outcome == FO_OUTCOME_TLS_ERROR;
}

/* Whether the certificate arrived and failed the checks before the handshake was refused.
 * Fastly verifies the certificate as it arrives and stops there, so the refusal that came
 * after it (a required client certificate, say) is not what Fastly reports. */
static bool certificate_failed_first(const fo_probe_target *target, const fo_probe_facts *facts)
{
    const fo_probe_settings *s = &target->settings;
    return s->use_ssl && s->check_cert && handshake_refused(facts->outcome) &&
           facts->chain_count > 0 && facts->verify_error_count > 0;
}

/* Adds class c (its Fastly text, when it differs from the class's usual one). */
static void add_class(fo_verdict *out, bool *seen, bool *have_primary, fo_class c, const char *text)
{
    if (seen[c])
        return;
    seen[c] = true;
    if (!*have_primary) {
        out->class = c;
        snprintf(out->fastly_error, sizeof(out->fastly_error), "%s",
                 text               ? text
                 : c == FO_CLASS_OK ? ""
                                    : fo_class_fastly_error(c));
        *have_primary = true;
    } else {
        out->also[out->also_count++] = c;
    }
}

static void warn(fo_verdict *out, const char *fmt, ...) FO_PRINTF(2, 3);
static void warn(fo_verdict *out, const char *fmt, ...)
{
    if (out->warning_count >= FO_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->warnings[out->warning_count++], sizeof(out->warnings[0]), fmt, ap);
    va_end(ap);
}

/* Appends to out->detail. */
static void say(fo_verdict *out, const char *fmt, ...) FO_PRINTF(2, 3);
static void say(fo_verdict *out, const char *fmt, ...)
{
    size_t used = strlen(out->detail);
    if (used + 1 >= sizeof(out->detail))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail + used, sizeof(out->detail) - used, fmt, ap);
    va_end(ap);
}

/* The presented certificate at depth, or NULL. */
static const fo_cert_facts *cert_at(const fo_probe_facts *facts, int depth)
{
    if (depth < 0 || (size_t)depth >= facts->chain_count)
        return NULL;
    return &facts->chain[depth];
}

static const char *subject_of(const fo_cert_facts *cert)
{
    return cert && cert->subject ? cert->subject : "(unknown)";
}

bool fo_cert_san_is_ip(const fo_cert_facts *cert, size_t i)
{
    if (cert->san_types)
        return cert->san_types[i] == FO_SAN_IP;
    unsigned char buf[16];
    return inet_pton(AF_INET, cert->san[i], buf) == 1 ||
           inet_pton(AF_INET6, cert->san[i], buf) == 1;
}

void fo_cert_san_format(char *buf, size_t size, const fo_cert_facts *cert, size_t i)
{
    snprintf(buf, size, "%s:%s", fo_cert_san_is_ip(cert, i) ? "IP" : "DNS", cert->san[i]);
}

static bool is_ip_text(const char *text)
{
    unsigned char buf[16];
    return text && (inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1);
}

static void say_leaf_names(fo_verdict *out, const fo_probe_facts *facts)
{
    const fo_cert_facts *leaf = cert_at(facts, 0);
    if (!leaf || leaf->san_count == 0) {
        say(out, "the certificate (%s) lists no subjectAltName", subject_of(leaf));
        return;
    }
    say(out, "the certificate covers ");
    for (size_t i = 0; i < leaf->san_count && i < 4; i++) {
        char entry[300];
        fo_cert_san_format(entry, sizeof(entry), leaf, i);
        say(out, "%s%s", i ? ", " : "", entry);
    }
    if (leaf->san_count > 4)
        say(out, " and %zu more", leaf->san_count - 4);
}

/* An IP address is matched only by an IP entry: a DNS entry that spells it is no match. */
static void say_dns_typed_ip(fo_verdict *out, const fo_probe_facts *facts, const char *name)
{
    const fo_cert_facts *leaf = cert_at(facts, 0);
    for (size_t i = 0; leaf && i < leaf->san_count; i++) {
        if (!fo_cert_san_is_ip(leaf, i) && strcmp(leaf->san[i], name) == 0) {
            say(out,
                " The certificate lists %s as a DNS name; an IP address is matched only by "
                "an IP entry (IP:%s).",
                name, name);
            return;
        }
    }
}

static void say_versions(fo_verdict *out, const fo_probe_facts *facts, const fo_probe_settings *s)
{
    fo_tls_version min = s->min_tls ? s->min_tls : FO_TLS_1_0;
    fo_tls_version max = s->max_tls ? s->max_tls : FO_TLS_1_3;
    bool any = false, in_range = false;
    for (int v = FO_TLS_1_0; v <= FO_TLS_1_3; v++) {
        if (facts->protocols[v - 1] == FO_YES) {
            any = true;
            in_range |= v >= (int)min && v <= (int)max;
        }
    }
    if (!any || in_range)
        return;
    say(out, " It accepts TLS");
    const char *sep = " ";
    for (int v = FO_TLS_1_0; v <= FO_TLS_1_3; v++) {
        if (facts->protocols[v - 1] == FO_YES) {
            say(out, "%s%s", sep, fo_tls_version_name((fo_tls_version)v));
            sep = ", ";
        }
    }
    say(out, " only, outside the allowed %s to %s.", fo_tls_version_name(min),
        fo_tls_version_name(max));
}

static void say_late(fo_verdict *out, const fo_probe_facts *facts)
{
    if (facts->late_answer_ms >= 0)
        say(out, "; it answered after %.0f ms.", facts->late_answer_ms);
    else
        say(out, ", nor in the extra time waited.");
}

/* Whether some presented certificate is the one named issuer. */
static bool chain_has_subject(const fo_probe_facts *facts, const char *subject)
{
    for (size_t i = 1; subject && i < facts->chain_count; i++) {
        if (facts->chain[i].subject && strcmp(facts->chain[i].subject, subject) == 0)
            return true;
    }
    return false;
}

/* 21: the leaf's issuer was found neither among what was sent nor in the trust. Which fix
 * that calls for depends on what was sent: nothing (a missing intermediate when the leaf
 * names where its issuer is published, as public CAs' leaves do; else most likely a private
 * root that must be trusted), or a CA certificate that is not the leaf's issuer. */
static void say_first_certificate(fo_verdict *out, const fo_probe_facts *facts,
                                  const fo_cert_facts *cert)
{
    const char *issuer = cert && cert->issuer ? cert->issuer : "?";
    if (facts->chain_count > 1) {
        const fo_cert_facts *sent = cert_at(facts, 1);
        if (chain_has_subject(facts, issuer))
            say(out,
                "The origin sends its certificate (%s) with an intermediate named like its "
                "issuer (%s) whose key did not sign it: a wrong or outdated intermediate; the "
                "origin must send the one that issued its certificate.",
                subject_of(cert), issuer);
        else
            say(out,
                "The origin sends its certificate (%s) with the wrong intermediate: it sends %s, "
                "but the certificate was issued by %s, which is neither sent nor trusted; the "
                "origin must send %s instead.",
                subject_of(cert), subject_of(sent), issuer, issuer);
        return;
    }
    if (cert && cert->aia_issuer_url) {
        say(out,
            "The origin sends its certificate (%s) without the intermediate CA that issued it "
            "(%s); the issuer is published at %s.",
            subject_of(cert), issuer, cert->aia_issuer_url);
        return;
    }
    say(out,
        "The origin sends its certificate (%s) alone, and its issuer (%s) is neither sent nor "
        "trusted; the certificate names no URL for its issuer, as a private CA's certificates "
        "often do. If %s is a private root, it must be trusted (ssl_ca_cert); if it is an "
        "intermediate, the origin must send it.",
        subject_of(cert), issuer, issuer);
}

static void say_verify(fo_verdict *out, fo_class c, const fo_probe_facts *facts,
                       const fo_probe_target *target)
{
    int index = fo_probe_primary_verify_error(facts, NULL);
    const fo_verify_error *e = NULL;
    for (size_t i = 0; i < facts->verify_error_count; i++) {
        if (verify_class(effective_code(&facts->verify_errors[i])) == c) {
            e = &facts->verify_errors[i];
            break;
        }
    }
    if (!e)
        e = &facts->verify_errors[index];
    const fo_cert_facts *cert = cert_at(facts, e->depth);
    const fo_cert_facts *last = cert_at(facts, (int)facts->chain_count - 1);
    const char *issuer = cert && cert->issuer ? cert->issuer : "its issuer";
    char when[32];

    switch (c) {
    case FO_CLASS_HOSTNAME_MISMATCH: {
        const char *name = target->settings.cert_hostname;
        bool ip = is_ip_text(name);
        say(out, "The name check fails: ");
        say_leaf_names(out, facts);
        say(out, ", not %s%s.", name ? name : "?", ip ? " (an IP address)" : "");
        if (ip && name)
            say_dns_typed_ip(out, facts, name);
        break;
    }
    case FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE:
        say_first_certificate(out, facts, cert);
        break;
    case FO_CLASS_SELF_SIGNED_CERTIFICATE:
        say(out, "The certificate %s is self-signed and not trusted.", subject_of(cert));
        break;
    case FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE:
        say(out, "The chain ends at %s, issued by %s, a CA that is not trusted.",
            subject_of(cert ? cert : last),
            cert   ? cert->issuer
            : last ? last->issuer
                   : "?");
        break;
    case FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN:
        say(out, "The origin sends a self-signed root (%s) that is not trusted.",
            subject_of(cert ? cert : last));
        break;
    case FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE:
        say(out,
            "The chain reaches a trusted CA (%s) whose own issuer is not available; the trust "
            "needs every CA up to a root.",
            last && last->issuer ? last->issuer : "?");
        break;
    case FO_CLASS_CERTIFICATE_EXPIRED:
        fo_format_time(when, sizeof(when), cert ? cert->not_after : 0);
        say(out, "The certificate %s expired on %s.", subject_of(cert), cert ? when : "?");
        break;
    case FO_CLASS_CERTIFICATE_NOT_YET_VALID:
        fo_format_time(when, sizeof(when), cert ? cert->not_before : 0);
        say(out,
            "The certificate %s is not valid yet: it starts on %s. It was installed before its "
            "start date, or the clock of whoever issued it is wrong; renewing will not help.",
            subject_of(cert), cert ? when : "?");
        break;
    case FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE:
        say(out, "The certificate %s may not be used by a TLS server: its extended key usage is %s",
            subject_of(cert), cert && cert->ext_key_usage ? cert->ext_key_usage : "not serverAuth");
        say(out, ", without serverAuth. The origin needs a certificate issued for TLS servers.");
        break;
    case FO_CLASS_NAME_CONSTRAINTS_VIOLATION:
        say(out,
            "The certificate %s names something its issuing CA may not certify: %s (verify "
            "error %d). The CA's name constraints exclude it; a certificate from a CA allowed "
            "to issue for these names is needed.",
            subject_of(cert), e->error, e->code);
        break;
    case FO_CLASS_INVALID_CA:
        say(out,
            "The chain uses %s as a CA, but it is not a CA certificate (no basicConstraints "
            "CA:TRUE): the origin sends the wrong certificate as its intermediate, or its CA "
            "issued a certificate that cannot sign others.",
            subject_of(cert));
        break;
    case FO_CLASS_UNHANDLED_CRITICAL_EXTENSION:
        say(out,
            "The certificate %s carries an extension marked critical that OpenSSL does not "
            "know, so it must be refused; the CA must issue it without that extension.",
            subject_of(cert));
        break;
    case FO_CLASS_CERTIFICATE_REVOKED:
        say(out, "The certificate %s has been revoked by %s.", subject_of(cert), issuer);
        break;
    case FO_CLASS_KEY_TOO_SMALL:
        say(out, "The %s key of %s (%d bits) is too small for the verifier's security level.",
            cert && cert->key_type[0] ? cert->key_type : "public", subject_of(cert),
            cert ? cert->key_bits : 0);
        break;
    case FO_CLASS_CA_MD_TOO_WEAK:
        say(out, "The certificate %s is signed with %s, a digest too weak for the verifier.",
            subject_of(cert), cert && cert->signature_digest[0] ? cert->signature_digest : "?");
        break;
    default:
        say(out, "The certificate %s does not verify: %s (verify error %d at depth %d).",
            subject_of(cert), e->error, e->code, e->depth);
        break;
    }
}

/* How the handshake was refused, as a sentence starting with origin or handshake. */
static void say_refusal(fo_verdict *out, const fo_probe_facts *facts, const char *origin,
                        const char *handshake)
{
    if (facts->outcome == FO_OUTCOME_ALERT)
        say(out, "%s aborted the TLS handshake with alert %s (%d).", origin,
            fo_probe_alert_name(facts->alert), facts->alert);
    else if (facts->outcome == FO_OUTCOME_CLOSED)
        say(out, "%s closed the connection during the TLS handshake.", origin);
    else
        say(out, "%s failed: %s.", handshake,
            facts->problem ? facts->problem : "no protocol or cipher in common");
}

static void say_class(fo_verdict *out, fo_class c, const fo_probe_target *target,
                      const fo_probe_facts *facts)
{
    const char *address = facts->address ? facts->address : target->host;
    const fo_probe_settings *s = &target->settings;

    if (c == FO_CLASS_MISSING_CERT_HOSTNAME) {
        say(out, "ssl_check_cert is on but ssl_cert_hostname is not set, so Fastly refuses to "
                 "compile this backend.");
        return;
    }
    switch (facts->outcome) {
    case FO_OUTCOME_DNS_FAILURE:
        say(out, "The name %s does not resolve: %s.", target->host,
            facts->problem ? facts->problem : "no address");
        return;
    case FO_OUTCOME_CONNECT_REFUSED:
        say(out, "%s port %d refused the connection (%s).", address, target->port,
            facts->problem ? facts->problem : "connection refused");
        return;
    case FO_OUTCOME_CONNECT_TIMEOUT:
        say(out, "The TCP connection to %s port %d did not complete within %ld ms", address,
            target->port, s->connect_timeout_ms);
        say_late(out, facts);
        return;
    case FO_OUTCOME_HANDSHAKE_TIMEOUT:
        say(out, "%s port %d accepted TCP but did not complete the TLS handshake within %ld ms",
            address, target->port, s->connect_timeout_ms);
        say_late(out, facts);
        return;
    case FO_OUTCOME_NOT_TLS:
        if (facts->plain_http == FO_YES)
            say(out, "The origin answers plain HTTP, not TLS, on port %d (\"%s\").", target->port,
                facts->reply_start ? facts->reply_start : "HTTP/");
        else
            say(out, "The origin does not speak TLS on port %d.", target->port);
        return;
    case FO_OUTCOME_ALERT:
    case FO_OUTCOME_CLOSED:
    case FO_OUTCOME_TLS_ERROR:
        if (certificate_failed_first(target, facts)) {
            say_verify(out, c, facts, target);
            say(out, " After the certificate ");
            say_refusal(out, facts, "the origin", "the TLS handshake");
            return;
        }
        if (c == FO_CLASS_RC4_CIPHER)
            say(out, "The origin only offers RC4 cipher suites, which Fastly no longer uses.");
        else
            say_refusal(out, facts, "The origin", "The TLS handshake");
        if (c != FO_CLASS_RC4_CIPHER)
            say_versions(out, facts, s);
        if (facts->needs_sni == FO_YES)
            say(out, " With SNI the handshake gets further.");
        return;
    case FO_OUTCOME_OK:
        break;
    }
    if (c != FO_CLASS_OK) {
        say_verify(out, c, facts, target);
        return;
    }
    if (!s->use_ssl) {
        say(out, "TCP connection to %s port %d succeeded (use_ssl off).", address, target->port);
        return;
    }
    say(out, "%s handshake with %s port %d succeeded", facts->protocol ? facts->protocol : "TLS",
        address, target->port);
    if (s->check_cert)
        say(out, " and the certificate verifies for %s.", s->cert_hostname);
    else
        say(out, "; the certificate is not checked (ssl_check_cert off).");
}

static void warn_expiry(fo_verdict *out, const fo_probe_settings *s, const fo_probe_facts *facts,
                        int64_t now)
{
    int days_ahead =
        s->expiry_warning_days >= 0 ? s->expiry_warning_days : FO_DEFAULT_EXPIRY_WARNING_DAYS;
    for (size_t i = 0; i < facts->chain_count; i++) {
        const fo_cert_facts *cert = &facts->chain[i];
        int64_t left = cert->not_after - now;
        if (left < 0 || left >= (int64_t)days_ahead * 86400)
            continue;
        char when[32];
        fo_format_time(when, sizeof(when), cert->not_after);
        long days = (long)(left / 86400);
        char in[32];
        if (days == 0)
            snprintf(in, sizeof(in), "in less than a day");
        else
            snprintf(in, sizeof(in), "in %ld day%s", days, days == 1 ? "" : "s");
        if (i == 0)
            warn(out, "certificate expires %s (%s)", in, when);
        else
            warn(out, "chain certificate %s expires %s (%s)", cert->subject, in, when);
    }
}

/* When a name's addresses disagree: each other class found goes to also, and a warning
 * says which addresses give it. Fastly's first choice (the first result) decides the class. */
static void say_addresses(fo_verdict *out, bool *seen, bool *have_primary,
                          const fo_probe_facts *facts)
{
    const fo_address_result *results = facts->address_results;
    size_t count = facts->address_result_count;
    if (count < 2)
        return;
    /* The first address's own classes are in: an ok there stays the class. */
    *have_primary = true;
    bool done[MAX_ADDRESS_RESULTS] = {false};
    for (size_t i = 1; i < count && i < MAX_ADDRESS_RESULTS; i++) {
        if (done[i] || !results[i].probed)
            continue;
        fo_class c = results[i].class;
        if (c == results[0].class)
            continue;
        char list[160] = "";
        size_t n = 0;
        for (size_t j = i; j < count && j < MAX_ADDRESS_RESULTS; j++) {
            if (!results[j].probed || results[j].class != c)
                continue;
            done[j] = true;
            n++;
            fo_str_appendf(list, sizeof(list), "%s%s", n > 1 ? ", " : "", results[j].address);
        }
        if (c == FO_CLASS_OK) {
            warn(out, "%zu of %zu addresses answer ok (%s), but Fastly tries %s first", n, count,
                 list, results[0].address);
            continue;
        }
        add_class(out, seen, have_primary, c, results[i].fastly_error);
        warn(out, "%zu of %zu addresses give%s %s (%s): %s", n, count, n == 1 ? "s" : "",
             fo_class_id(c), results[i].fastly_error, list);
    }
    for (size_t i = 1; i < count; i++) {
        if (!results[i].probed)
            warn(out, "address %s could not be tried from here: %s", results[i].address,
                 results[i].problem);
    }
}

/* What is about to break: Fastly's own security level is not published, so these are
 * warnings, never classes. OpenSSL 3 at its default level 1 refuses each of them. */
static void warn_strength(fo_verdict *out, const fo_probe_settings *s, const fo_probe_facts *facts)
{
    if (!s->use_ssl)
        return;
    for (size_t i = 0; i < facts->chain_count; i++) {
        const fo_cert_facts *cert = &facts->chain[i];
        const char *which = i == 0 ? "certificate" : "chain certificate";
        const char *digest = cert->signature_digest;
        /* A self-signed certificate's own signature is never checked: only what it signs. */
        bool weak_digest = strcasecmp(digest, "SHA1") == 0 || strcasecmp(digest, "MD5") == 0;
        if (weak_digest && !cert->self_signed)
            warn(out, "%s %s is signed with %s; OpenSSL 3 at its default security level refuses it",
                 which, subject_of(cert), strcasecmp(digest, "SHA1") == 0 ? "SHA-1" : "MD5");
        bool rsa = strcmp(cert->key_type, "RSA") == 0 || strcmp(cert->key_type, "DSA") == 0;
        if (rsa && cert->key_bits > 0 && cert->key_bits < 2048)
            warn(out,
                 "%s %s has a %d-bit %s key (under 2048); OpenSSL 3 at its default security "
                 "level refuses it",
                 which, subject_of(cert), cert->key_bits, cert->key_type);
        if (strcmp(cert->key_type, "EC") == 0 && cert->key_bits > 0 && cert->key_bits < 224)
            warn(out,
                 "%s %s has a %d-bit EC key (under 224); OpenSSL 3 at its default security "
                 "level refuses it",
                 which, subject_of(cert), cert->key_bits);
    }
    /* Only when 1.2 was offered: a max_tls_version of 1.1 would explain an old version. */
    bool old = facts->protocol &&
               (strcmp(facts->protocol, "TLSv1") == 0 || strcmp(facts->protocol, "TLSv1.1") == 0);
    if (facts->outcome == FO_OUTCOME_OK && old &&
        (s->max_tls == FO_TLS_UNSET || s->max_tls >= FO_TLS_1_2))
        warn(out,
             "the origin speaks %s at most, though TLS 1.2 was offered; OpenSSL 3 at its "
             "default security level refuses TLS 1.0 and 1.1",
             strcmp(facts->protocol, "TLSv1") == 0 ? "TLS 1.0" : "TLS 1.1");
}

void fo_probe_classify(fo_verdict *out, const fo_probe_target *target, const fo_probe_facts *facts,
                       int64_t now)
{
    const fo_probe_settings *s = &target->settings;
    bool seen[FO_CLASS_COUNT] = {false};
    bool have_primary = false;

    memset(out, 0, sizeof(*out));
    out->class = FO_CLASS_OK;
    if (s->use_ssl && s->check_cert && fo_str_empty(s->cert_hostname))
        add_class(out, seen, &have_primary, FO_CLASS_MISSING_CERT_HOSTNAME, NULL);
    bool certificate_first = certificate_failed_first(target, facts);
    if (facts->outcome != FO_OUTCOME_OK && !certificate_first)
        add_class(out, seen, &have_primary, outcome_class(facts), NULL);

    bool unchecked[FO_CLASS_COUNT] = {false};
    for (size_t i = 0; s->use_ssl && i < facts->verify_error_count; i++) {
        const fo_verify_error *e = &facts->verify_errors[i];
        fo_class c = verify_class(effective_code(e));
        if (!s->check_cert) {
            /* Fastly verifies nothing then: a problem to know about, not an error. */
            if (!unchecked[c])
                warn(out, "ssl_check_cert is off; with it on Fastly would report \"%s\"",
                     verify_fastly_text(c, e));
            unchecked[c] = true;
            continue;
        }
        add_class(out, seen, &have_primary, c, verify_fastly_text(c, e));
    }
    if (certificate_first)
        add_class(out, seen, &have_primary, outcome_class(facts), NULL);
    say_addresses(out, seen, &have_primary, facts);
    warn_expiry(out, s, facts, now);
    warn_strength(out, s, facts);
    if (facts->client_cert_requested)
        warn(out, "the origin asks for a client certificate (mutual TLS); Fastly sends one only "
                  "with ssl_client_cert and ssl_client_key set");
    if (!s->use_ssl && facts->outcome == FO_OUTCOME_OK && facts->plain_http == FO_NO)
        warn(out, "the origin did not answer an HTTP request on port %d with HTTP", target->port);
    else if (!s->use_ssl && facts->outcome == FO_OUTCOME_OK && facts->plain_http == FO_UNTESTED)
        warn(out, "the origin did not answer an HTTP request within %ld ms", s->connect_timeout_ms);
    say_class(out, out->class, target, facts);
}
