#!/usr/bin/env python3
"""A stand-in for wgate's DPDK telemetry socket, for testing wgatectl.

It speaks DPDK's telemetry protocol v2 as DPDK 22.11 does: a SOCK_SEQPACKET
unix socket; on connect the server sends one JSON info object; then every
message from the client is a command ("/wgate/status", optionally
",params") answered by one JSON object {"<command>": value}; an unknown
command gets {"<command>": null}; "/" lists the commands. A reply value may
be a function of the params string (see peer_replies()).

Use as a module (FakeTelemetry(path, replies).start()) or from the shell:
    fake_telemetry.py SOCKET [--replies FILE.json] [--not-ready]
where FILE.json maps command -> reply value, plus optionally "peers": a list
of peer objects served through /wgate/peers and /wgate/peer (default: a
ready gateway with two peers, three resources, three grants and a few
counters).
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

MAX_OUTPUT_LEN = 16384  # DPDK 22.11's cap on one reply


def sample_peers(now=None):
    """Two peers as wgate describes them (/wgate/peer,KEY)."""
    now = int(time.time()) if now is None else now
    return [
        {"public_key": "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
         "endpoint": "192.0.2.10:51000",
         "latest_handshake": now - 65,
         "rx_bytes": 1536, "tx_bytes": 2 * 1024 * 1024,
         "allowed_ips": "100.64.0.2/32, fd00:2021:1111::2/128"},
        {"public_key": "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",
         "endpoint": "(none)", "latest_handshake": 0,
         "rx_bytes": 0, "tx_bytes": 0,
         "allowed_ips": "100.64.0.50/32"},
    ]


def peer_replies(peers, page=256):
    """wgate's peer commands over a list of peer objects: /wgate/peers[,OFFSET]
    lists public keys, `page` at a time; /wgate/peer,KEY gives one peer (null
    when unknown, as DPDK sends for a callback error)."""
    by_key = {p["public_key"]: p for p in peers}
    return {"/wgate/peers": paged([p["public_key"] for p in peers], page),
            "/wgate/peer": lambda key: by_key.get(key)}


def paged(items, page):
    """A listing's reply: `items`, `page` at a time from the OFFSET param."""
    def listing(params):
        off = int(params) if params else 0
        return items[off:off + page]

    return listing


LONG_DNS = ("a" * 60 + "." + "b" * 60 + "." + "c" * 60 + ".example.com")


def sample_resources():
    """Three resources as wgate describes them (/wgate/resource,NAME); a DNS
    name longer than a telemetry string (127) comes in pieces."""
    return [
        {"name": "web", "kind": "cidr", "address": "10.0.0.0/24",
         "filters": ["tcp/80", "tcp/8000-8100"], "grants": 2},
        {"name": "wiki", "kind": "dns", "address": [LONG_DNS[:127], LONG_DNS[127:]],
         "filters": ["tcp/443", "icmp"], "grants": 1},
        {"name": "net", "kind": "internet", "address": "internet", "filters": [],
         "grants": 0},
    ]


def sample_access():
    """Grants as (public key, resource, expires unix s, 0 = never)."""
    keys = [p["public_key"] for p in sample_peers(0)]
    return [(keys[0], "web", 1893456000), (keys[0], "wiki", 0),
            (keys[1], "web", 1577836800)]


def resource_replies(resources, page=200):
    """/wgate/resources[,OFFSET] lists names `page` at a time;
    /wgate/resource,NAME one resource (null when unknown)."""
    by_name = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in resources}
    return {"/wgate/resources": paged([r["name"] for r in resources], page),
            "/wgate/resource": lambda n: by_name.get(n)}


def access_replies(grants, page=100):
    """/wgate/access[,OFFSET]: "KEY RESOURCE EXPIRES" items; /wgate/access,KEY[,OFFSET]:
    that peer's "RESOURCE EXPIRES"."""
    def listing(params):
        key, off = "", params
        if len(params.partition(",")[0]) == 44:  # a base64 key, then maybe ",OFFSET"
            key, _, off = params.partition(",")
        off = int(off) if off else 0
        if key:
            items = [f"{r} {e}" for k, r, e in grants if k == key]
        else:
            items = [f"{k} {r} {e}" for k, r, e in grants]
        return items[off:off + page]

    return {"/wgate/access": listing}


def default_replies(now=None, ready=True, peers=None):
    replies = {
        "/wgate/status": {"ready": 1 if ready else 0, "version": "0.1.0",
                          "workers": 1, "peers": 2, "uptime_s": 42},
        "/wgate/counters": {"rx_packets": 10, "tx_packets": 9,
                            "data_decrypted": 7, "drop_no_session": 0,
                            "handshake_completed": 1, "endpoint_roamed": 0},
    }
    replies.update(peer_replies(sample_peers(now) if peers is None else peers))
    replies.update(resource_replies(sample_resources()))
    replies.update(access_replies(sample_access()))
    return replies


class FakeTelemetry:
    """Serves `replies` on a SEQPACKET socket at `path` from a thread."""

    def __init__(self, path, replies, close_at_once=False):
        self.path = path
        self.replies = replies
        self.close_at_once = close_at_once  # DPDK's "too many clients"
        self.commands = []                  # what clients sent, in order
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        if os.path.exists(path):
            os.unlink(path)
        self.sock.bind(path)
        self.sock.listen(8)
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self._thread.join(timeout=5)
        if os.path.exists(self.path):
            os.unlink(self.path)

    def _serve(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._client, args=(conn,), daemon=True).start()

    def _client(self, conn):
        with conn:
            if self.close_at_once:
                return
            info = {"version": "DPDK 22.11.0", "pid": os.getpid(),
                    "max_output_len": MAX_OUTPUT_LEN}
            conn.send(json.dumps(info).encode())
            while True:
                try:
                    msg = conn.recv(1024)
                except OSError:
                    return
                if not msg:
                    return
                text = msg.decode(errors="replace")
                cmd, _, params = text.partition(",")
                self.commands.append(text)
                if cmd == "/":
                    value = sorted(self.replies) + ["/", "/info"]
                else:
                    value = self.replies.get(cmd)
                    if callable(value):
                        value = value(params)
                conn.send(json.dumps({cmd: value}).encode()[:MAX_OUTPUT_LEN])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("socket")
    ap.add_argument("--replies", help="JSON file: command -> reply value")
    ap.add_argument("--not-ready", action="store_true")
    args = ap.parse_args()
    if args.replies:
        with open(args.replies) as f:
            replies = json.load(f)
        if "peers" in replies:
            replies.update(peer_replies(replies.pop("peers")))
    else:
        replies = default_replies(ready=not args.not_ready)
    srv = FakeTelemetry(args.socket, replies).start()
    print(f"fake telemetry on {args.socket}; Ctrl-C stops", file=sys.stderr)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
