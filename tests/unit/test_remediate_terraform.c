/* Terraform awareness, pure parts: the "Managed by Terraform" comment, and the HCL that
 * --emit terraform prints (golden text: attribute names as terraform-provider-fastly spells
 * them, a PEM as a heredoc, nothing that HCL would read as an interpolation). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "remediate_fixture.h"

Suite *remediate_terraform_suite(void);

START_TEST(the_providers_default_comment_is_recognised)
{
    ck_assert(fo_remediate_terraform_comment("Managed by Terraform"));
    ck_assert(fo_remediate_terraform_comment("shop (managed by terraform, team web)"));
    ck_assert(!fo_remediate_terraform_comment(""));
    ck_assert(!fo_remediate_terraform_comment(NULL));
    ck_assert(!fo_remediate_terraform_comment("Managed by Terra"));
    ck_assert(!fo_remediate_terraform_comment("fixorigin: set ssl_cert_hostname"));
}
END_TEST

static fo_plan *one_fix(const char *field, const char *from, const char *to)
{
    fo_backend *b[1] = {rt_backend("192.0.2.10", "www.origin.test", NULL)};
    fo_fix fix[1] = {{0}};
    free(b[0]->name);
    b[0]->name = strdup("Host 1");
    rt_fix_add(&fix[0], field, from, to);
    free(fix[0].summary);
    fix[0].summary = strdup("the test's change");
    fo_plan *plan = rt_plan(b, fix, 1);
    plan->service_name = strdup("shop");
    memset(plan->plan_id, 'a', 64);
    return plan;
}

START_TEST(a_cert_hostname_fix_is_a_backend_block)
{
    fo_plan *plan = one_fix("ssl_cert_hostname", "www.origin.test", "origin.shop.test");
    char *hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_str_eq(hcl,
                     "# fixorigin: service \"SVC\" \"shop\", active version 1, plan aaaaaaaaaaaa\n"
                     "# In the fastly_service_vcl resource of this service, change these "
                     "backend blocks\n"
                     "# (matched by name), then run terraform plan and terraform apply.\n"
                     "\n"
                     "# the test's change\n"
                     "backend {\n"
                     "  name              = \"Host 1\"\n"
                     "  ssl_cert_hostname = \"origin.shop.test\"\n"
                     "  # every other attribute stays as it is\n"
                     "}\n");
    free(hcl);
    /* A Compute service's resource is fastly_service_compute. */
    plan->service_type = strdup("wasm");
    hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_ptr_nonnull(strstr(hcl, "In the fastly_service_compute resource"));
    free(hcl);
    fo_plan_free(plan);
}
END_TEST

#define PEM                                                                                        \
    "-----BEGIN CERTIFICATE-----\n"                                                                \
    "MIIBszCCAVmgAwIBAgIUTESTTESTTESTTESTTESTTESTTEST\n"                                           \
    "-----END CERTIFICATE-----\n"

START_TEST(a_ca_fix_is_a_heredoc)
{
    fo_plan *plan = one_fix("ssl_ca_cert", NULL, PEM);
    rt_fix_add(&plan->backends[0].fix, "ssl_check_cert", "false", "true");
    rt_fix_add(&plan->backends[0].fix, "port", "8443", "443");
    char *hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_str_eq(hcl,
                     "# fixorigin: service \"SVC\" \"shop\", active version 1, plan aaaaaaaaaaaa\n"
                     "# In the fastly_service_vcl resource of this service, change these "
                     "backend blocks\n"
                     "# (matched by name), then run terraform plan and terraform apply.\n"
                     "\n"
                     "# the test's change\n"
                     "backend {\n"
                     "  name           = \"Host 1\"\n"
                     "  ssl_ca_cert    = <<-EOT\n"
                     "    -----BEGIN CERTIFICATE-----\n"
                     "    MIIBszCCAVmgAwIBAgIUTESTTESTTESTTESTTESTTESTTEST\n"
                     "    -----END CERTIFICATE-----\n"
                     "  EOT\n"
                     "  ssl_check_cert = true\n"
                     "  port           = 443\n"
                     "  # every other attribute stays as it is\n"
                     "}\n");
    free(hcl);
    fo_plan_free(plan);
}
END_TEST

START_TEST(hostile_text_stays_a_string)
{
    /* A value from an origin or the API can hold quotes, newlines and "${": none of them may
     * end the string, start an interpolation or escape the comment. */
    fo_plan *plan = one_fix("ssl_sni_hostname", NULL, "a\"b\\c\n${x}%{y}");
    free(plan->backends[0].fix.summary);
    plan->backends[0].fix.summary = strdup("line\nresource \"x\" {}");
    rt_fix_add(&plan->backends[0].fix, "ssl_ca_cert", NULL, "EOT\n${a}\n");
    char *hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_ptr_nonnull(strstr(hcl, "ssl_sni_hostname = \"a\\\"b\\\\c\\n$${x}%%{y}\"\n"));
    ck_assert_ptr_nonnull(strstr(hcl, "# line\n# resource \"x\" {}\n"));
    ck_assert_ptr_nonnull(strstr(hcl, "<<-EOT1\n    EOT\n    $${a}\n  EOT1\n"));
    free(hcl);
    fo_plan_free(plan);

    /* A PEM without a final newline stays exact: chomp(). */
    plan = one_fix("ssl_ca_cert", NULL,
                   "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----");
    hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_ptr_nonnull(strstr(hcl, "= chomp(<<-EOT\n"));
    ck_assert_ptr_nonnull(strstr(hcl, "    -----END CERTIFICATE-----\n  EOT)\n"));
    free(hcl);
    fo_plan_free(plan);
}
END_TEST

START_TEST(only_fixes_to_write_are_printed)
{
    fo_plan *plan = one_fix("ssl_cert_hostname", NULL, "x.test");
    plan->backends[0].status = FO_BACKEND_BLOCKED;
    char *hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_ptr_nonnull(strstr(hcl, "# nothing to change in the HCL"));
    ck_assert_ptr_nonnull(strstr(hcl, "# 1 fix waiting for consent is left out"));
    ck_assert_ptr_null(strstr(hcl, "backend {"));
    free(hcl);
    /* Declared in VCL: the text to change, as comments, never a backend block. */
    plan->backends[0].status = FO_BACKEND_FIX;
    plan->backends[0].origin.kind = FO_ORIGIN_VCL;
    plan->backends[0].origin.source = strdup("vcl:main");
    plan->backends[0].origin.text_diff = strdup("-  .port = \"80\";\n+  .port = \"443\";\n");
    hcl = fo_remediate_terraform_hcl(plan);
    ck_assert_ptr_nonnull(strstr(hcl, "# declared in vcl:main\n"));
    ck_assert_ptr_nonnull(strstr(hcl, "# -  .port = \"80\";\n# +  .port = \"443\";\n"));
    ck_assert_ptr_null(strstr(hcl, "backend {"));
    free(hcl);
    fo_plan_free(plan);
}
END_TEST

Suite *remediate_terraform_suite(void)
{
    Suite *s = suite_create("remediate_terraform");
    TCase *tc = tcase_create("terraform");
    tcase_add_test(tc, the_providers_default_comment_is_recognised);
    tcase_add_test(tc, a_cert_hostname_fix_is_a_backend_block);
    tcase_add_test(tc, a_ca_fix_is_a_heredoc);
    tcase_add_test(tc, hostile_text_stays_a_string);
    tcase_add_test(tc, only_fixes_to_write_are_printed);
    suite_add_tcase(s, tc);
    return s;
}
