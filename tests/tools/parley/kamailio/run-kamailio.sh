#!/bin/bash
# Starts Kamailio (the anchor configuration: registrar, digest auth, presence,
# msilo) on 127.0.0.1:5070 UDP+TCP with users u0..u(N-1) / password "pw" in
# domain bench.test, its state in DIR. Run it inside a private network
# namespace. Usage: run-kamailio.sh start DIR [N] | stop DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${2:?usage: run-kamailio.sh start|stop DIR [N]}
case "$1" in
start)
  n=${3:-10}
  mkdir -p "$dir"
  rm -f "$dir/kamailio.db"
  for t in standard auth_db presence msilo usrloc; do
    sqlite3 "$dir/kamailio.db" < "/usr/share/kamailio/db_sqlite/$t-create.sql"
  done
  { echo "BEGIN;"; for ((i = 0; i < n; i++)); do
      echo "INSERT INTO subscriber(username,domain,password,ha1,ha1b) VALUES('u$i','bench.test','pw','','');"
    done; echo "COMMIT;"; } | sqlite3 "$dir/kamailio.db"
  sed "s|@DIR@|$dir|g" "$here/kamailio.cfg.in" > "$dir/kamailio.cfg"
  kamailio -f "$dir/kamailio.cfg" -P "$dir/pid" -m 64 -M 16 -E -e >"$dir/log" 2>&1 || { cat "$dir/log"; exit 1; }
  for _ in $(seq 50); do
    [[ -s $dir/pid ]] && break
    sleep 0.1
  done
  echo "kamailio started pid $(cat "$dir/pid")";;
stop)
  if [[ -s $dir/pid ]]; then kill "$(cat "$dir/pid")" 2>/dev/null || true; fi;;
esac
