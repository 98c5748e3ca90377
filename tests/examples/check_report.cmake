# Runs a short translate training with --report and --metrics-json, then checks the files: the
# HTML has the metrics under plain names with units and the loss chart with its validation curve
# (check_report_page.cmake checks the page's views); the JSON has every required key with
# fractions in [0, 1].
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${PROGRAM} --task reverse --steps 30 --train-size 200 --held-out 20 --hidden 32 --embed 16
                        --report ${WORK}/report --metrics-json ${WORK}/metrics.json
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "translate failed (${rc}):\n${out}\n${err}")
endif()
file(READ ${WORK}/report/index.html html)
foreach(piece "^<!DOCTYPE html>" "<h2>Metrics</h2>" "exact match" "fraction of the held-out outputs"
        "training loss \\(log scale\\)" "validation loss" "</html>\n$")
  if(NOT html MATCHES "${piece}")
    message(FATAL_ERROR "report/index.html lacks ${piece}")
  endif()
endforeach()
file(GLOB heatmaps ${WORK}/report/attention_*.svg)
if(NOT heatmaps)
  message(FATAL_ERROR "no attention_*.svg beside the page")
endif()
file(READ ${WORK}/metrics.json json)
foreach(key task model steps train_seconds final_loss exact_match token_accuracy bleu alignment_accuracy)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${key})
  if(missing)
    message(FATAL_ERROR "metrics.json lacks ${key}: ${json}")
  endif()
endforeach()
foreach(key exact_match token_accuracy bleu alignment_accuracy)
  string(JSON value GET "${json}" ${key})
  if(value LESS 0 OR value GREATER 1)
    message(FATAL_ERROR "metrics.json: ${key} = ${value} is not a fraction")
  endif()
endforeach()
message(STATUS "report and metrics are well-formed")
