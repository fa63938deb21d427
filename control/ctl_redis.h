/* wgatectl's changes: peers, resources and grants written to the signaling
 * store (Redis) exactly as a portal writes them, so every gateway sharing
 * the store, and a gateway started later, applies them (README, "Signaling
 * over Redis"). Used by wgatectl only: plain hiredis, no DPDK.
 *
 * The work is in three files: ctl_change.c reads and checks the command and
 * builds what it writes, ctl_rds.c finds the store and holds the connection,
 * ctl_redis.c runs each change as a Redis transaction. */
#ifndef WGATE_CONTROL_CTL_REDIS_H
#define WGATE_CONTROL_CTL_REDIS_H

#include <stdbool.h>

/* wgatectl's exit codes (README, "wgatectl"). */
#define CTL_EXIT_FAILED		1	/* the gateway or Redis answered, but refused / malformed */
#define CTL_EXIT_UNREACHABLE	2	/* the gateway's socket, or Redis, cannot be reached */
#define CTL_EXIT_UNCONFIRMED	3	/* allow: written, no running gateway confirmed it */
#define CTL_EXIT_USAGE		64	/* bad arguments or input, nothing written */

/* The options of the change commands, as given on the command line (NULL or
 * false: not given). Owned by the caller (they point into argv). */
struct ctl_redis_opts {
	const char *redis;		/* --redis URL */
	const char *gateway_id;		/* --gateway-id HEX64 */
	const char *config;		/* -c / --config FILE */
	const char *state_dir;		/* --state-dir DIR (default /var/lib/wgate) */
	const char *allowed_ips;	/* peer add --allowed-ips LIST */
	const char *psk_file;		/* peer add --psk FILE */
	const char *address;		/* resource add --address A */
	const char *filters;		/* resource add --filters F */
	const char *duration;		/* allow --for DURATION */
	const char *until;		/* allow --until RFC3339 */
	bool no_wait;			/* allow --no-wait */
};

/* Whether cmd ("peer", "resource", "allow", "revoke") is a change command. */
bool ctl_redis_is_command(const char *cmd);

/* Runs one change command: args[0] is the command, then its operands.
 * Validates everything before it connects; prints what it did on stdout and
 * why it failed on stderr (never a key, a preshared key or the Redis
 * password). Returns wgatectl's exit code. */
int ctl_redis_command(int nargs, char **args, const struct ctl_redis_opts *o);

/* Prints "wgatectl: <message>" on stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
