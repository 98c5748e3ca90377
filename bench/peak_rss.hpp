// The process's peak resident memory, as attograd-bench and libtorch-bench report it (and
// compare_torch.py measures PyTorch's): VmHWM from /proc/self/status, which starts afresh at
// exec (getrusage's ru_maxrss does not: it would report a large parent's peak, e.g. a Python
// process with PyTorch loaded that started this one). Falls back to ru_maxrss elsewhere.
#pragma once

#include <sys/resource.h>

#include <cstdio>

inline double peak_rss_mb() {
  if (std::FILE* status = std::fopen("/proc/self/status", "r")) {
    char line[256];
    double kib = -1.0;
    while (std::fgets(line, sizeof line, status) != nullptr)
      if (std::sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
    std::fclose(status);
    if (kib >= 0.0) return kib / 1024.0;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}
