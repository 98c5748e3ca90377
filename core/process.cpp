// configure_process: the process-wide settings (see the header for what and why).
#include <attograd/core/process.hpp>

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <attograd/core/kernels/blas.hpp>

namespace attograd {

namespace {

std::atomic<bool> malloc_tuned{false};

// Step 1: run again with OPENBLAS_CORETYPE when OpenBLAS chose Prescott on a newer CPU.
void use_cpu_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") != nullptr || std::getenv("ATTOGRAD_KEEP_BLAS") != nullptr) return;
  if (std::strcmp(blas::kernel_name(), "Prescott") != 0) return;  // OpenBLAS knew this CPU
  const char* better = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                         : nullptr;
  if (better == nullptr || argv == nullptr) return;  // an old CPU: Prescott is right
  std::fprintf(stderr,
               "attograd: OpenBLAS did not recognise this CPU and chose its Prescott (SSE3) kernels; running again "
               "with OPENBLAS_CORETYPE=%s (set OPENBLAS_CORETYPE or ATTOGRAD_KEEP_BLAS=1 to choose yourself)\n",
               better);
  std::fflush(stderr);
  setenv("OPENBLAS_CORETYPE", better, 1);
  execv("/proc/self/exe", argv);
  std::fprintf(stderr, "attograd: could not run again (%s); going on with the Prescott kernels\n",
               std::strerror(errno));
}

// Step 2: glibc's thresholds raised (M_MMAP_THRESHOLD: blocks below it come from the heap;
// M_TRIM_THRESHOLD: free memory at the heap's top up to it is kept).
void tune_malloc() {
#if defined(__GLIBC__)
  if (std::getenv("ATTOGRAD_MALLOC_DEFAULTS") != nullptr || malloc_tuned.exchange(true)) return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

}  // namespace

ProcessSettings configure_process(char** argv) {
  use_cpu_kernels(argv);
  tune_malloc();
  blas::max_threads();  // step 3: decided now, OpenBLAS set to one thread
  return process_settings();
}

ProcessSettings process_settings() { return {blas::kernel_name(), malloc_tuned.load(), blas::max_threads()}; }

}  // namespace attograd
