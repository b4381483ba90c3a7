# The ClientHello reader behind testbed-origins' emulated RC4 origin.
fo_add_suite(testbed_hello SOURCES unit/test_testbed_hello.c LIBS fo_testbed_origins)
