# Signaling helpers for the e2e tests (sourced after lib.sh): a real
# redis-server in the gateway's namespace (the gateway reaches it on that
# namespace's loopback), the [Signaling] section, and wgatectl pointed at it.

_sig_n=${E2E_ID//[!0-9]/}
SIG_PORT=$((20000 + 10#${_sig_n:-0} % 20000))
# A fixed-looking id per run: 64 hex digits.
SIG_GID=$(printf '%s' "wgate-e2e-$E2E_ID" | sha256sum | cut -c1-64)
SIG_URL=redis://127.0.0.1:$SIG_PORT/0

# sig_redis_start [redis-server args...]: starts it (AOF off unless asked).
sig_redis_start() {
	mkdir -p "$E2E_WORK/redis"
	e2e_spawn redis "$E2E_WORK/redis.log" "$NS_GW" redis-server --port "$SIG_PORT" \
		--bind 127.0.0.1 --save '' --dir "$E2E_WORK/redis" "$@"
	SIG_REDIS_PID=$E2E_LAST_PID
	wait_until 10 in_gw redis-cli -p "$SIG_PORT" ping >/dev/null ||
		bail "redis-server starts on port $SIG_PORT" "$(tail -n 20 "$E2E_WORK/redis.log")"
}

sig_config() {
	printf '[Signaling]\nRedis = %s\nGatewayId = %s\n' "$SIG_URL" "$SIG_GID"
}

# sig_ctl ARGS...: wgatectl's change commands against this run's Redis.
sig_ctl() { in_gw "$WGATECTL_BIN" --redis "$SIG_URL" --gateway-id "$SIG_GID" "$@"; }
sig_cli() { in_gw redis-cli -p "$SIG_PORT" "$@"; }

# ms since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
