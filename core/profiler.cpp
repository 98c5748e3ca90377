// ProfileGuard and the hooks it listens to.
#include <attograd/core/profiler.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace attograd {

struct ProfileGuard::State {
  std::map<std::pair<std::string, std::string>, ProfileEntry> entries;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ProfileEntry* running = nullptr;  // the OpTimer's entry, while one runs
  State* previous = nullptr;        // the guard that was active when this one began
};

namespace {
thread_local ProfileGuard::State* active = nullptr;
}

ProfileGuard::ProfileGuard() : state_(new State) {
  state_->previous = active;
  active = state_;
}

// Unlinks this guard's state from the chain active -> previous -> …, wherever it is in it.
ProfileGuard::~ProfileGuard() {
  for (State** link = &active; *link != nullptr; link = &(*link)->previous)
    if (*link == state_) {
      *link = state_->previous;
      break;
    }
  delete state_;
}

void ProfileGuard::reset() {
  state_->entries.clear();
  state_->running = nullptr;
  state_->start = std::chrono::steady_clock::now();
}

ProfileReport ProfileGuard::report() const {
  ProfileReport r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - state_->start).count();
  for (const auto& [key, entry] : state_->entries) r.entries.push_back(entry);
  std::stable_sort(r.entries.begin(), r.entries.end(),
                   [](const ProfileEntry& a, const ProfileEntry& b) { return a.seconds > b.seconds; });
  return r;
}

const ProfileEntry* ProfileReport::find(const std::string& phase, const std::string& name) const {
  for (const ProfileEntry& e : entries)
    if (e.phase == phase && e.name == name) return &e;
  return nullptr;
}

double ProfileReport::total_seconds(const std::string& phase) const {
  double total = 0.0;
  for (const ProfileEntry& e : entries)
    if (e.phase == phase) total += e.seconds;
  return total;
}

double ProfileReport::total_flops() const {
  double total = 0.0;
  for (const ProfileEntry& e : entries) total += e.flops;
  return total;
}

std::string ProfileReport::table(std::size_t max_rows) const {
  const double wall = seconds > 0.0 ? seconds : 1e-12;
  std::string out =
      fmt::format("{:<10} {:<28} {:>8} {:>10} {:>7} {:>9}\n", "phase", "op", "calls", "ms", "%", "GFLOP/s");
  for (std::size_t i = 0; i < entries.size() && i < max_rows; ++i) {
    const ProfileEntry& e = entries[i];
    out += fmt::format("{:<10} {:<28} {:>8} {:>10.2f} {:>6.1f}% {:>9}\n", e.phase, e.name, e.calls, e.seconds * 1e3,
                       100.0 * e.seconds / wall,
                       e.flops > 0.0 && e.seconds > 0.0 ? fmt::format("{:.1f}", e.flops / e.seconds / 1e9) : "");
  }
  if (entries.size() > max_rows) out += fmt::format("({} more rows)\n", entries.size() - max_rows);
  const double forward = total_seconds("forward"), backward = total_seconds("backward"),
               optimizer = total_seconds("optimizer");
  const double other = std::max(0.0, seconds - forward - backward - optimizer);
  out += fmt::format(
      "wall {:.2f} ms: forward {:.1f}%, backward {:.1f}%, optimizer {:.1f}%, outside ops {:.1f}%; GEMM {:.3f} GFLOP "
      "at {:.1f} GFLOP/s over the wall time\n",
      seconds * 1e3, 100.0 * forward / wall, 100.0 * backward / wall, 100.0 * optimizer / wall, 100.0 * other / wall,
      total_flops() / 1e9, total_flops() / wall / 1e9);
  return out;
}

namespace profiler {

bool enabled() { return active != nullptr; }

OpTimer::OpTimer(const char* phase, const char* name) {
  if (active == nullptr || active->running != nullptr) return;  // off, or inside another timed call
  entry_ = &active->entries[{phase, name}];
  if (entry_->calls == 0) entry_->phase = phase, entry_->name = name;
  active->running = entry_;
  start_ = std::chrono::steady_clock::now();
}

OpTimer::~OpTimer() {
  if (entry_ == nullptr) return;
  entry_->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  ++entry_->calls;
  if (active != nullptr) active->running = nullptr;
}

thread_local double* worker_flops = nullptr;  // a WorkerFlops' count, while one lives

void add_flops(double flops) {
  if (worker_flops != nullptr) {
    *worker_flops += flops;
  } else if (active != nullptr && active->running != nullptr) {
    active->running->flops += flops;
  }
}

WorkerFlops::WorkerFlops() : previous_(worker_flops) { worker_flops = &flops_; }
WorkerFlops::~WorkerFlops() { worker_flops = previous_; }

}  // namespace profiler
}  // namespace attograd
