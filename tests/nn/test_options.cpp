// Every layer's Options struct (libtorch's shape): a layer built from its options equals the one
// built from the sizes-only constructor with the same seed, options() gives them back, and
// invalid options are refused with a message naming the layer and the values.
#include <catch2/catch.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include <attograd/core/core.hpp>
#include <attograd/nn/nn.hpp>

#include "reset_parameters_check.hpp"

using namespace attograd;
using attograd::testing::parameter_values;
using attograd::testing::same_bits;
using Catch::Contains;

namespace {
// Built with the same seed, the two have bitwise the same parameters and the same description.
template <class FromOptions, class FromSizes>
void check_same_layer(FromOptions from_options, FromSizes from_sizes) {
  manual_seed(11);
  const auto a = from_options();
  manual_seed(11);
  const auto b = from_sizes();
  CHECK(same_bits(parameter_values(a), parameter_values(b)));
  CHECK(a.describe() == b.describe());
}
}  // namespace

TEST_CASE("Options: each layer built from its options equals the positional one") {
  check_same_layer([] { return nn::Linear(nn::LinearOptions{.in_features = 4, .out_features = 2, .bias = false}); },
                   [] { return nn::Linear(4, 2, false); });
  check_same_layer(
      [] { return nn::Embedding(nn::EmbeddingOptions{.num_embeddings = 5, .embedding_dim = 3, .padding_idx = 1}); },
      [] { return nn::Embedding(5, 3, 1); });
  check_same_layer(
      [] {
        return nn::LayerNorm(nn::LayerNormOptions{.normalized_shape = {3}, .eps = 1e-6f, .elementwise_affine = false});
      },
      [] { return nn::LayerNorm(3, 1e-6f, false); });
  check_same_layer(
      [] { return nn::Conv1d(nn::Conv1dOptions{.in_channels = 2, .out_channels = 4, .kernel_size = 3, .padding = 1}); },
      [] { return nn::Conv1d(2, 4, 3, nn::Conv1dOptions{.padding = 1}); });
  check_same_layer(
      [] {
        return nn::Conv2d(nn::Conv2dOptions{.in_channels = 2, .out_channels = 4, .kernel_size = {1, 3}, .stride = 2});
      },
      [] {
        return nn::Conv2d(2, 4, {1, 3}, nn::Conv2dOptions{.stride = 2});
      });
  check_same_layer([] { return nn::MaxPool2d(nn::MaxPool2dOptions{.kernel_size = 3, .padding = 1}); },
                   [] { return nn::MaxPool2d(3, nn::MaxPool2dOptions{.padding = 1}); });
  check_same_layer(
      [] { return nn::AvgPool2d(nn::AvgPool2dOptions{.kernel_size = 2, .stride = 1, .count_include_pad = false}); },
      [] { return nn::AvgPool2d(2, nn::AvgPool2dOptions{.stride = 1, .count_include_pad = false}); });
  check_same_layer(
      [] {
        return nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions{.output_size = {2, 3}});
      },
      [] {
        return nn::AdaptiveAvgPool2d({2, 3});
      });
  check_same_layer([] { return nn::Dropout(nn::DropoutOptions{.p = 0.25f}); }, [] { return nn::Dropout(0.25f); });
  check_same_layer([] { return nn::GELU(nn::GELUOptions{.approximate = "tanh"}); }, [] { return nn::GELU(true); });
  check_same_layer([] { return nn::GRUCell(nn::GRUCellOptions{.input_size = 3, .hidden_size = 2}); },
                   [] { return nn::GRUCell(3, 2); });
  check_same_layer([] { return nn::LSTMCell(nn::LSTMCellOptions{.input_size = 3, .hidden_size = 2, .bias = false}); },
                   [] { return nn::LSTMCell(3, 2, false); });
  check_same_layer(
      [] { return nn::GRU(nn::GRUOptions{.input_size = 3, .hidden_size = 2, .num_layers = 2, .batch_first = false}); },
      [] { return nn::GRU(3, 2, nn::RNNOptions{.num_layers = 2, .batch_first = false}); });
  check_same_layer([] { return nn::LSTM(nn::LSTMOptions{.input_size = 3, .hidden_size = 2, .bidirectional = true}); },
                   [] { return nn::LSTM(3, 2, nn::RNNOptions{.bidirectional = true}); });
  check_same_layer([] { return nn::AdditiveAttention(nn::AdditiveAttentionOptions{.query_dim = 3, .key_dim = 4}); },
                   [] { return nn::AdditiveAttention(3, 4); });
  check_same_layer(
      [] {
        return nn::LuongAttention(nn::LuongAttentionOptions{
            .score = nn::LuongScore::Concat, .query_dim = 3, .key_dim = 4, .with_attentional_hidden = false});
      },
      [] { return nn::LuongAttention(nn::LuongScore::Concat, 3, 4, 0, 0, false); });
  check_same_layer(
      [] { return nn::SelfAttention(nn::SelfAttentionOptions{.embed_dim = 4, .head_dim = 2, .causal = true}); },
      [] { return nn::SelfAttention(4, 2, true); });
  check_same_layer(
      [] { return nn::PositionalEncoding(nn::PositionalEncodingOptions{.d_model = 4, .max_len = 6, .dropout = 0.0f}); },
      [] { return nn::PositionalEncoding(4, 6, 0.0f); });
}

TEST_CASE("Options: defaults are PyTorch's (batch_first aside) and options() gives back what was given") {
  CHECK(nn::LinearOptions{}.bias);
  CHECK(nn::LayerNormOptions{}.eps == 1e-5f);
  CHECK(nn::DropoutOptions{}.p == 0.5f);
  CHECK(nn::RNNOptions{}.batch_first);  // attograd's sequence layers are all batch-first
  CHECK(nn::SelfAttentionOptions{}.bias == false);
  CHECK(nn::PositionalEncodingOptions{}.max_len == 5000);

  const nn::Conv1d conv(2, 4, 3, nn::Conv1dOptions{.in_channels = 99, .dilation = 2});
  CHECK(conv.options().in_channels == 2);  // the positional sizes win
  CHECK(conv.options().out_channels == 4);
  CHECK(conv.options().kernel_size == 3);
  CHECK(conv.options().dilation == 2);
  const nn::GRU gru(3, 5);
  CHECK(gru.options().input_size == 3);
  CHECK(gru.options().hidden_size == 5);
  const nn::Embedding embedding(nn::EmbeddingOptions{.num_embeddings = 4, .embedding_dim = 2, .padding_idx = -1});
  CHECK(embedding.options().padding_idx == -1);  // as given
  CHECK(embedding.padding_idx() == 3);           // normalised
  const nn::LuongAttention luong(nn::LuongScore::General, 3, 4);
  CHECK(luong.options().value_dim == 0);  // as given; 0 means key_dim
  CHECK(nn::MaxPool2d(2).options().stride == std::nullopt);
}

TEST_CASE("Options: invalid values are refused with the layer and the values named") {
  CHECK_THROWS_WITH(nn::GELU(nn::GELUOptions{.approximate = "fast"}),
                    "GELU: approximate must be \"none\" or \"tanh\", got \"fast\"");
  CHECK_THROWS_AS(nn::GELU(nn::GELUOptions{.approximate = "Tanh"}), std::invalid_argument);
  CHECK_THROWS_WITH(nn::Conv1d(nn::Conv1dOptions{}), "Conv1d: kernel_size must be positive, got 0");
  CHECK_THROWS_WITH(nn::Conv2d(nn::Conv2dOptions{.in_channels = 3, .out_channels = 2, .kernel_size = 1, .groups = 2}),
                    "Conv2d: in_channels 3 is not divisible by groups 2");
  CHECK_THROWS_WITH(nn::MaxPool2d(nn::MaxPool2dOptions{}), "MaxPool2d: kernel_size must be positive, got (0, 0)");
  CHECK_THROWS_WITH(nn::AvgPool2d(nn::AvgPool2dOptions{.kernel_size = 2, .padding = 2}),
                    "AvgPool2d: padding (2, 2) must be between 0 and half of kernel_size (2, 2)");
  CHECK_THROWS_WITH(nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions{}),
                    "AdaptiveAvgPool2d: output_size must be positive, got (0, 0)");
  CHECK_THROWS_WITH(nn::Dropout(nn::DropoutOptions{.p = 2.0f}), "Dropout: p must be in [0, 1], got 2");
  CHECK_THROWS_WITH(nn::LayerNorm(nn::LayerNormOptions{}),
                    "LayerNorm: normalized_shape must have at least one dim, got ()");
  CHECK_THROWS_WITH(nn::LayerNorm(nn::LayerNormOptions{.normalized_shape = {2}, .eps = 0.0f}),
                    "LayerNorm: eps must be positive, got 0");
  CHECK_THROWS_WITH(nn::Embedding(nn::EmbeddingOptions{.num_embeddings = 3, .embedding_dim = 2, .padding_idx = 3}),
                    "Embedding: padding_idx 3 is out of range for 3 embeddings (valid: -3 to 2)");
  CHECK_THROWS_WITH(nn::GRU(nn::GRUOptions{.input_size = 3}), "GRU: hidden_size must be positive");
  CHECK_THROWS_WITH(nn::LSTM(nn::LSTMOptions{.input_size = 3, .hidden_size = 2, .dropout = 1.5f}),
                    "LSTM: dropout must be in [0, 1], got 1.5");
  CHECK_THROWS_WITH(nn::GRUCell(nn::GRUCellOptions{.input_size = 3}), "GRUCell: hidden_size must be positive");
  CHECK_THROWS_WITH(nn::LSTMCell(nn::LSTMCellOptions{.input_size = 3}), "LSTMCell: hidden_size must be positive");
  CHECK_THROWS_WITH(nn::AdditiveAttention(nn::AdditiveAttentionOptions{.query_dim = 3}),
                    "AdditiveAttention: query_dim and key_dim must be positive, got 3 and 0");
  CHECK_THROWS_WITH(
      nn::LuongAttention(nn::LuongAttentionOptions{.query_dim = 3, .key_dim = 4}),
      Contains("LuongAttention: the dot score needs query_dim == key_dim") && Contains("Dq = 3 and Dk = 4"));
  CHECK_THROWS_WITH(nn::SelfAttention(nn::SelfAttentionOptions{}), "SelfAttention: embed_dim must be positive");
  CHECK_THROWS_WITH(nn::PositionalEncoding(nn::PositionalEncodingOptions{}),
                    "PositionalEncoding: d_model and max_len must be positive, got 0 and 5000");
}
