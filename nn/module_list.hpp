// nn::ModuleList<M>: an indexable list of child modules named "0", "1", ... as PyTorch's
// nn.ModuleList names them, so a stack of layers has state-dict keys like "layers.0.linear1.weight".
// Unlike Sequential it calls nothing itself: the owner loops over the layers with its own
// arguments (masks, memory, caches).
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <attograd/nn/module.hpp>

namespace attograd::nn {

template <class M>
class ModuleList : public Module {
 public:
  void push_back(std::shared_ptr<M> module) {
    register_module(std::to_string(items_.size()), module);
    items_.push_back(std::move(module));
  }

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  M& operator[](std::size_t i) const {
    if (i >= items_.size())
      throw std::out_of_range("ModuleList: index " + std::to_string(i) + " is out of range for " +
                              std::to_string(items_.size()) + " modules");
    return *items_[i];
  }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }

  std::string describe() const override { return "ModuleList(size=" + std::to_string(items_.size()) + ")"; }

 private:
  std::vector<std::shared_ptr<M>> items_;
};

}  // namespace attograd::nn
