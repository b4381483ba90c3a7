/* fixorigin scan's choice of services: services files, de-duplication, --shard parsing and
 * a split that is stable (by id, not position), complete and disjoint; and the per-service
 * locks in the state directory, including a lock file a dead run left behind. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixorigin/scan.h"

Suite *scan_select_suite(void);

START_TEST(services_file_read)
{
    fo_scan_list list = {0};
    fo_error err;
    const char *text = "# fleet\nSVC1\n  SVC2  # the shop\n\nSVC1\r\nsvc_3-x\n";
    ck_assert_int_eq(fo_scan_list_read(&list, text, "fleet.txt", &err), 0);
    ck_assert_uint_eq(list.count, 3);
    ck_assert_str_eq(list.ids[0], "SVC1");
    ck_assert_str_eq(list.ids[1], "SVC2");
    ck_assert_str_eq(list.ids[2], "svc_3-x");
    fo_scan_list_clear(&list);
    ck_assert_ptr_null(list.ids);
}
END_TEST

START_TEST(services_file_refused)
{
    fo_scan_list list = {0};
    fo_error err;
    ck_assert_int_eq(fo_scan_list_read(&list, "SVC1\nSVC 2\n", "fleet.txt", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg,
                     "fleet.txt:2: 'SVC 2' is not a service id (letters, digits, _ and -)");
    fo_scan_list_clear(&list);
    ck_assert_int_eq(fo_scan_list_read(&list, "ok\n../x\n", "f", &err), FO_EINVAL);
    fo_scan_list_clear(&list);
    char long_id[100];
    memset(long_id, 'A', 70);
    long_id[70] = '\0';
    ck_assert_int_eq(fo_scan_list_read(&list, long_id, "f", &err), FO_EINVAL);
    ck_assert_str_eq(err.msg, "f:1: a service id is at most 64 characters");
    fo_scan_list_clear(&list);
    ck_assert_int_eq(fo_scan_list_load(&list, "/nonexistent/fleet.txt", &err), FO_EIO);
    ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/fleet.txt"));
    fo_scan_list_clear(&list);
}
END_TEST

START_TEST(shard_parsed)
{
    fo_scan_shard shard;
    fo_error err;
    ck_assert_int_eq(fo_scan_shard_parse(&shard, "1/4", &err), 0);
    ck_assert_uint_eq(shard.index, 1);
    ck_assert_uint_eq(shard.count, 4);
    ck_assert_int_eq(fo_scan_shard_parse(&shard, "4/4", &err), 0);
    const char *bad[] = {"0/4",  "5/4",  "1/0",  "1",       "/4", "1/", "a/4",
                         "1/4x", "-1/4", "1/-4", "1/10001", "",   NULL};
    for (int i = 0; bad[i]; i++) {
        ck_assert_msg(fo_scan_shard_parse(&shard, bad[i], &err) == FO_EINVAL, "%s", bad[i]);
        ck_assert_ptr_nonnull(strstr(err.msg, "--shard"));
    }
    ck_assert_int_eq(fo_scan_shard_parse(&shard, NULL, &err), FO_EINVAL);
}
END_TEST

static void add(fo_scan_list *list, const char *id)
{
    ck_assert_int_eq(fo_scan_list_add(list, id, strlen(id)), 0);
}

START_TEST(shards_split_the_fleet_stably)
{
    enum { SERVICES = 400, SHARDS = 4 };
    char id[32];
    size_t seen = 0;
    /* The FNV-1a value of a known id, so other tools can reproduce the split. */
    ck_assert_uint_eq(fo_scan_shard_of("SVC0EXAMPLE", 1), 1);
    ck_assert_uint_eq(fo_scan_shard_of("a", 1000), 0xaf63dc4c8601ec8cULL % 1000 + 1);
    for (unsigned s = 1; s <= SHARDS; s++) {
        fo_scan_list forward = {0}, backward = {0};
        for (int i = 0; i < SERVICES; i++) {
            snprintf(id, sizeof(id), "SVC%04d", i);
            add(&forward, id);
            snprintf(id, sizeof(id), "SVC%04d", SERVICES - 1 - i);
            add(&backward, id);
        }
        /* The list also holds a service the other does not: position must not matter. */
        add(&backward, "ONLYHERE");
        fo_scan_shard shard = {s, SHARDS};
        fo_scan_list_shard(&forward, &shard);
        fo_scan_list_shard(&backward, &shard);
        size_t common = 0;
        for (size_t i = 0; i < forward.count; i++) {
            ck_assert_uint_eq(fo_scan_shard_of(forward.ids[i], SHARDS), s);
            for (size_t j = 0; j < backward.count; j++)
                common += strcmp(forward.ids[i], backward.ids[j]) == 0;
        }
        ck_assert_uint_eq(common, forward.count);
        /* Roughly even: each shard holds between half and twice its share. */
        ck_assert_uint_gt(forward.count, SERVICES / SHARDS / 2);
        ck_assert_uint_lt(forward.count, SERVICES / SHARDS * 2);
        seen += forward.count;
        fo_scan_list_clear(&forward);
        fo_scan_list_clear(&backward);
    }
    ck_assert_uint_eq(seen, SERVICES);
}
END_TEST

static char state_dir[64];

static void make_state_dir(void)
{
    snprintf(state_dir, sizeof(state_dir), "/tmp/fo-scan-lock-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(state_dir));
}

static void remove_state_dir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", state_dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(locks_exclude_each_other)
{
    fo_scan_lock *first = NULL, *second = NULL, *other = NULL;
    fo_error err;
    make_state_dir();
    ck_assert_int_eq(fo_scan_lock_acquire(&first, state_dir, "SVC1", &err), 0);
    ck_assert_ptr_nonnull(first);
    /* Held: refused at once, naming the holder. */
    ck_assert_int_eq(fo_scan_lock_acquire(&second, state_dir, "SVC1", &err), FO_ECONFLICT);
    ck_assert_ptr_null(second);
    char expect[64];
    snprintf(expect, sizeof(expect), "(pid %ld on ", (long)getpid());
    ck_assert_msg(strstr(err.msg, "another fixorigin run is working on service SVC1") &&
                      strstr(err.msg, expect),
                  "%s", err.msg);
    /* Another service is free. */
    ck_assert_int_eq(fo_scan_lock_acquire(&other, state_dir, "SVC2", &err), 0);
    fo_scan_lock_release(first);
    ck_assert_int_eq(fo_scan_lock_acquire(&second, state_dir, "SVC1", &err), 0);
    fo_scan_lock_release(second);
    fo_scan_lock_release(other);
    fo_scan_lock_release(NULL);
    struct stat st;
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/locks", state_dir);
    ck_assert_int_eq(stat(dir, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    remove_state_dir();
}
END_TEST

START_TEST(lock_of_a_dead_run_is_taken_over)
{
    fo_scan_lock *lock = NULL;
    fo_error err;
    make_state_dir();
    /* A child takes the lock and dies without releasing it. */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        fo_scan_lock *held = NULL;
        _exit(fo_scan_lock_acquire(&held, state_dir, "SVC1", NULL) == 0 ? 0 : 1);
    }
    int status = 0;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    char path[128];
    snprintf(path, sizeof(path), "%s/locks/SVC1.lock", state_dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    ck_assert_int_eq(fo_scan_lock_acquire(&lock, state_dir, "SVC1", &err), 0);
    fo_scan_lock_release(lock);
    remove_state_dir();
}
END_TEST

START_TEST(lock_dir_problems)
{
    fo_scan_lock *lock = NULL;
    fo_error err;
    make_state_dir();
    char file[128];
    snprintf(file, sizeof(file), "%s/plainfile", state_dir);
    int fd = open(file, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(fo_scan_lock_acquire(&lock, file, "SVC1", &err), FO_EIO);
    ck_assert_ptr_null(lock);
    remove_state_dir();
}
END_TEST

START_TEST(state_dir_defaults)
{
    char dir[FO_SCAN_PATH_MAX];
    fo_error err;
    ck_assert_int_eq(fo_scan_state_dir(dir, sizeof(dir), "/srv/fo", &err), 0);
    ck_assert_str_eq(dir, "/srv/fo");
    setenv("XDG_STATE_HOME", "/xdg/state", 1);
    setenv("HOME", "/home/ops", 1);
    ck_assert_int_eq(fo_scan_state_dir(dir, sizeof(dir), NULL, &err), 0);
    ck_assert_str_eq(dir, "/xdg/state/fixorigin");
    setenv("XDG_STATE_HOME", "relative/state", 1);
    ck_assert_int_eq(fo_scan_state_dir(dir, sizeof(dir), NULL, &err), 0);
    ck_assert_str_eq(dir, "/home/ops/.local/state/fixorigin");
    unsetenv("XDG_STATE_HOME");
    ck_assert_int_eq(fo_scan_state_dir(dir, sizeof(dir), "", &err), 0);
    ck_assert_str_eq(dir, "/home/ops/.local/state/fixorigin");
    unsetenv("HOME");
    ck_assert_int_eq(fo_scan_state_dir(dir, sizeof(dir), NULL, &err), FO_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "--state-dir"));
}
END_TEST

Suite *scan_select_suite(void)
{
    Suite *s = suite_create("scan_select");
    TCase *tc = tcase_create("select");
    tcase_add_test(tc, services_file_read);
    tcase_add_test(tc, services_file_refused);
    tcase_add_test(tc, shard_parsed);
    tcase_add_test(tc, shards_split_the_fleet_stably);
    tcase_add_test(tc, locks_exclude_each_other);
    tcase_add_test(tc, lock_of_a_dead_run_is_taken_over);
    tcase_add_test(tc, lock_dir_problems);
    tcase_add_test(tc, state_dir_defaults);
    suite_add_tcase(s, tc);
    return s;
}
