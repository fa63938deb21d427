/* wgatectl's reads: the gateway's DPDK telemetry socket (protocol v2) and
 * the replies assembled from its paged commands (ctl_tel.c). */
#ifndef WGATE_CONTROL_CTL_TEL_H
#define WGATE_CONTROL_CTL_TEL_H

#include <stdbool.h>

struct json_t;

/* One telemetry connection; several commands may go over it. */
struct ctl_tel {
	const char *path;
	int fd;
	char *buf;		/* the reply buffer */
	bool unreachable;	/* the last failure was the socket's, not the reply's */
};

/* Connects to the socket at path (not copied) and consumes the server's
 * info message. 0, or -errno (reported; t->unreachable tells whether the
 * socket or the client was at fault). ctl_tel_close() only after 0. */
int ctl_tel_open(struct ctl_tel *t, const char *path);
void ctl_tel_close(struct ctl_tel *t);

/* Sends cmd ("/x/y" or "/x/y,params") and returns the value of the reply's
 * member (a new reference). NULL when the command failed: with a message
 * printed, unless quiet_null and the gateway answered null (unknown command
 * or a callback error, e.g. a peer that is gone). */
struct json_t *ctl_tel_cmd(struct ctl_tel *t, const char *cmd, bool quiet_null);

/* The assembled arrays of objects that wgatectl prints (NULL on failure,
 * reported):
 *   peers:     each with "public_key";
 *   resources: each with "name" and the address as one string;
 *   access:    the grants (of peer key, or all when NULL), each
 *              {"public_key", "resource", "expires_at": unix seconds or
 *              null, "expired"}. */
struct json_t *ctl_tel_peers(struct ctl_tel *t);
struct json_t *ctl_tel_resources(struct ctl_tel *t);
struct json_t *ctl_tel_access(struct ctl_tel *t, const char *key);
/* {"flags": [{"name", "value": bool, "source", "payload": JSON text or
 * null}], "fetch": {"ok", "failed", "last_error"} or null (not fetched)}. */
struct json_t *ctl_tel_flags(struct ctl_tel *t);

#endif
