# The real `fixorigin probe` against testbed-origins (and against TLS servers
# this project did not write), over loopback sockets.
foreach(suite probe_cases probe_targets probe_foreign probe_limits)
  fo_add_suite(${suite} INTEGRATION
    SOURCES integration/test_${suite}.c integration/testbed_fixture.c
    LIBS fo_testbed_harness PkgConfig::JANSSON)
  add_dependencies(test_${suite} testbed-origins fixorigin)
endforeach()

# Keep the benchmark runnable: one quick pass on a small testbed.
if(TARGET bench-probe)
  add_test(NAME bench_smoke COMMAND bench-probe --bin-dir ${CMAKE_BINARY_DIR}/bin
    --runs 1 --timeout-runs 1 --bulk 50 --concurrency 16 --mix 60 --mix-compare 0)
  set_tests_properties(bench_smoke PROPERTIES LABELS integration TIMEOUT 120
    PASS_REGULAR_EXPRESSION "50 loopback origins.*50 of 50 answers ok")
endif()
