/* cmd/exit.c: the exit codes, in one table. Every command exits with fo_cmd_exit_code() of
 * its result, and the JSON objects (the report, scan's summary, serve's answers) carry the
 * same number as "exit_code": the front end hands the libraries the number or this function
 * (fo_exit_code_fn), so no library holds an exit code. README.md's and the man page's
 * exit-code tables are checked against this table (tests/unit/test_cmd_exit.c). */
#include <stddef.h>

#include "cmd.h"

/* The order is the documentation's; several rows may not share a code. result is the run
 * result that exits with the code, or -1 when none does (a usage error stops before a run;
 * probe's problem has no fo_result). */
static const fo_exit_status exit_statuses[] = {
    {FO_EXIT_OK, FO_RESULT_OK, "nothing wrong, or applied and verified"},
    {FO_EXIT_ERROR, FO_RESULT_ERROR, "could not run; nothing activated"},
    {FO_EXIT_PROBLEM, FO_RESULT_PLANNED,
     "a problem was found (probe), or fixes are planned (plan mode)"},
    {FO_EXIT_ROLLED_BACK, FO_RESULT_ROLLED_BACK, "activated, failed verification, rolled back"},
    {FO_EXIT_CONFLICT, FO_RESULT_CONFLICT,
     "conflict: the service changed meanwhile, or another writer is ahead; safe to retry"},
    {FO_EXIT_NEEDS_HUMAN, FO_RESULT_NEEDS_HUMAN, "problems found that need a person"},
    {FO_EXIT_USAGE, -1, "usage error"},
};

int fo_cmd_exit_code(fo_result result)
{
    for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(exit_statuses[0]); i++) {
        if (exit_statuses[i].result == (int)result)
            return exit_statuses[i].code;
    }
    return FO_EXIT_ERROR;
}

const fo_exit_status *fo_cmd_exit_statuses(size_t *count)
{
    *count = sizeof(exit_statuses) / sizeof(exit_statuses[0]);
    return exit_statuses;
}
