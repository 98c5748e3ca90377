// UnaryModule: a Module whose forward maps one tensor to one tensor (Linear, LayerNorm,
// Dropout, the activations). It is what Sequential chains.
#pragma once

#include <attograd/core/tensor.hpp>
#include <attograd/nn/module.hpp>

namespace attograd::nn {

class UnaryModule : public Module {
 public:
  virtual Tensor forward(const Tensor& input) const = 0;
  Tensor operator()(const Tensor& input) const { return forward(input); }
};

}  // namespace attograd::nn
