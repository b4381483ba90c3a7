/* How many probes the file limit allows (see cmd.h). */
#include <stdio.h>

#include "cmd.h"
#include "fixorigin/probe.h"

int fo_cmd_fit_concurrency(long requested, bool explicit, const char *option)
{
    long limit = fo_fd_limit();
    int cap = fo_probe_concurrency_cap(limit);
    if (requested <= cap)
        return (int)requested;
    if (explicit)
        fprintf(stderr,
                "fixorigin: warning: %s %ld needs up to %ld file descriptors, but the file limit "
                "is %ld (ulimit -n): probing %d at once\n",
                option, requested, fo_probe_fds_needed((int)requested, limit), limit, cap);
    return cap;
}
