#!/bin/bash
# systemd's notification protocol (Type=notify, WatchdogSec=) spoken by wgate
# without libsystemd: READY=1 once the data plane is ready, WATCHDOG=1 at
# half of WATCHDOG_USEC, STOPPING=1 on SIGTERM, each from the gateway's
# main pid, to an abstract (@name) socket and to a path socket. A python
# listener stands in for systemd (tests/e2e/sdnotify_listen.py).
source "$(dirname "$0")/lib.sh"

is_wgate || { echo "ok - sd_notify is wgate's (skipped for $GW_IMPL)"; exit 0; }
topo_create 0

# listen NAME OUT: the stand-in for systemd, in the gateway's namespace
# (abstract unix names are per network namespace).
listen() {
	e2e_spawn sdnotify "$2.log" "$NS_GW" "$PYTHON" "$E2E_DIR/sdnotify_listen.py" "$1" "$2" 60
	wait_until 5 grep -qx ready "$2.log" || bail "notify listener starts" "$(cat "$2.log")"
}
# msgs OUT WHAT: lines whose message contains WHAT and came from the gateway.
msgs() { awk -v p="$GW_PID" -v w="$2" '$2 == p && index($3, w)' "$1" 2>/dev/null; }
count() { msgs "$1" "$2" | wc -l; }
has() { [[ -n $(msgs "$1" "$2") ]]; }

# 1. Abstract socket, watchdog every 400 ms (pings every 200 ms).
out=$E2E_WORK/notify1
listen "@wgate-e2e-$E2E_ID" "$out"
NOTIFY_SOCKET=@wgate-e2e-$E2E_ID WATCHDOG_USEC=400000 gw_start
check_within 5 "READY=1 from the gateway's pid on an abstract socket" has "$out" READY=1
ready_line=$(msgs "$out" READY=1 | head -1)
check "READY=1 comes with a STATUS" grep -q 'READY=1|STATUS=ready' <<<"$ready_line"
check "READY=1 is the gateway's first notification (no ping before it)" \
	grep -q "^[0-9]* $GW_PID READY=1" <(head -1 "$out")
sleep 2
n=$(count "$out" WATCHDOG=1)
check_ge "WATCHDOG=1 pings in 2 s at WATCHDOG_USEC=400000 (one per 200 ms)" "$n" 7
check "at most 2 s / 200 ms + start-up slack pings (not flooding)" test "$n" -le 16
pid=$GW_PID
if gw_stop 2>"$E2E_WORK/stop.err"; then pass "wgate exits 0 on SIGTERM"; else
	fail "wgate exits 0 on SIGTERM" "$(cat "$E2E_WORK/stop.err")"; fi
GW_PID=$pid check_within 3 "STOPPING=1 on SIGTERM" has "$out" STOPPING=1
check_eq "READY=1 sent once" "$(GW_PID=$pid count "$out" READY=1)" 1

# 2. A path socket; WATCHDOG_PID naming another process: no pings for us.
out=$E2E_WORK/notify2
listen "$E2E_WORK/notify.sock" "$out"
NOTIFY_SOCKET=$E2E_WORK/notify.sock WATCHDOG_USEC=200000 WATCHDOG_PID=1 gw_start
check_within 5 "READY=1 on a path socket" has "$out" READY=1
sleep 1
check_eq "no WATCHDOG=1 when WATCHDOG_PID is another process" "$(count "$out" WATCHDOG=1)" 0
pid=$GW_PID
gw_stop 2>/dev/null
GW_PID=$pid check_within 3 "STOPPING=1 on a path socket" has "$out" STOPPING=1

check "no warnings about the notify socket in the log" \
	bash -c "! grep -qi 'notify' '$E2E_WORK/wgate.log'"
