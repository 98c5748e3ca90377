// The whole of attograd in one include: core (tensors, autograd, ops), nn and optim.
#pragma once

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>
#include <attograd/optim/optim.hpp>
