// The whole of attograd in one include: core (tensors, autograd, ops), nn, optim and seq.
#pragma once

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>
#include <attograd/optim/optim.hpp>
#include <attograd/seq/seq.hpp>
