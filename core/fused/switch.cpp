// The fused-kernel switch: one process-wide flag, read from ATTOGRAD_FUSED at start-up.
#include <attograd/core/fused/switch.hpp>

#include <atomic>
#include <cstdlib>
#include <cstring>

namespace attograd {

namespace {
// ATTOGRAD_FUSED=0 (or "off", "false") starts the process with fused kernels off.
bool initial_setting() {
  const char* env = std::getenv("ATTOGRAD_FUSED");
  if (env == nullptr) return true;
  return !(std::strcmp(env, "0") == 0 || std::strcmp(env, "off") == 0 || std::strcmp(env, "false") == 0);
}

std::atomic<bool>& flag() {
  static std::atomic<bool> on{initial_setting()};
  return on;
}
}  // namespace

void set_fused_kernels(bool on) { flag().store(on, std::memory_order_relaxed); }
bool fused_kernels_enabled() { return flag().load(std::memory_order_relaxed); }

FusedKernelsGuard::FusedKernelsGuard(bool on) : previous_(fused_kernels_enabled()) { set_fused_kernels(on); }
FusedKernelsGuard::~FusedKernelsGuard() { set_fused_kernels(previous_); }

}  // namespace attograd
