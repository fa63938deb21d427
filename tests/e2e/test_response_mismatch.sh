#!/bin/bash
# A response to the gateway's own initiation that does not decrypt (here: the
# gateway has a preshared key for the peer, the client has none) ends that
# handshake at once: counted, logged, and not retried every 5 s until
# Rekey-Attempt-Time, because the two sides disagree on a key and only a
# re-sync can fix that.
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	e2e_note "this test drives wgate's initiator; nothing to check with $GW_IMPL"
	exit 0
fi
topo_create 1
gw_peer_with_endpoint 0 psk
gw_start
client_up 0 unknown

# One packet only: new data would (rightly) start a new attempt, at most one
# per Rekey-Timeout.
check_fails "resource cannot reach the client" in_res ping -c 1 -W 2 "$(client_tun4 0)"
check_within 5 "counter handshake_response_failed = 1" \
	bash -c "[[ \$('$WGATECTL_BIN' --socket '$GW_SOCK' --json counters | '$PYTHON' -c 'import json,sys; print(json.load(sys.stdin)[\"handshake_response_failed\"])') == 1 ]]"
check "the gateway logged it" grep -q "does not decrypt" "$E2E_WORK/wgate.log"
sleep 7	# past Rekey-Timeout (5 s + jitter): a retry would have gone out by now
check_eq "no retransmission of the failed initiation" "$(gw_counter handshake_initiation_tx)" 1
check_eq "no session was installed" "$(gw_peer_field "$(cat "$E2E_WORK/c0/pub")" session)" 0
check_eq "no keypair was confirmed" "$(gw_counter handshake_completed)" 0
