#!/bin/bash
# Masquerading: the resource namespace has no route back to the client
# tunnel ranges; with [Port lan] Masquerade = true the gateway source-NATs
# client traffic to its lan address (198.51.100.1, 2001:db8:2::1), so TCP,
# UDP and ping still work both ways, and the resource sees the gateway's
# address, never the client's.
#   1. without routes and without masquerading nothing comes back (control)
#   2. TCP: HTTP GET, IPv4 and IPv6; the server logs 198.51.100.1
#   3. UDP: a DNS query to dnsmasq on the resource, answered
#   4. ping, IPv4 and IPv6
#   5. counted nat_masqueraded / nat_translated_in
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	echo "# SKIP: masquerading is wgate's; $GW_IMPL leaves it to the kernel"
	exit 0
fi
command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
	{ echo "# SKIP: dnsmasq or dig (bind9-dnsutils) missing"; exit 0; }

topo_create 1
client_keys 0
ip -n "$NS_RES" route del 100.64.0.0/11
ip -n "$NS_RES" -6 route del fd00:2021:1111::/107
printf '198.51.100.2 res.lab.test\n' >"$E2E_WORK/hosts"
chmod 755 "$E2E_WORK"
e2e_spawn dnsmasq "$E2E_WORK/dnsmasq.out" "$NS_RES" dnsmasq -k --conf-file=/dev/null \
	--listen-address="$RES4" --bind-interfaces --no-resolv --no-hosts \
	--addn-hosts="$E2E_WORK/hosts" --local=/lab.test/ --pid-file= --log-queries \
	--log-facility="$E2E_WORK/dnsmasq.log"
wait_until 10 in_res dig +short +time=1 +tries=1 @"$RES4" res.lab.test ||
	bail "dnsmasq answers in the resource namespace" "$(cat "$E2E_WORK/dnsmasq.out")"

# 1. Control: the same without masquerading gets nothing back.
gw_start
client_up 0
check_within 10 "handshake" client_handshake 0
check_fails "without masquerading, a resource with no route back does not answer" \
	client_curl 0 "http://$RES4:$HTTP_PORT/" --max-time 3
gw_stop

# shellcheck disable=SC2034  # read by lib.sh
GW_LAN_MASQ=1
gw_start

# 2. TCP (the first GET also waits for the client's new session).
CURL_TIMEOUT=3 check_within 30 "TCP: HTTP over IPv4 through the masqueraded port" \
	client_get_ok 0 "http://$RES4:$HTTP_PORT"
check "TCP: HTTP over IPv6 through the masqueraded port" client_get_ok 0 "http://[$RES6]:$HTTP_PORT"
check "TCP: 2 MB intact" client_get_big_ok 0 "http://$RES4:$HTTP_PORT"
check "the resource saw the gateway's lan address, not the client's" \
	bash -c "grep -Eq '^(::ffff:)?$GW_LAN4 ' '$E2E_WORK/http.log' &&
		 grep -q '^$GW_LAN6 ' '$E2E_WORK/http.log' &&
		 ! grep -Eq '^(::ffff:)?100\\.64\\.|^fd00:2021:1111::' '$E2E_WORK/http.log'"

# 3. UDP.
check_eq "UDP: a DNS query to the resource answered" \
	"$(in_client 0 dig +short +time=2 +tries=2 @"$RES4" res.lab.test)" "198.51.100.2"
check "... dnsmasq saw the query from $GW_LAN4" grep -q "query\\[A\\] res.lab.test from $GW_LAN4" \
	"$E2E_WORK/dnsmasq.log"

# 4. ping.
check "ping over IPv4" in_client 0 ping -c 2 -W 2 -q "$RES4"
check "ping over IPv6" in_client 0 ping -6 -c 2 -W 2 -q "$RES6"

# 5. Counters.
check "counted nat_masqueraded" gw_counter_ge nat_masqueraded 6
check "counted nat_translated_in" gw_counter_ge nat_translated_in 6
