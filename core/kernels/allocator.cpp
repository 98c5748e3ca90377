// configure_allocator: glibc malloc's thresholds raised for training loops.
#include <attograd/core/kernels/allocator.hpp>

#include <cstdlib>  // first: it defines __GLIBC__ on glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace attograd {

// glibc hands every large block (128 KiB and up, at first) straight back to the kernel when it
// is freed, and the next allocation of that size takes fresh pages the kernel must zero. A
// training step frees and reallocates the same few-MB activations every step, so that churn
// cost about half of the MultiheadAttention benchmark's time (69 ms -> 28 ms a step without it).
// Keeping such blocks in the heap costs no extra peak memory; memory freed after the peak is
// kept for reuse instead of returned. Set ATTOGRAD_MALLOC_DEFAULTS=1 to keep glibc's defaults.
void configure_allocator() {
#if defined(__GLIBC__)
  if (std::getenv("ATTOGRAD_MALLOC_DEFAULTS") != nullptr) return;
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
#endif
}

}  // namespace attograd
