/* wgatectl top: a live view of a running gateway (ctl_top.c). */
#ifndef WGATE_CONTROL_CTL_TOP_H
#define WGATE_CONTROL_CTL_TOP_H

#include <stdbool.h>

struct ctl_top_opts {
	unsigned long iterations;	/* screens to print; 0 = until q or a signal */
	unsigned long interval_ms;	/* between samples; 0 = the default, 1 s */
	bool given;			/* any of --once, --iterations, --interval */
};

/* Parses --iterations / --interval values into o. 0, or a usage error
 * printed and CTL_EXIT_USAGE returned. */
int ctl_top_opt(struct ctl_top_opts *o, const char *name, const char *value);
/* Runs the view against the telemetry socket at path. Returns wgatectl's
 * exit status: 0 after the last screen (or q), 2 the gateway could not be
 * reached or went away, 1 it answered but not as expected. */
int ctl_top(const char *path, const struct ctl_top_opts *o);

#endif
