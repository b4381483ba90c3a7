/* Percent-decoding (%XX escapes, RFC 3986 section 2.1), the one decoder for serve's form
 * bodies, the VCL reader's quoted strings and the API stand-in's forms and paths. */
#include "fixorigin/fo.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int fo_percent_decode(char *out, const char *in, size_t len, unsigned flags, size_t *bad_at)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if (c == '%') {
            /* Two hex digits must follow inside len; %00 would cut the string short. */
            int hi = i + 2 < len ? hex_digit(in[i + 1]) : -1;
            int lo = i + 2 < len ? hex_digit(in[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                if (bad_at != NULL)
                    *bad_at = i;
                return FO_EINVAL;
            }
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && (flags & FO_PERCENT_PLUS_SPACE)) {
            out[n++] = ' ';
        } else if (c == '\0' && (flags & FO_PERCENT_REFUSE_NUL)) {
            if (bad_at != NULL)
                *bad_at = i;
            return FO_EINVAL;
        } else {
            out[n++] = c;
        }
    }
    out[n] = '\0';
    return 0;
}
