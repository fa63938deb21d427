#!/bin/bash
# HTTP through the tunnel to the resource, IPv4 and IPv6 inner: the small
# index page and a 2 MB file (full-size segments both ways, checksum checked).
source "$(dirname "$0")/lib.sh"

topo_create 1
client_keys 0
gw_start
client_up 0

check_within 15 "curl over IPv4 inner: body matches" client_get_ok 0 "$URL4"
check "curl over IPv6 inner: body matches" client_get_ok 0 "$URL6"
check "2 MB over IPv4 inner: sha256 matches" client_get_big_ok 0 "$URL4"
check "2 MB over IPv6 inner: sha256 matches" client_get_big_ok 0 "$URL6"

check_ge "gateway peer tx_bytes >= 4 MB" "$(gw_peer_field "${CLIENT_PUB[0]}" tx_bytes)" 4000000
if is_wgate; then
	check_ge "counter data_encrypted" "$(gw_counter data_encrypted)" 2800
	check_ge "counter handshake_completed" "$(gw_counter handshake_completed)" 1
fi
