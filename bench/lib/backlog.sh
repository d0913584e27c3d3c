# Sourced by bench/run.sh: delivery of a stored backlog when its recipient registers.
#
#   measure_backlog SERVER N   one row of backlog.tsv:
#     server n fill_per_s seconds msgs_per_s cpu_us_per_msg received retrans status
#
# N pager-mode MESSAGEs wait for u1, who is offline; then u1's UA (SIPp, message_uas.xml,
# answering 200 to everything) registers. Measured from the REGISTER until the server's queue
# for u1 is empty (polled every 50 ms; a message leaves the queue once the UA's 200 came back):
# messages/s, and the server's CPU (every thread of its process tree) per message over that time.
#   parleyd:  the backlog is stored through SIP (message_offline.xml to u1, flat out; parleyd runs
#             with --message-quota above N); fill_per_s is that rate.
#   Kamailio: msilo stores ~30-50 messages/s (one synchronous SQLite transaction each), so a few
#             are stored through SIP and the silo row of the first is copied up to N in one SQL
#             transaction (fill_per_s "sql"). m_dump() on the REGISTER sends them all at once.
# received/retrans: MESSAGEs the UA took (distinct Call-IDs) and retransmissions it saw.

backlog_row() {
  local IFS=$'\t'
  local r=("$@")
  while ((${#r[@]} < 9)); do r+=(-); done
  echo "${r[*]}" >>"$work/backlog.tsv"
}

# Messages queued for u1, from the server's own database.
backlog_queued() {
  local server=$1 dir=$2
  case $server in
    parley) sqlite3 -readonly -cmd '.timeout 2000' "$dir/data/parley.db" \
      "SELECT COUNT(*) FROM message_queue WHERE recipient = 'u1@bench.test'" 2>/dev/null || echo '?' ;;
    kamailio) sqlite3 -cmd '.timeout 2000' "$dir/kamailio.db" \
      "SELECT COUNT(*) FROM silo WHERE username = 'u1' AND domain = 'bench.test'" 2>/dev/null || echo '?' ;;
  esac
}

measure_backlog() {
  local server=$1 n=$2 dir status=ok fill=- secs=- rate=- cpu=- got=- retrans=-
  dir=$work/$server/backlog
  rm -rf "$dir"; mkdir -p "$dir"
  log "[$server] backlog of $n for one user"
  # Every user but u1 writes to u1.
  awk -F';' 'BEGIN{OFS=";"} NR==1{print; next} $1!="u1"{$3="u1"; print}' "$work/material/users.csv" >"$dir/to-u1.csv"
  local srv_extra=(--message-quota $((n + 1000)))
  if ! start_server "$server" "$dir"; then
    backlog_row "$server" "$n" - - - - - - "FAILED (server did not start)"; return 0
  fi
  local sipp_target=127.0.0.1:$srv_port sipp_transport=() ok bad el
  case $server in
    parley)
      run_sipp "$dir/fill" $((n / 500 + 30)) message_offline -inf "$dir/to-u1.csv" -m "$n" -r 100000 -l 200
      read -r ok bad el < <(stat_counts "$dir/fill.stat.csv")
      fill=$(awk -v o="$ok" -v e="$el" 'BEGIN{printf "%d", (e > 0 ? o / e : 0)}')
      ;;
    kamailio)
      # A few through SIP (a stray 407 to an authenticated request can fail one), then copies.
      run_sipp "$dir/fill" 20 message_offline -inf "$dir/to-u1.csv" -m 5 -r 10 \
        -trace_shortmsg -shortmessage_file "$dir/fill.msgs"
      local have
      have=$(backlog_queued kamailio "$dir")
      if [[ $have =~ ^[0-9]+$ ]] && ((have >= 1 && have <= n)); then
        sqlite3 -cmd '.timeout 5000' "$dir/kamailio.db" "BEGIN;
          WITH RECURSIVE k(i) AS (SELECT $have UNION ALL SELECT i + 1 FROM k WHERE i < $n)
          INSERT INTO silo (src_addr, dst_addr, username, domain, inc_time, exp_time, snd_time, ctype, body,
                            extra_hdrs, callid, status)
            SELECT s.src_addr, s.dst_addr, s.username, s.domain, s.inc_time, s.exp_time, s.snd_time, s.ctype,
                   CAST('Hello u1, this is message ' || k.i || '.' AS BLOB), s.extra_hdrs, s.callid, s.status
            FROM k, (SELECT * FROM silo WHERE username = 'u1' ORDER BY id LIMIT 1) AS s WHERE k.i > $have;
          COMMIT;" || status="FAILED (filling silo)"
      fi
      fill=sql
      ;;
  esac
  local queued
  queued=$(backlog_queued "$server" "$dir")
  [[ $status == ok && $queued != "$n" ]] && status="FAILED ($queued of $n stored)"
  if [[ $status == ok ]]; then
    timeout -k 5 3600 sipp -sf "$root/bench/sipp/message_uas.xml" -p "$UAS_PORT" -i 127.0.0.1 -nostdin -nd \
      -max_recv_loops 5000 -buff_size 8388608 -trace_shortmsg -shortmessage_file "$dir/uas.msgs" \
      >/dev/null 2>&1 &
    uas_pid=$!
    bg_pids+=("$uas_pid")
    sleep 0.3
    local before after t0 t1 deadline
    before=$(cpu_ns "${srv_tree[@]}")
    t0=$(date +%s%N)
    if ! sipp_quick "$dir/register" register_one "" -s u1 -au u1 -ap pw -key contact_port "$UAS_PORT" -m 1; then
      status=$(classify_failure "$dir/register.msgs" "REGISTER of the recipient")
    else
      deadline=$((t0 + (n / 100 + 60) * 1000000000))
      while [[ $(backlog_queued "$server" "$dir") != 0 ]]; do
        if (($(date +%s%N) > deadline)); then
          status="FAILED ($(backlog_queued "$server" "$dir") of $n still queued after $(((deadline - t0) / 1000000000)) s)"
          break
        fi
        sleep 0.05
      done
      t1=$(date +%s%N)
      after=$(cpu_ns "${srv_tree[@]}")
      secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b - a) / 1e9}')
      rate=$(awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN{printf "%d", n / ((b - a) / 1e9)}')
      cpu=$(awk -v a="$before" -v b="$after" -v n="$n" 'BEGIN{printf "%.1f", (b - a) / 1000 / n}')
    fi
    sleep 0.5
    read -r got retrans < <(awk -F'\t' '$4 == "R" && $7 ~ /^MESSAGE / { n++; if (!($5 in c)) { c[$5]; d++ } }
      END { printf "%d %d\n", d, n - d }' "$dir/uas.msgs" 2>/dev/null || echo "0 0")
    stop_pid "$uas_pid"; uas_pid=
  fi
  stop_server
  vlog "$server: filled at $fill/s; delivered $n in ${secs}s = $rate/s, $cpu us CPU/message; UA got $got (+$retrans retransmissions)"
  backlog_row "$server" "$n" "$fill" "$secs" "$rate" "$cpu" "$got" "$retrans" "$status"
}

backlog_table() {
  echo "| server | backlog | stored at /s | delivered in s | messages/s | CPU µs/message | UA got (+ retransmissions) | status |"
  echo "|---|--:|--:|--:|--:|--:|--:|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s (+%s) | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9}' "$1"
}
