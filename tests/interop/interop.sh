#!/usr/bin/env bash
# Interop tests: real peers (SIPp, baresip, the parley client) against the real parleyd of a
# build tree, on 127.0.0.1 inside a private network namespace (nothing leaves the machine).
#
#   interop.sh CASE PARLEYD PARLEYCTL [PARLEY]       (CTest passes the build tree's binaries)
#
# Cases: register_digest register_wrong_password register_stale_nonce register_unknown_user
#        message_relay message_offline message_blocked_sender no_open_relay baresip_message
#        presence_publish presence_subscribe presence_polite_block presence_list presence_request_list
#        presence_pending_approved presence_hard_state
#        presence_bad_event presence_rate_limit baresip_presence presence_restart group_message
#        imdn_round_trip baresip_outbound jssip_message sipjs_message linphone_message
#        linphone_presence linphone_presence_list sipsak kamailio_edge dns_next_hop
# PARLEY_INTEROP_KEEP=1 keeps the work directory (logs, SIPp message traces).
set -euo pipefail
(($# >= 3)) || { echo "usage: $0 CASE PARLEYD PARLEYCTL [PARLEY]" >&2; exit 2; }
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/peers.sh"
enter_netns "$@"
case_name=$1 PARLEYD=$2 PARLEYCTL=$3 PARLEY=${4:-}
need sipp sip-tester
need timeout coreutils
setup "$case_name"

# SIPp roles and their fixed ports (namespace-private).
ALICE=16001 BOB_UAS=16002 REG=16003 CAROL=16004 BOB=16005 ALICE_WINFO=16006 VICTIM=16009 BARESIP=16010
BARESIP_ALICE=16020 SINK=16030 HTTP_PORT=18080   # baresip also takes PORT+1 (TLS)
LINPHONE_BOB=16040 LINPHONE_ALICE=16041           # RTP at PORT+1000
SIPSAK=16050 ALICE_UAS=16007
WS_PORT=15066                                     # parleyd's SIP over WebSocket

case $case_name in
  register_digest)
    # Both challenges (RFC 8760); the default offers MD5 only.
    start_parleyd --auth-algorithm md5 --auth-algorithm sha-256
    sipp_ok alice register_digest -p "$ALICE" -s alice -au alice -ap alice-pw
    ;;
  register_wrong_password)
    start_parleyd
    sipp_ok alice register_refused -p "$ALICE" -s alice -au alice -ap not-alice-pw
    ;;
  register_stale_nonce)
    start_parleyd --nonce-lifetime 2   # the scenario waits 3.5 s before answering
    sipp_ok alice register_stale_nonce -p "$ALICE" -s alice -au alice -ap alice-pw
    ;;
  register_unknown_user)
    start_parleyd
    sipp_ok mallory register_refused -p "$ALICE" -s mallory -au mallory -ap whatever
    ;;
  message_relay)
    # bob's UA over UDP, alice over TCP: the relay crosses transports.
    start_parleyd
    sipp_uas bob-uas user_uas "$BOB_UAS"
    bob=$uas_pid
    sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
    sipp_ok alice message_delivered -p "$ALICE" -t t1 -s bob -key sender alice -au alice -ap alice-pw \
      -key text "hello bob, alice here"
    uas_done bob-uas "$bob"
    body_seen bob-uas "hello bob, alice here"
    ;;
  message_offline)
    # carol exists but never registered: stored (202) ...
    start_parleyd
    sipp_ok alice message_offline -p "$ALICE" -s carol -key sender alice -au alice -ap alice-pw \
      -key text "are you there, carol?"
    "$PARLEYCTL" --data-dir "$work/data" messages list "carol@$DOMAIN" >"$work/queue.out" 2>&1 ||
      fail "parleyctl messages list failed: $(cat "$work/queue.out")"
    grep -q ": 1 pending message(s)" "$work/queue.out" || fail "the message is not in carol's queue: $(cat "$work/queue.out")"
    note "ok: stored in carol's queue"
    # ... and delivered when she registers, in CPIM with the original sender and date.
    sipp_uas carol-uas stored_uas "$CAROL"
    carol=$uas_pid
    sipp_ok carol-reg register_contact -p "$REG" -s carol -au carol -ap carol-pw -key contact_port "$CAROL"
    uas_done carol-uas "$carol"
    body_seen carol-uas "are you there, carol?"
    for _ in $(seq 50); do
      "$PARLEYCTL" --data-dir "$work/data" messages list "carol@$DOMAIN" >"$work/queue2.out" 2>&1
      grep -q ": 0 pending message(s)" "$work/queue2.out" && break
      sleep 0.1
    done
    grep -q ": 0 pending message(s)" "$work/queue2.out" || fail "delivered, but still queued: $(cat "$work/queue2.out")"
    note "ok: delivered and removed from the queue"
    ;;
  message_blocked_sender)
    start_parleyd
    sipp_uas bob-uas user_uas "$BOB_UAS"
    bob=$uas_pid
    sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
    # bob blocks alice while parleyd runs (no MESSAGE to bob yet: nothing cached to go stale).
    "$PARLEYCTL" --data-dir "$work/data" policy block "bob@$DOMAIN" "alice@$DOMAIN" >"$work/policy.out" 2>&1 ||
      fail "parleyctl policy block failed: $(cat "$work/policy.out")"
    "$PARLEYCTL" --data-dir "$work/data" policy show "bob@$DOMAIN" | grep -q "alice@$DOMAIN" ||
      fail "policy show does not list alice"
    sipp_ok alice message_blocked -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw \
      -key text "spam from alice"
    # bob's UA is alive and takes the next MESSAGE, from carol, who is not blocked.
    sipp_ok carol message_delivered -p "$CAROL" -s bob -key sender carol -au carol -ap carol-pw \
      -key text "hi bob, carol here"
    uas_done bob-uas "$bob"
    body_seen bob-uas "hi bob, carol here"
    ! grep -q "spam from alice" "$work/bob-uas.msgs.log" || fail "bob's UA received alice's blocked MESSAGE"
    note "ok: bob's UA never saw alice's MESSAGE"
    ;;
  no_open_relay)
    start_parleyd
    sipp_uas victim user_uas "$VICTIM"
    victim=$uas_pid
    sipp_ok relay no_open_relay -p "$ALICE" -au alice -ap alice-pw -key victim_port "$VICTIM"
    kill -0 "$victim" 2>/dev/null || fail "the victim's UA stopped: it received something"
    stop_pid "$victim" || true
    forget "$victim"
    ! grep -q '^MESSAGE ' "$work/victim.msgs.log" 2>/dev/null || fail "a MESSAGE was relayed to the foreign target"
    note "ok: nothing reached the foreign target"
    ;;
  baresip_message)
    # baresip (libre) as bob registers with digest auth and receives a MESSAGE that the parley
    # client sends as alice; unregistered, SIPp's MESSAGE to it is stored (202), and when it
    # registers again it gets it with the original date; bob's history API returns it. libre 1.0 gives up on a 401 that also offers SHA-256 (ENOSYS): this
    # is why parleyd's default offers MD5 only; this test runs on that default.
    need baresip baresip-core
    need sqlite3 sqlite3
    need curl curl
    [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
    HTTP_LISTEN=127.0.0.1:$HTTP_PORT start_parleyd
    "$PARLEYCTL" --data-dir "$work/data" history enable "bob@$DOMAIN" >/dev/null || fail "history enable failed"
    mkdir -p "$work/baresip"
    cat >"$work/baresip/config" <<EOF
poll_method epoll
sip_listen 127.0.0.1:$BARESIP
net_interface 127.0.0.1
module_path /usr/lib/baresip/modules
module stdio.so
module_app account.so
module_app menu.so
EOF
    echo "<sip:bob@$DOMAIN>;auth_pass=bob-pw;outbound=\"sip:127.0.0.1:$SIP_PORT\";regint=600" \
      >"$work/baresip/accounts"
    # stdio wants a pollable stdin: a FIFO held open by this shell.
    mkfifo "$work/baresip.in"
    exec 3<>"$work/baresip.in"
    # -s: baresip prints the SIP messages it gets (to check the stored message's Date).
    timeout -k 2 45 baresip -s -f "$work/baresip" -t 40 <&3 >"$work/baresip.log" 2>&1 &
    baresip_pid=$!
    pids+=("$baresip_pid")
    for _ in $(seq 150); do
      grep -q "registered successfully" "$work/baresip.log" && break
      sleep 0.1
    done
    grep -q "bob@$DOMAIN: {0/UDP/v4} 200 OK (Parley/0.1) \[1 binding\]" "$work/baresip.log" ||
      fail "baresip did not register with parleyd within 15 s"
    note "ok: baresip registered (401 answered, 200 from parleyd)"
    [[ $(bindings bob) == "sip:bob-"*"@127.0.0.1:$BARESIP" ]] || fail "parleyd stored no binding for baresip"
    note "ok: parleyd stored baresip's binding"
    # parleyd finds baresip's binding (location lookup) and relays; the 200 is baresip's.
    timeout -k 2 20 "$PARLEY" --user "alice@$DOMAIN" --password alice-pw --proxy "127.0.0.1:$SIP_PORT" \
      send "bob@$DOMAIN" "hello baresip, from parley" >"$work/parley.out" 2>&1 ||
      fail "parley send failed (exit $?): $(cat "$work/parley.out")"
    grep -q "delivered to bob@$DOMAIN (200 OK)" "$work/parley.out" || fail "parley: not delivered"
    note "ok: parley send: delivered (200)"
    for _ in $(seq 50); do
      grep -q 'hello baresip, from parley' "$work/baresip.log" && break
      sleep 0.1
    done
    grep -q "sip:alice@$DOMAIN: \"hello baresip, from parley\"" "$work/baresip.log" ||
      fail "baresip did not print the message from alice"
    note "ok: baresip printed alice's message"
    # Deleting the account makes baresip unregister (Expires 0, digest again); then bob is
    # registered nowhere. (On SIGTERM baresip 1.0 may exit before its un-REGISTER is answered.)
    printf '/uadel sip:bob@%s\n' "$DOMAIN" >&3
    for _ in $(seq 50); do
      [[ -z $(bindings bob) ]] && break
      sleep 0.1
    done
    [[ -z $(bindings bob) ]] || fail "baresip's binding is still stored 5 s after it unregistered"
    # SIPp (alice) sends to bob, who is offline now: stored, 202.
    sipp_ok alice message_offline -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw \
      -key text "still there?"
    stored_at=$(date -u +%s)
    note "ok: baresip unregistered; SIPp's MESSAGE to bob is stored (202)"
    sleep 2.2   # so that the delivery time differs from the original date by whole seconds
    # baresip registers again and gets the stored message: it answers message/cpim with 415
    # (Accept: text/plain), so parleyd sends the text itself, the original date in Date.
    printf '/uanew <sip:bob@%s>;auth_pass=bob-pw;outbound="sip:127.0.0.1:%s";regint=600\n' "$DOMAIN" "$SIP_PORT" >&3
    # (SIPp's text ends in CRLF, which baresip prints inside the quotes.)
    for _ in $(seq 100); do
      grep -q "sip:alice@$DOMAIN: \"still there?" "$work/baresip.log" && break
      sleep 0.1
    done
    grep -q "sip:alice@$DOMAIN: \"still there?" "$work/baresip.log" ||
      fail "baresip, registered again, did not print the stored message"
    note "ok: baresip registered again and printed the stored message"
    # The original date: the Date of the last MESSAGE in baresip's SIP trace is when it was
    # stored (within the second SIPp's 202 came in), not when it was delivered (≥ 2 s later).
    date_hdr=$(tr -d '\r' <"$work/baresip.log" | awk '/^MESSAGE sip:/{m=1} m && /^Date: /{d=substr($0, 7); m=0} END{print d}')
    [[ -n $date_hdr ]] || fail "baresip's trace shows no Date in the stored MESSAGE"
    sent_at=$(date -u -d "$date_hdr" +%s) || fail "unparsable Date from parleyd: $date_hdr"
    ((sent_at >= stored_at - 2 && sent_at <= stored_at)) ||
      fail "the delivered MESSAGE's Date ($date_hdr = $sent_at) is not when it was stored ($stored_at)"
    note "ok: baresip got it with the original date (Date: $date_hdr)"
    # History: bob keeps it; the HTTP API returns it with a bearer token.
    token=$("$PARLEYCTL" --data-dir "$work/data" token create "bob@$DOMAIN" --label interop | head -1)
    [[ $token == pt_* ]] || fail "parleyctl token create printed no token"
    code=$(curl -sS -m 10 -o "$work/history.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
      "http://127.0.0.1:$HTTP_PORT/v1/history?with=sip:alice@$DOMAIN&q=still")
    [[ $code == 200 ]] || fail "GET /v1/history: HTTP $code: $(cat "$work/history.json")"
    python3 - "$work/history.json" "alice@$DOMAIN" <<'PY' || fail "history: $(cat "$work/history.json")"
import json, sys
msgs = json.load(open(sys.argv[1]))["messages"]
m = [x for x in msgs if x.get("text", "").strip() == "still there?"]
assert len(m) == 1, msgs
assert m[0]["direction"] == "in" and m[0]["from"] == "sip:" + sys.argv[2], m[0]
PY
    note "ok: the history API returns the stored message (in, from alice)"
    # An administrator drops baresip's registration while it is online: the running parleyd
    # stops routing to it at once (change feed), so the next MESSAGE is stored, not delivered.
    ctl user unregister "bob@$DOMAIN" >"$work/unregister.out" || fail "parleyctl user unregister failed"
    grep -q "removed 1 registration(s) of bob@$DOMAIN" "$work/unregister.out" ||
      fail "parleyctl user unregister: $(cat "$work/unregister.out")"
    sleep 0.3   # the change feed
    sipp_ok alice-after message_offline -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw \
      -key text "kicked out?"
    sleep 0.5
    ! grep -q "kicked out?" "$work/baresip.log" || fail "baresip got a MESSAGE after its registration was removed"
    note "ok: parleyctl user unregister: the next MESSAGE to bob is stored (202), baresip gets nothing"
    ;;
  imdn_round_trip)
    # RFC 5438 end to end: alice asks for processing and positive-delivery notifications on a
    # message to bob, who is offline. The server says "stored"; when bob's UA registers and
    # takes the message, bob's UA sends "delivered", which parleyd relays to alice's UA.
    start_parleyd
    sipp_uas alice-uas imdn_sender_uas "$SINK" -m 2
    alice_uas=$uas_pid
    sipp_ok alice-reg register_contact -p "$REG" -s alice -au alice -ap alice-pw -key contact_port "$SINK"
    sipp_ok alice imdn_send -p "$ALICE" -s bob -au alice -ap alice-pw
    note "ok: stored (202)"
    sipp_uas bob-uas imdn_recipient_uas "$BOB_UAS" -au bob -ap bob-pw -auth_uri "alice@$DOMAIN"
    bob_uas=$uas_pid
    sipp_ok bob-reg register_contact -p "$BOB" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
    uas_done bob-uas "$bob_uas"
    note "ok: bob's UA took the message and sent its delivery notification"
    uas_done alice-uas "$alice_uas"
    tr -d '\r' <"$work/alice-uas.msgs.log" | grep -E '^(From: <sip:|      <stored/>|<imdn.*<delivered/>)' \
      >"$work/alice-notices.out" || true
    grep -A3 -x 'From: <sip:example.test>' "$work/alice-notices.out" | grep -qx '      <stored/>' ||
      fail "alice's UA got no \"stored\" notification from the server"
    grep -A1 -x 'From: <sip:bob@example.test>' "$work/alice-notices.out" | grep -q '<delivered/>' ||
      fail "alice's UA got no \"delivered\" notification from bob"
    note "ok: alice's UA got \"stored\" from the server, then \"delivered\" from bob"
    ;;
  group_message)
    # team@ = alice, bob (baresip), carol (a SIPp UA), dave (offline, registers later with
    # SIPp): alice's one MESSAGE to the group gets one 202; every other member gets it.
    need baresip baresip-core
    start_parleyd
    ctl user add "dave@$DOMAIN" --password dave-pw >/dev/null
    ctl group create "team@$DOMAIN" >/dev/null
    ctl group add "team@$DOMAIN" "alice@$DOMAIN" "bob@$DOMAIN" "carol@$DOMAIN" "dave@$DOMAIN" >/dev/null
    ctl group show "team@$DOMAIN" | grep -q "^  dave@$DOMAIN$" || fail "group show does not list dave"
    baresip_start bob "$BARESIP"
    baresip_says bob "bob@$DOMAIN: {0/UDP/v4} 200 OK (Parley/0.1) [1 binding]" 15
    sipp_uas carol-uas group_uas "$CAROL"
    carol=$uas_pid
    sipp_ok carol-reg register_contact -p "$REG" -s carol -au carol -ap carol-pw -key contact_port "$CAROL"
    sipp_ok alice message_offline -p "$ALICE" -s team -key sender alice -au alice -ap alice-pw \
      -key text "lunch at noon, team"
    note "ok: one 202 for the group"
    uas_done carol-uas "$carol"
    body_seen carol-uas "lunch at noon, team"
    baresip_says bob "lunch at noon, team" 10
    note "ok: bob (baresip) and carol (SIPp) got it"
    ctl messages list "dave@$DOMAIN" | grep -q ": 1 pending message(s)" || fail "dave's copy is not stored"
    sipp_uas dave-uas group_uas "$BOB_UAS"
    dave=$uas_pid
    sipp_ok dave-reg register_contact -p "$REG" -s dave -au dave -ap dave-pw -key contact_port "$BOB_UAS"
    uas_done dave-uas "$dave"
    body_seen dave-uas "lunch at noon, team"
    note "ok: dave got his copy when he registered"
    ctl messages list "alice@$DOMAIN" | grep -q ": 0 pending message(s)" || fail "a copy was queued for the sender"
    note "ok: none for alice, the sender"
    ;;
  presence_publish)
    start_parleyd
    sipp_ok alice presence_publish -p "$ALICE" -s alice -au alice -ap alice-pw
    [[ $(sqlite3 -readonly "$work/data/parley.db" "SELECT count(*) FROM publications") == 0 ]] ||
      fail "a publication is still stored after its removal"
    note "ok: nothing stored after the removal"
    ;;
  presence_partial_publish)
    # RFC 5264: SIPp publishes a <pidf-full>, patches its note with a <pidf-diff>, and gets 400
    # unlocated-node for a patch that selects nothing; bob's fetch shows the patched document.
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    sipp_ok alice presence_publish_partial -p "$ALICE" -s alice -au alice -ap alice-pw
    sipp_ok bob-fetch presence_fetch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    notifies bob-fetch | grep -q 'in a meeting' || fail "the fetch does not show the patched note"
    ! notifies bob-fetch | grep -q 'at my desk' || fail "the fetch still shows the note the patch replaced"
    note "ok: bob's fetch shows the note as patched"
    [[ $(sqlite3 -readonly "$work/data/parley.db" "SELECT count(*) FROM publications WHERE body LIKE '%in a meeting%'") == 1 ]] ||
      fail "the store does not hold the patched document"
    note "ok: the store holds the whole patched document"
    # RFC 5263: bob watches as presence_watch.xml does, with pidf-diff+xml in his Accept. alice
    # publishes from a second device (her patched publication stays): bob's first NOTIFY is a
    # <pidf-full> of both, the one after her change a <pidf-diff> carrying only that device's tuple.
    sed -e 's|^Accept: application/pidf+xml$|Accept: application/pidf+xml, application/pidf-diff+xml|' \
      -e 's|application/pidf\\+xml" search_in="hdr" header="Content-Type:"|application/pidf-diff\\+xml" search_in="hdr" header="Content-Type:"|' \
      "$here/sipp/presence_watch.xml" >"$work/presence_watch_partial.xml"
    grep -q 'pidf-diff\\+xml" search_in' "$work/presence_watch_partial.xml" || fail "the watcher scenario was not adapted"
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "at work"
    etag=$(etag_of alice-pub)
    sipp_bg bob-diff "$work/presence_watch_partial.xml" -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    bob=$bg_pid
    wait_for "$work/bob-diff.msgs.log" '^Subscription-State: active' 10 "bob got no first NOTIFY"
    sipp_ok alice-mod presence_publish_modify -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key etag "$etag" -key basic closed -key note "gone home"
    sipp_done bob-diff "$bob"
    notifies bob-diff | cut -f3- | sort -t$'\t' -k1,1n -u >"$work/bob-diff.notifies"
    sed -n 1p "$work/bob-diff.notifies" | grep 'pidf-full.*at work' | grep -q 'in a meeting' ||
      fail "first NOTIFY: not a <pidf-full> of both devices' tuples"
    sed -n 2p "$work/bob-diff.notifies" | grep 'pidf-diff.*gone home' | grep -vq 'in a meeting' ||
      fail "second NOTIFY: not a <pidf-diff> of the changed tuple alone"
    note "ok: bob got a <pidf-full>, then a <pidf-diff> of the one tuple that changed"
    ;;
  presence_subscribe)
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "at work"
    etag=$(etag_of alice-pub)
    [[ -n $etag ]] || fail "no SIP-ETag in alice's 200"
    sipp_bg bob presence_watch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    bob=$bg_pid
    wait_for "$work/bob.msgs.log" '^Subscription-State: active' 10 "bob got no first NOTIFY"
    sipp_ok alice-mod presence_publish_modify -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key etag "$etag" -key basic closed -key note "gone home"
    sipp_done bob "$bob"
    # Exactly three NOTIFYs in bob's dialog (retransmissions aside), in this order.
    notifies bob | cut -f3- | sort -t$'\t' -k1,1n -u >"$work/bob.notifies"
    [[ $(wc -l <"$work/bob.notifies") == 3 ]] || fail "bob got $(wc -l <"$work/bob.notifies") NOTIFYs, expected 3"
    sed -n 1p "$work/bob.notifies" | grep -q $'^1\tactive.*<basic>open</basic>.*at work' ||
      fail "first NOTIFY: not open/at work"
    sed -n 2p "$work/bob.notifies" | grep -q $'^2\tactive.*<basic>closed</basic>.*gone home' ||
      fail "second NOTIFY: not closed/gone home"
    sed -n 3p "$work/bob.notifies" | grep -q $'^3\tterminated' || fail "third NOTIFY: not terminated"
    note "ok: bob saw open, then closed, then the end of his subscription"
    sipp_ok bob-fetch presence_fetch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    notifies bob-fetch | grep -q '<basic>closed</basic>.*gone home' || fail "the fetch did not return alice's state"
    note "ok: a fetch returns closed/gone home"
    # A removal is a write-behind: it lands with the next group, or 200 ms later.
    for _ in $(seq 20); do
      [[ $(sqlite3 -readonly "$work/data/parley.db" "SELECT count(*) FROM subscriptions") == 0 ]] && break
      sleep 0.1
    done
    [[ $(sqlite3 -readonly "$work/data/parley.db" "SELECT count(*) FROM subscriptions") == 0 ]] ||
      fail "subscriptions are still stored 2 s after the unsubscribe and the fetch"
    ;;
  dialog_watch)
    start_parleyd
    ctl presence rule set "bob@$DOMAIN" "carol@$DOMAIN" allow >/dev/null
    sipp_uas bob-uas call_uas "$BOB_UAS"
    bob=$uas_pid
    sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
    sipp_bg carol dialog_watch -p "$CAROL" -s bob -key watcher carol -au carol -ap carol-pw
    carol=$bg_pid
    wait_for "$work/carol.msgs.log" '^Subscription-State: active' 10 "carol got no first NOTIFY"
    sipp_ok alice call_uac -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw
    uas_done bob-uas "$bob"
    sipp_done carol "$carol"
    notifies carol | cut -f3- | sort -t$'\t' -k1,1n -u >"$work/carol.notifies"
    [[ $(wc -l <"$work/carol.notifies") == 5 ]] ||
      fail "carol got $(wc -l <"$work/carol.notifies") NOTIFYs, expected 5: $(cat "$work/carol.notifies")"
    # The NOTIFYs' versions count up from 0 in the order they were sent.
    versions=$(sed -n 's/.*<dialog-info [^>]*version="\([0-9]*\)".*/\1/p' "$work/carol.notifies" | tr '\n' ' ')
    [[ $versions == "0 1 2 3 4 " ]] || fail "dialog-info versions $versions, expected 0 1 2 3 4"
    note "ok: carol saw bob idle, ringing, in the call, free again (versions $versions), then her subscription end"
    ;;
  dialog_list)
    # RFC 4662 with RFC 4235, a busy-lamp list: carol fetches the group team@ for Event: dialog
    # while alice's call to bob's SIPp UA rings: one NOTIFY, each member's dialog-info document.
    start_parleyd
    ctl presence default "$DOMAIN" allow >/dev/null
    ctl group create "team@$DOMAIN" >/dev/null
    ctl group add "team@$DOMAIN" "alice@$DOMAIN" "bob@$DOMAIN" "carol@$DOMAIN" >/dev/null
    sipp_uas bob-uas call_uas "$BOB_UAS"
    bob=$uas_pid
    sipp_ok bob-reg register_contact -p "$REG" -s bob -au bob -ap bob-pw -key contact_port "$BOB_UAS"
    sleep 0.3   # the change feed (polled every 50 ms) brings the group
    sipp_bg alice call_uac -p "$ALICE" -s bob -key sender alice -au alice -ap alice-pw
    alice=$bg_pid
    wait_for "$work/bob-uas.msgs.log" '^SIP/2.0 180' 10 "bob's UA did not ring"
    sipp_ok carol-lamps presence_list_fetch -p "$CAROL" -s team -key watcher carol -key event dialog \
      -key part application/dialog-info+xml -au carol -ap carol-pw
    list=$(notifies carol-lamps | head -n 1)
    for u in alice bob carol; do
      grep -q "<resource uri=\"sip:$u@$DOMAIN\"><instance id=\"[a-z2-7]*\" state=\"active\"" <<<"$list" ||
        fail "the list has no active instance for $u: $list"
    done
    grep -qE 'Content-Type: application/dialog-info\+xml' <<<"$list" || fail "no dialog-info part: $list"
    grep -qE "entity=\"sip:bob@$DOMAIN\"> *<dialog [^>]*local-tag=\"callee\"[^>]*direction=\"recipient\"> *<state code=\"180\">early</state>" <<<"$list" ||
      fail "bob's part does not show his ringing call: $list"
    grep -qE "entity=\"sip:alice@$DOMAIN\"> *<dialog [^>]*remote-tag=\"callee\"[^>]*direction=\"initiator\"> *<state code=\"180\">early</state>" <<<"$list" ||
      fail "alice's part does not show her call: $list"
    grep -qE "entity=\"sip:carol@$DOMAIN\"> *</dialog-info>" <<<"$list" || fail "carol's part is not idle: $list"
    note "ok: one NOTIFY, the RLMI (alice, bob, carol active), bob ringing, alice calling, carol idle"
    uas_done bob-uas "$bob"
    sipp_done alice "$alice"
    ;;
  presence_polite_block)
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" polite-block >/dev/null
    ctl presence rule set "alice@$DOMAIN" "carol@$DOMAIN" allow >/dev/null
    ctl presence rule list "alice@$DOMAIN" | grep -q "polite-block sip:bob@$DOMAIN" ||
      fail "rule list does not show bob polite-blocked: $(cat "$work/ctl.out")"
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "private plans"
    # carol (allowed) sees alice open ...
    sipp_ok carol presence_look -p "$CAROL" -s alice -key watcher carol -au carol -ap carol-pw
    notifies carol | head -n 1 | grep -q 'active.*<basic>open</basic>.*private plans' ||
      fail "carol does not see alice open: $(notifies carol | head -n 1)"
    note "ok: carol (allowed) sees alice open"
    # ... bob (polite-blocked) gets the same 200 and an active subscription, and sees her offline.
    sipp_ok bob presence_look -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    first=$(notifies bob | head -n 1)
    grep -q '<basic>closed</basic>' <<<"$first" || fail "bob's NOTIFY does not say closed: $first"
    ! grep -q -e '<basic>open</basic>' -e 'private plans' <<<"$first" || fail "bob's NOTIFY leaks alice's state: $first"
    note "ok: bob (polite-blocked) sees alice closed, nothing of her note"
    ;;
  presence_list)
    # RFC 4662: the group team@ is the presence list of its members; bob fetches it. Then bob's
    # own list over XCAP (curl), shaped as OMA clients write it: a service naming his buddy list,
    # which refers to his other lists (RFC 4826 §3.2).
    need curl curl
    HTTP_LISTEN=127.0.0.1:$HTTP_PORT start_parleyd
    ctl presence default "$DOMAIN" allow >/dev/null
    ctl group create "team@$DOMAIN" >/dev/null
    ctl group add "team@$DOMAIN" "alice@$DOMAIN" "bob@$DOMAIN" "carol@$DOMAIN" >/dev/null
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "on the list"
    sleep 0.3   # the change feed (polled every 50 ms) brings the group
    sipp_ok bob-list presence_list_fetch -p "$BOB" -s team -key watcher bob -key event presence \
      -key part application/pidf+xml -au bob -ap bob-pw
    list=$(notifies bob-list | head -n 1)
    for u in alice bob carol; do
      grep -q "<resource uri=\"sip:$u@$DOMAIN\"><instance id=\"[a-z2-7]*\" state=\"active\"" <<<"$list" ||
        fail "the list has no active instance for $u: $list"
    done
    grep -q '<basic>open</basic>.*on the list' <<<"$list" || fail "alice's document is not in the list: $list"
    note "ok: one NOTIFY with the RLMI (alice, bob, carol active) and alice's document"
    xcap="http://127.0.0.1:$HTTP_PORT/xcap"
    lists="$xcap/resource-lists/users/sip:bob@$DOMAIN/index"
    anchor() { printf '%s' "$lists/~~/resource-lists/list%5b@name=%22$1%22%5d"; }
    printf '%s' '<?xml version="1.0" encoding="UTF-8"?><resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">' \
      "<list name=\"oma_buddylist\"><external anchor=\"$(anchor friends)\"/>" \
      "<entry-ref ref=\"resource-lists/users/sip:bob@$DOMAIN/index/~~/resource-lists/list%5b@name=%22others%22%5d/entry%5b@uri=%22sip:carol@$DOMAIN%22%5d\"/></list>" \
      "<list name=\"friends\"><entry uri=\"sip:alice@$DOMAIN\"/></list>" \
      "<list name=\"others\"><entry uri=\"sip:carol@$DOMAIN\"/><entry uri=\"tel:+15551234\"/></list>" \
      '</resource-lists>' >"$work/lists.xml"
    printf '%s' '<?xml version="1.0" encoding="UTF-8"?><rls-services xmlns="urn:ietf:params:xml:ns:rls-services">' \
      "<service uri=\"sip:bob-buddies@$DOMAIN\"><resource-list>$(anchor oma_buddylist)</resource-list>" \
      '<packages><package>presence</package></packages></service></rls-services>' >"$work/services.xml"
    for doc in "resource-lists lists.xml resource-lists" "rls-services services.xml rls-services"; do
      read -r auid file type <<<"$doc"
      code=$(curl -sS -m 10 -o "$work/xcap.out" -w '%{http_code}' -u "bob@$DOMAIN:bob-pw" -X PUT \
        -H "Content-Type: application/$type+xml" --data-binary @"$work/$file" \
        "$xcap/$auid/users/sip:bob@$DOMAIN/index")
      [[ $code == 201 ]] || fail "XCAP PUT of bob's $auid: HTTP $code: $(cat "$work/xcap.out")"
    done
    note "ok: XCAP PUT of bob's resource-lists (external, entry-ref) and rls-services: 201"
    sleep 0.3   # the change feed
    sipp_ok bob-own presence_list_fetch -p "$BOB" -s bob-buddies -key watcher bob -key event presence \
      -key part application/pidf+xml -au bob -ap bob-pw
    own=$(notifies bob-own | head -n 1)
    for u in alice carol; do
      grep -q "<resource uri=\"sip:$u@$DOMAIN\"><instance id=\"[a-z2-7]*\" state=\"active\"" <<<"$own" ||
        fail "bob's own list has no active instance for $u: $own"
    done
    ! grep -q "<resource uri=\"sip:bob@$DOMAIN\"" <<<"$own" || fail "bob's own list shows bob: $own"
    note "ok: bob's own list: alice (through <external>) and carol (through <entry-ref>) active"
    ;;
  presence_request_list)
    # RFC 5367: the SUBSCRIBE carries its list (as Linphone's friend lists do) to rls@.
    start_parleyd
    ctl presence default "$DOMAIN" allow >/dev/null
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "on my own list"
    sipp_ok bob-list presence_request_list_fetch -p "$BOB" -s rls -key watcher bob -au bob -ap bob-pw
    list=$(notifies bob-list | head -n 1)
    for u in alice bob; do
      grep -q "<resource uri=\"sip:$u@$DOMAIN\"><instance id=\"[a-z2-7]*\" state=\"active\"" <<<"$list" ||
        fail "the list has no active instance for $u: $list"
    done
    grep -q '<resource uri="sip:zed@elsewhere.test"><instance id="[a-z2-7]*" state="terminated" reason="rejected"' \
      <<<"$list" || fail "the foreign resource is not terminated (rejected): $list"
    grep -q '<basic>open</basic>.*on my own list' <<<"$list" || fail "alice's document is not in the list: $list"
    note "ok: one NOTIFY with the RLMI (alice, bob active; zed@elsewhere rejected) and alice's document"
    ;;
  presence_pending_approved)
    need curl curl
    HTTP_LISTEN=127.0.0.1:$HTTP_PORT start_parleyd   # the server's default rule: confirm
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "hello bob"
    sipp_bg alice-winfo presence_winfo -p "$ALICE_WINFO" -s alice -key watcher alice -au alice -ap alice-pw
    winfo=$bg_pid
    wait_for "$work/alice-winfo.msgs.log" 'state="full"' 10 "alice got no watcher information"
    # Her answer is in before bob comes (a change meeting a NOTIFY in flight would be coalesced
    # into a full document, and the partial one is what this case checks).
    for _ in $(seq 50); do (($(answered alice-winfo) >= 1)) && break; sleep 0.1; done
    (($(answered alice-winfo) >= 1)) || fail "alice's UA did not answer the first watcher-info NOTIFY"
    sipp_bg bob presence_pending -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    bob=$bg_pid
    wait_for "$work/bob.msgs.log" '^Subscription-State: pending' 10 "bob got no pending NOTIFY"
    wait_for "$work/alice-winfo.msgs.log" 'status="pending"' 10 "alice was not told bob is waiting"
    ! grep -q "hello bob" "$work/bob.msgs.log" || fail "bob learned alice's state while pending"
    note "ok: bob pending (202, NOTIFY without body); alice's watcher info lists him pending"
    # alice allows bob: her pres-rules document, PUT over XCAP with her SIP credentials.
    printf '%s\n' '<?xml version="1.0" encoding="UTF-8"?>' \
      '<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules">' \
      ' <cr:rule id="allow-bob">' \
      "  <cr:conditions><cr:identity><cr:one id=\"sip:bob@$DOMAIN\"/></cr:identity></cr:conditions>" \
      '  <cr:actions><pr:sub-handling>allow</pr:sub-handling></cr:actions>' \
      '  <cr:transformations><pr:provide-services><pr:all-services/></pr:provide-services>' \
      '   <pr:provide-persons><pr:all-persons/></pr:provide-persons>' \
      '   <pr:provide-devices><pr:all-devices/></pr:provide-devices><pr:provide-all-attributes/></cr:transformations>' \
      ' </cr:rule>' '</cr:ruleset>' >"$work/pres-rules.xml"
    url="http://127.0.0.1:$HTTP_PORT/xcap/pres-rules/users/sip:alice@$DOMAIN/index"
    code=$(curl -sS -m 10 -o "$work/xcap.out" -w '%{http_code}' -u "alice@$DOMAIN:alice-pw" -X PUT \
      -H 'Content-Type: application/auth-policy+xml' -H 'If-None-Match: *' --data-binary @"$work/pres-rules.xml" "$url")
    [[ $code == 201 ]] || fail "XCAP PUT of alice's pres-rules: HTTP $code, expected 201: $(cat "$work/xcap.out")"
    note "ok: XCAP PUT of alice's pres-rules: 201"
    code=$(curl -sS -m 10 -o "$work/xcap.get" -w '%{http_code}' -u "alice@$DOMAIN:alice-pw" "$url")
    [[ $code == 200 ]] && cmp -s "$work/xcap.get" "$work/pres-rules.xml" ||
      fail "XCAP GET does not return the document stored (HTTP $code)"
    sipp_done bob "$bob"            # active NOTIFY with alice's state, then unsubscribed
    sipp_done alice-winfo "$winfo"  # bob pending, then active/approved, then gone
    ;;
  presence_hard_state)
    # RFC 4827: alice's hard state, PUT over XCAP with curl, is what a fetch shows while nothing
    # is published, and stays beside what her device publishes.
    need curl curl
    HTTP_LISTEN=127.0.0.1:$HTTP_PORT start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    hard() {
      printf '%s' '<?xml version="1.0" encoding="UTF-8"?><presence xmlns="urn:ietf:params:xml:ns:pidf"' \
        ' xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid"' \
        " entity=\"sip:$1@$DOMAIN\"><dm:person id=\"away\"><rpid:activities><rpid:vacation/></rpid:activities>" \
        '<dm:note>on vacation until Monday</dm:note></dm:person></presence>'
    }
    url="http://127.0.0.1:$HTTP_PORT/xcap/pidf-manipulation/users/sip:alice@$DOMAIN/index"
    put() {
      curl -sS -m 10 -o "$work/xcap.out" -w '%{http_code}' -u "alice@$DOMAIN:alice-pw" -X PUT \
        -H 'Content-Type: application/pidf+xml' --data-binary @"$1" "$url"
    }
    hard bob >"$work/wrong.xml"
    code=$(put "$work/wrong.xml")
    [[ $code == 409 ]] && grep -q 'constraint-failure' "$work/xcap.out" ||
      fail "a hard state about bob in alice's document: HTTP $code, expected 409 constraint-failure"
    hard alice >"$work/hard.xml"
    code=$(put "$work/hard.xml")
    [[ $code == 201 ]] || fail "XCAP PUT of alice's pidf-manipulation document: HTTP $code: $(cat "$work/xcap.out")"
    note "ok: XCAP PUT of alice's hard state: 201 (about bob: 409 constraint-failure)"
    sleep 0.3   # the change feed
    sipp_ok bob-fetch presence_fetch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    notifies bob-fetch | grep -q 'on vacation until Monday' || fail "the fetch did not show alice's hard state"
    note "ok: nothing published: bob's fetch shows the hard state"
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "reading mail"
    sipp_ok bob-fetch2 presence_fetch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    notifies bob-fetch2 | grep 'reading mail' | grep -q 'on vacation until Monday' ||
      fail "the fetch after alice published does not show both her device's tuple and her hard state"
    note "ok: published: bob's fetch shows her device's tuple and the hard state's person"
    ;;
  presence_bad_event)
    start_parleyd
    sipp_ok bob presence_bad_event -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    ;;
  presence_rate_limit)
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    sipp_bg bob presence_rate_watch -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw
    bob=$bg_pid
    wait_for "$work/bob.msgs.log" '^Subscription-State: active' 10 "bob got no first NOTIFY"
    sipp_ok alice-burst presence_publish_burst -p "$ALICE" -s alice -au alice -ap alice-pw
    sipp_done bob "$bob"
    notifies bob | awk -F'\t' '$4 ~ /^active/' | sort -t$'\t' -k3,3n -u >"$work/bob.active"
    n=$(($(wc -l <"$work/bob.active") - 1))   # after the first one
    ((n >= 1 && n <= 2)) || fail "bob got $n NOTIFYs for a burst of 3 changes at max-rate=1, expected 1 or 2"
    tail -n 1 "$work/bob.active" | grep -q 'three' || fail "the last NOTIFY does not carry the last state (three)"
    ! awk -F'\t' '$4 !~ /;max-rate=1(;|$)/' "$work/bob.active" | grep -q . || fail "a NOTIFY without max-rate=1"
    # At most one NOTIFY per second (times are when the SIPp UA read them: 0.1 s of slack).
    gaps=$(awk -F'\t' 'NR > 1 { printf "%.3f ", $1 - prev } { prev = $1 }' "$work/bob.active")
    gaps=${gaps% }
    awk -v g="$gaps" 'BEGIN { n = split(g, a, " "); for (i = 1; i <= n; i++) if (a[i] < 0.9) exit 1 }' ||
      fail "NOTIFYs closer than 1 s apart at max-rate=1: gaps $gaps s"
    note "ok: $n NOTIFY(s) after the first for 3 changes, gaps $gaps s, the last says three"
    ;;
  baresip_outbound)
    # RFC 5626: baresip (libre) registers through its outbound proxy (parleyd) with
    # +sip.instance and reg-id. parleyd is its first hop: the 200 says Require: outbound and
    # Flow-Timer: 2, so libre keeps the UDP flow alive with STUN Binding requests every
    # 1.6-2 s and compares each XOR-MAPPED-ADDRESS with the first. parleyd answers them
    # (counted in /metrics); baresip stays registered with its one binding, never re-registering.
    need baresip baresip-core
    need curl curl
    need sqlite3 sqlite3
    HTTP_LISTEN=127.0.0.1:$HTTP_PORT start_parleyd --flow-timer 2
    BARESIP_SIPNAT=outbound baresip_start bob "$BARESIP"
    baresip_says bob "bob@$DOMAIN: {1/UDP/v4} 200 OK (Parley/0.1) [1 binding]" 15   # {reg-id/...}
    outbound=$(sqlite3 -readonly -cmd '.timeout 2000' "$work/data/parley.db" \
      "SELECT instance || ' reg-id=' || reg_id FROM bindings WHERE aor = 'bob@$DOMAIN'" 2>&1 || true)
    [[ $outbound == "<urn:uuid:"*"> reg-id=1" ]] ||
      fail "baresip did not register as an outbound UA (+sip.instance, reg-id): $outbound"
    note "ok: baresip registered with outbound (+sip.instance, reg-id) through parleyd"
    stun_answers() {
      curl -s "http://127.0.0.1:$HTTP_PORT/metrics" |
        awk '$1 == "parley_transport_stun_answers_total{proto=\"udp\"}" {print $2}'
    }
    for _ in $(seq 100); do
      (($(stun_answers) >= 3)) && break
      sleep 0.1
    done
    (($(stun_answers) >= 3)) || fail "parleyd answered $(stun_answers) STUN keep-alives in 10 s (Flow-Timer 2 s)"
    note "ok: baresip sent STUN keep-alives on its flow and parleyd answered $(stun_answers)"
    regs=$(sed 's/\x1b\[[0-9;]*m//g' "$work/bob.log" | grep -c "200 OK (Parley/0.1)")
    ((regs == 1)) || fail "baresip registered $regs times (a failed keep-alive makes it register again)"
    [[ $(bindings bob) == "sip:bob-"*"@127.0.0.1:$BARESIP"* ]] || fail "parleyd lost baresip's binding"
    note "ok: one registration, binding kept"
    ;;
  baresip_presence)
    # Two baresip 1.0 UAs (libre), alice and bob, each allowed by the other: they register,
    # PUBLISH their own presence and SUBSCRIBE to each other's through parleyd (the presence
    # module subscribes to the contacts marked ;presence=p2p, via the account's outbound proxy).
    # A change one makes with /presence_offline or /presence_online is printed by the other
    # ("<sip:...> changed status from Online to Offline"): it went PUBLISH -> parleyd -> NOTIFY.
    # baresip 1.0 knows Online, Offline and Busy only (RPID "away" shows as Offline); a busy
    # state published by another of alice's devices (the parley client) reaches bob's baresip
    # through parleyd's composition of both publications as Busy.
    need baresip baresip-core
    [[ -x $PARLEY ]] || fail "the parley client is not built: $PARLEY"
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    ctl presence rule set "bob@$DOMAIN" "alice@$DOMAIN" allow >/dev/null
    baresip_start bob "$BARESIP" "\"alice\" <sip:alice@$DOMAIN>;presence=p2p"
    baresip_start alice "$BARESIP_ALICE" "\"bob\" <sip:bob@$DOMAIN>;presence=p2p"
    baresip_says bob "bob@$DOMAIN: {0/UDP/v4} 200 OK (Parley/0.1) [1 binding]" 15
    baresip_says alice "alice@$DOMAIN: {0/UDP/v4} 200 OK (Parley/0.1) [1 binding]" 15
    baresip_says bob "Subscribing to 1 contacts" 5
    baresip_says alice "Subscribing to 1 contacts" 5
    note "ok: both baresips registered (digest) and subscribe to each other"
    # Each has learnt the other is online (its first NOTIFYs): its contact list says so.
    for who in alice bob; do
      other=bob; [[ $who == bob ]] && other=alice
      online=0
      for _ in $(seq 50); do
        baresip_cmd "$who" /contacts
        sleep 0.2
        sed 's/\x1b\[[0-9;]*m//g' "$work/$who.log" | grep -E "^[> ] +[A-Za-z]+ $other <sip:$other@" | tail -n 1 |
          grep -qE "^[> ] +Online $other " && { online=1; break; }
      done
      ((online)) || fail "$who's baresip never listed $other as Online"
    done
    note "ok: each baresip lists the other Online"
    baresip_cmd alice /presence_offline
    baresip_says bob "<sip:alice@$DOMAIN> changed status from Online to Offline" 10
    note "ok: alice went offline; bob's baresip printed it"
    baresip_cmd bob /presence_offline
    baresip_says alice "<sip:bob@$DOMAIN> changed status from Online to Offline" 10
    note "ok: bob went offline; alice's baresip printed it"
    baresip_cmd alice /presence_online
    baresip_says bob "<sip:alice@$DOMAIN> changed status from Offline to Online" 10
    baresip_cmd bob /presence_online
    baresip_says alice "<sip:bob@$DOMAIN> changed status from Offline to Online" 10
    note "ok: both back online; each baresip printed the other's change"
    timeout -k 2 20 "$PARLEY" --user "alice@$DOMAIN" --password alice-pw --proxy "127.0.0.1:$SIP_PORT" \
      status busy --note "in a meeting" >"$work/parley.out" 2>&1 || fail "parley status busy failed: $(cat "$work/parley.out")"
    baresip_says bob "<sip:alice@$DOMAIN> changed status from Online to Busy" 10
    note "ok: alice busy (published by the parley client); bob's baresip printed Busy"
    ;;
  presence_restart)
    # Durability (issue 4): parleyd is killed with SIGKILL in the middle of a load of N
    # subscriptions (bob -> alice, each with its own Contact at a SIPp NOTIFY sink) and started
    # again on the same ports and data. Every subscription whose SUBSCRIBE got a 2xx - before
    # the kill or after the restart - must get a NOTIFY carrying alice's change published
    # after the restart.
    n=200
    start_parleyd
    ctl presence rule set "alice@$DOMAIN" "bob@$DOMAIN" allow >/dev/null
    timeout -k 2 85 sipp -sf "$here/sipp/notify_sink.xml" -i 127.0.0.1 -p "$SINK" -nostdin -deadcall_wait 0 \
      -trace_msg -message_file "$work/sink.msgs.log" -trace_err -error_file "$work/sink.err" \
      >"$work/sink.out" 2>&1 &
    sink=$!
    pids+=("$sink")
    for _ in $(seq 100); do ss -Hlun "sport = :$SINK" | grep -q . && break; sleep 0.1; done
    ss -Hlun "sport = :$SINK" | grep -q . || fail "the NOTIFY sink does not listen"
    timeout -k 2 70 sipp "127.0.0.1:$SIP_PORT" -sf "$here/sipp/presence_subscribe_hold.xml" -i 127.0.0.1 \
      -p "$BOB" -s alice -key watcher bob -au bob -ap bob-pw -key sink_port "$SINK" -m "$n" -r 50 -l "$n" \
      -nostdin -timeout 60s -recv_timeout 30000 -max_non_invite_retrans 8 \
      -trace_msg -message_file "$work/load.msgs.log" -trace_err -error_file "$work/load.err" >"$work/load.out" 2>&1 &
    load=$!
    pids+=("$load")
    ok_ids() { received load | awk -F'\t' '$2 ~ /^SIP\/2\.0 200/ && $4 ~ /SUBSCRIBE$/ { print $3 }' | sort -u; }
    for _ in $(seq 100); do (($(ok_ids | wc -l) >= n / 5)) && break; sleep 0.1; done
    crash_parleyd
    killed_at=$(date +%s.%N)
    before=$(received load | awk -F'\t' -v k="$killed_at" '$1 < k && $2 ~ /^SIP\/2\.0 200/ { print $3 }' | sort -u | wc -l)
    ((before >= n / 5 && before < n)) || fail "the kill did not come in the middle of the load: $before of $n subscribed"
    note "ok: killed with $before of $n subscriptions acknowledged (2xx)"
    sleep 0.5   # the rest of the load keeps retransmitting to nobody
    launch_parleyd parleyd-restarted
    restored=$(sed -n 's/.*event=subscriptions_restored count=\([0-9]*\).*/\1/p' "$work/parleyd-restarted.log")
    ((restored >= before)) || fail "$restored subscriptions restored, but $before had a 2xx before the kill"
    note "ok: restarted on the same ports and data: $restored subscriptions restored"
    rc=0
    wait "$load" || rc=$?
    forget "$load"
    ((rc == 0)) || fail "the subscription load (SIPp) exited $rc: not every subscription got its 2xx"
    ok_ids >"$work/acked"
    [[ $(wc -l <"$work/acked") == "$n" ]] || fail "$(wc -l <"$work/acked") of $n subscriptions got a 2xx"
    note "ok: all $n subscriptions acknowledged, $((n - before)) of them by the restarted parleyd"
    sipp_ok alice-pub presence_publish_state -p "$ALICE" -s alice -au alice -ap alice-pw \
      -key basic open -key note "after the restart"
    for _ in $(seq 200); do   # 20 s
      notifies sink | awk -F'\t' '$5 ~ /after the restart/ { print $2 }' | sort -u >"$work/notified"
      comm -23 "$work/acked" "$work/notified" >"$work/missing"
      [[ -s $work/missing ]] || break
      sleep 0.1
    done
    [[ ! -s $work/missing ]] ||
      fail "$(wc -l <"$work/missing") of $n acknowledged subscriptions got no NOTIFY after the restart, e.g. $(head -n 3 "$work/missing" | tr '\n' ' ')"
    note "ok: every one of the $n subscriptions got alice's change after the restart"
    # A restored dialog goes on with higher CSeqs than any NOTIFY it had before the kill.
    bad=$(notifies sink | awk -F'\t' -v k="$killed_at" '
      $1 < k { if ($3 + 0 > b[$2] + 0) b[$2] = $3 }
      $1 > k { if (!($2 in a) || $3 + 0 < a[$2] + 0) a[$2] = $3 }
      END { for (c in b) if (!(c in a) || a[c] + 0 <= b[c] + 0) bad++; print bad + 0 }')
    ((bad == 0)) || fail "$bad restored dialogs reused a CSeq after the restart"
    note "ok: restored dialogs continue with higher CSeqs"
    ;;
  *)
    # The cases of the UAs no one here wrote live in peers.sh, as functions.
    declare -F "case_$case_name" >/dev/null || fail "unknown case $case_name"
    "case_$case_name"
    ;;
esac
stop_parleyd
note "PASS $case_name"
