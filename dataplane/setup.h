/* Bringing the data plane up and down. Runs on the main lcore only, after
 * rte_eal_init and before any worker is launched. */
#ifndef WGATE_DATAPLANE_SETUP_H
#define WGATE_DATAPLANE_SETUP_H

struct wg_config;

/* Ports, pools, rings, RCU, tables and worker contexts. 0 or -errno; on
 * error a message has been logged. */
int dp_setup(const struct wg_config *cfg);
/* Launches one worker per non-main lcore. */
int dp_launch(void);
/* Stops workers, waits for them, closes ports. */
void dp_shutdown(void);
/* Whether every port reports link up (virtual ports always do). */
int dp_ports_up(void);
/* Control core, once a second: logs each port's link going down or up
 * (and counts link_down), so an operator sees a cable pulled. */
void dp_ports_watch(void);

#endif
