/* common/file.c: reading a whole text file with a size limit, for every input fixorigin
 * takes from a file (CA bundles, targets, services lists, tokens); "-" is stdin. And
 * replacing a file atomically, for what it writes (saved plans, intent records). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int fo_write_file(const char *path, const void *data, size_t len, unsigned mode, fo_error *err)
{
    char tmp[4200];
    int n = snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
    if (n < 0 || (size_t)n >= sizeof(tmp))
        return fo_error_set(err, FO_EIO, "cannot write %.150s: the path is too long", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode_t)mode);
    if (fd < 0)
        return fo_error_set(err, FO_EIO, "cannot create %.150s: %s", tmp, strerror(errno));
    const char *p = data;
    size_t done = 0;
    int rc = 0;
    while (done < len && rc == 0) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc = fo_error_set(err, FO_EIO, "cannot write %.150s: %s", tmp, strerror(errno));
        else
            done += (size_t)w;
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = fo_error_set(err, FO_EIO, "cannot write %.150s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = fo_error_set(err, FO_EIO, "cannot write %.150s: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, path) != 0)
        rc = fo_error_set(err, FO_EIO, "cannot write %.150s: %s", path, strerror(errno));
    if (rc != 0)
        (void)unlink(tmp);
    return rc;
}
