// The fused kernels, each the twin of a composite op or layer function, and their switch.
#pragma once

#include <attograd/core/fused/additive_scores.hpp>
#include <attograd/core/fused/attention_heads.hpp>
#include <attograd/core/fused/cross_entropy.hpp>
#include <attograd/core/fused/gru_update.hpp>
#include <attograd/core/fused/layer_norm.hpp>
#include <attograd/core/fused/lstm_update.hpp>
#include <attograd/core/fused/softmax.hpp>
#include <attograd/core/fused/switch.hpp>
