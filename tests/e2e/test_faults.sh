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
#      written then.
# Prints the recovery times.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: wgate's ports and signaling"; exit 0; }
OUTAGE=${REDIS_OUTAGE_S:-70}

GW_GRANTS=0
topo_create 1
client_keys 0
sig_redis_start
GW_EXTRA_CONFIG="$(sig_config)

[Resource res4]
Address = $RES4/32

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = res4"
gw_start
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
