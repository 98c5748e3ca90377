# The example programs run as a user runs them: --help, bad command-line values, bad data files
# and checkpoints each give a clear message and a non-zero exit; short runs produce their files.
set(check ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_output.cmake)
set(cli_data ${CMAKE_CURRENT_SOURCE_DIR}/examples/data)
set(cli_work ${CMAKE_CURRENT_BINARY_DIR}/cli_work)
file(MAKE_DIRECTORY ${cli_work})

# translate_cli_test(name EXIT code [STDOUT regex] [STDERR regex] [INPUT file] ARGS args...)
function(translate_cli_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXIT;STDOUT;STDERR;INPUT" "ARGS")
  add_test(NAME examples.translate.${name}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate> -DEXPECTED_EXIT=${arg_EXIT}
                   "-DSTDOUT_REGEX=${arg_STDOUT}" "-DSTDERR_REGEX=${arg_STDERR}" "-DINPUT=${arg_INPUT}" -P ${check}
                   -- ${arg_ARGS}
           WORKING_DIRECTORY ${cli_work})
endfunction()

translate_cli_test(help EXIT 0 STDOUT "--model.*bahdanau.*--beam" ARGS --help)
translate_cli_test(unknown_model EXIT 105 STDERR "--model: lstm not in \\{bahdanau,luong-dot" ARGS --model lstm)
translate_cli_test(steps_not_a_number EXIT 105 STDERR "--steps" ARGS --steps many)
translate_cli_test(beam_out_of_range EXIT 105 STDERR "--beam: Value 0 not in range 1 to 64" ARGS --beam 0)
translate_cli_test(missing_data_file EXIT 105 STDERR "--data: File does not exist: no_such.tsv" ARGS --data no_such.tsv)
translate_cli_test(empty_data_file EXIT 1 STDERR "--data .*empty.tsv: the file has no lines"
                   ARGS --data ${cli_data}/empty.tsv --steps 1 --no-report)
translate_cli_test(malformed_data_file EXIT 1
                   STDERR "only 1 usable pairs \\(3 malformed lines without a tab or with an empty side"
                   ARGS --data ${cli_data}/malformed.tsv --steps 1 --no-report)
translate_cli_test(not_utf8_data_file EXIT 1 STDERR "--data .*latin1.tsv: line 2 is not valid UTF-8"
                   ARGS --data ${cli_data}/latin1.tsv --steps 1 --no-report)
translate_cli_test(heads_do_not_divide EXIT 1 STDERR "d_model 30 is not divisible by nhead 4"
                   ARGS --model transformer --hidden 30 --steps 1 --train-size 20 --held-out 5 --no-report)
# docs/extending.md's worked layer, as a user runs it.
translate_cli_test(location_model EXIT 0 STDOUT "location on reverse: [0-9]+ parameters.*exact match"
                   ARGS --task reverse --model location --hidden 16 --embed 8 --steps 20 --train-size 100
                        --held-out 10 --no-report)
# A checkpoint of one model loaded as another; a file that is not a translate checkpoint.
translate_cli_test(save_reverse EXIT 0 STDOUT "saved reverse_none.safetensors"
                   ARGS --task reverse --model none --hidden 16 --embed 8 --steps 2 --train-size 50 --held-out 10
                        --no-report --save reverse_none.safetensors)
translate_cli_test(load_as_other_model EXIT 1 STDERR "holds a 'none' model, not 'bahdanau'"
                   ARGS --load reverse_none.safetensors --model bahdanau --translate abc)
set_tests_properties(examples.translate.load_as_other_model PROPERTIES DEPENDS examples.translate.save_reverse)
# --interactive translates each standard-input line: two lines in, two translations out.
translate_cli_test(interactive EXIT 0 STDOUT "parameters\\)\n[^\n]*\n[^\n]*\n$" INPUT ${cli_data}/two_lines.txt
                   ARGS --load reverse_none.safetensors --interactive)
set_tests_properties(examples.translate.interactive PROPERTIES DEPENDS examples.translate.save_reverse)
translate_cli_test(load_foreign_checkpoint EXIT 1 STDERR "not a translate checkpoint"
                   ARGS --load ${CMAKE_CURRENT_SOURCE_DIR}/tools/data/good.safetensors --translate abc)
# Validation during training, stopping at a target, and the splits written for other tools.
translate_cli_test(eval_every EXIT 0 STDERR "step 4: validation exact match [0-9.]+, BLEU-4 [0-9.]+ after [0-9.]+ s of training"
                   ARGS --task reverse --hidden 16 --embed 8 --steps 4 --eval-every 2 --train-size 50 --held-out 10
                        --no-report)
translate_cli_test(stop_at_target EXIT 0 STDERR "reached --target 0 at step 2: stopping"
                   ARGS --task reverse --hidden 16 --embed 8 --steps 100 --eval-every 2 --target 0 --stop-at-target
                        --train-size 50 --held-out 10 --no-report)
translate_cli_test(stop_at_target_without_eval EXIT 107 STDERR "--stop-at-target requires --eval-every"
                   ARGS --stop-at-target)
translate_cli_test(stop_at_target_eval_zero EXIT 1 STDERR "--stop-at-target needs --eval-every N with N > 0"
                   ARGS --stop-at-target --eval-every 0)
translate_cli_test(write_data EXIT 0 STDOUT "wrote 50 training, 10 validation and 10 test pairs to splits/"
                   ARGS --task reverse --write-data splits --steps 0 --train-size 50 --held-out 10 --no-report)
# A short run writes a well-formed report and metrics JSON (checked by check_report.cmake).
add_test(NAME examples.translate.report_and_metrics
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate> -DWORK=${cli_work}/report_run
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_report.cmake)

# The attention explorer's pages (check_report_page.cmake: the file, then the page rendered in
# headless Chromium): an RNN model's one head, a Transformer's three kinds of attention with the
# causal mask drawn apart, and the page for the user's own sentence from a loaded model.
set(page_check ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_report_page.cmake)
function(report_page_test name program)
  cmake_parse_arguments(PARSE_ARGV 2 arg "CAPTION;MASKED" "ARGS;THEN;PIECES;ADDRESS;MAX_BYTES" "")
  add_test(NAME examples.${name}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DWORK=${cli_work}/${name} "-DARGS=${arg_ARGS}"
                   "-DTHEN=${arg_THEN}" "-DPIECES=${arg_PIECES}" "-DADDRESS=${arg_ADDRESS}" -DMAX_BYTES=${arg_MAX_BYTES}
                   -DCAPTION=${arg_CAPTION} -DMASKED=${arg_MASKED} -P ${page_check})
  set_tests_properties(examples.${name} PROPERTIES SKIP_REGULAR_EXPRESSION "the browser check is SKIPPED")
endfunction()
set(tiny_translate "--task reverse --steps 30 --train-size 200 --held-out 20 --hidden 32 --embed 16")
report_page_test(translate.page_rnn translate ARGS "${tiny_translate}"
                 PIECES "An RNN decoder's attention has one layer" "held-out examples are wrong")
report_page_test(translate.page_transformer translate MASKED
                 ARGS "${tiny_translate} --model transformer --layers 2" ADDRESS "view=1&layer=1&hover=2"
                 PIECES "encoder self-attention" "decoder self-attention \\(causal\\)" "cross-attention")
report_page_test(translate.page_your_sentence translate ARGS "${tiny_translate} --save yours.safetensors"
                 THEN "--load yours.safetensors --translate abcdef" PIECES "your sentence")

# Long runs survive (check_resume.cmake, check_run_failures.cmake): stopped by SIGKILL or Ctrl-C at
# a random moment and resumed, a run is bitwise the run that was never stopped (dropout on); a
# diverging run and files that cannot be written stop it, naming the step or the path, and leave
# the last checkpoint intact.
set(resume_check ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_resume.cmake)
set(failure_check ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_run_failures.cmake)
function(resume_test name program signal args keys)
  add_test(NAME examples.${name} COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DWORK=${cli_work}/${name}
                                         "-DARGS=${args}" -DSAVE_EVERY=25 -DSIGNAL=${signal} "-DKEYS=${keys}" -P ${resume_check})
endfunction()
function(run_failures_test name program args)
  add_test(NAME examples.${name} COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:${program}> -DWORK=${cli_work}/${name}
                                         "-DARGS=${args}" -P ${failure_check})
endfunction()
set(resumable_translate "--task reverse --steps 300 --train-size 200 --held-out 10 --hidden 32 --embed 16 --eval-every 100")
resume_test(translate.resume_after_sigkill translate KILL "${resumable_translate} --model transformer --layers 1 --dropout 0.1"
            "final_loss;exact_match;bleu;steps")
resume_test(translate.resume_after_ctrl_c translate INT "${resumable_translate}" "final_loss;exact_match;bleu;steps")
# --resume refuses what would not be the same run, naming the difference.
translate_cli_test(save_training_checkpoint EXIT 0 STDOUT "held-out|test"
                   ARGS --task reverse --steps 4 --train-size 50 --held-out 10 --hidden 16 --embed 8 --lr 0.001
                        --no-report --checkpoint run.ckpt --save-every 2)
translate_cli_test(resume_with_other_size EXIT 1
                   STDERR "--resume run.ckpt: the saved run has --hidden 16, this command line --hidden 32; a resumed run keeps"
                   ARGS --resume run.ckpt --hidden 32)
# The same value written another way is not a difference: --lr 1e-3 for the saved 0.001.
translate_cli_test(resume_with_the_same_value EXIT 0 STDOUT "resumed from run.ckpt at step 4 of 4"
                   ARGS --resume run.ckpt --lr 1e-3 --no-report)
translate_cli_test(resume_a_model_file EXIT 1 STDERR "--resume reverse_none.safetensors: not a checkpoint of a training run"
                   ARGS --resume reverse_none.safetensors)
translate_cli_test(load_a_training_checkpoint EXIT 0 STDOUT "loaded run.ckpt" ARGS --load run.ckpt --translate abc)
set_tests_properties(examples.translate.resume_with_other_size examples.translate.load_a_training_checkpoint
                     examples.translate.resume_with_the_same_value
                     PROPERTIES DEPENDS examples.translate.save_training_checkpoint)
set_tests_properties(examples.translate.resume_a_model_file PROPERTIES DEPENDS examples.translate.save_reverse)
run_failures_test(translate.run_failures translate
                  "--task reverse --steps 20 --train-size 100 --held-out 10 --hidden 16 --embed 8 --model transformer --layers 1")

# --help's table of defaults per model is what each model uses (its start-up line says so); piped
# output keeps its order (the start-up and sanity lines before the progress lines on stderr).
add_test(NAME examples.translate.help_defaults_are_used
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate> "-DARGS=--task reverse --train-size 50 --held-out 10"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_help_defaults.cmake
         WORKING_DIRECTORY ${cli_work})
add_test(NAME examples.translate.output_in_order
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate>
                 "-DARGS=--task reverse --hidden 16 --embed 8 --steps 20 --train-size 50 --held-out 10 --no-report"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_output_order.cmake
         WORKING_DIRECTORY ${cli_work})
translate_cli_test(startup_line EXIT 0
                   STDOUT "^settings: model transformer, hidden 32, layers 2, heads 4, ff 128, dropout 0.1, steps 2000, lr 0.003, batch 64; data: 50 training, 10 validation, 10 test pairs\n$"
                   ARGS --model transformer --hidden 32 --dry-run --task reverse --train-size 50 --held-out 10)
# A user's file: the split rule and the sizes it gives, printed; --test brings the test pairs.
translate_cli_test(split_by_fractions EXIT 0
                   STDOUT "read [^\n]*pairs40.tsv: 40 usable pairs, shuffled: 20 % validation \\(--val-fraction 0.2\\), 10 % test \\(--test-fraction 0.1\\);.*data: 28 training, 8 validation, 4 test pairs"
                   ARGS --data ${cli_data}/pairs40.tsv --tokens word --val-fraction 0.2 --test-fraction 0.1 --dry-run)
translate_cli_test(split_by_counts EXIT 0
                   STDOUT "40 usable pairs, shuffled: 5 validation and 5 test \\(--held-out 5\\);.*data: 30 training, 5 validation, 5 test pairs"
                   ARGS --data ${cli_data}/pairs40.tsv --tokens word --held-out 5 --dry-run)
translate_cli_test(split_with_own_test EXIT 0
                   STDOUT "10 % validation \\(--val-fraction 0.1\\), test from --test [^\n]*pairs40.tsv;.*data: 36 training, 4 validation, 40 test pairs"
                   ARGS --data ${cli_data}/pairs40.tsv --tokens word --test ${cli_data}/pairs40.tsv --dry-run)
translate_cli_test(split_option_needs_data EXIT 107 STDERR "--val-fraction requires --data" ARGS --val-fraction 0.2)
translate_cli_test(unknown_words_counted EXIT 0
                   STDOUT "unknown to the vocabularies of the training split \\(read as <unk>\\): validation [0-9.]+ % of the source tokens \\([0-9]+ distinct\\) and [0-9.]+ % of the target tokens"
                   ARGS --data ${cli_data}/pairs40.tsv --tokens word --steps 1 --hidden 16 --embed 8 --no-report --samples 0)
translate_cli_test(patience_without_validation_split EXIT 1
                   STDERR "--patience 2: there is no validation split to watch"
                   ARGS --data ${cli_data}/pairs40.tsv --tokens word --val-fraction 0 --patience 2 --steps 2
                        --hidden 16 --embed 8 --no-report)
translate_cli_test(patience_without_validation EXIT 1
                   STDERR "--patience 3 counts validations, and this run has none: give --eval-every N"
                   ARGS --task reverse --patience 3 --steps 2 --train-size 20 --held-out 5 --hidden 16 --embed 8 --no-report)
add_test(NAME examples.translate.keep_best
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate> -DMETRIC=bleu -DWORK=${cli_work}/translate_keep_best
                 "-DARGS=--task reverse --steps 60 --eval-every 5 --train-size 200 --held-out 20 --hidden 16 --embed 8 --no-report --samples 0"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_keep_best.cmake)
add_test(NAME examples.translate.keep_best_patience
         COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:translate> -DMETRIC=exact_match -DPATIENCE=2
                 -DWORK=${cli_work}/translate_keep_best_patience
                 "-DARGS=--task reverse --steps 400 --eval-every 5 --best-by exact_match --lr 0.05 --train-size 200 --held-out 20 --hidden 16 --embed 8 --no-report --samples 0"
                 -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_keep_best.cmake)
translate_cli_test(help_per_model_default EXIT 0
                   STDOUT "--hidden [^\n]*\n[^\n]*\(default: 64 for transformer, 128 for the others\)"
                   ARGS --help)

# caption_cli_test(name EXIT code [STDOUT regex] [STDERR regex] ARGS args...)
function(caption_cli_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXIT;STDOUT;STDERR" "ARGS")
  add_test(NAME examples.caption.${name}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:caption> -DEXPECTED_EXIT=${arg_EXIT}
                   "-DSTDOUT_REGEX=${arg_STDOUT}" "-DSTDERR_REGEX=${arg_STDERR}" -P ${check} -- ${arg_ARGS}
           WORKING_DIRECTORY ${cli_work})
endfunction()

if(TARGET caption)
  set(tiny --train-size 16 --held-out 4 --batch 4 --features 8 --hidden 16 --embed 8 --no-report)
  caption_cli_test(help EXIT 0 STDOUT "--task.*shapes.*--images.*--captions.*--model.*sat.*--beam.*--caption " ARGS --help)
  caption_cli_test(unknown_sat_attention EXIT 105 STDERR "--sat-attention: during not in \\{after,before\\}"
                   ARGS --sat-attention during)
  caption_cli_test(unknown_model EXIT 105 STDERR "--model: lstm not in \\{sat,transformer,none\\}" ARGS --model lstm)
  caption_cli_test(unknown_task EXIT 105 STDERR "--task: faces not in \\{shapes,digits\\}" ARGS --task faces)
  caption_cli_test(batch_zero EXIT 105 STDERR "--batch: Value 0 not in range 1 to 4096" ARGS --batch 0)
  caption_cli_test(images_without_captions EXIT 1
                   STDERR "--images DIR and --captions FILE.tsv go together: give both or neither"
                   ARGS --images ${cli_data} --steps 1)
  caption_cli_test(missing_images_dir EXIT 105 STDERR "--images: Directory does not exist: no_such_dir"
                   ARGS --images no_such_dir --captions ${cli_data}/captions_missing_image.tsv)
  caption_cli_test(caption_file_names_missing_image EXIT 1
                   STDERR "captions_missing_image.tsv line 2: load_image: .*not_there.png"
                   ARGS --images ${cli_data} --captions ${cli_data}/captions_missing_image.tsv --steps 1)
  caption_cli_test(size_not_multiple_of_16 EXIT 1
                   STDERR "--size 40: 40×40 will not do: each side must be a multiple of 16 from 16 to 512 \\(the encoder pools four times by 2\\); try --size 48x48"
                   ARGS --images ${cli_data} --captions ${cli_data}/captions_ok.tsv --size 40 --steps 1 --no-report)
  caption_cli_test(size_not_a_size EXIT 1 STDERR "--size 32by64: not a size; give HEIGHTxWIDTH in pixels \\(--size 32x128\\)"
                   ARGS --images ${cli_data} --captions ${cli_data}/captions_ok.tsv --size 32by64 --steps 1 --no-report)
  caption_cli_test(size_needs_images EXIT 107 STDERR "--size requires --images" ARGS --size 32x64)
  caption_cli_test(unknown_fit EXIT 105 STDERR "--fit: crop not in \\{letterbox,stretch\\}"
                   ARGS --images ${cli_data} --captions ${cli_data}/captions_ok.tsv --fit crop)
  caption_cli_test(split_leaves_nothing EXIT 1
                   STDERR "the split takes [0-9]+ validation and [0-9]+ test images of the [0-9]+ usable, leaving none to train on; give smaller --val-fraction and --test-fraction"
                   ARGS --images ${cli_data}/mixed --captions ${cli_data}/mixed/captions.tsv --val-fraction 0.5
                        --test-fraction 0.5 --steps 1 --no-report)
  # A folder of mixed shapes (16x48, 24x96, 32x32; a tall test picture): the size from the folder,
  # letterboxed, augmented, validated, the best model kept, and a report.
  caption_cli_test(mixed_folder_trains_and_reports EXIT 0
                   STDOUT "read [^\n]*captions.tsv: 20 usable images, shuffled: 10 % validation \\(--val-fraction 0.1\\), test from --test [^\n]*test.tsv[^\n]*\nimages: 32×96, from the folder: median height 24 px, median aspect ratio 3.00[^\n]*letterboxed.*data: 18 training, 2 validation, 4 test images.*32×96 images, a 2×6 feature grid.*keeping the model of step [0-9]+ \\(validation exact_match.*test \\(4 examples\\).*report: [^\n]*mixed_report/index.html"
                   ARGS --images ${cli_data}/mixed --captions ${cli_data}/mixed/captions.tsv --test ${cli_data}/mixed/test.tsv
                        --augment --steps 8 --eval-every 4 --batch 4 --features 8 --hidden 16 --embed 8 --report mixed_report)
  # A model trained on a folder keeps its size and fit: another --size or --fit is refused.
  set(mixed --images ${cli_data}/mixed --captions ${cli_data}/mixed/captions.tsv)
  caption_cli_test(save_mixed EXIT 0 STDOUT "saved caption_mixed.safetensors"
                   ARGS ${mixed} --steps 2 --batch 4 --features 8 --hidden 16 --embed 8 --no-report
                        --save caption_mixed.safetensors)
  caption_cli_test(load_with_other_size EXIT 1
                   STDERR "--size 16x64: the model in caption_mixed.safetensors takes 32×96 images; leave --size out"
                   ARGS --load caption_mixed.safetensors ${mixed} --size 16x64 --steps 1 --no-report)
  caption_cli_test(load_with_other_fit EXIT 1
                   STDERR "--fit stretch: the model in caption_mixed.safetensors was trained on pictures letterboxed: other shapes keep their proportions; leave --fit out"
                   ARGS --load caption_mixed.safetensors ${mixed} --fit stretch --steps 1 --no-report)
  caption_cli_test(load_keeps_size_and_fit EXIT 0 STDOUT "images: 32×96 \\(the loaded model's\\); letterboxed"
                   ARGS --load caption_mixed.safetensors ${mixed} --steps 1 --no-report --samples 0)
  set_tests_properties(examples.caption.load_with_other_size examples.caption.load_with_other_fit
                       examples.caption.load_keeps_size_and_fit PROPERTIES DEPENDS examples.caption.save_mixed)
  add_test(NAME examples.caption.keep_best
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:caption> -DMETRIC=bleu -DPATIENCE=2 -DWORK=${cli_work}/caption_keep_best
                   "-DARGS=--task digits --steps 60 --eval-every 5 --best-by bleu --train-size 64 --held-out 16 --batch 8 --features 8 --hidden 16 --embed 8 --no-report --samples 0"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_keep_best.cmake)
  caption_cli_test(heads_do_not_divide EXIT 1 STDERR "not divisible by nhead 4"
                   ARGS --model transformer --hidden 30 --steps 1 --train-size 16 --held-out 4 --no-report)
  caption_cli_test(save_digits EXIT 0 STDOUT "saved caption_none.safetensors"
                   ARGS --task digits --model none --steps 2 ${tiny} --save caption_none.safetensors)
  caption_cli_test(load_as_other_model EXIT 1 STDERR "holds a 'none' model, not 'sat'"
                   ARGS --load caption_none.safetensors --model sat --caption ${cli_data}/digits.png)
  set_tests_properties(examples.caption.load_as_other_model PROPERTIES DEPENDS examples.caption.save_digits)
  caption_cli_test(caption_one_image EXIT 0 STDOUT "loaded caption_none.safetensors[^\n]*\n[0-9 ]*\n$"
                   ARGS --load caption_none.safetensors --caption ${cli_data}/digits.png --no-report)
  set_tests_properties(examples.caption.caption_one_image PROPERTIES DEPENDS examples.caption.save_digits)
  caption_cli_test(caption_not_an_image EXIT 1 STDERR "load_image: .*malformed.tsv"
                   ARGS --load caption_none.safetensors --caption ${cli_data}/malformed.tsv --no-report)
  set_tests_properties(examples.caption.caption_not_an_image PROPERTIES DEPENDS examples.caption.save_digits)
  caption_cli_test(load_for_other_image_size EXIT 1
                   STDERR "--load caption_none.safetensors: the model takes 16×80 images, the shapes task makes 48×48"
                   ARGS --load caption_none.safetensors --task shapes --steps 1 ${tiny})
  set_tests_properties(examples.caption.load_for_other_image_size PROPERTIES DEPENDS examples.caption.save_digits)
  caption_cli_test(load_unreadable_sizes EXIT 1 STDERR "--load .*caption_bad_sizes.safetensors: unreadable model sizes"
                   ARGS --load ${cli_data}/caption_bad_sizes.safetensors --caption ${cli_data}/digits.png)
  caption_cli_test(captions_not_utf8 EXIT 1 STDERR "--captions .*captions_latin1.tsv: line 2 is not valid UTF-8"
                   ARGS --images ${cli_data} --captions ${cli_data}/captions_latin1.tsv --steps 1 --no-report)
  # The order sat attends in is kept in the checkpoint.
  caption_cli_test(save_sat_before EXIT 0 STDOUT "saved caption_sat_before.safetensors"
                   ARGS --task digits --sat-attention before --steps 2 ${tiny} --save caption_sat_before.safetensors)
  caption_cli_test(load_keeps_sat_attention EXIT 0 STDOUT "loaded caption_sat_before.safetensors \\(sat model, attention before, "
                   ARGS --load caption_sat_before.safetensors --caption ${cli_data}/digits.png --no-report)
  set_tests_properties(examples.caption.load_keeps_sat_attention PROPERTIES DEPENDS examples.caption.save_sat_before)
  caption_cli_test(load_translate_checkpoint EXIT 1 STDERR "not a caption checkpoint"
                   ARGS --load reverse_none.safetensors --caption ${cli_data}/digits.png)
  set_tests_properties(examples.caption.load_translate_checkpoint PROPERTIES DEPENDS examples.translate.save_reverse)
  add_test(NAME examples.caption.help_defaults_are_used
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:caption> "-DARGS=--task digits --train-size 16 --held-out 4"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_help_defaults.cmake
           WORKING_DIRECTORY ${cli_work})
  add_test(NAME examples.caption.output_in_order
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:caption> "-DARGS=--task digits --steps 10 --train-size 16 --held-out 4 --batch 4 --features 8 --hidden 16 --embed 8 --no-report"
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_output_order.cmake
           WORKING_DIRECTORY ${cli_work})
  set(tiny_caption "--steps 20 --train-size 64 --held-out 12 --batch 8 --features 16 --hidden 32")
  report_page_test(caption.page_sat caption CAPTION ARGS "${tiny_caption} --save c.safetensors"
                   THEN "--load c.safetensors --caption ${cli_data}/digits.png" PIECES "your picture digits.png")
  report_page_test(caption.page_transformer caption CAPTION MASKED ARGS "${tiny_caption} --model transformer --layers 2"
                   ADDRESS "example=1&view=1&hover=1" PIECES "test image" "decoder self-attention")
  resume_test(caption.resume_after_sigkill caption KILL
              "--steps 600 --train-size 64 --held-out 8 --batch 4 --features 8 --hidden 16 --embed 8 --model transformer --layers 1 --dropout 0.1"
              "final_loss;exact_match;bleu;steps")
  run_failures_test(caption.run_failures caption "--steps 20 --train-size 32 --held-out 4 --batch 4 --features 8 --hidden 16 --embed 8")
  add_test(NAME examples.caption.report_and_metrics
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:caption> -DWORK=${cli_work}/caption_report_run
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/examples/check_caption_report.cmake)
endif()

# DESIGN.md: an example's functions are short (at most 60 lines, signature to closing brace).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  add_test(NAME examples.function_lengths
           COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/function_lengths.py --max 60
                   ${PROJECT_SOURCE_DIR}/examples)
endif()

# attention_tour prints every attention family (each section's header; it exits 1 if a check fails),
# one family with --family, and refuses unknown arguments and family names with a message.
# attention_tour_test(name EXIT code [STDOUT regex] [STDERR regex] ARGS args...)
function(attention_tour_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "EXIT;STDOUT;STDERR" "ARGS")
  add_test(NAME examples.attention_tour.${name}
           COMMAND ${CMAKE_COMMAND} -DPROGRAM=$<TARGET_FILE:attention_tour> -DEXPECTED_EXIT=${arg_EXIT}
                   "-DSTDOUT_REGEX=${arg_STDOUT}" "-DSTDERR_REGEX=${arg_STDERR}" -P ${check} -- ${arg_ARGS})
endfunction()

if(TARGET attention_tour)
  set(families "generic, bahdanau, luong, sdpa, self, multihead")
  attention_tour_test(every_family EXIT 0
                      STDOUT "=== 1\\. generic attention: score -> softmax -> context ===.*=== 2\\. Bahdanau additive.*=== 3\\. Luong attention: dot, general, concat.*=== 4\\. scaled dot-product attention with masks.*fully masked row.*=== 5\\. self-attention.*=== 6\\. multi-head attention.*\nall checks passed\n$")
  attention_tour_test(help EXIT 0 STDOUT "^usage: attention_tour \\[--family NAME\\]\n.*${families}" ARGS --help)
  # Only the family asked for: the first section after the inputs is Luong's.
  attention_tour_test(one_family EXIT 0 STDOUT "^attention_tour: [^\n]*\n(  [^\n]*\n)*\n=== 3\\. Luong.*all checks passed\n$"
                      ARGS --family luong)
  attention_tour_test(unknown_argument EXIT 2 STDERR "^usage: attention_tour.*unknown argument: --bogus \\(try --help\\)"
                      ARGS --bogus)
  attention_tour_test(unknown_family EXIT 2 STDERR "unknown family: transformer \\(the families are: ${families}\\)"
                      ARGS --family transformer)
  attention_tour_test(family_without_name EXIT 2 STDERR "--family needs a NAME: ${families}" ARGS --family)
endif()
