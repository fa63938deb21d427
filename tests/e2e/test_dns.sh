#!/bin/bash
# DNS resources with a plain WireGuard client (wireguard-go) whose resolver
# is the gateway's stub (100.64.0.1), against a real dnsmasq in the
# resource namespace serving names with a 5 s TTL from a hosts file the test
# rewrites. The gateway reaches dnsmasq over a management link
# (WGATE_DNS_SERVERS), not through its DPDK ports.
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

if ! is_wgate; then
	echo "# SKIP: the DNS stub is wgate's; $GW_IMPL has none"
	exit 0
fi
command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
	{ echo "# SKIP: dnsmasq or dig (bind9-dnsutils) missing"; exit 0; }

TTL=5
WEB_PORT=8090
topo_create 1
client_keys 0
CNS=$(client_ns 0)
trap 'rm -rf "/etc/netns/$CNS"; e2e_exit' EXIT
ip -n "$NS_RES" addr add 198.51.100.3/24 dev eth0

# Management link gateway <-> resource namespace, for DNS only.
e2e_dns_link

write_hosts() {
	cat >"$E2E_WORK/hosts.tmp" <<-HOSTS
	$1 app.corp.test
	198.51.100.2 a.wild.corp.test
	198.51.100.2 b.x.wild.corp.test
	198.51.100.2 secret.corp.test
	192.0.2.77 plain.example
	HOSTS
	mv "$E2E_WORK/hosts.tmp" "$E2E_WORK/hosts"
}
write_hosts 198.51.100.2
chmod 755 "$E2E_WORK"
# big.example: eight 250-byte TXT records, an answer larger than the tunnel.
txt=()
for i in 1 2 3 4 5 6 7 8; do txt+=("--txt-record=big.example,$i$(printf 'x%.0s' {1..249})"); done
e2e_spawn dnsmasq "$E2E_WORK/dnsmasq.out" "$NS_RES" dnsmasq -k --conf-file=/dev/null \
	--listen-address=10.99.0.2 --bind-interfaces --no-resolv --no-hosts \
	--addn-hosts="$E2E_WORK/hosts" --local-ttl=$TTL --local=/corp.test/ \
	--pid-file= --cache-size=0 --log-queries --log-facility="$E2E_WORK/dnsmasq.log" "${txt[@]}"
DNSMASQ_PID=$E2E_LAST_PID
wait_until 10 in_gw dig +short +time=1 +tries=1 @10.99.0.2 plain.example ||
	bail "dnsmasq answers on the management link" "$(cat "$E2E_WORK/dnsmasq.out")"

# A web server that answers with the address it was reached at.
e2e_spawn whoami "$E2E_WORK/whoami.log" "$NS_RES" "$PYTHON" "$E2E_DIR/whoami.py" $WEB_PORT
wait_until 10 in_res curl -sf --max-time 1 "http://198.51.100.3:$WEB_PORT/" ||
	bail "whoami server starts" "$(cat "$E2E_WORK/whoami.log")"

# shellcheck disable=SC2034  # read by lib.sh
GW_EXTRA_CONFIG="[Resource app]
Address = app.corp.test

[Resource wild]
Address = *.wild.corp.test

[Resource secret]
Address = secret.corp.test

[Resource gone]
Address = nope.corp.test

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = app

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = wild

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = gone"
export WGATE_DNS_SERVERS=10.99.0.2
gw_start
unset WGATE_DNS_SERVERS
client_up 0
# The client routes the proxy ranges into the tunnel and asks the stub.
CIF=$(client_if 0)
in_client 0 wg set "$CIF" peer "$GW_PUB" allowed-ips \
	"198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,100.96.0.0/11,fd00:2021:1111:8000::/107" ||
	bail "wg set allowed-ips on the client"
ip -n "$CNS" route add 100.96.0.0/11 dev "$CIF"
ip -n "$CNS" -6 route add fd00:2021:1111:8000::/107 dev "$CIF"
mkdir -p "/etc/netns/$CNS"
printf 'nameserver %s\noptions timeout:2 attempts:2\n' "$GW_TUN4" >"/etc/netns/$CNS/resolv.conf"
check_within 10 "handshake" client_handshake 0 2>/dev/null || client_curl 0 "http://$GW_TUN4/" >/dev/null 2>&1

stub() { in_client 0 dig +time=2 +tries=2 @"$GW_TUN4" "$@"; }
in_v4_proxy() { [[ $1 =~ ^100\.(9[6-9]|1[01][0-9]|12[0-7])\.[0-9]+\.[0-9]+$ ]]; }
in_v6_proxy() { [[ ${1,,} =~ ^fd00:2021:1111:8000::[0-9a-f:]+$ ]]; }
whoami() { in_client 0 curl -4 -sS --max-time 4 "http://$1:$WEB_PORT/"; }

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
app_queries() { grep -c "query\[A\] app.corp.test" "$E2E_WORK/dnsmasq.log"; }
refreshed() { (( $(app_queries) > n0 )); }
n0=$(app_queries)
check_within $((TTL + 3)) "the gateway refreshes app.corp.test at its TTL, unasked" refreshed
t0=${EPOCHREALTIME/./}
write_hosts 198.51.100.3
kill -HUP "$DNSMASQ_PID"
old_ok=1
while (( ${EPOCHREALTIME/./} - t0 < (TTL - 1) * 1000000 )); do
	got=$(whoami "$A" 2>&1)
	[[ $got == 198.51.100.2 ]] || { old_ok=0; break; }
	sleep 0.3
done
check_eq "before the TTL has passed, new connections still reach the old address" "$old_ok" 1
new_at=
while (( ${EPOCHREALTIME/./} - t0 < (TTL + 4) * 1000000 )); do
	if [[ $(whoami "$A" 2>&1) == 198.51.100.3 ]]; then
		new_at=$(( (${EPOCHREALTIME/./} - t0) / 1000 ))
		break
	fi
	sleep 0.2
done
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
