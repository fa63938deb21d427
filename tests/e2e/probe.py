#!/usr/bin/env python3
"""Probes for the policy tests (tests/e2e/test_policy*.sh). Every one is bounded.

  probe.py connect HOST PORT [TIMEOUT]
      One TCP connect (default timeout 3 s). Prints "<result> <elapsed s>":
      result is "connected", "timeout" or the errno name (EHOSTUNREACH,
      EACCES, ECONNREFUSED...). curl says "Couldn't connect" for all of them;
      this tells them apart.

  probe.py capture IFACE SECONDS SPEC...
      Counts IPv4/IPv6 packets arriving on IFACE (AF_PACKET, incoming only)
      that match each SPEC: "SRC,DST[,PROTO[,DPORT]]", '*' = any, PROTO tcp,
      udp or icmp (ICMP or ICMPv6). Prints "ready" once the socket is open,
      then, after SECONDS, one "SPEC COUNT" line per SPEC.

  probe.py icmp-listen SECONDS SRC TYPE
      Counts ICMP (or ICMPv6, when SRC has a ':') messages of TYPE from SRC
      arriving in this namespace (raw socket). Prints "ready", then the count.

  capture and icmp-listen end early, after a last 0.1 s, once the file named
  by $PROBE_STOP exists (see e2e_bg_ready / e2e_bg_stop in lib.sh).

  probe.py flood DST PORT COUNT SECONDS [LINGER]
      Sends COUNT UDP datagrams to DST:PORT spread evenly over SECONDS, while
      counting the 'administratively prohibited' ICMP errors (IPv4 3/13, IPv6
      1/1) from DST that quote one of those datagrams; keeps listening LINGER
      seconds (default 1) after the last one. Prints
      "sent=N received=N other=N send_elapsed=S": other = ICMP errors from
      DST of any other type/code quoting our datagrams.

  probe.py spoof SRC DST KIND COUNT
      COUNT hand-made IP packets with source SRC (any address) to DST, sent
      with a raw socket (IP_HDRINCL / IPPROTO_RAW) so the kernel keeps SRC.
      KIND: udp:PORT, echo (ICMP echo request), unreach (an ICMP port
      unreachable error quoting a made-up UDP packet from DST to SRC).

  probe.py expiry-watch HOST PORT EXPIRY FROM UNTIL [STEP]
      From unix time FROM to UNTIL, a TCP connect (timeout 1 s) every STEP s
      (default 0.2);
      prints one line per attempt: "<time - EXPIRY> <result> <elapsed>".

  probe.py held HOST PORT AT [WAIT]
      Opens a TCP connection now (an HTTP server at HOST:PORT), sleeps until
      unix time AT, then sends a request; prints "connect <result>" and then
      "response" if any byte comes back within WAIT s (default 2), else
      "no-response <why>".
"""
import errno
import os
import select
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
IPPROTO_ICMPV6 = 58


def stopped():
    """True once the file named by $PROBE_STOP exists (the caller is done)."""
    f = os.environ.get("PROBE_STOP")
    return bool(f) and os.path.exists(f)


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def norm(addr):
    return socket.inet_ntop(family(addr), socket.inet_pton(family(addr), addr))


def say(*a):
    print(*a, flush=True)


# ---------------------------------------------------------------- connect

def connect_once(host, port, timeout):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    t0 = time.monotonic()
    try:
        s.connect((host, int(port)))
        res = "connected"
    except socket.timeout:
        res = "timeout"
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    el = time.monotonic() - t0
    s.close()
    return res, el


def connect(host, port, timeout=3):
    res, el = connect_once(host, port, timeout)
    say("%s %.3f" % (res, el))
    return 0


# ---------------------------------------------------------------- capture

PROTOS = {"tcp": (6,), "udp": (17,), "icmp": (1, 58)}


def parse_frame(frame):
    """(src, dst, proto, dport) of an Ethernet frame carrying IPv4/IPv6 (dport
    None unless TCP/UDP), or None."""
    if len(frame) < 14:
        return None
    et = struct.unpack("!H", frame[12:14])[0]
    if et == 0x0800 and len(frame) >= 34:
        ihl = (frame[14] & 0x0F) * 4
        src = socket.inet_ntop(socket.AF_INET, frame[26:30])
        dst = socket.inet_ntop(socket.AF_INET, frame[30:34])
        proto, l4 = frame[23], 14 + ihl
    elif et == 0x86DD and len(frame) >= 54:
        src = socket.inet_ntop(socket.AF_INET6, frame[22:38])
        dst = socket.inet_ntop(socket.AF_INET6, frame[38:54])
        proto, l4 = frame[20], 54
    else:
        return None
    dport = None
    if proto in (6, 17) and len(frame) >= l4 + 4:
        dport = struct.unpack("!H", frame[l4 + 2:l4 + 4])[0]
    return src, dst, proto, dport


class Spec:
    """SRC,DST[,PROTO[,DPORT]]; '*' matches anything."""

    def __init__(self, text):
        f = text.split(",")
        self.text = text
        self.src = None if f[0] == "*" else norm(f[0])
        self.dst = None if len(f) < 2 or f[1] == "*" else norm(f[1])
        self.proto = PROTOS[f[2]] if len(f) > 2 and f[2] != "*" else None
        self.dport = int(f[3]) if len(f) > 3 and f[3] != "*" else None
        self.n = 0

    def match(self, p):
        src, dst, proto, dport = p
        return ((self.src is None or src == self.src) and
                (self.dst is None or dst == self.dst) and
                (self.proto is None or proto in self.proto) and
                (self.dport is None or dport == self.dport))


def capture(iface, seconds, *specs):
    specs = [Spec(t) for t in specs]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.1)
    say("ready")
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and not stopped():
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = parse_frame(frame)
        if p:
            for sp in specs:
                if sp.match(p):
                    sp.n += 1
    for sp in specs:
        say(sp.text, sp.n)
    return 0


# ---------------------------------------------------------------- ICMP

def icmp_socket(fam):
    if fam == socket.AF_INET:
        return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    return socket.socket(socket.AF_INET6, socket.SOCK_RAW, IPPROTO_ICMPV6)


def icmp_of(fam, data):
    """The ICMP message of what a raw ICMP socket returned (IPv4: after the
    IP header; IPv6: the kernel gives the ICMPv6 message alone)."""
    if fam == socket.AF_INET:
        return data[(data[0] & 0x0F) * 4:]
    return data


def icmp_listen(seconds, src, itype):
    fam = family(src)
    src = norm(src)
    s = icmp_socket(fam)
    s.settimeout(0.1)
    say("ready")
    n = 0
    deadline = time.monotonic() + float(seconds)
    while time.monotonic() < deadline and not stopped():
        try:
            data, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        m = icmp_of(fam, data)
        if norm(addr[0]) == src and len(m) >= 4 and m[0] == int(itype):
            n += 1
    say(n)
    return 0


def quoted_udp(fam, m):
    """(dst addr, src port, dst port) of the UDP packet an ICMP error quotes."""
    q = m[8:]
    if fam == socket.AF_INET:
        if len(q) < 28 or q[9] != 17:
            return None
        ihl = (q[0] & 0x0F) * 4
        dst = socket.inet_ntop(socket.AF_INET, q[16:20])
        u = q[ihl:ihl + 8]
    else:
        if len(q) < 48 or q[6] != 17:
            return None
        dst = socket.inet_ntop(socket.AF_INET6, q[24:40])
        u = q[40:48]
    if len(u) < 4:
        return None
    sp, dp = struct.unpack("!HH", u[:4])
    return dst, sp, dp


def flood(dst, port, count, seconds, linger=1.0):
    fam = family(dst)
    dst = norm(dst)
    port, count, seconds, linger = int(port), int(count), float(seconds), float(linger)
    want = (3, 13) if fam == socket.AF_INET else (1, 1)
    err_types = (3, 11, 12) if fam == socket.AF_INET else (1, 2, 3, 4)
    r = icmp_socket(fam)
    r.setblocking(False)
    u = socket.socket(fam, socket.SOCK_DGRAM)
    u.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", 0))
    sport = u.getsockname()[1]
    got = other = sent = 0

    def drain():
        nonlocal got, other
        while True:
            try:
                data, addr = r.recvfrom(65535)
            except BlockingIOError:
                return
            m = icmp_of(fam, data)
            if len(m) < 8 or norm(addr[0]) != dst or m[0] not in err_types:
                continue
            q = quoted_udp(fam, m)
            if not q or q[0] != dst or q[1] != sport or q[2] != port:
                continue
            if (m[0], m[1]) == want:
                got += 1
            else:
                other += 1

    t0 = time.monotonic()
    for i in range(count):
        due = t0 + seconds * i / count
        while True:
            now = time.monotonic()
            if now >= due:
                break
            select.select([r], [], [], due - now)
            drain()
        try:
            u.sendto(b"policy-flood %d" % i, (dst, port))
            sent += 1
        except OSError:
            pass  # an earlier error reported on the socket; keep going
        drain()
    send_elapsed = time.monotonic() - t0
    end = time.monotonic() + linger
    while time.monotonic() < end:
        select.select([r], [], [], max(0.0, end - time.monotonic()))
        drain()
    say("sent=%d received=%d other=%d send_elapsed=%.3f" % (sent, got, other, send_elapsed))
    return 0


# ---------------------------------------------------------------- spoof

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def l4_csum(fam, src, dst, proto, seg):
    if fam == socket.AF_INET:
        ph = (socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) +
              struct.pack("!BBH", 0, proto, len(seg)))
    else:
        ph = (socket.inet_pton(fam, src) + socket.inet_pton(fam, dst) +
              struct.pack("!I3xB", len(seg), proto))
    c = csum(ph + seg)
    return c or 0xFFFF


def ip_packet(fam, src, dst, proto, seg):
    if fam == socket.AF_INET:
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), os.getpid() & 0xFFFF, 0,
                        64, proto, 0, socket.inet_pton(fam, src), socket.inet_pton(fam, dst))
        h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
        return h + seg
    return struct.pack("!IHBB16s16s", 6 << 28, len(seg), proto, 64,
                       socket.inet_pton(fam, src), socket.inet_pton(fam, dst)) + seg


def udp_seg(fam, src, dst, sport, dport, payload):
    seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(fam, src, dst, 17, seg)
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp_seg(fam, src, dst, itype, code, rest):
    proto = 1 if fam == socket.AF_INET else IPPROTO_ICMPV6
    seg = struct.pack("!BBH", itype, code, 0) + rest
    if fam == socket.AF_INET:
        c = csum(seg)
    else:
        c = l4_csum(fam, src, dst, proto, seg)
    return seg[:2] + struct.pack("!H", c) + seg[4:]


def spoof(src, dst, kind, count):
    fam = family(src)
    if family(dst) != fam:
        raise SystemExit("spoof: SRC and DST of different families")
    icmp_proto = 1 if fam == socket.AF_INET else IPPROTO_ICMPV6
    s = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
    if fam == socket.AF_INET:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    for i in range(int(count)):
        if kind.startswith("udp:"):
            proto = 17
            seg = udp_seg(fam, src, dst, 40000 + i, int(kind[4:]), b"spoofed %d" % i)
        elif kind == "echo":
            proto = icmp_proto
            t = 8 if fam == socket.AF_INET else 128
            seg = icmp_seg(fam, src, dst, t, 0,
                           struct.pack("!HH", os.getpid() & 0xFFFF, i) + b"spoofed echo")
        elif kind == "unreach":
            # An error about a made-up UDP packet dst:53 -> src:40000.
            proto = icmp_proto
            orig = ip_packet(fam, dst, src, 17, udp_seg(fam, dst, src, 53, 40000, b"q"))
            if fam == socket.AF_INET:
                seg = icmp_seg(fam, src, dst, 3, 3, b"\0\0\0\0" + orig[:28])
            else:
                seg = icmp_seg(fam, src, dst, 1, 4, b"\0\0\0\0" + orig)
        else:
            raise SystemExit("spoof: unknown KIND " + kind)
        s.sendto(ip_packet(fam, src, dst, proto, seg), (dst, 0))
        time.sleep(0.01)
    say("sent", count)
    return 0


# ---------------------------------------------------------------- expiry

def expiry_watch(host, port, expiry, start, until, step=0.2):
    expiry, start, until, step = float(expiry), float(start), float(until), float(step)
    while time.time() < start:
        time.sleep(min(0.05, start - time.time()))
    while True:
        t = time.time()
        if t >= until:
            break
        res, el = connect_once(host, port, 1.0)
        say("%.3f %s %.3f" % (t - expiry, res, el))
        time.sleep(max(0.0, step - (time.time() - t)))
    return 0


def held(host, port, at, wait=2.0):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, int(port)))
    except OSError as e:
        say("connect", errno.errorcode.get(getattr(e, "errno", 0) or 0, str(e)))
        return 0
    say("connect connected")
    while time.time() < float(at):
        time.sleep(min(0.05, float(at) - time.time()))
    s.settimeout(float(wait))
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = s.recv(100)
        say("response" if data else "no-response closed")
    except socket.timeout:
        say("no-response timeout")
    except OSError as e:
        say("no-response", errno.errorcode.get(e.errno, str(e.errno)))
    s.close()
    return 0


CMDS = {
    "connect": connect,
    "capture": capture,
    "icmp-listen": icmp_listen,
    "flood": flood,
    "spoof": spoof,
    "expiry-watch": expiry_watch,
    "held": held,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in CMDS:
        sys.stderr.write(__doc__)
        sys.exit(64)
    sys.exit(CMDS[sys.argv[1]](*sys.argv[2:]))
