# doc_fenced_blocks(<markdown file> <prefix>): cuts the fenced code blocks out of a doc, for the
# doc checks (doc_snippets.cmake, check_doc_excerpts.cmake, check_doc_snippets_compile.cmake).
# Sets, in the caller's scope:
#   <prefix>_count        how many blocks the doc has
#   <prefix>_info_<N>     block N's info string, the text after the opening ``` ("cpp",
#                         "cpp excerpt core/ops/elementwise.cpp", "text", or "")
#   <prefix>_line_<N>     the doc line of block N's opening fence
#   <prefix>_code_<N>     block N's text, every line ending in a newline
# A block opens with a line of three or more backticks (indented by up to three spaces, as in
# CommonMark) and closes at the next line of at least as many backticks and nothing else; the
# opening fence's indentation is taken off each line. A block left open runs to the end of the
# doc. The code is kept in separate variables, never in a CMake list: lists split on ';' and
# treat '[' and ']' specially, and C++ is full of all three.
function(doc_fenced_blocks doc prefix)
  file(READ "${doc}" text)
  set(count 0)
  set(line_number 0)
  set(in_block FALSE)
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

    if(NOT in_block)
      if(line MATCHES "^(   |  | |)(````*)[ ]*([^`]*)$")
        set(indent "${CMAKE_MATCH_1}")
        set(fence "${CMAKE_MATCH_2}")
        string(STRIP "${CMAKE_MATCH_3}" info)
        string(LENGTH "${indent}" indent_length)
        math(EXPR count "${count} + 1")
        set(${prefix}_info_${count} "${info}" PARENT_SCOPE)
        set(${prefix}_line_${count} ${line_number} PARENT_SCOPE)
        set(code "")
        set(in_block TRUE)
      endif()
      continue()
    endif()

    if(line MATCHES "^[ ]*(````*)[ ]*$")
      string(LENGTH "${CMAKE_MATCH_1}" closing_length)
      string(LENGTH "${fence}" opening_length)
      if(NOT closing_length LESS opening_length)
        set(${prefix}_code_${count} "${code}" PARENT_SCOPE)
        set(in_block FALSE)
        continue()
      endif()
    endif()
    # Take off up to the fence's indentation.
    if(indent_length GREATER 0)
      foreach(i RANGE 1 ${indent_length})
        if(line MATCHES "^ ")
          string(SUBSTRING "${line}" 1 -1 line)
        endif()
      endforeach()
    endif()
    string(APPEND code "${line}\n")
  endwhile()
  if(in_block)
    set(${prefix}_code_${count} "${code}" PARENT_SCOPE)
  endif()
  set(${prefix}_count ${count} PARENT_SCOPE)
endfunction()
