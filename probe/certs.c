/* Certificates as plain facts (see certs.h). */
#define _GNU_SOURCE /* memmem */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "probe_certs.h"
#include "probe_net.h"

/* A certificate with more names than this is still described, with the first ones. */
#define MAX_SAN 100

/* What was written to a memory BIO, as a new string (NULL when out of memory). */
static char *bio_text(BIO *bio)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) {
        memcpy(text, data, (size_t)n);
        text[n] = '\0';
    }
    return text;
}

/* A readable RFC 2253 name; UTF-8 kept as is. */
static char *name_text(const X509_NAME *name)
{
    char *text = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0)
        text = bio_text(bio);
    BIO_free(bio);
    return text;
}

static int64_t asn1_time_epoch(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

static char *string_of(const ASN1_STRING *s)
{
    int n = ASN1_STRING_length(s);
    char *copy = malloc((size_t)n + 1);
    if (!copy)
        return NULL;
    memcpy(copy, ASN1_STRING_get0_data(s), (size_t)n);
    copy[n] = '\0';
    return copy;
}

/* A name with a NUL inside names nothing: a client's match (X509_check_host) refuses it, and
 * as C text it would read as its part before the NUL ("www.bank.test\0.evil.test"). */
static bool has_nul(const ASN1_STRING *s)
{
    return memchr(ASN1_STRING_get0_data(s), '\0', (size_t)ASN1_STRING_length(s)) != NULL;
}

static int add_san(fo_cert_facts *out, char *name, fo_san_type type)
{
    if (!name)
        return FO_ENOMEM;
    fo_san_type *types = realloc(out->san_types, (out->san_count + 1) * sizeof(*types));
    if (types)
        out->san_types = types;
    char **grown = types ? realloc(out->san, (out->san_count + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(name);
        return FO_ENOMEM;
    }
    out->san = grown;
    out->san_types[out->san_count] = type;
    out->san[out->san_count++] = name;
    return 0;
}

static int collect_san(fo_cert_facts *out, X509 *cert)
{
    int rc = 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && out->san_count < MAX_SAN; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
        if (gn->type == GEN_DNS && !has_nul(gn->d.dNSName)) {
            rc = add_san(out, string_of(gn->d.dNSName), FO_SAN_DNS);
        } else if (gn->type == GEN_IPADD) {
            char text[INET6_ADDRSTRLEN];
            int len = ASN1_STRING_length(gn->d.iPAddress);
            int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
            if (family &&
                inet_ntop(family, ASN1_STRING_get0_data(gn->d.iPAddress), text, sizeof(text)))
                rc = add_san(out, fo_strdup(text), FO_SAN_IP);
        }
        if (rc != 0)
            break;
    }
    GENERAL_NAMES_free(names);
    return rc;
}

static int collect_aia(fo_cert_facts *out, X509 *cert)
{
    int rc = 0;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        const ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI &&
            !has_nul(ad->location->d.uniformResourceIdentifier)) {
            out->aia_issuer_url = string_of(ad->location->d.uniformResourceIdentifier);
            if (!out->aia_issuer_url)
                rc = FO_ENOMEM;
            break;
        }
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return rc;
}

/* extendedKeyUsage as short names, comma-separated; NULL text when the extension is absent. */
static int collect_eku(fo_cert_facts *out, X509 *cert)
{
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    if (!eku)
        return 0;
    fo_buf text = {0};
    int rc = 0;
    for (int i = 0; rc == 0 && i < sk_ASN1_OBJECT_num(eku) && i < 16; i++) {
        char name[80];
        const ASN1_OBJECT *obj = sk_ASN1_OBJECT_value(eku, i);
        int nid = OBJ_obj2nid(obj);
        if (nid != NID_undef)
            snprintf(name, sizeof(name), "%s", OBJ_nid2sn(nid));
        else if (OBJ_obj2txt(name, sizeof(name), obj, 1) <= 0)
            snprintf(name, sizeof(name), "?");
        rc = fo_buf_printf(&text, "%s%s", i ? "," : "", name);
    }
    EXTENDED_KEY_USAGE_free(eku);
    if (rc == 0 && !(out->ext_key_usage = fo_buf_steal(&text)))
        rc = FO_ENOMEM;
    fo_buf_clear(&text);
    return rc ? FO_ENOMEM : 0;
}

/* The key's type and size and the digest the issuer signed with: what weak-certificate
 * warnings are made of. */
static void collect_strength(fo_cert_facts *out, X509 *cert)
{
    EVP_PKEY *key = X509_get0_pubkey(cert);
    if (key) {
        int id = EVP_PKEY_get_base_id(key);
        const char *type = id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS ? "RSA"
                           : id == EVP_PKEY_EC                          ? "EC"
                           : id == EVP_PKEY_ED25519                     ? "Ed25519"
                           : id == EVP_PKEY_ED448                       ? "Ed448"
                           : id == EVP_PKEY_DSA                         ? "DSA"
                                                                        : "";
        snprintf(out->key_type, sizeof(out->key_type), "%s", type);
        out->key_bits = EVP_PKEY_get_bits(key);
    }
    int md = NID_undef;
    if (X509_get_signature_info(cert, &md, NULL, NULL, NULL) == 1 && md != NID_undef)
        snprintf(out->signature_digest, sizeof(out->signature_digest), "%s", OBJ_nid2sn(md));
    ERR_clear_error();
}

static void sha256_hex(char out[65], X509 *cert)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    out[0] = '\0';
    if (X509_digest(cert, EVP_sha256(), md, &n) != 1 || n != 32)
        return;
    fo_hex_encode(out, md, n);
}

static char *pem_text(X509 *cert)
{
    char *text = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio && PEM_write_bio_X509(bio, cert) == 1)
        text = bio_text(bio);
    BIO_free(bio);
    return text;
}

int fo_certs_facts(fo_cert_facts *out, X509 *cert)
{
    memset(out, 0, sizeof(*out));
    out->subject = name_text(X509_get_subject_name(cert));
    out->issuer = name_text(X509_get_issuer_name(cert));
    out->pem = pem_text(cert);
    out->not_before = asn1_time_epoch(X509_get0_notBefore(cert));
    out->not_after = asn1_time_epoch(X509_get0_notAfter(cert));
    sha256_hex(out->sha256, cert);
    out->self_signed = X509_self_signed(cert, 0) == 1;
    out->is_ca = (X509_get_extension_flags(cert) & EXFLAG_CA) != 0;
    collect_strength(out, cert);
    if (!out->subject || !out->issuer || !out->pem || collect_san(out, cert) != 0 ||
        collect_aia(out, cert) != 0 || collect_eku(out, cert) != 0) {
        fo_certs_facts_clear(out);
        return FO_ENOMEM;
    }
    return 0;
}

void fo_certs_facts_clear(fo_cert_facts *facts)
{
    if (!facts)
        return;
    free(facts->subject);
    free(facts->issuer);
    for (size_t i = 0; i < facts->san_count; i++)
        free(facts->san[i]);
    free(facts->san);
    free(facts->san_types);
    free(facts->ext_key_usage);
    free(facts->aia_issuer_url);
    free(facts->pem);
    memset(facts, 0, sizeof(*facts));
}

int fo_certs_parse_pem(STACK_OF(X509) * *out, const char *pem, const char *what, fo_error *err)
{
    int rc = 0;
    STACK_OF(X509) *certs = sk_X509_new_null();
    BIO *bio = BIO_new_mem_buf(pem, -1);
    if (!certs || !bio) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    ERR_set_mark();
    for (;;) {
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!cert)
            break;
        if (!sk_X509_push(certs, cert)) {
            X509_free(cert);
            ERR_pop_to_mark();
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
    }
    /* The loop ends on "no start line" after the last certificate; anything else is a
     * certificate that does not parse. */
    unsigned long e = ERR_peek_last_error();
    bool clean_end = ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
    ERR_pop_to_mark();
    if (!clean_end) {
        rc = fo_error_set(err, FO_EINVAL, "%s holds a PEM certificate that does not parse", what);
        goto out;
    }
    if (sk_X509_num(certs) == 0) {
        rc = fo_error_set(err, FO_EINVAL, "%s holds no PEM certificate", what);
        goto out;
    }
    *out = certs;
    certs = NULL;
out:
    sk_X509_pop_free(certs, X509_free);
    BIO_free(bio);
    return rc;
}

int fo_probe_cert_covers(bool *out, char **matched, const fo_cert_facts *cert, const char *name,
                         bool wildcards, fo_error *err)
{
    int rc = 0, found = 0;
    char *peer = NULL; /* OpenSSL's copy of the entry that matched */
    *out = false;
    if (matched)
        *matched = NULL;
    if (!cert || fo_str_empty(cert->pem))
        return fo_error_set(err, FO_EINVAL, "the certificate's facts hold no PEM");
    if (fo_str_empty(name) || name[0] == '.')
        return 0;
    ERR_set_mark();
    BIO *bio = BIO_new_mem_buf(cert->pem, -1);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    if (!x) {
        rc = bio ? fo_error_set(err, FO_EINVAL, "the certificate's PEM does not decode")
                 : fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (fo_net_is_address(name)) {
        found = X509_check_ip_asc(x, name, 0);
    } else {
        unsigned int flags = X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
        if (!wildcards)
            flags |= X509_CHECK_FLAG_NO_WILDCARDS;
        found = X509_check_host(x, name, strlen(name), flags, &peer);
    }
    /* -1 is an internal failure (memory); -2 a malformed name, which covers nothing. */
    if (found == 1 && matched && !(*matched = fo_strdup(peer ? peer : name)))
        found = -1;
    OPENSSL_free(peer);
    if (found == -1)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    *out = found == 1;
out:
    ERR_pop_to_mark();
    X509_free(x);
    BIO_free(bio);
    return rc;
}

int fo_certs_summaries(fo_ca_summary **out, size_t *count, STACK_OF(X509) * certs)
{
    int n = sk_X509_num(certs);
    fo_ca_summary *list = calloc((size_t)(n > 0 ? n : 1), sizeof(*list));
    if (!list)
        return FO_ENOMEM;
    for (int i = 0; i < n; i++) {
        X509 *cert = sk_X509_value(certs, i);
        list[i].subject = name_text(X509_get_subject_name(cert));
        sha256_hex(list[i].sha256, cert);
        if (!list[i].subject) {
            for (int j = 0; j < i; j++)
                free(list[j].subject);
            free(list);
            return FO_ENOMEM;
        }
    }
    *out = list;
    *count = (size_t)n;
    return 0;
}

void fo_cert_list_free(fo_cert_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        fo_certs_facts_clear(&list->certs[i]);
    free(list->certs);
    free(list);
}

/* Appends the facts of cert (taken over and freed) to list. */
static int list_add(fo_cert_list *list, X509 *cert)
{
    int rc = FO_ENOMEM;
    fo_cert_facts *grown = realloc(list->certs, (list->count + 1) * sizeof(*grown));
    if (grown) {
        list->certs = grown;
        rc = fo_certs_facts(&list->certs[list->count], cert);
        if (rc == 0)
            list->count++;
    }
    X509_free(cert);
    return rc;
}

int fo_probe_certs_parse(fo_cert_list **out, const void *data, size_t len, const char *what,
                         fo_error *err)
{
    int rc = 0;
    STACK_OF(X509) *certs = NULL;
    char *text = NULL;
    fo_cert_list *list = calloc(1, sizeof(*list));
    if (!list || len > INT_MAX) {
        rc = list ? fo_error_set(err, FO_EINVAL, "%s is too large", what)
                  : fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    if (memmem(data, len, "-----BEGIN", 10)) {
        text = malloc(len + 1);
        if (!text) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(text, data, len);
        text[len] = '\0';
        rc = fo_certs_parse_pem(&certs, text, what, err);
        if (rc == 0 && sk_X509_num(certs) > FO_CERT_LIST_MAX)
            rc = fo_error_set(err, FO_EINVAL, "%s holds more than %d certificates", what,
                              FO_CERT_LIST_MAX);
        while (rc == 0 && sk_X509_num(certs) > 0)
            rc = list_add(list, sk_X509_shift(certs));
    } else {
        const unsigned char *p = data;
        X509 *cert = d2i_X509(NULL, &p, (long)len);
        ERR_clear_error();
        if (!cert || p != (const unsigned char *)data + len) {
            X509_free(cert);
            rc = fo_error_set(err, FO_EINVAL, "%s holds no PEM or DER certificate", what);
            goto out;
        }
        rc = list_add(list, cert);
    }
    if (rc == FO_ENOMEM)
        fo_error_set(err, FO_ENOMEM, "out of memory");
    if (rc == 0) {
        *out = list;
        list = NULL;
    }
out:
    sk_X509_pop_free(certs, X509_free);
    free(text);
    fo_cert_list_free(list);
    return rc;
}
