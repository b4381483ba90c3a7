# fixorigin scan and serve against fastly-mock and testbed-origins, over loopback (contracts:
# every JSON output against docs/schemas/, see contracts.cmake; serve_slack
# also runs the response_url receiver, on libmicrohttpd).
foreach(suite scan_docs scan_fleet serve_api serve_slack writers contracts terraform)
  fo_add_suite(${suite} INTEGRATION TIMEOUT 900
    SOURCES integration/test_${suite}.c integration/scanserve_fixture.c
    integration/fix_harness.c integration/mock_harness.c integration/testbed_fixture.c
    LIBS fo_serve fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON PkgConfig::MHD
    OpenSSL::Crypto Threads::Threads)
  target_link_libraries(test_${suite} PRIVATE util) # forkpty: questions on a terminal
  add_dependencies(test_${suite} fastly-mock testbed-origins fixorigin)
endforeach()

# scan run by a scheduler: --ack, and a summary even when the listing fails.
fo_add_suite(scan_unattended INTEGRATION TIMEOUT 600
  SOURCES integration/test_scan_unattended.c integration/scanserve_fixture.c
  integration/fix_harness.c integration/mock_harness.c integration/testbed_fixture.c
  LIBS fo_serve fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON PkgConfig::MHD
  OpenSSL::Crypto Threads::Threads)
target_link_libraries(test_scan_unattended PRIVATE util)
add_dependencies(test_scan_unattended fastly-mock testbed-origins fixorigin)

# Keep bench-scan runnable: one quick pass over a small fleet.
if(TARGET bench-scan)
  add_test(NAME bench_scan_smoke COMMAND bench-scan --bin-dir ${CMAKE_BINARY_DIR}/bin
    --services 20 --backends 2 --runs 1 --broken-every 5)
  set_tests_properties(bench_scan_smoke PROPERTIES LABELS integration TIMEOUT 300
    PASS_REGULAR_EXPRESSION "Every service reported as expected")
endif()
