#!/bin/bash
# Two workers, one af_packet queue pair each (qpairs=2: the kernel's fanout
# hash spreads flows over the queues, as RSS does on a NIC). Ten clients
# fetch in parallel over IPv4 and IPv6; every fetch works and both workers
# carry traffic. A client whose packets land on the other worker's queue
# (a roam, fanout rollover) is handed off to the worker that owns its
# keypair; that path has its own deterministic test (tests/dataplane).
# On this 2-CPU machine the three lcores share CPUs (--lcores), which the
# adaptive idle polling makes bearable.
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	echo "# SKIP: worker lcores are wgate's"
	exit 0
fi

N=10
# shellcheck disable=SC2034  # read by lib.sh
GW_QPAIRS=2
# shellcheck disable=SC2034
GW_EAL_ARGS="--lcores=0@0,1@1,2@$(( $(nproc) > 2 ? 2 : 1 ))"
GW_MEMORY=384
topo_create $N
for ((i = 0; i < N; i++)); do client_keys $i; done
gw_start
for ((i = 0; i < N; i++)); do client_up $i; done

check_eq "wgatectl status reports 2 workers" \
	"$(gw_ctl --json status | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["workers"])')" 2

pids=()
for ((i = 0; i < N; i++)); do
	( CURL_TIMEOUT=30 client_get_ok $i "$URL4" && client_get_ok $i "$URL6" &&
	  client_get_big_ok $i "$URL4" ) >"$E2E_WORK/par$i.log" 2>&1 &
	pids+=($!)
done
for ((i = 0; i < N; i++)); do
	if wait "${pids[i]}"; then
		pass "client $i: v4 + v6 pages and 2 MB with two workers"
	else
		fail "client $i: v4 + v6 pages and 2 MB with two workers" \
			"$(cat "$E2E_WORK/par$i.log")"
	fi
done

# worker_field W NAME: one worker's own counter.
worker_field() {
	gw_ctl --json counters "$1" | "$PYTHON" -c \
		'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}
for w in 0 1; do
	rx=$(worker_field $w rx_packets)
	dec=$(worker_field $w data_decrypted)
	enc=$(worker_field $w data_encrypted)
	e2e_note "worker $w: rx_packets=$rx data_decrypted=$dec data_encrypted=$enc" \
		"handoff_tx=$(worker_field $w handoff_tx) handoff_rx=$(worker_field $w handoff_rx)"
	check_ge "worker $w received packets from its own queues" "$rx" 100
	check_ge "worker $w decrypted or encrypted data" "$((dec + enc))" 100
done
check_eq "no replayed or forged packet counted (one window per keypair)" \
	"$(( $(gw_counter drop_replay) + $(gw_counter drop_bad_tag) ))" 0
check_eq "no hand-off ring overflow" "$(gw_counter drop_handoff_full)" 0
check_fails "wgatectl counters rejects a worker that does not exist" gw_ctl counters 7
