# The Debian package (`make package`): CPack's DEB generator over the same install() rules
# `make install` uses, so the package cannot ship a file the build does not install or miss
# one it does. The runtime Depends are derived from the installed binary by dpkg-shlibdeps,
# never written by hand. Units and examples are installed here; the program and the man
# page by cmd/.
include(GNUInstallDirs)

# The systemd units, disabled: the package's one maintainer script (debian/postinst) only
# makes the user fixorigin; nothing is enabled or started until the administrator says so.
install(FILES
  ${PROJECT_SOURCE_DIR}/examples/systemd/fixorigin-scan.service
  ${PROJECT_SOURCE_DIR}/examples/systemd/fixorigin-scan.timer
  ${PROJECT_SOURCE_DIR}/examples/systemd/fixorigin-serve.service
  DESTINATION lib/systemd/system)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/ USE_SOURCE_PERMISSIONS
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/fixorigin/examples)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/fixorigin RENAME copyright)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME fixorigin)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "fixorigin maintainers <fixorigin@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "probe and fix a Fastly service's TLS origins the way Fastly sees them")
# dpkg's long description: CPack puts the summary first and indents the rest.
set(CPACK_PACKAGE_DESCRIPTION "fixorigin connects to each origin of a Fastly service exactly as \
Fastly would, names the error Fastly would report with its evidence, plans the smallest fix, \
proves it by probing again and applies it through the Fastly API with a verified activation \
and rollback. It runs at a terminal, as a scheduled fleet scan (systemd timer, cron, \
Kubernetes CronJob) and as the backend of chat bots (fixorigin serve).")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Not libraries the binary links: every probe and API call checks certificates against the
# system's trust store, and postinst makes the user fixorigin with adduser.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ca-certificates, adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_CURRENT_LIST_DIR}/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
