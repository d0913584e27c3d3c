# Sourced by bench/run.sh: parleyd under a steady mixed load for a while.
#
#   measure_soak MINUTES   soak.tsv (a memory/CPU sample every 10 s) and soak-flows.tsv, then
#                          prints the verdict; returns 1 when it failed.
#
# Every flow runs at once, each at a fixed rate over its own users (so no flow's UA gets
# another flow's requests): REGISTER+digest of u1000..u1999 (100/s, each user every 10 s),
# MESSAGE from u4000.. to u1's registered UA (100/s), MESSAGE from u5000.. to every fourth of
# u6000..u9999, who never register (10/s, stored), PUBLISH + removal by u2000.. (50/s), SUBSCRIBE lifecycle from
# u3000.. to u1 (30/s), calls from u7000.. to u2's registered UA (20/s).
# It fails when a flow lost 0.1 % or more of its flows, when the store holds fewer messages
# than were answered 202 (an acknowledged message lost), or, over 5 minutes and more, when the
# server's memory grew by more than a fifth (and 8 MiB) from a third of the run to its end:
# every flow's state has reached its steady size by then (transactions linger 32 s), so what
# still grows is a leak.

SOAK_FLOWS="register message message-offline publish subscribe invite"

soak_def() {
  case $1 in
    register) s_scen=register_auth s_rate=100 s_from=1000 s_to=2000 s_peer="" ;;
    message) s_scen=message_uac s_rate=100 s_from=4000 s_to=5000 s_peer=u1 ;;
    message-offline) s_scen=message_offline s_rate=10 s_from=5000 s_to=6000 s_peer="" ;;
    publish) s_scen=publish s_rate=50 s_from=2000 s_to=3000 s_peer="" ;;
    subscribe) s_scen=subscribe_fetch s_rate=30 s_from=3000 s_to=4000 s_peer=u1 ;;
    invite) s_scen=invite_uac s_rate=20 s_from=7000 s_to=8000 s_peer=u2 ;;
  esac
}

# soak_row FILE FIELD...: one tab-separated line.
soak_row() {
  local file=$1 IFS=$'\t'
  shift
  echo "$*" >>"$file"
}

measure_soak() {
  local minutes=$1 dir=$work/parley/soak secs f pids=() status=ok
  secs=$(awk -v m="$minutes" 'BEGIN{printf "%d", m * 60}')
  ((secs >= 10)) || secs=10
  rm -rf "$dir"; mkdir -p "$dir"
  ((users >= 10000)) || { users=10000; prepare_material "$users"; }
  log "[parley] soak: every flow at once for ${secs}s"
  if ! start_server parley "$dir"; then
    echo "soak: FAILED (server did not start)"; return 1
  fi
  local sipp_target=127.0.0.1:$srv_port sipp_transport=()
  # The two registered UAs: u1 takes MESSAGEs, u2 takes calls.
  timeout -k 5 $((secs + 120)) sipp -sf "$root/bench/sipp/message_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 -nostdin -nd \
    -buff_size 8388608 -trace_stat -stf "$dir/uas.stat.csv" -fd 1 >/dev/null 2>&1 &
  bg_pids+=($!); local uas1=$!
  timeout -k 5 $((secs + 120)) sipp -sf "$root/bench/sipp/invite_uas.xml" -p "$SOAK_UAS2_PORT" -i 127.0.0.1 -nostdin \
    -nd -buff_size 8388608 -trace_stat -stf "$dir/uas2.stat.csv" -fd 1 >/dev/null 2>&1 &
  bg_pids+=($!); local uas2=$!
  if ! sipp_quick "$dir/register-u1" register_one "" -s u1 -au u1 -ap pw -key contact_port "$UAS_PORT" -m 1 ||
    ! sipp_quick "$dir/register-u2" register_one "" -s u2 -au u2 -ap pw -key contact_port "$SOAK_UAS2_PORT" -m 1; then
    stop_pid "$uas1"; stop_pid "$uas2"; stop_server
    echo "soak: FAILED (registering the UAs)"; return 1
  fi
  : >"$dir/soak.tsv"
  for f in $SOAK_FLOWS; do
    soak_def "$f"
    local inf=$dir/$f.inf
    users_slice "$s_from" "$s_to" "$work/material/users.csv" "$inf"
    # The stored messages go to users nobody registers (u6000..u9999).
    [[ $f == message-offline ]] && awk -F';' 'BEGIN{OFS=";"} NR==1{print; next} {$3="u" (6000 + (NR - 2) * 4); print}' \
      "$inf" >"$inf.to" && mv "$inf.to" "$inf"
    local args=(-inf "$inf")
    [[ -n $s_peer ]] && args+=(-s "$s_peer")
    run_sipp "$dir/$f" $((secs + 30)) "$s_scen" "${args[@]}" -m $((s_rate * secs)) -r "$s_rate" -l 5000 &
    pids+=($!)
  done
  bg_pids+=("${pids[@]}")
  # A sample every 10 s while the flows run: elapsed s, Pss KiB, server CPU s.
  local t0=$SECONDS running=1
  while ((running)); do
    soak_row "$dir/soak.tsv" $((SECONDS - t0)) "$(pss_kb "${srv_tree[@]}")" \
      "$(awk -v n="$(cpu_ns "${srv_tree[@]}")" 'BEGIN{printf "%.1f", n / 1e9}')"
    running=0
    for f in "${pids[@]}"; do kill -0 "$f" 2>/dev/null && running=1; done
    ((running)) && sleep 10
  done
  wait "${pids[@]}" 2>/dev/null || true
  # Verdicts: the flows, the stored messages, the memory.
  : >"$dir/soak-flows.tsv"
  local ok bad total_ok=0 total_bad=0 stored_ok=0
  for f in $SOAK_FLOWS; do
    read -r ok bad _ < <(stat_run "$dir/$f.stat.csv")
    soak_row "$dir/soak-flows.tsv" "$f" "$ok" "$bad"
    [[ $f == message-offline ]] && stored_ok=$ok
    total_ok=$((total_ok + ok)) total_bad=$((total_bad + bad))
    if ((ok == 0 || bad * 1000 >= ok + bad)); then status="FAILED ($f: $bad of $((ok + bad)) flows failed)"; fi
  done
  stop_pid "$uas1"; stop_pid "$uas2"
  stop_server
  # Read after the server stopped: everything it answered 202 to is committed by then.
  local stored
  stored=$(sqlite3 -readonly -cmd '.timeout 5000' "$dir/data/parley.db" \
    "SELECT COUNT(*) FROM message_queue WHERE recipient GLOB 'u[6-9][0-9][0-9][0-9]@bench.test'" \
    2>/dev/null || echo '?')
  if [[ ! $stored =~ ^[0-9]+$ ]] || ((stored < stored_ok)); then
    status="FAILED (${stored_ok} messages answered 202, ${stored} stored)"
  fi
  local mem
  mem=$(awk -v secs="$secs" 'NR==1{next} $1 >= secs / 3 && !a {a=$2; at=$1} {z=$2; zt=$1}
      END{g = z - a; printf "%d %d %.1f %.1f", a, z, (a > 0 ? 100 * g / a : 0), (zt > at ? g / (zt - at) * 60 : 0)}' \
    "$dir/soak.tsv")
  local from to pct per_min
  read -r from to pct per_min <<<"$mem"
  if ((secs >= 300)) && awk -v p="$pct" -v a="$from" -v z="$to" 'BEGIN{exit !(p > 20 && z - a > 8192)}'; then
    status="FAILED (memory grew ${pct}% from $((from / 1024)) to $((to / 1024)) MiB after the first third)"
  fi
  echo
  echo "| soak flow | rate /s | ok | failed |"
  echo "|---|--:|--:|--:|"
  while IFS=$'\t' read -r f ok bad; do
    soak_def "$f"
    echo "| $f | $s_rate | $ok | $bad |"
  done <"$dir/soak-flows.tsv"
  echo
  echo "soak: ${secs}s, $total_ok flows ok, $total_bad failed; messages answered 202: $stored_ok, stored: $stored;" \
    "Pss $((from / 1024)) MiB at a third, $((to / 1024)) MiB at the end (${pct}%, ${per_min} KiB/min);" \
    "server CPU $(awk 'END{print $3}' "$dir/soak.tsv") s"
  echo "soak: $status"
  [[ $status == ok ]]
}
