#ifndef WGATE_CONTROL_TELEMETRY_H
#define WGATE_CONTROL_TELEMETRY_H

/* Registers /wgate/status, /wgate/counters and /wgate/peers on the DPDK
 * telemetry socket (read by wgatectl and dpdk-telemetry.py). */
int ctl_telemetry_init(void);
/* Registers /wgate/resources, /wgate/resource and /wgate/access
 * (telemetry_policy.c); called by ctl_telemetry_init(). */
int ctl_telemetry_policy_init(void);
/* Registers /wgate/flags and /wgate/flag (telemetry_flags.c). */
int ctl_telemetry_flags_init(void);

/* Registers /wgate/bounds (telemetry_bounds.c: `wgatectl bounds`); called
 * by ctl_telemetry_init(). */
int ctl_telemetry_bounds_init(void);

/* Registers /wgate/load (telemetry_load.c: wgatectl top's samples); called
 * by ctl_telemetry_init(). */
int ctl_telemetry_load_init(void);

#endif
