/* The config the gateway runs: the file's, with the Redis state laid over
 * it (README "Signaling over Redis": the file's peers, resources and grants
 * stay whatever Redis says).
 *
 * What comes from Redis, in id order so that the outcome never depends on
 * the order of events:
 *   - each client becomes a [Peer] (its AllowedIPs, keys; no endpoint);
 *   - each resource a [Resource NAME] with its id as the name;
 *   - each grant an [Access]: the client id names a Redis client, or else
 *     the [Peer] whose base64 public key it is; the resource id names a Redis
 *     resource, or else the [Resource] of that name.
 * An entry that would break the loader's rules is skipped, never the whole
 * merge: a client with the public key of a [Peer] or of a client before it,
 * or AllowedIPs overlapping theirs; a resource named like a [Resource]; a
 * grant that names nothing (counted only: it may wait for its client), that
 * names a skipped client or resource, or that an [Access] of the file
 * already gives. The result passes wg_config_check(). */
#ifndef WGATE_LIB_SIGNAL_MERGE_H
#define WGATE_LIB_SIGNAL_MERGE_H

#include <stddef.h>

struct wg_config;
struct wg_sig_state;

struct wg_sig_merge_report {
	/* In (both may be NULL): called once per skipped client, resource, and
	 * per grant duplicating an [Access], with the reason. */
	void (*skip)(void *ctx, const char *why);
	void *ctx;
	/* Out: what was taken from Redis, and what not. */
	size_t clients, resources, grants;
	size_t clients_skipped, resources_skipped;	/* collisions, reported */
	size_t grants_unresolved;	/* name no client or peer, or no resource */
	size_t grants_skipped;		/* name a skipped client or resource (not reported
					 * one by one), or duplicate an [Access] (reported) */
};

/* A new config, freed with wg_config_free(): a deep copy of base (a config
 * as wg_config_load() returns it) with the state merged as above. rep may
 * be NULL. NULL with errno and why set: ENOMEM, or EINVAL if base itself
 * breaks the loader's rules. Cost O(n log n) in the entries of both. */
struct wg_config *wg_sig_merge(const struct wg_config *base, const struct wg_sig_state *s,
			       struct wg_sig_merge_report *rep, char *why, size_t whylen);

#endif
