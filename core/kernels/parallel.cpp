// parallel_for: std::thread per extra part, BLAS held to one thread meanwhile.
#include <attograd/core/kernels/parallel.hpp>

#include <algorithm>
#include <exception>
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
}  // namespace

void parallel_for(std::size_t n, std::size_t parts,
                  const std::function<void(std::size_t part, std::size_t begin, std::size_t end)>& f) {
  parts = in_parallel_for ? 1 : std::clamp<std::size_t>(parts, 1, std::max<std::size_t>(n, 1));
  const auto begin_of = [n, parts](std::size_t part) { return n * part / parts; };
  if (parts == 1) {
    f(0, 0, n);
    return;
  }
  const blas::SingleThreaded one_blas_thread;
  std::vector<std::exception_ptr> errors(parts);
  std::vector<double> flops(parts, 0.0);  // each worker's GEMM FLOPs, for a ProfileGuard on this thread
  std::vector<std::thread> threads;
  for (std::size_t part = 1; part < parts; ++part)
    threads.emplace_back([&, part] {
      in_parallel_for = true;
      const profiler::WorkerFlops counted;
      try {
        f(part, begin_of(part), begin_of(part + 1));
      } catch (...) {
        errors[part] = std::current_exception();
      }
      flops[part] = counted.flops();
    });
  in_parallel_for = true;
  try {
    f(0, 0, begin_of(1));
  } catch (...) {
    errors[0] = std::current_exception();
  }
  in_parallel_for = false;
  for (std::thread& t : threads) t.join();
  for (const double f_part : flops) profiler::add_flops(f_part);
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace attograd
