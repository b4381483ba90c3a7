/* report/output.c: what every output shares: colour, text cleaned for a terminal, error
 * lines, JSON strings of untrusted text. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/report.h"

bool fo_report_use_color(FILE *stream)
{
    const char *no_color = getenv("NO_COLOR");
    if (no_color && no_color[0] != '\0')
        return false;
    const char *term = getenv("TERM");
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(stream)) == 1;
}

/* The length of the UTF-8 sequence at s that a terminal shows as text, or 0: a control
 * character (C0, DEL, C1 as U+0080..U+009F or as a lone byte) or a byte that is not UTF-8. */
static size_t printable_at(const unsigned char *s)
{
    if (s[0] < 0x20 || s[0] == 0x7f)
        return 0;
    if (s[0] < 0x80)
        return 1;
    size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    }
    if (len == 2 && s[0] == 0xc2 && s[1] < 0xa0)
        return 0; /* U+0080..U+009F: C1 controls, CSI among them */
    return len;
}

void fo_report_put_clean(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (p && *p) {
        size_t len = printable_at(p);
        if (len == 0) {
            fputc('?', out);
            p++;
        } else {
            fwrite(p, 1, len, out);
            p += len;
        }
    }
}

void fo_report_errorf(const char *fmt, ...)
{
    /* Messages carry text from the API, origins and files: cleaned like any such text. */
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    fputs("fixorigin: ", stderr);
    fo_report_put_clean(stderr, text);
    fputc('\n', stderr);
}

json_t *fo_report_json_string(const char *s)
{
    if (!s)
        return json_null();
    json_t *value = json_string(s);
    if (value)
        return value;
    /* Not UTF-8: keep ASCII, replace the rest. */
    char *copy = fo_strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    }
    value = json_string(copy);
    free(copy);
    return value;
}
