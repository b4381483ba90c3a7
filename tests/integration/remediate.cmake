# `fixorigin --service` end to end: the real binary against fastly-mock (one per test) and
# testbed-origins (one per suite), over loopback.
foreach(suite fix_classes fix_faults fix_cli saved_plan ecosystem)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_${suite}.c)
    fo_add_suite(${suite} INTEGRATION TIMEOUT 600
      SOURCES integration/test_${suite}.c integration/fix_harness.c
        integration/mock_harness.c integration/testbed_fixture.c
      LIBS fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON Threads::Threads)
    add_dependencies(test_${suite} fixorigin fastly-mock testbed-origins)
    target_link_libraries(test_${suite} PRIVATE util) # forkpty: a confirmation on a terminal
  endif()
endforeach()

# Origins in custom VCL, snippets and pools, through fixorigin, scan and serve.
fo_add_suite(fix_origins INTEGRATION TIMEOUT 600
  SOURCES integration/test_fix_origins.c integration/fix_harness.c integration/mock_harness.c
    integration/testbed_fixture.c integration/scanserve_fixture.c
  LIBS fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON Threads::Threads)
add_dependencies(test_fix_origins fixorigin fastly-mock testbed-origins)
target_link_libraries(test_fix_origins PRIVATE util)
