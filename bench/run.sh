#!/usr/bin/env bash
# Parley benchmarks: side-by-side SIPp runs of parleyd and Kamailio. Not part of the test
# command except --smoke. See bench/README.md.
#
#   bench/run.sh [--flows F1,F2,…|all|none] [--against kamailio] [--threads N] [--users N]
#                [--rate R] [--seconds S] [--max-seconds S] [--inflight N] [--watchers W]
#                [--curves registrations,subscriptions,watchers|all] [--settle S] [--rounds N]
#                [--write-results] [-v]
#       per flow: max sustainable flows/s (< 0.1 % failed), server CPU µs per flow at a fixed
#       offered rate, p50/p99 flow latency, peak memory; a table with parley/kamailio ratios.
#       --rounds N: the fixed-rate part N times (every flow, then every flow again; a fresh
#       server each time, the servers alternating), the table gives each figure's median
#   bench/run.sh --micro          Google Benchmark micro-benchmarks
#   bench/run.sh --callgrind      instructions per parsed message (repeatable)
#   bench/run.sh --machine        CPU µs this machine charges per wake-up, timer and fdatasync
#   bench/run.sh --smoke          a few seconds of every mode; fails on any failed flow
#   bench/run.sh --check-deps | --install-deps
#   bench/run.sh --backlog N [...]  also: N messages stored for one offline user who then registers:
#                                 delivery messages/s and server CPU per message (bench/lib/backlog.sh)
#   bench/run.sh --soak MINUTES   parleyd under every flow at once for MINUTES: fails on lost flows,
#                                 on an answered message not stored, on memory that keeps growing
#                                 (bench/lib/soak.sh); --flows none unless flows are named
#
# Servers run inside a private network namespace (unshare -n) on 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${PARLEY_BUILD:-build/release}
[[ $build == /* ]] || build=$root/$build
orig_args=("$@")
backlog="" soak=""

mode=load flows=$'\x01default' servers=parley threads=2 users=1000 rate_override="" inflight="" settle=0 watchers=100
rounds=1
cpu_secs=5 max_secs=5 curves="" write_results="" verbose="" strict="" kam_shm=512
reg_points="1000 10000 100000" sub_points="1000 10000 100000" watch_points="1 10 100 1000 10000"
curve_rate_reg=1000 curve_rate_sub=300 curve_fill_rate=2000 curve_fill_rate_sub=1000
while (($#)); do
  case $1 in
    --micro) mode=micro ;;
    --callgrind) mode=callgrind ;;
    --machine) mode=machine ;;
    --smoke) mode=smoke ;;
    --check-deps) mode=check-deps ;;
    --install-deps) mode=install-deps ;;
    --flows) flows=$2; shift ;;
    --against) [[ $2 == kamailio ]] || { echo "--against: only kamailio is known" >&2; exit 2; }
      servers=parley,kamailio; shift ;;
    --servers) servers=$2; shift ;;
    --threads) threads=$2; shift ;;
    --users) users=$2; shift ;;
    --rate) rate_override=$2; shift ;;
    --seconds) cpu_secs=$2; shift ;;
    --max-seconds) max_secs=$2; shift ;;
    --inflight) inflight=$2; shift ;;
    --settle) settle=$2; shift ;;
    --watchers) watchers=$2; shift ;;
    --rounds) rounds=$2; shift
      [[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "--rounds: a positive number" >&2; exit 2; } ;;
    --curves) curves=$2; shift ;;
    --backlog) backlog=$2; shift ;;
    --soak) soak=$2; shift
      [[ $soak =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "--soak: minutes" >&2; exit 2; } ;;
    --reg-points) reg_points=$2; shift ;;
    --sub-points) sub_points=$2; shift ;;
    --watch-points) watch_points=$2; shift ;;
    --write-results) write_results=1 ;;
    --strict) strict=1 ;;
    -v | --verbose) verbose=1 ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

source "$root/bench/lib/harness.sh"
source "$root/bench/lib/backlog.sh"
source "$root/bench/lib/soak.sh"
source "$root/bench/lib/flows.sh"
source "$root/bench/lib/curves.sh"
[[ $flows == $'\x01default' && -n $soak ]] && flows=none
[[ $flows == $'\x01default' ]] && flows=$DEFAULT_FLOWS
[[ $flows == all ]] && flows=$ALL_FLOWS
[[ $curves == all ]] && curves=registrations,subscriptions,watchers

# --- dependencies -----------------------------------------------------------------
DEB_PACKAGES="sip-tester kamailio kamailio-presence-modules kamailio-sqlite-modules kamailio-tls-modules sqlite3 stunnel4 gnuplot-nox valgrind libbenchmark-dev openssl iproute2 util-linux"
check_deps() {
  local missing=() c
  for c in sipp kamailio sqlite3 stunnel gnuplot valgrind openssl unshare ip python3 timeout; do
    command -v "$c" >/dev/null || missing+=("$c")
  done
  local mods=/usr/lib/x86_64-linux-gnu/kamailio/modules
  for c in presence db_sqlite msilo tls; do
    [[ -f $mods/$c.so ]] || missing+=("kamailio module $c")
  done
  if ((${#missing[@]})); then
    printf 'bench: missing: %s\n' "${missing[@]}" >&2
    echo "bench: bench/run.sh --install-deps installs: $DEB_PACKAGES" >&2
    return 1
  fi
  echo "bench: all benchmark dependencies present"
}

need_build() {
  [[ -f $build/build.ninja || -f $build/Makefile ]] || cmake --preset release -DPARLEY_BUILD_BENCH=ON >/dev/null
  local targets=(parleyd parse_bench parse_count machine_probe)
  cmake --build "$build" --target help 2>/dev/null | grep -q '\bparleyctl\b' && targets+=(parleyctl)
  cmake --build "$build" -j2 --target "${targets[@]}" >/dev/null
}

# --- micro-benchmarks ---------------------------------------------------------------
micro() { "$build/bench/parse_bench" --benchmark_min_time="${1:-0.5}"; }

callgrind() {
  local n=${1:-2000}
  command -v valgrind >/dev/null || { echo "valgrind not installed" >&2; return 1; }
  for f in register message notify notify_200; do
    local file=bench/messages/$f.sip a b
    a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/stdout "$build/bench/parse_count" "$file" "$n" 2>/dev/null | awk '/^totals:/{print $2}')
    b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/stdout "$build/bench/parse_count" "$file" 0 2>/dev/null | awk '/^totals:/{print $2}')
    printf "%-10s %8d instructions/message (parse + validate)\n" "$f" $(((a - b) / n))
  done
}

# --- load runs (inside the netns) ----------------------------------------------------
enter_netns() {
  if [[ -z ${PARLEY_BENCH_NETNS:-} ]]; then
    [[ $(id -u) -eq 0 ]] || { echo "bench: load runs need root (private network namespace)" >&2; exit 1; }
    exec unshare -n -- env PARLEY_BENCH_NETNS=1 "$0" "${orig_args[@]}"
  fi
  ip link set lo up
}

write_meta() {
  local commit dirty=""
  commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -n $(git -C "$root" status --porcelain -- src bench 2>/dev/null) ]] && dirty=" (+ uncommitted changes)"
  {
    echo "date=$(date -u '+%Y-%m-%d %H:%M')"
    echo "commit=$commit$dirty ($(git -C "$root" rev-parse --abbrev-ref HEAD 2>/dev/null || true))"
    echo "cpu=$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
    echo "cores=$(nproc)"
    echo "kernel=$(uname -r)"
    echo "parleyd=${build#"$root"/}/src/server/parleyd, --threads $threads"
    command -v kamailio >/dev/null && echo "kamailio=$(kamailio -v 2>/dev/null | awk 'NR==1{print $2, $3}'), children=tcp_children=$threads, -m $kam_shm -M 64"
    echo "sipp=$(sipp -v 2>&1 | awk '/SIPp v/{print $1, $2; exit}')"
    echo "threads=$threads"
    echo "users=$users (u0..u$((users - 1)); flows use the first ones, curves up to their largest point)"
    echo "durations=flat out ${max_secs} s per try, fixed rate ${cpu_secs} s$( ((rounds > 1)) && echo ", $rounds rounds of the fixed rate (medians)")"
    echo "inflight=${inflight:-per flow (200; publish/fanout 20)} flows in progress at most when flat out"
    echo "watchers=$watchers"
    # What every message's wake-up costs here: read CPU per flow against it.
    [[ -x $build/bench/machine_probe ]] &&
      echo "machine=$("$build/bench/machine_probe" "$work" 1000 --line)"
    echo "command=bench/run.sh ${orig_args[*]}"
  } >"$work/meta"
}

load() {
  local list srv s f p
  # the curves need as many users as their largest point
  if [[ ,$curves, == *,registrations,* || ,$curves, == *,subscriptions,* ]]; then
    for p in $reg_points $sub_points; do
      if ((p > users)); then users=$p; fi
    done
  fi
  prepare_material "$users"
  write_meta
  : >"$work/flows.tsv"
  IFS=, read -r -a srv <<<"$servers"
  if [[ ,$servers, == *,kamailio,* ]] && ! command -v kamailio >/dev/null; then
    log "bench: kamailio not installed: parleyd only"
    srv=(parley)
  fi
  if [[ $flows != none ]]; then
    IFS=, read -r -a list <<<"$flows"
    # Rounds one after the other (not a flow's rounds back to back), so a slow spell of the
    # machine does not land on one flow only; max flows/s is searched in the first round.
    for ((round = 1; round <= rounds; round++)); do
      ((rounds > 1)) && log "round $round of $rounds"
      for f in "${list[@]}"; do
        for s in "${srv[@]}"; do measure_flow "$s" "$f"; done
      done
    done
    echo
    python3 "$root/bench/lib/report.py" table "$work/flows.tsv"
  fi
  if [[ -n $backlog ]]; then
    : >"$work/backlog.tsv"
    for s in "${srv[@]}"; do measure_backlog "$s" "$backlog"; done
    echo
    backlog_table "$work/backlog.tsv"
  fi
  local soak_failed=""
  if [[ -n $soak ]]; then
    measure_soak "$soak" || soak_failed=1
  fi
  if [[ -n $curves ]]; then
    : >"$work/curves.tsv"
    IFS=, read -r -a list <<<"$curves"
    [[ $kam_shm -ge 1024 ]] || kam_shm=1024
    for f in "${list[@]}"; do
      for s in "${srv[@]}"; do run_curve "$f" "$s"; done
    done
    echo
    python3 "$root/bench/lib/report.py" curves "$work/curves.tsv"
    python3 "$root/bench/lib/report.py" plot "$work/curves.tsv" "$work" >/dev/null || log "bench: plotting failed"
  fi
  if [[ -n $write_results ]]; then
    rm -f "$root"/bench/curve-*.png
    cp "$work"/curve-*.png "$root/bench/" 2>/dev/null || true
    python3 "$root/bench/lib/report.py" results "$work" "$root/bench/RESULTS.md"
    echo "bench: wrote bench/RESULTS.md"
  fi
  echo "bench: run directory $work"
  if [[ -n $strict ]] && grep -q $'\tFAILED' "$work/flows.tsv" "$work/curves.tsv" 2>/dev/null; then
    echo "bench: some flows FAILED" >&2
    return 1
  fi
  if [[ -n $soak_failed ]]; then
    echo "bench: the soak FAILED" >&2
    return 1
  fi
  if [[ -n $strict ]] && grep -q $'\tFAILED' "$work/backlog.tsv" 2>/dev/null; then
    echo "bench: the backlog delivery FAILED" >&2
    return 1
  fi
}

smoke_load() {
  # Every flow against parleyd (the probe marks what parleyd cannot do yet as n/a; what it
  # can do must pass), a tiny Kamailio start/stop with a few flows, and a tiny curve.
  # At most 50 flows in flight flat out: a list SUBSCRIBE's NOTIFYs outrun one SIPp at 200,
  # and the lost ones kept it running until its 20 s kill.
  max_secs=1 cpu_secs=1 rate_override=100 watchers=5 strict=1 inflight_cap=50
  reg_points="10 20" watch_points="1 5"
  users=50
  prepare_material "$users"
  write_meta
  : >"$work/flows.tsv"; : >"$work/curves.tsv"
  local f
  for f in options options-tcp register register-refresh register-tcp message message-offline publish subscribe subscribe-list invite fanout; do
    measure_flow parley "$f"
  done
  if command -v kamailio >/dev/null && command -v sqlite3 >/dev/null; then
    for f in options register; do measure_flow kamailio "$f"; done
  else
    log "smoke: kamailio not installed, skipped"
  fi
  run_curve registrations parley
  command -v kamailio >/dev/null && run_curve watchers kamailio
  python3 "$root/bench/lib/report.py" table "$work/flows.tsv"
  python3 "$root/bench/lib/report.py" curves "$work/curves.tsv"
  if grep -q $'\tFAILED' "$work/flows.tsv" "$work/curves.tsv"; then
    echo "smoke: some flows FAILED (run directory $work)" >&2
    return 1
  fi
  : >"$work/backlog.tsv"
  measure_backlog parley 200
  backlog_table "$work/backlog.tsv"
  if grep -q $'\tFAILED' "$work/backlog.tsv"; then
    echo "smoke: the backlog delivery FAILED (run directory $work)" >&2
    return 1
  fi
  measure_soak 0.2 || { echo "smoke: the soak FAILED (run directory $work)" >&2; return 1; }
  rm -rf "$work"
  echo "smoke: load ok"
}

new_workdir() {
  work=$build/bench-runs/$(date +%Y%m%d-%H%M%S)-$$
  mkdir -p "$work"
  trap cleanup_all EXIT
  trap 'exit 130' INT TERM
}

case $mode in
  check-deps) check_deps ;;
  install-deps)
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DEB_PACKAGES
    check_deps
    ;;
  micro) need_build; micro ;;
  machine) need_build; "$build/bench/machine_probe" "${TMPDIR:-/tmp}" ;;
  callgrind) need_build; callgrind ;;
  load)
    [[ -z ${PARLEY_BENCH_NETNS:-} ]] && need_build
    command -v sipp >/dev/null || { echo "bench: sipp not installed (bench/run.sh --install-deps)" >&2; exit 1; }
    # A results file without the TLS flows (stunnel) or the plots (gnuplot) would replace a
    # complete one: refuse instead.
    if [[ -n $write_results ]] && ! check_deps >/dev/null; then
      echo "bench: --write-results needs every benchmark dependency" >&2
      exit 1
    fi
    enter_netns
    new_workdir
    load
    ;;
  smoke)
    if [[ -z ${PARLEY_BENCH_NETNS:-} ]]; then
      need_build
      micro 0.01 >/dev/null && echo "smoke: micro ok"
      "$build/bench/machine_probe" "${TMPDIR:-/tmp}" 200 | grep -q '^fdatasync_us=' && echo "smoke: machine ok"
      if command -v valgrind >/dev/null; then callgrind 20 >/dev/null && echo "smoke: callgrind ok"; fi
      command -v sipp >/dev/null || { echo "smoke: sipp not installed, load skipped"; exit 0; }
      if [[ $(id -u) -ne 0 ]]; then echo "smoke: not root (no private netns), load skipped"; exit 0; fi
    fi
    enter_netns
    new_workdir
    smoke_load
    ;;
esac
