# Sourced by bench/run.sh: scaling curves. Each curve starts one fresh server, grows its state
# point by point and, at each point, measures the server's CPU per flow at a fixed rate and
# its Pss. Rows go to curves.tsv: curve server x cpu_us pss_kb hwm_kb note.
#
#   registrations  bindings held (users u0..u(x-1) registered, Expires 3600); flow: REGISTER
#                  refresh of already registered users at $curve_rate_reg/s
#   subscriptions  presence subscriptions held (u_i watches u_(i+1), Contact: a NOTIFY sink);
#                  flow: a full SUBSCRIBE lifecycle at $curve_rate_sub/s
#   watchers       subscriptions to one presentity (u0); flow: u0's publication and its removal
#                  (publish.xml) and the 2x NOTIFYs they cause, at about 2000 NOTIFY/s

curve_row() {
  local IFS=$'\t'
  local r=("$@")
  while ((${#r[@]} < 7)); do r+=(-); done
  echo "${r[*]}" >>"$work/curves.tsv"
}

# Sets pss to the server's Pss now or, with --settle S, after S idle seconds (what is held
# once the transactions of the fill and of the CPU run have ended; the value at once goes to
# the note).
settle_pss() {
  pss=$(pss_kb "${srv_tree[@]}")
  if ((settle > 0)); then
    note+=" pss_at_once_kb=$pss"
    sleep "$settle"
    pss=$(pss_kb "${srv_tree[@]}")
  fi
}

# Fixed-rate run of SCEN (RATE flows per $curve_rp ms, default 1000); prints
# "cpu_us_per_flow ok failed". Extra sipp args after 4.
curve_cpu() {
  local out=$1 scen=$2 rate=$3 n=$4; shift 4
  local before after ok bad el rp=${curve_rp:-1000}
  before=$(cpu_ns "${srv_tree[@]}")
  run_sipp "$out" $((n * rp / 1000 / rate + 30)) "$scen" -m "$n" -r "$rate" -rp "$rp" -l 5000 "$@"
  [[ $scen == publish ]] && sleep 2 # the NOTIFYs go out after the PUBLISH is answered
  after=$(cpu_ns "${srv_tree[@]}")
  read -r ok bad el < <(stat_counts "$out.stat.csv")
  awk -v a="$before" -v b="$after" -v o="$ok" -v f="$bad" 'BEGIN{printf "%.1f %d %d\n", (o > 0 ? (b - a) / 1000 / o : 0), o, f}'
}

# Grows state from $cur to X with SCEN over UDP; sets cur. Extra sipp args after 3.
curve_fill() {
  local out=$1 scen=$2 inf=$3 x=$4; shift 4
  local n=$((x - cur)) ok bad
  ((n > 0)) || return 0
  users_slice "$cur" "$x" "$inf" "$out.inf"
  run_sipp "$out" $((n / 1000 + 60)) "$scen" -inf "$out.inf" -m "$n" -r "$curve_fill_rate" -l 1000 "$@"
  read -r ok bad _ < <(stat_counts "$out.stat.csv")
  fill_failed=$((fill_failed + bad + n - ok - bad))
  vlog "filled $cur -> $x: $ok ok, $bad failed"
  cur=$x
}

run_curve() {
  local curve=$1 server=$2 dir x cpu ok bad note
  dir=$work/$server/curve-$curve
  rm -rf "$dir"; mkdir -p "$dir"
  log "[$server] curve $curve"
  if ! start_server "$server" "$dir"; then
    curve_row "$curve" "$server" - - - - "FAILED (server did not start)"; return 0
  fi
  local sipp_target=127.0.0.1:$srv_port sipp_transport=() u=$work/material/users.csv
  cur=0 fill_failed=0
  case $curve in
    registrations)
      if ! sipp_quick "$dir/probe" register_auth "" -inf "$u" -m 1; then
        curve_row "$curve" "$server" - - - - "$(classify_failure "$dir/probe.msgs" REGISTER)"
        stop_server; return 0
      fi
      cur=1
      for x in $reg_points; do
        curve_fill "$dir/fill-$x" register_auth "$u" "$x"
        # refresh users spread over the registered ones
        awk -v x="$x" -v k=$(((x + 2999) / 3000)) 'NR==1{print; next} NR-2<x && (NR-2)%k==0' "$u" >"$dir/refresh-$x.inf"
        read -r cpu ok bad < <(curve_cpu "$dir/cpu-$x" register_auth "$curve_rate_reg" \
          $((curve_rate_reg * cpu_secs)) -inf "$dir/refresh-$x.inf")
        note="ok=$ok failed=$bad"; ((fill_failed == 0)) || note+=" fill_failed=$fill_failed"
        settle_pss
        curve_row "$curve" "$server" "$x" "$cpu" "$pss" "$(hwm_kb "${srv_tree[@]}")" "$note"
      done
      ;;
    subscriptions)
      start_sink "$dir"
      if ! sipp_quick "$dir/probe" subscribe_hold "" -inf "$u" -key sink_port "$SINK_PORT" -m 1; then
        curve_row "$curve" "$server" - - - - "$(classify_failure "$dir/probe.msgs" SUBSCRIBE)"
        flow_teardown; stop_server; return 0
      fi
      cur=1
      for x in $sub_points; do
        curve_fill_rate=$curve_fill_rate_sub curve_fill "$dir/fill-$x" subscribe_hold "$u" "$x" -key sink_port "$SINK_PORT"
        read -r cpu ok bad < <(curve_cpu "$dir/cpu-$x" subscribe_fetch "$curve_rate_sub" \
          $((curve_rate_sub * cpu_secs)) -inf "$u" -s u1)
        note="ok=$ok failed=$bad"; ((fill_failed == 0)) || note+=" fill_failed=$fill_failed"
        settle_pss
        curve_row "$curve" "$server" "$x" "$cpu" "$pss" "$(hwm_kb "${srv_tree[@]}")" "$note"
      done
      ;;
    watchers)
      start_sink "$dir"
      if ! sipp_quick "$dir/probe" subscribe_hold "" -inf "$work/material/to-u0.csv" -key sink_port "$SINK_PORT" -m 1; then
        curve_row "$curve" "$server" - - - - "$(classify_failure "$dir/probe.msgs" SUBSCRIBE)"
        flow_teardown; stop_server; return 0
      fi
      cur=1
      local r rp n before_n after_n
      for x in $watch_points; do
        curve_fill "$dir/fill-$x" subscribe_hold "$work/material/to-u0.csv" "$x" -key sink_port "$SINK_PORT"
        sink_settle >/dev/null # initial NOTIFYs answered and counted
        # about 2000 NOTIFY/s (2 per watcher and flow): 1000/x flows/s, at most 100 flows/s
        # (all on one presentity), at least 3 flows
        if ((x <= 1000)); then r=$(((1000 + x - 1) / x)) rp=1000; else r=1 rp=$x; fi
        ((r <= 100)) || r=100
        n=$((r * cpu_secs * 1000 / rp)); ((n >= 3)) || n=3
        before_n=$(sink_count)
        read -r cpu ok bad < <(curve_rp=$rp curve_cpu "$dir/cpu-$x" publish "$r" "$n" -inf "$work/material/u0.csv")
        after_n=$(sink_settle $((before_n + ok * x * 2)))
        note="flows_ok=$ok failed=$bad notifies=$((after_n - before_n))/$((ok * x * 2))"
        # Over the NOTIFYs answered (a server may coalesce a change its watcher never saw).
        note+=" cpu_us_per_notify=$(awk -v c="$cpu" -v o="$ok" -v n="$((after_n - before_n))" \
          'BEGIN{printf "%.1f", (n > 0 ? c * o / n : 0)}')"
        ((fill_failed == 0)) || note+=" fill_failed=$fill_failed"
        curve_row "$curve" "$server" "$x" "$cpu" "$(pss_kb "${srv_tree[@]}")" "$(hwm_kb "${srv_tree[@]}")" "$note"
      done
      ;;
  esac
  flow_teardown
  stop_server
}
