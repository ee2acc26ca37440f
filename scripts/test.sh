#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what is missing, build (release with debug info), and run every test through CTest.
# Usage: scripts/test.sh [extra ctest args]     Env: COSCRIBE_PRESET (default: release), JOBS.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/install-deps.sh

preset="${COSCRIBE_PRESET:-release}"
jobs="${JOBS:-$(nproc)}"

# libFuzzer targets: a separate clang build, run for a short bounded time on the checked-in corpus.
if [ "$preset" = release ] && [ -z "${COSCRIBE_SKIP_FUZZ:-}" ] && [ -d tests/fuzz ]; then
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "$jobs"
  bash scripts/run-fuzzers.sh build/fuzz "${COSCRIBE_FUZZ_SECONDS:-20}"
fi

cmake --preset "$preset"
cmake --build --preset "$preset" -j "$jobs"
ctest --preset "$preset" -j "$jobs" "$@"
