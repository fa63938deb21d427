#ifndef WGATE_CONTROL_TIMERS_H
#define WGATE_CONTROL_TIMERS_H

#include <stdint.h>

struct ctl_peer;

/* Folds the workers' stamps into every peer's timer state and carries out
 * what wg_timers_decide() asks for. Called about every 100 ms. */
void ctl_timers_tick(uint64_t now_ns);
/* Converts a worker TSC stamp to the control core's monotonic ns. */
uint64_t ctl_tsc_to_ns(uint64_t tsc);
void ctl_timers_init(void);
/* Re-anchors the workers' wall clock to the TSC (about once a second). */
void ctl_clock_tick(void);

#endif
