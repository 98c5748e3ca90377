// configure_process: what the process runs with after it, and that calling it again changes
// nothing. (The test runner's main has already called it: tests/support/catch_main.cpp.)
#include <cstdlib>
#include <cstring>

#include <catch2/catch.hpp>

#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/process.hpp>

using namespace attograd;

TEST_CASE("configure_process says what the process runs with, and a second call changes nothing") {
  const ProcessSettings first = process_settings();
  CHECK(first.threads == blas::max_threads());
  CHECK(first.threads >= 1);
  CHECK(first.blas_kernels == blas::kernel_name());
  // OPENBLAS_CORETYPE set by the first call's re-run (or by you) is the kernel family in use.
  if (const char* chosen = std::getenv("OPENBLAS_CORETYPE")) CHECK(first.blas_kernels == chosen);
  // malloc is tuned unless the environment asked for glibc's defaults.
  CHECK(first.malloc_tuned == (std::getenv("ATTOGRAD_MALLOC_DEFAULTS") == nullptr));
  char name[] = "test_core";
  char* argv[] = {name, nullptr};
  const ProcessSettings again = configure_process(argv);
  CHECK(again.threads == first.threads);
  CHECK(again.blas_kernels == first.blas_kernels);
  CHECK(again.malloc_tuned == first.malloc_tuned);
}
