#!/usr/bin/env python3
"""DNS load for benchmarks/dns_bench: keeps WINDOW queries for NAME (type A)
outstanding against SERVER:53 over UDP for SECONDS (after WARMUP s not
counted), each answer starting the next query. A query unanswered after 1 s
counts as lost and its slot is reused. Only answers with the expected id,
QR set, rcode RCODE and at least one answer record (for NOERROR) count.

  dnsload.py SERVER NAME SECONDS [WINDOW] [WARMUP] [RCODE]

Prints "answered=N seconds=S qps=Q lost=N bad=N".
"""
import select
import socket
import struct
import sys
import time


def query(qid, name):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def main():
    server, name, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    window = int(sys.argv[4]) if len(sys.argv) > 4 else 32
    warmup = float(sys.argv[5]) if len(sys.argv) > 5 else 0.3
    want_rcode = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect((server, 53))
    s.setblocking(False)
    body = query(0, name)[2:]
    out = {}                    # id -> time sent
    next_id = 1
    answered = lost = bad = 0
    t0 = time.monotonic()
    start, end = t0 + warmup, t0 + warmup + seconds
    counting = False

    def send(now):
        nonlocal next_id
        qid = next_id
        next_id = next_id % 65535 + 1
        try:
            s.send(struct.pack(">H", qid) + body)
        except BlockingIOError:
            return
        out[qid] = now

    now = time.monotonic()
    for _ in range(window):
        send(now)
    while True:
        now = time.monotonic()
        if not counting and now >= start:
            counting, answered, lost, bad = True, 0, 0, 0
            start = now
        if now >= end:
            break
        r, _, _ = select.select([s], [], [], 0.05)
        now = time.monotonic()
        if r:
            while True:
                try:
                    m = s.recv(4096)
                except BlockingIOError:
                    break
                if len(m) < 12:
                    bad += 1
                    continue
                qid, flags, _, an = struct.unpack(">HHHH", m[:8])
                if qid not in out:
                    continue    # late, after we gave up on it
                del out[qid]
                if not flags & 0x8000 or flags & 0xF != want_rcode or \
                        (want_rcode == 0 and an < 1):
                    bad += 1
                else:
                    answered += 1
                send(now)
        for qid in [q for q, t in out.items() if now - t > 1.0]:
            del out[qid]
            lost += 1
            send(now)
        while len(out) < window:
            send(now)
    el = time.monotonic() - start
    print("answered=%d seconds=%.3f qps=%.0f lost=%d bad=%d" % (answered, el, answered / el,
                                                                lost, bad))


main()
