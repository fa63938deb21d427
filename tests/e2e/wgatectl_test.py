#!/usr/bin/env python3
"""wgatectl against a fake telemetry server (fake_telemetry.py).

usage: wgatectl_test.py PATH/TO/wgatectl
Runs without root, hugepages or a gateway (meson suite 'fast').
Prints TAP-like lines; exits 1 if any check failed.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import K1, K2, WGATECTL, check, summary  # noqa: E402
from fake_telemetry import (FakeTelemetry, LONG_DNS, access_replies, default_replies,  # noqa: E402
                            peer_replies, resource_replies, sample_peers, sample_resources)


def run(*args):
    p = subprocess.run([WGATECTL, *args], capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout, p.stderr


def resources_and_access(sock, srv):
    """resources and access against the default fake gateway."""
    rc, out, err = run("--socket", sock, "resources")
    lines = out.splitlines()
    want = ["resource: web", "  kind: cidr", "  address: 10.0.0.0/24",
            "  filters: tcp/80, tcp/8000-8100", "  grants: 2",
            "resource: wiki", "  kind: dns", "  address: " + LONG_DNS,
            "  filters: tcp/443, icmp", "  grants: 1",
            "resource: net", "  kind: internet", "  address: internet",
            "  filters: (all traffic)", "  grants: 0"]
    check(rc == 0 and [ln for ln in lines if ln] == want, "resources: wg-show-like text",
          f"rc={rc}\n{out}{err}")
    check(srv.commands[-5:] == ["/wgate/resources", "/wgate/resources,3", "/wgate/resource,web",
                                "/wgate/resource,wiki", "/wgate/resource,net"],
          "resources: lists the names page by page, then asks for each", srv.commands[-5:])
    rc, out, _ = run("--socket", sock, "--json", "resources")
    want = [dict(r, address=LONG_DNS if r["name"] == "wiki" else r["address"])
            for r in sample_resources()]
    check(rc == 0 and json.loads(out) == want,
          "resources --json: objects with name, the address in one piece", out)

    rc, out, err = run("--socket", sock, "access")
    lines = out.splitlines()
    want = ["peer" + " " * 42 + "resource  expires",
            f"{K1}  web       2030-01-01T00:00:00Z",
            f"{K1}  wiki      never",
            f"{K2}  web       2020-01-01T00:00:00Z (expired)"]
    check(rc == 0 and lines == want, "access: a table of peer, resource, expiry",
          f"rc={rc}\n{out}{err}")
    check(srv.commands[-2:] == ["/wgate/access", "/wgate/access,3"],
          "access: /wgate/access page by page", srv.commands[-2:])
    rc, out, _ = run("--socket", sock, "--json", "access")
    check(rc == 0 and json.loads(out) == [
        {"public_key": K1, "resource": "web", "expires_at": 1893456000, "expired": False},
        {"public_key": K1, "resource": "wiki", "expires_at": None, "expired": False},
        {"public_key": K2, "resource": "web", "expires_at": 1577836800, "expired": True}],
        "access --json", out)
    rc, out, _ = run("--socket", sock, "access", K2)
    check(rc == 0 and out.splitlines()[1:] == [f"{K2}  web       2020-01-01T00:00:00Z (expired)"]
          and srv.commands[-2:] == [f"/wgate/access,{K2}", f"/wgate/access,{K2},1"],
          "access KEY: that peer's grants (/wgate/access,KEY)", f"{out}{srv.commands[-2:]}")
    rc, _, err = run("--socket", sock, "access", "nokey")
    check(rc == 64 and "KEY" in err, "access with a bad KEY: exit 64", f"rc={rc} {err}")


def flags(sock):
    """wgatectl flags: /wgate/flags, then /wgate/flag,NAME for a payload."""
    listing = ["icmp-errors-on-deny on remote no", "dns-ttl-resolution off default no",
               "stream-logs on remote yes", "enobufs-as-would-block off fetch-failed no",
               "fetch 12 3 HTTP status 500"]
    one = {"stream-logs": {"name": "stream-logs", "value": 1, "source": "remote",
                           "payload_present": 1, "payload": '"info,flags=debug"',
                           "payload_truncated": 0}}
    srv = FakeTelemetry(sock, {"/wgate/flags": listing,
                               "/wgate/flag": lambda name: one.get(name)}).start()
    try:
        rc, out, err = run("--socket", sock, "flags")
        rows = [ln.split() for ln in out.splitlines()]
        check(rc == 0 and rows[0] == ["flag", "value", "source", "payload"]
              and ["icmp-errors-on-deny", "on", "remote", "-"] in rows
              and ["stream-logs", "on", "remote", '"info,flags=debug"'] in rows
              and ["enobufs-as-would-block", "off", "fetch-failed", "-"] in rows
              and "fetches: 12 ok, 3 failed; last error: HTTP status 500" in out,
              "flags: a table of value, source, payload, then the fetches", f"rc={rc}\n{out}{err}")
        check(srv.commands[-2:] == ["/wgate/flags", "/wgate/flag,stream-logs"],
              "flags: asks for the payload of the flag that has one", srv.commands)
        rc, out, _ = run("--socket", sock, "--json", "flags")
        v = json.loads(out) if rc == 0 else {}
        check(v.get("flags", [])[:3] == [
            {"name": "icmp-errors-on-deny", "value": True, "source": "remote", "payload": None},
            {"name": "dns-ttl-resolution", "value": False, "source": "default", "payload": None},
            {"name": "stream-logs", "value": True, "source": "remote",
             "payload": '"info,flags=debug"'}]
              and v.get("fetch") == {"ok": 12, "failed": 3, "last_error": "HTTP status 500"},
              "flags --json: flags with value, source, payload; fetch", out)
    finally:
        srv.stop()
    srv = FakeTelemetry(sock, {"/wgate/flags": ["icmp-errors-on-deny on env no"]}).start()
    try:
        rc, out, _ = run("--socket", sock, "flags")
        check(rc == 0 and "fetches: none" in out, "flags without fetching: says so", out)
        rc, out, _ = run("--socket", sock, "--json", "flags")
        check(rc == 0 and json.loads(out)["fetch"] is None, "flags --json: fetch null", out)
    finally:
        srv.stop()
    srv = FakeTelemetry(sock, {"/wgate/flags": [42]}).start()
    try:
        rc, _, err = run("--socket", sock, "flags")
        check(rc == 1 and "unexpected reply" in err, "flags: a malformed reply is exit 1", err)
    finally:
        srv.stop()


def paging_resources_access(sock):
    """Long lists over several pages; nothing; a resource gone meanwhile."""
    many_res = [dict(sample_resources()[0], name=f"r{i:03d}") for i in range(450)]
    many_acc = [(K1, f"r{i:03d}", 0) for i in range(250)]
    replies = dict(resource_replies(many_res), **access_replies(many_acc))
    srv = FakeTelemetry(sock, replies).start()
    try:
        rc, out, _ = run("--socket", sock, "--json", "resources")
        got = [r["name"] for r in json.loads(out)] if rc == 0 else None
        check(got == [r["name"] for r in many_res], "resources: 450 over 3 pages",
              f"rc={rc} {got and len(got)}")
        rc, out, _ = run("--socket", sock, "--json", "access")
        got = [g["resource"] for g in json.loads(out)] if rc == 0 else None
        check(got == [r for _, r, _ in many_acc], "access: 250 grants over 3 pages",
              f"rc={rc} {got and len(got)}")
        rc, out, _ = run("--socket", sock, "--json", "access", K1)
        got = [g["resource"] for g in json.loads(out)] if rc == 0 else None
        check(got == [r for _, r, _ in many_acc] and srv.commands[-1] == f"/wgate/access,{K1},250",
              "access KEY: 250 grants over 3 pages", f"rc={rc} {srv.commands[-1]}")
    finally:
        srv.stop()

    replies = dict(resource_replies([]), **access_replies([]))
    srv = FakeTelemetry(sock, replies).start()
    try:
        rc, out, _ = run("--socket", sock, "resources")
        check(rc == 0 and out.strip() == "no resources", "resources: none", out)
        rc, out, _ = run("--socket", sock, "access")
        check(rc == 0 and out.strip() == "no grants", "access: none", out)
    finally:
        srv.stop()

    replies = resource_replies(sample_resources())
    replies["/wgate/resource"] = lambda n: None if n == "web" else sample_resources()[2]
    replies["/wgate/access"] = lambda params: ["malformed"]
    srv = FakeTelemetry(sock, replies).start()
    try:
        rc, out, _ = run("--socket", sock, "resources")
        check(rc == 0 and "resource: web" not in out and "  kind: internet" in out,
              "resources: one gone meanwhile is skipped", out)
        rc, out, err = run("--socket", sock, "access")
        check(rc == 1 and "malformed" in err, "access: a malformed item: exit 1", f"rc={rc} {err}")
    finally:
        srv.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="wgatectl-test-")
    sock = os.path.join(tmp, "dpdk_telemetry.v2")
    now = int(time.time())

    # Nobody listening: exit 2 and a message that names the socket.
    rc, out, err = run("--socket", sock, "status")
    check(rc == 2 and "cannot reach" in err and sock in err,
          "unreachable socket: exit 2 with a clear message", f"rc={rc} err={err}")
    rc, out, err = run("--prefix", "no-such-gw", "status")
    check(rc == 2 and "/var/run/dpdk/no-such-gw/dpdk_telemetry.v2" in err,
          "--prefix picks /var/run/dpdk/NAME/dpdk_telemetry.v2", f"rc={rc} err={err}")

    # Usage errors.
    rc, _, err = run("--socket", sock, "frobnicate")
    check(rc == 64, "unknown command: exit 64", f"rc={rc} err={err}")
    rc, _, _ = run()
    check(rc == 64, "no command: exit 64", f"rc={rc}")
    rc, out, _ = run("--help")
    check(rc == 0 and "usage:" in out, "--help: usage on stdout, exit 0")

    srv = FakeTelemetry(sock, default_replies(now=now)).start()
    try:
        rc, out, err = run("--socket", sock, "status")
        check(rc == 0 and "ready" in out and "NOT" not in out and "0.1.0" in out,
              "status of a ready gateway: exit 0", f"rc={rc} out={out} err={err}")
        check(srv.commands[-1] == "/wgate/status", "status sends /wgate/status",
              srv.commands)

        rc, out, err = run("--socket", sock, "--json", "status")
        check(rc == 0 and json.loads(out)["workers"] == 1,
              "status --json prints the reply object", f"rc={rc} out={out}")

        rc, out, err = run("--socket", sock, "peers")
        want = ["peer: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
                "  endpoint: 192.0.2.10:51000",
                "  allowed ips: 100.64.0.2/32, fd00:2021:1111::2/128",
                "  transfer: 1.50 KiB received, 2.00 MiB sent",
                "peer: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",
                "  endpoint: (none)",
                "  latest handshake: (never)",
                "  transfer: 0 B received, 0 B sent"]
        missing = [w for w in want if w not in out.splitlines()]
        check(rc == 0 and not missing, "peers: wg-show-like text",
              f"rc={rc} missing={missing}\n{out}{err}")
        # 65 s ago, give or take the second that may tick during the test.
        check("  latest handshake: 1 minute, 5 seconds ago" in out.splitlines()
              or "  latest handshake: 1 minute, 6 seconds ago" in out.splitlines(),
              "peers: latest handshake as 'N minute, N seconds ago'", out)

        check(srv.commands[-3:] == ["/wgate/peers",
                                    "/wgate/peer,xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
                                    "/wgate/peer,TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="]
              or srv.commands[-4:-1] == ["/wgate/peers",
                                         "/wgate/peer,xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
                                         "/wgate/peer,TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0="],
              "peers: lists the keys, then asks for each peer", srv.commands)

        rc, out, _ = run("--socket", sock, "--json", "peers")
        check(rc == 0 and json.loads(out) == sample_peers(now),
              "peers --json: an array of the peer objects", out)

        rc, out, _ = run("--socket", sock, "counters")
        names = [line.split()[0] for line in out.splitlines()]
        check(rc == 0 and "rx_packets" in names and "drop_no_session" not in names
              and "endpoint_roamed" not in names,
              "counters: nonzero only, by default", out)
        check(any(line.split() == ["data_decrypted", "7"] for line in out.splitlines()),
              "counters: name and value on one row", out)
        rc, out, _ = run("--socket", sock, "counters", "--all")
        names = [line.split()[0] for line in out.splitlines()]
        check(rc == 0 and "drop_no_session" in names and len(names) == 6,
              "counters --all: every counter", out)
        rc, out, _ = run("--socket", sock, "--json", "counters")
        check(rc == 0 and json.loads(out)["handshake_completed"] == 1,
              "counters --json", out)

        rc, out, err = run("--socket", sock, "raw", "/wgate/nothing")
        check(rc == 1 and "does not know" in err,
              "unknown telemetry command: exit 1", f"rc={rc} err={err}")
        rc, out, _ = run("--socket", sock, "raw", "/")
        check(rc == 0 and "/wgate/peers" in json.loads(out), "raw /: the command list", out)

        resources_and_access(sock, srv)
    finally:
        srv.stop()

    # A gateway that is up but not ready yet.
    srv = FakeTelemetry(sock, default_replies(now=now, ready=False)).start()
    try:
        rc, out, _ = run("--socket", sock, "status")
        check(rc == 1 and "NOT READY" in out, "status of a gateway not ready: exit 1",
              f"rc={rc} out={out}")
        rc, out, _ = run("--socket", sock, "--json", "status")
        check(rc == 1, "status --json of a gateway not ready: exit 1", f"rc={rc}")
    finally:
        srv.stop()

    # No peers / all counters zero.
    empty = {"/wgate/peers": [], "/wgate/counters": {"rx_packets": 0}}
    srv = FakeTelemetry(sock, empty).start()
    try:
        rc, out, _ = run("--socket", sock, "peers")
        check(rc == 0 and out.strip() == "no peers", "peers: none", out)
        rc, out, _ = run("--socket", sock, "counters")
        check(rc == 0 and "zero" in out, "counters: all zero", out)
    finally:
        srv.stop()

    # Paging: 600 peers, served 256 keys a page; a server that ignores the
    # offset (sends the first page again) must not make wgatectl loop.
    many = [dict(sample_peers(now)[0], public_key=f"key{i:04d}") for i in range(600)]
    for what, replies in (("600 peers over 3 pages", peer_replies(many, page=256)),
                          ("a server that ignores OFFSET", peer_replies(many[:5], page=5))):
        if what.startswith("a server"):
            replies["/wgate/peers"] = lambda params: [f"key{i:04d}" for i in range(5)]
        srv = FakeTelemetry(sock, replies).start()
        try:
            rc, out, _ = run("--socket", sock, "--json", "peers")
            got = [p["public_key"] for p in json.loads(out)] if rc == 0 else None
            want = [p["public_key"] for p in (many if what.startswith("600") else many[:5])]
            check(got == want, f"peers: {what}", f"rc={rc}, got {got and len(got)} peers")
        finally:
            srv.stop()

    # A peer removed between the listing and its detail is left out.
    replies = peer_replies(sample_peers(now))
    replies["/wgate/peer"] = lambda key: None if key.startswith("xTIB") else sample_peers(now)[1]
    srv = FakeTelemetry(sock, replies).start()
    try:
        rc, out, _ = run("--socket", sock, "peers")
        check(rc == 0 and "xTIB" not in out and "TrMv" in out,
              "peers: a peer gone meanwhile is skipped", f"rc={rc}\n{out}")
    finally:
        srv.stop()

    # Other servers may send the peers in one reply: a list of peer objects,
    # or one object keyed by public key or by anything with "public_key".
    peers = sample_peers(now)
    by_key = {p["public_key"]: {k: v for k, v in p.items() if k != "public_key"}
              for p in peers}
    by_name = {f"peer{i}": p for i, p in enumerate(peers)}
    for shape, value in (("list of peer objects", peers),
                         ("dict keyed by public key", by_key),
                         ("dict with public_key", by_name)):
        srv = FakeTelemetry(sock, {"/wgate/peers": value}).start()
        try:
            rc, out, _ = run("--socket", sock, "peers")
            lines = out.splitlines()
            check(rc == 0 and "peer: xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" in lines
                  and "  endpoint: 192.0.2.10:51000" in lines
                  and "peer: TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=" in lines,
                  f"peers as {shape}", out)
        finally:
            srv.stop()

    paging_resources_access(sock)
    flags(sock)

    # DPDK closes new connections at once when it has too many clients.
    srv = FakeTelemetry(sock, {}, close_at_once=True).start()
    try:
        rc, _, err = run("--socket", sock, "status")
        check(rc == 2, "server closes at once: exit 2", f"rc={rc} err={err}")
    finally:
        srv.stop()
    os.rmdir(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
