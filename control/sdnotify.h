/* systemd's service notification protocol (sd_notify(3)) without
 * libsystemd: READY=1 once the data plane is up, STOPPING=1 on the way
 * out, WATCHDOG=1 from the control loop at half of WATCHDOG_USEC.
 *
 * Writer and reader: the control lcore only (main.c, loop.c). Without
 * NOTIFY_SOCKET (not started by systemd, or Type=simple) every call does
 * nothing. */
#ifndef WGATE_CONTROL_SDNOTIFY_H
#define WGATE_CONTROL_SDNOTIFY_H

#include <stdint.h>

/* Sends one notification, e.g. "READY=1\nSTATUS=...": newline-separated
 * assignments. Opens the socket on first use. 0, or -errno (logged once). */
int ctl_sdnotify(const char *state);
/* Sends WATCHDOG=1 when half of WATCHDOG_USEC has passed since the last
 * ping (now: ctl_now_ns()). Cheap when the watchdog is off. */
void ctl_sdnotify_watchdog(uint64_t now_ns);
/* Closes the socket. */
void ctl_sdnotify_close(void);

#endif
