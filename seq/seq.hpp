// Everything in attograd::seq: padding, greedy and beam search, metrics, attention heatmaps,
// and sampling from a language model's logits.
#pragma once

#include <attograd/seq/heatmap.hpp>
#include <attograd/seq/metrics.hpp>
#include <attograd/seq/sampling.hpp>
#include <attograd/seq/search.hpp>
#include <attograd/seq/sequences.hpp>
