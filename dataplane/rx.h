#ifndef WGATE_DATAPLANE_RX_H
#define WGATE_DATAPLANE_RX_H

#include <stdint.h>

#include "dataplane/dp.h"

/* What one received burst sorts into. Per-lcore scratch, reset each burst. */
struct dp_rx_sort {
	struct rte_mbuf *data[DP_BURST];	/* WireGuard data messages */
	struct rte_mbuf *enc[DP_BURST];		/* inner packets bound for clients */
	uint16_t n_data, n_enc;
};

void dp_rx_sort_burst(struct dp_worker *w, uint8_t port_idx, struct rte_mbuf **pkts,
		      uint16_t n, struct dp_rx_sort *out);

#endif
