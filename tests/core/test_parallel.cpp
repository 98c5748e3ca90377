// parallel_for: every index visited once in contiguous parts, BLAS single-threaded inside, errors
// rethrown after all parts finish; parallel_parts keeps small jobs on one thread.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <thread>
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

// The pool's caller waits only for workers inside a part: a worker that wakes late must find no
// part left of a job that has returned (whose function is gone), and never run a part twice.
// Thousands of tiny jobs back to back, with a third thread keeping a core busy as another
// program would, so that workers are descheduled at every point of the protocol.
TEST_CASE("parallel_for: thousands of small jobs back to back, each part run once, on a busy machine") {
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  std::size_t wrong = 0;
  for (int job = 0; job < 5000; ++job) {
    const std::size_t parts = 2 + job % 5;
    std::vector<std::atomic<int>> runs(parts);
    parallel_for(parts * 3, parts, [&](std::size_t part, std::size_t, std::size_t) { runs[part].fetch_add(1); });
    for (const auto& r : runs) wrong += r.load() != 1;
  }
  stop = true;
  busy.join();
  CHECK(wrong == 0);
}
