/* Fuzzes the certificate reader (probe/certs.c) with what an AIA caIssuers URL may serve:
 * any bytes, read as PEM text when they hold "-----BEGIN", else as one DER certificate
 * (fo_probe_certs_parse), and PEM text as ssl_ca_cert is summarised (fo_certs_parse_pem,
 * fo_certs_summaries). Nothing crashes or leaks; what is accepted holds 1 to
 * FO_CERT_LIST_MAX certificates, each with a SHA-256, and each certificate's PEM text (what
 * a plan may send as ssl_ca_cert) reads back as that same certificate. Failing for want of
 * memory when memory is plenty is a finding too: the caller would give up on a good fetch. */
#define _GNU_SOURCE /* memmem */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe_certs.h"
#include "fuzz_util.h"

static void check_facts(const fo_cert_facts *c)
{
    if (!c->subject || !c->issuer || !c->pem || strlen(c->sha256) != 64)
        abort();
    for (size_t i = 0; i < c->san_count; i++)
        if (!c->san[i])
            abort();
    fo_error err;
    fo_cert_list *again = NULL;
    if (fo_probe_certs_parse(&again, c->pem, strlen(c->pem), "pem", &err) != 0)
        abort();
    if (again->count != 1 || strcmp(again->certs[0].sha256, c->sha256) != 0)
        abort();
    fo_cert_list_free(again);
}

static void summarise(const uint8_t *data, size_t size)
{
    fo_error err;
    STACK_OF(X509) *certs = NULL;
    char *text = fuzz_text(data, size);
    if (!text)
        return;
    int rc = fo_certs_parse_pem(&certs, text, "ssl_ca_cert", &err);
    if (rc == FO_ENOMEM)
        abort();
    fo_ca_summary *list = NULL;
    size_t count = 0;
    if (rc == 0 && fo_certs_summaries(&list, &count, certs) != 0)
        abort();
    for (size_t i = 0; i < count; i++) {
        if (!list[i].subject || strlen(list[i].sha256) != 64)
            abort();
        free(list[i].subject);
    }
    free(list);
    sk_X509_pop_free(certs, X509_free);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fo_error err;
    fo_cert_list *list = NULL;
    int rc = fo_probe_certs_parse(&list, data, size, "http://issuer.test/ca.der", &err);
    if (rc == FO_ENOMEM)
        abort();
    if (rc == 0 && (list->count < 1 || list->count > FO_CERT_LIST_MAX))
        abort();
    for (size_t i = 0; rc == 0 && i < list->count; i++)
        check_facts(&list->certs[i]);
    fo_cert_list_free(list);
    if (memmem(data, size, "-----BEGIN", 10))
        summarise(data, size);
    return 0;
}
