#include <check.h>
#include "mock.h"
Suite *mock_parts_suite(void);
Suite *mock_parts_suite(void)
{
    return suite_create("mock_parts");
}
