// Tokenizers: the character vocabulary (code points, UTF-8 validation, unknown characters,
// metadata round trip) and byte-level BPE (merges known by hand, the incremental trainer and
// the heap encoder against a plain recount-everything reference, round trips of any bytes and of
// real files, metadata round trip and every corruption error).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <attograd/core/core.hpp>
#include <attograd/seq/seq.hpp>

using namespace attograd;
using namespace attograd::seq;
using Catch::Matchers::StartsWith;

namespace {

std::string random_bytes(Generator& g, std::size_t n, unsigned alphabet = 256) {
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(g.below(alphabet));
  return s;
}

// The textbook algorithm, recounting everything each step: the most frequent adjacent pair
// (ties to the lowest ids) merged left to right, until vocab_size or no pair is left.
std::vector<ByteBPE::Merge> reference_train(const std::string& text, std::size_t vocab_size) {
  TokenIds ids(text.begin(), text.end());
  for (auto& id : ids) id = static_cast<unsigned char>(id);
  std::vector<ByteBPE::Merge> merges;
  while (256 + merges.size() < vocab_size && ids.size() >= 2) {
    std::map<ByteBPE::Merge, std::size_t> count;
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) ++count[{ids[i], ids[i + 1]}];
    auto best = count.begin();
    for (auto it = count.begin(); it != count.end(); ++it)
      if (it->second > best->second) best = it;  // map order: the first of equals is the lowest
    const auto new_id = static_cast<std::int64_t>(256 + merges.size());
    merges.push_back(best->first);
    TokenIds next;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i + 1 < ids.size() && ByteBPE::Merge{ids[i], ids[i + 1]} == best->first) {
        next.push_back(new_id);
        ++i;
      } else {
        next.push_back(ids[i]);
      }
    }
    ids = next;
  }
  return merges;
}

// Encoding the textbook way: while some adjacent pair has a merge, apply the lowest-ranked one
// everywhere, left to right.
TokenIds reference_encode(const ByteBPE& bpe, const std::string& bytes) {
  TokenIds ids;
  for (const char c : bytes) ids.push_back(static_cast<unsigned char>(c));
  const auto& merges = bpe.merges();
  for (;;) {
    std::size_t best = merges.size();
    for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
      const auto it = std::find(merges.begin(), merges.end(), ByteBPE::Merge{ids[i], ids[i + 1]});
      best = std::min(best, static_cast<std::size_t>(it - merges.begin()));
    }
    if (best == merges.size()) return ids;
    TokenIds next;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (i + 1 < ids.size() && ByteBPE::Merge{ids[i], ids[i + 1]} == merges[best]) {
        next.push_back(static_cast<std::int64_t>(256 + best));
        ++i;
      } else {
        next.push_back(ids[i]);
      }
    }
    ids = next;
  }
}

// The files of /usr/share/common-licenses (Debian's base-files), or none.
std::vector<std::string> license_texts() {
  std::vector<std::string> texts;
  const std::filesystem::path dir = "/usr/share/common-licenses";
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return texts;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    texts.push_back(s.str());
  }
  return texts;
}

}  // namespace

TEST_CASE("CharVocabulary: code points in increasing order, encode and decode round-trip") {
  const std::string text = "hello, w\xC3\xB6rld \xF0\x9F\x98\x80\n";  // "hello, wörld 😀\n"
  const CharVocabulary vocab(text);
  CHECK(vocab.size() == 12);
  CHECK(vocab.characters() ==
        std::vector<char32_t>{U'\n', U' ', U',', U'd', U'e', U'h', U'l', U'o', U'r', U'w', 0xF6, 0x1F600});
  const TokenIds ids = vocab.encode(text);
  CHECK(ids.size() == 15);  // characters, not the 19 bytes
  CHECK(ids[0] == 5);       // 'h'
  CHECK(ids[8] == 10);      // 'ö'
  CHECK(ids[13] == 11);     // '😀'
  CHECK(vocab.decode(ids) == text);
  CHECK(vocab.token(10) == "\xC3\xB6");
  CHECK(vocab.contains(U'w'));
  CHECK(!vocab.contains(U'x'));
  CHECK(CharVocabulary("").size() == 0);
  CHECK(CharVocabulary("").encode("").empty());
}

TEST_CASE("CharVocabulary: unknown characters and ids name themselves and their position") {
  const CharVocabulary vocab("w\xC3\xB6rld\n");
  CHECK_THROWS_WITH(vocab.encode("wxd"),
                    "CharVocabulary::encode: character 'x' (U+0078) at character 1 (byte 1) is not in the vocabulary "
                    "of 6 characters; build the vocabulary from text that contains it");
  CHECK_THROWS_WITH(vocab.encode("w\xC3\xB6\xC3\xA9"), StartsWith("CharVocabulary::encode: character '\xC3\xA9' "
                                                                  "(U+00E9) at character 2 (byte 3) is not in"));
  CHECK_THROWS_WITH(vocab.encode("\t"), StartsWith("CharVocabulary::encode: character '\\t' (U+0009) at character 0"));
  CHECK_THROWS_WITH(vocab.encode("\a"), StartsWith("CharVocabulary::encode: character U+0007 at character 0"));
  CHECK_THROWS_WITH(vocab.decode({0, 6}),
                    "CharVocabulary::decode: id 6 at position 1 is outside the vocabulary of 6 characters");
  CHECK_THROWS_WITH(vocab.decode({-1}),
                    "CharVocabulary::decode: id -1 at position 0 is outside the vocabulary of 6 characters");
  CHECK_THROWS_WITH(vocab.token(7), "CharVocabulary::token: id 7 is outside the vocabulary of 6 characters");
}

TEST_CASE("CharVocabulary: invalid UTF-8 is refused with the byte offset of the first bad sequence") {
  const auto message = [](const std::string& text) {
    try {
      CharVocabulary v(text);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("ab\xC3(") ==
        "CharVocabulary: invalid UTF-8 at byte 2 (0xC3 0x28): byte 2 of a 2-byte sequence is not a continuation byte; "
        "pass UTF-8 text");
  CHECK(message("a\x80") ==
        "CharVocabulary: invalid UTF-8 at byte 1 (0x80): a continuation byte with no lead byte before it; pass UTF-8 "
        "text");
  CHECK(message("\xC0\xAF") ==
        "CharVocabulary: invalid UTF-8 at byte 0 (0xC0 0xAF): byte 0xC0 never appears in "
        "UTF-8; pass UTF-8 text");
  CHECK(message("\xFF") ==
        "CharVocabulary: invalid UTF-8 at byte 0 (0xFF): byte 0xFF never appears in UTF-8; pass "
        "UTF-8 text");
  CHECK(message("xy\xE0\x80\xAF") ==
        "CharVocabulary: invalid UTF-8 at byte 2 (0xE0 0x80 0xAF): an overlong encoding "
        "(a shorter sequence encodes this code point); pass UTF-8 text");
  CHECK(message("\xED\xA0\x80") ==
        "CharVocabulary: invalid UTF-8 at byte 0 (0xED 0xA0 0x80): a UTF-16 surrogate "
        "(U+D800-U+DFFF); pass UTF-8 text");
  CHECK(message("\xF4\x90\x80\x80") ==
        "CharVocabulary: invalid UTF-8 at byte 0 (0xF4 0x90 0x80 0x80): a code point "
        "past U+10FFFF; pass UTF-8 text");
  CHECK(message("ok\xE2\x82") ==
        "CharVocabulary: invalid UTF-8 at byte 2 (0xE2 0x82): the text ends inside a 3-byte "
        "sequence; pass UTF-8 text");
  CHECK(message(std::string("nul \0 is fine", 13)) == "no error");
  CHECK_THROWS_WITH(CharVocabulary("ab").encode("a\xC3"),
                    StartsWith("CharVocabulary::encode: invalid UTF-8 at byte 1 (0xC3): the text ends inside"));
}

TEST_CASE("CharVocabulary: to_string / from_string round-trip, and corrupted text is refused") {
  const CharVocabulary vocab("First Citizen:\nBefore we proceed any further, hear me speak. \xC3\xA9");
  const std::string saved = vocab.to_string();
  CHECK_THAT(saved, StartsWith("attograd.CharVocabulary 1\n\n ,.:BCFacd"));
  CHECK(CharVocabulary::from_string(saved).characters() == vocab.characters());
  CHECK(CharVocabulary::from_string(CharVocabulary().to_string()).size() == 0);

  CHECK_THROWS_WITH(CharVocabulary::from_string("attograd.CharVocab 1\nab"),
                    "CharVocabulary::from_string: the text does not start with \"attograd.CharVocabulary 1\\n\" (it "
                    "starts with \"attograd.CharVocab 1\\nab\"); pass what CharVocabulary::to_string() returned");
  CHECK_THROWS_WITH(CharVocabulary::from_string("attograd.CharVocabulary 1\nab\xC3"),
                    StartsWith("CharVocabulary::from_string: invalid UTF-8 at byte 28 (0xC3): the text ends inside"));
  CHECK_THROWS_WITH(CharVocabulary::from_string("attograd.CharVocabulary 1\nacb"),
                    "CharVocabulary::from_string: character 'b' (U+0062) for id 2 does not come after 'c' (U+0063) (id "
                    "1): the stored characters must be in increasing code-point order without repeats, so the text "
                    "was changed or corrupted");
  CHECK_THROWS_WITH(CharVocabulary::from_string("attograd.CharVocabulary 1\naa"),
                    StartsWith("CharVocabulary::from_string: character 'a' (U+0061) for id 1 does not come after 'a'"));
}

TEST_CASE("ByteBPE: merges on a text small enough to follow by hand") {
  // "aaabdaaabac": aa occurs 4 times (overlaps counted) -> 256 = aa, giving "Z a b d Z a b a c";
  // then Za and ab tie at 2 and the lower ids win -> 257 = ab; then 258 = (256, 257) = "aaab".
  const std::string text = "aaabdaaabac";
  const ByteBPE bpe = ByteBPE::train(text, 259);
  CHECK(bpe.vocab_size() == 259);
  CHECK(bpe.merges() == std::vector<ByteBPE::Merge>{{97, 97}, {97, 98}, {256, 257}});
  CHECK(bpe.token(258) == "aaab");
  CHECK(bpe.encode(text) == TokenIds{258, 'd', 258, 'a', 'c'});
  CHECK(bpe.encode("aaaa") == TokenIds{256, 256});
  CHECK(bpe.encode("aaaaa") == TokenIds{256, 256, 'a'});  // left to right
  CHECK(bpe.encode("aab") == TokenIds{256, 'b'});         // aa has the lower rank than ab
  CHECK(bpe.decode(bpe.encode(text)) == text);
  // From there every pair occurs once: (97, 99) "ac", (100, 258) "daaab", (258, 260), (261, 259).
  const ByteBPE all = ByteBPE::train(text, 1000);
  CHECK(all.vocab_size() == 263);  // stopped when the text was one token
  CHECK(all.merges() ==
        std::vector<ByteBPE::Merge>{{97, 97}, {97, 98}, {256, 257}, {97, 99}, {100, 258}, {258, 260}, {261, 259}});
  CHECK(all.encode(text) == TokenIds{262});
  CHECK(ByteBPE::train(text, 256).merges().empty());
  CHECK(ByteBPE::train("", 300).vocab_size() == 256);
  CHECK(ByteBPE::train("x", 300).vocab_size() == 256);
  CHECK(ByteBPE().encode("hi") == TokenIds{'h', 'i'});
  CHECK_THROWS_WITH(ByteBPE::train(text, 255),
                    "ByteBPE::train: vocab_size 255 is below 256, the byte alphabet every ByteBPE starts from; pass "
                    "256 (bytes only) or more");
}

TEST_CASE("ByteBPE: the incremental trainer and the heap encoder match the recount-everything algorithm") {
  Generator g(21);
  for (int trial = 0; trial < 30; ++trial) {
    // Few distinct bytes, so pairs repeat, overlap ("aaaa") and tie.
    const std::string text = random_bytes(g, 50 + g.below(400), 2 + static_cast<unsigned>(g.below(5)));
    const std::size_t vocab_size = 256 + g.below(60);
    const ByteBPE bpe = ByteBPE::train(text, vocab_size);
    INFO("trial " << trial);
    REQUIRE(bpe.merges() == reference_train(text, vocab_size));
    CHECK(bpe.encode(text) == reference_encode(bpe, text));
    const std::string other = random_bytes(g, g.below(200), 6);
    CHECK(bpe.encode(other) == reference_encode(bpe, other));
  }
}

TEST_CASE("ByteBPE: any bytes round-trip - random bytes of every length, NUL, invalid UTF-8") {
  Generator g(5);
  const ByteBPE on_random = ByteBPE::train(random_bytes(g, 20000, 16), 400);
  const std::vector<std::string> texts = license_texts();
  const ByteBPE on_text = texts.empty() ? ByteBPE::train("the quick brown fox jumps over the lazy dog", 300)
                                        : ByteBPE::train(texts[0], 400);
  for (const ByteBPE* bpe : {&on_random, &on_text}) {
    for (std::size_t n = 0; n < 300; ++n) {
      const std::string x = random_bytes(g, n, n % 2 == 0 ? 256 : 16);
      CHECK(bpe->decode(bpe->encode(x)) == x);
    }
    const std::string odd("\0\0\xFF\xC3(\xED\xA0\x80 the \0", 13);
    CHECK(bpe->decode(bpe->encode(odd)) == odd);
  }
  CHECK_THROWS_WITH(on_text.decode({'a', 400}),
                    "ByteBPE::decode: id 400 at position 1 is outside the vocabulary of 400 tokens");
  CHECK_THROWS_WITH(on_text.token(-1), "ByteBPE::token: id -1 is outside the vocabulary of 400 tokens");
}

TEST_CASE("ByteBPE: trained on real files, every file round-trips and compresses") {
  const std::vector<std::string> texts = license_texts();
  if (texts.empty()) {
    WARN("/usr/share/common-licenses is absent: skipped");
    return;
  }
  std::string corpus;
  for (std::size_t i = 0; i < texts.size(); i += 2) corpus += texts[i];  // train on half the files
  const ByteBPE bpe = ByteBPE::train(corpus, 512);
  CHECK(bpe.vocab_size() == 512);
  std::size_t bytes = 0, tokens = 0;
  for (const std::string& text : texts) {
    const TokenIds ids = bpe.encode(text);
    CHECK(bpe.decode(ids) == text);
    bytes += text.size();
    tokens += ids.size();
  }
  INFO(bytes << " bytes -> " << tokens << " tokens");
  CHECK(static_cast<double>(bytes) / static_cast<double>(tokens) > 2.0);
}

TEST_CASE("ByteBPE: to_string / from_string round-trip, and corrupted text is refused naming the line") {
  const ByteBPE bpe = ByteBPE::train("aaabdaaabac", 259);
  const std::string saved = bpe.to_string();
  CHECK(saved == "attograd.ByteBPE 1\nvocab_size 259\n97 97\n97 98\n256 257\n");
  const ByteBPE loaded = ByteBPE::from_string(saved);
  CHECK(loaded.merges() == bpe.merges());
  CHECK(loaded.encode("aaabdaaabac") == bpe.encode("aaabdaaabac"));
  CHECK(ByteBPE::from_string(ByteBPE().to_string()).vocab_size() == 256);

  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.BPE 1\nvocab_size 256\n"),
                    "ByteBPE::from_string: the text does not start with the line \"attograd.ByteBPE 1\" (it starts "
                    "with \"attograd.BPE 1\\nvocab_size 256\\n\"); pass what ByteBPE::to_string() returned");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 259\n97 97\n97 98\n256 257"),
                    "ByteBPE::from_string: line 5 (\"256 257\") has no final newline: the text was cut short; pass "
                    "what ByteBPE::to_string() returned");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab 259\n"),
                    "ByteBPE::from_string: line 2 must be \"vocab_size N\", got \"vocab 259\"");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 25x\n"),
                    "ByteBPE::from_string: line 2 must be \"vocab_size N\", got \"vocab_size 25x\"");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 200\n"),
                    "ByteBPE::from_string: vocab_size 200 (line 2) is below 256, the byte alphabet every ByteBPE has");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 259\n97 97\n97 98\n"),
                    "ByteBPE::from_string: vocab_size 259 needs 3 merge lines, but there are 2: the text was cut or "
                    "changed");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 258\n97 97\n97,98\n"),
                    "ByteBPE::from_string: line 4 must be two ids \"left right\", got \"97,98\"");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 258\n97 97\n-1 98\n"),
                    "ByteBPE::from_string: line 4 must be two ids \"left right\", got \"-1 98\"");
  CHECK_THROWS_WITH(
      ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 258\n97 97\n257 98\n"),
      "ByteBPE::from_string: line 4 merges (257, 98) into id 257, but only ids below 257 exist before it");
  CHECK_THROWS_WITH(ByteBPE::from_string("attograd.ByteBPE 1\nvocab_size 259\n97 97\n97 98\n97 97\n"),
                    "ByteBPE::from_string: line 5 repeats the merge (97, 97) of line 3");
  CHECK_THROWS_WITH(ByteBPE::from_string(""), StartsWith("ByteBPE::from_string: the text does not start with"));
}
