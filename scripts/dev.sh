#!/usr/bin/env bash
# The two commands of the README: set up a Debian 12 machine, build in Release, then run the
# demo (`dev.sh demo`) or the whole test suite (`dev.sh test`). Safe to run again: packages
# already there are not reinstalled and the build is incremental.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${ATTOGRAD_PRESET:-release}"

# Debian 12 packages the build and the tests need (compiler and CMake included).
packages=(g++ cmake ninja-build git clang-format
          libxtensor-dev libxtensor-blas-dev libopenblas-dev libfmt-dev catch2 nlohmann-json3-dev
          libcli11-dev libstb-dev)

usage() {
  echo "usage: $0 demo|test|build" >&2
  exit 2
}

install_missing_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo"
    else
      echo "attograd needs these Debian packages; install them as root, then run this again:" >&2
      echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  cd "$root"
  [ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset"
  cmake --build --preset "$preset"
}

[ $# -eq 1 ] || usage
case "$1" in
  demo)
    install_missing_packages
    build
    # The main demo: a translation model learns to read dates and shows where it looked.
    "$root/build/$preset/examples/translate/translate" --report "$root/build/translate_report"
    ;;
  test)
    install_missing_packages
    build
    cd "$root"
    ctest --preset "$preset"
    ;;
  build)
    install_missing_packages
    build
    ;;
  *) usage ;;
esac
