#!/usr/bin/env bash
# Fuzzes the file readers with libFuzzer, AddressSanitizer and UBSan: the safetensors reader,
# the optimizer-state and training-state loaders (tests/fuzz/training_state_fuzzer.cpp: the
# state --resume reads), and the toy GPT's BPE file (tests/fuzz/bpe_fuzzer.cpp).
#
#   tests/fuzz/run_fuzzer.sh [SECONDS]      # default 60
#
# Builds the harnesses with clang straight from the sources they need (no CMake, no build
# tree), runs each for SECONDS / 2 on a copy of tests/fuzz/corpus, and exits non-zero
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
# The safetensors reader needs attograd::shape_str from tensor.cpp (and what that starts).
for source in core/safetensors.cpp core/tensor.cpp; do
  compile "$root/$source" "$work/$(basename "$source" .cpp).o"
done
compile "$here/safetensors_fuzzer.cpp" "$work/safetensors_fuzzer.o"
"$cxx" "${flags[@]}" "$work/safetensors_fuzzer.o" "$work/safetensors.o" "$work/tensor.o" \
  -lfmt -o "$work/safetensors_fuzzer"
# The optimizer-state and training-state loaders: the engine, Adam, the schedules and the file code,
# and the thread pool (with the BLAS door that sizes it) that large updates are split over.
state_sources=(core/autograd.cpp core/profiler.cpp core/random.cpp core/state_dict.cpp core/kernels/loops.cpp
               optim/optimizer.cpp optim/adam.cpp optim/adam_update.cpp optim/lr_scheduler.cpp
               optim/training_state.cpp core/kernels/fast_math.cpp core/kernels/parallel.cpp core/kernels/blas.cpp
               core/kernels/small_gemm.cpp)
state_objects=("$work/safetensors.o" "$work/tensor.o")
for source in "${state_sources[@]}"; do
  object="$work/$(echo "$source" | tr / _ | sed 's/\.cpp$/.o/')"
  compile "$root/$source" "$object"
  state_objects+=("$object")
done
compile "$here/training_state_fuzzer.cpp" "$work/training_state_fuzzer.o"
"$cxx" "${flags[@]}" "$work/training_state_fuzzer.o" "${state_objects[@]}" -lfmt -lopenblas -o "$work/training_state_fuzzer"

# The toy GPT's BPE file reader (seq/bpe.cpp), with a corpus of its own (bpe_corpus/).
compile "$root/seq/bpe.cpp" "$work/bpe.o"
compile "$here/bpe_fuzzer.cpp" "$work/bpe_fuzzer.o"
"$cxx" "${flags[@]}" "$work/bpe_fuzzer.o" "$work/bpe.o" -lfmt -o "$work/bpe_fuzzer"

# Each harness gets SECONDS / 3 on a copy of its corpus (libFuzzer adds what it learns to it).
run() {  # run NAME [CORPUS]
  local name="$1" corpus="${2:-corpus}" budget=$(( seconds / 3 > 0 ? seconds / 3 : 1 ))
  mkdir -p "$work/corpus_$name"
  cp "$here/$corpus"/* "$work/corpus_$name/"
  echo "fuzzing $name for ${budget}s in $work"
  if "$work/$name" -max_total_time="$budget" -timeout=10 -rss_limit_mb=2048 \
       -dict="$here/safetensors.dict" -artifact_prefix="$work/${name}-" -print_final_stats=1 \
       "$work/corpus_$name"; then
    echo "run_fuzzer.sh: $name: no crash in ${budget}s"
  else
    local status=$?
    keep_work=1
    echo "run_fuzzer.sh: $name failed (exit $status); the input is kept in $work" >&2
    ls "$work" | grep -E -- '-(crash|leak|timeout|oom)-' >&2 || true
    exit 1
  fi
}
run safetensors_fuzzer
run training_state_fuzzer
run bpe_fuzzer bpe_corpus
