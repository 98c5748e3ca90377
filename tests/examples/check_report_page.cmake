# The attention explorer's page, as a user gets it: runs PROGRAM with ARGS and --report, checks the
# file (one self-contained document naming no network address, at most MAX_BYTES, containing each
# of PIECES), then opens it in headless Chromium with JavaScript on and the network off and checks
# the rendered DOM: heatmap cells, attention lines for a token hovered by the page's own address
# (#hover=N dispatches a real mouseover; ADDRESS may choose the example, view, layer and head too),
# model-view thumbnails, the caption's slider and overlay
# when CAPTION is set, masked cells when MASKED is set, and no script error (on the page or on
# Chromium's console). Where Chromium is missing the browser part is skipped, saying so.
#   -DPROGRAM= -DWORK= "-DARGS=…" ["-DPIECES=a;b"] [-DMAX_BYTES=N] [-DCAPTION=ON] [-DMASKED=ON]
#   ["-DADDRESS=view=1&hover=2"] ["-DTHEN=…" args of a second run whose page is checked instead, e.g. --load … --translate …]
separate_arguments(ARGS UNIX_COMMAND "${ARGS}")
separate_arguments(THEN UNIX_COMMAND "${THEN}")
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
# Runs PROGRAM with the given arguments and --report DIR; `out` is its standard output.
macro(run_program dir)
  execute_process(COMMAND ${PROGRAM} ${ARGN} --report ${dir} WORKING_DIRECTORY ${WORK} RESULT_VARIABLE rc
                  OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} ${ARGN} failed (${rc}):\n${out}\n${err}")
  endif()
endmacro()
run_program(${WORK}/report ${ARGS})
set(page ${WORK}/report/index.html)
if(THEN)
  run_program(${WORK}/yours ${THEN})
  set(page ${WORK}/yours/index.html)
endif()
if(NOT out MATCHES "report: [^\n]*index.html \\(open it in a browser\\)")
  message(FATAL_ERROR "no 'report: …index.html' line:\n${out}")
endif()

file(READ ${page} html)
file(SIZE ${page} bytes)
message(STATUS "${page}: ${bytes} bytes")
if(MAX_BYTES AND bytes GREATER MAX_BYTES)
  message(FATAL_ERROR "the page has ${bytes} bytes, more than ${MAX_BYTES}")
endif()
foreach(piece "^<!DOCTYPE html>" "</html>\n$" "<h2>Metrics</h2>" "<h2>Settings</h2>" "id=\"report-data\"" ${PIECES})
  if(NOT html MATCHES "${piece}")
    message(FATAL_ERROR "${page} lacks ${piece}")
  endif()
endforeach()
if(html MATCHES "https?://")
  string(REGEX MATCH "[^\n]{0,60}https?://[^\n]{0,60}" where "${html}")
  message(FATAL_ERROR "${page} names a network address: ${where}")
endif()
if(html MATCHES "<(img|script|link|iframe)[^>]* (src|href)=\"[^d#][^\"]*\"")
  message(FATAL_ERROR "${page} loads another file: ${CMAKE_MATCH_0}")
endif()

find_program(CHROMIUM NAMES chromium chromium-browser google-chrome)
if(NOT CHROMIUM)
  message(STATUS "chromium is not installed: the browser check is SKIPPED (apt-get install chromium)")
  return()
endif()
if(NOT ADDRESS)
  set(ADDRESS "hover=1")
endif()
execute_process(
  COMMAND ${CHROMIUM} --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir=${WORK}/chromium-profile
          --proxy-server=127.0.0.1:9 "--host-resolver-rules=MAP * ~NOTFOUND" --enable-logging=stderr --v=0
          --dump-dom "file://${page}#${ADDRESS}"
  TIMEOUT 120 RESULT_VARIABLE rc OUTPUT_VARIABLE dom ERROR_VARIABLE log)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "chromium failed (${rc}):\n${log}")
endif()
# What the scripts drew, without the scripts themselves (the page's data and code come last).
string(FIND "${dom}" "<script" at)
string(SUBSTRING "${dom}" 0 ${at} dom)
set(drawn "class=\"cell" "class=\"attention-line\"" "class=\"token query active\"" "class=\"thumb"
          "<pre id=\"page-errors\"></pre>" "id=\"example-list\"><table")
if(CAPTION)
  list(APPEND drawn "id=\"word-slider\"" "<canvas id=\"overlay\"" "<img src=\"data:image/png;base64,")
endif()
if(MASKED)
  list(APPEND drawn "class=\"cell masked\"")
endif()
foreach(piece ${drawn})
  string(FIND "${dom}" "${piece}" at)
  if(at EQUAL -1)
    string(REGEX MATCH "<pre id=\"page-errors\">[^<]*</pre>" errors "${dom}")
    message(FATAL_ERROR "the rendered page lacks ${piece} (page errors: ${errors})\n${log}")
  endif()
endforeach()
if(log MATCHES "CONSOLE[^\n]*" OR log MATCHES "Uncaught[^\n]*")
  message(FATAL_ERROR "the page wrote to the console: ${CMAKE_MATCH_0}")
endif()
string(REGEX MATCHALL "class=\"attention-line\"" lines "${dom}")
string(REGEX MATCHALL "class=\"thumb" thumbs "${dom}")
list(LENGTH lines n_lines)
list(LENGTH thumbs n_thumbs)
message(STATUS "rendered in ${CHROMIUM}: ${n_lines} attention lines from the hovered token, ${n_thumbs} thumbnails")
