#!/bin/bash
# The 'prohibited' ICMP errors are rate-limited per client: a token bucket,
# burst 20, 20 per second; the suppressed ones are counted.
#   1. 500 refused UDP datagrams in ~0.5 s: the client gets at least most of
#      the burst and at most 20 + 20/s of errors; icmp_error_suppressed
#      counts the rest
#   2. a second later the bucket has refilled: a refused connect fails at
#      once again
#   3. while client 0 floods, client 1 (its own bucket) still gets its error
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
GW_EXTRA_CONFIG="[Resource web4]
Address = 198.51.100.2/32
Filters = tcp/8080, icmp

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web4

[Access]
Peer = ${CLIENT_PUB[1]}
Resource = web4"
gw_start
client_up 0
client_up 1

C0=$(client_ns 0)

# field KEY LINE: the value of KEY=value in LINE
field() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"; }

check_within 15 "client 0: granted curl works" client_get_ok 0 "$URL4"
check_within 15 "client 1: granted curl works" client_get_ok 1 "$URL4"
check "client 0: a refused connect gets EHOSTUNREACH at once" \
	connect_is 0 "$RES4" 22 EHOSTUNREACH 1
sleep 1.5	# the bucket is full again

# ---- 1. the flood
N=500
gw_counters_snap refused_filter icmp_error_sent icmp_error_suppressed
out=$(probe_py "$C0" flood "$RES4" 9 "$N" 0.5 1.5)
e2e_note "flood: $out"
sent=$(field sent "$out")
got=$(field received "$out")
other=$(field other "$out")
el=$(field send_elapsed "$out")
check_eq "flood: all $N datagrams sent" "$sent" "$N"
check_eq "flood: no other kind of ICMP error came back" "$other" 0
check_ge "flood: the client got ICMP errors (3/13 from $RES4)" "$got" 1
check_ge "flood: ... most of the burst of 20" "$got" 15
# burst + rate over the sending time, + 0.25 s for queues and 2 of slack
max=$(awk -v e="$el" 'BEGIN { printf "%d", 20 + 20 * (e + 0.25) + 2 }')
check "flood: at most $max errors (20 + 20/s over $el s): got $got" test "$got" -le "$max"
check_within 3 "counter refused_filter grew by >= $((N - 10))" \
	gw_counter_grew_ge refused_filter $((N - 10))
sup=$(gw_counter_grew icmp_error_suppressed)
check_ge "counter icmp_error_suppressed grew by >= $N - $got - 10" "$sup" $((N - got - 10))
sent_ctr=$(gw_counter_grew icmp_error_sent)
check_ge "counter icmp_error_sent grew by >= what the client got" "$sent_ctr" "$got"
check "counter icmp_error_sent grew by no more than the limit ($sent_ctr <= $max)" \
	test "$sent_ctr" -le "$max"

# ---- 2. refilled
sleep 1.2
check "after a second: a refused connect gets EHOSTUNREACH at once again" \
	connect_is 0 "$RES4" 22 EHOSTUNREACH 1
check "after a second: and over IPv6 (no v6 grant) EACCES at once" \
	connect_is 0 "$RES6" 8080 EACCES 1

# ---- 3. one client's flood does not use up another's errors
sleep 1.2
fl=$E2E_WORK/flood2
probe_py "$C0" flood "$RES4" 9 2500 2.5 0.5 >"$fl" 2>&1 &
fl_pid=$!
sleep 1
check "during client 0's flood: client 1's refused connect gets EHOSTUNREACH at once" \
	connect_is 1 "$RES4" 22 EHOSTUNREACH 1
check "during client 0's flood: client 1's IPv6 connect (no v6 grant) gets EACCES at once" \
	connect_is 1 "$RES6" 8080 EACCES 1
wait "$fl_pid"
e2e_note "flood 2: $(cat "$fl")"
got2=$(field received "$(cat "$fl")")
el2=$(field send_elapsed "$(cat "$fl")")
max2=$(awk -v e="$el2" 'BEGIN { printf "%d", 20 + 20 * (e + 0.25) + 2 }')
check "flood 2: client 0 got at most $max2 errors over $el2 s: got $got2" test "${got2:-999}" -le "$max2"
check "client 0 still fetches web4" client_get_ok 0 "$URL4"
