/* report/'s internal helpers, shared by its JSON writers (report_json.c, probe_json.c,
 * saved_plan.c). Private to the module: report/ is a PRIVATE include path. */
#ifndef FO_REPORT_INT_H
#define FO_REPORT_INT_H

#include <jansson.h>
#include <stdbool.h>

/* Adds value under key; a NULL value (out of memory) or a failed add clears *ok. */
static inline void put(json_t *obj, const char *key, json_t *value, bool *ok)
{
    if (!value || json_object_set_new(obj, key, value) != 0)
        *ok = false;
}

/* Appends value to array; a NULL value or a failed append clears *ok. */
static inline void push(json_t *array, json_t *value, bool *ok)
{
    if (!value || json_array_append_new(array, value) != 0)
        *ok = false;
}

#endif
