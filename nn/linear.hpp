// nn::Linear: y = x Wᵀ + b over the last dim, the building block of every projection.
#pragma once

#include <cstddef>
#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// nn::LinearOptions{.in_features = 4, .out_features = 2, .bias = false}
struct LinearOptions {
  std::size_t in_features = 0;
  std::size_t out_features = 0;
  bool bias = true;
};

class Linear : public UnaryModule {
 public:
  explicit Linear(const LinearOptions& options);
  Linear(std::size_t in_features, std::size_t out_features, bool bias = true);

  // weight (out, in) and bias (out), both U(-1/√in, 1/√in) as PyTorch initialises them
  // (kaiming_uniform_ with a = √5 for the weight).
  void reset_parameters() override;

  // (..., in) -> (..., out)
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const LinearOptions& options() const { return options_; }

  Tensor weight;  // (out, in)
  Tensor bias;    // (out), undefined when built without bias

 private:
  LinearOptions options_;
};

}  // namespace attograd::nn
