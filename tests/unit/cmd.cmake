# What the subcommands share (cmd/util.c): argument and output helpers. No sockets.
fo_add_suite(cmd_util SOURCES unit/test_cmd_util.c ${PROJECT_SOURCE_DIR}/cmd/util.c
  LIBS PkgConfig::JANSSON)
target_include_directories(test_cmd_util PRIVATE ${PROJECT_SOURCE_DIR}/cmd)
