/* wgatectl's connection to the signaling store (ctl_rds.h).
 *
 * Which store: --redis URL, else WGATE_SIGNALING_REDIS, else the config
 * file's [Signaling] Redis (-c FILE, else WGATE_CONFIG, else
 * /etc/wgate/wgate.conf). Which gateway: --gateway-id, else
 * WGATE_SIGNALING_GATEWAYID, else the config's GatewayId, else the id the
 * gateway itself stored in STATE_DIR/gateway-id (the one it derived from
 * /etc/machine-id when none is configured).
 */
#include "control/ctl_rds.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <jansson.h>
#include <sodium.h>

#include "control/ctl_redis.h"
#include "lib/config/values.h"
#include "lib/signal/gateway_id.h"
#include "lib/signal/url.h"

#define DEFAULT_CONFIG		"/etc/wgate/wgate.conf"
#define DEFAULT_STATE_DIR	"/var/lib/wgate"
#define IO_TIMEOUT_S		5

extern char **environ;

/* ---- where to write ---- */

/* The id the gateway stored: 64 hex digits, surrounding whitespace allowed. */
/* Finds the store and the gateway id (see the top of the file); u is the
 * URL parsed. Returns 0 or an exit code (reported). url is left holding the
 * password: the caller wipes it. */
static int resolve_target(const struct ctl_redis_opts *o, char url[WG_CFG_REDIS_LEN],
			  struct wg_redis_url *u, char gw[WG_CFG_GATEWAY_ID_LEN + 1])
{
	const char *s = o->redis, *g = o->gateway_id, *u_from = "--redis", *g_from = "--gateway-id";
	const char *dir = o->state_dir ? o->state_dir : DEFAULT_STATE_DIR;
	char cfg_path[512] = "", file[600];
	int rc;

	if (!s && (s = getenv("WGATE_SIGNALING_REDIS")) && !*s)
		s = NULL;
	if (!o->redis && s)
		u_from = "WGATE_SIGNALING_REDIS";
	if (!g && (g = getenv("WGATE_SIGNALING_GATEWAYID")) && !*g)
		g = NULL;
	if (!o->gateway_id && g)
		g_from = "WGATE_SIGNALING_GATEWAYID";
	url[0] = gw[0] = '\0';
	if (s)
		snprintf(url, WG_CFG_REDIS_LEN, "%s", s);
	if (g && wg_cfgval_hex_id(g, gw))
		return ctl_usage_err("%s: a gateway id is 64 hex digits", g_from);

	if (!s || !g) {
		const char *path = o->config ? o->config : getenv("WGATE_CONFIG");
		bool named = path && *path;

		snprintf(cfg_path, sizeof(cfg_path), "%s", named ? path : DEFAULT_CONFIG);
		if (named || access(cfg_path, F_OK) == 0) {
			struct wg_config_error err;
			struct wg_config *cfg = wg_config_load(cfg_path, environ, &err);
			char msg[600];

			if (!cfg) {
				wg_config_error_str(&err, msg, sizeof(msg));
				return ctl_usage_err("%s\n  (or name the store with --redis URL and"
						     " --gateway-id HEX64)", msg);
			}
			if (!s && cfg->signaling.has_redis) {
				snprintf(url, WG_CFG_REDIS_LEN, "%s", cfg->signaling.redis);
				u_from = cfg_path;
			}
			if (!g && cfg->signaling.gateway_id[0])
				memcpy(gw, cfg->signaling.gateway_id, WG_CFG_GATEWAY_ID_LEN + 1);
			wg_config_free(cfg);
		}
	}
	if (!url[0])
		return ctl_usage_err("no Redis to write to: pass --redis URL, set"
				     " WGATE_SIGNALING_REDIS or [Signaling] Redis in %s",
				     cfg_path[0] ? cfg_path : DEFAULT_CONFIG);
	if (wg_redis_url_parse(url, u, NULL, 0))
		return ctl_usage_err("%s: not a redis://[:password@]host[:port][/db] or"
				     " redis+sentinel://host[:port]/master[/db] URL", u_from);
	if (!gw[0]) {
		/* The gateway derives its id from /etc/machine-id when none is
		 * configured and keeps it in STATE_DIR/gateway-id; on another
		 * host only --gateway-id can name it. */
		snprintf(file, sizeof(file), "%s/gateway-id", dir);
		char why[300];
		rc = wg_gateway_id_read(file, gw, why, sizeof(why));
		if (rc == -EINVAL)
			return ctl_usage_err("%s", why);
		if (rc <= 0)
			return ctl_usage_err("no gateway id: pass --gateway-id HEX64 (or set"
					     " WGATE_SIGNALING_GATEWAYID, or [Signaling] GatewayId);"
					     " %s, where the gateway stores the id it uses, cannot be"
					     " read: %s", file, strerror(rc ? -rc : ENOENT));
	}
	return 0;
}

/* ---- the connection ---- */

void ctl_rds_fail(struct ctl_rds *r, int code, const char *fmt, ...)
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
static redisReply *rds_check(struct ctl_rds *r, redisReply *rep, const char *what)
{
	int wl = (int)strcspn(what, " ");

	if (!rep) {
		ctl_rds_fail(r, CTL_EXIT_UNREACHABLE, "%.*s: %s", wl, what,
			     r->c->errstr[0] ? r->c->errstr : "connection lost");
		return NULL;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		ctl_rds_fail(r, CTL_EXIT_FAILED, "%.*s refused: %s", wl, what, rep->str);
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

redisReply *ctl_rds_cmd(struct ctl_rds *r, const char *fmt, ...)
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
static int ask_sentinel(struct ctl_rds *r, struct wg_redis_url *u)
{
	char why[512];
	redisContext *s = dial(u->host, u->port, why, sizeof(why));
	redisReply *rep;
	unsigned long port = 0;

	if (!s) {
		ctl_rds_fail(r, CTL_EXIT_UNREACHABLE, "sentinel: %s", why);
		return -1;
	}
	rep = redisCommand(s, "SENTINEL get-master-addr-by-name %s", u->master);
	if (rep && rep->type == REDIS_REPLY_ARRAY && rep->elements == 2 &&
	    rep->element[0]->type == REDIS_REPLY_STRING &&
	    rep->element[1]->type == REDIS_REPLY_STRING &&
	    rep->element[0]->len > 0 && rep->element[0]->len < sizeof(u->host) &&
	    !wg_cfgval_uint(rep->element[1]->str, 1, 65535, &port)) {
		memcpy(u->host, rep->element[0]->str, rep->element[0]->len + 1);
		u->port = (uint16_t)port;
	} else {
		ctl_rds_fail(r, CTL_EXIT_UNREACHABLE, "sentinel: %s",
			     !rep ? s->errstr : rep->type == REDIS_REPLY_ERROR ? rep->str
			     : "it knows no such master");
	}
	freeReplyObject(rep);
	redisFree(s);
	return port ? 0 : -1;
}

int ctl_rds_open(struct ctl_rds *r, const struct ctl_redis_opts *o)
{
	char url[WG_CFG_REDIS_LEN], gw[WG_CFG_GATEWAY_ID_LEN + 1], why[512];
	struct wg_redis_url u;
	redisReply *rep;
	int rc = resolve_target(o, url, &u, gw);

	wg_redis_url_redact(url, r->where, sizeof(r->where));
	sodium_memzero(url, sizeof(url));
	if (rc)
		goto out;
	snprintf(r->clients, CTL_RDS_KEY_LEN, "wgate:{%s}:clients", gw);
	snprintf(r->resources, CTL_RDS_KEY_LEN, "wgate:{%s}:resources", gw);
	snprintf(r->grants, CTL_RDS_KEY_LEN, "wgate:{%s}:grants", gw);
	snprintf(r->events, CTL_RDS_KEY_LEN, "wgate:{%s}:events", gw);
	snprintf(r->replies, CTL_RDS_KEY_LEN, "wgate:{%s}:replies", gw);
	if (u.sentinel && ask_sentinel(r, &u))
		goto out;
	r->c = dial(u.host, u.port, why, sizeof(why));
	if (!r->c) {
		ctl_rds_fail(r, CTL_EXIT_UNREACHABLE, "%s", why);
		goto out;
	}
	if (u.password[0]) {
		rep = u.user[0] ? ctl_rds_cmd(r, "AUTH %s %s", u.user, u.password)
				: ctl_rds_cmd(r, "AUTH %s", u.password);
		freeReplyObject(rep);
		if (r->exit_code)
			r->exit_code = CTL_EXIT_UNREACHABLE;	/* a wrong password: the URL's fault */
	}
	if (u.db)
		freeReplyObject(ctl_rds_cmd(r, "SELECT %u", u.db));
	if (u.sentinel && !r->exit_code) {
		/* Right after a failover the sentinel may still name the old
		 * master; a write there would be lost. */
		rep = ctl_rds_cmd(r, "ROLE");
		if (rep && (rep->type != REDIS_REPLY_ARRAY || !rep->elements ||
			    rep->element[0]->type != REDIS_REPLY_STRING ||
			    strcmp(rep->element[0]->str, "master")))
			ctl_rds_fail(r, CTL_EXIT_UNREACHABLE, "the sentinel's master %s port %d is"
				     " not a master now (failover under way?); try again",
				     u.host, u.port);
		freeReplyObject(rep);
	}
out:
	sodium_memzero(&u, sizeof(u));
	return rc ? rc : r->exit_code;
}

void ctl_rds_close(struct ctl_rds *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
}

json_t *ctl_rds_hget_json(struct ctl_rds *r, const char *hash, const char *field, bool *bad)
{
	redisReply *rep = ctl_rds_cmd(r, "HGET %s %s", hash, field);
	json_t *v = NULL;

	*bad = !rep;
	if (rep && rep->type == REDIS_REPLY_STRING) {
		v = json_loadb(rep->str, rep->len, 0, NULL);
		if (!json_is_object(v)) {
			ctl_rds_fail(r, CTL_EXIT_FAILED, "%s holds no JSON object under %s;"
				     " fix or delete it", hash, field);
			json_decref(v);
			v = NULL;
			*bad = true;
		}
	}
	freeReplyObject(rep);
	return v;
}

/* ---- transactions ---- */

void ctl_rds_append_event(struct ctl_rds *r, const char *msg)
{
	redisAppendCommand(r->c, "XADD %s MAXLEN ~ 100000 * msg %s", r->events, msg);
}

int ctl_rds_tx_finish(struct ctl_rds *r, size_t n, char id[CTL_RDS_ID_LEN])
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
				ctl_rds_fail(r, CTL_EXIT_FAILED, "refused: %s", rep->str);
		} else if (rep->type == REDIS_REPLY_NIL) {
			rc = 0;
		} else if (rep->type == REDIS_REPLY_ARRAY && rep->elements == n) {
			rc = 1;
			for (size_t j = 0; j < n; j++)
				if (rep->element[j]->type == REDIS_REPLY_ERROR) {
					ctl_rds_fail(r, CTL_EXIT_FAILED, "refused: %s",
						     rep->element[j]->str);
					rc = -1;
				}
			if (rc == 1 && rep->element[n - 1]->type == REDIS_REPLY_STRING)
				snprintf(id, CTL_RDS_ID_LEN, "%s", rep->element[n - 1]->str);
		} else {
			ctl_rds_fail(r, CTL_EXIT_FAILED, "EXEC refused: %s",
				     rep->type == REDIS_REPLY_ERROR ? rep->str : "unexpected reply");
		}
		freeReplyObject(rep);
	}
	return r->exit_code ? -1 : rc;
}

int ctl_rds_tx_result(struct ctl_rds *r, int rc)
{
	if (rc == 0)
		ctl_rds_fail(r, CTL_EXIT_FAILED, "gave up after %d tries: other writers kept"
			     " changing the same keys", CTL_RDS_RETRIES);
	return rc == 1 ? 0 : r->exit_code ? r->exit_code : CTL_EXIT_FAILED;
}
