# Every Catch test must be its own ctest: catch_discover_tests turns a name containing '[', ']' or
# ';' into a CMake list, which joined 26 of test_core's cases into one ctest that ran none of them
# and passed. Fails naming each such TEST_CASE (rename it: "0 … n-1", not "[0, n)").
file(GLOB_RECURSE sources ${SOURCE_DIR}/tests/*.cpp)
set(bad "")
foreach(f ${sources})
  file(STRINGS ${f} lines REGEX "TEST_CASE\\(\"")
  foreach(line ${lines})
    string(REGEX MATCH "TEST_CASE\\(\"[^\"]*\"" name "${line}")
    if(name MATCHES "[][;]")
      file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
      list(APPEND bad "${rel}: ${name}")
    endif()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "test names ctest cannot run on their own:\n  ${text}")
endif()
