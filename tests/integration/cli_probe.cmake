# The probe on real sockets around the per-class cases: `fixorigin probe`'s command line
# and the library as the remediation uses it, against testbed-origins.
fo_add_suite(cli_probe INTEGRATION
  SOURCES integration/test_cli_probe.c integration/testbed_fixture.c
  LIBS fo_probe fo_testbed_harness fo_test_cert PkgConfig::JANSSON OpenSSL::SSL Threads::Threads)
add_dependencies(test_cli_probe testbed-origins fixorigin)
# A connect that fails on this machine (a network namespace with loopback down) is reported
# as the prober's failure, not the origin's.
fo_add_suite(local_failures INTEGRATION SOURCES integration/test_local_failures.c)
add_dependencies(test_local_failures fixorigin)
