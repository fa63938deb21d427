#ifndef WGATE_DATAPLANE_WORKER_H
#define WGATE_DATAPLANE_WORKER_H

struct dp_worker;

/* Entry point of a worker lcore (rte_eal_remote_launch); arg = struct dp_worker *. */
int dp_worker_main(void *arg);
/* One round of the worker loop: receive and process a burst on every port,
 * what other workers handed off and what the control core queued, then
 * flush. Returns the number of packets taken in (0 = idle). The caller
 * reports quiescence. Also what the pipeline benchmark drives. */
unsigned int dp_worker_poll(struct dp_worker *w);

#endif
