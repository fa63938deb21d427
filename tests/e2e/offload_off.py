#!/usr/bin/env python3
"""Turn off checksum and segmentation offloads on network interfaces.

usage: offload_off.py IFNAME...   (run inside the interface's namespace)

Why: a veth with TX checksum offload hands its peer packets whose TCP/UDP
checksums are not filled in yet, and with TSO/GSO/GRO it hands over 64 KiB
super-frames. The kernel on the other side copes; a DPDK af_packet port does
not (it sees bad checksums and frames larger than its ring slots), and it
would forward them as they are. Real NICs never put such frames on a wire.

Done through the legacy ETHTOOL_S* ioctls so that the tests need no ethtool
package. An offload the driver does not have is skipped; any other error
fails.
"""
import ctypes
import errno
import fcntl
import socket
import struct
import sys

SIOCETHTOOL = 0x8946
# struct ethtool_value commands (linux/ethtool.h), in the order that avoids
# dependencies: TSO needs SG and TX checksumming, so those go last.
OFFLOADS = [("gro", 0x0000002c), ("gso", 0x00000024), ("tso", 0x0000001f),
            ("sg", 0x00000019), ("tx-checksum", 0x00000017)]


def set_off(sock, ifname, cmd):
    val = ctypes.create_string_buffer(struct.pack("II", cmd, 0))
    ifreq = struct.pack("16sP", ifname.encode(), ctypes.addressof(val))
    ifreq += b"\0" * (40 - len(ifreq))
    fcntl.ioctl(sock, SIOCETHTOOL, ifreq)


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for ifname in sys.argv[1:]:
        for name, cmd in OFFLOADS:
            try:
                set_off(sock, ifname, cmd)
            except OSError as e:
                if e.errno in (errno.EOPNOTSUPP, errno.EINVAL):
                    continue
                print(f"offload_off: {ifname}: {name}: {e.strerror}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
