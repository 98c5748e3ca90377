// Everything in attograd::seq: padding, greedy and beam search, metrics, attention heatmaps,
// and for language models: tokenizers (characters, byte-level BPE), window batches, split
// evaluation, sampling from logits and generation with a key/value cache.
#pragma once

#include <attograd/seq/batching.hpp>
#include <attograd/seq/bpe.hpp>
#include <attograd/seq/char_vocabulary.hpp>
#include <attograd/seq/generate.hpp>
#include <attograd/seq/heatmap.hpp>
#include <attograd/seq/metrics.hpp>
#include <attograd/seq/sampling.hpp>
#include <attograd/seq/search.hpp>
#include <attograd/seq/sequences.hpp>
