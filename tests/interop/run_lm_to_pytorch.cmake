# interop.lm_to_pytorch.*: trains a tiny lm model, then runs examples/lm/to_pytorch.py on it, which
# exits 0 only when PyTorch's validation loss (the whole held-out split) and greedy continuations
# (or held-out answers) agree with attograd's.
#   cmake -DLM=... -DPYTHON=... -DSCRIPT=.../to_pytorch.py -DCASE=gpt_text|bpe_tied|rnn_text|bigram_sort
#         -DDATA=text file -DWORK_DIR=... -P run_lm_to_pytorch.cmake
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

include(${CMAKE_CURRENT_LIST_DIR}/run_step.cmake)

set(text --task text --data ${DATA} --context 16 --embed 16 --layers 2 --heads 2 --batch 8 --steps 60)
if(CASE STREQUAL "gpt_text")
  set(train ${text})
elseif(CASE STREQUAL "bpe_tied")
  set(train ${text} --tokens bpe --vocab 300 --tie)
elseif(CASE STREQUAL "rnn_text")
  set(train ${text} --model rnn)
else()  # bigram_sort: a problem task, seed 3 (the script takes it from the checkpoint)
  set(train --task sort --model bigram --embed 16 --layers 1 --steps 60 --seed 3)
endif()
run_step(${LM} ${train} --no-report --save ${WORK_DIR}/model.safetensors)
set(check ${PYTHON} ${SCRIPT} ${WORK_DIR}/model.safetensors --lm-bin ${LM} --threads 1)
if(CASE MATCHES "_text|bpe")
  list(APPEND check --data ${DATA} --max-new 40)
endif()
run_step(${check})
