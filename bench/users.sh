#!/usr/bin/env bash
# Generates N benchmark users u0..u(N-1)@bench.test, password "pw", in three forms:
#   DIR/users.csv         SIPp -inf file: user;[authentication ...];peer (peer = next user)
#   DIR/parley-users.csv  aor,password lines for `parleyctl user import`
#   DIR/kamailio-users.sql  INSERTs into Kamailio's subscriber table (auth_db, calculate_ha1)
# Usage: bench/users.sh N [DIR]   (DIR defaults to the current directory)
set -euo pipefail
n=${1:?usage: users.sh N [DIR]}
dir=${2:-.}
[[ $n =~ ^[0-9]+$ && $n -ge 1 ]] || { echo "users.sh: N must be a positive integer" >&2; exit 2; }
mkdir -p "$dir"
awk -v n="$n" -v dir="$dir" 'BEGIN {
  sipp = dir "/users.csv"; parley = dir "/parley-users.csv"; sql = dir "/kamailio-users.sql"
  print "SEQUENTIAL" > sipp
  print "BEGIN;" > sql
  for (i = 0; i < n; i++) {
    printf "u%d;[authentication username=u%d password=pw];u%d\n", i, i, (i + 1) % n > sipp
    printf "u%d@bench.test,pw\n", i > parley
    printf "INSERT INTO subscriber(username,domain,password,ha1,ha1b) VALUES(\047u%d\047,\047bench.test\047,\047pw\047,\047\047,\047\047);\n", i > sql
  }
  print "COMMIT;" > sql
}'
