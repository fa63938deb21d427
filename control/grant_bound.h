/* [Dataplane] MaxGrants: which grants of a configuration are published.
 *
 * Past the bound, the grants already published stay and the new ones are
 * refused: a grant arriving must never push out one a client is using
 * (the merged configuration's order follows Redis hashes, not arrival).
 * So each apply first keeps the grants the previous apply published, then
 * takes the others in the configuration's order while room is left.
 * Grants are known by (peer public key, resource name).
 *
 * Control core only (single-threaded). */
#ifndef WGATE_CONTROL_GRANT_BOUND_H
#define WGATE_CONTROL_GRANT_BOUND_H

#include <stdbool.h>
#include <stddef.h>

struct wg_config;

/* Sets keep[a] for each of cfg's n_access grants: whether to publish it.
 * A grant of a peer with live[peer_idx] false is neither kept nor refused.
 * max 0: no bound. *n_refused: the grants past the bound; *n_new_refused:
 * those of them the last committed choice did not refuse (what to count
 * and warn about: a grant still refused at the next change is not counted
 * again). 0 or -ENOMEM. The choice is remembered by
 * ctl_grant_bound_commit (after the publish succeeded) and dropped by the
 * next select otherwise. */
int ctl_grant_bound_select(const struct wg_config *cfg, const bool *live, size_t max, bool *keep,
			   size_t *n_refused, size_t *n_new_refused);
void ctl_grant_bound_commit(void);
void ctl_grant_bound_free(void);

#endif
