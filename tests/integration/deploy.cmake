# The deployment examples and what ships them (tests/deploy/). The slow ones, which make a
# Debian root (the package, the image), run from .ci/run and `make test-package test-image`.
foreach(check systemd)
  add_test(NAME deploy_${check}
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/deploy/${check}-test.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(deploy_${check} PROPERTIES TIMEOUT 120 LABELS "integration;deploy")
endforeach()
