#ifndef WGATE_CONTROL_LOOP_H
#define WGATE_CONTROL_LOOP_H

#include <signal.h>

extern volatile sig_atomic_t ctl_stop;

/* Runs the control core until ctl_stop is set. */
void ctl_loop(void);

#endif
