#ifndef WGATE_DATAPLANE_WORKER_H
#define WGATE_DATAPLANE_WORKER_H

/* Entry point of a worker lcore (rte_eal_remote_launch); arg = struct dp_worker *. */
int dp_worker_main(void *arg);

#endif
