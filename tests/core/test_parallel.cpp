// parallel_for: every index visited once in contiguous parts, BLAS single-threaded inside, errors
// rethrown after all parts finish; parallel_parts keeps small jobs on one thread.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/parallel.hpp>

using namespace attograd;

TEST_CASE("parallel_for cuts 0 … n-1 into contiguous parts, each visited once") {
  for (std::size_t parts : {1, 2, 3, 7}) {
    INFO(parts << " parts");
    std::vector<int> visits(10, 0);
    std::vector<std::pair<std::size_t, std::size_t>> ranges(parts);
    std::vector<std::size_t> blas_threads(parts);
    parallel_for(10, parts, [&](std::size_t part, std::size_t begin, std::size_t end) {
      ranges[part] = {begin, end};
      blas_threads[part] = blas::threads_here();
      for (std::size_t i = begin; i < end; ++i) ++visits[i];
    });
    CHECK(visits == std::vector<int>(10, 1));
    CHECK(ranges.front().first == 0);
    CHECK(ranges.back().second == 10);
    for (std::size_t p = 1; p < parts; ++p) CHECK(ranges[p].first == ranges[p - 1].second);
    if (parts > 1) CHECK(blas_threads == std::vector<std::size_t>(parts, 1));
  }
  std::size_t calls = 0;
  parallel_for(0, 4, [&](std::size_t, std::size_t begin, std::size_t end) { calls += end - begin + 1; });
  CHECK(calls == 1);                                                                         // one empty part
  parallel_for(2, 5, [&](std::size_t part, std::size_t, std::size_t) { CHECK(part < 2); });  // at most n parts
}

TEST_CASE("parallel_for rethrows a part's exception once every part has finished") {
  std::atomic<int> finished{0};
  REQUIRE_THROWS_WITH(parallel_for(4, 4,
                                   [&](std::size_t part, std::size_t, std::size_t) {
                                     if (part == 2) throw std::runtime_error("part 2 failed");
                                     ++finished;
                                   }),
                      "part 2 failed");
  CHECK(finished == 3);
}

TEST_CASE("parallel_parts: one part for small jobs, at most n and the BLAS threads for large ones") {
  CHECK(parallel_parts(32, 1e5) == 1);
  CHECK(parallel_parts(1, 1e9) == 1);
  CHECK(parallel_parts(32, 1e9) == std::min<std::size_t>(32, blas::max_threads()));
  CHECK(parallel_parts(2, 1e9) <= 2);
}

TEST_CASE("parallel_for still works in a child of fork(), which has none of the pool's threads") {
  std::vector<int> before(64, 0);
  parallel_for(64, 2, [&](std::size_t, std::size_t begin, std::size_t end) {
    for (std::size_t i = begin; i < end; ++i) ++before[i];
  });  // the pool exists now (on a machine with two threads or more)
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // runs serially here instead of waiting for workers that are not there
    std::vector<int> visits(64, 0);
    parallel_for(64, 2, [&](std::size_t, std::size_t begin, std::size_t end) {
      for (std::size_t i = begin; i < end; ++i) ++visits[i];
    });
    _exit(visits == std::vector<int>(64, 1) ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
