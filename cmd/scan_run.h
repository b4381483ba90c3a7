/* cmd/scan_run.h: a scan's run (scan_run.c: workers, locks, budget) and its output
 * (scan_output.c: text, json, ndjson). */
#ifndef FO_CMD_SCAN_RUN_H
#define FO_CMD_SCAN_RUN_H

#include <jansson.h>
#include <stdio.h>

#include "api.h"
#include "remediate.h"
#include "report_json.h"
#include "scan.h"

#define FO_SCAN_SCHEMA "fixorigin.scan/v1"

typedef enum fo_scan_format { FO_SCAN_TEXT, FO_SCAN_JSON, FO_SCAN_NDJSON } fo_scan_format;

typedef struct fo_scan_options {
    fo_scan_format format;
    int concurrency;
    bool apply; /* --apply --only-safe */
    bool only_safe;
    bool yes;
    long max_apply; /* services changed at most; -1: no limit */
    fo_activate_mode activate;
    char state_dir[FO_SCAN_PATH_MAX]; /* apply only */
    const char *trust_bundle;
    const fo_api_config *api; /* each worker makes its own client from it */
    fo_scan_shard shard;
    size_t selected;      /* services before --shard */
    fo_api_stats listing; /* what --all spent */
} fo_scan_options;

/* Works on every service and prints as it goes; returns the exit code (the most severe
 * service's result, 0 for none). */
int fo_scan_run(const fo_scan_options *opts, const char *const *ids, size_t count);

/* One service's outcome. */
typedef struct fo_scan_item {
    const char *service_id;
    fo_plan *plan;            /* NULL when it stopped before planning */
    fo_apply_result *applied; /* NULL unless apply ran */
    fo_result result;
    fo_error error;     /* code != 0: why it stopped, or why nothing was applied */
    fo_api_stats stats; /* spent on this service */
    double ms;
} fo_scan_item;

typedef struct fo_scan_summary {
    size_t services;
    size_t by_result[6]; /* indexed by fo_result */
    size_t applied;      /* services where apply wrote something */
    fo_result result;
    unsigned requests, writes;
    double elapsed_ms;
} fo_scan_summary;

/* ---- scan_output.c ---- */

/* The item's fixorigin.report/v1 object (NULL when out of memory). */
json_t *fo_scan_item_json(const fo_scan_options *opts, const fo_scan_item *item);
/* A few lines about the item: service, result, each backend's class and fix. */
void fo_scan_item_text(FILE *out, const fo_scan_item *item, bool color);
/* The summary object ("services", "shard", "results", "applied", "exit_code", "api"...). */
json_t *fo_scan_summary_json(const fo_scan_options *opts, const fo_scan_summary *summary);
void fo_scan_summary_text(FILE *out, const fo_scan_options *opts, const fo_scan_summary *summary);

#endif
