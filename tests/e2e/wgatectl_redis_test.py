#!/usr/bin/env python3
"""wgatectl's change commands against a real redis-server (no gateway).

usage: wgatectl_redis_test.py PATH/TO/wgatectl
Starts redis-server on a free loopback port in a temp dir, runs each change
command and checks the hashes and the stream entries' JSON exactly (README,
"Signaling over Redis"). Runs without root (meson suite 'fast'); exits 77
(skip) when redis-server is not installed. TAP-like lines; exit 1 on failure.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import K1, K2, WGATECTL, check, summary  # noqa: E402

G = "5f3c1e0a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e"
K3 = "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw="
PSK = "FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="
KEYS = {k: f"wgate:{{{G}}}:{k}" for k in ("clients", "resources", "grants", "events", "replies")}


class Resp:
    """Just enough of a Redis client (RESP2) for the checks."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.sock.makefile("rb")

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            a = a if isinstance(a, bytes) else str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._read()

    def _read(self):
        line = self.f.readline()[:-2]
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)[:-2]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read() for _ in range(n)]
        raise RuntimeError(f"bad reply {line!r}")

    def close(self):
        self.f.close()
        self.sock.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(tmp, extra=()):
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", tmp, *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            r = Resp(port)
            r("PING")
            return proc, port, r
        except (OSError, RuntimeError):
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


BASE_ENV = {k: v for k, v in os.environ.items()
            if not k.startswith("WGATE_")}


def run(*args, env=None):
    t0 = time.monotonic()
    p = subprocess.run([WGATECTL, *args], capture_output=True, text=True, timeout=30,
                       env=dict(BASE_ENV, **(env or {})))
    return p.returncode, p.stdout, p.stderr, time.monotonic() - t0


def hash_json(r, name):
    flat = r("HGETALL", KEYS[name])
    return {flat[i]: json.loads(flat[i + 1]) for i in range(0, len(flat), 2)}


def events(r, after="-"):
    """The stream's entries after id `after`, as (id, message dict)."""
    out = []
    for eid, fields in r("XRANGE", KEYS["events"], after if after == "-" else "(" + after, "+"):
        check(fields[0] == "msg" and len(fields) == 2, f"event {eid}: one field, msg", fields)
        out.append((eid, json.loads(fields[1])))
    return out


def last_id(r):
    e = r("XREVRANGE", KEYS["events"], "+", "-", "COUNT", "1")
    return e[0][0] if e else "0-0"


def main():
    if not shutil.which("redis-server"):
        print("1..0 # SKIP redis-server is not installed")
        return 77
    tmp = tempfile.mkdtemp(prefix="wgatectl-redis-")
    proc, port, r = start_redis(tmp)
    url = f"redis://127.0.0.1:{port}/0"
    R = ["--redis", url, "--gateway-id", G]
    psk_file = os.path.join(tmp, "psk")
    with open(psk_file, "w") as f:
        f.write(PSK + "\n")
    try:
        tests(r, port, url, R, tmp, psk_file)
    finally:
        r.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


def tests(r, port, url, R, tmp, psk_file):
    # ---- peer add ----
    rc, out, err, _ = run("peer", "add", K1, "--allowed-ips",
                          "100.64.0.2/32, fd00:2021:1111::2/128, 10.9.0.0/24", "--psk", psk_file, *R)
    client1 = {"id": K1, "public_key": K1, "preshared_key": PSK, "ipv4": "100.64.0.2",
               "ipv6": "fd00:2021:1111::2",
               "allowed_ips": ["100.64.0.2/32", "fd00:2021:1111::2/128", "10.9.0.0/24"]}
    check(rc == 0 and K1 in out, "peer add: exit 0", f"rc={rc} out={out} err={err}")
    check(PSK not in out + err, "peer add: the preshared key is never printed", out + err)
    check(hash_json(r, "clients") == {K1: client1}, "peer add: the clients hash holds the client",
          hash_json(r, "clients"))
    ev = events(r)
    check([m for _, m in ev] == [{"event": "client_updated", "payload": {"client": client1}}],
          "peer add: client_updated on the stream", ev)
    check(ev and ev[0][0] in out, "peer add: prints the event id", out)

    # A peer with only a network: no tunnel addresses.
    mark = last_id(r)
    rc, out, err, _ = run("peer", "add", K2, "--allowed-ips", "100.64.1.0/24", *R)
    client2 = {"id": K2, "public_key": K2, "allowed_ips": ["100.64.1.0/24"]}
    check(rc == 0 and hash_json(r, "clients").get(K2) == client2,
          "peer add: no /32 or /128, no ipv4/ipv6", f"rc={rc} err={err} {hash_json(r, 'clients')}")
    check([m for _, m in events(r, mark)] ==
          [{"event": "client_updated", "payload": {"client": client2}}],
          "peer add: its client_updated", events(r, mark))

    # ---- resource add ----
    mark = last_id(r)
    web = {"type": "cidr", "id": "web", "address": "10.0.0.0/24", "name": "web",
           "filters": [{"protocol": "tcp", "port_range_start": 80, "port_range_end": 80},
                       {"protocol": "tcp", "port_range_start": 8000, "port_range_end": 8100},
                       {"protocol": "udp", "port_range_start": 53, "port_range_end": 53},
                       {"protocol": "icmp"}, {"protocol": "udp"}]}
    rc, out, err, _ = run("resource", "add", "web", "--address", "10.0.0.0/24", "--filters",
                          "tcp/80, tcp/8000-8100, udp/53, icmp, udp", *R)
    check(rc == 0, "resource add cidr: exit 0", f"rc={rc} err={err}")
    host = {"type": "cidr", "id": "db.1", "address": "10.0.1.5/32", "name": "db.1", "filters": []}
    rc2, _, err2, _ = run("resource", "add", "db.1", "--address", "10.0.1.5", *R)
    wild = {"type": "dns", "id": "wiki", "address": "*.example.com", "name": "wiki",
            "filters": [{"protocol": "tcp", "port_range_start": 443, "port_range_end": 443}]}
    rc3, _, err3, _ = run("resource", "add", "wiki", "--address", "*.Example.COM",
                          "--filters", "tcp/443", *R)
    inet = {"type": "internet", "id": "net", "address": "internet", "name": "net", "filters": []}
    rc4, _, err4, _ = run("resource", "add", "net", "--address", "internet", *R)
    check((rc2, rc3, rc4) == (0, 0, 0), "resource add: an IP, a DNS wildcard, internet",
          f"{rc2} {err2} {rc3} {err3} {rc4} {err4}")
    want = {"web": web, "db.1": host, "wiki": wild, "net": inet}
    check(hash_json(r, "resources") == want, "resource add: the resources hash",
          hash_json(r, "resources"))
    check([m for _, m in events(r, mark)] ==
          [{"event": "resource_updated", "payload": {"resource": want[n]}}
           for n in ("web", "db.1", "wiki", "net")],
          "resource add: resource_updated events", events(r, mark))

    mark = last_id(r)
    rc, _, err, _ = run("resource", "add", "web", "--address", "web.example.com", *R)
    check(rc == 64 and "type" in err and last_id(r) == mark
          and hash_json(r, "resources")["web"] == web,
          "resource add: a type change is refused (exit 64), nothing written", f"rc={rc} {err}")
    web2 = dict(web, filters=[{"protocol": "tcp", "port_range_start": 443,
                               "port_range_end": 443}])
    rc, _, err, _ = run("resource", "add", "web", "--address", "10.0.0.0/24",
                        "--filters", "tcp/443", *R)
    check(rc == 0 and hash_json(r, "resources")["web"] == web2
          and [m for _, m in events(r, mark)] ==
          [{"event": "resource_updated", "payload": {"resource": web2}}],
          "resource add: new filters replace the old", f"rc={rc} {err}")

    # ---- allow ----
    mark = last_id(r)
    rc, out, err, _ = run("allow", K1, "web", "--until", "2030-01-01T00:00:00Z", "--no-wait", *R)
    check(rc == 0, "allow --no-wait: exit 0 at once", f"rc={rc} {out} {err}")
    g1 = {"client_id": K1, "resource_id": "web", "expires_at": 1893456000}
    check(hash_json(r, "grants") == {f"{K1} web": g1}, "allow: the grant in the grants hash",
          hash_json(r, "grants"))
    ev = events(r, mark)
    ok = len(ev) == 1 and ev[0][1]["event"] == "create_authorization"
    p = ev[0][1]["payload"] if ok else {}
    check(ok and re.fullmatch(r"[0-9a-f]{32}", p.get("ref", "")) and p.get("ref") in out,
          "allow: create_authorization with a random hex ref, printed", ev)
    check(ok and {k: v for k, v in p.items() if k != "ref"} ==
          {"client_id": K1, "resource_id": "web", "client": client1, "resource": web2,
           "expires_at": 1893456000},
          "allow: payload carries the Redis client and resource", p)

    # Ids of the config file only: no client/resource objects; --for.
    mark = last_id(r)
    t0 = int(time.time())
    rc, out, err, _ = run("allow", K3, "filesrv", "--for", "1h30m", "--no-wait", *R)
    ev = events(r, mark)
    p = ev[0][1]["payload"] if len(ev) == 1 else {}
    exp = p.get("expires_at") or 0
    check(rc == 0 and set(p) == {"ref", "client_id", "resource_id", "expires_at"}
          and p["client_id"] == K3 and p["resource_id"] == "filesrv"
          and t0 + 5400 <= exp <= int(time.time()) + 5400,
          "allow: ids absent from Redis go without objects; --for 1h30m", f"rc={rc} {err} {ev}")
    check(hash_json(r, "grants").get(f"{K3} filesrv") ==
          {"client_id": K3, "resource_id": "filesrv", "expires_at": exp},
          "allow: its grant", hash_json(r, "grants"))

    # No expiry: null.
    mark = last_id(r)
    rc, _, err, _ = run("allow", K2, "web", "--no-wait", *R)
    ev = events(r, mark)
    check(rc == 0 and hash_json(r, "grants").get(f"{K2} web") ==
          {"client_id": K2, "resource_id": "web", "expires_at": None}
          and len(ev) == 1 and ev[0][1]["payload"]["expires_at"] is None,
          "allow without --for/--until: expires_at null", f"rc={rc} {err} {ev}")

    # No gateway: written, not confirmed after ~2 s: exit 3.
    mark = last_id(r)
    rc, out, err, took = run("allow", K2, "wiki", *R)
    check(rc == 3 and "not confirmed" in err and 1.8 <= took < 5 and len(events(r, mark)) == 1
          and f"{K2} wiki" in hash_json(r, "grants"),
          "allow with no gateway: written, exit 3 after ~2 s", f"rc={rc} took={took:.2f} {err}")

    # A fake gateway answers on the replies stream (another ref first).
    def fake_gateway(start, first_wrong, answer):
        g = Resp(port)
        try:
            got = g("XREAD", "BLOCK", "5000", "STREAMS", KEYS["events"], start)
            msg = json.loads(got[0][1][0][1][1])
            ref = msg["payload"]["ref"]
            if first_wrong:
                g("XADD", KEYS["replies"], "*", "msg", json.dumps(
                    {"event": "authorization_created", "payload": {"ref": "0" * 32}}))
                time.sleep(0.2)
            if answer:
                g("XADD", KEYS["replies"], "*", "msg", json.dumps(
                    {"event": "authorization_created", "payload": {"ref": ref}}))
        finally:
            g.close()

    th = threading.Thread(target=fake_gateway, args=(last_id(r), True, True))
    th.start()
    rc, out, err, took = run("allow", K2, "db.1", "--for", "10m", *R)
    th.join()
    check(rc == 0 and "confirmed" in out and took < 1.8,
          "allow with a gateway answering its ref: exit 0", f"rc={rc} took={took:.2f} {out} {err}")
    th = threading.Thread(target=fake_gateway, args=(last_id(r), True, False))
    th.start()
    rc, out, err, took = run("allow", K2, "net", *R)
    th.join()
    check(rc == 3, "allow: another ref's confirmation does not count", f"rc={rc} {out} {err}")

    # ---- revoke ----
    # K2 holds web, wiki, db.1, net: revoking one keeps the client.
    mark = last_id(r)
    rc, out, err, _ = run("revoke", K2, "wiki", *R)
    check(rc == 0 and f"{K2} wiki" not in hash_json(r, "grants")
          and K2 in hash_json(r, "clients")
          and [m for _, m in events(r, mark)] ==
          [{"event": "reject_access", "payload": {"client_id": K2, "resource_id": "wiki"}}],
          "revoke: grant removed, reject_access, client with grants left stays",
          f"rc={rc} {err} {events(r, mark)}")
    for res in ("web", "db.1"):
        run("revoke", K2, res, *R)
    check(K2 in hash_json(r, "clients"), "revoke: client stays while it has a grant")
    mark = last_id(r)
    rc, out, err, _ = run("revoke", K2, "net", *R)
    check(rc == 0 and K2 not in hash_json(r, "clients")
          and not [f for f in hash_json(r, "grants") if f.startswith(K2)]
          and "no grant left" in out
          and [m for _, m in events(r, mark)] ==
          [{"event": "reject_access", "payload": {"client_id": K2, "resource_id": "net"}}],
          "revoke of the last grant removes the client from the hash",
          f"rc={rc} {out} {err} {hash_json(r, 'clients').keys()}")
    # A client of the config file (no Redis client): only the grant goes.
    rc, out, err, _ = run("revoke", K3, "filesrv", *R)
    check(rc == 0 and f"{K3} filesrv" not in hash_json(r, "grants")
          and "no grant left" not in out,
          "revoke: a file client's grant", f"rc={rc} {out} {err}")
    rc, out, err, _ = run("revoke", K3, "filesrv", *R)
    check(rc == 0 and "no such grant" in err, "revoke of no grant: written, with a note",
          f"rc={rc} {err}")

    # A Redis client with no grant yet: revoking nothing leaves it.
    run("peer", "add", K3, "--allowed-ips", "100.64.0.7/32", *R)
    rc, out, err, _ = run("revoke", K3, "web", *R)
    check(rc == 0 and K3 in hash_json(r, "clients") and "no grant left" not in out,
          "revoke of no grant keeps a Redis client not granted yet", f"rc={rc} {out} {err}")
    run("peer", "del", K3, *R)

    # ---- peer del / resource del ----
    for res in ("web", "wiki", "net"):
        run("allow", K1, res, "--no-wait", *R)
    run("peer", "add", K2, "--allowed-ips", "100.64.0.9/32", *R)
    run("allow", K2, "web", "--no-wait", *R)
    mark = last_id(r)
    rc, out, err, _ = run("resource", "del", "web", *R)
    grants = hash_json(r, "grants")
    check(rc == 0 and "web" not in hash_json(r, "resources")
          and not [f for f in grants if f.endswith(" web")]
          and f"{K1} wiki" in grants and "2 grants" in out
          and [m for _, m in events(r, mark)] ==
          [{"event": "resource_deleted", "payload": {"resource_id": "web"}}],
          "resource del: resource and its grants removed, resource_deleted",
          f"rc={rc} {out} {err} {grants}")
    mark = last_id(r)
    rc, out, err, _ = run("peer", "del", K1, *R)
    grants = hash_json(r, "grants")
    check(rc == 0 and K1 not in hash_json(r, "clients")
          and not [f for f in grants if f.startswith(K1)] and K2 in hash_json(r, "clients")
          and [m for _, m in events(r, mark)] ==
          [{"event": "client_deleted", "payload": {"client_id": K1}}],
          "peer del: client and its grants removed, client_deleted",
          f"rc={rc} {out} {err} {grants}")

    # ---- bad inputs: exit 64, nothing written ----
    mark = last_id(r)
    nofile = os.path.join(tmp, "no-such-psk")
    bad = [
        (["peer", "add", "notakey", "--allowed-ips", "100.64.0.2/32"], "KEY"),
        (["peer", "add", K1[:-2] + "==", "--allowed-ips", "100.64.0.2/32"], "KEY"),
        (["peer", "add", K1], "--allowed-ips"),
        (["peer", "add", K1, "--allowed-ips", "100.64.0.300/32"], "not a prefix"),
        (["peer", "add", K1, "--allowed-ips", "100.64.0.2/24"], "host bits"),
        (["peer", "add", K1, "--allowed-ips", "100.64.0.2/32,"], "not a prefix"),
        (["peer", "add", K1, "--allowed-ips", "100.64.0.2/32", "--psk", nofile], "--psk"),
        (["peer", "del", "x"], "KEY"),
        (["resource", "add", "web"], "--address"),
        (["resource", "add", "bad name", "--address", "10.0.0.0/24"], "resource name"),
        (["resource", "add", "x" * 64, "--address", "10.0.0.0/24"], "resource name"),
        (["resource", "add", "web", "--address", "10.0.0.1/24"], "host bits"),
        (["resource", "add", "web", "--address", "10.0.0.0/24", "--filters", "tcp/99999"], "port"),
        (["resource", "add", "web", "--address", "10.0.0.0/24", "--filters", "sctp"], "protocol"),
        (["resource", "add", "web", "--address", "10.0.0.0/24", "--filters", "icmp/8"], "icmp"),
        (["resource", "add", "web", "--address", "bad_name!"], "--address"),
        (["allow", K1, "web", "--for", "10"], "--for"),
        (["allow", K1, "web", "--for", "1w"], "--for"),
        (["allow", K1, "web", "--for", "0m"], "--for"),
        (["allow", K1, "web", "--until", "2030-01-01 00:00:00"], "--until"),
        (["allow", K1, "web", "--until", "2001-01-01T00:00:00Z"], "past"),
        (["allow", K1, "web", "--for", "1h", "--until", "2030-01-01T00:00:00Z"], "one or the other"),
        (["allow", K1], "usage"),
        (["revoke", K1, "web", "--for", "1h"], "go with allow"),
        (["peer", "del", K1, "--address", "10.0.0.0/24"], "go with resource add"),
        (["peer", "remove", K1], "usage"),
        (["status", "--redis", url], "change options"),
    ]
    for args, hint in bad:
        rc, out, err, _ = run(*args, *R)
        check(rc == 64 and hint in err, f"bad input {args[:2]}..{args[-1][:20]}: exit 64 ({hint})",
              f"rc={rc} err={err}")
    rc, _, err, _ = run("peer", "del", K2, "--redis", "http://127.0.0.1/", "--gateway-id", G)
    check(rc == 64 and "--redis" in err, "bad --redis: exit 64", f"rc={rc} {err}")
    rc, _, err, _ = run("peer", "del", K2, "--redis", url, "--gateway-id", "abc")
    check(rc == 64 and "--gateway-id" in err, "bad --gateway-id: exit 64", f"rc={rc} {err}")
    check(last_id(r) == mark, "bad inputs wrote nothing")

    # ---- where: environment, config file, stored id ----
    mark = last_id(r)
    env = {"WGATE_SIGNALING_REDIS": url, "WGATE_SIGNALING_GATEWAYID": G.upper()}
    rc, _, err, _ = run("peer", "del", K2, env=env)
    check(rc == 0 and len(events(r, mark)) == 1,
          "WGATE_SIGNALING_REDIS and WGATE_SIGNALING_GATEWAYID", f"rc={rc} {err}")
    conf = os.path.join(tmp, "wgate.conf")
    with open(conf, "w") as f:
        f.write("[Interface]\nPrivateKey = mAzYAGQtIhEBBSNt5LIQV5QOpAR+LmfctVU2Lf1ibW0=\n\n"
                "[Port wan]\nDevice = net_null0\nAddress = 192.0.2.1/24\n\n"
                f"[Signaling]\nRedis = {url}\nGatewayId = {G}\n")
    mark = last_id(r)
    rc, _, err, _ = run("resource", "del", "wiki", "-c", conf)
    check(rc == 0 and len(events(r, mark)) == 1 and "wiki" not in hash_json(r, "resources"),
          "-c FILE: [Signaling] Redis and GatewayId", f"rc={rc} {err}")
    mark = last_id(r)
    rc, _, err, _ = run("resource", "del", "net", env={"WGATE_CONFIG": conf})
    check(rc == 0 and len(events(r, mark)) == 1, "WGATE_CONFIG", f"rc={rc} {err}")
    with open(conf, "w") as f:
        f.write("[Interface]\nPrivateKey = mAzYAGQtIhEBBSNt5LIQV5QOpAR+LmfctVU2Lf1ibW0=\n\n"
                "[Port wan]\nDevice = net_null0\nAddress = 192.0.2.1/24\n\n"
                f"[Signaling]\nRedis = {url}\n")
    state = os.path.join(tmp, "state")
    os.mkdir(state)
    rc, _, err, _ = run("resource", "del", "net", "-c", conf, "--state-dir", state)
    check(rc == 64 and "--gateway-id" in err, "no gateway id anywhere: exit 64 naming --gateway-id",
          f"rc={rc} {err}")
    with open(os.path.join(state, "gateway-id"), "w") as f:
        f.write(G + "\n")
    mark = last_id(r)
    rc, _, err, _ = run("resource", "del", "net", "-c", conf, "--state-dir", state)
    check(rc == 0 and len(events(r, mark)) == 1, "the id the gateway stored in STATE_DIR/gateway-id",
          f"rc={rc} {err}")
    rc, _, err, _ = run("resource", "del", "net", "--gateway-id", G, "-c", os.path.join(tmp, "nope"))
    check(rc == 64 and "nope" in err, "-c FILE that cannot be read: exit 64", f"rc={rc} {err}")
    rc, _, err, _ = run("resource", "del", "net", "--gateway-id", G, "-c", "/dev/null",
                        "--state-dir", state)
    check(rc == 64, "a config file that does not load: exit 64", f"rc={rc} {err}")

    # ---- unreachable: exit 2, password masked ----
    closed = free_port()
    rc, _, err, took = run("peer", "del", K2, "--redis",
                           f"redis://:hunter2@127.0.0.1:{closed}/0", "--gateway-id", G)
    check(rc == 2 and f"127.0.0.1:{closed}" in err and "hunter2" not in err and "****" in err,
          "Redis unreachable: exit 2, password masked", f"rc={rc} {err}")

    # ---- a password ----
    r("CONFIG", "SET", "requirepass", "s3cret")
    r("AUTH", "s3cret")
    mark = last_id(r)
    rc, _, err, _ = run("peer", "del", K2, "--redis", f"redis://:s3cret@127.0.0.1:{port}/0",
                        "--gateway-id", G)
    check(rc == 0 and len(events(r, mark)) == 1, "redis://:password@: AUTH", f"rc={rc} {err}")
    rc, _, err, _ = run("peer", "del", K2, "--redis", f"redis://:Zq7notit@127.0.0.1:{port}/0",
                        "--gateway-id", G)
    check(rc == 2 and "Zq7notit" not in err and "AUTH" in err, "a wrong password: exit 2, masked",
          f"rc={rc} {err}")
    rc, _, err, _ = run("peer", "del", K2, "--redis", url, "--gateway-id", G)
    check(rc == 1 and "NOAUTH" in err, "no password where one is needed: exit 1 (refused)",
          f"rc={rc} {err}")
    r("CONFIG", "SET", "requirepass", "")

    # ---- another db; a sentinel ----
    rc, _, err, _ = run("peer", "add", K2, "--allowed-ips", "100.64.0.9/32", "--redis",
                        f"redis://127.0.0.1:{port}/3", "--gateway-id", G)
    r("SELECT", "3")
    check(rc == 0 and K2 in hash_json(r, "clients"), "redis://host:port/3 selects db 3",
          f"rc={rc} {err}")
    r("SELECT", "0")
    sent_conf = os.path.join(tmp, "sentinel.conf")
    sport = free_port()
    with open(sent_conf, "w") as f:
        f.write(f"port {sport}\nbind 127.0.0.1\nsentinel monitor gw 127.0.0.1 {port} 1\n")
    sent = subprocess.Popen(["redis-server", sent_conf, "--sentinel"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                Resp(sport)("PING")
                break
            except (OSError, RuntimeError):
                time.sleep(0.05)
        mark = last_id(r)
        rc, _, err, _ = run("peer", "del", K2, "--redis", f"redis+sentinel://127.0.0.1:{sport}/gw/0",
                            "--gateway-id", G)
        check(rc == 0 and len(events(r, mark)) == 1,
              "redis+sentinel://: asks the sentinel for the master", f"rc={rc} {err}")
        rc, _, err, _ = run("peer", "del", K2, "--redis",
                            f"redis+sentinel://127.0.0.1:{sport}/nosuch/0", "--gateway-id", G)
        check(rc == 2 and "sentinel" in err, "a master the sentinel does not know: exit 2",
              f"rc={rc} {err}")
    finally:
        sent.terminate()
        sent.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
