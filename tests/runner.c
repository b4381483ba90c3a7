/* Runs one libcheck suite; FO_SUITE names its constructor (see tests/CMakeLists.txt). */
#include <check.h>
#include <stdlib.h>

Suite *FO_SUITE(void);

int main(void)
{
    /* Text output folds to $COLUMNS (80 off a terminal). The suites match whole sentences of
     * it, so they run wide; the folding itself is tested with the width set (cmd_util,
     * text_width), where a test passes COLUMNS or unsets it. */
    setenv("COLUMNS", "1000", 1);
    SRunner *runner = srunner_create(FO_SUITE());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
