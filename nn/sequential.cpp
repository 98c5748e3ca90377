// Sequential: registration by position and the forward loop.
#include <attograd/nn/sequential.hpp>

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace attograd::nn {

Sequential::Sequential(std::initializer_list<std::shared_ptr<UnaryModule>> modules) {
  for (const auto& m : modules) push_back(m);
}

void Sequential::push_back(std::shared_ptr<UnaryModule> module) {
  if (!module) throw std::invalid_argument(fmt::format("Sequential: module {} is null", modules_.size()));
  modules_.push_back(register_module(std::to_string(modules_.size()), std::move(module)));
}

Tensor Sequential::forward(const Tensor& input) const {
  Tensor x = input;
  for (const auto& m : modules_) x = m->forward(x);
  return x;
}

std::string Sequential::describe() const { return fmt::format("Sequential({} modules)", modules_.size()); }

const std::shared_ptr<UnaryModule>& Sequential::operator[](std::size_t i) const {
  if (i >= modules_.size())
    throw std::out_of_range(fmt::format("Sequential: index {} is out of range for {} modules", i, modules_.size()));
  return modules_[i];
}

}  // namespace attograd::nn
