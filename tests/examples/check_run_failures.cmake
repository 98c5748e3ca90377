# Runs that go wrong lose nothing (DESIGN §6): a loss that turns NaN stops training at once naming
# the step (with --detect-anomaly also the op and its line), exits 1 and leaves the last checkpoint
# intact and resumable; a checkpoint, metrics or report file that cannot be written (a full disk:
# /dev/full, or a file-size limit; a path through a file; a read-only folder) names the path and
# the cause, stops the run, and leaves the previous checkpoint as it was.
# The divergence comes from ATTOGRAD_FAULT_BLOWUP_STEP (training.hpp): the model's first parameter
# set to 3e38 before that step, as a weight that blew up would be.
#   -DPROGRAM= -DWORK= "-DARGS=… --steps 20"
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
# expect(name EXIT code STDERR regex COMMAND args…): runs PROGRAM (through bash when SHELL is given).
function(expect name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXIT;STDERR;SHELL" "COMMAND")
  if(arg_SHELL)
    list(JOIN arg_COMMAND " " line)
    execute_process(COMMAND bash -c "${arg_SHELL} ${PROGRAM} ${line}" WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  else()
    execute_process(COMMAND ${PROGRAM} ${arg_COMMAND} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                    OUTPUT_VARIABLE out ERROR_VARIABLE err)
  endif()
  if(NOT rc EQUAL arg_EXIT OR NOT err MATCHES "${arg_STDERR}")
    message(FATAL_ERROR "${name}: expected exit ${arg_EXIT} and stderr matching '${arg_STDERR}', got ${rc}:\n${out}\n${err}")
  endif()
  message(STATUS "${name}: exit ${rc}, ${CMAKE_MATCH_0}")
endfunction()
set(run ${ARGS} --no-report --checkpoint c.ckpt --save-every 5)

# A loss that turns NaN (or infinite) at step 12: stopped there, the step-10 checkpoint intact and resumable.
set(ENV{ATTOGRAD_FAULT_BLOWUP_STEP} 12)
expect(diverged EXIT 1 STDERR "(the loss|the gradients' norm) is -?(nan|inf) at step 12: stopping[^\n]*the checkpoint c.ckpt \\(step 10\\) is intact"
       COMMAND ${run})
expect(diverged_with_anomaly_detection EXIT 1 STDERR "step 12: [^\n]*(produced|non-finite)[^\n]*\\.(cpp|hpp):[0-9]+"
       COMMAND ${run} --detect-anomaly)
unset(ENV{ATTOGRAD_FAULT_BLOWUP_STEP})
# Then a file too large to finish (ulimit -f, which binds root too): the old checkpoint is untouched.
file(SIZE ${WORK}/c.ckpt bytes)
math(EXPR blocks "${bytes} / 2048")
file(SHA256 ${WORK}/c.ckpt before)
expect(checkpoint_past_size_limit EXIT 1 STDERR "--checkpoint c.ckpt[^\n]*File too large"
       SHELL "trap '' XFSZ; ulimit -f ${blocks};" COMMAND --resume c.ckpt --no-report --checkpoint c.ckpt --save-every 5)
file(SHA256 ${WORK}/c.ckpt after)
if(NOT before STREQUAL after)
  message(FATAL_ERROR "a failed checkpoint write changed the previous checkpoint")
endif()

expect(resumed_after_divergence EXIT 0 STDERR "" COMMAND --resume c.ckpt --no-report --checkpoint c.ckpt --save-every 5)

# A full disk: /dev/full takes no byte. The device stays a device (nothing is renamed over it).
expect(metrics_to_full_disk EXIT 1 STDERR "/dev/full[^\n]*No space left on device" COMMAND ${run} --metrics-json /dev/full)
expect(checkpoint_to_full_disk EXIT 1 STDERR "--checkpoint /dev/full[^\n]*No space left on device"
       COMMAND ${ARGS} --no-report --checkpoint /dev/full --save-every 5)
execute_process(COMMAND bash -c "test -c /dev/full" RESULT_VARIABLE not_device)
if(not_device)
  message(FATAL_ERROR "/dev/full is no longer a character device")
endif()

# A path through a file, for each file a run writes.
file(WRITE ${WORK}/plain "a file, not a folder")
expect(checkpoint_through_a_file EXIT 1 STDERR "--checkpoint plain/c.ckpt[^\n]*Not a directory"
       COMMAND ${ARGS} --no-report --checkpoint plain/c.ckpt --save-every 5)
expect(report_through_a_file EXIT 1 STDERR "--report: cannot create plain/report[^\n]*Not a directory"
       COMMAND ${ARGS} --report plain/report)
expect(metrics_through_a_file EXIT 1 STDERR "plain/m.json[^\n]*Not a directory" COMMAND ${run} --metrics-json plain/m.json)

# A read-only folder (root writes anyway, so there it is skipped, saying so).
file(MAKE_DIRECTORY ${WORK}/readonly)
execute_process(COMMAND chmod 555 ${WORK}/readonly)
execute_process(COMMAND bash -c "touch readonly/probe 2>/dev/null" WORKING_DIRECTORY ${WORK} RESULT_VARIABLE cannot)
if(cannot)
  expect(checkpoint_in_read_only_folder EXIT 1 STDERR "--checkpoint readonly/c.ckpt[^\n]*Permission denied"
         COMMAND ${ARGS} --no-report --checkpoint readonly/c.ckpt --save-every 5)
else()
  message(STATUS "checkpoint_in_read_only_folder: skipped (this user can write into a read-only folder: root)")
endif()
execute_process(COMMAND chmod 755 ${WORK}/readonly)
