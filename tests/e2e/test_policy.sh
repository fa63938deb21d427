#!/bin/bash
# Zero-trust policy: a client reaches only what an [Access] grants it, within
# the resource's Filters; everything else is refused with an ICMP
# 'administratively prohibited' error from the address it tried to reach
# (IPv4 3/13, IPv6 1/1) and never forwarded.
#   client 0: web4 198.51.100.2/32 + web6 2001:db8:2::2/128 (tcp/8080, icmp),
#             tcponly 198.51.100.8 (tcp/8080); nothing for .7 / ::7
#   client 1: nine 198.51.100.9/32 (everything); nothing for .2
#   1. granted HTTP and ping work, v4 and v6
#   2. TCP connect to a filtered port: EHOSTUNREACH (v4) / EACCES (v6) in < 1 s
#   3. ping without a grant: "Packet filtered" / "Administratively prohibited";
#      ping where the filter has no icmp: "Packet filtered"; the resource
#      sees none of 2 and 3 (while it does see the granted ping)
#   4. spoofed inner source (v4 and v6): never reaches the resource
#   5. an ICMP error from the client to a refused address: no error back
#   6. resource -> a client with no grant for that source: dropped silently
#   7. destination in the tunnel range (an unused address, another client):
#      "Packet filtered", the other client sees nothing
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	echo "# SKIP: the policy is wgate's; $GW_IMPL has none"
	exit 0
fi

# shellcheck disable=SC2034  # GW_GRANTS and GW_EXTRA_CONFIG are read by lib.sh
GW_GRANTS=0
topo_create 2
client_keys 0
client_keys 1
# More resource addresses, so that anything wrongly forwarded gets answered.
for a in 7 8 9; do ip -n "$NS_RES" addr add "198.51.100.$a/24" dev eth0; done
ip -n "$NS_RES" addr add 2001:db8:2::7/64 dev eth0 nodad

GW_EXTRA_CONFIG="[Resource web4]
Address = 198.51.100.2/32
Filters = tcp/8080, icmp

[Resource web6]
Address = 2001:db8:2::2/128
Filters = tcp/8080, icmp

[Resource tcponly]
Address = 198.51.100.8
Filters = tcp/8080

[Resource nine]
Address = 198.51.100.9/32

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web4

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web6

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = tcponly

[Access]
Peer = ${CLIENT_PUB[1]}
Resource = nine"
gw_start
client_up 0
client_up 1

C0=$(client_ns 0)
C1=$(client_ns 1)
T0=$(client_tun4 0)
T0_6=$(client_tun6 0)
T1=$(client_tun4 1)

# ping_refused I ADDR TEXT: one ping from client I to ADDR gets no reply, and
# ping reports an error from ADDR itself containing TEXT.
ping_refused() {
	local out
	out=$(in_client "$1" ping -c 1 -W 3 "$2" 2>&1)
	echo "$out"
	grep -q "bytes from" <<<"$out" && return 1
	grep -F "From $2 " <<<"$out" | grep -qF "$3"
}

# capture_count FILE SPEC: the count capture printed for SPEC.
capture_count() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

# ---- 1. what is granted works
check_within 15 "granted: curl v4 to web4 port 8080" client_get_ok 0 "$URL4"
check "granted: curl v6 to web6 port 8080" client_get_ok 0 "$URL6"
check "granted: ping web4 (icmp filter)" in_client 0 ping -c 1 -W 2 "$RES4"
check "granted: ping web6 (icmp filter)" in_client 0 ping -c 1 -W 2 "$RES6"
check "granted: tcponly port 8080" connect_is 0 198.51.100.8 8080 connected 3
check_within 10 "granted: client 1 pings nine (no filters)" \
	in_client 1 ping -c 1 -W 1 198.51.100.9

# ---- 2 and 3: refusals, with the resource watching its wire
gw_counters_snap refused_filter refused_no_grant icmp_error_sent data_decrypted
cap=$E2E_WORK/capture-refused
e2e_bg_ready "$cap" probe_py "$NS_RES" capture eth0 15 \
	"$T0,$RES4,tcp,22" "$T0_6,$RES6,tcp,22" "$T0,198.51.100.7" \
	"$T0_6,2001:db8:2::7" "$T0,198.51.100.8,icmp" "$T0,$RES4,icmp" ||
	bail "capture on the resource starts" "$(cat "$cap")"
capture_pid=$E2E_BG_PID

check "filtered port: connect $RES4:22 fails with EHOSTUNREACH in < 1 s" \
	connect_is 0 "$RES4" 22 EHOSTUNREACH 1
check "filtered port: connect [$RES6]:22 fails with EACCES in < 1 s" \
	connect_is 0 "$RES6" 22 EACCES 1
check "no grant: ping 198.51.100.7 says 'Packet filtered'" \
	ping_refused 0 198.51.100.7 "Packet filtered"
check "no grant: ping 2001:db8:2::7 says 'Administratively prohibited'" \
	ping_refused 0 2001:db8:2::7 "Administratively prohibited"
check "filter without icmp: ping 198.51.100.8 says 'Packet filtered'" \
	ping_refused 0 198.51.100.8 "Packet filtered"
check "... while a granted ping still works" in_client 0 ping -c 1 -W 2 "$RES4"
e2e_bg_stop "$cap" "$capture_pid"
check_eq "resource saw no SYN to $RES4:22" "$(capture_count "$cap" "$T0,$RES4,tcp,22")" 0
check_eq "resource saw no SYN to [$RES6]:22" "$(capture_count "$cap" "$T0_6,$RES6,tcp,22")" 0
check_eq "resource saw nothing for 198.51.100.7" "$(capture_count "$cap" "$T0,198.51.100.7")" 0
check_eq "resource saw nothing for 2001:db8:2::7" "$(capture_count "$cap" "$T0_6,2001:db8:2::7")" 0
check_eq "resource saw no ping for 198.51.100.8" "$(capture_count "$cap" "$T0,198.51.100.8,icmp")" 0
check_eq "resource saw the granted ping (the capture works)" \
	"$(capture_count "$cap" "$T0,$RES4,icmp")" 1
check_within 3 "counter refused_filter grew by >= 3 (two ports, one ping)" \
	gw_counter_grew_ge refused_filter 3
check_within 3 "counter refused_no_grant grew by >= 2" gw_counter_grew_ge refused_no_grant 2
check_within 3 "counter icmp_error_sent grew by >= 5" gw_counter_grew_ge icmp_error_sent 5

# ---- 4. spoofed inner source: from client 0's tunnel, not its address
gw_counters_snap drop_bad_inner_source data_decrypted
cap=$E2E_WORK/capture-spoof
e2e_bg_ready "$cap" probe_py "$NS_RES" capture eth0 15 \
	"100.64.0.77,*" "fd00:2021:1111::77,*" "$T0,$RES4,icmp" ||
	bail "capture on the resource starts" "$(cat "$cap")"
capture_pid=$E2E_BG_PID
check "client 0 sends 5 UDP from 100.64.0.77 into its tunnel" \
	probe_py "$C0" spoof 100.64.0.77 "$RES4" udp:9 5
check "client 0 sends 3 pings from 100.64.0.77 (icmp is allowed to web4)" \
	probe_py "$C0" spoof 100.64.0.77 "$RES4" echo 3
check "client 0 sends 5 UDP from fd00:2021:1111::77" \
	probe_py "$C0" spoof fd00:2021:1111::77 "$RES6" udp:9 5
check "... and one ping from its own address" in_client 0 ping -c 1 -W 2 "$RES4"
e2e_bg_stop "$cap" "$capture_pid"
check_eq "resource saw nothing from 100.64.0.77" "$(capture_count "$cap" "100.64.0.77,*")" 0
check_eq "resource saw nothing from fd00:2021:1111::77" \
	"$(capture_count "$cap" "fd00:2021:1111::77,*")" 0
check_eq "resource saw the genuine ping (the capture works)" \
	"$(capture_count "$cap" "$T0,$RES4,icmp")" 1
check_within 3 "the spoofed packets reached the gateway (data_decrypted grew by >= 14)" \
	gw_counter_grew_ge data_decrypted 14
check_within 3 "counter drop_bad_inner_source grew by >= 13" \
	gw_counter_grew_ge drop_bad_inner_source 13

# ---- 5. no ICMP error in reply to an ICMP error
sleep 1.1	# the client's error budget refills
gw_counters_snap refused_no_grant icmp_error_sent icmp_error_not_allowed
lis=$E2E_WORK/listen-err
e2e_bg_ready "$lis" probe_py "$C0" icmp-listen 15 198.51.100.7 3 ||
	bail "ICMP listener in client 0 starts" "$(cat "$lis")"
lis_pid=$E2E_BG_PID
cap=$E2E_WORK/capture-err
e2e_bg_ready "$cap" probe_py "$NS_RES" capture eth0 15 "$T0,198.51.100.7,icmp" ||
	bail "capture on the resource starts" "$(cat "$cap")"
capture_pid=$E2E_BG_PID
check "client 0 sends 3 ICMP port-unreachable errors to 198.51.100.7 (no grant)" \
	probe_py "$C0" spoof "$T0" 198.51.100.7 unreach 3
e2e_bg_stop "$lis" "$lis_pid"
e2e_bg_stop "$cap" "$capture_pid"
check_eq "client got no ICMP error back for its ICMP errors" "$(tail -n 1 "$lis")" 0
check_eq "resource saw none of them" "$(capture_count "$cap" "$T0,198.51.100.7,icmp")" 0
check_within 3 "counter refused_no_grant grew by >= 3" gw_counter_grew_ge refused_no_grant 3
check_within 3 "counter icmp_error_not_allowed grew by >= 3" \
	gw_counter_grew_ge icmp_error_not_allowed 3
check_eq "counter icmp_error_sent did not grow" "$(gw_counter_grew icmp_error_sent)" 0

# ---- 6. resource -> client 1, which has no grant covering 198.51.100.2
gw_counters_snap drop_reply_no_grant
lis=$E2E_WORK/listen-c1
e2e_bg_ready "$lis" probe_py "$C1" icmp-listen 15 "$RES4" 8 ||
	bail "ICMP listener in client 1 starts" "$(cat "$lis")"
lis_pid=$E2E_BG_PID
check_fails "resource pings client 1 ($T1) from $RES4: no reply" \
	in_res ping -c 3 -i 0.2 -W 1 "$T1"
check_fails "resource pings client 1 over IPv6 (no v6 grant): no reply" \
	in_res ping -6 -c 2 -i 0.2 -W 1 "$(client_tun6 1)"
e2e_bg_stop "$lis" "$lis_pid"
check_eq "client 1 saw none of the resource's echo requests" "$(tail -n 1 "$lis")" 0
check_within 3 "counter drop_reply_no_grant grew by >= 5" gw_counter_grew_ge drop_reply_no_grant 5
lis=$E2E_WORK/listen-c1-nine
e2e_bg_ready "$lis" probe_py "$C1" icmp-listen 15 198.51.100.9 8 ||
	bail "ICMP listener in client 1 starts" "$(cat "$lis")"
lis_pid=$E2E_BG_PID
check "... but from 198.51.100.9 (granted to client 1) the ping goes through" \
	in_res ping -I 198.51.100.9 -c 2 -i 0.2 -W 2 "$T1"
e2e_bg_stop "$lis" "$lis_pid"
check_ge "client 1 saw the echo requests from 198.51.100.9" "$(tail -n 1 "$lis")" 2

# ---- 7. destinations in the tunnel range
sleep 1.1
in_client 0 wg set "$(client_if 0)" peer "$GW_PUB" \
	allowed-ips "198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,100.64.0.50/32,$T1/32"
ip -n "$C0" route add 100.64.0.50/32 dev "$(client_if 0)"
ip -n "$C0" route add "$T1/32" dev "$(client_if 0)"
gw_counters_snap refused_tunnel_range
lis=$E2E_WORK/listen-hairpin
e2e_bg_ready "$lis" probe_py "$C1" icmp-listen 15 "$T0" 8 ||
	bail "ICMP listener in client 1 starts" "$(cat "$lis")"
lis_pid=$E2E_BG_PID
check "tunnel range: ping 100.64.0.50 says 'Packet filtered'" \
	ping_refused 0 100.64.0.50 "Packet filtered"
check "tunnel range: ping client 1 ($T1) says 'Packet filtered'" \
	ping_refused 0 "$T1" "Packet filtered"
e2e_bg_stop "$lis" "$lis_pid"
check_eq "client 1 saw no echo request from client 0" "$(tail -n 1 "$lis")" 0
check_within 3 "counter refused_tunnel_range grew by >= 2" gw_counter_grew_ge refused_tunnel_range 2

check "client 0 still fetches web4" client_get_ok 0 "$URL4"
