/* Fuzzes the reader of probe --targets files (fo_probe_targets_parse, probe/settings.c):
 * `host[:port] key=value ...` a line, written by hand or by a script. Any text is read
 * without a crash or a leak; every target accepted has a host, a port in 1-65535, its
 * input line, and settings the probe can use (fo_probe_settings_check passes). An
 * ssl_ca_cert=@FILE names a file relative to the working directory: ctest and
 * scripts/fuzz.sh run from the top of the tree, so the seeds name certificates there. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fixorigin/probe.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    fo_probe_target_list *list = NULL;
    fo_error err;
    if (fo_probe_targets_parse(&list, text, "targets.txt", &err) == 0) {
        for (size_t i = 0; i < list->count; i++) {
            const fo_probe_target *t = &list->targets[i];
            if (!t->host || !*t->host || t->port < 1 || t->port > 65535 || list->lines[i] < 1 ||
                (i > 0 && list->lines[i] <= list->lines[i - 1]))
                abort();
            if (fo_probe_settings_check(&t->settings, &err) != 0)
                abort();
        }
    }
    fo_probe_target_list_free(list);
    free(text);
    return 0;
}
