#!/bin/bash
# Firezone clients' in-tunnel control packets (AssignedIps, DomainStatus,
# Goodbye), played by tests/e2e/fzctl.py on two wireguard-go clients' tun
# interfaces, against a real dnsmasq in the resource namespace (reached over
# a management link, WGATE_DNS_SERVERS) and a web server that says which of
# its addresses was asked.
#   1. AssignedIps for a granted DNS resource: Active; the client's own
#      proxy addresses (v4 and v6) reach the name's addresses
#   2. a second client picks the SAME proxy address for another name: each
#      client reaches its own name through it
#   3. not granted, domain not matching, unknown resource: Inactive, and
#      the proxy address chosen is refused
#   4. a repeated AssignedIps gets the same answer
#   5. malformed control packets and unknown events: counted, nothing else
#      disturbed; one a byte off the control shape is a spoofed source
#   6. revoke (SIGHUP without the grant): the client's proxy address refused
#   7. Goodbye: the client's session is gone (its old keys refused), its
#      names forgotten; it comes back with a fresh handshake
#   8. bound: a client holding 1 name gets 255 more, the 257th is Inactive
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	echo "# SKIP: the Firezone control protocol is wgate's; $GW_IMPL has none"
	exit 0
fi
command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
	{ echo "# SKIP: dnsmasq or dig (bind9-dnsutils) missing"; exit 0; }

WEB_PORT=8090
topo_create 2
client_keys 0
client_keys 1
ip -n "$NS_RES" addr add 198.51.100.3/24 dev eth0
ip -n "$NS_RES" addr add 2001:db8:2::3/64 dev eth0 nodad

e2e_dns_link

cat >"$E2E_WORK/hosts" <<HOSTS
198.51.100.2 app.corp.test
2001:db8:2::2 app.corp.test
198.51.100.3 other.corp.test
198.51.100.3 a.b.wild.corp.test
198.51.100.2 secret.corp.test
HOSTS
dnsmasq_up 30 app.corp.test
whoami_up $WEB_PORT 198.51.100.3

grants() {
	cat <<-CFG
	[Resource app]
	Address = app.corp.test

	[Resource other]
	Address = other.corp.test

	[Resource wild]
	Address = ?.wild.corp.test

	[Resource secret]
	Address = secret.corp.test

	[Resource many]
	Address = *.many.corp.test

	[Access]
	Peer = ${CLIENT_PUB[0]}
	Resource = app

	[Access]
	Peer = ${CLIENT_PUB[1]}
	Resource = app

	[Access]
	Peer = ${CLIENT_PUB[0]}
	Resource = wild

	[Access]
	Peer = ${CLIENT_PUB[0]}
	Resource = many
	CFG
	(( $1 )) && printf '\n[Access]\nPeer = %s\nResource = other\n' "${CLIENT_PUB[1]}"
}
# shellcheck disable=SC2034  # read by lib.sh
GW_EXTRA_CONFIG=$(grants 1)
export WGATE_DNS_SERVERS=$E2E_DNS_ADDR
gw_start
unset WGATE_DNS_SERVERS

# Each client routes :: (control packets) and the proxy ranges to the gateway.
up() {
	local i=$1 ns cif
	ns=$(client_ns "$i")
	cif=$(client_if "$i")
	in_client "$i" wg set "$cif" peer "$GW_PUB" allowed-ips \
		"198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,::/128,100.96.0.0/11,fd00:2021:1111:8000::/107" ||
		bail "wg set allowed-ips on client $i"
	ip -n "$ns" route add 100.96.0.0/11 dev "$cif" 2>/dev/null
	ip -n "$ns" -6 route add fd00:2021:1111:8000::/107 dev "$cif" 2>/dev/null
}
client_up 0
client_up 1
up 0
up 1

fz() { local i=$1; shift; in_client "$i" "$PYTHON" "$E2E_DIR/fzctl.py" "$(client_if "$i")" "$@"; }
P4=(100.96.0.7 100.96.0.8 100.96.0.9 100.96.0.10)
P6=(fd00:2021:1111:8000::7 fd00:2021:1111:8000::8 fd00:2021:1111:8000::9 fd00:2021:1111:8000::a)
whoami() { in_client "$1" curl -sS -g --max-time 4 "http://$2:$WEB_PORT/"; }

# 1. Granted: Active, then the client's own proxy addresses work.
gw_counters_snap fz_assigned_ips fz_domain_active fz_domain_inactive
check_eq "client 0: AssignedIps app.corp.test (granted) -> Active" \
	"$(fz 0 assigned app app.corp.test "${P4[@]}" "${P6[@]}")" \
	"status Active resource=app domain=app.corp.test"
check_eq "client 0: curl its proxy ${P4[0]} reaches app.corp.test (198.51.100.2)" \
	"$(whoami 0 "${P4[0]}" 2>&1)" "198.51.100.2"
check_eq "client 0: curl its proxy ${P4[2]} reaches the same name" \
	"$(whoami 0 "${P4[2]}" 2>&1)" "198.51.100.2"
check_eq "client 0: curl its IPv6 proxy [${P6[1]}] reaches app.corp.test's AAAA (2001:db8:2::2)" \
	"$(whoami 0 "[${P6[1]}]" 2>&1)" "2001:db8:2::2"
check "counted fz_domain_active" gw_counter_grew_ge fz_domain_active 1
check "counted fz_assigned_ips" gw_counter_grew_ge fz_assigned_ips 1

# 2. Client 1 picks the same proxy addresses for another name.
check_eq "client 1: AssignedIps other.corp.test on the SAME proxy addresses -> Active" \
	"$(fz 1 assigned other other.corp.test "${P4[@]}")" \
	"status Active resource=other domain=other.corp.test"
check_eq "client 1: curl ${P4[0]} reaches its own name, other.corp.test (198.51.100.3)" \
	"$(whoami 1 "${P4[0]}" 2>&1)" "198.51.100.3"
check_eq "client 0: a new connection to ${P4[0]} still reaches app.corp.test" \
	"$(whoami 0 "${P4[0]}" 2>&1)" "198.51.100.2"
check_eq "client 1: its IPv6 proxy [${P6[0]}] was never assigned by it: refused" \
	"$(in_client 1 curl -sS -g --max-time 3 "http://[${P6[0]}]:$WEB_PORT/" >/dev/null 2>&1; echo $?)" 7

# 3. Inactive cases, and their proxy addresses refused.
Q4=(100.96.1.1 100.96.1.2 100.96.1.3 100.96.1.4)
check_eq "client 0: a resource it holds no grant for (secret) -> Inactive" \
	"$(fz 0 assigned secret secret.corp.test "${Q4[@]}")" \
	"status Inactive resource=secret domain=secret.corp.test"
check "... and its chosen proxy address is refused (prohibited)" \
	connect_is 0 "${Q4[0]}" $WEB_PORT EHOSTUNREACH 2
check_eq "client 0: a domain its resource does not match (app / other.corp.test) -> Inactive" \
	"$(fz 0 assigned app other.corp.test "${Q4[@]}")" \
	"status Inactive resource=app domain=other.corp.test"
check_eq "client 0: an unknown resource id -> Inactive" \
	"$(fz 0 assigned nosuch app.corp.test "${Q4[@]}")" \
	"status Inactive resource=nosuch domain=app.corp.test"
check "... counted fz_domain_inactive (3)" gw_counter_grew_ge fz_domain_inactive 3
check_eq "client 0: ?.wild.corp.test matches a.b.wild.corp.test? no (one label only) -> Inactive" \
	"$(fz 0 assigned wild a.b.wild.corp.test "${Q4[@]}")" \
	"status Inactive resource=wild domain=a.b.wild.corp.test"
check "... its proxy address still refused" connect_is 0 "${Q4[1]}" $WEB_PORT EHOSTUNREACH 2

# 4. Idempotent.
gw_counters_snap fz_domain_active
check_eq "client 0: the same AssignedIps again -> Active again" \
	"$(fz 0 assigned app app.corp.test "${P4[@]}" "${P6[@]}")" \
	"status Active resource=app domain=app.corp.test"
check_eq "... answered once more (fz_domain_active +1)" "$(gw_counter_grew fz_domain_active)" 1
check_eq "... and the proxy still leads to app.corp.test" "$(whoami 0 "${P4[1]}" 2>&1)" "198.51.100.2"

# 5. Malformed and unknown control packets.
gw_counters_snap fz_control_malformed fz_control_unknown_event drop_bad_inner_source fz_control_punted
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
fz 0 raw "0000000000000000$(hexof '{"resource":"app",')"
fz 0 raw "0000000000000000$(hexof '{"resource":"app","domain":"app.corp.test","proxy_ips":["100.96.0.7"]}')"
fz 0 raw "0000000000000000$(hexof '{"resource":"app","domain":"app.corp.test","proxy_ips":["10.0.0.1","100.96.0.8","100.96.0.9","100.96.0.10"]}')"
fz 0 raw "0001000000000000$(hexof '{}')"
fz 0 raw "0300000000000000$(hexof '{}')"
fz 0 raw "0200000000000000" --hop 1
check_within 5 "three malformed control packets counted fz_control_malformed" \
	gw_counter_grew_ge fz_control_malformed 3
check "header bytes not zero: malformed too" gw_counter_grew_ge fz_control_malformed 4
check_eq "event 3: counted fz_control_unknown_event" "$(gw_counter_grew fz_control_unknown_event)" 1
check "a Goodbye with hop limit 1 is not a control packet: refused as a spoofed source" \
	gw_counter_grew_ge drop_bad_inner_source 1
check_eq "... and not punted (5 punted of the 6)" "$(gw_counter_grew fz_control_punted)" 5
check "no answer to any of them" fz 0 expect-none 1
check_eq "nothing else disturbed: client 0's proxy still works" \
	"$(whoami 0 "${P4[0]}" 2>&1)" "198.51.100.2"

# 6. Revoke client 1's grant of other: its proxy address is refused.
gw_counters_snap fz_maps_removed
n=$(grep -c "SIGHUP" "$E2E_WORK/wgate.log")
# shellcheck disable=SC2034  # read by lib.sh
GW_EXTRA_CONFIG=$(grants 0)
gw_write_config "$E2E_WORK/wgate.conf"
kill -HUP "$GW_PID"
reloaded() { (( $(grep -c SIGHUP "$E2E_WORK/wgate.log") > n )); }
check_within 5 "SIGHUP without client 1's grant of other is applied" reloaded
check "... the log says it was applied" grep -q "SIGHUP: .* applied" "$E2E_WORK/wgate.log"
check "client 1: its proxy ${P4[1]} is refused after the revoke" \
	connect_is 1 "${P4[1]}" $WEB_PORT EHOSTUNREACH 2
check "... its assignment was removed (fz_maps_removed)" gw_counter_grew_ge fz_maps_removed 1
check_eq "client 1: AssignedIps other.corp.test again -> Inactive" \
	"$(fz 1 assigned other other.corp.test "${P4[@]}")" \
	"status Inactive resource=other domain=other.corp.test"
check_eq "client 0 unaffected: ${P4[1]} still reaches app.corp.test" \
	"$(whoami 0 "${P4[1]}" 2>&1)" "198.51.100.2"

# 7. Goodbye.
K0=${CLIENT_PUB[0]}
check_eq "client 0 has a session before Goodbye" "$(gw_peer_field "$K0" session)" 1
hs0=$(gw_peer_field "$K0" latest_handshake)
gw_counters_snap fz_goodbye drop_unknown_index fz_maps_removed
fz 0 goodbye
check_within 5 "Goodbye counted fz_goodbye" gw_counter_grew_ge fz_goodbye 1
check_within 5 "... client 0's session is gone (wgatectl peers: session 0)" \
	gw_peer_field_is "$K0" session 0
check "... its names forgotten (fz_maps_removed)" gw_counter_grew_ge fz_maps_removed 1
check_eq "... client 1 keeps its session" "$(gw_peer_field "${CLIENT_PUB[1]}" session)" 1
# wireguard-go still holds its old keys: what it sends with them is refused.
in_client 0 curl -s --max-time 2 "http://$RES4:$HTTP_PORT/" >/dev/null 2>&1
check "client 0's old keys are refused (drop_unknown_index)" gw_counter_grew_ge drop_unknown_index 1
# The client comes back: wireguard-go's peer re-added (its session dropped).
in_client 0 wg set "$(client_if 0)" peer "$GW_PUB" remove
in_client 0 wg set "$(client_if 0)" peer "$GW_PUB" endpoint "$GW_WAN4:$GW_PORT" allowed-ips \
	"198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,::/128,100.96.0.0/11,fd00:2021:1111:8000::/107"
check "client 0 comes back: a new packet reaches the resource" client_get_ok 0 "http://$RES4:$HTTP_PORT"
fresh_session() {
	[[ $(gw_peer_field "$K0" session) == 1 ]] &&
		(( $(gw_peer_field "$K0" latest_handshake) > ${hs0:-0} ))
}
check_within 5 "... after a fresh handshake (session 1, latest handshake moved)" fresh_session
check "... its old proxy addresses are gone until it assigns them again" \
	connect_is 0 "${P4[0]}" $WEB_PORT EHOSTUNREACH 2
check_eq "... AssignedIps again -> Active, and ${P4[0]} works again" \
	"$(fz 0 assigned app app.corp.test "${P4[@]}" "${P6[@]}") $(whoami 0 "${P4[0]}" 2>&1)" \
	"status Active resource=app domain=app.corp.test 198.51.100.2"

# 8. At most 256 names per client: client 0 holds app.corp.test already.
gw_counters_snap fz_domain_inactive_limit
check_eq "client 0: 256 more names of *.many.corp.test: 255 Active, the 257th name Inactive" \
	"$(fz 0 bulk many many.corp.test 256 --wait 30)" "Active=255 Inactive=1"
check_eq "... counted fz_domain_inactive_limit" "$(gw_counter_grew fz_domain_inactive_limit)" 1
check_eq "... and the names it holds still work: ${P4[0]}" "$(whoami 0 "${P4[0]}" 2>&1)" "198.51.100.2"
