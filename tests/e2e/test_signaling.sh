#!/bin/bash
# Signaling over Redis with a real redis-server and a real wireguard-go
# client that the gateway knows only from Redis:
#   1. wgatectl peer add / resource add go through Redis; the client's
#      handshake completes; with no grant, TCP is refused at once (ICMP
#      prohibited -> EHOSTUNREACH);
#   2. wgatectl allow: confirmed by the gateway (authorization_created), and
#      the refused resource is reachable within 1 s (measured, printed);
#   3. wgatectl revoke: refused again within 1 s (measured, printed), while
#      the client's other grant still works;
#   4. status shows the gateway id and the connection, and Redis holds the
#      gateway's status with a TTL;
#   5. bad messages on the stream (truncated JSON, wrong types, unknown
#      event, no msg field, a 3 MB id) are refused with a logged reason and
#      change nothing; the client's traffic goes on;
#   6. revoking its last grant removes the client: its session closes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: signaling is wgate's"; exit 0; }

GW_GRANTS=0
topo_create 1
client_keys 0
: >"$E2E_WORK/peers"	# the client comes from Redis, not from the file
sig_redis_start
GW_EXTRA_CONFIG=$(sig_config)
gw_start
KEY=${CLIENT_PUB[0]}

status_has() { gw_ctl --json status | grep -qF "$1"; }
status_has_ttl() { (( $(sig_cli TTL "wgate:{$SIG_GID}:status") > 0 )); }
add_resources() {
	sig_ctl resource add web4 --address "$RES4/32" && sig_ctl resource add web6 --address "$RES6/128"
}
lists_peer() { gw_ctl peers | grep -qF "$KEY"; }
handshook() { (( $(client_handshake 0) > 0 )); }
under() { [[ -n $1 ]] && (( $1 < $2 )); }	# under MS LIMIT: MS measured and below

check_within 10 "status: connected to Redis" status_has '"signaling_connected": 1'
check "status: gateway id is the configured one" status_has "$SIG_GID"
check "Redis holds the gateway's status with a TTL" status_has_ttl

check "wgatectl peer add (through Redis)" \
	sig_ctl peer add "$KEY" --allowed-ips "$(client_tun4 0)/32,$(client_tun6 0)/128"
check "wgatectl resource add web4, web6" add_resources
check_within 5 "the gateway lists the peer from Redis" lists_peer
client_up 0
in_client 0 ping -c 1 -W 2 "$RES4" >/dev/null 2>&1	# starts the handshake
check_within 10 "the client completes a handshake with a peer known only from Redis" handshook

# refused: a TCP connect to web4 fails with EHOSTUNREACH (the gateway's
# ICMP "prohibited") rather than connecting or timing out.
refused() {
	local out
	out=$(probe_py "$(client_ns 0)" connect "$RES4" "$HTTP_PORT" 1) || { echo "$out"; return 1; }
	[[ $out == EHOSTUNREACH* ]] || { echo "$out"; return 1; }
}
reachable() { CURL_TIMEOUT=1 client_get_ok 0 "$URL4"; }
check "no grant: TCP to web4 refused at once (EHOSTUNREACH)" refused

# until_ms DEADLINE_MS CMD...: ms until CMD first succeeds (polling every
# 20 ms), or nothing after DEADLINE_MS.
until_ms() {
	local max=$1 t0 t
	shift
	t0=$(now_ms)
	while :; do
		"$@" && { echo $(($(now_ms) - t0)); return 0; }
		t=$(now_ms)
		((t - t0 > max)) && return 1
		sleep 0.02
	done
}

t0=$(now_ms)
out=$(sig_ctl allow "$KEY" web4 2>&1); rc=$?
check_eq "wgatectl allow: confirmed by the gateway (exit 0)" "$rc" 0
check "allow also for web6" sig_ctl allow "$KEY" web6
ms=$(until_ms 3000 reachable)
took=$(( $(now_ms) - t0 ))
echo "# allow -> first HTTP reply: ${ms:-never} ms after the check loop started, ${took} ms after wgatectl allow began"
check "allow takes effect within 1 s" under "$ms" 1000

sig_ctl revoke "$KEY" web4 >/dev/null
ms=$(until_ms 3000 refused)
echo "# revoke -> refused: ${ms:-never} ms"
check "revoke takes effect within 1 s (refused again)" under "$ms" 1000
check "the other grant (web6) still works" client_get_ok 0 "$URL6"

# Bad messages straight onto the stream: each refused with a reason, none
# changes anything; a good one after them still applies.
before=$(gw_ctl --json access)
ev="wgate:{$SIG_GID}:events"
sig_cli XADD "$ev" '*' msg '{"event":"reject_access","payload":{"client_id":' >/dev/null
sig_cli XADD "$ev" '*' msg '{"event":"reject_access","payload":{"client_id":7,"resource_id":"web4"}}' >/dev/null
sig_cli XADD "$ev" '*' msg '{"event":"self_destruct","payload":{}}' >/dev/null
sig_cli XADD "$ev" '*' other '{"event":"reject_access"}' >/dev/null
huge=$(head -c 3000000 /dev/zero | tr '\0' 'x')
printf '%s' "{\"event\":\"reject_access\",\"payload\":{\"client_id\":\"$huge\",\"resource_id\":\"web4\"}}" |
	in_gw redis-cli -p "$SIG_PORT" -x XADD "$ev" '*' msg >/dev/null
sig_ctl resource add marker --address 198.51.100.99/32 >/dev/null
has_marker() { gw_ctl resources | grep -q marker; }
check_within 3 "a good event after the bad ones applies" has_marker
check_eq "the bad ones changed no grant" "$(gw_ctl --json access)" "$before"
check "the client still reaches web6" client_get_ok 0 "$URL6"
log=$E2E_WORK/wgate.log
check "truncated JSON refused with a reason" grep -q "refused: .*JSON" "$log"
check "wrong type refused with a reason" grep -q "refused: payload.client_id" "$log"
check "unknown event refused with a reason" grep -q 'refused: unknown event "self_destruct"' "$log"
check "entry without msg refused" grep -q 'refused: no field "msg"' "$log"
check "huge payload refused" grep -qE "refused: .*(too (long|large|big)|63)" "$log"
# A function, so that a failure does not print the key it looked for.
no_key_in_log() { ! grep -qF "$(cat "$E2E_WORK/c0/key")" "$log"; }
check "no key material in the log" no_key_in_log

sig_ctl revoke "$KEY" web6 >/dev/null
peer_gone() { ! lists_peer; }
client_gone() { [[ -z $(sig_cli HGET "wgate:{$SIG_GID}:clients" "$KEY") ]]; }
check_within 2 "revoking the last grant removes the client (gone from peers)" peer_gone
check "and from Redis" client_gone
check_fails "its session is closed: nothing comes back" client_curl 0 "$URL6/" --max-time 2
