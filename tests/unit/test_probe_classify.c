/* Classification from plain facts: every class, the precedence rules, the texts. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "fixorigin/probe.h"

Suite *probe_classify_suite(void);

/* 2026-11-26T00:00:00Z, a fixed "now" */
#define NOW ((int64_t)1795651200)
#define DAY ((int64_t)86400)
#define TEXT(s) ((char *)(s))

static fo_probe_target target;
static fo_probe_facts facts;
static fo_cert_facts chain[3];
static fo_verify_error errors[4];
static char *leaf_san[] = {TEXT("other.origin.test")};
static fo_verdict verdict;

static void setup(void)
{
    memset(&target, 0, sizeof(target));
    target.host = "127.0.0.1";
    target.port = 8443;
    fo_probe_settings_init(&target.settings);
    target.settings.cert_hostname = "www.origin.test";
    fo_probe_facts_init(&facts);
    facts.address = TEXT("127.0.0.1");
    facts.protocol = TEXT("TLSv1.3");
    facts.outcome = FO_OUTCOME_OK;
    memset(chain, 0, sizeof(chain));
    chain[0].subject = TEXT("CN=other.origin.test");
    chain[0].issuer = TEXT("CN=Testbed Intermediate CA");
    chain[0].san = leaf_san;
    chain[0].san_count = 1;
    chain[0].not_before = NOW - 30 * DAY;
    chain[0].not_after = NOW + 300 * DAY;
    chain[1].subject = TEXT("CN=Testbed Intermediate CA");
    chain[1].issuer = TEXT("CN=Testbed Root CA");
    chain[1].not_before = NOW - 300 * DAY;
    chain[1].not_after = NOW + 3000 * DAY;
    chain[1].is_ca = true;
    facts.chain = chain;
    facts.chain_count = 2;
    facts.verify_errors = errors;
    memset(&verdict, 0, sizeof(verdict));
}

static void add_error(int depth, int code, const char *text)
{
    fo_verify_error *e = &errors[facts.verify_error_count++];
    e->depth = depth;
    e->code = code;
    snprintf(e->error, sizeof(e->error), "%s", text);
}

static void classify(void)
{
    fo_probe_primary_verify_error(&facts, &facts.verify_code);
    fo_probe_classify(&verdict, &target, &facts, NOW);
}

static void assert_class(fo_class expected)
{
    ck_assert_msg(verdict.class == expected, "class %s, expected %s", fo_class_id(verdict.class),
                  fo_class_id(expected));
}

static void assert_also(size_t count, const fo_class *expected)
{
    ck_assert_uint_eq(verdict.also_count, count);
    for (size_t i = 0; i < count; i++)
        ck_assert_str_eq(fo_class_id(verdict.also[i]), fo_class_id(expected[i]));
}

static void assert_detail_has(const char *part)
{
    ck_assert_msg(strstr(verdict.detail, part) != NULL, "detail '%s' lacks '%s'", verdict.detail,
                  part);
}

static bool warning_has(const char *part)
{
    for (size_t i = 0; i < verdict.warning_count; i++) {
        if (strstr(verdict.warnings[i], part))
            return true;
    }
    return false;
}

START_TEST(class_ids_and_fastly_texts_are_the_contract)
{
    static const struct {
        fo_class c;
        const char *id;
        const char *fastly;
    } table[] = {
        {FO_CLASS_OK, "ok", NULL},
        {FO_CLASS_HOSTNAME_MISMATCH, "hostname_mismatch", "Hostname mismatch"},
        {FO_CLASS_MISSING_CERT_HOSTNAME, "missing_cert_hostname",
         "Mandatory SSL cert checks require specifying cert hostname"},
        {FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE, "unable_to_verify_first_certificate",
         "unable to verify the first certificate"},
        {FO_CLASS_SELF_SIGNED_CERTIFICATE, "self_signed_certificate", "self signed certificate"},
        {FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE, "unable_to_get_local_issuer_certificate",
         "unable to get local issuer certificate"},
        {FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN, "self_signed_certificate_in_chain",
         "self signed certificate in certificate chain"},
        {FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE, "unable_to_get_issuer_certificate",
         "unable to get issuer certificate"},
        {FO_CLASS_CERTIFICATE_EXPIRED, "certificate_expired", "Certificate has expired"},
        {FO_CLASS_DNS_FAILURE, "dns_failure", "Gethostbyname"},
        {FO_CLASS_CONNECTION_TIMEOUT, "connection_timeout", "Connection timeout"},
        {FO_CLASS_CONNECTION_REFUSED, "connection_refused", "Connection refused"},
        {FO_CLASS_UNKNOWN_PROTOCOL, "unknown_protocol", "Unknown protocol"},
        {FO_CLASS_HANDSHAKE_FAILURE, "handshake_failure", "SSL handshake failure"},
        {FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR, "tlsv1_alert_internal_error",
         "TLSv1 alert internal error"},
        {FO_CLASS_RC4_CIPHER, "rc4_cipher", "Using RC4 Cipher"},
        {FO_CLASS_CERTIFICATE_NOT_YET_VALID, "certificate_not_yet_valid",
         "certificate is not yet valid"},
        {FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE, "unsuitable_certificate_purpose",
         "unsuitable certificate purpose"},
        {FO_CLASS_NAME_CONSTRAINTS_VIOLATION, "name_constraints_violation",
         "permitted subtree violation"},
        {FO_CLASS_INVALID_CA, "invalid_ca", "invalid CA certificate"},
        {FO_CLASS_UNHANDLED_CRITICAL_EXTENSION, "unhandled_critical_extension",
         "unhandled critical extension"},
        {FO_CLASS_CERTIFICATE_REVOKED, "certificate_revoked", "certificate revoked"},
        {FO_CLASS_KEY_TOO_SMALL, "key_too_small", "EE certificate key too weak"},
        {FO_CLASS_CA_MD_TOO_WEAK, "ca_md_too_weak", "CA signature digest algorithm too weak"},
        {FO_CLASS_CERTIFICATE_ERROR, "certificate_error", "certificate verify failed"},
    };
    ck_assert_uint_eq(sizeof(table) / sizeof(table[0]), FO_CLASS_COUNT);
    for (size_t i = 0; i < FO_CLASS_COUNT; i++) {
        fo_class parsed = FO_CLASS_COUNT;
        ck_assert_str_eq(fo_class_id(table[i].c), table[i].id);
        if (table[i].fastly)
            ck_assert_str_eq(fo_class_fastly_error(table[i].c), table[i].fastly);
        else
            ck_assert_ptr_null(fo_class_fastly_error(table[i].c));
        ck_assert_int_eq(fo_class_parse(&parsed, table[i].id), 0);
        ck_assert_int_eq(parsed, table[i].c);
    }
    fo_class parsed = FO_CLASS_OK;
    ck_assert_int_eq(fo_class_parse(&parsed, "Hostname mismatch"), FO_EINVAL);
    ck_assert_int_eq(fo_class_parse(&parsed, NULL), FO_EINVAL);
    ck_assert_str_eq(fo_class_id(FO_CLASS_COUNT), "?");
    ck_assert_ptr_null(fo_class_fastly_error(FO_CLASS_COUNT));
}
END_TEST

START_TEST(healthy_origin_is_ok)
{
    chain[0].san[0] = TEXT("www.origin.test");
    classify();
    assert_class(FO_CLASS_OK);
    assert_also(0, NULL);
    ck_assert_uint_eq(verdict.warning_count, 0);
    assert_detail_has("TLSv1.3 handshake with 127.0.0.1 port 8443 succeeded");
    assert_detail_has("verifies for www.origin.test");
    chain[0].san[0] = TEXT("other.origin.test");
}
END_TEST

START_TEST(hostname_mismatch_names_what_the_certificate_covers)
{
    add_error(0, 62, "hostname mismatch");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
    assert_also(0, NULL);
    ck_assert_int_eq(facts.verify_code, 62);
    ck_assert_str_eq(fo_probe_verify_text(&facts), "hostname mismatch");
    assert_detail_has("covers DNS:other.origin.test, not www.origin.test.");
}
END_TEST

START_TEST(ip_address_mismatch_is_a_hostname_mismatch)
{
    target.settings.cert_hostname = "192.0.2.1";
    add_error(0, 64, "IP address mismatch");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
}
END_TEST

START_TEST(hostname_mismatch_first_then_expired_in_also)
{
    chain[0].not_after = NOW - 2 * DAY;
    add_error(0, 62, "hostname mismatch");
    add_error(0, 10, "certificate has expired");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
    assert_also(1, (fo_class[]){FO_CLASS_CERTIFICATE_EXPIRED});
    /* An expired certificate is a class, not an "expires soon" warning. */
    ck_assert(!warning_has("expires"));
}
END_TEST

START_TEST(expired_certificate_says_when)
{
    chain[0].not_after = NOW - 2 * DAY;
    add_error(0, 10, "certificate has expired");
    classify();
    assert_class(FO_CLASS_CERTIFICATE_EXPIRED);
    assert_detail_has("CN=other.origin.test expired on 2026-11-24T00:00:00Z");
}
END_TEST

START_TEST(not_yet_valid_is_its_own_class)
{
    chain[0].not_before = NOW + DAY;
    add_error(0, 9, "certificate is not yet valid");
    classify();
    assert_class(FO_CLASS_CERTIFICATE_NOT_YET_VALID);
    ck_assert_str_eq(fo_verdict_fastly_error(&verdict), "certificate is not yet valid");
    assert_detail_has("not valid yet: it starts on 2026-11-27T00:00:00Z");
    assert_detail_has("renewing will not help");
}
END_TEST

/* Each verify error Fastly would surface: its class and OpenSSL's words for it. */
static const struct {
    int code;
    int depth;
    const char *openssl; /* OpenSSL 3's text for the code */
    fo_class c;
    const char *fastly; /* what Fastly shows */
    const char *detail; /* a part of the sentence */
} verify_cases[] = {
    {26, 0, "unsuitable certificate purpose", FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE,
     "unsuitable certificate purpose",
     "may not be used by a TLS server: its extended key usage is "
     "clientAuth, without serverAuth"},
    {47, 0, "permitted subtree violation", FO_CLASS_NAME_CONSTRAINTS_VIOLATION,
     "permitted subtree violation", "name constraints"},
    {48, 0, "excluded subtree violation", FO_CLASS_NAME_CONSTRAINTS_VIOLATION,
     "excluded subtree violation", "excluded subtree violation (verify error 48)"},
    {79, 1, "invalid CA certificate", FO_CLASS_INVALID_CA, "invalid CA certificate",
     "uses CN=Testbed Intermediate CA as a CA, but it is not a CA certificate"},
    {34, 0, "unhandled critical extension", FO_CLASS_UNHANDLED_CRITICAL_EXTENSION,
     "unhandled critical extension", "extension marked critical"},
    {23, 0, "certificate revoked", FO_CLASS_CERTIFICATE_REVOKED, "certificate revoked",
     "has been revoked by CN=Testbed Intermediate CA"},
    {66, 0, "EE certificate key too weak", FO_CLASS_KEY_TOO_SMALL, "EE certificate key too weak",
     "RSA key of CN=other.origin.test (1024 bits)"},
    {67, 1, "CA certificate key too weak", FO_CLASS_KEY_TOO_SMALL, "CA certificate key too weak",
     "too small"},
    {68, 0, "CA signature digest algorithm too weak", FO_CLASS_CA_MD_TOO_WEAK,
     "CA signature digest algorithm too weak", "signed with SHA1"},
    {7, 0, "certificate signature failure", FO_CLASS_CERTIFICATE_ERROR,
     "certificate signature failure", "certificate signature failure (verify error 7 at depth 0)"},
    {25, 1, "path length constraint exceeded", FO_CLASS_CERTIFICATE_ERROR,
     "path length constraint exceeded", "(verify error 25 at depth 1)"},
};

START_TEST(verify_errors_keep_openssl_words)
{
    chain[0].ext_key_usage = TEXT("clientAuth");
    snprintf(chain[0].key_type, sizeof(chain[0].key_type), "RSA");
    chain[0].key_bits = 1024;
    snprintf(chain[0].signature_digest, sizeof(chain[0].signature_digest), "SHA1");
    add_error(verify_cases[_i].depth, verify_cases[_i].code, verify_cases[_i].openssl);
    classify();
    assert_class(verify_cases[_i].c);
    ck_assert(fo_class_is_certificate(verdict.class));
    ck_assert_str_eq(fo_verdict_fastly_error(&verdict), verify_cases[_i].fastly);
    assert_detail_has(verify_cases[_i].detail);
    chain[0].ext_key_usage = NULL;
    memset(chain[0].key_type, 0, sizeof(chain[0].key_type));
    chain[0].key_bits = 0;
    memset(chain[0].signature_digest, 0, sizeof(chain[0].signature_digest));
}
END_TEST

/* Not the class's usual text: the verdict's own, for every class that shows the code's. */
START_TEST(unknown_verify_error_is_no_handshake_failure)
{
    add_error(0, 93, "Certificates with extensions require X509v3");
    classify();
    assert_class(FO_CLASS_CERTIFICATE_ERROR);
    ck_assert_str_eq(fo_verdict_fastly_error(&verdict),
                     "Certificates with extensions require X509v3");
    ck_assert_str_eq(fo_class_fastly_error(verdict.class), "certificate verify failed");
    ck_assert_uint_eq(verdict.warning_count, 0);
}
END_TEST

START_TEST(leaf_alone_without_aia_may_be_from_a_private_root)
{
    facts.chain_count = 1;
    chain[0].issuer = TEXT("CN=Private Root");
    add_error(0, 20, "unable to get local issuer certificate");
    add_error(0, 21, "unable to verify the first certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_detail_has("alone, and its issuer (CN=Private Root) is neither sent nor trusted");
    assert_detail_has("If CN=Private Root is a private root, it must be trusted (ssl_ca_cert)");
    ck_assert(strstr(verdict.detail, "without the intermediate") == NULL);
    chain[0].issuer = TEXT("CN=Testbed Intermediate CA");
}
END_TEST

START_TEST(wrong_intermediate_is_not_a_missing_one)
{
    chain[1].subject = TEXT("CN=Other Intermediate CA");
    add_error(0, 20, "unable to get local issuer certificate");
    add_error(0, 21, "unable to verify the first certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_detail_has("with the wrong intermediate: it sends CN=Other Intermediate CA, but the "
                      "certificate was issued by CN=Testbed Intermediate CA");
    /* Named like the issuer, yet not the key that signed: an outdated intermediate. */
    memset(&verdict, 0, sizeof(verdict));
    chain[1].subject = TEXT("CN=Testbed Intermediate CA");
    classify();
    assert_detail_has("named like its issuer (CN=Testbed Intermediate CA) whose key did not sign");
}
END_TEST

START_TEST(dns_typed_ip_san_is_named_as_such)
{
    static char *ip_san[] = {TEXT("127.0.0.1")};
    static fo_san_type dns_type[] = {FO_SAN_DNS};
    chain[0].san = ip_san;
    chain[0].san_types = dns_type;
    target.settings.cert_hostname = "127.0.0.1";
    add_error(0, 64, "IP address mismatch");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
    assert_detail_has("covers DNS:127.0.0.1, not 127.0.0.1 (an IP address).");
    assert_detail_has("lists 127.0.0.1 as a DNS name; an IP address is matched only by an IP "
                      "entry (IP:127.0.0.1)");
    char entry[64];
    fo_cert_san_format(entry, sizeof(entry), &chain[0], 0);
    ck_assert_str_eq(entry, "DNS:127.0.0.1");
    chain[0].san = leaf_san;
    chain[0].san_types = NULL;
    /* Without types (facts built by hand) the text decides. */
    fo_cert_san_format(entry, sizeof(entry), &(fo_cert_facts){.san = ip_san, .san_count = 1}, 0);
    ck_assert_str_eq(entry, "IP:127.0.0.1");
}
END_TEST

START_TEST(leaf_alone_with_unknown_issuer_is_unable_to_verify_first)
{
    facts.chain_count = 1;
    chain[0].aia_issuer_url = TEXT("http://127.0.0.1:8080/intermediate.der");
    add_error(0, 20, "unable to get local issuer certificate");
    add_error(0, 21, "unable to verify the first certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_also(0, NULL);
    ck_assert_int_eq(facts.verify_code, 21);
    ck_assert_str_eq(fo_probe_verify_text(&facts), "unable to verify the first certificate");
    assert_detail_has("without the intermediate CA that issued it (CN=Testbed Intermediate CA)");
    assert_detail_has("http://127.0.0.1:8080/intermediate.der");
    chain[0].aia_issuer_url = NULL;
}
END_TEST

START_TEST(leaf_alone_and_mismatch_keeps_verifier_order)
{
    facts.chain_count = 1;
    add_error(0, 20, "unable to get local issuer certificate");
    add_error(0, 62, "hostname mismatch");
    add_error(0, 21, "unable to verify the first certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_also(1, (fo_class[]){FO_CLASS_HOSTNAME_MISMATCH});
}
END_TEST

START_TEST(untrusted_issuer_above_the_leaf_is_local_issuer)
{
    add_error(1, 20, "unable to get local issuer certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE);
    ck_assert_int_eq(facts.verify_code, 20);
    assert_detail_has("ends at CN=Testbed Intermediate CA, issued by CN=Testbed Root CA");
}
END_TEST

START_TEST(self_signed_leaf)
{
    facts.chain_count = 1;
    chain[0].self_signed = true;
    add_error(0, 18, "self-signed certificate");
    classify();
    assert_class(FO_CLASS_SELF_SIGNED_CERTIFICATE);
    assert_detail_has("CN=other.origin.test is self-signed");
    chain[0].self_signed = false;
}
END_TEST

START_TEST(self_signed_root_in_chain)
{
    chain[2].subject = TEXT("CN=Private Root");
    chain[2].issuer = TEXT("CN=Private Root");
    chain[2].not_after = NOW + 1000 * DAY;
    facts.chain_count = 3;
    add_error(2, 19, "self-signed certificate in certificate chain");
    classify();
    assert_class(FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN);
    assert_detail_has("self-signed root (CN=Private Root)");
}
END_TEST

START_TEST(trusted_intermediate_without_its_issuer)
{
    facts.chain_count = 1;
    add_error(1, 2, "unable to get issuer certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE);
    assert_detail_has("(CN=Testbed Intermediate CA) whose own issuer is not available");
}
END_TEST

START_TEST(check_cert_off_turns_verify_errors_into_warnings)
{
    target.settings.check_cert = false;
    add_error(0, 62, "hostname mismatch");
    add_error(0, 10, "certificate has expired");
    add_error(0, 25, "path length constraint exceeded");
    classify();
    assert_class(FO_CLASS_OK);
    assert_also(0, NULL);
    ck_assert(warning_has("would report \"Hostname mismatch\""));
    ck_assert(warning_has("would report \"Certificate has expired\""));
    ck_assert(warning_has("would report \"path length constraint exceeded\""));
    assert_detail_has("not checked (ssl_check_cert off)");
}
END_TEST

START_TEST(check_cert_off_needs_no_cert_hostname)
{
    target.settings.check_cert = false;
    target.settings.cert_hostname = NULL;
    classify();
    assert_class(FO_CLASS_OK);
}
END_TEST

START_TEST(missing_cert_hostname_comes_first_and_keeps_the_rest)
{
    target.settings.cert_hostname = "";
    chain[2].subject = TEXT("CN=Private Root");
    facts.chain_count = 3;
    add_error(2, 19, "self-signed certificate in certificate chain");
    classify();
    assert_class(FO_CLASS_MISSING_CERT_HOSTNAME);
    assert_also(1, (fo_class[]){FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN});
    assert_detail_has("ssl_cert_hostname is not set");
}
END_TEST

START_TEST(missing_cert_hostname_before_network_failures)
{
    target.settings.cert_hostname = NULL;
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_DNS_FAILURE;
    classify();
    assert_class(FO_CLASS_MISSING_CERT_HOSTNAME);
    assert_also(1, (fo_class[]){FO_CLASS_DNS_FAILURE});
}
END_TEST

START_TEST(no_tls_backend_needs_no_cert_hostname)
{
    target.settings.use_ssl = false;
    target.settings.cert_hostname = NULL;
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_OK;
    facts.plain_http = FO_YES;
    classify();
    assert_class(FO_CLASS_OK);
    ck_assert_uint_eq(verdict.warning_count, 0);
    assert_detail_has("use_ssl off");
    facts.plain_http = FO_NO;
    classify();
    assert_class(FO_CLASS_OK);
    ck_assert(warning_has("did not answer an HTTP request on port 8443 with HTTP"));
}
END_TEST

START_TEST(dns_failure_says_why)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_DNS_FAILURE;
    facts.problem = TEXT("names under .invalid never resolve (RFC 6761)");
    target.host = "nxdomain.fixorigin.invalid";
    classify();
    assert_class(FO_CLASS_DNS_FAILURE);
    assert_detail_has("nxdomain.fixorigin.invalid does not resolve: names under .invalid");
}
END_TEST

START_TEST(connection_refused)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_CONNECT_REFUSED;
    facts.address = TEXT("127.0.0.1");
    facts.problem = TEXT("Connection refused");
    classify();
    assert_class(FO_CLASS_CONNECTION_REFUSED);
    assert_detail_has("127.0.0.1 port 8443 refused the connection (Connection refused)");
}
END_TEST

START_TEST(connect_timeout_with_and_without_a_late_answer)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_CONNECT_TIMEOUT;
    facts.address = TEXT("127.0.0.1");
    classify();
    assert_class(FO_CLASS_CONNECTION_TIMEOUT);
    assert_detail_has("TCP connection to 127.0.0.1 port 8443 did not complete within 1000 ms");
    assert_detail_has("nor in the extra time");
    facts.late_answer_ms = 1520.4;
    classify();
    assert_detail_has("it answered after 1520 ms");
}
END_TEST

START_TEST(handshake_timeout_keeps_what_a_late_handshake_showed)
{
    facts.outcome = FO_OUTCOME_HANDSHAKE_TIMEOUT;
    facts.late_answer_ms = 1500;
    add_error(0, 62, "hostname mismatch");
    classify();
    assert_class(FO_CLASS_CONNECTION_TIMEOUT);
    assert_also(1, (fo_class[]){FO_CLASS_HOSTNAME_MISMATCH});
    assert_detail_has("accepted TCP but did not complete the TLS handshake within 1000 ms");
    assert_detail_has("answered after 1500 ms");
}
END_TEST

START_TEST(plain_http_is_unknown_protocol)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_NOT_TLS;
    facts.plain_http = FO_YES;
    facts.reply_start = TEXT("HTTP/1.1 400 Bad Request");
    classify();
    assert_class(FO_CLASS_UNKNOWN_PROTOCOL);
    assert_detail_has("plain HTTP, not TLS, on port 8443 (\"HTTP/1.1 400 Bad Request\")");
    facts.plain_http = FO_NO;
    classify();
    assert_class(FO_CLASS_UNKNOWN_PROTOCOL);
    assert_detail_has("does not speak TLS on port 8443");
}
END_TEST

START_TEST(alert_internal_error)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 80;
    facts.rc4_only = FO_NO;
    classify();
    assert_class(FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR);
    assert_detail_has("alert internal_error (80)");
    /* An origin that aborts with internal_error is that error even if it would do RC4. */
    facts.rc4_only = FO_YES;
    classify();
    assert_class(FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR);
}
END_TEST

START_TEST(other_alerts_and_closes_are_handshake_failures)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 40;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_detail_has("alert handshake_failure (40)");
    facts.outcome = FO_OUTCOME_CLOSED;
    facts.alert = -1;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_detail_has("closed the connection during the TLS handshake");
    facts.outcome = FO_OUTCOME_TLS_ERROR;
    facts.problem = TEXT("no protocols available");
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_detail_has("failed: no protocols available");
}
END_TEST

START_TEST(handshake_failure_names_the_versions_outside_the_limits)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 70;
    target.settings.max_tls = FO_TLS_1_2;
    facts.protocols[0] = facts.protocols[1] = facts.protocols[2] = FO_NO;
    facts.protocols[3] = FO_YES;
    facts.needs_sni = FO_NO;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_detail_has("It accepts TLS 1.3 only, outside the allowed 1.0 to 1.2.");
    /* A version inside the limits: the versions are not the problem. */
    facts.protocols[2] = FO_YES;
    classify();
    ck_assert_ptr_null(strstr(verdict.detail, "outside"));
}
END_TEST

START_TEST(rc4_only_origin)
{
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 40;
    facts.rc4_only = FO_YES;
    classify();
    assert_class(FO_CLASS_RC4_CIPHER);
    assert_detail_has("only offers RC4");
    facts.rc4_only = FO_NO;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
}
END_TEST

START_TEST(rc4_is_not_the_class_when_a_version_hello_gets_another_cipher)
{
    /* An old TLS 1.2 origin that picks RC4 only when nothing else is offered; Fastly is
     * limited to TLS 1.1, which the origin refuses. */
    fo_probe_facts_init(&facts);
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 70;
    target.settings.max_tls = FO_TLS_1_1;
    facts.rc4_only = FO_YES;
    facts.protocols[0] = facts.protocols[1] = facts.protocols[3] = FO_NO;
    facts.protocols[2] = FO_YES;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_also(0, NULL);
    assert_detail_has("It accepts TLS 1.2 only, outside the allowed 1.0 to 1.1.");
    ck_assert_ptr_null(strstr(verdict.detail, "RC4"));
    /* Every version hello refused: RC4 is all it would pick. */
    facts.protocols[2] = FO_NO;
    classify();
    assert_class(FO_CLASS_RC4_CIPHER);
    /* Versions not tested do not count against RC4. */
    for (int i = 0; i < FO_TLS_VERSION_COUNT; i++)
        facts.protocols[i] = FO_UNTESTED;
    classify();
    assert_class(FO_CLASS_RC4_CIPHER);
}
END_TEST

/* A TLS 1.2 origin that requires a client certificate alerts after its own certificate; a
 * TLS 1.3 one after the handshake. Fastly has stopped at the certificate by then. */
START_TEST(certificate_error_before_a_refusal_is_the_class)
{
    facts.protocol = NULL;
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 116;
    facts.client_cert_requested = true;
    add_error(0, 62, "hostname mismatch");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
    assert_also(1, (fo_class[]){FO_CLASS_HANDSHAKE_FAILURE});
    assert_detail_has("The name check fails: the certificate covers DNS:other.origin.test, not "
                      "www.origin.test. After the certificate the origin aborted the TLS "
                      "handshake with alert certificate_required (116).");
    ck_assert(warning_has("asks for a client certificate"));
    /* The same after a close, a chain error, or our side giving up. */
    facts.outcome = FO_OUTCOME_CLOSED;
    facts.alert = -1;
    facts.verify_error_count = 0;
    add_error(0, 20, "unable to get local issuer certificate");
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_also(1, (fo_class[]){FO_CLASS_HANDSHAKE_FAILURE});
    assert_detail_has("After the certificate the origin closed the connection");
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 80;
    classify();
    assert_class(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE);
    assert_also(1, (fo_class[]){FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR});
}
END_TEST

START_TEST(refusal_is_the_class_when_the_certificate_is_good_or_unchecked)
{
    facts.protocol = NULL;
    facts.outcome = FO_OUTCOME_ALERT;
    facts.alert = 116;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_also(0, NULL);
    assert_detail_has(
        "The origin aborted the TLS handshake with alert certificate_required (116).");
    /* Unchecked, the certificate's problems are warnings, never ahead of the refusal. */
    add_error(0, 62, "hostname mismatch");
    target.settings.check_cert = false;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
    assert_also(0, NULL);
    ck_assert(warning_has("with it on Fastly would report \"Hostname mismatch\""));
    /* A refusal without a certificate (an alert on the ClientHello) stays first too. */
    target.settings.check_cert = true;
    facts.chain_count = 0;
    classify();
    assert_class(FO_CLASS_HANDSHAKE_FAILURE);
}
END_TEST

START_TEST(expiring_soon_is_a_warning)
{
    chain[0].san[0] = TEXT("www.origin.test");
    chain[0].not_after = NOW + 2 * DAY + 3600;
    chain[1].not_after = NOW + 10 * DAY;
    classify();
    assert_class(FO_CLASS_OK);
    ck_assert_uint_eq(verdict.warning_count, 2);
    ck_assert_str_eq(verdict.warnings[0], "certificate expires in 2 days (2026-11-28T01:00:00Z)");
    ck_assert_str_eq(verdict.warnings[1], "chain certificate CN=Testbed Intermediate CA expires "
                                          "in 10 days (2026-12-06T00:00:00Z)");
    chain[0].not_after = NOW + 31 * DAY;
    chain[1].not_after = NOW + 3000 * DAY;
    classify();
    ck_assert_uint_eq(verdict.warning_count, 0);
    chain[0].san[0] = TEXT("other.origin.test");
}
END_TEST

START_TEST(expiry_warning_days_are_the_users)
{
    chain[0].san[0] = TEXT("www.origin.test");
    chain[0].not_after = NOW + 40 * DAY;
    target.settings.expiry_warning_days = 60;
    classify();
    ck_assert(warning_has("certificate expires in 40 days"));
    target.settings.expiry_warning_days = 0; /* never */
    chain[0].not_after = NOW + DAY;
    classify();
    ck_assert_uint_eq(verdict.warning_count, 0);
    chain[0].not_after = NOW + 300 * DAY;
    chain[0].san[0] = TEXT("other.origin.test");
}
END_TEST

/* What OpenSSL 3 at its default level refuses is a warning, never a class. */
START_TEST(weak_certificates_and_old_protocols_are_warnings)
{
    chain[0].san[0] = TEXT("www.origin.test");
    snprintf(chain[0].signature_digest, sizeof(chain[0].signature_digest), "SHA1");
    snprintf(chain[0].key_type, sizeof(chain[0].key_type), "RSA");
    chain[0].key_bits = 1024;
    snprintf(chain[1].key_type, sizeof(chain[1].key_type), "EC");
    chain[1].key_bits = 160;
    facts.protocol = TEXT("TLSv1");
    classify();
    assert_class(FO_CLASS_OK);
    assert_also(0, NULL);
    ck_assert(warning_has("certificate CN=other.origin.test is signed with SHA-1; OpenSSL 3 at "
                          "its default security level refuses it"));
    ck_assert(warning_has("has a 1024-bit RSA key (under 2048)"));
    ck_assert(warning_has("chain certificate CN=Testbed Intermediate CA has a 160-bit EC key "
                          "(under 224)"));
    ck_assert(warning_has("the origin speaks TLS 1.0 at most, though TLS 1.2 was offered"));
    /* Strong enough, or limited by the backend's own max_tls_version: nothing to say. */
    snprintf(chain[0].signature_digest, sizeof(chain[0].signature_digest), "SHA256");
    chain[0].key_bits = 2048;
    chain[1].key_bits = 256;
    target.settings.max_tls = FO_TLS_1_0;
    classify();
    ck_assert_uint_eq(verdict.warning_count, 0);
    /* A self-signed root's own SHA-1 signature is never checked. */
    snprintf(chain[1].signature_digest, sizeof(chain[1].signature_digest), "SHA1");
    chain[1].self_signed = true;
    classify();
    ck_assert_uint_eq(verdict.warning_count, 0);
    memset(chain[0].signature_digest, 0, sizeof(chain[0].signature_digest));
    memset(chain[1].signature_digest, 0, sizeof(chain[1].signature_digest));
    memset(chain[0].key_type, 0, sizeof(chain[0].key_type));
    memset(chain[1].key_type, 0, sizeof(chain[1].key_type));
    chain[0].key_bits = chain[1].key_bits = 0;
    chain[1].self_signed = false;
    chain[0].san[0] = TEXT("other.origin.test");
}
END_TEST

START_TEST(client_certificate_request_is_a_warning)
{
    chain[0].san[0] = TEXT("www.origin.test");
    classify();
    ck_assert(!warning_has("client certificate"));
    facts.client_cert_requested = true;
    classify();
    assert_class(FO_CLASS_OK);
    ck_assert(warning_has("asks for a client certificate (mutual TLS)"));
    chain[0].san[0] = TEXT("other.origin.test");
}
END_TEST

START_TEST(time_is_formatted_in_utc)
{
    char buf[32];
    fo_format_time(buf, sizeof(buf), NOW);
    ck_assert_str_eq(buf, "2026-11-26T00:00:00Z");
    fo_format_time(buf, sizeof(buf), 0);
    ck_assert_str_eq(buf, "1970-01-01T00:00:00Z");
}
END_TEST

START_TEST(alert_names)
{
    ck_assert_str_eq(fo_probe_alert_name(80), "internal_error");
    ck_assert_str_eq(fo_probe_alert_name(40), "handshake_failure");
    ck_assert_str_eq(fo_probe_alert_name(112), "unrecognized_name");
    ck_assert_str_eq(fo_probe_alert_name(255), "unknown");
    ck_assert_str_eq(fo_probe_alert_name(-1), "unknown");
}
END_TEST

/* Fastly's first choice decides; the other addresses go to also and a warning. */
START_TEST(addresses_that_disagree_are_named)
{
    fo_address_result results[3] = {
        {.address = "127.0.0.1", .probed = true, .class = FO_CLASS_OK},
        {.address = "192.0.2.7",
         .probed = true,
         .class = FO_CLASS_CONNECTION_REFUSED,
         .fastly_error = "Connection refused"},
        {.address = "::1", .probed = true, .class = FO_CLASS_OK},
    };
    chain[0].san[0] = TEXT("www.origin.test");
    facts.address_results = results;
    facts.address_result_count = 3;
    classify();
    assert_class(FO_CLASS_OK);
    assert_also(1, (fo_class[]){FO_CLASS_CONNECTION_REFUSED});
    ck_assert(warning_has("1 of 3 addresses gives connection_refused (Connection refused): "
                          "192.0.2.7"));
    /* The first choice fails where another answers: that is said too, not hidden. */
    memset(&verdict, 0, sizeof(verdict));
    results[0].class = FO_CLASS_HOSTNAME_MISMATCH;
    results[1].probed = false;
    snprintf(results[1].problem, sizeof(results[1].problem), "cannot make a socket");
    chain[0].san[0] = TEXT("other.origin.test");
    add_error(0, 62, "hostname mismatch");
    classify();
    assert_class(FO_CLASS_HOSTNAME_MISMATCH);
    assert_also(0, NULL);
    ck_assert(warning_has("1 of 3 addresses answer ok (::1), but Fastly tries 127.0.0.1 first"));
    ck_assert(warning_has("address 192.0.2.7 could not be tried from here: cannot make a socket"));
    facts.address_results = NULL;
    facts.address_result_count = 0;
}
END_TEST

Suite *probe_classify_suite(void)
{
    Suite *s = suite_create("probe_classify");
    TCase *tc = tcase_create("classify");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, class_ids_and_fastly_texts_are_the_contract);
    tcase_add_test(tc, healthy_origin_is_ok);
    tcase_add_test(tc, hostname_mismatch_names_what_the_certificate_covers);
    tcase_add_test(tc, ip_address_mismatch_is_a_hostname_mismatch);
    tcase_add_test(tc, hostname_mismatch_first_then_expired_in_also);
    tcase_add_test(tc, expired_certificate_says_when);
    tcase_add_test(tc, not_yet_valid_is_its_own_class);
    tcase_add_loop_test(tc, verify_errors_keep_openssl_words, 0,
                        sizeof(verify_cases) / sizeof(verify_cases[0]));
    tcase_add_test(tc, unknown_verify_error_is_no_handshake_failure);
    tcase_add_test(tc, leaf_alone_without_aia_may_be_from_a_private_root);
    tcase_add_test(tc, wrong_intermediate_is_not_a_missing_one);
    tcase_add_test(tc, dns_typed_ip_san_is_named_as_such);
    tcase_add_test(tc, addresses_that_disagree_are_named);
    tcase_add_test(tc, expiry_warning_days_are_the_users);
    tcase_add_test(tc, weak_certificates_and_old_protocols_are_warnings);
    tcase_add_test(tc, leaf_alone_with_unknown_issuer_is_unable_to_verify_first);
    tcase_add_test(tc, leaf_alone_and_mismatch_keeps_verifier_order);
    tcase_add_test(tc, untrusted_issuer_above_the_leaf_is_local_issuer);
    tcase_add_test(tc, self_signed_leaf);
    tcase_add_test(tc, self_signed_root_in_chain);
    tcase_add_test(tc, trusted_intermediate_without_its_issuer);
    tcase_add_test(tc, check_cert_off_turns_verify_errors_into_warnings);
    tcase_add_test(tc, check_cert_off_needs_no_cert_hostname);
    tcase_add_test(tc, missing_cert_hostname_comes_first_and_keeps_the_rest);
    tcase_add_test(tc, missing_cert_hostname_before_network_failures);
    tcase_add_test(tc, no_tls_backend_needs_no_cert_hostname);
    tcase_add_test(tc, dns_failure_says_why);
    tcase_add_test(tc, connection_refused);
    tcase_add_test(tc, connect_timeout_with_and_without_a_late_answer);
    tcase_add_test(tc, handshake_timeout_keeps_what_a_late_handshake_showed);
    tcase_add_test(tc, plain_http_is_unknown_protocol);
    tcase_add_test(tc, alert_internal_error);
    tcase_add_test(tc, other_alerts_and_closes_are_handshake_failures);
    tcase_add_test(tc, handshake_failure_names_the_versions_outside_the_limits);
    tcase_add_test(tc, rc4_only_origin);
    tcase_add_test(tc, rc4_is_not_the_class_when_a_version_hello_gets_another_cipher);
    tcase_add_test(tc, certificate_error_before_a_refusal_is_the_class);
    tcase_add_test(tc, refusal_is_the_class_when_the_certificate_is_good_or_unchecked);
    tcase_add_test(tc, expiring_soon_is_a_warning);
    tcase_add_test(tc, client_certificate_request_is_a_warning);
    tcase_add_test(tc, time_is_formatted_in_utc);
    tcase_add_test(tc, alert_names);
    suite_add_tcase(s, tc);
    return s;
}
