// Every layer in attograd::nn.
#pragma once

#include <attograd/nn/activation.hpp>
#include <attograd/nn/additive_attention.hpp>
#include <attograd/nn/attention_functional.hpp>
#include <attograd/nn/checkpoint.hpp>
#include <attograd/nn/dropout.hpp>
#include <attograd/nn/embedding.hpp>
#include <attograd/nn/gru.hpp>
#include <attograd/nn/init.hpp>
#include <attograd/nn/layer_norm.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/lstm.hpp>
#include <attograd/nn/luong_attention.hpp>
#include <attograd/nn/mask.hpp>
#include <attograd/nn/module.hpp>
#include <attograd/nn/module_list.hpp>
#include <attograd/nn/multihead_attention.hpp>
#include <attograd/nn/positional_encoding.hpp>
#include <attograd/nn/rnn.hpp>
#include <attograd/nn/self_attention.hpp>
#include <attograd/nn/sequential.hpp>
#include <attograd/nn/transformer.hpp>
#include <attograd/nn/transformer_decoder.hpp>
#include <attograd/nn/transformer_encoder.hpp>
#include <attograd/nn/transformer_options.hpp>
#include <attograd/nn/unary_module.hpp>
