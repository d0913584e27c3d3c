# Sourced by interop.sh: the cases whose peer is a UA no one here wrote and that runs outside
# SIPp (JsSIP and SIP.js over WebSocket, Linphone, sipsak), one function case_NAME per case.
# They use the ports and binaries interop.sh sets and the helpers of lib.sh.

case_jssip_message() {
  # JsSIP 3 (npm, pinned in tests/interop/webua) over a browser-API WebSocket (the ws
  # package where Node has none) stands in for a browser UA: it registers over WS (RFC 7118) with digest auth from a Contact in
  # ".invalid", and receives the MESSAGE the parley client sends as alice over UDP, which
  # parleyd can only deliver on bob's WebSocket connection.
  need node nodejs
  webua=$here/webua
  [[ -d $webua/node_modules/jssip ]] ||
    fail "JsSIP is not installed in $webua (scripts/install-deps.sh runs npm ci there)"
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  start_parleyd --listen "ws:127.0.0.1:$WS_PORT"
  UA_SECONDS=30 timeout -k 2 35 node "$webua/jssip.mjs" "$WS_PORT" bob bob-pw "$DOMAIN" \
    >"$work/jssip.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 150); do
    grep -qE "^(registered|registrationFailed)" "$work/jssip.log" && break
    sleep 0.1
  done
  grep -q "^registered" "$work/jssip.log" || fail "JsSIP did not register within 15 s: $(cat "$work/jssip.log")"
  [[ $(bindings bob) == "sip:"*".invalid;transport=ws" ]] || fail "parleyd stored no WebSocket binding: $(bindings bob)"
  note "ok: JsSIP registered over WebSocket (401, then 200)"
  timeout -k 2 20 "$PARLEY" --user "alice@$DOMAIN" --password alice-pw --proxy "127.0.0.1:$SIP_PORT" \
    send "bob@$DOMAIN" "hello jssip, from parley" >"$work/parley.out" 2>&1 ||
    fail "parley send failed (exit $?): $(cat "$work/parley.out")"
  grep -q "delivered to bob@$DOMAIN (200 OK)" "$work/parley.out" || fail "parley: not delivered: $(cat "$work/parley.out")"
  for _ in $(seq 50); do
    grep -q "^message from" "$work/jssip.log" && break
    sleep 0.1
  done
  grep -qF "message from sip:alice@$DOMAIN \"hello jssip, from parley\"" "$work/jssip.log" ||
    fail "JsSIP did not get alice's message: $(cat "$work/jssip.log")"
  note "ok: parley's MESSAGE reached JsSIP on its WebSocket (200 from JsSIP)"
}

case_default_config() {
  # The README's first command: parleyd on its embedded default, nothing but a data directory
  # (domain "localhost", SIP udp/tcp 5060, tls 5061, ws 5066, HTTP 8080 on 127.0.0.1; this
  # network namespace has them to itself). A browser UA (JsSIP) registers over the default
  # WebSocket port and gets a MESSAGE the parley client sends over UDP 5060; /healthz answers.
  need node nodejs
  webua=$here/webua
  [[ -d $webua/node_modules/jssip ]] ||
    fail "JsSIP is not installed in $webua (scripts/install-deps.sh runs npm ci there)"
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  local u
  for u in alice bob; do
    "$PARLEYCTL" --data-dir "$work/data" user add "$u@localhost" --password "$u-pw" >>"$work/parleyctl.out" 2>&1 ||
      fail "parleyctl user add failed: $(cat "$work/parleyctl.out")"
  done
  timeout -k 2 60 "$PARLEYD" --data-dir "$work/data" >"$work/parleyd.log" 2>&1 &
  parleyd_pid=$!
  pids+=("$parleyd_pid")
  wait_for "$work/parleyd.log" 'event=started' 30 "parleyd did not start on its defaults"
  grep -q 'proto=WS addr=127.0.0.1:5066' "$work/parleyd.log" || fail "no default WebSocket listen point"
  curl -sf "http://127.0.0.1:8080/healthz" >/dev/null || fail "/healthz on the default HTTP port did not answer"
  note "ok: parleyd up on its defaults (udp/tcp 5060, tls 5061, ws 5066, http 8080)"
  UA_SECONDS=20 timeout -k 2 25 node "$webua/jssip.mjs" 5066 bob bob-pw localhost >"$work/jssip.log" 2>&1 &
  pids+=("$!")
  wait_for "$work/jssip.log" "^(registered|registrationFailed)" 15 "JsSIP did not register on ws://127.0.0.1:5066"
  grep -q "^registered" "$work/jssip.log" || fail "JsSIP: $(cat "$work/jssip.log")"
  timeout -k 2 20 "$PARLEY" --user alice@localhost --password alice-pw --proxy 127.0.0.1:5060 \
    send bob@localhost "hello from the defaults" >"$work/parley.out" 2>&1 ||
    fail "parley send failed (exit $?): $(cat "$work/parley.out")"
  wait_for "$work/jssip.log" 'message from sip:alice@localhost "hello from the defaults"' 5 \
    "JsSIP did not get alice's message"
  note "ok: JsSIP on the default ws port got the parley client's MESSAGE (UDP 5060)"
}

case_sipjs_message() {
  # SIP.js 0.21 (npm, pinned in tests/interop/webua), the other browser SIP stack, over a
  # browser-API WebSocket: it registers bob over WS with digest auth, receives the parley
  # client's MESSAGE (UDP -> bob's WebSocket), and sends one to alice's SIPp UA (WebSocket ->
  # UDP) through a 407 challenge; unregistering at the end removes its binding.
  need node nodejs
  webua=$here/webua
  [[ -d $webua/node_modules/sip.js ]] ||
    fail "SIP.js is not installed in $webua (scripts/install-deps.sh runs npm ci there)"
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  start_parleyd --listen "ws:127.0.0.1:$WS_PORT"
  sipp_uas alice-uas user_uas "$ALICE_UAS"
  alice_uas=$uas_pid
  sipp_ok alice-reg register_contact -p "$REG" -s alice -au alice -ap alice-pw -key contact_port "$ALICE_UAS"
  UA_SECONDS=6 timeout -k 2 15 node "$webua/sipjs.mjs" "$WS_PORT" bob bob-pw "$DOMAIN" \
    "sip:alice@$DOMAIN" "hi alice, sip.js here" >"$work/sipjs.log" 2>&1 &
  sipjs=$!
  pids+=("$sipjs")
  wait_for "$work/sipjs.log" "^(registered|registrationFailed)" 15 "SIP.js did not register"
  grep -q "^registered" "$work/sipjs.log" || fail "SIP.js: $(cat "$work/sipjs.log")"
  [[ $(bindings bob) == "sip:"*".invalid;transport=ws" ]] || fail "parleyd stored no WebSocket binding: $(bindings bob)"
  note "ok: SIP.js registered over WebSocket (401, then 200)"
  wait_for "$work/sipjs.log" "^(sent|sendFailed)" 10 "SIP.js's MESSAGE got no final answer"
  grep -q "^sent 200" "$work/sipjs.log" || fail "SIP.js's MESSAGE to alice: $(cat "$work/sipjs.log")"
  uas_done alice-uas "$alice_uas"
  body_seen alice-uas "hi alice, sip.js here"
  timeout -k 2 20 "$PARLEY" --user "alice@$DOMAIN" --password alice-pw --proxy "127.0.0.1:$SIP_PORT" \
    send "bob@$DOMAIN" "hello sip.js, from parley" >"$work/parley.out" 2>&1 ||
    fail "parley send failed (exit $?): $(cat "$work/parley.out")"
  grep -q "delivered to bob@$DOMAIN (200 OK)" "$work/parley.out" || fail "parley: not delivered: $(cat "$work/parley.out")"
  wait_for "$work/sipjs.log" "^message from sip:alice@$DOMAIN \"hello sip.js, from parley\"" 5 \
    "SIP.js did not print parley's MESSAGE"
  note "ok: MESSAGEs both ways between SIP.js (WebSocket) and UDP UAs"
  wait "$sipjs" || fail "SIP.js exited with status $?"
  forget "$sipjs"
  [[ -z $(bindings bob) ]] || fail "SIP.js unregistered, but parleyd keeps $(bindings bob)"
  note "ok: SIP.js unregistered"
}

case_linphone_message() {
  # Linphone (linphonec, liblinphone 5.1) as bob and alice. bob registers with digest auth
  # and, as it supports GRUUs (RFC 5627), gets a public and a temporary GRUU; the parley
  # client's MESSAGE reaches him; alice's Linphone sends one to bob's temporary GRUU (Linphone
  # drops the "gr" parameter: the sealed user part is enough) and one to his AOR; bob's
  # answers alice's AOR.
  need linphonec linphone-cli
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  start_parleyd
  linphone_start bob "$LINPHONE_BOB"
  for _ in $(seq 150); do [[ -n $(bindings bob) ]] && break; sleep 0.1; done
  [[ $(bindings bob) == "sip:bob@127.0.0.1:$LINPHONE_BOB"* ]] || fail "Linphone did not register within 15 s"
  wait_for "$work/bob.debug" "pub-gruu=\"sip:bob@$DOMAIN;gr=urn:uuid:[0-9a-f-]+\"" 5 "no public GRUU in the 200"
  temp=$(tr -d '\r' <"$work/bob.debug" | grep -o 'temp-gruu="sip:tgruu\.[a-z2-7]*@[^"]*"' | tail -n 1 |
    sed 's/^temp-gruu="//; s/"$//')
  [[ $temp == "sip:tgruu."*"@$DOMAIN;gr" ]] || fail "no temporary GRUU in the 200 to Linphone"
  note "ok: Linphone registered (401, then 200 with its public and temporary GRUUs)"
  timeout -k 2 20 "$PARLEY" --user "alice@$DOMAIN" --password alice-pw --proxy "127.0.0.1:$SIP_PORT" \
    send "bob@$DOMAIN" "hello linphone, from parley" >"$work/parley.out" 2>&1 ||
    fail "parley send failed (exit $?): $(cat "$work/parley.out")"
  grep -q "delivered to bob@$DOMAIN (200 " "$work/parley.out" || fail "parley: not delivered: $(cat "$work/parley.out")"
  wait_for "$work/bob.log" "Message received from sip:alice@$DOMAIN: hello linphone, from parley" 5 \
    "Linphone did not print parley's MESSAGE"
  note "ok: parley's MESSAGE reached Linphone (200 from Linphone)"
  linphone_start alice "$LINPHONE_ALICE"
  for _ in $(seq 150); do [[ -n $(bindings alice) ]] && break; sleep 0.1; done
  [[ -n $(bindings alice) ]] || fail "alice's Linphone did not register within 15 s"
  linphone_cmd alice "chat $temp \"to your device\""
  wait_for "$work/bob.log" "Message received from sip:alice@$DOMAIN: \"to your device\"" 10 \
    "alice's MESSAGE to bob's temporary GRUU did not reach bob's Linphone"
  note "ok: Linphone -> parleyd -> Linphone through bob's temporary GRUU"
  linphone_cmd alice "chat sip:bob@$DOMAIN \"to your address\""
  wait_for "$work/bob.log" "Message received from sip:alice@$DOMAIN: \"to your address\"" 10 \
    "alice's MESSAGE to bob's AOR did not reach bob's Linphone"
  linphone_cmd bob "chat sip:alice@$DOMAIN \"hi alice\""
  wait_for "$work/alice.log" "Message received from sip:bob@$DOMAIN: \"hi alice\"" 10 \
    "bob's MESSAGE did not reach alice's Linphone"
  note "ok: Linphone <-> Linphone by AOR both ways"
}

# bob (the parley client) goes away (with a note), then busy; alice's Linphone prints each.
bob_away_then_busy_in_linphone() {
  bob=(timeout -k 2 20 "$PARLEY" --user "bob@$DOMAIN" --password bob-pw --proxy "127.0.0.1:$SIP_PORT")
  "${bob[@]}" status away --note "at lunch" >"$work/bob-away.out" 2>&1 || fail "parley status away: $(cat "$work/bob-away.out")"
  wait_for "$work/alice.log" 'Friend "bob" <sip:bob@'"$DOMAIN"'> is Away' 10 "Linphone did not see bob away"
  "${bob[@]}" status busy >"$work/bob-busy.out" 2>&1 || fail "parley status busy: $(cat "$work/bob-busy.out")"
  wait_for "$work/alice.log" 'Friend "bob" <sip:bob@'"$DOMAIN"'> is Busy' 10 "Linphone did not see bob busy"
}

case_linphone_presence() {
  # Linphone (linphonec 5.1) as alice publishes her presence and watches bob, who is the
  # parley client: bob's "away" (with a note) and "busy" reach alice's Linphone as NOTIFYs it
  # prints, sent to where the public GRUU it used as its Contact is registered; bob sees
  # alice's Linphone open.
  need linphonec linphone-cli
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  start_parleyd
  ctl presence rule set "bob@$DOMAIN" "alice@$DOMAIN" allow >/dev/null
  ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
  linphone_start alice "$LINPHONE_ALICE" bob
  wait_for "$work/alice.log" 'Friend "bob" <sip:bob@'"$DOMAIN"'> is Offline' 15 \
    "alice's Linphone did not get bob's presence (SUBSCRIBE, NOTIFY)"
  note "ok: Linphone subscribed to bob: offline"
  bob_away_then_busy_in_linphone
  # Its SUBSCRIBE's Contact was its public GRUU; parleyd located the GRUU
  # and sent the NOTIFYs to the Contact Linphone registered (RFC 5627 §7.1).
  # Linphone's debug log is written through a buffer: it may trail what it
  # printed on its console.
  wait_for "$work/alice.debug" "^Contact: <sip:alice@$DOMAIN;gr=urn:uuid:" 5 "Linphone did not use its GRUU as Contact"
  wait_for "$work/alice.debug" "^NOTIFY sip:alice@127.0.0.1:$LINPHONE_ALICE" 5 \
    "the NOTIFYs did not go to Linphone's registered Contact"
  note "ok: bob's away and busy reached Linphone (NOTIFY to its GRUU, located)"
  "${bob[@]}" watch "alice@$DOMAIN" --once >"$work/bob-watch.out" 2>&1 || fail "parley watch: $(cat "$work/bob-watch.out")"
  grep -q "alice@$DOMAIN is open" "$work/bob-watch.out" || fail "bob does not see alice's Linphone: $(cat "$work/bob-watch.out")"
  note "ok: Linphone's PUBLISH: bob sees alice open"
}

case_linphone_presence_list() {
  # Linphone (linphonec 5.1) with an RLS URI (rls@) watches its friends bob (the parley client),
  # carol and erin (no such user) with one SUBSCRIBE carrying its friend list (RFC 5367:
  # Require: recipient-list-subscribe, a resource-lists body, deflated when it can); bob's away
  # and busy reach it as notifications of that one list subscription (RFC 4662).
  need linphonec linphone-cli
  [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
  start_parleyd
  ctl presence default "$DOMAIN" allow >/dev/null
  LINPHONE_RLS="sip:rls@$DOMAIN" linphone_start alice "$LINPHONE_ALICE" bob carol erin
  wait_for "$work/alice.log" 'Friend "bob" <sip:bob@'"$DOMAIN"'> is Offline' 15 \
    "alice's Linphone did not get bob's presence through its list"
  wait_for "$work/alice.debug" "^SUBSCRIBE sip:rls@$DOMAIN" 5 "Linphone did not subscribe to its list at rls@"
  wait_for "$work/alice.debug" "^Require: recipient-list-subscribe" 5 "Linphone's SUBSCRIBE did not carry its list"
  ! grep -q "^SUBSCRIBE sip:bob@$DOMAIN" "$work/alice.debug" || fail "Linphone subscribed to bob on his own"
  note "ok: Linphone subscribed to its friend list at rls@: bob offline"
  # Three friends' documents make a NOTIFY too big for a datagram: it went
  # deflated (Linphone's SUBSCRIBE accepts deflate), and Linphone read it.
  wait_for "$work/alice.debug" "^Content-Encoding: deflate" 5 "the list NOTIFY to Linphone was not deflated"
  wait_for "$work/alice.log" 'Friend "erin" <sip:erin@'"$DOMAIN"'> is Offline' 5 "Linphone did not read the deflated NOTIFY"
  note "ok: the full-state NOTIFY went deflated and Linphone read it"
  bob_away_then_busy_in_linphone
  note "ok: bob's away and busy reached Linphone through the list subscription"
}

case_sipsak() {
  # sipsak 0.9.8 (the monitoring probe): an OPTIONS ping answered by parleyd itself, and its
  # usrloc check (REGISTER with digest auth) over UDP and TCP, for a user added while parleyd
  # runs, in a domain that is parleyd's address. sipsak cuts the last character of a 5-digit
  # port and cannot resolve names here, so parleyd also listens on 5060 and the domain is
  # 127.0.0.1. (Its -M/-I modes crash with -u before sending anything: not used.)
  need sipsak sipsak
  start_parleyd --listen "udp:127.0.0.1:5060" --listen "tcp:127.0.0.1:5060"
  ctl user add "sak@127.0.0.1" --password sak-pw >/dev/null
  sleep 0.3   # the change feed (--change-poll-ms 50)
  timeout -k 2 10 sipsak -vv -s sip:127.0.0.1 -l "$SIPSAK" >"$work/sipsak-options.out" 2>&1 ||
    fail "sipsak OPTIONS failed: $(cat "$work/sipsak-options.out")"
  grep -q "^SIP/2.0 200 OK" "$work/sipsak-options.out" || fail "no 200 to sipsak's OPTIONS"
  grep -q "^Allow: .*REGISTER" "$work/sipsak-options.out" || fail "no Allow in the 200 to OPTIONS"
  note "ok: sipsak's OPTIONS ping got 200 from parleyd"
  for transport in udp tcp; do
    timeout -k 2 20 sipsak -U -v -s sip:sak@127.0.0.1 -u sak -a sak-pw -x 120 -l "$SIPSAK" -E "$transport" \
      >"$work/sipsak-$transport.out" 2>&1 || fail "sipsak usrloc over $transport failed: $(cat "$work/sipsak-$transport.out")"
    grep -q "All usrloc tests completed successful" "$work/sipsak-$transport.out" ||
      fail "sipsak usrloc over $transport: $(cat "$work/sipsak-$transport.out")"
    note "ok: sipsak registered over $transport (401, then 200)"
  done
  rc=0
  timeout -k 2 20 sipsak -U -v -s sip:sak@127.0.0.1 -u sak -a not-sak-pw -x 120 -l "$SIPSAK" \
    >"$work/sipsak-wrong.out" 2>&1 || rc=$?
  ((rc != 0)) && grep -q "403 Authentication Failed" "$work/sipsak-wrong.out" ||
    fail "sipsak with a wrong password: exit $rc, $(cat "$work/sipsak-wrong.out")"
  note "ok: a wrong password gets 403"
}

case_kamailio_edge() {
  # RFC 3327 with a real edge proxy: Kamailio (path module) in front of parleyd. bob's SIPp UA
  # registers through Kamailio, which adds Path: <sip:127.0.0.1:EDGE;lr> and relays the
  # REGISTER (digest between bob and parleyd passes through it). alice's MESSAGE to bob then
  # leaves parleyd for Kamailio with that Route (not for bob's Contact), and Kamailio's
  # loose_route() takes it to bob; bob's 200 comes back the same way.
  need kamailio kamailio
  local edge=16060 cfg=$work/kamailio.cfg
  start_parleyd
  cat >"$cfg" <<CFG
#!KAMAILIO
debug=2
log_stderror=yes
fork=yes
children=1
tcp_children=1
listen=udp:127.0.0.1:$edge
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "path.so"
loadmodule "maxfwd.so"
loadmodule "pv.so"
loadmodule "xlog.so"
loadmodule "textops.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (\$sp == $SIP_PORT) {
    # From parleyd: the Route is our Path URI, the Request-URI the UA's Contact. For a request
    # without a To tag loose_route() takes our URI off as a preloaded route and says "not
    # routed"; it goes to the Request-URI either way.
    xlog("L_NOTICE", "edge: \$rm from parleyd to \$ru Route \$hdr(Route)\n");
    loose_route();
    t_relay();
    exit;
  }
  if (loose_route()) {
    t_relay();
    exit;
  }
  if (is_method("REGISTER")) {
    add_path();
    xlog("L_NOTICE", "edge: REGISTER with Path to parleyd\n");
  }
  \$du = "sip:127.0.0.1:$SIP_PORT";
  t_relay();
}
CFG
  timeout -k 2 60 kamailio -f "$cfg" -DD -E -m 32 -M 8 -Y "$work" -w "$work" >"$work/kamailio.log" 2>&1 &
  pids+=("$!")
  wait_udp_listen "$edge" Kamailio "$work/kamailio.log"
  note "Kamailio edge up on $edge"
  sipp_uas bob-uas edge_user_uas "$BOB_UAS"
  local bob=$uas_pid
  # -rsa: sent to the edge, addressed to parleyd (SIPp's digest uri names the server it targets).
  sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS" \
    -rsa "127.0.0.1:$edge"
  grep -q "edge: REGISTER with Path" "$work/kamailio.log" || fail "the REGISTER did not go through Kamailio"
  sipp_ok alice message_delivered -p "$ALICE" -t t1 -s bob -key sender alice -au alice -ap alice-pw \
    -key text "hello bob, through your edge"
  uas_done bob-uas "$bob"
  body_seen bob-uas "hello bob, through your edge"
  grep -qF "edge: MESSAGE from parleyd to sip:bob@127.0.0.1:$BOB_UAS Route <sip:127.0.0.1:$edge;lr>" "$work/kamailio.log" ||
    fail "the MESSAGE did not reach bob through Kamailio: $(grep edge: "$work/kamailio.log")"
  note "ok: the MESSAGE went parleyd -> Kamailio (Path as Route) -> bob"
}

case_dns_next_hop() {
  # RFC 3263 with a real DNS server: dnsmasq holds NAPTR -> SRV -> A for bob-pc.test, where
  # bob's SIPp UA listens. bob answers alice's call with Contact <sip:bob@bob-pc.test> (a name,
  # no port): the ACK and the BYE reach him through parleyd only if it locates that name.
  need dnsmasq dnsmasq-base
  local dns=15353
  timeout -k 2 60 dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
    --bind-interfaces --listen-address=127.0.0.1 --port="$dns" --user=root --pid-file= \
    --naptr-record=bob-pc.test,10,10,S,SIP+D2U,,_sip._udp.bob-pc.test \
    --srv-host=_sip._udp.bob-pc.test,pc7.bob-pc.test,"$BOB_UAS",0,0 \
    --host-record=pc7.bob-pc.test,127.0.0.1 \
    --log-queries --log-facility="$work/dnsmasq.log" >"$work/dnsmasq.out" 2>&1 &
  pids+=("$!")
  wait_udp_listen "$dns" dnsmasq "$work/dnsmasq.out"
  note "dnsmasq up on $dns"
  start_parleyd --dns-server "127.0.0.1:$dns"
  sipp_uas bob-uas call_uas_named "$BOB_UAS"
  local bob=$uas_pid
  sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
  sipp_ok alice call_uac -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw
  uas_done bob-uas "$bob"
  local q
  for q in "query\[NAPTR\] bob-pc.test" "query\[SRV\] _sip._udp.bob-pc.test" "query\[A\] pc7.bob-pc.test"; do
    grep -q "$q" "$work/dnsmasq.log" || fail "parleyd did not ask dnsmasq ${q//\\/}: $(cat "$work/dnsmasq.log")"
  done
  note "ok: NAPTR, SRV and A asked of dnsmasq; bob got the ACK and the BYE at bob-pc.test and answered"
}
