// The fused-kernel switch, like PyTorch's backend flags.
//
// attograd computes every op and layer from its composite form: the formula written with core
// ops, each recording its own backward. That is the code a reader lands on. A few hot spots
// also have a fused kernel (core/fused/): one op with a hand-written backward that computes the
// same thing faster. The composite code asks this switch once, at its top, whether to hand the
// work to its fused twin. On by default; turn it off to run everything through the readable
// path (to step through it in a debugger, or to check a fused kernel against its twin):
//
//   set_fused_kernels(false);                 // from here on, for the whole process
//   { FusedKernelsGuard composite(false); … }  // for one scope
//   ATTOGRAD_FUSED=0 ./my_program             // before the program starts
#pragma once

namespace attograd {

void set_fused_kernels(bool on);
bool fused_kernels_enabled();

// Sets the switch while it lives and restores the previous setting when it goes.
class FusedKernelsGuard {
 public:
  explicit FusedKernelsGuard(bool on);
  ~FusedKernelsGuard();
  FusedKernelsGuard(const FusedKernelsGuard&) = delete;
  FusedKernelsGuard& operator=(const FusedKernelsGuard&) = delete;

 private:
  bool previous_;
};

}  // namespace attograd
