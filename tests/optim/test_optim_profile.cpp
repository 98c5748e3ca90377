// A ProfileGuard times every optimizer's step under its own name (core/profiler.hpp).
#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/optim/optim.hpp>

using namespace attograd;

TEST_CASE("the profiler times each optimizer's step") {
  Tensor w = randn({3}, true);
  sum(w * w).backward();
  ProfileGuard profile;
  optim::Adam({w}, {}).step();
  optim::AdamW({w}, {}).step();
  optim::SGD({w}, {.lr = 0.1}).step();
  optim::RMSprop({w}, {}).step();
  optim::Adagrad({w}, {}).step();
  const ProfileReport r = profile.report();
  for (const char* name : {"Adam.step", "AdamW.step", "SGD.step", "RMSprop.step", "Adagrad.step"}) {
    INFO(name);
    REQUIRE(r.find("optimizer", name) != nullptr);
    CHECK(r.find("optimizer", name)->calls == 1);
  }
  CHECK(r.total_seconds("optimizer") <= r.seconds);
}
