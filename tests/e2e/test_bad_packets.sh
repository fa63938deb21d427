#!/bin/bash
# Bad input on the WireGuard port: each kind of malformed or hostile packet is
# dropped under its own counter, and the real client is never disturbed.
#   truncated data message        -> drop_truncated
#   handshake of the wrong size   -> drop_bad_length
#   unknown message type          -> drop_bad_type
#   data for an unknown index     -> drop_unknown_index
#   a real data message, tampered -> drop_bad_tag
#   a real data message, replayed -> drop_replay (inside the window)
#   ... and after 8200+ newer ones -> drop_replay_too_old (out of the window)
#   garbage initiation (bad mac1) -> handshake_drop_bad_mac1
source "$(dirname "$0")/lib.sh"

craft() { in_client 0 "$PYTHON" "$E2E_DIR/wgcraft.py" "$@"; }
# delta NAME BEFORE: how much a counter grew
grew() { local v; v=$(gw_counter "$1") || return 1; echo $((v - $2)); }

topo_create 1
client_keys 0
gw_start
client_up 0
check_within 15 "client: curl works" client_get_ok 0 "$URL4"

if ! is_wgate; then
	e2e_note "counters are wgate's: nothing more to check with $GW_IMPL"
	exit 0
fi

# A real data message as the client sent it, captured on its way out.
in_client 0 "$PYTHON" "$E2E_DIR/wgcraft.py" capture eth0 5 >"$E2E_WORK/captured" &
cap=$!
sleep 0.5
in_client 0 ping -c 2 -i 0.2 -W 1 "$RES4" >/dev/null
wait "$cap"
real=$(cat "$E2E_WORK/captured")
check "captured one of the client's data messages" test -n "$real"

declare -A before
for c in drop_truncated drop_bad_length drop_bad_type drop_unknown_index drop_bad_tag \
	drop_replay handshake_drop_bad_mac1 data_decrypted; do
	before[$c]=$(gw_counter "$c")
done

# type 4, 3 reserved zero bytes, then only 6 more bytes
craft send "$GW_WAN4" "$GW_PORT" 04000000aabbccddeeff 3
# an initiation (type 1) of 149 bytes instead of 148
craft send "$GW_WAN4" "$GW_PORT" "01000000$(printf '00%.0s' {1..145})" 2
# type 9
craft send "$GW_WAN4" "$GW_PORT" "09000000$(printf '11%.0s' {1..60})" 4
# type 4 with a receiver index nobody issued, a counter, 16 bytes of "tag"
craft send "$GW_WAN4" "$GW_PORT" "04000000efbeadde0000000000000000$(printf '22%.0s' {1..32})" 5
# the captured message with its last byte (in the tag) flipped and a fresh
# counter far ahead, so only the tag can reject it
last=${real: -2}
flipped=$(printf '%02x' $((0x$last ^ 0xff)))
tampered="${real:0:16}ffffff0000000000${real:32:$((${#real} - 34))}$flipped"
craft send "$GW_WAN4" "$GW_PORT" "$tampered" 6
# the captured message as it was: already seen
craft send "$GW_WAN4" "$GW_PORT" "$real" 7
# 148 bytes of an initiation whose mac1 is wrong
craft send "$GW_WAN4" "$GW_PORT" "01000000$(printf '33%.0s' {1..144})" 2

sleep 1	# the worker and the control core handle these within milliseconds
check_eq "truncated data: drop_truncated +3" "$(grew drop_truncated "${before[drop_truncated]}")" 3
check_eq "wrong-size handshake: drop_bad_length +2" "$(grew drop_bad_length "${before[drop_bad_length]}")" 2
check_eq "unknown type: drop_bad_type +4" "$(grew drop_bad_type "${before[drop_bad_type]}")" 4
check_eq "unknown index: drop_unknown_index +5" "$(grew drop_unknown_index "${before[drop_unknown_index]}")" 5
check_eq "tampered tag: drop_bad_tag +6" "$(grew drop_bad_tag "${before[drop_bad_tag]}")" 6
check_eq "replayed message: drop_replay +7" "$(grew drop_replay "${before[drop_replay]}")" 7
check_eq "initiation with a bad mac1: handshake_drop_bad_mac1 +2" \
	"$(grew handshake_drop_bad_mac1 "${before[handshake_drop_bad_mac1]}")" 2
check_eq "none of it was decrypted as data" "$(grew data_decrypted "${before[data_decrypted]}")" 0

# Out of the window: enough newer messages to push the captured counter more
# than the window (8192 - 64) behind, proven by capturing a later message and
# comparing counters; then the captured one comes back.
counter_of() { "$PYTHON" -c 'import sys; print(int.from_bytes(bytes.fromhex(sys.argv[1])[8:16], "little"))' "$1"; }
craft flood "$RES4" 9 12000
in_client 0 "$PYTHON" "$E2E_DIR/wgcraft.py" capture eth0 5 >"$E2E_WORK/captured2" &
cap=$!
sleep 0.5
in_client 0 ping -c 2 -i 0.2 -W 1 "$RES4" >/dev/null
wait "$cap"
gap=$(( $(counter_of "$(cat "$E2E_WORK/captured2")") - $(counter_of "$real") ))
check_ge "the client's counter moved past the window (gap)" "$gap" 8200
r0=$(gw_counter drop_replay)
o0=$(gw_counter drop_replay_too_old)
craft send "$GW_WAN4" "$GW_PORT" "$real" 1
check_within 3 "out-of-window replay: drop_replay_too_old +1" \
	gw_counter_ge drop_replay_too_old $((o0 + 1))
check_eq "... and not counted as an in-window replay" "$(gw_counter drop_replay)" "$r0"
check "client still works after all that" client_get_ok 0 "$URL6"
check_eq "the client's endpoint did not move to the attacker's port" \
	"$(gw_peer_field "${CLIENT_PUB[0]}" endpoint)" "$(client_wan4 0):${CLIENT_PORT[0]}"
