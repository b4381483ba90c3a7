# What the subcommands share: argument helpers (cmd/args.c) and output helpers
# (report/output.c). No sockets.
fo_add_suite(cmd_util SOURCES unit/test_cmd_util.c LIBS fo_cmd)
target_include_directories(test_cmd_util PRIVATE ${PROJECT_SOURCE_DIR}/cmd)
# The exit codes' table (cmd/exit.c) against README.md, the man page and docs/json.md.
fo_add_suite(cmd_exit SOURCES unit/test_cmd_exit.c LIBS fo_cmd)
target_include_directories(test_cmd_exit PRIVATE ${PROJECT_SOURCE_DIR}/cmd)
