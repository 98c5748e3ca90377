// nn::Sequential: a chain of UnaryModules applied in order, its children named "0", "1", ...
// as in PyTorch, so state dicts read "0.weight", "2.bias".
#pragma once

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <attograd/nn/unary_module.hpp>

namespace attograd::nn {

class Sequential : public UnaryModule {
 public:
  Sequential() = default;
  Sequential(std::initializer_list<std::shared_ptr<UnaryModule>> modules);

  // Appends a module as the next child, named by its position.
  void push_back(std::shared_ptr<UnaryModule> module);

  Tensor forward(const Tensor& input) const override;  // modules_[n-1](... modules_[0](input))
  std::string describe() const override;

  std::size_t size() const { return modules_.size(); }
  const std::shared_ptr<UnaryModule>& operator[](std::size_t i) const;

 private:
  std::vector<std::shared_ptr<UnaryModule>> modules_;
};

}  // namespace attograd::nn
