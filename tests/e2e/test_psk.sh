#!/bin/bash
# A peer with a preshared key: traffic flows. A client that has the right
# keys but the wrong preshared key never completes a handshake.
source "$(dirname "$0")/lib.sh"

topo_create 2
client_keys 0 psk
client_keys 1 psk
gw_start
# Client 1 gets a different PSK than the one the gateway was given.
e2e_genkey "$E2E_WORK/c1/psk" psk
client_up 0 psk
client_up 1 psk

check_within 15 "psk peer: curl over IPv4 inner" client_get_ok 0 "$URL4"
check "psk peer: curl over IPv6 inner" client_get_ok 0 "$URL6"
check_ge "psk peer: gateway latest_handshake set" \
	"$(gw_peer_field "${CLIENT_PUB[0]}" latest_handshake)" 1

CURL_TIMEOUT=4 check_fails "wrong psk: curl fails" client_get_ok 1 "$URL4"
check_eq "wrong psk: client sees no handshake" "$(client_handshake 1)" 0
if is_wgate; then
	check_ge "counter handshake_completed (the good peer)" "$(gw_counter handshake_completed)" 1
fi
