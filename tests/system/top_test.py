#!/usr/bin/env python3
"""wgatectl top's arithmetic against a fake telemetry server: two /wgate/load
and /wgate/counters samples with known differences must print exactly the
busy %, Mpps, Gb/s, handshakes/s and drop rates they imply (the live view
under tmux is tests/e2e/test_top.sh).

usage: top_test.py PATH/TO/wgatectl      (meson suite 'fast': no root)"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from ctltest import WGATECTL, check, summary  # noqa: E402
from fake_telemetry import FakeTelemetry, default_replies  # noqa: E402

HZ = 2_000_000_000


def stepper(samples):
    """A reply that is the next of samples at each call (the last one sticks)."""
    state = {"n": 0}

    def reply(_params):
        s = samples[min(state["n"], len(samples) - 1)]
        state["n"] += 1
        return s
    return reply


LOAD = [
    {"tsc": 10 * HZ, "tsc_hz": HZ, "workers": 2, "peers": 4, "sessions": 3, "uptime_s": 3661,
     "lcore": [1, 2], "busy_cycles": [0, 100], "rx_packets": [0, 0], "tx_packets": [5, 5],
     "tunnel_rx_bytes": [100, 0], "tunnel_tx_bytes": [0, 0],
     "port": ["wan", "lan"], "port_rx_packets": [0, 0], "port_rx_bytes": [0, 0],
     "port_tx_packets": [0, 0], "port_tx_bytes": [0, 0], "port_missed": [0, 0]},
    # 2 s later on the gateway's TSC.
    {"tsc": 12 * HZ, "tsc_hz": HZ, "workers": 2, "peers": 4, "sessions": 3, "uptime_s": 3663,
     "lcore": [1, 2], "busy_cycles": [2 * HZ, 100 + HZ], "rx_packets": [4_000_000, 2_000_000],
     "tx_packets": [5, 1_000_005],
     "tunnel_rx_bytes": [100 + 750_000_000, 0], "tunnel_tx_bytes": [0, 125_000_000],
     "port": ["wan", "lan"], "port_rx_packets": [6_000_000, 0],
     "port_rx_bytes": [500_000_000, 0], "port_tx_packets": [0, 2_000_000],
     "port_tx_bytes": [0, 250_000_000], "port_missed": [0, 40]},
]
COUNTERS = [
    {"rx_packets": 1, "handshake_completed": 10, "drop_bad_tag": 0, "refused_no_grant": 7,
     "drop_no_session": 0, "handshake_drop_bad_mac1": 2},
    {"rx_packets": 6_000_001, "handshake_completed": 20, "drop_bad_tag": 60,
     "refused_no_grant": 7, "drop_no_session": 0, "handshake_drop_bad_mac1": 4},
]


def main():
    tmp = tempfile.mkdtemp(prefix="wgatectl-top-")
    sock = os.path.join(tmp, "dpdk_telemetry.v2")
    replies = default_replies()
    replies["/wgate/load"] = stepper(LOAD)
    replies["/wgate/counters"] = stepper(COUNTERS)
    srv = FakeTelemetry(sock, replies).start()
    try:
        p = subprocess.run([WGATECTL, "--socket", sock, "top", "--once", "--interval", "0.1"],
                           capture_output=True, text=True, timeout=20)
        out = p.stdout
        rows = {ln.split()[0]: ln.split() for ln in out.splitlines() if ln.split()}
        check(p.returncode == 0, "top --once: exit 0", f"rc={p.returncode} {p.stderr}")
        check(srv.commands[:3] == ["/wgate/status", "/wgate/load", "/wgate/counters"],
              "top samples /wgate/load and /wgate/counters", srv.commands)
        check(out.startswith(f"wgate 0.1.0  {sock}  up 0d 01:01:03  "), "header: version, socket, uptime",
              out)
        check("peers 4  sessions 3  handshakes/s 5.0 (completed 20)  over 2.00 s" in out,
              "sessions, peers and handshakes/s over the gateway's 2 s", out)
        check(rows.get("0") == ["0", "1", "100.0%", "2.000", "0.000", "3.000", "0.000"],
              "worker 0: busy 100 %, 2 Mpps in, 3 Gb/s of WireGuard in", rows.get("0"))
        check(rows.get("1") == ["1", "2", "50.0%", "1.000", "0.500", "0.000", "0.500"],
              "worker 1: busy 50 %, 1 Mpps in, 0.5 out, 0.5 Gb/s of WireGuard out", rows.get("1"))
        check(rows.get("all") == ["all", "75.0%", "3.000", "0.500", "3.000", "0.500"],
              "all workers: mean busy, summed rates", rows.get("all"))
        check(rows.get("wan") == ["wan", "3.000", "2.000", "0.000", "0.000", "0"],
              "port wan: 3 Mpps and 2 Gb/s in", rows.get("wan"))
        check(rows.get("lan") == ["lan", "0.000", "0.000", "1.000", "1.000", "20"],
              "port lan: 1 Mpps and 1 Gb/s out, 20 missed/s", rows.get("lan"))
        drops = out.split("DROPS (by reason)")[1].splitlines()[1:]
        check([d.split() for d in drops] ==
              [["drop_bad_tag", "30.0", "60"], ["handshake_drop_bad_mac1", "1.0", "4"],
               ["refused_no_grant", "0.0", "7"]],
              "drops by reason: rate, then total; zero counters and non-drops left out", drops)
        check("\033" not in out, "no escape codes on a pipe", repr(out[:80]))

        p = subprocess.run([WGATECTL, "--socket", sock, "top", "--iterations", "3",
                            "--interval", "0.1"], capture_output=True, text=True, timeout=20)
        check(p.returncode == 0 and p.stdout.count("\nWORKER") == 3,
              "--iterations 3: three screens", p.stdout[-400:])
        check("over 0.00 s" in p.stdout and "nan" not in p.stdout.lower(),
              "an unchanged TSC gives zero rates, not NaN", p.stdout[-600:])
    finally:
        srv.stop()
    # The gateway went away: exit 2.
    p = subprocess.run([WGATECTL, "--socket", sock, "top", "--once"], capture_output=True,
                       text=True, timeout=20)
    check(p.returncode == 2, "top without a gateway: exit 2", p.stderr)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
