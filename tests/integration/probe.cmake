# The real `fixorigin probe` against testbed-origins (and against TLS servers
# this project did not write), over loopback sockets.
foreach(suite probe_cases probe_targets probe_foreign)
  fo_add_suite(${suite} INTEGRATION
    SOURCES integration/test_${suite}.c integration/testbed_fixture.c
    LIBS fo_testbed_harness PkgConfig::JANSSON)
  add_dependencies(test_${suite} testbed-origins fixorigin)
endforeach()
