#!/usr/bin/env python3
"""sigload.py: a portal's worth of grant/revoke events written to Redis the
way the README's "Signaling over Redis" says a portal writes them: each event
one MULTI/EXEC that changes the hashes and XADDs the event. Plain RESP over a
socket (no client library). Survives Redis restarts: an event whose EXEC
reply did not come back is written again (every event is idempotent).

  sigload.py PORT GATEWAY_ID N_EVENTS [--rate R] [--marks FILE]

Clients get keys sig-client-<i> (base64 of 32 deterministic bytes) and
addresses 100.64.1.<i>/32, fd00:2021:1111::1:<i>/128; resources r<j> are
10.200.<j>.0/24. --marks FILE: after each 1000 events, appends the count to
FILE (the test uses it to time its kill -9 and Redis restart). Prints
"done N events, R retries" at the end.
"""
import base64
import hashlib
import json
import random
import socket
import sys
import time

N_CLIENTS = 40
N_RESOURCES = 12


def enc(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buf = b""

    def line(self):
        while b"\r\n" not in self.buf:
            d = self.s.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d
        l, self.buf = self.buf.split(b"\r\n", 1)
        return l

    def reply(self):
        l = self.line()
        t, rest = l[:1], l[1:]
        if t in (b"+", b":"):
            return rest
        if t == b"-":
            return RuntimeError(rest.decode())
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                d = self.s.recv(65536)
                if not d:
                    raise ConnectionError("closed")
                self.buf += d
            v, self.buf = self.buf[:n], self.buf[n + 2:]
            return v
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("bad reply")

    def tx(self, cmds):
        """MULTI, cmds, EXEC; returns EXEC's reply."""
        self.s.sendall(enc("MULTI") + b"".join(enc(*c) for c in cmds) + enc("EXEC"))
        replies = [self.reply() for _ in range(len(cmds) + 2)]
        if not isinstance(replies[-1], list):
            raise ConnectionError("EXEC failed: %r" % (replies[-1],))
        return replies[-1]


def key(i):
    return base64.b64encode(hashlib.sha256(b"sig-client-%d" % i).digest()).decode()


def client(i):
    return {"id": key(i), "public_key": key(i), "ipv4": "100.64.1.%d" % (i + 1),
            "ipv6": "fd00:2021:1111::1:%x" % (i + 1)}


def resource(j):
    return {"type": "cidr", "id": "r%d" % j, "name": "r%d" % j,
            "address": "10.200.%d.0/24" % j, "filters": []}


def main():
    port, gid, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    rate, marks = 0.0, None
    args = sys.argv[4:]
    while args:
        if args[0] == "--rate":
            rate = float(args[1]); args = args[2:]
        elif args[0] == "--marks":
            marks = args[1]; args = args[2:]
        else:
            sys.exit("usage: sigload.py PORT GATEWAY_ID N [--rate R] [--marks FILE]")
    k = lambda s: "wgate:{%s}:%s" % (gid, s)
    rnd = random.Random(int(time.time()))
    grants = {}          # (client, resource) -> True: the desired state so far
    conn, retries, t0 = None, 0, time.time()
    for e in range(n):
        c, r = rnd.randrange(N_CLIENTS), rnd.randrange(N_RESOURCES)
        cid, rid = key(c), "r%d" % r
        if (cid, rid) in grants:
            del grants[(cid, rid)]
            last = not any(g[0] == cid for g in grants)
            msg = {"event": "reject_access", "payload": {"client_id": cid, "resource_id": rid}}
            cmds = [("HDEL", k("grants"), "%s %s" % (cid, rid))]
            if last:
                cmds.append(("HDEL", k("clients"), cid))
        else:
            grants[(cid, rid)] = True
            g = {"client_id": cid, "resource_id": rid, "expires_at": None}
            msg = {"event": "create_authorization",
                   "payload": {"ref": "e%d" % e, "client": client(c), "resource": resource(r),
                               "client_id": cid, "resource_id": rid, "expires_at": None}}
            cmds = [("HSET", k("clients"), cid, json.dumps(client(c))),
                    ("HSET", k("resources"), rid, json.dumps(resource(r))),
                    ("HSET", k("grants"), "%s %s" % (cid, rid), json.dumps(g))]
        cmds.append(("XADD", k("events"), "MAXLEN", "~", "100000", "*", "msg", json.dumps(msg)))
        deadline = time.time() + 60
        while True:
            try:
                if conn is None:
                    conn = Conn(port)
                conn.tx(cmds)
                break
            except (OSError, ConnectionError) as ex:
                conn, retries = None, retries + 1
                if time.time() > deadline:
                    sys.exit("sigload: Redis gone for 60 s: %s" % ex)
                time.sleep(0.05)
        if rate:
            ahead = (e + 1) / rate - (time.time() - t0)
            if ahead > 0:
                time.sleep(ahead)
        if marks and (e + 1) % 1000 == 0:
            with open(marks, "a") as f:
                f.write("%d\n" % (e + 1))
    print("done %d events, %d retries, %d grants wanted" % (n, retries, len(grants)))


if __name__ == "__main__":
    main()
