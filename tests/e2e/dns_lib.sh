# Shared by the DNS-resource tests (test_dns.sh, test_dns_tcp.sh,
# test_dns_ttl_off.sh); sourced after lib.sh. A plain WireGuard client
# (wireguard-go) whose resolver is the gateway's stub ($GW_TUN4), against a
# real dnsmasq in the resource namespace serving names with a 5 s TTL from
# a hosts file the tests rewrite (write_hosts), and big.example: eight
# 250-byte TXT records, an answer larger than the tunnel (over UDP it comes
# back cut, with TC). The gateway reaches dnsmasq over a management link
# (WGATE_DNS_SERVERS), not through its DPDK ports. A web server in the
# resource namespace answers with the address it was reached at (whoami).
# The dns-ttl-resolution flag is pinned: DNS_TTL_FLAG (default true, so
# the 5 s TTL is honoured). DNS_LISTEN_MORE: one more address for dnsmasq
# (in the resource namespace); DNS_EXTRA_CONFIG: appended to the gateway's
# config (@CLIENT0@ stands for the client's public key); DNS_QUIET=1: dnsmasq logs no queries (benchmarks/dns_bench).
# shellcheck shell=bash
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
# big.example: eight 250-byte TXT records, an answer larger than the tunnel.
txt=()
for i in 1 2 3 4 5 6 7 8; do txt+=("--txt-record=big.example,$i$(printf 'x%.0s' {1..249})"); done
dnsmasq_log=(--log-queries --log-facility="$E2E_WORK/dnsmasq.log")
[[ -n ${DNS_QUIET:-} ]] && dnsmasq_log=()
dnsmasq_up $TTL plain.example ${DNS_LISTEN_MORE:+--listen-address=$DNS_LISTEN_MORE} \
	"${dnsmasq_log[@]}" "${txt[@]}"

# A web server that answers with the address it was reached at.
whoami_up $WEB_PORT 198.51.100.3

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
Resource = gone
${DNS_EXTRA_CONFIG//@CLIENT0@/${CLIENT_PUB[0]}}"
export WGATE_DNS_SERVERS=$E2E_DNS_ADDR WGATE_FLAG_DNS_TTL_RESOLUTION=${DNS_TTL_FLAG:-true}
gw_start
unset WGATE_DNS_SERVERS WGATE_FLAG_DNS_TTL_RESOLUTION
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
app_queries() { grep -c "query\[A\] app.corp.test" "$E2E_WORK/dnsmasq.log"; }
# After the record of app.corp.test changed at T0 (µs, ${EPOCHREALTIME/./}):
# old_until ADDR OLD T0 S STEP: new connections to ADDR keep reaching OLD
# until S s after T0 (one every STEP s); prints "N LAST_MS" (connections
# made, when the last was) and fails at the first that reaches another.
old_until() {
	local n=0
	while (( ${EPOCHREALTIME/./} - $3 < $4 * 1000000 )); do
		n=$((n + 1))
		[[ $(whoami "$1" 2>&1) == "$2" ]] || return 1
		sleep "$5"
	done
	echo "$n $(( (${EPOCHREALTIME/./} - $3) / 1000 ))"
}
# new_at ADDR NEW T0 S: ms after T0 when a new connection to ADDR first
# reached NEW (tried every 0.2 s until S s after T0); empty when never.
new_at() {
	while (( ${EPOCHREALTIME/./} - $3 < $4 * 1000000 )); do
		[[ $(whoami "$1" 2>&1) == "$2" ]] && { echo $(( (${EPOCHREALTIME/./} - $3) / 1000 )); return; }
		sleep 0.2
	done
}
