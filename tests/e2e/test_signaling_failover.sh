#!/bin/bash
# A Sentinel failover is survived: two redis-server instances (master and
# replica) and one sentinel (redis-server --sentinel) in the gateway's
# namespace; wgate and wgatectl use redis+sentinel://. The master is killed
# (SIGKILL); the sentinel promotes the replica; the gateway asks the sentinel
# again, follows the new master, keeps what it had, and applies a change
# written to the new master.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/sig_lib.sh"
is_wgate || { echo "# SKIP: signaling is wgate's"; exit 0; }

P1=$SIG_PORT P2=$((SIG_PORT + 1)) P3=$((SIG_PORT + 2))
GW_GRANTS=0
topo_create 0
mkdir -p "$E2E_WORK/r1" "$E2E_WORK/r2" "$E2E_WORK/s"
e2e_spawn redis1 "$E2E_WORK/redis1.log" "$NS_GW" redis-server --port "$P1" --bind 127.0.0.1 \
	--save '' --dir "$E2E_WORK/r1"
R1_PID=$E2E_LAST_PID
e2e_spawn redis2 "$E2E_WORK/redis2.log" "$NS_GW" redis-server --port "$P2" --bind 127.0.0.1 \
	--save '' --dir "$E2E_WORK/r2" --replicaof 127.0.0.1 "$P1"
cat >"$E2E_WORK/s/sentinel.conf" <<-EOC
	port $P3
	bind 127.0.0.1
	dir $E2E_WORK/s
	sentinel monitor wgm 127.0.0.1 $P1 1
	sentinel down-after-milliseconds wgm 1000
	sentinel failover-timeout wgm 4000
	sentinel parallel-syncs wgm 1
EOC
e2e_spawn sentinel "$E2E_WORK/sentinel.log" "$NS_GW" redis-server "$E2E_WORK/s/sentinel.conf" --sentinel
wait_until 10 in_gw redis-cli -p "$P3" ping >/dev/null || bail "sentinel starts" "$(tail "$E2E_WORK/sentinel.log")"
replica_synced() { in_gw redis-cli -p "$P2" info replication | grep -q 'master_link_status:up'; }
check_within 10 "the replica is in sync" replica_synced

SURL=redis+sentinel://127.0.0.1:$P3/wgm/0
GW_EXTRA_CONFIG=$(printf '[Signaling]\nRedis = %s\nGatewayId = %s\n' "$SURL" "$SIG_GID")
gw_start
sctl() { in_gw "$WGATECTL_BIN" --redis "$SURL" --gateway-id "$SIG_GID" "$@"; }
has_res() { gw_ctl resources | grep -q "$1"; }
promoted() { in_gw redis-cli -p "$P3" sentinel get-master-addr-by-name wgm | grep -qx "$P2"; }
connected() { gw_ctl --json status | grep -q '"signaling_connected": 1'; }

check "wgatectl writes through the sentinel's master" sctl resource add before --address 10.7.0.0/24
check_within 5 "the gateway (through the sentinel) applies it" has_res before
check "the gateway logged the master the sentinel named" grep -q "sentinel: master wgm is 127.0.0.1:$P1" "$E2E_WORK/wgate.log"

# The sentinel learns replicas from the master's INFO (every 10 s); a
# failover before that finds no replica to promote.
knows_replica() { in_gw redis-cli -p "$P3" sentinel replicas wgm | grep -qx "$P2"; }
check_within 30 "the sentinel knows the replica" knows_replica
kill -9 "$R1_PID"
e2e_note "master on port $P1 killed"
check_within 30 "the sentinel promotes the replica" promoted
check_within 20 "wgatectl writes to the new master" sctl resource add after --address 10.8.0.0/24
check_within 65 "the gateway follows the failover and applies the change" has_res after
check "and keeps what it had" has_res before
check "it logged the new master" grep -q "sentinel: master wgm is 127.0.0.1:$P2" "$E2E_WORK/wgate.log"
check_within 10 "status: connected again" connected
