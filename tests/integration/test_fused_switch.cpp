// Every model trains the same with fused kernels on and off: three Adam steps of each, from
// the same seed, agree on the losses, the gradients and the parameters. Tolerance: 1e-4
// relative, 1e-6 absolute (the two paths round differently; nothing else differs). Also the
// user-facing mask helpers and the Luong layer without W_c.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

using namespace attograd;
using Catch::Matchers::Contains;

namespace {

struct Run {
  std::vector<float> losses;
  std::vector<Array> grads, params;  // after the last step
};

// model_loss(model) builds the loss of one fixed batch; make builds the model from the seed.
Run train(const std::function<std::shared_ptr<nn::Module>()>& make,
          const std::function<Tensor(nn::Module&)>& model_loss, bool fused) {
  FusedKernelsGuard path(fused);
  manual_seed(11);
  std::shared_ptr<nn::Module> model = make();
  // eps 1e-3, not 1e-8: some gradients are exactly 0 in exact arithmetic (a key bias of
  // attention cancels in the softmax), and Adam would scale their rounding noise (1e-9 on one
  // path, 1e-10 on the other) up to full steps of ±lr. With eps 1e-3 they stay below 1e-7.
  optim::Adam adam(model->parameters(), {.lr = 1e-2, .eps = 1e-3});
  Run run;
  for (int step = 0; step < 3; ++step) {
    adam.zero_grad();
    const Tensor loss = model_loss(*model);
    loss.backward();
    run.losses.push_back(loss.item());
    if (step == 2)
      for (const Tensor& p : model->parameters()) run.grads.push_back(p.has_grad() ? p.grad() : Array());
    adam.step();
  }
  for (const Tensor& p : model->parameters()) run.params.push_back(p.value());
  return run;
}

void check_same_training(const std::function<std::shared_ptr<nn::Module>()>& make,
                         const std::function<Tensor(nn::Module&)>& model_loss) {
  const Run on = train(make, model_loss, true), off = train(make, model_loss, false);
  for (std::size_t i = 0; i < on.losses.size(); ++i) CHECK(on.losses[i] == Approx(off.losses[i]).epsilon(1e-5));
  REQUIRE(on.grads.size() == off.grads.size());
  for (std::size_t i = 0; i < on.grads.size(); ++i) {
    INFO("parameter " << i);
    CHECK(allclose(on.grads[i], off.grads[i], 1e-4f, 1e-6f));
    CHECK(allclose(on.params[i], off.params[i], 1e-4f, 1e-6f));
  }
}

Index targets_of(std::size_t n, std::size_t classes) {
  Index t = Index::from_shape({n});
  for (std::size_t i = 0; i < n; ++i) t(i) = static_cast<std::int64_t>((i * 7 + 3) % classes);
  return t;
}

Tensor fixed_input(const Shape& shape, std::uint64_t seed) {
  Generator g(seed);
  Array a = Array::from_shape(shape);
  for (float& v : a) v = g.uniform(-1.0f, 1.0f);
  return Tensor(std::move(a));
}

}  // namespace

TEST_CASE("MultiheadAttention self-attention trains the same with fused kernels on and off") {
  struct Model : nn::Module {
    std::shared_ptr<nn::MultiheadAttention> attn =
        register_module("attn", std::make_shared<nn::MultiheadAttention>(8, 2));
    std::shared_ptr<nn::Linear> head = register_module("head", std::make_shared<nn::Linear>(8, 5));
  };
  const Tensor x = fixed_input({3, 4, 8}, 1);  // (B, T, E)
  const nn::AttentionMask mask =
      nn::AttentionMask::causal(4, 4, nn::CausalAlignment::TopLeft) & nn::AttentionMask::key_padding({4, 2, 3}, 4);
  check_same_training([] { return std::make_shared<Model>(); },
                      [&](nn::Module& m) {
                        auto& model = dynamic_cast<Model&>(m);
                        const auto [out, weights] = model.attn->forward(x, x, x, mask);  // (B, T, E)
                        const Tensor logits = reshape(model.head->forward(out), {12, 5});
                        return cross_entropy(logits, targets_of(12, 5)) + mean(weights * weights);
                      });
}

TEST_CASE("Transformer trains the same with fused kernels on and off") {
  const Tensor src = fixed_input({2, 5, 8}, 2), tgt = fixed_input({2, 4, 8}, 3);  // (B, S, E), (B, T, E)
  check_same_training(
      [] {
        return std::make_shared<nn::Transformer>(
            nn::TransformerOptions{.layer = {.d_model = 8, .nhead = 2, .dim_feedforward = 16, .dropout = 0.0f},
                                   .num_encoder_layers = 1,
                                   .num_decoder_layers = 1});
      },
      [&](nn::Module& m) {
        auto& model = dynamic_cast<nn::Transformer&>(m);
        const Tensor out = model.forward(src, tgt, {}, nn::Transformer::generate_square_subsequent_mask(4),
                                         nn::AttentionMask::key_padding({5, 3}, 5));  // (B, T, E)
        return cross_entropy(reshape(out, {8, 8}), targets_of(8, 8));
      });
}

TEST_CASE("GRU encoder with a Bahdanau-attention GRU decoder trains the same with fused kernels on and off") {
  struct Model : nn::Module {
    std::shared_ptr<nn::GRU> encoder = register_module("encoder", std::make_shared<nn::GRU>(4, 6));
    std::shared_ptr<nn::AdditiveAttention> attention =
        register_module("attention", std::make_shared<nn::AdditiveAttention>(6, 6));
    std::shared_ptr<nn::GRUCell> decoder = register_module("decoder", std::make_shared<nn::GRUCell>(3 + 6, 6));
    std::shared_ptr<nn::Linear> out = register_module("out", std::make_shared<nn::Linear>(6, 5));
  };
  const Tensor src = fixed_input({3, 5, 4}, 4), tgt_in = fixed_input({3, 3, 3}, 5);  // (B, S, I), (B, T, 3)
  const std::vector<std::int64_t> lengths{5, 3, 4};
  check_same_training([] { return std::make_shared<Model>(); },
                      [&](nn::Module& m) {
                        auto& model = dynamic_cast<Model&>(m);
                        const auto [keys, h_n] = model.encoder->forward(src, {}, lengths);  // (B, S, H), (1, B, H)
                        const nn::AttentionMask padding = nn::AttentionMask::key_padding(lengths, 5);
                        Tensor h = select(h_n, 0, 0);  // (B, H)
                        std::vector<Tensor> logits;
                        for (std::int64_t t = 0; t < 3; ++t) {
                          const auto [context, weights] = model.attention->forward(h, keys, keys, padding);  // (B, H)
                          h = model.decoder->forward(cat({select(tgt_in, 1, t), context}, -1), h);
                          logits.push_back(model.out->forward(h));  // (B, V)
                        }
                        return cross_entropy(cat(logits, 0), targets_of(9, 5));
                      });
}

TEST_CASE("bidirectional LSTM with Luong general attention trains the same with fused kernels on and off") {
  struct Model : nn::Module {
    std::shared_ptr<nn::LSTM> encoder =
        register_module("encoder", std::make_shared<nn::LSTM>(4, 5, nn::RNNOptions{.bidirectional = true}));
    std::shared_ptr<nn::LuongAttention> attention =
        register_module("attention", std::make_shared<nn::LuongAttention>(nn::LuongScore::General, 6, 10));
    std::shared_ptr<nn::LSTMCell> decoder = register_module("decoder", std::make_shared<nn::LSTMCell>(3, 6));
    std::shared_ptr<nn::Linear> out = register_module("out", std::make_shared<nn::Linear>(6, 5));
  };
  const Tensor src = fixed_input({2, 6, 4}, 6), tgt_in = fixed_input({2, 3, 3}, 7);
  check_same_training([] { return std::make_shared<Model>(); },
                      [&](nn::Module& m) {
                        auto& model = dynamic_cast<Model&>(m);
                        const auto encoded = model.encoder->forward(src, {}, {}, {6, 4});  // (B, S, 2H)
                        const nn::AttentionMask padding = nn::AttentionMask::key_padding({6, 4}, 6);
                        Tensor h, c;
                        std::vector<Tensor> logits;
                        for (std::int64_t t = 0; t < 3; ++t) {
                          const auto state = model.decoder->forward(select(tgt_in, 1, t), h, c);
                          h = state.h, c = state.c;
                          const auto [context, weights] =
                              model.attention->forward(h, encoded.output, encoded.output, padding);
                          logits.push_back(model.out->forward(model.attention->attentional_hidden(context, h)));
                        }
                        return cross_entropy(cat(logits, 0), targets_of(6, 5));
                      });
}

TEST_CASE("key padding from a std::vector of lengths equals the one from an Index") {
  const std::vector<std::int64_t> lengths{3, 1};
  const Shape scores{2, 4};
  const Mask from_vector = nn::AttentionMask::key_padding(lengths, 4).blocked_positions(scores, "test");
  const Mask from_index =
      nn::AttentionMask::key_padding(index_from_vector(lengths), 4).blocked_positions(scores, "test");
  const Mask from_list = nn::AttentionMask::key_padding({3, 1}, 4).blocked_positions(scores, "test");
  const Mask expected{{false, false, false, true}, {false, true, true, true}};
  CHECK((from_vector == expected));
  CHECK((from_index == expected));
  CHECK((from_list == expected));
  CHECK_THROWS_WITH(nn::AttentionMask::key_padding({5}, 4),
                    "AttentionMask::key_padding: length 5 of sequence 0 is outside [0, S = 4]");
}

TEST_CASE("PyTorch's 3-D (B·H, T, S) attention mask works in MultiheadAttention like its (B, H, T, S) form") {
  manual_seed(5);
  nn::MultiheadAttention mha(4, 2);
  const Tensor x = randn({2, 3, 4});            // (B, T, E)
  Mask per_head = Mask::from_shape({4, 3, 3});  // (B·H, T, S): row b·H + h
  for (std::size_t i = 0; i < per_head.size(); ++i) per_head.data()[i] = (i * 5) % 7 == 0;
  Mask four_d = per_head;
  four_d.reshape({2, 2, 3, 3});
  const auto a = mha(x, x, x, nn::AttentionMask::blocked_per_head(per_head, 2), true, false);
  const auto b = mha(x, x, x, nn::AttentionMask::blocked(four_d), true, false);
  CHECK(allclose(a.output.value(), b.output.value()));
  CHECK(allclose(a.weights.value(), b.weights.value()));
  CHECK_THROWS_WITH(nn::AttentionMask::blocked_per_head(Mask::from_shape({3, 3, 3}), 2),
                    "AttentionMask::blocked_per_head: expected a (B·H, T, S) mask with H = num_heads = 2, got shape "
                    "(3, 3, 3)");
}

TEST_CASE("LuongAttention without W_c registers no output_weight, loads a score-only state dict strictly") {
  nn::LuongAttention score_only(nn::LuongScore::General, 4, 6, 0, 0, /*with_attentional_hidden=*/false);
  CHECK(score_only.named_parameters().size() == 1);  // score_weight
  nn::LuongAttention other(nn::LuongScore::General, 4, 6, 0, 0, false);
  CHECK(other.load_state_dict(score_only.state_dict()).ok());
  CHECK_THROWS_WITH(score_only.attentional_hidden(randn({2, 6}), randn({2, 4})),
                    Contains("built with with_attentional_hidden = false"));
  nn::LuongAttention full(nn::LuongScore::General, 4, 6);
  CHECK(full.named_parameters().size() == 2);  // score_weight, output_weight
}

TEST_CASE("every module has a const forward and operator()") {
  const nn::Linear linear(3, 2);
  const Tensor x = randn({4, 3});
  CHECK(allclose(linear(x).value(), linear.forward(x).value()));
  const nn::GRU gru(3, 2);
  CHECK(gru(randn({1, 5, 3})).output.shape() == Shape{1, 5, 2});  // batch_first by default: (B, T, H)
  const nn::AdditiveAttention additive(2, 2);
  CHECK(additive(randn({1, 2}), randn({1, 3, 2}), randn({1, 3, 2})).weights.shape() == Shape{1, 3});
  const nn::SelfAttention self(4);
  CHECK(self(randn({1, 3, 4})).output.shape() == Shape{1, 3, 4});
}
