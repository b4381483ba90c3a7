/* The case table: one origin for every error Fastly reports, plus healthy ones,
 * each with the backend settings to probe it with and the class expected. The
 * manifest is this table written out with the ports the kernel picked. */
#include <arpa/inet.h>
#include <assert.h>
#include <jansson.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "origins.h"

#define WWW "www.origin.test"
#define DNS_FAILURE_HOST "nxdomain.fixorigin.invalid"

/* Identities; NONE (0) marks "no certificate" in the tables below. */
enum ident {
    NONE,
    PUBLIC_ROOT,
    PUBLIC_INT,
    PRIVATE_ROOT,
    PRIVATE_INT,
    LEAF_WWW,
    LEAF_WWW_RSA,
    LEAF_DEFAULT,
    LEAF_OTHER,
    LEAF_SELF,
    LEAF_PRIVATE,
    LEAF_EXPIRED,
    LEAF_EXPIRED_OTHER,
    LEAF_NOT_YET_VALID,
    LEAF_CLIENT_ONLY,
    CONSTRAINED_INT,
    LEAF_CONSTRAINED,
    NOT_A_CA_INT,
    LEAF_UNDER_NOT_A_CA,
    LEAF_CRITICAL,
    LEAF_FROM_PRIVATE_ROOT,
    LEAF_IP_AS_DNS,
    LEAF_EXPIRES_SOON,
    LEAF_SHA1,
    LEAF_RSA1024,
    IDENT_COUNT
};

enum aia { AIA_NONE, AIA_ROOT, AIA_INT };

#define CA(cn, from, to)                                                                           \
    {                                                                                              \
        .common_name = cn, .is_ca = true, .valid_from_days = from, .valid_to_days = to             \
    }
#define LEAF(name, from, to)                                                                       \
    {                                                                                              \
        .common_name = name, .san_dns = name, .valid_from_days = from, .valid_to_days = to         \
    }

/* In issuing order: every issuer comes before what it signs. */
static const struct ident_def {
    enum ident id;
    tb_cert_spec spec;
    enum ident issuer; /* NONE: self-signed */
    bool rsa;
    enum aia aia;
} ident_defs[] = {
    {.id = PUBLIC_ROOT, .spec = CA("Testbed Public Root CA", -30, 3650)},
    {.id = PUBLIC_INT,
     .spec = CA("Testbed Public Intermediate CA", -30, 1825),
     .issuer = PUBLIC_ROOT,
     .aia = AIA_ROOT},
    {.id = PRIVATE_ROOT, .spec = CA("Testbed Private Root CA", -30, 3650)},
    {.id = PRIVATE_INT,
     .spec = CA("Testbed Private Intermediate CA", -30, 1825),
     .issuer = PRIVATE_ROOT},
    {.id = LEAF_WWW, .spec = LEAF(WWW, -1, 365), .issuer = PUBLIC_INT, .aia = AIA_INT},
    {.id = LEAF_WWW_RSA,
     .spec = LEAF(WWW, -1, 365),
     .issuer = PUBLIC_INT,
     .rsa = true,
     .aia = AIA_INT},
    {.id = LEAF_DEFAULT,
     .spec = LEAF("default.origin.test", -1, 365),
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = LEAF_OTHER,
     .spec = LEAF("other.origin.test", -1, 365),
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = LEAF_SELF,
     .spec = {.common_name = WWW,
              .san_dns = WWW,
              .is_ca = true,
              .valid_from_days = -1,
              .valid_to_days = 365}},
    {.id = LEAF_PRIVATE, .spec = LEAF(WWW, -1, 365), .issuer = PRIVATE_INT},
    {.id = LEAF_EXPIRED, .spec = LEAF(WWW, -400, -30), .issuer = PUBLIC_INT, .aia = AIA_INT},
    {.id = LEAF_EXPIRED_OTHER,
     .spec = LEAF("other.origin.test", -400, -30),
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = LEAF_NOT_YET_VALID, .spec = LEAF(WWW, 2, 365), .issuer = PUBLIC_INT, .aia = AIA_INT},
    {.id = LEAF_CLIENT_ONLY,
     .spec = {.common_name = WWW,
              .san_dns = WWW,
              .valid_from_days = -1,
              .valid_to_days = 365,
              .ext_key_usage = "clientAuth"},
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = CONSTRAINED_INT,
     .spec = {.common_name = "Testbed Constrained Intermediate CA",
              .is_ca = true,
              .valid_from_days = -30,
              .valid_to_days = 1825,
              .name_constraints = "critical,permitted;DNS:.example.com"},
     .issuer = PUBLIC_ROOT},
    {.id = LEAF_CONSTRAINED, .spec = LEAF(WWW, -1, 365), .issuer = CONSTRAINED_INT},
    {.id = NOT_A_CA_INT,
     .spec = {.common_name = "Testbed Not-a-CA Intermediate",
              .not_a_ca = true,
              .valid_from_days = -30,
              .valid_to_days = 1825},
     .issuer = PUBLIC_ROOT},
    {.id = LEAF_UNDER_NOT_A_CA, .spec = LEAF(WWW, -1, 365), .issuer = NOT_A_CA_INT},
    {.id = LEAF_CRITICAL,
     .spec = {.common_name = WWW,
              .san_dns = WWW,
              .valid_from_days = -1,
              .valid_to_days = 365,
              .unknown_critical = true},
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = LEAF_FROM_PRIVATE_ROOT, .spec = LEAF(WWW, -1, 365), .issuer = PRIVATE_ROOT},
    {.id = LEAF_IP_AS_DNS, .spec = LEAF("127.0.0.1", -1, 365), .issuer = PUBLIC_INT},
    {.id = LEAF_EXPIRES_SOON, .spec = LEAF(WWW, -300, 10), .issuer = PUBLIC_INT, .aia = AIA_INT},
    {.id = LEAF_SHA1,
     .spec = {.common_name = WWW,
              .san_dns = WWW,
              .valid_from_days = -1,
              .valid_to_days = 365,
              .sha1 = true},
     .issuer = PUBLIC_INT,
     .aia = AIA_INT},
    {.id = LEAF_RSA1024,
     .spec = {.common_name = WWW,
              .san_dns = WWW,
              .valid_from_days = -1,
              .valid_to_days = 365,
              .rsa_bits = 1024},
     .issuer = PUBLIC_INT,
     .rsa = true,
     .aia = AIA_INT},
};

/* Where an origin listens: the testbed's host, its own loopback address (for
 * unknown_protocol, whose fix is port 80 on the same host), or nowhere. */
/* Where an origin listens: the testbed's host, its own loopback address (for
 * unknown_protocol, whose fix is port 80 on the same host), IPv6 loopback, a second
 * IPv4 loopback address, or nowhere. */
enum place { ON_HOST, ON_PLAIN_HOST, ON_PLAIN_HOST_80, ON_V6, ON_HOST_2, NOWHERE };
#define V6_HOST "::1"
#define HOST_2 "127.0.0.2"

static const struct origin_def {
    const char *name;
    tb_behaviour behaviour;
    enum place place;
    enum ident leaf;
    enum ident chain[2]; /* sent after the leaf; NONE ends the list */
    enum ident sni_leaf; /* served instead when SNI names WWW */
    bool fail_without_sni;
    bool alert_internal;
    int client_cert; /* 0 none, 1 asks for one, 2 requires one (mutual TLS) */
    int delay_ms;
    int min_version, max_version; /* 0: OpenSSL's defaults */
    const char *ciphers;          /* TLS <= 1.2 cipher list; NULL: OpenSSL's */
    bool legacy;                  /* security level 0, so TLS 1.0 and 1.1 work */
    /* Several origins behind one name (the hosts file maps it to each one's address, in
     * table order), all on the port of the first of them. */
    const char *dns_name;
} origin_defs[] = {
    {.name = "healthy", .behaviour = TB_TLS, .leaf = LEAF_WWW, .chain = {PUBLIC_INT}},
    {.name = "healthy_all_versions",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW_RSA,
     .chain = {PUBLIC_INT},
     .min_version = TLS1_VERSION,
     .legacy = true},
    {.name = "sni_required_cert",
     .behaviour = TB_TLS,
     .leaf = LEAF_DEFAULT,
     .chain = {PUBLIC_INT},
     .sni_leaf = LEAF_WWW},
    {.name = "sni_required_fail",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .fail_without_sni = true},
    {.name = "hostname_mismatch", .behaviour = TB_TLS, .leaf = LEAF_OTHER, .chain = {PUBLIC_INT}},
    {.name = "unable_to_verify_first_certificate", .behaviour = TB_TLS, .leaf = LEAF_WWW},
    {.name = "self_signed_certificate", .behaviour = TB_TLS, .leaf = LEAF_SELF},
    {.name = "unable_to_get_local_issuer_certificate",
     .behaviour = TB_TLS,
     .leaf = LEAF_PRIVATE,
     .chain = {PRIVATE_INT}},
    {.name = "self_signed_certificate_in_chain",
     .behaviour = TB_TLS,
     .leaf = LEAF_PRIVATE,
     .chain = {PRIVATE_INT, PRIVATE_ROOT}},
    {.name = "unable_to_get_issuer_certificate", .behaviour = TB_TLS, .leaf = LEAF_PRIVATE},
    {.name = "certificate_expired",
     .behaviour = TB_TLS,
     .leaf = LEAF_EXPIRED,
     .chain = {PUBLIC_INT}},
    {.name = "hostname_mismatch_expired",
     .behaviour = TB_TLS,
     .leaf = LEAF_EXPIRED_OTHER,
     .chain = {PUBLIC_INT}},
    {.name = "dns_failure", .behaviour = TB_NO_LISTENER, .place = NOWHERE},
    {.name = "connection_refused", .behaviour = TB_REFUSED},
    {.name = "connection_timeout_backlog", .behaviour = TB_BACKLOG_FULL},
    {.name = "connection_timeout_silent", .behaviour = TB_SILENT},
    {.name = "slow_handshake",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .delay_ms = 1500},
    {.name = "unknown_protocol", .behaviour = TB_HTTP, .place = ON_PLAIN_HOST},
    {.name = "plain_http_port_80", .behaviour = TB_HTTP, .place = ON_PLAIN_HOST_80},
    {.name = "handshake_failure_tls13_only",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .min_version = TLS1_3_VERSION},
    {.name = "handshake_failure_ciphers",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .max_version = TLS1_2_VERSION,
     .ciphers = "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {.name = "tlsv1_alert_internal_error",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .alert_internal = true},
    {.name = "client_cert_required",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .client_cert = 2},
    {.name = "client_cert_optional",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .client_cert = 1},
    {.name = "certificate_not_yet_valid",
     .behaviour = TB_TLS,
     .leaf = LEAF_NOT_YET_VALID,
     .chain = {PUBLIC_INT}},
    {.name = "unsuitable_certificate_purpose",
     .behaviour = TB_TLS,
     .leaf = LEAF_CLIENT_ONLY,
     .chain = {PUBLIC_INT}},
    {.name = "name_constraints_violation",
     .behaviour = TB_TLS,
     .leaf = LEAF_CONSTRAINED,
     .chain = {CONSTRAINED_INT}},
    {.name = "invalid_ca",
     .behaviour = TB_TLS,
     .leaf = LEAF_UNDER_NOT_A_CA,
     .chain = {NOT_A_CA_INT}},
    {.name = "unhandled_critical_extension",
     .behaviour = TB_TLS,
     .leaf = LEAF_CRITICAL,
     .chain = {PUBLIC_INT}},
    {.name = "private_root_leaf_alone", .behaviour = TB_TLS, .leaf = LEAF_FROM_PRIVATE_ROOT},
    {.name = "wrong_intermediate", .behaviour = TB_TLS, .leaf = LEAF_WWW, .chain = {PRIVATE_INT}},
    {.name = "dns_typed_ip_san",
     .behaviour = TB_TLS,
     .leaf = LEAF_IP_AS_DNS,
     .chain = {PUBLIC_INT}},
    {.name = "expires_soon", .behaviour = TB_TLS, .leaf = LEAF_EXPIRES_SOON, .chain = {PUBLIC_INT}},
    /* What OpenSSL 3 at its default level refuses: served at level 0, as old stacks do. */
    {.name = "weak_sha1_leaf",
     .behaviour = TB_TLS,
     .leaf = LEAF_SHA1,
     .chain = {PUBLIC_INT},
     .legacy = true},
    {.name = "weak_rsa1024_leaf",
     .behaviour = TB_TLS,
     .leaf = LEAF_RSA1024,
     .chain = {PUBLIC_INT},
     .legacy = true},
    {.name = "tls10_only",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW_RSA,
     .chain = {PUBLIC_INT},
     .min_version = TLS1_VERSION,
     .max_version = TLS1_VERSION,
     .legacy = true},
    {.name = "ipv6_healthy",
     .behaviour = TB_TLS,
     .place = ON_V6,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT}},
    /* dual.origin.test: IPv4 serves the wrong certificate, IPv6 the right one. */
    {.name = "dual_v4_wrong_certificate",
     .behaviour = TB_TLS,
     .leaf = LEAF_OTHER,
     .chain = {PUBLIC_INT},
     .dns_name = "dual.origin.test"},
    {.name = "dual_v6_right_certificate",
     .behaviour = TB_TLS,
     .place = ON_V6,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .dns_name = "dual.origin.test"},
    /* v6silent.origin.test: IPv6 accepts and never answers, IPv4 is healthy. */
    {.name = "v6silent_v4_healthy",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .dns_name = "v6silent.origin.test"},
    {.name = "v6silent_v6_silent",
     .behaviour = TB_SILENT,
     .place = ON_V6,
     .dns_name = "v6silent.origin.test"},
    /* three.origin.test: two healthy addresses and one that refuses. */
    {.name = "three_v4_healthy",
     .behaviour = TB_TLS,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .dns_name = "three.origin.test"},
    {.name = "three_v4_refused",
     .behaviour = TB_REFUSED,
     .place = ON_HOST_2,
     .dns_name = "three.origin.test"},
    {.name = "three_v6_healthy",
     .behaviour = TB_TLS,
     .place = ON_V6,
     .leaf = LEAF_WWW,
     .chain = {PUBLIC_INT},
     .dns_name = "three.origin.test"},
    {.name = "rc4_cipher", .behaviour = TB_RC4},
    {.name = "hostile_garbage", .behaviour = TB_GARBAGE},
    {.name = "hostile_slow_drip", .behaviour = TB_DRIP},
    {.name = "hostile_huge_record", .behaviour = TB_HUGE_RECORD},
    {.name = "hostile_reset", .behaviour = TB_RESET},
};
#define ORIGIN_COUNT (sizeof(origin_defs) / sizeof(origin_defs[0]))

/* A manifest entry: an origin and the backend settings to probe it with. Unless
 * a flag says otherwise, SNI and the certificate hostname are WWW. */
static const struct case_def {
    const char *name;
    const char *origin;
    const char *expected_class;
    const char *expected_also;    /* one more class expected in "also", or NULL */
    const char *expected_detail;  /* a part of the detail sentence, or NULL */
    const char *expected_warning; /* a part of some warning, or NULL */
    const char *cert_hostname;    /* instead of WWW */
    bool by_name;                 /* probe the origin's dns_name, not its address */
    bool prefer_ipv6;             /* prefer_ipv6=true */
    bool robustness;              /* hostile: any defined class in bounded time is right */
    const char *description;
    bool no_sni;
    bool no_cert_hostname;
    const char *ca_cert; /* a file in DIR */
    const char *max_tls, *ciphers;
    int connect_timeout; /* 0: unset */
    bool check_cert_on;  /* say ssl_check_cert=true explicitly */
    bool no_tls;         /* use_ssl=false */
} case_defs[] = {
    {.name = "healthy",
     .origin = "healthy",
     .expected_class = "ok",
     .description = "leaf and intermediate from the public CA"},
    {.name = "healthy_all_versions",
     .origin = "healthy_all_versions",
     .expected_class = "ok",
     .description = "RSA leaf; accepts TLS 1.0, 1.1, 1.2 and 1.3"},
    {.name = "sni_required_cert",
     .origin = "sni_required_cert",
     .expected_class = "hostname_mismatch",
     .description = "serves default.origin.test unless SNI " WWW " is sent; no SNI set",
     .no_sni = true},
    {.name = "sni_required_cert_with_sni",
     .origin = "sni_required_cert",
     .expected_class = "ok",
     .description = "the SNI origin probed with ssl_sni_hostname " WWW},
    {.name = "sni_required_fail",
     .origin = "sni_required_fail",
     .expected_class = "handshake_failure",
     .description = "alerts handshake_failure (40) when no SNI is sent; no SNI set",
     .no_sni = true},
    {.name = "sni_required_fail_with_sni",
     .origin = "sni_required_fail",
     .expected_class = "ok",
     .description = "the SNI-or-fail origin probed with ssl_sni_hostname " WWW},
    {.name = "hostname_mismatch",
     .origin = "hostname_mismatch",
     .expected_class = "hostname_mismatch",
     .description = "certificate for other.origin.test, ssl_cert_hostname " WWW},
    {.name = "missing_cert_hostname",
     .origin = "healthy",
     .expected_class = "missing_cert_hostname",
     .description = "healthy origin; ssl_check_cert on without ssl_cert_hostname",
     .no_cert_hostname = true,
     .check_cert_on = true},
    {.name = "unable_to_verify_first_certificate",
     .origin = "unable_to_verify_first_certificate",
     .expected_class = "unable_to_verify_first_certificate",
     .description = "leaf sent without its public intermediate; the leaf's AIA URL serves it"},
    {.name = "self_signed_certificate",
     .origin = "self_signed_certificate",
     .expected_class = "self_signed_certificate",
     .description = "self-signed leaf for " WWW},
    {.name = "unable_to_get_local_issuer_certificate",
     .origin = "unable_to_get_local_issuer_certificate",
     .expected_class = "unable_to_get_local_issuer_certificate",
     .description = "leaf and private intermediate; the private root is neither sent nor trusted"},
    {.name = "self_signed_certificate_in_chain",
     .origin = "self_signed_certificate_in_chain",
     .expected_class = "self_signed_certificate_in_chain",
     .description = "leaf, private intermediate and private root sent; the root is not trusted"},
    {.name = "unable_to_get_issuer_certificate",
     .origin = "unable_to_get_issuer_certificate",
     .expected_class = "unable_to_get_issuer_certificate",
     .description = "private leaf alone; ssl_ca_cert holds the private intermediate, not its root",
     .ca_cert = "private-intermediate.pem"},
    {.name = "certificate_expired",
     .origin = "certificate_expired",
     .expected_class = "certificate_expired",
     .description = "public chain whose leaf expired 30 days ago"},
    {.name = "hostname_mismatch_expired",
     .origin = "hostname_mismatch_expired",
     .expected_class = "hostname_mismatch",
     .expected_also = "certificate_expired",
     .description = "expired certificate for other.origin.test"},
    {.name = "dns_failure",
     .origin = "dns_failure",
     .expected_class = "dns_failure",
     .description = "a .invalid name, which never resolves (RFC 6761)"},
    {.name = "connection_refused",
     .origin = "connection_refused",
     .expected_class = "connection_refused",
     .description = "port bound but not listening: the kernel answers RST"},
    {.name = "connection_timeout_backlog",
     .origin = "connection_timeout_backlog",
     .expected_class = "connection_timeout",
     .description = "accept queue full: the TCP connect itself times out",
     .connect_timeout = 1000},
    {.name = "connection_timeout_silent",
     .origin = "connection_timeout_silent",
     .expected_class = "connection_timeout",
     .description = "accepts TCP and never answers the handshake",
     .connect_timeout = 1000},
    {.name = "slow_handshake",
     .origin = "slow_handshake",
     .expected_class = "connection_timeout",
     .description = "answers the handshake after 1500 ms; connect_timeout 1000",
     .connect_timeout = 1000},
    {.name = "slow_handshake_patient",
     .origin = "slow_handshake",
     .expected_class = "ok",
     .description = "the slow origin probed with connect_timeout 3000",
     .connect_timeout = 3000},
    {.name = "unknown_protocol",
     .origin = "unknown_protocol",
     .expected_class = "unknown_protocol",
     .description = "plain HTTP on the TLS port; the same host serves HTTP on port 80"},
    {.name = "plain_http_port_80",
     .origin = "plain_http_port_80",
     .expected_class = "ok",
     .description = "plain HTTP on port 80 of the unknown_protocol host, with use_ssl off",
     .no_sni = true,
     .no_cert_hostname = true,
     .no_tls = true},
    {.name = "handshake_failure_tls13_only",
     .origin = "handshake_failure_tls13_only",
     .expected_class = "handshake_failure",
     .description = "TLS 1.3-only origin; max_tls_version 1.2",
     .max_tls = "1.2"},
    {.name = "handshake_failure_ciphers",
     .origin = "handshake_failure_ciphers",
     .expected_class = "handshake_failure",
     .description = "TLS 1.2 origin with ECDHE-ECDSA-CHACHA20-POLY1305 only; ssl_ciphers another",
     .ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {.name = "tlsv1_alert_internal_error",
     .origin = "tlsv1_alert_internal_error",
     .expected_class = "tlsv1_alert_internal_error",
     .description = "alerts internal_error (80) on every ClientHello"},
    {.name = "client_cert_required",
     .origin = "client_cert_required",
     .expected_class = "handshake_failure",
     .description = "TLS 1.3 origin that requires a client certificate; it refuses after the "
                    "handshake with alert certificate_required (116)"},
    {.name = "client_cert_optional",
     .origin = "client_cert_optional",
     .expected_class = "ok",
     .description = "asks for a client certificate but answers without one"},
    {.name = "certificate_not_yet_valid",
     .origin = "certificate_not_yet_valid",
     .expected_class = "certificate_not_yet_valid",
     .expected_detail = "is not valid yet",
     .description = "public chain whose leaf starts in 2 days"},
    {.name = "unsuitable_certificate_purpose",
     .origin = "unsuitable_certificate_purpose",
     .expected_class = "unsuitable_certificate_purpose",
     .expected_detail = "extended key usage is clientAuth",
     .description =
         "public chain whose leaf is for TLS clients only (extendedKeyUsage clientAuth)"},
    {.name = "name_constraints_violation",
     .origin = "name_constraints_violation",
     .expected_class = "name_constraints_violation",
     .expected_detail = "permitted subtree violation",
     .description = "leaf for " WWW " from an intermediate constrained to .example.com"},
    {.name = "invalid_ca",
     .origin = "invalid_ca",
     .expected_class = "invalid_ca",
     .expected_detail = "Not-a-CA Intermediate,O=fixorigin testbed as a CA, but it is not a CA",
     .description =
         "leaf issued by an intermediate that is no CA (CA:FALSE), under the public root"},
    {.name = "unhandled_critical_extension",
     .origin = "unhandled_critical_extension",
     .expected_class = "unhandled_critical_extension",
     .expected_detail = "extension marked critical",
     .description = "public chain whose leaf carries a critical extension nobody knows"},
    {.name = "private_root_leaf_alone",
     .origin = "private_root_leaf_alone",
     .expected_class = "unable_to_verify_first_certificate",
     .expected_detail = "is a private root, it must be trusted",
     .description = "leaf issued straight by the untrusted private root, sent alone, no AIA"},
    {.name = "wrong_intermediate",
     .origin = "wrong_intermediate",
     .expected_class = "unable_to_verify_first_certificate",
     .expected_detail = "with the wrong intermediate",
     .description = "public leaf sent with the private intermediate instead of its own"},
    {.name = "dns_typed_ip_san",
     .origin = "dns_typed_ip_san",
     .expected_class = "hostname_mismatch",
     .expected_detail = "covers DNS:127.0.0.1, not 127.0.0.1",
     .description = "SAN DNS:127.0.0.1 (an address written as a name); ssl_cert_hostname 127.0.0.1",
     .cert_hostname = "127.0.0.1"},
    {.name = "expires_soon",
     .origin = "expires_soon",
     .expected_class = "ok",
     .expected_warning = "certificate expires in ",
     .description = "healthy public chain whose leaf expires in 10 days"},
    {.name = "weak_sha1_leaf",
     .origin = "weak_sha1_leaf",
     .expected_class = "ok",
     .expected_warning = "is signed with SHA-1",
     .description = "public chain whose leaf is signed with SHA-1"},
    {.name = "weak_rsa1024_leaf",
     .origin = "weak_rsa1024_leaf",
     .expected_class = "ok",
     .expected_warning = "has a 1024-bit RSA key (under 2048)",
     .description = "public chain whose leaf has an RSA-1024 key"},
    {.name = "tls10_only",
     .origin = "tls10_only",
     .expected_class = "ok",
     .expected_warning = "the origin speaks TLS 1.0 at most",
     .description = "healthy RSA chain, TLS 1.0 only"},
    {.name = "ipv6_healthy",
     .origin = "ipv6_healthy",
     .expected_class = "ok",
     .description = "healthy origin on ::1, probed by address"},
    {.name = "addresses_ipv4_first",
     .origin = "dual_v4_wrong_certificate",
     .expected_class = "hostname_mismatch",
     .expected_warning = "1 of 2 addresses answer ok (::1), but Fastly tries 127.0.0.1 first",
     .description = "dual.origin.test: 127.0.0.1 serves other.origin.test, ::1 the right "
                    "certificate; Fastly connects over IPv4",
     .by_name = true},
    {.name = "addresses_prefer_ipv6",
     .origin = "dual_v4_wrong_certificate",
     .expected_class = "ok",
     .expected_also = "hostname_mismatch",
     .expected_warning = "1 of 2 addresses gives hostname_mismatch (Hostname mismatch): 127.0.0.1",
     .description = "dual.origin.test with prefer_ipv6: ::1 first, and it is right",
     .by_name = true,
     .prefer_ipv6 = true},
    {.name = "addresses_ipv6_silent",
     .origin = "v6silent_v4_healthy",
     .expected_class = "ok",
     .expected_also = "connection_timeout",
     .expected_warning = "1 of 2 addresses gives connection_timeout (Connection timeout): ::1",
     .description = "v6silent.origin.test: ::1 never answers, 127.0.0.1 is healthy",
     .by_name = true},
    {.name = "addresses_one_refuses",
     .origin = "three_v4_healthy",
     .expected_class = "ok",
     .expected_also = "connection_refused",
     .expected_warning =
         "1 of 3 addresses gives connection_refused (Connection refused): 127.0.0.2",
     .description = "three.origin.test: 127.0.0.1 and ::1 healthy, 127.0.0.2 refuses",
     .by_name = true},
    {.name = "rc4_cipher",
     .origin = "rc4_cipher",
     .expected_class = "rc4_cipher",
     .description = "emulated: picks RC4 when offered, else alerts handshake_failure (40)"},
    {.name = "hostile_garbage",
     .origin = "hostile_garbage",
     .expected_class = "unknown_protocol",
     .robustness = true,
     .description = "answers 1 KiB of random bytes"},
    {.name = "hostile_slow_drip",
     .origin = "hostile_slow_drip",
     .expected_class = "connection_timeout",
     .robustness = true,
     .description = "sends a record header, then one byte every 250 ms"},
    {.name = "hostile_huge_record",
     .origin = "hostile_huge_record",
     .expected_class = "handshake_failure",
     .robustness = true,
     .description = "sends a handshake record header claiming 65535 bytes"},
    {.name = "hostile_reset",
     .origin = "hostile_reset",
     .expected_class = "handshake_failure",
     .robustness = true,
     .description = "resets the connection as soon as the ClientHello arrives"},
};
#define CASE_COUNT (sizeof(case_defs) / sizeof(case_defs[0]))

struct tb_testbed {
    char dir[1024]; /* short enough that every file path in it fits PATH_MAX */
    char host[64];
    char manifest[1100];
    char plain_host[32];
    bool port_80;
    char aia_base[96];
    tb_identity ids[IDENT_COUNT];
    tb_origin origins[ORIGIN_COUNT];
    tb_origin aia;
    tb_http_file files[3];
    tb_origin *bulk;
    size_t bulk_count;
};

static const struct origin_def *origin_def_named(const char *name, size_t *index)
{
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        if (strcmp(origin_defs[i].name, name) == 0) {
            *index = i;
            return &origin_defs[i];
        }
    }
    return NULL;
}

/* A random 127.x.y.z of this instance, so parallel testbeds never share port 80. */
static void pick_plain_host(char *out, size_t cap)
{
    unsigned char r[3] = {0};
    if (RAND_bytes(r, sizeof(r)) != 1)
        r[0] = (unsigned char)getpid();
    snprintf(out, cap, "127.%d.%d.%d", 16 + r[0] % 230, r[1], 1 + r[2] % 253);
}

/* Port 80 needs privilege and a free address: try a few addresses, and go on
 * without it (the manifest says so) when that fails. */
static void open_port_80(tb_testbed *tb, tb_origin *o)
{
    for (int attempt = 0; attempt < 8 && !tb->port_80; attempt++) {
        pick_plain_host(tb->plain_host, sizeof(tb->plain_host));
        tb->port_80 = tb_origin_open(o, tb->plain_host, 80, NULL) == FO_OK;
        if (!tb->port_80)
            tb_origin_close(o);
    }
}

static const char *origin_host(const tb_testbed *tb, const struct origin_def *def)
{
    switch (def->place) {
    case ON_PLAIN_HOST:
    case ON_PLAIN_HOST_80:
        return tb->plain_host;
    case ON_V6:
        return V6_HOST;
    case ON_HOST_2:
        return HOST_2;
    case NOWHERE:
        return DNS_FAILURE_HOST;
    case ON_HOST:
        break;
    }
    return tb->host;
}

/* The first origin of def's name group (def itself when it leads, or has no name). */
static size_t group_leader(size_t index)
{
    const char *name = origin_defs[index].dns_name;
    for (size_t i = 0; name && i < index; i++) {
        if (origin_defs[i].dns_name && strcmp(origin_defs[i].dns_name, name) == 0)
            return i;
    }
    return index;
}

/* Opens the origins of the group led by leader: the leader on a port the kernel picks,
 * the others on that same port of their own addresses. A port free on one address may be
 * taken on another: then the whole group tries again. */
static int open_group(tb_testbed *tb, size_t leader, fo_error *err)
{
    int rc = FO_OK;
    for (int attempt = 0; attempt < 8; attempt++) {
        const struct origin_def *def = &origin_defs[leader];
        rc = tb_origin_open(&tb->origins[leader], origin_host(tb, def), 0, err);
        if (rc != FO_OK)
            return rc;
        for (size_t i = leader + 1; rc == FO_OK && i < ORIGIN_COUNT; i++) {
            if (group_leader(i) == leader && i != leader)
                rc = tb_origin_open(&tb->origins[i], origin_host(tb, &origin_defs[i]),
                                    tb->origins[leader].port, err);
        }
        if (rc == FO_OK)
            return FO_OK;
        for (size_t i = leader; i < ORIGIN_COUNT; i++) {
            if (group_leader(i) == leader)
                tb_origin_close(&tb->origins[i]);
        }
    }
    return rc;
}

static int open_origins(tb_testbed *tb, fo_error *err)
{
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        const struct origin_def *def = &origin_defs[i];
        tb->origins[i] = (tb_origin){.name = def->name, .behaviour = def->behaviour, .fd = -1};
        if (def->place == ON_PLAIN_HOST_80)
            open_port_80(tb, &tb->origins[i]);
    }
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        const struct origin_def *def = &origin_defs[i];
        if (def->place == ON_PLAIN_HOST_80)
            continue;
        int rc;
        if (def->dns_name)
            rc = group_leader(i) == i ? open_group(tb, i, err) : FO_OK;
        else
            rc = tb_origin_open(&tb->origins[i], origin_host(tb, def),
                                def->place == NOWHERE ? 443 : 0, err);
        if (rc != FO_OK)
            return rc;
    }
    return FO_OK;
}

static int make_pki(tb_testbed *tb, fo_error *err)
{
    char root_url[160], int_url[160];
    snprintf(root_url, sizeof(root_url), "%s/public-root.der", tb->aia_base);
    snprintf(int_url, sizeof(int_url), "%s/public-intermediate.der", tb->aia_base);
    for (size_t i = 0; i < sizeof(ident_defs) / sizeof(ident_defs[0]); i++) {
        const struct ident_def *def = &ident_defs[i];
        tb_cert_spec spec = def->spec;
        spec.aia_issuer_url = def->aia == AIA_ROOT  ? root_url
                              : def->aia == AIA_INT ? int_url
                                                    : NULL;
        const tb_identity *issuer = def->issuer == NONE ? NULL : &tb->ids[def->issuer];
        int rc = tb_pki_issue(&tb->ids[def->id], &spec, issuer, def->rsa, err);
        if (rc != FO_OK)
            return rc;
    }
    static const char *const der_paths[] = {"/public-root.der", "/public-intermediate.der"};
    static const enum ident der_ids[] = {PUBLIC_ROOT, PUBLIC_INT};
    for (size_t i = 0; i < 2; i++) {
        tb->files[i].path = der_paths[i];
        int rc = tb_pki_der(&tb->files[i].body, &tb->files[i].len, tb->ids[der_ids[i]].cert, err);
        if (rc != FO_OK)
            return rc;
    }
    return FO_OK;
}

static int write_cert_file(const tb_testbed *tb, const char *name, const enum ident *ids,
                           size_t count, fo_error *err)
{
    char path[PATH_MAX];
    X509 *certs[4];
    for (size_t i = 0; i < count; i++)
        certs[i] = tb->ids[ids[i]].cert;
    snprintf(path, sizeof(path), "%s/%s", tb->dir, name);
    return tb_pki_write_certs(path, certs, count, err);
}

static size_t chain_length(const struct origin_def *def)
{
    size_t n = 0;
    while (n < 2 && def->chain[n] != NONE)
        n++;
    return n;
}

/* What each TLS origin serves, as files, so other TLS servers (openssl
 * s_server, gnutls-serv) can serve the very same certificates. */
static int write_pki_files(const tb_testbed *tb, fo_error *err)
{
    static const struct {
        const char *file;
        enum ident id;
    } cas[] = {{"trust.pem", PUBLIC_ROOT},
               {"public-root.pem", PUBLIC_ROOT},
               {"public-intermediate.pem", PUBLIC_INT},
               {"private-root.pem", PRIVATE_ROOT},
               {"private-intermediate.pem", PRIVATE_INT}};
    int rc = FO_OK;
    for (size_t i = 0; i < sizeof(cas) / sizeof(cas[0]) && rc == FO_OK; i++)
        rc = write_cert_file(tb, cas[i].file, &cas[i].id, 1, err);
    for (size_t i = 0; i < ORIGIN_COUNT && rc == FO_OK; i++) {
        const struct origin_def *def = &origin_defs[i];
        if (def->leaf == NONE)
            continue;
        enum ident served[3] = {def->leaf, def->chain[0], def->chain[1]};
        size_t n = chain_length(def);
        char name[PATH_MAX];
        snprintf(name, sizeof(name), "%s.pem", def->name);
        if ((rc = write_cert_file(tb, name, served, 1 + n, err)) != FO_OK)
            break;
        if (n > 0) {
            snprintf(name, sizeof(name), "%s-chain.pem", def->name);
            if ((rc = write_cert_file(tb, name, def->chain, n, err)) != FO_OK)
                break;
        }
        snprintf(name, sizeof(name), "%s/%s.key", tb->dir, def->name);
        rc = tb_pki_write_key(name, tb->ids[def->leaf].key, err);
    }
    return rc;
}

/* Switches to the origin's SNI certificate when the client names WWW. */
static int on_servername(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    const tb_origin *o = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name && strcmp(name, o->sni_name) == 0 && !SSL_set_SSL_CTX(ssl, o->sni_ctx))
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    return SSL_TLSEXT_ERR_OK;
}

static int on_client_hello(SSL *ssl, int *alert, void *arg)
{
    const tb_origin *o = arg;
    const unsigned char *ext;
    size_t len;
    if (o->alert_internal) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    if (o->fail_without_sni &&
        !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &ext, &len)) {
        *alert = SSL_AD_HANDSHAKE_FAILURE;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

static SSL_CTX *make_ctx(const tb_testbed *tb, const struct origin_def *def, enum ident leaf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return NULL;
    /* Serve exactly the chain the case names: never complete it from a store. */
    SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
    SSL_CTX_set_num_tickets(ctx, 0);
    bool ok = true;
    /* First: the level also decides which certificates the context accepts (SHA-1, RSA-1024). */
    if (def->legacy) {
        SSL_CTX_set_security_level(ctx, 0);
        ok = SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") == 1;
    }
    ok = ok && SSL_CTX_use_certificate(ctx, tb->ids[leaf].cert) == 1 &&
         SSL_CTX_use_PrivateKey(ctx, tb->ids[leaf].key) == 1;
    for (size_t i = 0; ok && i < chain_length(def); i++)
        ok = SSL_CTX_add1_chain_cert(ctx, tb->ids[def->chain[i]].cert) == 1;
    if (ok && def->min_version)
        ok = SSL_CTX_set_min_proto_version(ctx, def->min_version) == 1;
    if (ok && def->max_version)
        ok = SSL_CTX_set_max_proto_version(ctx, def->max_version) == 1;
    if (ok && def->ciphers)
        ok = SSL_CTX_set_cipher_list(ctx, def->ciphers) == 1;
    if (ok && def->client_cert) {
        /* In TLS 1.3 the refusal comes after the client's handshake is done: what a probe
         * that stops at the handshake would miss. Any certificate would do; none is sent. */
        int mode = SSL_VERIFY_PEER | (def->client_cert == 2 ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
        SSL_CTX_set_verify(ctx, mode, NULL);
    }
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static int make_contexts(tb_testbed *tb, fo_error *err)
{
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        const struct origin_def *def = &origin_defs[i];
        tb_origin *o = &tb->origins[i];
        o->delay_ms = def->delay_ms;
        if (def->behaviour != TB_TLS)
            continue;
        o->ctx = make_ctx(tb, def, def->leaf);
        if (!o->ctx)
            return fo_error_set(err, FO_ETLS, "cannot set up the TLS context of %s", def->name);
        if (def->sni_leaf != NONE) {
            o->sni_ctx = make_ctx(tb, def, def->sni_leaf);
            if (!o->sni_ctx)
                return fo_error_set(err, FO_ETLS, "cannot set up the SNI context of %s", def->name);
            o->sni_name = WWW;
            SSL_CTX_set_tlsext_servername_callback(o->ctx, on_servername);
            SSL_CTX_set_tlsext_servername_arg(o->ctx, o);
        }
        o->fail_without_sni = def->fail_without_sni;
        o->alert_internal = def->alert_internal;
        if (o->fail_without_sni || o->alert_internal)
            SSL_CTX_set_client_hello_cb(o->ctx, on_client_hello, o);
    }
    return FO_OK;
}

static int open_bulk(tb_testbed *tb, int count, fo_error *err)
{
    tb->bulk = calloc((size_t)count + 1, sizeof(*tb->bulk));
    if (!tb->bulk)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    const tb_origin *healthy = &tb->origins[0];
    for (int i = 0; i < count; i++) {
        tb_origin *o = &tb->bulk[i];
        *o = (tb_origin){.name = "bulk", .behaviour = TB_TLS, .fd = -1, .ctx = healthy->ctx};
        int rc = tb_origin_open(o, tb->host, 0, err);
        tb->bulk_count++;
        if (rc != FO_OK)
            return rc;
    }
    return FO_OK;
}

int tb_testbed_new(tb_testbed **out, const tb_options *opts, fo_error *err)
{
    int rc;
    if (strlen(opts->dir) >= 1024 || (opts->manifest && strlen(opts->manifest) >= 1024))
        return fo_error_set(err, FO_EINVAL, "the --dir or --manifest path is too long");
    tb_testbed *tb = calloc(1, sizeof(*tb));
    if (!tb)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    for (size_t i = 0; i < ORIGIN_COUNT; i++)
        tb->origins[i].fd = -1;
    tb->aia.fd = -1;
    snprintf(tb->dir, sizeof(tb->dir), "%s", opts->dir);
    snprintf(tb->host, sizeof(tb->host), "%s", opts->host);
    if (opts->manifest)
        snprintf(tb->manifest, sizeof(tb->manifest), "%s", opts->manifest);
    else
        snprintf(tb->manifest, sizeof(tb->manifest), "%s/manifest.json", tb->dir);
    /* Ports first: certificates carry the AIA server's URL. */
    tb->aia = (tb_origin){.name = "aia", .behaviour = TB_HTTP, .fd = -1, .files = tb->files};
    if ((rc = tb_origin_open(&tb->aia, tb->host, 0, err)) != FO_OK)
        goto out;
    snprintf(tb->aia_base, sizeof(tb->aia_base), "http://%s:%d", tb->host, tb->aia.port);
    if ((rc = open_origins(tb, err)) != FO_OK || (rc = make_pki(tb, err)) != FO_OK ||
        (rc = write_pki_files(tb, err)) != FO_OK || (rc = make_contexts(tb, err)) != FO_OK ||
        (rc = open_bulk(tb, opts->bulk_count, err)) != FO_OK)
        goto out;
    *out = tb;
    tb = NULL;
out:
    tb_testbed_free(tb);
    return rc;
}

void tb_testbed_free(tb_testbed *tb)
{
    if (!tb)
        return;
    for (size_t i = 0; i < tb->bulk_count; i++)
        tb_origin_close(&tb->bulk[i]);
    free(tb->bulk);
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        tb_origin_close(&tb->origins[i]);
        SSL_CTX_free(tb->origins[i].ctx);
        SSL_CTX_free(tb->origins[i].sni_ctx);
    }
    tb_origin_close(&tb->aia);
    for (size_t i = 0; i < IDENT_COUNT; i++)
        tb_identity_free(&tb->ids[i]);
    for (size_t i = 0; i < 2; i++)
        OPENSSL_free(tb->files[i].body);
    free(tb);
}

int tb_testbed_serve(tb_testbed *tb, int stop_fd, fo_error *err)
{
    size_t count = ORIGIN_COUNT + 1 + tb->bulk_count;
    tb_origin **all = calloc(count, sizeof(*all));
    if (!all)
        return fo_error_set(err, FO_ENOMEM, "out of memory");
    size_t n = 0;
    all[n++] = &tb->aia;
    for (size_t i = 0; i < ORIGIN_COUNT; i++)
        all[n++] = &tb->origins[i];
    for (size_t i = 0; i < tb->bulk_count; i++)
        all[n++] = &tb->bulk[i];
    int rc = tb_serve(all, n, stop_fd, err);
    free(all);
    return rc;
}

/* ---- manifest and targets files ---- */

static json_t *settings_json(const tb_testbed *tb, const struct case_def *c)
{
    json_t *s = json_object();
    char path[PATH_MAX];
    if (c->no_tls)
        json_object_set_new(s, "use_ssl", json_false());
    if (c->check_cert_on)
        json_object_set_new(s, "ssl_check_cert", json_true());
    if (!c->no_sni)
        json_object_set_new(s, "ssl_sni_hostname", json_string(WWW));
    if (!c->no_cert_hostname)
        json_object_set_new(s, "ssl_cert_hostname",
                            json_string(c->cert_hostname ? c->cert_hostname : WWW));
    if (c->ca_cert) {
        snprintf(path, sizeof(path), "%s/%s", tb->dir, c->ca_cert);
        json_object_set_new(s, "ssl_ca_cert", json_string(path));
    }
    if (c->max_tls)
        json_object_set_new(s, "max_tls_version", json_string(c->max_tls));
    if (c->ciphers)
        json_object_set_new(s, "ssl_ciphers", json_string(c->ciphers));
    if (c->connect_timeout)
        json_object_set_new(s, "connect_timeout", json_integer(c->connect_timeout));
    if (c->prefer_ipv6)
        json_object_set_new(s, "prefer_ipv6", json_true());
    return s;
}

/* One --targets line: `host:port key=value ...`, ssl_ca_cert as @path. */
static void write_target_line(FILE *f, const char *host, int port, json_t *settings)
{
    const char *key;
    json_t *value;
    bool v6 = strchr(host, ':') != NULL;
    fprintf(f, "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
    json_object_foreach(settings, key, value)
    {
        if (json_is_string(value))
            fprintf(f, " %s=%s%s", key, strcmp(key, "ssl_ca_cert") == 0 ? "@" : "",
                    json_string_value(value));
        else if (json_is_integer(value))
            fprintf(f, " %s=%lld", key, (long long)json_integer_value(value));
        else
            fprintf(f, " %s=%s", key, json_is_true(value) ? "true" : "false");
    }
    fputc('\n', f);
}

/* DIR/<name><suffix> as a JSON string. */
static json_t *dir_path(const tb_testbed *tb, const char *name, const char *suffix)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s%s", tb->dir, name, suffix) >= (int)sizeof(path))
        return json_null();
    return json_string(path);
}

static json_t *case_json(const tb_testbed *tb, const struct case_def *c, int line)
{
    size_t index = 0;
    const struct origin_def *def = origin_def_named(c->origin, &index);
    assert(def); /* every case names an origin of the table */
    const tb_origin *o = &tb->origins[index];
    json_t *also = json_array();
    if (c->expected_also)
        json_array_append_new(also, json_string(c->expected_also));
    const char *host = c->by_name ? def->dns_name : o->host;
    json_t *entry =
        json_pack("{s:s, s:s, s:s, s:i, s:o, s:s, s:o, s:b, s:s, s:i}", "case", c->name, "origin",
                  c->origin, "host", host, "port", o->port, "settings", settings_json(tb, c),
                  "expected_class", c->expected_class, "expected_also", also, "robustness",
                  c->robustness, "description", c->description, "targets_line", line);
    bool files = def->leaf != NONE;
    json_object_set_new(entry, "cert_file", files ? dir_path(tb, def->name, ".pem") : json_null());
    json_object_set_new(entry, "chain_file",
                        files && chain_length(def) > 0 ? dir_path(tb, def->name, "-chain.pem")
                                                       : json_null());
    json_object_set_new(entry, "key_file", files ? dir_path(tb, def->name, ".key") : json_null());
    json_object_set_new(entry, "hosts_file", c->by_name ? dir_path(tb, "hosts", "") : json_null());
    json_object_set_new(entry, "expected_detail",
                        c->expected_detail ? json_string(c->expected_detail) : json_null());
    json_object_set_new(entry, "expected_warning",
                        c->expected_warning ? json_string(c->expected_warning) : json_null());
    return entry;
}

static bool case_available(const tb_testbed *tb, const struct case_def *c)
{
    return strcmp(c->origin, "plain_http_port_80") != 0 || tb->port_80;
}

/* DIR/hosts: each name of a group of origins, with their addresses in table order. */
static int write_hosts(const tb_testbed *tb, fo_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/hosts", tb->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    fprintf(f, "# testbed-origins: names with several addresses (fixorigin probe --hosts)\n");
    for (size_t i = 0; i < ORIGIN_COUNT; i++) {
        if (origin_defs[i].dns_name)
            fprintf(f, "%s %s\n", tb->origins[i].host, origin_defs[i].dns_name);
    }
    if (fclose(f) != 0)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    return FO_OK;
}

static int write_targets(const tb_testbed *tb, json_t *cases, json_t *bulk, fo_error *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/targets.txt", tb->dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    fprintf(f, "# testbed-origins: one target a case; manifest.json names each line\n");
    size_t i;
    json_t *entry;
    json_array_foreach(cases, i, entry)
    {
        write_target_line(f, json_string_value(json_object_get(entry, "host")),
                          (int)json_integer_value(json_object_get(entry, "port")),
                          json_object_get(entry, "settings"));
    }
    bool ok = fclose(f) == 0;
    snprintf(path, sizeof(path), "%s/bulk-targets.txt", tb->dir);
    f = ok ? fopen(path, "w") : NULL;
    if (!f)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    for (i = 0; i < tb->bulk_count; i++)
        write_target_line(f, tb->bulk[i].host, tb->bulk[i].port, json_object_get(bulk, "settings"));
    if (fclose(f) != 0)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    return FO_OK;
}

static json_t *bulk_json(const tb_testbed *tb)
{
    json_t *ports = json_array();
    for (size_t i = 0; i < tb->bulk_count; i++)
        json_array_append_new(ports, json_integer(tb->bulk[i].port));
    json_t *settings = json_pack("{s:s, s:s}", "ssl_sni_hostname", WWW, "ssl_cert_hostname", WWW);
    return json_pack("{s:i, s:s, s:o, s:o, s:s, s:o}", "count", (int)tb->bulk_count, "host",
                     tb->host, "ports", ports, "settings", settings, "expected_class", "ok",
                     "targets_file", dir_path(tb, "bulk-targets.txt", ""));
}

int tb_testbed_write(const tb_testbed *tb, char *manifest_path, size_t cap, fo_error *err)
{
    int rc = FO_OK;
    json_t *cases = json_array();
    int line = 2; /* after the targets file's comment line */
    for (size_t i = 0; i < CASE_COUNT; i++) {
        if (case_available(tb, &case_defs[i]))
            json_array_append_new(cases, case_json(tb, &case_defs[i], line++));
    }
    json_t *files =
        json_pack("{s:o, s:o, s:o, s:o}", "public_root", dir_path(tb, "public-root.pem", ""),
                  "public_intermediate", dir_path(tb, "public-intermediate.pem", ""),
                  "private_root", dir_path(tb, "private-root.pem", ""), "private_intermediate",
                  dir_path(tb, "private-intermediate.pem", ""));
    json_t *root = json_pack("{s:s, s:i, s:s, s:o, s:o, s:s, s:b, s:s, s:o, s:o, s:o}", "schema",
                             "fixorigin.testbed/v1", "pid", (int)getpid(), "dir", tb->dir,
                             "trust_bundle", dir_path(tb, "trust.pem", ""), "targets_file",
                             dir_path(tb, "targets.txt", ""), "plain_http_host", tb->plain_host,
                             "plain_http_port_80", tb->port_80, "aia_base_url", tb->aia_base,
                             "files", files, "cases", cases, "bulk", bulk_json(tb));
    json_object_set_new(root, "hosts_file", dir_path(tb, "hosts", ""));
    char tmp[sizeof(tb->manifest) + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", tb->manifest);
    if (!root) {
        rc = fo_error_set(err, FO_ENOMEM, "cannot build the manifest");
        goto out;
    }
    if ((rc = write_targets(tb, cases, json_object_get(root, "bulk"), err)) != FO_OK ||
        (rc = write_hosts(tb, err)) != FO_OK)
        goto out;
    /* Readers wait for the manifest: it appears whole, by rename. */
    if (json_dump_file(root, tmp, JSON_INDENT(2)) != 0 || rename(tmp, tb->manifest) != 0) {
        rc = fo_error_set(err, FO_EIO, "cannot write %s", tb->manifest);
        goto out;
    }
    snprintf(manifest_path, cap, "%s", tb->manifest);
out:
    json_decref(root);
    return rc;
}
