/* Signaling over Redis (README "Signaling over Redis"): the control core's
 * client of the store that holds the desired peers, resources and grants.
 *
 * One async hiredis connection, driven from the control loop without ever
 * blocking it: on connect (and every reconnect) the whole state is read in
 * one MULTI and applied, then the event stream is tailed with XREAD BLOCK.
 * Each batch of events is applied to the Redis state, laid over the file's
 * config (wg_sig_merge) and published like a SIGHUP reload; replies,
 * the last applied entry and a heartbeat go back between reads. While Redis
 * is away the data plane keeps the last state; reconnects back off
 * exponentially up to 60 s. redis+sentinel:// asks the sentinel for the
 * master on every connect, so a failover is followed.
 *
 * All of it runs on the control lcore under ctl_lock. */
#ifndef WGATE_CONTROL_SIGNALING_H
#define WGATE_CONTROL_SIGNALING_H

#include <stdbool.h>
#include <stdint.h>

struct wg_config;

/* Starts signaling when base has [Signaling] Redis; otherwise does nothing
 * and returns 0. base is the running file config (not owned). -EINVAL when
 * the URL or the gateway id cannot be used (logged). */
int ctl_sig_init(const struct wg_config *base);
bool ctl_sig_active(void);
/* One step at now (ctl_now_ns()): connection I/O, reconnects, deadlines,
 * heartbeat. Returns work done (0 = idle). */
unsigned int ctl_sig_poll(uint64_t now);
/* SIGHUP: base is the new file config; the Redis state is laid over it and
 * applied. Takes ownership of base. 0 or -errno. */
int ctl_sig_set_base(struct wg_config *base);
/* Shutdown: closes the connection, frees the state. */
void ctl_sig_free(void);

/* For /wgate/status. */
const char *ctl_sig_gateway_id(void);
bool ctl_sig_connected(void);
const char *ctl_sig_last_event(void);

#endif
