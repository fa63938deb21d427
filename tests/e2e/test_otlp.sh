#!/bin/bash
# OTLP export to a real decoder: tests/otlp/receiver.js (Node.js, decoding
# with OpenTelemetry's own generated protobuf code) on the loopback of the
# gateway namespace, where wgate's control core makes its requests; the
# stream-logs flag comes from the mock PostHog (posthog_mock.py) with a
# payload filter.
#   1. a bad OTEL_* value stops wgate at start, naming the variable and
#      never quoting a header's value;
#   2. after traffic through the tunnel (curl, ping) and with traffic
#      stopped, an export carries every instrument with its unit, kind and
#      attributes, each value between the `wgatectl counters` read before
#      it and the one read after; resource attributes (service.*, the
#      gateway id, OTEL_RESOURCE_ATTRIBUTES decoded) and the headers of
#      OTEL_EXPORTER_OTLP_HEADERS arrive; each flag is a wgate.flag point;
#   3. log streaming: with stream-logs on and payload "warn,reload=info", a
#      SIGHUP's info line (module reload) reaches /v1/logs and no info line
#      of another module does;
#   4. the receiver answers 503, hangs, drops connections, then is gone: a
#      ping through the tunnel runs all along with no loss, at most one
#      export is in flight (hung requests are not piled up), failures are
#      counted and logged rate-limited, wgate's RSS stays within a margin;
#      when the receiver is back, exports resume and the sums carry on.
source "$(dirname "$0")/lib.sh"
is_wgate || { echo "# SKIP: the OTLP export is wgate's"; exit 0; }

RECV_DIR=$E2E_DIR/../otlp
out=$("$RECV_DIR/install" 2>&1) || bail "npm ci for the OTLP receiver (tests/otlp/install)" "$out"
CHECK=("$PYTHON" "$E2E_DIR/otlp_check.py")

topo_create 1
client_keys 0

RECV_PORT=4318
MOCK_PORT=18080
OUT=$E2E_WORK/otlp.jsonl
: >"$OUT"
recv_start() {
	rm -f "$E2E_WORK/recv.ready"
	e2e_spawn "otlp receiver" "$E2E_WORK/receiver.log" "$NS_GW" \
		node "$RECV_DIR/receiver.js" --listen "127.0.0.1:$RECV_PORT" --out "$OUT" \
		--ready "$E2E_WORK/recv.ready"
	RECV_PID=$E2E_LAST_PID
	wait_until 10 test -s "$E2E_WORK/recv.ready"
}
recv_mode() { in_gw curl -sf -m 2 "http://127.0.0.1:$RECV_PORT/_mode/$1" >/dev/null; }
now_ms() { date +%s%3N; }
count() { "${CHECK[@]}" count "$OUT" "$@"; }

MOCK_DIR=$E2E_WORK/posthog
mkdir -p "$MOCK_DIR"
echo ok >"$MOCK_DIR/mode"
cat >"$MOCK_DIR/flags.json" <<'JSON'
{"stream-logs": {"value": true, "payload": "warn,reload=info"}, "icmp-errors-on-deny": true}
JSON
e2e_bg_ready "$MOCK_DIR/out" in_gw "$PYTHON" "$E2E_DIR/posthog_mock.py" "$MOCK_PORT" "$MOCK_DIR" ||
	bail "the mock PostHog starts" "$(cat "$MOCK_DIR/out")"
E2E_PIDS+=("$E2E_BG_PID")
recv_start || bail "the OTLP receiver starts" "$(cat "$E2E_WORK/receiver.log")"

# The gateway id, as service.instance.id: configured (no Redis needed).
GID=$("$PYTHON" -c 'import secrets; print(secrets.token_hex(32))')
GW_EXTRA_CONFIG="[Signaling]
GatewayId = $GID"
SECRET="s3cret value"
export WGATE_METRICS=otlp
# a host name, as in the default endpoint: resolved by libcurl without blocking
export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:$RECV_PORT
export OTEL_EXPORTER_OTLP_HEADERS="x-test-token=s3cret%20value"
export OTEL_RESOURCE_ATTRIBUTES="deployment.environment=e2e, host.role=gw%2Ctest"
export OTEL_METRIC_EXPORT_INTERVAL=1000
export OTEL_EXPORTER_OTLP_TIMEOUT=2000
export WGATE_FLAGS_URL=http://127.0.0.1:$MOCK_PORT
export WGATE_FLAGS_KEY=phc_e2eOtlpTestKey

# ---- 1. bad values stop the start (and --check) with a clear reason
conf=$E2E_WORK/check.conf
gw_write_config "$conf"
bad_start() {	# bad_start VAR=VALUE WANT: wgate exits 1 and says WANT
	local out rc
	out=$(env "$1" timeout 20 "$WGATE_BIN" --check -c "$conf" 2>&1)
	rc=$?
	[[ $rc == 1 && $out == *"$2"* && $out != *s3cret* && $out != *hunter2* ]] ||
		{ echo "rc=$rc"; echo "$out" | tail -n 5; return 1; }
}
check "OTEL_METRIC_EXPORT_INTERVAL=10s refused, named" \
	bad_start OTEL_METRIC_EXPORT_INTERVAL=10s "environment OTEL_METRIC_EXPORT_INTERVAL: expected milliseconds"
check "OTEL_EXPORTER_OTLP_ENDPOINT=grpc://... refused, named" \
	bad_start OTEL_EXPORTER_OTLP_ENDPOINT=grpc://127.0.0.1:4317 "environment OTEL_EXPORTER_OTLP_ENDPOINT: not an http"
check "a header value with CR/LF refused without quoting it" \
	bad_start "OTEL_EXPORTER_OTLP_HEADERS=auth=hunter2%0d%0aX: y" "environment OTEL_EXPORTER_OTLP_HEADERS: header auth: the value holds a control character"
check "WGATE_METRICS=prometheus refused" \
	bad_start WGATE_METRICS=prometheus "environment WGATE_METRICS: expected otlp or none"

# ---- 2. metrics after traffic
gw_start
client_up 0
check_within 15 "curl through the tunnel" client_get_ok 0 "$URL4"
check "ping through the tunnel (5/5)" in_client 0 ping -c 5 -i 0.2 -W 2 "$RES4"
sleep 1	# traffic stopped; counters settle
gw_ctl --json counters >"$E2E_WORK/before.json"
since_ns=$(date +%s%N)
gw_ctl --json flags >"$E2E_WORK/flags.json" 2>&1
exported_after() {	# a 200 metrics export read after since_ns has arrived
	"$PYTHON" - "$OUT" "$since_ns" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["path"] == "/v1/metrics" and r["status"] == 200 and "request" in r:
        m = r["request"]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
        if int(m["sum"]["dataPoints"][0]["timeUnixNano"]) > int(sys.argv[2]):
            sys.exit(0)
sys.exit(1)
PY
}
check_within 5 "an export arrives every OTEL_METRIC_EXPORT_INTERVAL (1 s)" exported_after
gw_ctl --json counters >"$E2E_WORK/after.json"
out=$(OTLP_EXPECT_GID=$GID OTLP_EXPECT_VERSION=$("$WGATE_BIN" --version | cut -d' ' -f2) \
	OTLP_EXPECT_RESOURCE="deployment.environment=e2e;host.role=gw,test" \
	OTLP_EXPECT_HEADER="x-test-token=$SECRET" \
	"${CHECK[@]}" metrics "$OUT" "$E2E_WORK/before.json" "$E2E_WORK/after.json" "$since_ns" \
	"$E2E_WORK/flags.json")
check "metrics: names, units, kinds, attributes, values match wgatectl counters, resource, headers" \
	test $? = 0 || e2e_note "$out"
e2e_note "$out"
check "the export is in /wgate/status (otlp_exports, otlp_last_success)" \
	bash -c "'$WGATECTL_BIN' --socket '$GW_SOCK' --json status | grep -q '\"otlp_last_success\": [1-9]'"

# ---- 3. log streaming with the payload's filter
t0=$(now_ms)
kill -HUP "$GW_PID"
logs_ok() { "${CHECK[@]}" logs "$OUT" "$t0" reload "SIGHUP" otlp >/dev/null; }
check_within 10 "stream-logs: the SIGHUP line (reload, info) reaches /v1/logs" logs_ok
out=$("${CHECK[@]}" logs "$OUT" 0 reload "SIGHUP" otlp)
check "stream-logs: no info line of another module passed the filter" test $? = 0
e2e_note "$out"

# ---- 4. the receiver fails, hangs, goes away; the tunnel does not care
rss() { awk '/^VmRSS/ {print $2}' "/proc/$GW_PID/status"; }
rss0=$(rss)
f0=$(count /v1/metrics 503 0)
in_client 0 ping -c 125 -i 0.2 -W 2 "$RES4" >"$E2E_WORK/ping.txt" 2>&1 &
PING_PID=$!
t503=$(now_ms)
recv_mode 503
sleep 4
check_ge "503: exports kept coming (counted as failures)" "$(count /v1/metrics 503 "$t503")" 2
thang=$(now_ms)
recv_mode hang
sleep 7
n_hang=$(count /v1/metrics hang "$thang")
# timeout 2 s, interval 1 s: a client that piled requests up would send ~7
check "hang: at most one export in flight (requests in 7 s: $n_hang, want 1..4)" \
	test "$n_hang" -ge 1 -a "$n_hang" -le 4
tclose=$(now_ms)
recv_mode close
sleep 3
check_ge "connection dropped without an answer: counted as failures" \
	"$(count /v1/metrics close "$tclose")" 1
e2e_stop_pid "$RECV_PID" 5
tgone=$(now_ms)
sleep 5
stats=$(gw_ctl raw /wgate/otlp 2>&1)
fails=$(echo "$stats" | "$PYTHON" -c 'import json,sys; d=json.load(sys.stdin); d=d.get("/wgate/otlp", d); print(d["metrics_failed"])' 2>/dev/null)
check_ge "failures counted in /wgate/otlp (metrics_failed)" "${fails:-0}" 5
e2e_note "$(echo "$stats" | tr -d '\n' | cut -c1-400)"
rss1=$(rss)
check "wgate RSS bounded while the receiver is away (${rss0} -> ${rss1} KiB, margin 8 MiB)" \
	test "$rss1" -le $((rss0 + 8192))
nwarn=$(grep -c "metrics export to .* \(failed\|still failing\)" "$E2E_WORK/wgate.log")
check "failures logged rate-limited ($nwarn lines for ~19 s of failures, want 1..2)" \
	test "$nwarn" -ge 1 -a "$nwarn" -le 2
check "the header's secret value is never logged" bash -c "! grep -q 's3cret' '$E2E_WORK/wgate.log'"
before_rx=$("${CHECK[@]}" last-value "$OUT" wgate.packets direction=rx)
tback=$(now_ms)
recv_start || fail "the receiver starts again"
resumed() { (( $(count /v1/metrics 200 "$tback") >= 1 )); }
check_within 10 "export resumes when the receiver is back" resumed
wait "$PING_PID"
loss=$(grep -o '[0-9.]*% packet loss' "$E2E_WORK/ping.txt")
check "ping through the tunnel all along: 125/125 ($loss)" grep -q ' 0% packet loss' "$E2E_WORK/ping.txt"
after_rx=$("${CHECK[@]}" last-value "$OUT" wgate.packets direction=rx)
check "the sums carry on across the outage (rx packets $before_rx -> $after_rx)" \
	test "${after_rx:-0}" -gt "${before_rx:-0}"
check "wgate is still running" kill -0 "$GW_PID"
