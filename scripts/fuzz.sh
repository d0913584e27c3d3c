#!/usr/bin/env bash
# Builds the libFuzzer targets with clang-14 and runs each for a bounded
# time, seeded from the conformance messages. Exit status is non-zero on any
# finding (crash, leak, timeout, trap); the reproducer is left in build/fuzz/.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_sip_message fuzz_sip_stream fuzz_sip_uri fuzz_pidf fuzz_pres_rules fuzz_cpim fuzz_imdn
  fuzz_store_text fuzz_xcap_selector fuzz_stun fuzz_gruu fuzz_rls_services fuzz_pidf_diff fuzz_ua_documents)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${PARLEY_JOBS:-$(nproc)}" --target "${targets[@]}"

for t in "${targets[@]}"; do
  corpus=build/fuzz/corpus/$t
  mkdir -p "$corpus"
  case $t in
    fuzz_sip_uri) seeds=(fuzz/seeds/uri) ;;
    fuzz_pidf) seeds=(fuzz/seeds/pidf) ;;
    fuzz_pres_rules) seeds=(fuzz/seeds/pres_rules) ;;
    fuzz_cpim) seeds=(fuzz/seeds/cpim) ;;
    fuzz_imdn) seeds=(fuzz/seeds/imdn) ;;
    fuzz_store_text) seeds=(fuzz/seeds/store_text) ;;
    fuzz_xcap_selector) seeds=(fuzz/seeds/xcap_selector) ;;
    fuzz_stun) seeds=(fuzz/seeds/stun) ;;
    fuzz_gruu) seeds=(fuzz/seeds/gruu) ;;
    fuzz_rls_services) seeds=(fuzz/seeds/rls_services) ;;
    fuzz_pidf_diff) seeds=(fuzz/seeds/pidf_diff) ;;
    fuzz_ua_documents) seeds=(fuzz/seeds/ua_documents) ;;
    *) seeds=(tests/sip/conformance/rfc4475 tests/sip/conformance/rfc5118) ;;
  esac
  echo "--- $t: ${secs}s"
  (cd build/fuzz && ASAN_OPTIONS=detect_leaks=1 ./fuzz/"$t" -max_total_time="$secs" -timeout=10 \
      -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 "corpus/$t" "${seeds[@]/#/../../}" 2>&1 |
      grep -E "^#[0-9]+ +DONE|stat::number_of_executed_units|stat::peak_rss|ERROR|SUMMARY|crash-|leak-|timeout-" || true)
  if ls build/fuzz/crash-* build/fuzz/leak-* build/fuzz/timeout-* >/dev/null 2>&1; then
    echo "fuzz: $t found a problem (see build/fuzz/)" >&2
    exit 1
  fi
done
