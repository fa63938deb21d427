/* wgatectl's change commands, written to Redis as a portal writes them.
 *
 * Every change is one MULTI/EXEC: the hashes wgate:{G}:clients, :resources
 * and :grants change and the matching event is XADDed to wgate:{G}:events
 * in the same transaction, so a gateway that loads the hashes and one that
 * tails the stream never disagree. Changes whose hash updates depend on
 * what is stored (resource add's type check, allow, del, revoke) read
 * under WATCH and run again when another writer got in between.
 *
 * The command is read and checked first (ctl_change.c), then the store is
 * found and connected to (ctl_rds.c), so a bad argument never leaves half
 * a change behind.
 */
#include "control/ctl_redis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>

#include "control/ctl_change.h"
#include "control/ctl_rds.h"

#define CONFIRM_WAIT_MS		2000

int ctl_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("wgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_USAGE;
}

/* ---- the changes ---- */

/* peer add / resource add: the object under its id, and client_updated /
 * resource_updated. A resource may not change its type (the gateway
 * refuses that event; the hash must not say otherwise). */
static int op_put(struct ctl_rds *r, const struct ctl_change *ch, char *eid)
{
	bool res = ch->kind == CTL_RES_ADD, bad;
	const char *hash = res ? r->resources : r->clients, *id = res ? ch->resource : ch->client;
	int rc = 0;

	for (int t = 0; t < CTL_RDS_RETRIES && rc == 0; t++) {
		json_t *old;
		const char *was;

		freeReplyObject(ctl_rds_cmd(r, "WATCH %s", hash));
		old = ctl_rds_hget_json(r, hash, id, &bad);
		if (bad)
			break;
		was = json_string_value(json_object_get(old, "type"));
		if (res && old && (!was || strcmp(was, ch->type))) {
			rc = ctl_usage_err("resource %s is a %s resource; its type cannot change"
					   " (resource del it first)", id, was ? was : "differently typed");
			freeReplyObject(ctl_rds_cmd(r, "UNWATCH"));
			json_decref(old);
			return rc;
		}
		json_decref(old);
		redisAppendCommand(r->c, "MULTI");
		redisAppendCommand(r->c, "HSET %s %s %s", hash, id, ch->value);
		ctl_rds_append_event(r, ch->event);
		redisAppendCommand(r->c, "EXEC");
		rc = ctl_rds_tx_finish(r, 2, eid);
	}
	return ctl_rds_tx_result(r, rc);
}

/* Whether a grants field "<client id> <resource id>" matches (NULL: any). */
static bool grant_match(const char *field, const char *client, const char *res)
{
	const char *sp = strchr(field, ' ');

	if (!sp)
		return false;
	if (client && (strlen(client) != (size_t)(sp - field) ||
		       strncmp(field, client, (size_t)(sp - field))))
		return false;
	return !res || !strcmp(sp + 1, res);
}

struct removed {
	bool existed;		/* del: the client/resource was in Redis; revoke: the grant */
	bool client_gone;	/* revoke: the client's last grant went, and the client with it */
	size_t grants;		/* grants removed */
};

/* peer del, resource del, revoke. Reads the grants (and whether the
 * client/resource is a Redis one) under WATCH, then removes in one
 * MULTI/EXEC what goes, with the event:
 *   peer del:     the client and every "<client> *" grant; client_deleted
 *   resource del: the resource and every "* <resource>" grant; resource_deleted
 *   revoke:       "<client> <resource>", and the client when it is a Redis
 *                 client that this leaves with no grant (as the gateway
 *                 does); reject_access
 * WATCH rather than a Lua script: the decision needs a read, WATCH keeps it
 * one MULTI/EXEC like every other writer's (README), and the event JSON is
 * built in C, with no script to load or keep in step. All keys share the
 * {G} hash tag, so it works on Redis Cluster too. */
static int op_remove(struct ctl_rds *r, const struct ctl_change *ch, char *eid,
		     struct removed *out)
{
	const char *hash = ch->kind == CTL_RES_DEL ? r->resources : r->clients;
	const char *id = ch->kind == CTL_RES_DEL ? ch->resource : ch->client;
	const char *gc = ch->kind == CTL_RES_DEL ? NULL : ch->client;
	const char *gr = ch->kind == CTL_PEER_DEL ? NULL : ch->resource;
	int rc = 0;

	for (int t = 0; t < CTL_RDS_RETRIES && rc == 0; t++) {
		redisReply *keys, *ex;
		bool others = false;
		size_t n = 0;

		memset(out, 0, sizeof(*out));
		freeReplyObject(ctl_rds_cmd(r, "WATCH %s %s", hash, r->grants));
		keys = ctl_rds_cmd(r, "HKEYS %s", r->grants);
		ex = ctl_rds_cmd(r, "HEXISTS %s %s", hash, id);
		if (!keys || !ex || keys->type != REDIS_REPLY_ARRAY || ex->type != REDIS_REPLY_INTEGER) {
			ctl_rds_fail(r, CTL_EXIT_FAILED, "unexpected reply to HKEYS/HEXISTS");
			freeReplyObject(keys);
			freeReplyObject(ex);
			return r->exit_code;
		}
		redisAppendCommand(r->c, "MULTI");
		for (size_t i = 0; i < keys->elements; i++) {
			const char *f = keys->element[i]->str;

			if (keys->element[i]->type != REDIS_REPLY_STRING)
				continue;
			if (grant_match(f, gc, gr)) {
				redisAppendCommand(r->c, "HDEL %s %s", r->grants, f);
				n++;
				out->grants++;
			} else if (ch->kind == CTL_REVOKE && grant_match(f, ch->client, NULL)) {
				others = true;
			}
		}
		out->existed = ch->kind == CTL_REVOKE ? out->grants > 0 : ex->integer == 1;
		/* Only a revoke that took a grant leaves a client with none: one
		 * added by peer add and not granted yet stays. */
		out->client_gone = ch->kind == CTL_REVOKE && ex->integer == 1 && out->grants && !others;
		if (ch->kind != CTL_REVOKE || out->client_gone) {
			redisAppendCommand(r->c, "HDEL %s %s", hash, id);
			n++;
		}
		freeReplyObject(keys);
		freeReplyObject(ex);
		ctl_rds_append_event(r, ch->event);
		redisAppendCommand(r->c, "EXEC");
		rc = ctl_rds_tx_finish(r, n + 1, eid);
	}
	return ctl_rds_tx_result(r, rc);
}

/* The last id of the replies stream ("0-0" when empty), read before the
 * event goes in so that the gateway's answer cannot be missed. */
static void replies_last_id(struct ctl_rds *r, char *id)
{
	redisReply *rep = ctl_rds_cmd(r, "XREVRANGE %s + - COUNT 1", r->replies);

	snprintf(id, CTL_RDS_ID_LEN, "0-0");
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
	    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 1 &&
	    rep->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(id, CTL_RDS_ID_LEN, "%s", rep->element[0]->element[0]->str);
	freeReplyObject(rep);
}

/* allow: the grant, and create_authorization carrying the client and the
 * resource as Redis holds them (each only when it is there: otherwise the
 * gateway finds the id among its file's [Peer]s / [Resource]s). Built here,
 * not with wg_sig_msg_create_authorization(): that takes both objects as
 * specs, where this passes on what is stored, and names the ids too. */
static int op_allow(struct ctl_rds *r, const struct ctl_change *ch, const char *ref, char *since,
		    char *eid)
{
	int rc = 0;

	for (int t = 0; t < CTL_RDS_RETRIES && rc == 0; t++) {
		bool bad_c, bad_r;
		json_t *client, *res, *msg;
		char *ms;

		freeReplyObject(ctl_rds_cmd(r, "WATCH %s %s", r->clients, r->resources));
		client = ctl_rds_hget_json(r, r->clients, ch->client, &bad_c);
		res = ctl_rds_hget_json(r, r->resources, ch->resource, &bad_r);
		replies_last_id(r, since);
		msg = json_pack("{s:s, s:{s:s, s:s, s:s, s:o*, s:o*, s:o}}", "event",
				"create_authorization", "payload", "ref", ref, "client_id", ch->client,
				"resource_id", ch->resource, "client", client, "resource", res,
				"expires_at", ch->expires ? json_integer(ch->expires) : json_null());
		ms = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
		json_decref(msg);
		if (bad_c || bad_r || r->exit_code || !ms) {
			ctl_rds_fail(r, CTL_EXIT_FAILED, "out of memory");
			free(ms);
			break;
		}
		redisAppendCommand(r->c, "MULTI");
		redisAppendCommand(r->c, "HSET %s %s %s", r->grants, ch->field, ch->value);
		ctl_rds_append_event(r, ms);
		sodium_memzero(ms, strlen(ms));	/* the client may hold its preshared key */
		free(ms);
		redisAppendCommand(r->c, "EXEC");
		rc = ctl_rds_tx_finish(r, 2, eid);
	}
	return ctl_rds_tx_result(r, rc);
}

/* ---- the gateway's confirmation ---- */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether one replies-stream entry ([id, [field, value, ...]]) is
 * authorization_created for ref. */
static bool is_confirmation(const redisReply *e, const char *ref)
{
	const redisReply *fv = e->element[1];
	bool yes = false;

	for (size_t i = 0; fv->type == REDIS_REPLY_ARRAY && i + 1 < fv->elements; i += 2) {
		json_t *m;

		if (fv->element[i]->type != REDIS_REPLY_STRING || strcmp(fv->element[i]->str, "msg") ||
		    fv->element[i + 1]->type != REDIS_REPLY_STRING)
			continue;
		m = json_loadb(fv->element[i + 1]->str, fv->element[i + 1]->len, 0, NULL);
		yes = !strcmp(json_string_value(json_object_get(m, "event")) ?: "",
			      "authorization_created") &&
		      !strcmp(json_string_value(json_object_get(json_object_get(m, "payload"),
								 "ref")) ?: "", ref);
		json_decref(m);
		if (yes)
			break;
	}
	return yes;
}

/* Waits up to ms for authorization_created{ref} after entry since.
 * 1 confirmed, 0 not (in time), -1 failure (reported). */
static int wait_confirm(struct ctl_rds *r, char *since, const char *ref, int ms)
{
	int64_t deadline = now_ms() + ms, left;

	while ((left = deadline - now_ms()) > 0) {
		redisReply *rep = ctl_rds_cmd(r, "XREAD COUNT 100 BLOCK %lld STREAMS %s %s",
					      (long long)left, r->replies, since);
		const redisReply *entries;

		if (!rep)
			return -1;
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
		    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements == 2 &&
		    (entries = rep->element[0]->element[1])->type == REDIS_REPLY_ARRAY) {
			for (size_t i = 0; i < entries->elements; i++) {
				const redisReply *e = entries->element[i];

				if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
				    e->element[0]->type != REDIS_REPLY_STRING)
					continue;
				snprintf(since, CTL_RDS_ID_LEN, "%s", e->element[0]->str);
				if (is_confirmation(e, ref)) {
					freeReplyObject(rep);
					return 1;
				}
			}
		}
		freeReplyObject(rep);
	}
	return 0;
}

/* ---- the commands ---- */

static void print_expiry(int64_t t)
{
	struct tm tm;
	time_t tt = (time_t)t;
	char buf[32];

	if (!t) {
		fputs("never expires", stdout);
		return;
	}
	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("until %s", buf);
}

static int run_allow(struct ctl_rds *r, const struct ctl_change *ch,
		     const struct ctl_redis_opts *o)
{
	char eid[CTL_RDS_ID_LEN] = "?", since[CTL_RDS_ID_LEN], ref[33];
	uint8_t rnd[16];
	int rc;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return ctl_usage_err("no random numbers: %s", strerror(errno));
	sodium_bin2hex(ref, sizeof(ref), rnd, sizeof(rnd));
	rc = op_allow(r, ch, ref, since, eid);
	if (rc)
		return rc;
	printf("allow %s %s ", ch->client, ch->resource);
	print_expiry(ch->expires);
	printf(": written (create_authorization ref %s, event %s)\n", ref, eid);
	if (o->no_wait)
		return 0;
	fflush(stdout);
	rc = wait_confirm(r, since, ref, CONFIRM_WAIT_MS);
	if (rc < 0)
		return r->exit_code;
	if (rc == 0) {
		fprintf(stderr, "wgatectl: written, not confirmed by a running gateway"
			" within %d s\n", CONFIRM_WAIT_MS / 1000);
		return CTL_EXIT_UNCONFIRMED;
	}
	printf("confirmed by the gateway\n");
	return 0;
}

static int run_change(struct ctl_rds *r, const struct ctl_change *ch,
		      const struct ctl_redis_opts *o)
{
	bool peer = ch->kind == CTL_PEER_ADD || ch->kind == CTL_PEER_DEL;
	const char *what = peer ? "peer" : "resource", *id = peer ? ch->client : ch->resource;
	char eid[CTL_RDS_ID_LEN] = "?";
	struct removed rm;
	int rc;

	switch (ch->kind) {
	case CTL_PEER_ADD:
	case CTL_RES_ADD:
		rc = op_put(r, ch, eid);
		if (!rc)
			printf("%s %s: written (%s, event %s)\n", what, id,
			       peer ? "client_updated" : "resource_updated", eid);
		return rc;
	case CTL_PEER_DEL:
	case CTL_RES_DEL:
	case CTL_REVOKE:
		rc = op_remove(r, ch, eid, &rm);
		if (rc)
			return rc;
		if (ch->kind == CTL_REVOKE)
			printf("revoke %s %s: written (reject_access, event %s)\n", ch->client,
			       ch->resource, eid);
		else
			printf("%s %s: deleted with %zu grant%s (%s, event %s)\n", what, id, rm.grants,
			       rm.grants == 1 ? "" : "s", peer ? "client_deleted" : "resource_deleted",
			       eid);
		if (rm.client_gone)
			printf("peer %s: removed, it has no grant left\n", ch->client);
		if (!rm.existed)
			fprintf(stderr, "wgatectl: note: Redis held no such %s (one of the gateway's"
				" config file stays until the file changes)\n",
				ch->kind == CTL_REVOKE ? "grant" : what);
		return 0;
	case CTL_ALLOW:
		return run_allow(r, ch, o);
	}
	return CTL_EXIT_FAILED;
}

bool ctl_redis_is_command(const char *cmd)
{
	return !strcmp(cmd, "peer") || !strcmp(cmd, "resource") || !strcmp(cmd, "allow") ||
	       !strcmp(cmd, "revoke");
}

int ctl_redis_command(int nargs, char **args, const struct ctl_redis_opts *o)
{
	struct ctl_change ch = { 0 };
	struct ctl_rds r = { 0 };
	int rc;

	rc = ctl_change_parse(nargs, args, o, &ch);
	if (!rc)
		rc = ctl_rds_open(&r, o);
	if (!rc)
		rc = run_change(&r, &ch, o);
	ctl_rds_close(&r);
	ctl_change_free(&ch);
	return rc;
}
