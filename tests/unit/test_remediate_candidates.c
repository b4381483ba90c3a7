/* The pure planner, class by class (README.md's table): which changes it proposes, in which
 * order, with which safety, and what it asks to gather. No sockets. */
#include <check.h>
#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_fixture.h"

Suite *remediate_candidates_suite(void);

static fo_candidates cands;
static fo_error err;

static void setup(void)
{
    memset(&cands, 0, sizeof(cands));
    fo_error_clear(&err);
}

static void teardown(void)
{
    fo_candidates_clear(&cands);
}

/* Plans for backend b seeing d, with domains and options; asserts success. */
static void plan(const fo_backend *b, const fo_diagnosis *d, const fo_remediate_options *opt,
                 const fo_gathered *g, const char *const *domains, size_t domain_count)
{
    fo_candidates_clear(&cands);
    fo_candidates_input in = {.backend = b,
                              .diagnosis = d,
                              .domains = domains,
                              .domain_count = domain_count,
                              .options = opt,
                              .gathered = g};
    ck_assert_int_eq(fo_remediate_candidates(&cands, &in, &err), 0);
    ck_assert_ptr_nonnull(cands.advice);
}

static const fo_change *change_of(const fo_fix *fix, const char *field)
{
    for (size_t i = 0; i < fix->change_count; i++) {
        if (strcmp(fix->changes[i].field, field) == 0)
            return &fix->changes[i];
    }
    return NULL;
}

static void assert_change(const fo_fix *fix, const char *field, const char *from, const char *to)
{
    const fo_change *c = change_of(fix, field);
    ck_assert_msg(c != NULL, "no change of %s in '%s'", field, fix->summary);
    if (from)
        ck_assert_str_eq(c->from, from);
    else
        ck_assert_ptr_null(c->from);
    if (to)
        ck_assert_str_eq(c->to, to);
    else
        ck_assert_ptr_null(c->to);
}

/* ---- names ---- */

START_TEST(mismatch_proposes_a_name_of_the_same_registrable_domain)
{
    fo_cert_list *leaf = rt_leaf("other.origin.test", "DNS:other.origin.test", NULL);
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    d->facts.needs_sni = FO_UNTESTED;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1); /* SNI already names the cert hostname */
    assert_change(&cands.fixes[0], "ssl_cert_hostname", "www.origin.test", "other.origin.test");
    ck_assert_uint_eq(cands.fixes[0].change_count, 1);
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);
    ck_assert(cands.fixes[0].allowed);
    ck_assert_ptr_null(cands.fixes[0].consent);
    ck_assert_str_eq(cands.fixes[0].summary, "set ssl_cert_hostname to other.origin.test");
    ck_assert_ptr_nonnull(strstr(cands.fixes[0].reason, "shares the registrable domain "
                                                        "origin.test with the SNI name"));
    ck_assert_uint_eq(cands.needs, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "covers other.origin.test, not www.origin.test"));
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(mismatch_without_sni_tries_sni_first)
{
    fo_cert_list *leaf = rt_leaf("default.origin.test", "DNS:default.origin.test", NULL);
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", NULL);
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    d->facts.needs_sni = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 2);
    assert_change(&cands.fixes[0], "ssl_sni_hostname", NULL, "www.origin.test");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);
    ck_assert_ptr_nonnull(strstr(cands.fixes[0].reason, "Without SNI"));
    /* Then the name the certificate covers; nothing the backend trusts (an IP address, no
     * SNI, no domains) vouches for it, so only by consent. */
    assert_change(&cands.fixes[1], "ssl_cert_hostname", "www.origin.test", "default.origin.test");
    ck_assert_int_eq(cands.fixes[1].safety, FO_SAFETY_CONSENT);

    /* The probe showed SNI changes nothing: no SNI candidate. */
    d->facts.needs_sni = FO_NO;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_ptr_null(change_of(&cands.fixes[0], "ssl_sni_hostname"));
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(an_unrelated_name_needs_consent)
{
    fo_cert_list *leaf = rt_leaf("cdn.example.net", "DNS:cdn.example.net", NULL);
    fo_backend *b = rt_backend("origin.shop.test", "origin.shop.test", "origin.shop.test");
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    const fo_fix *fix = &cands.fixes[0];
    assert_change(fix, "ssl_cert_hostname", "origin.shop.test", "cdn.example.net");
    ck_assert_int_eq(fix->safety, FO_SAFETY_CONSENT);
    ck_assert(!fix->allowed);
    ck_assert_str_eq(fix->consent, "--accept-cert-hostname cdn.example.net");
    ck_assert_ptr_nonnull(strstr(fix->reason, "trusting it trusts whoever holds"));

    /* The user's consent for that very name allows it; for another name it does not. */
    const char *other[] = {"cdn.example.org"};
    fo_remediate_options opt = {.accept_cert_hostnames = other, .accept_count = 1};
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(!cands.fixes[0].allowed);
    const char *names[] = {"CDN.example.net"};
    opt.accept_cert_hostnames = names;
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert(cands.fixes[0].allowed);
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_CONSENT);
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(a_wildcard_certificate_gets_a_concrete_name_of_the_service)
{
    fo_cert_list *leaf = rt_leaf("*.shop.test", "DNS:*.shop.test", NULL);
    fo_backend *b = rt_backend("10.0.0.7", "origin.example.com", NULL);
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    d->facts.needs_sni = FO_NO;
    const char *domains[] = {"www.example.com", "api.shop.test"};
    plan(b, d, NULL, NULL, domains, 2);
    ck_assert_uint_eq(cands.count, 1); /* never "*.shop.test" itself */
    assert_change(&cands.fixes[0], "ssl_cert_hostname", "origin.example.com", "api.shop.test");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);
    ck_assert_ptr_nonnull(strstr(cands.fixes[0].reason, "is a domain of the service"));

    /* No name of the service under the wildcard: nothing to propose, advice instead. */
    plan(b, d, NULL, NULL, domains, 1);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "--accept-cert-hostname"));
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(missing_cert_hostname_sets_sni_with_it_when_needed)
{
    fo_cert_list *leaf = rt_leaf("www.shop.test", "DNS:www.shop.test", NULL);
    fo_backend *b = rt_backend("www.shop.test", NULL, NULL);
    fo_diagnosis *d = rt_diag(FO_CLASS_MISSING_CERT_HOSTNAME, FO_OUTCOME_OK, leaf->certs, 1);
    d->facts.needs_sni = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 2);
    assert_change(&cands.fixes[0], "ssl_cert_hostname", NULL, "www.shop.test");
    assert_change(&cands.fixes[0], "ssl_sni_hostname", NULL, "www.shop.test");
    ck_assert_str_eq(cands.fixes[0].summary,
                     "set ssl_cert_hostname and ssl_sni_hostname to www.shop.test");
    ck_assert_uint_eq(cands.fixes[1].change_count, 1);
    ck_assert_ptr_nonnull(strstr(cands.fixes[0].reason, "is the backend's address"));

    /* With SNI already set, only the cert hostname. */
    fo_backend_free(b);
    b = rt_backend("www.shop.test", NULL, "www.shop.test");
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_uint_eq(cands.fixes[0].change_count, 1);
    assert_change(&cands.fixes[0], "ssl_cert_hostname", NULL, "www.shop.test");
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(a_handshake_that_needs_sni_gets_it)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", NULL);
    fo_diagnosis *d = rt_diag(FO_CLASS_HANDSHAKE_FAILURE, FO_OUTCOME_ALERT, NULL, 0);
    d->facts.alert = 40;
    d->facts.needs_sni = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "ssl_sni_hostname", NULL, "www.origin.test");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);

    /* Not shown to help: no SNI candidate, advice about the origin's TLS. */
    d->facts.needs_sni = FO_NO;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "update the origin's TLS configuration"));
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

/* ---- chains ---- */

START_TEST(leaf_alone_asks_for_its_aia_issuer_then_proposes_it)
{
    const rt_pki *pki = rt_pki_get();
    fo_cert_list *leaf =
        rt_leaf("www.origin.test", "DNS:www.origin.test", "http://127.0.0.1:9/int.der");
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_diagnosis *d =
        rt_diag(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE, FO_OUTCOME_OK, leaf->certs, 1);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, FO_NEED_AIA);
    ck_assert_uint_eq(cands.aia_url_count, 1);
    ck_assert_str_eq(cands.aia_urls[0], "http://127.0.0.1:9/int.der");

    const char *tried[] = {"http://127.0.0.1:9/int.der"};
    fo_gathered g = {.issuers = pki->intermediate->certs,
                     .issuer_count = 1,
                     .tried_urls = tried,
                     .tried_url_count = 1};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_uint_eq(cands.aia_url_count, 0); /* fetched already */
    const fo_fix *fix = &cands.fixes[0];
    assert_change(fix, "ssl_ca_cert", NULL, pki->intermediate_pem);
    ck_assert_int_eq(fix->safety, FO_SAFETY_SAFE);
    ck_assert_uint_eq(fix->changes[0].to_cert_count, 1);
    ck_assert_str_eq(fix->changes[0].to_certs[0].subject, "CN=Test Intermediate CA");
    ck_assert_str_eq(fix->changes[0].to_certs[0].sha256, pki->intermediate->certs[0].sha256);
    ck_assert_str_eq(fix->note, "The origin should serve its full chain (certificate and "
                                "intermediate).");

    /* A fetch that failed is not asked for again: the advice names the full chain. */
    g.issuer_count = 0;
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "serve the full chain"));
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(a_self_signed_ca_from_the_aia_url_is_never_trusted_on_its_own)
{
    /* The origin's certificate names a URL serving a self-signed CA: in ssl_ca_cert it would
     * be a trust anchor and pass any proof, so it is not a fix, safe or otherwise. */
    const rt_pki *pki = rt_pki_get();
    fo_cert_list *leaf =
        rt_leaf("www.origin.test", "DNS:www.origin.test", "http://127.0.0.1:9/int.der");
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_diagnosis *d =
        rt_diag(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE, FO_OUTCOME_OK, leaf->certs, 1);
    /* Named as the leaf's issuer, but self-signed. */
    fo_cert_facts forged = pki->self_signed->certs[0];
    forged.subject = pki->intermediate->certs[0].subject;
    const char *tried[] = {"http://127.0.0.1:9/int.der"};
    fo_gathered g = {
        .issuers = &forged, .issuer_count = 1, .tried_urls = tried, .tried_url_count = 1};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "serves the self-signed CA CN=Test Intermediate "
                                               "CA"));
    /* With the real intermediate beside it, the intermediate is proposed. */
    fo_cert_facts both[2] = {forged, pki->intermediate->certs[0]};
    g.issuers = both;
    g.issuer_count = 2;
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);
    ck_assert_str_eq(cands.fixes[0].changes[0].to_certs[0].sha256,
                     pki->intermediate->certs[0].sha256);
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(existing_ssl_ca_cert_is_kept_and_not_repeated)
{
    const rt_pki *pki = rt_pki_get();
    fo_cert_list *leaf = rt_leaf("www.origin.test", "DNS:www.origin.test", "http://x/int.der");
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    b->ssl_ca_cert = strdup(pki->root_pem);
    fo_diagnosis *d =
        rt_diag(FO_CLASS_UNABLE_TO_VERIFY_FIRST_CERTIFICATE, FO_OUTCOME_OK, leaf->certs, 1);
    /* The gathered list holds the intermediate and (again) the root already trusted. */
    fo_cert_facts issuers[2] = {pki->intermediate->certs[0], pki->root->certs[0]};
    const char *tried[] = {"http://x/int.der"};
    fo_gathered g = {
        .issuers = issuers, .issuer_count = 2, .tried_urls = tried, .tried_url_count = 1};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    const fo_change *c = &cands.fixes[0].changes[0];
    ck_assert_uint_eq(c->from_cert_count, 1);
    ck_assert_uint_eq(c->to_cert_count, 2);
    ck_assert_str_eq(c->to_certs[0].subject, "CN=Test Root CA");
    ck_assert_str_eq(c->to_certs[1].subject, "CN=Test Intermediate CA");
    ck_assert_int_eq(strncmp(c->to, pki->root_pem, strlen(pki->root_pem)), 0);
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(missing_issuer_comes_from_aia_or_ca_file)
{
    const rt_pki *pki = rt_pki_get();
    fo_cert_list *leaf = rt_leaf("www.origin.test", "DNS:www.origin.test", NULL);
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    b->ssl_ca_cert = strdup(pki->intermediate_pem);
    fo_diagnosis *d =
        rt_diag(FO_CLASS_UNABLE_TO_GET_ISSUER_CERTIFICATE, FO_OUTCOME_OK, leaf->certs, 1);
    /* The intermediate's own AIA URL names its issuer. */
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, FO_NEED_AIA);
    ck_assert_str_eq(cands.aia_urls[0], "http://127.0.0.1:9/root.der");
    ck_assert_ptr_nonnull(strstr(cands.advice, "holds CN=Test Intermediate CA but not its "
                                               "issuer CN=Test Root CA"));
    /* It serves a self-signed root Fastly does not trust: trusting it is the user's call, so
     * nothing is proposed and the advice names it. */
    const char *tried[] = {"http://127.0.0.1:9/root.der"};
    fo_gathered g = {
        .issuers = pki->root->certs, .issuer_count = 1, .tried_urls = tried, .tried_url_count = 1};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "serves the self-signed CA CN=Test Root CA"));
    ck_assert_ptr_nonnull(strstr(cands.advice, pki->root->certs[0].sha256));
    ck_assert_ptr_nonnull(strstr(cands.advice, "pass it with --ca-file"));

    /* From --ca-file instead: the user's certificates, so consent given by the flag. */
    g.issuer_count = 0;
    fo_remediate_options opt = {.ca_file_pem = pki->root_pem};
    plan(b, d, &opt, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_CONSENT);
    ck_assert(cands.fixes[0].allowed);
    ck_assert_str_eq(cands.fixes[0].consent, "--ca-file");
    ck_assert_str_eq(cands.fixes[0].changes[0].to_certs[1].subject, "CN=Test Root CA");
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(a_self_signed_origin_needs_consent)
{
    const rt_pki *pki = rt_pki_get();
    fo_backend *b = rt_backend("127.0.0.1", "self.origin.test", "self.origin.test");
    fo_diagnosis *d =
        rt_diag(FO_CLASS_SELF_SIGNED_CERTIFICATE, FO_OUTCOME_OK, pki->self_signed->certs, 1);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    const fo_fix *fix = &cands.fixes[0];
    assert_change(fix, "ssl_ca_cert", NULL, pki->self_signed_pem);
    ck_assert_int_eq(fix->safety, FO_SAFETY_CONSENT);
    ck_assert(!fix->allowed);
    ck_assert_str_eq(fix->consent, "--trust-presented-ca");
    ck_assert_ptr_nonnull(strstr(fix->reason, pki->self_signed->certs[0].sha256));

    fo_remediate_options opt = {.trust_presented_ca = true};
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(cands.fixes[0].allowed);

    /* Pinned to its fingerprint, as users write it (upper case, ':' between pairs): allowed. */
    const char *sha = pki->self_signed->certs[0].sha256;
    char pinned[100] = "";
    for (size_t i = 0; sha[i]; i += 2)
        fo_str_appendf(pinned, sizeof(pinned), "%s%c%c", i ? ":" : "",
                       toupper((unsigned char)sha[i]), toupper((unsigned char)sha[i + 1]));
    unsigned char bytes[FO_SHA256_LEN];
    ck_assert_int_eq(fo_sha256_parse(bytes, pinned, NULL), 0);
    opt.trust_presented_sha256 = pinned;
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(cands.fixes[0].allowed);
    /* Pinned to another certificate: the one presented now is not trusted. */
    opt.trust_presented_sha256 = pki->root->certs[0].sha256;
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert(!cands.fixes[0].allowed);
    ck_assert_ptr_nonnull(strstr(cands.advice, "not the certificate --trust-presented-ca names"));
    /* Pinned to the same one in fixorigin's own spelling, or with ':' only: allowed too. */
    opt.trust_presented_sha256 = sha;
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(cands.fixes[0].allowed);
    /* A pin that is no fingerprint never matches (the CLI and saved plans refuse it first). */
    char shorter[70];
    snprintf(shorter, sizeof(shorter), "%.62s", sha);
    opt.trust_presented_sha256 = shorter;
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(!cands.fixes[0].allowed);

    /* --ca-file comes first, and allowed; the presented one still waits for its flag. */
    opt = (fo_remediate_options){.ca_file_pem = pki->root_pem};
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 2);
    ck_assert_str_eq(cands.fixes[0].consent, "--ca-file");
    ck_assert(cands.fixes[0].allowed);
    ck_assert(!cands.fixes[1].allowed);
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

START_TEST(a_presented_root_or_top_ca_is_the_consent_candidate)
{
    const rt_pki *pki = rt_pki_get();
    fo_cert_list *leaf = rt_leaf("www.origin.test", "DNS:www.origin.test", NULL);
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_cert_facts chain[3] = {leaf->certs[0], pki->intermediate->certs[0], pki->root->certs[0]};
    fo_diagnosis *d = rt_diag(FO_CLASS_SELF_SIGNED_CERTIFICATE_IN_CHAIN, FO_OUTCOME_OK, chain, 3);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_str_eq(cands.fixes[0].changes[0].to_certs[0].subject, "CN=Test Root CA");

    /* A chain ending at an intermediate: trust the top CA presented. */
    rt_diag_free(d);
    d = rt_diag(FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE, FO_OUTCOME_OK, chain, 2);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    ck_assert_str_eq(cands.fixes[0].changes[0].to_certs[0].subject, "CN=Test Intermediate CA");

    /* Only the leaf presented: no CA to trust, --ca-file advised. */
    rt_diag_free(d);
    d = rt_diag(FO_CLASS_UNABLE_TO_GET_LOCAL_ISSUER_CERTIFICATE, FO_OUTCOME_OK, chain, 1);
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "pass --ca-file"));
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

/* ---- connections and handshakes ---- */

START_TEST(a_late_answer_raises_connect_timeout_with_margin)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    fo_diagnosis *d = rt_diag(FO_CLASS_CONNECTION_TIMEOUT, FO_OUTCOME_HANDSHAKE_TIMEOUT, NULL, 0);
    d->facts.late_answer_ms = 1498.2;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "connect_timeout", "1000", "2500");
    ck_assert_str_eq(cands.fixes[0].summary, "raise connect_timeout to 2500 ms");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);

    /* Beyond what fixorigin sets: advice only. */
    d->facts.late_answer_ms = 7000;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "answered only after 7000 ms"));

    /* No answer at all: advice only. */
    d->facts.late_answer_ms = -1;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "did not answer within 1000 ms"));
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

START_TEST(tls_versions_widen_to_what_the_origin_accepts)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    b->max_tls_version = strdup("1.2");
    fo_diagnosis *d = rt_diag(FO_CLASS_HANDSHAKE_FAILURE, FO_OUTCOME_ALERT, NULL, 0);
    d->facts.protocols[3] = FO_YES; /* 1.3 only */
    d->facts.protocols[0] = d->facts.protocols[1] = d->facts.protocols[2] = FO_NO;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "max_tls_version", "1.2", "1.3");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);

    /* An origin stuck at TLS 1.1 below min 1.2: lowering min is a downgrade. */
    free(b->max_tls_version);
    b->max_tls_version = NULL;
    b->min_tls_version = strdup("1.2");
    d->facts.protocols[3] = FO_NO;
    d->facts.protocols[1] = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "min_tls_version", "1.2", "1.1");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_DOWNGRADE);
    ck_assert(!cands.fixes[0].allowed);
    ck_assert_str_eq(cands.fixes[0].consent, "--allow-downgrade");
    fo_remediate_options opt = {.allow_downgrade = true};
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert(cands.fixes[0].allowed);

    /* Lowering the minimum from 1.3 to 1.2 weakens TLS too: a downgrade as well. */
    free(b->min_tls_version);
    b->min_tls_version = strdup("1.3");
    d->facts.protocols[1] = FO_NO;
    d->facts.protocols[2] = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "min_tls_version", "1.3", "1.2");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_DOWNGRADE);
    ck_assert(!cands.fixes[0].allowed);

    /* A version in common: the versions are not the problem. */
    free(b->min_tls_version);
    b->min_tls_version = strdup("1.2");
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

START_TEST(ciphers_add_the_one_the_origin_picks)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    b->ssl_ciphers = strdup("ECDHE-ECDSA-AES256-GCM-SHA384");
    fo_diagnosis *d = rt_diag(FO_CLASS_HANDSHAKE_FAILURE, FO_OUTCOME_ALERT, NULL, 0);
    d->facts.protocols[2] = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, FO_NEED_WITHOUT_CIPHERS);

    fo_diagnosis *open = rt_diag(FO_CLASS_OK, FO_OUTCOME_OK, NULL, 0);
    open->facts.protocol = (char *)"TLSv1.2";
    open->facts.cipher = (char *)"ECDHE-ECDSA-CHACHA20-POLY1305";
    fo_gathered g = {.without_ciphers = open};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    assert_change(&cands.fixes[0], "ssl_ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384",
                  "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305");
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_SAFE);

    /* A TLS 1.2 cipher without forward secrecy or without an AEAD mode is a downgrade. */
    static const char *const weak[] = {"AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                                       "AES256-SHA256"};
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        open->facts.cipher = (char *)weak[i];
        plan(b, d, NULL, &g, NULL, 0);
        ck_assert_uint_eq(cands.count, 1);
        ck_assert_msg(cands.fixes[0].safety == FO_SAFETY_DOWNGRADE, "%s", weak[i]);
        ck_assert_ptr_nonnull(strstr(cands.fixes[0].reason, "without forward secrecy"));
    }
    open->facts.cipher = (char *)"ECDHE-ECDSA-CHACHA20-POLY1305";

    /* At TLS 1.0 the cipher is a downgrade. */
    open->facts.protocol = (char *)"TLSv1";
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_int_eq(cands.fixes[0].safety, FO_SAFETY_DOWNGRADE);

    /* Without the list it fails too: not the ciphers. */
    open->facts.outcome = FO_OUTCOME_ALERT;
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, 0);
    rt_diag_free(open);
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

START_TEST(plain_http_on_the_tls_port_is_a_downgrade_to_port_80)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", "www.origin.test");
    b->port = 8443;
    fo_diagnosis *d = rt_diag(FO_CLASS_UNKNOWN_PROTOCOL, FO_OUTCOME_NOT_TLS, NULL, 0);
    d->facts.plain_http = FO_YES;
    plan(b, d, NULL, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_uint_eq(cands.needs, FO_NEED_PORT80);

    fo_diagnosis *port80 = rt_diag(FO_CLASS_OK, FO_OUTCOME_OK, NULL, 0);
    port80->facts.plain_http = FO_YES;
    fo_gathered g = {.port80 = port80};
    plan(b, d, NULL, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 1);
    const fo_fix *fix = &cands.fixes[0];
    assert_change(fix, "use_ssl", "true", "false");
    assert_change(fix, "port", "8443", "80");
    ck_assert_int_eq(fix->safety, FO_SAFETY_DOWNGRADE);
    ck_assert(!fix->allowed);
    fo_remediate_options opt = {.allow_downgrade = true};
    plan(b, d, &opt, &g, NULL, 0);
    ck_assert(cands.fixes[0].allowed);

    /* Nothing answers on port 80: no candidate. */
    port80->verdict.class = FO_CLASS_CONNECTION_REFUSED;
    plan(b, d, &opt, &g, NULL, 0);
    ck_assert_uint_eq(cands.count, 0);
    ck_assert_ptr_nonnull(strstr(cands.advice, "does not speak TLS on port 8443"));
    rt_diag_free(port80);
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

/* ---- a person ---- */

START_TEST(what_only_a_person_can_fix_gets_advice_and_no_change)
{
    fo_cert_list *leaf = rt_leaf("www.origin.test", "DNS:www.origin.test", NULL);
    fo_backend *b = rt_backend("origin.shop.test", "www.origin.test", "www.origin.test");
    static const struct {
        fo_class class;
        fo_outcome outcome;
        const char *advice;
    } cases[] = {
        {FO_CLASS_CERTIFICATE_EXPIRED, FO_OUTCOME_OK, "Renew the origin's certificate"},
        {FO_CLASS_DNS_FAILURE, FO_OUTCOME_DNS_FAILURE, "Fix DNS: origin.shop.test"},
        {FO_CLASS_CONNECTION_REFUSED, FO_OUTCOME_CONNECT_REFUSED,
         "allow Fastly's address ranges (/public-ip-list)"},
        {FO_CLASS_RC4_CIPHER, FO_OUTCOME_ALERT, "offers only RC4"},
        {FO_CLASS_TLSV1_ALERT_INTERNAL_ERROR, FO_OUTCOME_ALERT, "internal_error alert"},
        {FO_CLASS_CERTIFICATE_NOT_YET_VALID, FO_OUTCOME_OK, "renewing will not help"},
        {FO_CLASS_UNSUITABLE_CERTIFICATE_PURPOSE, FO_OUTCOME_OK, "get one with serverAuth"},
        {FO_CLASS_NAME_CONSTRAINTS_VIOLATION, FO_OUTCOME_OK, "may not certify its names"},
        {FO_CLASS_INVALID_CA, FO_OUTCOME_OK, "is not a CA certificate"},
        {FO_CLASS_UNHANDLED_CRITICAL_EXTENSION, FO_OUTCOME_OK, "reissued without it"},
        {FO_CLASS_CERTIFICATE_REVOKED, FO_OUTCOME_OK, "has been revoked"},
        {FO_CLASS_KEY_TOO_SMALL, FO_OUTCOME_OK, "RSA 2048+"},
        {FO_CLASS_CA_MD_TOO_WEAK, FO_OUTCOME_OK, "SHA-256"},
        {FO_CLASS_CERTIFICATE_ERROR, FO_OUTCOME_OK, "fails verification"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fo_diagnosis *d = rt_diag(cases[i].class, cases[i].outcome, leaf->certs, 1);
        plan(b, d, NULL, NULL, NULL, 0);
        ck_assert_msg(cands.count == 0, "%s got a candidate", fo_class_id(cases[i].class));
        ck_assert_uint_eq(cands.needs, 0);
        ck_assert_msg(strstr(cands.advice, cases[i].advice), "%s: advice '%s'",
                      fo_class_id(cases[i].class), cands.advice);
        rt_diag_free(d);
    }
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(allowed_candidates_come_first)
{
    /* Two names the certificate covers: one unrelated (consent, not given), then one the
     * user accepted: the accepted one is proven first. */
    fo_cert_list *leaf = rt_leaf("a.example.net", "DNS:a.example.net,DNS:b.example.org", NULL);
    fo_backend *b = rt_backend("10.1.1.1", "origin.shop.test", "origin.shop.test");
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    d->facts.needs_sni = FO_NO;
    const char *names[] = {"b.example.org"};
    fo_remediate_options opt = {.accept_cert_hostnames = names, .accept_count = 1};
    plan(b, d, &opt, NULL, NULL, 0);
    ck_assert_uint_eq(cands.count, 2);
    assert_change(&cands.fixes[0], "ssl_cert_hostname", "origin.shop.test", "b.example.org");
    ck_assert(cands.fixes[0].allowed);
    ck_assert(!cands.fixes[1].allowed);
    rt_diag_free(d);
    fo_backend_free(b);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(bad_input_is_refused)
{
    fo_backend *b = rt_backend("127.0.0.1", "www.origin.test", NULL);
    fo_candidates_input in = {.backend = b};
    ck_assert_int_eq(fo_remediate_candidates(&cands, &in, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "no backend or diagnosis to plan for");
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, NULL, 0);
    free(b->max_tls_version);
    b->max_tls_version = strdup("1.7");
    in.diagnosis = d;
    ck_assert_int_eq(fo_remediate_candidates(&cands, &in, &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "max_tls_version '1.7' is not a TLS version");
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

Suite *remediate_candidates_suite(void)
{
    Suite *s = suite_create("remediate_candidates");
    TCase *tc = tcase_create("candidates");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mismatch_proposes_a_name_of_the_same_registrable_domain);
    tcase_add_test(tc, mismatch_without_sni_tries_sni_first);
    tcase_add_test(tc, an_unrelated_name_needs_consent);
    tcase_add_test(tc, a_wildcard_certificate_gets_a_concrete_name_of_the_service);
    tcase_add_test(tc, missing_cert_hostname_sets_sni_with_it_when_needed);
    tcase_add_test(tc, a_handshake_that_needs_sni_gets_it);
    tcase_add_test(tc, leaf_alone_asks_for_its_aia_issuer_then_proposes_it);
    tcase_add_test(tc, a_self_signed_ca_from_the_aia_url_is_never_trusted_on_its_own);
    tcase_add_test(tc, existing_ssl_ca_cert_is_kept_and_not_repeated);
    tcase_add_test(tc, missing_issuer_comes_from_aia_or_ca_file);
    tcase_add_test(tc, a_self_signed_origin_needs_consent);
    tcase_add_test(tc, a_presented_root_or_top_ca_is_the_consent_candidate);
    tcase_add_test(tc, a_late_answer_raises_connect_timeout_with_margin);
    tcase_add_test(tc, tls_versions_widen_to_what_the_origin_accepts);
    tcase_add_test(tc, ciphers_add_the_one_the_origin_picks);
    tcase_add_test(tc, plain_http_on_the_tls_port_is_a_downgrade_to_port_80);
    tcase_add_test(tc, what_only_a_person_can_fix_gets_advice_and_no_change);
    tcase_add_test(tc, allowed_candidates_come_first);
    tcase_add_test(tc, bad_input_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
