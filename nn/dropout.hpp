// nn::Dropout: zeroes each element with probability p while training (scaling the rest by
// 1 / (1 - p) so expectations match), and is the identity after eval().
#pragma once

#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

class Dropout : public UnaryModule {
 public:
  explicit Dropout(float p = 0.5f);  // p in [0, 1]

  Tensor forward(const Tensor& input) const override;  // any shape, unchanged
  std::string describe() const override;
  float p() const { return p_; }

 private:
  float p_;
};

}  // namespace attograd::nn
