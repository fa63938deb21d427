/* wgatectl's connection to the signaling store: which Redis and which
 * gateway's keys, the connection itself (through a sentinel when the URL
 * names one), and the MULTI/EXEC plumbing of the changes (ctl_redis.c).
 *
 * The first failure sticks (hiredis' c->err style): it is reported once, on
 * stderr, with the URL's password masked; later calls do nothing, and
 * exit_code is the command's. */
#ifndef WGATE_CONTROL_CTL_RDS_H
#define WGATE_CONTROL_CTL_RDS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/config/config.h"

#define CTL_RDS_KEY_LEN		96	/* "wgate:{" 64 hex "}:resources" and room */
#define CTL_RDS_ID_LEN		64	/* a stream entry id */
#define CTL_RDS_RETRIES		10	/* WATCH tries before giving up */

struct ctl_redis_opts;
struct json_t;
struct redisContext;
struct redisReply;

/* One connection to one gateway's keys. Zeroed by the caller before
 * ctl_rds_open(). */
struct ctl_rds {
	struct redisContext *c;
	char where[WG_CFG_REDIS_LEN];		/* the URL with its password masked */
	int exit_code;				/* 0, CTL_EXIT_UNREACHABLE or CTL_EXIT_FAILED */
	char clients[CTL_RDS_KEY_LEN], resources[CTL_RDS_KEY_LEN], grants[CTL_RDS_KEY_LEN];
	char events[CTL_RDS_KEY_LEN], replies[CTL_RDS_KEY_LEN];
};

/* Finds the store and the gateway id from the options, the environment,
 * the config file or the gateway's stored id; connects, authenticates and
 * selects the db. 0 or an exit code (reported). */
int ctl_rds_open(struct ctl_rds *r, const struct ctl_redis_opts *o);
void ctl_rds_close(struct ctl_rds *r);

/* Reports the failure unless one stuck already, and makes code stick. */
void ctl_rds_fail(struct ctl_rds *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* One command (hiredis' format): its reply, or NULL (reported) when the
 * connection failed, Redis answered an error or a failure stuck before. */
struct redisReply *ctl_rds_cmd(struct ctl_rds *r, const char *fmt, ...);
/* The JSON object stored under field in hash: NULL when absent; *bad when
 * the read failed or the value is not a JSON object (reported). */
struct json_t *ctl_rds_hget_json(struct ctl_rds *r, const char *hash, const char *field,
				 bool *bad);

/* A change is MULTI, n queued commands, the XADD of its event and EXEC, all
 * appended with redisAppendCommand() and read in one round trip. */
/* Appends the XADD of msg (a whole stream message) to the events stream. */
void ctl_rds_append_event(struct ctl_rds *r, const char *msg);
/* Reads the replies of MULTI, n queued commands and EXEC. 1 when EXEC
 * committed (id: the reply of the last queued command, the XADD's entry
 * id), 0 when a WATCHed key changed meanwhile, -1 on failure (reported). */
int ctl_rds_tx_finish(struct ctl_rds *r, size_t n, char id[CTL_RDS_ID_LEN]);
/* A retry loop's outcome, from its last ctl_rds_tx_finish(): 0 when that
 * committed, else the exit code; rc 0 (every try lost to another writer)
 * is reported as a failure. */
int ctl_rds_tx_result(struct ctl_rds *r, int rc);

#endif
