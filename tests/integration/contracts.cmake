# The JSON contracts (docs/schemas/, docs/openapi.yaml): every JSON output of the real binary
# validated against its schema (python3-jsonschema), and the OpenAPI document's paths and
# methods against serve's route table, both ways.
fo_add_suite(contracts INTEGRATION TIMEOUT 900
  SOURCES integration/test_contracts.c integration/scanserve_fixture.c
  integration/fix_harness.c integration/mock_harness.c integration/testbed_fixture.c
  LIBS fo_serve fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON PkgConfig::MHD
  OpenSSL::Crypto Threads::Threads)
target_link_libraries(test_contracts PRIVATE util)
add_dependencies(test_contracts fastly-mock testbed-origins fixorigin)
add_test(NAME openapi_routes COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/contracts/check_openapi.py
  ${PROJECT_SOURCE_DIR}/docs/openapi.yaml ${PROJECT_SOURCE_DIR}/serve/serve_routes.c)
set_tests_properties(openapi_routes PROPERTIES LABELS unit TIMEOUT 60)
