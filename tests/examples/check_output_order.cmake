# With its output captured (stdout and stderr merged, as `program 2>&1 | cat` shows them), the
# start-up line and the sanity line come before the first progress line: stdout is not left in a
# buffer while the progress bar writes to stderr.
#   cmake -DPROGRAM=... "-DARGS=args for a short run" -P check_output_order.cmake
separate_arguments(args UNIX_COMMAND "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${args} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} failed (${rc}):\n${out}")
endif()
string(FIND "${out}" "settings: " startup)
string(FIND "${out}" "initial loss" sanity)
string(REGEX MATCH "\nstep [0-9]+/[0-9]+ " first_progress "${out}")
string(FIND "${out}" "${first_progress}" progress)
if(startup EQUAL -1 OR sanity EQUAL -1 OR first_progress STREQUAL "")
  message(FATAL_ERROR "expected a start-up line, a sanity line and progress lines:\n${out}")
endif()
if(NOT startup LESS sanity OR NOT sanity LESS progress)
  message(FATAL_ERROR "out of order: start-up line at ${startup}, sanity line at ${sanity}, first progress line at ${progress}:\n${out}")
endif()
string(FIND "${out}" "test (" test_line)
string(FIND "${out}" "\nstep " last_progress REVERSE)
if(NOT test_line EQUAL -1 AND test_line LESS last_progress)
  message(FATAL_ERROR "the test results come before the last progress line:\n${out}")
endif()
