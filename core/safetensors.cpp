// safetensors I/O: the file format PyTorch users exchange weights in, so attograd checkpoints
// load in PyTorch and back.
//
//   [8 bytes]  N, the header length, a little-endian u64
//   [N bytes]  UTF-8 JSON: {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
//                           ..., "__metadata__": {"key": "value"}}
//   [rest]     the data buffer; each tensor's bytes are [b, e) counted from its start
//
// Reading: the whole header is validated (types, sizes, offsets, a layout with no overlaps,
// gaps or trailing bytes) before a single byte of data is copied, so a hostile or truncated
// file is an exception, never garbage or an out-of-bounds read. Writing: to a temporary file
// that is fsync'ed and then renamed over the target, so a crash leaves the old file intact.
#include <attograd/core/safetensors.hpp>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <set>
#include <stdexcept>
#include <string_view>
#include <tuple>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace attograd {

// Tensor data is copied byte for byte between the file and float storage; safetensors is
// little-endian, so that copy is only right on a little-endian machine.
static_assert(std::endian::native == std::endian::little, "attograd's safetensors I/O assumes a little-endian machine");

namespace {

using Json = nlohmann::json;

constexpr std::uint64_t header_length_bytes = 8;
// The Python safetensors library refuses headers over 100 MB; so do we, so that a corrupt
// length cannot make us allocate gigabytes before anything else is checked.
constexpr std::uint64_t max_header_length = 100'000'000;
// No real model has more dimensions than this; the limit stops a small header from asking for
// huge shape and stride arrays.
constexpr std::size_t max_dims = 64;
constexpr std::uint64_t float_bytes = sizeof(float);

[[noreturn]] void fail(const std::string& source, const std::string& problem) {
  throw std::runtime_error(source + ": " + problem);
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

// A JSON value as it appeared, cut short so that a huge value cannot flood an error message.
std::string brief(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  constexpr std::size_t max_chars = 60;
  if (text.size() > max_chars) text = text.substr(0, max_chars) + "...";
  return text;
}

std::string offsets_str(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// Reads a non-negative JSON integer into `size`. nlohmann stores numbers written without a
// sign as unsigned, and "-0" as a signed zero, which is still a valid size. (An out-parameter
// rather than std::optional: GCC 12 at -O2 warns falsely about optionals here.)
bool read_size(const Json& value, std::uint64_t& size) {
  if (value.is_number_unsigned()) {
    size = value.get<std::uint64_t>();
    return true;
  }
  if (value.is_number_integer() && value.get<std::int64_t>() == 0) {
    size = 0;
    return true;
  }
  return false;
}

// One tensor as the header describes it, already validated.
struct Entry {
  std::string name;
  Shape shape;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  std::size_t header_position = 0;  // breaks ties between zero-size tensors at one offset
};

struct Header {
  std::vector<Entry> entries;  // sorted by position in the data buffer: file order
  Metadata metadata;
};

// A first pass over the header through nlohmann's SAX interface. It rejects bad JSON and keys
// repeated at any depth - nlohmann's document silently keeps the last of two equal keys, and a
// file whose tensor "w" means one thing to us and another to a different reader is exactly what
// the checks are for - and it records the order of the top-level keys, which the
// std::map-backed document forgets. (nlohmann's parser callback could do this too, but it
// rescans the enclosing object at the end of every object: quadratic in the number of tensors.)
class HeaderKeyChecker : public nlohmann::json_sax<Json> {
 public:
  explicit HeaderKeyChecker(const std::string& source) : source_(source) {}
  std::vector<std::string> top_level_keys;

  bool start_object(std::size_t /*elements*/) override {
    ++depth_;
    open_objects_.emplace_back();
    return true;
  }
  bool end_object() override {
    --depth_;
    open_objects_.pop_back();
    return true;
  }
  bool start_array(std::size_t /*elements*/) override {
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(std::string& key) override {
    if (!open_objects_.back().insert(key).second) {
      const bool tensor_name = depth_ == 1 && key != "__metadata__";
      fail(source_, (tensor_name ? "duplicate tensor name " : "duplicate key ") + in_quotes(key) + " in the header");
    }
    if (depth_ == 1) top_level_keys.push_back(key);
    return true;
  }
  bool parse_error(std::size_t /*position*/, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& error) override {
    // A syntax error, invalid UTF-8, or a number too large for a double.
    fail(source_, std::string("header is not valid JSON: ") + error.what());
  }

  // Scalars need no checks in this pass.
  bool null() override { return true; }
  bool boolean(bool /*value*/) override { return true; }
  bool number_integer(std::int64_t /*value*/) override { return true; }
  bool number_unsigned(std::uint64_t /*value*/) override { return true; }
  bool number_float(double /*value*/, const std::string& /*text*/) override { return true; }
  bool string(std::string& /*value*/) override { return true; }
  bool binary(Json::binary_t& /*value*/) override { return true; }

 private:
  const std::string& source_;
  std::size_t depth_ = 0;                            // containers open around the next token
  std::vector<std::set<std::string>> open_objects_;  // keys seen so far, innermost object last
};

// The header as a JSON document, and the order of its top-level keys.
Json parse_json(std::string_view text, const std::string& source, std::vector<std::string>& top_level_keys) {
  HeaderKeyChecker checker(source);
  Json::sax_parse(text.begin(), text.end(), &checker);
  top_level_keys = std::move(checker.top_level_keys);
  return Json::parse(text.begin(), text.end());  // cannot fail: the first pass accepted it
}

Metadata parse_metadata(const Json& value, const std::string& source) {
  if (!value.is_object()) {
    fail(source,
         std::string("__metadata__ must be an object of strings, got ") + value.type_name() + " " + brief(value));
  }
  Metadata metadata;
  for (const auto& [key, text] : value.items()) {
    if (!text.is_string()) {
      fail(source, "__metadata__ value for " + in_quotes(key) + " must be a string, got " + text.type_name() + " " +
                       brief(text));
    }
    metadata.emplace(key, text.get<std::string>());
  }
  return metadata;
}

// Checks one tensor's entry and computes its shape; its byte range is checked by the caller.
Entry parse_entry(const std::string& name, const Json& value, const std::string& source) {
  const std::string tensor = "tensor " + in_quotes(name);
  if (!value.is_object()) {
    fail(source, tensor + " must be an object with dtype, shape and data_offsets, got " + value.type_name() + " " +
                     brief(value));
  }
  for (const char* key : {"dtype", "shape", "data_offsets"}) {
    if (!value.contains(key)) fail(source, tensor + " has no '" + key + "'");
  }
  for (const auto& item : value.items()) {
    if (item.key() != "dtype" && item.key() != "shape" && item.key() != "data_offsets") {
      fail(source, tensor + " has an unexpected key " + in_quotes(item.key()));
    }
  }

  const Json& dtype = value.at("dtype");
  if (!dtype.is_string()) {
    fail(source, tensor + " dtype must be a string, got " + brief(dtype));
  }
  if (dtype.get_ref<const std::string&>() != "F32") {
    fail(source, tensor + " has dtype " + dtype.get<std::string>() + ", but attograd reads F32 (float32) tensors only");
  }

  const Json& shape = value.at("shape");
  if (!shape.is_array()) {
    fail(source, tensor + " shape must be an array of non-negative integers, got " + brief(shape));
  }
  if (shape.size() > max_dims) {
    fail(source, tensor + " has " + std::to_string(shape.size()) + " dimensions; at most " + std::to_string(max_dims) +
                     " are allowed");
  }
  Entry entry;
  entry.name = name;
  for (const Json& dim : shape) {
    std::uint64_t size = 0;
    if (!read_size(dim, size)) {
      fail(source,
           tensor + " shape " + brief(shape) + " has an entry that is not a " + "non-negative integer: " + brief(dim));
    }
    entry.shape.push_back(static_cast<std::size_t>(size));
  }

  const Json& offsets = value.at("data_offsets");
  if (!offsets.is_array() || offsets.size() != 2 || !read_size(offsets[0], entry.begin) ||
      !read_size(offsets[1], entry.end)) {
    fail(source, tensor + " data_offsets must be two non-negative integers [begin, end], got " + brief(offsets));
  }
  if (entry.begin > entry.end) {
    fail(source, tensor + " data_offsets " + offsets_str(entry.begin, entry.end) + " begin after they end");
  }
  return entry;
}

// The number of data bytes `shape` needs, refusing shapes whose sizes overflow. Zero-size
// dimensions count as 1 in the overflow check: xtensor computes strides from the other
// dimensions anyway, in signed arithmetic that must not overflow either.
std::uint64_t checked_byte_size(const Entry& entry, const std::string& source) {
  constexpr auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::ptrdiff_t>::max());
  std::uint64_t bytes_if_no_zero = float_bytes;
  bool has_zero = false;
  for (const std::size_t dim : entry.shape) {
    has_zero = has_zero || dim == 0;
    const std::uint64_t factor = std::max<std::uint64_t>(dim, 1);
    if (bytes_if_no_zero > limit / factor) {
      fail(source, "tensor " + in_quotes(entry.name) + " has shape " + shape_str(entry.shape) +
                       ", too large: its size in bytes overflows");
    }
    bytes_if_no_zero *= factor;
  }
  return has_zero ? 0 : bytes_if_no_zero;
}

// Every tensor's byte range must tile the data buffer exactly: sorted by position they start
// at 0, each begins where the previous one ended, and the last ends at the end of the file.
void check_layout(const std::vector<Entry>& sorted, std::uint64_t data_size, const std::string& source) {
  std::uint64_t expected = 0;
  const Entry* previous = nullptr;
  for (const Entry& entry : sorted) {
    if (entry.begin < expected) {
      fail(source, "tensors " + in_quotes(previous->name) + " (data_offsets " +
                       offsets_str(previous->begin, previous->end) + ") and " + in_quotes(entry.name) +
                       " (data_offsets " + offsets_str(entry.begin, entry.end) + ") overlap");
    }
    if (entry.begin > expected) {
      const std::string before =
          previous ? "tensor " + in_quotes(previous->name) + " (ends at " + std::to_string(expected) + ")"
                   : "the start of the data buffer";
      fail(source, "gap of " + std::to_string(entry.begin - expected) + " bytes between " + before + " and tensor " +
                       in_quotes(entry.name) + " (begins at " + std::to_string(entry.begin) + ")");
    }
    expected = entry.end;
    previous = &entry;
  }
  if (expected != data_size) {
    fail(source, std::to_string(data_size - expected) +
                     " trailing bytes after the last tensor: the tensors end at offset " + std::to_string(expected) +
                     " of a " + std::to_string(data_size) + "-byte data buffer");
  }
}

// Everything the header says, checked against the size of the data buffer that follows it.
Header parse_header(std::string_view text, std::uint64_t data_size, const std::string& source) {
  std::vector<std::string> key_order;
  const Json document = parse_json(text, source, key_order);
  if (!document.is_object()) {
    fail(source, std::string("header must be a JSON object, got ") + document.type_name());
  }

  Header header;
  for (const std::string& name : key_order) {
    const Json& value = document.at(name);
    if (name == "__metadata__") {
      header.metadata = parse_metadata(value, source);
      continue;
    }
    Entry entry = parse_entry(name, value, source);
    entry.header_position = header.entries.size();
    const std::uint64_t bytes = checked_byte_size(entry, source);
    if (entry.end - entry.begin != bytes) {
      fail(source, "tensor " + in_quotes(name) + " has shape " + shape_str(entry.shape) + " (" + std::to_string(bytes) +
                       " bytes) but data_offsets " + offsets_str(entry.begin, entry.end) + " span " +
                       std::to_string(entry.end - entry.begin) + " bytes");
    }
    if (entry.end > data_size) {
      fail(source, "tensor " + in_quotes(name) + " data_offsets " + offsets_str(entry.begin, entry.end) +
                       " run past the end of the " + std::to_string(data_size) + "-byte data buffer");
    }
    header.entries.push_back(std::move(entry));
  }

  std::sort(header.entries.begin(), header.entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end, a.header_position) < std::tie(b.begin, b.end, b.header_position);
  });
  check_layout(header.entries, data_size, source);
  return header;
}

void check_file_size(std::uint64_t file_size, const std::string& source) {
  if (file_size < header_length_bytes) {
    fail(source, "file is " + std::to_string(file_size) + " bytes, too short for the 8-byte header length");
  }
}

// Decodes the length prefix (byte by byte, so this reads the same on any machine) and checks
// it against what follows.
std::uint64_t checked_header_length(std::span<const std::byte> prefix, std::uint64_t file_size,
                                    const std::string& source) {
  std::uint64_t length = 0;
  for (std::size_t i = 0; i < header_length_bytes; ++i) {
    length |= std::to_integer<std::uint64_t>(prefix[i]) << (8 * i);
  }
  if (length > file_size - header_length_bytes) {
    fail(source, "header length " + std::to_string(length) + " exceeds the " +
                     std::to_string(file_size - header_length_bytes) + " bytes that follow the length field");
  }
  if (length > max_header_length) {
    fail(source, "header length " + std::to_string(length) + " exceeds the limit of " +
                     std::to_string(max_header_length) + " bytes");
  }
  return length;
}

// ---- POSIX file helpers: they give errno, fsync and rename, which iostreams do not. ----

std::string errno_str() { return std::strerror(errno); }

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  // Closes now and reports failure: on some file systems close() is where a write error shows.
  bool close() {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Reads exactly `size` bytes; read() may return fewer at a time or be interrupted.
void read_exact(int fd, void* out, std::uint64_t size, const std::string& source) {
  auto* dest = static_cast<unsigned char*>(out);
  while (size > 0) {
    const ssize_t got = ::read(fd, dest, size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(source, "cannot read: " + errno_str());
    if (got == 0) fail(source, "file ended early (did it change while being read?)");
    dest += got;
    size -= static_cast<std::uint64_t>(got);
  }
}

// Writes all `size` bytes; returns false with errno set on failure.
bool write_all(int fd, const void* data, std::uint64_t size) {
  const auto* from = static_cast<const unsigned char*>(data);
  while (size > 0) {
    const ssize_t put = ::write(fd, from, size);
    if (put < 0 && errno == EINTR) continue;
    if (put < 0) return false;
    from += put;
    size -= static_cast<std::uint64_t>(put);
  }
  return true;
}

// ---- Writing ----

// The 8-byte length and the JSON header, padded with spaces to a multiple of 8 bytes so that
// the data starts aligned (as the Python library writes it). Checks the names first.
std::string make_prefix_and_header(const NamedArrays& tensors, const Metadata& metadata, const std::string& context) {
  std::set<std::string> seen;
  for (const auto& [name, array] : tensors) {
    if (name.empty()) throw std::invalid_argument(context + ": a tensor name is empty");
    if (name == "__metadata__") {
      throw std::invalid_argument(context + ": '__metadata__' is reserved, not a tensor name");
    }
    if (!seen.insert(name).second) {
      throw std::invalid_argument(context + ": duplicate tensor name " + in_quotes(name));
    }
  }

  // The header is written entry by entry, in the order the data follows. (A whole
  // nlohmann::ordered_json document would do the same, but it searches its keys on every
  // insertion: quadratic in the number of tensors.) The names were checked unique above.
  using OrderedJson = nlohmann::ordered_json;
  std::string text = "{";
  auto append = [&](const std::string& key, const OrderedJson& value) {
    if (text.size() > 1) text += ',';
    text += OrderedJson(key).dump() + ':' + value.dump();
  };
  std::uint64_t offset = 0;
  try {
    if (!metadata.empty()) append("__metadata__", metadata);
    for (const auto& [name, array] : tensors) {
      const std::uint64_t bytes = array.size() * float_bytes;
      const std::vector<std::uint64_t> shape(array.shape().begin(), array.shape().end());
      append(name, {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {offset, offset + bytes}}});
      offset += bytes;
    }
  } catch (const OrderedJson::type_error& e) {
    throw std::invalid_argument(context + ": tensor names and metadata must be valid UTF-8 (" + e.what() + ")");
  }
  text += '}';
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > max_header_length) {
    throw std::invalid_argument(context + ": the header would be " + std::to_string(text.size()) + " bytes, over the " +
                                std::to_string(max_header_length) + "-byte limit readers accept");
  }

  std::string prefix(header_length_bytes, '\0');
  for (std::size_t i = 0; i < header_length_bytes; ++i) {
    prefix[i] = static_cast<char>((text.size() >> (8 * i)) & 0xff);
  }
  return prefix + text;
}

std::filesystem::path temporary_path_for(const std::filesystem::path& path) {
  // The pid keeps processes apart, the counter keeps threads and successive saves apart.
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp = path;
  temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  return temp;
}

// Makes a completed rename durable. Some file systems cannot fsync a directory (EINVAL); the
// rename has happened by then, so that is not worth failing over.
void sync_directory(const std::filesystem::path& dir, const std::string& source) {
  FileDescriptor fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.is_open()) fail(source, "cannot open directory " + dir.string() + ": " + errno_str());
  if (::fsync(fd.get()) != 0 && errno != EINVAL) {
    fail(source, "cannot fsync directory " + dir.string() + ": " + errno_str());
  }
}

}  // namespace

const Array& SafetensorsContent::at(const std::string& name) const {
  for (const auto& [key, array] : tensors) {
    if (key == name) return array;
  }
  // Name a few of the tensors there are, to show what the names look like.
  constexpr std::size_t max_listed = 8;
  std::string names;
  for (std::size_t i = 0; i < std::min(tensors.size(), max_listed); ++i) {
    names += (i > 0 ? ", " : "") + in_quotes(tensors[i].first);
  }
  if (tensors.size() > max_listed) names += ", ... (" + std::to_string(tensors.size()) + " in all)";
  throw std::out_of_range("safetensors: no tensor named " + in_quotes(name) +
                          " (tensors: " + (names.empty() ? "none" : names) + ")");
}

bool SafetensorsContent::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](const auto& named) { return named.first == name; });
}

SafetensorsContent parse_safetensors(std::span<const std::byte> bytes, const std::string& source) {
  check_file_size(bytes.size(), source);
  const std::uint64_t length = checked_header_length(bytes.first(header_length_bytes), bytes.size(), source);
  const auto header_bytes = bytes.subspan(header_length_bytes, length);
  // Viewing bytes as chars is one of the accesses the aliasing rules allow.
  const std::string_view text(reinterpret_cast<const char*>(header_bytes.data()), header_bytes.size());
  const auto data = bytes.subspan(header_length_bytes + length);
  Header header = parse_header(text, data.size(), source);

  SafetensorsContent content;
  content.metadata = std::move(header.metadata);
  for (Entry& entry : header.entries) {
    Array array = Array::from_shape(entry.shape);  // uninitialised; every byte is copied below
    const std::uint64_t size = entry.end - entry.begin;
    if (size > 0) std::memcpy(array.data(), data.data() + entry.begin, size);
    content.tensors.emplace_back(std::move(entry.name), std::move(array));
  }
  return content;
}

SafetensorsContent load_safetensors(const std::filesystem::path& path) {
  const std::string source = path.string();
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.is_open()) fail(source, "cannot open: " + errno_str());
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) fail(source, "cannot stat: " + errno_str());
  if (!S_ISREG(info.st_mode)) fail(source, "not a regular file");
  const auto file_size = static_cast<std::uint64_t>(info.st_size);

  // Read and check the header before any data; then read the data straight into the arrays,
  // in file order, without holding a second copy of the whole file.
  check_file_size(file_size, source);
  std::byte prefix[header_length_bytes];
  read_exact(fd.get(), prefix, header_length_bytes, source);
  const std::uint64_t length = checked_header_length(prefix, file_size, source);
  std::string text(length, '\0');
  read_exact(fd.get(), text.data(), length, source);
  Header header = parse_header(text, file_size - header_length_bytes - length, source);

  SafetensorsContent content;
  content.metadata = std::move(header.metadata);
  for (Entry& entry : header.entries) {
    Array array = Array::from_shape(entry.shape);  // uninitialised; every byte is read below
    read_exact(fd.get(), array.data(), entry.end - entry.begin, source);
    content.tensors.emplace_back(std::move(entry.name), std::move(array));
  }
  return content;
}

std::vector<std::byte> serialize_safetensors(const NamedArrays& tensors, const Metadata& metadata) {
  const std::string head = make_prefix_and_header(tensors, metadata, "serialize_safetensors");
  std::uint64_t total = head.size();
  for (const auto& named : tensors) total += named.second.size() * float_bytes;

  std::vector<std::byte> bytes(total);
  std::memcpy(bytes.data(), head.data(), head.size());
  std::size_t at = head.size();
  for (const auto& [name, array] : tensors) {
    const std::size_t size = array.size() * float_bytes;
    if (size > 0) std::memcpy(bytes.data() + at, array.data(), size);
    at += size;
  }
  return bytes;
}

void save_safetensors(const std::filesystem::path& path, const NamedArrays& tensors, const Metadata& metadata) {
  const std::string source = path.string();
  const std::string head = make_prefix_and_header(tensors, metadata, source);
  // A device or a pipe (/dev/null, /dev/full, a FIFO) is written in place: renaming a temporary
  // file over it would replace the device itself.
  struct stat target {};
  if (::stat(path.c_str(), &target) == 0 && !S_ISREG(target.st_mode) && !S_ISDIR(target.st_mode)) {
    // Opened without blocking, so a pipe nobody reads is an error (ENXIO), not a hang.
    FileDescriptor out(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NONBLOCK));
    if (!out.is_open()) fail(source, "cannot open it: " + errno_str());
    ::fcntl(out.get(), F_SETFL, ::fcntl(out.get(), F_GETFL) & ~O_NONBLOCK);
    bool written = write_all(out.get(), head.data(), head.size());
    for (const auto& named : tensors)
      written = written && write_all(out.get(), named.second.data(), named.second.size() * float_bytes);
    if (!written) fail(source, "cannot write it: " + errno_str());
    if (!out.close()) fail(source, "cannot close it: " + errno_str());
    return;
  }
  const std::filesystem::path temp = temporary_path_for(path);

  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd.is_open()) fail(source, "cannot create " + temp.string() + ": " + errno_str());

  // Any failure before the rename removes the half-written temporary file; the target is
  // untouched until then.
  auto give_up = [&](const std::string& problem) {
    const std::string reason = errno_str();
    if (fd.is_open()) fd.close();
    ::unlink(temp.c_str());
    fail(source, problem + ": " + reason);
  };
  if (!write_all(fd.get(), head.data(), head.size())) give_up("cannot write " + temp.string());
  for (const auto& named : tensors) {
    const Array& array = named.second;
    if (!write_all(fd.get(), array.data(), array.size() * float_bytes)) {
      give_up("cannot write " + temp.string());
    }
  }
  if (::fsync(fd.get()) != 0) give_up("cannot fsync " + temp.string());
  if (!fd.close()) give_up("cannot close " + temp.string());
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    give_up("cannot rename " + temp.string() + " to " + source);
  }

  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  sync_directory(dir, source);
}

}  // namespace attograd
