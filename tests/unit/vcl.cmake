# The VCL reader and editor (vcl/): pure text in, text out. No sockets.
fo_add_suite(vcl SOURCES unit/test_vcl.c LIBS fo_vcl)
