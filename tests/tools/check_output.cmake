# Runs PROGRAM with the arguments given after `--` and fails unless it exits with EXPECTED_EXIT
# and its output matches STDOUT_REGEX and STDERR_REGEX (each checked only when not empty).
#   cmake -DPROGRAM=... -DEXPECTED_EXIT=1 -DSTDERR_REGEX=... [-DINPUT=FILE] -P check_output.cmake -- ARGS
# With INPUT, the program reads that file on its standard input.
set(args "")
set(after_dashes FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE ${last})
  if(after_dashes)
    list(APPEND args "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(after_dashes TRUE)
  endif()
endforeach()

set(input "")
if(INPUT)
  set(input INPUT_FILE "${INPUT}")
endif()
execute_process(COMMAND "${PROGRAM}" ${args} ${input}
                RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(report "command: ${PROGRAM} ${args}\nexit: ${exit_code}\nstdout:\n${out}\nstderr:\n${err}")

if(NOT "${exit_code}" STREQUAL "${EXPECTED_EXIT}")
  message(FATAL_ERROR "expected exit status ${EXPECTED_EXIT}\n${report}")
endif()
if(NOT "${STDOUT_REGEX}" STREQUAL "" AND NOT "${out}" MATCHES "${STDOUT_REGEX}")
  message(FATAL_ERROR "stdout does not match: ${STDOUT_REGEX}\n${report}")
endif()
if(NOT "${STDERR_REGEX}" STREQUAL "" AND NOT "${err}" MATCHES "${STDERR_REGEX}")
  message(FATAL_ERROR "stderr does not match: ${STDERR_REGEX}\n${report}")
endif()
