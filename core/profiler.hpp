// A profiler a learner can read: where a training step's time goes, per op.
//
//   {
//     ProfileGuard profile;             // records on this thread while it lives
//     ... forward, loss.backward(), optimizer.step() ...
//     fmt::print("{}", profile.report().table());
//   }
//
// While a guard lives it times
//   forward    every public op you call (the outermost one: a composite op's parts, such as the
//              exp and sum inside softmax, count in softmax's own time), named after the op;
//   backward   every recorded node's backward, named after the node's op (so the parts of a
//              composite op appear here one by one);
//   optimizer  every optimizer step;
// and adds each GEMM's 2·m·n·k FLOPs (counted at the one BLAS door, blas::sgemm) to the op that
// ran it, including the GEMMs parallel_for runs on its worker threads (core/kernels/parallel.hpp:
// each worker counts into a WorkerFlops, credited to the calling thread's op after the join).
// Elementwise work is timed but its FLOPs are not counted. With no guard alive the hooks cost
// one thread-local test each.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace attograd {

struct ProfileEntry {
  std::string phase;  // "forward", "backward" or "optimizer"
  std::string name;   // the op ("matmul", "softmax"), or the optimizer ("Adam.step")
  std::size_t calls = 0;
  double seconds = 0.0;
  double flops = 0.0;  // GEMM FLOPs only
};

struct ProfileReport {
  std::vector<ProfileEntry> entries;  // largest time first
  double seconds = 0.0;               // how long the guard has lived (the wall time profiled)

  // The entry of that phase and name, or nullptr.
  const ProfileEntry* find(const std::string& phase, const std::string& name) const;
  double total_seconds(const std::string& phase) const;
  double total_flops() const;
  // phase, op, calls, ms, % of the wall time, GFLOP/s; then the totals per phase.
  std::string table(std::size_t max_rows = 25) const;
};

class ProfileGuard {
 public:
  ProfileGuard();  // a guard inside another records into its own report only, until it ends
  // Guards may end in any order (held in unique_ptrs, say): one that ends while a later guard
  // lives is taken out of the chain, so the later one records on and, when it ends, hands back
  // to the guard before both, never to one that has gone.
  ~ProfileGuard();
  ProfileGuard(const ProfileGuard&) = delete;
  ProfileGuard& operator=(const ProfileGuard&) = delete;

  ProfileReport report() const;
  void reset();  // forget everything so far (e.g. after warm-up steps)

  struct State;

 private:
  State* state_;
};

namespace profiler {

bool enabled();  // a ProfileGuard lives on this thread

// The hooks the engine, the BLAS door and the optimizers call. An OpTimer times its scope under
// (phase, name) when a guard lives and no other OpTimer is running (the outermost call counts).
class OpTimer {
 public:
  OpTimer(const char* phase, const char* name);
  ~OpTimer();
  OpTimer(const OpTimer&) = delete;
  OpTimer& operator=(const OpTimer&) = delete;

 private:
  ProfileEntry* entry_ = nullptr;
  std::chrono::steady_clock::time_point start_;
};

void add_flops(double flops);  // to the OpTimer running now, if any

// While one lives, add_flops on this thread counts into it instead: a parallel_for worker
// has no guard of its own, so it counts here and the caller adds flops() to its op afterwards.
class WorkerFlops {
 public:
  WorkerFlops();
  ~WorkerFlops();
  WorkerFlops(const WorkerFlops&) = delete;
  WorkerFlops& operator=(const WorkerFlops&) = delete;
  double flops() const { return flops_; }

 private:
  double flops_ = 0.0;
  double* previous_;
};

}  // namespace profiler
}  // namespace attograd
