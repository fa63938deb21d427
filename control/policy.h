/* Grants from the configuration turned into each client's policy table and
 * published to the workers. */
#ifndef WGATE_CONTROL_POLICY_H
#define WGATE_CONTROL_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_config;

/* Builds the resources of cfg and one table per peer from cfg's [Access]
 * sections, and publishes them (replacing, and retiring after a grace
 * period, whatever was published before). Sessions are not touched.
 * 0 or -ENOMEM (then nothing was changed). Control lcore only. */
int ctl_policy_apply(const struct wg_config *cfg);
/* Whether peer (index in cfg) holds a grant of resource res that has not
 * lapsed at now (unix seconds). */
bool ctl_policy_granted(const struct wg_config *cfg, int peer, size_t res, int64_t now);
/* Frees the current resources (shutdown, after the workers stopped). */
void ctl_policy_free(void);

#endif
