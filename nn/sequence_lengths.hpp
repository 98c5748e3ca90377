// SequenceLengths: how many steps of each padded sequence are real. What GRU/LSTM and the
// key-padding attention mask take, from whatever the user has at hand.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd::nn {

// How many steps of each padded sequence are real, as the lengths given to PyTorch's
// pack_padded_sequence (any order: no sorting needed). Converts from a std::vector, a braced
// list or a 1-D Index; a default-constructed one means "every sequence fills the time dim".
class SequenceLengths {
 public:
  SequenceLengths() = default;
  SequenceLengths(std::vector<std::int64_t> lengths)
      : values_(std::move(lengths)), shape_{values_.size()}, given_(true) {}
  SequenceLengths(std::initializer_list<std::int64_t> lengths)
      : values_(lengths), shape_{values_.size()}, given_(true) {}
  SequenceLengths(const Index& lengths);

  bool given() const { return given_; }
  const std::vector<std::int64_t>& values() const { return values_; }
  const Shape& shape() const { return shape_; }  // of the Index it came from ((n,) otherwise)

 private:
  std::vector<std::int64_t> values_;
  Shape shape_;
  bool given_ = false;
};

}  // namespace attograd::nn
