# testbed-origins checked on its own (OpenSSL's client and raw sockets), so the
# probe's integration tests stand on origins known to fail as their cases say.
fo_add_suite(testbed_origins INTEGRATION
  SOURCES integration/test_testbed_origins.c integration/testbed_fixture.c
  LIBS OpenSSL::SSL OpenSSL::Crypto PkgConfig::JANSSON)
add_dependencies(test_testbed_origins testbed-origins)

# The shared fixture (integration/testbed_fixture.c) runs processes through
# the harness library: link it into every suite that compiles the fixture,
# whichever fragment declared the suite. This fragment sorts after the other
# integration fragments, so their suites exist by now.
get_property(fo_suite_targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
foreach(suite_target ${fo_suite_targets})
  get_target_property(suite_sources ${suite_target} SOURCES)
  if(suite_sources MATCHES "integration/testbed_fixture.c")
    target_link_libraries(${suite_target} PRIVATE fo_testbed_harness)
  endif()
endforeach()
