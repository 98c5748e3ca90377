// The settings attograd changes for the whole process, all in this one place. A program calls
//
//   attograd::configure_process(argv);  // first thing in main()
//
// as attograd's examples, attograd-bench and the test runner do. In this order, it
//   1. lets OpenBLAS use this CPU's fastest kernels. Debian 12's OpenBLAS (0.3.21) picks them
//      once, when it loads, from the CPU's model number, and on CPUs newer than it (the VMs this
//      was measured on report "Intel Xeon Processor", family 6 model 207) falls back to
//      "Prescott", its SSE3 kernels: a 512³ sgemm ran at 17 GFLOP/s there against about 100.
//      If OpenBLAS fell back so on a CPU with AVX-512 (or AVX2), the program is run again, once
//      (exec, same arguments), with OPENBLAS_CORETYPE=SkylakeX (or Haswell), saying so on
//      stderr. Off when OPENBLAS_CORETYPE is set (your choice wins) or ATTOGRAD_KEEP_BLAS=1.
//   2. tunes glibc's malloc for training loops: blocks up to 256 MiB stay in the heap when freed
//      instead of going back to the kernel, whose fresh pages must then be zeroed again at the
//      next step (that churn was half of attograd-bench mha's time: 69 ms -> 28 ms a step).
//      No extra peak memory; memory freed after the peak is kept for reuse. Off with
//      ATTOGRAD_MALLOC_DEFAULTS=1, and off glibc.
//   3. fixes the threads attograd runs on (blas::max_threads): OPENBLAS_NUM_THREADS, else the
//      cores, as one pool (core/kernels/parallel.hpp); OpenBLAS's own threads are set to one, so
//      the two never take turns on the same cores.
// Without the call attograd is still correct and still threaded (step 3 happens anyway at the
// first matrix product, as it must), but may run OpenBLAS's slowest kernels and pay malloc's
// churn. Calling it twice does nothing more.
#pragma once

#include <cstddef>
#include <string>

namespace attograd {

struct ProcessSettings {
  std::string blas_kernels;  // the kernel family OpenBLAS runs ("SkylakeX", "Haswell", …)
  bool malloc_tuned = false;
  std::size_t threads = 0;
};

ProcessSettings configure_process(char** argv);

// What this process runs with now (configured or not).
ProcessSettings process_settings();

}  // namespace attograd
