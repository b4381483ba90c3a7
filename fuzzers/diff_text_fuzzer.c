/* Fuzzes the reader of Fastly's version diff (fo_remediate_diff_read, remediate/checks.c):
 * Ruby Diffy text over a YAML dump whose layout was never recorded, shown to the person
 * about to activate. Any text is read without a crash, a hang or a leak; what it shows is
 * for a terminal: no control character, no line longer than the cut (300 characters and a
 * group's name) allows, and no line of private key text. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/remediate.h"
#include "fuzz_util.h"

/* "+ " and 300 characters and " [...]"; a group line is "  " and at most 329 and ":". */
#define MAX_SHOWN_LINE 340

static bool has(const char *line, size_t len, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= len; i++)
        if (memcmp(line + i, needle, m) == 0)
            return true;
    return false;
}

static void check_shown(const char *text)
{
    for (const char *line = text; line && *line;) {
        size_t len = strcspn(line, "\n");
        if (len > MAX_SHOWN_LINE)
            abort();
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
                abort();
        /* A group line ("  backends 'NAME':", "  SECTION (an item without a name):") names
         * where a change is, whatever the names say (a YAML key is no key text); any other
         * line that says PRIVATE KEY is key text shown. */
        bool group =
            len > 3 && line[0] == ' ' && line[1] == ' ' && line[2] != ' ' && line[len - 1] == ':';
        if (!group && has(line, len, "PRIVATE KEY"))
            abort();
        line += len + (line[len] == '\n');
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The diff arrives as a JSON string: text up to its first NUL. */
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    fo_diff_view view;
    if (fo_remediate_diff_read(&view, text) == 0) {
        check_shown(view.shown);
        for (const char *p = view.places; p && *p; p++)
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                abort();
        if (!view.understood && (view.changed_lines != 0 || view.unattributed != 0))
            abort();
    }
    fo_diff_view_clear(&view);
    free(text);
    return 0;
}
