#!/bin/bash
# Traffic from the resource side to client addresses that cannot be served:
# 100.64.0.50 belongs to a configured peer that never connected (no
# session), 100.64.0.99 to no peer at all. Both are dropped and counted; the
# connected client is not disturbed.
source "$(dirname "$0")/lib.sh"

topo_create 1
IDLE_PUB=$(gw_add_peer 100.64.0.50/32,fd00:2021:1111::50/128)
client_keys 0
gw_start
client_up 0
check_within 15 "connected client: curl works" client_get_ok 0 "$URL4"

is_wgate && ns0=$(gw_counter drop_no_session)
check_fails "ping from the resource to a peer with no session gets no reply" \
	in_res ping -c 3 -i 0.2 -W 1 100.64.0.50
check_fails "ping6 from the resource to a peer with no session gets no reply" \
	in_res ping -6 -c 2 -i 0.2 -W 1 fd00:2021:1111::50
if is_wgate; then
	check_within 3 "counter drop_no_session grew by >= 5" gw_counter_ge drop_no_session $((ns0 + 5))
	np0=$(gw_counter drop_no_peer)
fi
check_eq "the idle peer has no endpoint" "$(gw_peer_field "$IDLE_PUB" endpoint)" \
	"(none)"
check_fails "ping from the resource to an address of no peer gets no reply" \
	in_res ping -c 3 -i 0.2 -W 1 100.64.0.99
if is_wgate; then
	check_within 3 "counter drop_no_peer grew by >= 3" gw_counter_ge drop_no_peer $((np0 + 3))
fi
check "resource can ping the connected client" in_res ping -c 2 -i 0.2 -W 2 "$(client_tun4 0)"
check "connected client still works" client_get_ok 0 "$URL6"
