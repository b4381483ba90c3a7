/* Fuzzes the VCL reader and editor (vcl/vcl.c) with libFuzzer: any text is read without a
 * crash, a hang or a leak, and every declaration it understands can be edited so that the
 * edited text reads back with the new values and every byte outside the declaration the
 * same. A property the editor writes and the reader reads differently aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/vcl.h"
#include "fuzz_util.h"

static const char pem[] = "-----BEGIN CERTIFICATE-----\nMIIB\"}x%41\n-----END CERTIFICATE-----\n";

static void check_edit(const char *text, size_t len, const fo_vcl_decl *d)
{
    const fo_vcl_set sets[] = {
        {"ssl_cert_hostname", FO_VCL_STRING, "other.origin.test"},
        {"ssl_ca_cert", FO_VCL_STRING, pem},
        {"ssl_check_cert", FO_VCL_WORD, "always"},
        {"port", FO_VCL_STRING, NULL},
    };
    char *edited = NULL;
    size_t edited_len = 0;
    fo_vcl_file again = {0};
    if (fo_vcl_edit(&edited, &edited_len, text, len, d->name, sets, 4, NULL) != 0)
        return; /* declared twice, or a block where a value goes: refused, fine */
    if (fo_vcl_parse(&again, edited, edited_len, NULL) != 0)
        goto out;
    /* The bytes before the declaration are the same. */
    if (edited_len < d->start || memcmp(edited, text, d->start) != 0)
        abort();
    /* And those after it. */
    size_t tail = len - d->end;
    if (edited_len < tail || memcmp(edited + edited_len - tail, text + d->end, tail) != 0)
        abort();
    if (again.problem != NULL)
        abort();
    const fo_vcl_decl *found = NULL;
    for (size_t i = 0; i < again.count; i++)
        if (again.decls[i].name != NULL && strcmp(again.decls[i].name, d->name) == 0 &&
            again.decls[i].start == d->start)
            found = &again.decls[i];
    if (found == NULL || !found->understood)
        abort();
    const fo_vcl_prop *p = fo_vcl_decl_prop(found, "ssl_cert_hostname");
    if (p == NULL || strcmp(p->value, "other.origin.test") != 0)
        abort();
    p = fo_vcl_decl_prop(found, "ssl_ca_cert");
    if (p == NULL || p->kind != FO_VCL_LONG_STRING || strstr(p->value, "MIIB\"}x%41") == NULL)
        abort();
    if (fo_vcl_decl_prop(found, "port") != NULL)
        abort();
out:
    fo_vcl_file_clear(&again);
    free(edited);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fo_vcl_file file;
    if (fo_vcl_parse(&file, (const char *)data, size, NULL) != 0)
        return 0;
    for (size_t i = 0; i < file.count && file.problem == NULL; i++)
        if (file.decls[i].understood && file.decls[i].name != NULL)
            check_edit((const char *)data, size, &file.decls[i]);
    fo_vcl_file_clear(&file);
    return 0;
}
