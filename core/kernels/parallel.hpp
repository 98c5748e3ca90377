// Splitting a loop over attograd's threads, for kernels whose work is many independent pieces
// (the samples of a convolution, the heads of attention, the rows of a large GEMM). The threads
// are a pool that lives as long as the program; each part runs its BLAS calls single-threaded:
// coarse pieces need one wake-up per thread instead of one per BLAS call, and the plain loops
// between the calls (im2col, col2im, softmax) run in parallel too. OpenBLAS's own threads are
// never used (blas.cpp): two pools on two cores would take turns spinning on them.
#pragma once

#include <cstddef>
#include <functional>

namespace attograd {

// How many parts parallel_for would split `n` pieces into when the whole job is `work`
// multiply-adds: 1 below about 2^22 (handing a part to a pool thread and waiting for it costs
// microseconds, more when the thread has gone to sleep), else
// min(n, blas::max_threads()) (OPENBLAS_NUM_THREADS sets it).
std::size_t parallel_parts(std::size_t n, double work);

// f(part, begin, end) over [0, n) cut into `parts` contiguous ranges of nearly equal size, run
// by the calling thread and the pool's workers, whichever is free. The cut depends only on n and
// parts, so results are the same run to run. BLAS runs single-threaded inside a part; an
// exception thrown by a part is rethrown here once every part has finished. Called again from
// inside a part, or from a second thread while the pool is busy, it runs serially.
void parallel_for(std::size_t n, std::size_t parts,
                  const std::function<void(std::size_t part, std::size_t begin, std::size_t end)>& f);

// True on a pool worker and inside a part: where parallel_for (and so a split GEMM) runs serially.
bool in_parallel_part();

}  // namespace attograd
