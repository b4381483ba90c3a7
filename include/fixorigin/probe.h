/* fixorigin/probe.h: the probe's whole interface. It connects to an origin the way Fastly
 * does (same name check, SNI, trust, TLS limits, connect timeout) and names the error
 * Fastly would report, with the evidence. Free of OpenSSL types: callers and tests see
 * plain structs. Knows nothing of Fastly's API. */
#ifndef FO_PROBE_H
#define FO_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fixorigin/fo.h"

/* The errors Fastly reports about an origin (the JSON contract's class ids). */
typedef enum fo_class {
    FO_CLASS_OK,
    FO_CLASS_HOSTNAME_MISMATCH,
    FO_CLASS_MISSING_CERT_HOSTNAME,
    FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE,
    FO_CLASS_SELF_SIGNED_CERTIFICATE,
    FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE,
    FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN,
    FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE,
    FO_CLASS_CERTIFICATE_EXPIRED,
    FO_CLASS_DNS_FAILURE,
    FO_CLASS_CONNECTION_TIMEOUT,
    FO_CLASS_CONNECTION_REFUSED,
    FO_CLASS_UNKNOWN_PROTOCOL,
    FO_CLASS_HANDSHAKE_FAILURE,
    FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR,
    FO_CLASS_RC4_CIPHER,
    /* Certificate verify errors in OpenSSL's own words (Fastly shows OpenSSL's text). */
    FO_CLASS_CERTIFICATE_NOT_YET_VALID,      /* 9 */
    FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE, /* 26 */
    FO_CLASS_NAME_CONSTRAINTS_VIOLATION,     /* 47, 48, 49, 51-53 */
    FO_CLASS_INVALID_CA,                     /* 79 (24 before OpenSSL 3) */
    FO_CLASS_UNHANDLED_CRITICAL_EXTENSION,   /* 34 */
    FO_CLASS_CERTIFICATE_REVOKED,            /* 23: only where revocation is checked */
    FO_CLASS_KEY_TOO_SMALL,                  /* 66, 67: only above security level 0 */
    FO_CLASS_CA_MD_TOO_WEAK,                 /* 68: likewise */
    FO_CLASS_CERTIFICATE_ERROR,              /* any other verify error, OpenSSL's text kept */
    FO_CLASS_COUNT
} fo_class;

/* The class id ("hostname_mismatch"); never NULL ("?" for an out-of-range value). */
const char *fo_class_id(fo_class c);
/* Fastly's own text for the class ("Hostname mismatch"); NULL for FO_CLASS_OK. For a class
 * whose text depends on the verify code (name constraints, key sizes, certificate_error)
 * this is the class's usual text; a verdict carries the exact one (fo_verdict_fastly_error). */
const char *fo_class_fastly_error(fo_class c);
/* Whether the class is a certificate verify error (the chain or the name failed). */
bool fo_class_is_certificate(fo_class c);
/* Parses a class id. Returns 0, or FO_EINVAL for an unknown id. */
int fo_class_parse(fo_class *out, const char *id) FO_WARN_UNUSED;

/* TLS versions as Fastly's min/max_tls_version fields spell them. */
typedef enum fo_tls_version {
    FO_TLS_UNSET,
    FO_TLS_1_0,
    FO_TLS_1_1,
    FO_TLS_1_2,
    FO_TLS_1_3,
} fo_tls_version;
#define FO_TLS_VERSION_COUNT 4 /* 1.0 .. 1.3 */

/* "1.0" .. "1.3"; NULL for FO_TLS_UNSET. */
const char *fo_tls_version_name(fo_tls_version v);
/* Parses "1.0" .. "1.3" ("" or NULL gives FO_TLS_UNSET). Returns 0 or FO_EINVAL. */
int fo_tls_version_parse(fo_tls_version *out, const char *text) FO_WARN_UNUSED;

/* The TLS alert's name ("internal_error" for 80, "handshake_failure" for 40); "unknown"
 * for a code TLS does not define. */
const char *fo_probe_alert_name(int code);

/* A yes/no fact that may not have been tested. */
typedef enum fo_tristate { FO_UNTESTED = -1, FO_NO = 0, FO_YES = 1 } fo_tristate;

/* A backend's connection settings (Fastly's field names in the comments). Strings are
 * borrowed; NULL or "" means unset, as Fastly treats them. */
typedef struct fo_probe_settings {
    bool use_ssl;              /* use_ssl (default true) */
    bool check_cert;           /* ssl_check_cert (default true) */
    const char *sni_hostname;  /* ssl_sni_hostname: sent as SNI; unset = no SNI */
    const char *cert_hostname; /* ssl_cert_hostname: the name the certificate must cover */
    const char *ca_cert_pem;   /* ssl_ca_cert: PEM text of extra trusted CAs */
    fo_tls_version min_tls;    /* min_tls_version */
    fo_tls_version max_tls;    /* max_tls_version */
    const char *ciphers;       /* ssl_ciphers: OpenSSL cipher string, TLS <= 1.2 */
    long connect_timeout_ms;   /* connect_timeout (default 1000) */
    bool prefer_ipv6;          /* prefer_ipv6: a name's IPv6 addresses first (default false;
                                * true for Compute services) */
    int expiry_warning_days;   /* no Fastly field: warn when a certificate expires within this
                                * many days (default 30; 0 never warns) */
} fo_probe_settings;

#define FO_DEFAULT_CONNECT_TIMEOUT_MS 1000
#define FO_DEFAULT_EXPIRY_WARNING_DAYS 30
#define FO_MAX_EXPIRY_WARNING_DAYS 3650
#define FO_MAX_CONNECT_TIMEOUT_MS 60000

/* Fastly's defaults: TLS on, certificate check on, nothing else set, 1000 ms. */
void fo_probe_settings_init(fo_probe_settings *s);
/* Sets one field by its Fastly name (ssl_sni_hostname, ssl_cert_hostname, ssl_ca_cert
 * (PEM text), ssl_check_cert, use_ssl, prefer_ipv6 (0|1|true|false), min_tls_version,
 * max_tls_version, ssl_ciphers, connect_timeout (ms)). "" (or NULL) unsets the field: back
 * to Fastly's default. value is borrowed and must outlive s. Returns 0, or FO_EINVAL
 * naming the key or the bad value. */
int fo_probe_settings_set(fo_probe_settings *s, const char *key, const char *value,
                          fo_error *err) FO_WARN_UNUSED;

/* The longest name sent as SNI: a DNS name's limit (and OpenSSL's is 255). */
#define FO_SNI_NAME_MAX 253

/* Whether name can be sent as SNI: a DNS name of 1 to FO_SNI_NAME_MAX letters, digits, '.',
 * '-', '_', in labels of 1 to 63 (no empty label, no trailing dot). */
bool fo_probe_sni_name_ok(const char *name);

/* Checks settings that are each valid but cannot be probed: an SNI name that cannot be
 * sent, a certificate hostname that is neither such a name nor an IP address,
 * min_tls_version above max_tls_version, a connect_timeout outside 1-60000 ms.
 * Returns 0, or FO_EINVAL saying which. Pure. */
int fo_probe_settings_check(const fo_probe_settings *s, fo_error *err) FO_WARN_UNUSED;

/* An origin to probe. */
typedef struct fo_probe_target {
    const char *host; /* a DNS name or an IP address literal (no brackets) */
    int port;
    fo_probe_settings settings;
} fo_probe_target;

/* Splits "HOST[:PORT]" ("[::1]:8443", "[::1]", "::1", "origin.test:443") into a newly
 * allocated host (the caller frees it) and a port (default_port when absent). Returns 0,
 * FO_EINVAL with a message for a bad form or port, FO_ENOMEM. */
int fo_probe_parse_hostport(char **host_out, int *port_out, const char *text, int default_port,
                            fo_error *err) FO_WARN_UNUSED;

/* Many targets read from a targets file: `host:port key=value ...` a line. */
typedef struct fo_probe_target_list {
    fo_probe_target *targets;
    long *lines; /* the input line of each target */
    size_t count;
    char **strings; /* private: the strings the targets point into */
    size_t string_count;
} fo_probe_target_list;

/* Parses targets text (name is used in messages: "targets.txt:3: ..."). `#` comments and
 * blank lines are skipped; keys are Fastly's backend field names; ssl_ca_cert=@FILE reads
 * the PEM file (relative to the working directory). Returns 0 and a list the caller
 * frees, or FO_EINVAL/FO_EIO naming the line and the problem, FO_ENOMEM. */
int fo_probe_targets_parse(fo_probe_target_list **out, const char *text, const char *name,
                           fo_error *err) FO_WARN_UNUSED;
/* Reads and parses a targets file (at most 16 MiB). */
int fo_probe_targets_load(fo_probe_target_list **out, const char *path,
                          fo_error *err) FO_WARN_UNUSED;
void fo_probe_target_list_free(fo_probe_target_list *list);

/* Reads a file of PEM CA certificates (ssl_ca_cert), at most 1 MiB, into a new string the
 * caller frees. Returns 0, FO_EINVAL when the file is empty or blank (no CA is not "unset"),
 * or what fo_read_file returns. */
int fo_probe_read_ca_file(char **out, const char *path, fo_error *err) FO_WARN_UNUSED;

/* The type of a subjectAltName entry: a name "127.0.0.1" written as DNS is no IP entry. */
typedef enum fo_san_type { FO_SAN_DNS, FO_SAN_IP } fo_san_type;

/* What one presented certificate says. */
typedef struct fo_cert_facts {
    char *subject; /* RFC 2253: "CN=www.origin.test,O=Example" */
    char *issuer;
    char **san; /* DNS names and IP addresses of subjectAltName, in order */
    size_t san_count;
    fo_san_type *san_types; /* the type of each san entry; NULL in facts built by hand */
    char *ext_key_usage;    /* extendedKeyUsage as short names ("serverAuth,clientAuth"), or NULL */
    char key_type[16];      /* "RSA", "EC", "Ed25519", ...; "" when unknown */
    int key_bits;           /* the public key's size in bits; 0 when unknown */
    char signature_digest[16]; /* the digest the issuer signed with: "SHA256", "SHA1"; "" unknown */
    int64_t not_before;        /* Unix seconds */
    int64_t not_after;
    char sha256[65];      /* lowercase hex of the DER */
    bool self_signed;     /* issuer == subject and the key ids agree */
    bool is_ca;           /* basicConstraints CA:TRUE */
    char *aia_issuer_url; /* Authority Information Access caIssuers URI, or NULL */
    char *pem;            /* the certificate, PEM text */
} fo_cert_facts;

/* Whether san[i] is an IP entry (facts without types: whether its text is an address). */
bool fo_cert_san_is_ip(const fo_cert_facts *cert, size_t i);
/* "DNS:www.origin.test" or "IP:127.0.0.1" into buf. */
void fo_cert_san_format(char *buf, size_t size, const fo_cert_facts *cert, size_t i);

/* Whether the certificate (decoded from cert->pem) covers name as OpenSSL's client check
 * does. An address literal ("127.0.0.1", "::1") by X509_check_ip_asc: IP subjectAltNames
 * only. Any other name by X509_check_host with X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS: DNS
 * subjectAltNames in any case, "*" only as a whole leftmost label standing for exactly one
 * label, the subject's CN only when there is no DNS subjectAltName; wildcards false adds
 * X509_CHECK_FLAG_NO_WILDCARDS (only entries without '*' count). A name starting with '.'
 * covers nothing (OpenSSL would read it as "any name under"). Returns 0 and *out; when
 * *out is true and matched is not NULL, *matched is a new string: the entry that matched
 * ("*.example.com"). FO_EINVAL when cert has no pem or it does not decode (facts built by
 * hand cover nothing), FO_ENOMEM. */
int fo_probe_cert_covers(bool *out, char **matched, const fo_cert_facts *cert, const char *name,
                         bool wildcards, fo_error *err) FO_WARN_UNUSED;

/* Certificates read from PEM text or DER bytes, as facts. */
typedef struct fo_cert_list {
    fo_cert_facts *certs;
    size_t count;
} fo_cert_list;

#define FO_CERT_LIST_MAX 32

/* Parses data: PEM text holding one or more certificates, or one DER certificate (what an
 * AIA caIssuers URL serves). what names the data in messages ("ssl_ca_cert"). Returns 0
 * and a new list (at least one certificate) the caller frees with fo_cert_list_free;
 * FO_EINVAL when data holds no certificate, a broken one or more than FO_CERT_LIST_MAX;
 * FO_ENOMEM. Pure: no I/O. */
int fo_probe_certs_parse(fo_cert_list **out, const void *data, size_t len, const char *what,
                         fo_error *err) FO_WARN_UNUSED;
void fo_cert_list_free(fo_cert_list *list);

/* One CA certificate given as ssl_ca_cert, as the diagnosis echoes it. */
typedef struct fo_ca_summary {
    char *subject;
    char sha256[65];
} fo_ca_summary;

/* One verify error, as OpenSSL's verifier raised it. */
typedef struct fo_verify_error {
    int depth;
    int code;       /* X509_V_ERR_*: 62 hostname mismatch, 21, 18, 20, 19, 2, 10, 9 ... */
    char error[96]; /* OpenSSL's text: "hostname mismatch" */
} fo_verify_error;

/* How far the main attempt got and how it ended. */
typedef enum fo_outcome {
    FO_OUTCOME_OK,                /* handshake done (or TCP connected with use_ssl off) */
    FO_OUTCOME_DNS_FAILURE,       /* the name did not resolve (problem says why) */
    FO_OUTCOME_CONNECT_REFUSED,   /* refused, or another immediate connect failure */
    FO_OUTCOME_CONNECT_TIMEOUT,   /* TCP connect did not finish within connect_timeout */
    FO_OUTCOME_HANDSHAKE_TIMEOUT, /* TLS handshake did not finish within connect_timeout */
    FO_OUTCOME_NOT_TLS,           /* the origin's reply is not TLS */
    FO_OUTCOME_ALERT,             /* the origin sent a fatal alert (alert holds it) */
    FO_OUTCOME_CLOSED,            /* the origin closed or reset during the handshake */
    FO_OUTCOME_TLS_ERROR,         /* our side gave up: no common version/cipher, bad data */
} fo_outcome;

/* What one address of a name gave, when the name has several: each is probed, in the order
 * Fastly would try them (the first is Fastly's choice, whose facts are the diagnosis's). */
typedef struct fo_address_result {
    char address[64]; /* "127.0.0.1", "::1" */
    bool probed;      /* false: it could not be tried from here (problem says why) */
    fo_class class;   /* what Fastly would report, connecting to this address */
    char fastly_error[96];
    double connect_ms; /* < 0 when not reached */
    double handshake_ms;
    char leaf_sha256[65]; /* the certificate it presented, "" when none */
    char problem[128];    /* the low-level reason, when it failed */
} fo_address_result;

/* Everything the probe learnt: the input of classification and the JSON "evidence".
 * Times are milliseconds, negative when the step was not reached. In a diagnosis the
 * strings are owned by it; tests may build facts from literals. */
typedef struct fo_probe_facts {
    fo_outcome outcome;
    char *problem;    /* the low-level reason in words: resolver, errno, OpenSSL */
    char **addresses; /* what the name resolved to */
    size_t address_count;
    char *address; /* the address connected to, or NULL */
    double connect_ms;
    double handshake_ms;
    double late_answer_ms;          /* after a timeout: when the origin did answer, else < 0 */
    char *protocol;                 /* "TLSv1.3" */
    char *cipher;                   /* OpenSSL's name: "TLS_AES_256_GCM_SHA384" */
    int alert;                      /* the alert received from the origin, -1 when none */
    int verify_code;                /* the verify error deciding the class (0 when none) */
    fo_verify_error *verify_errors; /* every verify error, verifier order */
    size_t verify_error_count;
    fo_cert_facts *chain; /* as presented, leaf first */
    size_t chain_count;
    char *sni_sent;    /* the SNI name sent, or NULL */
    char *reply_start; /* the first line of a reply that is not TLS ("HTTP/1.1 400 ...") */
    fo_tristate protocols[FO_TLS_VERSION_COUNT]; /* [0] = 1.0 .. [3] = 1.3 */
    fo_tristate rc4_only;
    fo_tristate needs_sni;
    fo_tristate plain_http;
    bool client_cert_requested;         /* the origin sent a CertificateRequest (mutual TLS) */
    fo_address_result *address_results; /* one per address, in Fastly's order */
    size_t address_result_count;
} fo_probe_facts;

/* Sets every field of facts to "nothing learnt" (no pointers owned). */
void fo_probe_facts_init(fo_probe_facts *facts);

#define FO_MAX_WARNINGS 16

/* The conclusion drawn from the facts. */
typedef struct fo_verdict {
    fo_class class;                /* the error Fastly would report */
    char fastly_error[96];         /* its text as Fastly shows it ("" for ok): OpenSSL's words */
    fo_class also[FO_CLASS_COUNT]; /* every other class found, verifier order, no repeats */
    size_t also_count;
    char detail[512]; /* one readable sentence */
    char warnings[FO_MAX_WARNINGS][200];
    size_t warning_count;
} fo_verdict;

/* The text Fastly would show for the verdict: v->fastly_error, else the class's text;
 * NULL for ok. */
const char *fo_verdict_fastly_error(const fo_verdict *v);

/* The verify error that decides the class, as an index into facts->verify_errors (the first,
 * in OpenSSL's order), or -1 for none; *out (NULL: not wanted) gets its code, 0 for none.
 * Pure. A leaf sent alone whose issuer is unknown (error 20 at depth 0) is reported as 21,
 * the way Fastly reports it. */
int fo_probe_primary_verify_error(const fo_probe_facts *facts, int *out);

/* OpenSSL's text for facts->verify_code ("hostname mismatch"); "ok" when it is 0. */
const char *fo_probe_verify_text(const fo_probe_facts *facts);

/* Classifies facts gathered for target at Unix time now (for expiry warnings). Pure: no
 * I/O, no allocation, no clock. */
void fo_probe_classify(fo_verdict *out, const fo_probe_target *target, const fo_probe_facts *facts,
                       int64_t now);

/* A full diagnosis. Owns every string it points to, including the target echo. */
typedef struct fo_diagnosis {
    fo_probe_target target;
    fo_ca_summary *ca_certs; /* the certificates of target.settings.ca_cert_pem */
    size_t ca_cert_count;
    fo_verdict verdict;
    fo_probe_facts facts;
} fo_diagnosis;

void fo_diagnosis_free(fo_diagnosis *d);

/* A shared, thread-safe probing context: the trust bundle (loaded once) and one TLS
 * context per distinct settings. */
typedef struct fo_prober fo_prober;

/* trust_bundle: a PEM file standing for Fastly's trust store, parsed once; NULL uses the
 * system's hashed certificate directory, looked up lazily (cheap to start). Returns 0, or
 * FO_EIO/FO_EINVAL when the bundle cannot be read or holds no certificate, FO_ENOMEM. */
int fo_prober_new(fo_prober **out, const char *trust_bundle, fo_error *err) FO_WARN_UNUSED;
void fo_prober_free(fo_prober *prober);

/* Resolves names from path, a hosts(5)-style file ("ADDRESS NAME..." a line; a name on
 * several lines has several addresses, in file order), instead of DNS: for tests on
 * loopback, and for probing an origin before its DNS changes. Call before probing.
 * Returns 0, FO_EIO/FO_EINVAL naming the file and line, FO_ENOMEM. */
int fo_prober_set_hosts(fo_prober *prober, const char *path, fo_error *err) FO_WARN_UNUSED;

/* Probes one target. Returns 0 and a diagnosis the caller frees — a broken origin is a
 * diagnosis, not an error — or a negative code when the probe could not run: FO_EINVAL
 * (bad settings: no certificate in ca_cert_pem, a cipher string OpenSSL rejects, a bad
 * port, what fo_probe_settings_check refuses), FO_ENOMEM, FO_EIO. Talks only to target->host; every
 * step has a deadline. */
int fo_probe_run(fo_prober *prober, fo_diagnosis **out, const fo_probe_target *target,
                 fo_error *err) FO_WARN_UNUSED;

/* The most probes run at once. */
#define FO_PROBE_MAX_CONCURRENCY 1024
/* Probes at once unless told otherwise: waiting costs a descriptor and a parked stack, so
 * many may wait; more at once would only hold more handshakes in memory, waiting for a CPU. */
#define FO_PROBE_DEFAULT_CONCURRENCY 512
/* Descriptors left for the rest of the program: API connections, files, standard streams. */
#define FO_PROBE_FD_RESERVE 64

/* A probe holds one descriptor at a time (its connection, or its resolver's socket), except
 * while it explains a failure with parallel hellos: those few probes share a pool of their
 * own, an eighth of the budget. The descriptors fo_probe_run_many may hold within a file
 * limit of fd_limit (see fo_fd_limit), and the most probes it then runs at once: at least 1,
 * at most FO_PROBE_MAX_CONCURRENCY. Pure. */
long fo_probe_fds_needed(int concurrency, long fd_limit);
int fo_probe_concurrency_cap(long fd_limit);

/* Called once per target as it finishes, one call at a time (under a lock), in completion
 * order. d is owned by the callee (fo_diagnosis_free), NULL when the probe could not run
 * (err says why). */
typedef void (*fo_probe_done_fn)(void *ctx, size_t index, fo_diagnosis *d, const fo_error *err);

/* Probes count targets, at most concurrency at once, and fewer when the file limit allows
 * fewer (fo_probe_concurrency_cap: running out of descriptors is never an origin's result).
 * Returns 0 once every target was attempted (individual failures go to done), or FO_EINVAL
 * for a concurrency outside 1-FO_PROBE_MAX_CONCURRENCY, FO_ENOMEM. */
int fo_probe_run_many(fo_prober *prober, const fo_probe_target *targets, size_t count,
                      int concurrency, fo_probe_done_fn done, void *ctx,
                      fo_error *err) FO_WARN_UNUSED;

/* Targets that come in over time (scan probes every service's backends in one pool as their
 * details are read). next returns 1 with the next target and a token naming it for done, 0
 * when there is none yet (asked again within a few ms), -1 when there will be no more. The
 * target must stay valid until done is called with its token. Called from several threads
 * (one call at a time is not promised): it locks what it shares. */
typedef int (*fo_probe_next_fn)(void *ctx, const fo_probe_target **target, size_t *token);

/* fo_probe_run_many over the targets next hands out, until it says there are no more; done is
 * called with each token. Returns 0, FO_EINVAL for a bad concurrency, FO_ENOMEM. */
int fo_probe_run_stream(fo_prober *prober, fo_probe_next_fn next, int concurrency,
                        fo_probe_done_fn done, void *ctx, fo_error *err) FO_WARN_UNUSED;

#endif
