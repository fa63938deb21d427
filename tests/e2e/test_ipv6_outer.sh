#!/bin/bash
# The client reaches the gateway over IPv6 ([2001:db8:1::1]:51820); IPv4 and
# IPv6 inner traffic both flow, and the gateway shows the IPv6 endpoint.
source "$(dirname "$0")/lib.sh"

topo_create 1
client_keys 0
gw_start
client_up 0 v6

check_within 15 "IPv6 outer: curl over IPv4 inner" client_get_ok 0 "$URL4"
check "IPv6 outer: curl over IPv6 inner" client_get_ok 0 "$URL6"
check "IPv6 outer: 2 MB over IPv4 inner" client_get_big_ok 0 "$URL4"
check "IPv6 outer: ping IPv6 inner" in_client 0 ping -6 -c 3 -i 0.2 -W 2 "$RES6"
check_eq "gateway peer endpoint is the client's IPv6 address" \
	"$(gw_peer_field "${CLIENT_PUB[0]}" endpoint)" "[$(client_wan6 0)]:${CLIENT_PORT[0]}"
if is_wgate; then
	check_ge "counter handshake_completed" "$(gw_counter handshake_completed)" 1
fi
