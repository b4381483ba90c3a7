/* A throwaway PKI made with OpenSSL's API at start, so no private key is ever
 * committed and every run has fresh certificates. */
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "origins.h"

static int ssl_failure(fo_error *err, const char *what)
{
    char reason[160];
    ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
    ERR_clear_error();
    return fo_error_set(err, FO_ETLS, "%s: %s", what, reason);
}

static bool add_ext(X509 *cert, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext)
        return false;
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

static bool set_name(X509_NAME *name, const char *common_name)
{
    return X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                      (const unsigned char *)"fixorigin testbed", -1, -1, 0) &&
           X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)common_name,
                                      -1, -1, 0);
}

static bool set_serial(X509 *cert)
{
    unsigned char bytes[8];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1)
        return false;
    bytes[0] &= 0x7f; /* positive */
    BIGNUM *bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
    bool ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
    BN_free(bn);
    return ok;
}

/* A critical extension under a private OID no verifier knows: it must refuse the cert. */
static bool add_unknown_critical(X509 *cert)
{
    ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.99999.1.1", 1);
    ASN1_OCTET_STRING *data = ASN1_OCTET_STRING_new();
    static const unsigned char der_null[] = {0x05, 0x00};
    X509_EXTENSION *ext = NULL;
    bool ok = oid && data && ASN1_OCTET_STRING_set(data, der_null, sizeof(der_null)) == 1 &&
              (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 1, data)) != NULL &&
              X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    ASN1_OCTET_STRING_free(data);
    ASN1_OBJECT_free(oid);
    return ok;
}

static bool add_extensions(X509 *cert, const tb_cert_spec *spec, X509 *issuer_cert, bool rsa)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer_cert, cert, NULL, NULL, 0);
    char buf[512];
    if (!add_ext(cert, &ctx, NID_basic_constraints,
                 spec->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE"))
        return false;
    if (spec->name_constraints &&
        !add_ext(cert, &ctx, NID_name_constraints, spec->name_constraints))
        return false;
    if (spec->unknown_critical && !add_unknown_critical(cert))
        return false;
    if (!add_ext(cert, &ctx, NID_subject_key_identifier, "hash"))
        return false;
    if (issuer_cert != cert && !add_ext(cert, &ctx, NID_authority_key_identifier, "keyid:always"))
        return false;
    /* A self-signed leaf (what `openssl req -x509` makes) carries CA:TRUE and
     * no key usage; issued leaves look like a public CA's. */
    bool self_signed_leaf = spec->is_ca && spec->san_dns;
    if (!self_signed_leaf && !spec->not_a_ca) {
        const char *usage = spec->is_ca ? "critical,keyCertSign,cRLSign"
                            : rsa       ? "critical,digitalSignature,keyEncipherment"
                                        : "critical,digitalSignature";
        if (!add_ext(cert, &ctx, NID_key_usage, usage))
            return false;
    }
    if (!spec->is_ca && !spec->not_a_ca &&
        !add_ext(cert, &ctx, NID_ext_key_usage,
                 spec->ext_key_usage ? spec->ext_key_usage : "serverAuth"))
        return false;
    if (spec->san_dns) {
        snprintf(buf, sizeof(buf), "DNS:%s", spec->san_dns);
        if (!add_ext(cert, &ctx, NID_subject_alt_name, buf))
            return false;
    }
    if (spec->aia_issuer_url) {
        snprintf(buf, sizeof(buf), "caIssuers;URI:%s", spec->aia_issuer_url);
        if (!add_ext(cert, &ctx, NID_info_access, buf))
            return false;
    }
    return true;
}

int tb_pki_issue(tb_identity *out, const tb_cert_spec *spec, const tb_identity *issuer, bool rsa,
                 fo_error *err)
{
    int rc = FO_OK;
    EVP_PKEY *key = rsa ? EVP_RSA_gen(spec->rsa_bits > 0 ? (unsigned)spec->rsa_bits : 2048)
                        : EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    if (!key || !cert) {
        rc = ssl_failure(err, "generating a key");
        goto out;
    }
    X509 *issuer_cert = issuer ? issuer->cert : cert;
    EVP_PKEY *issuer_key = issuer ? issuer->key : key;
    if (X509_set_version(cert, X509_VERSION_3) != 1 || !set_serial(cert) ||
        !set_name(X509_get_subject_name(cert), spec->common_name) ||
        X509_set_issuer_name(cert, X509_get_subject_name(issuer_cert)) != 1 ||
        !X509_gmtime_adj(X509_getm_notBefore(cert), (long)spec->valid_from_days * 86400) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert), (long)spec->valid_to_days * 86400) ||
        X509_set_pubkey(cert, key) != 1 || !add_extensions(cert, spec, issuer_cert, rsa) ||
        X509_sign(cert, issuer_key, spec->sha1 ? EVP_sha1() : EVP_sha256()) <= 0) {
        rc = ssl_failure(err, "issuing a certificate");
        goto out;
    }
    out->key = key;
    out->cert = cert;
    key = NULL;
    cert = NULL;
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    return rc;
}

void tb_identity_free(tb_identity *id)
{
    if (!id)
        return;
    EVP_PKEY_free(id->key);
    X509_free(id->cert);
    id->key = NULL;
    id->cert = NULL;
}

static FILE *open_for_write(const char *path, int mode, fo_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        fo_error_set(err, FO_EIO, "cannot write %s", path);
    }
    return f;
}

int tb_pki_write_certs(const char *path, X509 *const *certs, size_t count, fo_error *err)
{
    FILE *f = open_for_write(path, 0644, err);
    if (!f)
        return FO_EIO;
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++)
        ok = PEM_write_X509(f, certs[i]) == 1;
    if (fclose(f) != 0 || !ok)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    return FO_OK;
}

int tb_pki_write_key(const char *path, EVP_PKEY *key, fo_error *err)
{
    FILE *f = open_for_write(path, 0600, err);
    if (!f)
        return FO_EIO;
    bool ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (fclose(f) != 0 || !ok)
        return fo_error_set(err, FO_EIO, "cannot write %s", path);
    return FO_OK;
}

int tb_pki_der(unsigned char **out, size_t *out_len, X509 *cert, fo_error *err)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    if (len <= 0)
        return ssl_failure(err, "encoding a certificate");
    *out = der;
    *out_len = (size_t)len;
    return FO_OK;
}
