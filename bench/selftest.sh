#!/usr/bin/env bash
# Self-test of the benchmark harness: no servers, no network, no timings. Checks that the
# scenarios are well-formed, the user generator and the report helpers work on small inputs,
# and (when kamailio is installed) that the anchor configuration parses.
# Run by CTest (bench_harness_selftest) and by hand: bench/selftest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "selftest: $*" >&2; exit 1; }

# 1. Every SIPp scenario is well-formed XML with a <scenario> root.
for f in bench/sipp/*.xml; do
  python3 - "$f" <<'EOF' || fail "$f is not a well-formed scenario"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
assert doc.documentElement.tagName == "scenario"
EOF
done

# 2. Every flow names an existing scenario.
work=$tmp root=$PWD
source bench/lib/harness.sh
source bench/lib/flows.sh
IFS=, read -r -a all <<<"$ALL_FLOWS"
watchers=10
for fl in "${all[@]}"; do
  flow_def "$fl" || fail "flow_def $fl"
  [[ -f bench/sipp/$f_scen.xml ]] || fail "flow $fl: no bench/sipp/$f_scen.xml"
done

# 3. The user generator.
bench/users.sh 5 "$tmp/u" >/dev/null
[[ $(head -n1 "$tmp/u/users.csv") == SEQUENTIAL ]] || fail "users.csv header"
[[ $(sed -n 2p "$tmp/u/users.csv") == 'u0;[authentication username=u0 password=pw];u1' ]] || fail "users.csv line"
[[ $(tail -n1 "$tmp/u/users.csv") == 'u4;[authentication username=u4 password=pw];u0' ]] || fail "users.csv wrap"
[[ $(wc -l <"$tmp/u/parley-users.csv") -eq 5 && $(head -n1 "$tmp/u/parley-users.csv") == 'u0@bench.test,pw' ]] ||
  fail "parley-users.csv"
[[ $(grep -c INSERT "$tmp/u/kamailio-users.sql") -eq 5 ]] || fail "kamailio-users.sql"
users_slice 1 3 "$tmp/u/users.csv" "$tmp/slice"
[[ $(sed -n 2p "$tmp/slice") == u1* && $(wc -l <"$tmp/slice") -eq 3 ]] || fail "users_slice"

# 4. Stat parsing and latency percentiles on fixtures.
printf 'StartTime;CurrentTime;SuccessfulCall(C);FailedCall(C)\n' >"$tmp/s.csv"
printf '2026-01-01\t00:00:00.0\t100.0;2026-01-01\t00:00:02.5\t102.5;490;10\n' >>"$tmp/s.csv"
[[ $(stat_counts "$tmp/s.csv") == "490 10 2.500" ]] || fail "stat_counts: $(stat_counts "$tmp/s.csv")"
# A flat-out run that stalled: after 2 s no call was started (every slot held by a call that
# never finished): the 150 in progress are lost, the rate is taken while calls were started.
printf 'StartTime;CurrentTime;TotalCallCreated;CurrentCall;SuccessfulCall(C);FailedCall(C)\n' >"$tmp/r.csv"
for l in "1.0;0;0;0;0" "2.0;10000;100;9900;0" "3.0;20100;200;19899;1" "4.0;20100;150;19949;1" "9.0;20100;150;19950;1"; do
  IFS=';' read -r t rest <<<"$l"
  printf '2026-01-01\t00:00:00.0\t1.0;2026-01-01\t00:00:00.0\t%s;%s\n' "$t" "$rest" >>"$tmp/r.csv"
done
[[ $(stat_run "$tmp/r.csv") == "19950 151 8.000 19899 2.000" ]] || fail "stat_run (stalled): $(stat_run "$tmp/r.csv")"
# Still starting calls when the time was up: the ones in progress are not lost.
head -n4 "$tmp/r.csv" >"$tmp/r2.csv"
[[ $(stat_run "$tmp/r2.csv") == "19899 1 2.000 19899 2.000" ]] || fail "stat_run (running): $(stat_run "$tmp/r2.csv")"
{
  for i in $(seq 1 100); do
    printf 'd\tt\t%s\tS\tc%d\tCSeq:1 REGISTER\tREGISTER sip:bench.test SIP/2.0\n' "$i.000000" "$i"
    printf 'd\tt\t%s\tR\tc%d\tCSeq:1 REGISTER\tSIP/2.0 401 Unauthorized\n' "$i.000500" "$i"
    printf 'd\tt\t%s\tR\tc%d\tCSeq:2 REGISTER\tSIP/2.0 200 OK\n' "$(awk -v i="$i" 'BEGIN{printf "%.6f", i + i / 1000}')" "$i"
  done
} >"$tmp/m.log"
[[ $(python3 bench/lib/report.py latency "$tmp/m.log") == "50.000 99.000 100" ]] ||
  fail "latency: $(python3 bench/lib/report.py latency "$tmp/m.log")"
[[ $(first_status "$tmp/m.log") == 200 ]] || fail "first_status passes over an answered challenge"
grep -v '200 OK' "$tmp/m.log" >"$tmp/m401.log"
[[ $(first_status "$tmp/m401.log") == 401 ]] || fail "first_status reports a lone challenge"
printf 'd\tt\t1.0\tR\tc1\tCSeq:1 PUBLISH\tSIP/2.0 407 Proxy Authentication Required\n' >"$tmp/m489.log"
printf 'd\tt\t1.1\tR\tc1\tCSeq:2 PUBLISH\tSIP/2.0 489 Bad Event\n' >>"$tmp/m489.log"
[[ $(classify_failure "$tmp/m489.log" x) == "n/a (not implemented: x answered 489)" ]] || fail "classify_failure"

# 5. Tables from fixture rows (n/a detection, ratios).
printf 'options\tparley\tok\t20000\t0.000\t20.0\t2000\t10000\t0\t0.2\t1.0\t8192\t9000\t-\n' >"$tmp/flows.tsv"
printf 'options\tkamailio\tok\t10000\t0.000\t50.0\t2000\t10000\t0\t0.3\t1.2\t20480\t70000\t-\n' >>"$tmp/flows.tsv"
printf 'register\tparley\tn/a (not implemented: first request answered 405)\t-\t-\t-\t2000\t-\t-\t-\t-\t8000\t9000\t-\n' >>"$tmp/flows.tsv"
printf 'register\tkamailio\tok\t7000\t0.000\t95.0\t2000\t10000\t0\t0.4\t1.5\t20480\t70000\t-\n' >>"$tmp/flows.tsv"
table=$(python3 bench/lib/report.py table "$tmp/flows.tsv")
grep -q '| options | 20000 | 10000 | 2.00 | 20.0 | 50.0 | 0.40 |' <<<"$table" || fail "table ratios: $table"
grep -q '| register | n/a (not implemented) | 7000 |' <<<"$table" || fail "table n/a: $table"

# 6. Rounds: one row per flow and server, the median of each fixed-rate figure, every
#    round's CPU in the notes, max flows/s from the first round.
printf 'options\tparley\tok\t20000\t0.000\t20.0\t2000\t10000\t0\t0.2\t1.0\t8192\t9000\t-\t1\n' >"$tmp/r.tsv"
printf 'options\tparley\tok\t-\t-\t24.0\t2000\t10000\t0\t0.4\t3.0\t8192\t9000\t-\t2\n' >>"$tmp/r.tsv"
printf 'options\tparley\tok\t-\t-\t10.0\t2000\t10000\t0\t0.3\t2.0\t8192\t9000\t-\t3\n' >>"$tmp/r.tsv"
table=$(python3 bench/lib/report.py table "$tmp/r.tsv")
grep -q '| options | parley | 20000 | 0.000 | 20.0 | 2000 | 0.3 | 2.0 | 8.0 |' <<<"$table" || fail "rounds median: $table"
grep -q 'options, parley: 3 rounds, CPU µs/flow 20.0 / 24.0 / 10.0, p99 ms 1.0 / 3.0 / 2.0' <<<"$table" ||
  fail "rounds note: $table"

# 7. The Kamailio anchor configuration parses (kamailio -c), when Kamailio is installed.
if command -v kamailio >/dev/null; then
  sed -e "s#@PORT@#15070#g; s#@TLS_PORT@#15071#g; s#@DIR@#$tmp#g; s#@CHILDREN@#2#g" \
    bench/kamailio/kamailio.cfg.in >"$tmp/kamailio.cfg"
  timeout 30 kamailio -c -f "$tmp/kamailio.cfg" >"$tmp/kam.log" 2>&1 || { cat "$tmp/kam.log" >&2; fail "kamailio.cfg.in"; }
fi
echo "selftest: 7 checks passed"
