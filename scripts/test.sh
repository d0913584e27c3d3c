#!/usr/bin/env bash
# Runs every Parley test: installs build/test packages if missing, builds the
# Release tree and runs ctest, then the same suite under ASan+UBSan, then a
# bounded libFuzzer run of every fuzz target.
#
# Knobs (environment):
#   PARLEY_SKIP_ASAN=1   skip the sanitizer build
#   PARLEY_SKIP_FUZZ=1   skip the fuzz run
#   PARLEY_FUZZ_SECONDS  seconds per fuzz target (default 20: with line-table builds the whole run took 1,418 s at 12 s; longer runs are made by hand)
#   PARLEY_JOBS          build parallelism (default: nproc)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
jobs=${PARLEY_JOBS:-$(nproc)}
ctest_args=(--output-on-failure -j "$jobs" --timeout 600)
# The PostgreSQL half of the store suite must run in CI, not skip.
export PARLEY_REQUIRE_POSTGRES=1

started=$SECONDS
step() { printf '\n=== %s (at %ds) ===\n' "$*" $((SECONDS - started)); }

step "Release build"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
step "Release tests"
ctest --test-dir build/release "${ctest_args[@]}"

step "Benchmark smoke (bench/run.sh --smoke)"
PARLEY_BUILD=build/release bench/run.sh --smoke

if [[ "${PARLEY_SKIP_ASAN:-0}" != 1 ]]; then
  step "ASan+UBSan build"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j "$jobs"
  step "ASan+UBSan tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan "${ctest_args[@]}"
fi

if [[ "${PARLEY_SKIP_FUZZ:-0}" != 1 && -x scripts/fuzz.sh ]]; then
  step "Fuzzing (${PARLEY_FUZZ_SECONDS:-20}s per target)"
  scripts/fuzz.sh "${PARLEY_FUZZ_SECONDS:-20}"
fi
step "All tests passed"
