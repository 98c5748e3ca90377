// The allocator settings attograd runs with: glibc malloc tuned so a training step reuses its
// large activation blocks instead of returning them to the kernel every step.
#pragma once

namespace attograd {

// Called once, when core/tensor.cpp is initialised. Does nothing off glibc, or when the
// environment variable ATTOGRAD_MALLOC_DEFAULTS is set (glibc's defaults are kept).
void configure_allocator();

}  // namespace attograd
