# Excerpts in the docs are copied from the code, so they must still be in it. The convention:
#
#   ```cpp excerpt core/ops/elementwise.cpp
#   Tensor exp(const Tensor& x, Where caller) {
#   ```
#
# A fenced block whose info string is `<language> excerpt <path>` (path relative to the repository
# root) is not compiled (doc_snippets.cmake compiles only blocks opened by exactly ```cpp); it must
# instead appear verbatim in that file: the block's lines, without its leading and trailing blank
# lines, must be consecutive lines of the file (the first may start and the last may end mid-line,
# so an excerpt can leave out indentation only on its first line). For README.md and docs/*.md
# under SOURCE_DIR:
#   cmake -DSOURCE_DIR=<the folder holding README.md and docs/> -P check_doc_excerpts.cmake
# Fails naming each doc and line, the file, and the first line of the excerpt not found in it.
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_doc_excerpts: run with -DSOURCE_DIR=<the folder holding README.md and docs/>")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/doc_blocks.cmake)

file(GLOB docs ${SOURCE_DIR}/README.md ${SOURCE_DIR}/docs/*.md)
if(NOT docs)
  message(FATAL_ERROR "check_doc_excerpts: no README.md or docs/*.md under ${SOURCE_DIR}")
endif()

set(problems "")
set(excerpt_count 0)
foreach(doc ${docs})
  file(RELATIVE_PATH doc_name ${SOURCE_DIR} ${doc})
  doc_fenced_blocks(${doc} block)
  if(block_count EQUAL 0)
    continue()
  endif()
  foreach(n RANGE 1 ${block_count})
    if(NOT block_info_${n} MATCHES "^[A-Za-z0-9_+-]+[ ]+excerpt([ ]+(.*))?$")
      continue()
    endif()
    string(STRIP "${CMAKE_MATCH_2}" path)
    set(where "${doc_name}:${block_line_${n}}")
    math(EXPR excerpt_count "${excerpt_count} + 1")
    if(path STREQUAL "")
      string(APPEND problems "\n  ${where}: an excerpt block names no file (write ```cpp excerpt path/to/file.cpp)")
      continue()
    endif()
    if(NOT EXISTS "${SOURCE_DIR}/${path}" OR IS_DIRECTORY "${SOURCE_DIR}/${path}")
      string(APPEND problems "\n  ${where}: excerpt of ${path}: there is no file ${path} under ${SOURCE_DIR}")
      continue()
    endif()

    # The excerpt without its leading and trailing blank lines (and without its last newline).
    set(excerpt "${block_code_${n}}")
    string(REGEX REPLACE "^([ \t]*\n)+" "" excerpt "${excerpt}")
    string(REGEX REPLACE "(\n[ \t]*)+$" "" excerpt "${excerpt}")
    string(REGEX REPLACE "\n$" "" excerpt "${excerpt}")
    if(excerpt STREQUAL "")
      string(APPEND problems "\n  ${where}: excerpt of ${path} is empty")
      continue()
    endif()

    file(READ "${SOURCE_DIR}/${path}" content)
    string(FIND "${content}" "${excerpt}" at)
    if(NOT at EQUAL -1)
      continue()
    endif()
    # Not found: name the first line of the excerpt that the file lacks, to show what changed.
    set(reason "its lines are all in the file, but not together in this order")
    set(rest "${excerpt}\n")
    set(k 0)
    while(NOT rest STREQUAL "")
      string(FIND "${rest}" "\n" newline)
      string(SUBSTRING "${rest}" 0 ${newline} line)
      math(EXPR next "${newline} + 1")
      string(SUBSTRING "${rest}" ${next} -1 rest)
      math(EXPR k "${k} + 1")
      string(FIND "${content}" "${line}" line_at)
      if(line_at EQUAL -1)
        string(STRIP "${line}" shown)
        set(reason "its line ${k} is not in the file: ${shown}")
        break()
      endif()
    endwhile()
    string(APPEND problems "\n  ${where}: excerpt of ${path} does not appear in it verbatim: ${reason}")
  endforeach()
endforeach()

if(problems)
  message(FATAL_ERROR "check_doc_excerpts: excerpts that no longer match their files under ${SOURCE_DIR}:${problems}")
endif()
list(LENGTH docs doc_count)
message(STATUS "check_doc_excerpts: ${doc_count} docs, ${excerpt_count} excerpts, each found verbatim in its file")
