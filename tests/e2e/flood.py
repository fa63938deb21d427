#!/usr/bin/env python3
"""flood.py: hostile traffic at a WireGuard gateway, and a legitimate load to
measure beside it (tests/e2e/test_floods.sh).

  flood.py attack init|garbage|replay --dst IP [--port 51820] --secs S
           [--gw-pub B64] [--iface eth0] [--sources N]
      init     handshake initiations with a valid mac1 (anyone who knows the
               gateway's public key can compute it) and random contents,
               from N spoofed sources in 198.18.0.0/15 (benchmarking range)
      garbage  transport messages with random receiver indexes, spoofed
      replay   captures this namespace's own transport messages to --dst
               on --iface for up to 3 s (a legitimate sender must be
               running), then sends them again and again
    prints "sent N in S s (R/s)"
  flood.py send DST PORT RATE SECS     UDP datagrams at RATE/s (paced)
  flood.py recv PORT SECS              counts datagrams; prints "received N"

Every loop ends at its deadline.
"""
import hashlib
import os
import random
import socket
import struct
import sys
import time


def ipv4_udp(src, dst, sport, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:] + udp


def spoofed(i):
    return "198.%d.%d.%d" % (18 + (i >> 16 & 1), i >> 8 & 255, i & 255 or 1)


def initiations(gw_pub, n, dst, port):
    mac1_key = hashlib.blake2s(b"mac1----" + gw_pub).digest()
    out = []
    for i in range(n):
        body = struct.pack("<II", 1, random.getrandbits(32)) + os.urandom(32 + 48 + 28)
        mac1 = hashlib.blake2s(body, key=mac1_key, digest_size=16).digest()
        out.append(ipv4_udp(spoofed(i), dst, 1024 + i % 60000, port, body + mac1 + bytes(16)))
    return out


def garbage(n, dst, port):
    return [ipv4_udp(spoofed(i), dst, 1024 + i % 60000, port,
                     struct.pack("<IIQ", 4, random.getrandbits(32), i) + os.urandom(48))
            for i in range(n)]


def capture(iface, dst, port, want=256, secs=3.0):
    """This namespace's own transport messages to dst:port, as IP packets."""
    # ETH_P_ALL: a socket bound to one protocol sees only what comes in,
    # and the messages to replay are this namespace's own, going out.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0003))
    s.bind((iface, 0))
    s.settimeout(0.2)
    got, end, dst_b = [], time.time() + secs, socket.inet_aton(dst)
    while len(got) < want and time.time() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        ip = f[14:]
        if f[12:14] != b"\x08\x00" or len(ip) < 36 or ip[9] != 17 or ip[16:20] != dst_b:
            continue
        ihl = (ip[0] & 15) * 4
        if struct.unpack("!H", ip[ihl + 2:ihl + 4])[0] == port and ip[ihl + 8] == 4:
            got.append(bytes(ip[:struct.unpack("!H", ip[2:4])[0]]))
    return got


def attack(argv):
    mode, a = argv[0], dict(zip(argv[1::2], argv[2::2]))
    dst, port, secs = a["--dst"], int(a.get("--port", 51820)), float(a["--secs"])
    n = int(a.get("--sources", 4096))
    if mode == "init":
        import base64
        pkts = initiations(base64.b64decode(a["--gw-pub"]), n, dst, port)
    elif mode == "garbage":
        pkts = garbage(n, dst, port)
    elif mode == "replay":
        pkts = capture(a.get("--iface", "eth0"), dst, port)
        if not pkts:
            sys.exit("flood.py: captured no transport message to replay")
    else:
        sys.exit(__doc__)
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    sent, t0 = 0, time.time()
    end = t0 + secs
    while time.time() < end:
        for p in pkts:
            try:
                s.sendto(p, (dst, 0))
                sent += 1
            except OSError:
                time.sleep(0.0005)	# queue full: back off a little
    dt = time.time() - t0
    print("sent %d in %.1f s (%.0f/s), %d distinct" % (sent, dt, sent / dt, len(pkts)))


def send(dst, port, rate, secs):
    s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
    gap, t0, n = 1.0 / float(rate), time.time(), 0
    end = t0 + float(secs)
    while True:
        now = time.time()
        if now >= end:
            break
        due = t0 + n * gap
        if now < due:
            time.sleep(due - now)
        try:
            s.sendto(b"legit %d" % n + bytes(100), (dst, int(port)))
        except OSError:
            pass
        n += 1
    print("sent %d" % n)


def recv(port, secs):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(port)))
    s.settimeout(0.2)
    n, end = 0, time.time() + float(secs)
    while time.time() < end:
        try:
            s.recv(2048)
            n += 1
        except socket.timeout:
            pass
    print("received %d" % n)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "attack" and rest:
        attack(rest)
    elif cmd == "send" and len(rest) == 4:
        send(*rest)
    elif cmd == "recv" and len(rest) == 2:
        recv(*rest)
    else:
        sys.exit(__doc__)
