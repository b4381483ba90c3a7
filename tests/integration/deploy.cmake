# The deployment examples and what ships them (tests/deploy/). The slow ones, which make a
# Debian root (the package, the image), run from .ci/run and `make test-package test-image`.
foreach(check systemd examples)
  add_test(NAME deploy_${check}
    COMMAND sh ${PROJECT_SOURCE_DIR}/tests/deploy/${check}-test.sh ${CMAKE_BINARY_DIR})
endforeach()
# Debian's python3, where python3-yaml is (install-deps.sh), before any other on the PATH.
find_program(FO_PYTHON3 python3 PATHS /usr/bin NO_DEFAULT_PATH)
find_program(FO_PYTHON3 python3)
add_test(NAME deploy_kubernetes
  COMMAND ${FO_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/deploy/kubernetes-test.py ${CMAKE_BINARY_DIR})
set_tests_properties(deploy_systemd deploy_examples deploy_kubernetes PROPERTIES
  TIMEOUT 180 LABELS "integration;deploy")
