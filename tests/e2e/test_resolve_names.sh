#!/bin/bash
# Host names the control core connects to are resolved by the gateway's own
# c-ares resolver, never by a blocking getaddrinfo and never through the
# system's resolver: the flags host (HTTP: the address is handed to libcurl
# with CURLOPT_RESOLVE) and the Redis host (then given to hiredis as an
# address) are names only a dnsmasq on the gateway namespace's loopback
# knows (WGATE_DNS_SERVERS). A fetch that succeeds, a Redis connection, and
# the queries in dnsmasq's log show the path. libcurl's own resolver
# (getaddrinfo, /etc/resolv.conf) cannot find the name, so the first fetch,
# made before the answer is in, fails.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: wgate's HTTP client"; exit 0; }
command -v dnsmasq >/dev/null || { echo "# SKIP: dnsmasq missing"; exit 0; }

GW_GRANTS=0
topo_create 1
MOCK_DIR=$E2E_WORK/posthog
MOCK_PORT=$((20000 + RANDOM % 20000))
DNS_PORT=$((MOCK_PORT + 1))
HOST=flags.wgate-e2e.test
RHOST=redis.wgate-e2e.test
sig_redis_start
mkdir -p "$MOCK_DIR"
echo ok >"$MOCK_DIR/mode"
echo '{"icmp-errors-on-deny": true, "enobufs-as-would-block": true}' >"$MOCK_DIR/flags.json"
e2e_bg_ready "$MOCK_DIR/out" in_gw "$PYTHON" "$E2E_DIR/posthog_mock.py" "$MOCK_PORT" "$MOCK_DIR" ||
	bail "the mock PostHog starts" "$(cat "$MOCK_DIR/out")"
E2E_PIDS+=("$E2E_BG_PID")
in_gw ip link set lo up
e2e_spawn dnsmasq "$E2E_WORK/dnsmasq.log" "$NS_GW" dnsmasq --keep-in-foreground \
	--no-resolv --no-hosts --listen-address=127.0.0.1 --bind-interfaces --port="$DNS_PORT" \
	--address="/$HOST/127.0.0.1" --address="/$RHOST/127.0.0.1" --log-queries --log-facility=- --pid-file=
export WGATE_DNS_SERVERS=127.0.0.1:$DNS_PORT
export WGATE_FLAGS_URL=http://$HOST:$MOCK_PORT/ WGATE_FLAGS_KEY=phc_e2eResolveKey
export WGATE_FLAGS_INTERVAL_MS=1000
GW_EXTRA_CONFIG=$(printf '[Signaling]\nRedis = redis://%s:%s/0\nGatewayId = %s\n' "$RHOST" "$SIG_PORT" "$SIG_GID")
gw_start

flag_remote() {
	gw_ctl --json flags | "$PYTHON" -c '
import json, sys
f = [x for x in json.load(sys.stdin)["flags"] if x["name"] == "enobufs-as-would-block"]
sys.exit(not (f and f[0]["value"] and f[0]["source"] == "remote"))'
}
check_within 15 "flags fetched from $HOST (a name only the gateway's DNS server knows)" flag_remote
check "dnsmasq answered the gateway's query for $HOST" \
	grep -q "query\[A\] $HOST from 127.0.0.1" "$E2E_WORK/dnsmasq.log"
decides() { grep -c "\"path\": \"/decide/\{0,1\}\"" "$MOCK_DIR/requests.jsonl" 2>/dev/null; }
n0=$(decides)
sleep 3
check_ge "later fetches keep arriving (CURLOPT_RESOLVE from the cache)" "$(( $(decides) - n0 ))" 2
connected() { gw_ctl --json status | grep -qF '"signaling_connected": 1'; }
check_within 10 "connected to Redis at $RHOST:$SIG_PORT" connected
check "dnsmasq answered the gateway's query for $RHOST" \
	grep -q "query\[A\] $RHOST from 127.0.0.1" "$E2E_WORK/dnsmasq.log"
