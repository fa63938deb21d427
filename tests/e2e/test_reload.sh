#!/bin/bash
# SIGHUP re-reads the configuration and applies the difference without
# touching established sessions: a grant added works at once, a grant
# removed is refused at once, a broken file changes nothing (and says
# file:line: reason), and a peer removed from the file loses its session.
source "$(dirname "$0")/lib.sh"

if ! is_wgate; then
	e2e_note "SIGHUP reload is wgate's; nothing to check with $GW_IMPL"
	exit 0
fi
export GW_GRANTS=0
topo_create 1
client_keys 0
PUB=$(cat "$E2E_WORK/c0/pub")
resources="[Resource lab4]
Address = 198.51.100.0/24

[Resource lab6]
Address = 2001:db8:2::/64"
grant() { printf '\n[Access]\nPeer = %s\nResource = %s\n' "$PUB" "$1"; }

GW_EXTRA_CONFIG="$resources
$(grant lab4)"
gw_start
client_up 0

# connect_is HOST WANT: client 0's TCP connect to HOST:8080 ends with WANT
# (errno name or "connected") within 1 s.
connect_is() {
	local res el
	read -r res el < <(probe_py "$(client_ns 0)" connect "$1" "$HTTP_PORT" 3)
	echo "connect $1: $res after $el s (want $2)"
	[[ $res == "$2" ]] && awk -v e="$el" 'BEGIN { exit !(e < 1) }'
}
# reload: rewrite the config with GW_EXTRA_CONFIG, SIGHUP, wait for the log.
reload() {
	local n
	n=$(grep -c "SIGHUP" "$E2E_WORK/wgate.log")
	gw_write_config "$E2E_WORK/wgate.conf"
	kill -HUP "$GW_PID"
	wait_until 5 bash -c "(( \$(grep -c SIGHUP '$E2E_WORK/wgate.log') > $n ))"
}

check_within 15 "lab4 granted: curl v4 works" client_get_ok 0 "$URL4"
check "lab6 not granted: IPv6 connect refused with EACCES" connect_is "$RES6" EACCES
hs=$(gw_counter handshake_completed)
latest=$(client_handshake 0)

GW_EXTRA_CONFIG="$resources
$(grant lab4)
$(grant lab6)"
check "SIGHUP with lab6 granted is applied" reload
check "the log says it was applied" grep -q "SIGHUP: .* applied" "$E2E_WORK/wgate.log"
check "lab6 now granted: curl v6 works" client_get_ok 0 "$URL6"
check "lab4 still works" client_get_ok 0 "$URL4"

GW_EXTRA_CONFIG="$resources
$(grant lab6)"
check "SIGHUP with lab4 revoked is applied" reload
check "lab4 revoked: IPv4 connect refused with EHOSTUNREACH" connect_is "$RES4" EHOSTUNREACH
check "lab6 still works" client_get_ok 0 "$URL6"
check_eq "no new handshake on the gateway" "$(gw_counter handshake_completed)" "$hs"
check_eq "the client's session is the same one" "$(client_handshake 0)" "$latest"

# A broken file: refused with its line, nothing changes.
GW_EXTRA_CONFIG="$resources
$(grant lab6)
[Access]
Peer = $PUB
Resource = nosuchresource"
check "SIGHUP with a broken file is answered" reload
check "the log names file, line and reason" \
	grep -qE "SIGHUP: .*wgate\.conf:[0-9]+: .*keeping the running configuration" "$E2E_WORK/wgate.log"
check "lab6 still works after the broken file" client_get_ok 0 "$URL6"
check "lab4 still refused after the broken file" connect_is "$RES4" EHOSTUNREACH

# The peer leaves the file: its session goes with it.
: >"$E2E_WORK/peers"
GW_EXTRA_CONFIG="$resources"
check "SIGHUP without the peer is applied" reload
CURL_TIMEOUT=3 check_fails "the removed peer cannot reach anything" client_get_ok 0 "$URL6"
check_eq "the gateway lists no peer" \
	"$(gw_ctl --json peers | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
check "the gateway still runs" gw_ctl status
