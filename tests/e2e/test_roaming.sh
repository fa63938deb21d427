#!/bin/bash
# Roaming: the client moves to another UDP port mid-session. Traffic keeps
# flowing (the gateway answers the new port), the gateway shows the new
# endpoint and counts the roam.
source "$(dirname "$0")/lib.sh"

topo_create 1
client_keys 0
gw_start
client_up 0 port=51000

check_within 15 "curl before the move" client_get_ok 0 "$URL4"
check_eq "endpoint before the move" "$(gw_peer_field "${CLIENT_PUB[0]}" endpoint)" \
	"$(client_wan4 0):51000"
hs_before=$(gw_peer_field "${CLIENT_PUB[0]}" latest_handshake)

in_client 0 wg set "$(client_if 0)" listen-port 52000
check "curl after the move to port 52000" client_get_ok 0 "$URL4"
check "ping IPv6 inner after the move" in_client 0 ping -6 -c 3 -i 0.2 -W 2 "$RES6"
check_within 5 "gateway endpoint is the new port" \
	gw_peer_field_is "${CLIENT_PUB[0]}" endpoint "$(client_wan4 0):52000"
check_eq "no new handshake was needed" \
	"$(gw_peer_field "${CLIENT_PUB[0]}" latest_handshake)" "$hs_before"
if is_wgate; then
	check_ge "counter endpoint_roamed" "$(gw_counter endpoint_roamed)" 1
fi

in_client 0 wg set "$(client_if 0)" listen-port 53000
check "curl after a second move (port 53000)" client_get_ok 0 "$URL6"
check_within 5 "gateway endpoint follows again" \
	gw_peer_field_is "${CLIENT_PUB[0]}" endpoint "$(client_wan4 0):53000"
if is_wgate; then
	check_ge "counter endpoint_roamed after two moves" "$(gw_counter endpoint_roamed)" 2
fi
