/* report/wrap.c: text output folded to the terminal's width, keeping the layout. Every text
 * writer (probe, plan and apply, show, scan) prints into a fo_wrapped buffer; each line is
 * then folded at spaces with a hanging indent that lines the continuation up with where the
 * line's value starts ("  evidence   127.0.0.1:8443; TLSv1.3 ..." continues under "127"). */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixorigin/report.h"

/* Narrower than this and a hanging indent leaves no room: such widths are raised to it. */
#define MIN_WIDTH 40
/* A label column wider than this is not one: the line is a sentence with a double space. */
#define MAX_LABEL 24
/* Room a continuation keeps at least; a deeper indent falls back to the line's own. */
#define MIN_ROOM 24

int fo_report_width(FILE *stream)
{
    int fd = stream ? fileno(stream) : -1;
    struct winsize ws;
    long width = 0;
    if (fd >= 0 && isatty(fd) == 1 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        width = ws.ws_col;
    if (width == 0) {
        const char *columns = getenv("COLUMNS");
        char *end = NULL;
        long value = columns && *columns ? strtol(columns, &end, 10) : 0;
        if (end && *end == '\0' && value > 0)
            width = value > 1000 ? 1000 : value;
    }
    if (width == 0)
        width = FO_REPORT_DEFAULT_WIDTH;
    return width < MIN_WIDTH ? MIN_WIDTH : (int)width;
}

/* The bytes of one display cell at s (a whole UTF-8 sequence), or of an escape sequence
 * (ESC [ ... final byte: the writers' colours), which takes no cell: *cells says which. */
static size_t cell_at(const char *s, size_t len, int *cells)
{
    const unsigned char *u = (const unsigned char *)s;
    if (u[0] == 0x1b && len > 1 && u[1] == '[') {
        size_t i = 2;
        while (i < len && !(u[i] >= 0x40 && u[i] <= 0x7e))
            i++;
        *cells = 0;
        return i < len ? i + 1 : len;
    }
    size_t n = 1;
    while (n < len && (u[n] & 0xc0) == 0x80)
        n++;
    *cells = 1;
    return n;
}

/* Display cells of s[0..len). */
static size_t cells_of(const char *s, size_t len)
{
    size_t total = 0;
    for (size_t i = 0; i < len;) {
        int cells = 0;
        i += cell_at(s + i, len - i, &cells);
        total += (size_t)cells;
    }
    return total;
}

/* Where a continuation of line starts, in cells: under the value after a label column
 * ("  label    " then text: the first run of two or more spaces within MAX_LABEL cells of
 * the indent), after a diff's "- "/"+ ", else at the line's own indent. */
static size_t hanging_indent(const char *line, size_t len, int width)
{
    size_t lead = 0;
    while (lead < len && line[lead] == ' ')
        lead++;
    size_t hang = lead;
    if (lead + 1 < len && (line[lead] == '-' || line[lead] == '+') && line[lead + 1] == ' ') {
        hang = lead + 2;
    } else {
        size_t label = 0; /* cells of the label so far */
        for (size_t i = lead; i + 1 < len && label <= MAX_LABEL;) {
            if (i > lead && line[i] == ' ' && line[i + 1] == ' ') {
                size_t value = i;
                while (value < len && line[value] == ' ')
                    value++;
                hang = cells_of(line, value);
                break;
            }
            int cells = 0;
            i += cell_at(line + i, len - i, &cells);
            label += (size_t)cells;
        }
    }
    if ((size_t)width < hang + MIN_ROOM)
        hang = (size_t)width >= lead + MIN_ROOM ? lead : 0;
    return hang;
}

/* Writes one line (no newline in it) folded at spaces to width cells. The line's own spacing
 * stays (it lays out columns) but for the spaces where it is folded. A line is folded only
 * past its hanging indent, so a label keeps its value's first word; a word longer than a
 * continuation's room is kept whole where it is (a URL or a fingerprint must stay copyable). */
static void wrap_line(FILE *out, const char *line, size_t len, int width)
{
    size_t hang = hanging_indent(line, len, width);
    size_t col = 0;
    for (size_t pos = 0; pos < len;) {
        size_t word = pos;
        while (word < len && line[word] == ' ')
            word++;
        size_t end = word;
        while (end < len && line[end] != ' ')
            end++;
        if (end == word)
            break; /* trailing spaces */
        size_t gap = word - pos, cells = cells_of(line + word, end - word);
        /* Folding helps only when the word then fits: a longer one stays where it is. */
        if (col > hang && col + gap + cells > (size_t)width && hang + cells <= (size_t)width) {
            fprintf(out, "\n%*s", (int)hang, "");
            col = hang;
        } else {
            fwrite(line + pos, 1, gap, out);
            col += gap;
        }
        fwrite(line + word, 1, end - word, out);
        col += cells;
        pos = end;
    }
    fputc('\n', out);
}

void fo_report_wrap(FILE *out, const char *text, size_t len, int width)
{
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t line_len = nl ? (size_t)(nl - (text + i)) : len - i;
        if (cells_of(text + i, line_len) <= (size_t)width) {
            fwrite(text + i, 1, line_len, out);
            if (nl)
                fputc('\n', out);
        } else {
            wrap_line(out, text + i, line_len, width);
        }
        i += line_len + (nl ? 1 : 0);
    }
}

FILE *fo_wrapped_begin(fo_wrapped *w, FILE *dest)
{
    memset(w, 0, sizeof(*w));
    w->dest = dest;
    w->width = fo_report_width(dest);
    w->buf = open_memstream(&w->data, &w->size);
    /* Out of memory: print unfolded rather than nothing. */
    return w->buf ? w->buf : dest;
}

void fo_wrapped_flush(fo_wrapped *w)
{
    if (!w->buf)
        return;
    if (fflush(w->buf) == 0 && w->size > 0) {
        fo_report_wrap(w->dest, w->data, w->size, w->width);
        /* Start over: what was written is out. */
        rewind(w->buf);
        w->size = 0;
    }
    fflush(w->dest);
}

void fo_wrapped_end(fo_wrapped *w)
{
    if (w->buf) {
        fflush(w->buf);
        if (w->size > 0)
            fo_report_wrap(w->dest, w->data, w->size, w->width);
        fclose(w->buf);
        fflush(w->dest);
    }
    free(w->data);
    memset(w, 0, sizeof(*w));
}
