/* Hand-built ClientHellos and a strict ServerHello parser (see hello.h). */
#include <string.h>

#include "probe_hello.h"

/* A bounded writer: once it overflows every later write is dropped and ok stays false. */
struct writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool ok;
};

static void put(struct writer *w, const void *data, size_t n)
{
    if (!w->ok || n > w->cap - w->len) {
        w->ok = false;
        return;
    }
    memcpy(w->buf + w->len, data, n);
    w->len += n;
}

static void put8(struct writer *w, unsigned v)
{
    uint8_t b = (uint8_t)v;
    put(w, &b, 1);
}

/* size_t: lengths are written with it; a value past 16 bits is the caller's bug */
static void put16(struct writer *w, size_t v)
{
    uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
    put(w, b, 2);
}

/* Reserves a length field of width bytes; fill_length() writes it once the body is done. */
static size_t open_length(struct writer *w, size_t width)
{
    size_t at = w->len;
    static const uint8_t zero[3] = {0};
    put(w, zero, width);
    return at;
}

static void fill_length(struct writer *w, size_t at, size_t width)
{
    if (!w->ok)
        return;
    size_t n = w->len - at - width;
    for (size_t i = 0; i < width; i++)
        w->buf[at + i] = (uint8_t)(n >> (8 * (width - 1 - i)));
}

/* TLS 1.0/1.1 suites (CBC with SHA-1); a TLS 1.2 hello offers these after its own. */
static const uint16_t suites_tls10[] = {
    0xc009, 0xc013, 0xc00a, 0xc014, 0x0033, 0x0039, 0x002f,
    0x0035, 0xc012, 0x000a, 0x0041, 0x0084, 0x0016,
};
static const uint16_t suites_tls12[] = {
    0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0x009e, 0x009f, 0xc023,
    0xc027, 0xc024, 0xc028, 0x0067, 0x006b, 0x009c, 0x009d, 0x003c, 0x003d,
};
static const uint16_t suites_tls13[] = {0x1301, 0x1302, 0x1303};
static const uint16_t suites_rc4[] = {0xc011, 0xc007, 0x0005, 0x0004};
static const uint16_t groups[] = {0x001d, 0x0017, 0x0018, 0x0019, 0x0100};
static const uint16_t sigalgs[] = {0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806,
                                   0x0401, 0x0501, 0x0601, 0x0203, 0x0201};

static void put_suites(struct writer *w, const uint16_t *suites, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put16(w, suites[i]);
}

static void put_extension_list16(struct writer *w, unsigned type, const uint16_t *v, size_t n)
{
    put16(w, type);
    put16(w, 2 + 2 * n);
    put16(w, 2 * n);
    put_suites(w, v, n);
}

uint16_t fo_hello_wire_version(fo_tls_version v)
{
    switch (v) {
    case FO_TLS_1_0:
        return 0x0301;
    case FO_TLS_1_1:
        return 0x0302;
    case FO_TLS_1_2:
        return 0x0303;
    case FO_TLS_1_3:
        return 0x0304;
    default:
        return 0;
    }
}

bool fo_hello_is_rc4_suite(uint16_t suite)
{
    /* Every RC4 suite IANA lists, RC4 being offered or not. */
    static const uint16_t rc4[] = {0x0003, 0x0004, 0x0005, 0x0017, 0x0018, 0x0020,
                                   0x0024, 0x0028, 0x002b, 0x008a, 0x008e, 0x0092,
                                   0xc002, 0xc007, 0xc00c, 0xc011, 0xc016, 0xc033};
    for (size_t i = 0; i < sizeof(rc4) / sizeof(rc4[0]); i++) {
        if (rc4[i] == suite)
            return true;
    }
    return false;
}

size_t fo_hello_build(uint8_t *out, size_t cap, fo_hello_offer offer, fo_tls_version version,
                      const char *sni, const uint8_t entropy[FO_HELLO_ENTROPY])
{
    struct writer w = {out, cap, 0, true};
    bool tls13 = offer == FO_HELLO_OFFER_VERSION && version == FO_TLS_1_3;
    bool sigalgs_ok = offer == FO_HELLO_OFFER_RC4 || version >= FO_TLS_1_2;
    uint16_t client_version =
        tls13 || offer == FO_HELLO_OFFER_RC4 ? 0x0303 : fo_hello_wire_version(version);
    size_t sni_len = sni ? strlen(sni) : 0;

    if (client_version == 0 || sni_len > 253)
        return 0;
    put8(&w, 22);      /* handshake record */
    put16(&w, 0x0301); /* record version: what every client sends for compatibility */
    size_t record = open_length(&w, 2);
    put8(&w, 1); /* client_hello */
    size_t message = open_length(&w, 3);
    put16(&w, client_version);
    put(&w, entropy, 32);
    if (tls13) { /* a session id keeps middleboxes calm (RFC 8446 D.4) */
        put8(&w, 32);
        put(&w, entropy + 32, 32);
    } else {
        put8(&w, 0);
    }
    size_t suites = open_length(&w, 2);
    if (offer == FO_HELLO_OFFER_RC4)
        put_suites(&w, suites_rc4, sizeof(suites_rc4) / 2);
    else if (tls13)
        put_suites(&w, suites_tls13, sizeof(suites_tls13) / 2);
    else {
        if (version == FO_TLS_1_2)
            put_suites(&w, suites_tls12, sizeof(suites_tls12) / 2);
        put_suites(&w, suites_tls10, sizeof(suites_tls10) / 2);
    }
    fill_length(&w, suites, 2);
    put8(&w, 1); /* compression methods: null only */
    put8(&w, 0);

    size_t extensions = open_length(&w, 2);
    if (sni_len > 0) {
        put16(&w, 0x0000);
        put16(&w, sni_len + 5);
        put16(&w, sni_len + 3);
        put8(&w, 0); /* host_name */
        put16(&w, sni_len);
        put(&w, sni, sni_len);
    }
    put_extension_list16(&w, 0x000a, groups, sizeof(groups) / 2);
    put16(&w, 0x000b); /* ec_point_formats: uncompressed */
    put16(&w, 2);
    put8(&w, 1);
    put8(&w, 0);
    if (sigalgs_ok)
        put_extension_list16(&w, 0x000d, sigalgs, sizeof(sigalgs) / 2);
    put16(&w, 0xff01); /* renegotiation_info, empty */
    put16(&w, 1);
    put8(&w, 0);
    if (tls13) {
        put16(&w, 0x002b); /* supported_versions: 1.3 only */
        put16(&w, 3);
        put8(&w, 2);
        put16(&w, 0x0304);
        put16(&w, 0x0033); /* key_share: an X25519 share; it is never used */
        put16(&w, 2 + 4 + 32);
        put16(&w, 4 + 32);
        put16(&w, 0x001d);
        put16(&w, 32);
        put(&w, entropy + 64, 32);
        put16(&w, 0x002d); /* psk_key_exchange_modes: psk_dhe_ke */
        put16(&w, 2);
        put8(&w, 1);
        put8(&w, 1);
    }
    fill_length(&w, extensions, 2);
    fill_length(&w, message, 3);
    fill_length(&w, record, 2);
    return w.ok ? w.len : 0;
}

/* SHA-256("HelloRetryRequest"): the random of a HelloRetryRequest (RFC 8446 4.1.3). */
static const uint8_t hrr_random[32] = {
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

static void malformed(fo_hello_reply *out, const char *why)
{
    out->status = FO_HELLO_MALFORMED;
    out->why = why;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Parses a complete ServerHello body (the handshake header already removed). */
static void parse_server_hello(fo_hello_reply *out, const uint8_t *p, size_t len)
{
    size_t pos = 0;
    if (len < 2 + 32 + 1)
        return malformed(out, "ServerHello too short");
    unsigned legacy_version = get16(p);
    if (p[0] != 3)
        return malformed(out, "ServerHello version is not TLS");
    bool hrr = memcmp(p + 2, hrr_random, 32) == 0;
    pos = 34;
    size_t sid_len = p[pos++];
    if (sid_len > 32)
        return malformed(out, "ServerHello session id longer than 32 bytes");
    if (len - pos < sid_len + 3)
        return malformed(out, "ServerHello too short");
    pos += sid_len;
    unsigned cipher = get16(p + pos);
    pos += 3; /* cipher suite, compression method */

    unsigned selected = 0;
    if (pos < len) {
        if (len - pos < 2 || get16(p + pos) != len - pos - 2)
            return malformed(out, "ServerHello extensions length does not match");
        pos += 2;
        while (pos < len) {
            if (len - pos < 4)
                return malformed(out, "ServerHello extension header truncated");
            unsigned type = get16(p + pos);
            size_t ext_len = get16(p + pos + 2);
            pos += 4;
            if (ext_len > len - pos)
                return malformed(out, "ServerHello extension longer than the message");
            if (type == 0x002b) {
                if (ext_len != 2 || selected != 0)
                    return malformed(out, "bad supported_versions in ServerHello");
                selected = get16(p + pos);
                if (selected < 0x0300 || selected > 0x03ff)
                    return malformed(out, "supported_versions selects a version that is not TLS");
            }
            pos += ext_len;
        }
    }
    out->status = hrr ? FO_HELLO_RETRY_REQUEST : FO_HELLO_SERVER_HELLO;
    out->version = (uint16_t)(selected ? selected : legacy_version);
    out->cipher = (uint16_t)cipher;
}

/* True when the first bytes seen (1 to 3 of a record header) can start a TLS record. */
static bool plausible_start(const uint8_t *buf, size_t len)
{
    if (buf[0] < 20 || buf[0] > 24)
        return false;
    return len < 2 || buf[1] == 3;
}

void fo_hello_parse(fo_hello_reply *out, const uint8_t *buf, size_t len)
{
    uint8_t msg[FO_HELLO_MAX_MESSAGE];
    size_t msg_len = 0;
    size_t msg_body = 0; /* the message's declared length, once its header is in */
    size_t pos = 0;

    memset(out, 0, sizeof(*out));
    out->status = FO_HELLO_INCOMPLETE;
    if (len > 0 && !plausible_start(buf, len < 3 ? len : 3)) {
        out->status = FO_HELLO_NOT_TLS;
        return;
    }
    while (len - pos >= 5) {
        const uint8_t *hdr = buf + pos;
        size_t rec_len = get16(hdr + 3);
        if (hdr[1] != 3 || hdr[2] > 4)
            return malformed(out, "record version is not TLS");
        if (hdr[0] != 21 && hdr[0] != 22)
            return malformed(out, "unexpected record type before the ServerHello");
        if (rec_len == 0 || rec_len > FO_HELLO_MAX_RECORD)
            return malformed(out, "record length is zero or over 16384");
        if (len - pos - 5 < rec_len)
            return; /* incomplete */
        const uint8_t *payload = hdr + 5;
        pos += 5 + rec_len;

        if (hdr[0] == 21) {
            if (msg_len > 0)
                return malformed(out, "alert inside a fragmented handshake message");
            if (rec_len != 2 || (payload[0] != 1 && payload[0] != 2))
                return malformed(out, "malformed alert record");
            out->status = FO_HELLO_ALERT;
            out->alert_level = payload[0];
            out->alert = payload[1];
            return;
        }
        /* Handshake: gather the first message, possibly across records. */
        for (size_t off = 0; off < rec_len;) {
            size_t want = msg_len < 4 ? 4 - msg_len : 4 + msg_body - msg_len;
            size_t take = want < rec_len - off ? want : rec_len - off;
            memcpy(msg + msg_len, payload + off, take);
            msg_len += take;
            off += take;
            if (msg_len == 4 && take > 0) { /* the header just completed */
                if (msg[0] != 2)
                    return malformed(out, "first handshake message is not a ServerHello");
                msg_body = (size_t)msg[1] << 16 | (size_t)msg[2] << 8 | msg[3];
                if (msg_body > FO_HELLO_MAX_MESSAGE - 4)
                    return malformed(out, "ServerHello longer than 4096 bytes");
            }
            if (msg_len >= 4 && msg_len == 4 + msg_body)
                return parse_server_hello(out, msg + 4, msg_body);
        }
    }
    /* Fewer than 5 bytes of the next record: check what can be checked. */
    if (len > pos && pos > 0 && (buf[pos] != 21 && buf[pos] != 22))
        return malformed(out, "unexpected record type before the ServerHello");
}

const char *fo_probe_alert_name(int code)
{
    static const struct {
        int code;
        const char *name;
    } alerts[] = {
        {0, "close_notify"},
        {10, "unexpected_message"},
        {20, "bad_record_mac"},
        {21, "decryption_failed"},
        {22, "record_overflow"},
        {30, "decompression_failure"},
        {40, "handshake_failure"},
        {41, "no_certificate"},
        {42, "bad_certificate"},
        {43, "unsupported_certificate"},
        {44, "certificate_revoked"},
        {45, "certificate_expired"},
        {46, "certificate_unknown"},
        {47, "illegal_parameter"},
        {48, "unknown_ca"},
        {49, "access_denied"},
        {50, "decode_error"},
        {51, "decrypt_error"},
        {60, "export_restriction"},
        {70, "protocol_version"},
        {71, "insufficient_security"},
        {80, "internal_error"},
        {86, "inappropriate_fallback"},
        {90, "user_canceled"},
        {100, "no_renegotiation"},
        {109, "missing_extension"},
        {110, "unsupported_extension"},
        {111, "certificate_unobtainable"},
        {112, "unrecognized_name"},
        {113, "bad_certificate_status_response"},
        {114, "bad_certificate_hash_value"},
        {115, "unknown_psk_identity"},
        {116, "certificate_required"},
        {120, "no_application_protocol"},
    };
    for (size_t i = 0; i < sizeof(alerts) / sizeof(alerts[0]); i++) {
        if (alerts[i].code == code)
            return alerts[i].name;
    }
    return "unknown";
}
