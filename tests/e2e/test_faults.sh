#!/bin/bash
# e2e-timeout: 420
# Faults around a running gateway, each while a client pings a resource
# through the tunnel:
#   1. the wan port's link goes down for 5 s, then up (the veth under the
#      af_packet port), then the lan port's: logged once each way, counted
#      (link_down), traffic back within seconds of the link, the tunnel kept;
#   2. Redis unreachable for REDIS_OUTAGE_S (default 70: past the 60 s cap of
#      the reconnect backoff): the server is stopped (SIGSTOP), so connections
#      hang rather than fail. The data plane keeps forwarding with the last
#      state, the loss is logged without flooding the log, and after the
#      server is back the gateway reconnects, reloads, and applies a grant
#      written then;
#   3. the DNS server of a DNS resource killed for DNS_OUTAGE_S (default 20,
#      ten times the record's 2 s TTL) while the client pings the name's
#      proxy address: the pings keep being answered (the gateway serves the
#      last addresses past their TTL rather than drop them), each failed
#      refresh is logged, rate-limited; the server comes back with the
#      record changed and new connections reach the new address;
#   4. the same server slow: stopped (SIGSTOP) for 15 s, so lookups time
#      out instead of failing: the same, and the record changed back is
#      picked up once it answers again.
# Prints the recovery times.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: wgate's ports and signaling"; exit 0; }
OUTAGE=${REDIS_OUTAGE_S:-70}
DNS_OUTAGE=${DNS_OUTAGE_S:-20}
DNS_TTL=2
command -v dnsmasq >/dev/null && command -v dig >/dev/null ||
	{ echo "# SKIP: dnsmasq or dig (bind9-dnsutils) missing"; exit 0; }

GW_GRANTS=0
topo_create 1
client_keys 0
sig_redis_start
# The DNS resource's server: dnsmasq on a management link, a hosts file the
# test rewrites, and a web server that says which address it was reached at.
e2e_dns_link
ip -n "$NS_RES" addr add 198.51.100.3/24 dev eth0
write_hosts() { echo "$1 app.corp.test" >"$E2E_WORK/hosts.tmp" && mv "$E2E_WORK/hosts.tmp" "$E2E_WORK/hosts"; }
dnsmasq_start() { dnsmasq_up "$DNS_TTL" app.corp.test; }
write_hosts "$RES4"
dnsmasq_start
WHOAMI_PORT=8090
whoami_up $WHOAMI_PORT "$RES4"
GW_EXTRA_CONFIG="$(sig_config)

[Resource res4]
Address = $RES4/32

[Resource app]
Address = app.corp.test

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = res4

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = app"
export WGATE_DNS_SERVERS=$E2E_DNS_ADDR WGATE_FLAG_DNS_TTL_RESOLUTION=true	# refreshed at each TTL
gw_start
unset WGATE_DNS_SERVERS WGATE_FLAG_DNS_TTL_RESOLUTION
client_up 0
pong() { in_client 0 ping -c 1 -W 1 "$RES4" >/dev/null 2>&1; }
wait_until 15 pong || bail "the client reaches the resource"

# ---- 1. link down and up
for port in g0:wan g1:lan; do
	ifc=${port%%:*} name=${port##*:}
	down0=$(gw_counter link_down)
	in_gw ip link set "$ifc" down
	check_within 5 "$name link down: logged" grep -q "port $name: link down" "$E2E_WORK/wgate.log"
	check_fails "$name link down: no traffic through it" pong
	sleep 3
	in_gw ip link set "$ifc" up
	t0=$(now_ms)
	check_within 15 "$name link up: logged" grep -q "port $name: link up" "$E2E_WORK/wgate.log"
	check_within 15 "$name link up: traffic flows again" pong
	e2e_note "$name: traffic back $(( $(now_ms) - t0 )) ms after the link came up"
	check_eq "$name: link_down counted once" "$(( $(gw_counter link_down) - down0 ))" 1
done
check "the session survived both (no new handshake needed)" \
	test "$(gw_counter handshake_completed)" -eq 1

# ---- 2. Redis unreachable for $OUTAGE s
connected() { gw_ctl --json status | grep -qF '"signaling_connected": 1'; }
disconnected() { gw_ctl --json status | grep -qF '"signaling_connected": 0'; }
check_within 10 "connected to Redis" connected
sig_ctl resource add web6 --address "$RES6/128" >/dev/null
kill -STOP "$SIG_REDIS_PID"
t0=$(now_ms)
lost=0 sent=0
check_within 30 "Redis stopped: the gateway notices (status)" disconnected
e2e_note "Redis loss noticed after $(( $(now_ms) - t0 )) ms"
while (( $(now_ms) - t0 < OUTAGE * 1000 )); do
	sent=$((sent + 1))
	pong || lost=$((lost + 1))
	sleep 1
done
e2e_note "during the ${OUTAGE} s outage: $((sent - lost))/$sent pings through the tunnel"
check "the data plane kept forwarding during the outage (>= 95 % of pings)" \
	test $(( (sent - lost) * 100 )) -ge $(( sent * 95 ))
lines=$(grep -c "retrying with backoff" "$E2E_WORK/wgate.log")
check "the loss was logged without flooding ($lines lines)" test "$lines" -le 3
kill -CONT "$SIG_REDIS_PID"
t1=$(now_ms)
check_within 75 "Redis back: the gateway reconnects (backoff capped at 60 s)" connected
e2e_note "reconnected $(( $(now_ms) - t1 )) ms after Redis came back"
sig_ctl allow "${CLIENT_PUB[0]}" web6 >/dev/null
reach6() { in_client 0 ping -c 1 -W 1 "$RES6" >/dev/null 2>&1; }
check_within 10 "a grant written after the outage takes effect" reach6
check "the gateway is still running" kill -0 "$GW_PID"

# ---- 3. the DNS server down, then 4. slow
CIF=$(client_if 0)
in_client 0 wg set "$CIF" peer "$GW_PUB" allowed-ips \
	"198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128,100.96.0.0/11" ||
	bail "wg set allowed-ips on the client"
ip -n "$(client_ns 0)" route add 100.96.0.0/11 dev "$CIF"
P=$(in_client 0 dig +short +time=2 +tries=2 @"$GW_TUN4" app.corp.test A)
whoami() { in_client 0 curl -sS --max-time 3 "http://$P:$WHOAMI_PORT/"; }
check_eq "app.corp.test resolved through the stub ($P) leads to $RES4" "$(whoami 2>&1)" "$RES4"
ping_p() { in_client 0 ping -c 1 -W 1 "$P" >/dev/null 2>&1; }
# pings_during S: pings the proxy address for S seconds; "answered/sent".
pings_during() {
	local t0 sent=0 ok=0
	t0=$(now_ms)
	while (( $(now_ms) - t0 < $1 * 1000 )); do
		sent=$((sent + 1))
		ping_p && ok=$((ok + 1))
		sleep 0.5
	done
	echo "$ok/$sent"
}
most() { local ok=${1%/*} sent=${1#*/}; (( sent > 0 && ok * 100 >= sent * 95 )); }
dns_warns() { grep -c "app.corp.test A: \(upstream failed\|no answer from the servers\)" "$E2E_WORK/wgate.log"; }

w0=$(dns_warns)
kill -KILL "$DNSMASQ_PID"
wait "$DNSMASQ_PID" 2>/dev/null
got=$(pings_during "$DNS_OUTAGE")
e2e_note "DNS server down $DNS_OUTAGE s (TTL $DNS_TTL s): $got pings to the name's proxy address answered"
check "DNS server down: traffic to the resolved name kept flowing past the TTL ($got)" most "$got"
check "... through the last addresses: still $RES4" test "$(whoami 2>&1)" = "$RES4"
w1=$(dns_warns)
check "... each failed refresh logged, rate-limited ($((w1 - w0)) warnings in $DNS_OUTAGE s)" \
	test $((w1 - w0)) -ge 1 -a $((w1 - w0)) -le $((DNS_OUTAGE * 2))
grep -m1 "app.corp.test A: upstream failed" "$E2E_WORK/wgate.log" | sed 's/^/# log: /'
write_hosts 198.51.100.3
dnsmasq_start
t0=$(now_ms)
moved() { [[ $(whoami 2>/dev/null) == 198.51.100.3 ]]; }
check_within 15 "DNS server back with the record changed: new connections reach 198.51.100.3" moved
e2e_note "changed record picked up $(( $(now_ms) - t0 )) ms after the server came back"

w0=$(dns_warns)
kill -STOP "$DNSMASQ_PID"
got=$(pings_during 15)
write_hosts "$RES4"
kill -HUP "$DNSMASQ_PID"	# handled once it runs again: re-reads the hosts file
kill -CONT "$DNSMASQ_PID"
t0=$(now_ms)
e2e_note "DNS server silent 15 s: $got pings to the name's proxy address answered"
check "DNS server slow (silent 15 s): traffic kept flowing ($got)" most "$got"
check "... the lookup's timeout logged" test "$(dns_warns)" -gt "$w0"
grep "app.corp.test A: " "$E2E_WORK/wgate.log" | tail -1 | sed 's/^/# log: /'
back() { [[ $(whoami 2>/dev/null) == "$RES4" ]]; }
check_within 25 "DNS server answering again: the record changed back is picked up" back
e2e_note "changed record picked up $(( $(now_ms) - t0 )) ms after the server answered again"
check "the gateway is still running after the DNS faults" kill -0 "$GW_PID"
