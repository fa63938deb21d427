#!/usr/bin/env python3
"""DNS-over-TCP probes for tests/e2e/test_dns_tcp.sh, against the gateway's
stub. Queries are built here byte by byte (RFC 1035), not with a DNS library,
so each TCP write is exactly what the test means. Every wait is bounded.

  dns_tcp_probe.py split SERVER NAME
      One connection; the 2-byte length, then the query in three pieces,
      each its own segment (TCP_NODELAY, a pause between). Prints
      "id=ID rcode=RC answers=N".

  dns_tcp_probe.py pipeline SERVER NAME...
      One connection; every query (ids 1, 2, ...) in one write, then reads
      every answer. Prints one "id=ID rcode=RC answers=N" per answer, in
      the order they came.

  dns_tcp_probe.py slowread SERVER NAME QTYPE DELAY
      A receive buffer of a few hundred bytes (SO_RCVBUF set before the
      connect, so the window the client offers is that small), one query,
      then DELAY s before reading: the server's segments past the window
      wait, its RTO fires (retransmissions, window probes), and the answer
      must still come whole. Prints "id=ID rcode=RC answers=N".

  dns_tcp_probe.py idle SERVER LIMIT
      Connects and sends nothing; prints "closed S" (seconds until the
      server closed) or "open" when still open after LIMIT s.

  dns_tcp_probe.py stray SRC SERVER
      Hand-made TCP segments from SRC (this namespace's tunnel address) to
      SERVER:53 that belong to no connection, sent with a raw socket: an ACK
      with a wrong checksum (to be dropped and counted), then the same ACK
      with a right one (to be answered with a RST). Prints "rst=N" for the
      RSTs from SERVER:53 to our port within 3 s, and whether the first
      carried seq = our ack ("seq_ok=1").

  dns_tcp_probe.py fill SERVER COUNT
      Opens COUNT connections at once and holds them; prints
      "connected=N refused=N other=N", then closes them all.
"""
import errno
import os
import resource
import select
import socket
import struct
import sys
import time


def family(server):
    return socket.AF_INET6 if ":" in server else socket.AF_INET


def query(qid, name, qtype=1):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def connect(server, timeout=5, rcvbuf=0):
    s = socket.socket(family(server), socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect((server, 53))
    return s


def read_exact(s, n):
    b = b""
    while len(b) < n:
        chunk = s.recv(n - len(b))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(b), n))
        b += chunk
    return b


def read_answer(s):
    (n,) = struct.unpack(">H", read_exact(s, 2))
    m = read_exact(s, n)
    qid, flags, _, an = struct.unpack(">HHHH", m[:8])
    return "id=%d rcode=%d answers=%d" % (qid, flags & 0xF, an)


def framed(q):
    return struct.pack(">H", len(q)) + q


def stray(src, server):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from probe import ip_packet, l4_csum   # the e2e suite's raw-packet helpers
    fam = family(server)
    sport, ack = 45053, 0x01020304
    seg = struct.pack(">HHIIBBHHH", sport, 53, 0x0A0B0C0D, ack, 0x50, 0x10, 1000, 0, 0)
    good = seg[:16] + struct.pack(">H", l4_csum(fam, src, server, 6, seg)) + seg[18:]
    bad = seg[:16] + struct.pack(">H", l4_csum(fam, src, server, 6, seg) ^ 0x5555) + seg[18:]
    rx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_TCP)
    tx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if fam == socket.AF_INET:
        tx.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    tx.sendto(ip_packet(fam, src, server, 6, bad), (server, 0))
    time.sleep(0.2)
    # The good one up to 3 times, 3 s apart, until a RST comes back: on a
    # loaded machine the one answer can be lost on the way back through the
    # client's wireguard-go (the gateway counts every RST it sends).
    rsts, seq_ok = 0, 0
    for _ in range(3):
        tx.sendto(ip_packet(fam, src, server, 6, good), (server, 0))
        end = time.monotonic() + 3
        while time.monotonic() < end and not rsts:
            r, _, _ = select.select([rx], [], [], 0.2)
            if not r:
                continue
            data, addr = rx.recvfrom(2048)
            t = data[(data[0] & 0xF) * 4:] if fam == socket.AF_INET else data
            if addr[0] != server or len(t) < 20:
                continue
            sp, dp, seq = struct.unpack(">HHI", t[:8])
            if sp == 53 and dp == sport and t[13] & 0x04:
                rsts += 1
                seq_ok = seq_ok or int(seq == ack)
        if rsts:
            break
    print("rst=%d seq_ok=%d" % (rsts, seq_ok))


def main():
    mode, server = sys.argv[1], sys.argv[2]
    if mode == "stray":
        stray(sys.argv[2], sys.argv[3])
        return
    if mode == "split":
        s = connect(server)
        q = query(0x1234, sys.argv[3])
        pieces = [struct.pack(">H", len(q))[:1], struct.pack(">H", len(q))[1:] + q[:5],
                  q[5:20], q[20:]]
        for p in pieces:
            s.send(p)
            time.sleep(0.2)
        print(read_answer(s))
    elif mode == "pipeline":
        s = connect(server)
        s.send(b"".join(framed(query(i + 1, n)) for i, n in enumerate(sys.argv[3:])))
        for _ in sys.argv[3:]:
            print(read_answer(s))
    elif mode == "slowread":
        s = connect(server, timeout=20, rcvbuf=256)
        s.send(framed(query(0x4321, sys.argv[3], int(sys.argv[4]))))
        time.sleep(float(sys.argv[5]))
        print(read_answer(s))
    elif mode == "idle":
        limit = float(sys.argv[3])
        s = connect(server)
        t0 = time.monotonic()
        r, _, _ = select.select([s], [], [], limit)
        if r:
            try:
                data = s.recv(1)
            except OSError:
                data = b""
            if not data:
                print("closed %.1f" % (time.monotonic() - t0))
                return
        print("open")
    elif mode == "fill":
        count = int(sys.argv[3])
        resource.setrlimit(resource.RLIMIT_NOFILE, (count + 64, count + 64))
        socks, pending = [], {}
        for _ in range(count):
            s = socket.socket(family(server), socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((server, 53))
            if rc not in (0, errno.EINPROGRESS):
                raise OSError(rc, os.strerror(rc))
            pending[s.fileno()] = s
            socks.append(s)
        res = {"connected": 0, "refused": 0, "other": 0}
        deadline = time.monotonic() + 20
        poll = select.poll()
        for fd in pending:
            poll.register(fd, select.POLLOUT)
        while pending and time.monotonic() < deadline:
            for fd, _ in poll.poll(200):
                s = pending.pop(fd)
                poll.unregister(fd)
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                key = "connected" if err == 0 else "refused" if err == errno.ECONNREFUSED \
                    else "other"
                res[key] += 1
        res["other"] += len(pending)
        print("connected=%(connected)d refused=%(refused)d other=%(other)d" % res)
        for s in socks:
            s.close()
    else:
        sys.exit("unknown mode " + mode)


main()
