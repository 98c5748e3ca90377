# Runs the interop check in a fresh WORK_DIR: interop_main writes attograd's checkpoint and
# outputs, interop.py checks them in torch and writes torch's, interop_main checks those.
#   cmake -DINTEROP_MAIN=... -DPYTHON=... -DSCRIPT=.../interop.py -DWORK_DIR=... -P run_interop.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

run_step(${INTEROP_MAIN} write ${WORK_DIR})
run_step(${PYTHON} ${SCRIPT} ${WORK_DIR})
run_step(${INTEROP_MAIN} check ${WORK_DIR})
