#!/bin/bash
# Ping through the tunnel: IPv4 and IPv6 inner, to the resource and to the
# gateway's own tunnel addresses; the gateway counts the handshake and the
# decrypted packets, shows the peer, and stops cleanly on SIGTERM.
source "$(dirname "$0")/lib.sh"

topo_create 1
client_keys 0
gw_start
client_up 0

check_within 10 "ping IPv4 inner to the resource (first packet, with handshake)" \
	in_client 0 ping -c 1 -W 1 "$RES4"
check "ping IPv4 inner: 5 of 5 replies" in_client 0 ping -c 5 -i 0.2 -W 2 "$RES4"
check "ping IPv6 inner: 5 of 5 replies" in_client 0 ping -6 -c 5 -i 0.2 -W 2 "$RES6"
check "ping the gateway's IPv4 tunnel address" in_client 0 ping -c 2 -i 0.2 -W 2 "$GW_TUN4"
check "ping the gateway's IPv6 tunnel address" in_client 0 ping -6 -c 2 -i 0.2 -W 2 "$GW_TUN6"
check "ping IPv4 inner with 1392-byte packets (tunnel MTU 1420)" \
	in_client 0 ping -c 2 -i 0.2 -W 2 -s 1392 -M "do" "$RES4"

check_ge "client sees a handshake" "$(client_handshake 0)" 1
check_ge "gateway peer latest_handshake is set" "$(gw_peer_field "${CLIENT_PUB[0]}" latest_handshake)" 1
check_ge "gateway peer rx_bytes" "$(gw_peer_field "${CLIENT_PUB[0]}" rx_bytes)" 1
check_ge "gateway peer tx_bytes" "$(gw_peer_field "${CLIENT_PUB[0]}" tx_bytes)" 1
check_eq "gateway peer endpoint" "$(gw_peer_field "${CLIENT_PUB[0]}" endpoint)" \
	"$(client_wan4 0):${CLIENT_PORT[0]}"
check_eq "gateway peer allowed ips" "$(gw_peer_field "${CLIENT_PUB[0]}" allowed_ips)" \
	"$(client_tun4 0)/32, $(client_tun6 0)/128"

if is_wgate; then
	check_ge "counter handshake_completed" "$(gw_counter handshake_completed)" 1
	check_ge "counter data_decrypted (>= 14 echo requests)" "$(gw_counter data_decrypted)" 14
	check_ge "counter data_encrypted (>= 14 echo replies)" "$(gw_counter data_encrypted)" 14
	peers_text_has() { gw_ctl peers | grep -qxF "peer: $1"; }
	check "wgatectl peers shows the client" peers_text_has "${CLIENT_PUB[0]}"
	# Not through check: its $(...) subshell cannot wait for the gateway,
	# which is a child of this shell.
	if gw_stop 2>"$E2E_WORK/stop.err"; then
		pass "wgate exits 0 on SIGTERM within 10 s"
	else
		fail "wgate exits 0 on SIGTERM within 10 s" "$(cat "$E2E_WORK/stop.err")"
	fi
fi
