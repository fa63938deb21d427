#!/bin/bash
# Feature flags and analytics against a mock PostHog (tests/e2e/posthog_mock.py,
# PostHog's documented /decide?v=3 and /capture/ wire format) on the gateway
# namespace's loopback, where wgate's control core makes its requests:
#   1. a bad WGATE_FLAG_* value, an unknown flag, a bad WGATE_NO_TELEMETRY,
#      a URL without a key: --check refuses each, naming the variable;
#   2. fetch success: wgatectl flags shows the remote values with source
#      remote; a pin (WGATE_FLAG_DNS_TTL_RESOLUTION=true) wins over the
#      remote false; the request is POST /decide?v=3 carrying api_key and
#      the 64-hex gateway id as distinct_id; the key is never logged;
#   3. analytics: $identify (version, os) and new_session (the gateway
#      connected to its Redis) reach /capture/ with the same distinct_id;
#   4. refresh interval honoured (WGATE_FLAGS_INTERVAL_MS=1000);
#   5. icmp-errors-on-deny flipped remotely under traffic: a refused TCP
#      connect fails at once (EHOSTUNREACH) when on, times out when off
#      (counted as icmp_error_flag_off, no icmp_error_sent), back on again;
#      a ping to a granted resource runs all along with no loss, and every
#      refusal is accounted for exactly once;
#   6. stream-logs with a payload filter turns debug logging of a module on,
#      and off again when the flag goes off;
#   7. a failed fetch (HTTP 500, then a body that is not JSON): every flag
#      off (source fetch-failed) except the pinned one; recovery after;
#   8. WGATE_NO_TELEMETRY=1: nothing at all reaches the host; pins apply.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: feature flags are wgate's"; exit 0; }

GW_GRANTS=0
topo_create 1
client_keys 0
sig_redis_start
MOCK_DIR=$E2E_WORK/posthog
MOCK_PORT=$((SIG_PORT + 1))
mkdir -p "$MOCK_DIR"
echo ok >"$MOCK_DIR/mode"
cat >"$MOCK_DIR/flags.json" <<'JSON'
{"icmp-errors-on-deny": true, "dns-ttl-resolution": false, "stream-logs": false,
 "enobufs-as-would-block": "variant-a", "not-a-wgate-flag": true}
JSON
e2e_bg_ready "$MOCK_DIR/out" in_gw "$PYTHON" "$E2E_DIR/posthog_mock.py" "$MOCK_PORT" "$MOCK_DIR" ||
	bail "the mock PostHog starts" "$(cat "$MOCK_DIR/out")"
MOCK_PID=$E2E_BG_PID
E2E_PIDS+=("$MOCK_PID")

GW_EXTRA_CONFIG="$(sig_config)

[Resource web4]
Address = $RES4/32
Filters = tcp/8080, icmp

[Access]
Peer = ${CLIENT_PUB[0]}
Resource = web4"
KEY=phc_e2eSecretProjectKey0123

# ---- 1. pins are checked with the rest of the environment
conf=$E2E_WORK/check.conf
gw_write_config "$conf"
out=$(WGATE_FLAG_ICMP_ERRORS_ON_DENY=maybe "$WGATE_BIN" --check -c "$conf" 2>&1)
check "--check refuses WGATE_FLAG_ICMP_ERRORS_ON_DENY=maybe, naming it" \
	grep -q 'WGATE_FLAG_ICMP_ERRORS_ON_DENY: "maybe" is not true or false' <<<"$out"
out=$(WGATE_FLAG_NO_SUCH_THING=true "$WGATE_BIN" --check -c "$conf" 2>&1)
check "--check refuses an unknown flag, naming it" \
	grep -q 'WGATE_FLAG_NO_SUCH_THING: no such feature flag' <<<"$out"
out=$(WGATE_NO_TELEMETRY=maybe "$WGATE_BIN" --check -c "$conf" 2>&1)
check "--check refuses WGATE_NO_TELEMETRY=maybe, naming it" \
	grep -q 'WGATE_NO_TELEMETRY: "maybe" is not 1 or 0' <<<"$out"
out=$(WGATE_FLAGS_URL=http://127.0.0.1:1 "$WGATE_BIN" --check -c "$conf" 2>&1)
check "--check refuses WGATE_FLAGS_URL without WGATE_FLAGS_KEY" \
	grep -q 'WGATE_FLAGS_KEY: WGATE_FLAGS_URL needs the project API key' <<<"$out"

export WGATE_FLAGS_URL=http://127.0.0.1:$MOCK_PORT/ WGATE_FLAGS_KEY=$KEY
export WGATE_FLAGS_INTERVAL_MS=1000 WGATE_FLAG_DNS_TTL_RESOLUTION=true
gw_start
client_up 0

# flag_is NAME VALUE SOURCE: wgatectl flags --json says so.
flag_is() {
	gw_ctl --json flags | "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin)
f = [x for x in v["flags"] if x["name"] == sys.argv[1]]
want = (sys.argv[2] == "on", sys.argv[3])
got = (f[0]["value"], f[0]["source"]) if f else None
print(sys.argv[1], "got", got, "want", want)
sys.exit(got != want)' "$@"
}
# requests PATH: the recorded requests to PATH, one JSON body per line.
requests() {
	"$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == sys.argv[2]:
        print(json.dumps(r))' "$MOCK_DIR/requests.jsonl" "$1" 2>/dev/null
}
n_requests() { requests "$1" | wc -l; }

# ---- 2. fetch success, sources, pin wins, the request itself
check_within 10 "icmp-errors-on-deny on (remote)" flag_is icmp-errors-on-deny on remote
check "enobufs-as-would-block on (remote, a variant)" flag_is enobufs-as-would-block on remote
check "stream-logs off (remote)" flag_is stream-logs off remote
check "dns-ttl-resolution pinned on wins over remote false (env)" \
	flag_is dns-ttl-resolution on env
decide_ok() {
	requests /decide | "$PYTHON" -c '
import json, re, sys
r = json.loads(sys.stdin.readline())
b = r["body"]
print(r)
ok = (r["query"].get("v") == ["3"] and r["content_type"] == "application/json"
      and b["api_key"] == sys.argv[1] and b["distinct_id"] == sys.argv[2]
      and re.fullmatch("[0-9a-f]{64}", b["distinct_id"]))
sys.exit(not ok)' "$KEY" "$SIG_GID"
}
check "POST /decide?v=3 carries api_key and the 64-hex gateway id" decide_ok
check "wgatectl flags (text) lists the flags" \
	bash -c "$(declare -f gw_ctl); GW_SOCK=$GW_SOCK WGATECTL_BIN=$WGATECTL_BIN; gw_ctl flags | grep -E '^icmp-errors-on-deny +on +remote'"
check_fails "the API key is never logged" grep -qF "$KEY" "$E2E_WORK/wgate.log"

# ---- 3. analytics
# shellcheck disable=SC2016  # python code and the literal event name $identify
event_ok() {
	requests /capture/ | "$PYTHON" -c '
import json, sys
for line in sys.stdin:
    b = json.loads(line)["body"]
    if b.get("event") != sys.argv[1]:
        continue
    p = b.get("properties", {})
    ok = (b.get("api_key") == sys.argv[2] and b.get("distinct_id") == sys.argv[3]
          and p.get("version") and p.get("os", "").startswith("Linux") and b.get("timestamp"))
    if sys.argv[1] == "$identify":
        ok = ok and p.get("$set", {}).get("version")
    print(b)
    sys.exit(not ok)
sys.exit(1)' "$1" "$KEY" "$SIG_GID"
}
# shellcheck disable=SC2016
check_within 10 "\$identify reaches /capture/ (version, os, distinct_id)" event_ok '$identify'
check_within 10 "new_session reaches /capture/ on connecting to Redis" event_ok new_session

# ---- 4. the refresh interval (1 s here; 5 min by default)
n0=$(n_requests /decide)
sleep 4
n1=$(n_requests /decide)
check "about one fetch a second over 4 s (got $((n1 - n0)))" \
	test $((n1 - n0)) -ge 3 -a $((n1 - n0)) -le 6

# ---- 5. icmp-errors-on-deny flipped under traffic
# set_flags JSON: what the mock answers from now on.
set_flags() { printf '%s\n' "$1" >"$MOCK_DIR/flags.json"; }
refused_is() {	# refused_is RESULT MAXS: a connect to web4:22 ends so
	local out res el
	out=$(probe_py "$(client_ns 0)" connect "$RES4" 22 "$3") || { echo "$out"; return 1; }
	read -r res el <<<"$out"
	echo "connect $RES4:22: $res after $el s (want $1 in < $2 s)"
	[[ $res == "$1" ]] && awk -v e="$el" -v m="$2" 'BEGIN { exit !(e < m) }'
}
check_within 10 "granted ping works" in_client 0 ping -c 1 -W 1 "$RES4"
gw_counters_snap refused_filter icmp_error_sent icmp_error_flag_off icmp_error_suppressed \
	icmp_error_not_allowed
ping_log=$E2E_WORK/ping-under-flips
in_client 0 ping -c 60 -i 0.25 -W 1 "$RES4" >"$ping_log" 2>&1 &
ping_pid=$!
check "flag on: refused connect fails with EHOSTUNREACH in < 1 s" refused_is EHOSTUNREACH 1 2
sent_on=$(gw_counter_grew icmp_error_sent)
check_ge "flag on: ICMP errors sent" "$sent_on" 1
set_flags '{"icmp-errors-on-deny": false}'
check_within 5 "flipped off remotely (source remote)" flag_is icmp-errors-on-deny off remote
gw_counters_snap icmp_error_sent
check "flag off: refused connect times out (dropped silently)" refused_is timeout 5 2
check_eq "flag off: no ICMP error sent" "$(gw_counter_grew icmp_error_sent)" 0
check_ge "flag off: counted as icmp_error_flag_off" "$(gw_counter_grew icmp_error_flag_off)" 1
set_flags '{"icmp-errors-on-deny": true}'
check_within 5 "flipped on again" flag_is icmp-errors-on-deny on remote
check "flag on again: EHOSTUNREACH in < 1 s" refused_is EHOSTUNREACH 1 2
wait "$ping_pid"
check "60 pings to the granted resource across the flips: none lost" \
	grep -q ' 60 received, 0% packet loss' "$ping_log"
accounted() {
	local refused=0 handled=0 c
	refused=$(gw_counter_grew refused_filter)
	for c in icmp_error_flag_off icmp_error_suppressed icmp_error_not_allowed; do
		handled=$((handled + $(gw_counter_grew "$c")))
	done
	# icmp_error_sent's snapshot was retaken at the flip: add what came before.
	handled=$((handled + sent_on + $(gw_counter_grew icmp_error_sent)))
	echo "refused_filter grew $refused; answered or dropped by reason: $handled"
	(( refused > 0 && refused == handled ))
}
check "every refusal answered or dropped under its reason, exactly once" accounted

# ---- 6. stream-logs: its payload filter changes what is logged
debug_lines() { grep -c 'debug flags: flags fetched' "$E2E_WORK/wgate.log"; }
debug_lines_ge() { (( $(debug_lines) >= $1 )); }
check_eq "no flags debug lines before" "$(debug_lines)" 0
set_flags '{"icmp-errors-on-deny": true, "stream-logs": {"value": true, "payload": "info,flags=debug"}}'
check_within 5 "stream-logs on: the log filter becomes its payload" \
	grep -q 'log filter is now info,flags=debug' "$E2E_WORK/wgate.log"
check_within 5 "stream-logs on: flags debug lines appear" debug_lines_ge 2
set_flags '{"icmp-errors-on-deny": true, "stream-logs": false}'
check_within 5 "stream-logs off: the filter goes back to WGATE_LOG's" \
	grep -q 'log filter is now info$' "$E2E_WORK/wgate.log"
d0=$(debug_lines)
sleep 2.5
check_eq "stream-logs off: no more debug lines" "$(debug_lines)" "$d0"

# ---- 7. failure -> all false (the pin stays), then recovery
echo 500 >"$MOCK_DIR/mode"
check_within 5 "HTTP 500: icmp-errors-on-deny off (fetch-failed)" \
	flag_is icmp-errors-on-deny off fetch-failed
check "HTTP 500: enobufs-as-would-block off (fetch-failed)" \
	flag_is enobufs-as-would-block off fetch-failed
check "HTTP 500: the pinned dns-ttl-resolution stays on (env)" flag_is dns-ttl-resolution on env
check "wgatectl flags shows the last error" \
	bash -c "$(declare -f gw_ctl); GW_SOCK=$GW_SOCK WGATECTL_BIN=$WGATECTL_BIN; gw_ctl flags | grep -F 'HTTP status 500'"
echo ok >"$MOCK_DIR/mode"
check_within 5 "recovered: icmp-errors-on-deny on (remote)" flag_is icmp-errors-on-deny on remote
echo garbage >"$MOCK_DIR/mode"
check_within 5 "a body that is not JSON: off (fetch-failed)" \
	flag_is icmp-errors-on-deny off fetch-failed
check "not JSON: the reason is shown" \
	bash -c "$(declare -f gw_ctl); GW_SOCK=$GW_SOCK WGATECTL_BIN=$WGATECTL_BIN; gw_ctl flags | grep -F 'not JSON'"
check "the failure was logged once as a warning" \
	test "$(grep -c 'warn  flags: fetching flags from' "$E2E_WORK/wgate.log")" -le 2
echo ok >"$MOCK_DIR/mode"
gw_stop || fail "the gateway stops cleanly"
cp "$E2E_WORK/wgate.log" "$E2E_WORK/wgate-1.log"

# ---- 8. WGATE_NO_TELEMETRY=1: nothing is sent; pins apply
: >"$MOCK_DIR/requests.jsonl"
export WGATE_NO_TELEMETRY=1 WGATE_FLAG_ICMP_ERRORS_ON_DENY=false
gw_start
check "no telemetry: the pin applies (icmp-errors-on-deny off, env)" \
	flag_is icmp-errors-on-deny off env
check "no telemetry: the rest at wgate's defaults" flag_is enobufs-as-would-block off default
sleep 3
check_eq "no telemetry: nothing reached the host in 3 s" \
	"$(wc -l <"$MOCK_DIR/requests.jsonl")" 0
unset WGATE_NO_TELEMETRY WGATE_FLAG_ICMP_ERRORS_ON_DENY WGATE_FLAGS_URL WGATE_FLAGS_KEY \
	WGATE_FLAGS_INTERVAL_MS WGATE_FLAG_DNS_TTL_RESOLUTION
