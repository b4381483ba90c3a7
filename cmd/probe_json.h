/* cmd/probe_json.h: a diagnosis as the "fixorigin.probe/v1" JSON object, for the probe
 * command and for reports that embed a diagnosis. */
#ifndef FO_CMD_PROBE_JSON_H
#define FO_CMD_PROBE_JSON_H

#include <jansson.h>

#include "cmd.h"
#include "probe.h"

#define FO_PROBE_SCHEMA "fixorigin.probe/v1"

/* Compact, one line, times to the microsecond without float noise. */
#define FO_CMD_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(12))

/* A new "fixorigin.probe/v1" object for d (the caller owns the reference); line > 0 adds
 * "line" (the --targets input line). NULL when out of memory. */
json_t *fo_cmd_diagnosis_json(const fo_diagnosis *d, long line);

#endif
