# The docs point into the code, so they must not point at nothing. For README.md and docs/*.md
# under SOURCE_DIR (cmake -DSOURCE_DIR=... -P check_doc_links.cmake):
#   - every relative link target [text](path) must exist, relative to the doc's own folder
#     (a #anchor is cut off first; http://, https:// and mailto: links are not checked);
#   - every `path/to/file.ext:LINE` in backticks must name a file under SOURCE_DIR that has at
#     least LINE lines.
# Fenced code blocks are skipped, and links are not looked for inside `inline code`. Fails naming
# each doc, line, link and reason.
#
# Everything is handled as one string per line, never as a CMake list: lists split on ';' and
# treat '[' and ']' specially, and markdown is full of all three.
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "check_doc_links: run with -DSOURCE_DIR=<the folder holding README.md and docs/>")
endif()

file(GLOB docs ${SOURCE_DIR}/README.md ${SOURCE_DIR}/docs/*.md)
if(NOT docs)
  message(FATAL_ERROR "check_doc_links: no README.md or docs/*.md under ${SOURCE_DIR}")
endif()

set(problems "")
set(link_count 0)
set(line_ref_count 0)

# How many lines `path` has (a last line without a newline counts too).
function(count_lines path out)
  file(READ "${path}" content)
  string(LENGTH "${content}" size)
  string(REGEX REPLACE "[^\n]" "" newlines "${content}")
  string(LENGTH "${newlines}" n)
  if(size GREATER 0 AND NOT content MATCHES "\n$")
    math(EXPR n "${n} + 1")
  endif()
  set(${out} ${n} PARENT_SCOPE)
endfunction()

foreach(doc ${docs})
  file(RELATIVE_PATH doc_name ${SOURCE_DIR} ${doc})
  get_filename_component(doc_dir ${doc} DIRECTORY)
  file(READ ${doc} text)
  set(line_number 0)
  set(in_fence FALSE)
  while(NOT text STREQUAL "")
    string(FIND "${text}" "\n" newline)
    if(newline EQUAL -1)
      set(line "${text}")
      set(text "")
    else()
      string(SUBSTRING "${text}" 0 ${newline} line)
      math(EXPR next "${newline} + 1")
      string(SUBSTRING "${text}" ${next} -1 text)
    endif()
    math(EXPR line_number "${line_number} + 1")
    set(where "${doc_name}:${line_number}")

    if(line MATCHES "^[ ]*```")
      if(in_fence)
        set(in_fence FALSE)
      else()
        set(in_fence TRUE)
      endif()
      continue()
    endif()
    if(in_fence)
      continue()
    endif()

    # `path/to/file.ext:LINE` references: the file must exist and be at least LINE lines long.
    set(rest "${line}")
    while(rest MATCHES "`([^`]+)`")
      set(span "${CMAKE_MATCH_1}")
      string(FIND "${rest}" "`${span}`" at)
      string(LENGTH "`${span}`" span_length)
      math(EXPR after "${at} + ${span_length}")
      string(SUBSTRING "${rest}" ${after} -1 rest)
      if(span MATCHES "^([A-Za-z0-9_./+-]+\\.[A-Za-z0-9]+):([0-9]+)$")
        set(path "${CMAKE_MATCH_1}")
        set(wanted "${CMAKE_MATCH_2}")
        math(EXPR line_ref_count "${line_ref_count} + 1")
        if(NOT EXISTS "${SOURCE_DIR}/${path}" OR IS_DIRECTORY "${SOURCE_DIR}/${path}")
          string(APPEND problems "\n  ${where}: `${span}`: there is no file ${path} under ${SOURCE_DIR}")
        else()
          count_lines("${SOURCE_DIR}/${path}" lines)
          if(wanted LESS 1 OR wanted GREATER lines)
            string(APPEND problems "\n  ${where}: `${span}`: ${path} has only ${lines} lines")
          endif()
        endif()
      endif()
    endwhile()

    # Relative links [text](target): the target must exist beside the doc.
    string(REGEX REPLACE "`[^`]*`" "" rest "${line}")
    while(rest MATCHES "\\]\\(([^)]*)\\)")
      set(target "${CMAKE_MATCH_1}")
      string(FIND "${rest}" "](${target})" at)
      string(LENGTH "](${target})" link_length)
      math(EXPR after "${at} + ${link_length}")
      string(SUBSTRING "${rest}" ${after} -1 rest)
      string(REGEX REPLACE "[ \t]+\"[^\"]*\"$" "" target "${target}")  # a "title"
      string(REGEX REPLACE "^<(.*)>$" "\\1" target "${target}")
      string(STRIP "${target}" target)
      if(target MATCHES "^(https?://|mailto:)")
        continue()
      endif()
      string(REGEX REPLACE "#.*$" "" path "${target}")
      if(path STREQUAL "")
        continue()  # a link to a heading of this page
      endif()
      math(EXPR link_count "${link_count} + 1")
      if(path MATCHES "^/")
        string(APPEND problems "\n  ${where}: link (${target}): an absolute path; write it relative to ${doc_name}")
      elseif(NOT EXISTS "${doc_dir}/${path}")
        file(RELATIVE_PATH resolved ${SOURCE_DIR} "${doc_dir}/${path}")
        string(APPEND problems "\n  ${where}: link (${target}): ${resolved} does not exist")
      endif()
    endwhile()
  endwhile()
endforeach()

if(problems)
  message(FATAL_ERROR "check_doc_links: broken references in the docs under ${SOURCE_DIR}:${problems}")
endif()
list(LENGTH docs doc_count)
message(STATUS "check_doc_links: ${doc_count} docs, ${link_count} relative links and ${line_ref_count} file:line "
               "references, all found")
