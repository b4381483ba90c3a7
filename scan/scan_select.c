/* fixorigin scan: which services a run takes. The union of --service, --services-file and
 * --all (in that order, each once), then the run's share of them under --shard I/N. The
 * share depends on the service id alone (FNV-1a), never on list order or length, so runs on
 * several machines with different views of the fleet still split it without overlap. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/scan.h"

enum { SERVICES_FILE_MAX = 16 * 1024 * 1024 };

void fo_scan_list_clear(fo_scan_list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->ids[i]);
    free(list->ids);
    list->ids = NULL;
    list->count = 0;
}

int fo_scan_list_add(fo_scan_list *list, const char *id, size_t id_len)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strlen(list->ids[i]) == id_len && memcmp(list->ids[i], id, id_len) == 0)
            return 0;
    }
    char **grown = realloc(list->ids, (list->count + 1) * sizeof(*grown));
    if (!grown)
        return FO_ENOMEM;
    list->ids = grown;
    if (!(list->ids[list->count] = strndup(id, id_len)))
        return FO_ENOMEM;
    list->count++;
    return 0;
}

int fo_scan_list_read(fo_scan_list *list, const char *text, const char *name, fo_error *err)
{
    long line_no = 0;
    for (const char *line = text; *line;) {
        size_t len = strcspn(line, "\n");
        const char *next = line + len + (line[len] == '\n');
        line_no++;
        /* A '#' starts a comment; surrounding white space is ignored. */
        const char *hash = memchr(line, '#', len);
        if (hash)
            len = (size_t)(hash - line);
        while (len > 0 && isspace((unsigned char)*line)) {
            line++;
            len--;
        }
        while (len > 0 && isspace((unsigned char)line[len - 1]))
            len--;
        if (len > 0) {
            char id[FO_API_ID_MAX + 1];
            if (len > FO_API_ID_MAX)
                return fo_error_set(err, FO_EINVAL, "%s:%ld: a service id is at most %d characters",
                                    name, line_no, FO_API_ID_MAX);
            memcpy(id, line, len);
            id[len] = '\0';
            if (!fo_api_service_id_valid(id))
                return fo_error_set(err, FO_EINVAL,
                                    "%s:%ld: '%s' is not a service id (letters, digits, _ and -)",
                                    name, line_no, id);
            if (fo_scan_list_add(list, id, len) != 0)
                return fo_error_set(err, FO_ENOMEM, "out of memory");
        }
        line = next;
    }
    return 0;
}

int fo_scan_list_load(fo_scan_list *list, const char *path, fo_error *err)
{
    char *text = NULL;
    int rc = fo_read_file(&text, path, SERVICES_FILE_MAX, err);
    if (rc == 0)
        rc = fo_scan_list_read(list, text, fo_input_name(path), err);
    free(text);
    return rc;
}

int fo_scan_shard_parse(fo_scan_shard *out, const char *text, fo_error *err)
{
    unsigned long index = 0, count = 0;
    char *end = NULL;
    out->index = out->count = 0;
    if (text && isdigit((unsigned char)text[0]))
        index = strtoul(text, &end, 10);
    if (!end || *end != '/' || !isdigit((unsigned char)end[1]))
        return fo_error_set(err, FO_EINVAL, "--shard takes I/N (e.g. 1/4), not '%.40s'",
                            text ? text : "");
    count = strtoul(end + 1, &end, 10);
    if (*end != '\0' || count < 1 || count > FO_SCAN_MAX_SHARDS || index < 1 || index > count)
        return fo_error_set(err, FO_EINVAL, "--shard I/N needs 1 <= I <= N <= %d, not '%.40s'",
                            FO_SCAN_MAX_SHARDS, text);
    out->index = (unsigned)index;
    out->count = (unsigned)count;
    return 0;
}

unsigned fo_scan_shard_of(const char *service_id, unsigned count)
{
    /* FNV-1a, 64 bits: stable across machines, versions and list orders; documented so that
     * other tools can compute the same split. */
    uint64_t hash = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)service_id; *p; p++) {
        hash ^= *p;
        hash *= 0x100000001b3ULL;
    }
    return (unsigned)(hash % count) + 1;
}

void fo_scan_list_shard(fo_scan_list *list, const fo_scan_shard *shard)
{
    size_t kept = 0;
    if (shard->count <= 1)
        return;
    for (size_t i = 0; i < list->count; i++) {
        if (fo_scan_shard_of(list->ids[i], shard->count) == shard->index)
            list->ids[kept++] = list->ids[i];
        else
            free(list->ids[i]);
    }
    list->count = kept;
}
