/* A plain main for a fuzz target: feeds LLVMFuzzerTestOneInput every file of each directory
 * (and each file) named on the command line, so ctest replays the committed corpora in
 * every build, with or without clang. Each input is handed over in a buffer of exactly its
 * size, as libFuzzer does, so the sanitizer build catches a read one byte past the end.
 * Exits 0 when every input ran, 1 when none was found or one could not be read; a target
 * that finds a broken property aborts, which fails the ctest entry. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_util.h"

/* Larger than any seed; a bigger file is a mistake in the corpus, not an input. */
#define MAX_FILE_BYTES (8u << 20)

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || st.st_size < 0 || (size_t)st.st_size > MAX_FILE_BYTES) {
        fprintf(stderr, "fuzz: cannot read %s: %s\n", path,
                f ? (errno ? strerror(errno) : "too large") : strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    uint8_t *data = malloc(size ? size : 1);
    size_t got = data ? fread(data, 1, size, f) : 0;
    fclose(f);
    if (!data || got != size) {
        fprintf(stderr, "fuzz: cannot read %s%s\n", path, data ? "" : ": out of memory");
        free(data);
        return -1;
    }
    /* Named before it runs: a crash's report then says which input it was. */
    fprintf(stderr, "fuzz: %s (%zu bytes)\n", path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir, in name order (a replay is the same every time); hidden
 * files and README.md are not inputs. Adds the number run to *count. */
static int run_dir(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    if (!d) {
        fprintf(stderr, "fuzz: cannot open %s: %s\n", dir, strerror(errno));
        return -1;
    }
    for (struct dirent *e; rc == 0 && (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof(*names));
        size_t dir_len = strlen(dir), name_len = strlen(e->d_name);
        char *path = grown ? malloc(dir_len + name_len + 2) : NULL;
        if (grown)
            names = grown;
        if (!path) {
            fprintf(stderr, "fuzz: out of memory\n");
            rc = -1;
            break;
        }
        memcpy(path, dir, dir_len);
        path[dir_len] = '/';
        memcpy(path + dir_len + 1, e->d_name, name_len + 1);
        names[n++] = path;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), by_name);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (rc == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            rc = run_file(names[i]);
            *count += rc == 0;
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        bool dir = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode);
        if ((dir ? run_dir(argv[i], &count) : run_file(argv[i])) != 0)
            return 1;
        count += !dir;
    }
    if (count == 0) {
        fprintf(stderr, "fuzz: no input found: an empty corpus proves nothing\n");
        return 1;
    }
    fprintf(stderr, "fuzz: %zu inputs ran\n", count);
    return 0;
}
