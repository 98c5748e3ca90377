// Dropout: the core dropout op, switched by the module's training flag.
#include <attograd/nn/dropout.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/functional.hpp>

namespace attograd::nn {

Dropout::Dropout(float p) : p_(p) {
  if (!(p >= 0.0f && p <= 1.0f)) throw std::invalid_argument(fmt::format("Dropout: p must be in [0, 1], got {}", p));
}

Tensor Dropout::forward(const Tensor& input) const { return dropout(input, p_, is_training()); }

std::string Dropout::describe() const { return fmt::format("Dropout(p={})", p_); }

}  // namespace attograd::nn
