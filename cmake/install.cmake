# What `cmake --install` puts where (GNUInstallDirs paths under the prefix): the header, the
# shared and static libraries, the bpmnrt command, bpmnrt.pc for pkg-config and the CMake package
# for find_package(bpmnrt). Included by the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(BPMNRT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bpmnrt)

# A library built with the sanitizers only links into programs that load the sanitizer runtimes
# first, so the installed copy of such a build asks its consumers for them.
if(BPMNRT_SANITIZE)
  set(BPMNRT_SANITIZE_LINK -fsanitize=address,undefined)
  foreach(lib bpmnrt_static bpmnrt_shared)
    target_link_options(${lib} INTERFACE $<INSTALL_INTERFACE:${BPMNRT_SANITIZE_LINK}>)
  endforeach()
else()
  set(BPMNRT_SANITIZE_LINK "")
endif()

install(FILES include/bpmnrt.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS bpmnrt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Two export sets: bpmnrt::bpmnrt (the shared library) needs nothing more to link, while
# bpmnrt::bpmnrt_static needs the development files of libxml2, LMDB, cJSON and libsodium,
# which the package config looks for only to define it.
install(TARGETS bpmnrt_shared EXPORT bpmnrtTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS bpmnrt_static EXPORT bpmnrtStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT bpmnrtTargets NAMESPACE bpmnrt:: DESTINATION ${BPMNRT_CMAKE_DIR})
install(EXPORT bpmnrtStaticTargets NAMESPACE bpmnrt:: DESTINATION ${BPMNRT_CMAKE_DIR})

configure_package_config_file(cmake/bpmnrtConfig.cmake.in
  ${PROJECT_BINARY_DIR}/bpmnrtConfig.cmake INSTALL_DESTINATION ${BPMNRT_CMAKE_DIR})
# Before 1.0 a minor release may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/bpmnrtConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/bpmnrtConfig.cmake
              ${PROJECT_BINARY_DIR}/bpmnrtConfigVersion.cmake
        DESTINATION ${BPMNRT_CMAKE_DIR})

# bpmnrt.pc names the prefix of the installation, which `cmake --install --prefix P` may choose
# after configuring; so it is configured here with that one placeholder left in, and finished
# when installing.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(BPMNRT_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
  set(bpmnrt_pc_dest "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
else()
  set(BPMNRT_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(bpmnrt_pc_dest "\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(BPMNRT_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(BPMNRT_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
string(STRIP "-L\${libdir} -lbpmnrt ${BPMNRT_SANITIZE_LINK}" BPMNRT_PC_LIBS)
set(BPMNRT_PC_PREFIX "@BPMNRT_PC_PREFIX@")
configure_file(cmake/bpmnrt.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/bpmnrt.pc.in @ONLY)
install(CODE "
  set(BPMNRT_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/pkgconfig/bpmnrt.pc.in\"
                 \"${PROJECT_BINARY_DIR}/pkgconfig/bpmnrt.pc\" @ONLY)
  file(INSTALL DESTINATION \"${bpmnrt_pc_dest}\" TYPE FILE
       FILES \"${PROJECT_BINARY_DIR}/pkgconfig/bpmnrt.pc\")
")
