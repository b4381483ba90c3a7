# fixorigin scan and serve against fastly-mock and testbed-origins, over loopback (serve_slack
# also runs the response_url receiver, on libmicrohttpd).
foreach(suite scan_fleet serve_api serve_slack)
  fo_add_suite(${suite} INTEGRATION TIMEOUT 900
    SOURCES integration/test_${suite}.c integration/scanserve_fixture.c
    integration/mock_harness.c integration/testbed_fixture.c
    LIBS fo_scanserve fo_testbed_harness PkgConfig::CURL PkgConfig::JANSSON PkgConfig::MHD
    OpenSSL::Crypto Threads::Threads)
  add_dependencies(test_${suite} fastly-mock testbed-origins fixorigin)
endforeach()
