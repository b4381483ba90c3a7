/* testbed-origins checked by OpenSSL's own client and plain sockets, without the
 * probe: each origin must fail exactly the way its case says, or the probe's
 * tests would prove nothing. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fixorigin/fo.h"
#include "testbed_fixture.h"

Suite *testbed_origins_suite(void);

static fx_testbed tb;
static bool tb_ready;

static void start_testbed(void)
{
    static const char *const args[] = {"--count", "3", NULL};
    tb_ready = fx_testbed_start(&tb, args);
}

static void stop_testbed(void)
{
    fx_testbed_stop(&tb);
}

static json_t *need_case(const char *name)
{
    ck_assert_msg(tb_ready, "testbed-origins did not start");
    json_t *entry = fx_case(&tb, name);
    ck_assert_msg(entry != NULL, "manifest has no case %s", name);
    return entry;
}

/* A TCP connection within timeout_ms, then blocking with the same timeout on
 * every read and write; -1 (and *error) when it did not connect. */
static int tcp_connect(const char *host, int port, int timeout_ms, int *error)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    ck_assert_int_eq(inet_pton(AF_INET, host, &addr.sin_addr), 1);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(fd, 0);
    *error = 0;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 && errno != EINPROGRESS)
        *error = errno;
    struct pollfd p = {fd, POLLOUT, 0};
    socklen_t len = sizeof(*error);
    if (*error == 0 && poll(&p, 1, timeout_ms) != 1)
        *error = ETIMEDOUT;
    else if (*error == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, error, &len) != 0)
        *error = errno;
    if (*error != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

typedef struct handshake {
    bool ok;
    int errors[8]; /* every verify error, in the verifier's order */
    int error_count;
    long verify; /* SSL_get_verify_result: the final result */
    int alert;   /* alert received from the origin, -1 none */
    char subject[256];
    int chain_length; /* certificates the origin sent */
    int version;
    double ms;
} handshake;

static void on_info(const SSL *ssl, int where, int ret)
{
    if (where & SSL_CB_READ_ALERT)
        ((handshake *)SSL_get_app_data(ssl))->alert = ret & 0xff;
}

/* Records each error and lets verification go on, to see them all. */
static int on_verify(int preverify_ok, X509_STORE_CTX *store)
{
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    handshake *h = SSL_get_app_data(ssl);
    if (!preverify_ok && h->error_count < 8)
        h->errors[h->error_count++] = X509_STORE_CTX_get_error(store);
    return 1;
}

/* One handshake as Fastly would do it with the case's settings (SNI, name
 * check, trust bundle plus ssl_ca_cert, TLS limits, ciphers). */
static void handshake_with(handshake *out, const fx_testbed *bed, const json_t *entry,
                           int min_version, int max_version)
{
    memset(out, 0, sizeof(*out));
    out->alert = -1;
    out->verify = -1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, bed->trust_bundle, NULL), 1);
    const char *ca_file = fx_setting(entry, "ssl_ca_cert");
    if (ca_file)
        ck_assert_int_eq(SSL_CTX_load_verify_locations(ctx, ca_file, NULL), 1);
    SSL_CTX_set_security_level(ctx, 0);
    ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0"), 1);
    const char *max_tls = fx_setting(entry, "max_tls_version");
    if (max_tls && strcmp(max_tls, "1.2") == 0)
        max_version = TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min_version ? min_version : TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    const char *ciphers = fx_setting(entry, "ssl_ciphers");
    if (ciphers)
        ck_assert_int_eq(SSL_CTX_set_cipher_list(ctx, ciphers), 1);
    SSL_CTX_set_info_callback(ctx, on_info);
    int error = 0;
    double start = fo_now_ms();
    int fd = tcp_connect(fx_case_host(entry), fx_case_port(entry), 5000, &error);
    ck_assert_msg(fd >= 0, "connect: %s", strerror(error));
    SSL *ssl = SSL_new(ctx);
    ck_assert_ptr_nonnull(ssl);
    SSL_set_fd(ssl, fd);
    SSL_set_app_data(ssl, out);
    SSL_set_verify(ssl, SSL_VERIFY_PEER, on_verify);
    const char *sni = fx_setting(entry, "ssl_sni_hostname");
    if (sni)
        SSL_set_tlsext_host_name(ssl, sni);
    const char *cert_hostname = fx_setting(entry, "ssl_cert_hostname");
    if (cert_hostname)
        SSL_set1_host(ssl, cert_hostname);
    out->ok = SSL_connect(ssl) == 1;
    out->ms = fo_now_ms() - start;
    if (out->ok) {
        out->verify = SSL_get_verify_result(ssl);
        out->version = SSL_version(ssl);
        STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
        out->chain_length = chain ? sk_X509_num(chain) : 0;
        X509 *leaf = SSL_get0_peer_certificate(ssl);
        if (leaf)
            X509_NAME_oneline(X509_get_subject_name(leaf), out->subject, sizeof(out->subject));
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    ERR_clear_error();
}

/* The verifier's first error and its final result differ in two cases: a
 * leaf without its issuer raises 20 and ends at 21 (Fastly's text is 21's),
 * and an expired certificate for the wrong name raises 62 before 10. */
static void handshake_case(handshake *out, const json_t *entry, int min_version, int max_version)
{
    handshake_with(out, &tb, entry, min_version, max_version);
}

static const struct {
    const char *name;
    int first;
    long final;
    int chain_length;
} verify_cases[] = {
    {"healthy", X509_V_OK, X509_V_OK, 2},
    {"healthy_all_versions", X509_V_OK, X509_V_OK, 2},
    {"sni_required_cert", X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_HOSTNAME_MISMATCH, 2},
    {"sni_required_cert_with_sni", X509_V_OK, X509_V_OK, 2},
    {"sni_required_fail_with_sni", X509_V_OK, X509_V_OK, 2},
    {"hostname_mismatch", X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_HOSTNAME_MISMATCH, 2},
    {"missing_cert_hostname", X509_V_OK, X509_V_OK, 2},
    {"unable_to_verify_first_certificate", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
     X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, 1},
    {"self_signed_certificate", X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT,
     X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, 1},
    {"unable_to_get_local_issuer_certificate", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, 2},
    {"self_signed_certificate_in_chain", X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
     X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, 3},
    {"unable_to_get_issuer_certificate", X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT,
     X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, 1},
    {"certificate_expired", X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_HAS_EXPIRED, 2},
    {"hostname_mismatch_expired", X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_CERT_HAS_EXPIRED, 2},
};

START_TEST(certificate_cases_fail_verification_as_named)
{
    const char *name = verify_cases[_i].name;
    handshake h;
    handshake_case(&h, need_case(name), 0, 0);
    ck_assert_msg(h.ok, "%s: handshake failed", name);
    int first = h.error_count > 0 ? h.errors[0] : X509_V_OK;
    ck_assert_msg(first == verify_cases[_i].first, "%s: first error %d, want %d", name, first,
                  verify_cases[_i].first);
    ck_assert_msg(h.verify == verify_cases[_i].final, "%s: final %ld, want %ld", name, h.verify,
                  verify_cases[_i].final);
    ck_assert_int_eq(h.chain_length, verify_cases[_i].chain_length);
}
END_TEST

START_TEST(sni_selects_the_certificate)
{
    handshake without, with;
    handshake_case(&without, need_case("sni_required_cert"), 0, 0);
    handshake_case(&with, need_case("sni_required_cert_with_sni"), 0, 0);
    ck_assert_ptr_nonnull(strstr(without.subject, "CN=default.origin.test"));
    ck_assert_ptr_nonnull(strstr(with.subject, "CN=www.origin.test"));
}
END_TEST

static const struct {
    const char *name;
    int alert;
} alert_cases[] = {
    {"sni_required_fail", SSL_AD_HANDSHAKE_FAILURE},
    {"tlsv1_alert_internal_error", SSL_AD_INTERNAL_ERROR},
    {"handshake_failure_tls13_only", SSL_AD_PROTOCOL_VERSION},
    {"handshake_failure_ciphers", SSL_AD_HANDSHAKE_FAILURE},
    {"rc4_cipher", SSL_AD_HANDSHAKE_FAILURE},
};

START_TEST(failing_handshakes_send_their_alert)
{
    handshake h;
    handshake_case(&h, need_case(alert_cases[_i].name), 0, 0);
    ck_assert_msg(!h.ok, "%s: handshake succeeded", alert_cases[_i].name);
    ck_assert_int_eq(h.alert, alert_cases[_i].alert);
}
END_TEST

START_TEST(all_versions_origin_speaks_tls_1_0_to_1_3)
{
    static const int versions[] = {TLS1_VERSION, TLS1_1_VERSION, TLS1_2_VERSION, TLS1_3_VERSION};
    for (size_t i = 0; i < 4; i++) {
        handshake h;
        handshake_case(&h, need_case("healthy_all_versions"), versions[i], versions[i]);
        ck_assert_msg(h.ok, "version %x refused", versions[i]);
        ck_assert_int_eq(h.version, versions[i]);
    }
    /* The plain healthy origin is a modern one: no TLS 1.0. */
    handshake old;
    handshake_case(&old, need_case("healthy"), TLS1_VERSION, TLS1_VERSION);
    ck_assert(!old.ok);
}
END_TEST

START_TEST(slow_origin_answers_after_its_delay)
{
    handshake h;
    handshake_case(&h, need_case("slow_handshake_patient"), 0, 0);
    ck_assert(h.ok);
    ck_assert_msg(h.ms >= 1400 && h.ms < 10000, "took %.0f ms", h.ms);
}
END_TEST

START_TEST(refused_port_answers_reset)
{
    json_t *entry = need_case("connection_refused");
    int error = 0;
    ck_assert_int_eq(tcp_connect(fx_case_host(entry), fx_case_port(entry), 5000, &error), -1);
    ck_assert_int_eq(error, ECONNREFUSED);
}
END_TEST

START_TEST(full_backlog_never_completes_the_connect)
{
    json_t *entry = need_case("connection_timeout_backlog");
    int error = 0;
    ck_assert_int_eq(tcp_connect(fx_case_host(entry), fx_case_port(entry), 1500, &error), -1);
    ck_assert_int_eq(error, ETIMEDOUT);
}
END_TEST

/* Sends request and returns what the origin answers within timeout_ms. */
static size_t exchange(const json_t *entry, int port, const char *request, char *reply, size_t cap,
                       int timeout_ms)
{
    int error = 0;
    int fd = tcp_connect(fx_case_host(entry), port, timeout_ms, &error);
    ck_assert_msg(fd >= 0, "connect: %s", strerror(error));
    if (request)
        ck_assert_int_eq(send(fd, request, strlen(request), MSG_NOSIGNAL),
                         (ssize_t)strlen(request));
    size_t len = 0;
    for (;;) {
        ssize_t n = recv(fd, reply + len, cap - 1 - len, 0);
        if (n <= 0 || (len += (size_t)n) >= cap - 1)
            break;
    }
    reply[len] = '\0';
    close(fd);
    return len;
}

START_TEST(silent_origin_never_answers)
{
    json_t *entry = need_case("connection_timeout_silent");
    char reply[64];
    double start = fo_now_ms();
    ck_assert_uint_eq(
        exchange(entry, fx_case_port(entry), "\x16\x03\x01", reply, sizeof(reply), 1500), 0);
    ck_assert(fo_now_ms() - start >= 1400);
}
END_TEST

START_TEST(plain_http_on_the_tls_port_and_on_port_80)
{
    json_t *entry = need_case("unknown_protocol");
    char reply[512];
    exchange(entry, fx_case_port(entry), "\x16\x03\x01\x00\x05hello", reply, sizeof(reply), 5000);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 400 ", 13) == 0, "got '%s'", reply);
    ck_assert_str_eq(fx_case_host(entry),
                     json_string_value(json_object_get(tb.manifest, "plain_http_host")));
    json_t *port_80 = fx_case(&tb, "plain_http_port_80");
    if (!json_is_true(json_object_get(tb.manifest, "plain_http_port_80"))) {
        ck_assert_ptr_null(port_80); /* said so, and no case for it */
        return;
    }
    ck_assert_ptr_nonnull(port_80);
    ck_assert_str_eq(fx_case_host(port_80), fx_case_host(entry));
    ck_assert_int_eq(fx_case_port(port_80), 80);
    exchange(entry, 80, "HEAD / HTTP/1.1\r\nHost: www.origin.test\r\n\r\n", reply, sizeof(reply),
             5000);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "got '%s'", reply);
}
END_TEST

START_TEST(aia_url_serves_the_missing_intermediate)
{
    json_t *entry = need_case("unable_to_verify_first_certificate");
    FILE *f = fopen(json_string_value(json_object_get(entry, "cert_file")), "r");
    ck_assert_ptr_nonnull(f);
    X509 *leaf = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    ck_assert_ptr_nonnull(leaf);
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(leaf, NID_info_access, NULL, NULL);
    ck_assert_ptr_nonnull(aia);
    ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, 0);
    ck_assert_int_eq(OBJ_obj2nid(ad->method), NID_ad_ca_issuers);
    const char *url =
        (const char *)ASN1_STRING_get0_data(ad->location->d.uniformResourceIdentifier);
    char host[64];
    int port = 0;
    char path[128];
    ck_assert_int_eq(sscanf(url, "http://%63[^:]:%d%127s", host, &port, path), 3);
    ck_assert_str_eq(host, "127.0.0.1");
    char request[256];
    snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
    static char reply[8192];
    size_t len = exchange(entry, port, request, reply, sizeof(reply), 5000);
    AUTHORITY_INFO_ACCESS_free(aia);
    X509_free(leaf);
    ck_assert_msg(strncmp(reply, "HTTP/1.1 200 ", 13) == 0, "got '%.40s'", reply);
    const char *body = strstr(reply, "\r\n\r\n");
    ck_assert_ptr_nonnull(body);
    body += 4;
    const unsigned char *der = (const unsigned char *)body;
    X509 *issuer = d2i_X509(NULL, &der, (long)(len - (size_t)(body - reply)));
    ck_assert_ptr_nonnull(issuer);
    char subject[256];
    X509_NAME_oneline(X509_get_subject_name(issuer), subject, sizeof(subject));
    X509_free(issuer);
    ck_assert_ptr_nonnull(strstr(subject, "CN=Testbed Public Intermediate CA"));
    /* An unknown path is a 404, not the certificate. */
    exchange(entry, port, "GET /nothing HTTP/1.1\r\n\r\n", reply, sizeof(reply), 5000);
    ck_assert(strncmp(reply, "HTTP/1.1 404 ", 13) == 0);
}
END_TEST

/* A ClientHello offering the given suites, as one record. */
static size_t client_hello(unsigned char *buf, const uint16_t *suites, size_t count)
{
    size_t body = 2 + 32 + 1 + 2 + 2 * count + 2;
    unsigned char *p = buf;
    *p++ = 22;
    *p++ = 3;
    *p++ = 1;
    *p++ = (unsigned char)((body + 4) >> 8);
    *p++ = (unsigned char)(body + 4);
    *p++ = 1;
    *p++ = 0;
    *p++ = (unsigned char)(body >> 8);
    *p++ = (unsigned char)body;
    *p++ = 3;
    *p++ = 3;
    memset(p, 7, 32);
    p += 32;
    *p++ = 0;
    *p++ = (unsigned char)((2 * count) >> 8);
    *p++ = (unsigned char)(2 * count);
    for (size_t i = 0; i < count; i++) {
        *p++ = (unsigned char)(suites[i] >> 8);
        *p++ = (unsigned char)suites[i];
    }
    *p++ = 1;
    *p++ = 0;
    return (size_t)(p - buf);
}

START_TEST(rc4_origin_picks_rc4_when_offered)
{
    json_t *entry = need_case("rc4_cipher");
    unsigned char hello[64];
    static const uint16_t with_rc4[] = {0x002f, 0xc011, 0x0005};
    static const uint16_t without_rc4[] = {0x002f, 0xc02f};
    char reply[128];
    size_t len = client_hello(hello, with_rc4, 3);
    hello[len] = '\0';
    int error = 0;
    int fd = tcp_connect(fx_case_host(entry), fx_case_port(entry), 5000, &error);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send(fd, hello, len, MSG_NOSIGNAL), (ssize_t)len);
    ssize_t n = recv(fd, reply, 47, MSG_WAITALL);
    close(fd);
    /* ServerHello: record 22, handshake type 2, suite after a 0-length session id. */
    ck_assert_int_eq(n, 47);
    ck_assert_int_eq((unsigned char)reply[0], 22);
    ck_assert_int_eq((unsigned char)reply[5], 2);
    ck_assert_int_eq(((unsigned char)reply[44] << 8) | (unsigned char)reply[45], 0xc011);
    len = client_hello(hello, without_rc4, 2);
    fd = tcp_connect(fx_case_host(entry), fx_case_port(entry), 5000, &error);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send(fd, hello, len, MSG_NOSIGNAL), (ssize_t)len);
    n = recv(fd, reply, sizeof(reply), 0);
    close(fd);
    ck_assert_int_eq(n, 7);
    ck_assert_int_eq(reply[0], 21); /* alert */
    ck_assert_int_eq(reply[6], 40); /* handshake_failure */
}
END_TEST

START_TEST(hostile_origins_misbehave_as_described)
{
    char reply[2048];
    json_t *garbage = need_case("hostile_garbage");
    size_t len = exchange(garbage, fx_case_port(garbage), NULL, reply, 1025, 3000);
    ck_assert_uint_eq(len, 1024);
    ck_assert_int_eq((unsigned char)reply[0], 0xff);
    json_t *huge = need_case("hostile_huge_record");
    len = exchange(huge, fx_case_port(huge), NULL, reply, 6, 3000);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(reply, "\x16\x03\x03\xff\xff", 5), 0);
    json_t *reset = need_case("hostile_reset");
    int error = 0;
    int fd = tcp_connect(fx_case_host(reset), fx_case_port(reset), 3000, &error);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(send(fd, "\x16\x03\x01", 3, MSG_NOSIGNAL), 3);
    ssize_t n = recv(fd, reply, sizeof(reply), 0);
    error = n < 0 ? errno : 0;
    close(fd);
    ck_assert_msg(error == ECONNRESET, "got %s", strerror(error));
    json_t *drip = need_case("hostile_slow_drip");
    double start = fo_now_ms();
    len = exchange(drip, fx_case_port(drip), NULL, reply, 4, 5000);
    ck_assert_uint_eq(len, 3);
    ck_assert_msg(fo_now_ms() - start >= 400, "dripped 3 bytes in %.0f ms", fo_now_ms() - start);
}
END_TEST

START_TEST(manifest_covers_every_class)
{
    static const char *const classes[] = {
        "ok",
        "hostname_mismatch",
        "missing_cert_hostname",
        "unable_to_verify_first_certificate",
        "self_signed_certificate",
        "unable_to_get_local_issuer_certificate",
        "self_signed_certificate_in_chain",
        "unable_to_get_issuer_certificate",
        "certificate_expired",
        "dns_failure",
        "connection_timeout",
        "connection_refused",
        "unknown_protocol",
        "handshake_failure",
        "tlsv1_alert_internal_error",
        "rc4_cipher",
        "certificate_not_yet_valid",
        "unsuitable_certificate_purpose",
        "name_constraints_violation",
        "invalid_ca",
        "unhandled_critical_extension",
    };
    ck_assert(tb_ready);
    json_t *cases = json_object_get(tb.manifest, "cases");
    for (size_t c = 0; c < sizeof(classes) / sizeof(classes[0]); c++) {
        bool found = false;
        size_t i;
        json_t *entry;
        json_array_foreach(cases, i, entry)
        {
            const char *expected = json_string_value(json_object_get(entry, "expected_class"));
            found |= !json_is_true(json_object_get(entry, "robustness")) &&
                     strcmp(expected, classes[c]) == 0;
        }
        ck_assert_msg(found, "no case for class %s", classes[c]);
    }
    /* Case names are unique and the targets file has each on its line. */
    FILE *f = fopen(json_string_value(json_object_get(tb.manifest, "targets_file")), "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int number = 0;
    size_t matched = 0;
    while (fgets(line, sizeof(line), f)) {
        number++;
        size_t i;
        json_t *entry;
        json_array_foreach(cases, i, entry)
        {
            if (json_integer_value(json_object_get(entry, "targets_line")) != number)
                continue;
            char target[320];
            bool v6 = strchr(fx_case_host(entry), ':') != NULL;
            snprintf(target, sizeof(target), "%s%s%s:%d ", v6 ? "[" : "", fx_case_host(entry),
                     v6 ? "]" : "", fx_case_port(entry));
            ck_assert_msg(strncmp(line, target, strlen(target)) == 0, "line %d: %s", number, line);
            matched++;
        }
    }
    fclose(f);
    ck_assert_uint_eq(matched, json_array_size(cases));
}
END_TEST

START_TEST(bulk_origins_are_healthy)
{
    ck_assert(tb_ready);
    json_t *bulk = json_object_get(tb.manifest, "bulk");
    json_t *ports = json_object_get(bulk, "ports");
    ck_assert_uint_eq(json_array_size(ports), 3);
    json_t *entry = json_deep_copy(need_case("healthy"));
    for (size_t i = 0; i < 3; i++) {
        json_object_set(entry, "port", json_array_get(ports, i));
        handshake h;
        handshake_case(&h, entry, 0, 0);
        ck_assert(h.ok);
        ck_assert_int_eq(h.verify, X509_V_OK);
    }
    json_decref(entry);
}
END_TEST

START_TEST(stops_cleanly_on_sigterm)
{
    fx_testbed own;
    ck_assert(fx_testbed_start(&own, NULL));
    /* Traffic first, so a leak in serving shows in the exit status under ASan. */
    static const char *const names[] = {"healthy", "sni_required_cert", "sni_required_fail",
                                        "tlsv1_alert_internal_error", "rc4_cipher"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        handshake h;
        handshake_with(&h, &own, fx_case(&own, names[i]), 0, 0);
        ck_assert_int_eq(h.ok, i < 2);
    }
    /* A connection still open (the silent origin holds it) must not delay the stop. */
    json_t *silent = fx_case(&own, "connection_timeout_silent");
    int error = 0;
    int fd = tcp_connect(fx_case_host(silent), fx_case_port(silent), 3000, &error);
    ck_assert_int_ge(fd, 0);
    double start = fo_now_ms();
    int status = fx_testbed_stop(&own);
    close(fd);
    ck_assert_int_eq(status, 0);
    ck_assert_msg(fo_now_ms() - start < 5000, "stop took %.0f ms", fo_now_ms() - start);
}
END_TEST

START_TEST(bad_arguments_are_usage_errors)
{
    static const char *const bad[][6] = {
        {"--count", "x", NULL},
        {"--count", "-1", NULL},
        {"--dir", "/tmp/with space", NULL},
        {"--dir", "/tmp/x", "--host", "10.0.0.1", NULL},
        {"--dir", "/tmp/x", "--bogus", "1", NULL},
        {NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *argv[8] = {fx_bin("testbed-origins")};
        for (size_t j = 0; bad[i][j]; j++)
            argv[j + 1] = bad[i][j];
        tb_run run;
        fx_run_argv(&run, argv, NULL, 10000);
        ck_assert_msg(run.exit_code == 64, "case %zu: exit %d", i, run.exit_code);
        ck_assert_msg(strlen(run.err) > 0 && strchr(run.err, '\n') != NULL, "no message");
        tb_run_free(&run);
    }
    const char *argv[] = {fx_bin("testbed-origins"), "--dir", "/proc/forbidden/dir", NULL};
    tb_run run;
    fx_run_argv(&run, argv, NULL, 10000);
    ck_assert_int_eq(run.exit_code, 1);
    ck_assert_ptr_nonnull(strstr(run.err, "cannot create"));
    tb_run_free(&run);
}
END_TEST

Suite *testbed_origins_suite(void)
{
    Suite *s = suite_create("testbed_origins");
    TCase *tc = tcase_create("origins");
    tcase_add_unchecked_fixture(tc, start_testbed, stop_testbed);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, certificate_cases_fail_verification_as_named, 0,
                        sizeof(verify_cases) / sizeof(verify_cases[0]));
    tcase_add_test(tc, sni_selects_the_certificate);
    tcase_add_loop_test(tc, failing_handshakes_send_their_alert, 0,
                        sizeof(alert_cases) / sizeof(alert_cases[0]));
    tcase_add_test(tc, all_versions_origin_speaks_tls_1_0_to_1_3);
    tcase_add_test(tc, slow_origin_answers_after_its_delay);
    tcase_add_test(tc, refused_port_answers_reset);
    tcase_add_test(tc, full_backlog_never_completes_the_connect);
    tcase_add_test(tc, silent_origin_never_answers);
    tcase_add_test(tc, plain_http_on_the_tls_port_and_on_port_80);
    tcase_add_test(tc, aia_url_serves_the_missing_intermediate);
    tcase_add_test(tc, rc4_origin_picks_rc4_when_offered);
    tcase_add_test(tc, hostile_origins_misbehave_as_described);
    tcase_add_test(tc, manifest_covers_every_class);
    tcase_add_test(tc, bulk_origins_are_healthy);
    suite_add_tcase(s, tc);
    TCase *life = tcase_create("lifecycle");
    tcase_set_timeout(life, 60);
    tcase_add_test(life, stops_cleanly_on_sigterm);
    tcase_add_test(life, bad_arguments_are_usage_errors);
    suite_add_tcase(s, life);
    return s;
}
