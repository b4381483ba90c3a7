# fastly-mock: its parts (unit) and the program over HTTP (integration), including the
# official Fastly CLI driving it (mock_cli; the first run downloads the CLI from npm).
fo_add_suite(mock_parts SOURCES unit/test_mock_parts.c LIBS fo_fastly_mock)
foreach(suite mock_api mock_faults mock_cli)
  fo_add_suite(${suite} INTEGRATION TIMEOUT 900 SOURCES integration/test_${suite}.c
    integration/mock_harness.c LIBS fo_test_cert PkgConfig::CURL PkgConfig::JANSSON
    Threads::Threads)
  add_dependencies(test_${suite} fastly-mock)
endforeach()
