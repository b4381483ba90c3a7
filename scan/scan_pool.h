/* scan/scan_pool.h: the fleet as one pool of probes. Readers (--concurrency of them, each
 * with its own API client) read the selected services' details; every backend of every
 * service read goes into one probe pool (fo_probe_run_stream, --probe-concurrency at once);
 * a service whose backends are all probed is handed to the workers that plan and apply it.
 * A silent backend then holds up only its own service, never another. Private to scan/. */
#ifndef FO_SCAN_POOL_H
#define FO_SCAN_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "fixorigin/api.h"
#include "fixorigin/remediate.h"
#include "fixorigin/scan.h"

typedef struct fo_scan_pool fo_scan_pool;

/* Starts reading and probing ids (count of them) with prober. Returns 0 or FO_ENOMEM (then
 * nothing runs). */
int fo_scan_pool_start(fo_scan_pool **out, const fo_scan_options *opts, fo_prober *prober,
                       const char *const *ids, size_t count) FO_WARN_UNUSED;

/* Waits for a service whose backends are all probed (or whose read failed) and gives its
 * index; false when every service has been handed out. */
bool fo_scan_pool_next(fo_scan_pool *pool, size_t *index);

/* The plan options of service index: details (taken over by the plan) and its diagnoses.
 * Returns 0, or the read's code with err filled when the details read failed. */
int fo_scan_pool_plan_options(fo_scan_pool *pool, size_t index, fo_plan_options *popts,
                              fo_error *err);
/* --apply: hands over service index's lock, taken before its read (NULL when it could not
 * be: returns the code, err says why). Returns 0 otherwise. */
int fo_scan_pool_take_lock(fo_scan_pool *pool, size_t index, fo_scan_lock **lock, fo_error *err);
/* What the details read of service index spent. */
fo_api_stats fo_scan_pool_read_stats(const fo_scan_pool *pool, size_t index);

/* Frees what is left of service index (after its plan) and makes room for the next read. */
void fo_scan_pool_done(fo_scan_pool *pool, size_t index);

/* Waits for the readers and the probe pool and frees pool (NULL is fine). */
void fo_scan_pool_stop(fo_scan_pool *pool);

#endif
