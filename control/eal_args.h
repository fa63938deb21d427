/* The EAL command line derived from [Dataplane] and [Port] sections. */
#ifndef WGATE_CONTROL_EAL_ARGS_H
#define WGATE_CONTROL_EAL_ARGS_H

struct wg_config;

struct ctl_eal_args {
	int argc;
	char **argv;	/* for rte_eal_init, which may rearrange it */
	char **owned;	/* the same strings, in order, for freeing */
};

/* 0, or -errno after printing why. extra: what followed "--" on our own
 * command line, appended last. */
int ctl_eal_args_build(struct ctl_eal_args *a, const struct wg_config *cfg, const char *prog,
		       int n_extra, char **extra);
void ctl_eal_args_free(struct ctl_eal_args *a);

#endif
