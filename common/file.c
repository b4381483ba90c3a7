/* common/file.c: reading a whole text file with a size limit, for every input fixorigin
 * takes from a file (CA bundles, targets, services lists, tokens); "-" is stdin. */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/fo.h"

/* Whether standard input was taken by an earlier "-": it holds one file, read once. */
static atomic_bool stdin_taken;

const char *fo_input_name(const char *path)
{
    return path && strcmp(path, "-") == 0 ? "stdin" : path;
}

int fo_input_open(FILE **out, const char *path, fo_error *err)
{
    *out = NULL;
    if (strcmp(path, "-") == 0) {
        if (atomic_exchange(&stdin_taken, true))
            return fo_error_set(err, FO_EINVAL,
                                "'-' (stdin) is given for two files: stdin holds only one");
        *out = stdin;
        return 0;
    }
    *out = fopen(path, "rb");
    if (!*out)
        return fo_error_set(err, FO_EIO, "cannot read %s: %s", path, strerror(errno));
    return 0;
}

void fo_input_close(FILE *f)
{
    if (f && f != stdin)
        fclose(f);
}

int fo_read_file(char **out, const char *path, size_t max_bytes, fo_error *err)
{
    int rc = 0;
    fo_buf buf = {0};
    char chunk[8192];
    FILE *f = NULL;
    rc = fo_input_open(&f, path, err);
    if (rc != 0)
        return rc;
    path = fo_input_name(path);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n == 0)
            break;
        if (buf.len + n > max_bytes) {
            rc = fo_error_set(err, FO_EIO, "%s is larger than %zu bytes", path, max_bytes);
            goto out;
        }
        if (fo_buf_append(&buf, chunk, n) != 0) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory reading %s", path);
            goto out;
        }
    }
    if (ferror(f)) {
        rc = fo_error_set(err, FO_EIO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    const char *nul = buf.len > 0 ? memchr(buf.data, '\0', buf.len) : NULL;
    if (nul) {
        /* The text would end there without a word: say where, never drop the rest. */
        long line = 1;
        for (const char *c = buf.data; c < nul; c++)
            line += *c == '\n';
        rc = fo_error_set(err, FO_EINVAL, "%s:%ld: a NUL byte (not a text file)", path, line);
        goto out;
    }
    *out = fo_buf_steal(&buf);
    if (!*out)
        rc = fo_error_set(err, FO_ENOMEM, "out of memory reading %s", path);
out:
    fo_buf_clear(&buf);
    fo_input_close(f);
    return rc;
}
