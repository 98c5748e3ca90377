#!/usr/bin/env bash
# Fuzzes the safetensors reader with libFuzzer, AddressSanitizer and UBSan.
#
#   tests/fuzz/run_fuzzer.sh [SECONDS]      # default 60
#
# Builds the harness with clang straight from core/safetensors.cpp and core/tensor.cpp (no
# CMake, no build tree), runs it for SECONDS on a copy of tests/fuzz/corpus, and exits non-zero
# if it finds a crash, a leak or undefined behaviour; the input that triggered it is kept in
# the work directory the script prints. Needs Debian's clang-14 and libclang-rt-14-dev, plus
# the library's own packages (libxtensor-dev, libfmt-dev, nlohmann-json3-dev).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ $# -gt 1 ]; then
  echo "usage: $0 [SECONDS]" >&2
  exit 2
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

cxx=""
for candidate in "${ATTOGRAD_FUZZ_CXX:-}" clang++-14 clang++; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    cxx="$candidate"
    break
  fi
done
if [ -z "$cxx" ]; then
  echo "run_fuzzer.sh: clang++ not found; libFuzzer needs clang." >&2
  echo "  Debian 12: apt-get install clang-14 libclang-rt-14-dev  (or set ATTOGRAD_FUZZ_CXX)" >&2
  exit 1
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/attograd_fuzz.XXXXXX")"
keep_work=0
cleanup() { [ "$keep_work" = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

# Headers are included as <attograd/...>, so give the compiler a folder where `attograd` is
# the repository root, as the build tree and an install do.
mkdir -p "$work/include"
ln -s "$root" "$work/include/attograd"

flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -fno-omit-frame-pointer -I "$work/include")

echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' \
  > "$work/probe.cpp"
if ! "$cxx" -fsanitize=fuzzer "$work/probe.cpp" -o "$work/probe" 2>"$work/probe.log"; then
  cat "$work/probe.log" >&2
  echo "run_fuzzer.sh: $cxx cannot link libFuzzer; install libclang-rt-14-dev." >&2
  exit 1
fi

compile() {  # compile SOURCE OBJECT
  echo "compiling ${1#"$root"/}"
  nice -n 10 "$cxx" "${flags[@]}" -c "$1" -o "$2"
}
# safetensors.cpp needs attograd::shape_str from tensor.cpp, which needs fmt.
compile "$here/safetensors_fuzzer.cpp" "$work/fuzzer.o"
compile "$root/core/safetensors.cpp" "$work/safetensors.o"
compile "$root/core/tensor.cpp" "$work/tensor.o"
"$cxx" "${flags[@]}" "$work/fuzzer.o" "$work/safetensors.o" "$work/tensor.o" -lfmt -o "$work/fuzzer"

# libFuzzer adds what it learns to the corpus directory: give it a copy, not the committed one.
mkdir -p "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"

echo "fuzzing for ${seconds}s in $work"
if "$work/fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
     -dict="$here/safetensors.dict" -artifact_prefix="$work/" -print_final_stats=1 \
     "$work/corpus"; then
  echo "run_fuzzer.sh: no crash in ${seconds}s"
else
  status=$?
  keep_work=1
  echo "run_fuzzer.sh: the fuzzer failed (exit $status); the input is kept in $work" >&2
  ls "$work" | grep -E '^(crash|leak|timeout|oom)-' >&2 || true
  exit 1
fi
