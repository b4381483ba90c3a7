# The API client against the Fastly stand-in, over HTTP on loopback.
fo_add_suite(api_mock INTEGRATION SOURCES integration/test_api_mock.c LIBS fo_test_api_replay)
add_dependencies(test_api_mock fastly-mock fixorigin)
# The libcurl transport against an HTTP(S) server inside the test, on loopback.
fo_add_suite(api_http INTEGRATION SOURCES integration/test_api_http.c
  LIBS fo_api OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
