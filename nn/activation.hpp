// Activation modules, so nonlinearities can sit in a Sequential. Each wraps one core op.
#pragma once

#include <string>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

// max(x, 0)
class ReLU : public UnaryModule {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override { return "ReLU()"; }
};

// nn::GELUOptions{.approximate = "tanh"}
struct GELUOptions {
  std::string approximate = "none";  // "none": the exact erf form; "tanh": PyTorch's tanh form
};

// x · Φ(x) with the exact erf form by default, or PyTorch's approximate="tanh" form.
class GELU : public UnaryModule {
 public:
  explicit GELU(const GELUOptions& options);
  explicit GELU(bool tanh_approximation = false);
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override;
  const GELUOptions& options() const { return options_; }

 private:
  GELUOptions options_;
  bool tanh_approximation_;
};

class Tanh : public UnaryModule {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override { return "Tanh()"; }
};

// 1 / (1 + e^-x)
class Sigmoid : public UnaryModule {
 public:
  Tensor forward(const Tensor& input) const override;
  std::string describe() const override { return "Sigmoid()"; }
};

}  // namespace attograd::nn
