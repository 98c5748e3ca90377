// The one Catch2 main shared by every test program (compiled once). It first lets OpenBLAS use
// this CPU's fastest kernels (core/kernels/blas.hpp), as the programs do.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <attograd/core/kernels/blas.hpp>

int main(int argc, char** argv) {
  attograd::blas::use_cpu_kernels(argv);
  return Catch::Session().run(argc, argv);
}
