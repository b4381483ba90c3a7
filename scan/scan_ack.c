/* scan --ack FILE: known problems a person has acknowledged, so that an unattended scan
 * keeps reporting them but leaves them out of its exit code until they expire. One
 * acknowledgement a line (docs/unattended.md):
 *
 *     SERVICE  BACKEND  CLASS  EXPIRES  REASON...
 *
 * BACKEND is a name ("double quotes" when it holds spaces, with \" and \\) or * for every
 * backend; CLASS a class id as reports print it, error, or *; EXPIRES YYYY-MM-DD (through
 * that day, UTC), YYYY-MM-DDTHH:MM:SSZ, or - for none; REASON the rest of the line. '#'
 * starts a comment line. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixorigin/scan.h"

enum { ACK_LINE_MAX = 4096, ACK_MAX = 10000 };

static void ack_clear(fo_scan_ack *a)
{
    free(a->service_id);
    free(a->backend);
    free(a->class_id);
    free(a->reason);
    memset(a, 0, sizeof(*a));
}

void fo_scan_acks_clear(fo_scan_acks *acks)
{
    for (size_t i = 0; i < acks->count; i++)
        ack_clear(&acks->items[i]);
    free(acks->items);
    memset(acks, 0, sizeof(*acks));
}

/* The next field of *p into a new string (a quoted one unescaped); NULL at the end of the
 * line or on a bad quote (*bad set). */
static char *next_field(const char **p, bool *bad)
{
    const char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    if (!*s) {
        *p = s;
        return NULL;
    }
    fo_buf out = {0};
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            if (fo_buf_append(&out, s, 1) != 0)
                break;
        }
        if (*s != '"' || (s[1] && s[1] != ' ' && s[1] != '\t')) {
            *bad = true;
            fo_buf_clear(&out);
            return NULL;
        }
        s++;
    } else {
        size_t len = strcspn(s, " \t");
        if (fo_buf_append(&out, s, len) != 0)
            *bad = true;
        s += len;
    }
    *p = s;
    if (fo_buf_append(&out, "", 0) != 0) {
        *bad = true;
        fo_buf_clear(&out);
        return NULL;
    }
    return fo_buf_steal(&out);
}

/* "-", "YYYY-MM-DD" (end of that day, UTC) or "YYYY-MM-DDTHH:MM:SSZ" into *out (0: none). */
static bool parse_expiry(long long *out, const char *text)
{
    struct tm tm;
    int y = 0, mo = 0, d = 0, h = 23, mi = 59, sec = 59, n = 0;
    if (strcmp(text, "-") == 0) {
        *out = 0;
        return true;
    }
    if (!(sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) == 3 && (size_t)n == strlen(text) &&
          n == 10) &&
        !(sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 &&
          (size_t)n == strlen(text) && n == 20))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1970)
        return false;
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* timegm normalises 2026-02-31 away */
        return false;
    *out = (long long)t;
    return true;
}

static int line_error(fo_error *err, const char *path, size_t line, const char *what)
{
    return fo_error_set(err, FO_EINVAL,
                        "%s:%zu: %s (expected: SERVICE BACKEND CLASS EXPIRES "
                        "REASON; see docs/unattended.md)",
                        path, line, what);
}

/* One line (not blank, not a comment) into a. */
static int parse_line(fo_scan_ack *a, const char *text, const char *path, size_t line,
                      fo_error *err)
{
    bool bad = false;
    char *expires = NULL;
    int rc = 0;
    const char *p = text;
    a->service_id = next_field(&p, &bad);
    a->backend = bad ? NULL : next_field(&p, &bad);
    a->class_id = bad ? NULL : next_field(&p, &bad);
    expires = bad ? NULL : next_field(&p, &bad);
    while (*p == ' ' || *p == '\t')
        p++;
    if (bad) {
        rc = line_error(err, path, line, "a quoted backend name is not closed");
    } else if (!a->service_id || !a->backend || !a->class_id || !expires || !*p) {
        rc = line_error(err, path, line, "too few fields: a reason is required");
    } else if (!fo_api_service_id_valid(a->service_id)) {
        rc = line_error(err, path, line, "the service is not a service id");
    } else if (strcmp(a->class_id, "*") != 0 && strcmp(a->class_id, "error") != 0 &&
               fo_class_parse(&(fo_class){0}, a->class_id) != 0) {
        rc = line_error(err, path, line,
                        "unknown class (a class id as reports print it, "
                        "error, or *)");
    } else if (!parse_expiry(&a->expires, expires)) {
        rc = line_error(err, path, line, "EXPIRES must be YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or -");
    } else if (!(a->reason = fo_strdup(p))) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
    }
    free(expires);
    return rc;
}

int fo_scan_acks_load(fo_scan_acks *out, const char *path, fo_error *err)
{
    FILE *f = NULL;
    memset(out, 0, sizeof(*out));
    if (strcmp(path, "-") != 0 && !(f = fopen(path, "r")))
        return fo_error_set(err, FO_EIO, "cannot read the acknowledgements %s: %s", path,
                            strerror(errno));
    int rc = 0;
    if (!f && (rc = fo_input_open(&f, path, err)) != 0) /* "-": stdin */
        return rc;
    rc = fo_scan_acks_read(out, f, fo_input_name(path), err);
    fo_input_close(f);
    return rc;
}

/* One line of f into text, without its newline: 1, or 0 at the end of the file. getc, not
 * fgets: fgets cannot tell a NUL byte from the end of the line, so "SVC\0..." would be read
 * as "SVC" and an over-long line with an early NUL as two lines. */
static int read_line(char (*text)[ACK_LINE_MAX + 1], FILE *f, bool *too_long, bool *nul)
{
    size_t n = 0;
    int c = EOF;
    *too_long = *nul = false;
    while ((c = getc(f)) != EOF && c != '\n') {
        *nul = *nul || c == '\0';
        if (n < ACK_LINE_MAX)
            (*text)[n++] = (char)c;
        else
            *too_long = true;
    }
    (*text)[n] = '\0';
    return c != EOF || n > 0 || *too_long;
}

int fo_scan_acks_read(fo_scan_acks *out, FILE *f, const char *path, fo_error *err)
{
    int rc = 0;
    char text[ACK_LINE_MAX + 1];
    bool too_long = false, nul = false;
    size_t line = 0;
    memset(out, 0, sizeof(*out));
    while (rc == 0 && read_line(&text, f, &too_long, &nul)) {
        line++;
        if (nul || too_long) {
            rc = line_error(err, path, line, nul ? "a NUL byte" : "line too long");
            break;
        }
        text[strcspn(text, "\r")] = '\0';
        const char *p = text + strspn(text, " \t");
        if (!*p || *p == '#')
            continue;
        if (out->count == ACK_MAX) {
            rc = line_error(err, path, line, "more than 10000 acknowledgements");
            break;
        }
        fo_scan_ack *grown = realloc(out->items, (out->count + 1) * sizeof(*grown));
        if (!grown) {
            rc = fo_error_set(err, FO_ENOMEM, "out of memory");
            break;
        }
        out->items = grown;
        memset(&out->items[out->count], 0, sizeof(fo_scan_ack));
        rc = parse_line(&out->items[out->count], p, path, line, err);
        if (rc != 0)
            ack_clear(&out->items[out->count]);
        else
            out->count++;
    }
    if (rc == 0 && ferror(f))
        rc = fo_error_set(err, FO_EIO, "cannot read the acknowledgements %s", path);
    if (rc != 0)
        fo_scan_acks_clear(out);
    return rc;
}

const fo_scan_ack *fo_scan_acks_find(const fo_scan_acks *acks, const char *service_id,
                                     const char *backend, const char *class_id, long long now,
                                     bool *out_expired)
{
    const fo_scan_ack *expired = NULL;
    *out_expired = false;
    for (size_t i = 0; acks && i < acks->count; i++) {
        const fo_scan_ack *a = &acks->items[i];
        if (strcmp(a->service_id, service_id) != 0 ||
            (strcmp(a->backend, "*") != 0 && (!backend || strcmp(a->backend, backend) != 0)) ||
            (strcmp(a->class_id, "*") != 0 && strcmp(a->class_id, class_id) != 0))
            continue;
        if (a->expires == 0 || now <= a->expires)
            return a;
        expired = expired ? expired : a;
    }
    *out_expired = expired != NULL;
    return expired;
}

/* The class a backend is reported under ("error" when it could not be probed). */
static const char *backend_class(const fo_backend_plan *bp)
{
    if (bp->status == FO_BACKEND_ERROR || !bp->diagnosis)
        return "error";
    return fo_class_id(bp->diagnosis->verdict.class);
}

fo_result fo_scan_acks_result(const fo_scan_acks *acks, const fo_scan_item *item, long long now,
                              size_t *out_acknowledged)
{
    bool expired = false;
    *out_acknowledged = 0;
    if (!acks || acks->count == 0)
        return item->result;
    /* An apply ran: what it did (verified, rolled back, failed) is news, never acknowledged. */
    if (item->applied)
        return item->result;
    if (!item->plan) {
        /* It stopped before planning: only "error" (or *) for the whole service covers it. */
        if (item->result != FO_RESULT_OK &&
            fo_scan_acks_find(acks, item->service_id, NULL, "error", now, &expired) && !expired) {
            *out_acknowledged = 1;
            return FO_RESULT_OK;
        }
        return item->result;
    }
    fo_result result = FO_RESULT_OK;
    for (size_t i = 0; i < item->plan->backend_count; i++) {
        const fo_backend_plan *bp = &item->plan->backends[i];
        if (bp->status == FO_BACKEND_OK)
            continue;
        if (fo_scan_acks_find(acks, item->service_id, bp->backend->name, backend_class(bp), now,
                              &expired) &&
            !expired) {
            (*out_acknowledged)++;
            continue;
        }
        fo_backend_status status = bp->status;
        fo_result r = status == FO_BACKEND_FIX     ? FO_RESULT_PLANNED
                      : status == FO_BACKEND_ERROR ? FO_RESULT_ERROR
                                                   : FO_RESULT_NEEDS_HUMAN;
        result = fo_remediate_result_worse(result, r);
    }
    /* What the plan alone does not say (a conflict, an error after planning) still counts. */
    if (item->result != fo_remediate_result(item->plan, NULL))
        result = fo_remediate_result_worse(result, item->result);
    return result;
}

const char *fo_scan_ack_backend_class(const fo_backend_plan *bp)
{
    return backend_class(bp);
}
