# Sourced by bench/run.sh: servers, SIPp runs and measurements.
# Everything here runs inside the private network namespace set up by run.sh.
# Globals used: root build work threads users kam_shm verbose

# --- ports (loopback of the private netns) --------------------------------------
P_PORT=15060 P_TLS=15061 K_PORT=15070 K_TLS=15071 # servers
P_TUN=17061 K_TUN=17071                           # stunnel client ends (TLS flows)
UAS_PORT=16000 SINK_PORT=16001 SOAK_UAS2_PORT=16002 # SIPp UAs the servers send to

# srv_wrap: a command parleyd runs under (PARLEY_BENCH_WRAP, e.g. "heaptrack -o /tmp/h"),
# srv_extra: more parleyd options (PARLEY_BENCH_EXTRA); PARLEY_BENCH_HTTP=IP:PORT turns on
# parleyd's HTTP listener (/metrics) in the run's namespace (off by default)
bg_pids=() srv_wrap=(${PARLEY_BENCH_WRAP:-}) srv_extra=(${PARLEY_BENCH_EXTRA:-})
log() { printf "%4ss %s\n" "$SECONDS" "$*" >&2; }
vlog() { [[ -z ${verbose:-} ]] || log "  · $*"; }

# Stops a background process (and what it started) by PID: TERM, then KILL.
stop_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup_all() {
  local p
  for p in "${bg_pids[@]}"; do stop_pid "$p"; done
  bg_pids=()
}

# All PIDs of the process tree rooted at $1.
tree_pids() {
  local p=$1 c
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}

# On-CPU time (user+sys) in ns of every thread of the given processes.
cpu_ns() {
  local p t s=0 a
  for p in "$@"; do
    for t in /proc/"$p"/task/*/schedstat; do
      read -r a _ <"$t" 2>/dev/null || continue
      s=$((s + a))
    done
  done
  echo "$s"
}

# "name ns" per thread name (threads of one name summed) over the given processes.
cpu_ns_by_thread() {
  local p t a n
  for p in "$@"; do
    for t in /proc/"$p"/task/*; do
      read -r a _ <"$t/schedstat" 2>/dev/null || continue
      read -r n <"$t/comm" 2>/dev/null || n=?
      echo "${n// /_} $a"
    done
  done | awk '{s[$1] += $2} END {for (n in s) print n, s[n]}' | sort
}

# "name=µs/flow ..." from two cpu_ns_by_thread samples and a flow count.
cpu_per_thread() {
  awk -v o="$3" 'NR == FNR {a[$1] = $2; next} {d = $2 - a[$1]; if (o > 0 && d > 0) printf "%s=%.1f ", $1, d / 1000 / o}' \
    <(echo "$1") <(echo "$2")
}

# Sum of Pss (kB) over the given processes (shared memory counted once).
pss_kb() {
  local p s=0 v
  for p in "$@"; do
    v=$(awk '/^Pss:/{print $2; exit}' /proc/"$p"/smaps_rollup 2>/dev/null || true)
    s=$((s + ${v:-0}))
  done
  echo "$s"
}
hwm_kb() {
  local p s=0 v
  for p in "$@"; do
    v=$(awk '/^VmHWM:/{print $2; exit}' /proc/"$p"/status 2>/dev/null || true)
    s=$((s + ${v:-0}))
  done
  echo "$s"
}

# Samples the server tree's Pss every 0.25 s; the peak goes to $1.
start_mem_sampler() {
  local file=$1; shift
  (
    peak=0
    while :; do
      v=$(pss_kb "$@")
      ((v > peak)) && { peak=$v; echo "$peak" >"$file.tmp" && mv "$file.tmp" "$file"; }
      sleep 0.25
    done
  ) &
  sampler_pid=$!
  bg_pids+=("$sampler_pid")
}

# --- shared material (per run) --------------------------------------------------
# users files, TLS certificate, Kamailio's database template.
prepare_material() {
  local n=$1
  mkdir -p "$work/material"
  local m=$work/material
  if [[ ! -f $m/users-$n.done ]]; then
    "$root/bench/users.sh" "$n" "$m" >/dev/null
    # Everyone watches u0 (fan-out), and u0 alone (publisher of the fan-out flow).
    awk -F';' 'BEGIN{OFS=";"} NR==1{print; next} {$3="u0"; print}' "$m/users.csv" >"$m/to-u0.csv"
    printf 'SEQUENTIAL\nu0;[authentication username=u0 password=pw];u1\n' >"$m/u0.csv"
    if command -v sqlite3 >/dev/null; then
      rm -f "$m/kamailio.db"
      for t in standard auth_db presence msilo usrloc; do
        sqlite3 "$m/kamailio.db" <"/usr/share/kamailio/db_sqlite/$t-create.sql"
      done
      sqlite3 "$m/kamailio.db" <"$m/kamailio-users.sql"
    fi
    touch "$m/users-$n.done"
  fi
  if [[ ! -f $m/cert.pem ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$m/key.pem" -out "$m/cert.pem" -days 30 \
      -subj /CN=127.0.0.1 >/dev/null 2>&1
  fi
}

# Lines [a, b) of the users file as a SIPp -inf file (SIPp always starts at line 0).
users_slice() {
  local a=$1 b=$2 src=${3:-$work/material/users.csv} out=$4
  awk -v a="$a" -v b="$b" 'NR==1{print; next} NR-2>=a && NR-2<b' "$src" >"$out"
}

# --- servers ----------------------------------------------------------------------
# start_server parley|kamailio DIR [tls]  sets srv_pid srv_port srv_tls srv_tun
parleyctl_bin() { find "$build" -maxdepth 4 -name parleyctl -type f -perm -u+x 2>/dev/null | head -n1; }

start_server() {
  local name=$1 dir=$2 tls=${3:-}
  mkdir -p "$dir"
  case $name in
    parley)
      srv_port=$P_PORT srv_tls=$P_TLS srv_tun=$P_TUN
      local ctl
      ctl=$(parleyctl_bin)
      if [[ -n $ctl ]]; then
        timeout 300 "$ctl" --data-dir "$dir/data" user import "$work/material/parley-users.csv" \
          >"$dir/import.log" 2>&1 || vlog "parleyctl user import failed (see $dir/import.log)"
        # Kamailio's presence config authorizes every watcher; so does this
        # domain's default rule (parley's own default asks the presentity).
        "$ctl" --data-dir "$dir/data" presence default bench.test allow \
          >>"$dir/import.log" 2>&1 || vlog "parleyctl presence default failed (see $dir/import.log)"
      fi
      local listen=(--listen "udp:127.0.0.1:$srv_port" --listen "tcp:127.0.0.1:$srv_port")
      [[ -n $tls ]] && listen+=(--listen "tls:127.0.0.1:$srv_tls"
        --tls-cert "$work/material/cert.pem" --tls-key "$work/material/key.pem")
      timeout -k 5 3600 "${srv_wrap[@]}" "$build/src/server/parleyd" "${listen[@]}" --domain bench.test \
        --data-dir "$dir/data" --threads "$threads" --http "${PARLEY_BENCH_HTTP:-}" --log-level warn --shutdown-grace-ms 1000 "${srv_extra[@]}" >"$dir/server.log" 2>&1 &
      srv_pid=$!
      ;;
    kamailio)
      srv_port=$K_PORT srv_tls=$K_TLS srv_tun=$K_TUN
      cp "$work/material/kamailio.db" "$dir/kamailio.db"
      sed -e "s#@PORT@#$srv_port#g; s#@TLS_PORT@#$srv_tls#g; s#@DIR@#$dir#g; s#@CHILDREN@#$threads#g" \
        "$root/bench/kamailio/kamailio.cfg.in" >"$dir/kamailio.cfg"
      local defs=()
      if [[ -n $tls ]]; then
        defs=(-A WITH_TLS)
        cat >"$dir/tls.cfg" <<EOF
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $work/material/key.pem
certificate = $work/material/cert.pem
EOF
      fi
      timeout -k 5 3600 kamailio -f "$dir/kamailio.cfg" "${defs[@]}" -DD -E -m "$kam_shm" -M 64 \
        >"$dir/server.log" 2>&1 &
      srv_pid=$!
      ;;
  esac
  bg_pids+=("$srv_pid")
  local i
  for i in $(seq 100); do
    if ! kill -0 "$srv_pid" 2>/dev/null; then
      log "$name exited at start-up:"; tail -n 20 "$dir/server.log" >&2; return 1
    fi
    if sipp_quick "$dir/ready" options "" -m 1; then
      srv_tree=($(tree_pids "$srv_pid"))
      return 0
    fi
    sleep 0.1
  done
  log "$name did not answer OPTIONS"; tail -n 20 "$dir/server.log" >&2
  return 1
}

stop_server() {
  stop_pid "$srv_pid"
  [[ -n ${tun_pid:-} ]] && stop_pid "$tun_pid"
  tun_pid=
}

# TLS flows: SIPp here has no TLS, so it speaks TCP to a local stunnel that carries the
# connection over TLS to the server (the server terminates real TLS; stunnel's CPU is not counted).
start_tunnel() {
  local dir=$1
  cat >"$dir/stunnel.conf" <<EOF
foreground = yes
pid =
output = $dir/stunnel.log
[sip]
client = yes
accept = 127.0.0.1:$srv_tun
connect = 127.0.0.1:$srv_tls
verifyPeer = no
EOF
  timeout -k 5 3600 stunnel "$dir/stunnel.conf" >/dev/null 2>&1 &
  tun_pid=$!
  bg_pids+=("$tun_pid")
  local i
  for i in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$srv_tun") 2>/dev/null && return 0
    sleep 0.1
  done
  log "stunnel did not come up"; return 1
}

sipp_has_tls() { sipp -v 2>&1 | grep -q -- '-TLS'; }

# --- SIPp -------------------------------------------------------------------------
# Transport arguments for a variant (udp|tcp|tls): sets sipp_target and sipp_transport.
transport_args() {
  case $1 in
    udp) sipp_target=127.0.0.1:$srv_port sipp_transport=() ;;
    tcp) sipp_target=127.0.0.1:$srv_port sipp_transport=(-t t1) ;;
    tls)
      if sipp_has_tls; then
        sipp_target=127.0.0.1:$srv_tls
        sipp_transport=(-t l1 -tls_cert "$work/material/cert.pem" -tls_key "$work/material/key.pem")
      else
        # SIPp's digest uri defaults to the address it talks to, here the tunnel's:
        # name the domain instead, as a client would.
        sipp_target=127.0.0.1:$srv_tun sipp_transport=(-t t1 -auth_uri bench.test)
      fi
      ;;
  esac
}

# run_sipp OUTPREFIX SECS SCENARIO [sipp args]: bounded SIPp run; stats in OUT.stat.csv.
# Its traces stop at $sipp_log_cap bytes (default 1 MiB).
run_sipp() {
  local out=$1 secs=$2 scen=$3 more=(); shift 3
  # A refresh: the user's Call-ID again (call n is user n-1 in every run), with a CSeq above
  # the one of its last run (the clock in ms).
  [[ $scen == register_refresh ]] && more=(-cid_str "refresh-%u@bench.test" -base_cseq $(($(date +%s%3N) % 2000000000)))
  timeout -k 5 $((secs + 20)) sipp "$sipp_target" -sf "$root/bench/sipp/$scen.xml" -nostdin \
    -i 127.0.0.1 -timeout "${secs}s" -max_recv_loops 5000 -buff_size 8388608 \
    -trace_stat -stf "$out.stat.csv" -fd 1 -trace_err -error_file "$out.errors" -max_log_size "${sipp_log_cap:-1048576}" \
    "${sipp_transport[@]}" "${more[@]}" "$@" >"$out.screen" 2>&1 || true
}

# Quick bounded run (probes, readiness, set-up); true when every call succeeded.
sipp_quick() {
  local out=$1 scen=$2 trans=$3; shift 3
  local sipp_target=127.0.0.1:$srv_port sipp_transport=()
  [[ -n $trans ]] && transport_args "$trans"
  rm -f "$out.stat.csv"
  run_sipp "$out" 5 "$scen" -timeout_error -trace_shortmsg -shortmessage_file "$out.msgs" "$@"
  local ok bad
  read -r ok bad _ < <(stat_counts "$out.stat.csv")
  ((ok > 0 && bad == 0))
}

# "ok failed elapsed_s busy_ok busy_s" for a UAC run from its SIPp stat file. Calls still
# in progress at the end count as failed when SIPp had stopped starting calls in the last
# interval (every slot held by a call that never finished, or a fixed count that did not
# complete): they were lost, not slow. busy_ok/busy_s: successful calls and elapsed time at
# the last line where calls were still being started (a flat-out rate is busy_ok / busy_s,
# not diluted by the wait for stragglers at the end).
stat_run() {
  [[ -s $1 ]] || { echo "0 0 0 0 0"; return; }
  awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="SuccessfulCall(C)")s=i; if($i=="FailedCall(C)")f=i;
      if($i=="StartTime")a=i; if($i=="CurrentTime")b=i; if($i=="TotalCallCreated")t=i; if($i=="CurrentCall")c=i}}
    NR>1{split($a,x,"\t"); split($b,y,"\t"); el=y[3]-x[3]; ok=$s; bad=$f; cur=(c ? $c : 0);
      created=(t ? $t : 0); stalled=(created == prev); if (!stalled || NR == 2) {bok=ok; bel=el}; prev=created}
    END{if (stalled) bad += cur; printf "%d %d %.3f %d %.3f\n", ok, bad, el, bok, bel}' "$1"
}

# "ok failed elapsed_s" from a SIPp stat file (its last line).
stat_counts() {
  [[ -s $1 ]] || { echo "0 0 0"; return; }
  awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="SuccessfulCall(C)")s=i; if($i=="FailedCall(C)")f=i; if($i=="StartTime")a=i; if($i=="CurrentTime")b=i}}
    NR>1{ok=$s; bad=$f; split($a,x,"\t"); split($b,y,"\t"); el=y[3]-x[3]}
    END{printf "%d %d %.3f\n", ok, bad, el}' "$1"
}

# The first final answer of a trace, passing over digest challenges when the flow answered them
# (a 401/407 is printed only if nothing else came back).
first_status() {
  awk -F'\t' '$4=="R" && $7 ~ /^SIP\/2.0 /{split($7,a," "); c=a[2];
      if (c ~ /^1/) next; if (c=="401" || c=="407") { if (ch=="") ch=c; next } print c; found=1; exit}
    END { if (!found && ch!="") print ch }' "$1" 2>/dev/null || true
}
