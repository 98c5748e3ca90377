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
#include <functional>
#include <memory>
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
// For the first 50 µs the spin only pauses (a quiet machine's next job comes sooner); after that
// it yields the core on every round (a busy machine's other programs get it, not a spin).
constexpr auto spin_before_yield = std::chrono::microseconds(50);

// Tells the CPU this is a spin-wait loop (it slows the loop down and frees resources for the
// other hyperthread); elsewhere, a plain re-check.
inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Waits until `value` differs from `old`: spinning first (see above), then sleeping on a futex
// (std::atomic::wait), so an idle pool costs nothing. After the first few rounds the spin yields
// the core: on a quiet machine sched_yield returns at once, but on a busy one (a learner's browser,
// another build) a spinning thread would otherwise keep the core from the thread it waits for.
template <class T>
T wait_for_change(const std::atomic<T>& value, T old) {
  const auto start = std::chrono::steady_clock::now();
  bool yielding = false;
  for (unsigned i = 1;; ++i) {
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
    if (i % 64 == 0) {
      const auto waited = std::chrono::steady_clock::now() - start;
      if (waited > spin_before_sleep) break;
      yielding = waited > spin_before_yield;
    }
    if (yielding)
      std::this_thread::yield();
    else
      cpu_relax();
  }
  for (;;) {
    value.wait(old, std::memory_order_acquire);
    const T now = value.load(std::memory_order_acquire);
    if (now != old) return now;
  }
}

// One job: its parts, the next part nobody has taken yet, and how many workers are inside it.
struct Job {
  const std::function<void(std::size_t)>* part = nullptr;
  std::size_t parts = 0;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> inside{0};
};

// part(p) for every part p not yet taken, by whichever thread gets to it first. next and inside
// are sequentially consistent (the default): a thread counts itself inside before it takes a
// part, so once the caller has seen next pass the end and then inside at 0, no thread can still
// take a part of this job and call part, whose function lives on the caller's stack.
void take_parts(Job& job) {
  for (std::size_t p = job.next.fetch_add(1); p < job.parts; p = job.next.fetch_add(1)) (*job.part)(p);
}

class Pool {
 public:
  // The workers are never joined: the pool lives until the process ends (see pool()).
  explicit Pool(std::size_t workers) {
    for (std::size_t w = 0; w < workers; ++w) std::thread([this] { work(); }).detach();
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // part(p) for every p in [0, parts), shared out among the caller and the workers as each
  // becomes free; returns once all are done. The caller waits only for workers inside a part: a
  // worker the OS has not run yet (the machine is busy) finds the caller has taken every part
  // itself, and the caller never waits for it (waiting for every worker to check in made a
  // training step 3 to 8 times slower with one other busy program on two cores).
  void run(std::size_t parts, const std::function<void(std::size_t)>& part) {
    auto job = std::make_shared<Job>();
    job->part = &part, job->parts = parts;
    {
      const std::lock_guard<std::mutex> published(job_mutex_);
      job_ = job;
    }
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    take_parts(*job);
    for (std::size_t inside = job->inside.load(); inside != 0;) inside = wait_for_change(job->inside, inside);
  }
  std::mutex& busy() { return busy_; }

 private:
  void work() {
    in_parallel_for = true;
    std::uint64_t seen = 0;
    for (;;) {
      seen = wait_for_change(generation_, seen);
      std::shared_ptr<Job> job;  // kept alive here even after the caller has returned
      {
        const std::lock_guard<std::mutex> published(job_mutex_);
        job = job_;
      }
      job->inside.fetch_add(1);
      take_parts(*job);
      if (job->inside.fetch_sub(1) == 1) job->inside.notify_one();
    }
  }

  std::atomic<std::uint64_t> generation_{0};  // one more per job
  std::mutex job_mutex_;                      // guards job_
  std::shared_ptr<Job> job_;                  // the latest job
  std::mutex busy_;                           // one job at a time: a second caller meanwhile runs its loop serially
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
  const auto run_part = [&](std::size_t part) {
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
  };
#if defined(ATTOGRAD_OPENMP)
  // The alternative measured against the pool (CMake -DATTOGRAD_OPENMP=ON, docs/performance.md):
  // the parts run by an OpenMP team; the pool's workers then stay asleep.
#pragma omp parallel for num_threads(static_cast <int>(parts)) schedule(static, 1)
  for (std::size_t part = 0; part < parts; ++part) run_part(part);
#else
  workers->run(parts, run_part);
#endif
  for (const double f_part : flops) profiler::add_flops(f_part);
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace attograd
