#!/bin/bash
# e2e-timeout: 420
# The Debian package: dpkg-buildpackage -us -uc -b builds a .deb (in a copy
# of the tree, so the repository's build/ and debian/ stay clean), it
# installs here, lays out the binaries, units, man pages and setup tool,
# enables the unit without starting anything on a machine with no
# /etc/wgate/wgate.conf, the installed wgate runs a tunnel (real wireguard-go
# client through it), and purge removes it all. Slow (a release build: about
# 2-3 minutes on 2 cores); run-all reads the limit above.
source "$(dirname "$0")/lib.sh"
e2e_require_root

if dpkg-query -W -f='${Status}' wgate 2>/dev/null | grep -q 'install ok installed'; then
	# Somebody's wgate package: neither replace nor purge it.
	echo "ok - a wgate package is already installed here: package test left out" \
		"(dpkg --purge wgate to run it)"
	exit 0
fi
if ! command -v dh >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		debhelper dpkg-dev >/dev/null 2>&1 || { echo "not ok - install debhelper"; exit 1; }
fi

topo_create 1
deb_installed=0
deb_cleanup() {
	(( deb_installed )) && dpkg --purge wgate >/dev/null 2>&1
	deb_installed=0
}
trap 'rc=$?; deb_cleanup; (exit $rc); e2e_exit' EXIT

# 1. Build in a copy of the tree (tracked and untracked-but-not-ignored files).
ver=$(dpkg-parsechangelog -l "$REPO_DIR/debian/changelog" -S Version)
src=$E2E_WORK/deb/wgate-$ver
mkdir -p "$src"
if git -C "$REPO_DIR" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$REPO_DIR" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$src" -xf -
else
	tar -C "$REPO_DIR" --exclude=./build --exclude='./build-*' --exclude=./tests/e2e/.work -cf - . | tar -C "$src" -xf -
fi
before=$(cd "$REPO_DIR" && ls -a debian)
start=$SECONDS
(cd "$src" && DEB_BUILD_OPTIONS="nocheck noautodbgsym parallel=$(nproc)" dpkg-buildpackage -us -uc -b) \
	>"$E2E_WORK/deb/build.log" 2>&1
rc=$?
deb=$E2E_WORK/deb/wgate_${ver}_$(dpkg --print-architecture).deb
if (( rc == 0 )) && [[ -f $deb ]]; then
	pass "dpkg-buildpackage -us -uc -b builds $(basename "$deb") ($((SECONDS - start)) s)"
else
	bail "dpkg-buildpackage -us -uc -b builds the .deb (exit $rc)" "$(tail -n 30 "$E2E_WORK/deb/build.log")"
fi
check_eq "the build left the repository's debian/ as it was" "$(cd "$REPO_DIR" && ls -a debian)" "$before"
contents=$(dpkg-deb -c "$deb")
missing=()
for f in ./usr/bin/wgate ./usr/bin/wgatectl ./usr/sbin/wgate-setup-host \
	./lib/systemd/system/wgate.service ./lib/systemd/system/wgate@.service \
	./usr/share/man/man8/wgate.8.gz ./usr/share/man/man8/wgatectl.8.gz \
	./usr/share/man/man5/wgate.conf.5.gz ./usr/share/doc/wgate/examples/wgate.conf \
	./usr/share/doc/wgate/copyright; do
	grep -q " $f\$" <<<"$contents" || missing+=("$f")
done
check_eq "the .deb holds binaries, units, man pages, setup tool, example" "${missing[*]}" ""
check "the .deb holds no /etc/wgate/wgate.conf (nothing starts unconfigured)" \
	bash -c "! grep -q 'etc/wgate/wgate.conf' <<<\"\$1\"" _ "$contents"

# 2. Install it here (its dependencies are the ones tests/packages.txt installs).
[[ -e /etc/wgate/wgate.conf ]] && bail "/etc/wgate/wgate.conf exists here: the no-start check needs it absent"
out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$deb" 2>&1)
rc=$?
deb_installed=1
(( rc == 0 )) && pass "apt-get install the .deb" || bail "apt-get install the .deb" "$out"
check_eq "installed wgate --version" "$(/usr/bin/wgate --version 2>&1)" "wgate ${ver%%-*}"
check_eq "installed wgatectl --version" "$(/usr/bin/wgatectl --version 2>&1)" "wgatectl ${ver%%-*}"
check "the unit files are installed" test -f /lib/systemd/system/wgate.service -a -f /lib/systemd/system/wgate@.service
check_eq "wgate.service is enabled (starts at boot once configured)" \
	"$(systemctl --root=/ is-enabled wgate.service 2>&1)" enabled
check "systemd-analyze verify on the installed units: clean" \
	bash -c 'out=$(cd /tmp && systemd-analyze verify /lib/systemd/system/wgate.service 2>&1) && [[ -z $out ]] || { echo "$out"; exit 1; }'
check "man finds the installed pages" bash -c 'man -w wgate && man -w 5 wgate.conf && man -w wgatectl'
# (Other gateways may run here, from build trees: only /usr/bin/wgate counts.)
installed_running() {
	local p
	for p in /proc/[0-9]*; do
		[[ $(readlink "$p/exe" 2>/dev/null) == /usr/bin/wgate ]] && { echo "running: ${p#/proc/}"; return 0; }
	done
	return 1
}
check "no gateway was started on this unconfigured machine" bash -c "$(declare -f installed_running); ! installed_running"
check "the installed setup tool plans from the example config" \
	bash -c '/usr/sbin/wgate-setup-host -c /usr/share/doc/wgate/examples/wgate.conf | grep -q "^Ports:"'

# 3. The installed binaries run a tunnel (DPDK's PMDs from the system), started
# as the unit starts them as far as this machine (no systemd as PID 1) allows:
# the unit's capability bounding set, no-new-privileges, LimitMEMLOCK, its
# Environment= with %d as a credentials directory holding the key, and its
# notify socket. The config gw_start writes gets a wrong inline key: the
# tunnel works only if wgate took the credential.
unit=/lib/systemd/system/wgate.service
creds=$E2E_WORK/credentials
mkdir -p "$creds" && chmod 700 "$creds"
cp "$E2E_WORK/gw.key" "$creds/private.key"
e2e_genkey "$E2E_WORK/gw.key"		# the config's inline key: not the gateway's
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit" | tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd,)
mapfile -t unit_env < <(sed -n 's/^Environment=//p' "$unit" | grep -v '^WGATE_CONFIG=' | sed "s|%d|$creds|g")
grep -q '^NoNewPrivileges=yes' "$unit" && grep -q '^LimitMEMLOCK=infinity' "$unit" ||
	fail "the unit sets NoNewPrivileges=yes and LimitMEMLOCK=infinity"
{
	echo '#!/bin/bash'
	echo 'ulimit -l unlimited'
	printf 'exec env CREDENTIALS_DIRECTORY=%q' "$creds"
	printf ' %q' "${unit_env[@]}"
	printf ' setpriv --bounding-set=-all,%s --no-new-privs /usr/bin/wgate "$@"\n' "$caps"
} >"$E2E_WORK/as-unit"
chmod +x "$E2E_WORK/as-unit"
e2e_note "started as: $(tail -1 "$E2E_WORK/as-unit")"
e2e_spawn sdnotify "$E2E_WORK/notify.log" "$NS_GW" "$PYTHON" "$E2E_DIR/sdnotify_listen.py" \
	"$E2E_WORK/notify.sock" "$E2E_WORK/notify" 60
wait_until 5 grep -qx ready "$E2E_WORK/notify.log" || bail "notify listener starts"
WGATE_BIN=$E2E_WORK/as-unit
WGATECTL_BIN=/usr/bin/wgatectl
client_keys 0
NOTIFY_SOCKET=$E2E_WORK/notify.sock WATCHDOG_USEC=1000000 gw_start
check_eq "the installed wgate runs bounded by the unit's capabilities (CapBnd)" \
	"$(grep '^CapBnd' "/proc/$GW_PID/status")" \
	"$(setpriv --bounding-set="-all,$caps" grep '^CapBnd' /proc/self/status)"
check_within 5 "it sends READY=1 to the notify socket" grep -q " $GW_PID READY=1" "$E2E_WORK/notify"
client_up 0
check_within 10 "ping through the installed wgate (so it took the key from the credential)" \
	in_client 0 ping -c 1 -W 1 "$RES4"
check "curl through the installed wgate" client_get_ok 0 "$URL4/"
if gw_stop 2>"$E2E_WORK/stop.err"; then pass "installed wgate stops cleanly"; else
	fail "installed wgate stops cleanly" "$(cat "$E2E_WORK/stop.err")"; fi

# 4. Purge takes it all away.
out=$(dpkg --purge wgate 2>&1)
rc=$?
deb_installed=0
(( rc == 0 )) && pass "dpkg --purge wgate" || fail "dpkg --purge wgate" "$out"
left=()
for f in /usr/bin/wgate /usr/bin/wgatectl /usr/sbin/wgate-setup-host /lib/systemd/system/wgate.service \
	/etc/wgate /var/lib/wgate /usr/share/man/man8/wgate.8.gz; do
	[[ -e $f ]] && left+=("$f")
done
check_eq "purge leaves nothing behind" "${left[*]}" ""
check_eq "purge disables the unit" "$(systemctl --root=/ is-enabled wgate.service 2>&1 | head -1)" \
	"Failed to get unit file state for wgate.service: No such file or directory"
