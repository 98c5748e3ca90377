// reset_parameters() for every layer in nn/ that has parameters, one builder per layer in a
// table: with seeds 1 and 7, construction and manual_seed + reset_parameters() give bitwise the
// same parameters, in place, and another seed gives others (reset_parameters_check.hpp). The
// containers reset their children. LocationAttention (examples/extending) is checked the same
// way in tests/examples/test_extending.cpp.
#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "reset_parameters_check.hpp"

using namespace attograd;
using attograd::testing::check_reset_parameters;
using attograd::testing::ModuleBuilder;

namespace {

struct Entry {
  std::string name;
  ModuleBuilder build;
  bool random = true;  // false: the layer draws nothing
};

const nn::TransformerLayerOptions small_layer{.d_model = 4, .nhead = 2, .dim_feedforward = 6, .dropout = 0.0f};

template <class M, class... Args>
ModuleBuilder builder(Args... args) {
  return [=] { return std::static_pointer_cast<nn::Module>(std::make_shared<M>(args...)); };
}

std::vector<Entry> layers() {
  return {
      {"Linear", builder<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3})},
      {"Linear without bias",
       builder<nn::Linear>(nn::LinearOptions{.in_features = 4, .out_features = 3, .bias = false})},
      {"Embedding", builder<nn::Embedding>(nn::EmbeddingOptions{.num_embeddings = 6, .embedding_dim = 3})},
      {"Embedding with padding_idx",
       builder<nn::Embedding>(nn::EmbeddingOptions{.num_embeddings = 6, .embedding_dim = 3, .padding_idx = -1})},
      {"LayerNorm", builder<nn::LayerNorm>(nn::LayerNormOptions{.normalized_shape = {2, 3}}), false},
      {"Conv1d",
       builder<nn::Conv1d>(nn::Conv1dOptions{.in_channels = 4, .out_channels = 2, .kernel_size = 3, .groups = 2})},
      {"Conv2d", builder<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 2, .out_channels = 3, .kernel_size = {2, 3}})},
      {"Conv2d without bias",
       builder<nn::Conv2d>(nn::Conv2dOptions{.in_channels = 2, .out_channels = 3, .kernel_size = 2, .bias = false})},
      {"GRUCell", builder<nn::GRUCell>(nn::GRUCellOptions{.input_size = 3, .hidden_size = 4})},
      {"LSTMCell", builder<nn::LSTMCell>(nn::LSTMCellOptions{.input_size = 3, .hidden_size = 4, .bias = false})},
      {"GRU",
       builder<nn::GRU>(nn::GRUOptions{.input_size = 3, .hidden_size = 4, .num_layers = 2, .bidirectional = true})},
      {"LSTM", builder<nn::LSTM>(nn::LSTMOptions{.input_size = 3, .hidden_size = 2, .num_layers = 2})},
      {"AdditiveAttention",
       builder<nn::AdditiveAttention>(nn::AdditiveAttentionOptions{.query_dim = 3, .key_dim = 4, .attention_dim = 5})},
      {"LuongAttention dot", builder<nn::LuongAttention>(nn::LuongAttentionOptions{
                                 .score = nn::LuongScore::Dot, .query_dim = 3, .key_dim = 3})},
      {"LuongAttention general", builder<nn::LuongAttention>(nn::LuongAttentionOptions{
                                     .score = nn::LuongScore::General, .query_dim = 3, .key_dim = 4, .value_dim = 2})},
      {"LuongAttention concat",
       builder<nn::LuongAttention>(nn::LuongAttentionOptions{
           .score = nn::LuongScore::Concat, .query_dim = 3, .key_dim = 4, .attention_dim = 5})},
      {"SelfAttention",
       builder<nn::SelfAttention>(nn::SelfAttentionOptions{.embed_dim = 4, .head_dim = 2, .bias = true})},
      {"MultiheadAttention",
       builder<nn::MultiheadAttention>(nn::MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 2})},
      {"MultiheadAttention with kdim, vdim, no bias",
       builder<nn::MultiheadAttention>(
           nn::MultiheadAttentionOptions{.embed_dim = 4, .num_heads = 2, .bias = false, .kdim = 3, .vdim = 5})},
      {"TransformerEncoderLayer", builder<nn::TransformerEncoderLayer>(small_layer)},
      {"TransformerDecoderLayer", builder<nn::TransformerDecoderLayer>(small_layer)},
      {"TransformerEncoder", builder<nn::TransformerEncoder>(small_layer, std::size_t{2}, true)},
      {"TransformerDecoder", builder<nn::TransformerDecoder>(small_layer, std::size_t{2}, false)},
      {"Transformer", builder<nn::Transformer>(nn::TransformerOptions{
                          .layer = small_layer, .num_encoder_layers = 1, .num_decoder_layers = 2})},
  };
}

}  // namespace

TEST_CASE("reset_parameters: every nn layer redraws its parameters exactly as construction did") {
  for (const Entry& e : layers()) check_reset_parameters(e.name, e.build, e.random);
}

TEST_CASE("reset_parameters: a parameterless layer has nothing to reset") {
  nn::Dropout dropout(nn::DropoutOptions{.p = 0.2f});
  dropout.reset_parameters();
  CHECK(dropout.parameters().empty());
  nn::PositionalEncoding pe(nn::PositionalEncodingOptions{.d_model = 4, .max_len = 3});
  const Array table = pe.pe.value();
  manual_seed(3);
  pe.reset_parameters();  // pe is a buffer: fixed sinusoids, left alone
  CHECK(attograd::testing::same_bits({pe.pe.value()}, {table}));
}

TEST_CASE("reset_parameters: Sequential and ModuleList reset their children in registration order") {
  check_reset_parameters("Sequential", [] {
    return std::make_shared<nn::Sequential>(std::initializer_list<std::shared_ptr<nn::UnaryModule>>{
        std::make_shared<nn::Linear>(3, 4), std::make_shared<nn::ReLU>(), std::make_shared<nn::LayerNorm>(4),
        std::make_shared<nn::Linear>(4, 2)});
  });
  check_reset_parameters("ModuleList", [] {
    auto list = std::make_shared<nn::ModuleList<nn::Module>>();
    list->push_back(std::make_shared<nn::Embedding>(5, 3));
    list->push_back(std::make_shared<nn::GRU>(3, 2));
    list->push_back(std::make_shared<nn::Linear>(2, 5));
    return list;
  });
}
