#!/bin/bash
# e2e-timeout: 240
# Resource bounds ([Dataplane] MaxPeers, MaxGrants, NatEntries,
# DnsCacheEntries) set tiny through the environment, hit with real
# wireguard-go clients, peers and grants from a real redis-server, DNS
# resources answered by a real dnsmasq. Each bound is a counted refusal,
# never a crash, and what was in before keeps working:
#   1. MaxPeers = 2: two clients from Redis work; a third peer created in
#      Redis is refused (bound_refused_max_peers, a warning; counted once,
#      not again at each later change), gets no handshake, and the first
#      two keep working
#   2. MaxGrants = 3: a fourth grant is refused (bound_refused_max_grants):
#      its resource stays refused for that client, the others' grants work
#   3. a client leaves (peer del): the refused third one comes in at once
#      (its slot is not held up by the leaver's grace period), and the
#      refused grant is published when another grant goes
#   4. DnsCacheEntries = 16: names of a wildcard DNS resource past the bound
#      are counted (bound_refused_dns_cache); names resolved before it keep
#      working
#   5. NatEntries = 16: more DNS-resource flows than that are dropped as
#      drop_nat_table_full while a flow already open (a ping) goes on
#   6. wgatectl bounds shows each bound, its use and its refusals
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: the bounds are wgate's"; exit 0; }
command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
	{ echo "# SKIP: dnsmasq or dig (bind9-dnsutils) missing"; exit 0; }

# shellcheck disable=SC2034  # read by lib.sh
GW_GRANTS=0
topo_create 3
for i in 0 1 2; do client_keys "$i"; done
: >"$E2E_WORK/peers"	# every client comes from Redis
CNS=$(client_ns 0)
trap 'rm -rf "/etc/netns/$CNS"; e2e_exit' EXIT

# DNS for the resource names: dnsmasq on a management link (as test_dns).
e2e_dns_link
dnsmasq_up 60 x.wild.corp.test --address=/wild.corp.test/"$RES4" --address=/wild.corp.test/"$RES6"

sig_redis_start
# shellcheck disable=SC2034  # read by lib.sh
GW_EXTRA_CONFIG=$(sig_config)
export WGATE_DNS_SERVERS=$E2E_DNS_ADDR WGATE_DATAPLANE_MAXPEERS=2 WGATE_DATAPLANE_MAXGRANTS=3 \
	WGATE_DATAPLANE_NATENTRIES=16 WGATE_DATAPLANE_DNSCACHEENTRIES=16
gw_start
unset WGATE_DNS_SERVERS WGATE_DATAPLANE_MAXPEERS WGATE_DATAPLANE_MAXGRANTS \
	WGATE_DATAPLANE_NATENTRIES WGATE_DATAPLANE_DNSCACHEENTRIES

bound() { gw_ctl --json bounds | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
bound_is() { [[ $(bound "$1") == "$2" ]]; }
lists_peer() { gw_ctl peers | grep -qF "${CLIENT_PUB[$1]}"; }
handshook() { local t; t=$(client_handshake "$1") && (( t > 0 )); }
reaches() { CURL_TIMEOUT=2 client_get_ok "$1" "$2"; }
# refused I ADDR: a TCP connect from client I ends in the gateway's ICMP
# "prohibited" at once (the grant is missing), not a timeout: EHOSTUNREACH
# over IPv4, EACCES over IPv6 (ICMPv6 1/1, administratively prohibited).
refused() { connect_is "$1" "$2" "$HTTP_PORT" "$([[ $2 == *:* ]] && echo EACCES || echo EHOSTUNREACH)" 1; }
peer_add() { sig_ctl peer add "${CLIENT_PUB[$1]}" --allowed-ips "$(client_tun4 "$1")/32,$(client_tun6 "$1")/128"; }

connected() { gw_ctl --json status | grep -qF '"signaling_connected": 1'; }
add_resources() {
	sig_ctl resource add web4 --address "$RES4/32" && sig_ctl resource add web6 --address "$RES6/128" &&
		sig_ctl resource add wild --address '*.wild.corp.test'
}
check_within 10 "connected to Redis" connected
check "bounds from the environment: max_peers 2" bound_is max_peers 2
check_eq "... max_grants, nat_entries, dns_cache_entries" \
	"$(bound max_grants),$(bound nat_entries),$(bound dns_cache_entries)" "3,16,16"

# 1. MaxPeers.
check "resources web4, web6, *.wild.corp.test" add_resources
check "peer add: clients 0 and 1" peer_add 0
peer_add 1 >/dev/null || bail "peer add client 1"
check "allow: client 0 web4, client 1 web4" sig_ctl allow "${CLIENT_PUB[0]}" web4
sig_ctl allow "${CLIENT_PUB[1]}" web4 >/dev/null || bail "allow client 1 web4"
lists_both() { lists_peer 0 && lists_peer 1; }
check_within 5 "the gateway lists clients 0 and 1" lists_both
for i in 0 1 2; do client_up "$i"; done
for i in 0 1; do
	CURL_TIMEOUT=2 check_within 15 "client $i reaches web4" reaches "$i" "$URL4"
done
gw_counters_snap bound_refused_max_peers handshake_drop_unknown_peer bound_refused_max_grants
check "peer add: client 2 (a third peer) is written to Redis" peer_add 2
check_within 5 "the third peer is refused: counted bound_refused_max_peers" \
	gw_counter_grew_ge bound_refused_max_peers 1
check "... with a warning naming the bound" grep -q "refused: \[Dataplane\] MaxPeers = 2" \
	"$E2E_WORK/wgate.log"
check_fails "... the gateway does not list it" lists_peer 2
check_fails "... it gets no session: nothing through the tunnel" client_curl 2 "$URL4/" --max-time 6
check "... counted handshake_drop_unknown_peer" gw_counter_grew_ge handshake_drop_unknown_peer 1
check_eq "... peers in use: 2" "$(bound peers)" 2
for i in 0 1; do check "client $i still reaches web4" reaches "$i" "$URL4"; done

# 2. MaxGrants: 2 grants now; a third (client 0 wild) fills the bound.
check "allow: client 0 *.wild.corp.test (the third grant)" sig_ctl allow "${CLIENT_PUB[0]}" wild
check_eq "grants in use: 3" "$(bound grants)" 3
check "allow: client 1 web6, a fourth grant (written; the gateway refuses it)" \
	sig_ctl allow "${CLIENT_PUB[1]}" web6 --no-wait
check_within 5 "the fourth grant is refused: counted bound_refused_max_grants" \
	gw_counter_grew_ge bound_refused_max_grants 1
check "... client 1 is refused web6 (no grant published)" refused 1 "$RES6"
check "... client 1 still reaches web4" reaches 1 "$URL4"
check "... client 0 still reaches web4" reaches 0 "$URL4"
check_eq "the refused peer is counted once, not again at each of the changes since" \
	"$(gw_counter_grew bound_refused_max_peers)" 1
check "revoke: client 1 web4 (a grant goes)" sig_ctl revoke "${CLIENT_PUB[1]}" web4
CURL_TIMEOUT=2 check_within 5 "... the refused grant is published: client 1 reaches web6" \
	reaches 1 "http://[$RES6]:$HTTP_PORT"
check "... and is refused web4 now" refused 1 "$RES4"

# 4 and 5 need client 0 on the DNS resource: its resolver is the stub.
CIF=$(client_if 0)
in_client 0 wg set "$CIF" peer "$GW_PUB" allowed-ips \
	"198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,100.96.0.0/11,fd00:2021:1111:8000::/107" ||
	bail "wg set allowed-ips on client 0"
ip -n "$CNS" route add 100.96.0.0/11 dev "$CIF"
stub() { in_client 0 dig +short +time=2 +tries=2 @"$GW_TUN4" "$@"; }
in_v4_proxy() { [[ $1 =~ ^100\.(9[6-9]|1[01][0-9]|12[0-7])\.[0-9]+\.[0-9]+$ ]]; }

# 4. DnsCacheEntries = 16: each name of the resource holds an A and an
# AAAA entry (kept fresh while its proxy address is assigned).
P1=$(stub n1.wild.corp.test A)
check "n1.wild.corp.test: a proxy address ($P1)" in_v4_proxy "$P1"
check "... traffic to it reaches the resource" reaches 0 "http://$P1:$HTTP_PORT"
gw_counters_snap bound_refused_dns_cache
for n in $(seq 2 14); do stub "n$n.wild.corp.test" A >/dev/null; done
check_within 5 "13 more names than fit: counted bound_refused_dns_cache" \
	gw_counter_grew_ge bound_refused_dns_cache 1
check_eq "... the cache holds its bound, no more" "$(bound dns_cache)" 16
check "... with a warning naming the bound" grep -q "DnsCacheEntries; bound_refused_dns_cache" \
	"$E2E_WORK/wgate.log"
check "... n1, resolved before, still reaches the resource" reaches 0 "http://$P1:$HTTP_PORT"

# 5. NatEntries = 16 flows: a ping to n1's proxy address holds one; 40 UDP
# flows (each its own source port) to it fill the rest and are dropped.
in_client 0 ping -i 0.2 -w 25 "$P1" >"$E2E_WORK/ping.log" 2>&1 &
PING_PID=$!
check_within 5 "a ping flow through the NAT is answered" grep -q "icmp_seq=" "$E2E_WORK/ping.log"
gw_counters_snap drop_nat_table_full
in_client 0 "$PYTHON" -c '
import socket, sys
for i in range(40):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.sendto(b"x", (sys.argv[1], 9999))
    s.close()' "$P1"
check_within 5 "40 UDP flows into a 16-flow table: counted drop_nat_table_full" \
	gw_counter_grew_ge drop_nat_table_full 20
check "... the table holds no more than its bound ($(bound nat_flows) flows)" \
	test "$(bound nat_flows)" -le 16
n0=$(grep -c "icmp_seq=" "$E2E_WORK/ping.log")
sleep 2
n1=$(grep -c "icmp_seq=" "$E2E_WORK/ping.log")
check "... the open ping flow goes on being answered ($n0 -> $n1 replies)" test "$n1" -ge $((n0 + 5))
kill "$PING_PID" 2>/dev/null; wait "$PING_PID" 2>/dev/null

# 3. Leaving lets the refused in.
check "peer del: client 1 leaves" sig_ctl peer del "${CLIENT_PUB[1]}"
check_within 5 "the refused client 2 is in at once" lists_peer 2
check "allow: client 2 web4" sig_ctl allow "${CLIENT_PUB[2]}" web4 --no-wait
CURL_TIMEOUT=2 check_within 15 "client 2 reaches web4" reaches 2 "$URL4"
check "client 0 still reaches web4" reaches 0 "$URL4"
check_eq "peers in use: 2" "$(bound peers)" 2

# 6. The gateway is whole and says so.
lists_bounds() {
	local out k
	out=$(gw_ctl bounds) || return 1
	for k in max_peers max_grants nat_entries dns_cache_entries punt_ring event_ring tx_ring \
		handoff_ring mbufs_in_use bound_refused_max_peers bound_refused_max_grants \
		bound_refused_dns_cache drop_nat_table_full drop_event_ring_full; do
		grep -q "$k" <<<"$out" || { echo "no $k in: $out"; return 1; }
	done
}
check "wgatectl bounds (text) lists every bound and its refusals" lists_bounds
check "the gateway is still running and ready" gw_ctl status
