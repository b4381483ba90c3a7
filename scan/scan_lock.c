/* Per-service locks, so two runs (two scans, a scan and serve) never plan and change the
 * same service at once. A lock is flock(2) on STATE_DIR/locks/<service>.lock: the kernel
 * drops it when its holder exits or dies, so a run that crashed leaves no stale lock behind,
 * only a file naming its last holder, which the next run simply takes over. The files are
 * never removed: removing a locked file would let a third run lock a new file of the same
 * name while the second still holds the old one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixorigin/scan.h"

struct fo_scan_lock {
    int fd;
};

/* A directory whose files decide who may change a service must be ours alone, as ssh
 * wants of ~/.ssh: not a symbolic link (someone could point it elsewhere), owned by this
 * user (or root), writable by no one else. FO_EIO (the program's own files) with what to
 * do. */
static int check_private_dir(const char *path, fo_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return fo_error_set(err, FO_EIO, "cannot read %s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode))
        return fo_error_set(err, FO_EIO,
                            "refusing the state directory %s: it is a symbolic link; give the "
                            "directory it names with --state-dir",
                            path);
    if (!S_ISDIR(st.st_mode))
        return fo_error_set(err, FO_EIO, "%s is not a directory", path);
    if (st.st_uid != geteuid() && st.st_uid != 0)
        return fo_error_set(err, FO_EIO,
                            "refusing the state directory %s: it belongs to uid %ld, not to this "
                            "user (uid %ld)",
                            path, (long)st.st_uid, (long)geteuid());
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return fo_error_set(err, FO_EIO,
                            "refusing the state directory %s: other users may write to it (mode "
                            "%04o); run chmod go-w %s",
                            path, (unsigned)(st.st_mode & 07777), path);
    return 0;
}

/* mkdir -p with mode 0700 for what it creates. */
static int make_dirs(const char *path, fo_error *err)
{
    char partial[FO_SCAN_PATH_MAX];
    size_t len = strlen(path);
    if (len == 0 || len >= sizeof(partial))
        return fo_error_set(err, FO_EINVAL, "state directory path too long");
    memcpy(partial, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (partial[i] != '/' && partial[i] != '\0')
            continue;
        char saved = partial[i];
        partial[i] = '\0';
        if (mkdir(partial, 0700) != 0 && errno != EEXIST)
            return fo_error_set(err, FO_EIO, "cannot create %s: %s", partial, strerror(errno));
        partial[i] = saved;
    }
    return 0;
}

int fo_scan_state_dir_ready(const char *state_dir, fo_error *err)
{
    char locks[FO_SCAN_PATH_MAX];
    if ((size_t)snprintf(locks, sizeof(locks), "%s/locks", state_dir) >= sizeof(locks))
        return fo_error_set(err, FO_EINVAL, "state directory path too long");
    int rc = make_dirs(locks, err);
    if (rc == 0)
        rc = check_private_dir(state_dir, err);
    if (rc == 0)
        rc = check_private_dir(locks, err);
    return rc;
}

int fo_scan_state_dir(char *out, size_t size, const char *given, fo_error *err)
{
    const char *xdg = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    /* The XDG base directory spec: a relative XDG_STATE_HOME is invalid and ignored. */
    if (!fo_str_empty(given))
        n = snprintf(out, size, "%s", given);
    else if (!fo_str_empty(xdg) && xdg[0] == '/')
        n = snprintf(out, size, "%s/fixorigin", xdg);
    else if (!fo_str_empty(home))
        n = snprintf(out, size, "%s/.local/state/fixorigin", home);
    else
        return fo_error_set(err, FO_EINVAL,
                            "no state directory: pass --state-dir, or set XDG_STATE_HOME or HOME");
    if (n < 0 || (size_t)n >= size || (size_t)n + sizeof("/locks/") + 64 + 5 > FO_SCAN_PATH_MAX)
        return fo_error_set(err, FO_EINVAL, "state directory path too long");
    return 0;
}

/* What the lock file says about its last holder, for the message of a refused lock. */
static void read_holder(int fd, char *out, size_t size)
{
    ssize_t n = pread(fd, out, size - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    out[strcspn(out, "\n")] = '\0';
    for (char *p = out; *p; p++)
        *p = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
}

int fo_scan_lock_acquire(fo_scan_lock **out, const char *state_dir, const char *service_id,
                         fo_error *err)
{
    char dir[FO_SCAN_PATH_MAX], path[FO_SCAN_PATH_MAX], holder[200], host[64] = "?";
    fo_scan_lock *lock = NULL;
    int rc = 0, fd = -1;
    *out = NULL;
    int dir_len = snprintf(dir, sizeof(dir), "%s/locks", state_dir);
    int path_len = snprintf(path, sizeof(path), "%s/locks/%s.lock", state_dir, service_id);
    if (dir_len < 0 || path_len < 0 || (size_t)dir_len >= sizeof(dir) ||
        (size_t)path_len >= sizeof(path)) {
        rc = fo_error_set(err, FO_EINVAL, "state directory path too long");
        goto out;
    }
    if ((rc = fo_scan_state_dir_ready(state_dir, err)) != 0)
        goto out;
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        rc = fo_error_set(err, FO_EIO, "cannot open the lock %s: %s", path, strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) {
            read_holder(fd, holder, sizeof(holder));
            rc = fo_error_set(err, FO_ECONFLICT,
                              "another fixorigin run is working on service %s (%s)", service_id,
                              holder[0] ? holder : "its lock file names no holder");
        } else {
            rc = fo_error_set(err, FO_EIO, "cannot lock %s: %s", path, strerror(errno));
        }
        goto out;
    }
    /* Ours now, whoever held it before: name the holder for the next one refused. */
    char stamp[32];
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    fo_format_time(stamp, sizeof(stamp), (int64_t)time(NULL));
    int len =
        snprintf(holder, sizeof(holder), "pid %ld on %s since %s\n", (long)getpid(), host, stamp);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, holder, (size_t)len, 0) != len) {
        rc = fo_error_set(err, FO_EIO, "cannot write the lock %s: %s", path, strerror(errno));
        goto out;
    }
    if (!(lock = malloc(sizeof(*lock)))) {
        rc = fo_error_set(err, FO_ENOMEM, "out of memory");
        goto out;
    }
    lock->fd = fd;
    fd = -1;
    *out = lock;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

void fo_scan_lock_release(fo_scan_lock *lock)
{
    if (!lock)
        return;
    close(lock->fd); /* drops the flock */
    free(lock);
}
