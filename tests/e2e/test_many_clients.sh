#!/bin/bash
# Eight clients at once: all handshake and fetch in parallel, every one
# gets its page (IPv4 and IPv6 inner) and the 2 MB file intact.
source "$(dirname "$0")/lib.sh"

N=8
topo_create $N
for ((i = 0; i < N; i++)); do client_keys $i; done
gw_start
for ((i = 0; i < N; i++)); do client_up $i; done

# All first fetches start together, so the handshakes arrive together.
pids=()
for ((i = 0; i < N; i++)); do
	( CURL_TIMEOUT=20 client_get_ok $i "$URL4" && client_get_ok $i "$URL6" &&
	  client_get_big_ok $i "$URL4" ) >"$E2E_WORK/par$i.log" 2>&1 &
	pids+=($!)
done
for ((i = 0; i < N; i++)); do
	if wait "${pids[i]}"; then
		pass "client $i: v4 + v6 pages and 2 MB, in parallel with the others"
	else
		fail "client $i: v4 + v6 pages and 2 MB, in parallel with the others" \
			"$(cat "$E2E_WORK/par$i.log")"
	fi
done

n_hs=0
for ((i = 0; i < N; i++)); do
	hs=$(gw_peer_field "${CLIENT_PUB[i]}" latest_handshake)
	is_uint "$hs" && (( hs > 0 )) && n_hs=$((n_hs + 1))
done
check_eq "gateway shows a handshake for all $N peers" "$n_hs" "$N"
if is_wgate; then
	check_ge "counter handshake_completed" "$(gw_counter handshake_completed)" $N
	check_eq "wgatectl status reports $N peers" \
		"$(gw_ctl --json status | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["peers"])')" $N
fi
