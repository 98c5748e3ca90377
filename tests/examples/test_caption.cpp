// The caption example's models: each overfits one batch, the same seed gives the same run, a
// saved model captions as before, beam 1 equals greedy, and a folder of PNG and JPEG files the
// test writes itself trains and evaluates end to end.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <stb_image_write.h>
#include <catch2/catch.hpp>

#include <attograd/attograd.hpp>

#include "../support/temp_dir.hpp"
#include "captioners.hpp"
#include "captions_file.hpp"
#include "image_io.hpp"
#include "scenes.hpp"
#include "vocabulary.hpp"

using namespace attograd;
using caption::Scene;
using Catch::Matchers::Contains;
using examples::Vocabulary;

namespace {

Vocabulary vocabulary_of(const std::vector<Scene>& scenes) {
  std::vector<std::vector<std::string>> captions;
  for (const Scene& s : scenes) captions.push_back(s.caption);
  return Vocabulary::build(captions);
}

caption::Batch batch_of(const std::vector<Scene>& scenes, std::size_t first, std::size_t n, const Vocabulary& v) {
  std::vector<seq::TokenIds> ids;
  const caption::Image& image0 = scenes[first % scenes.size()].image;
  Array images = Array::from_shape({n, 3, image0.height, image0.width});
  for (std::size_t i = 0; i < n; ++i) {
    const Scene& s = scenes[(first + i) % scenes.size()];
    seq::TokenIds t = v.encode(s.caption);
    t.push_back(Vocabulary::eos);
    ids.push_back(t);
    std::copy(s.image.pixels.begin(), s.image.pixels.end(), images.data() + i * s.image.pixels.size());
  }
  const seq::PaddedBatch p = seq::pad_sequences(ids, Vocabulary::pad);
  return {Tensor(images), p.ids, p.lengths};
}

caption::ModelConfig small(const std::string& kind, const Vocabulary& v, std::size_t height, std::size_t width) {
  return {.kind = kind,
          .vocab = v.size(),
          .height = height,
          .width = width,
          .features = 16,
          .embed = 16,
          .hidden = 32,
          .layers = 1,
          .heads = 2,
          .ff = 64};
}

std::vector<float> train(caption::Captioner& model, const std::vector<Scene>& scenes, const Vocabulary& v,
                         std::size_t steps, std::size_t batch, double lr, bool same_batch) {
  optim::Adam adam(model.parameters(), {.lr = lr});
  std::vector<float> losses;
  for (std::size_t step = 0; step < steps; ++step) {
    const caption::Batch b = batch_of(scenes, same_batch ? 0 : step * batch, batch, v);
    adam.zero_grad();
    const Tensor loss = model.loss(b);
    loss.backward();
    optim::clip_grad_norm_(model.parameters(), 5.0);
    adam.step();
    losses.push_back(loss.item());
  }
  return losses;
}

std::vector<seq::Hypothesis> greedy(const caption::Captioner& model, const std::vector<Scene>& scenes,
                                    const Vocabulary& v) {
  const caption::Batch b = batch_of(scenes, 0, scenes.size(), v);
  const auto decoder = model.decoder(b.images);
  return seq::greedy_search(*decoder, scenes.size(), {.max_length = 30});
}

}  // namespace

TEST_CASE("every caption model overfits one batch of shapes scenes") {
  const caption::SceneSplits data = caption::make_scenes("shapes", 8, 2, 3);
  const Vocabulary v = vocabulary_of(data.train);
  std::vector<std::pair<std::string, std::string>> models;  // (kind, sat_attention)
  for (const std::string& kind : caption::model_kinds()) models.emplace_back(kind, "after");
  models.emplace_back("sat", "before");  // Xu et al.'s order, beside the default
  for (const auto& [kind, order] : models) {
    INFO("model " << kind << ", sat attention " << order);
    manual_seed(3);
    caption::ModelConfig config = small(kind, v, 48, 48);
    config.sat_attention = order;
    const auto model = caption::make_model(config);
    const std::vector<float> losses = train(*model, data.train, v, 300, 8, 5e-3, true);
    CHECK(losses.front() > 2.0f);  // about ln V at first
    // sat's loss includes the attention penalty, which does not go to 0: compare the caption
    // loss through greedy decoding instead.
    model->eval();
    std::vector<seq::TokenIds> refs, outs;
    for (const Scene& s : data.train) refs.push_back(v.encode(s.caption));
    for (const seq::Hypothesis& h : greedy(*model, data.train, v)) outs.push_back(h.tokens);
    CHECK(seq::exact_match(outs, refs) == 1.0);
  }
}

TEST_CASE("sat's attention rows cover the feature grid and sum to 1, none has no attention") {
  const caption::SceneSplits data = caption::make_scenes("digits", 4, 2, 5);
  const Vocabulary v = vocabulary_of(data.train);
  manual_seed(1);
  const auto sat = caption::make_model(small("sat", v, 16, 80));
  CHECK(sat->grid_height() == 1);
  CHECK(sat->grid_width() == 5);
  for (const seq::Hypothesis& h : greedy(*sat, data.train, v)) {
    REQUIRE_FALSE(h.attention.empty());
    for (const auto& row : h.attention) {
      CHECK(row.size() == 5);
      double total = 0;
      for (const float w : row) total += w;
      CHECK(total == Approx(1.0).epsilon(1e-5));
    }
  }
  const auto none = caption::make_model(small("none", v, 16, 80));
  for (const seq::Hypothesis& h : greedy(*none, data.train, v))
    for (const auto& row : h.attention) CHECK(row.empty());
}

TEST_CASE("caption: the same seed trains the same model, bit for bit") {
  const caption::SceneSplits data = caption::make_scenes("shapes", 32, 2, 9);
  const Vocabulary v = vocabulary_of(data.train);
  auto run = [&] {
    manual_seed(7);
    const auto model = caption::make_model(small("sat", v, 48, 48));
    return train(*model, data.train, v, 6, 8, 2e-3, false);
  };
  CHECK(run() == run());
}

TEST_CASE("a saved and reloaded caption model captions exactly as before, beam 1 equals greedy") {
  const caption::SceneSplits data = caption::make_scenes("shapes", 16, 4, 2);
  const Vocabulary v = vocabulary_of(data.train);
  manual_seed(2);
  const auto model = caption::make_model(small("sat", v, 48, 48));
  train(*model, data.train, v, 20, 8, 3e-3, false);
  model->eval();
  attograd::testing::TempDir dir("caption_ckpt");
  nn::save_module((dir.path / "m.safetensors").string(), *model);
  const auto again = caption::make_model(small("sat", v, 48, 48));
  again->load_state_dict(nn::load((dir.path / "m.safetensors").string()).state_dict);
  const auto before = greedy(*model, data.test, v), after = greedy(*again, data.test, v);
  REQUIRE(before.size() == after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    CHECK(before[i].tokens == after[i].tokens);
    // beam search with beam 1, one image at a time, finds what greedy found
    const caption::Batch one = batch_of(data.test, i, 1, v);
    const auto decoder = model->decoder(one.images);
    CHECK(seq::beam_search(*decoder, {.max_length = 30, .beam = 1})[0].tokens == before[i].tokens);
  }
}

TEST_CASE("a folder of PNG and JPEG files with a caption file trains and evaluates") {
  attograd::testing::TempDir dir("caption_files");
  const caption::SceneSplits scenes = caption::make_scenes("shapes", 30, 5, 4);
  std::ofstream tsv(dir.path / "captions.tsv");
  std::size_t n = 0;
  for (const auto* split : {&scenes.train, &scenes.validation, &scenes.test})
    for (const Scene& s : *split) {
      const std::string name = fmt::format("scene_{:03}.{}", n, n % 2 == 0 ? "png" : "jpg");
      if (n % 2 == 0) {
        caption::save_png(dir.path / name, s.image);
      } else {  // JPEG through stb_image_write, from interleaved 8-bit RGB
        std::vector<unsigned char> rgb(s.image.height * s.image.width * 3);
        for (std::size_t y = 0; y < s.image.height; ++y)
          for (std::size_t x = 0; x < s.image.width; ++x)
            for (std::size_t c = 0; c < 3; ++c)
              rgb[(y * s.image.width + x) * 3 + c] = static_cast<unsigned char>(s.image.at(c, y, x) * 255.0f + 0.5f);
        REQUIRE(stbi_write_jpg((dir.path / name).c_str(), static_cast<int>(s.image.width),
                               static_cast<int>(s.image.height), 3, rgb.data(), 95));
      }
      tsv << name << '\t' << examples::detokenize(s.caption, examples::Tokens::Word) << '\n';
      ++n;
    }
  tsv << "no tab on this line\n";
  tsv.close();
  // Read at 32x32 (every image resized), split 5 / 5 / the rest.
  const caption::FileSplits files =
      caption::read_captioned_images(dir.path, dir.path / "captions.tsv", {.size = {32, 32}, .split = {.held_out = 5}});
  CHECK(files.skipped_malformed == 1);
  CHECK(files.splits.train.size() == n - 10);
  CHECK(files.splits.test.size() == 5);
  CHECK(files.splits.train.front().image.height == 32);
  const Vocabulary v = vocabulary_of(files.splits.train);
  manual_seed(4);
  const auto model = caption::make_model(small("sat", v, 32, 32));
  const std::vector<float> losses = train(*model, files.splits.train, v, 40, 10, 3e-3, false);
  CHECK(losses.back() < losses.front());
  model->eval();
  std::vector<seq::TokenIds> refs, outs;
  for (const Scene& s : files.splits.test) refs.push_back(v.encode(s.caption));
  for (const seq::Hypothesis& h : greedy(*model, files.splits.test, v)) outs.push_back(h.tokens);
  const double bleu = seq::corpus_bleu(outs, refs);
  CHECK(bleu >= 0.0);
  CHECK(bleu <= 1.0);

  // A caption file naming a missing, an empty or a truncated image fails naming both files.
  std::ofstream(dir.path / "empty.png").close();
  {
    std::ifstream in(dir.path / "scene_000.png", std::ios::binary);
    std::string head(40, '\0');
    in.read(head.data(), 40);
    std::ofstream(dir.path / "cut.png", std::ios::binary) << head;
  }
  for (const auto& [image, message] : std::vector<std::pair<std::string, std::string>>{
           {"missing.png", "missing.png"}, {"empty.png", "empty.png"}, {"cut.png", "cut.png"}}) {
    std::ofstream(dir.path / "bad.tsv") << "scene_000.png\ta red circle\n" << image << "\ta blue square\n";
    CHECK_THROWS_WITH(caption::read_captioned_images(dir.path, dir.path / "bad.tsv", {}),
                      Contains("bad.tsv line 2") && Contains(message));
  }
  std::ofstream(dir.path / "few.tsv") << "scene_000.png\ta red circle\n";
  CHECK_THROWS_WITH(caption::read_captioned_images(dir.path, dir.path / "few.tsv", {}),
                    Contains("only 1 usable pairs"));
  CHECK_THROWS_WITH(caption::read_captioned_images(dir.path / "nowhere", dir.path / "few.tsv", {}),
                    Contains("not a directory"));
  std::ofstream(dir.path / "blank.tsv").close();
  CHECK_THROWS_WITH(caption::read_captioned_images(dir.path, dir.path / "blank.tsv", {}),
                    Contains("the file has no lines"));
}

TEST_CASE("caption's models refuse what they cannot use") {
  const Vocabulary v = vocabulary_of(caption::make_scenes("shapes", 4, 1, 1).train);
  CHECK_THROWS_WITH(caption::make_model(small("lstm", v, 48, 48)),
                    "--model: unknown model 'lstm'; choose one of: sat, transformer, none");
  CHECK_THROWS_WITH(caption::make_model(small("sat", v, 50, 48)),
                    "the image size must be a multiple of 16 each way (four 2×2 pools), got 50×48");
  caption::ModelConfig sideways = small("sat", v, 48, 48);
  sideways.sat_attention = "during";
  CHECK_THROWS_WITH(caption::make_model(sideways),
                    "--sat-attention: unknown order 'during'; choose one of: after, before");
  caption::ModelConfig zero = small("sat", v, 48, 48);
  zero.hidden = 0;
  CHECK_THROWS_WITH(caption::make_model(zero), "make_model: the vocabulary and the sizes must be positive");
}
