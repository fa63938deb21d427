/* wgatectl: the operator's tool for a running wgate.
 *
 * Reads go to the gateway's DPDK telemetry socket (protocol v2),
 * /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2: ctl_tel.c.
 *
 *   wgatectl [--socket PATH | --prefix NAME] [--json] [--all] COMMAND
 *     status     exit 0 only when the gateway answers and reports ready
 *     peers      like `wg show`: endpoint, allowed ips, handshake, transfer
 *                (/wgate/peers[,OFFSET] lists keys, /wgate/peer,KEY each one)
 *     resources  name, kind, address, filters, grants of each resource
 *                (/wgate/resources[,OFFSET] lists names, /wgate/resource,NAME each one)
 *     access [KEY] the grants: peer, resource, expiry
 *                (/wgate/access[,OFFSET], or one peer's: /wgate/access,KEY[,OFFSET])
 *     flags      feature flags: value, source, payload; the fetch's state
 *                (/wgate/flags, /wgate/flag,NAME for a payload)
 *     counters [W] nonzero counters (--all: every counter), summed or of worker W
 *                (an index) or of the control core ("control")
 *     bounds     each [Dataplane] resource bound: in use, limit, refusals;
 *                mbufs in use (/wgate/bounds)
 *     raw CMD    any telemetry command, printed as JSON (e.g. raw /info)
 *     top        live view: per-worker busy %, Mpps, Gb/s, drops, sessions (ctl_top.c)
 *
 * --json prints the command's value; for peers, resources and access the
 * assembled array of objects; for flags {"flags": [...], "fetch": ...}.
 *
 * Changes (peer add/del, resource add/del, allow, revoke) go to the
 * signaling store, Redis, as a portal writes them: ctl_redis.c.
 *
 * Exit codes: 0 success (status: ready); 1 the gateway (or Redis) answered
 * but is not ready, refused, or sent something malformed; 2 the telemetry
 * socket (or Redis) could not be reached; 3 allow was written but no
 * running gateway confirmed it; 64 usage error or bad input.
 *
 * This file: the options, and the replies printed as text.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <time.h>

#include <jansson.h>

#include "control/ctl_redis.h"
#include "control/ctl_tel.h"
#include "control/ctl_top.h"
#include "lib/config/values.h"

#define EXIT_NOT_READY		CTL_EXIT_FAILED
#define EXIT_UNREACHABLE	CTL_EXIT_UNREACHABLE
#define EXIT_USAGE		CTL_EXIT_USAGE

#define DEFAULT_PREFIX		"wgate"
#define RUNTIME_DIR		"/var/run/dpdk"
#define SOCKET_NAME		"dpdk_telemetry.v2"

struct opts {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool json;
	bool all;
	bool tel_opts;			/* --socket or --prefix given */
	struct ctl_redis_opts w;	/* the change commands' options */
	struct ctl_top_opts top;	/* top's --once, --iterations, --interval */
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
		"  flags      feature flags: value, where it came from (remote, env, default,\n"
		"             fetch-failed), payload\n"
		"  counters [WORKER|control]\n"
		"             nonzero data-plane counters summed over lcores, or one\n"
		"             worker's (index from 0) or the control core's (--all: every counter)\n"
		"  bounds     resource bounds ([Dataplane] MaxPeers...): in use, limit,\n"
		"             refusals; mbufs in use\n"
		"  raw CMD    send any telemetry command (e.g. /info, /wgate/status)\n"
		"  top [--once | --iterations N] [--interval SECONDS]\n"
		"             live view, refreshed every second: per-worker busy %%, Mpps,\n"
		"             per-port Gb/s, sessions, handshakes/s, drops by reason (q quits)\n"
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

/* peers: the array built by ctl_tel_peers(). */
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

/* A table of the flags, then how fetching goes. */
static int cmd_flags(const json_t *v)
{
	const json_t *flags = json_object_get(v, "flags"), *fetch = json_object_get(v, "fetch");
	size_t i;
	json_t *f;

	printf("%-24s  %-5s  %-12s  %s\n", "flag", "value", "source", "payload");
	json_array_foreach(flags, i, f)
		printf("%-24s  %-5s  %-12s  %s\n", get_str(f, "name", "?"),
		       json_is_true(json_object_get(f, "value")) ? "on" : "off",
		       get_str(f, "source", "?"), get_str(f, "payload", "-"));
	if (json_is_object(fetch)) {
		uint64_t ok = 0, failed = 0;

		get_u64(fetch, "ok", &ok);
		get_u64(fetch, "failed", &failed);
		printf("fetches: %" PRIu64 " ok, %" PRIu64 " failed%s%s\n", ok, failed,
		       json_is_string(json_object_get(fetch, "last_error")) ? "; last error: " : "",
		       get_str(fetch, "last_error", ""));
	} else {
		printf("fetches: none (no WGATE_FLAGS_URL, or WGATE_NO_TELEMETRY)\n");
	}
	return 0;
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
	       O_NOWAIT, O_ONCE, O_ITER, O_INTERVAL };
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
		{ "once",   no_argument,       NULL, O_ONCE },
		{ "iterations", required_argument, NULL, O_ITER },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { 0 };
	const char *cmd, *tel_cmd_str = NULL, *key = NULL;
	char tel_buf[64];
	struct ctl_tel t;
	json_t *v;
	int c, rc;

	set_prefix(&o, DEFAULT_PREFIX);
	while ((c = getopt_long(argc, argv, "s:p:jahc:", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof(o.socket_path))
				return ctl_usage_err("socket path too long");
			strcpy(o.socket_path, optarg);
			o.tel_opts = true;
			break;
		case 'p':
			if (!*optarg || strchr(optarg, '/') || set_prefix(&o, optarg) < 0)
				return ctl_usage_err("bad --prefix");
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
		case O_ONCE:
		case O_ITER:
		case O_INTERVAL:
			if (ctl_top_opt(&o.top, c == O_ONCE ? "once" : c == O_ITER ? "iterations"
					: "interval", optarg))
				return EXIT_USAGE;
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
		if (o.json || o.all || o.tel_opts)
			return ctl_usage_err("--json, --all, --socket and --prefix go with the"
					     " read commands, not with %s", cmd);
		return ctl_redis_command(argc - optind + 1, argv + optind - 1, &o.w);
	}
	if (!strcmp(cmd, "top") && optind == argc && !o.json && !o.all)
		return ctl_top(o.socket_path, &o.top);
	if (o.top.given || !strcmp(cmd, "top"))
		return ctl_usage_err("top takes --once, --iterations N, --interval SECONDS and"
				     " --socket/--prefix only; --once and friends go with top");
	if (change_opts(&o.w))
		return ctl_usage_err("%s reads from the gateway; --redis, --gateway-id, -c and"
				     " the change options go with peer, resource, allow and revoke",
				     cmd);
	if (!strcmp(cmd, "status"))
		tel_cmd_str = "/wgate/status";
	else if (!strcmp(cmd, "peers"))
		tel_cmd_str = "/wgate/peers";
	else if (!strcmp(cmd, "resources"))
		tel_cmd_str = "/wgate/resources";
	else if (!strcmp(cmd, "flags"))
		tel_cmd_str = "/wgate/flags";
	else if (!strcmp(cmd, "bounds"))
		tel_cmd_str = "/wgate/bounds";
	else if (!strcmp(cmd, "access")) {
		uint8_t k[32];

		tel_cmd_str = "/wgate/access";
		if (optind < argc) {
			key = argv[optind++];
			if (wg_cfgval_key(key, k))
				return ctl_usage_err("access: KEY is not a public key (44 characters"
						     " of base64)");
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
	if (optind != argc)
		return ctl_usage_err("unexpected argument: %s", argv[optind]);

	if (ctl_tel_open(&t, o.socket_path) < 0)
		return t.unreachable ? EXIT_UNREACHABLE : EXIT_NOT_READY;
	if (!strcmp(cmd, "peers"))
		v = ctl_tel_peers(&t);
	else if (!strcmp(cmd, "resources"))
		v = ctl_tel_resources(&t);
	else if (!strcmp(cmd, "access"))
		v = ctl_tel_access(&t, key);
	else if (!strcmp(cmd, "flags"))
		v = ctl_tel_flags(&t);
	else
		v = ctl_tel_cmd(&t, tel_cmd_str, false);
	if (!v) {
		rc = t.unreachable ? EXIT_UNREACHABLE : EXIT_NOT_READY;
		ctl_tel_close(&t);
		return rc;
	}
	ctl_tel_close(&t);

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
	} else if (!strcmp(cmd, "flags")) {
		rc = cmd_flags(v);
	} else {
		/* counters, or bounds: every field, zeros too */
		rc = cmd_counters(v, o.all || !strcmp(cmd, "bounds"));
	}
	json_decref(v);
	return rc;
}
