#!/bin/bash
# A grant with Expires works until that moment and is refused right after:
# wgate checks the expiry on every packet, so new connections fail at once
# (EHOSTUNREACH / EACCES) and a connection opened before the expiry carries
# nothing after it. Another grant of the same client, expiring in 2099, goes
# on working.
#   client 0: web4 198.51.100.2/32 + web6 2001:db8:2::2/128 (tcp/8080, icmp)
#             expiring ~20 s after the gateway starts; keep 198.51.100.7/32
#             until 2099
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	echo "# SKIP: the policy is wgate's; $GW_IMPL has none"
	exit 0
fi

# shellcheck disable=SC2034  # GW_GRANTS and GW_EXTRA_CONFIG are read by lib.sh
GW_GRANTS=0
topo_create 1
client_keys 0
ip -n "$NS_RES" addr add 198.51.100.7/24 dev eth0

# 20 s from now: the gateway starts within a few of them.
T=$(( $(date +%s) + 20 ))
EXPIRES=$(date -u -d "@$T" +%Y-%m-%dT%H:%M:%SZ)
GW_EXTRA_CONFIG="[Resource web4]
Address = 198.51.100.2/32
Filters = tcp/8080, icmp

[Resource web6]
Address = 2001:db8:2::2/128
Filters = tcp/8080, icmp

[Resource keep]
Address = 198.51.100.7/32

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web4
Expires = $EXPIRES

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web6
Expires = $EXPIRES

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = keep
Expires = 2099-01-01T00:00:00Z"
gw_start
client_up 0
C0=$(client_ns 0)
e2e_note "grants expire at $EXPIRES ($((T - $(date +%s))) s from now)"

check_within 10 "before expiry: curl v4 works" client_get_ok 0 "$URL4"
check "before expiry: curl v6 works" client_get_ok 0 "$URL6"
check "before expiry: ping web4 works" in_client 0 ping -c 1 -W 2 "$RES4"
left=$((T - $(date +%s)))
(( left >= 6 )) || bail "setup left only $left s before the expiry (need 6)"
gw_counters_snap refused_no_grant refused_filter

# Connections opened now; each sends its request 1 s after the expiry.
probe_py "$C0" held "$RES4" "$HTTP_PORT" $((T + 1)) >"$E2E_WORK/held4" 2>&1 &
held4=$!
probe_py "$C0" held "$RES6" "$HTTP_PORT" $((T + 1)) >"$E2E_WORK/held6" 2>&1 &
held6=$!
# New connections every 0.2 s from 3 s before to 4 s after the expiry.
probe_py "$C0" expiry-watch "$RES4" "$HTTP_PORT" "$T" $((T - 3)) $((T + 4)) \
	>"$E2E_WORK/watch4" 2>&1 &
watch4=$!
probe_py "$C0" expiry-watch "$RES6" "$HTTP_PORT" "$T" $((T - 3)) $((T + 4)) \
	>"$E2E_WORK/watch6" 2>&1 &
watch6=$!
wait "$held4" "$held6" "$watch4" "$watch6"

# watch_ok FILE WANT: the attempts around the expiry tell the right story.
# Lines: "<seconds after expiry> <result> <elapsed>".
watch_ok() {
	local rc=0 verdict
	verdict=$(awk -v want="$2" '
	{ n++ }
	$2 == "connected" && $1 < 0 && $1 >= -2 { ok_before = 1 }
	$2 == "connected" && $1 >= 1 { bad = bad sprintf(" connected at %+.2f;", $1) }
	$2 == want && $1 < -0.5 { bad = bad sprintf(" refused early at %+.2f;", $1) }
	$2 == want && first == "" { first = $1 }
	$1 >= 2 && $2 != want { bad = bad sprintf(" %s at %+.2f;", $2, $1) }
	END {
		printf "%d attempts; first %s at %s s\n", n, want, first == "" ? "never" : first
		if (!ok_before) bad = bad " no success in the 2 s before the expiry;"
		if (first == "" || first > 2) bad = bad " not refused within 2 s of the expiry;"
		if (bad != "") { print "wrong:" bad; exit 1 }
	}' "$1") || rc=1
	echo "attempts (seconds after expiry, result, elapsed):"
	cat "$1"
	echo "$verdict"
	return $rc
}
check "v4: connects succeed until the expiry, EHOSTUNREACH within 2 s after, only that from +2 s" \
	watch_ok "$E2E_WORK/watch4" EHOSTUNREACH
check "v6: connects succeed until the expiry, EACCES within 2 s after, only that from +2 s" \
	watch_ok "$E2E_WORK/watch6" EACCES
check_eq "v4: connection opened before the expiry: opened" "$(head -n 1 "$E2E_WORK/held4")" \
	"connect connected"
check "v4: ... its request 1 s after the expiry gets no response" \
	grep -q '^no-response' "$E2E_WORK/held4"
check_eq "v6: connection opened before the expiry: opened" "$(head -n 1 "$E2E_WORK/held6")" \
	"connect connected"
check "v6: ... its request 1 s after the expiry gets no response" \
	grep -q '^no-response' "$E2E_WORK/held6"

check "after expiry: ping web4 says 'Packet filtered'" \
	bash -c "ip netns exec $C0 ping -c 1 -W 3 $RES4 2>&1 | grep -F 'From $RES4 ' | grep -qF 'Packet filtered'"
check "after expiry: ping web6 says 'Administratively prohibited'" \
	bash -c "ip netns exec $C0 ping -c 1 -W 3 $RES6 2>&1 | grep -F 'From $RES6 ' | grep -qF 'Administratively prohibited'"
check_within 3 "counter refused_no_grant grew by >= 10 (expired = no grant)" \
	gw_counter_grew_ge refused_no_grant 10
check_eq "counter refused_filter did not grow (not a filter matter)" \
	"$(gw_counter_grew refused_filter)" 0
check "the grant expiring in 2099 still works: ping 198.51.100.7" \
	in_client 0 ping -c 2 -i 0.2 -W 2 198.51.100.7
check "... and a TCP connect to 198.51.100.7:8080" \
	bash -c "[[ \$(ip netns exec $C0 $PYTHON $E2E_DIR/probe.py connect 198.51.100.7 $HTTP_PORT 3) == connected* ]]"
