// The one Catch2 main shared by every test program (compiled once). It first configures the
// process (OpenBLAS's kernels, malloc, threads: core/process.hpp), as the programs do.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <attograd/core/process.hpp>

int main(int argc, char** argv) {
  attograd::configure_process(argv);
  return Catch::Session().run(argc, argv);
}
