/* wgatectl's change commands, read and checked (ctl_change.h).
 *
 * Inputs are validated with lib/config's parsers, and what goes to Redis is
 * built with lib/signal/msg.h's builders, the ones the gateway's parser is
 * tested against; only a resource and the events that carry it are built
 * here with jansson (see build_resource()).
 */
#include "control/ctl_change.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "control/ctl_redis.h"
#include "lib/config/values.h"
#include "lib/signal/msg.h"

#define MAX_DURATION_S		(100LL * 365 * 86400)

#define CHANGE_USAGE \
	"usage: wgatectl peer add KEY --allowed-ips LIST [--psk FILE] | peer del KEY |\n" \
	"       resource add NAME --address A [--filters F] | resource del NAME |\n" \
	"       allow KEY RESOURCE [--for DURATION | --until RFC3339] [--no-wait] |\n" \
	"       revoke KEY RESOURCE"

static int parse_key(const char *s, char out[CTL_KEY_B64_LEN + 1])
{
	uint8_t k[WG_CFG_KEY_LEN];

	/* Not quoted back: it might be a private key pasted by mistake. */
	if (wg_cfgval_key(s, k))
		return ctl_usage_err("KEY is not a public key (44 characters of base64, as"
				     " `wg pubkey` prints it)");
	memcpy(out, s, CTL_KEY_B64_LEN + 1);
	return 0;
}

/* A resource id: 1-63 of A-Z a-z 0-9 _ - . (as a [Resource NAME]). */
static int parse_name(const char *s, char out[WG_CFG_RESOURCE_NAME_LEN])
{
	size_t n = strlen(s);

	if (n == 0 || n >= WG_CFG_RESOURCE_NAME_LEN ||
	    strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.") != n)
		return ctl_usage_err("'%s' is not a resource name (1-63 of A-Z a-z 0-9 _ - .)", s);
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

/* 0 when a builder's result came back, else out of memory (reported). */
static int built(bool ok)
{
	return ok ? 0 : ctl_usage_err("out of memory");
}

/* peer add: the client {"id", "public_key", "preshared_key"?, "ipv4"?,
 * "ipv6"?, "allowed_ips"}, the first /32 and /128 its tunnel addresses, and
 * client_updated carrying it. */
static int build_client(struct ctl_change *ch, const struct ctl_redis_opts *o)
{
	char ip4[WG_IPADDR_STRLEN] = "", ip6[WG_IPADDR_STRLEN] = "", psk[CTL_KEY_B64_LEN + 1];
	char why[300], (*txt)[WG_PREFIX_STRLEN] = NULL;
	struct wg_sig_client_spec c = { .id = ch->client, .public_key = ch->client };
	const char **ips = NULL;
	size_t n = 0;
	char **items = wg_cfgval_split(o->allowed_ips, ',', &n);
	int rc = CTL_EXIT_USAGE;

	if (!items || !(txt = calloc(n + 1, sizeof(*txt))) || !(ips = calloc(n + 1, sizeof(*ips)))) {
		rc = ctl_usage_err("out of memory");
		goto out;
	}
	if (o->psk_file) {
		uint8_t k[WG_CFG_KEY_LEN];

		if (wg_cfgval_key_file(o->psk_file, k, why, sizeof(why))) {
			ctl_usage_err("--psk: %s", why);
			goto out;
		}
		sodium_bin2base64(psk, sizeof(psk), k, sizeof(k), sodium_base64_VARIANT_ORIGINAL);
		sodium_memzero(k, sizeof(k));
		c.preshared_key = psk;
	}
	if (n == 0) {
		ctl_usage_err("--allowed-ips: no prefixes");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct wg_prefix p;

		if (wg_prefix_parse(items[i], false, &p)) {
			ctl_usage_err("--allowed-ips: '%s' is not a prefix like 100.64.0.2/32", items[i]);
			goto out;
		}
		wg_prefix_str(&p, txt[i], sizeof(txt[i]));
		if (wg_prefix_parse(items[i], true, &p)) {
			ctl_usage_err("--allowed-ips: '%s' has host bits set (the network is %s)",
				      items[i], txt[i]);
			goto out;
		}
		ips[i] = txt[i];
		if (p.len == wg_af_bits(p.ip.af)) {
			char *dst = p.ip.af == WG_AF_INET4 ? ip4 : ip6;

			if (!dst[0])
				wg_ipaddr_str(&p.ip, dst, WG_IPADDR_STRLEN);
		}
	}
	c.ipv4 = ip4[0] ? ip4 : NULL;
	c.ipv6 = ip6[0] ? ip6 : NULL;
	c.allowed_ips = ips;
	c.n_allowed_ips = n;
	ch->value = wg_sig_msg_client(&c);
	ch->event = wg_sig_msg_client_updated(&c);
	rc = built(ch->value && ch->event);
out:
	sodium_memzero(psk, sizeof(psk));
	free(items);
	free(txt);
	free(ips);
	return rc;
}

/* resource add: {"type", "id", "address", "name", "filters"} and
 * resource_updated carrying it. Not wg_sig_msg_resource(): that writes a
 * port range for every tcp/udp filter, where a filter of all ports goes as
 * {"protocol": "udp"} (the gateway reads both the same). */
static int build_resource(struct ctl_change *ch, const struct ctl_redis_opts *o)
{
	static const char *const types[] = {
		[WG_CFG_RES_CIDR] = "cidr", [WG_CFG_RES_DNS] = "dns", [WG_CFG_RES_INTERNET] = "internet",
	};
	static const char *const protos[] = {
		[WG_CFG_PROTO_TCP] = "tcp", [WG_CFG_PROTO_UDP] = "udp", [WG_CFG_PROTO_ICMP] = "icmp",
	};
	struct wg_cfg_resource res = { 0 };
	char why[300], addr[WG_CFG_DNS_PATTERN_LEN], **items = NULL;
	json_t *r, *ev, *filters = json_array();
	size_t n = 0;
	int rc = CTL_EXIT_USAGE;

	if (wg_cfgval_resource_address(o->address, &res, why, sizeof(why))) {
		ctl_usage_err("--address: %s", why);
		goto out;
	}
	if (res.kind == WG_CFG_RES_CIDR)
		wg_prefix_str(&res.prefix, addr, sizeof(addr));
	else
		snprintf(addr, sizeof(addr), "%s",
			 res.kind == WG_CFG_RES_DNS ? res.dns_pattern : "internet");
	if (!filters || (o->filters && !(items = wg_cfgval_split(o->filters, ',', &n)))) {
		rc = ctl_usage_err("out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct wg_cfg_filter f;
		json_t *j;

		if (wg_cfgval_filter(items[i], &f, why, sizeof(why))) {
			ctl_usage_err("--filters: %s", why);
			goto out;
		}
		j = json_pack("{s:s}", "protocol", protos[f.proto]);
		if (f.proto != WG_CFG_PROTO_ICMP && (f.lo != 0 || f.hi != 65535)) {
			json_object_set_new(j, "port_range_start", json_integer(f.lo));
			json_object_set_new(j, "port_range_end", json_integer(f.hi));
		}
		json_array_append_new(filters, j);
	}
	ch->type = types[res.kind];
	r = json_pack("{s:s, s:s, s:s, s:s, s:O}", "type", ch->type, "id", ch->resource,
		      "address", addr, "name", ch->resource, "filters", filters);
	ev = json_pack("{s:s, s:{s:O}}", "event", "resource_updated", "payload", "resource", r);
	ch->value = r ? json_dumps(r, JSON_COMPACT) : NULL;
	ch->event = ev ? json_dumps(ev, JSON_COMPACT) : NULL;
	json_decref(r);
	json_decref(ev);
	rc = built(ch->value && ch->event);
out:
	free(items);
	json_decref(filters);
	return rc;
}

/* allow: the expiry, the grant and its field. */
static int build_grant(struct ctl_change *ch, const struct ctl_redis_opts *o)
{
	if (o->duration && o->until)
		return ctl_usage_err("--for and --until: one or the other");
	if (o->duration && parse_duration(o->duration, &ch->expires))
		return ctl_usage_err("--for: '%s' is not a duration like 30s, 10m, 2h, 1d or 1h30m",
				     o->duration);
	if (o->duration)
		ch->expires += (int64_t)time(NULL);
	if (o->until && wg_cfgval_rfc3339(o->until, &ch->expires))
		return ctl_usage_err("--until: '%s' is not an RFC 3339 time like"
				     " 2026-12-01T00:00:00Z", o->until);
	if (o->until && ch->expires <= (int64_t)time(NULL))
		return ctl_usage_err("--until: %s is in the past", o->until);
	ch->value = wg_sig_msg_grant(&(const struct wg_sig_grant_spec){ ch->client, ch->resource,
									 ch->expires });
	ch->field = wg_sig_msg_grant_field(ch->client, ch->resource);
	return built(ch->value && ch->field);
}

int ctl_change_parse(int nargs, char **a, const struct ctl_redis_opts *o, struct ctl_change *ch)
{
	const char *sub = nargs > 1 ? a[1] : "";
	int rc;

	if (!strcmp(a[0], "peer") && !strcmp(sub, "add") && nargs == 3)
		ch->kind = CTL_PEER_ADD;
	else if (!strcmp(a[0], "peer") && !strcmp(sub, "del") && nargs == 3)
		ch->kind = CTL_PEER_DEL;
	else if (!strcmp(a[0], "resource") && !strcmp(sub, "add") && nargs == 3)
		ch->kind = CTL_RES_ADD;
	else if (!strcmp(a[0], "resource") && !strcmp(sub, "del") && nargs == 3)
		ch->kind = CTL_RES_DEL;
	else if (!strcmp(a[0], "allow") && nargs == 3)
		ch->kind = CTL_ALLOW;
	else if (!strcmp(a[0], "revoke") && nargs == 3)
		ch->kind = CTL_REVOKE;
	else
		return ctl_usage_err(CHANGE_USAGE);

	if ((o->allowed_ips || o->psk_file) && ch->kind != CTL_PEER_ADD)
		return ctl_usage_err("--allowed-ips and --psk go with peer add");
	if ((o->address || o->filters) && ch->kind != CTL_RES_ADD)
		return ctl_usage_err("--address and --filters go with resource add");
	if ((o->duration || o->until || o->no_wait) && ch->kind != CTL_ALLOW)
		return ctl_usage_err("--for, --until and --no-wait go with allow");

	switch (ch->kind) {
	case CTL_PEER_ADD:
		if (!o->allowed_ips)
			return ctl_usage_err("peer add needs --allowed-ips LIST (e.g. 100.64.0.2/32)");
		return parse_key(a[2], ch->client) ?: build_client(ch, o);
	case CTL_PEER_DEL:
		return parse_key(a[2], ch->client) ?:
		       built((ch->event = wg_sig_msg_client_deleted(ch->client)));
	case CTL_RES_ADD:
		if (!o->address)
			return ctl_usage_err("resource add needs --address (a CIDR, an IP address, a"
					     " DNS name or *.name, or internet)");
		return parse_name(a[2], ch->resource) ?: build_resource(ch, o);
	case CTL_RES_DEL:
		return parse_name(a[2], ch->resource) ?:
		       built((ch->event = wg_sig_msg_resource_deleted(ch->resource)));
	case CTL_ALLOW:
	case CTL_REVOKE:
		rc = parse_key(a[1], ch->client) ?: parse_name(a[2], ch->resource);
		if (rc)
			return rc;
		if (ch->kind == CTL_REVOKE)
			return built((ch->event = wg_sig_msg_reject_access(ch->client, ch->resource)));
		return build_grant(ch, o);
	}
	return CTL_EXIT_USAGE;
}

/* Wipes as well as frees: a client's JSON holds its preshared key. */
static void wipe_free(char *s)
{
	if (s) {
		sodium_memzero(s, strlen(s));
		free(s);
	}
}

void ctl_change_free(struct ctl_change *ch)
{
	wipe_free(ch->value);
	wipe_free(ch->event);
	free(ch->field);
	ch->value = ch->event = ch->field = NULL;
}
