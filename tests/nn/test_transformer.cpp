// Transformer layers, stacks and the full model: PyTorch agreement (outputs, parameter and input
// gradients, state-dict names), gradient checks, cached incremental decoding, positional
// encoding and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <tuple>

#include <xtensor/xview.hpp>

#include <attograd/core/core.hpp>
#include <attograd/nn/transformer/positional_encoding.hpp>
#include <attograd/nn/transformer/transformer.hpp>

#include "attention_test_support.hpp"
#include "nn_test_support.hpp"

using namespace attograd;
using namespace attograd::testing;
using nn::AttentionMask;
using nn::CausalAlignment;
using nn::TransformerActivation;
using nn::TransformerLayerOptions;
using Ts = std::vector<Tensor>;

namespace {

std::vector<std::string> names_of(const nn::NamedTensors& named) {
  std::vector<std::string> out;
  for (const auto& [n, _] : named) out.push_back(n);
  return out;
}

// The fixture's parameter names, in file order (PyTorch's named_parameters order).
std::vector<std::string> fixture_names(const std::string& c) { return names_of(fixture_group(c, "param")); }

TransformerLayerOptions small_layer(bool norm_first, TransformerActivation activation) {
  return {.d_model = 8,
          .nhead = 2,
          .dim_feedforward = 16,
          .dropout = 0.0f,
          .activation = activation,
          .norm_first = norm_first};
}
}  // namespace

TEST_CASE("TransformerEncoderLayer matches PyTorch in both norm orders") {
  for (const auto& [c, norm_first, activation] : {std::tuple{"encoder_post_relu", false, TransformerActivation::ReLU},
                                                  std::tuple{"encoder_pre_gelu", true, TransformerActivation::GELU}}) {
    INFO("fixture case " << c);
    nn::TransformerEncoderLayer layer(small_layer(norm_first, activation));
    CHECK(names_of(layer.named_parameters()) == fixture_names(c));
    layer.load_state_dict(fixture_group(c, "param"));
    const Tensor src(fixture(std::string(c) + "/input/src"), true);
    const Tensor out =
        layer.forward(src, AttentionMask::key_padding(fixture_index(std::string(c) + "/input/lengths"), 5));
    require_matches_pytorch("output", out.value(), fixture(std::string(c) + "/out/output"));
    out.backward(fixture(std::string(c) + "/upstream/output"));
    require_parameter_grads_match(layer, c);
    require_matches_pytorch("grad of src", src.grad(), fixture(std::string(c) + "/input_grad/src"));
    const nn::TransformerOutput with = layer.forward_with_attention(
        src, AttentionMask::key_padding(fixture_index(std::string(c) + "/input/lengths"), 5));
    CHECK(with.self_attention.size() == 1);
    CHECK(with.self_attention[0].shape() == Shape{2, 2, 5, 5});       // (B, H, T, T)
    CHECK(allclose(with.output.value(), out.value(), 1e-5f, 1e-6f));  // the weights' path: same up to rounding
  }
}

TEST_CASE("TransformerDecoderLayer matches PyTorch in both norm orders") {
  for (const auto& [c, norm_first, activation] : {std::tuple{"decoder_post_relu", false, TransformerActivation::ReLU},
                                                  std::tuple{"decoder_pre_gelu", true, TransformerActivation::GELU}}) {
    INFO("fixture case " << c);
    const std::string p(c);
    nn::TransformerDecoderLayer layer(small_layer(norm_first, activation));
    CHECK(names_of(layer.named_parameters()) == fixture_names(c));
    layer.load_state_dict(fixture_group(c, "param"));
    const Tensor tgt(fixture(p + "/input/tgt"), true), memory(fixture(p + "/input/memory"), true);
    const AttentionMask tgt_mask = AttentionMask::causal(4, 4, CausalAlignment::TopLeft) &
                                   AttentionMask::key_padding(fixture_index(p + "/input/tgt_lengths"), 4);
    const AttentionMask memory_mask = AttentionMask::key_padding(fixture_index(p + "/input/src_lengths"), 5);
    const Tensor out = layer.forward(tgt, memory, tgt_mask, memory_mask);
    require_matches_pytorch("output", out.value(), fixture(p + "/out/output"));
    out.backward(fixture(p + "/upstream/output"));
    require_parameter_grads_match(layer, c);
    require_matches_pytorch("grad of tgt", tgt.grad(), fixture(p + "/input_grad/tgt"));
    require_matches_pytorch("grad of memory", memory.grad(), fixture(p + "/input_grad/memory"));
    const nn::TransformerOutput with =
        layer.forward_with_attention(tgt, memory, tgt_mask, memory_mask, nn::AttentionWeights::Averaged);
    CHECK(with.self_attention[0].shape() == Shape{2, 4, 4});          // (B, T, T)
    CHECK(with.cross_attention[0].shape() == Shape{2, 4, 5});         // (B, T, S)
    CHECK(allclose(with.output.value(), out.value(), 1e-5f, 1e-6f));  // the weights' path: same up to rounding
  }
}

TEST_CASE("Transformer: a PyTorch nn.Transformer state dict loads by name and the model matches") {
  nn::Transformer model({.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f},
                         .num_encoder_layers = 2,
                         .num_decoder_layers = 2});
  // Same names, same order: encoder.layers.0.self_attn.in_proj_weight … decoder.norm.bias.
  CHECK(names_of(model.state_dict()) == fixture_names("transformer"));
  model.load_state_dict(fixture_group("transformer", "param"));
  const Tensor src(fixture("transformer/input/src"), true), tgt(fixture("transformer/input/tgt"), true);
  const AttentionMask src_padding = AttentionMask::key_padding(fixture_index("transformer/input/src_lengths"), 5);
  const AttentionMask tgt_mask = nn::Transformer::generate_square_subsequent_mask(4) &
                                 AttentionMask::key_padding(fixture_index("transformer/input/tgt_lengths"), 4);
  const Tensor out = model.forward(src, tgt, src_padding, tgt_mask, src_padding);
  require_matches_pytorch("output", out.value(), fixture("transformer/out/output"));
  out.backward(fixture("transformer/upstream/output"));
  require_parameter_grads_match(model, "transformer");
  require_matches_pytorch("grad of src", src.grad(), fixture("transformer/input_grad/src"));
  require_matches_pytorch("grad of tgt", tgt.grad(), fixture("transformer/input_grad/tgt"));
}

TEST_CASE("gradcheck: Transformer layers, both norm orders, under masks") {
  const TransformerLayerOptions tiny{.d_model = 4, .nhead = 2, .dim_feedforward = 6, .dropout = 0.0f};
  for (const bool norm_first : {false, true}) {
    TransformerLayerOptions o = tiny;
    o.norm_first = norm_first;
    // GELU: central differences straddling ReLU's kink disagree with any backward; ReLU layers
    // are checked against PyTorch's gradients instead (the *_relu fixtures above).
    o.activation = TransformerActivation::GELU;
    INFO("norm_first " << norm_first);
    nn::TransformerEncoderLayer enc(o);
    for (const auto& [name, mask] : mask_cases(2, 3, 3)) {
      INFO("encoder, mask " << name);
      CHECK(check_gradients([&, m = mask](const Ts& in) { return enc.forward(in.back(), m); },
                            with_parameters(enc, {random_input({2, 3, 4})})));
    }
    nn::TransformerDecoderLayer dec(o);
    const AttentionMask memory_mask = AttentionMask::key_padding(Index{4, 2}, 4);
    for (const auto& [name, mask] : mask_cases(2, 3, 3)) {
      INFO("decoder, tgt mask " << name);
      CHECK(check_gradients(
          [&, m = mask](const Ts& in) { return dec.forward(in[in.size() - 2], in.back(), m, memory_mask); },
          with_parameters(dec, {random_input({2, 3, 4}), random_input({2, 4, 4})})));
    }
  }
}

TEST_CASE("Transformer: cached step-by-step decoding equals the full causal forward") {
  for (const bool norm_first : {false, true}) {
    INFO("norm_first " << norm_first);
    nn::Transformer model(
        {.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f, .norm_first = norm_first},
         .num_encoder_layers = 1,
         .num_decoder_layers = 2});
    const std::size_t B = 2, S = 5, T = 6;
    const Tensor src = random_input({B, S, 8}), tgt = random_input({B, T, 8});
    const AttentionMask src_padding = AttentionMask::key_padding(Index{5, 3}, S);
    const Tensor memory = model.encode(src, src_padding);
    const Tensor full =
        model.decode(tgt, memory, nn::Transformer::generate_square_subsequent_mask(T), src_padding);  // (B, T, E)

    // One position at a time, then in uneven chunks (2, 1, 3): same answers.
    for (const std::vector<std::int64_t>& chunks :
         {std::vector<std::int64_t>{1, 1, 1, 1, 1, 1}, std::vector<std::int64_t>{2, 1, 3}}) {
      nn::DecoderCache cache;
      std::vector<Tensor> steps;
      std::int64_t start = 0;
      for (const std::int64_t t : chunks) {
        steps.push_back(model.decode_step(slice(tgt, 1, start, start + t), memory, cache, src_padding));  // (B, t, E)
        start += t;
        CHECK(cache.length() == static_cast<std::size_t>(start));
      }
      CHECK(allclose(cat(steps, 1).value(), full.value(), 1e-5f, 1e-5f));
    }
  }
}

TEST_CASE("Transformer: sequence-first layout gives the same result") {
  nn::Transformer bf({.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f},
                      .num_encoder_layers = 1,
                      .num_decoder_layers = 1});
  nn::Transformer sf({.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f, .batch_first = false},
                      .num_encoder_layers = 1,
                      .num_decoder_layers = 1});
  sf.load_state_dict(bf.state_dict());
  const Tensor src = random_input({2, 5, 8}), tgt = random_input({2, 3, 8});
  const AttentionMask causal = nn::Transformer::generate_square_subsequent_mask(3);
  const Tensor a = bf.forward(src, tgt, {}, causal);
  const Tensor b = sf.forward(transpose(src, 0, 1), transpose(tgt, 0, 1), {}, causal);
  CHECK(allclose(transpose(b, 0, 1).value(), a.value(), 1e-5f, 1e-6f));
  nn::DecoderCache cache;
  const Tensor memory = sf.encode(transpose(src, 0, 1));
  const Tensor first = sf.decode_step(slice(transpose(tgt, 0, 1), 0, 0, 1), memory, cache);  // (1, B, E)
  CHECK(allclose(first.value(), slice(b, 0, 0, 1).value(), 1e-5f, 1e-6f));
}

TEST_CASE("Transformer: padding positions have no effect on the real ones") {
  nn::Transformer model({.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f},
                         .num_encoder_layers = 1,
                         .num_decoder_layers = 1});
  const Tensor src = random_input({1, 5, 8}), tgt = random_input({1, 3, 8});
  const AttentionMask pad = AttentionMask::key_padding(Index{3}, 5);
  const AttentionMask causal = nn::Transformer::generate_square_subsequent_mask(3);
  const Tensor out = model.forward(src, tgt, pad, causal, pad);
  Tensor other(src.value());
  xt::view(other.mutable_value(), 0, xt::range(3, 5)) = 100.0f;  // change only the padding
  CHECK(allclose(model.forward(other, tgt, pad, causal, pad).value(), out.value(), 1e-5f, 1e-6f));
}

TEST_CASE("Transformer: errors") {
  REQUIRE_THROWS_WITH(nn::TransformerEncoderLayer(10, 3),
                      Catch::Contains("TransformerEncoderLayer: d_model 10 is not divisible by nhead 3"));
  REQUIRE_THROWS_WITH(nn::TransformerDecoderLayer(10, 4),
                      Catch::Contains("TransformerDecoderLayer: d_model 10 is not divisible by nhead 4"));
  REQUIRE_THROWS_WITH(nn::Transformer(10, 3), Catch::Contains("Transformer: d_model 10 is not divisible by nhead 3"));
  nn::TransformerEncoderLayer enc(small_layer(false, TransformerActivation::ReLU));
  REQUIRE_THROWS_WITH(
      enc.forward(random_input({2, 5, 6})),
      Catch::Contains("TransformerEncoderLayer: expected src of shape (B, T, E) with E = 8, got (2, 5, 6)"));
  REQUIRE_THROWS_WITH(
      enc.forward(random_input({2, 5, 8}), AttentionMask::causal(5, 4, CausalAlignment::TopLeft)),
      Catch::Contains("MultiheadAttention: causal(T=5, S=4, TopLeft) mask does not match the attention scores "
                      "(B, H, T, S) = (2, 2, 5, 5)"));
  nn::TransformerDecoderLayer dec(small_layer(false, TransformerActivation::ReLU));
  REQUIRE_THROWS_WITH(
      dec.forward(random_input({2, 4, 8}), random_input({3, 5, 8})),
      Catch::Contains("TransformerDecoderLayer: expected tgt (B, T, E) and memory (B, S, E) with E = 8 and the same B, "
                      "got (2, 4, 8) and (3, 5, 8)"));
  nn::Transformer model(
      {.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16}, .num_encoder_layers = 1, .num_decoder_layers = 1});
  REQUIRE_THROWS_WITH(model.forward(random_input({2, 5, 8}), random_input({3, 4, 8})),
                      Catch::Contains("Transformer: expected src (B, S, E) and tgt (B, T, E) with the same B and E = "
                                      "8, got (2, 5, 8) and (3, 4, 8)"));
  nn::DecoderCache wrong;
  wrong.layers.resize(3);
  REQUIRE_THROWS_WITH(
      model.decode_step(random_input({2, 1, 8}), random_input({2, 5, 8}), wrong),
      Catch::Contains("TransformerDecoder::forward_step: the cache holds 3 layers but the decoder has 1"));
}

TEST_CASE("Transformer layers return each layer's attention weights as values, per head or averaged") {
  nn::TransformerEncoder encoder(small_layer(false, TransformerActivation::ReLU), 2);
  encoder.eval();
  const Tensor x = random_input({2, 5, 8});
  const AttentionMask padding = AttentionMask::key_padding(Index{5, 3}, 5);
  const nn::TransformerOutput none = encoder.forward_with_attention(x, padding, nn::AttentionWeights::None);
  CHECK(none.self_attention.empty());
  CHECK(none.cross_attention.empty());
  CHECK(none.output.value() == encoder.forward(x, padding).value());

  const nn::TransformerOutput per_head = encoder.forward_with_attention(x, padding);
  REQUIRE(per_head.self_attention.size() == 2);
  // Asking for the weights takes the fused path that keeps them (the other streams): same
  // output up to rounding.
  CHECK(allclose(per_head.output.value(), none.output.value(), 1e-5f, 1e-6f));
  // Layer 0's weights are its self_attn's on the stack's input (post-norm: no norm before it).
  const auto direct = (*encoder.layers)[0].self_attn->forward(x, x, x, padding, true, false);
  CHECK(allclose(per_head.self_attention[0].value(), direct.weights.value(), 1e-6f, 1e-7f));
  // One head of one layer is one line.
  const Tensor head1 = select(per_head.self_attention[1], 1, 1);  // (B, T, T)
  CHECK(head1.shape() == Shape{2, 5, 5});
  const nn::TransformerOutput averaged = encoder.forward_with_attention(x, padding, nn::AttentionWeights::Averaged);
  for (std::size_t l = 0; l < 2; ++l)
    CHECK(allclose(averaged.self_attention[l].value(), mean(per_head.self_attention[l], {1}).value(), 1e-6f, 1e-7f));
  // Values, not records: differentiable like any output.
  sum(per_head.self_attention[1] * per_head.self_attention[1]).backward();
  CHECK(x.has_grad());
}

TEST_CASE("Transformer decoder: a cached step returns the same weights as the full forward's rows") {
  nn::TransformerDecoder decoder(small_layer(true, TransformerActivation::GELU), 2);
  decoder.eval();
  const std::size_t T = 4, S = 5;
  const Tensor tgt = random_input({2, T, 8}), memory = random_input({2, S, 8});
  const AttentionMask memory_mask = AttentionMask::key_padding(Index{5, 2}, S);
  const nn::TransformerOutput full =
      decoder.forward_with_attention(tgt, memory, AttentionMask::causal(T, T, CausalAlignment::TopLeft), memory_mask);
  REQUIRE(full.cross_attention.size() == 2);
  nn::DecoderCache cache;
  for (std::size_t t = 0; t < T; ++t) {
    const auto i = static_cast<std::int64_t>(t);
    const nn::TransformerOutput step =
        decoder.forward_step_with_attention(slice(tgt, 1, i, i + 1), memory, cache, memory_mask);
    for (std::size_t l = 0; l < 2; ++l) {
      INFO("step " << t << ", layer " << l);
      CHECK(step.cross_attention[l].shape() == Shape{2, 2, 1, S});     // (B, H, 1, S)
      CHECK(step.self_attention[l].shape() == Shape{2, 2, 1, t + 1});  // (B, H, 1, cached + 1)
      CHECK(
          allclose(step.cross_attention[l].value(), slice(full.cross_attention[l], 2, i, i + 1).value(), 1e-5f, 1e-6f));
      const Tensor full_row = slice(slice(full.self_attention[l], 2, i, i + 1), 3, 0, i + 1);
      CHECK(allclose(step.self_attention[l].value(), full_row.value(), 1e-5f, 1e-6f));
    }
  }
}

TEST_CASE("Decoder-only (GPT) use: a pre-norm TransformerEncoder with a cache equals the causal forward") {
  TransformerLayerOptions block = small_layer(true, TransformerActivation::GELU);
  nn::TransformerEncoder gpt(block, 2, /*final_norm=*/true);
  gpt.eval();
  const std::size_t B = 2, T = 6;
  const Tensor x = random_input({B, T, 8});
  const nn::TransformerOutput full =
      gpt.forward_with_attention(x, AttentionMask::causal(T, T, CausalAlignment::TopLeft));
  // A prompt of 3 prefilled at once, then one position at a time.
  nn::SelfAttentionCache cache;
  std::vector<Tensor> outputs;
  std::int64_t start = 0;
  for (const std::int64_t t : {3, 1, 1, 1}) {
    const nn::TransformerOutput step = gpt.forward_step_with_attention(slice(x, 1, start, start + t), cache);
    outputs.push_back(step.output);
    for (std::size_t l = 0; l < 2; ++l) {
      INFO("positions " << start << " to " << start + t - 1 << ", layer " << l);
      const Tensor rows = slice(slice(full.self_attention[l], 2, start, start + t), 3, 0, start + t);
      CHECK(allclose(step.self_attention[l].value(), rows.value(), 1e-5f, 1e-6f));
    }
    start += t;
    CHECK(cache.length() == static_cast<std::size_t>(start));
  }
  CHECK(allclose(cat(outputs, 1).value(), full.output.value(), 1e-5f, 1e-6f));
  CHECK(gpt.forward_step(random_input({B, 1, 8}), cache).shape() == Shape{B, 1, 8});
  CHECK(gpt.forward_step(random_input({B, 1, 8}), cache).shape() == Shape{B, 1, 8});
  CHECK(cache.length() == T + 2);
  // Beam search's reorder: keeping hypotheses {1, 1} is the cache of sequence 1 twice.
  nn::SelfAttentionCache one = cache, twice = cache;
  one.reorder({1});
  twice.reorder({1, 1});
  const Tensor next = random_input({1, 1, 8});
  const Tensor expected = gpt.forward_step(next, one);                // (1, 1, E)
  const Tensor both = gpt.forward_step(cat({next, next}, 0), twice);  // (2, 1, E)
  // A batch of 2 and a batch of 1 take different BLAS paths (sgemm, sgemv), which round
  // differently (~1e-6 relative); the two copies in one batch are the same computation.
  CHECK(allclose(select(both, 0, 0).value(), select(expected, 0, 0).value(), 1e-5f, 1e-6f));
  CHECK(select(both, 0, 1).value() == select(both, 0, 0).value());
  REQUIRE_THROWS_WITH(gpt.forward_step(random_input({3, 1, 8}), cache),
                      Catch::Contains("the cache was filled for a batch of 2 but this step has a batch of 3"));
  nn::SelfAttentionCache wrong;
  wrong.layers.resize(5);
  REQUIRE_THROWS_WITH(
      gpt.forward_step(random_input({B, 1, 8}), wrong),
      Catch::Contains("TransformerEncoder::forward_step: the cache holds 5 layers but the encoder has 2"));
}

TEST_CASE("DecoderCache::reorder keeps the hypotheses asked for, and names a row it does not hold") {
  nn::TransformerDecoder decoder(small_layer(false, TransformerActivation::ReLU), 1);
  decoder.eval();
  const Tensor memory = random_input({3, 4, 8}), first = random_input({3, 1, 8}), second = random_input({3, 1, 8});
  nn::DecoderCache cache;
  decoder.forward_step(first, memory, cache);
  const std::vector<std::size_t> from{2, 2, 0};
  cache.reorder(from);
  const Tensor reordered =
      decoder.forward_step(index_select(second, 0, Index{2, 2, 0}), index_select(memory, 0, Index{2, 2, 0}), cache);
  nn::DecoderCache fresh;
  decoder.forward_step(index_select(first, 0, Index{2, 2, 0}), index_select(memory, 0, Index{2, 2, 0}), fresh);
  const Tensor expected =
      decoder.forward_step(index_select(second, 0, Index{2, 2, 0}), index_select(memory, 0, Index{2, 2, 0}), fresh);
  CHECK(allclose(reordered.value(), expected.value(), 1e-6f, 1e-7f));
  REQUIRE_THROWS_WITH(cache.reorder({3}),
                      Catch::Contains("KeyValueCache::reorder: hypothesis 3 asked for, but the cache holds 3"));
}

TEST_CASE("PositionalEncoding: the sinusoids, the buffer and max_len") {
  nn::PositionalEncoding pe(6, 10, 0.0f);
  CHECK(names_of(pe.named_buffers()) == std::vector<std::string>{"pe"});
  CHECK(pe.named_parameters().empty());
  CHECK(pe.pe.shape() == Shape{10, 6});
  // pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(…)
  CHECK(pe.pe.value()(3, 2) == Approx(std::sin(3.0 / std::pow(10000.0, 2.0 / 6.0))));
  CHECK(pe.pe.value()(3, 3) == Approx(std::cos(3.0 / std::pow(10000.0, 2.0 / 6.0))));
  CHECK(pe.pe.value()(0, 1) == 1.0f);
  const Tensor x = zeros({2, 4, 6});
  const Array shifted = pe.forward(x, 5).value();  // positions 5 … 8
  for (std::size_t b = 0; b < 2; ++b)
    for (std::size_t t = 0; t < 4; ++t)
      for (std::size_t e = 0; e < 6; ++e) CHECK(shifted(b, t, e) == pe.pe.value()(5 + t, e));
  CHECK(check_gradients([&](const Ts& in) { return pe.forward(in[0]); }, {random_input({2, 3, 6})}));
  REQUIRE_THROWS_WITH(pe.forward(zeros({1, 12, 6})),
                      Catch::Contains("PositionalEncoding: positions 0 to 11 of x (1, 12, 6) go past max_len = 10"));
  REQUIRE_THROWS_WITH(pe.forward(zeros({1, 3, 6}), 8),
                      Catch::Contains("positions 8 to 10 of x (1, 3, 6) go past max_len = 10"));
  REQUIRE_THROWS_WITH(pe.forward(zeros({1, 3, 5})),
                      Catch::Contains("PositionalEncoding: expected x of shape (B, T, E = 6), got (1, 3, 5)"));
}
