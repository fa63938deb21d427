#!/usr/bin/env python3
"""siglat.py: event-to-first-packet latency, for benchmarks/signaling_bench.

  siglat.py REDIS_PORT GATEWAY_ID CLIENT_KEY RESOURCE CLIENT_NS RESOURCE_NS DST UDP_PORT TRIALS

Runs in the namespace that reaches Redis. A sender in CLIENT_NS sends a UDP
datagram to DST:UDP_PORT through the tunnel every SEND_GAP_S; a receiver in
RESOURCE_NS notes the CLOCK_MONOTONIC time of every datagram that reaches it
(network namespaces share that clock). Each trial, with RESOURCE refused:
  t0 = now; one MULTI/EXEC writes the grant and XADDs create_authorization
  exactly as a portal (and wgatectl allow) does; the figure is the arrival
  time of the first datagram after t0, minus t0. Then reject_access is
  written the same way and the trial waits until datagrams stop arriving
  (revoke -> last packet is printed too).
The client and resource must already be in Redis (wgatectl peer add /
resource add); the client must keep another grant, so that revoking this
one does not close its session. The sender's socket is unconnected and
ignores send errors: the gateway answers refused datagrams with ICMP
'prohibited', which a connected socket would turn into exceptions.
Prints one line per trial and then
  allow_ms median=M p90=P p99=P max=X n=N failed=F; revoke_ms median=M max=X
"""
import bisect
import json
import subprocess
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 2)[0] + "/tests/e2e")
from sigload import Conn, enc  # noqa: E402  (RESP over a socket)

SEND_GAP_S = 0.0005
QUIET_S = 0.15          # no datagram for this long = refused
WAIT_S = 3.0            # a trial that sees nothing within this fails

SENDER = r"""
import socket, sys, time
dst, port, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[4])
n = 0
while time.monotonic() < end:
    try:
        s.sendto(b"siglat %d" % n, (dst, port))
    except OSError:
        pass
    n += 1
    time.sleep(gap)
"""

RECEIVER = r"""
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", port))
out = sys.stdout
while True:
    s.recv(2048)
    out.write("%d\n" % time.monotonic_ns())
    out.flush()
"""


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def main():
    if len(sys.argv) != 10:
        sys.exit(__doc__)
    port, gid, key, res, cns, rns, dst, uport, trials = sys.argv[1:]
    trials = int(trials)
    k = lambda s: "wgate:{%s}:%s" % (gid, s)
    py = sys.executable
    conn = Conn(int(port))
    conn.s.sendall(b"".join(
        enc("HGET", k(h), f) for h, f in (("clients", key), ("resources", res))))
    client, resource = conn.reply(), conn.reply()
    if not client or not resource:
        sys.exit("siglat: client or resource %r not in Redis" % res)
    client, resource = json.loads(client), json.loads(resource)
    field = "%s %s" % (key, res)
    grant = json.dumps({"client_id": key, "resource_id": res, "expires_at": None})

    def allow(ref):
        msg = {"event": "create_authorization",
               "payload": {"ref": ref, "client": client, "resource": resource,
                           "client_id": key, "resource_id": res, "expires_at": None}}
        return [("HSET", k("grants"), field, grant),
                ("XADD", k("events"), "MAXLEN", "~", "100000", "*", "msg", json.dumps(msg))]

    def revoke():
        msg = {"event": "reject_access", "payload": {"client_id": key, "resource_id": res}}
        return [("HDEL", k("grants"), field),
                ("XADD", k("events"), "MAXLEN", "~", "100000", "*", "msg", json.dumps(msg))]

    arrivals, lock = [], threading.Lock()
    recv = subprocess.Popen(["ip", "netns", "exec", rns, py, "-c", RECEIVER, uport],
                            stdout=subprocess.PIPE, text=True)

    def reader():
        for line in recv.stdout:
            with lock:
                arrivals.append(int(line))
    threading.Thread(target=reader, daemon=True).start()
    budget = trials * (WAIT_S + 2 * QUIET_S + 1) + 10
    send = subprocess.Popen(["ip", "netns", "exec", cns, py, "-c", SENDER, dst, uport,
                             str(SEND_GAP_S), str(budget)])

    def last():
        with lock:
            return arrivals[-1] if arrivals else 0

    def first_after(t):
        with lock:
            i = bisect.bisect_right(arrivals, t)
            return arrivals[i] if i < len(arrivals) else None

    def quiet(deadline):
        while time.monotonic() < deadline:
            if time.monotonic_ns() - last() > QUIET_S * 1e9:
                return True
            time.sleep(0.01)
        return False

    allow_ms, revoke_ms, failed = [], [], 0
    try:
        conn.tx(revoke())
        if not quiet(time.monotonic() + 5):
            sys.exit("siglat: datagrams still arrive with %s revoked" % res)
        for t in range(trials):
            cmds = allow("lat%d" % t)
            t0 = time.monotonic_ns()
            conn.tx(cmds)
            end = time.monotonic() + WAIT_S
            got = None
            while got is None and time.monotonic() < end:
                time.sleep(0.001)
                got = first_after(t0)
            if got is None:
                failed += 1
                print("trial %d: no datagram within %.0f s of the allow" % (t, WAIT_S))
            else:
                allow_ms.append((got - t0) / 1e6)
            cmds = revoke()
            t1 = time.monotonic_ns()
            conn.tx(cmds)
            if not quiet(time.monotonic() + 5):
                sys.exit("siglat: datagrams still arrive 5 s after the revoke")
            lt = last()
            if got is not None and lt > t1:
                revoke_ms.append((lt - t1) / 1e6)
            print("trial %d: allow -> first packet %s ms" %
                  (t, "%.2f" % allow_ms[-1] if got is not None else "-"))
    finally:
        send.kill()
        recv.kill()
    if not allow_ms:
        sys.exit("siglat: no trial saw a packet")
    rv = ("revoke_ms median=%.2f max=%.2f" % (pct(revoke_ms, 50), max(revoke_ms))
          if revoke_ms else "revoke_ms n=0")
    print("allow_ms median=%.2f p90=%.2f p99=%.2f max=%.2f n=%d failed=%d; %s" %
          (pct(allow_ms, 50), pct(allow_ms, 90), pct(allow_ms, 99), max(allow_ms),
           len(allow_ms), failed, rv))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
