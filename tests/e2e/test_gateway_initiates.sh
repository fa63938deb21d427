#!/bin/bash
# The gateway as the initiator: a [Peer] with an Endpoint gets a handshake
# from wgate as soon as a resource sends it something. The first packets find
# no session (counted), the gateway initiates, consumes the client's
# response, confirms the session with a keepalive, and traffic flows.
source "$(dirname "$0")/lib.sh"

topo_create 1
gw_peer_with_endpoint 0
gw_start
# "unknown": the gateway's peer list comes from GW_EXTRA_CONFIG above.
client_up 0 unknown
check_eq "client has no handshake yet" "$(client_handshake 0)" 0

check_within 15 "resource reaches the client (gateway-initiated session)" \
	in_res ping -c 1 -W 1 "$(client_tun4 0)"
check "resource pings the client over IPv6" in_res ping -6 -c 3 -i 0.2 -W 2 "$(client_tun6 0)"
check_ge "client sees a handshake" "$(client_handshake 0)" 1
if is_wgate; then
	check_ge "counter handshake_initiation_tx" "$(gw_counter handshake_initiation_tx)" 1
	check_ge "counter handshake_response_rx" "$(gw_counter handshake_response_rx)" 1
	check_ge "counter keepalive_tx (session confirmed)" "$(gw_counter keepalive_tx)" 1
	check_ge "counter drop_no_session (packets before the session)" \
		"$(gw_counter drop_no_session)" 1
	check_eq "no response failed" "$(gw_counter handshake_response_failed)" 0
fi
check "client reaches the resource over the same session" client_get_ok 0 "$URL4"
