# The remediation's unit suites: the pure planner, names, checks and results, on
# certificates made at run time (unit/remediate_fixture.c). No sockets.
add_library(fo_test_remediate_fixture STATIC unit/remediate_fixture.c)
target_include_directories(fo_test_remediate_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/unit)
target_link_libraries(fo_test_remediate_fixture PUBLIC fo_remediate fo_test_cert)
fo_target_setup(fo_test_remediate_fixture)
foreach(suite candidates names checks results terraform)
  fo_add_suite(remediate_${suite} SOURCES unit/test_remediate_${suite}.c
    LIBS fo_test_remediate_fixture)
endforeach()
# The draft check over details read through the client (replayed, no sockets).
fo_add_suite(remediate_structure SOURCES unit/test_remediate_structure.c
  LIBS fo_test_remediate_fixture fo_test_api_replay PkgConfig::JANSSON)
