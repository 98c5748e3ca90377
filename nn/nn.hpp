// Every layer in attograd::nn.
#pragma once

#include <attograd/nn/activation.hpp>
#include <attograd/nn/dropout.hpp>
#include <attograd/nn/embedding.hpp>
#include <attograd/nn/gru.hpp>
#include <attograd/nn/init.hpp>
#include <attograd/nn/layer_norm.hpp>
#include <attograd/nn/linear.hpp>
#include <attograd/nn/lstm.hpp>
#include <attograd/nn/module.hpp>
#include <attograd/nn/rnn.hpp>
#include <attograd/nn/sequential.hpp>
#include <attograd/nn/unary_module.hpp>
