// StateDict: named tensors in order, what modules save and load (and what a training-state
// file holds for its model), and the one check of a state dict's keys and shapes against
// another that every loader uses.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <attograd/core/tensor.hpp>

namespace attograd {

using StateDict = std::vector<std::pair<std::string, Tensor>>;  // in registration (or file) order

struct ShapeMismatch {
  std::string name;
  Shape expected;  // the receiver's
  Shape got;       // the state dict's
};

// How a state dict differs from what it should fill.
struct StateDictDiff {
  std::vector<std::string> missing_keys;     // expected, not given
  std::vector<std::string> unexpected_keys;  // given, not expected
  std::vector<ShapeMismatch> mismatched;     // in both, with different shapes
  bool ok() const { return missing_keys.empty() && unexpected_keys.empty() && mismatched.empty(); }
  // One line per problem: "\n  missing key: …", "\n  unexpected key: …", "\n  shape mismatch for …".
  std::string describe() const;
};

// Keys and shapes of `given` against `expected`. A key given twice throws std::invalid_argument
// "<who>: key '<name>' appears twice"; an undefined tensor in `expected` throws naming it.
StateDictDiff compare_state_dicts(const StateDict& expected, const StateDict& given, const std::string& who);

}  // namespace attograd
