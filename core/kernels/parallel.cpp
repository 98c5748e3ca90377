// parallel_for: a pool of persistent worker threads, one fewer than blas::max_threads(), that
// take a job's parts alongside the calling thread. The same pool runs the slices of a large GEMM
// (blas.cpp), so attograd never has two sets of threads competing for the same cores.
#include <attograd/core/kernels/parallel.hpp>

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/profiler.hpp>

namespace attograd {

std::size_t parallel_parts(std::size_t n, double work) {
  if (n < 2 || work < static_cast<double>(std::size_t{1} << 22)) return 1;
  return std::min(n, blas::max_threads());
}

namespace {

thread_local bool in_parallel_for = false;  // a part that calls parallel_for again runs it serially

// How long a thread spins for the next job before it sleeps. Between the ops of a training
// step the next job comes within microseconds to a millisecond, and a sleeping thread takes
// tens of microseconds to wake (futex, then the scheduler), so a short spin loses every wake-up.
// 1 ms beat 50 µs and 10 ms gained nothing more (docs/performance.md, "One pool of threads").
constexpr auto spin_before_sleep = std::chrono::milliseconds(1);

// Tells the CPU this is a spin-wait loop (it slows the loop down and frees resources for the
// other hyperthread); elsewhere, a plain re-check.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Waits until `value` differs from `old`: spinning first (see above), then sleeping on a futex
// (std::atomic::wait), so an idle pool costs nothing.
template <class T>
T wait_for_change(const std::atomic<T>& value, T old) {
  const auto give_up = std::chrono::steady_clock::now() + spin_before_sleep;
  for (unsigned i = 1;; ++i) {
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    if (i % 64 == 0 && std::chrono::steady_clock::now() > give_up) break;
    cpu_relax();
  }
  for (;;) {
    value.wait(old, std::memory_order_acquire);
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

class Pool {
 public:
  // The workers are never joined: the pool lives until the process ends (see pool()).
  explicit Pool(std::size_t workers) {
    for (std::size_t w = 0; w < workers; ++w) std::thread([this] { work(); }).detach();
    workers_ = workers;
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // part(p) for every p in [0, parts), shared out among the caller and the workers as each
  // becomes free; returns once all are done and every worker is idle again.
  void run(std::size_t parts, const std::function<void(std::size_t)>& part) {
    job_ = &part;
    parts_ = parts;
    next_.store(0, std::memory_order_relaxed);
    idle_wanted_.store(workers_, std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);  // publishes the job to the workers
    generation_.notify_all();
    take_parts();
    for (std::size_t left = idle_wanted_.load(std::memory_order_acquire); left != 0;)
      left = wait_for_change(idle_wanted_, left);
  }
  std::mutex& busy() { return busy_; }

 private:
  void take_parts() {
    for (std::size_t p = next_.fetch_add(1, std::memory_order_relaxed); p < parts_;
         p = next_.fetch_add(1, std::memory_order_relaxed))
      (*job_)(p);
  }

  void work() {
    in_parallel_for = true;
    std::uint64_t seen = 0;
    for (;;) {
      seen = wait_for_change(generation_, seen);
      take_parts();
      // The caller waits for every worker to get here, so none is still inside this job when
      // the next one is published.
      if (idle_wanted_.fetch_sub(1, std::memory_order_acq_rel) == 1) idle_wanted_.notify_one();
    }
  }

  std::size_t workers_ = 0;
  std::atomic<std::uint64_t> generation_{0};  // one more per job
  std::atomic<std::size_t> next_{0};          // the next part nobody has taken yet
  std::atomic<std::size_t> idle_wanted_{0};   // workers not yet done with the current job
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t parts_ = 0;
  std::mutex busy_;  // one job at a time: a second caller meanwhile runs its loop serially
};

bool forked_child = false;  // set in a child of fork(), which has none of the workers

// Made on first use and never destroyed, so no static destructor can run while a worker still
// looks at it (its threads end with the process).
Pool* pool() {
  static Pool* const shared = [] {
    pthread_atfork(nullptr, nullptr, [] { forked_child = true; });
    return blas::max_threads() > 1 ? new Pool(blas::max_threads() - 1) : nullptr;
  }();
  return forked_child ? nullptr : shared;
}

}  // namespace

bool in_parallel_part() { return in_parallel_for; }

void parallel_for(std::size_t n, std::size_t parts,
                  const std::function<void(std::size_t part, std::size_t begin, std::size_t end)>& f) {
  parts = in_parallel_for ? 1 : std::clamp<std::size_t>(parts, 1, std::max<std::size_t>(n, 1));
  Pool* workers = parts > 1 ? pool() : nullptr;
  std::unique_lock<std::mutex> lock;
  if (workers != nullptr) {
    lock = std::unique_lock<std::mutex>(workers->busy(), std::try_to_lock);
    if (!lock.owns_lock()) workers = nullptr;
  }
  if (workers == nullptr) parts = 1;
  if (parts == 1) {
    f(0, 0, n);
    return;
  }
  const auto begin_of = [n, parts](std::size_t part) { return n * part / parts; };
  std::vector<std::exception_ptr> errors(parts);
  std::vector<double> flops(parts, 0.0);  // each worker's GEMM FLOPs, for a ProfileGuard on this thread
  workers->run(parts, [&](std::size_t part) {
    const bool was_in_part = in_parallel_for;
    in_parallel_for = true;
    const profiler::WorkerFlops counted;  // on any thread: added to the caller's op below
    try {
      f(part, begin_of(part), begin_of(part + 1));
    } catch (...) {
      errors[part] = std::current_exception();
    }
    flops[part] = counted.flops();
    in_parallel_for = was_in_part;
  });
  for (const double f_part : flops) profiler::add_flops(f_part);
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace attograd
