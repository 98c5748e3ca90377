// Everything in attograd's core: the Tensor, the engine and every op.
#pragma once

#include <attograd/core/autograd.hpp>
#include <attograd/core/creation.hpp>
#include <attograd/core/elementwise.hpp>
#include <attograd/core/fast_math.hpp>
#include <attograd/core/functional.hpp>
#include <attograd/core/indexing.hpp>
#include <attograd/core/kernels.hpp>
#include <attograd/core/linalg.hpp>
#include <attograd/core/random.hpp>
#include <attograd/core/reduction.hpp>
#include <attograd/core/safetensors.hpp>
#include <attograd/core/shape_ops.hpp>
#include <attograd/core/tensor.hpp>
