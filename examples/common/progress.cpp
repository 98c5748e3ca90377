// ProgressBar: redraws with \r on a TTY, prints plain lines otherwise.
#include "progress.hpp"

#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <unistd.h>

namespace examples {

ProgressBar::ProgressBar(std::size_t total_steps, std::FILE* out)
    : total_(std::max<std::size_t>(total_steps, 1)),
      out_(out),
      tty_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::update(std::size_t step, double loss, std::size_t tokens) {
  tokens_ += tokens;
  smoothed_loss_ = smoothed_loss_ < 0 ? loss : 0.9 * smoothed_loss_ + 0.1 * loss;
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = elapsed_seconds(), shown = earlier_seconds_ + elapsed;
  const std::size_t done = step - std::min(step, first_step_);  // by this process
  const double eta =
      done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(total_ - std::min(step, total_)) : 0.0;
  const double rate = elapsed > 0 ? static_cast<double>(tokens_) / elapsed : 0.0;
  const std::string stats = fmt::format("step {}/{}  loss {:.4f}  {:.0f} tok/s  {:.0f}s elapsed  ETA {:.0f}s", step,
                                        total_, smoothed_loss_, rate, shown, eta);
  if (tty_) {
    if (step < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    constexpr std::size_t width = 24;
    const std::size_t filled = width * std::min(step, total_) / total_;
    fmt::print(out_, "\r[{}{}] {}\x1b[K", std::string(filled, '#'), std::string(width - filled, '.'), stats);
    std::fflush(out_);
  } else if (step * 10 >= next_plain_ * total_ || step == total_) {
    while (next_plain_ * total_ <= step * 10) ++next_plain_;
    fmt::print(out_, "{}\n", stats);
    std::fflush(out_);
  }
}

void ProgressBar::resume_at(std::size_t step, double seconds) {
  first_step_ = step, earlier_seconds_ = seconds;
  while (next_plain_ * total_ <= step * 10) ++next_plain_;
}

void ProgressBar::finish() {
  if (tty_) fmt::print(out_, "\n");
}

}  // namespace examples
