/* Results and their order, the plan's identity, and the words a plan shows: field diffs and
 * evidence lines. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_fixture.h"

Suite *remediate_results_suite(void);

START_TEST(severity_is_error_rolled_back_human_conflict_planned_ok)
{
    /* 1 > 3 > 5 > 4 > 2 > 0 */
    static const fo_result order[] = {FO_RESULT_ERROR,       FO_RESULT_ROLLED_BACK,
                                      FO_RESULT_NEEDS_HUMAN, FO_RESULT_CONFLICT,
                                      FO_RESULT_PLANNED,     FO_RESULT_OK};
    size_t n = sizeof(order) / sizeof(order[0]);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            fo_result want = order[i < j ? i : j];
            ck_assert_int_eq(fo_remediate_result_worse(order[i], order[j]), want);
        }
    }
    ck_assert_int_eq(FO_RESULT_NEEDS_HUMAN, 5);
    ck_assert_int_eq(FO_RESULT_ROLLED_BACK, 3);
    ck_assert_str_eq(fo_result_name(FO_RESULT_PLANNED), "fixes_planned");
    ck_assert_str_eq(fo_result_name(FO_RESULT_NEEDS_HUMAN), "needs_human");
}
END_TEST

static fo_plan *two_backends(fo_backend_status first, fo_backend_status second)
{
    fo_backend *backends[2] = {rt_backend("127.0.0.1", "a.test", NULL),
                               rt_backend("127.0.0.2", "b.test", NULL)};
    fo_fix fixes[2] = {{0}, {0}};
    rt_fix_add(&fixes[0], "ssl_sni_hostname", NULL, "a.test");
    fo_plan *plan = rt_plan(backends, fixes, 2);
    plan->backends[0].status = first;
    plan->backends[1].status = second;
    return plan;
}

START_TEST(a_service_adds_up_its_backends)
{
    fo_apply_result applied = {.outcome = FO_APPLY_VERIFIED};
    fo_plan *plan = two_backends(FO_BACKEND_FIX, FO_BACKEND_OK);
    ck_assert_int_eq(fo_remediate_result(plan, NULL), FO_RESULT_PLANNED);
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_OK);
    applied.outcome = FO_APPLY_DRAFT;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_OK);
    applied.outcome = FO_APPLY_ROLLED_BACK;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_ROLLED_BACK);
    applied.outcome = FO_APPLY_CONFLICT;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_CONFLICT);
    applied.outcome = FO_APPLY_FAILED;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_ERROR);
    applied.outcome = FO_APPLY_UNKNOWN;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_ERROR);
    fo_plan_free(plan);

    /* A fix and a problem for a person: 5 in plan mode and after applying. */
    plan = two_backends(FO_BACKEND_FIX, FO_BACKEND_HUMAN);
    applied.outcome = FO_APPLY_VERIFIED;
    ck_assert_int_eq(fo_remediate_result(plan, NULL), FO_RESULT_NEEDS_HUMAN);
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_NEEDS_HUMAN);
    /* ... but a rollback outranks it. */
    applied.outcome = FO_APPLY_ROLLED_BACK;
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_ROLLED_BACK);
    fo_plan_free(plan);

    /* A fix waiting for consent needs a person; nothing to do is 0. */
    plan = two_backends(FO_BACKEND_BLOCKED, FO_BACKEND_OK);
    ck_assert_int_eq(fo_remediate_result(plan, NULL), FO_RESULT_NEEDS_HUMAN);
    fo_plan_free(plan);
    plan = two_backends(FO_BACKEND_OK, FO_BACKEND_OK);
    applied.outcome = FO_APPLY_NOTHING;
    ck_assert_int_eq(fo_remediate_result(plan, NULL), FO_RESULT_OK);
    ck_assert_int_eq(fo_remediate_result(plan, &applied), FO_RESULT_OK);
    fo_plan_free(plan);
    plan = two_backends(FO_BACKEND_ERROR, FO_BACKEND_HUMAN);
    ck_assert_int_eq(fo_remediate_result(plan, NULL), FO_RESULT_ERROR);
    fo_plan_free(plan);
}
END_TEST

START_TEST(the_plan_id_binds_service_version_and_allowed_changes)
{
    char a[65], b[65];
    fo_plan *plan = two_backends(FO_BACKEND_FIX, FO_BACKEND_OK);
    fo_remediate_plan_id(a, plan);
    ck_assert_uint_eq(strlen(a), 64);
    fo_remediate_plan_id(b, plan);
    ck_assert_str_eq(a, b); /* stable */

    plan->active_version = 2;
    fo_remediate_plan_id(b, plan);
    ck_assert_str_ne(a, b);
    plan->active_version = 1;

    free(plan->backends[0].fix.changes[0].to);
    plan->backends[0].fix.changes[0].to = strdup("b.test");
    fo_remediate_plan_id(b, plan);
    ck_assert_str_ne(a, b);
    free(plan->backends[0].fix.changes[0].to);
    plan->backends[0].fix.changes[0].to = strdup("a.test");

    free(plan->service_id);
    plan->service_id = strdup("SVC2");
    fo_remediate_plan_id(b, plan);
    ck_assert_str_ne(a, b);
    free(plan->service_id);
    plan->service_id = strdup("SVC");

    /* A fix that waits for consent is not applied, so not part of the identity. */
    plan->backends[0].status = FO_BACKEND_BLOCKED;
    fo_remediate_plan_id(b, plan);
    ck_assert_str_ne(a, b);
    char none[65];
    plan->backends[0].status = FO_BACKEND_OK;
    fo_remediate_plan_id(none, plan);
    ck_assert_str_eq(b, none);
    fo_plan_free(plan);
}
END_TEST

START_TEST(field_diffs_show_values_pem_as_certificates)
{
    fo_fix fix = {0};
    rt_fix_add(&fix, "ssl_cert_hostname", "www.origin.test", "other\x01.origin.test");
    rt_fix_add(&fix, "ssl_sni_hostname", NULL, "www.origin.test");
    rt_fix_add(&fix, "connect_timeout", "1000", "2500");
    rt_fix_add(&fix, "use_ssl", "true", "false");
    char *text = fo_remediate_fix_diff(&fix);
    ck_assert_str_eq(text, "- ssl_cert_hostname: \"www.origin.test\"\n"
                           "+ ssl_cert_hostname: \"other?.origin.test\"\n"
                           "- ssl_sni_hostname: (unset)\n"
                           "+ ssl_sni_hostname: \"www.origin.test\"\n"
                           "- connect_timeout: 1000\n"
                           "+ connect_timeout: 2500\n"
                           "- use_ssl: true\n"
                           "+ use_ssl: false\n");
    free(text);
    fo_fix_clear(&fix);

    /* A PEM value as the planner makes it: subject and SHA-256 of each certificate. */
    const rt_pki *pki = rt_pki_get();
    fo_backend *b = rt_backend("127.0.0.1", "self.origin.test", "self.origin.test");
    b->ssl_ca_cert = strdup(pki->root_pem);
    fo_diagnosis *d =
        rt_diag(FO_CLASS_SELF_SIGNED_CERTIFICATE, FO_OUTCOME_OK, pki->self_signed->certs, 1);
    fo_candidates c;
    fo_candidates_input in = {.backend = b, .diagnosis = d};
    ck_assert_int_eq(fo_remediate_candidates(&c, &in, NULL), 0);
    ck_assert_uint_eq(c.count, 1);
    text = fo_remediate_fix_diff(&c.fixes[0]);
    char want[1024];
    snprintf(want, sizeof(want),
             "- ssl_ca_cert: CN=Test Root CA, SHA-256 %s\n"
             "+ ssl_ca_cert: CN=Test Root CA, SHA-256 %s\n"
             "+              CN=self.origin.test, SHA-256 %s\n",
             pki->root->certs[0].sha256, pki->root->certs[0].sha256,
             pki->self_signed->certs[0].sha256);
    ck_assert_str_eq(text, want);
    ck_assert_ptr_null(strstr(text, "BEGIN CERTIFICATE"));
    free(text);
    fo_candidates_clear(&c);
    rt_diag_free(d);
    fo_backend_free(b);
}
END_TEST

START_TEST(evidence_in_one_line)
{
    fo_cert_list *leaf = rt_leaf("other.origin.test", "DNS:other.origin.test", NULL);
    fo_diagnosis *d = rt_diag(FO_CLASS_HOSTNAME_MISMATCH, FO_OUTCOME_OK, leaf->certs, 1);
    d->target.port = 8443;
    d->facts.protocol = (char *)"TLSv1.3";
    d->facts.sni_sent = (char *)"www.origin.test";
    fo_verify_error mismatch = {.depth = 0, .code = 62, .error = "hostname mismatch"};
    d->facts.verify_code = 62;
    d->facts.verify_errors = &mismatch;
    d->facts.verify_error_count = 1;
    char *line = fo_remediate_evidence(d);
    ck_assert_str_eq(line, "127.0.0.1:8443; TLSv1.3, SNI www.origin.test; certificate "
                           "CN=other.origin.test for other.origin.test (chain of 1); verify "
                           "error 62 (hostname mismatch)");
    free(line);
    rt_diag_free(d);

    /* A refused connection never sent a ClientHello: no SNI words. */
    d = rt_diag(FO_CLASS_CONNECTION_REFUSED, FO_OUTCOME_CONNECT_REFUSED, NULL, 0);
    line = fo_remediate_evidence(d);
    ck_assert_str_eq(line, "127.0.0.1:443; connection refused");
    free(line);
    rt_diag_free(d);

    /* A hostile reply is not quoted; an HTTP one is, without control characters. */
    d = rt_diag(FO_CLASS_UNKNOWN_PROTOCOL, FO_OUTCOME_NOT_TLS, NULL, 0);
    d->facts.reply_start = (char *)"\x16\x03\xff\xfe\x01\x02garbage\x80\x81\x82\x83";
    line = fo_remediate_evidence(d);
    ck_assert_str_eq(line, "127.0.0.1:443; the reply is not TLS, no SNI");
    free(line);
    d->facts.reply_start = (char *)"HTTP/1.1 400 Bad\x1b Request";
    line = fo_remediate_evidence(d);
    ck_assert_str_eq(line, "127.0.0.1:443; the reply is not TLS (\"HTTP/1.1 400 Bad? Request\"), "
                           "no SNI");
    free(line);
    rt_diag_free(d);
    fo_cert_list_free(leaf);
}
END_TEST

START_TEST(names_of_steps_statuses_and_outcomes)
{
    ck_assert_str_eq(fo_step_name(FO_STEP_READBACK), "read-back");
    ck_assert_str_eq(fo_step_name(FO_STEP_ROLLBACK), "rollback");
    ck_assert_str_eq(fo_step_name((fo_step)99), "?");
    ck_assert_str_eq(fo_backend_status_name(FO_BACKEND_HUMAN), "needs_human");
    ck_assert_str_eq(fo_apply_outcome_name(FO_APPLY_ROLLED_BACK), "rolled_back");
    ck_assert_str_eq(fo_safety_name(FO_SAFETY_DOWNGRADE), "downgrade");
    ck_assert_int_eq(fo_remediate_field_kind("ssl_ca_cert"), FO_FIELD_PEM);
    ck_assert_int_eq(fo_remediate_field_kind("ssl_client_key"), FO_FIELD_SECRET);
    ck_assert_int_eq(fo_remediate_field_kind("port"), FO_FIELD_NUMBER);
    ck_assert_int_eq(fo_remediate_field_kind("no_such_field"), FO_FIELD_TEXT);
}
END_TEST

Suite *remediate_results_suite(void)
{
    Suite *s = suite_create("remediate_results");
    TCase *tc = tcase_create("results");
    tcase_add_test(tc, severity_is_error_rolled_back_human_conflict_planned_ok);
    tcase_add_test(tc, a_service_adds_up_its_backends);
    tcase_add_test(tc, the_plan_id_binds_service_version_and_allowed_changes);
    tcase_add_test(tc, field_diffs_show_values_pem_as_certificates);
    tcase_add_test(tc, evidence_in_one_line);
    tcase_add_test(tc, names_of_steps_statuses_and_outcomes);
    suite_add_tcase(s, tc);
    return s;
}
