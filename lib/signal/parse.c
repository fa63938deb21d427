/* The values of signaling JSON: a client, a resource, a grant (README
 * "Signaling over Redis", shapes after shared/reference/firezone-gateway.md),
 * parsed and validated into the plain structs of state_int.h. events.c
 * parses the messages around them.
 *
 * Rules: unknown fields are ignored; an optional field may be absent or
 * null; a required one must be there with its type. Values are checked with
 * the config loader's parsers (lib/config/values.h), so a Redis client or
 * resource obeys exactly the rules of a [Peer] or [Resource]. A reason
 * quotes a value only when it is short, printable and not a key field. */
#include "lib/signal/parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "lib/config/values.h"
#include "lib/signal/state_int.h"

#define KEY_ERR		"not a base64 32-byte key"	/* as the config loader says */
#define CLIENT_ID_RULE	"not 1-63 of A-Z a-z 0-9 _ - . + / ="
#define RESOURCE_ID_RULE "not 1-63 of A-Z a-z 0-9 _ - ."

int sig_bad(struct jp *j, const char *path, const char *fmt, ...)
{
	va_list ap;
	int off = 0;

	if (!j->len)
		return -EINVAL;
	if (path)
		off = snprintf(j->why, j->len, "%s: ", path);
	if (off >= 0 && (size_t)off < j->len) {
		va_start(ap, fmt);
		vsnprintf(j->why + off, j->len - (size_t)off, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* A value fit to quote: printable ASCII, at most SIG_QUOTE_MAX characters, the
 * rest cut and marked. */
const char *sig_quote(const char *s, char out[SIG_QUOTE_LEN])
{
	size_t i = 0;

	for (; s[i] && i < SIG_QUOTE_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] <= 0x7e) ? s[i] : '?';
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

static bool printable(const char *s, size_t max)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (i == max || s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* Paths are short by construction (fixed keys, indices); a cut one is
 * still a fine pointer to the fault. */
static void join(char *out, const char *base, const char *key)
{
	size_t b = strnlen(base, SIG_PATH_LEN - 1), k = strnlen(key, SIG_PATH_LEN - 1 - b);

	memmove(out, base, b);
	if (b + 1 + k < SIG_PATH_LEN) {
		out[b++] = '.';
		memcpy(out + b, key, k);
		b += k;
	}
	out[b] = '\0';
}

/* o[key], NULL when absent or null. */
static json_t *opt(const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

static int req_str(struct jp *j, const json_t *o, const char *base, const char *key,
		   const char **out)
{
	json_t *v = json_object_get(o, key);
	char p[SIG_PATH_LEN];

	join(p, base, key);
	if (!v)
		return sig_bad(j, p, "missing");
	if (!json_is_string(v))
		return sig_bad(j, p, "not a string");
	*out = json_string_value(v);
	return 0;
}

/* *out NULL when absent or null. */
static int opt_str(struct jp *j, const json_t *o, const char *base, const char *key,
		   const char **out)
{
	json_t *v = opt(o, key);
	char p[SIG_PATH_LEN];

	*out = NULL;
	if (!v)
		return 0;
	join(p, base, key);
	if (!json_is_string(v))
		return sig_bad(j, p, "not a string");
	*out = json_string_value(v);
	return 0;
}

int sig_req_obj(struct jp *j, const json_t *o, const char *base, const char *key,
		   json_t **out)
{
	json_t *v = json_object_get(o, key);
	char p[SIG_PATH_LEN];

	join(p, base, key);
	if (!v)
		return sig_bad(j, p, "missing");
	if (!json_is_object(v))
		return sig_bad(j, p, "not an object");
	*out = v;
	return 0;
}

/* Client ids admit base64 (+ / =) because wgatectl and grants name a peer
 * by its public key; resource ids are [Resource NAME] names. */
int sig_id(struct jp *j, const json_t *o, const char *base, const char *key, bool client,
	      char out[WG_SIG_ID_LEN])
{
	const char *s;
	char p[SIG_PATH_LEN];
	size_t n;
	int rc = req_str(j, o, base, key, &s);

	if (rc)
		return rc;
	n = strlen(s);
	for (size_t i = 0; i < n && n < WG_SIG_ID_LEN; i++) {
		char c = s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '-' || c == '.' ||
		    (client && (c == '+' || c == '/' || c == '=')))
			continue;
		n = 0;	/* bad character */
	}
	if (n == 0 || n >= WG_SIG_ID_LEN) {
		join(p, base, key);
		return sig_bad(j, p, "%s", client ? CLIENT_ID_RULE : RESOURCE_ID_RULE);
	}
	memcpy(out, s, n + 1);
	return 0;
}

static int key(struct jp *j, const json_t *o, const char *base, const char *k, bool required,
	       uint8_t out[WG_CFG_KEY_LEN], bool *has)
{
	const char *s;
	char p[SIG_PATH_LEN];
	int rc = required ? req_str(j, o, base, k, &s) : opt_str(j, o, base, k, &s);

	if (rc || !s)
		return rc;
	if (wg_cfgval_key(s, out)) {
		join(p, base, k);
		return sig_bad(j, p, KEY_ERR);
	}
	if (has)
		*has = true;
	return 0;
}

/* An integer in min..max; *present false when absent or null. */
static int opt_int(struct jp *j, const json_t *o, const char *base, const char *k,
		   json_int_t min, json_int_t max, const char *what, json_int_t *out,
		   bool *present)
{
	json_t *v = opt(o, k);
	char p[SIG_PATH_LEN];

	*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		join(p, base, k);
		return sig_bad(j, p, "%s", what);
	}
	*out = json_integer_value(v);
	return 0;
}

int sig_expires(struct jp *j, const json_t *o, const char *base, int64_t *out)
{
	json_int_t v = 0;
	bool present;
	int rc = opt_int(j, o, base, "expires_at", 0, INT64_MAX,
			 "not unix seconds (an integer >= 0) or null", &v, &present);

	*out = present ? (int64_t)v : 0;
	return rc;
}

/* "ipv4"/"ipv6": a tunnel address, one host prefix of AllowedIPs. */
int sig_tunnel_addr(struct jp *j, const json_t *o, const char *base, const char *k,
		       uint8_t af, struct wg_prefix *out, bool *present)
{
	const char *s;
	char p[SIG_PATH_LEN], q[SIG_QUOTE_LEN];
	int rc = opt_str(j, o, base, k, &s);

	*present = false;
	if (rc || !s)
		return rc;
	if (!printable(s, WG_IPADDR_STRLEN) || wg_ipaddr_parse(s, &out->ip) || out->ip.af != af) {
		join(p, base, k);
		return sig_bad(j, p, "'%s' is not an IPv%u address", sig_quote(s, q), af);
	}
	out->len = wg_af_bits(af);
	*present = true;
	return 0;
}

/* The same rule and words as AllowedIPs in the config loader. */
static int allowed_ip(struct jp *j, const char *p, const char *s, struct wg_prefix *out)
{
	char q[SIG_QUOTE_LEN], net[WG_PREFIX_STRLEN];

	if (!printable(s, WG_PREFIX_STRLEN) || wg_prefix_parse(s, false, out))
		return sig_bad(j, p, "'%s' is not a prefix like 100.64.0.2/32", sig_quote(s, q));
	if (wg_prefix_parse(s, true, out)) {
		wg_prefix_parse(s, false, out);	/* the masked network, for the hint */
		wg_prefix_str(out, net, sizeof(net));
		return sig_bad(j, p, "'%s' has host bits set (the network is %s)", s, net);
	}
	return 0;
}

int sig_parse_client(struct jp *j, const json_t *o, const char *base, struct sig_client_in *c)
{
	struct wg_cfg_peer *pe = &c->peer;
	struct wg_prefix v4, v6;
	bool has4, has6;
	json_t *list;
	char p[SIG_PATH_LEN];
	int rc;
	size_t n;

	if (!json_is_object(o))
		return sig_bad(j, base, "not an object");
	if ((rc = sig_id(j, o, base, "id", true, c->id)) ||
	    (rc = key(j, o, base, "public_key", true, pe->public_key, NULL)) ||
	    (rc = key(j, o, base, "preshared_key", false, pe->psk, &pe->has_psk)) ||
	    (rc = sig_tunnel_addr(j, o, base, "ipv4", WG_AF_INET4, &v4, &has4)) ||
	    (rc = sig_tunnel_addr(j, o, base, "ipv6", WG_AF_INET6, &v6, &has6)))
		return rc;
	list = opt(o, "allowed_ips");
	join(p, base, "allowed_ips");
	if (list && !json_is_array(list))
		return sig_bad(j, p, "not an array");
	n = list ? json_array_size(list) : 0;
	if (n > WG_SIG_MAX_ALLOWED)
		return sig_bad(j, p, "more than %d prefixes", WG_SIG_MAX_ALLOWED);
	if (!n && !has4 && !has6)
		return sig_bad(j, base, "no address (ipv4, ipv6 or allowed_ips)");
	pe->allowed = calloc(n + 2, sizeof(*pe->allowed));
	if (!pe->allowed)
		return -ENOMEM;
	if (has4)
		pe->allowed[pe->n_allowed++] = v4;
	if (has6)
		pe->allowed[pe->n_allowed++] = v6;
	/* ipv4/ipv6 are usually listed again in allowed_ips: each prefix is
	 * kept once, as the file's AllowedIPs does (wg_prefix_listed).
	 * Quadratic, but n <= WG_SIG_MAX_ALLOWED. */
	for (size_t i = 0; i < n; i++) {
		json_t *it = json_array_get(list, i);
		struct wg_prefix *next = &pe->allowed[pe->n_allowed];

		snprintf(p, sizeof(p), "%s.allowed_ips[%zu]", base, i);
		if (!json_is_string(it))
			return sig_bad(j, p, "not a string");
		if ((rc = allowed_ip(j, p, json_string_value(it), next)))
			return rc;
		pe->n_allowed += !wg_prefix_listed(pe->allowed, pe->n_allowed, next);
	}
	return 0;
}

static int filter(struct jp *j, const json_t *o, const char *p, struct wg_cfg_filter *f)
{
	static const char *const protos[] = { "tcp", "udp", "icmp" };
	const char *proto;
	char q[SIG_QUOTE_LEN];
	json_int_t lo = 0, hi = 65535;
	bool has_lo, has_hi;
	size_t i = 0;
	int rc;

	if (!json_is_object(o))
		return sig_bad(j, p, "not an object");
	if ((rc = req_str(j, o, p, "protocol", &proto)))
		return rc;
	while (i < 3 && strcasecmp(proto, protos[i]))
		i++;
	if (i == 3) {
		char pp[SIG_PATH_LEN];

		join(pp, p, "protocol");
		return sig_bad(j, pp, "'%s' is not tcp, udp or icmp", sig_quote(proto, q));
	}
	f->proto = (enum wg_cfg_proto)i;
	if ((rc = opt_int(j, o, p, "port_range_start", 0, 65535, "not an integer in 0..65535",
			  &lo, &has_lo)) ||
	    (rc = opt_int(j, o, p, "port_range_end", 0, 65535, "not an integer in 0..65535", &hi,
			  &has_hi)))
		return rc;
	if (f->proto == WG_CFG_PROTO_ICMP && (has_lo || has_hi))
		return sig_bad(j, p, "icmp takes no port range");
	if (lo > hi)
		return sig_bad(j, p, "port_range_start %d is after port_range_end %d", (int)lo,
			   (int)hi);
	f->lo = (uint16_t)lo;
	f->hi = (uint16_t)hi;
	return 0;
}

static int address(struct jp *j, const json_t *o, const char *base, const char *type,
		   struct wg_cfg_resource *r)
{
	const char *s;
	char p[SIG_PATH_LEN], q[SIG_QUOTE_LEN], w[200];
	enum wg_cfg_resource_kind want = strcmp(type, "cidr") ? WG_CFG_RES_DNS : WG_CFG_RES_CIDR;
	int rc = req_str(j, o, base, "address", &s);

	if (rc)
		return rc;
	join(p, base, "address");
	if (!printable(s, WG_CFG_DNS_PATTERN_LEN))
		return sig_bad(j, p, "not a CIDR prefix, an IP address or a DNS name");
	if (wg_cfgval_resource_address(s, r, w, sizeof(w)))
		return sig_bad(j, p, "%s", w);
	if (r->kind != want)
		return sig_bad(j, p, "'%s' is not %s (type %s)", sig_quote(s, q),
			   want == WG_CFG_RES_CIDR ? "a CIDR prefix or an IP address"
						   : "a DNS name pattern", type);
	return 0;
}

int sig_parse_resource(struct jp *j, const json_t *o, const char *base, struct sig_resource_in *ri)
{
	struct wg_cfg_resource *r = &ri->res;
	const char *type, *name;
	char p[SIG_PATH_LEN], q[SIG_QUOTE_LEN];
	json_t *list;
	size_t n;
	int rc;

	if (!json_is_object(o))
		return sig_bad(j, base, "not an object");
	if ((rc = req_str(j, o, base, "type", &type)))
		return rc;
	if (strcmp(type, "cidr") && strcmp(type, "dns") && strcmp(type, "internet")) {
		join(p, base, "type");
		return sig_bad(j, p, "'%s' is not cidr, dns or internet", sig_quote(type, q));
	}
	if ((rc = sig_id(j, o, base, "id", false, r->name)))
		return rc;
	if (!strcmp(type, "internet")) {
		const char *ignored;

		r->kind = WG_CFG_RES_INTERNET;
		if ((rc = opt_str(j, o, base, "address", &ignored)))
			return rc;
	} else if ((rc = address(j, o, base, type, r))) {
		return rc;
	}
	if ((rc = opt_str(j, o, base, "name", &name)))
		return rc;
	if (name && strlen(name) >= WG_SIG_NAME_LEN) {
		join(p, base, "name");
		return sig_bad(j, p, "longer than %d bytes", WG_SIG_NAME_LEN - 1);
	}
	snprintf(ri->display, sizeof(ri->display), "%s", name ? name : "");
	list = json_object_get(o, "filters");
	join(p, base, "filters");
	if (!list)
		return sig_bad(j, p, "missing");
	if (!json_is_array(list))
		return sig_bad(j, p, "not an array");
	n = json_array_size(list);
	if (n > WG_SIG_MAX_FILTERS)
		return sig_bad(j, p, "more than %d filters", WG_SIG_MAX_FILTERS);
	if (!n)
		return 0;	/* every protocol allowed, as "Filters =" */
	r->filters = calloc(n, sizeof(*r->filters));
	if (!r->filters)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s.filters[%zu]", base, i);
		if ((rc = filter(j, json_array_get(list, i), p, &r->filters[i])))
			return rc;
		r->n_filters++;
	}
	return 0;
}

int sig_parse_grant(struct jp *j, const json_t *o, const char *base, struct sig_grant_in *g)
{
	int rc;

	if (!json_is_object(o))
		return sig_bad(j, base, "not an object");
	if ((rc = sig_id(j, o, base, "client_id", true, g->client_id)) ||
	    (rc = sig_id(j, o, base, "resource_id", false, g->resource_id)))
		return rc;
	return sig_expires(j, o, base, &g->expires);
}
