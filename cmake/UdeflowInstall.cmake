# `cmake --install` layout and the CMake package config, so that another project can
#   find_package(udeflow 0.1 REQUIRED)
#   target_link_libraries(app PRIVATE udeflow::udeflow)
# Installs: bin/udeflow, lib/libudeflow.a, include/udeflow/**, lib/cmake/udeflow/
# (udeflowConfig.cmake, udeflowConfigVersion.cmake, udeflowTargets.cmake), the Catalyst module
# lib/udeflow/libudeflow_catalyst.so (loaded at run time, not linked),
# share/udeflow/{cases,scripts}.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Eigen's ABI depends on the instruction set: consumers compile like the library.
if(UDEFLOW_NATIVE)
  target_compile_options(udeflow_lib INTERFACE -march=native)
endif()

set(UDEFLOW_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/udeflow)
install(TARGETS udeflow_lib EXPORT udeflowTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS udeflow RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(UDEFLOW_HAVE_CATALYST)
  install(TARGETS udeflow_catalyst LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/udeflow)
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/udeflow DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/udeflow/config.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/udeflow)
install(EXPORT udeflowTargets NAMESPACE udeflow:: DESTINATION ${UDEFLOW_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/udeflowConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/udeflowConfig.cmake INSTALL_DESTINATION ${UDEFLOW_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/udeflowConfigVersion.cmake VERSION ${PROJECT_VERSION}
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/udeflowConfig.cmake ${PROJECT_BINARY_DIR}/udeflowConfigVersion.cmake
        DESTINATION ${UDEFLOW_CMAKE_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/cases DESTINATION ${CMAKE_INSTALL_DATADIR}/udeflow)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/scripts/plot ${PROJECT_SOURCE_DIR}/scripts/catalyst
                  ${PROJECT_SOURCE_DIR}/scripts/jobs DESTINATION ${CMAKE_INSTALL_DATADIR}/udeflow/scripts
        USE_SOURCE_PERMISSIONS OPTIONAL)
