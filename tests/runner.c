/* Runs one libcheck suite; FO_SUITE names its constructor (see tests/CMakeLists.txt). */
#include <check.h>
#include <stdlib.h>

Suite *FO_SUITE(void);

int main(void)
{
    SRunner *runner = srunner_create(FO_SUITE());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
