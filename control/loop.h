#ifndef WGATE_CONTROL_LOOP_H
#define WGATE_CONTROL_LOOP_H

#include <signal.h>

struct wg_config;

extern volatile sig_atomic_t ctl_stop;
extern volatile sig_atomic_t ctl_reload_requested;	/* SIGHUP */

/* Runs the control core until ctl_stop is set; on SIGHUP re-reads path.
 * running: the configuration the gateway started with. */
void ctl_loop(const char *path, const struct wg_config *running);

#endif
