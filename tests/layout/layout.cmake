# Boundaries the compiler enforces (docs/HACKING.md, "Layering").
#
# 1. Every library links on its own: a program that links one library whole
#    (WHOLE_ARCHIVE) fails to build when any of its objects calls something the libraries it
#    declares do not supply. Built with everything, so `make` itself fails.
set(fo_layout_libraries fo_common fo_probe fo_api fo_vcl fo_remediate fo_report fo_scan fo_serve
  fo_cmd)
foreach(lib ${fo_layout_libraries})
  add_executable(fo_layout_links_${lib} ${CMAKE_CURRENT_LIST_DIR}/layout_main.c)
  set_target_properties(fo_layout_links_${lib} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/layout)
  target_link_libraries(fo_layout_links_${lib} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${lib}>")
  fo_target_setup(fo_layout_links_${lib})
endforeach()

# 2. Public headers compile on their own; internal ones cannot be reached. One object per
#    header, built only by the layout test, in a file that links every library.
set(fo_layout_public fixorigin/fo.h fixorigin/probe.h fixorigin/api.h fixorigin/remediate.h
  fixorigin/report.h fixorigin/scan.h fixorigin/serve.h fixorigin/vcl.h fixorigin/version.h)
set(fo_layout_internal api_int.h remediate_int.h report_int.h probe_tls.h probe_certs.h probe_net.h
  probe_hello.h probe_explain.h cmd.h)
foreach(header ${fo_layout_public} ${fo_layout_internal})
  string(MAKE_C_IDENTIFIER ${header} id)
  add_library(fo_layout_${id} OBJECT EXCLUDE_FROM_ALL ${CMAKE_CURRENT_LIST_DIR}/layout_include.c)
  target_compile_definitions(fo_layout_${id} PRIVATE FO_LAYOUT_HEADER="${header}")
  target_link_libraries(fo_layout_${id} PRIVATE ${fo_layout_libraries})
  fo_target_setup(fo_layout_${id})
endforeach()
string(REPLACE ";" "," fo_layout_public_arg "${fo_layout_public}")
string(REPLACE ";" "," fo_layout_internal_arg "${fo_layout_internal}")
add_test(NAME layout COMMAND ${CMAKE_COMMAND} -DBIN=${CMAKE_BINARY_DIR}
  -DSRC=${PROJECT_SOURCE_DIR} -DPUBLIC=${fo_layout_public_arg} -DINTERNAL=${fo_layout_internal_arg}
  -P ${CMAKE_CURRENT_LIST_DIR}/check_layout.cmake)
set_tests_properties(layout PROPERTIES LABELS unit TIMEOUT 300)

# 3. Every symbol a library exports carries one of its module's prefixes (docs/HACKING.md,
#    "Prefixes"): nm on each library, checked against the table.
set(fo_layout_library_args "")
foreach(lib ${fo_layout_libraries})
  list(APPEND fo_layout_library_args "${lib}=$<TARGET_FILE:${lib}>")
endforeach()
add_test(NAME symbol_prefixes COMMAND python3 ${CMAKE_CURRENT_LIST_DIR}/check_prefixes.py
  ${CMAKE_NM} ${PROJECT_SOURCE_DIR}/docs/HACKING.md ${fo_layout_library_args})
set_tests_properties(symbol_prefixes PROPERTIES LABELS unit TIMEOUT 60)
