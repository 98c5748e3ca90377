# interop.to_pytorch_errors: to_pytorch.py refuses what is not a translate checkpoint, exiting 1
# with one line that names the file and the problem.
#   cmake -DTRANSLATE=... -DPYTHON=... -DSCRIPT=.../to_pytorch.py -DSOURCE_DIR=... -DWORK_DIR=...
#         -P run_to_pytorch_errors.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
file(WRITE ${WORK_DIR}/short.safetensors "abc")

# expect_error(<file> <regex the error must match>)
function(expect_error file pattern)
  execute_process(COMMAND ${PYTHON} ${SCRIPT} ${file} --translate-bin ${TRANSLATE} RESULT_VARIABLE exit_code
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message("${file}: exit ${exit_code}: ${err}")
  if(NOT exit_code EQUAL 1)
    message(FATAL_ERROR "expected exit 1 for ${file}, got ${exit_code}\n${out}${err}")
  endif()
  if(NOT err MATCHES "${pattern}")
    message(FATAL_ERROR "the error for ${file} does not match '${pattern}':\n${err}")
  endif()
endfunction()

expect_error(${WORK_DIR}/missing.safetensors "to_pytorch.py: error: .*missing.safetensors: no such file")
expect_error(${WORK_DIR}/short.safetensors "short.safetensors: not a safetensors file \\(3 bytes")
expect_error(${SOURCE_DIR}/CMakeLists.txt "CMakeLists.txt: not a safetensors file")
# A real safetensors file, but a golden fixture, not a translate checkpoint.
expect_error(${SOURCE_DIR}/tests/golden/data/optim.safetensors
             "optim.safetensors: not a translate checkpoint \\(no 'translate.model' in its metadata")
# A translate checkpoint of a kind the script does not know.
execute_process(COMMAND ${PYTHON} -c
  "import json, struct; m = {k: '[]' for k in ('translate.source_vocab', 'translate.target_vocab')}; m.update({'translate.model': 'lstm', 'translate.task': 'dates', 'translate.tokens': 'char', 'translate.sizes': '{}'}); h = json.dumps({'__metadata__': m}).encode(); open('${WORK_DIR}/lstm.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h)"
  RESULT_VARIABLE written)
if(NOT written EQUAL 0)
  message(FATAL_ERROR "could not write ${WORK_DIR}/lstm.safetensors")
endif()
expect_error(${WORK_DIR}/lstm.safetensors
             "lstm.safetensors: model kind 'lstm' is not supported; supported: bahdanau, luong-dot, luong-general, luong-concat, none, transformer")
