/* Reads a ClientHello byte by byte and writes a bare ServerHello: what the
 * emulated RC4 origin needs, since OpenSSL 3 cannot serve RC4 at all. */
#include <openssl/rand.h>
#include <string.h>

#include "origins.h"

enum { RECORD_HANDSHAKE = 22, HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, EXT_SERVER_NAME = 0 };
enum { MAX_RECORD = 16384 };

/* A bounds-checked reader: every take fails once the data runs out. */
typedef struct reader {
    const unsigned char *p;
    size_t left;
} reader;

static bool take(reader *r, size_t n, const unsigned char **out)
{
    if (r->left < n)
        return false;
    if (out)
        *out = r->p;
    r->p += n;
    r->left -= n;
    return true;
}

static bool take_u8(reader *r, size_t *out)
{
    const unsigned char *p;
    if (!take(r, 1, &p))
        return false;
    *out = p[0];
    return true;
}

static bool take_u16(reader *r, size_t *out)
{
    const unsigned char *p;
    if (!take(r, 2, &p))
        return false;
    *out = (size_t)p[0] << 8 | p[1];
    return true;
}

static bool take_u24(reader *r, size_t *out)
{
    const unsigned char *p;
    if (!take(r, 3, &p))
        return false;
    *out = (size_t)p[0] << 16 | (size_t)p[1] << 8 | p[2];
    return true;
}

/* A sub-reader over the next n bytes, which the parent skips. */
static bool take_vector(reader *r, size_t n, reader *out)
{
    const unsigned char *p;
    if (!take(r, n, &p))
        return false;
    out->p = p;
    out->left = n;
    return true;
}

static bool parse_extensions(tb_client_hello *out, reader *r)
{
    while (r->left > 0) {
        size_t type, len;
        reader body;
        if (!take_u16(r, &type) || !take_u16(r, &len) || !take_vector(r, len, &body))
            return false;
        if (type == EXT_SERVER_NAME)
            out->has_server_name = true;
    }
    return true;
}

static bool parse_body(tb_client_hello *out, reader *r)
{
    size_t version, session_len, suites_len, compression_len;
    reader suites, compression;
    if (!take_u16(r, &version) || !take(r, 32, NULL) || !take_u8(r, &session_len) ||
        session_len > 32 || !take(r, session_len, NULL) || !take_u16(r, &suites_len) ||
        suites_len < 2 || suites_len % 2 != 0 || !take_vector(r, suites_len, &suites) ||
        !take_u8(r, &compression_len) || compression_len < 1 ||
        !take_vector(r, compression_len, &compression))
        return false;
    out->version = (uint16_t)version;
    while (suites.left > 0) {
        size_t suite;
        if (!take_u16(&suites, &suite))
            return false;
        if (out->suite_count < sizeof(out->suites) / sizeof(out->suites[0]))
            out->suites[out->suite_count] = (uint16_t)suite;
        out->suite_count++;
    }
    if (r->left == 0) /* extensions are optional */
        return true;
    size_t ext_len;
    reader extensions;
    if (!take_u16(r, &ext_len) || !take_vector(r, ext_len, &extensions) || r->left != 0)
        return false;
    return parse_extensions(out, &extensions);
}

int tb_hello_parse(tb_client_hello *out, const unsigned char *data, size_t len)
{
    memset(out, 0, sizeof(*out));
    reader r = {data, len};
    size_t type, record_version, record_len;
    if (!take_u8(&r, &type) || !take_u16(&r, &record_version) || !take_u16(&r, &record_len))
        return len < 5 ? FO_EINVAL : FO_EPROTO;
    if (type != RECORD_HANDSHAKE || (record_version >> 8) != 3 || record_len > MAX_RECORD)
        return FO_EPROTO;
    reader record;
    if (!take_vector(&r, record_len, &record))
        return FO_EINVAL;
    size_t hs_type, hs_len;
    reader body;
    /* The hello must fill its record exactly: no fragments, no trailing data. */
    if (!take_u8(&record, &hs_type) || hs_type != HS_CLIENT_HELLO || !take_u24(&record, &hs_len) ||
        hs_len != record.left || !take_vector(&record, hs_len, &body))
        return FO_EPROTO;
    return parse_body(out, &body) ? FO_OK : FO_EPROTO;
}

bool tb_hello_is_rc4(uint16_t suite)
{
    static const uint16_t rc4_suites[] = {
        0x0003, 0x0004, 0x0005, 0x0017, 0x0018, 0x0020, 0x0024, 0x0028, 0x002B,
        0x008A, 0x008E, 0x0092, 0xC002, 0xC007, 0xC00C, 0xC011, 0xC016, 0xC033,
    };
    for (size_t i = 0; i < sizeof(rc4_suites) / sizeof(rc4_suites[0]); i++) {
        if (rc4_suites[i] == suite)
            return true;
    }
    return false;
}

size_t tb_hello_server_hello(unsigned char *buf, size_t cap, uint16_t version, uint16_t suite)
{
    enum { BODY = 2 + 32 + 1 + 2 + 1, HANDSHAKE = 4 + BODY, RECORD = 5 + HANDSHAKE };
    if (cap < RECORD)
        return 0;
    unsigned char *p = buf;
    *p++ = RECORD_HANDSHAKE;
    *p++ = (unsigned char)(version >> 8);
    *p++ = (unsigned char)version;
    *p++ = 0;
    *p++ = HANDSHAKE;
    *p++ = HS_SERVER_HELLO;
    *p++ = 0;
    *p++ = 0;
    *p++ = BODY;
    *p++ = (unsigned char)(version >> 8);
    *p++ = (unsigned char)version;
    if (RAND_bytes(p, 32) != 1)
        memset(p, 0x5a, 32);
    p += 32;
    *p++ = 0; /* no session id */
    *p++ = (unsigned char)(suite >> 8);
    *p++ = (unsigned char)suite;
    *p++ = 0; /* null compression; no extensions */
    return (size_t)(p - buf);
}
