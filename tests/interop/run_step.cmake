# run_step(COMMAND ARGS...): runs one step of an interop script, echoes its output, and fails the
# test naming the command if it exits non-zero. Included by the run_*.cmake scripts here.
function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT exit_code EQUAL 0)
    message(FATAL_ERROR "failed (exit ${exit_code}): ${ARGN}")
  endif()
endfunction()
