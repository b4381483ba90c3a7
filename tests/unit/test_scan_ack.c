/* scan --ack's file: fields, quoted backend names, expiry forms, and how an entry is found
 * for a backend's problem (exact name or *, class or *, live before expired). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixorigin/scan.h"

Suite *scan_ack_suite(void);

static char path[64];

static void load(fo_scan_acks *acks, const char *text, int expect)
{
    snprintf(path, sizeof(path), "/tmp/fo-acks-XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    fo_error err;
    int rc = fo_scan_acks_load(acks, path, &err);
    unlink(path);
    ck_assert_msg(rc == expect, "rc %d: %s", rc, rc ? err.msg : "");
}

START_TEST(fields_quotes_and_expiry)
{
    fo_scan_acks acks;
    load(&acks,
         "# comment\n"
         "SVC1 \"Host 1\" hostname_mismatch 2030-06-30 the reason, with   spaces\r\n"
         "SVC1 \"say \\\"hi\\\" \\\\\" * 2030-06-30T12:00:00Z quoted quotes\n"
         "SVC2 * error - gone for good\n",
         0);
    ck_assert_uint_eq(acks.count, 3);
    ck_assert_str_eq(acks.items[0].backend, "Host 1");
    ck_assert_str_eq(acks.items[0].reason, "the reason, with   spaces");
    ck_assert_int_eq(acks.items[0].expires, 1909094399); /* 2030-06-30 23:59:59 UTC */
    ck_assert_str_eq(acks.items[1].backend, "say \"hi\" \\");
    ck_assert_int_eq(acks.items[1].expires, 1909051200);
    ck_assert_int_eq(acks.items[2].expires, 0);
    bool expired = false;
    const long long before = 1900000000, after = 1950000000;
    ck_assert_ptr_eq(
        fo_scan_acks_find(&acks, "SVC1", "Host 1", "hostname_mismatch", before, &expired),
        &acks.items[0]);
    ck_assert(!expired);
    ck_assert_ptr_null(
        fo_scan_acks_find(&acks, "SVC1", "Host 2", "hostname_mismatch", before, &expired));
    ck_assert_ptr_null(
        fo_scan_acks_find(&acks, "SVC1", "Host 1", "certificate_expired", before, &expired));
    ck_assert_ptr_eq(
        fo_scan_acks_find(&acks, "SVC1", "say \"hi\" \\", "connection_refused", before, &expired),
        &acks.items[1]);
    /* Past the expiry it is found, but as expired. */
    ck_assert_ptr_eq(
        fo_scan_acks_find(&acks, "SVC1", "Host 1", "hostname_mismatch", after, &expired),
        &acks.items[0]);
    ck_assert(expired);
    /* A service-wide error entry covers the service as a whole and any backend's error. */
    ck_assert_ptr_eq(fo_scan_acks_find(&acks, "SVC2", NULL, "error", after, &expired),
                     &acks.items[2]);
    ck_assert(!expired);
    ck_assert_ptr_null(
        fo_scan_acks_find(&acks, "SVC2", "b0", "hostname_mismatch", after, &expired));
    fo_scan_acks_clear(&acks);
}
END_TEST

/* --ack - reads stdin; a bad line names it (check forks each test: stdin is this test's). */
START_TEST(a_dash_is_stdin)
{
    int fds[2];
    const char *text = "SVC1 origin hostname_mismatch - known\nSVC2 b0 nope - x\n";
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], text, strlen(text)), (ssize_t)strlen(text));
    close(fds[1]);
    ck_assert_int_eq(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
    close(fds[0]);
    fo_scan_acks acks;
    fo_error err;
    ck_assert_int_eq(fo_scan_acks_load(&acks, "-", &err), FO_EINVAL);
    ck_assert_msg(strstr(err.msg, "stdin") && strstr(err.msg, "2"), "%s", err.msg);
}
END_TEST

START_TEST(bad_lines_are_refused)
{
    static const char *const bad[] = {
        "SVC1 b0 hostname_mismatch -\n",
        "SVC1 b0 hostname_mismatch\n",
        "SVC1 b0 bogus_class - r\n",
        "SVC1 b0 * 2030-13-01 r\n",
        "SVC1 b0 * 2030-1-1 r\n",
        "SVC1 \"b0 * - r\n",
        "SVC1 \"b0\"x * - r\n",
        "S V C * * - r\n",
        "SVC1 b0 * 2030-06-30T12:00:00 r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fo_scan_acks acks;
        load(&acks, bad[i], FO_EINVAL);
        ck_assert_uint_eq(acks.count, 0);
        ck_assert_ptr_null(acks.items);
    }
}
END_TEST

/* fgets could not see a NUL byte: "SVC1\0..." read as "SVC1", and an over-long line with an
 * early NUL as two lines, the second one parsed as an acknowledgement of its own. */
static void read_bytes(fo_scan_acks *acks, const char *bytes, size_t len, int expect,
                       const char *why)
{
    FILE *f = fmemopen((void *)bytes, len, "r");
    ck_assert_ptr_nonnull(f);
    fo_error err;
    int rc = fo_scan_acks_read(acks, f, "acks", &err);
    fclose(f);
    ck_assert_msg(rc == expect, "rc %d: %s", rc, rc ? err.msg : "");
    if (why)
        ck_assert_msg(strstr(err.msg, why) != NULL, "%s", err.msg);
}

START_TEST(nul_bytes_and_long_lines_are_refused)
{
    static const char nul_line[] = "SVC1 * * - reason\0 SVC2 * * - hidden\n";
    fo_scan_acks acks;
    read_bytes(&acks, nul_line, sizeof(nul_line) - 1, FO_EINVAL, "acks:1: a NUL byte");
    ck_assert_uint_eq(acks.count, 0);
    static const char nul_last[] = "SVC1 * * - ok\nSVC2 * * - r\0x";
    read_bytes(&acks, nul_last, sizeof(nul_last) - 1, FO_EINVAL, "acks:2: a NUL byte");

    /* An over-long line whose tail is an acknowledgement: one error, never a second line. */
    enum { LONG = 5000 };
    char *text = malloc(LONG + 64);
    ck_assert_ptr_nonnull(text);
    memset(text, 'x', LONG);
    memcpy(text, "SVC1 * * - ", 11);
    text[4] = '\0';
    int tail = snprintf(text + LONG, 64, "SVC9 * * - tail\n");
    read_bytes(&acks, text, LONG + (size_t)tail, FO_EINVAL, "acks:1: a NUL byte");
    text[4] = ' ';
    read_bytes(&acks, text, LONG + (size_t)tail, FO_EINVAL, "acks:1: line too long");
    free(text);

    /* The longest line read: 4096 bytes before the newline, a CR among them (dropped). */
    char max[4096 + 1];
    memset(max, 'r', sizeof(max));
    memcpy(max, "SVC1 * * - ", 11);
    max[4095] = '\r';
    max[4096] = '\n';
    read_bytes(&acks, max, sizeof(max), 0, NULL);
    ck_assert_uint_eq(acks.count, 1);
    ck_assert_uint_eq(strlen(acks.items[0].reason), 4095 - 11);
    fo_scan_acks_clear(&acks);
    max[4095] = 'r';
    max[4096] = 'r';
    read_bytes(&acks, max, sizeof(max), FO_EINVAL, "acks:1: line too long");
}
END_TEST

Suite *scan_ack_suite(void)
{
    Suite *s = suite_create("scan_ack");
    TCase *tc = tcase_create("ack");
    tcase_add_test(tc, fields_quotes_and_expiry);
    tcase_add_test(tc, bad_lines_are_refused);
    tcase_add_test(tc, a_dash_is_stdin);
    tcase_add_test(tc, nul_bytes_and_long_lines_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
