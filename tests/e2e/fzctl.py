#!/usr/bin/env python3
"""Plays a Firezone client's side of the in-tunnel control protocol
(shared/reference/firezone-gateway.md, "DNS resources") on a wireguard-go
client's tun interface: raw inner IPv6 packets written with an AF_PACKET
SOCK_DGRAM socket (protocol ETH_P_IPV6), which the tun hands to
wireguard-go, and the gateway's DomainStatus read back the same way.

The client's gateway peer needs ::/128 in its AllowedIPs: wireguard-go
routes the control packet (destination ::) by it and accepts the answer
(source ::) by it.

  fzctl.py IFACE assigned RESOURCE DOMAIN IP...   -> prints the status
  fzctl.py IFACE goodbye
  fzctl.py IFACE raw HEX [--hop N]                 control packet of raw payload
                                                   (event header + body, hex)
  fzctl.py IFACE expect-none SECONDS              no DomainStatus comes
  fzctl.py IFACE bulk RESOURCE SUFFIX N           AssignedIps for N names
      nI.SUFFIX (4 IPv4 proxies each, 100.97-100.x.y), 50 a second; prints
      "Active=A Inactive=I" once all are answered (exit 1 if not in time)

Prints "status Active|Inactive resource=R domain=D" for the answer; exit 1
when none comes in time (the AssignedIps is re-sent every second, as
clients retransmit, for at most --wait seconds, default 8)."""
import json
import select
import socket
import struct
import sys
import time

ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4


def control_packet(payload, hop=0):
    hdr = struct.pack("!IHBB", 6 << 28, len(payload), 0xFF, hop)
    return hdr + bytes(16) + bytes(16) + payload


def event(ev, body=b""):
    return bytes([ev]) + bytes(7) + body


def open_sock(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IPV6))
    s.bind((ifname, ETH_P_IPV6))
    return s


def send(s, ifname, pkt):
    s.sendto(pkt, (ifname, ETH_P_IPV6))


def read_status(s, deadline):
    """The next DomainStatus that arrives before deadline, or None."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        data, addr = s.recvfrom(65536)
        if addr[2] == PACKET_OUTGOING or len(data) < 48:
            continue
        if data[6] != 0xFF or data[7] != 0 or any(data[8:40]) or data[40] != 1:
            continue
        plen = struct.unpack("!H", data[4:6])[0]
        return json.loads(data[48:40 + plen])


def bulk(s, ifname, resource, suffix, n, wait):
    got = {}
    end = time.monotonic() + wait
    for i in range(n):
        ips = ["100.%d.%d.%d" % (97 + k, i >> 8, i & 255) for k in range(4)]
        body = json.dumps({"resource": resource, "domain": "n%d.%s" % (i, suffix),
                           "proxy_ips": ips}, separators=(",", ":")).encode()
        send(s, ifname, control_packet(event(0, body)))
        pace = time.monotonic() + 0.02
        while True:
            st = read_status(s, pace)
            if st is None:
                break
            got[st.get("domain")] = st.get("status")
    while len(got) < n:
        st = read_status(s, end)
        if st is None:
            break
        got[st.get("domain")] = st.get("status")
    act = sum(1 for v in got.values() if v == "Active")
    print("Active=%d Inactive=%d" % (act, len(got) - act))
    return 0 if len(got) == n else 1


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    ifname, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    wait = 8.0
    hop = 0
    if "--wait" in args:
        i = args.index("--wait")
        wait = float(args[i + 1])
        del args[i:i + 2]
    if "--hop" in args:
        i = args.index("--hop")
        hop = int(args[i + 1])
        del args[i:i + 2]
    s = open_sock(ifname)
    if cmd == "goodbye":
        send(s, ifname, control_packet(event(2)))
        return 0
    if cmd == "raw":
        send(s, ifname, control_packet(bytes.fromhex(args[0]), hop))
        return 0
    if cmd == "expect-none":
        st = read_status(s, time.monotonic() + float(args[0]))
        if st is not None:
            print("unexpected status", json.dumps(st))
            return 1
        return 0
    if cmd == "bulk":
        return bulk(s, ifname, args[0], args[1], int(args[2]), wait)
    if cmd != "assigned" or len(args) < 3:
        print(__doc__, file=sys.stderr)
        return 64
    body = json.dumps({"resource": args[0], "domain": args[1], "proxy_ips": args[2:]},
                      separators=(",", ":")).encode()
    pkt = control_packet(event(0, body))
    end = time.monotonic() + wait
    while time.monotonic() < end:
        send(s, ifname, pkt)
        st = read_status(s, min(end, time.monotonic() + 1.0))
        while st is not None and (st.get("resource") != args[0] or st.get("domain") != args[1]):
            st = read_status(s, min(end, time.monotonic() + 1.0))
        if st is not None:
            print("status %s resource=%s domain=%s" % (st.get("status"), st.get("resource"),
                                                      st.get("domain")))
            return 0
    print("no DomainStatus within %.0f s" % wait)
    return 1


if __name__ == "__main__":
    sys.exit(main())
