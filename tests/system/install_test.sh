#!/bin/bash
# meson install into a DESTDIR lays out the binaries, the setup tool, the
# systemd units, the man pages and the config example; each man page renders
# with man -l; systemd-analyze verify passes on both units (with their
# ExecStart= pointed into the DESTDIR and MANPATH at its man pages, so the
# check covers what was installed, not what the host has).
#   install_test.sh BUILD_DIR
set -u
build=$(cd "${1:?usage: install_test.sh BUILD_DIR}" && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
pass=0 fail=0
ok() { echo "ok - $*"; pass=$((pass + 1)); }
nok() { echo "not ok - $1"; shift; printf '%s\n' "$@" | tail -n 30 | sed 's/^/#   /'; fail=$((fail + 1)); }

prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
if out=$(DESTDIR=$dest meson install -C "$build" --no-rebuild --quiet 2>&1); then
	ok "meson install into a DESTDIR"
else
	nok "meson install into a DESTDIR" "$out"
fi
root=$dest$prefix
unitdir=$(dirname "$(find "$dest" -name wgate.service | head -1)")
for f in bin/wgate bin/wgatectl sbin/wgate-setup-host share/man/man8/wgate.8 \
	share/man/man8/wgatectl.8 share/man/man5/wgate.conf.5 share/doc/wgate/examples/wgate.conf; do
	if [[ -f $root/$f ]]; then ok "installed $prefix/$f"; else nok "installed $prefix/$f" "$(cd "$dest" && find . -type f)"; fi
done
for f in wgate.service wgate@.service; do
	if [[ -f $unitdir/$f ]]; then ok "installed unit ${unitdir#"$dest"}/$f"; else nok "installed unit $f" "$(cd "$dest" && find . -type f)"; fi
done
for f in bin/wgate bin/wgatectl sbin/wgate-setup-host; do
	[[ -x $root/$f ]] && ok "$f is executable" || nok "$f is executable"
done
v=$("$root/bin/wgate" --version 2>&1)
[[ $v =~ ^wgate\ [0-9]+\.[0-9]+ ]] && ok "installed wgate --version: $v" || nok "installed wgate --version" "$v"
grep -q "^ExecStart=$prefix/bin/wgate\$" "$unitdir/wgate.service" &&
	ok "the unit's ExecStart= names the installed binary ($prefix/bin/wgate)" ||
	nok "the unit's ExecStart= names the installed binary" "$(grep Exec "$unitdir/wgate.service")"

# Man pages: render without groff warnings, with their sections.
for p in man8/wgate.8 man8/wgatectl.8 man5/wgate.conf.5; do
	page=$root/share/man/$p
	out=$(MANWIDTH=80 LC_ALL=C.UTF-8 man --warnings -l "$page" 2>"$dest/man.err")
	name=$(basename "$page"); name=${name%.*}
	if [[ ! -s $dest/man.err && $out == *NAME* && $out == *"$name -"* && $out == *"SEE ALSO"* ]]; then
		ok "man -l renders $p ($(wc -l <<<"$out") lines, no warnings)"
	else
		nok "man -l renders $p" "$(cat "$dest/man.err")" "$(head -20 <<<"$out")"
	fi
done
out=$(MANWIDTH=80 man -l "$root/share/man/man5/wgate.conf.5" 2>&1)
missing=()
for k in PrivateKeyFile ListenPort Address MTU Lcores Memory Crypto IdlePoll EalArgs Device \
	Gateway Routes Masquerade Redis GatewayId PublicKey PresharedKeyFile AllowedIPs Endpoint \
	PersistentKeepalive Filters Peer Resource Expires; do
	[[ $out == *"$k"* ]] || missing+=("$k")
done
(( ${#missing[@]} == 0 )) && ok "wgate.conf(5) documents every key" ||
	nok "wgate.conf(5) documents every key" "missing: ${missing[*]}"

# The unit hands the key over as a credential: with its Environment= lines
# (%d = the credentials directory) the installed wgate reads the key there.
creds=$dest/creds
mkdir -p "$creds"
(umask 077; echo "8PARTpnOIVkUDZrLx8/5rmagd3go6BDNKUcpMm33NUA=" >"$creds/private.key")
envs=()
while IFS= read -r l; do envs+=("${l//%d/$creds}"); done < <(sed -n 's/^Environment=//p' "$unitdir/wgate.service")
conf=$root/share/doc/wgate/examples/wgate.conf
out=$(env "${envs[@]/WGATE_CONFIG=*/WGATE_CONFIG=$conf}" CREDENTIALS_DIRECTORY="$creds" "$root/bin/wgate" --check 2>&1)
[[ $? == 0 && $out == *OK* ]] && ok "the unit's environment + credential: wgate --check passes ($out)" ||
	nok "the unit's environment + credential: wgate --check passes" "${envs[*]}" "$out"
rm "$creds/private.key"
out=$(env "${envs[@]/WGATE_CONFIG=*/WGATE_CONFIG=$conf}" "$root/bin/wgate" --check 2>&1)
[[ $? == 1 && $out == *"$creds/private.key"* ]] &&
	ok "a missing credential is named: $out" || nok "a missing credential is named" "$out"
out=$(MANWIDTH=80 man -l "$root/share/man/man8/wgatectl.8" 2>&1)
[[ $out == *"top"*"--once"* ]] && ok "wgatectl(8) documents top" || nok "wgatectl(8) documents top"

# systemd-analyze verify on the installed units.
if ! command -v systemd-analyze >/dev/null; then
	nok "systemd-analyze is installed (tests/packages.txt: systemd)"
else
	mkdir -p "$dest/verify"
	for u in wgate.service wgate@.service; do
		inst=$u
		[[ $u == *@* ]] && inst=wgate@gw1.service
		sed -e "s|$prefix/bin/wgate|$root/bin/wgate|g" "$unitdir/$u" >"$dest/verify/$inst"
		if out=$(cd "$dest/verify" && MANPATH=$root/share/man systemd-analyze verify "$dest/verify/$inst" 2>&1) &&
			[[ -z $out ]]; then
			ok "systemd-analyze verify $u: clean"
		else
			nok "systemd-analyze verify $u: clean" "$out"
		fi
	done
	# The verify does catch faults: a unit with a typo'd key fails it.
	sed -e 's/^WatchdogSec=/WatchdogSecs=/' "$dest/verify/wgate.service" >"$dest/verify/bad.service"
	out=$(cd "$dest/verify" && MANPATH=$root/share/man systemd-analyze verify "$dest/verify/bad.service" 2>&1)
	[[ $out == *WatchdogSecs* ]] && ok "systemd-analyze verify flags a broken unit (the check can fail)" ||
		nok "systemd-analyze verify flags a broken unit" "$out"
fi
echo "# $pass passed, $fail failed"
(( fail == 0 ))
