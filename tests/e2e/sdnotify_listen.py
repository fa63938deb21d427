#!/usr/bin/env python3
"""A stand-in for systemd's notification socket (sd_notify(3)).

  sdnotify_listen.py NAME OUT [SECONDS]

Binds an AF_UNIX datagram socket at NAME (a path, or @name for the abstract
namespace), prints "ready", then appends one line per datagram to OUT:
"<ms since start> <sender pid> <message with newlines as |>". The sender
pid comes from the kernel (SCM_CREDENTIALS), as systemd takes it, so a test
can check that the gateway's main process itself sent. Exits after SECONDS
(default 60)."""
import os
import socket
import struct
import sys
import time

name, out = sys.argv[1], sys.argv[2]
limit = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0
addr = "\0" + name[1:] if name.startswith("@") else name
if not name.startswith("@") and os.path.exists(name):
    os.unlink(name)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(addr)
print("ready", flush=True)
start = time.monotonic()
with open(out, "a") as f:
    while time.monotonic() - start < limit:
        s.settimeout(max(0.1, limit - (time.monotonic() - start)))
        try:
            msg, anc, _flags, _addr = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            break
        pid = 0
        for level, typ, data in anc:
            if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", data[:12])[0]
        text = msg.decode(errors="replace").replace("\n", "|")
        f.write(f"{int((time.monotonic() - start) * 1000)} {pid} {text}\n")
        f.flush()
