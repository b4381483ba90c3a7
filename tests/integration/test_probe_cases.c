/* `fixorigin probe --json` against every testbed origin, one real run each:
 * the class Fastly would report, its text, the exit code and the evidence a
 * user would act on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "probe_expect.h"
#include "testbed_fixture.h"

/* An origin that requires a client certificate refuses after sending its own: behind a
 * certificate Fastly rejects, that rejection is what Fastly reports (TLS 1.3 refuses after
 * the handshake, TLS 1.2 during it). */
START_TEST(certificate_error_comes_before_a_client_certificate_refusal)
{
    static const char *const wrong_name[] = {"--cert-hostname", "other.origin.test", NULL};
    static const char *const wrong_name_12[] = {"--cert-hostname", "other.origin.test", "--max-tls",
                                                "1.2", NULL};
    static const char *const good_name_12[] = {"--max-tls", "1.2", NULL};
    const char *const *args[] = {wrong_name, wrong_name_12, good_name_12};
    ck_assert(fx_tb_ready);
    for (size_t i = 0; i < 3; i++) {
        tb_run run;
        json_t *result = NULL;
        /* After the case's own settings, so that these win. */
        fx_args a = {.argc = 0};
        const char *fixed[] = {fx_bin("fixorigin"), "probe", "--json", "--trust-bundle",
                               fx_tb.trust_bundle};
        for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
            fx_args_add(&a, fixed[k]);
        fx_probe_args(&a, fx_case(&fx_tb, "client_cert_required"));
        for (const char *const *arg = args[i]; *arg; arg++)
            fx_args_add(&a, *arg);
        fx_run_argv(&run, a.argv, NULL, 30000);
        result = json_loads(run.out, 0, NULL);
        ck_assert_msg(result != NULL, "no JSON: %s", run.err);
        ck_assert_int_eq(run.exit_code, 2);
        json_t *also = json_object_get(result, "also");
        if (i < 2) {
            ck_assert_str_eq(json_str(result, "class"), "hostname_mismatch");
            ck_assert_msg(json_array_has_string(also, "handshake_failure"), "case %zu: also", i);
            ck_assert_ptr_nonnull(strstr(json_str(result, "detail"), "After the certificate"));
        } else {
            ck_assert_str_eq(json_str(result, "class"), "handshake_failure");
            ck_assert_uint_eq(json_array_size(also), 0);
        }
        json_decref(result);
        tb_run_free(&run);
    }
}
END_TEST

Suite *probe_cases_suite(void);

enum { ANY = -2, NUL = -1 }; /* int expectations: don't check / must be null */

/* Key evidence per case. sni_sent must be the case's ssl_sni_hostname when a
 * TLS handshake was attempted, null otherwise. Flags: 1 true, 0 false or null
 * (not tested), ANY unchecked. */
static const struct probe_case {
    const char *name;
    int chain_length; /* certificates presented */
    int verify_code;
    int alert; /* alert code received from the origin */
    bool tls_attempted;
    int needs_sni;
    int plain_http;
    int rc4_only;
} cases[] = {
    {"healthy", 2, 0, NUL, true, 0, 0, 0},
    {"healthy_all_versions", 2, 0, NUL, true, 0, 0, 0},
    {"sni_required_cert", 2, 62, NUL, true, 1, 0, 0},
    {"sni_required_cert_with_sni", 2, 0, NUL, true, 0, 0, 0},
    {"sni_required_fail", 0, ANY, 40, true, 1, 0, 0},
    {"sni_required_fail_with_sni", 2, 0, NUL, true, 0, 0, 0},
    {"hostname_mismatch", 2, 62, NUL, true, 0, 0, 0},
    {"missing_cert_hostname", 2, ANY, NUL, true, 0, 0, 0},
    {"unable_to_verify_first_certificate", 1, 21, NUL, true, 0, 0, 0},
    {"self_signed_certificate", 1, 18, NUL, true, 0, 0, 0},
    {"unable_to_get_local_issuer_certificate", 2, 20, NUL, true, 0, 0, 0},
    {"self_signed_certificate_in_chain", 3, 19, NUL, true, 0, 0, 0},
    {"unable_to_get_issuer_certificate", 1, 2, NUL, true, 0, 0, 0},
    {"certificate_expired", 2, 10, NUL, true, 0, 0, 0},
    {"hostname_mismatch_expired", 2, 62, NUL, true, 0, 0, 0},
    {"dns_failure", 0, ANY, NUL, false, 0, 0, 0},
    {"connection_refused", 0, ANY, NUL, false, 0, 0, 0},
    {"connection_timeout_backlog", 0, ANY, NUL, false, 0, 0, 0},
    {"connection_timeout_silent", 0, ANY, NUL, true, 0, 0, 0},
    {"slow_handshake", ANY, ANY, NUL, true, 0, 0, 0},
    {"slow_handshake_patient", 2, 0, NUL, true, 0, 0, 0},
    {"unknown_protocol", 0, ANY, NUL, true, 0, 1, 0},
    {"plain_http_port_80", 0, ANY, NUL, false, 0, ANY, 0},
    {"handshake_failure_tls13_only", 0, ANY, 70, true, 0, 0, 0},
    {"handshake_failure_ciphers", 0, ANY, 40, true, 0, 0, 0},
    {"tlsv1_alert_internal_error", 0, ANY, 80, true, 0, 0, 0},
    {"client_cert_required", 2, 0, ANY, true, 0, 0, 0}, /* 116, unless a reset overtakes it */
    {"client_cert_optional", 2, 0, NUL, true, 0, 0, 0},
    {"rc4_cipher", 0, ANY, ANY, true, 0, 0, 1},
    {"certificate_not_yet_valid", 2, 9, NUL, true, 0, 0, 0},
    {"unsuitable_certificate_purpose", 2, 26, NUL, true, 0, 0, 0},
    {"name_constraints_violation", 2, 47, NUL, true, 0, 0, 0},
    {"invalid_ca", 2, 79, NUL, true, 0, 0, 0},
    {"unhandled_critical_extension", 2, 34, NUL, true, 0, 0, 0},
    {"private_root_leaf_alone", 1, 21, NUL, true, 0, 0, 0},
    {"wrong_intermediate", 2, 21, NUL, true, 0, 0, 0},
    {"dns_typed_ip_san", 2, 64, NUL, true, 0, 0, 0},
    {"expires_soon", 2, 0, NUL, true, 0, 0, 0},
    {"weak_sha1_leaf", 2, 0, NUL, true, 0, 0, 0},
    {"weak_rsa1024_leaf", 2, 0, NUL, true, 0, 0, 0},
    {"tls10_only", 2, 0, NUL, true, 0, 0, 0},
    {"ipv6_healthy", 2, 0, NUL, true, 0, 0, 0},
    {"addresses_ipv4_first", 2, 62, NUL, true, 0, 0, 0},
    {"addresses_prefer_ipv6", 2, 0, NUL, true, 0, 0, 0},
    {"addresses_ipv6_silent", 2, 0, NUL, true, 0, 0, 0},
    {"addresses_one_refuses", 2, 0, NUL, true, 0, 0, 0},
};

static void check_flag(const json_t *evidence, const char *key, int want, const char *name)
{
    json_t *value = json_object_get(evidence, key);
    if (want == 1)
        ck_assert_msg(json_is_true(value), "%s: %s should be true", name, key);
    else if (want == 0)
        ck_assert_msg(json_is_false(value) || json_is_null(value), "%s: %s should not be true",
                      name, key);
}

static void check_evidence(const struct probe_case *c, const json_t *entry, const json_t *result)
{
    json_t *evidence = json_object_get(result, "evidence");
    json_t *chain = json_object_get(evidence, "chain");
    if (c->chain_length != ANY)
        ck_assert_msg(json_array_size(chain) == (size_t)c->chain_length, "%s: chain of %zu",
                      c->name, json_array_size(chain));
    if (c->verify_code != ANY)
        ck_assert_int_eq(json_integer_value(json_object_get(evidence, "verify_code")),
                         c->verify_code);
    json_t *alert = json_object_get(evidence, "alert");
    if (c->alert == NUL)
        ck_assert_msg(json_is_null(alert), "%s: no alert expected", c->name);
    else if (c->alert != ANY)
        ck_assert_msg(json_integer_value(json_object_get(alert, "code")) == c->alert,
                      "%s: alert %lld, want %d", c->name,
                      (long long)json_integer_value(json_object_get(alert, "code")), c->alert);
    json_t *sni_sent = json_object_get(evidence, "sni_sent");
    const char *sni = fx_setting(entry, "ssl_sni_hostname");
    if (c->tls_attempted && sni)
        ck_assert_msg(json_is_string(sni_sent) && strcmp(json_string_value(sni_sent), sni) == 0,
                      "%s: sni_sent", c->name);
    else
        ck_assert_msg(json_is_null(sni_sent), "%s: no SNI should be sent", c->name);
    check_flag(evidence, "needs_sni", c->needs_sni, c->name);
    check_flag(evidence, "plain_http", c->plain_http, c->name);
    check_flag(evidence, "rc4_only", c->rc4_only, c->name);
    /* Every presented certificate is described whole. */
    size_t i;
    json_t *cert;
    json_array_foreach(chain, i, cert)
    {
        const char *sha256 = json_str(cert, "sha256");
        ck_assert_msg(sha256 && strlen(sha256) == 64 && strspn(sha256, "0123456789abcdef") == 64,
                      "%s: sha256 of certificate %zu", c->name, i);
        ck_assert_ptr_nonnull(json_str(cert, "subject"));
        ck_assert_ptr_nonnull(json_str(cert, "issuer"));
        ck_assert_ptr_nonnull(json_str(cert, "not_before"));
        ck_assert_ptr_nonnull(json_str(cert, "not_after"));
        ck_assert(json_is_boolean(json_object_get(cert, "self_signed")));
        ck_assert(json_is_boolean(json_object_get(cert, "is_ca")));
        ck_assert(json_is_array(json_object_get(cert, "san")));
    }
}

START_TEST(probe_names_the_case)
{
    const struct probe_case *c = &cases[_i];
    ck_assert_msg(fx_tb_ready, "testbed-origins did not start");
    json_t *entry = fx_case(&fx_tb, c->name);
    if (!entry && strcmp(c->name, "plain_http_port_80") == 0)
        return; /* port 80 could not be bound here; the testbed self-test checks that */
    ck_assert_msg(entry != NULL, "no case %s", c->name);
    tb_run run;
    json_t *result = NULL;
    fx_probe_case(&run, &result, &fx_tb, c->name, NULL);
    ck_assert_msg(!run.timed_out, "%s: the probe hung", c->name);
    check_result_for_case(result, entry);
    bool ok = json_is_true(json_object_get(result, "ok"));
    ck_assert_msg(run.exit_code == (ok ? 0 : 2), "%s: exit %d", c->name, run.exit_code);
    check_evidence(c, entry, result);
    /* Bounded: the slowest case is a timeout plus the wait for a late answer. */
    ck_assert_msg(run.ms < 15000, "%s: took %.0f ms", c->name, run.ms);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(hostile_origins_get_a_class_in_bounded_time)
{
    static const char *const hostile[] = {"hostile_garbage", "hostile_slow_drip",
                                          "hostile_huge_record", "hostile_reset"};
    ck_assert(fx_tb_ready);
    for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
        tb_run run;
        json_t *result = NULL;
        fx_probe_case(&run, &result, &fx_tb, hostile[i], NULL);
        ck_assert_msg(!run.timed_out, "%s: the probe hung", hostile[i]);
        check_result_for_case(result, fx_case(&fx_tb, hostile[i]));
        ck_assert_int_eq(run.exit_code, 2);
        ck_assert_msg(run.ms < 15000, "%s: took %.0f ms", hostile[i], run.ms);
        json_decref(result);
        tb_run_free(&run);
    }
}
END_TEST

/* The evidence a remediation acts on, case by case. */
static json_t *probe_json(const char *name, tb_run *run)
{
    json_t *result = NULL;
    ck_assert(fx_tb_ready);
    fx_probe_case(run, &result, &fx_tb, name, NULL);
    ck_assert_msg(result != NULL, "%s: no JSON: %s", name, run->err);
    return result;
}

static json_t *leaf_of(const json_t *result)
{
    return json_array_get(json_object_get(json_object_get(result, "evidence"), "chain"), 0);
}

START_TEST(healthy_origin_evidence)
{
    tb_run run;
    json_t *result = probe_json("healthy", &run);
    json_t *evidence = json_object_get(result, "evidence");
    ck_assert_str_eq(json_str(evidence, "address"), "127.0.0.1");
    ck_assert(json_is_number(json_object_get(evidence, "connect_ms")));
    ck_assert(json_is_number(json_object_get(evidence, "handshake_ms")));
    ck_assert_ptr_nonnull(strstr(json_str(evidence, "protocol"), "TLSv1."));
    ck_assert_ptr_nonnull(json_str(evidence, "cipher"));
    ck_assert(json_is_null(json_object_get(evidence, "late_answer_ms")));
    json_t *leaf = leaf_of(result);
    ck_assert(json_array_has_string(json_object_get(leaf, "san"), "www.origin.test"));
    ck_assert(json_is_false(json_object_get(leaf, "is_ca")));
    json_t *settings = json_object_get(json_object_get(result, "target"), "settings");
    ck_assert_str_eq(json_str(settings, "ssl_cert_hostname"), "www.origin.test");
    ck_assert_int_eq(json_integer_value(json_object_get(settings, "connect_timeout")), 1000);
    ck_assert(json_array_has_string(json_object_get(json_object_get(result, "target"), "addresses"),
                                    "127.0.0.1"));
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(all_versions_origin_reports_every_protocol_it_accepts)
{
    tb_run run;
    json_t *result = probe_json("healthy_all_versions", &run);
    json_t *protocols = json_object_get(json_object_get(result, "evidence"), "protocols");
    static const char *const versions[] = {"1.0", "1.1", "1.2", "1.3"};
    for (size_t i = 0; i < 4 && json_is_object(protocols); i++) {
        json_t *v = json_object_get(protocols, versions[i]);
        ck_assert_msg(json_is_null(v) || json_is_true(v), "TLS %s reported refused", versions[i]);
    }
    json_decref(result);
    tb_run_free(&run);
    /* Where the probe does test versions, a TLS 1.3-only origin shows only 1.3. */
    result = probe_json("handshake_failure_tls13_only", &run);
    protocols = json_object_get(json_object_get(result, "evidence"), "protocols");
    ck_assert(json_is_object(protocols));
    ck_assert(json_is_true(json_object_get(protocols, "1.3")));
    ck_assert(json_is_false(json_object_get(protocols, "1.2")));
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(missing_intermediate_names_its_aia_url)
{
    tb_run run;
    json_t *result = probe_json("unable_to_verify_first_certificate", &run);
    char url[200];
    snprintf(url, sizeof(url), "%s/public-intermediate.der",
             json_str(fx_tb.manifest, "aia_base_url"));
    ck_assert_str_eq(json_str(leaf_of(result), "aia_issuer_url"), url);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(self_signed_cases_mark_the_self_signed_certificate)
{
    tb_run run;
    json_t *result = probe_json("self_signed_certificate", &run);
    ck_assert(json_is_true(json_object_get(leaf_of(result), "self_signed")));
    json_decref(result);
    tb_run_free(&run);
    result = probe_json("self_signed_certificate_in_chain", &run);
    json_t *chain = json_object_get(json_object_get(result, "evidence"), "chain");
    ck_assert(json_is_false(json_object_get(json_array_get(chain, 0), "self_signed")));
    json_t *root = json_array_get(chain, 2);
    ck_assert(json_is_true(json_object_get(root, "self_signed")));
    ck_assert(json_is_true(json_object_get(root, "is_ca")));
    ck_assert_ptr_nonnull(strstr(json_str(root, "subject"), "Testbed Private Root CA"));
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(ca_file_is_echoed_by_subject_and_fingerprint)
{
    tb_run run;
    json_t *result = probe_json("unable_to_get_issuer_certificate", &run);
    json_t *ca = json_object_get(json_object_get(json_object_get(result, "target"), "settings"),
                                 "ssl_ca_cert");
    ck_assert_uint_eq(json_array_size(ca), 1);
    ck_assert_ptr_nonnull(
        strstr(json_str(json_array_get(ca, 0), "subject"), "Testbed Private Intermediate CA"));
    ck_assert_uint_eq(strlen(json_str(json_array_get(ca, 0), "sha256")), 64);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(expired_leaf_ended_in_the_past)
{
    char now[32];
    time_t t = time(NULL);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    tb_run run;
    json_t *result = probe_json("certificate_expired", &run);
    ck_assert_msg(strcmp(json_str(leaf_of(result), "not_after"), now) < 0, "not_after %s",
                  json_str(leaf_of(result), "not_after"));
    json_decref(result);
    tb_run_free(&run);
    result = probe_json("healthy", &run);
    ck_assert(strcmp(json_str(leaf_of(result), "not_after"), now) > 0);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(slow_origin_late_answer_is_measured)
{
    tb_run run;
    json_t *result = probe_json("slow_handshake", &run);
    json_t *late = json_object_get(json_object_get(result, "evidence"), "late_answer_ms");
    ck_assert_msg(json_is_number(late), "late_answer_ms missing");
    double ms = json_number_value(late);
    ck_assert_msg(ms >= 1300 && ms <= 6000, "late_answer_ms %.0f, want about 1500", ms);
    json_decref(result);
    tb_run_free(&run);
    /* A silent origin never answers: no late answer to report. */
    result = probe_json("connection_timeout_silent", &run);
    late = json_object_get(json_object_get(result, "evidence"), "late_answer_ms");
    ck_assert(json_is_null(late));
    json_decref(result);
    tb_run_free(&run);
    /* Given connect_timeout 3000, the same slow origin is fine. */
    result = probe_json("slow_handshake_patient", &run);
    ck_assert_str_eq(json_str(result, "class"), "ok");
    double handshake_ms =
        json_number_value(json_object_get(json_object_get(result, "evidence"), "handshake_ms"));
    ck_assert_msg(handshake_ms >= 1300, "handshake took %.0f ms", handshake_ms);
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(unreachable_origins_have_no_handshake)
{
    static const char *const names[] = {"dns_failure", "connection_refused",
                                        "connection_timeout_backlog"};
    for (size_t i = 0; i < 3; i++) {
        tb_run run;
        json_t *result = probe_json(names[i], &run);
        json_t *evidence = json_object_get(result, "evidence");
        ck_assert(json_is_null(json_object_get(evidence, "handshake_ms")));
        ck_assert(json_is_null(json_object_get(evidence, "protocol")));
        ck_assert(json_is_null(json_object_get(evidence, "connect_ms")));
        if (i == 0) {
            ck_assert_uint_eq(
                json_array_size(json_object_get(json_object_get(result, "target"), "addresses")),
                0);
            ck_assert(json_is_null(json_object_get(evidence, "address")));
            ck_assert_msg(run.ms < 2000, ".invalid answered in %.0f ms", run.ms);
        } else {
            ck_assert_str_eq(json_str(evidence, "address"), "127.0.0.1");
        }
        json_decref(result);
        tb_run_free(&run);
    }
}
END_TEST

START_TEST(alerts_are_named)
{
    tb_run run;
    json_t *result = probe_json("tlsv1_alert_internal_error", &run);
    json_t *alert = json_object_get(json_object_get(result, "evidence"), "alert");
    ck_assert_int_eq(json_integer_value(json_object_get(alert, "code")), 80);
    ck_assert_str_eq(json_str(alert, "name"), "internal_error");
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

START_TEST(no_check_cert_accepts_what_the_verifier_refuses)
{
    static const char *const no_check[] = {"--no-check-cert", NULL};
    tb_run run;
    json_t *result = NULL;
    ck_assert(fx_tb_ready);
    fx_probe_case(&run, &result, &fx_tb, "self_signed_certificate", no_check);
    ck_assert_msg(result != NULL, "no JSON: %s", run.err);
    ck_assert_str_eq(json_str(result, "class"), "ok");
    ck_assert_int_eq(run.exit_code, 0);
    json_decref(result);
    tb_run_free(&run);
    /* Not a blanket pass: a refused connection stays refused. */
    fx_probe_case(&run, &result, &fx_tb, "connection_refused", no_check);
    ck_assert_str_eq(json_str(result, "class"), "connection_refused");
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

/* A SAN entry keeps its type: an address written as a DNS name is not an IP entry. */
START_TEST(san_entries_carry_their_types)
{
    tb_run run;
    json_t *result = probe_json("dns_typed_ip_san", &run);
    json_t *leaf = leaf_of(result);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(leaf, "san"), 0)),
                     "127.0.0.1");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(leaf, "san_types"), 0)),
                     "DNS");
    json_decref(result);
    tb_run_free(&run);
    result = probe_json("unsuitable_certificate_purpose", &run);
    ck_assert_str_eq(json_str(leaf_of(result), "ext_key_usage"), "clientAuth");
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

/* The address of a per_address entry, and its class. */
static const char *per_address(const json_t *result, size_t i, const char **class_id)
{
    json_t *entry =
        json_array_get(json_object_get(json_object_get(result, "evidence"), "per_address"), i);
    *class_id = json_str(entry, "class");
    return json_str(entry, "address");
}

/* Every address of a name is probed, in Fastly's order; the first decides the class. */
START_TEST(every_address_is_probed_in_fastly_order)
{
    const char *class_id = NULL;
    tb_run run;
    json_t *result = probe_json("addresses_ipv4_first", &run);
    ck_assert_str_eq(json_str(json_object_get(result, "evidence"), "address"), "127.0.0.1");
    ck_assert_str_eq(per_address(result, 0, &class_id), "127.0.0.1");
    ck_assert_str_eq(class_id, "hostname_mismatch");
    ck_assert_str_eq(per_address(result, 1, &class_id), "::1");
    ck_assert_str_eq(class_id, "ok");
    ck_assert(json_is_false(json_object_get(
        json_object_get(json_object_get(result, "target"), "settings"), "prefer_ipv6")));
    json_decref(result);
    tb_run_free(&run);

    result = probe_json("addresses_prefer_ipv6", &run);
    ck_assert_str_eq(json_str(json_object_get(result, "evidence"), "address"), "::1");
    ck_assert_str_eq(per_address(result, 0, &class_id), "::1");
    ck_assert_str_eq(per_address(result, 1, &class_id), "127.0.0.1");
    ck_assert_str_eq(class_id, "hostname_mismatch");
    ck_assert_int_eq(run.exit_code, 0);
    json_decref(result);
    tb_run_free(&run);

    /* A silent IPv6 address costs the time of one timeout, not one per address. */
    result = probe_json("addresses_ipv6_silent", &run);
    ck_assert_str_eq(per_address(result, 1, &class_id), "::1");
    ck_assert_str_eq(class_id, "connection_timeout");
    ck_assert_msg(run.ms < 8000, "took %.0f ms", run.ms);
    json_decref(result);
    tb_run_free(&run);

    result = probe_json("addresses_one_refuses", &run);
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(result, "target"), "addresses")), 3);
    ck_assert_str_eq(per_address(result, 1, &class_id), "127.0.0.2");
    ck_assert_str_eq(class_id, "connection_refused");
    ck_assert_str_eq(per_address(result, 2, &class_id), "::1");
    json_decref(result);
    tb_run_free(&run);
}
END_TEST

Suite *probe_cases_suite(void)
{
    Suite *s = suite_create("probe_cases");
    TCase *tc = tcase_create("cases");
    tcase_add_unchecked_fixture(tc, fx_setup, fx_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, probe_names_the_case, 0, sizeof(cases) / sizeof(cases[0]));
    tcase_add_test(tc, hostile_origins_get_a_class_in_bounded_time);
    tcase_add_test(tc, healthy_origin_evidence);
    tcase_add_test(tc, all_versions_origin_reports_every_protocol_it_accepts);
    tcase_add_test(tc, missing_intermediate_names_its_aia_url);
    tcase_add_test(tc, self_signed_cases_mark_the_self_signed_certificate);
    tcase_add_test(tc, ca_file_is_echoed_by_subject_and_fingerprint);
    tcase_add_test(tc, expired_leaf_ended_in_the_past);
    tcase_add_test(tc, slow_origin_late_answer_is_measured);
    tcase_add_test(tc, unreachable_origins_have_no_handshake);
    tcase_add_test(tc, alerts_are_named);
    tcase_add_test(tc, no_check_cert_accepts_what_the_verifier_refuses);
    tcase_add_test(tc, certificate_error_comes_before_a_client_certificate_refusal);
    tcase_add_test(tc, san_entries_carry_their_types);
    tcase_add_test(tc, every_address_is_probed_in_fastly_order);
    suite_add_tcase(s, tc);
    return s;
}
