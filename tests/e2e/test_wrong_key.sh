#!/bin/bash
# A client whose key the gateway does not know: no handshake completes, its
# curl fails within a bounded time, the gateway counts the unknown peer, and
# a legitimate client keeps working meanwhile.
source "$(dirname "$0")/lib.sh"

topo_create 2
client_keys 0
gw_start
client_up 0
client_up 1 unknown

check_within 15 "legit client: curl works" client_get_ok 0 "$URL4"

start=$SECONDS
CURL_TIMEOUT=5 check_fails "unknown key: curl fails" client_get_ok 1 "$URL4"
check "unknown key: curl gave up within 8 s" test $((SECONDS - start)) -le 8
check_eq "unknown key: client sees no handshake" "$(client_handshake 1)" 0
check_fails "unknown key: no ping either" in_client 1 ping -c 2 -i 0.3 -W 1 "$RES4"

if is_wgate; then
	check_within 5 "counter handshake_drop_unknown_peer >= 1" \
		gw_counter_ge handshake_drop_unknown_peer 1
	check_eq "gateway lists only the known peer" \
		"$(gw_ctl --json peers | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
fi
check "legit client still works" client_get_ok 0 "$URL6"
