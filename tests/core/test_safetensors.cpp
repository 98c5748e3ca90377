// Tests for safetensors I/O: round trips that keep every bit, shape and name order; saves that
// leave the old file intact when they fail or are killed midway; and hand-made malformed files,
// each rejected with a message that names the file and the problem.
#include <attograd/core/safetensors.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <catch2/catch.hpp>
#include <xtensor/xbuilder.hpp>

namespace fs = std::filesystem;
using attograd::Array;
using attograd::Metadata;
using attograd::NamedArrays;
using attograd::Shape;
using Catch::Contains;
using Catch::Matchers::StartsWith;

namespace {

// A fresh directory under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("attograd_test_safetensors_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ignored);
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }

 private:
  fs::path path_;
};

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::byte> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  if (!chars.empty()) std::memcpy(bytes.data(), chars.data(), chars.size());
  return bytes;
}

void write_file(const fs::path& path, const std::vector<std::byte>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<char> chars(bytes.size());
  if (!bytes.empty()) std::memcpy(chars.data(), bytes.data(), bytes.size());
  out.write(chars.data(), static_cast<std::streamsize>(chars.size()));
  REQUIRE(out.good());
}

// A safetensors file made by hand: the little-endian length of `header`, `header` itself, then
// `data_bytes` bytes of data (0, 1, 2, ...), so malformed files need no writer of ours.
std::vector<std::byte> file_bytes(const std::string& header, std::size_t data_bytes) {
  std::vector<std::byte> bytes;
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<std::byte>((header.size() >> (8 * i)) & 0xff));
  }
  for (const char c : header) bytes.push_back(static_cast<std::byte>(c));
  for (std::size_t i = 0; i < data_bytes; ++i) bytes.push_back(static_cast<std::byte>(i & 0xff));
  return bytes;
}

// True when the two lists have the same names, in the same order, with the same shapes and
// bit-identical values (so NaN payloads and -0.0 count too).
bool identical(const NamedArrays& a, const NamedArrays& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Array& x = a[i].second;
    const Array& y = b[i].second;
    if (a[i].first != b[i].first || x.shape() != y.shape()) return false;
    if (x.size() > 0 && std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) {
      return false;
    }
  }
  return true;
}

Array filled(Shape shape, float first, float step) {
  Array array = xt::zeros<float>(shape);
  float value = first;
  for (float& element : array) {
    element = value;
    value += step;
  }
  return array;
}

// Every way a file can be wrong is checked twice: loaded from disk, where the message must
// start with the path, and parsed from memory, where it must start with the source name.
void check_rejected(const std::vector<std::byte>& bytes, const std::string& expected) {
  TempDir dir;
  const fs::path path = dir / "bad.safetensors";
  write_file(path, bytes);
  INFO("expected message to contain: " << expected);
  REQUIRE_THROWS_WITH(attograd::load_safetensors(path), StartsWith(path.string() + ": ") && Contains(expected));
  REQUIRE_THROWS_WITH(attograd::parse_safetensors(bytes, "in-memory"), StartsWith("in-memory: ") && Contains(expected));
  REQUIRE_THROWS_AS(attograd::load_safetensors(path), std::runtime_error);
}

const std::string f32_entry = R"("dtype": "F32", )";

}  // namespace

TEST_CASE("safetensors round trip keeps names, order, shapes, metadata and every bit") {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  const float denormal = std::numeric_limits<float>::denorm_min();
  Array special = {{1.5f, -0.0f, nan, inf}, {-inf, denormal, 3.0e38f, -7.25f}};  // (2, 4)
  Array scalar = xt::zeros<float>(Shape{});                                      // ()
  scalar() = 42.5f;

  // Names out of alphabetical order, and zero-size tensors side by side, so a reader that
  // sorted by name or lost header order would be caught.
  const NamedArrays tensors = {
      {"z.weight", filled({3, 4}, -1.0f, 0.125f)},
      {"special", special},
      {"scalar", scalar},
      {"zz_empty", xt::zeros<float>(Shape{2, 0, 3})},
      {"aa_empty", xt::zeros<float>(Shape{0})},
      {"a.bias", filled({1, 1, 1, 5}, 10.0f, -3.0f)},
  };
  const Metadata metadata = {{"format", "pt"}, {"note", "ünïcode and \"quotes\""}, {"", ""}};

  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  attograd::save_safetensors(path, tensors, metadata);

  const attograd::SafetensorsContent loaded = attograd::load_safetensors(path);
  CHECK(identical(loaded.tensors, tensors));
  CHECK(loaded.metadata == metadata);
  CHECK(loaded.at("scalar").dimension() == 0);
  CHECK(loaded.at("scalar")() == 42.5f);
  CHECK(loaded.at("zz_empty").shape() == Shape{2, 0, 3});
  CHECK(names_in(dir.path()) == std::vector<std::string>{"model.safetensors"});  // no temp left

  SECTION("save writes exactly the bytes serialize_safetensors gives") {
    CHECK(read_file(path) == attograd::serialize_safetensors(tensors, metadata));
  }
  SECTION("parse_safetensors reads what serialize_safetensors writes") {
    const auto parsed = attograd::parse_safetensors(attograd::serialize_safetensors(tensors, metadata), "bytes");
    CHECK(identical(parsed.tensors, tensors));
    CHECK(parsed.metadata == metadata);
  }
  SECTION("saving again replaces the file") {
    const NamedArrays other = {{"only", filled({7}, 0.0f, 1.0f)}};
    attograd::save_safetensors(path, other);
    const auto reloaded = attograd::load_safetensors(path);
    CHECK(identical(reloaded.tensors, other));
    CHECK(reloaded.metadata.empty());
  }
}

TEST_CASE("safetensors writes the layout the Python library writes") {
  const NamedArrays tensors = {{"w", Array{1.0f, -2.0f}}};
  const std::vector<std::byte> bytes = attograd::serialize_safetensors(tensors, {});
  const std::string json = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::size_t padded = (json.size() + 7) / 8 * 8;  // spaces up to a multiple of 8

  REQUIRE(bytes.size() == 8 + padded + 8);
  CHECK(bytes[0] == std::byte{static_cast<unsigned char>(padded)});
  for (int i = 1; i < 8; ++i) CHECK(bytes[i] == std::byte{0});
  std::string header(padded, '\0');
  std::memcpy(header.data(), bytes.data() + 8, padded);
  CHECK(header == json + std::string(padded - json.size(), ' '));
  // 1.0f is 0x3f800000 and -2.0f is 0xc0000000, least significant byte first.
  const std::vector<std::byte> data(bytes.end() - 8, bytes.end());
  CHECK(data == std::vector<std::byte>{std::byte{0x00}, std::byte{0x00}, std::byte{0x80}, std::byte{0x3f},
                                       std::byte{0x00}, std::byte{0x00}, std::byte{0x00}, std::byte{0xc0}});

  const auto empty = attograd::serialize_safetensors({}, {});
  CHECK(empty == file_bytes("{}      ", 0));
  CHECK(attograd::parse_safetensors(empty, "empty").tensors.empty());
}

TEST_CASE("safetensors reads hand-made files: data order, scalars, zero-size tensors") {
  // The header lists "b" first, but "a"'s data comes first: tensors come back in data order.
  // "s" is a 0-d scalar, "e" is empty with offsets [x, x].
  const std::string header = R"({"b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
    "__metadata__": {"format": "pt"},
    "e": {"dtype": "F32", "shape": [3, 0], "data_offsets": [12, 12]},
    "s": {"dtype": "F32", "shape": [], "data_offsets": [12, 16]},
    "a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}})";
  std::vector<std::byte> bytes = file_bytes(header, 0);
  for (const float value : {1.0f, 2.0f, 3.0f, -0.5f}) {
    std::byte raw[sizeof(float)];
    std::memcpy(raw, &value, sizeof(float));
    bytes.insert(bytes.end(), raw, raw + sizeof(float));
  }

  const auto content = attograd::parse_safetensors(bytes, "hand-made");
  REQUIRE(content.tensors.size() == 4);
  CHECK(content.tensors[0].first == "a");
  CHECK(content.tensors[1].first == "b");
  CHECK(content.tensors[2].first == "e");
  CHECK(content.tensors[3].first == "s");
  CHECK(content.at("a") == Array{1.0f});
  CHECK(content.at("b") == Array{2.0f, 3.0f});
  CHECK(content.at("e").shape() == Shape{3, 0});
  CHECK(content.at("s").shape() == Shape{});
  CHECK(content.at("s")() == -0.5f);
  CHECK(content.metadata == Metadata{{"format", "pt"}});

  CHECK(content.contains("b"));
  CHECK_FALSE(content.contains("c"));
  CHECK_THROWS_WITH(content.at("c"), Contains("no tensor named 'c'") && Contains("'a', 'b'"));
}

TEST_CASE("safetensors writes and reads many tensors") {
  // 20 000 tensors take about a second even under sanitizers; code that rescans the header for
  // every tensor (as nlohmann's parser callbacks and ordered_json insertions do) takes minutes,
  // which the suite's per-test timeout would catch. No timing is asserted here.
  NamedArrays tensors;
  for (int i = 0; i < 20000; ++i) {
    tensors.emplace_back(fmt::format("t{}", i), Array{static_cast<float>(i)});
  }
  const auto bytes = attograd::serialize_safetensors(tensors, {});
  const auto content = attograd::parse_safetensors(bytes, "many");
  CHECK(identical(content.tensors, tensors));
}

TEST_CASE("save_safetensors rejects bad tensor names and keeps the old file") {
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  const NamedArrays old = {{"w", filled({2, 2}, 1.0f, 1.0f)}};
  attograd::save_safetensors(path, old);
  const Array x = filled({3}, 0.0f, 1.0f);

  CHECK_THROWS_WITH(attograd::save_safetensors(path, {{"", x}}),
                    StartsWith(path.string()) && Contains("a tensor name is empty"));
  CHECK_THROWS_WITH(attograd::save_safetensors(path, {{"__metadata__", x}}), Contains("'__metadata__' is reserved"));
  CHECK_THROWS_WITH(attograd::save_safetensors(path, {{"a", x}, {"b", x}, {"a", x}}),
                    Contains("duplicate tensor name 'a'"));
  CHECK_THROWS_WITH(attograd::save_safetensors(path, {{"bad \xff utf-8", x}}), Contains("must be valid UTF-8"));
  CHECK_THROWS_WITH(attograd::serialize_safetensors({{"", x}}, {}),
                    StartsWith("serialize_safetensors: a tensor name is empty"));

  CHECK(identical(attograd::load_safetensors(path).tensors, old));
  CHECK(names_in(dir.path()) == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("save_safetensors writes a device or a pipe in place, never renaming a file over it") {
  TempDir dir;
  const NamedArrays x = {{"w", filled({2, 2}, 1.0f, 1.0f)}};
  attograd::save_safetensors("/dev/null", x);  // a device takes the bytes and stays a device
  CHECK(fs::is_character_file("/dev/null"));
  if (fs::exists("/dev/full")) {
    CHECK_THROWS_WITH(attograd::save_safetensors("/dev/full", x),
                      StartsWith("/dev/full") && Contains("cannot write it: No space left on device"));
    CHECK(fs::is_character_file("/dev/full"));
  }
  const fs::path fifo = dir / "pipe";  // nobody reads it: an error at once, not a hang
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  CHECK_THROWS_WITH(attograd::save_safetensors(fifo, x),
                    StartsWith(fifo.string()) && Contains("cannot open it: No such device or address"));
  CHECK(fs::is_fifo(fifo));
}

TEST_CASE("save_safetensors that fails while writing keeps the old file and removes its temp") {
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  const NamedArrays old = {{"w", filled({4}, 1.0f, 1.0f)}};
  attograd::save_safetensors(path, old);

  // In a child process, cap the file size so that the write of a 4 MB tensor fails with EFBIG
  // midway, as a full disk would. The child reports what it saw through its exit code.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    int code = 0;
    const rlimit limit{64 * 1024, 64 * 1024};
    std::signal(SIGXFSZ, SIG_IGN);  // get EFBIG from write() instead of being killed
    ::setrlimit(RLIMIT_FSIZE, &limit);
    try {
      attograd::save_safetensors(path, {{"big", xt::zeros<float>(Shape{1024, 1024})}});
      code = 10;  // the save should have failed
    } catch (const std::runtime_error& e) {
      const std::string message = e.what();
      if (message.rfind(path.string() + ": cannot write ", 0) != 0) code = 11;
      if (message.find(std::strerror(EFBIG)) == std::string::npos) code = 12;
    } catch (...) {
      code = 13;
    }
    ::_exit(code);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);  // 10: no error; 11: wrong path; 12: no strerror

  CHECK(identical(attograd::load_safetensors(path).tensors, old));
  CHECK(names_in(dir.path()) == std::vector<std::string>{"model.safetensors"});
}

TEST_CASE("save_safetensors into a read-only directory fails and keeps the old file") {
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  const NamedArrays old = {{"w", filled({4}, 1.0f, 1.0f)}};
  attograd::save_safetensors(path, old);
  fs::permissions(dir.path(), fs::perms::owner_read | fs::perms::owner_exec);

  if (::access(dir.path().c_str(), W_OK) == 0) {  // root ignores directory permissions
    WARN("skipped: this user can write to a read-only directory (root?)");
    return;
  }
  CHECK_THROWS_WITH(attograd::save_safetensors(path, {{"new", filled({8}, 0.0f, 1.0f)}}),
                    StartsWith(path.string() + ": cannot create ") && Contains(std::strerror(EACCES)));
  CHECK(identical(attograd::load_safetensors(path).tensors, old));
}

TEST_CASE("save_safetensors killed midway leaves the old or the complete new file") {
  TempDir dir;
  const fs::path path = dir / "model.safetensors";
  const NamedArrays old = {{"old", filled({1000}, -1.0f, 0.0f)}};
  // 16 MB, so that each save spends a while writing and a kill lands mid-save.
  const NamedArrays fresh = {{"a", filled({1024, 1024}, 0.0f, 1.0f)},
                             {"b", filled({1024, 1024}, 0.5f, 1.0f)},
                             {"c", filled({2048, 1024}, 1.0f, -1.0f)}};
  bool saw_leftover_temp = false;

  for (const int delay_ms : {5, 20, 45, 80}) {
    attograd::save_safetensors(path, old);
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {  // save over and over until killed
      ::close(ready[0]);
      const char go = 'g';
      if (::write(ready[1], &go, 1) != 1) ::_exit(4);
      try {
        for (int i = 0; i < 100000; ++i) attograd::save_safetensors(path, fresh);
      } catch (...) {
        ::_exit(3);
      }
      ::_exit(0);
    }
    ::close(ready[1]);
    char go = 0;
    REQUIRE(::read(ready[0], &go, 1) == 1);
    ::close(ready[0]);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    REQUIRE(::kill(child, SIGKILL) == 0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(WTERMSIG(status) == SIGKILL);

    INFO("killed after " << delay_ms << " ms");
    const auto loaded = attograd::load_safetensors(path);
    CHECK((identical(loaded.tensors, old) || identical(loaded.tensors, fresh)));
    for (const std::string& name : names_in(dir.path())) {
      if (name != "model.safetensors") saw_leftover_temp = true;
    }
  }
  // A temp file left by a killed child shows that some kill did interrupt a save.
  CHECK(saw_leftover_temp);
}

TEST_CASE("load_safetensors rejects malformed files, naming the file and the problem") {
  SECTION("missing file") {
    TempDir dir;
    const fs::path path = dir / "missing.safetensors";
    REQUIRE_THROWS_WITH(attograd::load_safetensors(path),
                        StartsWith(path.string()) && Contains("cannot open") && Contains(std::strerror(ENOENT)));
  }
  SECTION("a directory") {
    TempDir dir;
    REQUIRE_THROWS_WITH(attograd::load_safetensors(dir.path()), Contains("not a regular file"));
  }
  SECTION("file shorter than 8 bytes") {
    const std::vector<std::byte> bytes = {std::byte{1}, std::byte{0}, std::byte{0}};
    check_rejected(bytes, "file is 3 bytes, too short for the 8-byte header length");
    check_rejected({}, "file is 0 bytes");
  }
  SECTION("header length larger than the file") {
    std::vector<std::byte> bytes = file_bytes("{}", 8);
    bytes[0] = std::byte{100};
    check_rejected(bytes, "header length 100 exceeds the 10 bytes that follow the length field");
    bytes[7] = std::byte{0x80};  // about 9.2e18: must not overflow anything
    check_rejected(bytes, "header length 9223372036854775908 exceeds the 10 bytes");
  }
  SECTION("header length over the 100 MB limit") {
    // A sparse 150 MB file: the length is checked before the header is read.
    TempDir dir;
    const fs::path path = dir / "huge.safetensors";
    std::vector<std::byte> bytes = file_bytes("", 0);
    const std::uint64_t length = 120'000'000;
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<std::byte>((length >> (8 * i)) & 0xff);
    write_file(path, bytes);
    fs::resize_file(path, 150'000'000);
    REQUIRE_THROWS_WITH(attograd::load_safetensors(path),
                        Contains("header length 120000000 exceeds the limit of 100000000 bytes"));
  }
  SECTION("header not JSON") {
    check_rejected(file_bytes(R"({"w": {"dtype": )", 0), "header is not valid JSON");
    check_rejected(file_bytes("{\"w\xff\": 1}", 0), "header is not valid JSON");  // bad UTF-8
    check_rejected(file_bytes(R"({"w": 1e999})", 0), "header is not valid JSON");
  }
  SECTION("header JSON not an object") {
    check_rejected(file_bytes("[1, 2]", 0), "header must be a JSON object, got array");
    check_rejected(file_bytes("  \"text\"  ", 0), "header must be a JSON object, got string");
    // Deep nesting must not exhaust the stack while parsing or freeing the document.
    check_rejected(file_bytes(std::string(100000, '[') + std::string(100000, ']'), 0),
                   "header must be a JSON object, got array");
  }
  SECTION("entry not an object") {
    check_rejected(file_bytes(R"({"w": [1, 2]})", 0),
                   "tensor 'w' must be an object with dtype, shape and data_offsets, got array");
  }
  SECTION("entry missing dtype, shape or data_offsets, or with an extra key") {
    check_rejected(file_bytes(R"({"w": {"shape": [1], "data_offsets": [0, 4]}})", 4), "tensor 'w' has no 'dtype'");
    check_rejected(file_bytes(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4), "tensor 'w' has no 'shape'");
    check_rejected(file_bytes(R"({"w": {"dtype": "F32", "shape": [1]}})", 4), "tensor 'w' has no 'data_offsets'");
    check_rejected(file_bytes(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "x": 0}})", 4),
                   "tensor 'w' has an unexpected key 'x'");
  }
  SECTION("dtype other than F32") {
    for (const std::string dtype : {"F16", "BF16", "F64", "I64", "U8", "BOOL", "f32"}) {
      check_rejected(file_bytes(R"({"w": {"dtype": ")" + dtype + R"(", "shape": [1], "data_offsets": [0, 4]}})", 4),
                     "tensor 'w' has dtype " + dtype + ", but attograd reads F32 (float32) tensors only");
    }
    check_rejected(file_bytes(R"({"w": {"dtype": 32, "shape": [1], "data_offsets": [0, 4]}})", 4),
                   "tensor 'w' dtype must be a string, got 32");
  }
  SECTION("shape with a negative or non-integer entry") {
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [2, -1], "data_offsets": [0, 4]}})", 4),
                   "tensor 'w' shape [2,-1] has an entry that is not a non-negative integer: -1");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [1.5], "data_offsets": [0, 4]}})", 4),
                   "not a non-negative integer: 1.5");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": ["2"], "data_offsets": [0, 8]}})", 8),
                   R"(not a non-negative integer: "2")");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": 2, "data_offsets": [0, 8]}})", 8),
                   "tensor 'w' shape must be an array of non-negative integers, got 2");
    check_rejected(
        file_bytes(R"({"w": {)" + f32_entry + R"("shape": [18446744073709551616], "data_offsets": [0, 8]}})", 8),
        "not a non-negative integer: 1.8446744073709552e+19");
  }
  SECTION("shape too large or with too many dimensions") {
    check_rejected(
        file_bytes(R"({"w": {)" + f32_entry + R"("shape": [4294967296, 4294967296, 16], "data_offsets": [0, 4]}})", 4),
        "tensor 'w' has shape (4294967296, 4294967296, 16), too large: its size in "
        "bytes overflows");
    // A zero makes the tensor empty but xtensor still computes strides from the other sizes.
    check_rejected(
        file_bytes(R"({"w": {)" + f32_entry + R"("shape": [0, 4611686018427387904, 4], "data_offsets": [0, 0]}})", 0),
        "too large: its size in bytes overflows");
    std::string dims = "1";
    for (int i = 1; i < 65; ++i) dims += ", 1";
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [)" + dims + R"(], "data_offsets": [0, 4]}})", 4),
                   "tensor 'w' has 65 dimensions; at most 64 are allowed");
  }
  SECTION("data_offsets malformed") {
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [1], "data_offsets": [0]}})", 4),
                   "tensor 'w' data_offsets must be two non-negative integers [begin, end], got [0]");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [1], "data_offsets": [-4, 0]}})", 4),
                   "data_offsets must be two non-negative integers");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [0], "data_offsets": [4, 0]}})", 4),
                   "tensor 'w' data_offsets [4, 0] begin after they end");
  }
  SECTION("size mismatch between shape and data_offsets") {
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [3, 4], "data_offsets": [0, 40]}})", 40),
                   "tensor 'w' has shape (3, 4) (48 bytes) but data_offsets [0, 40] span 40 bytes");
  }
  SECTION("data_offsets out of range") {
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [10], "data_offsets": [0, 40]}})", 8),
                   "tensor 'w' data_offsets [0, 40] run past the end of the 8-byte data buffer");
    check_rejected(file_bytes(R"({"w": {)" + f32_entry +
                                  R"("shape": [1], "data_offsets": [18446744073709551612, 18446744073709551616]}})",
                              8),
                   "data_offsets must be two non-negative integers");
  }
  SECTION("overlapping tensors") {
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [0, 16]},
                                  "b": {)" +
                                  f32_entry + R"("shape": [4], "data_offsets": [8, 24]}})",
                              24),
                   "tensors 'a' (data_offsets [0, 16]) and 'b' (data_offsets [8, 24]) overlap");
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [0, 16]},
                                  "b": {)" +
                                  f32_entry + R"("shape": [4], "data_offsets": [0, 16]}})",
                              16),
                   "overlap");
    // A zero-size tensor may not sit inside another either.
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [0, 16]},
                                  "e": {)" +
                                  f32_entry + R"("shape": [0], "data_offsets": [8, 8]}})",
                              16),
                   "tensors 'a' (data_offsets [0, 16]) and 'e' (data_offsets [8, 8]) overlap");
  }
  SECTION("gap between tensors") {
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [0, 16]},
                                  "b": {)" +
                                  f32_entry + R"("shape": [4], "data_offsets": [24, 40]}})",
                              40),
                   "gap of 8 bytes between tensor 'a' (ends at 16) and tensor 'b' (begins at 24)");
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [4, 20]}})", 20),
                   "gap of 4 bytes between the start of the data buffer and tensor 'a'");
  }
  SECTION("trailing bytes after the last tensor") {
    check_rejected(file_bytes(R"({"a": {)" + f32_entry + R"("shape": [4], "data_offsets": [0, 16]}})", 24),
                   "8 trailing bytes after the last tensor: the tensors end at offset 16 of a "
                   "24-byte data buffer");
    check_rejected(file_bytes("{}", 3), "3 trailing bytes after the last tensor");
  }
  SECTION("duplicate tensor names") {
    check_rejected(file_bytes(R"({"w": {)" + f32_entry + R"("shape": [1], "data_offsets": [0, 4]},
                                  "w": {)" +
                                  f32_entry + R"("shape": [1], "data_offsets": [4, 8]}})",
                              8),
                   "duplicate tensor name 'w' in the header");
    check_rejected(file_bytes(R"({"w": {"dtype": "F32", "dtype": "F16", "shape": [1], "data_offsets": [0, 4]}})", 4),
                   "duplicate key 'dtype' in the header");
    check_rejected(file_bytes(R"({"__metadata__": {"k": "1", "k": "2"}})", 0), "duplicate key 'k'");
  }
  SECTION("metadata malformed") {
    check_rejected(file_bytes(R"({"__metadata__": {"epoch": 3}})", 0),
                   "__metadata__ value for 'epoch' must be a string, got number 3");
    check_rejected(file_bytes(R"({"__metadata__": {"nested": {"a": "b"}}})", 0),
                   "__metadata__ value for 'nested' must be a string, got object");
    check_rejected(file_bytes(R"({"__metadata__": ["a", "b"]})", 0),
                   "__metadata__ must be an object of strings, got array");
  }
  SECTION("the data is checked before any of it is trusted: a valid file cut short") {
    const auto good = attograd::serialize_safetensors({{"w", filled({16}, 0.0f, 1.0f)}}, {});
    const std::vector<std::byte> cut(good.begin(), good.end() - 4);
    check_rejected(cut, "tensor 'w' data_offsets [0, 64] run past the end of the 60-byte data buffer");
  }
}
