#!/bin/bash
# Secrets never leave the gateway: at the most verbose log level, through
# start, handshakes with a preshared key from the file and one from Redis,
# traffic, a SIGHUP reload, every wgatectl read command and a clean stop,
# no log line and no wgatectl output holds the gateway's private key or a
# preshared key (base64, hex, or any 12-character piece of either). Key
# files and config files holding keys that others can read are warned
# about; mode 600 ones are not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"

GW_GRANTS=1
topo_create 2
client_keys 0 psk
client_keys 1 psk
# Client 1 comes from Redis, its preshared key through wgatectl --psk.
sed -i "\|^${CLIENT_PUB[1]} |d" "$E2E_WORK/peers"
sig_redis_start
GW_EXTRA_CONFIG=$(sig_config)
export WGATE_LOG=debug
gw_start
unset WGATE_LOG
sig_ctl peer add "${CLIENT_PUB[1]}" --allowed-ips "$(client_tun4 1)/32,$(client_tun6 1)/128" \
	--psk "$E2E_WORK/c1/psk" >"$E2E_WORK/ctl.out" 2>&1
sig_ctl resource add web4 --address "$RES4/32" >>"$E2E_WORK/ctl.out" 2>&1
sig_ctl allow "${CLIENT_PUB[1]}" web4 >>"$E2E_WORK/ctl.out" 2>&1
client_up 0 psk
client_up 1 psk
check_within 15 "client 0 (preshared key from the file) reaches the resource" \
	client_get_ok 0 "$URL4"
check_within 15 "client 1 (preshared key from Redis) reaches the resource" \
	client_get_ok 1 "$URL4"
kill -HUP "$GW_PID"
check_within 10 "SIGHUP applied" grep -q "SIGHUP: .* applied" "$E2E_WORK/wgate.log"
for cmd in status peers resources access counters; do
	{ gw_ctl "$cmd"; gw_ctl --json "$cmd"; } >>"$E2E_WORK/ctl.out" 2>&1
done
gw_stop
check "wgate exits 0 on SIGTERM" test $? -eq 0

# ---- the scan
key_pieces() { # FILE...: the key's base64 and hex, and 12-character pieces
	local f b64 hex i
	for f in "$@"; do
		b64=$(tr -d ' \n' <"$f")
		hex=$(base64 -d <<<"$b64" | od -An -tx1 | tr -d ' \n')
		for ((i = 0; i + 12 <= ${#b64}; i += 4)); do echo "${b64:i:12}"; done
		for ((i = 0; i + 12 <= ${#hex}; i += 6)); do echo "${hex:i:12}"; done
	done
}
key_pieces "$E2E_WORK/gw.key" "$E2E_WORK/c0/psk" "$E2E_WORK/c1/psk" >"$E2E_WORK/pieces"
lines=$(wc -l <"$E2E_WORK/wgate.log")
check_ge "the debug log has lines to scan" "$lines" 15
check "the debug log shows handshakes (it is really at debug level)" \
	grep -q "debug.*handshake" "$E2E_WORK/wgate.log"
no_key_in() { ! grep -F -f "$E2E_WORK/pieces" "$1"; }
check "no piece of the private key or a preshared key in the gateway's log" \
	no_key_in "$E2E_WORK/wgate.log"
check "no piece of a key in wgatectl's output (changes and reads, text and JSON)" \
	no_key_in "$E2E_WORK/ctl.out"
check "the scan would find a key (self-test)" grep -qF -f "$E2E_WORK/pieces" "$E2E_WORK/gw.key"

# ---- loose permissions
cp "$E2E_WORK/gw.key" "$E2E_WORK/loose.key"
chmod 644 "$E2E_WORK/loose.key"
sed 's|^PrivateKey = .*|PrivateKeyFile = loose.key|' "$E2E_WORK/wgate.conf" >"$E2E_WORK/kf.conf"
chmod 600 "$E2E_WORK/kf.conf"
out=$("$WGATE_BIN" --check -c "$E2E_WORK/kf.conf" 2>&1)
check "a key file of mode 644 is warned about, by name" \
	grep -q "key file .*loose.key is accessible by group or others (mode 644)" <<<"$out"
chmod 600 "$E2E_WORK/loose.key"
out=$("$WGATE_BIN" --check -c "$E2E_WORK/kf.conf" 2>&1)
check "a key file of mode 600 is not" eval '! grep -q "accessible by group" <<<"$out"'
chmod 640 "$E2E_WORK/wgate.conf"
out=$("$WGATE_BIN" --check -c "$E2E_WORK/wgate.conf" 2>&1)
check "a config file holding a PrivateKey, mode 640, is warned about" \
	grep -q "config file holding keys .*wgate.conf is accessible by group or others" <<<"$out"
chmod 600 "$E2E_WORK/wgate.conf"
