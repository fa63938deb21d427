#!/bin/sh
# The per-packet files of the data plane must stay free of allocation, locks,
# syscalls and logging (shared/STYLE.md rule 7). Fails naming each offence.
cd "$(dirname "$0")/.." || exit 2
files="dataplane/rx.c dataplane/decrypt.c dataplane/encrypt.c dataplane/frag.c dataplane/xmit.c
       dataplane/worker.c dataplane/icmp.c dataplane/hs_guard.c dataplane/nat.c dataplane/pipeline.h
       dataplane/dp.h"
pattern='\b(malloc|calloc|realloc|free|rte_malloc|rte_zmalloc|rte_free|pthread_mutex_[a-z]+|printf|fprintf|syslog|WG_LOG|DP_LOG|RTE_LOG|rte_log|clock_gettime|gettimeofday|time)[[:space:]]*\('
# rte_pktmbuf_free returns an mbuf to its per-lcore cache: allowed.
hits=$(grep -nHE "$pattern" $files | grep -vE 'rte_pktmbuf_free|^[^:]+:[0-9]+:\s*(\*|/\*|//)')
if [ -n "$hits" ]; then
	echo "per-packet code must not allocate, lock, log or read clocks:"
	echo "$hits"
	exit 1
fi
echo "ok - no allocation, lock, log or clock call in: $(echo $files)"
