# SPDX-License-Identifier: Apache-2.0
# Where `cmake --install` and the Debian package (CPack, below) put things:
# the same rules for both. Apache's folders come from apxs, as Debian's
# apache2-dev describes them.
include(GNUInstallDirs)
execute_process(COMMAND ${APXS} -q LIBEXECDIR OUTPUT_VARIABLE ONEP_APACHE_MODULE_DIR
  OUTPUT_STRIP_TRAILING_WHITESPACE)
set(ONEP_APACHE_MODS_AVAILABLE /etc/apache2/mods-available CACHE PATH
  "Where onep.load and onep.conf go (a2enmod reads them there)")

install(TARGETS mod_onep LIBRARY DESTINATION ${ONEP_APACHE_MODULE_DIR})
install(TARGETS onepctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES conf/onep.load DESTINATION ${ONEP_APACHE_MODS_AVAILABLE})
# onep.conf may come to hold a Redis password: readable by root (Apache's
# parent reads its configuration as root) and group root only.
install(FILES conf/onep.conf DESTINATION ${ONEP_APACHE_MODS_AVAILABLE}
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES ${ONEPCTL_MAN}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 RENAME onepctl.1.gz)
install(FILES ${ONEPCTL_COMPLETION} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME onepctl)
# Documentation, as Debian wants it: copyright as is, the changelog gzipped.
set(ONEP_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${ONEP_CHANGELOG_GZ}
  COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/docs/CHANGELOG.md > ${ONEP_CHANGELOG_GZ}
  DEPENDS ${PROJECT_SOURCE_DIR}/docs/CHANGELOG.md)
add_custom_target(onep-changelog ALL DEPENDS ${ONEP_CHANGELOG_GZ})
install(FILES ${ONEP_CHANGELOG_GZ} packaging/debian/copyright README.md
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB ONEP_USER_DOCS ${PROJECT_SOURCE_DIR}/docs/*.md)
list(FILTER ONEP_USER_DOCS EXCLUDE REGEX "CHANGELOG\\.md$")
install(FILES ${ONEP_USER_DOCS} DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The package: CPack's DEB generator over the rules above (docs/design.md
# says why not debhelper). Depends are computed from the shared libraries
# (dpkg-shlibdeps), plus Apache's module ABI.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME onep)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "onep maintainers <onep@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "authenticated webhooks recorded in Redis, for Apache")
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "mod_onep is an Apache httpd 2.4 module that accepts hits, failures and deploys
 over HTTPS webhooks, checks each integration token against Redis and records
 the event in Redis. onepctl manages the credentials and reads the events.
 License: Apache-2.0.")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE amd64)
set(CPACK_DEBIAN_PACKAGE_SECTION httpd)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.org/onep")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "apache2-api-20120211")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "apache2")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "redis-server")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${PROJECT_SOURCE_DIR}/packaging/debian/conffiles
  ${PROJECT_SOURCE_DIR}/packaging/debian/postinst
  ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
  ${PROJECT_SOURCE_DIR}/packaging/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
include(CPack)
