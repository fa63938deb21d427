#!/bin/bash
# DNS resources with a plain WireGuard client (wireguard-go) whose resolver
# is the gateway's stub (100.64.0.1), against a real dnsmasq (dns_lib.sh:
# names with a 5 s TTL, dns-ttl-resolution pinned on so it is honoured).
#   1. dig @100.64.0.1: A and AAAA of a granted name are proxy addresses
#   2. curl http://app.corp.test:8090/ (resolver = the stub) reaches the web
#      server, which says which of its addresses was asked
#   3. the record changes in dnsmasq: new connections keep the old address
#      until the TTL since the gateway's last lookup has passed, then use
#      the new one
#   4. a wildcard resource (*.wild.corp.test) works for two names
#   5. a name of a resource the client holds no grant for: REFUSED
#   6. a granted name that is NXDOMAIN: a proxy address, and connecting to
#      it fails at once (ENETUNREACH: ICMP unreachable 3/0)
#   7. a name of no resource is forwarded upstream and answered (one larger
#      than the tunnel cut, with TC set)
#   8. upstream silent: SERVFAIL after the 5 s deadline
source "$(dirname "$0")/lib.sh"

source "$(dirname "$0")/dns_lib.sh"

# 1. Proxy addresses.
A=$(stub +short app.corp.test A)
check "dig @$GW_TUN4 app.corp.test A: a proxy address ($A)" in_v4_proxy "$A"
AAAA=$(stub +short app.corp.test AAAA)
check "dig @$GW_TUN4 app.corp.test AAAA: a proxy address ($AAAA)" in_v6_proxy "$AAAA"
check_eq "the same name gets the same proxy address again" "$(stub +short app.corp.test A)" "$A"

# 2. By name through the tunnel.
check_eq "curl http://app.corp.test:$WEB_PORT/ reaches the web server" \
	"$(whoami app.corp.test 2>&1)" "198.51.100.2"

# 3. The record changes just after the gateway looked it up (it keeps the
# name fresh at every TTL): synchronise on dnsmasq's query log.
refreshed() { (( $(app_queries) > n0 )); }
n0=$(app_queries)
check_within $((TTL + 3)) "the gateway refreshes app.corp.test at its TTL, unasked" refreshed
t0=${EPOCHREALTIME/./}
write_hosts 198.51.100.3
kill -HUP "$DNSMASQ_PID"
check "before the TTL has passed, new connections still reach the old address" \
	old_until "$A" 198.51.100.2 "$t0" $((TTL - 1)) 0.3
new_at=$(new_at "$A" 198.51.100.3 "$t0" $((TTL + 4)))
check "after the TTL, the new address (at ${new_at:-never} ms, TTL ${TTL} s)" \
	test -n "$new_at" -a "${new_at:-0}" -ge $(( (TTL - 1) * 1000 ))
check_eq "... by name too" "$(whoami app.corp.test 2>&1)" "198.51.100.3"

# 4. Wildcard.
check_eq "wildcard: a.wild.corp.test" "$(whoami a.wild.corp.test 2>&1)" "198.51.100.2"
check_eq "wildcard: b.x.wild.corp.test (two labels deep)" \
	"$(whoami b.x.wild.corp.test 2>&1)" "198.51.100.2"
check "the two wildcard names have their own proxy addresses" \
	test "$(stub +short a.wild.corp.test)" != "$(stub +short b.x.wild.corp.test)"

# 5. Not granted.
check "a resource name without a grant: REFUSED" \
	bash -c "$(declare -f in_client client_ns); E2E_P=$E2E_P; \
	  in_client 0 dig +time=2 +tries=1 @$GW_TUN4 secret.corp.test | grep -q 'status: REFUSED'"

# 6. NXDOMAIN upstream.
NX=$(stub +short nope.corp.test A)
check "a granted name that does not exist still gets a proxy address ($NX)" in_v4_proxy "$NX"
gw_counters_snap refused_proxy_unresolved
check "connecting to it fails at once with ENETUNREACH (ICMP 3/0: net unreachable)" \
	connect_is 0 "$NX" $WEB_PORT ENETUNREACH 1
check_eq "... and curl by name fails at once (exit 7)" \
	"$(in_client 0 curl -4 -s --max-time 4 "http://nope.corp.test:$WEB_PORT/" >/dev/null; echo $?)" 7
check "... counted refused_proxy_unresolved" gw_counter_grew_ge refused_proxy_unresolved 2

# 7. Forwarded.
check_eq "a name of no resource is forwarded: plain.example" \
	"$(stub +short plain.example A)" "192.0.2.77"
check_eq "... NXDOMAIN relayed as it came" \
	"$(stub nothing.corp.test A | grep -o 'status: [A-Z]*')" "status: NXDOMAIN"
check "... counted dns_stub_forwarded" gw_counter_ge dns_stub_forwarded 2

check "... an answer larger than the tunnel comes back cut, with TC set" \
	bash -c "$(declare -f in_client client_ns); E2E_P=$E2E_P; \
	  in_client 0 dig +ignore +time=3 +tries=1 @$GW_TUN4 big.example TXT | grep -q 'flags:.* tc'"

# 8. Upstream silent (dnsmasq stopped): SERVFAIL after about 5 s.
kill -STOP "$DNSMASQ_PID"
t0=${EPOCHREALTIME/./}
st=$(in_client 0 dig +time=9 +tries=1 @"$GW_TUN4" other.example A | grep -o 'status: [A-Z]*')
el=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
kill -CONT "$DNSMASQ_PID"
check_eq "upstream silent: SERVFAIL (after $el ms)" "$st" "status: SERVFAIL"
check "... after the 5 s deadline, not long after" test "$el" -ge 4800 -a "$el" -le 7000
check "... counted dns_stub_servfail" gw_counter_ge dns_stub_servfail 1
