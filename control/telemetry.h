#ifndef WGATE_CONTROL_TELEMETRY_H
#define WGATE_CONTROL_TELEMETRY_H

/* Registers /wgate/status, /wgate/counters and /wgate/peers on the DPDK
 * telemetry socket (read by wgatectl and dpdk-telemetry.py). */
int ctl_telemetry_init(void);

#endif
