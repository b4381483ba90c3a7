# The API client against the Fastly stand-in, over HTTP on loopback.
fo_add_suite(api_mock INTEGRATION SOURCES integration/test_api_mock.c LIBS fo_test_api_replay)
add_dependencies(test_api_mock fastly-mock fixorigin)
target_include_directories(test_api_mock PRIVATE ${PROJECT_SOURCE_DIR}/api) # api_int.h
# The libcurl transport against an HTTP(S) server inside the test, on loopback.
fo_add_suite(api_http INTEGRATION SOURCES integration/test_api_http.c
  LIBS fo_api OpenSSL::SSL OpenSSL::Crypto Threads::Threads)
# An API that drips, floods, falls silent or pages without end: the client and every
# command end within their bounds (docs/reliability.md).
fo_add_suite(hostile_api INTEGRATION TIMEOUT 600 SOURCES integration/test_hostile_api.c
  LIBS fo_api Threads::Threads)
add_dependencies(test_hostile_api fixorigin)
