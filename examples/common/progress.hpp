// A training progress bar: step, loss, tokens per second and time left, redrawn in place on a
// terminal, or one plain line per tenth of the run when the output is piped to a file.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace examples {

class ProgressBar {
 public:
  ProgressBar(std::size_t total_steps, std::FILE* out = stderr);
  // After step `step` (1-based): the loss of that step and the tokens it trained on.
  void update(std::size_t step, double loss, std::size_t tokens);
  // A resumed run: `step` steps and `seconds` of training were done before this process.
  void resume_at(std::size_t step, double seconds);
  void finish();  // ends the line on a terminal
  double elapsed_seconds() const;

 private:
  std::size_t total_;
  std::FILE* out_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::size_t tokens_ = 0, next_plain_ = 1, first_step_ = 0;
  double earlier_seconds_ = 0.0;
  double smoothed_loss_ = -1.0;
};

}  // namespace examples
