// The options shared by the Transformer's layers, with torch.nn.Transformer*Layer's defaults
// except batch_first (true here). Written with designated initialisers:
//   TransformerLayerOptions{.d_model = 64, .nhead = 4, .dim_feedforward = 128, .dropout = 0.0f}
#pragma once

#include <cstddef>

namespace attograd::nn {

enum class TransformerActivation { ReLU, GELU };

struct TransformerLayerOptions {
  std::size_t d_model = 512;
  std::size_t nhead = 8;
  std::size_t dim_feedforward = 2048;
  float dropout = 0.1f;
  TransformerActivation activation = TransformerActivation::ReLU;
  float layer_norm_eps = 1e-5f;
  bool batch_first = true;  // (B, T, E); false: (T, B, E)
  bool norm_first = false;  // false: x = norm(x + block(x)) (post-norm, the 2017 paper);
                            // true:  x = x + block(norm(x))  (pre-norm)
};

}  // namespace attograd::nn
