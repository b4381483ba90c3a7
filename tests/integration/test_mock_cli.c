#include <check.h>
#include "mock_harness.h"
Suite *mock_cli_suite(void);
Suite *mock_cli_suite(void)
{
    return suite_create("x");
}
