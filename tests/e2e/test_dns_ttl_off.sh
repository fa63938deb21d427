#!/bin/bash
# The dns-ttl-resolution flag pinned off (WGATE_FLAG_DNS_TTL_RESOLUTION=
# false): the gateway keeps every resolved address for the fixed 30 s,
# whatever the record's TTL (5 s in dns_lib.sh's dnsmasq). The record
# changes right after the gateway's lookup: new connections keep reaching
# the old address well past the TTL (at 12 s and up to 27 s), and the new
# one once the 30 s are over (bounded wait).
source "$(dirname "$0")/lib.sh"
DNS_TTL_FLAG=false
source "$(dirname "$0")/dns_lib.sh"

check_eq "wgatectl: dns-ttl-resolution off, pinned by the environment" \
	"$(gw_ctl flags | awk '$1 == "dns-ttl-resolution" { print $2, $3 }')" "off env"

n0=$(app_queries)
A=$(stub +short app.corp.test A)
check "dig @$GW_TUN4 app.corp.test A: a proxy address ($A)" in_v4_proxy "$A"
# The gateway looked the name up to answer: the 30 s start now.
looked_up() { (( $(app_queries) > n0 )); }
check_within 3 "the gateway looked app.corp.test up" looked_up
t0=${EPOCHREALTIME/./}
write_hosts 198.51.100.3
kill -HUP "$DNSMASQ_PID"
check_eq "curl by proxy address reaches the old address" "$(whoami "$A" 2>&1)" "198.51.100.2"
n1=$(app_queries)

# Past the record's TTL (5 s) and twice it: still the old address.
if got=$(old_until "$A" 198.51.100.2 "$t0" 27 1); then
	read -r n last <<<"$got"
	pass "past the 5 s TTL, until 27 s ($n connections, the last at $last ms): the old address"
else
	fail "past the 5 s TTL, until 27 s: the old address" "a connection reached another"
fi
check_eq "... the gateway did not ask dnsmasq again meanwhile" "$(app_queries)" "$n1"
new_at=$(new_at "$A" 198.51.100.3 "$t0" 36)
check "after the fixed 30 s, the new address (at ${new_at:-never} ms)" \
	test -n "$new_at" -a "${new_at:-0}" -ge 29000
