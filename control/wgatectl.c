/* wgatectl: the operator's tool for a running wgate.
 *
 * Reads go to the gateway's DPDK telemetry socket (protocol v2),
 * /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2: a SOCK_SEQPACKET unix
 * socket where the server first sends one JSON info object
 * ({"version": ..., "pid": ..., "max_output_len": ...}), then answers each
 * command string ("/wgate/status", or "/cmd,params") with one JSON object
 * {"<command without params>": value}; null when the command is unknown or
 * its callback failed.
 *
 *   wgatectl [--socket PATH | --prefix NAME] [--json] [--all] COMMAND
 *     status     exit 0 only when the gateway answers and reports ready
 *     peers      like `wg show`: endpoint, allowed ips, handshake, transfer
 *                (/wgate/peers[,OFFSET] lists keys, /wgate/peer,KEY each one)
 *     resources  name, kind, address, filters, grants of each resource
 *                (/wgate/resources[,OFFSET] lists names, /wgate/resource,NAME each one)
 *     access [KEY] the grants: peer, resource, expiry
 *                (/wgate/access[,OFFSET], or one peer's: /wgate/access,KEY[,OFFSET])
 *     counters [W] nonzero counters (--all: every counter), summed or of worker W
 *                (an index) or of the control core ("control")
 *     raw CMD    any telemetry command, printed as JSON (e.g. raw /info)
 *
 * --json prints the command's value; for peers, resources and access the
 * assembled array of objects.
 *
 * Changes (peer add/del, resource add/del, allow, revoke) go to the
 * signaling store, Redis, as a portal writes them: ctl_redis.c.
 *
 * Exit codes: 0 success (status: ready); 1 the gateway (or Redis) answered
 * but is not ready, refused, or sent something malformed; 2 the telemetry
 * socket (or Redis) could not be reached; 3 allow was written but no
 * running gateway confirmed it; 64 usage error or bad input.
 *
 * It needs no DPDK library: the protocol is plain JSON over a socket, and a
 * tool that links the EAL would need hugepages to print a table.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control/ctl_redis.h"
#include "lib/config/values.h"

#define EXIT_NOT_READY		CTL_EXIT_FAILED
#define EXIT_UNREACHABLE	CTL_EXIT_UNREACHABLE
#define EXIT_USAGE		CTL_EXIT_USAGE

#define DEFAULT_PREFIX		"wgate"
#define RUNTIME_DIR		"/var/run/dpdk"
#define SOCKET_NAME		"dpdk_telemetry.v2"
#define IO_TIMEOUT_S		5
/* DPDK 22.11 caps a reply at 16 KiB (its max_output_len); leave room for
 * servers built with a larger cap. */
#define REPLY_MAX		(1024 * 1024)

struct opts {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool json;
	bool all;
	bool tel_opts;			/* --socket or --prefix given */
	struct ctl_redis_opts w;	/* the change commands' options */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: wgatectl [--socket PATH | --prefix NAME] [--json] [--all] COMMAND\n"
		"       wgatectl [--redis URL] [--gateway-id HEX64] [-c FILE] CHANGE\n"
		"\n"
		"commands (from the running gateway):\n"
		"  status     is the gateway up and ready? (exit 0 only when it is)\n"
		"  peers      peers with endpoint, allowed ips, latest handshake, transfer\n"
		"  resources  resources with kind, address, filters and number of grants\n"
		"  access [KEY]  grants (of one peer): peer, resource, expiry\n"
		"  counters [WORKER|control]\n"
		"             nonzero data-plane counters summed over lcores, or one\n"
		"             worker's (index from 0) or the control core's (--all: every counter)\n"
		"  raw CMD    send any telemetry command (e.g. /info, /wgate/status)\n"
		"\n"
		"changes (written to the signaling store, Redis, for every gateway sharing it):\n"
		"  peer add KEY --allowed-ips LIST [--psk FILE]\n"
		"  peer del KEY\n"
		"  resource add NAME --address CIDR|IP|DNSNAME|internet [--filters LIST]\n"
		"             filters like tcp/80,tcp/8000-8100,udp/53,icmp (none: all traffic)\n"
		"  resource del NAME\n"
		"  allow KEY RESOURCE [--for DURATION | --until RFC3339] [--no-wait]\n"
		"             DURATION like 30s, 10m, 2h, 1d; waits up to 2 s for a gateway to confirm\n"
		"  revoke KEY RESOURCE\n"
		"\n"
		"options:\n"
		"  --socket PATH  telemetry socket (default " RUNTIME_DIR "/" DEFAULT_PREFIX
		"/" SOCKET_NAME ")\n"
		"  --prefix NAME  socket of the gateway started with --file-prefix NAME\n"
		"  --json         print the reply as JSON instead of text\n"
		"  --all          counters: include the ones that are zero\n"
		"  --redis URL    redis://[:password@]host[:port][/db] or\n"
		"                 redis+sentinel://host[:port]/master[/db] (default\n"
		"                 $WGATE_SIGNALING_REDIS, else [Signaling] Redis of the config)\n"
		"  --gateway-id HEX64  the gateway's id (default $WGATE_SIGNALING_GATEWAYID,\n"
		"                 else [Signaling] GatewayId, else STATE_DIR/gateway-id)\n"
		"  -c, --config FILE   configuration (default $WGATE_CONFIG, else /etc/wgate/wgate.conf)\n"
		"  --state-dir DIR     where the gateway keeps its id (default /var/lib/wgate)\n"
		"\n"
		"exit codes: 0 ok, 1 not ready / refused / bad reply, 2 gateway or Redis unreachable,\n"
		"            3 allow written but not confirmed by a running gateway, 64 usage\n");
}

static int set_prefix(struct opts *o, const char *prefix)
{
	int n = snprintf(o->socket_path, sizeof(o->socket_path), "%s/%s/%s",
			 RUNTIME_DIR, prefix, SOCKET_NAME);

	return n > 0 && (size_t)n < sizeof(o->socket_path) ? 0 : -ENAMETOOLONG;
}

/* Connects and consumes the server's info message. Returns the socket or
 * -errno; the caller reports. */
static int tel_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	char info[4096];
	ssize_t n;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		goto err_close;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto err_close;
	/* The info object: its content is not needed, only that it came,
	 * which proves a telemetry server (not a stale socket) is there. */
	n = recv(fd, info, sizeof(info), 0);
	if (n < 0)
		goto err_close;
	if (n == 0) {
		/* DPDK closes at once when it has too many clients. */
		errno = ECONNRESET;
		goto err_close;
	}
	return fd;

err_close:
	err = errno;
	close(fd);
	return -err;
}

/* One telemetry connection; several commands may go over it. */
struct tel {
	const char *path;
	int fd;
	char *buf;		/* REPLY_MAX bytes */
	bool unreachable;	/* the last failure was the socket's, not the reply's */
};

static int tel_open(struct tel *t, const char *path)
{
	t->path = path;
	t->unreachable = true;
	t->buf = NULL;
	t->fd = tel_connect(path);
	if (t->fd < 0) {
		fprintf(stderr, "wgatectl: cannot reach the gateway at %s: %s\n"
			"  (is wgate running? pick its socket with --socket PATH or"
			" --prefix FILE_PREFIX)\n", path, strerror(-t->fd));
		return t->fd;
	}
	t->buf = malloc(REPLY_MAX);
	if (!t->buf) {
		fprintf(stderr, "wgatectl: out of memory\n");
		close(t->fd);
		t->unreachable = false;
		return -ENOMEM;
	}
	return 0;
}

static void tel_close(struct tel *t)
{
	free(t->buf);
	if (t->fd >= 0)
		close(t->fd);
}

/* Sends cmd ("/x/y" or "/x/y,params") and returns the value of the reply's
 * member (a new reference). NULL when the command failed: with a message
 * printed, unless quiet_null and the gateway answered null (unknown command
 * or a callback error, e.g. a peer that is gone). */
static json_t *tel_cmd(struct tel *t, const char *cmd, bool quiet_null)
{
	json_error_t jerr;
	json_t *root, *val;
	ssize_t n;

	t->unreachable = true;
	if (send(t->fd, cmd, strlen(cmd), 0) < 0 ||
	    (n = recv(t->fd, t->buf, REPLY_MAX, 0)) < 0) {
		fprintf(stderr, "wgatectl: %s: %s: %s\n", t->path, cmd, strerror(errno));
		return NULL;
	}
	if (n == 0) {
		fprintf(stderr, "wgatectl: %s: the gateway closed the connection\n", t->path);
		return NULL;
	}
	t->unreachable = false;
	root = json_loadb(t->buf, (size_t)n, 0, &jerr);
	if (!root) {
		fprintf(stderr, "wgatectl: %s: malformed reply: %s\n", cmd, jerr.text);
		return NULL;
	}
	/* The reply is keyed by the command without its ",params". */
	val = json_object_getn(root, cmd, strcspn(cmd, ","));
	if (!val || json_is_null(val)) {
		if (!quiet_null)
			fprintf(stderr, "wgatectl: the gateway does not know the command %s"
				" (or failed it)\n", cmd);
		json_decref(root);
		return NULL;
	}
	json_incref(val);
	json_decref(root);
	return val;
}

/* Adds one peer object to out, with "public_key" set when it lacks one. */
static void peers_add(json_t *out, json_t *p, const char *key)
{
	if (!json_is_object(p))
		return;
	p = json_deep_copy(p);
	if (!p)
		return;
	if (key && !json_is_string(json_object_get(p, "public_key")))
		json_object_set_new(p, "public_key", json_string(key));
	json_array_append_new(out, p);
}

/* All peers as one array of objects, each with "public_key".
 *
 * wgate's protocol (DPDK 22.11 telemetry cannot put a dictionary in a list,
 * nor '+' or '=' in a dictionary name): "/wgate/peers[,OFFSET]" lists public
 * keys a page at a time, "/wgate/peer,KEY" describes one peer. Pages are
 * fetched until one comes back empty, so the client does not depend on the
 * server's page size (a 16 KiB reply holds ~340 keys). Also accepted, as
 * other servers may send them: a list of peer objects, or one object with a
 * peer object per member (keyed by public key, or carrying "public_key"). */
static json_t *fetch_peers(struct tel *t)
{
	json_t *out = json_array(), *page, *p;
	const char *key;
	size_t offset = 0, i;
	char cmd[128];

	if (!out)
		return NULL;
	for (;;) {
		if (offset)
			snprintf(cmd, sizeof(cmd), "/wgate/peers,%zu", offset);
		else
			snprintf(cmd, sizeof(cmd), "/wgate/peers");
		page = tel_cmd(t, cmd, false);
		if (!page)
			goto err;
		if (json_is_object(page) && offset == 0) {
			json_object_foreach(page, key, p)
				peers_add(out, p, key);
			json_decref(page);
			return out;
		}
		if (!json_is_array(page)) {
			fprintf(stderr, "wgatectl: %s: the reply is not a list\n", cmd);
			json_decref(page);
			goto err;
		}
		if (json_array_size(page) == 0) {
			json_decref(page);
			return out;
		}
		/* A server that ignores OFFSET sends the first page again. */
		if (offset && json_is_string(json_array_get(page, 0)) && json_array_size(out) &&
		    !strcmp(json_string_value(json_array_get(page, 0)),
			    json_string_value(json_object_get(json_array_get(out, 0), "public_key")))) {
			json_decref(page);
			return out;
		}
		json_array_foreach(page, i, p) {
			if (json_is_string(p)) {
				json_t *detail;

				snprintf(cmd, sizeof(cmd), "/wgate/peer,%s", json_string_value(p));
				detail = tel_cmd(t, cmd, true);	/* null: removed meanwhile */
				if (!detail && t->unreachable) {
					json_decref(page);
					goto err;
				}
				if (detail)
					peers_add(out, detail, json_string_value(p));
				json_decref(detail);
			} else {
				peers_add(out, p, NULL);
			}
		}
		if (!json_is_string(json_array_get(page, 0))) {
			json_decref(page);	/* objects: one reply holds them all */
			return out;
		}
		offset += json_array_size(page);
		json_decref(page);
	}

err:
	json_decref(out);
	return NULL;
}

static void print_json(const json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s) {
		puts(s);
		free(s);
	}
}

/* A JSON number as u64: DPDK sends u64 counters as integers; anything else
 * (negative, real, string) is treated as absent. */
static bool get_u64(const json_t *obj, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return false;
	*out = (uint64_t)json_integer_value(v);
	return true;
}

static const char *get_str(const json_t *obj, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : def;
}

static int cmd_status(const json_t *v)
{
	uint64_t ready = 0, workers = 0, peers = 0, up = 0;

	get_u64(v, "ready", &ready);
	get_u64(v, "workers", &workers);
	get_u64(v, "peers", &peers);
	get_u64(v, "uptime_s", &up);
	printf("wgate %s: %s, %" PRIu64 " worker%s, %" PRIu64 " peer%s, up %" PRIu64 " s\n",
	       get_str(v, "version", "?"), ready == 1 ? "ready" : "NOT READY",
	       workers, workers == 1 ? "" : "s", peers, peers == 1 ? "" : "s", up);
	return ready == 1 ? 0 : EXIT_NOT_READY;
}

/* "1 hour, 2 minutes, 3 seconds ago", as wg(8) prints it. */
static void print_ago(uint64_t secs)
{
	static const struct { const char *name; uint64_t len; } units[] = {
		{ "year", 365 * 24 * 3600 }, { "day", 24 * 3600 },
		{ "hour", 3600 }, { "minute", 60 }, { "second", 1 },
	};
	bool first = true;

	if (secs == 0) {
		fputs("Now", stdout);
		return;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		uint64_t n = secs / units[i].len;

		if (!n)
			continue;
		secs %= units[i].len;
		printf("%s%" PRIu64 " %s%s", first ? "" : ", ", n, units[i].name,
		       n == 1 ? "" : "s");
		first = false;
	}
	fputs(" ago", stdout);
}

static void print_bytes(uint64_t b)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)b;
	size_t i;

	if (b < 1024) {
		printf("%" PRIu64 " B", b);
		return;
	}
	v /= 1024;
	for (i = 0; i < 3 && v >= 1024; i++)
		v /= 1024;
	printf("%.2f %s", v, units[i]);
}

/* The reply is a list of peer objects (telemetry dictionary keys cannot
 * hold base64 public keys). */
static void print_peer(const char *key, const json_t *p, uint64_t now, bool first)
{
	uint64_t hs = 0, rx = 0, tx = 0;

	printf("%speer: %s\n", first ? "" : "\n", key);
	printf("  endpoint: %s\n", get_str(p, "endpoint", "(none)"));
	printf("  allowed ips: %s\n", get_str(p, "allowed_ips", "(none)"));
	fputs("  latest handshake: ", stdout);
	if (get_u64(p, "latest_handshake", &hs) && hs)
		print_ago(now > hs ? now - hs : 0);
	else
		fputs("(never)", stdout);
	get_u64(p, "rx_bytes", &rx);
	get_u64(p, "tx_bytes", &tx);
	fputs("\n  transfer: ", stdout);
	print_bytes(rx);
	fputs(" received, ", stdout);
	print_bytes(tx);
	fputs(" sent\n", stdout);
}

/* peers: the array built by fetch_peers(). */
static int cmd_peers(const json_t *v)
{
	uint64_t now = (uint64_t)time(NULL);
	size_t i;
	json_t *p;

	if (json_array_size(v) == 0) {
		printf("no peers\n");
		return 0;
	}
	json_array_foreach(v, i, p)
		print_peer(get_str(p, "public_key", "(no key)"), p, now, i == 0);
	return 0;
}

/* Walks the counters object; nested objects (e.g. per-lcore breakdowns)
 * print as "outer.inner". Returns the number of rows printed. */
static int print_counters(const json_t *obj, const char *prefix, bool all)
{
	const char *key;
	json_t *val;
	int rows = 0;

	json_object_foreach((json_t *)obj, key, val) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s%s", prefix, *prefix ? "." : "", key);
		if (json_is_object(val)) {
			rows += print_counters(val, name, all);
		} else if (json_is_integer(val)) {
			if (!all && json_integer_value(val) == 0)
				continue;
			printf("%-40s %20" JSON_INTEGER_FORMAT "\n", name,
			       json_integer_value(val));
			rows++;
		} else if (all) {
			char *s = json_dumps(val, JSON_ENCODE_ANY);

			printf("%-40s %20s\n", name, s ? s : "?");
			free(s);
			rows++;
		}
	}
	return rows;
}

static int cmd_counters(const json_t *v, bool all)
{
	if (!json_is_object(v)) {
		fprintf(stderr, "wgatectl: counters: the reply is not an object\n");
		return EXIT_NOT_READY;
	}
	if (print_counters(v, "", all) == 0)
		printf("all counters are zero\n");
	return 0;
}

/* The strings of a paged list: CMD[,ARG][,OFFSET] until a page comes back
 * empty, so the client does not depend on the server's page size. A server
 * that ignores OFFSET (sends the first page again) ends the walk too. */
static json_t *fetch_list(struct tel *t, const char *base, const char *arg)
{
	json_t *out = json_array(), *page, *s;
	size_t offset = 0, i;
	char cmd[256];

	while (out) {
		if (offset)
			snprintf(cmd, sizeof(cmd), "%s,%s%s%zu", base, arg ? arg : "", arg ? "," : "",
				 offset);
		else
			snprintf(cmd, sizeof(cmd), "%s%s%s", base, arg ? "," : "", arg ? arg : "");
		page = tel_cmd(t, cmd, false);
		if (!page)
			goto err;
		if (!json_is_array(page)) {
			fprintf(stderr, "wgatectl: %s: the reply is not a list\n", cmd);
			json_decref(page);
			goto err;
		}
		if (json_array_size(page) == 0 ||
		    (offset && json_equal(json_array_get(page, 0), json_array_get(out, 0)))) {
			json_decref(page);
			return out;
		}
		json_array_foreach(page, i, s) {
			if (!json_is_string(s)) {
				fprintf(stderr, "wgatectl: %s: the reply is not a list of strings\n", cmd);
				json_decref(page);
				goto err;
			}
			json_array_append(out, s);
		}
		offset += json_array_size(page);
		json_decref(page);
	}
err:
	json_decref(out);
	return NULL;
}

/* A string, or a list of strings sent in pieces (telemetry strings hold at
 * most 127 characters: a long DNS name comes as a list), as one string. */
static json_t *joined(const json_t *v)
{
	char buf[1024] = "";
	size_t i, n = 0;
	json_t *p;

	if (!json_is_array(v))
		return json_is_string(v) ? json_copy((json_t *)v) : json_string("?");
	json_array_foreach(v, i, p)
		if (json_is_string(p) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", json_string_value(p));
	return json_string(buf);
}

/* All resources as one array of objects, each with "name" and the address
 * as one string. */
static json_t *fetch_resources(struct tel *t)
{
	json_t *names = fetch_list(t, "/wgate/resources", NULL), *out = json_array(), *n;
	size_t i;

	if (!names || !out)
		goto err;
	json_array_foreach(names, i, n) {
		char cmd[128];
		json_t *r;

		snprintf(cmd, sizeof(cmd), "/wgate/resource,%s", json_string_value(n));
		r = tel_cmd(t, cmd, true);	/* null: removed meanwhile */
		if (!r && t->unreachable)
			goto err;
		if (!json_is_object(r)) {
			json_decref(r);
			continue;
		}
		json_object_set(r, "name", n);
		json_object_set_new(r, "address", joined(json_object_get(r, "address")));
		json_array_append_new(out, r);
	}
	json_decref(names);
	return out;
err:
	json_decref(names);
	json_decref(out);
	return NULL;
}

/* The grants, as objects {"public_key", "resource", "expires_at": unix
 * seconds or null, "expired"}, from items "KEY RESOURCE EXPIRES" (or
 * "RESOURCE EXPIRES" for one peer's), EXPIRES 0 = never. */
static json_t *fetch_access(struct tel *t, const char *key)
{
	json_t *items = fetch_list(t, "/wgate/access", key), *out = json_array(), *it;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (!items || !out)
		goto err;
	json_array_foreach(items, i, it) {
		char k[64], res[128];
		long long exp;
		const char *s = json_string_value(it);
		int n = key ? sscanf(s, "%127s %lld", res, &exp)
			    : sscanf(s, "%63s %127s %lld", k, res, &exp);

		if (n != (key ? 2 : 3)) {
			fprintf(stderr, "wgatectl: /wgate/access: malformed item '%s'\n", s);
			goto err;
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:b}",
						     "public_key", key ? key : k, "resource", res,
						     "expires_at", exp ? json_integer(exp) : json_null(),
						     "expired", exp && exp <= now));
	}
	json_decref(items);
	return out;
err:
	json_decref(items);
	json_decref(out);
	return NULL;
}

static int cmd_resources(const json_t *v)
{
	size_t i, j;
	json_t *r, *f;

	if (json_array_size(v) == 0) {
		printf("no resources\n");
		return 0;
	}
	json_array_foreach(v, i, r) {
		const json_t *filters = json_object_get(r, "filters");
		uint64_t grants = 0;

		printf("%sresource: %s\n", i ? "\n" : "", get_str(r, "name", "?"));
		printf("  kind: %s\n", get_str(r, "kind", "?"));
		printf("  address: %s\n", get_str(r, "address", "?"));
		fputs("  filters: ", stdout);
		if (json_array_size(filters) == 0)
			fputs("(all traffic)", stdout);
		json_array_foreach(filters, j, f)
			printf("%s%s", j ? ", " : "", json_is_string(f) ? json_string_value(f) : "?");
		get_u64(r, "grants", &grants);
		printf("\n  grants: %" PRIu64 "\n", grants);
	}
	return 0;
}

/* A table: peer, resource, expiry (RFC 3339 UTC, "never", "(expired)"). */
static int cmd_access(const json_t *v)
{
	int width = (int)strlen("resource");
	size_t i;
	json_t *g;

	if (json_array_size(v) == 0) {
		printf("no grants\n");
		return 0;
	}
	json_array_foreach(v, i, g) {
		int w = (int)strlen(get_str(g, "resource", ""));

		width = w > width ? w : width;
	}
	printf("%-44s  %-*s  %s\n", "peer", width, "resource", "expires");
	json_array_foreach(v, i, g) {
		json_t *e = json_object_get(g, "expires_at");
		char when[32] = "never";

		if (json_is_integer(e)) {
			time_t tt = (time_t)json_integer_value(e);
			struct tm tm;

			gmtime_r(&tt, &tm);
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		}
		printf("%-44s  %-*s  %s%s\n", get_str(g, "public_key", "?"), width,
		       get_str(g, "resource", "?"), when,
		       json_is_true(json_object_get(g, "expired")) ? " (expired)" : "");
	}
	return 0;
}

/* Whether any change-command option was given (they go with changes only). */
static bool change_opts(const struct ctl_redis_opts *w)
{
	return w->redis || w->gateway_id || w->config || w->state_dir || w->allowed_ips ||
	       w->psk_file || w->address || w->filters || w->duration || w->until || w->no_wait;
}

int main(int argc, char **argv)
{
	enum { O_REDIS = 256, O_GWID, O_STATE, O_IPS, O_PSK, O_ADDR, O_FILTERS, O_FOR, O_UNTIL,
	       O_NOWAIT };
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'p' },
		{ "json",   no_argument,       NULL, 'j' },
		{ "all",    no_argument,       NULL, 'a' },
		{ "help",   no_argument,       NULL, 'h' },
		{ "version", no_argument,      NULL, 'V' },
		{ "config", required_argument, NULL, 'c' },
		{ "redis",  required_argument, NULL, O_REDIS },
		{ "gateway-id", required_argument, NULL, O_GWID },
		{ "state-dir", required_argument, NULL, O_STATE },
		{ "allowed-ips", required_argument, NULL, O_IPS },
		{ "psk",    required_argument, NULL, O_PSK },
		{ "address", required_argument, NULL, O_ADDR },
		{ "filters", required_argument, NULL, O_FILTERS },
		{ "for",    required_argument, NULL, O_FOR },
		{ "until",  required_argument, NULL, O_UNTIL },
		{ "no-wait", no_argument,      NULL, O_NOWAIT },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	const char *cmd, *tel_cmd_str = NULL, *key = NULL;
	char tel_buf[64];
	struct tel t;
	json_t *v;
	int c, rc;

	set_prefix(&o, DEFAULT_PREFIX);
	while ((c = getopt_long(argc, argv, "s:p:jahc:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof(o.socket_path)) {
				fprintf(stderr, "wgatectl: socket path too long\n");
				return EXIT_USAGE;
			}
			strcpy(o.socket_path, optarg);
			o.tel_opts = true;
			break;
		case 'p':
			if (!*optarg || strchr(optarg, '/') || set_prefix(&o, optarg) < 0) {
				fprintf(stderr, "wgatectl: bad --prefix\n");
				return EXIT_USAGE;
			}
			o.tel_opts = true;
			break;
		case 'j':
			o.json = true;
			break;
		case 'a':
			o.all = true;
			break;
		case 'c':
			o.w.config = optarg;
			break;
		case O_REDIS:
			o.w.redis = optarg;
			break;
		case O_GWID:
			o.w.gateway_id = optarg;
			break;
		case O_STATE:
			o.w.state_dir = optarg;
			break;
		case O_IPS:
			o.w.allowed_ips = optarg;
			break;
		case O_PSK:
			o.w.psk_file = optarg;
			break;
		case O_ADDR:
			o.w.address = optarg;
			break;
		case O_FILTERS:
			o.w.filters = optarg;
			break;
		case O_FOR:
			o.w.duration = optarg;
			break;
		case O_UNTIL:
			o.w.until = optarg;
			break;
		case O_NOWAIT:
			o.w.no_wait = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("wgatectl %s\n", WGATE_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (ctl_redis_is_command(cmd)) {
		if (o.json || o.all || o.tel_opts) {
			fprintf(stderr, "wgatectl: --json, --all, --socket and --prefix go with the"
				" read commands, not with %s\n", cmd);
			return EXIT_USAGE;
		}
		return ctl_redis_command(argc - optind + 1, argv + optind - 1, &o.w);
	}
	if (change_opts(&o.w)) {
		fprintf(stderr, "wgatectl: %s reads from the gateway; --redis, --gateway-id, -c and"
			" the change options go with peer, resource, allow and revoke\n", cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "status"))
		tel_cmd_str = "/wgate/status";
	else if (!strcmp(cmd, "peers"))
		tel_cmd_str = "/wgate/peers";
	else if (!strcmp(cmd, "resources"))
		tel_cmd_str = "/wgate/resources";
	else if (!strcmp(cmd, "access")) {
		uint8_t k[32];

		tel_cmd_str = "/wgate/access";
		if (optind < argc) {
			key = argv[optind++];
			if (wg_cfgval_key(key, k)) {
				fprintf(stderr, "wgatectl: access: KEY is not a public key (44"
					" characters of base64)\n");
				return EXIT_USAGE;
			}
		}
	} else if (!strcmp(cmd, "counters") && optind < argc) {
		/* One lcore's own counters: a worker index, or "control". */
		snprintf(tel_buf, sizeof(tel_buf), "/wgate/counters,%s", argv[optind++]);
		tel_cmd_str = tel_buf;
	} else if (!strcmp(cmd, "counters"))
		tel_cmd_str = "/wgate/counters";
	else if (!strcmp(cmd, "raw") && optind < argc && argv[optind][0] == '/')
		tel_cmd_str = argv[optind++];
	else {
		fprintf(stderr, "wgatectl: unknown command or missing argument: %s\n", cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (optind != argc) {
		fprintf(stderr, "wgatectl: unexpected argument: %s\n", argv[optind]);
		return EXIT_USAGE;
	}

	if (tel_open(&t, o.socket_path) < 0)
		return t.unreachable ? EXIT_UNREACHABLE : EXIT_NOT_READY;
	if (!strcmp(cmd, "peers"))
		v = fetch_peers(&t);
	else if (!strcmp(cmd, "resources"))
		v = fetch_resources(&t);
	else if (!strcmp(cmd, "access"))
		v = fetch_access(&t, key);
	else
		v = tel_cmd(&t, tel_cmd_str, false);
	if (!v) {
		rc = t.unreachable ? EXIT_UNREACHABLE : EXIT_NOT_READY;
		tel_close(&t);
		return rc;
	}
	tel_close(&t);

	if (!strcmp(cmd, "status")) {
		uint64_t ready = 0;

		if (o.json)
			print_json(v);
		rc = o.json ? (get_u64(v, "ready", &ready) && ready == 1 ? 0 : EXIT_NOT_READY)
			    : cmd_status(v);
	} else if (o.json || !strcmp(cmd, "raw")) {
		print_json(v);
		rc = 0;
	} else if (!strcmp(cmd, "peers")) {
		rc = cmd_peers(v);
	} else if (!strcmp(cmd, "resources")) {
		rc = cmd_resources(v);
	} else if (!strcmp(cmd, "access")) {
		rc = cmd_access(v);
	} else {
		rc = cmd_counters(v, o.all);
	}
	json_decref(v);
	return rc;
}
