# attograd_set_warnings(target): the project's warning flags, errors when asked (CI does).
function(attograd_set_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
  if(ATTOGRAD_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# attograd_add_library(name folder sources...): one library per folder, aliased attograd::name.
function(attograd_add_library name)
  add_library(attograd_${name} ${ARGN})
  add_library(attograd::${name} ALIAS attograd_${name})
  set_target_properties(attograd_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(attograd_${name} PUBLIC
    $<BUILD_INTERFACE:${ATTOGRAD_BUILD_INCLUDE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(attograd_${name} PUBLIC cxx_std_20)
  attograd_set_warnings(attograd_${name})
  # sqrt & co. need not set errno (nothing here reads it), and no code here traps on floating-point
  # exceptions: both let the loops vectorise. Without -fno-trapping-math GCC 12 keeps a branch for
  # every float comparison in a ?: (fast::exp's clamp and NaN test), so fast::exp and fast::tanh ran
  # one lane at a time, 6-7x slower (0.67 against 0.11 ms for 131 072 floats on AVX2).
  target_compile_options(attograd_${name} PRIVATE -fno-math-errno -fno-trapping-math)
endfunction()
