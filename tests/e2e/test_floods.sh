#!/bin/bash
# Floods, measured (tests/e2e/flood.py): while a legitimate client sends a
# paced UDP load through the tunnel to the resource, an attacker sends
#   a. handshake initiations with a valid mac1 from 4096 spoofed sources as
#      fast as it can: cookie mode engages, almost no DH is spent on them,
#      and a second legitimate client that starts its handshake in the
#      middle of the flood still completes it (through a cookie reply and
#      a retry with mac2);
#   b. transport messages with unknown receiver indexes;
#   c. replays of the legitimate client's own captured transport messages;
#   d. (through a second tunnel) datagrams to a port the resource's filter
#      refuses, each asking for an ICMP error, which stay rate-limited.
# Each prints the attack's rate, the counters it moved, and the share of the
# legitimate load that arrived compared with the same load unattacked; the
# check is >= 95 %.
source "$(dirname "$0")/lib.sh"

FLOOD="$PYTHON $E2E_DIR/flood.py"
RATE=${FLOOD_LEGIT_RATE:-2000}	# legitimate datagrams/s
SECS=${FLOOD_SECS:-4}
LPORT=9100			# the resource's filter allows this UDP port only

GW_GRANTS=0
topo_create 4	# 0: legitimate load; 1: joins mid-flood; 2: attacker; 3: ICMP flooder
for i in 0 1 3; do client_keys "$i"; done
GW_EXTRA_CONFIG=$(printf '[Resource res]\nAddress = %s/32\nFilters = udp/%s, icmp\n' "$RES4" "$LPORT"
	for i in 0 1 3; do printf '\n[Access]\nPeer = %s\nResource = res\n' "${CLIENT_PUB[$i]}"; done)
gw_start
client_up 0
reach() { in_client 0 ping -c 1 -W 1 "$RES4" >/dev/null 2>&1; }
wait_until 15 reach || bail "client 0 reaches the resource"

# legit: the paced load from client 0; prints the share received (0..1).
legit() {
	local got sent
	in_res $FLOOD recv "$LPORT" $((SECS + 2)) >"$E2E_WORK/recv.out" &
	local rpid=$!
	sleep 0.5
	sent=$(in_client 0 $FLOOD send "$RES4" "$LPORT" "$RATE" "$SECS" | awk '{print $2}')
	wait "$rpid"
	got=$(awk '{print $2}' "$E2E_WORK/recv.out")
	awk -v g="${got:-0}" -v s="${sent:-0}" 'BEGIN { printf "%.4f", s ? g / s : 0 }'
}
kept() { # SHARE BASE: SHARE >= 95 % of BASE
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(b > 0 && a >= 0.95 * b) }'
}

base=$(legit)
e2e_note "unattacked: $(awk -v b="$base" 'BEGIN { printf "%.1f", 100 * b }') % of $((RATE * SECS)) datagrams arrived"
check "the legitimate load arrives unattacked (>= 95 %)" \
	awk -v b="$base" 'BEGIN { exit !(b >= 0.95) }'
GW_PUB=$(cat "$E2E_WORK/gw.pub")

# ---- a. handshake initiation flood
HS_COUNTERS="handshake_initiation_rx handshake_cookie_tx handshake_drop_decrypt_failed
	handshake_under_load_entered handshake_completed handshake_response_tx
	handshake_drop_bad_mac2 handshake_drop_ratelimited handshake_drop_bad_mac1
	handshake_punted drop_ring_full drop_no_route drop_no_neighbor"
gw_counters_snap $HS_COUNTERS
in_client 2 $FLOOD attack init --dst "$GW_WAN4" --gw-pub "$GW_PUB" --secs 40 \
	>"$E2E_WORK/attack.out" 2>&1 &
apid=$!
sleep 1
share=$(legit)
client_up 1
# wireguard-go starts (and retries) its handshake while it has a packet to send.
in_client 1 ping -c 30 -i 1 -W 1 "$RES4" >/dev/null 2>&1 &
hs1() { (( $(client_handshake 1) > 0 )); }
t0=$SECONDS
check_within 25 "a. a client starting mid-flood completes its handshake" hs1
joined=$((SECONDS - t0))
kill -INT "$apid" 2>/dev/null; wait "$apid"
e2e_note "a. counters moved: $(for c in $HS_COUNTERS; do printf '%s +%s, ' "$c" "$(gw_counter_grew "$c")"; done)"
init_rx=$(gw_counter_grew handshake_initiation_rx)
cookies=$(gw_counter_grew handshake_cookie_tx)
dh_failed=$(gw_counter_grew handshake_drop_decrypt_failed)
e2e_note "a. init flood: $(cat "$E2E_WORK/attack.out"); gateway: $init_rx initiations, $cookies cookie replies, $dh_failed DH on garbage, under load entered $(gw_counter_grew handshake_under_load_entered)x; legitimate load kept $(awk -v a="$share" -v b="$base" 'BEGIN { printf "%.1f", 100 * a / b }') %; the new client joined in $joined s"
check "a. the legitimate load keeps >= 95 % under the initiation flood" kept "$share" "$base"
check_ge "a. cookie mode engaged (handshake_under_load_entered)" \
	"$(gw_counter_grew handshake_under_load_entered)" 1
check_ge "a. cookie replies sent (>= 1000)" "$cookies" 1000
few_dh() { (( dh_failed * 10 < init_rx )); }
check "a. under 10 % of the flood's initiations cost a DH ($dh_failed of $init_rx)" few_dh

# ---- b. garbage transport, unknown indexes
gw_counters_snap drop_unknown_index
in_client 2 $FLOOD attack garbage --dst "$GW_WAN4" --secs $((SECS + 2)) >"$E2E_WORK/attack.out" 2>&1 &
apid=$!
sleep 0.3
share=$(legit)
wait "$apid"
e2e_note "b. garbage flood: $(cat "$E2E_WORK/attack.out"); drop_unknown_index +$(gw_counter_grew drop_unknown_index); legitimate load kept $(awk -v a="$share" -v b="$base" 'BEGIN { printf "%.1f", 100 * a / b }') %"
check "b. the legitimate load keeps >= 95 % under garbage transport" kept "$share" "$base"
check_ge "b. every garbage message dropped as drop_unknown_index (>= 10000)" \
	"$(gw_counter_grew drop_unknown_index)" 10000

# ---- c. replays of captured transport messages (the client's own namespace)
gw_counters_snap drop_replay drop_replay_too_old
in_client 0 $FLOOD attack replay --dst "$GW_WAN4" --iface eth0 --secs $((SECS + 1)) \
	>"$E2E_WORK/attack.out" 2>&1 &
apid=$!
share=$(legit)
wait "$apid"
replayed=$(( $(gw_counter_grew drop_replay) + $(gw_counter_grew drop_replay_too_old) ))
e2e_note "c. replay flood: $(cat "$E2E_WORK/attack.out"); drop_replay(+too_old) +$replayed; legitimate load kept $(awk -v a="$share" -v b="$base" 'BEGIN { printf "%.1f", 100 * a / b }') %"
check "c. the legitimate load keeps >= 95 % under replays of its own packets" kept "$share" "$base"
check_ge "c. replays dropped by the replay window (>= 1000)" "$replayed" 1000

# ---- d. refused traffic asking for ICMP errors, through client 3's tunnel
client_up 3
reach3() { in_client 3 ping -c 1 -W 1 "$RES4" >/dev/null 2>&1; }
wait_until 15 reach3 || bail "client 3 reaches the resource"
gw_counters_snap refused_filter icmp_error_sent icmp_error_suppressed
in_client 3 $FLOOD send "$RES4" 9999 20000 $((SECS + 1)) >"$E2E_WORK/attack.out" 2>&1 &
apid=$!
sleep 0.3
share=$(legit)
wait "$apid"
sent_err=$(gw_counter_grew icmp_error_sent)
e2e_note "d. refused flood: $(cat "$E2E_WORK/attack.out") datagrams; refused_filter +$(gw_counter_grew refused_filter), icmp_error_sent +$sent_err, icmp_error_suppressed +$(gw_counter_grew icmp_error_suppressed); legitimate load kept $(awk -v a="$share" -v b="$base" 'BEGIN { printf "%.1f", 100 * a / b }') %"
check "d. the legitimate load keeps >= 95 % beside a refused flood" kept "$share" "$base"
check_ge "d. the refused flood was refused (>= 5000)" "$(gw_counter_grew refused_filter)" 5000
limited() { (( sent_err <= 20 + 20 * (SECS + 3) )); }
check "d. ICMP errors stay within burst 20 + 20/s ($sent_err sent)" limited
