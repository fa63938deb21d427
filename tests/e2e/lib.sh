# shellcheck shell=bash
# tests/e2e/lib.sh: the end-to-end harness, sourced by tests/e2e/test_*.sh and
# by tests/demo. Needs root (network namespaces), wireguard-go, wg, ip, curl,
# ping and python3.
#
# Topology (every name carries this run's id, so parallel runs never meet):
#
#   client ns  w<ID>c0 .. w<ID>c<N-1>          (wireguard-go, w<ID>c<i> interface)
#     eth0 192.0.2.(10+i)/24, 2001:db8:1::(10+i)/64
#        |
#   switch ns  w<ID>s: bridge br0 with ports p<i> (clients) and pg (gateway)
#        |
#   gateway ns w<ID>g: g0 (WAN) ... wgate ... g1 (LAN)
#        wgate:        no kernel IPs, IPv6 off; wgate answers ARP/ND itself
#                      WAN 192.0.2.1, 2001:db8:1::1  LAN 198.51.100.1, 2001:db8:2::1
#        wireguard-go: the same addresses on g0/g1 in the kernel, forwarding on,
#                      tunnel interface w<ID>g (the reference gateway)
#        |
#   resource ns w<ID>r: eth0 198.51.100.2/24, 2001:db8:2::2/64; routes to the
#     client tunnel ranges 100.64.0.0/11 and fd00:2021:1111::/107 via the
#     gateway; python3 http.server on [::]:8080 (index.html, big.bin)
#
# Tunnel addresses: gateway 100.64.0.1, fd00:2021:1111::1; client i
# 100.64.0.(2+i), fd00:2021:1111::(2+i). Outer: gateway 192.0.2.1:51820 or
# [2001:db8:1::1]:51820; client i listens on 51000+i.
#
# Typical test:
#   source "$(dirname "$0")/lib.sh"
#   topo_create 1            # namespaces, bridge, resource + http server
#   client_keys 0            # keys; registers client 0 as a gateway peer
#   gw_start                 # writes the config, starts the gateway
#   client_up 0              # wireguard-go in client ns 0, pointed at the gateway
#   check "curl v4" client_curl 0 "http://198.51.100.2:8080/"
#   # the EXIT trap tears everything down and prints the summary
#
# Knobs (environment):
#   GW_IMPL=wgate|wireguard-go  gateway under test (default wgate)
#   BUILD_DIR                   where wgate/wgatectl are (default <repo>/build)
#   E2E_WGATE_BIN               the wgate binary (default $BUILD_DIR/control/wgate)
#   E2E_ID                      run id (default $$): names, DPDK file prefix
#   GW_MEMORY (256)  GW_LCORES (0-1)  GW_NO_HUGE=1 (adds --no-huge)
#   GW_QPAIRS (1)               queue pairs per af_packet port (one per worker)
#   GW_WAN_TAP=1                wan is a net_tap port (it offloads checksums)
#                               bridged to g0 in the gateway's namespace
#   GW_EAL_ARGS                 extra EAL arguments (e.g. --lcores=0@0,1@1,2@1)
#   GW_GRANTS=0                 leave the [Resource]/[Access] sections out
#   GW_EXTRA_CONFIG             text appended to the generated wgate config
#   GW_LAN_MASQ=1               [Port lan] Masquerade = true
#   E2E_KEEP=1                  keep .work/<ID> (logs, keys, config) on success
#
# Output is TAP-like: "ok - what" / "not ok - what" with "#   " detail lines;
# the EXIT trap prints "# N passed, M failed" and makes the script exit
# non-zero when anything failed. Every wait is bounded.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$E2E_DIR/../.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_DIR/build}
# E2E_WGATE_BIN overrides the binary. Not a WGATE_* variable: wgate refuses
# unknown WGATE_* variables (typos in settings must not pass silently).
WGATE_BIN=${E2E_WGATE_BIN:-$BUILD_DIR/control/wgate}
export -n WGATE_BIN
WGATECTL_BIN=${WGATECTL_BIN:-$BUILD_DIR/control/wgatectl}
GW_IMPL=${GW_IMPL:-wgate}
if [[ -z ${PYTHON:-} ]]; then
	if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

E2E_ID=${E2E_ID:-$$}
if [[ ! $E2E_ID =~ ^[0-9][0-9a-z]{0,10}$ ]]; then
	echo "lib.sh: E2E_ID must be 1-11 of 0-9 a-z, starting with a digit: '$E2E_ID'" >&2
	exit 64
fi
# Interface names (max 15 chars) are built from this: "w" + id + "c" + index.
E2E_P=w$E2E_ID
NS_SW=${E2E_P}s
NS_GW=${E2E_P}g
NS_RES=${E2E_P}r
GW_WG_IF=${E2E_P}g	# the tunnel interface when GW_IMPL=wireguard-go
GW_PREFIX=$E2E_P	# DPDK --file-prefix
GW_SOCK=/var/run/dpdk/$GW_PREFIX/dpdk_telemetry.v2
E2E_WORK=$E2E_DIR/.work/$E2E_ID

GW_WAN4=192.0.2.1
GW_WAN6=2001:db8:1::1
GW_LAN4=198.51.100.1
GW_LAN6=2001:db8:2::1
GW_TUN4=100.64.0.1
GW_TUN6=fd00:2021:1111::1
GW_PORT=51820
RES4=198.51.100.2
RES6=2001:db8:2::2
HTTP_PORT=8080
URL4=http://$RES4:$HTTP_PORT
URL6=http://[$RES6]:$HTTP_PORT
TUN_MTU=1420

E2E_PASS=0
E2E_FAIL=0
E2E_PIDS=()		# every background process we started, in order
GW_PID=
E2E_TOPO=0
CLIENT_PUB=()		# client index -> public key
CLIENT_PORT=()		# client index -> listen port

client_ns()   { echo "${E2E_P}c$1"; }
client_if()   { echo "${E2E_P}c$1"; }
client_wan4() { echo "192.0.2.$((10 + $1))"; }
client_wan6() { echo "2001:db8:1::$(printf %x $((16 + $1)))"; }
client_tun4() { echo "100.64.0.$((2 + $1))"; }
client_tun6() { echo "fd00:2021:1111::$(printf %x $((2 + $1)))"; }

# ---------------------------------------------------------------- reporting

e2e_note() { echo "# $*"; }

pass() {
	E2E_PASS=$((E2E_PASS + 1))
	echo "ok - $*"
}

# fail WHAT [DETAIL...]: each detail (may be multi-line) is printed as "#   ".
fail() {
	local what=$1 d
	shift
	E2E_FAIL=$((E2E_FAIL + 1))
	echo "not ok - $what"
	for d in "$@"; do
		[[ -n $d ]] && printf '%s\n' "$d" | tail -n 40 | sed 's/^/#   /'
	done
	return 0
}

# bail WHAT [DETAIL...]: a failure after which the test cannot go on.
bail() {
	fail "$@"
	exit 1
}

# check WHAT CMD...: passes when CMD exits 0.
check() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$what"
	else
		fail "$what" "command: $*" "$out"
		return 1
	fi
}

# check_fails WHAT CMD...: passes when CMD exits non-zero.
check_fails() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "$what" "command: $* (succeeded, should not have)" "$out"
		return 1
	fi
	pass "$what"
}

# wait_until SECONDS CMD...: polls CMD every 0.2 s until it succeeds or the
# time is up. Returns CMD's last status.
wait_until() {
	local limit=$1 deadline
	shift
	deadline=$(( ${EPOCHREALTIME/./} + limit * 1000000 ))
	while :; do
		"$@" >/dev/null 2>&1 && return 0
		(( ${EPOCHREALTIME/./} >= deadline )) && break
		sleep 0.2
	done
	"$@" >/dev/null 2>&1
}

# check_within SECONDS WHAT CMD...
check_within() {
	local limit=$1 what=$2 out
	shift 2
	if wait_until "$limit" "$@"; then
		pass "$what"
	else
		out=$("$@" 2>&1)
		fail "$what" "not true within ${limit}s: $*" "$out"
		return 1
	fi
}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }

# check_ge WHAT VALUE MIN
check_ge() {
	if is_uint "$2" && is_uint "$3" && (( $2 >= $3 )); then
		pass "$1 ($2 >= $3)"
	else
		fail "$1" "got '$2', wanted >= $3"
		return 1
	fi
}

# check_eq WHAT GOT WANT
check_eq() {
	if [[ $2 == "$3" ]]; then
		pass "$1"
	else
		fail "$1" "got:  '$2'" "want: '$3'"
		return 1
	fi
}

is_wgate() { [[ $GW_IMPL == wgate ]]; }

e2e_require_root() {
	if (( EUID != 0 )); then
		echo "not ok - must run as root (network namespaces)"
		exit 1
	fi
}

e2e_require_tools() {
	local t missing=()
	for t in ip wg wireguard-go curl ping "$PYTHON" "$@"; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	if is_wgate; then
		[[ -x $WGATE_BIN ]] || missing+=("$WGATE_BIN (build it: meson setup build && ninja -C build)")
		[[ -x $WGATECTL_BIN ]] || missing+=("$WGATECTL_BIN")
	fi
	if (( ${#missing[@]} )); then
		echo "not ok - missing: ${missing[*]}"
		exit 1
	fi
}

# ---------------------------------------------------------------- processes

# e2e_spawn NAME LOG NS CMD...: runs CMD in namespace NS in the background,
# output to LOG; remembers the PID (ip netns exec execs, so $! is CMD).
e2e_spawn() {
	local name=$1 log=$2 ns=$3
	shift 3
	ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
	E2E_LAST_PID=$!
	E2E_PIDS+=("$E2E_LAST_PID")
	echo "$E2E_LAST_PID $name" >>"$E2E_WORK/pids"
}

# e2e_stop_pid PID [SECONDS]: SIGTERM, wait (bounded), then SIGKILL.
# Returns the process's exit status when it was our child, 137 if killed.
e2e_stop_pid() {
	local pid=$1 limit=${2:-5} i rc
	kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return $?; }
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 137
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

in_ns() { ip netns exec "$@"; }
in_client() { local i=$1; shift; ip netns exec "$(client_ns "$i")" "$@"; }
in_res() { ip netns exec "$NS_RES" "$@"; }
in_gw() { ip netns exec "$NS_GW" "$@"; }

# e2e_genkey FILE [psk]: a private key (or preshared key), mode 600.
e2e_genkey() {
	( umask 077; if [[ ${2:-} == psk ]]; then wg genpsk; else wg genkey; fi >"$1" )
}

# ---------------------------------------------------------------- topology

# topo_create N: the switch, gateway and resource namespaces and N clients.
# Installs the EXIT trap that undoes it all.
topo_create() {
	local n=${1:-1} i
	e2e_require_root
	e2e_require_tools
	# Leftovers of an earlier run that had this id (a recycled PID whose
	# run was SIGKILLed) would make every step below fail or mislead.
	e2e_sweep "$E2E_ID"
	rm -rf "$E2E_WORK"
	mkdir -p "$E2E_WORK"
	: >"$E2E_WORK/pids"
	: >"$E2E_WORK/peers"
	trap 'e2e_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	E2E_TOPO=1
	e2e_note "run id $E2E_ID, gateway $GW_IMPL, work dir $E2E_WORK"

	e2e_genkey "$E2E_WORK/gw.key"
	wg pubkey <"$E2E_WORK/gw.key" >"$E2E_WORK/gw.pub"
	GW_PUB=$(cat "$E2E_WORK/gw.pub")

	topo_ns_add "$NS_SW" || bail "create namespace $NS_SW"
	topo_ns_add "$NS_GW" || bail "create namespace $NS_GW"
	topo_ns_add "$NS_RES" || bail "create namespace $NS_RES"

	# The switch: L2 only. No IPv6 on its ports (no MLD/RS noise), no STP
	# delay, no multicast snooping (wgate sends no MLD reports, so a
	# snooping bridge could stop passing it neighbour solicitations).
	in_ns "$NS_SW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NS_SW" link add br0 type bridge stp_state 0 forward_delay 0 mcast_snooping 0 ||
		bail "create bridge in $NS_SW"
	ip -n "$NS_SW" link set br0 up

	# The gateway's veth ends. For wgate the kernel must stay silent on
	# them: no address, IPv6 disabled before the link comes up.
	if is_wgate; then
		in_gw sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
	fi
	ip -n "$NS_GW" link add g0 type veth peer name pg netns "$NS_SW" || bail "create veth g0"
	ip -n "$NS_GW" link add g1 type veth peer name eth0 netns "$NS_RES" || bail "create veth g1"
	ip -n "$NS_SW" link set pg master br0 up
	if is_wgate; then
		in_gw sysctl -qw net.ipv6.conf.g0.disable_ipv6=1 net.ipv6.conf.g1.disable_ipv6=1
	else
		in_gw sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
		ip -n "$NS_GW" addr add "$GW_WAN4/24" dev g0
		ip -n "$NS_GW" addr add "$GW_WAN6/64" dev g0 nodad
		ip -n "$NS_GW" addr add "$GW_LAN4/24" dev g1
		ip -n "$NS_GW" addr add "$GW_LAN6/64" dev g1 nodad
	fi
	in_gw "$PYTHON" "$E2E_DIR/offload_off.py" g0 g1 || bail "offloads off on g0/g1"
	ip -n "$NS_GW" link set g0 up
	ip -n "$NS_GW" link set g1 up

	# The resource.
	ip -n "$NS_RES" addr add "$RES4/24" dev eth0
	ip -n "$NS_RES" addr add "$RES6/64" dev eth0 nodad
	in_res "$PYTHON" "$E2E_DIR/offload_off.py" eth0 || bail "offloads off in $NS_RES"
	ip -n "$NS_RES" link set eth0 up
	ip -n "$NS_RES" route add 100.64.0.0/11 via "$GW_LAN4"
	ip -n "$NS_RES" -6 route add fd00:2021:1111::/107 via "$GW_LAN6"
	mkdir -p "$E2E_WORK/www"
	echo "wgate e2e resource $E2E_ID" >"$E2E_WORK/www/index.html"
	head -c 2000000 /dev/urandom >"$E2E_WORK/www/big.bin"
	e2e_spawn http "$E2E_WORK/http.log" "$NS_RES" \
		"$PYTHON" -m http.server --bind :: --directory "$E2E_WORK/www" "$HTTP_PORT"
	wait_until 10 in_res curl -sf --max-time 1 "http://127.0.0.1:$HTTP_PORT/" ||
		bail "http server in $NS_RES did not start" "$(cat "$E2E_WORK/http.log")"

	for ((i = 0; i < n; i++)); do
		topo_add_client "$i"
	done
}

topo_ns_add() {
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
}

# topo_add_client I: client namespace I on the switch (no WireGuard yet).
topo_add_client() {
	local i=$1 ns
	ns=$(client_ns "$i")
	topo_ns_add "$ns" || bail "create namespace $ns"
	ip -n "$NS_SW" link add "p$i" type veth peer name eth0 netns "$ns" || bail "veth for client $i"
	ip -n "$NS_SW" link set "p$i" master br0 up
	ip -n "$ns" addr add "$(client_wan4 "$i")/24" dev eth0
	ip -n "$ns" addr add "$(client_wan6 "$i")/64" dev eth0 nodad
	in_ns "$ns" "$PYTHON" "$E2E_DIR/offload_off.py" eth0 || bail "offloads off in $ns"
	ip -n "$ns" link set eth0 up
}

# ---------------------------------------------------------------- clients

# client_keys I [psk]: keys for client I, registered as a gateway peer
# (AllowedIPs = its tunnel addresses). Call before gw_start for the gateway
# to know the peer. Idempotent.
client_keys() {
	local i=$1 dir=$E2E_WORK/c$1 opt psk=-
	shift
	[[ -f $dir/key ]] && return 0
	mkdir -p "$dir"
	e2e_genkey "$dir/key"
	wg pubkey <"$dir/key" >"$dir/pub"
	CLIENT_PUB[$i]=$(cat "$dir/pub")
	for opt in "$@"; do
		[[ $opt == psk ]] && { e2e_genkey "$dir/psk" psk; psk=$dir/psk; }
	done
	echo "${CLIENT_PUB[$i]} $(client_tun4 "$i")/32,$(client_tun6 "$i")/128 $psk" >>"$E2E_WORK/peers"
}

# client_up I [psk] [v6] [keepalive=N] [port=N] [unknown]: wireguard-go in
# client namespace I, peer = the gateway.
#   psk          use a preshared key (also given to the gateway)
#   v6           reach the gateway at [2001:db8:1::1]:51820
#   keepalive=N  persistent keepalive every N seconds
#   port=N       listen port (default 51000+I)
#   unknown      a key the gateway is not told about (unless client_keys ran)
client_up() {
	local i=$1 opt psk=0 v6=0 ka= unknown=0 ns ifn dir ep port
	shift
	port=$((51000 + i))
	for opt in "$@"; do
		case $opt in
		psk) psk=1 ;;
		v6) v6=1 ;;
		keepalive=*) ka=${opt#keepalive=} ;;
		port=*) port=${opt#port=} ;;
		unknown) unknown=1 ;;
		"") ;;
		*) bail "client_up: unknown option '$opt'" ;;
		esac
	done
	ns=$(client_ns "$i")
	ifn=$(client_if "$i")
	dir=$E2E_WORK/c$i
	if [[ ! -f $dir/key ]]; then
		if (( unknown )); then
			mkdir -p "$dir"
			e2e_genkey "$dir/key"
			wg pubkey <"$dir/key" >"$dir/pub"
			(( psk )) && e2e_genkey "$dir/psk" psk
		else
			if (( psk )); then client_keys "$i" psk; else client_keys "$i"; fi
		fi
	fi
	CLIENT_PUB[$i]=$(cat "$dir/pub")
	CLIENT_PORT[$i]=$port
	if (( v6 )); then ep="[$GW_WAN6]:$GW_PORT"; else ep="$GW_WAN4:$GW_PORT"; fi
	local extra=()
	[[ -f $dir/psk ]] && extra+=(preshared-key "$dir/psk")
	[[ -n $ka ]] && extra+=(persistent-keepalive "$ka")

	e2e_spawn "wireguard-go client $i" "$dir/wireguard-go.log" "$ns" \
		env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 LOG_LEVEL="${WG_LOG_LEVEL:-error}" \
		wireguard-go -f "$ifn"
	wait_until 10 test -S "/var/run/wireguard/$ifn.sock" ||
		bail "wireguard-go for client $i did not start" "$(cat "$dir/wireguard-go.log")"
	in_ns "$ns" wg set "$ifn" private-key "$dir/key" listen-port "$port" \
		peer "$GW_PUB" endpoint "$ep" \
		allowed-ips "198.51.100.0/24,2001:db8:2::/64,$GW_TUN4/32,$GW_TUN6/128" \
		"${extra[@]}" ||
		bail "wg set on client $i"
	ip -n "$ns" addr add "$(client_tun4 "$i")/32" dev "$ifn"
	ip -n "$ns" addr add "$(client_tun6 "$i")/128" dev "$ifn" nodad
	ip -n "$ns" link set "$ifn" mtu "$TUN_MTU" up
	ip -n "$ns" route add 198.51.100.0/24 dev "$ifn"
	ip -n "$ns" route add "$GW_TUN4/32" dev "$ifn"
	ip -n "$ns" -6 route add 2001:db8:2::/64 dev "$ifn"
	ip -n "$ns" -6 route add "$GW_TUN6/128" dev "$ifn"
}

# client_curl I URL [curl args...]: prints the body; bounded by CURL_TIMEOUT.
client_curl() {
	local i=$1 url=$2
	shift 2
	in_client "$i" curl -sS -g --max-time "${CURL_TIMEOUT:-10}" "$@" "$url"
}

# client_get_ok I URL: the index page through the tunnel, body checked.
client_get_ok() {
	local body
	body=$(client_curl "$1" "$2/") || return 1
	[[ $body == "wgate e2e resource $E2E_ID" ]] || { echo "unexpected body: $body"; return 1; }
}

# client_get_big_ok I URL: 2 MB through the tunnel, checksum compared.
client_get_big_ok() {
	local want got
	want=$(sha256sum <"$E2E_WORK/www/big.bin" | cut -d' ' -f1)
	got=$(client_curl "$1" "$2/big.bin" | sha256sum | cut -d' ' -f1)
	[[ $got == "$want" ]] || { echo "sha256 $got, want $want"; return 1; }
}

# client_handshake I: the client's latest handshake with the gateway (unix s).
client_handshake() {
	in_client "$1" wg show "$(client_if "$1")" latest-handshakes | awk '{print $2}'
}

# ---------------------------------------------------------------- gateway

# gw_add_peer ALLOWED [psk]: a peer that never connects; prints its key.
gw_add_peer() {
	local allowed=$1 key pub psk=-
	key=$(wg genkey)
	pub=$(wg pubkey <<<"$key")
	if [[ ${2:-} == psk ]]; then
		psk=$E2E_WORK/psk-${pub//[^A-Za-z0-9]/}
		e2e_genkey "$psk" psk
	fi
	echo "$pub $allowed $psk" >>"$E2E_WORK/peers"
	echo "$pub"
}

# gw_peer_with_endpoint I [psk]: keys for client I that the gateway knows as a
# [Peer] with Endpoint = the client's outer address (so wgate initiates to
# it), written to GW_EXTRA_CONFIG; with "psk" the gateway alone gets a
# preshared key. Bring the client up afterwards with `client_up I unknown`.
gw_peer_with_endpoint() {
	local i=$1 dir=$E2E_WORK/c$1
	mkdir -p "$dir"
	e2e_genkey "$dir/key"
	wg pubkey <"$dir/key" >"$dir/pub"
	GW_EXTRA_CONFIG="[Peer]
PublicKey = $(cat "$dir/pub")${2:+
PresharedKey = $(wg genpsk)}
AllowedIPs = $(client_tun4 "$i")/32, $(client_tun6 "$i")/128
Endpoint = $(client_wan4 "$i"):$((51000 + i))"
	if [[ ${GW_GRANTS:-1} != 0 ]]; then	# the same grants as every other client
		GW_EXTRA_CONFIG+="

[Access]
Peer = $(cat "$dir/pub")
Resource = lab4

[Access]
Peer = $(cat "$dir/pub")
Resource = lab6"
	fi
}

# gw_write_config FILE: the wgate config for this topology and the peers
# registered so far.
gw_write_config() {
	local f=$1 pub allowed psk eal
	local qp=
	(( ${GW_QPAIRS:-1} > 1 )) && qp=",qpairs=$GW_QPAIRS"
	local wan_dev="net_af_packet0,iface=g0$qp"
	[[ -n ${GW_WAN_TAP:-} ]] && wan_dev="net_tap0,iface=gtap0"
	eal="--file-prefix $GW_PREFIX --no-pci${GW_EAL_ARGS:+ $GW_EAL_ARGS}"
	if [[ -n ${GW_NO_HUGE:-} ]]; then
		eal+=" --no-huge"
	else
		# Unlinked hugepage files go back to the pool when the process
		# dies, even by SIGKILL; named ones would leak with every run id.
		eal+=" --huge-unlink"
	fi
	{
		cat <<-EOF
		# generated by tests/e2e/lib.sh for run $E2E_ID
		[Interface]
		PrivateKey = $(cat "$E2E_WORK/gw.key")
		ListenPort = $GW_PORT
		Address = $GW_TUN4, $GW_TUN6
		MTU = $TUN_MTU

		[Dataplane]
		Lcores = ${GW_LCORES:-0-1}
		Memory = ${GW_MEMORY:-256}
		IdlePoll = adaptive
		EalArgs = $eal

		[Port wan]
		Device = $wan_dev
		Address = $GW_WAN4/24, $GW_WAN6/64

		[Port lan]
		Device = net_af_packet1,iface=g1$qp
		Address = $GW_LAN4/24, $GW_LAN6/64
		Masquerade = $( [[ -n ${GW_LAN_MASQ:-} ]] && echo true || echo false )
		EOF
		while read -r pub allowed psk; do
			echo
			echo "[Peer]"
			echo "PublicKey = $pub"
			[[ $psk != - ]] && echo "PresharedKey = $(cat "$psk")"
			echo "AllowedIPs = ${allowed//,/, }"
		done <"$E2E_WORK/peers"
		if [[ ${GW_GRANTS:-1} != 0 ]]; then
			printf '\n[Resource lab4]\nAddress = 198.51.100.0/24\n'
			printf '\n[Resource lab6]\nAddress = 2001:db8:2::/64\n'
			while read -r pub allowed psk; do
				printf '\n[Access]\nPeer = %s\nResource = lab4\n' "$pub"
				printf '\n[Access]\nPeer = %s\nResource = lab6\n' "$pub"
			done <"$E2E_WORK/peers"
		fi
		[[ -n ${GW_EXTRA_CONFIG:-} ]] && printf '\n%s\n' "$GW_EXTRA_CONFIG"
	} >"$f"
	chmod 600 "$f"
}

# gw_start: the gateway (GW_IMPL) in the gateway namespace, with every peer
# registered so far. Waits (bounded) until it is ready.
gw_start() {
	if is_wgate; then
		gw_start_wgate
	else
		gw_start_wggo
	fi
}

gw_start_wgate() {
	local conf=$E2E_WORK/wgate.conf log=$E2E_WORK/wgate.log out
	gw_write_config "$conf"
	out=$("$WGATE_BIN" --check -c "$conf" 2>&1) ||
		bail "wgate --check accepts the generated config" "$out" "config: $conf"
	e2e_spawn wgate "$log" "$NS_GW" "$WGATE_BIN" -c "$conf"
	GW_PID=$E2E_LAST_PID
	local deadline=$((SECONDS + ${GW_START_TIMEOUT:-30}))
	until grep -q ready "$log" 2>/dev/null; do
		if ! kill -0 "$GW_PID" 2>/dev/null; then
			wait "$GW_PID"
			bail "wgate starts (it exited with status $?)" "$(tail -n 30 "$log")"
		fi
		((SECONDS >= deadline)) &&
			bail "wgate logs 'ready' within ${GW_START_TIMEOUT:-30}s" "$(tail -n 30 "$log")"
		sleep 0.2
	done
	# Once wgate is ready (its tap port configured and started, so the PMD
	# sets no MAC any more) the tap device joins g0 on a bridge, so its
	# frames reach the switch like g0's would. The kernel end has the
	# port's own MAC, which a bridge would take for its host's and never
	# forward: it gets another one.
	if [[ -n ${GW_WAN_TAP:-} ]]; then
		wait_until 20 in_gw ip link show gtap0 >/dev/null 2>&1 ||
			bail "wgate creates its tap port gtap0" "$(tail -n 30 "$log")"
		ip -n "$NS_GW" link set gtap0 address 02:00:00:00:7a:01 &&
			ip -n "$NS_GW" link add brw type bridge stp_state 0 forward_delay 0 mcast_snooping 0 &&
			ip -n "$NS_GW" link set g0 master brw &&
			ip -n "$NS_GW" link set gtap0 master brw &&
			ip -n "$NS_GW" link set brw up || bail "bridge gtap0 to g0"
	fi
	wait_until 10 "$WGATECTL_BIN" --socket "$GW_SOCK" status ||
		bail "wgatectl status says ready" "$("$WGATECTL_BIN" --socket "$GW_SOCK" status 2>&1)" \
			"$(tail -n 30 "$log")"
	e2e_note "wgate ready (pid $GW_PID, telemetry $GW_SOCK)"
}

gw_start_wggo() {
	local log=$E2E_WORK/gw-wireguard-go.log pub allowed psk
	e2e_spawn "wireguard-go gateway" "$log" "$NS_GW" \
		env WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1 LOG_LEVEL="${WG_LOG_LEVEL:-error}" \
		wireguard-go -f "$GW_WG_IF"
	GW_PID=$E2E_LAST_PID
	wait_until 10 test -S "/var/run/wireguard/$GW_WG_IF.sock" ||
		bail "wireguard-go gateway starts" "$(cat "$log")"
	in_gw wg set "$GW_WG_IF" private-key "$E2E_WORK/gw.key" listen-port "$GW_PORT" ||
		bail "wg set on the gateway"
	while read -r pub allowed psk; do
		local extra=()
		[[ $psk != - ]] && extra=(preshared-key "$psk")
		in_gw wg set "$GW_WG_IF" peer "$pub" allowed-ips "$allowed" "${extra[@]}" ||
			bail "wg set peer on the gateway"
	done <"$E2E_WORK/peers"
	ip -n "$NS_GW" addr add "$GW_TUN4/32" dev "$GW_WG_IF"
	ip -n "$NS_GW" addr add "$GW_TUN6/128" dev "$GW_WG_IF" nodad
	ip -n "$NS_GW" link set "$GW_WG_IF" mtu "$TUN_MTU" up
	ip -n "$NS_GW" route add 100.64.0.0/11 dev "$GW_WG_IF"
	ip -n "$NS_GW" -6 route add fd00:2021:1111::/107 dev "$GW_WG_IF"
	e2e_note "wireguard-go gateway ready (pid $GW_PID)"
}

# gw_stop: SIGTERM; returns the gateway's exit status (137: had to be killed).
# Call it in this shell, not in $(...): a subshell cannot wait for it.
gw_stop() {
	local rc
	[[ -n $GW_PID ]] || return 0
	e2e_stop_pid "$GW_PID" "${GW_STOP_TIMEOUT:-10}"
	rc=$?
	GW_PID=
	if (( rc == 137 )); then
		echo "the gateway did not stop within ${GW_STOP_TIMEOUT:-10} s: killed" >&2
	elif (( rc != 0 )); then
		echo "the gateway exited with status $rc" >&2
		(( rc > 128 && rc <= 128 + 64 )) && echo "(killed by signal $((rc - 128)))" >&2
	fi
	is_wgate && [[ -f $E2E_WORK/wgate.log ]] && (( rc )) && tail -n 5 "$E2E_WORK/wgate.log" >&2
	return $rc
}

gw_ctl() { "$WGATECTL_BIN" --socket "$GW_SOCK" "$@"; }

# gw_counter NAME: the gateway's counter (wgate only); empty + status 1 if absent.
gw_counter() {
	gw_ctl --json counters | "$PYTHON" -c '
import json, sys
v = json.load(sys.stdin).get(sys.argv[1])
if not isinstance(v, int):
    sys.exit(1)
print(v)' "$1"
}

# gw_peer_field KEY FIELD: endpoint | latest_handshake | rx_bytes | tx_bytes
# | allowed_ips, from wgatectl (wgate) or `wg show dump` (wireguard-go), in
# the same format: endpoint "ip:port", "[v6]:port" or "(none)"; allowed ips
# "a/n, b/n".
gw_peer_field() {
	if is_wgate; then
		gw_ctl --json peers | "$PYTHON" -c "$E2E_PEER_PY" "$1" "$2"
	else
		in_gw wg show "$GW_WG_IF" dump | awk -v k="$1" -v f="$2" '
NR > 1 && $1 == k {
	if (f == "endpoint") print $3
	else if (f == "allowed_ips") { gsub(",", ", ", $4); print $4 }
	else if (f == "latest_handshake") print $5
	else if (f == "rx_bytes") print $6
	else if (f == "tx_bytes") print $7
	found = 1
}
END { exit !found }'
	fi
}

# Finds a peer in `wgatectl --json peers`, in any shape wgatectl reads:
# [{"public_key": "<key>", ...}] (what wgate sends: DPDK 22.11 refuses '+'
# and '=' in dictionary names), {"<key>": {...}}, {"x": {"public_key": ...}}.
# Prints the field; status 1 (quietly) when the peer or field is missing.
E2E_PEER_PY='
import json, sys
v = json.load(sys.stdin)
items = v.items() if isinstance(v, dict) else [(None, p) for p in v]
for k, p in items:
    if isinstance(p, dict) and p.get("public_key", k) == sys.argv[1] and sys.argv[2] in p:
        print(p[sys.argv[2]])
        sys.exit(0)
sys.exit(1)'

# gw_peer_field_is KEY FIELD VALUE (for check_within)
gw_peer_field_is() { [[ $(gw_peer_field "$1" "$2") == "$3" ]]; }
# gw_peer_field_gt KEY FIELD N
gw_peer_field_gt() { local v; v=$(gw_peer_field "$1" "$2") && is_uint "$v" && (( v > $3 )); }
# gw_counter_ge NAME N
gw_counter_ge() { local v; v=$(gw_counter "$1") && (( v >= $2 )); }

# ---------------------------------------------------------------- teardown

# e2e_sweep [ID]: removes whatever run ID left behind (its namespaces and the
# processes in them, wireguard-go sockets, DPDK runtime files). Safe to run
# for a run that already cleaned up; used by run-all after a killed test.
e2e_sweep() {
	local id=${1:-$E2E_ID} p ns pids d
	p=w$id
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
		[[ $ns =~ ^${p}(s|g|r|c[0-9]+)$ ]] || continue
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[[ -n $pids ]] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	rm -f "/var/run/wireguard/${p}g.sock" /var/run/wireguard/"${p}"c[0-9]*.sock
	rm -rf "/var/run/dpdk/$p"
	for d in $(awk '$3 == "hugetlbfs" {print $2}' /proc/mounts); do
		rm -f "$d/${p}"map_*
	done
}

# topo_destroy [RC]: stops every process we started (gateway first,
# politely), then sweeps. Keeps the work dir when something failed, the
# script is exiting with an error (RC), or E2E_KEEP=1.
topo_destroy() {
	local rc=${1:-0} i pid
	(( E2E_TOPO )) || return 0
	E2E_TOPO=0
	[[ -n $GW_PID ]] && gw_stop
	for ((i = ${#E2E_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${E2E_PIDS[i]}
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${E2E_PIDS[@]}"; do
		e2e_stop_pid "$pid" 3
	done
	e2e_sweep "$E2E_ID"
	if (( E2E_FAIL == 0 && rc == 0 )) && [[ -z ${E2E_KEEP:-} ]]; then
		rm -rf "$E2E_WORK"
	else
		e2e_note "logs, keys and config kept in $E2E_WORK"
	fi
}

e2e_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	topo_destroy "$rc"
	(( rc != 0 && E2E_FAIL == 0 )) && echo "# stopped early (exit status $rc)"
	echo "# $E2E_PASS passed, $E2E_FAIL failed"
	(( E2E_FAIL > 0 && rc == 0 )) && rc=1
	exit "$rc"
}

# ---------------------------------------------------------------- DNS

# e2e_dns_link: a management link gateway <-> resource namespace for DNS
# only (10.99.0.1 <-> E2E_DNS_ADDR=10.99.0.2), the way the gateway reaches
# its upstream resolver (WGATE_DNS_SERVERS) without its DPDK ports.
E2E_DNS_ADDR=10.99.0.2
e2e_dns_link() {
	ip -n "$NS_GW" link add m0 type veth peer name m1 netns "$NS_RES" || bail "create veth m0"
	ip -n "$NS_GW" addr add 10.99.0.1/30 dev m0 && ip -n "$NS_GW" link set m0 up
	ip -n "$NS_RES" addr add "$E2E_DNS_ADDR/30" dev m1 && ip -n "$NS_RES" link set m1 up
}

# dnsmasq_up TTL NAME [dnsmasq args...]: dnsmasq on $E2E_DNS_ADDR in the
# resource namespace serving $E2E_WORK/hosts (corp.test local; created
# empty if absent) with TTL, plus what the args add (e.g. --address=);
# waits until NAME resolves. Sets DNSMASQ_PID.
dnsmasq_up() {
	local ttl=$1 name=$2
	shift 2
	chmod 755 "$E2E_WORK"
	[[ -e $E2E_WORK/hosts ]] || : >"$E2E_WORK/hosts"
	e2e_spawn dnsmasq "$E2E_WORK/dnsmasq.out" "$NS_RES" dnsmasq -k --conf-file=/dev/null \
		--listen-address="$E2E_DNS_ADDR" --bind-interfaces --no-resolv --no-hosts \
		--addn-hosts="$E2E_WORK/hosts" --local-ttl="$ttl" --local=/corp.test/ \
		--pid-file= --cache-size=0 "$@"
	# shellcheck disable=SC2034  # read by the tests (kill -STOP, -HUP)
	DNSMASQ_PID=$E2E_LAST_PID
	wait_until 10 in_gw dig +short +time=1 +tries=1 @"$E2E_DNS_ADDR" "$name" ||
		bail "dnsmasq answers on the management link" "$(cat "$E2E_WORK/dnsmasq.out")"
}

# whoami_up PORT PROBE_IP: tests/e2e/whoami.py in the resource namespace.
whoami_up() {
	e2e_spawn whoami "$E2E_WORK/whoami.log" "$NS_RES" "$PYTHON" "$E2E_DIR/whoami.py" "$1"
	wait_until 10 in_res curl -sf --max-time 1 "http://$2:$1/" ||
		bail "whoami server starts" "$(cat "$E2E_WORK/whoami.log")"
}

# ---------------------------------------------------------------- policy helpers

# probe_py NS ARGS...: tests/e2e/probe.py in namespace NS.
probe_py() { local ns=$1; shift; ip netns exec "$ns" "$PYTHON" "$E2E_DIR/probe.py" "$@"; }

# connect_is I HOST PORT WANT MAXS: client I's TCP connect ends with WANT
# (an errno name or "connected") in under MAXS seconds.
connect_is() {
	local out res el
	out=$(probe_py "$(client_ns "$1")" connect "$2" "$3" 3) || { echo "$out"; return 1; }
	read -r res el <<<"$out"
	echo "connect $2 port $3: $res after $el s (want $4 in < $5 s)"
	[[ $res == "$4" ]] && awk -v e="$el" -v m="$5" 'BEGIN { exit !(e < m) }'
}

# e2e_bg_ready FILE CMD...: runs CMD (bounded by itself) in the background,
# output to FILE, and waits (5 s at most) for its "ready" line; the PID is in
# E2E_BG_PID. Returns 1 if "ready" never came. CMD sees PROBE_STOP=FILE.stop.
e2e_bg_ready() {
	local f=$1
	shift
	rm -f "$f.stop"
	PROBE_STOP=$f.stop "$@" >"$f" 2>&1 </dev/null &
	E2E_BG_PID=$!
	wait_until 5 grep -qx ready "$f"
}

# e2e_bg_stop FILE PID: after 0.5 s for stragglers, tells the probe.py
# started by e2e_bg_ready FILE to finish (PROBE_STOP) and waits for it.
e2e_bg_stop() {
	sleep 0.5
	touch "$1.stop"
	wait "$2"
}

# gw_counters_snap NAME...: remembers the counters' current values;
# gw_counter_grew NAME prints how much NAME grew since (status 1 if unknown).
declare -gA E2E_SNAP=()
gw_counters_snap() { local c; for c in "$@"; do E2E_SNAP[$c]=$(gw_counter "$c"); done; }
gw_counter_grew() {
	local v
	v=$(gw_counter "$1") && is_uint "${E2E_SNAP[$1]:-}" || return 1
	echo $((v - E2E_SNAP[$1]))
}
# gw_counter_grew_ge NAME N (for check_within)
gw_counter_grew_ge() { local d; d=$(gw_counter_grew "$1") && (( d >= $2 )); }
