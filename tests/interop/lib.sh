# Sourced by interop.sh: a private network namespace, a real parleyd from the build tree,
# bounded SIPp runs and clean-up of every process started (by PID).
# Ports are fixed: each test runs in its own namespace, so parallel tests cannot collide.

SIP_PORT=15060                       # parleyd, udp + tcp
DOMAIN=example.test
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pids=()                              # everything started in the background
work=""

fail() { echo "FAIL: $*" >&2; exit 1; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
t0=$(now_ms)
note() { printf '[%5d ms] %s\n' $(($(now_ms) - t0)) "$*"; }

need() { # need TOOL PACKAGE
  command -v "$1" >/dev/null || fail "$1 is missing: install the Debian package $2 (scripts/install-deps.sh does)"
}

# Re-runs the calling script in a new network namespace with only loopback up.
enter_netns() {
  if [[ ${PARLEY_INTEROP_NETNS:-} != 1 ]]; then
    need unshare util-linux
    local flags=-n
    ((EUID == 0)) || flags=-rn   # an unprivileged user namespace when not root
    unshare $flags "$BASH" -c : 2>/dev/null || fail "cannot create a network namespace (unshare $flags): run as root"
    PARLEY_INTEROP_NETNS=1 exec unshare $flags "$BASH" "$0" "$@"
  fi
  need ip iproute2
  need ss iproute2
  ip link set lo up || fail "cannot bring up loopback in the namespace"
}

# TERM, then KILL after 2 s; returns the process's exit status.
stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null
}

forget() { # forget PID: no longer ours to stop
  local p keep=()
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  pids=("${keep[@]}")
}

cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do stop_pid "$p" || true; done
  if [[ -n $work ]]; then
    if ((rc == 0)) && [[ -z ${PARLEY_INTEROP_KEEP:-} ]]; then
      rm -rf "$work"
    else
      echo "--- logs kept in $work" >&2
      for f in "$work"/*.log "$work"/*.out "$work"/*.err; do
        [[ -s $f ]] || continue
        echo "--- $f (last 40 lines)" >&2
        tail -n 40 "$f" >&2
      done
    fi
  fi
  exit "$rc"
}

setup() { # setup CASE
  work=$(mktemp -d "${TMPDIR:-/tmp}/parley-interop-$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# start_parleyd [extra parleyd flags]: users alice, bob, carol (password USER-pw) in a fresh
# store, then parleyd on 127.0.0.1:$SIP_PORT (HTTP on $HTTP_LISTEN if set); waits until it logs
# "started".
start_parleyd() {
  [[ -x $PARLEYD && -x $PARLEYCTL ]] || fail "parleyd/parleyctl not built: $PARLEYD $PARLEYCTL"
  printf '%s\n' "aor,password" "alice@$DOMAIN,alice-pw" "bob@$DOMAIN,bob-pw" "carol@$DOMAIN,carol-pw" \
    >"$work/users.csv"
  "$PARLEYCTL" --data-dir "$work/data" user import "$work/users.csv" >"$work/parleyctl.out" 2>&1 ||
    fail "parleyctl user import failed: $(cat "$work/parleyctl.out")"
  launch_parleyd parleyd "$@"
}

# launch_parleyd LOGNAME [extra parleyd flags]: parleyd on the store in $work/data as it is (a
# restart keeps it), logging to $work/LOGNAME.log; sets parleyd_pid (its `timeout` wrapper).
launch_parleyd() {
  local log=$work/$1.log; shift
  timeout -k 2 120 "$PARLEYD" --listen "udp:127.0.0.1:$SIP_PORT" --listen "tcp:127.0.0.1:$SIP_PORT" \
    --domain "$DOMAIN" --data-dir "$work/data" --threads 2 --http "${HTTP_LISTEN:-}" --log-level info \
    --change-poll-ms 50 --shutdown-grace-ms 1000 "$@" >"$log" 2>&1 &
  parleyd_pid=$!
  pids+=("$parleyd_pid")
  local i
  for i in $(seq 300); do   # 30 s: the ASan build starts slowly
    grep -qs 'event=started' "$log" && { note "parleyd up"; return 0; }
    kill -0 "$parleyd_pid" 2>/dev/null || fail "parleyd exited at start-up"
    sleep 0.1
  done
  fail "parleyd did not start within 30 s"
}

# crash_parleyd: SIGKILL to parleyd itself (not its `timeout` wrapper), as a crash would.
crash_parleyd() {
  local child
  child=$(ps -o pid= --ppid "$parleyd_pid" | tr -d ' ')
  [[ -n $child ]] || fail "parleyd (under timeout $parleyd_pid) is not running"
  kill -KILL "$child"
  wait "$parleyd_pid" 2>/dev/null || true
  forget "$parleyd_pid"
  note "parleyd killed with SIGKILL"
}

# bindings USER: the contact URIs parleyd has stored for USER@$DOMAIN (it stores a binding
# before its 200 to the REGISTER, and removes it before the 200 to an Expires 0).
bindings() {
  sqlite3 -readonly -cmd '.timeout 2000' "$work/data/parley.db" \
    "SELECT contact_uri FROM bindings WHERE aor = '$1@$DOMAIN'" 2>&1 || echo "(store unreadable)"
}

# Stops the peers, then parleyd with SIGTERM; checks parleyd shut down cleanly (exit 0; under
# ASan also no leak report).
stop_parleyd() {
  local rc=0 p
  for p in "${pids[@]}"; do
    [[ $p == "$parleyd_pid" ]] || { stop_pid "$p" || true; forget "$p"; }
  done
  stop_pid "$parleyd_pid" || rc=$?
  forget "$parleyd_pid"
  ((rc == 0)) || fail "parleyd exited with status $rc on SIGTERM"
  note "parleyd stopped cleanly"
}

sipp_args() { # sipp_args NAME SCENARIO: sets common[], the arguments every run shares
  local sf="$here/sipp/$2.xml"
  [[ $2 == /* ]] && sf=$2   # a scenario the test made (a path)
  common=(-sf "$sf" -i 127.0.0.1 -m 1 -nostdin -timeout 25s -timeout_error -recv_timeout 10000
    -trace_msg -message_file "$work/$1.msgs.log" -trace_err -error_file "$work/$1.err"
    -trace_logs -log_file "$work/$1.sipp.log")
}

# sipp_ok NAME SCENARIO [sipp args]: one call of the scenario against parleyd; fails the test
# unless SIPp exits 0 (every expected message came, every check passed).
sipp_ok() {
  local name=$1 scen=$2 rc=0; shift 2
  sipp_args "$name" "$scen"
  timeout -k 2 40 sipp "127.0.0.1:$SIP_PORT" "${common[@]}" "$@" >"$work/$name.out" 2>&1 || rc=$?
  ((rc == 0)) || fail "SIPp $scen ($name) exited $rc, expected 0"
  note "ok: $scen ($name)"
}

# sipp_uas NAME SCENARIO PORT [sipp args]: a SIPp UA listening on PORT, in the background.
sipp_uas() {
  local name=$1 scen=$2 port=$3; shift 3
  sipp_args "$name" "$scen"
  timeout -k 2 40 sipp "${common[@]}" -p "$port" "$@" >"$work/$name.out" 2>&1 &
  uas_pid=$!
  pids+=("$uas_pid")
  local i
  for i in $(seq 100); do   # until it listens (10 s)
    ss -Hlun "sport = :$port" | grep -q . && return 0
    kill -0 "$uas_pid" 2>/dev/null || fail "SIPp UA $name exited at start-up"
    sleep 0.1
  done
  fail "SIPp UA $name does not listen on $port"
}

# wait_udp_listen PORT WHAT LOG: until something listens on UDP PORT (10 s); fails naming WHAT
# with the end of LOG otherwise.
wait_udp_listen() {
  local i
  for i in $(seq 100); do
    ss -Hlun "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  fail "$2 does not listen on $1: $(tail -n 20 "$3")"
}

# uas_done NAME PID: waits (bounded by the UA's own -timeout) for it to finish; must exit 0.
uas_done() {
  local rc=0
  wait "$2" || rc=$?
  forget "$2"
  ((rc == 0)) || fail "SIPp UA $1 exited $rc, expected 0 (one MESSAGE received and checked)"
}

# body_seen NAME TEXT: the UA's message log holds a MESSAGE whose body is exactly TEXT.
body_seen() {
  tr -d '\r' <"$work/$1.msgs.log" | grep -qxF "$2" || fail "$1 did not receive the body \"$2\""
  note "ok: $1 received \"$2\""
}

# sipp_bg NAME SCENARIO [sipp args]: like sipp_ok, in the background; sets bg_pid (see sipp_done).
sipp_bg() {
  local name=$1 scen=$2; shift 2
  sipp_args "$name" "$scen"
  timeout -k 2 40 sipp "127.0.0.1:$SIP_PORT" "${common[@]}" "$@" >"$work/$name.out" 2>&1 &
  bg_pid=$!
  pids+=("$bg_pid")
}

# sipp_done NAME PID: waits (bounded by its -timeout) for a sipp_bg run; it must exit 0.
sipp_done() {
  local rc=0
  wait "$2" || rc=$?
  forget "$2"
  ((rc == 0)) || fail "SIPp $1 exited $rc, expected 0 (see $1.err and $1.sipp.log)"
  note "ok: $1"
}

# wait_for FILE ERE SECONDS WHAT: until a line of FILE matches ERE; fails with WHAT otherwise.
wait_for() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    tr -d '\r' 2>/dev/null <"$1" | grep -qE "$2" && return 0
    sleep 0.1
  done
  fail "$4 (nothing matching /$2/ in $(basename "$1") within $3 s)"
}

# received NAME [out]: the messages a SIPp run received (with "out": sent), from its message
# log, one per line:
#   time (unix s) TAB start line TAB Call-ID TAB CSeq TAB Subscription-State TAB body on one line
received() {
  tr -d '\r' <"$work/$1.msgs.log" | awk -F': *' -v want="${2:-in}" '
    function emit() {
      if (dir == want) printf "%.6f\t%s\t%s\t%s\t%s\t%s\n", ts, start, cid, cseq, state, body
    }
    /^-----------------------------------------------/ {
      emit(); split($0, w, " "); split(w[2], d, "-"); split(w[3], t, ":")
      ts = mktime(d[1] " " d[2] " " d[3] " " t[1] " " t[2] " 0") + t[3]
      dir = ""; start = ""; cid = ""; cseq = ""; state = ""; body = ""; inbody = 0; next
    }
    dir == "" { dir = ($0 ~ /received/) ? "in" : "out"; next }
    start == "" { if ($0 != "") start = $0; next }
    !inbody && $0 == "" { inbody = 1; next }
    !inbody {
      name = tolower($1)
      if (name == "call-id") cid = $2
      else if (name == "cseq") cseq = $2
      else if (name == "subscription-state") state = $2
      next
    }
    { body = body $0 }
    END { emit() }'
}

# notifies NAME: the NOTIFYs among them: time TAB Call-ID TAB CSeq number TAB Subscription-State
# TAB body.
notifies() {
  received "$1" | awk -F'\t' -v OFS='\t' '$2 ~ /^NOTIFY / { split($4, c, " "); print $1, $3, c[1], $5, $6 }'
}

# answered NAME: how many NOTIFYs the SIPp run NAME has answered 200.
answered() {
  received "$1" out | awk -F'\t' '$2 ~ /^SIP\/2\.0 200/ && $4 ~ / NOTIFY$/' | wc -l
}

# etag_of NAME: the last SIP-ETag a SIPp run received.
etag_of() {
  tr -d '\r' <"$work/$1.msgs.log" | sed -n 's/^SIP-ETag: *//p' | tail -n 1
}

# ctl ARGS...: parleyctl on the test store; fails the test if it fails.
ctl() {
  "$PARLEYCTL" --data-dir "$work/data" "$@" >"$work/ctl.out" 2>&1 || fail "parleyctl $* failed: $(cat "$work/ctl.out")"
  cat "$work/ctl.out"
}

# baresip_start NAME PORT [contact lines...]: baresip (libre) as NAME@$DOMAIN on PORT (UDP and
# TCP; TLS takes PORT+1), registered through parleyd with digest auth and publishing its presence
# (pubint); it subscribes to the presence of the contacts marked ;presence=p2p. Commands go to
# its stdin, a FIFO held open on the FD in baresip_fd[NAME]; it logs to $work/NAME.log.
# BARESIP_SIPNAT=outbound: SIP Outbound (RFC 5626; +sip.instance from the uuid module, reg-id).
declare -A baresip_fd=()
baresip_start() {
  local name=$1 port=$2 dir=$work/$1 fd sipnat=""; shift 2
  mkdir -p "$dir"
  printf '%s\n' "poll_method epoll" "sip_listen 127.0.0.1:$port" "net_interface 127.0.0.1" \
    "module_path /usr/lib/baresip/modules" "module stdio.so" "module uuid.so" "module_app account.so" \
    "module_app contact.so" "module_app menu.so" "module_app presence.so" >"$dir/config"
  [[ -n ${BARESIP_SIPNAT:-} ]] && sipnat=";sipnat=$BARESIP_SIPNAT"
  echo "<sip:$name@$DOMAIN>;auth_pass=$name-pw;outbound=\"sip:127.0.0.1:$SIP_PORT\"$sipnat;regint=600;pubint=600" \
    >"$dir/accounts"
  printf '%s\n' "$@" >"$dir/contacts"
  mkfifo "$dir.in"   # stdio wants a pollable stdin
  exec {fd}<>"$dir.in"
  baresip_fd[$name]=$fd
  timeout -k 2 65 baresip -f "$dir" -t 60 <&"$fd" >"$work/$name.log" 2>&1 &
  pids+=("$!")
}

# baresip_cmd NAME COMMAND: types a command (e.g. /presence_offline) into baresip NAME.
baresip_cmd() { printf '%s\n' "$2" >&"${baresip_fd[$1]}"; }

# baresip_says NAME TEXT SECONDS: waits until baresip NAME printed TEXT (colours stripped).
baresip_says() {
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    sed 's/\x1b\[[0-9;]*m//g' "$work/$1.log" | grep -qF -- "$2" && return 0
    sleep 0.1
  done
  fail "baresip $1 did not print \"$2\" within $3 s"
}

# linphone_start NAME PORT [FRIEND...]: linphonec (liblinphone 5, belle-sip) as NAME@$DOMAIN on
# UDP PORT, registered through parleyd (its route for everything, so nothing is looked up in DNS)
# with digest auth; it announces Supported: gruu and a +sip.instance. With FRIENDs it also
# publishes its presence and watches each FRIEND@$DOMAIN (printing "Friend ... is Away" and the
# like): one SUBSCRIBE each, or, with LINPHONE_RLS set to a list server's URI, one SUBSCRIBE
# carrying its friend list there (RFC 5367). Commands go to its stdin, a FIFO held open on the FD in linphone_fd[NAME]; it prints
# to $work/NAME.log and logs SIP traffic to $work/NAME.debug.
declare -A linphone_fd=()
linphone_start() {
  local name=$1 port=$2 dir=$work/$1 fd i friend
  local friends=("${@:3}")
  mkdir -p "$dir/.local/share/linphone"   # its message database
  cat >"$dir/linphonerc" <<EOF_RC
[sip]
${LINPHONE_RLS:+rls_uri=$LINPHONE_RLS}
sip_port=$port
sip_tcp_port=-1
sip_tls_port=-1
default_proxy=0
[rtp]
audio_rtp_port=$((port + 1000))
video_rtp_port=$((port + 1010))
[proxy_0]
reg_proxy=<sip:127.0.0.1:$SIP_PORT;transport=udp>
reg_route=<sip:127.0.0.1:$SIP_PORT;transport=udp;lr>
reg_identity=sip:$name@$DOMAIN
reg_expires=600
reg_sendregister=1
publish=$((${#friends[@]} > 0 ? 1 : 0))
[auth_info_0]
username=$name
passwd=$name-pw
realm=$DOMAIN
domain=$DOMAIN
EOF_RC
  for i in "${!friends[@]}"; do
    friend=${friends[$i]}
    printf '%s\n' "[friend_$i]" "url=\"$friend\" <sip:$friend@$DOMAIN>" "pol=accept" "subscribe=1" >>"$dir/linphonerc"
  done
  mkfifo "$dir.in"
  exec {fd}<>"$dir.in"
  linphone_fd[$name]=$fd
  HOME=$dir timeout -k 2 60 linphonec -c "$dir/linphonerc" -d 6 -l "$work/$name.debug" <&"$fd" >"$work/$name.log" 2>&1 &
  pids+=("$!")
}

# linphone_cmd NAME COMMAND: types a command (e.g. chat URI "text") into linphonec NAME.
linphone_cmd() { printf '%s\n' "$2" >&"${linphone_fd[$1]}"; }
