/* A text as lines, and the lines two texts share at their ends: what remediate's unified diff
 * of an origin's text and the API stand-in's version diff both start from. */
#include <stdlib.h>
#include <string.h>

#include "fixorigin/fo.h"

int fo_lines_split(fo_lines *out, const char *text)
{
    size_t n = 1; /* at most one line more than line ends */
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    memset(out, 0, sizeof(*out));
    out->start = calloc(n, sizeof(*out->start));
    out->len = calloc(n, sizeof(*out->len));
    if (!out->start || !out->len) {
        fo_lines_clear(out);
        return FO_ENOMEM;
    }
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        out->start[out->count] = p;
        out->len[out->count++] = len;
        p += len + (p[len] == '\n');
    }
    return 0;
}

void fo_lines_clear(fo_lines *l)
{
    free(l->start);
    free(l->len);
    memset(l, 0, sizeof(*l));
}

bool fo_lines_same(const fo_lines *a, size_t i, const fo_lines *b, size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

void fo_lines_common_ends(size_t *head, size_t *tail, const fo_lines *a, const fo_lines *b)
{
    size_t h = 0, t = 0;
    while (h < a->count && h < b->count && fo_lines_same(a, h, b, h))
        h++;
    while (t < a->count - h && t < b->count - h &&
           fo_lines_same(a, a->count - 1 - t, b, b->count - 1 - t))
        t++;
    *head = h;
    *tail = t;
}
