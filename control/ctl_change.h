/* A change command's inputs, read and checked before anything connects, so
 * that a bad argument never leaves half a change behind; with everything it
 * writes that needs no read of the store already built. Used by ctl_redis.c. */
#ifndef WGATE_CONTROL_CTL_CHANGE_H
#define WGATE_CONTROL_CTL_CHANGE_H

#include <stdint.h>

#include "lib/config/config.h"

#define CTL_KEY_B64_LEN	44	/* a public key in base64, without the NUL */

struct ctl_redis_opts;

enum ctl_change_kind {
	CTL_PEER_ADD, CTL_PEER_DEL, CTL_RES_ADD, CTL_RES_DEL, CTL_ALLOW, CTL_REVOKE,
};

/* One change, validated, ready to write. The strings are malloc'd, owned by
 * the change: ctl_change_free() wipes and frees them. */
struct ctl_change {
	enum ctl_change_kind kind;
	char client[CTL_KEY_B64_LEN + 1];		/* the client id: its base64 public key */
	char resource[WG_CFG_RESOURCE_NAME_LEN];	/* the resource id: its name */
	const char *type;	/* resource add: "cidr", "dns" or "internet" */
	int64_t expires;	/* allow: unix seconds, 0 = never */
	char *value;		/* peer add / resource add: the hash value; allow: the grant */
	char *field;		/* allow: the grants hash's field "<client> <resource>" */
	/* The stream message; NULL for allow, whose create_authorization
	 * carries the client and resource as Redis holds them when it runs. */
	char *event;
};

/* Reads args (args[0] the command, then its operands) and the options into
 * ch. 0, or CTL_EXIT_USAGE (reported); ctl_change_free() in either case. */
int ctl_change_parse(int nargs, char **args, const struct ctl_redis_opts *o,
		     struct ctl_change *ch);
void ctl_change_free(struct ctl_change *ch);

#endif
