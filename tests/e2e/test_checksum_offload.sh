#!/bin/bash
# Outer checksums offloaded to the port: the wan port is net_tap, which
# offers IPv4 header and UDP checksum offload (and computes them in its TX
# path, as a NIC would). wgate turns them on and leaves the sums to the
# port; the clients' kernels check them (IPv4 header always, UDP over IPv6
# always), so traffic flowing both ways over IPv4 and IPv6 outer proves the
# mbufs asked for the right thing.
source "$(dirname "$0")/lib.sh"
is_wgate || { echo "# wgate only"; exit 0; }

GW_WAN_TAP=1
topo_create 2
client_keys 0
client_keys 1
gw_start
client_up 0
client_up 1 v6

check "wgate turned both outer checksum offloads on for wan" \
	grep -q "port wan: outer checksums: IPv4 header offloaded, UDP offloaded" "$E2E_WORK/wgate.log"
check "and computes them itself for lan (af_packet has none)" \
	grep -q "port lan: outer checksums: IPv4 header software, UDP software" "$E2E_WORK/wgate.log"
check_within 20 "IPv4 outer: curl through the offloading port" client_get_ok 0 "$URL4"
check "IPv4 outer: 2 MB" client_get_big_ok 0 "$URL4"
check_within 20 "IPv6 outer: curl through the offloading port" client_get_ok 1 "$URL4"
check "IPv6 outer: 2 MB" client_get_big_ok 1 "$URL6"
check "IPv6 outer: ping" in_client 1 ping -c 3 -i 0.2 -W 2 "$RES4"
