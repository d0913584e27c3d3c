# Sourced by bench/run.sh: the benchmark flows and how each one is measured.
#
# A flow is BASE[-tcp|-tls]. BASE is one of:
#   options          OPTIONS to the server itself                             (1 transaction)
#   register         REGISTER -> 401 -> REGISTER with credentials -> 200       (2)
#   message          MESSAGE -> 407/401 -> MESSAGE with credentials, relayed to a
#                    registered SIPp UAS that answers 200                       (2 + 1 relayed)
#   message-offline  same to a user that is not registered: stored, 202        (2)
#   publish          PUBLISH (PIDF) -> 401/407 -> PUBLISH with credentials -> 200, then its
#                    removal (SIP-If-Match, Expires: 0) -> 200                  (3)
#   subscribe        SUBSCRIBE (auth) -> 2xx + NOTIFY -> unSUBSCRIBE -> 2xx + final NOTIFY
#   subscribe-list   the same to a presence list of 10 users (RFC 4662, Supported: eventlist):
#                    each NOTIFY carries the RLMI and the 10 documents (multipart/related)
#   invite           a call through the proxy to a registered SIPp UAS: INVITE (-> 407 -> ACK
#                    -> INVITE with credentials) -> 180, 200 -> ACK -> BYE -> 200, ACK and
#                    BYE in the Record-Route set                             (2-3 + ACK)
#   fanout           publish flow for u0 while $watchers subscriptions to u0 are held: one
#                    flow = the publication, its removal and the 2 x $watchers NOTIFYs (UDP)
ALL_FLOWS=options,options-tcp,options-tls,register,register-refresh,register-tcp,register-tls,message,message-tcp,message-tls,message-offline,message-offline-tcp,publish,publish-tcp,publish-tls,subscribe,subscribe-tcp,subscribe-list,invite,invite-tcp,fanout
DEFAULT_FLOWS=options,options-tcp,options-tls,register,register-refresh,register-tcp,register-tls,message,message-tcp,message-offline,publish,publish-tcp,subscribe,subscribe-tcp,subscribe-list,invite,invite-tcp,fanout

# flow_def FLOW: sets f_base f_trans f_scen f_args f_setup f_rate f_limit.
flow_def() {
  local flow=$1
  f_trans=udp f_base=$flow
  case $flow in
    *-tcp) f_trans=tcp f_base=${flow%-tcp} ;;
    *-tls) f_trans=tls f_base=${flow%-tls} ;;
  esac
  local u=$work/material/users.csv
  f_setup="" f_limit=200 f_na="" f_uas=message_uas
  case $f_base in
    options) f_scen=options f_args=() f_rate=2000 ;;
    register) f_scen=register_auth f_args=(-inf "$u") f_rate=2000 ;;
    # The steady state of a registrar: users registered a while ago refresh (same Call-ID,
    # higher CSeq). The set-up registers the users the measured run will refresh.
    register-refresh) f_scen=register_refresh f_args=(-inf "$u") f_rate=2000 f_setup=prereg ;;
    message) f_scen=message_uac f_args=(-inf "$u" -s u1) f_rate=1000 f_setup=uas ;;
    # Kamailio's msilo writes every stored message to SQLite (one synchronous transaction
    # each): about 30-50/s on our machine, so the common offered rate has to be low.
    # 480 to a user who is not registered: the server has no deferred delivery.
    message-offline) f_scen=message_offline f_args=(-inf "$u") f_rate=20 f_na=480 ;;
    publish) f_scen=publish f_args=(-inf "$u") f_rate=500 ;;
    subscribe) f_scen=subscribe_fetch f_args=(-inf "$u" -s u1) f_rate=300 ;;
    # Kamailio's anchor config loads no resource list server (rls): n/a there.
    subscribe-list) f_scen=subscribe_list f_args=(-inf "$u" -s list10) f_rate=300 f_setup=list ;;
    invite) f_scen=invite_uac f_args=(-inf "$u" -s u1) f_rate=500 f_setup=uas f_uas=invite_uas ;;
    fanout)
      [[ $f_trans == udp ]] || { log "fanout runs over UDP only"; return 1; }
      f_scen=publish f_args=(-inf "$work/material/u0.csv") f_setup=sink f_limit=20
      f_rate=$(((1000 + watchers - 1) / watchers)) # 2 NOTIFYs per watcher and flow: ~2000 NOTIFY/s
      ;;
    *) log "unknown flow: $flow"; return 1 ;;
  esac
  [[ -n ${rate_override:-} ]] && f_rate=$rate_override
  return 0
}

# Responses that mean "this server does not do that (yet)" to a flow's first request;
# a flow adds its own in f_na (e.g. 480 where a stored message was expected).
not_implemented_status() { [[ $1 =~ ^(403|404|405|420|488|489|501)$ || ( -n ${f_na:-} && $1 == "$f_na" ) ]]; }

# Classifies a failed probe/set-up trace: prints "n/a (not implemented: NNN)" or "FAILED (...)".
classify_failure() {
  local trace=$1 what=$2 code
  code=$(first_status "$trace")
  if [[ -n $code ]] && not_implemented_status "$code"; then
    echo "n/a (not implemented: $what answered $code)"
  else
    echo "FAILED ($what: ${code:-no response})"
  fi
}

# Starts the SIPp UAs a flow needs (the registered message recipient, the NOTIFY sink).
# Prints nothing and returns 0, or sets setup_status and returns 1.
flow_setup() {
  local dir=$1
  setup_status=""
  case $f_setup in
    uas)
      timeout -k 5 3600 sipp -sf "$root/bench/sipp/$f_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 -nostdin -nd -buff_size 8388608 \
        -trace_stat -stf "$dir/uas.stat.csv" -fd 1 -trace_err -error_file "$dir/uas.errors" >/dev/null 2>&1 &
      bg_pids+=($!); uas_pid=$!
      if ! sipp_quick "$dir/register-one" register_one "" -s u1 -au u1 -ap pw -key contact_port "$UAS_PORT" -m 1; then
        setup_status=$(classify_failure "$dir/register-one.msgs" "REGISTER of the recipient")
        return 1
      fi
      ;;
    prereg)
      # Every user the fixed-rate run and the probe will refresh (the probe's first ones too).
      # SIPp reads the users in a loop: with fewer users than flows, call n and call n+users
      # are one user under two Call-IDs, a new binding rather than a refresh.
      local n=$((f_rate * cpu_secs + 100)) sipp_target sipp_transport
      if ((n > users)); then
        log "register-refresh: $n flows but $users users: some refreshes replace a binding (use --users >= $n)"
        n=$users
      fi
      transport_args "$f_trans"
      users_slice 0 "$n" "$work/material/users.csv" "$dir/prereg.inf"
      run_sipp "$dir/prereg" $((n / 2000 + 30)) register_refresh -inf "$dir/prereg.inf" -m "$n" -r 5000 -l 500
      local ok bad
      read -r ok bad _ < <(stat_counts "$dir/prereg.stat.csv")
      if ((ok < n)); then
        setup_status="FAILED (registering the users to refresh: $ok of $n)"
        return 1
      fi
      ;;
    list)
      if [[ $server != parley ]]; then
        setup_status="n/a (no resource list server in the anchor config)"
        return 1
      fi
      # list10@bench.test = u0..u9, open to every user; the change feed brings it in a
      # second (parleyd's default poll).
      local ctl members=() i
      ctl=$(parleyctl_bin)
      for ((i = 0; i < 10; i++)); do members+=("u$i@bench.test"); done
      if ! "$ctl" --data-dir "$dir/data" group create list10@bench.test --posting users >>"$dir/import.log" 2>&1 ||
        ! "$ctl" --data-dir "$dir/data" group add list10@bench.test "${members[@]}" >>"$dir/import.log" 2>&1; then
        setup_status="FAILED (parleyctl group: see import.log)"
        return 1
      fi
      sleep 1.5
      ;;
    sink)
      start_sink "$dir"
      hold_subscriptions "$dir/hold" "$work/material/to-u0.csv" "$watchers" || {
        setup_status=$(classify_failure "$dir/hold.msgs" "SUBSCRIBE of the watchers")
        return 1
      }
      ;;
  esac
  return 0
}

flow_teardown() {
  [[ -n ${uas_pid:-} ]] && stop_pid "$uas_pid"
  [[ -n ${sink_pid:-} ]] && stop_pid "$sink_pid"
  uas_pid= sink_pid=
}

# The NOTIFY sink: answers every NOTIFY sent to the held subscriptions' Contact.
start_sink() {
  local dir=$1
  timeout -k 5 3600 sipp -sf "$root/bench/sipp/notify_sink.xml" -p "$SINK_PORT" -i 127.0.0.1 -nostdin -nd \
    -deadcall_wait 0 -max_recv_loops 10000 -buff_size 4194304 \
    -trace_stat -stf "$dir/sink.stat.csv" -fd 1 >/dev/null 2>&1 &
  sink_pid=$!
  sink_stat=$dir/sink.stat.csv
  bg_pids+=("$sink_pid")
}

# NOTIFYs answered by the sink so far (its stat file is refreshed every second).
sink_count() {
  local ok
  read -r ok _ < <(stat_counts "$sink_stat")
  echo "$ok"
}

# sink_settle [TARGET]: waits until the sink has answered TARGET NOTIFYs in all, or its count
# has not moved for 3 s (at most 90 s), and prints the count. One SIPp answers some 15-30k
# NOTIFY/s: a burst to 10,000 watchers takes it longer than the server to send.
sink_settle() {
  local target=${1:-0} c prev=-1 still=0 i
  for ((i = 0; i < 90; i++)); do
    sleep 1
    c=$(sink_count)
    if ((target > 0 && c >= target)); then break; fi
    if ((c == prev)); then
      still=$((still + 1))
      ((still >= 3)) && break
    else
      still=0
    fi
    prev=$c
  done
  echo "$c"
}

# hold_subscriptions OUT INF N: N long-lived subscriptions (Contact: the sink), over UDP.
# The first attempt sends one, so that a server without SUBSCRIBE is classified quickly.
hold_subscriptions() {
  local out=$1 inf=$2 n=$3
  local sipp_target=127.0.0.1:$srv_port sipp_transport=()
  sipp_quick "$out" subscribe_hold "" -inf "$inf" -key sink_port "$SINK_PORT" -m 1 || return 1
  ((n > 1)) || return 0
  local rest=$((n - 1)) ok bad
  users_slice 1 $((n > users ? users : n)) "$inf" "$out.inf"
  run_sipp "$out.rest" $((rest / 500 + 30)) subscribe_hold -inf "$out.inf" -key sink_port "$SINK_PORT" \
    -m "$rest" -r 1000 -l 500
  read -r ok bad _ < <(stat_counts "$out.rest.stat.csv")
  vlog "held $((ok + 1)) subscriptions ($bad failed)"
  ((ok == rest))
}

# measure_flow SERVER FLOW: one row of flows.tsv.
# Columns: flow server status max_rate max_fail_pct cpu_us_per_flow cpu_rate cpu_ok cpu_failed
#          p50_ms p99_ms peak_pss_kb hwm_kb extra round
# In rounds after the first ($round > 1) only the fixed-rate part runs (max_rate "-").
measure_flow() {
  local server=$1 flow=$2 dir r=${round:-1}
  dir=$work/$server/$flow
  ((r > 1)) && dir+=.r$r
  local status=ok max=- maxfail=- cpu=- cok=- cbad=- p50=- p99=- peak=- hwm=- extra=-
  rm -rf "$dir"; mkdir -p "$dir"
  flow_def "$flow" || return 1
  log "[$server] $flow"
  local tls=""; [[ $f_trans == tls ]] && tls=1
  if ! start_server "$server" "$dir" "$tls"; then
    row "$flow" "$server" "FAILED (server did not start)"; return 0
  fi
  start_mem_sampler "$dir/peak_pss" "${srv_tree[@]}"
  if [[ -n $tls ]] && ! sipp_has_tls; then
    command -v stunnel >/dev/null || { status="n/a (no TLS in SIPp and no stunnel)"; }
    [[ $status == ok ]] && { start_tunnel "$dir" || status="FAILED (stunnel)"; }
  fi
  [[ $status == ok ]] && { flow_setup "$dir" || status=$setup_status; }
  local sipp_target sipp_transport
  transport_args "$f_trans"
  if [[ $status == ok ]] && ! sipp_quick "$dir/probe" "$f_scen" "$f_trans" "${f_args[@]}" -m 3 -r 10; then
    status=$(classify_failure "$dir/probe.msgs" "first request")
  fi
  if [[ $status == ok ]]; then
    cpu_run "$dir"  # first, on a server not yet disturbed by saturation
    ((r > 1)) || max_rate "$dir"
  fi
  [[ -s $dir/peak_pss ]] && peak=$(cat "$dir/peak_pss")
  hwm=$(hwm_kb "${srv_tree[@]}")
  stop_pid "$sampler_pid"
  flow_teardown
  stop_server
  # Failures at the fixed rate: in strict mode (smoke, far below capacity) the flow failed;
  # otherwise they are reported next to the numbers.
  if [[ $status == ok ]] && [[ $cok == 0 || $cbad -gt 0 ]]; then
    if [[ -n $strict || $cok == 0 ]]; then
      status="FAILED ($cbad of $((cok + cbad)) flows failed at $f_rate/s)"
    else
      [[ $extra == - ]] && extra="" || extra+=" "
      extra+="$cbad of $((cok + cbad)) flows failed at $f_rate/s"
    fi
  fi
  row "$flow" "$server" "$status" "$max" "$maxfail" "$cpu" "$f_rate" "$cok" "$cbad" "$p50" "$p99" "$peak" "$hwm" "$extra" "$r"
}

row() {
  local IFS=$'\t'
  local r=("$@")
  while ((${#r[@]} < 15)); do r+=(-); done
  echo "${r[*]}" >>"$work/flows.tsv"
}

# Max sustainable rate: flat out for $max_secs (at most $f_limit flows in progress, or
# --inflight); if 0.1% or more failed or were lost (stat_run), fixed rates from 80% of what
# was reached, down by 20% each try.
max_rate() {
  local dir=$1 ok bad el r tries=0
  local bok bel
  local limit=${inflight:-$f_limit}
  [[ -n ${inflight_cap:-} ]] && ((limit > inflight_cap)) && limit=$inflight_cap
  run_sipp "$dir/max0" "$max_secs" "$f_scen" "${f_args[@]}" -m 100000000 -r 100000 -l "$limit"
  read -r ok bad el bok bel < <(stat_run "$dir/max0.stat.csv")
  r=$(awk -v o="$bok" -v e="$bel" 'BEGIN{printf "%d", (e > 0 ? o / e : 0)}')
  vlog "flat out: $ok ok, $bad failed or lost in ${el}s; $bok ok in ${bel}s = $r/s"
  while ((ok == 0 || bad * 1000 >= ok + bad)) && ((tries < 4)); do
    tries=$((tries + 1))
    r=$((r * 8 / 10)); ((r > 0)) || r=1
    run_sipp "$dir/max$tries" $((max_secs + 10)) "$f_scen" "${f_args[@]}" -m $((r * max_secs)) -r "$r" -l 5000
    read -r ok bad el _ < <(stat_run "$dir/max$tries.stat.csv")
    vlog "at $r/s: $ok ok, $bad failed or lost"
  done
  max=$r
  maxfail=$(awk -v o="$ok" -v b="$bad" 'BEGIN{printf "%.3f", (o + b > 0 ? 100 * b / (o + b) : 100)}')
  if ((ok == 0 || bad * 1000 >= ok + bad)); then max="<$r"; fi
}

# CPU per flow and latency at the fixed offered rate $f_rate for $cpu_secs.
cpu_run() {
  local dir=$1 n before after el notes0 notes1 threads0 rp=()
  n=$((f_rate * cpu_secs))
  if [[ $f_setup == sink ]]; then
    notes0=$(sink_settle) # the probe's NOTIFYs, all answered
  fi
  threads0=$(cpu_ns_by_thread "${srv_tree[@]}")
  before=$(cpu_ns "${srv_tree[@]}")
  # The whole run's messages are traced (not the first MiB, its first second or so):
  # p50/p99 are over every flow of the run.
  sipp_log_cap=$((256 << 20)) run_sipp "$dir/cpu" $((cpu_secs + 15)) "$f_scen" "${f_args[@]}" \
    -m "$n" -r "$f_rate" -l 5000 -trace_shortmsg -shortmessage_file "$dir/cpu.msgs"
  read -r cok cbad el _ < <(stat_run "$dir/cpu.stat.csv")
  # NOTIFYs go out after the PUBLISH is answered: the CPU sample waits for them all.
  [[ $f_setup == sink ]] && notes1=$(sink_settle $((notes0 + cok * watchers * 2)))
  after=$(cpu_ns "${srv_tree[@]}")
  vlog "CPU µs/flow by thread: $(cpu_per_thread "$threads0" "$(cpu_ns_by_thread "${srv_tree[@]}")" "$cok")"
  cpu=$(awk -v a="$before" -v b="$after" -v o="$cok" 'BEGIN{printf "%.1f", (o > 0 ? (b - a) / 1000 / o : 0)}')
  read -r p50 p99 _ < <(python3 "$root/bench/lib/report.py" latency "$dir/cpu.msgs")
  if [[ $f_setup == sink ]]; then
    # A server may coalesce a publication and its removal into no NOTIFY for a watcher it had
    # not reached yet (its last state is unchanged): CPU per NOTIFY is over those answered.
    local got=$((notes1 - notes0))
    extra="watchers=$watchers notifies=$got/$((cok * watchers * 2))"
    extra+=" cpu_us_per_notify=$(awk -v a="$before" -v b="$after" -v n="$got" \
      'BEGIN{printf "%.1f", (n > 0 ? (b - a) / 1000 / n : 0)}')"
  fi
  vlog "at $f_rate/s: $cok ok, $cbad failed, $cpu us/flow, p50 $p50 ms, p99 $p99 ms"
}
