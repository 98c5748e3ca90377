# lm as a user runs it: --help, bad values, bad text files, prompts and checkpoints each give a
# clear message and a non-zero exit; the same seed gives the same run; a saved model samples
# the same text again.
set(small ${cli_data}/small.txt)
set(tiny_gpt --task text --data ${small} --context 16 --embed 16 --layers 1 --batch 4 --no-report)

# lm_cli_test(name EXIT code [STDOUT regex] [STDERR regex] ARGS args...)
function(lm_cli_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXIT;STDOUT;STDERR" "ARGS")
  add_test(NAME examples.lm.${name}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:lm> -DEXPECTED_EXIT=${arg_EXIT}
                   "-DSTDOUT_REGEX=${arg_STDOUT}" "-DSTDERR_REGEX=${arg_STDERR}" -P ${check} -- ${arg_ARGS}
           WORKING_DIRECTORY ${cli_work})
endfunction()

lm_cli_test(help EXIT 0 STDOUT "--task.*--temperature.*--top-p.*Defaults per task.*text +128 +4 +4 +64"
            ARGS --help)
lm_cli_test(startup_line EXIT 0
            STDOUT "settings: task text, model gpt, layers 4, heads 4, embed 128, context 64, dropout 0, batch 12, steps 2000, lr 0.001 \\(AdamW, weight decay 0.1, warmup 100 then cosine to lr/10\\)"
            ARGS --task text --data ${small} --dry-run)
lm_cli_test(unknown_model EXIT 105 STDERR "--model: lstm not in \\{gpt,bigram,rnn\\}" ARGS --model lstm)
lm_cli_test(top_p_zero EXIT 105 STDERR "--top-p: Value 0 not in \\(0, 1\\]" ARGS --top-p 0)
lm_cli_test(top_p_above_one EXIT 105 STDERR "--top-p: Value 1.5 not in \\(0, 1\\]" ARGS --top-p 1.5)
lm_cli_test(negative_temperature EXIT 105 STDERR "--temperature: Value -1 not in range 0" ARGS --temperature -1)
lm_cli_test(empty_data EXIT 1 STDERR "lm: error: --data .*empty.tsv: the text is empty"
            ARGS --task text --data ${cli_data}/empty.tsv)
lm_cli_test(binary_data EXIT 1 STDERR "--data .*binary.bin: looks binary, not text \\(a NUL byte at offset 2\\)"
            ARGS --task text --data ${cli_data}/binary.bin)
lm_cli_test(not_utf8_data EXIT 1 STDERR "--data .*latin1.tsv: .*byte"
            ARGS --task text --data ${cli_data}/latin1.tsv)
lm_cli_test(missing_data EXIT 1 STDERR "--data no_such.txt: no such file or directory"
            ARGS --task text --data no_such.txt)
lm_cli_test(prompt_outside_vocabulary EXIT 1 STDERR "--prompt: .*'\\{'"
            ARGS ${tiny_gpt} --steps 1 --prompt "a {b}")
lm_cli_test(prompt_longer_than_context EXIT 1 STDERR "--prompt has 20 tokens but the model sees at most 16 \\(its --context\\)"
            ARGS ${tiny_gpt} --steps 1 --prompt "aaaaaaaaaaaaaaaaaaaa")
# A bad prompt fails before training (the default 1 000 steps would take 20 s: the timeout says no).
lm_cli_test(bad_sort_prompt EXIT 1 STDERR "--prompt '1234': sort takes 6 digits from 0, 1 and 2"
            ARGS --task sort --no-report --prompt 1234)
set_tests_properties(examples.lm.bad_sort_prompt PROPERTIES TIMEOUT 8)
lm_cli_test(top_p_not_a_number EXIT 105 STDERR "--top-p: Value abc not in \\(0, 1\\]" ARGS --top-p abc)
file(MAKE_DIRECTORY ${cli_work}/lm_empty_dir)
lm_cli_test(directory_without_files EXIT 1 STDERR "--data .*lm_empty_dir: the directory holds no regular files"
            ARGS --task text --data ${cli_work}/lm_empty_dir)
lm_cli_test(context_longer_than_validation EXIT 1
            STDERR "its last 10 % \\([0-9]+\\) cannot fill one window of --context 500 plus its next token"
            ARGS --task text --data ${small} --context 500)
lm_cli_test(heads_do_not_divide EXIT 1 STDERR "--embed 16 is not divisible by --heads 3"
            ARGS ${tiny_gpt} --steps 1 --heads 3)
lm_cli_test(context_too_short EXIT 1 STDERR "--context 5 is too short for sort: its sequences are 11 tokens"
            ARGS --task sort --context 5 --steps 1)
lm_cli_test(load_foreign_checkpoint EXIT 1 STDERR "not a lm checkpoint"
            ARGS --load ${CMAKE_CURRENT_SOURCE_DIR}/tools/data/good.safetensors)
# A problem task end to end: training, held-out exact match, a prompt answered.
lm_cli_test(add_prompt EXIT 0 STDOUT "held-out \\(1000 problems, 1000 distinct, never trained on\\): exact match.*\n12\\+34=[0-9]+\n"
            ARGS --task add --steps 3 --embed 12 --layers 1 --no-report --prompt 12+34)
lm_cli_test(save_rnn EXIT 0 STDOUT "saved lm_rnn.safetensors" ARGS ${tiny_gpt} --model rnn --steps 2 --save lm_rnn.safetensors)
lm_cli_test(load_as_other_model EXIT 1 STDERR "holds a 'rnn' model, not 'gpt'" ARGS --load lm_rnn.safetensors --model gpt)
set_tests_properties(examples.lm.load_as_other_model PROPERTIES DEPENDS examples.lm.save_rnn)
lm_cli_test(load_for_other_task EXIT 1 STDERR "the model was trained on 'text', not --task add"
            ARGS --load lm_rnn.safetensors --task add)
set_tests_properties(examples.lm.load_for_other_task PROPERTIES DEPENDS examples.lm.save_rnn)
lm_cli_test(load_with_model_size EXIT 1 STDERR "--embed shapes a new model; with --load lm_rnn.safetensors the checkpoint's model is used"
            ARGS --load lm_rnn.safetensors --embed 32)
set_tests_properties(examples.lm.load_with_model_size PROPERTIES DEPENDS examples.lm.save_rnn)
lm_cli_test(save_sort EXIT 0 STDOUT "saved lm_sort.safetensors"
            ARGS --task sort --steps 2 --embed 12 --layers 1 --seed 4 --no-report --save lm_sort.safetensors)
lm_cli_test(load_sort_other_seed EXIT 1 STDERR "held-out sort problems were drawn with seed 4; --seed 5 would test it on problems it trained on"
            ARGS --load lm_sort.safetensors --seed 5)
set_tests_properties(examples.lm.load_sort_other_seed PROPERTIES DEPENDS examples.lm.save_sort)

add_test(NAME examples.lm.same_seed_same_run_and_saved_samples
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:lm> -DDATA=${small}
                 "-DARGS=--task text --context 16 --embed 16 --layers 1 --heads 2 --batch 4 --steps 30 --dropout 0.1"
                 "-DSAMPLING=--temperature 0.9 --top-k 5 --max-new 60"
                 -DWORK=${cli_work}/lm_samples -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_lm_samples.cmake)
add_test(NAME examples.lm.output_in_order
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:lm> "-DARGS=--task sort --steps 20 --embed 12 --layers 1 --no-report"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_output_order.cmake
         WORKING_DIRECTORY ${cli_work})
# Short versions of the must-show runs: a small GPT learns held-out sums (the default model reaches
# 1000/1000 in about 25 s), and the bigram baseline, which sees one token, cannot sort at all.
lm_cli_test(add_learns EXIT 0 STDOUT "held-out \\(1000 problems[^\n]*exact match (0\\.99[5-9][0-9]|1\\.0000)"
            ARGS --task add --steps 800 --embed 32 --layers 2 --heads 2 --batch 64 --lr 3e-3 --eval-every 0 --no-report)
lm_cli_test(sort_bigram_cannot EXIT 0 STDOUT "held-out \\(5000 problems[^\n]*exact match 0\\.0"
            ARGS --task sort --model bigram --steps 300 --embed 16 --layers 1 --eval-every 0 --no-report)
# Corrupt checkpoint metadata (a tiny sort model's file with one entry changed) is refused,
# naming the file and the value, before any model is built.
lm_cli_test(checkpoint_bad_seed EXIT 1 STDERR "lm_bad_seed.safetensors: its seed '12x' is not a whole number"
            ARGS --load ${cli_data}/lm_bad_seed.safetensors --no-report)
lm_cli_test(checkpoint_huge_context EXIT 1
            STDERR "lm_huge_context.safetensors: its model size context = 100000000 is outside 1 to 4096"
            ARGS --load ${cli_data}/lm_huge_context.safetensors --no-report)
lm_cli_test(checkpoint_wrong_embed EXIT 1
            STDERR "lm_wrong_embed.safetensors: its metadata says vocab 3 and embed 24, but tokens.weight is \\(3, 12\\)"
            ARGS --load ${cli_data}/lm_wrong_embed.safetensors --no-report)
lm_cli_test(checkpoint_unknown_task EXIT 1 STDERR "lm_unknown_task.safetensors: unknown task 'chess' \\(expected sort, add or text\\)"
            ARGS --load ${cli_data}/lm_unknown_task.safetensors --no-report)

# lm's pages: a 4-layer, 4-head GPT over a 64-token context stays under 2 MB; a sort model's
# held-out problems (wrong ones first) and the page for the user's own --prompt.
report_page_test(lm.page_text lm MASKED MAX_BYTES 2000000
                 ARGS "--task text --layers 4 --heads 4 --context 64 --embed 16 --batch 2 --steps 10 --max-new 100"
                 ADDRESS "layer=3&head=2&hover=40" PIECES "causal self-attention" "a GPT on")
report_page_test(lm.page_your_problem lm MASKED ARGS "--task sort --steps 40 --embed 16 --layers 2 --heads 2 --save s.safetensors"
                 THEN "--load s.safetensors --prompt 210210" PIECES "your problem" "held-out problem")

# lm's runs survive too: the text GPT with dropout stopped by SIGKILL, sort stopped by Ctrl-C.
resume_test(lm.resume_after_sigkill lm KILL
            "--task text --data ${small} --context 16 --embed 16 --layers 1 --heads 2 --batch 4 --steps 600 --dropout 0.1 --eval-every 150"
            "final_loss;val_loss;steps")
resume_test(lm.resume_after_ctrl_c lm INT "--task sort --steps 600 --embed 16 --layers 1 --heads 2 --eval-every 150"
            "final_loss;exact_match;val_loss;steps")
run_failures_test(lm.run_failures lm "--task sort --steps 20 --embed 16 --layers 1 --heads 2")
lm_cli_test(resume_another_programs_checkpoint EXIT 1 STDERR "--resume run.ckpt: a checkpoint of translate, not of lm"
            ARGS --resume run.ckpt)
set_tests_properties(examples.lm.resume_another_programs_checkpoint PROPERTIES DEPENDS examples.translate.save_training_checkpoint)
