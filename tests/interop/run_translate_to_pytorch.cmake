# interop.translate_to_pytorch*: trains a tiny translate model, then runs
# examples/translate/to_pytorch.py on it, which exits 0 only when PyTorch's loss and greedy
# translations agree with attograd's, the validation loss falls over the PyTorch steps, and the
# checkpoint it writes back reads the same in translate.
#   cmake -DTRANSLATE=... -DPYTHON=... -DSCRIPT=.../to_pytorch.py -DMODEL=bahdanau|transformer
#         -DWORK_DIR=... -P run_translate_to_pytorch.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(sizes --hidden 32 --embed 16)
if(MODEL STREQUAL "transformer")
  set(sizes --hidden 32 --heads 2 --ff 64 --layers 1)
endif()
set(data --train-size 2000 --held-out 50 --seed 3)
run_step(${TRANSLATE} --model ${MODEL} ${sizes} ${data} --steps 150 --batch 32 --save ${WORK_DIR}/model.safetensors
         --no-report --samples 0)
run_step(${PYTHON} ${SCRIPT} ${WORK_DIR}/model.safetensors --translate-bin ${TRANSLATE} --model ${MODEL} ${data}
         --batch 32 --check 50 --steps 100 --threads 1 --require-lower-loss --save-torch ${WORK_DIR}/model.pt
         --save-safetensors ${WORK_DIR}/continued.safetensors)
if(NOT EXISTS ${WORK_DIR}/model.pt OR NOT EXISTS ${WORK_DIR}/continued.safetensors)
  message(FATAL_ERROR "to_pytorch.py did not write ${WORK_DIR}/model.pt and ${WORK_DIR}/continued.safetensors")
endif()
