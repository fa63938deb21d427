/* See signaling.h.
 *
 * Connection states (one redisAsyncContext at a time):
 *
 *   IDLE --(next_try)--> SENTINEL --(master address)--> CONNECTING
 *   IDLE --(next_try, plain redis://)-----------------> CONNECTING
 *   CONNECTING --(AUTH, SELECT, MULTI load)--> TAILING (XREAD loop)
 *   any --(error, timeout, disconnect)--> IDLE, next_try = now + backoff
 *
 * hiredis 0.14 has no async timeouts: every command we wait for has a
 * deadline checked here, and a reply that does not come in time drops the
 * connection (a Redis that stopped answering looks like one that is gone).
 *
 * Redis processes one connection's commands in order, so nothing may queue
 * behind a blocking XREAD: replies, the applied id and the heartbeat go out
 * between reads, and a read blocks at most XREAD_BLOCK_MS. */
#include "control/signaling.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "control/analytics.h"
#include "control/dns.h"
#include "control/identity.h"
#include "control/peers.h"
#include "control/reload.h"
#include "lib/config/config.h"
#include "lib/signal/merge.h"
#include "lib/signal/msg.h"
#include "lib/signal/state.h"
#include "lib/signal/url.h"
#include "lib/util/log.h"

#define MOD			"signaling"
#define XREAD_BLOCK_MS		1000
#define XREAD_COUNT		1000
#define REPLY_TIMEOUT_NS	(5ULL * 1000 * 1000 * 1000)	/* beyond the block */
#define CONNECT_TIMEOUT_NS	(5ULL * 1000 * 1000 * 1000)
#define BACKOFF_MIN_NS		(100ULL * 1000 * 1000)
#define BACKOFF_MAX_NS		(60ULL * 1000 * 1000 * 1000)
#define HEARTBEAT_NS		(5ULL * 1000 * 1000 * 1000)
#define STATUS_TTL_S		15
#define REPLIES_MAXLEN		"10000"
#define MAX_PENDING_REFS	4096

enum phase { IDLE, SENTINEL, CONNECTING, TAILING };

static struct {
	bool active;
	/* A host name being looked up (control/dns.c) before connecting. */
	char resolve_host[256];
	uint16_t resolve_port;
	struct wg_redis_url url;
	char url_shown[600];		/* password redacted */
	char gid[65];
	char k_clients[100], k_resources[100], k_grants[100], k_events[100];
	char k_applied[100], k_replies[100], k_status[100];

	const struct wg_config *base;	/* the file's config */
	struct wg_config *base_owned;	/* non-NULL once a SIGHUP handed one over */
	struct wg_sig_state *state;

	enum phase phase;
	redisAsyncContext *ac;
	bool want_read, want_write;
	uint64_t deadline;		/* 0 = not waiting for anything */
	uint64_t next_try, backoff;
	bool was_up;			/* for logging the transitions once */
	uint64_t attempts;

	char last_id[64];		/* stream position: last entry applied */
	bool dirty;			/* state changed since the last publish */
	uint64_t next_heartbeat;
	char *refs[MAX_PENDING_REFS];	/* authorization_created to send */
	unsigned int n_refs;
	uint64_t started_unix;
} sig;

/* ---------------- applying ---------------- */

static void skip_cb(void *ctx, const char *why)
{
	(void)ctx;
	WG_LOG(WARN, MOD, "not applied: %s", why);
}

/* Lays the Redis state over the file's config and publishes the result as
 * a reload would: peers synced (a removed one loses its session), tables
 * rebuilt. */
static int publish(void)
{
	struct wg_sig_merge_report rep = { .skip = skip_cb };
	char why[256];
	struct wg_config *merged = wg_sig_merge(sig.base, sig.state, &rep, why, sizeof(why));
	int rc;

	if (!merged) {
		rc = -errno;
		WG_LOG(ERR, MOD, "cannot merge the Redis state over the config: %s", why);
		return rc;
	}
	rc = ctl_apply(merged);
	if (rc)
		WG_LOG(ERR, MOD, "applying the Redis state failed (%s); retrying with the next"
		       " change", strerror(-rc));
	if (rep.grants_unresolved)
		WG_LOG(DEBUG, MOD, "%zu grant(s) name no known client or resource yet",
		       rep.grants_unresolved);
	sig.dirty = rc != 0;
	return rc;
}

/* ---------------- connection plumbing ---------------- */

/* The event hooks get their context (ev.data): a context being torn down
 * (the sentinel's, after the master's has replaced it) must not touch the
 * flags of the current one. */
static void ev_add_read(void *p) { if (p == sig.ac) sig.want_read = true; }
static void ev_del_read(void *p) { if (p == sig.ac) sig.want_read = false; }
static void ev_add_write(void *p) { if (p == sig.ac) sig.want_write = true; }
static void ev_del_write(void *p) { if (p == sig.ac) sig.want_write = false; }
static void ev_cleanup(void *p)
{
	if (p == sig.ac)
		sig.want_read = sig.want_write = false;
}

/* The current context stops being ours. forget(): hiredis is freeing it;
 * detach(): we will, so it must not call back into us either. */
static void forget(void)
{
	sig.ac = NULL;
	sig.want_read = sig.want_write = false;
}

static redisAsyncContext *detach(void)
{
	redisAsyncContext *ac = sig.ac;

	forget();
	if (ac)
		ac->onDisconnect = NULL;
	return ac;
}

static void down(const char *why)
{
	uint64_t now = ctl_now_ns();

	if (sig.was_up || sig.attempts == 1)
		WG_LOG(WARN, MOD, "Redis %s: %s; the data plane keeps the last state, retrying"
		       " with backoff (up to 60 s)", sig.url_shown, why);
	else
		WG_LOG(DEBUG, MOD, "Redis %s: %s (attempt %lu)", sig.url_shown, why,
		       (unsigned long)sig.attempts);
	sig.was_up = false;
	sig.phase = IDLE;
	sig.deadline = 0;
	sig.next_try = now + sig.backoff;
	sig.backoff = sig.backoff * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : sig.backoff * 2;
}

/* Drops the connection from outside a hiredis callback. */
static void drop(const char *why)
{
	redisAsyncContext *ac = detach();

	if (ac)
		redisAsyncFree(ac);
	down(why);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	/* hiredis frees ac after this returns. */
	if (ac != sig.ac)
		return;
	forget();
	down(status == REDIS_OK ? "disconnected" : (ac->errstr[0] ? ac->errstr : "connection lost"));
}

static void on_connect(const redisAsyncContext *ac, int status);
static void connect_addr(const char *host, uint16_t port);

static bool ip_literal(const char *host)
{
	uint8_t buf[16];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* The answer for sig.resolve_host: A first, then AAAA. */
static void on_resolved(void *arg, const struct ctl_dns_answer *a)
{
	char ip[INET6_ADDRSTRLEN], msg[400];

	(void)arg;
	if (a->status == -ENOENT && a->family == AF_INET &&
	    ctl_dns_lookup(sig.resolve_host, AF_INET6, on_resolved, &sig) >= 0)
		return;
	if (a->status || !a->n || !inet_ntop(a->family, a->addrs[0].a, ip, sizeof(ip))) {
		snprintf(msg, sizeof(msg), "cannot resolve %s: %s", sig.resolve_host,
			 a->status == -ENOENT ? "no such name" :
			 a->status == -ETIMEDOUT ? "no answer" : "lookup failed");
		down(msg);
		return;
	}
	connect_addr(ip, sig.resolve_port);
}

/* hiredis 0.14 resolves a host name with a blocking getaddrinfo(); a name
 * goes through the control core's c-ares resolver first, so the loop never
 * waits on DNS (hiredis only does that itself when the resolver is not up). */
static void connect_to(const char *host, uint16_t port)
{
	int rc;

	if (!ip_literal(host) && strlen(host) < sizeof(sig.resolve_host)) {
		snprintf(sig.resolve_host, sizeof(sig.resolve_host), "%s", host);
		sig.resolve_port = port;
		rc = ctl_dns_lookup(host, AF_INET, on_resolved, &sig);
		if (rc >= 0)
			return;		/* on_resolved ran, or will */
		if (rc != -ENODEV) {
			char msg[400];
			snprintf(msg, sizeof(msg), "cannot resolve %s: %s", host, strerror(-rc));
			down(msg);
			return;
		}
	}
	connect_addr(host, port);
}

static void connect_addr(const char *host, uint16_t port)
{
	redisAsyncContext *ac = redisAsyncConnect(host, port);

	if (!ac || ac->err) {
		char msg[160];
		snprintf(msg, sizeof(msg), "cannot connect to %s:%u: %s", host, port,
			 ac ? ac->errstr : "out of memory");
		if (ac)
			redisAsyncFree(ac);
		down(msg);
		return;
	}
	sig.ac = ac;
	sig.want_read = sig.want_write = false;
	ac->ev.data = ac;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	/* Asks for the first write event: the connect's completion. */
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	sig.deadline = ctl_now_ns() + CONNECT_TIMEOUT_NS;
}

/* An error reply, or none (the connection went): logged, connection dropped. */
static bool reply_bad(redisAsyncContext *ac, const redisReply *r, const char *what)
{
	char msg[300];

	if (r && r->type != REDIS_REPLY_ERROR)
		return false;
	if (!r)
		return true;	/* disconnecting: on_disconnect reports */
	snprintf(msg, sizeof(msg), "%s: %.*s", what, (int)r->len, r->str);
	if (ac == sig.ac) {
		redisAsyncDisconnect(detach());
		down(msg);
	}
	return true;
}

/* ---------------- tailing ---------------- */

static void read_next(void);

static void flush_writes(void)
{
	uint64_t now = ctl_now_ns();

	for (unsigned int i = 0; i < sig.n_refs; i++) {
		redisAsyncCommand(sig.ac, NULL, NULL, "XADD %s MAXLEN ~ " REPLIES_MAXLEN " * msg %s",
				  sig.k_replies, sig.refs[i]);
		free(sig.refs[i]);
	}
	sig.n_refs = 0;
	if (sig.last_id[0])
		redisAsyncCommand(sig.ac, NULL, NULL, "SET %s %s", sig.k_applied, sig.last_id);
	if (now >= sig.next_heartbeat) {
		char peers[24], res[24], grants[24], started[24], hb[24];

		snprintf(peers, sizeof(peers), "%u", ctl.n_peers);
		snprintf(res, sizeof(res), "%zu", wg_sig_state_n_resources(sig.state));
		snprintf(grants, sizeof(grants), "%zu", wg_sig_state_n_grants(sig.state));
		snprintf(started, sizeof(started), "%lu", (unsigned long)sig.started_unix);
		snprintf(hb, sizeof(hb), "%lu", (unsigned long)time(NULL));
		redisAsyncCommand(sig.ac, NULL, NULL,
				  "HSET %s version %s started_at %s peers %s resources %s grants %s"
				  " last_event %s heartbeat %s",
				  sig.k_status, WGATE_VERSION, started, peers, res, grants,
				  sig.last_id[0] ? sig.last_id : "-", hb);
		redisAsyncCommand(sig.ac, NULL, NULL, "EXPIRE %s %d", sig.k_status, STATUS_TTL_S);
		sig.next_heartbeat = now + HEARTBEAT_NS;
	}
}

static void queue_ref(const char *ref_json)
{
	char *m = wg_sig_msg_authorization_created(ref_json);

	if (!m)
		return;
	if (sig.n_refs == MAX_PENDING_REFS) {
		free(m);
		WG_LOG(WARN, MOD, "too many authorization_created replies pending; one dropped");
		return;
	}
	sig.refs[sig.n_refs++] = m;
}

/* WG_LOG rate-limits this site: a stream full of garbage cannot flood the
 * log, and what is held back is counted in the next line that passes. */
static void refused(const char *why)
{
	WG_LOG(WARN, MOD, "event %s refused: %s", sig.last_id, why);
}

static void apply_entry(const redisReply *entry)
{
	struct wg_sig_result res;
	char why[300];
	const redisReply *id, *fields, *msg = NULL;

	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2)
		return;
	id = entry->element[0];
	fields = entry->element[1];
	if (id->type != REDIS_REPLY_STRING || id->len >= sizeof(sig.last_id))
		return;
	memcpy(sig.last_id, id->str, id->len);
	sig.last_id[id->len] = '\0';
	if (fields->type == REDIS_REPLY_ARRAY)
		for (size_t i = 0; i + 1 < fields->elements; i += 2)
			if (fields->element[i]->type == REDIS_REPLY_STRING &&
			    !strcmp(fields->element[i]->str, "msg") &&
			    fields->element[i + 1]->type == REDIS_REPLY_STRING)
				msg = fields->element[i + 1];
	if (!msg) {
		refused("no field \"msg\"");
		return;
	}
	int rc = wg_sig_apply(sig.state, msg->str, msg->len, &res, why, sizeof(why));
	if (rc) {
		refused(why);
		return;
	}
	sig.dirty = true;
	WG_LOG(DEBUG, MOD, "event %s applied: %s", sig.last_id, wg_sig_event_name(res.event));
	if (res.event == WG_SIG_EV_CREATE_AUTHORIZATION)
		queue_ref(res.ref);
}

static void on_xread(redisAsyncContext *ac, void *r_, void *priv)
{
	redisReply *r = r_;

	(void)priv;
	if (ac != sig.ac)
		return;
	sig.deadline = 0;
	if (reply_bad(ac, r, "XREAD"))
		return;
	/* nil: the block ran out with nothing new. Else [[stream, [entries]]]. */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
		const redisReply *entries = r->element[0]->element[1];
		for (size_t i = 0; i < entries->elements; i++)
			apply_entry(entries->element[i]);
	}
	if (sig.dirty)
		publish();
	flush_writes();
	read_next();
}

static void read_next(void)
{
	char block[16], count[16];

	snprintf(block, sizeof(block), "%d", XREAD_BLOCK_MS);
	snprintf(count, sizeof(count), "%d", XREAD_COUNT);
	if (redisAsyncCommand(sig.ac, on_xread, NULL, "XREAD COUNT %s BLOCK %s STREAMS %s %s",
			      count, block, sig.k_events, sig.last_id[0] ? sig.last_id : "0-0")
	    != REDIS_OK)
		return;
	sig.deadline = ctl_now_ns() + (uint64_t)XREAD_BLOCK_MS * 1000000ULL + REPLY_TIMEOUT_NS;
}

/* ---------------- loading ---------------- */

typedef int (*load_fn)(struct wg_sig_state *, const char *, size_t, char *, size_t);

static size_t load_hash(struct wg_sig_state *st, const redisReply *h, load_fn fn,
			const char *what)
{
	char why[300];
	size_t bad = 0;

	if (h->type != REDIS_REPLY_ARRAY)
		return 0;
	for (size_t i = 0; i + 1 < h->elements; i += 2) {
		const redisReply *v = h->element[i + 1];
		if (v->type != REDIS_REPLY_STRING || fn(st, v->str, v->len, why, sizeof(why))) {
			bad++;
			WG_LOG(WARN, MOD, "%s entry %.*s refused: %s", what,
			       (int)h->element[i]->len, h->element[i]->str,
			       v->type == REDIS_REPLY_STRING ? why : "not a string");
		}
	}
	return bad;
}

static void on_load(redisAsyncContext *ac, void *r_, void *priv)
{
	redisReply *r = r_;
	struct wg_sig_state *st;

	(void)priv;
	if (ac != sig.ac)
		return;
	sig.deadline = 0;
	if (reply_bad(ac, r, "loading the state"))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4) {
		drop("loading the state: unexpected reply to EXEC");
		return;
	}
	st = wg_sig_state_new();
	if (!st) {
		drop("out of memory loading the state");
		return;
	}
	load_hash(st, r->element[0], wg_sig_state_load_client, "client");
	load_hash(st, r->element[1], wg_sig_state_load_resource, "resource");
	load_hash(st, r->element[2], wg_sig_state_load_grant, "grant");
	/* The stream's last entry at the moment of the load: the hashes
	 * already say everything up to it. */
	sig.last_id[0] = '\0';
	const redisReply *last = r->element[3];
	if (last->type == REDIS_REPLY_ARRAY && last->elements == 1 &&
	    last->element[0]->type == REDIS_REPLY_ARRAY && last->element[0]->elements == 2) {
		const redisReply *id = last->element[0]->element[0];
		if (id->type == REDIS_REPLY_STRING && id->len < sizeof(sig.last_id)) {
			memcpy(sig.last_id, id->str, id->len);
			sig.last_id[id->len] = '\0';
		}
	}
	wg_sig_state_free(sig.state);
	sig.state = st;
	publish();
	WG_LOG(INFO, MOD, "Redis %s: state loaded (%zu client(s), %zu resource(s), %zu grant(s)),"
	       " tailing %s from %s", sig.url_shown, wg_sig_state_n_clients(st),
	       wg_sig_state_n_resources(st), wg_sig_state_n_grants(st), sig.k_events,
	       sig.last_id[0] ? sig.last_id : "the start");
	sig.phase = TAILING;
	sig.was_up = true;
	ctl_analytics_session();
	sig.backoff = BACKOFF_MIN_NS;
	sig.next_heartbeat = 0;
	flush_writes();
	read_next();
}

static void start_load(void)
{
	if (sig.url.password[0]) {
		if (sig.url.user[0])
			redisAsyncCommand(sig.ac, NULL, NULL, "AUTH %s %s", sig.url.user,
					  sig.url.password);
		else
			redisAsyncCommand(sig.ac, NULL, NULL, "AUTH %s", sig.url.password);
	}
	redisAsyncCommand(sig.ac, NULL, NULL, "SELECT %u", sig.url.db);
	/* One MULTI: the three hashes and the stream's last id agree. */
	redisAsyncCommand(sig.ac, NULL, NULL, "MULTI");
	redisAsyncCommand(sig.ac, NULL, NULL, "HGETALL %s", sig.k_clients);
	redisAsyncCommand(sig.ac, NULL, NULL, "HGETALL %s", sig.k_resources);
	redisAsyncCommand(sig.ac, NULL, NULL, "HGETALL %s", sig.k_grants);
	redisAsyncCommand(sig.ac, NULL, NULL, "XREVRANGE %s + - COUNT 1", sig.k_events);
	redisAsyncCommand(sig.ac, on_load, NULL, "EXEC");
	sig.deadline = ctl_now_ns() + REPLY_TIMEOUT_NS;
}

/* ---------------- sentinel ---------------- */

static void on_master(redisAsyncContext *ac, void *r_, void *priv)
{
	redisReply *r = r_;
	char host[256];
	unsigned long port;

	(void)priv;
	if (ac != sig.ac)
		return;
	sig.deadline = 0;
	if (reply_bad(ac, r, "SENTINEL get-master-addr-by-name"))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING || r->element[0]->len >= sizeof(host) ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		drop("the sentinel does not know the master");
		return;
	}
	memcpy(host, r->element[0]->str, r->element[0]->len);
	host[r->element[0]->len] = '\0';
	port = strtoul(r->element[1]->str, NULL, 10);
	/* Done with the sentinel; the master connection replaces it. */
	redisAsyncDisconnect(detach());
	WG_LOG(INFO, MOD, "sentinel: master %s is %s:%lu", sig.url.master, host, port);
	sig.phase = CONNECTING;
	connect_to(host, (uint16_t)port);
}

/* ---------------- the loop's side ---------------- */

static void on_connect(const redisAsyncContext *ac_, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)ac_;

	if (ac != sig.ac)
		return;
	if (status != REDIS_OK) {
		/* hiredis frees ac after this callback. */
		forget();
		down(ac->errstr[0] ? ac->errstr : "connect failed");
		return;
	}
	if (sig.phase == SENTINEL) {
		redisAsyncCommand(ac, on_master, NULL, "SENTINEL get-master-addr-by-name %s",
				  sig.url.master);
		sig.deadline = ctl_now_ns() + REPLY_TIMEOUT_NS;
		return;
	}
	start_load();
}

static void try_connect(void)
{
	sig.attempts++;
	/* A sentinel URL names the sentinel: it is asked for the master. */
	sig.phase = sig.url.sentinel ? SENTINEL : CONNECTING;
	connect_to(sig.url.host, sig.url.port);
}

unsigned int ctl_sig_poll(uint64_t t)
{
	if (!sig.active)
		return 0;

	if (!sig.ac) {
		if (sig.phase == IDLE && t >= sig.next_try)
			try_connect();
		return 0;
	}
	if (sig.deadline && t > sig.deadline) {
		drop(sig.phase == TAILING ? "no reply in time" : "timed out");
		return 0;
	}
	struct pollfd pfd = { .fd = sig.ac->c.fd,
			      .events = (short)((sig.want_read ? POLLIN : 0) |
						(sig.want_write ? POLLOUT : 0)) };
	if (pfd.fd < 0 || !pfd.events || poll(&pfd, 1, 0) <= 0)
		return 0;
	/* hiredis may free sig.ac inside either call: re-check between. */
	if (pfd.revents & (POLLIN | POLLERR | POLLHUP))
		redisAsyncHandleRead(sig.ac);
	if (sig.ac && (pfd.revents & POLLOUT))
		redisAsyncHandleWrite(sig.ac);
	return 1;
}

int ctl_sig_init(const struct wg_config *base)
{
	char why[300];
	int rc;

	if (!base->signaling.has_redis)
		return 0;
	rc = wg_redis_url_parse(base->signaling.redis, &sig.url, why, sizeof(why));
	wg_redis_url_redact(base->signaling.redis, sig.url_shown, sizeof(sig.url_shown));
	if (rc) {
		WG_LOG(ERR, MOD, "[Signaling] Redis %s: %s", sig.url_shown, why);
		return rc;
	}
	/* Worked out once at start (control/identity.c), shared with the
	 * flags, analytics and metrics. */
	if (!*ctl_gateway_id())
		return -EINVAL;
	snprintf(sig.gid, sizeof(sig.gid), "%s", ctl_gateway_id());
	snprintf(sig.k_clients, sizeof(sig.k_clients), "wgate:{%s}:clients", sig.gid);
	snprintf(sig.k_resources, sizeof(sig.k_resources), "wgate:{%s}:resources", sig.gid);
	snprintf(sig.k_grants, sizeof(sig.k_grants), "wgate:{%s}:grants", sig.gid);
	snprintf(sig.k_events, sizeof(sig.k_events), "wgate:{%s}:events", sig.gid);
	snprintf(sig.k_applied, sizeof(sig.k_applied), "wgate:{%s}:applied", sig.gid);
	snprintf(sig.k_replies, sizeof(sig.k_replies), "wgate:{%s}:replies", sig.gid);
	snprintf(sig.k_status, sizeof(sig.k_status), "wgate:{%s}:status", sig.gid);
	sig.state = wg_sig_state_new();
	if (!sig.state)
		return -ENOMEM;
	sig.base = base;
	sig.backoff = BACKOFF_MIN_NS;
	sig.started_unix = (uint64_t)time(NULL);
	sig.active = true;
	WG_LOG(INFO, MOD, "gateway id %s; Redis %s", sig.gid, sig.url_shown);
	return 0;
}

bool ctl_sig_active(void)
{
	return sig.active;
}

int ctl_sig_set_base(struct wg_config *base)
{
	/* Nothing points into the old base: what is applied is a deep copy. */
	wg_config_free(sig.base_owned);
	sig.base = sig.base_owned = base;
	return publish();
}

void ctl_sig_free(void)
{
	if (!sig.active)
		return;
	ctl_dns_cancel(on_resolved, &sig);
	if (sig.ac)
		redisAsyncFree(detach());
	for (unsigned int i = 0; i < sig.n_refs; i++)
		free(sig.refs[i]);
	sig.n_refs = 0;
	wg_sig_state_free(sig.state);
	sig.state = NULL;
	wg_config_free(sig.base_owned);
	sig.base_owned = NULL;
	sig.active = false;
}

const char *ctl_sig_gateway_id(void)
{
	return sig.active ? sig.gid : "";
}

bool ctl_sig_connected(void)
{
	return sig.active && sig.phase == TAILING;
}

const char *ctl_sig_last_event(void)
{
	return sig.last_id;
}
