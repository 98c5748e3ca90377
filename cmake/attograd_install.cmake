# `cmake --install` gives a package that find_package(attograd) finds, dependencies included.
include(CMakePackageConfigHelpers)

install(TARGETS attograd_core attograd_nn attograd_optim attograd_seq attograd_all
        EXPORT attogradTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(folder core nn optim seq)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${folder}/
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attograd/${folder}
          FILES_MATCHING PATTERN "*.hpp")
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/attograd.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/attograd)

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/attograd)
install(EXPORT attogradTargets NAMESPACE attograd:: DESTINATION ${config_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/attogradConfig.cmake.in
  ${PROJECT_BINARY_DIR}/attogradConfig.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/attogradConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/attogradConfig.cmake
              ${PROJECT_BINARY_DIR}/attogradConfigVersion.cmake
        DESTINATION ${config_dir})
