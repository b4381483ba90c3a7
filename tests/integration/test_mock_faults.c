#include <check.h>
#include "mock_harness.h"
Suite *mock_faults_suite(void);
Suite *mock_faults_suite(void)
{
    return suite_create("x");
}
