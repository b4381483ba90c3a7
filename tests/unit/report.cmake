# What the applications print with (report/): the exit codes' table against the docs.
fo_add_suite(report_exit SOURCES unit/test_report_exit.c LIBS fo_report)
