# The probe's unit suites (no sockets).
fo_add_suite(probe_classify SOURCES unit/test_probe_classify.c LIBS fo_probe)
fo_add_suite(probe_hello SOURCES unit/test_probe_hello.c LIBS fo_probe)
fo_add_suite(probe_settings SOURCES unit/test_probe_settings.c LIBS fo_probe)
fo_add_suite(probe_certs SOURCES unit/test_probe_certs.c LIBS fo_probe fo_test_cert)
