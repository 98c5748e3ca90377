// Splitting a loop over the threads BLAS would use, for kernels whose work is many independent
// pieces (the samples of a convolution). Each thread takes one contiguous range and runs its
// BLAS calls single-threaded: coarse pieces need one wake-up per thread instead of one per BLAS
// call, and the plain loops between the calls (im2col, col2im) run in parallel too.
#pragma once

#include <cstddef>
#include <functional>

namespace attograd {

// How many parts parallel_for would split `n` pieces into when the whole job is `work`
// multiply-adds: 1 below about 2^22 (a thread costs tens of microseconds to start), else
// min(n, the BLAS thread count) (OPENBLAS_NUM_THREADS sets it).
std::size_t parallel_parts(std::size_t n, double work);

// f(part, begin, end) over [0, n) cut into `parts` contiguous ranges of nearly equal size, part 0
// on the calling thread. The cut depends only on n and parts, so results are the same run to
// run. BLAS runs single-threaded until all parts are done; an exception thrown by a part is
// rethrown here once every part has finished. Called again from inside a part, it runs serially.
void parallel_for(std::size_t n, std::size_t parts,
                  const std::function<void(std::size_t part, std::size_t begin, std::size_t end)>& f);

}  // namespace attograd
