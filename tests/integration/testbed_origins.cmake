# testbed-origins checked on its own (OpenSSL's client and raw sockets), so the
# probe's integration tests stand on origins known to fail as their cases say.
fo_add_suite(testbed_origins INTEGRATION
  SOURCES integration/test_testbed_origins.c integration/testbed_fixture.c
  LIBS fo_testbed_harness OpenSSL::SSL OpenSSL::Crypto PkgConfig::JANSSON)
add_dependencies(test_testbed_origins testbed-origins)

