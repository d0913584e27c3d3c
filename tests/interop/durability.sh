#!/usr/bin/env bash
# Durability of the message store (issue 5): authenticated MESSAGEs to offline users under load,
# parleyd killed with SIGKILL at a random moment of the load and restarted on the same data
# directory and ports while the load goes on; then the recipients register. Every MESSAGE
# answered 202 must be delivered exactly once to every device of its recipient, in the order of
# the queue; none lost, none duplicated. MESSAGEs in flight at the kill (no 202) may be
# delivered or not, never twice. Runs in a private network namespace like interop.sh.
#
#   durability.sh PARLEYD PARLEYCTL              (CTest passes the build tree's binaries)
#
# Knobs (environment):
#   PARLEY_DURABILITY_MESSAGES  MESSAGEs sent (default 1500; the issue's figure is 10000)
#   PARLEY_DURABILITY_RATE      MESSAGEs per second offered by SIPp (default 1000)
#   PARLEY_DURABILITY_SEED      seed of the kill moment (default: random, printed)
#   PARLEY_DURABILITY_DOWNTIME_MS  wait before the restart (default 0: SIPp's retransmissions
#                               then reach the new parleyd; above 5000 the calls in flight give up
#                               unanswered, and so do the ones begun meanwhile)
#   PARLEY_INTEROP_KEEP=1       keep the work directory (logs, SIPp traces, the report)
set -euo pipefail
(($# >= 2)) || { echo "usage: $0 PARLEYD PARLEYCTL" >&2; exit 2; }
source "$(dirname "$0")/lib.sh"
enter_netns "$@"
PARLEYD=$1 PARLEYCTL=$2
need sipp sip-tester
need timeout coreutils
need sqlite3 sqlite3
need python3 python3
setup durability

N=${PARLEY_DURABILITY_MESSAGES:-1500}
RATE=${PARLEY_DURABILITY_RATE:-1000}
SEED=${PARLEY_DURABILITY_SEED:-$RANDOM}
DOWNTIME_MS=${PARLEY_DURABILITY_DOWNTIME_MS:-0}
[[ $N =~ ^[0-9]+$ && $N -ge 100 && $RATE =~ ^[0-9]+$ && $RATE -ge 10 && $DOWNTIME_MS =~ ^[0-9]+$ ]] ||
  fail "PARLEY_DURABILITY_MESSAGES (>= 100), _RATE (>= 10) and _DOWNTIME_MS must be integers"
UAC_PORT=16001 REG_PORT=16002 DEV_PORT=16100
SENDERS=(sa sb sc sd se sf sg sh)
# Recipients and their devices (Contact users, all at $DEV_PORT); rd has two devices.
declare -A DEVICES=([ra]=ra [rb]=rb [rc]=rc [rd]="rd1 rd2")
RECIPIENTS=(ra rb rc rd)
budget=$((N * 3 / RATE + DOWNTIME_MS / 1000 + 90)) # bound (s) of every process of the test

# Users (password USER-pw) and SIPp's injection file: every sender writes to every recipient.
{
  echo "aor,password"
  for u in "${SENDERS[@]}" "${RECIPIENTS[@]}"; do echo "$u@$DOMAIN,$u-pw"; done
} >"$work/users.csv"
{
  echo SEQUENTIAL
  for s in "${SENDERS[@]}"; do
    for r in "${RECIPIENTS[@]}"; do echo "$s;[authentication username=$s password=$s-pw];$r"; done
  done
} >"$work/load.csv"
"$PARLEYCTL" --data-dir "$work/data" user import "$work/users.csv" >"$work/parleyctl.out" 2>&1 ||
  fail "parleyctl user import failed: $(cat "$work/parleyctl.out")"

# launch_parleyd LOG: parleyd (under timeout) on the data directory; waits until it logs
# "started". Sets parleyd_pid (the timeout) and daemon_pid (parleyd itself).
launch_parleyd() {
  local log=$1 i
  timeout -k 2 "$budget" "$PARLEYD" --listen "udp:127.0.0.1:$SIP_PORT" --domain "$DOMAIN" \
    --data-dir "$work/data" --threads 2 --http "" --log-level info --change-poll-ms 50 \
    --shutdown-grace-ms 1000 --message-quota 1000000 --message-retry 1 >"$log" 2>&1 &
  parleyd_pid=$!
  pids+=("$parleyd_pid")
  for i in $(seq 300); do # 30 s: the ASan build starts slowly
    if grep -qs 'event=started' "$log"; then
      daemon_pid=$(cat "/proc/$parleyd_pid/task/$parleyd_pid/children" 2>/dev/null || true)
      daemon_pid=${daemon_pid%% *}
      [[ -n $daemon_pid ]] || fail "cannot find parleyd under timeout ($parleyd_pid)"
      return 0
    fi
    kill -0 "$parleyd_pid" 2>/dev/null || fail "parleyd exited at start-up ($log)"
    sleep 0.1
  done
  fail "parleyd did not start within 30 s ($log)"
}

answered() { # calls of the load that got a 202 so far (a retransmission may get two)
  awk -F'\t' '$4 == "R" && $7 ~ /^SIP\/2\.0 202 / { a[$5] } END { print length(a) }' "$work/uac.short.log" 2>/dev/null ||
    echo 0
}

queued() { # messages in the queue (all recipients)
  sqlite3 -readonly -cmd '.timeout 5000' "$work/data/parley.db" "SELECT COUNT(*) FROM message_queue" 2>/dev/null ||
    echo "?"
}

launch_parleyd "$work/parleyd-1.log"
note "parleyd up; $N MESSAGEs at $RATE/s from ${#SENDERS[@]} senders to ${RECIPIENTS[*]} (offline); kill seed $SEED"

# The load: one SIPp UAC, every call's Call-ID (dur-U<n>) is in its text. Calls caught by the
# kill time out (-recv_timeout) or get an answer they did not expect; SIPp then exits 1.
timeout -k 2 "$budget" sipp "127.0.0.1:$SIP_PORT" -sf "$here/sipp/durability_uac.xml" -i 127.0.0.1 -p "$UAC_PORT" \
  -inf "$work/load.csv" -cid_str 'dur-U%u' -m "$N" -r "$RATE" -l 2000 -nostdin -nd \
  -recv_timeout 5000 -timeout "$((budget - 10))s" -max_recv_loops 5000 -buff_size 8388608 \
  -trace_shortmsg -shortmessage_file "$work/uac.short.log" -trace_err -error_file "$work/uac.err" \
  >"$work/uac.out" 2>&1 &
uac_pid=$!
pids+=("$uac_pid")

# SIGKILL at a random moment of the load: once a random share (20-80 %) of the MESSAGEs got
# their 202 (a moment by progress, not by the clock, so a slow or busy machine still kills
# during the load); then a restart on the same data directory and ports while the load goes on.
kill_at=$(python3 -c "import random; random.seed($SEED); print(int($N * random.uniform(0.2, 0.8)))")
while (($(answered) < kill_at)); do
  kill -0 "$uac_pid" 2>/dev/null || fail "the load ended before $kill_at MESSAGEs were answered"
  sleep 0.01
done
kill -KILL "$daemon_pid"
rc=0
{ wait "$parleyd_pid"; } 2>/dev/null || rc=$? # timeout dies of the same signal as parleyd
forget "$parleyd_pid"
((rc == 137)) || fail "parleyd under timeout exited $rc after SIGKILL, expected 137"
answered_at_kill=$(answered)
note "SIGKILL to parleyd after $answered_at_kill 202s (target $kill_at)"
sleep "$(printf '%d.%03d' $((DOWNTIME_MS / 1000)) $((DOWNTIME_MS % 1000)))"
launch_parleyd "$work/parleyd-2.log"
note "parleyd restarted on the same data directory (after ${DOWNTIME_MS} ms down)"

rc=0
wait "$uac_pid" || rc=$?
forget "$uac_pid"
((rc == 0 || rc == 1)) || fail "the SIPp load exited $rc (0 or 1 expected: calls caught by the kill fail)"
note "load done: $(answered) of $N answered 202 (SIPp exit $rc)"

# What the store holds before anybody registers (the queue order is the delivery order).
sqlite3 -readonly -cmd '.timeout 5000' -separator $'\t' "$work/data/parley.db" \
  "SELECT recipient, id, message_id, replace(replace(CAST(body AS TEXT), char(13), ' '), char(10), ' ')
   FROM message_queue ORDER BY recipient, id" \
  >"$work/queue.tsv" || fail "cannot read the message queue"
note "queued before registration: $(wc -l <"$work/queue.tsv")"

# The devices: one SIPp UAS for all, every recipient registered with all its devices at once.
timeout -k 2 "$budget" sipp -sf "$here/sipp/durability_uas.xml" -i 127.0.0.1 -p "$DEV_PORT" -m 100000000 \
  -nostdin -nd -max_recv_loops 5000 -buff_size 8388608 -trace_msg -message_file "$work/devices.msgs.log" \
  >"$work/devices.out" 2>&1 &
dev_pid=$!
pids+=("$dev_pid")
for i in $(seq 100); do
  ss -Hlun "sport = :$DEV_PORT" | grep -q . && break
  kill -0 "$dev_pid" 2>/dev/null || fail "the devices' SIPp UAS exited at start-up"
  sleep 0.1
done
devmap=()
for r in "${RECIPIENTS[@]}"; do
  contacts=""
  for d in ${DEVICES[$r]}; do contacts+="${contacts:+, }<sip:$d@127.0.0.1:$DEV_PORT>"; done
  sipp_ok "register-$r" durability_register -p "$REG_PORT" -s "$r" -au "$r" -ap "$r-pw" -key contacts "$contacts"
  devmap+=("$r@$DOMAIN=${DEVICES[$r]// /,}")
done
t_reg=$(now_ms)

# Delivered when the queue is empty (bounded); then a little longer, so that a late duplicate
# (a retry, a retransmission taken for a new delivery) would be seen.
deadline=$(($(now_ms) + (budget - 30) * 1000))
while [[ $(queued) != 0 ]]; do
  (($(now_ms) < deadline)) || fail "the queue still holds $(queued) messages $(((budget - 30))) s after registration"
  sleep 0.2
done
note "queue empty $(($(now_ms) - t_reg)) ms after the registrations"
sleep 2
kill -0 "$dev_pid" 2>/dev/null || fail "the devices' SIPp UAS exited early"
stop_pid "$dev_pid" || true
forget "$dev_pid"

python3 "$here/durability_check.py" --uac "$work/uac.short.log" --queue "$work/queue.tsv" \
  --devices-log "$work/devices.msgs.log" --devices "${devmap[@]}" >"$work/report.out" 2>&1 ||
  { cat "$work/report.out"; fail "durability check failed"; }
cat "$work/report.out"
stop_parleyd
note "PASS durability ($N MESSAGEs, SIGKILL after $answered_at_kill 202s)"
