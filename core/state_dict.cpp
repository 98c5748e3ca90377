// compare_state_dicts and StateDictDiff::describe (see the header).
#include <attograd/core/state_dict.hpp>

#include <map>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

namespace attograd {

std::string StateDictDiff::describe() const {
  std::string s;
  for (const auto& k : missing_keys) s += fmt::format("\n  missing key: {}", k);
  for (const auto& k : unexpected_keys) s += fmt::format("\n  unexpected key: {}", k);
  for (const auto& m : mismatched)
    s += fmt::format("\n  shape mismatch for {}: expected {}, got {}", m.name, shape_str(m.expected), shape_str(m.got));
  return s;
}

StateDictDiff compare_state_dicts(const StateDict& expected, const StateDict& given, const std::string& who) {
  std::map<std::string, const Tensor*> by_name;
  for (const auto& [name, t] : given)
    if (!by_name.emplace(name, &t).second)
      throw std::invalid_argument(fmt::format("{}: key '{}' appears twice", who, name));
  StateDictDiff diff;
  std::set<std::string> known;
  for (const auto& [name, t] : expected) {
    if (!t.defined()) throw std::invalid_argument(fmt::format("{}: tensor '{}' is undefined", who, name));
    known.insert(name);
    const auto it = by_name.find(name);
    if (it == by_name.end())
      diff.missing_keys.push_back(name);
    else if (it->second->shape() != t.shape())
      diff.mismatched.push_back({name, t.shape(), it->second->shape()});
  }
  for (const auto& [name, _] : given)
    if (!known.count(name)) diff.unexpected_keys.push_back(name);
  return diff;
}

}  // namespace attograd
