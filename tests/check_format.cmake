# Fails listing every C++ file that clang-format would change (fix: clang-format -i FILE).
cmake_policy(SET CMP0009 NEW)  # never follow the build tree's attograd -> source link
file(GLOB_RECURSE files RELATIVE ${SOURCE_DIR}
     ${SOURCE_DIR}/core/*.[ch]pp ${SOURCE_DIR}/nn/*.[ch]pp ${SOURCE_DIR}/optim/*.[ch]pp
     ${SOURCE_DIR}/examples/*.[ch]pp ${SOURCE_DIR}/tests/*.[ch]pp ${SOURCE_DIR}/bench/*.[ch]pp
     ${SOURCE_DIR}/tools/*.[ch]pp ${SOURCE_DIR}/attograd.hpp)
set(bad "")
foreach(f ${files})
  execute_process(COMMAND ${CLANG_FORMAT} --dry-run -Werror ${f} WORKING_DIRECTORY ${SOURCE_DIR}
                  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(rc)
    list(APPEND bad ${f})
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " text)
  message(FATAL_ERROR "clang-format would change these files (run clang-format -i on them):\n  ${text}")
endif()
