# What a user reads, checked against the program. options_reference: each command's getopt
# table, its --help, the man page and docs/usage.md name the same options
# (tests/docs/check_options.py says how each is read).
add_test(NAME options_reference COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_options.py
  $<TARGET_FILE:fixorigin> ${PROJECT_SOURCE_DIR}/cmd ${PROJECT_SOURCE_DIR}/cmd/fixorigin.1
  ${PROJECT_SOURCE_DIR}/docs/usage.md)
set_tests_properties(options_reference PROPERTIES LABELS unit TIMEOUT 60)

# The bash and zsh completions: they load, complete, list each command's --help options, and
# `make install` (cmake --install) puts them where the shells look.
add_test(NAME completion COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_completion.py
  $<TARGET_FILE:fixorigin> ${PROJECT_SOURCE_DIR}/cmd/completion/fixorigin.bash
  ${PROJECT_SOURCE_DIR}/cmd/completion/_fixorigin ${PROJECT_BINARY_DIR})
set_tests_properties(completion PROPERTIES LABELS unit TIMEOUT 120)
