// Everything in attograd's core: the Tensor, the engine, every op, the fused kernels and their
// switch, the generator, gradcheck, safetensors I/O, and the process-wide settings
// (configure_process, core/process.hpp).
#pragma once

#include <attograd/core/autograd.hpp>
#include <attograd/core/fused/fused.hpp>
#include <attograd/core/gradcheck.hpp>
#include <attograd/core/kernels/blas.hpp>
#include <attograd/core/kernels/fast_math.hpp>
#include <attograd/core/kernels/loops.hpp>
#include <attograd/core/ops/conv.hpp>
#include <attograd/core/ops/creation.hpp>
#include <attograd/core/ops/elementwise.hpp>
#include <attograd/core/ops/functional.hpp>
#include <attograd/core/ops/indexing.hpp>
#include <attograd/core/ops/linalg.hpp>
#include <attograd/core/ops/reduction.hpp>
#include <attograd/core/ops/shape_ops.hpp>
#include <attograd/core/process.hpp>
#include <attograd/core/profiler.hpp>
#include <attograd/core/random.hpp>
#include <attograd/core/safetensors.hpp>
#include <attograd/core/state_dict.hpp>
#include <attograd/core/tensor.hpp>
