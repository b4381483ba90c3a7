# The JSON contracts (docs/contracts.md): the contracts suite (declared with the scan and serve
# suites in scanserve.cmake) validates every JSON output of the real binary against
# docs/schemas/; openapi_routes compares docs/openapi.yaml's paths and methods with serve's
# route table, both ways.
add_test(NAME openapi_routes COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/contracts/check_openapi.py
  ${PROJECT_SOURCE_DIR}/docs/openapi.yaml ${PROJECT_SOURCE_DIR}/serve/serve_routes.c)
set_tests_properties(openapi_routes PROPERTIES LABELS unit TIMEOUT 60)
