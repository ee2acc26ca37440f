#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Run every libFuzzer target for a bounded time on a scratch copy of its checked-in seed corpus.
# Usage: scripts/run-fuzzers.sh BUILD_DIR SECONDS
#   BUILD_DIR  the fuzz preset's build directory (e.g. build/fuzz), holding tests/fuzz/fuzz_*
#   SECONDS    -max_total_time per target
# Exits non-zero if a target is missing or any run finds a crash, leak, sanitizer report or timeout.
# tests/fuzz/corpus/ is never modified: new inputs go to a temporary directory, crash reproducers to
# BUILD_DIR/fuzz-artifacts/<target>/ (kept for inspection).
set -euo pipefail

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build="$1"
seconds="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
corpus_root="$here/tests/fuzz/corpus"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/coscribe-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

# Recoverable UBSan reports must fail the run too; leaks are real findings.
# tests/fuzz/ubsan.supp names the one known report inside a third-party header (RapidJSON), nothing of ours.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$here/tests/fuzz/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

status=0
for seeds in "$corpus_root"/*/; do
  target="$(basename "$seeds")"
  binary="$build/tests/fuzz/$target"
  if [ ! -x "$binary" ]; then
    echo "run-fuzzers: $binary not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2
    status=1
    continue
  fi
  work="$scratch/$target"
  artifacts="$build/fuzz-artifacts/$target"
  mkdir -p "$work" "$artifacts"
  cp -R "$seeds". "$work/"
  echo "run-fuzzers: $target for ${seconds}s on $(ls "$seeds" | wc -l) seeds"
  if ! "$binary" "$work" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" >"$scratch/$target.log" 2>&1; then
    echo "run-fuzzers: $target FAILED; reproducers in $artifacts/" >&2
    tail -n 60 "$scratch/$target.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$scratch/$target.log" | tail -n 2 || true
  fi
done
exit $status
