# The Fastly API client's unit suites: no sockets. They replay go-fastly's
# recorded exchanges (go-vcr YAML, read with libyaml) through a fake transport.
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
add_library(fo_test_api_replay STATIC unit/api_replay.c unit/api_testcert.c)
target_include_directories(fo_test_api_replay PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_compile_definitions(fo_test_api_replay PRIVATE
  FO_FIXTURES_DIR="${PROJECT_SOURCE_DIR}/tests/fixtures")
target_link_libraries(fo_test_api_replay PUBLIC fo_api fo_test_cert PkgConfig::YAML)
fo_target_setup(fo_test_api_replay)

fo_add_suite(api_form SOURCES unit/test_api_form.c LIBS fo_test_api_replay)
# White-box: the suite reads the api module's internal header (api_int.h).
target_include_directories(test_api_form PRIVATE ${PROJECT_SOURCE_DIR}/api)
fo_add_suite(api_model SOURCES unit/test_api_model.c LIBS fo_test_api_replay)
# The one table of backend fields (api/backend_fields.c) and the parser that reads it.
fo_add_suite(api_fields SOURCES unit/test_api_fields.c LIBS fo_api PkgConfig::JANSSON)
target_include_directories(test_api_fields PRIVATE ${PROJECT_SOURCE_DIR}/api) # api_int.h: the parser
fo_add_suite(api_writes SOURCES unit/test_api_writes.c LIBS fo_test_api_replay)
fo_add_suite(api_client SOURCES unit/test_api_client.c LIBS fo_test_api_replay)
# fixorigin show over recordings, through its transport seam (fo_cmd_show_with).
fo_add_suite(api_show SOURCES unit/test_api_show.c LIBS fo_cmd fo_test_api_replay
  PkgConfig::JANSSON OpenSSL::Crypto)
target_include_directories(test_api_show PRIVATE ${PROJECT_SOURCE_DIR}/cmd)
fo_add_suite(api_origins SOURCES unit/test_api_origins.c LIBS fo_test_api_replay)
