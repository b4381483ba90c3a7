# `fixorigin probe`'s command line against testbed-origins: arguments, messages, exit
# codes, the environment, --targets streams.
fo_add_suite(cli_probe INTEGRATION
  SOURCES integration/test_cli_probe.c integration/testbed_fixture.c
  LIBS PkgConfig::JANSSON)
add_dependencies(test_cli_probe testbed-origins fixorigin)

# The probe library on real sockets: run_many with one shared prober, evidence, limits.
fo_add_suite(prober_run INTEGRATION
  SOURCES integration/test_prober_run.c integration/testbed_fixture.c
  LIBS fo_probe PkgConfig::JANSSON Threads::Threads)
add_dependencies(test_prober_run testbed-origins)
