# A resumed run is the same run (DESIGN §6): trains PROGRAM with ARGS once uninterrupted, then again
# with --checkpoint and --save-every SAVE_EVERY, stopped by SIGNAL (KILL, or INT for Ctrl-C) at a
# random moment after the first checkpoint, then resumed with --resume alone; every logged loss,
# the metrics listed in KEYS and the final weights (the --save files, byte for byte) must agree.
#   -DPROGRAM= -DWORK= "-DARGS=…" -DSAVE_EVERY=N -DSIGNAL=KILL|INT "-DKEYS=final_loss;exact_match"
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
macro(run name)
  execute_process(COMMAND ${PROGRAM} ${ARGN} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${name}: ${PROGRAM} ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endmacro()
run(uninterrupted ${ARGS} --no-report --metrics-json a.json --save a.safetensors)

# The second run, stopped from outside once its first checkpoint exists, after a random pause.
string(RANDOM LENGTH 2 ALPHABET 0123456789 pause)
list(JOIN ARGS " " args)
set(expected_status 137)
if(SIGNAL STREQUAL "INT")
  set(expected_status 130)
endif()
execute_process(
  COMMAND bash -c "set -m  # job control: the background run does not ignore SIGINT, as a terminal's would not
${PROGRAM} ${args} --no-report --checkpoint b.ckpt --save-every ${SAVE_EVERY} --metrics-json b.json \
--save b.safetensors > b.out 2> b.err & pid=$!
while [ ! -f b.ckpt ] && kill -0 $pid 2>/dev/null; do sleep 0.01; done
sleep 0.0${pause}; kill -${SIGNAL} $pid; wait $pid; echo $?"
  WORKING_DIRECTORY ${WORK} OUTPUT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
file(READ ${WORK}/b.err stopped_err)
if(NOT status EQUAL expected_status)
  message(FATAL_ERROR "the stopped run exited ${status}, not ${expected_status} (SIG${SIGNAL} after 0.0${pause} s; "
                      "did it finish first?):\n${stopped_err}")
endif()
if(SIGNAL STREQUAL "INT" AND NOT stopped_err MATCHES "interrupted after step [0-9]+: the checkpoint b.ckpt holds it")
  message(FATAL_ERROR "Ctrl-C did not say where the checkpoint is:\n${stopped_err}")
endif()

run(resumed --resume b.ckpt --checkpoint b.ckpt --save-every ${SAVE_EVERY} --no-report --metrics-json b.json --save
    b.safetensors)
if(NOT out MATCHES "resumed from b.ckpt at step ([0-9]+)")
  message(FATAL_ERROR "the resumed run does not say where it resumed:\n${out}")
endif()
set(resumed_at ${CMAKE_MATCH_1})
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK}/a.safetensors ${WORK}/b.safetensors RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "the final weights differ (resumed at step ${resumed_at})")
endif()
file(READ ${WORK}/a.json a)
file(READ ${WORK}/b.json b)
foreach(key losses ${KEYS})
  string(JSON a_value GET "${a}" ${key})
  string(JSON b_value GET "${b}" ${key})
  if(NOT a_value STREQUAL b_value)
    message(FATAL_ERROR "${key} differs (resumed at step ${resumed_at}):\n${a_value}\n${b_value}")
  endif()
endforeach()
string(JSON steps LENGTH "${a}" losses)
message(STATUS "stopped by SIG${SIGNAL}, resumed at step ${resumed_at} of ${steps}: losses, ${KEYS} and weights identical")
