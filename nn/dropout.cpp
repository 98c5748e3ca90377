// Dropout: the core dropout op, switched by the module's training flag.
#include <attograd/nn/dropout.hpp>

#include <stdexcept>

#include <fmt/format.h>

#include <attograd/core/ops/functional.hpp>

namespace attograd::nn {

Dropout::Dropout(const DropoutOptions& options) : options_(options) {
  if (!(options.p >= 0.0f && options.p <= 1.0f))
    throw std::invalid_argument(fmt::format("Dropout: p must be in [0, 1], got {}", options.p));
}

Dropout::Dropout(float p) : Dropout(DropoutOptions{.p = p}) {}

Tensor Dropout::forward(const Tensor& input) const { return dropout(input, options_.p, is_training()); }

std::string Dropout::describe() const { return fmt::format("Dropout(p={})", options_.p); }

}  // namespace attograd::nn
