/* cmd/report_json.h: a remediation run as the "fixorigin.report/v1" JSON object: the plan,
 * each backend's probe (the "fixorigin.probe/v1" object), changes, safety, proof, what apply
 * did at each step, the versions and the API requests spent. `scan` and `serve` print the
 * same object per service. */
#ifndef FO_CMD_REPORT_JSON_H
#define FO_CMD_REPORT_JSON_H

#include <jansson.h>

#include "api.h"
#include "remediate.h"

#define FO_REPORT_SCHEMA "fixorigin.report/v1"

/* What the report says about one run. plan is NULL when the run stopped before it had one
 * (then error says why); applied is NULL in plan mode or when apply never started. */
typedef struct fo_cmd_report {
    const char *service_id;
    const fo_plan *plan;
    const fo_apply_result *applied;
    bool apply_mode;
    fo_result result;
    const char *error; /* the run's failure, or NULL */
    fo_api_stats stats;
} fo_cmd_report;

/* A new report object (the caller owns the reference), or NULL when out of memory. */
json_t *fo_cmd_report_json(const fo_cmd_report *report);

#endif
