# fixorigin scan and serve: the parts that need no sockets.
foreach(suite scan_ack scan_select scanserve_exit serve_auth serve_blocks serve_input serve_plans)
  fo_add_suite(${suite} SOURCES unit/test_${suite}.c LIBS fo_serve)
endforeach()
