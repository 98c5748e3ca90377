# Every ```cpp block in README.md and docs/*.md is a complete program: each is extracted at
# configure time, compiled with the project's warnings, and run as a test, so the docs
# cannot drift from the code. The conventions for fenced blocks in the docs:
#   ```cpp                      a complete program: compiled and run here ("docs: X.md snippet N")
#   ```cpp excerpt path/to/f.cpp  lines quoted from that file: not compiled; check_doc_excerpts.cmake
#                               (ctest doc_excerpts) checks that they still appear in it verbatim
#   ```text, ```cmake, ```      anything else is shown, not checked
# Blocks are cut out by doc_blocks.cmake (line by line, so code may hold backticks, ';' and
# brackets). check_doc_snippets_compile.cmake compiles a doc's blocks the same way, and proves
# on a fixture that a wrong snippet fails (ctest doc_snippets_catch_broken).
include(${CMAKE_CURRENT_LIST_DIR}/doc_blocks.cmake)
file(GLOB doc_files CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/*.md)
set(snippet_dir ${CMAKE_CURRENT_BINARY_DIR}/doc_snippets)
file(MAKE_DIRECTORY ${snippet_dir})
foreach(doc ${doc_files})
  get_filename_component(doc_name ${doc} NAME_WE)
  # A doc's blocks are read again whenever it changes.
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${doc})
  doc_fenced_blocks(${doc} block)
  set(count 0)
  if(block_count GREATER 0)
    foreach(n RANGE 1 ${block_count})
      if(NOT block_info_${n} STREQUAL "cpp")
        continue()
      endif()
      math(EXPR count "${count} + 1")
      set(target doc_${doc_name}_${count})
      file(CONFIGURE OUTPUT ${snippet_dir}/${target}.cpp CONTENT "// Extracted from ${doc}\n${block_code_${n}}" @ONLY)
      add_executable(${target} ${snippet_dir}/${target}.cpp)
      target_link_libraries(${target} PRIVATE attograd::attograd)
      attograd_set_warnings(${target})
      add_test(NAME "docs: ${doc_name}.md snippet ${count}" COMMAND ${target})
    endforeach()
  endif()
endforeach()
