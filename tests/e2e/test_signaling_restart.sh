#!/bin/bash
# Restart safety: 10,000 grant/revoke events written by a portal-like load
# (sigload.py, one MULTI/EXEC per event) while
#   - wgate is killed with SIGKILL mid-stream and started again, and
#   - Redis (AOF on) is restarted under the same load;
# afterwards the grants the gateway applies equal the desired state in
# Redis, checked grant by grant: nothing lost, nothing extra. A second wgate
# with another gateway id on the same Redis applies only its own events.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: signaling is wgate's"; exit 0; }

N_EVENTS=${SIG_EVENTS:-10000}
GW_GRANTS=0
topo_create 0
sig_redis_start --appendonly yes --appendfsync everysec
GW_EXTRA_CONFIG=$(sig_config)
gw_start

marks=$E2E_WORK/marks
: >"$marks"
in_gw "$PYTHON" "$E2E_DIR/sigload.py" "$SIG_PORT" "$SIG_GID" "$N_EVENTS" --rate 1500 \
	--marks "$marks" >"$E2E_WORK/sigload.log" 2>&1 &
load_pid=$!
mark_reached() { grep -qx "$1" "$marks"; }

check_within 30 "load: 2000 events written" mark_reached 2000
kill -9 "$GW_PID"
wait "$GW_PID" 2>/dev/null
e2e_note "wgate killed with SIGKILL after $(tail -n1 "$marks") events"
gw_start
check "wgate back after SIGKILL" gw_ctl status

check_within 30 "load: 5000 events written" mark_reached 5000
sig_cli shutdown >/dev/null 2>&1
wait "$SIG_REDIS_PID" 2>/dev/null
e2e_note "Redis shut down after $(tail -n1 "$marks") events; restarting it from its AOF"
sleep 1
sig_redis_start --appendonly yes --appendfsync everysec

load_done() { ! kill -0 "$load_pid" 2>/dev/null; }
wait_until 60 load_done
wait "$load_pid"
check_eq "load finished" "$?" 0
e2e_note "$(cat "$E2E_WORK/sigload.log")"

# Redis's desired grants, "KEY RESOURCE" sorted; the gateway's the same way.
want() { sig_cli --raw HKEYS "wgate:{$SIG_GID}:grants" | sed '/^$/d' | sort; }
have() {
	gw_ctl --json access |
		"$PYTHON" -c 'import json,sys; [print(g["public_key"], g["resource"]) for g in json.load(sys.stdin)]' |
		sort
}
same() { [[ "$(want)" == "$(have)" ]]; }
check_within 15 "the gateway converged on Redis's state" same
n_want=$(want | wc -l)
n_have=$(have | wc -l)
check "nothing lost, nothing extra ($n_have applied, $n_want wanted)" same
gw_peers() { gw_ctl --json status | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["peers"])'; }
check_eq "clients: the gateway has exactly Redis's (no client without grants left)" \
	"$(gw_peers)" "$(sig_cli HLEN "wgate:{$SIG_GID}:clients")"
check_eq "the applied id is the stream's last" "$(sig_cli GET "wgate:{$SIG_GID}:applied")" \
	"$(sig_cli --raw XREVRANGE "wgate:{$SIG_GID}:events" + - COUNT 1 | head -1)"
few_reconnect_lines() { (( $(grep -c 'retrying with backoff' "$E2E_WORK/wgate.log") <= 3 )); }
check "reconnects were logged, rate-limited (at most a few lines)" few_reconnect_lines

# A second gateway on the same Redis, another id, no ports of its own
# (net_null): it applies only its own events.
GID2=$(printf 'other-%s' "$E2E_ID" | sha256sum | cut -c1-64)
conf2=$E2E_WORK/wgate2.conf
cat >"$conf2" <<-EOC
	[Interface]
	PrivateKey = $(wg genkey)
	Address = 100.64.0.1
	[Dataplane]
	Lcores = 0-1
	Memory = 128
	IdlePoll = adaptive
	EalArgs = --file-prefix ${GW_PREFIX}b --no-pci --no-huge
	[Port wan]
	Device = net_null0,no-rx=1
	Address = 192.0.2.1/24
	[Signaling]
	Redis = $SIG_URL
	GatewayId = $GID2
EOC
e2e_spawn wgate2 "$E2E_WORK/wgate2.log" "$NS_GW" "$WGATE_BIN" -c "$conf2"
SOCK2=/var/run/dpdk/${GW_PREFIX}b/dpdk_telemetry.v2
gw2_ctl() { "$WGATECTL_BIN" --socket "$SOCK2" "$@"; }
sig2_ctl() { in_gw "$WGATECTL_BIN" --redis "$SIG_URL" --gateway-id "$GID2" "$@"; }
check_within 30 "second gateway ready" gw2_ctl status
sig2_ctl resource add only2 --address 10.9.9.0/24 >/dev/null
sig2_ctl peer add "$(wg genkey | wg pubkey)" --allowed-ips 100.64.9.9/32 >/dev/null
gw2_has_only2() { gw2_ctl resources | grep -q only2; }
gw2_no_grants() { [[ -z $(gw2_ctl --json access | tr -d '[] \n') ]]; }
gw1_lacks_only2() { ! gw_ctl resources | grep -q only2; }
check_within 5 "gateway 2 applies its own event" gw2_has_only2
check "gateway 2 has none of gateway 1's grants" gw2_no_grants
check "gateway 1 has none of gateway 2's resources" gw1_lacks_only2
check "gateway 1 still equals its desired state" same
