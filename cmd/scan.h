/* cmd/scan.h: what `fixorigin scan` (and serve, for its locks) share: the services a run
 * takes (scan_select.c) and per-service locks in the state directory (scan_lock.c). */
#ifndef FO_CMD_SCAN_H
#define FO_CMD_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "fo.h"
#include "probe.h"

#define FO_SCAN_MAX_SHARDS 10000
#define FO_SCAN_PATH_MAX 1024

/* ---- scan_select.c ---------------------------------------------------------------- */

/* Service ids, each once, in the order first added. Zero-initialise; free with
 * fo_scan_list_free. */
typedef struct fo_scan_list {
    char **ids;
    size_t count;
} fo_scan_list;

void fo_scan_list_free(fo_scan_list *list);
/* Adds id (id_len bytes) unless it is there already. 0 or FO_ENOMEM. */
int fo_scan_list_add(fo_scan_list *list, const char *id, size_t id_len) FO_WARN_UNUSED;
/* Adds the ids of a services file's text: one a line, '#' starts a comment, white space
 * around is ignored. name is used in messages ("fleet.txt:3: ..."). 0, FO_EINVAL naming the
 * line (not a service id), FO_ENOMEM. */
int fo_scan_list_read(fo_scan_list *list, const char *text, const char *name,
                      fo_error *err) FO_WARN_UNUSED;
/* The same for a file (at most 16 MiB); FO_EIO when it cannot be read. */
int fo_scan_list_load(fo_scan_list *list, const char *path, fo_error *err) FO_WARN_UNUSED;

/* --shard I/N: this run takes the services whose shard is I, of N (1 <= I <= N). */
typedef struct fo_scan_shard {
    unsigned index;
    unsigned count; /* 0: no sharding */
} fo_scan_shard;

int fo_scan_shard_parse(fo_scan_shard *out, const char *text, fo_error *err) FO_WARN_UNUSED;
/* The shard (1..count) of a service: FNV-1a 64 of its id, mod count, plus one. */
unsigned fo_scan_shard_of(const char *service_id, unsigned count);
/* Keeps only the services of shard (order kept). */
void fo_scan_list_shard(fo_scan_list *list, const fo_scan_shard *shard);

/* ---- scan_lock.c -------------------------------------------------------------------- */

/* The state directory: given (--state-dir) when set, else $XDG_STATE_HOME/fixorigin, else
 * $HOME/.local/state/fixorigin. Nothing is created here. 0 or FO_EINVAL. */
int fo_scan_state_dir(char *out, size_t size, const char *given, fo_error *err) FO_WARN_UNUSED;

typedef struct fo_scan_lock fo_scan_lock;

/* Takes the lock of service_id in state_dir/locks (created 0700 as needed) without waiting.
 * Returns 0 and the lock, FO_ECONFLICT when another run (or thread) holds it (the message
 * names the holder as its lock file says), FO_EIO, FO_ENOMEM. */
int fo_scan_lock_acquire(fo_scan_lock **out, const char *state_dir, const char *service_id,
                         fo_error *err) FO_WARN_UNUSED;
/* Releases the lock (NULL is fine). The file stays. */
void fo_scan_lock_release(fo_scan_lock *lock);

#endif
