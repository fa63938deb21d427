/* wgatectl's change commands, written to Redis as a portal writes them.
 *
 * Which store: --redis URL, else WGATE_SIGNALING_REDIS, else the config
 * file's [Signaling] Redis (-c FILE, else WGATE_CONFIG, else
 * /etc/wgate/wgate.conf). Which gateway: --gateway-id, else
 * WGATE_SIGNALING_GATEWAYID, else the config's GatewayId, else the id the
 * gateway itself stored in STATE_DIR/gateway-id (the one it derived from
 * /etc/machine-id when none is configured).
 *
 * Every change is one MULTI/EXEC: the hashes wgate:{G}:clients, :resources
 * and :grants change and the matching event is XADDed to wgate:{G}:events
 * in the same transaction, so a gateway that loads the hashes and one that
 * tails the stream never disagree. Changes whose hash updates depend on
 * what is stored (resource add's type check, allow, del, revoke) read
 * under WATCH and run again when another writer got in between.
 *
 * Inputs are validated with lib/config's parsers before anything connects,
 * so a bad argument never leaves half a change behind.
 */
#include "control/ctl_redis.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>

#include "lib/config/config.h"
#include "lib/config/values.h"
#include "lib/signal/url.h"

#define DEFAULT_CONFIG		"/etc/wgate/wgate.conf"
#define DEFAULT_STATE_DIR	"/var/lib/wgate"
#define IO_TIMEOUT_S		5
#define CONFIRM_WAIT_MS		2000
#define WATCH_RETRIES		10
#define KEY_B64_LEN		44
#define MAX_DURATION_S		(100LL * 365 * 86400)
#define HASH_KEY_LEN		96	/* "wgate:{" 64 hex "}:resources" and room */
#define EVENT_ID_LEN		64

extern char **environ;

enum change_kind { PEER_ADD, PEER_DEL, RES_ADD, RES_DEL, ALLOW, REVOKE };

/* One change, validated, ready to write. */
struct change {
	enum change_kind kind;
	char client[KEY_B64_LEN + 1];		/* the client id: its base64 public key */
	char resource[WG_CFG_RESOURCE_NAME_LEN];/* the resource id: its name */
	json_t *obj;				/* peer add: client; resource add: resource */
	int64_t expires;			/* allow: unix seconds, 0 = never */
};


/* One connection to one gateway's keys. The first failure sticks (hiredis'
 * c->err style): later calls do nothing, and exit_code is the command's. */
struct rds {
	redisContext *c;
	char where[WG_CFG_REDIS_LEN];		/* the URL with its password masked */
	int exit_code;				/* 0, CTL_EXIT_UNREACHABLE or CTL_EXIT_FAILED */
	char clients[HASH_KEY_LEN], resources[HASH_KEY_LEN], grants[HASH_KEY_LEN];
	char events[HASH_KEY_LEN], replies[HASH_KEY_LEN];
};

static int usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("wgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_USAGE;
}

/* ---- where to write ---- */

/* Copies n bytes of s to out (cap bytes), decoding %XX escapes. */
static int copy_n(char *out, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n >= cap)
		return -EINVAL;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* The id the gateway stored: 64 hex digits, surrounding whitespace allowed. */
static int read_stored_id(const char *file, char gw[WG_CFG_GATEWAY_ID_LEN + 1])
{
	char buf[256], *b = buf;
	size_t n;
	FILE *f = fopen(file, "re");

	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	b += strspn(b, " \t\r\n");
	b[strcspn(b, " \t\r\n")] = '\0';
	return wg_cfgval_hex_id(b, gw) ? -EINVAL : 0;
}

/* Finds the store and the gateway id (see the top of the file). Returns 0
 * or an exit code (reported). url is left holding the password: the
 * caller wipes it. */
static int resolve_target(const struct ctl_redis_opts *o, char url[WG_CFG_REDIS_LEN],
			  char gw[WG_CFG_GATEWAY_ID_LEN + 1])
{
	const char *u = o->redis, *g = o->gateway_id, *u_from = "--redis", *g_from = "--gateway-id";
	const char *dir = o->state_dir ? o->state_dir : DEFAULT_STATE_DIR;
	char cfg_path[512] = "", file[600];
	int rc;

	if (!u && (u = getenv("WGATE_SIGNALING_REDIS")) && !*u)
		u = NULL;
	if (!o->redis && u)
		u_from = "WGATE_SIGNALING_REDIS";
	if (!g && (g = getenv("WGATE_SIGNALING_GATEWAYID")) && !*g)
		g = NULL;
	if (!o->gateway_id && g)
		g_from = "WGATE_SIGNALING_GATEWAYID";
	url[0] = gw[0] = '\0';
	if (u)
		snprintf(url, WG_CFG_REDIS_LEN, "%s", u);
	if (g && wg_cfgval_hex_id(g, gw))
		return usage_err("%s: a gateway id is 64 hex digits", g_from);

	if (!u || !g) {
		const char *path = o->config ? o->config : getenv("WGATE_CONFIG");
		bool named = path && *path;

		snprintf(cfg_path, sizeof(cfg_path), "%s", named ? path : DEFAULT_CONFIG);
		if (named || access(cfg_path, F_OK) == 0) {
			struct wg_config_error err;
			struct wg_config *cfg = wg_config_load(cfg_path, environ, &err);
			char msg[600];

			if (!cfg) {
				wg_config_error_str(&err, msg, sizeof(msg));
				return usage_err("%s\n  (or name the store with --redis URL and"
						 " --gateway-id HEX64)", msg);
			}
			if (!u && cfg->signaling.has_redis) {
				snprintf(url, WG_CFG_REDIS_LEN, "%s", cfg->signaling.redis);
				u_from = cfg_path;
			}
			if (!g && cfg->signaling.gateway_id[0])
				memcpy(gw, cfg->signaling.gateway_id, WG_CFG_GATEWAY_ID_LEN + 1);
			wg_config_free(cfg);
		}
	}
	if (!url[0])
		return usage_err("no Redis to write to: pass --redis URL, set WGATE_SIGNALING_REDIS"
				 " or [Signaling] Redis in %s",
				 cfg_path[0] ? cfg_path : DEFAULT_CONFIG);
	struct wg_redis_url chk;
	int bad = wg_redis_url_parse(url, &chk, NULL, 0);
	sodium_memzero(&chk, sizeof(chk));
	if (bad)
		return usage_err("%s: not a redis://[:password@]host[:port][/db] or"
				 " redis+sentinel://host[:port]/master[/db] URL", u_from);
	if (!gw[0]) {
		/* The gateway derives its id from /etc/machine-id when none is
		 * configured and keeps it in STATE_DIR/gateway-id; on another
		 * host only --gateway-id can name it. */
		snprintf(file, sizeof(file), "%s/gateway-id", dir);
		rc = read_stored_id(file, gw);
		if (rc == -EINVAL)
			return usage_err("%s does not hold a gateway id (64 hex digits)", file);
		if (rc)
			return usage_err("no gateway id: pass --gateway-id HEX64 (or set"
					 " WGATE_SIGNALING_GATEWAYID, or [Signaling] GatewayId); %s,"
					 " where the gateway stores the id it uses, cannot be read: %s",
					 file, strerror(-rc));
	}
	return 0;
}

/* ---- the connection ---- */

static void rds_fail(struct rds *r, int code, const char *fmt, ...)
{
	va_list ap;

	if (r->exit_code)
		return;
	r->exit_code = code;
	fprintf(stderr, "wgatectl: Redis %s: ", r->where);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* rep, or NULL (freed, reported) when the connection failed or Redis
 * answered an error. what names the command in the message. */
static redisReply *rds_check(struct rds *r, redisReply *rep, const char *what)
{
	int wl = (int)strcspn(what, " ");

	if (!rep) {
		rds_fail(r, CTL_EXIT_UNREACHABLE, "%.*s: %s", wl, what,
			 r->c->errstr[0] ? r->c->errstr : "connection lost");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		rds_fail(r, CTL_EXIT_FAILED, "%.*s refused: %s", wl, what, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static redisReply *rds_cmd(struct rds *r, const char *fmt, ...)
{
	redisReply *rep;
	va_list ap;

	if (r->exit_code)
		return NULL;
	va_start(ap, fmt);
	rep = redisvCommand(r->c, fmt, ap);
	va_end(ap);
	return rds_check(r, rep, fmt);
}

static redisContext *dial(const char *host, int port, char *why, size_t len)
{
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	redisContext *c = redisConnectWithTimeout(host, port, tv);

	if (!c || c->err || redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(why, len, "cannot connect to %s port %d: %s", host, port,
			 c ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	return c;
}

/* A sentinel URL: asks the sentinel where the master is now. */
static int ask_sentinel(struct rds *r, struct wg_redis_url *u)
{
	char why[512];
	redisContext *s = dial(u->host, u->port, why, sizeof(why));
	redisReply *rep;
	unsigned long port = 0;

	if (!s) {
		rds_fail(r, CTL_EXIT_UNREACHABLE, "sentinel: %s", why);
		return -1;
	}
	rep = redisCommand(s, "SENTINEL get-master-addr-by-name %s", u->master);
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING &&
	    !copy_n(u->host, sizeof(u->host), rep->element[0]->str, rep->element[0]->len) &&
	    !wg_cfgval_uint(rep->element[1]->str, 1, 65535, &port))
		u->port = (uint16_t)port;
	else
		rds_fail(r, CTL_EXIT_UNREACHABLE, "sentinel: %s",
			 !rep ? s->errstr : rep->type == REDIS_REPLY_ERROR ? rep->str
			 : "it knows no such master");
	freeReplyObject(rep);
	redisFree(s);
	return port ? 0 : -1;
}

static void rds_keys(struct rds *r, const char *gw)
{
	snprintf(r->clients, HASH_KEY_LEN, "wgate:{%s}:clients", gw);
	snprintf(r->resources, HASH_KEY_LEN, "wgate:{%s}:resources", gw);
	snprintf(r->grants, HASH_KEY_LEN, "wgate:{%s}:grants", gw);
	snprintf(r->events, HASH_KEY_LEN, "wgate:{%s}:events", gw);
	snprintf(r->replies, HASH_KEY_LEN, "wgate:{%s}:replies", gw);
}

/* Connects, authenticates, selects the db. 0 or an exit code (reported). */
static int rds_open(struct rds *r, const char *url, const char *gw)
{
	struct wg_redis_url u;
	redisReply *rep;
	char why[512];
	int rc = 0;

	wg_redis_url_redact(url, r->where, sizeof(r->where));
	rds_keys(r, gw);
	if (wg_redis_url_parse(url, &u, NULL, 0)) {
		rc = usage_err("%s: not a usable Redis URL", r->where);
		goto out;
	}
	if (u.sentinel && ask_sentinel(r, &u))
		goto out;
	r->c = dial(u.host, u.port, why, sizeof(why));
	if (!r->c) {
		rds_fail(r, CTL_EXIT_UNREACHABLE, "%s", why);
		goto out;
	}
	if (u.password[0]) {
		rep = u.user[0] ? rds_cmd(r, "AUTH %s %s", u.user, u.password)
				: rds_cmd(r, "AUTH %s", u.password);
		freeReplyObject(rep);
		if (r->exit_code)
			r->exit_code = CTL_EXIT_UNREACHABLE;	/* a wrong password: the URL's fault */
	}
	if (u.db)
		freeReplyObject(rds_cmd(r, "SELECT %u", u.db));
	if (u.sentinel && !r->exit_code) {
		/* Right after a failover the sentinel may still name the old
		 * master; a write there would be lost. */
		rep = rds_cmd(r, "ROLE");
		if (rep && (rep->type != REDIS_REPLY_ARRAY || !rep->elements ||
			    rep->element[0]->type != REDIS_REPLY_STRING ||
			    strcmp(rep->element[0]->str, "master")))
			rds_fail(r, CTL_EXIT_UNREACHABLE, "the sentinel's master %s port %d is"
				 " not a master now (failover under way?); try again", u.host, u.port);
		freeReplyObject(rep);
	}
out:
	sodium_memzero(u.password, sizeof(u.password));
	return rc ? rc : r->exit_code;
}

static void rds_close(struct rds *r)
{
	if (r->c)
		redisFree(r->c);
}

/* Reads the replies of MULTI, n queued commands and EXEC, all appended by
 * the caller (one round trip). Returns 1 when EXEC committed (id: the reply
 * of the last queued command, the XADD's entry id), 0 when a WATCHed key
 * changed meanwhile, -1 on failure (reported). */
static int tx_finish(struct rds *r, size_t n, char *id, size_t idlen)
{
	int rc = -1;

	for (size_t i = 0; i < n + 2; i++) {
		void *v = NULL;
		redisReply *rep;

		if (redisGetReply(r->c, &v) != REDIS_OK) {
			rds_check(r, NULL, "EXEC");
			return -1;
		}
		rep = v;
		if (i < n + 1) {
			if (rep->type == REDIS_REPLY_ERROR)
				rds_fail(r, CTL_EXIT_FAILED, "refused: %s", rep->str);
		} else if (rep->type == REDIS_REPLY_NIL) {
			rc = 0;
		} else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
			rc = 1;
			for (size_t j = 0; j < n; j++)
				if (rep->element[j]->type == REDIS_REPLY_ERROR) {
					rds_fail(r, CTL_EXIT_FAILED, "refused: %s", rep->element[j]->str);
					rc = -1;
				}
			if (rc == 1 && rep->element[n - 1]->type == REDIS_REPLY_STRING)
				snprintf(id, idlen, "%s", rep->element[n - 1]->str);
		} else {
			rds_fail(r, CTL_EXIT_FAILED, "EXEC refused: %s",
				 rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		}
		freeReplyObject(rep);
	}
	return r->exit_code ? -1 : rc;
}

/* A retry loop's outcome: 0 when the last tx_finish() committed, else the
 * exit code (0 = every try lost to another writer). */
static int tx_result(struct rds *r, int rc)
{
	if (rc == 0)
		rds_fail(r, CTL_EXIT_FAILED, "gave up after %d tries: other writers kept changing"
			 " the same keys", WATCH_RETRIES);
	return rc == 1 ? 0 : r->exit_code ? r->exit_code : CTL_EXIT_FAILED;
}

/* Appends the XADD of {"event": event, "payload": payload} (stolen). */
static int append_event(struct rds *r, const char *event, json_t *payload)
{
	json_t *e = json_pack("{s:s, s:o}", "event", event, "payload", payload);
	char *msg = e ? json_dumps(e, JSON_COMPACT) : NULL;

	json_decref(e);
	if (!msg) {
		rds_fail(r, CTL_EXIT_FAILED, "out of memory");
		return -ENOMEM;
	}
	redisAppendCommand(r->c, "XADD %s MAXLEN ~ 100000 * msg %s", r->events, msg);
	free(msg);
	return 0;
}

/* The JSON stored under field in hash: NULL when absent; *bad when it does
 * not parse (reported). */
static json_t *hget_json(struct rds *r, const char *hash, const char *field, bool *bad)
{
	redisReply *rep = rds_cmd(r, "HGET %s %s", hash, field);
	json_t *v = NULL;

	*bad = !rep;
	if (rep && rep->type == REDIS_REPLY_STRING) {
		v = json_loadb(rep->str, rep->len, 0, NULL);
		if (!json_is_object(v)) {
			rds_fail(r, CTL_EXIT_FAILED, "%s holds no JSON object under %s;"
				 " fix or delete it", hash, field);
			json_decref(v);
			v = NULL;
			*bad = true;
		}
	}
	freeReplyObject(rep);
	return v;
}

/* ---- the changes ---- */

/* peer add / resource add: the object under its id, and client_updated /
 * resource_updated. A resource may not change its type (the gateway
 * refuses that event; the hash must not say otherwise). */
static int op_put(struct rds *r, const struct change *ch, char *eid)
{
	bool res = ch->kind == RES_ADD, bad;
	const char *hash = res ? r->resources : r->clients, *id = res ? ch->resource : ch->client;
	char *val = json_dumps(ch->obj, JSON_COMPACT);
	int rc = 0;

	for (int t = 0; t < WATCH_RETRIES && rc == 0; t++) {
		json_t *old;

		freeReplyObject(rds_cmd(r, "WATCH %s", hash));
		old = hget_json(r, hash, id, &bad);
		if (bad || !val) {
			rds_fail(r, CTL_EXIT_FAILED, "out of memory");
			break;
		}
		if (res && old && !json_equal(json_object_get(old, "type"),
					      json_object_get(ch->obj, "type"))) {
			const char *was = json_string_value(json_object_get(old, "type"));

			rc = usage_err("resource %s is a %s resource; its type cannot change"
				       " (resource del it first)", id, was ? was : "differently typed");
			freeReplyObject(rds_cmd(r, "UNWATCH"));
			json_decref(old);
			free(val);
			return rc;
		}
		json_decref(old);
		redisAppendCommand(r->c, "MULTI");
		redisAppendCommand(r->c, "HSET %s %s %s", hash, id, val);
		if (append_event(r, res ? "resource_updated" : "client_updated",
				 json_pack("{s:O}", res ? "resource" : "client", ch->obj)))
			break;
		redisAppendCommand(r->c, "EXEC");
		rc = tx_finish(r, 2, eid, EVENT_ID_LEN);
	}
	free(val);
	return tx_result(r, rc);
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
 * built in C with jansson, with no script to load or keep in step. All keys
 * share the {G} hash tag, so it works on Redis Cluster too. */
static int op_remove(struct rds *r, const struct change *ch, char *eid, struct removed *out)
{
	const char *hash = ch->kind == RES_DEL ? r->resources : r->clients;
	const char *id = ch->kind == RES_DEL ? ch->resource : ch->client;
	const char *gc = ch->kind == RES_DEL ? NULL : ch->client;
	const char *gr = ch->kind == PEER_DEL ? NULL : ch->resource;
	int rc = 0;

	for (int t = 0; t < WATCH_RETRIES && rc == 0; t++) {
		redisReply *keys, *ex;
		bool others = false;
		size_t n = 0;

		memset(out, 0, sizeof(*out));
		freeReplyObject(rds_cmd(r, "WATCH %s %s", hash, r->grants));
		keys = rds_cmd(r, "HKEYS %s", r->grants);
		ex = rds_cmd(r, "HEXISTS %s %s", hash, id);
		if (!keys || !ex || keys->type != REDIS_REPLY_ARRAY || ex->type != REDIS_REPLY_INTEGER) {
			rds_fail(r, CTL_EXIT_FAILED, "unexpected reply to HKEYS/HEXISTS");
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
			} else if (ch->kind == REVOKE && grant_match(f, ch->client, NULL)) {
				others = true;
			}
		}
		out->existed = ch->kind == REVOKE ? out->grants > 0 : ex->integer == 1;
		/* Only a revoke that took a grant leaves a client with none: one
		 * added by peer add and not granted yet stays. */
		out->client_gone = ch->kind == REVOKE && ex->integer == 1 && out->grants && !others;
		if (ch->kind != REVOKE || out->client_gone) {
			redisAppendCommand(r->c, "HDEL %s %s", hash, id);
			n++;
		}
		freeReplyObject(keys);
		freeReplyObject(ex);
		if (ch->kind == PEER_DEL)
			rc = append_event(r, "client_deleted", json_pack("{s:s}", "client_id", id));
		else if (ch->kind == RES_DEL)
			rc = append_event(r, "resource_deleted", json_pack("{s:s}", "resource_id", id));
		else
			rc = append_event(r, "reject_access", json_pack("{s:s, s:s}", "client_id",
					  ch->client, "resource_id", ch->resource));
		if (rc)
			return r->exit_code;
		redisAppendCommand(r->c, "EXEC");
		rc = tx_finish(r, n + 1, eid, EVENT_ID_LEN);
	}
	return tx_result(r, rc);
}

/* The last id of the replies stream ("0-0" when empty), read before the
 * event goes in so that the gateway's answer cannot be missed. */
static void replies_last_id(struct rds *r, char *id)
{
	redisReply *rep = rds_cmd(r, "XREVRANGE %s + - COUNT 1", r->replies);

	snprintf(id, EVENT_ID_LEN, "0-0");
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 &&
	    rep->element[0]->type == REDIS_REPLY_ARRAY && rep->element[0]->elements >= 1 &&
	    rep->element[0]->element[0]->type == REDIS_REPLY_STRING)
		snprintf(id, EVENT_ID_LEN, "%s", rep->element[0]->element[0]->str);
	freeReplyObject(rep);
}

/* allow: the grant, and create_authorization carrying the client and the
 * resource as Redis holds them (each only when it is there: otherwise the
 * gateway finds the id among its file's [Peer]s / [Resource]s). */
static int op_allow(struct rds *r, const struct change *ch, const char *ref, char *since, char *eid)
{
	char field[KEY_B64_LEN + WG_CFG_RESOURCE_NAME_LEN + 2];
	json_t *exp = ch->expires ? json_integer(ch->expires) : json_null();
	int rc = 0;

	snprintf(field, sizeof(field), "%s %s", ch->client, ch->resource);
	for (int t = 0; t < WATCH_RETRIES && rc == 0; t++) {
		bool bad_c, bad_r;
		json_t *client, *res, *payload, *grant;
		char *gs;

		freeReplyObject(rds_cmd(r, "WATCH %s %s", r->clients, r->resources));
		client = hget_json(r, r->clients, ch->client, &bad_c);
		res = hget_json(r, r->resources, ch->resource, &bad_r);
		replies_last_id(r, since);
		payload = json_pack("{s:s, s:s, s:s}", "ref", ref, "client_id", ch->client,
				    "resource_id", ch->resource);
		grant = json_pack("{s:s, s:s, s:O}", "client_id", ch->client,
				  "resource_id", ch->resource, "expires_at", exp);
		gs = grant ? json_dumps(grant, JSON_COMPACT) : NULL;
		json_decref(grant);
		if (client)
			json_object_set_new(payload, "client", client);
		if (res)
			json_object_set_new(payload, "resource", res);
		json_object_set(payload, "expires_at", exp);
		if (bad_c || bad_r || r->exit_code || !payload || !gs) {
			rds_fail(r, CTL_EXIT_FAILED, "out of memory");
			json_decref(payload);
			free(gs);
			break;
		}
		redisAppendCommand(r->c, "MULTI");
		redisAppendCommand(r->c, "HSET %s %s %s", r->grants, field, gs);
		free(gs);
		if (append_event(r, "create_authorization", payload))
			break;
		redisAppendCommand(r->c, "EXEC");
		rc = tx_finish(r, 2, eid, EVENT_ID_LEN);
	}
	json_decref(exp);
	return tx_result(r, rc);
}

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
static int wait_confirm(struct rds *r, char *since, const char *ref, int ms)
{
	int64_t deadline = now_ms() + ms, left;

	while ((left = deadline - now_ms()) > 0) {
		redisReply *rep = rds_cmd(r, "XREAD COUNT 100 BLOCK %lld STREAMS %s %s",
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
				snprintf(since, EVENT_ID_LEN, "%s", e->element[0]->str);
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

static int run_change(struct rds *r, const struct change *ch, const struct ctl_redis_opts *o)
{
	char eid[EVENT_ID_LEN] = "?", since[EVENT_ID_LEN], ref[33];
	uint8_t rnd[16];
	struct removed rm;
	int rc;

	switch (ch->kind) {
	case PEER_ADD:
	case RES_ADD:
		rc = op_put(r, ch, eid);
		if (!rc)
			printf("%s %s: written (%s, event %s)\n", ch->kind == PEER_ADD ? "peer" : "resource",
			       ch->kind == PEER_ADD ? ch->client : ch->resource,
			       ch->kind == PEER_ADD ? "client_updated" : "resource_updated", eid);
		return rc;
	case PEER_DEL:
	case RES_DEL:
	case REVOKE:
		rc = op_remove(r, ch, eid, &rm);
		if (rc)
			return rc;
		if (ch->kind == REVOKE)
			printf("revoke %s %s: written (reject_access, event %s)\n", ch->client,
			       ch->resource, eid);
		else
			printf("%s %s: deleted with %zu grant%s (%s, event %s)\n",
			       ch->kind == PEER_DEL ? "peer" : "resource",
			       ch->kind == PEER_DEL ? ch->client : ch->resource, rm.grants,
			       rm.grants == 1 ? "" : "s",
			       ch->kind == PEER_DEL ? "client_deleted" : "resource_deleted", eid);
		if (rm.client_gone)
			printf("peer %s: removed, it has no grant left\n", ch->client);
		if (!rm.existed)
			fprintf(stderr, "wgatectl: note: Redis held no such %s (one of the gateway's"
				" config file stays until the file changes)\n",
				ch->kind == REVOKE ? "grant" : ch->kind == PEER_DEL ? "peer" : "resource");
		return 0;
	case ALLOW:
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			return usage_err("no random numbers: %s", strerror(errno));
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
	return CTL_EXIT_FAILED;
}

/* ---- the inputs ---- */

static int parse_key(const char *s, char out[KEY_B64_LEN + 1])
{
	uint8_t k[WG_CFG_KEY_LEN];

	/* Not quoted back: it might be a private key pasted by mistake. */
	if (wg_cfgval_key(s, k))
		return usage_err("KEY is not a public key (44 characters of base64, as"
				 " `wg pubkey` prints it)");
	memcpy(out, s, KEY_B64_LEN + 1);
	return 0;
}

/* A resource id: 1-63 of A-Z a-z 0-9 _ - . (as a [Resource NAME]). */
static int parse_name(const char *s, char out[WG_CFG_RESOURCE_NAME_LEN])
{
	size_t n = strlen(s);

	if (n == 0 || n >= WG_CFG_RESOURCE_NAME_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != n)
		return usage_err("'%s' is not a resource name (1-63 of A-Z a-z 0-9 _ - .)", s);
	memcpy(out, s, n + 1);
	return 0;
}

/* "30s", "10m", "2h", "1d", or a sum such as "1h30m": seconds, > 0. */
static int parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		int64_t v = 0;
		const char *d = s;

		for (; *s >= '0' && *s <= '9'; s++)
			if ((v = v * 10 + (*s - '0')) > MAX_DURATION_S)
				return -EINVAL;
		if (s == d)
			return -EINVAL;
		switch (*s++) {
		case 's': break;
		case 'm': v *= 60; break;
		case 'h': v *= 3600; break;
		case 'd': v *= 86400; break;
		default: return -EINVAL;
		}
		if ((total += v) > MAX_DURATION_S)
			return -EINVAL;
	}
	if (!total)
		return -EINVAL;
	*out = total;
	return 0;
}

/* peer add: {"id", "public_key", "preshared_key"?, "ipv4"?, "ipv6"?,
 * "allowed_ips"}: the first /32 and /128 are the tunnel addresses. */
static int build_client(const char *key, const struct ctl_redis_opts *o, json_t **out)
{
	char ip4[WG_IPADDR_STRLEN] = "", ip6[WG_IPADDR_STRLEN] = "", why[300];
	json_t *c = json_pack("{s:s, s:s}", "id", key, "public_key", key), *ips = json_array();
	size_t n = 0;
	char **items = wg_cfgval_split(o->allowed_ips, ',', &n);
	int rc = CTL_EXIT_USAGE;

	if (!c || !ips || !items) {
		rc = usage_err("out of memory");
		goto out;
	}
	if (o->psk_file) {
		uint8_t psk[WG_CFG_KEY_LEN];
		char b64[KEY_B64_LEN + 1];

		if (wg_cfgval_key_file(o->psk_file, psk, why, sizeof(why))) {
			usage_err("--psk: %s", why);
			goto out;
		}
		sodium_bin2base64(b64, sizeof(b64), psk, sizeof(psk), sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(c, "preshared_key", json_string(b64));
		sodium_memzero(psk, sizeof(psk));
		sodium_memzero(b64, sizeof(b64));
	}
	if (n == 0) {
		usage_err("--allowed-ips: no prefixes");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct wg_prefix p;
		char txt[WG_PREFIX_STRLEN];

		if (wg_prefix_parse(items[i], false, &p)) {
			usage_err("--allowed-ips: '%s' is not a prefix like 100.64.0.2/32", items[i]);
			goto out;
		}
		wg_prefix_str(&p, txt, sizeof(txt));
		if (wg_prefix_parse(items[i], true, &p)) {
			usage_err("--allowed-ips: '%s' has host bits set (the network is %s)",
				  items[i], txt);
			goto out;
		}
		json_array_append_new(ips, json_string(txt));
		if (p.len == wg_af_bits(p.ip.af)) {
			char *dst = p.ip.af == WG_AF_INET4 ? ip4 : ip6;

			if (!dst[0])
				wg_ipaddr_str(&p.ip, dst, WG_IPADDR_STRLEN);
		}
	}
	if (ip4[0])
		json_object_set_new(c, "ipv4", json_string(ip4));
	if (ip6[0])
		json_object_set_new(c, "ipv6", json_string(ip6));
	json_object_set(c, "allowed_ips", ips);
	*out = c;
	c = NULL;
	rc = 0;
out:
	free(items);
	json_decref(ips);
	json_decref(c);
	return rc;
}

static const char *const proto_names[] = {
	[WG_CFG_PROTO_TCP] = "tcp", [WG_CFG_PROTO_UDP] = "udp", [WG_CFG_PROTO_ICMP] = "icmp",
};

/* resource add: {"type", "id", "address", "name", "filters"}. */
static int build_resource(const char *name, const struct ctl_redis_opts *o, json_t **out)
{
	static const char *const types[] = {
		[WG_CFG_RES_CIDR] = "cidr", [WG_CFG_RES_DNS] = "dns", [WG_CFG_RES_INTERNET] = "internet",
	};
	struct wg_cfg_resource res = { 0 };
	char why[300], addr[WG_CFG_DNS_PATTERN_LEN];
	char **items = NULL;
	json_t *r, *filters = json_array();
	size_t n = 0;
	int rc = CTL_EXIT_USAGE;

	if (wg_cfgval_resource_address(o->address, &res, why, sizeof(why))) {
		json_decref(filters);
		return usage_err("--address: %s", why);
	}
	if (res.kind == WG_CFG_RES_CIDR)
		wg_prefix_str(&res.prefix, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "%s",
			 res.kind == WG_CFG_RES_DNS ? res.dns_pattern : "internet");
	if (o->filters && !(items = wg_cfgval_split(o->filters, ',', &n))) {
		usage_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && filters; i++) {
		struct wg_cfg_filter f;
		json_t *j;

		if (wg_cfgval_filter(items[i], &f, why, sizeof(why))) {
			usage_err("--filters: %s", why);
			goto out;
		}
		j = json_pack("{s:s}", "protocol", proto_names[f.proto]);
		if (f.proto != WG_CFG_PROTO_ICMP && (f.lo != 0 || f.hi != 65535)) {
			json_object_set_new(j, "port_range_start", json_integer(f.lo));
			json_object_set_new(j, "port_range_end", json_integer(f.hi));
		}
		json_array_append_new(filters, j);
	}
	r = json_pack("{s:s, s:s, s:s, s:s, s:O}", "type", types[res.kind], "id", name,
		      "address", addr, "name", name, "filters", filters);
	if (r) {
		*out = r;
		rc = 0;
	}
out:
	free(items);
	json_decref(filters);
	return rc;
}

bool ctl_redis_is_command(const char *cmd)
{
	return !strcmp(cmd, "peer") || !strcmp(cmd, "resource") || !strcmp(cmd, "allow") ||
	       !strcmp(cmd, "revoke");
}

#define CHANGE_USAGE \
	"usage: wgatectl peer add KEY --allowed-ips LIST [--psk FILE] | peer del KEY |\n" \
	"       resource add NAME --address A [--filters F] | resource del NAME |\n" \
	"       allow KEY RESOURCE [--for DURATION | --until RFC3339] [--no-wait] |\n" \
	"       revoke KEY RESOURCE"

static int parse_change(int nargs, char **a, const struct ctl_redis_opts *o, struct change *ch)
{
	const char *sub = nargs > 1 ? a[1] : "";
	int rc;

	if (!strcmp(a[0], "peer") && !strcmp(sub, "add") && nargs == 3)
		ch->kind = PEER_ADD;
	else if (!strcmp(a[0], "peer") && !strcmp(sub, "del") && nargs == 3)
		ch->kind = PEER_DEL;
	else if (!strcmp(a[0], "resource") && !strcmp(sub, "add") && nargs == 3)
		ch->kind = RES_ADD;
	else if (!strcmp(a[0], "resource") && !strcmp(sub, "del") && nargs == 3)
		ch->kind = RES_DEL;
	else if (!strcmp(a[0], "allow") && nargs == 3)
		ch->kind = ALLOW;
	else if (!strcmp(a[0], "revoke") && nargs == 3)
		ch->kind = REVOKE;
	else
		return usage_err(CHANGE_USAGE);

	if ((o->allowed_ips || o->psk_file) && ch->kind != PEER_ADD)
		return usage_err("--allowed-ips and --psk go with peer add");
	if ((o->address || o->filters) && ch->kind != RES_ADD)
		return usage_err("--address and --filters go with resource add");
	if ((o->duration || o->until || o->no_wait) && ch->kind != ALLOW)
		return usage_err("--for, --until and --no-wait go with allow");

	switch (ch->kind) {
	case PEER_ADD:
		if (!o->allowed_ips)
			return usage_err("peer add needs --allowed-ips LIST (e.g. 100.64.0.2/32)");
		return parse_key(a[2], ch->client) ?: build_client(ch->client, o, &ch->obj);
	case PEER_DEL:
		return parse_key(a[2], ch->client);
	case RES_ADD:
		if (!o->address)
			return usage_err("resource add needs --address (a CIDR, an IP address, a DNS"
					 " name or *.name, or internet)");
		return parse_name(a[2], ch->resource) ?: build_resource(ch->resource, o, &ch->obj);
	case RES_DEL:
		return parse_name(a[2], ch->resource);
	case ALLOW:
	case REVOKE:
		rc = parse_key(a[1], ch->client) ?: parse_name(a[2], ch->resource);
		if (rc || ch->kind == REVOKE)
			return rc;
		if (o->duration && o->until)
			return usage_err("--for and --until: one or the other");
		if (o->duration && parse_duration(o->duration, &ch->expires))
			return usage_err("--for: '%s' is not a duration like 30s, 10m, 2h, 1d or 1h30m",
					 o->duration);
		if (o->duration)
			ch->expires += (int64_t)time(NULL);
		if (o->until && wg_cfgval_rfc3339(o->until, &ch->expires))
			return usage_err("--until: '%s' is not an RFC 3339 time like"
					 " 2026-12-01T00:00:00Z", o->until);
		if (o->until && ch->expires <= (int64_t)time(NULL))
			return usage_err("--until: %s is in the past", o->until);
		return 0;
	}
	return CTL_EXIT_USAGE;
}

int ctl_redis_command(int nargs, char **args, const struct ctl_redis_opts *o)
{
	struct change ch = { 0 };
	char url[WG_CFG_REDIS_LEN], gw[WG_CFG_GATEWAY_ID_LEN + 1];
	struct rds r = { 0 };
	int rc;

	rc = parse_change(nargs, args, o, &ch);
	if (!rc)
		rc = resolve_target(o, url, gw);
	if (!rc)
		rc = rds_open(&r, url, gw);
	sodium_memzero(url, sizeof(url));
	if (!rc)
		rc = run_change(&r, &ch, o);
	rds_close(&r);
	json_decref(ch.obj);
	return rc;
}
