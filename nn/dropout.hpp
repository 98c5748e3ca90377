// nn::Dropout: zeroes each element with probability p while training (scaling the rest by
// 1 / (1 - p) so expectations match), and is the identity after eval().
#pragma once

#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// nn::DropoutOptions{.p = 0.1f}
struct DropoutOptions {
  float p = 0.5f;  // in [0, 1]
};

class Dropout : public UnaryModule {
 public:
  explicit Dropout(const DropoutOptions& options);
  explicit Dropout(float p = 0.5f);

  Tensor forward(const Tensor& input) const override;  // any shape, unchanged
  std::string describe() const override;
  float p() const { return options_.p; }
  const DropoutOptions& options() const { return options_; }

 private:
  DropoutOptions options_;
};

}  // namespace attograd::nn
