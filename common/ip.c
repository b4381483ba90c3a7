/* What an IP address is: this machine's (loopback), or one anybody may reach (public).
 * The one place for these tests: the API client's plain-http rule, the AIA fetch's
 * blocklist, the planner and the testbed's stand-ins all ask here. */
#include <arpa/inet.h>
#include <string.h>

#include "fixorigin/fo.h"

/* ::ffff:a.b.c.d, an IPv4 address in IPv6 clothes: it is the IPv4 address. */
static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool fo_ip_is_loopback(int family, const unsigned char *ip)
{
    static const unsigned char loopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (family == AF_INET)
        return ip[0] == 127;
    if (family != AF_INET6)
        return false;
    if (memcmp(ip, v4_mapped, sizeof(v4_mapped)) == 0)
        return ip[12] == 127;
    return memcmp(ip, loopback6, sizeof(loopback6)) == 0;
}

bool fo_ip_text_is_loopback(const char *text)
{
    unsigned char ip[16];
    char inner[INET6_ADDRSTRLEN];
    size_t len = text ? strlen(text) : 0;
    bool bracketed = len >= 2 && text[0] == '[' && text[len - 1] == ']';
    if (bracketed) { /* "[::1]", as URLs write an IPv6 address */
        if (len - 2 >= sizeof(inner))
            return false;
        memcpy(inner, text + 1, len - 2);
        inner[len - 2] = '\0';
        text = inner;
    } else if (text && inet_pton(AF_INET, text, ip) == 1) {
        return fo_ip_is_loopback(AF_INET, ip);
    }
    return text && inet_pton(AF_INET6, text, ip) == 1 && fo_ip_is_loopback(AF_INET6, ip);
}

/* IPv4 addresses a fetch must never reach: RFC 6890's special-purpose registry (with its
 * updates), every block not marked globally reachable. */
static const struct {
    unsigned char net[4];
    unsigned bits;
} v4_special[] = {
    {{0, 0, 0, 0}, 8},          /* "this network" (RFC 791) */
    {{10, 0, 0, 0}, 8},         /* private (RFC 1918) */
    {{100, 64, 0, 0}, 10},      /* shared address space, carrier-grade NAT (RFC 6598) */
    {{127, 0, 0, 0}, 8},        /* loopback */
    {{169, 254, 0, 0}, 16},     /* link-local (RFC 3927) */
    {{172, 16, 0, 0}, 12},      /* private */
    {{192, 0, 0, 0}, 24},       /* IETF protocol assignments (RFC 6890), DS-Lite, NAT64 */
    {{192, 0, 2, 0}, 24},       /* TEST-NET-1, documentation (RFC 5737) */
    {{192, 88, 99, 0}, 24},     /* 6to4 relay anycast (RFC 3068, deprecated by RFC 7526) */
    {{192, 168, 0, 0}, 16},     /* private */
    {{198, 18, 0, 0}, 15},      /* benchmarking (RFC 2544) */
    {{198, 51, 100, 0}, 24},    /* TEST-NET-2 */
    {{203, 0, 113, 0}, 24},     /* TEST-NET-3 */
    {{224, 0, 0, 0}, 4},        /* multicast (RFC 5771) */
    {{240, 0, 0, 0}, 4},        /* reserved (RFC 1112) */
    {{255, 255, 255, 255}, 32}, /* limited broadcast (RFC 919), inside 240/4 */
};

static uint32_t v4_number(const unsigned char a[4])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static bool ipv4_public(const unsigned char a[4])
{
    uint32_t ip = v4_number(a);
    for (size_t i = 0; i < sizeof(v4_special) / sizeof(v4_special[0]); i++) {
        uint32_t mask = 0xffffffffu << (32 - v4_special[i].bits);
        if ((ip & mask) == v4_number(v4_special[i].net))
            return false;
    }
    return true;
}

bool fo_ip_is_public(int family, const unsigned char *ip)
{
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char nat64_local[6] = {0, 0x64, 0xff, 0x9b, 0, 1};
    static const unsigned char v4_compatible[12] = {0};
    if (family == AF_INET)
        return ipv4_public(ip);
    if (family != AF_INET6)
        return false;
    /* Addresses that carry an IPv4 address reach it (a translator or a relay sends the
     * packets there), so that address decides: mapped ::ffff:0:0/96, the well-known NAT64
     * prefix 64:ff9b::/96 (RFC 6052) and the deprecated IPv4-compatible ::/96. */
    if (memcmp(ip, v4_mapped, 12) == 0 || memcmp(ip, nat64, 12) == 0)
        return ipv4_public(ip + 12);
    if (memcmp(ip, v4_compatible, 12) == 0) /* also :: and ::1 */
        return false;
    /* 6to4 2002::/16 (RFC 3056): the IPv4 address is bits 16-47. */
    if (ip[0] == 0x20 && ip[1] == 0x02)
        return ipv4_public(ip + 2);
    /* The local-use NAT64 prefix 64:ff9b:1::/48 (RFC 8215) leads wherever a site's own
     * translator is set to, and Teredo 2001::/32 hides its IPv4 address: never public. */
    if (memcmp(ip, nat64_local, sizeof(nat64_local)) == 0 ||
        (ip[0] == 0x20 && ip[1] == 0x01 && ip[2] == 0 && ip[3] == 0))
        return false;
    /* Documentation 2001:db8::/32 (RFC 3849) and 3fff::/20 (RFC 9637), benchmarking
     * 2001:2::/48 (RFC 5180), discard-only 100::/64 (RFC 6666): nothing to fetch there. */
    static const unsigned char doc[4] = {0x20, 0x01, 0x0d, 0xb8};
    static const unsigned char bench[6] = {0x20, 0x01, 0, 0x02, 0, 0};
    static const unsigned char discard[8] = {0x01, 0};
    if (memcmp(ip, doc, sizeof(doc)) == 0 || (ip[0] == 0x3f && ip[1] == 0xff && ip[2] < 0x10) ||
        memcmp(ip, bench, sizeof(bench)) == 0 || memcmp(ip, discard, sizeof(discard)) == 0)
        return false;
    return (ip[0] & 0xfe) != 0xfc &&                     /* unique local fc00::/7 */
           !(ip[0] == 0xfe && (ip[1] & 0xc0) == 0x80) && /* link-local fe80::/10 */
           ip[0] != 0xff;                                /* multicast ff00::/8 */
}
