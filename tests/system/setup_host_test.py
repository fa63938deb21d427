#!/usr/bin/env python3
"""config/setup-host: a dry run on this machine prints a correct plan and
changes nothing; --apply and --undo against a fake sysfs/proc tree with a
fake dpdk-devbind.py (which records its calls and moves the fake driver
link, as the real one moves the real) do what the plan said and restore it.

  setup_host_test.py [SETUP_HOST]     (default: config/setup-host)
Prints ok/not ok lines; exit 0 when all passed."""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOL = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "config", "setup-host")
KEY = "8PARTpnOIVkUDZrLx8/5rmagd3go6BDNKUcpMm33NUA="
passed = failed = 0


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {what}")
    else:
        failed += 1
        print(f"not ok - {what}")
        for line in str(detail).splitlines()[-40:]:
            print(f"#   {line}")


def run(args, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("SETUP_HOST_", "SSH_"))}
    e.update(env or {})
    r = subprocess.run([TOOL] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=e, timeout=60)
    return r.returncode, r.stdout


def write(path, text=""):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def config(path, devices, memory=512):
    text = f"[Interface]\nPrivateKey = {KEY}\n[Dataplane]\nMemory = {memory}\n"
    for i, d in enumerate(devices):
        text += f"\n[Port p{i}]  \nDevice = {d}   # comment\nAddress = 192.0.2.{i + 1}/24\n"
    write(path, text)


# ------------------------------------------------------------ this machine

def default_iface():
    for line in open("/proc/net/route").read().splitlines()[1:]:
        f = line.split()
        if f[1] == "00000000" and f[7] == "00000000":
            return f[0]
    return None


def pci_of(iface):
    """The PCI address above a kernel interface, or None (virtual device)."""
    p = os.path.realpath(f"/sys/class/net/{iface}/device") if iface else ""
    while p and p != "/":
        if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", os.path.basename(p)):
            return os.path.basename(p)
        p = os.path.dirname(p)
    return None


def test_dry_run_here(tmp):
    conf = f"{tmp}/here.conf"
    gw_iface = default_iface()
    gw_pci = pci_of(gw_iface)
    devices = ["net_af_packet0,iface=veth0", "0000:7f:1f.7"] + ([gw_pci] if gw_pci else [])
    config(conf, devices)
    state = "/var/lib/wgate/setup-host.state"
    sysctl = "/etc/sysctl.d/80-wgate-hugepages.conf"
    before = (os.path.exists(state), os.path.exists(sysctl),
              open("/proc/sys/vm/nr_hugepages").read())
    rc, out = run(["-c", conf])
    check("dry run: says it is a dry run", "dry run" in out, out)
    check("dry run: exit 1 (a device to refuse or missing)", rc == 1, f"rc={rc}\n{out}")
    check("dry run: the vdev needs no binding",
          "Device = net_af_packet0,iface=veth0: a DPDK vdev, nothing to bind" in out, out)
    check("dry run: a missing PCI device is named",
          "Device = 0000:7f:1f.7: no such PCI device" in out, out)
    if gw_pci:
        check(f"dry run: refuses {gw_pci} ({gw_iface} carries the default route)",
              re.search(rf"REFUSE \[Port p2\] {re.escape(gw_pci)}: {gw_iface} carries the "
                        r"default route", out), out)
    else:
        print(f"# the default route's interface ({gw_iface}) is not on a PCI device here")
    flags = open("/proc/cpuinfo").read()
    want = "AVX-512" if "avx512f" in flags and "avx512vl" in flags else "AVX2"
    check(f"dry run: reports the CPU's {want}", f"CPU has {want}" in out or "lacks AVX2" in out, out)
    iommu = bool(os.listdir("/sys/kernel/iommu_groups")) if os.path.isdir(
        "/sys/kernel/iommu_groups") else False
    check("dry run: driver choice follows the IOMMU",
          ("binding with vfio-pci" in out) if iommu else ("falling back to uio_pci_generic" in out),
          out)
    have = int(open("/proc/sys/vm/nr_hugepages").read())
    want_pages = -(-512 * 5 // 4 // 2)
    if have >= want_pages:
        check("dry run: enough hugepages reserved, none asked for",
              f"{have} x 2 MiB hugepages reserved" in out and "would reserve" not in out, out)
    else:
        check("dry run: would reserve the hugepages",
              f"would reserve {want_pages} x 2 MiB" in out, out)
    check("dry run: no 'do' lines (nothing was done)", not re.search(r"^  do ", out, re.M), out)
    after = (os.path.exists(state), os.path.exists(sysctl),
             open("/proc/sys/vm/nr_hugepages").read())
    check("dry run: changed nothing (state file, sysctl.d, nr_hugepages)", before == after,
          f"{before} -> {after}")
    rc, out = run(["-c", conf, "--hugepage-size", "1G"])
    check("dry run 1G: prints the kernel command line advice",
          "default_hugepagesz=1G hugepagesz=1G hugepages=1" in out, out)
    rc, out = run(["-c", f"{tmp}/absent.conf"])
    check("a missing config: exit 64 naming it", rc == 64 and "absent.conf" in out, out)


# ------------------------------------------------------------ fake tree

FAKE_DEVBIND = r'''#!/usr/bin/env python3
# Fake dpdk-devbind.py: records argv, then moves the fake driver link (and
# the interface, which a kernel driver has and a DPDK driver has not).
import os, sys
sysfs, log = os.environ["FAKE_SYSFS"], os.environ["FAKE_DEVBIND_LOG"]
with open(log, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if args[0].startswith("--bind="):
    drv, addr = args[0][7:], args[1]
elif args[0] == "-u":
    drv, addr = "", args[1]
else:
    sys.exit(2)
dev = f"{sysfs}/bus/pci/devices/{addr}"
if os.path.lexists(f"{dev}/driver"):
    os.unlink(f"{dev}/driver")
if drv:
    os.makedirs(f"{sysfs}/bus/pci/drivers/{drv}", exist_ok=True)
    os.symlink(f"../../drivers/{drv}", f"{dev}/driver")
'''

FAKE_IP = r'''#!/bin/sh
# Fake ip: "ip -o route get ADDR": 203.0.113.9 (the SSH client) via eth2.
case "$4" in
203.0.113.9) echo "203.0.113.9 via 10.9.0.1 dev eth2 src 10.9.0.5 uid 0";;
*) echo "$4 dev lo";;
esac
'''


def fake_tree(tmp):
    sysfs, proc = f"{tmp}/sys", f"{tmp}/proc"
    for addr, drv, ifc in (("0000:01:00.0", "ixgbe", "eth1"), ("0000:01:00.1", "ixgbe", "eth3"),
                           ("0000:02:00.0", "e1000e", "eth0"), ("0000:03:00.0", "igb", "eth2"),
                           ("0000:04:00.0", "", None)):
        d = f"{sysfs}/bus/pci/devices/{addr}"
        os.makedirs(d)
        if drv:
            os.makedirs(f"{sysfs}/bus/pci/drivers/{drv}", exist_ok=True)
            os.symlink(f"../../drivers/{drv}", f"{d}/driver")
        if ifc:
            os.makedirs(f"{d}/net/{ifc}")
    os.makedirs(f"{sysfs}/kernel/iommu_groups/7")
    os.makedirs(f"{sysfs}/module/vfio_pci")
    write(f"{sysfs}/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n")
    write(f"{proc}/cpuinfo", "processor\t: 0\nflags\t\t: fpu sse4_2 avx avx2 bmi2 aes\n")
    write(f"{proc}/mounts", "hugetlbfs /dev/hugepages hugetlbfs rw 0 0\n")
    write(f"{proc}/net/route",
          "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
          "eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
          "eth0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
    write(f"{proc}/net/ipv6_route", "")
    # An established session from 203.0.113.9:50000 to local port 22.
    write(f"{proc}/net/tcp",
          "  sl  local_address rem_address   st tx_queue rx_queue\n"
          "   0: 0500090A:0016 097100CB:C350 01 00000000:00000000\n"
          "   1: 0500090A:1F90 097100CB:C351 01 00000000:00000000\n")
    write(f"{proc}/net/tcp6", "")
    for name, text in (("devbind", FAKE_DEVBIND), ("ip", FAKE_IP)):
        write(f"{tmp}/{name}", text)
        os.chmod(f"{tmp}/{name}", 0o755)
    write(f"{tmp}/modprobe", "#!/bin/sh\necho \"$@\" >> \"$FAKE_MODPROBE_LOG\"\n")
    os.chmod(f"{tmp}/modprobe", 0o755)
    env = {"SETUP_HOST_SYSFS": sysfs, "SETUP_HOST_PROC": proc,
           "SETUP_HOST_DEVBIND": f"{tmp}/devbind", "SETUP_HOST_IP": f"{tmp}/ip",
           "SETUP_HOST_MODPROBE": f"{tmp}/modprobe",
           "SETUP_HOST_STATE_DIR": f"{tmp}/state", "SETUP_HOST_SYSCTL_DIR": f"{tmp}/etc/sysctl.d",
           "FAKE_SYSFS": sysfs, "FAKE_DEVBIND_LOG": f"{tmp}/devbind.log",
           "FAKE_MODPROBE_LOG": f"{tmp}/modprobe.log"}
    return sysfs, env


def driver(sysfs, addr):
    link = f"{sysfs}/bus/pci/devices/{addr}/driver"
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else ""


def calls(path):
    return open(path).read().splitlines() if os.path.exists(path) else []


def test_fake_tree(tmp):
    sysfs, env = fake_tree(tmp)
    log = env["FAKE_DEVBIND_LOG"]
    hp = f"{sysfs}/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    sysctl = f"{tmp}/etc/sysctl.d/80-wgate-hugepages.conf"
    state = f"{tmp}/state/setup-host.state"
    conf = f"{tmp}/wgate.conf"
    # wan, lan on the same NIC's two ports, lan again (one-armed), a vdev,
    # a device without a driver.
    config(conf, ["0000:01:00.0", "01:00.1", "0000:01:00.1", "net_af_xdp0,iface=eth9",
                  "net_tap0,iface=gw0", "0000:04:00.0"], memory=1024)

    rc, out = run(["-c", conf], env)
    check("fake: dry run exit 0", rc == 0, out)
    check("fake: dry run reports AVX2 without AVX-512", "AVX2 but not AVX-512" in out, out)
    check("fake: dry run picks vfio-pci (IOMMU groups present)", "binding with vfio-pci" in out, out)
    check("fake: vfio_pci loaded: no modprobe", "modprobe" not in out, out)
    check("fake: dry run would reserve 640 hugepages (1024 MB + 25 %)",
          "would reserve 640 x 2 MiB hugepages now (have 0)" in out, out)
    check("fake: dry run would persist in sysctl.d",
          f"write 'vm.nr_hugepages = 640' to {sysctl}" in out, out)
    for addr, was in (("0000:01:00.0", "ixgbe, interface eth1"),
                      ("0000:01:00.1", "ixgbe, interface eth3"), ("0000:04:00.0", "no driver")):
        check(f"fake: dry run would bind {addr} ({was})",
              f"{addr} ({was}) to vfio-pci: {tmp}/devbind --bind=vfio-pci {addr}" in out, out)
    check("fake: the shared device once", out.count("shared with an earlier port") == 1, out)
    check("fake: each vdev needs no binding", out.count("a DPDK vdev, nothing to bind") == 2, out)
    check("fake: dry run ran nothing", not calls(log) and open(hp).read() == "0\n"
          and not os.path.exists(sysctl) and not os.path.exists(state), calls(log))

    rc, out = run(["-c", conf, "--apply"], env)
    check("fake: --apply exit 0", rc == 0, out)
    check("fake: --apply bound the three devices with dpdk-devbind, in order",
          calls(log) == ["--bind=vfio-pci 0000:01:00.0", "--bind=vfio-pci 0000:01:00.1",
                         "--bind=vfio-pci 0000:04:00.0"], calls(log))
    check("fake: the devices are on vfio-pci",
          [driver(sysfs, a) for a in ("0000:01:00.0", "0000:01:00.1", "0000:04:00.0")]
          == ["vfio-pci"] * 3)
    check("fake: hugepages reserved now", open(hp).read().strip() == "640")
    check("fake: hugepages persisted", "vm.nr_hugepages = 640" in (open(sysctl).read()
                                                                 if os.path.exists(sysctl) else ""))
    st = json.load(open(state)) if os.path.exists(state) else {}
    check("fake: the state file records the previous drivers",
          {a: d["driver"] for a, d in st.get("devices", {}).items()} ==
          {"0000:01:00.0": "ixgbe", "0000:01:00.1": "ixgbe", "0000:04:00.0": ""}, st)
    check("fake: the state file records the previous hugepages",
          st.get("hugepages", {}).get("previous") == 0 and
          st.get("hugepages", {}).get("sysctl_previous", "x") is None, st)

    rc, out = run(["-c", conf, "--apply"], env)
    check("fake: a second --apply has nothing to do",
          rc == 0 and len(calls(log)) == 3 and "is bound to vfio-pci" in out, out)

    # Refusals: eth0 carries the default route, eth2 the SSH session.
    bad = f"{tmp}/bad.conf"
    config(bad, ["0000:02:00.0", "0000:03:00.0"])
    rc, out = run(["-c", bad, "--apply"], env)
    check("fake: refuses the default route's device (exit 1)", rc == 1 and re.search(
        r"REFUSE \[Port p0\] 0000:02:00.0: eth0 carries the default route", out), out)
    check("fake: refuses the SSH session's device", re.search(
        r"REFUSE \[Port p1\] 0000:03:00.0: eth2 carries the SSH session from 203.0.113.9",
        out), out)
    check("fake: a refusal changes nothing (the rest is a dry run)",
          "REFUSED, nothing changes" in out and "  do " not in out, out)
    check("fake: refused devices untouched", len(calls(log)) == 3 and
          driver(sysfs, "0000:02:00.0") == "e1000e" and driver(sysfs, "0000:03:00.0") == "igb",
          calls(log))

    rc, out = run(["--undo"], env)
    check("fake: --undo without --apply is a dry run",
          rc == 0 and "would give 0000:01:00.0 back to ixgbe" in out and len(calls(log)) == 3, out)
    rc, out = run(["--undo", "--apply"], env)
    check("fake: --undo --apply exit 0", rc == 0, out)
    check("fake: --undo rebinds the previous drivers (unbinds the driverless one)",
          sorted(calls(log)[3:]) == ["--bind=ixgbe 0000:01:00.0", "--bind=ixgbe 0000:01:00.1",
                                     "-u 0000:04:00.0"], calls(log))
    check("fake: drivers restored",
          [driver(sysfs, a) for a in ("0000:01:00.0", "0000:01:00.1", "0000:04:00.0")]
          == ["ixgbe", "ixgbe", ""])
    check("fake: hugepages restored and sysctl.d file removed",
          open(hp).read().strip() == "0" and not os.path.exists(sysctl))
    check("fake: state file removed", not os.path.exists(state))
    rc, out = run(["--undo", "--apply"], env)
    check("fake: a second --undo has nothing to do", rc == 0 and "nothing to undo" in out, out)

    # No IOMMU: uio_pci_generic with a warning, and the module is loaded.
    os.rmdir(f"{sysfs}/kernel/iommu_groups/7")
    rc, out = run(["-c", conf, "--apply", "--hugepages", "0"], env)
    check("fake: without an IOMMU, uio_pci_generic with a warning",
          "WARN  no IOMMU" in out and driver(sysfs, "0000:01:00.0") == "uio_pci_generic", out)
    check("fake: ... and modprobe uio_pci_generic",
          calls(env["FAKE_MODPROBE_LOG"]) == ["uio_pci_generic"], calls(env["FAKE_MODPROBE_LOG"]))
    rc, out = run(["--undo", "--apply"], env)
    check("fake: undo after the uio bind", rc == 0 and driver(sysfs, "0000:01:00.0") == "ixgbe", out)


with tempfile.TemporaryDirectory() as tmp:
    test_dry_run_here(tmp)
    fake = f"{tmp}/fake"
    os.makedirs(fake)
    test_fake_tree(fake)
print(f"# {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
