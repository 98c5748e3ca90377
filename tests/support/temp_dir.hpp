// Helpers for tests that write files: a temporary directory that cleans up after itself, and a
// bitwise comparison of arrays (for round trips through files).
#pragma once

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <system_error>

#include <fmt/format.h>

#include <attograd/core/tensor.hpp>

namespace attograd::testing {

// A fresh directory under the system's temporary one, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& label) {
    static std::atomic<int> count{0};
    path = std::filesystem::temp_directory_path() / fmt::format("attograd_test_{}_{}_{}", label, ::getpid(), count++);
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// Same shape and the same bytes: NaN payloads and the sign of zero included.
inline bool same_bits(const Array& a, const Array& b) {
  return a.shape() == b.shape() && (a.size() == 0 || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace attograd::testing
