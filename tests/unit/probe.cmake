# The probe's unit suites (no sockets).
fo_add_suite(probe_classify SOURCES unit/test_probe_classify.c LIBS fo_probe)
fo_add_suite(probe_hello SOURCES unit/test_probe_hello.c LIBS fo_probe)
fo_add_suite(probe_settings SOURCES unit/test_probe_settings.c LIBS fo_probe)
fo_add_suite(probe_certs SOURCES unit/test_probe_certs.c LIBS fo_probe fo_test_cert)
# White-box: these read the probe's internal headers (probe_hello.h, probe_certs.h).
target_include_directories(test_probe_hello PRIVATE ${PROJECT_SOURCE_DIR}/probe)
target_include_directories(test_probe_certs PRIVATE ${PROJECT_SOURCE_DIR}/probe)
fo_add_suite(probe_addrs SOURCES unit/test_probe_addrs.c LIBS fo_probe)
target_include_directories(test_probe_addrs PRIVATE ${PROJECT_SOURCE_DIR}/probe)
