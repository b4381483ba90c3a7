/* Core dumps and secrets, for every command. A fixorigin process holds the Fastly token (and
 * serve its own secrets too): none writes a core dump or lets another user's debugger attach
 * (RLIMIT_CORE 0, PR_SET_DUMPABLE 0), and the secrets leave the environment block the
 * process started with (what /proc/PID/environ and a dump show) before any command runs.
 * main() calls fo_cmd_protect_process once; a command that has read its secrets calls
 * fo_cmd_forget_secrets to wipe the copies the environment still held. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "cmd.h"

/* Every variable that may hold a secret fixorigin reads. */
static const char *const secret_names[] = {"FASTLY_API_TOKEN", "FASTLY_API_KEY",
                                           "FIXORIGIN_SERVE_TOKEN", "SLACK_SIGNING_SECRET"};
#define SECRET_COUNT (sizeof(secret_names) / sizeof(secret_names[0]))

int fo_cmd_protect_process(void)
{
    struct rlimit none = {0, 0};
    if (setrlimit(RLIMIT_CORE, &none) != 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        fo_report_errorf("cannot turn off core dumps (they would hold the Fastly token): %s",
                         strerror(errno));
        return FO_EXIT_ERROR;
    }
    /* setenv keeps its copy on the heap, out of the block the kernel shows; the value in the
     * block itself is wiped. Until a command reads it, getenv finds the copy. */
    for (size_t i = 0; i < SECRET_COUNT; i++) {
        char *value = getenv(secret_names[i]);
        if (!value)
            continue;
        char *copy = strdup(value);
        OPENSSL_cleanse(value, strlen(value));
        int rc = copy ? setenv(secret_names[i], copy, 1) : -1;
        if (copy)
            OPENSSL_cleanse(copy, strlen(copy));
        free(copy);
        if (rc != 0) {
            unsetenv(secret_names[i]);
            fo_report_errorf("out of memory moving %s out of the environment", secret_names[i]);
            return FO_EXIT_ERROR;
        }
    }
    return FO_EXIT_OK;
}

void fo_cmd_forget_secrets(void)
{
    for (size_t i = 0; i < SECRET_COUNT; i++) {
        char *value = getenv(secret_names[i]);
        if (value)
            OPENSSL_cleanse(value, strlen(value));
        unsetenv(secret_names[i]);
    }
}
