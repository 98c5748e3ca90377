# Runs the interop check in a fresh WORK_DIR: interop_main writes attograd's checkpoint and
# outputs, interop.py checks them in torch and writes torch's, interop_main checks those.
#   cmake -DINTEROP_MAIN=... -DPYTHON=... -DSCRIPT=.../interop.py -DWORK_DIR=... -P run_interop.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run_step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE exit_code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${out}${err}")
  if(NOT exit_code EQUAL 0)
    message(FATAL_ERROR "failed (exit ${exit_code}): ${ARGN}")
  endif()
endfunction()

run_step(${INTEROP_MAIN} write ${WORK_DIR})
run_step(${PYTHON} ${SCRIPT} ${WORK_DIR})
run_step(${INTEROP_MAIN} check ${WORK_DIR})
