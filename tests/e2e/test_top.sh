#!/bin/bash
# wgatectl top: the live view, checked as an operator sees it. wgatectl top
# runs in a tmux pane while iperf3 pushes TCP through the tunnel; two
# captures of the pane a refresh apart show the worker's busy %, the ports'
# Mpps and Gb/s, the session, and they differ (the numbers are live). q
# quits. Then the scripting forms (--once, --iterations) on a pipe, and the
# errors (no gateway: exit 2; top options on another command: 64).
source "$(dirname "$0")/lib.sh"

is_wgate || { echo "ok - wgatectl top is wgate's (skipped for $GW_IMPL)"; exit 0; }
e2e_require_tools tmux iperf3
topo_create 1
TMUX_SOCK=wgate-top-$E2E_ID
tmx() { tmux -L "$TMUX_SOCK" "$@"; }
tmx_gone() { tmx kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCK"; }
trap 'rc=$?; tmx_gone; (exit $rc); e2e_exit' EXIT

client_keys 0
gw_start
client_up 0
check_within 10 "ping through the tunnel (handshake)" in_client 0 ping -c 1 -W 1 "$RES4"

# Traffic for the captures: iperf3 (TCP) client -> resource through the tunnel.
e2e_spawn iperf3-server "$E2E_WORK/iperf3-s.log" "$NS_RES" timeout 60 iperf3 -s -1 -p 5201
wait_until 5 in_res bash -c 'ss -ltn | grep -q :5201' || bail "iperf3 server listens"
e2e_spawn iperf3-client "$E2E_WORK/iperf3-c.log" "$(client_ns 0)" \
	timeout 60 iperf3 -c "$RES4" -p 5201 -t 40 -i 0
iperf_pid=$E2E_LAST_PID
sleep 2

tmx new-session -d -s top -x 110 -y 45 \
	"$WGATECTL_BIN --socket $GW_SOCK top; echo top-exited-\$?; sleep 30" ||
	bail "tmux starts a session"
# The first screen comes after one interval; take two a refresh apart.
cap() { tmx capture-pane -p -t top; }
wait_until 5 bash -c "$(declare -f tmx cap); TMUX_SOCK=$TMUX_SOCK; cap | grep -q '^WORKER'" ||
	bail "top draws a screen in the pane" "$(cap)"
# Two captures at least a refresh apart, each taken when the iperf3 stream
# shows (worker 0's RX Mpps above zero): on a loaded machine TCP may stall
# for a second now and then.
shows_traffic() {
	cap | awk '$1 == "0" && $4 > 0 { f = 1 } END { exit !f }'
}
wait_traffic() {
	wait_until 10 bash -c "$(declare -f tmx cap shows_traffic); TMUX_SOCK=$TMUX_SOCK; shows_traffic" ||
		fail "traffic shows in top within 10 s" "$(cap)"
}
wait_traffic
cap1=$(cap)
sleep 2.2
wait_traffic
cap2=$(cap)
printf '%s\n' "$cap1" | sed 's/^/# capture 1: /' | head -n 20
printf '%s\n' "$cap2" | sed 's/^/# capture 2: /' | head -n 20

# field CAPTURE REGEX N: the Nth whitespace field of the first line matching REGEX.
field() { printf '%s\n' "$1" | awk -v re="$2" -v n="$3" '$0 ~ re { print $n; exit }'; }
check "the header names the version and the socket" grep -q "^wgate [0-9.]*  $GW_SOCK  up " <<<"$cap2"
check "the header shows 1 peer, 1 session" grep -q "^peers 1  sessions 1  handshakes/s " <<<"$cap2"
check "a worker row: index, lcore, busy %, RX and TX Mpps, WireGuard Gb/s" \
	grep -qE '^0 +[0-9]+ +[0-9]+\.[0-9]% +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}$' <<<"$cap2"
busy1=$(field "$cap1" '^0 ' 3); busy2=$(field "$cap2" '^0 ' 3)
check "the worker is busy while iperf3 runs ($busy1, $busy2)" \
	awk -v a="${busy1%\%}" -v b="${busy2%\%}" 'BEGIN { exit !(a > 0 && b > 0) }'
wg2=$(field "$cap2" '^0 ' 6)
check "the worker's WireGuard RX Gb/s > 0 (the upload: $wg2)" awk -v a="$wg2" 'BEGIN { exit !(a > 0) }'
wan2=$(field "$cap2" '^wan ' 3)
lan2=$(field "$cap2" '^lan ' 5)
check "wan receives Gb/s > 0 (the encrypted upload: $wan2)" awk -v a="$wan2" 'BEGIN { exit !(a > 0) }'
check "lan sends Gb/s > 0 (the decrypted upload: $lan2)" awk -v a="$lan2" 'BEGIN { exit !(a > 0) }'
numbers() { printf '%s\n' "$1" | sed -n '/^WORKER/,$p' | grep -v '^(none)'; }
check "the numbers change between two captures a refresh apart" \
	bash -c '[[ "$1" != "$2" ]]' _ "$(numbers "$cap1")" "$(numbers "$cap2")"
check "the drops section is there" grep -q '^DROPS (by reason)' <<<"$cap2"
tmx send-keys -t top q
check_within 3 "q quits top (exit 0)" bash -c "$(declare -f tmx cap); TMUX_SOCK=$TMUX_SOCK; cap | grep -q top-exited-0"
tmx_gone
wait "$iperf_pid" 2>/dev/null
check "iperf3 through the tunnel completed" grep -q 'receiver' "$E2E_WORK/iperf3-c.log"

# A drop shows up by its reason, as a rate: UDP to the gateway's WAN address
# on a port that is not WireGuard's is drop_not_for_us.
before=$(gw_counter drop_not_for_us)
in_client 0 "$PYTHON" -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(60):
    s.sendto(b"not wireguard", ("'"$GW_WAN4"'", 9))
    time.sleep(0.02)' &
sender=$!
out=$(gw_ctl top --once --interval 1 2>&1)
wait "$sender"
rate=$(field "$out" '^drop_not_for_us ' 2)
check "top shows drop_not_for_us/s > 0 while stray UDP comes in (${rate:-no row})" \
	awk -v a="${rate:-0}" 'BEGIN { exit !(a > 0) }'
total=$(field "$out" '^drop_not_for_us ' 3)
check "its total is the counter's (before $before < $total <= after $(gw_counter drop_not_for_us))" \
	bash -c '(( $1 < $2 && $2 <= $3 ))' _ "$before" "${total:-0}" "$(gw_counter drop_not_for_us)"
check "top --once on a pipe: one screen, no escape codes" \
	bash -c '[[ $(grep -c "^WORKER" <<<"$1") == 1 && $1 != *$'"'"'\e'"'"'* ]]' _ "$out"
out=$(gw_ctl top --iterations 2 --interval 0.3 2>&1)
check_eq "top --iterations 2 prints two screens" "$(grep -c '^WORKER' <<<"$out")" 2
check "top --iterations 2 takes about 2 intervals, not forever" \
	timeout 5 "$WGATECTL_BIN" --socket "$GW_SOCK" top --iterations 2 --interval 0.3
out=$("$WGATECTL_BIN" --socket "$E2E_WORK/none.sock" top --once 2>&1); rc=$?
check_eq "top without a gateway: exit 2 ($out)" "$rc" 2
out=$(gw_ctl peers --once 2>&1); rc=$?
check_eq "top's options on another command: exit 64" "$rc" 64
out=$(gw_ctl top --interval 0 2>&1); rc=$?
check_eq "top --interval 0: exit 64 ($out)" "$rc" 64
