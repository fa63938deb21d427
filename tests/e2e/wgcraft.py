#!/usr/bin/env python3
"""Hand-made WireGuard packets for the bad-input test.

  wgcraft.py capture IFACE TIMEOUT       print (hex) the UDP payload of the first
                                          WireGuard data message sent out of IFACE
  wgcraft.py send HOST PORT HEX [COUNT]  send that payload (COUNT times)
  wgcraft.py flood HOST PORT N           N small UDP datagrams (through the tunnel)

Everything is bounded: capture gives up after TIMEOUT seconds (exit 1).
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
WG_PORT = 51820


def udp_payload(frame):
    """The UDP payload of an IPv4/IPv6 frame to WG_PORT, else None."""
    if len(frame) < 14:
        return None
    etype = struct.unpack("!H", frame[12:14])[0]
    if etype == 0x0800:
        ihl = (frame[14] & 0x0F) * 4
        if frame[23] != 17:
            return None
        udp = 14 + ihl
    elif etype == 0x86DD:
        if frame[20] != 17:
            return None
        udp = 14 + 40
    else:
        return None
    dport = struct.unpack("!H", frame[udp + 2:udp + 4])[0]
    return frame[udp + 8:] if dport == WG_PORT else None


def capture(iface, timeout):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            continue
        if addr[2] != socket.PACKET_OUTGOING:
            continue
        p = udp_payload(frame)
        # A data message with a non-empty payload (not a keepalive).
        if p and p[0] == 4 and len(p) > 32:
            print(p.hex())
            return 0
    return 1


def send(host, port, hexdata, count=1):
    data = bytes.fromhex(hexdata)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for _ in range(int(count)):
        s.sendto(data, (host, int(port)))
    return 0


def flood(host, port, n):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for i in range(int(n)):
        s.sendto(b"x" * 16, (host, int(port)))
        if i % 64 == 63:
            time.sleep(0.001)  # wireguard-go drops what its queues cannot hold
    return 0


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({"capture": capture, "send": send, "flood": flood}[cmd](*args))
