/* Redis URLs of [Signaling] Redis and wgatectl --redis:
 *   redis://[[user]:password@]host[:port][/db]
 *   redis+sentinel://[[user]:password@]host[:port]/master[/db]
 * host: a name, an IPv4 address or [IPv6]. Defaults: port 6379 (26379 for a
 * sentinel), db 0. User and password may be %-encoded. The password is for
 * the Redis server (and, behind a sentinel, for the master it names). */
#ifndef WGATE_LIB_SIGNAL_URL_H
#define WGATE_LIB_SIGNAL_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct wg_redis_url {
	bool sentinel;
	char host[256];
	uint16_t port;
	char user[128];		/* "" = none (AUTH password alone) */
	char password[256];	/* "" = no AUTH; secret: never logged */
	char master[128];	/* sentinel: the monitored master's name */
	unsigned int db;
};

/* 0, or -EINVAL with the reason (never quoting the password) in why. */
int wg_redis_url_parse(const char *s, struct wg_redis_url *u, char *why, size_t whylen);
/* s with any password replaced by "****", for messages. */
void wg_redis_url_redact(const char *s, char *out, size_t len);

#endif
