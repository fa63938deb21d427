#!/bin/bash
# A keepalive-only session: a client with persistent-keepalive 1 that sends
# nothing else. Over ~12 s the gateway receives keepalives and the session
# stays up; afterwards traffic still works at once.
source "$(dirname "$0")/lib.sh"

topo_create 1
client_keys 0
gw_start
client_up 0 keepalive=1
PUB=${CLIENT_PUB[0]}

check_within 10 "keepalive alone brings up a handshake" \
	gw_peer_field_gt "$PUB" latest_handshake 0
rx0=$(gw_peer_field "$PUB" rx_bytes)
is_wgate && ka0=$(gw_counter keepalive_rx)
e2e_note "idle for 12 s"
sleep 12
rx1=$(gw_peer_field "$PUB" rx_bytes)
check_ge "gateway received keepalive bytes while idle" "$((rx1 - rx0))" $((8 * 32))
if is_wgate; then
	ka1=$(gw_counter keepalive_rx)
	check_ge "counter keepalive_rx grew by >= 8 in 12 s" "$((ka1 - ka0))" 8
fi
check_ge "gateway latest_handshake still set" "$(gw_peer_field "$PUB" latest_handshake)" 1
check "traffic after the idle period" client_get_ok 0 "$URL4"
check "IPv6 traffic after the idle period" in_client 0 ping -6 -c 2 -i 0.2 -W 2 "$RES6"
