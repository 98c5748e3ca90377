# Runs a short caption training with --report and --metrics-json, then checks the files: the
# HTML has the metrics under plain names, the loss chart with its validation curve and the
# pictures inline (check_report_page.cmake checks the page's views); the JSON has every required
# key with fractions in [0, 1].
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
execute_process(COMMAND ${PROGRAM} --steps 20 --train-size 64 --held-out 12 --batch 8 --features 16 --hidden 32
                        --report ${WORK}/report --metrics-json ${WORK}/metrics.json
                WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "caption failed (${rc}):\n${out}\n${err}")
endif()
foreach(piece "initial loss [0-9.]+ against ln V = [0-9.]+" "test \\(12 examples\\): exact match"
        "compositional test" "report: .*index.html")
  if(NOT out MATCHES "${piece}")
    message(FATAL_ERROR "caption's output lacks ${piece}:\n${out}")
  endif()
endforeach()
file(READ ${WORK}/report/index.html html)
foreach(piece "^<!DOCTYPE html>" "<h2>Metrics</h2>" "grounding accuracy" "compositional: exact match"
        "training loss \\(log scale\\)" "validation loss" "data:image/png;base64," "</html>\n$")
  if(NOT html MATCHES "${piece}")
    message(FATAL_ERROR "report/index.html lacks ${piece}")
  endif()
endforeach()
file(READ ${WORK}/report/example_00_overlays.png head LIMIT 8 HEX)
if(NOT head STREQUAL "89504e470d0a1a0a")
  message(FATAL_ERROR "example_00_overlays.png is missing or not a PNG (starts '${head}')")
endif()
file(READ ${WORK}/metrics.json json)
foreach(key task model steps train_seconds final_loss exact_match token_accuracy bleu grounding_accuracy compositional)
  string(JSON value ERROR_VARIABLE missing GET "${json}" ${key})
  if(missing)
    message(FATAL_ERROR "metrics.json lacks ${key}: ${json}")
  endif()
endforeach()
foreach(key exact_match token_accuracy bleu grounding_accuracy)
  string(JSON value GET "${json}" ${key})
  if(value LESS 0 OR value GREATER 1)
    message(FATAL_ERROR "metrics.json: ${key} = ${value} is not a fraction")
  endif()
endforeach()
message(STATUS "caption's report and metrics are well-formed")
