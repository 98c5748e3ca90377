# Compiles the ```cpp blocks of one markdown file, as doc_snippets.cmake does for README.md and
# docs/*.md, and fails naming each block that does not compile with the compiler's first errors.
# tests/CMakeLists.txt runs it on tests/tools/data/broken_snippets/README.md, whose second snippet
# is wrong, to prove that a snippet which drifted from the code fails (the real docs' snippets are
# built as programs, so there a wrong one breaks the build and its "docs: … snippet N" test).
#   cmake -DDOC=<file.md> -DCXX=<compiler> -DINCLUDE_DIR=<dir holding attograd/> -DWORK_DIR=<dir>
#         -P check_doc_snippets_compile.cmake
# Blocks and their numbers are found by doc_blocks.cmake, as in doc_snippets.cmake: only blocks
# opened by exactly ```cpp count; ```cpp excerpt … blocks are checked by check_doc_excerpts.cmake.
# Compiling is -fsyntax-only (a wrong name or type is caught; linking is not tried), to stay fast.
foreach(var DOC CXX INCLUDE_DIR WORK_DIR)
  if(NOT ${var})
    message(FATAL_ERROR "check_doc_snippets_compile: run with -D${var}=...")
  endif()
endforeach()
include(${CMAKE_CURRENT_LIST_DIR}/doc_blocks.cmake)

get_filename_component(doc_name ${DOC} NAME)
file(MAKE_DIRECTORY ${WORK_DIR})
doc_fenced_blocks(${DOC} block)
set(snippet 0)
set(failures "")
if(block_count GREATER 0)
  foreach(n RANGE 1 ${block_count})
    if(NOT block_info_${n} STREQUAL "cpp")
      continue()
    endif()
    math(EXPR snippet "${snippet} + 1")
    set(name "${doc_name} snippet ${snippet} (line ${block_line_${n}})")
    set(source ${WORK_DIR}/snippet_${snippet}.cpp)
    file(WRITE ${source} "${block_code_${n}}")
    execute_process(COMMAND ${CXX} -std=c++20 -fsyntax-only -I${INCLUDE_DIR} ${source}
                    RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(exit_code EQUAL 0)
      message(STATUS "${name}: compiles")
    else()
      # The compiler's error lines, without the include chains and notes around them.
      set(errors "")
      set(rest "${err}\n")
      while(NOT rest STREQUAL "")
        string(FIND "${rest}" "\n" newline)
        string(SUBSTRING "${rest}" 0 ${newline} line)
        math(EXPR next "${newline} + 1")
        string(SUBSTRING "${rest}" ${next} -1 rest)
        if(line MATCHES "error:")
          string(APPEND errors "\n    ${line}")
        endif()
      endwhile()
      string(APPEND failures "\n  ${name} does not compile:${errors}")
    endif()
  endforeach()
endif()

if(failures)
  message(FATAL_ERROR "check_doc_snippets_compile: ${doc_name}: snippets that do not compile:${failures}")
endif()
message(STATUS "check_doc_snippets_compile: ${doc_name}: all ${snippet} snippets compile")
