// nn::Linear: y = x Wᵀ + b over the last dim, the building block of every projection.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

class Linear : public UnaryModule {
 public:
  // weight (out, in) and bias (out), both U(-1/√in, 1/√in) as PyTorch initialises them
  // (kaiming_uniform_ with a = √5 for the weight).
  Linear(std::size_t in_features, std::size_t out_features, bool with_bias = true);

  // (..., in) -> (..., out)
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;

  Tensor weight;  // (out, in)
  Tensor bias;    // (out), undefined when built without bias

 private:
  std::size_t in_features_, out_features_;
};

}  // namespace attograd::nn
