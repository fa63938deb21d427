/* The gateway's own sections: [Interface], [Dataplane], [Port NAME] and
 * [Signaling]. One setter per key; each section's own checks at its end. */
#include "lib/config/sections.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/config/values.h"

/* ---- [Interface] ---- */

static int if_private_key(struct cfg_ctx *x, const struct ini_section *s,
			  const struct ini_entry *e, void *obj)
{
	struct wg_cfg_interface *i = obj;

	return wg_cfgval_key(e->value, i->private_key) ? wg_cfg_fail(x, s, e, KEY_ERR) : 0;
}

static int if_private_key_file(struct cfg_ctx *x, const struct ini_section *s,
			       const struct ini_entry *e, void *obj)
{
	return wg_cfg_key_file(x, s, e, ((struct wg_cfg_interface *)obj)->private_key);
}

static int if_listen_port(struct cfg_ctx *x, const struct ini_section *s,
			  const struct ini_entry *e, void *obj)
{
	unsigned long v;

	if (wg_cfgval_uint(e->value, 1, 65535, &v))
		return wg_cfg_fail(x, s, e, "not a port number");
	((struct wg_cfg_interface *)obj)->listen_port = (uint16_t)v;
	return 0;
}

static int if_addr_item(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_interface *i = obj;
	struct wg_prefix net;

	if (i->n_addrs == WG_CFG_MAX_ADDRS)
		return wg_cfg_fail(x, s, e, "more than %d addresses", WG_CFG_MAX_ADDRS);
	if (wg_cfgval_host_prefix(it, &i->addrs[i->n_addrs], &net))
		return wg_cfg_fail(x, s, e, "'%s' is not an IP address", it);
	i->n_addrs++;
	return 0;
}

static int if_address(struct cfg_ctx *x, const struct ini_section *s,
		      const struct ini_entry *e, void *obj)
{
	((struct wg_cfg_interface *)obj)->n_addrs = 0;
	return wg_cfg_each_item(x, s, e, obj, if_addr_item);
}

static int if_mtu(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		  void *obj)
{
	unsigned long v;

	if (wg_cfgval_uint(e->value, 1280, 9000, &v))
		return wg_cfg_fail(x, s, e, "not a number in 1280..9000");
	((struct wg_cfg_interface *)obj)->mtu = (uint16_t)v;
	return 0;
}

static void *if_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	(void)s;
	return &x->c->iface;
}

static int if_end(struct cfg_ctx *x, const struct ini_section *s, void *obj)
{
	(void)obj;
	if (!wg_cfg_find(s, "PrivateKey") && !wg_cfg_find(s, "PrivateKeyFile"))
		return wg_cfg_fail(x, s, NULL, "missing PrivateKey or PrivateKeyFile");
	return 0;
}

static const struct key_spec iface_keys[] = {
	{ "PrivateKey", "PrivateKeyFile", if_private_key },
	{ "PrivateKeyFile", "PrivateKey", if_private_key_file },
	{ "ListenPort", NULL, if_listen_port },
	{ "Address", NULL, if_address },
	{ "MTU", NULL, if_mtu },
};

/* ---- [Dataplane] ---- */

static int dp_lcores(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj)
{
	struct wg_cfg_dataplane *d = obj;
	char why[WHY_LEN];
	int rc = wg_cfgval_lcores(e->value, d->lcores, &d->n_lcores, why, sizeof(why));

	if (rc == -ENOMEM)
		return wg_cfg_oom(x), rc;
	return rc ? wg_cfg_fail(x, s, e, "%s", why) : 0;
}

static int dp_memory(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj)
{
	unsigned long v;

	if (wg_cfgval_uint(e->value, 64, 1048576, &v))
		return wg_cfg_fail(x, s, e, "not a size in MB in 64..1048576");
	((struct wg_cfg_dataplane *)obj)->memory_mb = (unsigned int)v;
	return 0;
}

static int dp_crypto(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj)
{
	struct wg_cfg_dataplane *d = obj;

	if (!strcasecmp(e->value, "auto"))
		d->crypto = WG_CFG_CRYPTO_AUTO;
	else if (!strcasecmp(e->value, "ipsec-mb"))
		d->crypto = WG_CFG_CRYPTO_IPSEC_MB;
	else if (!strcasecmp(e->value, "libsodium"))
		d->crypto = WG_CFG_CRYPTO_LIBSODIUM;
	else
		return wg_cfg_fail(x, s, e, "not auto, ipsec-mb or libsodium");
	return 0;
}

static int dp_idle_poll(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj)
{
	struct wg_cfg_dataplane *d = obj;

	if (!strcasecmp(e->value, "busy"))
		d->idle_poll = WG_CFG_IDLE_BUSY;
	else if (!strcasecmp(e->value, "adaptive"))
		d->idle_poll = WG_CFG_IDLE_ADAPTIVE;
	else
		return wg_cfg_fail(x, s, e, "not busy or adaptive");
	return 0;
}

static int dp_eal_args(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	struct wg_cfg_dataplane *d = obj;
	size_t n;
	char **v = wg_cfgval_split(e->value, 0, &n);

	(void)s;
	if (!v)
		return wg_cfg_oom(x), -ENOMEM;
	free(d->eal_args);
	d->eal_args = v;
	d->n_eal_args = n;
	return 0;
}

/* The resource bounds: one table of key, field, range and whether DPDK
 * needs a power of two (rings), so each key is one line below. */
struct bound_spec {
	const char *key;
	size_t off;		/* of the uint32_t in struct wg_cfg_dataplane */
	unsigned long min, max;
	bool pow2;
};

#define BOUND(k, f, lo, hi, p2) { k, offsetof(struct wg_cfg_dataplane, f), lo, hi, p2 }
static const struct bound_spec bounds[] = {
	BOUND("MaxPeers", max_peers, 1, WG_CFG_MAX_PEERS_MAX, false),
	BOUND("MaxGrants", max_grants, 1, WG_CFG_MAX_GRANTS_MAX, false),
	BOUND("NatEntries", nat_entries, 16, WG_CFG_NAT_ENTRIES_MAX, false),
	BOUND("DnsCacheEntries", dns_cache_entries, 16, WG_CFG_DNS_CACHE_MAX, false),
	BOUND("PuntRing", punt_ring, WG_CFG_RING_MIN, WG_CFG_RING_MAX, true),
	BOUND("EventRing", event_ring, WG_CFG_RING_MIN, WG_CFG_RING_MAX, true),
	BOUND("TxRing", tx_ring, WG_CFG_RING_MIN, WG_CFG_RING_MAX, true),
	BOUND("HandoffRing", handoff_ring, WG_CFG_RING_MIN, WG_CFG_RING_MAX, true),
};
#undef BOUND

static int dp_bound(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		    void *obj)
{
	const struct bound_spec *b = NULL;
	unsigned long v;

	for (size_t i = 0; i < sizeof(bounds) / sizeof(bounds[0]) && !b; i++)
		if (!strcasecmp(e->key, bounds[i].key))
			b = &bounds[i];
	if (!b)
		return wg_cfg_fail(x, s, e, "not a bound");	/* a key_spec without a row */
	if (wg_cfgval_uint(e->value, b->min, b->max, &v))
		return wg_cfg_fail(x, s, e, "not a number in %lu..%lu", b->min, b->max);
	if (b->pow2 && (v & (v - 1)))
		return wg_cfg_fail(x, s, e, "%lu is not a power of two (a ring size)", v);
	*(uint32_t *)((char *)obj + b->off) = (uint32_t)v;
	return 0;
}

static void *dp_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	(void)s;
	return &x->c->dataplane;
}

static const struct key_spec dataplane_keys[] = {
	{ "Lcores", NULL, dp_lcores },
	{ "Memory", NULL, dp_memory },
	{ "Crypto", NULL, dp_crypto },
	{ "IdlePoll", NULL, dp_idle_poll },
	{ "EalArgs", NULL, dp_eal_args },
	{ "MaxPeers", NULL, dp_bound },
	{ "MaxGrants", NULL, dp_bound },
	{ "NatEntries", NULL, dp_bound },
	{ "DnsCacheEntries", NULL, dp_bound },
	{ "PuntRing", NULL, dp_bound },
	{ "EventRing", NULL, dp_bound },
	{ "TxRing", NULL, dp_bound },
	{ "HandoffRing", NULL, dp_bound },
};

/* ---- [Port NAME] ---- */

static int port_device(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	struct wg_cfg_port *p = obj;

	if (!*e->value)
		return wg_cfg_fail(x, s, e, "empty");
	if (strlen(e->value) >= sizeof(p->device))
		return wg_cfg_fail(x, s, e, "longer than %zu characters", sizeof(p->device) - 1);
	memcpy(p->device, e->value, strlen(e->value) + 1);
	return 0;
}

static int port_addr_item(struct cfg_ctx *x, const struct ini_section *s,
			  const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_port *p = obj;
	struct wg_cfg_port_addr *a = &p->addrs[p->n_addrs];

	if (p->n_addrs == WG_CFG_MAX_ADDRS)
		return wg_cfg_fail(x, s, e, "more than %d addresses", WG_CFG_MAX_ADDRS);
	if (wg_cfgval_host_prefix(it, &a->addr, &a->net))
		return wg_cfg_fail(x, s, e, "'%s' is not an address/length like 192.0.2.1/24", it);
	/* Catch "192.0.2.0/24" meant as a network: a port needs a host address. */
	if (a->addr.af == WG_AF_INET4 && a->net.len <= 30) {
		struct wg_ipaddr bcast = a->addr;

		for (int b = a->net.len; b < 32; b++)
			bcast.a[b / 8] |= (uint8_t)(0x80 >> (b % 8));
		if (wg_ipaddr_equal(&a->addr, &a->net.ip) || wg_ipaddr_equal(&a->addr, &bcast))
			return wg_cfg_fail(x, s, e, "'%s' is not a host address of its network", it);
	}
	p->n_addrs++;
	return 0;
}

static int port_address(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj)
{
	return wg_cfg_each_item(x, s, e, obj, port_addr_item);
}

static int port_gw_item(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_port *p = obj;
	struct wg_ipaddr ip, *slot;

	if (wg_ipaddr_parse(it, &ip))
		return wg_cfg_fail(x, s, e, "'%s' is not an IP address", it);
	slot = ip.af == WG_AF_INET4 ? &p->gw4 : &p->gw6;
	if (slot->af)
		return wg_cfg_fail(x, s, e, "more than one IPv%u gateway", ip.af);
	*slot = ip;
	return 0;
}

static int port_gateway(struct cfg_ctx *x, const struct ini_section *s,
			const struct ini_entry *e, void *obj)
{
	return wg_cfg_each_item(x, s, e, obj, port_gw_item);
}

static int port_route_item(struct cfg_ctx *x, const struct ini_section *s,
			   const struct ini_entry *e, void *obj, const char *it)
{
	struct wg_cfg_port *p = obj;
	char why[WHY_LEN];
	int rc = wg_cfgval_route(it, &p->routes[p->n_routes], why, sizeof(why));

	if (rc == -ENOMEM)
		return wg_cfg_oom(x), rc;
	if (rc)
		return wg_cfg_fail(x, s, e, "%s", why);
	p->n_routes++;
	return 0;
}

static int port_routes(struct cfg_ctx *x, const struct ini_section *s,
		       const struct ini_entry *e, void *obj)
{
	struct wg_cfg_port *p = obj;

	p->routes = calloc(wg_cfg_max_items(e->value), sizeof(*p->routes));
	if (!p->routes)
		return wg_cfg_oom(x), -ENOMEM;
	return wg_cfg_each_item(x, s, e, obj, port_route_item);
}

static int port_masquerade(struct cfg_ctx *x, const struct ini_section *s,
			   const struct ini_entry *e, void *obj)
{
	if (wg_cfgval_bool(e->value, &((struct wg_cfg_port *)obj)->masquerade))
		return wg_cfg_fail(x, s, e, "not true or false");
	return 0;
}

static void *port_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	struct wg_config *c = x->c;
	struct wg_cfg_port *p;

	for (size_t i = 0; i < c->n_ports; i++)
		if (!strcmp(c->ports[i].name, s->name))
			return wg_cfg_fail(x, s, NULL, "duplicate port name (first at line %d)",
					   c->ports[i].line), NULL;
	p = wg_cfg_grow((void **)&c->ports, &x->cap_ports, c->n_ports, sizeof(*p));
	if (!p)
		return wg_cfg_oom(x);
	c->n_ports++;
	snprintf(p->name, sizeof(p->name), "%s", s->name);
	p->line = s->line;
	return p;
}

/* A next hop must be on-link: inside one of the port's networks, or an IPv6
 * link-local address (the usual IPv6 router address). */
static bool on_link(const struct wg_cfg_port *p, const struct wg_ipaddr *ip)
{
	if (ip->af == WG_AF_INET6 && ip->a[0] == 0xfe && (ip->a[1] & 0xc0) == 0x80) {
		for (size_t i = 0; i < p->n_addrs; i++)
			if (p->addrs[i].addr.af == WG_AF_INET6)
				return true;
		return false;
	}
	for (size_t i = 0; i < p->n_addrs; i++)
		if (wg_prefix_contains(&p->addrs[i].net, ip))
			return true;
	return false;
}

static int port_end(struct cfg_ctx *x, const struct ini_section *s, void *obj)
{
	struct wg_cfg_port *p = obj;
	char a[WG_IPADDR_STRLEN];

	if (!p->device[0])
		return wg_cfg_fail(x, s, NULL, "missing Device");
	for (int f = 0; f < 2; f++) {
		const struct wg_ipaddr *gw = f ? &p->gw6 : &p->gw4;

		if (gw->af && !on_link(p, gw)) {
			wg_ipaddr_str(gw, a, sizeof(a));
			return wg_cfg_fail(x, s, wg_cfg_find(s, "Gateway"),
					   "%s is not inside any Address of this port", a);
		}
	}
	for (size_t i = 0; i < p->n_routes; i++) {
		if (!on_link(p, &p->routes[i].via)) {
			wg_ipaddr_str(&p->routes[i].via, a, sizeof(a));
			return wg_cfg_fail(x, s, wg_cfg_find(s, "Routes"),
					   "next hop %s is not inside any Address of this port", a);
		}
	}
	if (p->masquerade && !p->n_addrs)
		return wg_cfg_fail(x, s, wg_cfg_find(s, "Masquerade"),
				   "needs an Address on this port to translate to");
	return 0;
}

static const struct key_spec port_keys[] = {
	{ "Device", NULL, port_device },
	{ "Address", NULL, port_address },
	{ "Gateway", NULL, port_gateway },
	{ "Routes", NULL, port_routes },
	{ "Masquerade", NULL, port_masquerade },
};

/* ---- [Signaling] ---- */

static int sig_redis(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj)
{
	struct wg_cfg_signaling *g = obj;

	/* Empty turns Redis off: WGATE_SIGNALING_REDIS= overrides the file. */
	g->has_redis = false;
	g->redis[0] = '\0';
	if (!*e->value)
		return 0;
	/* Never quote the URL: it may carry a password. */
	if (wg_cfgval_redis_url(e->value))
		return wg_cfg_fail(x, s, e, "not a redis:// or redis+sentinel:// URL");
	memcpy(g->redis, e->value, strlen(e->value) + 1);
	g->has_redis = true;
	return 0;
}

static int sig_gateway_id(struct cfg_ctx *x, const struct ini_section *s,
			  const struct ini_entry *e, void *obj)
{
	struct wg_cfg_signaling *g = obj;

	g->gateway_id[0] = '\0';
	if (*e->value && wg_cfgval_hex_id(e->value, g->gateway_id))
		return wg_cfg_fail(x, s, e, "not 64 hex digits");
	return 0;
}

static void *sig_begin(struct cfg_ctx *x, const struct ini_section *s)
{
	(void)s;
	return &x->c->signaling;
}

static const struct key_spec signaling_keys[] = {
	{ "Redis", NULL, sig_redis },
	{ "GatewayId", NULL, sig_gateway_id },
};

const struct section_spec wg_cfg_interface_spec = {
	.type = "Interface",
	.single = true,
	.keys = iface_keys,
	.n_keys = ARRAY_SIZE(iface_keys),
	.begin = if_begin,
	.end = if_end,
};

const struct section_spec wg_cfg_dataplane_spec = {
	.type = "Dataplane",
	.single = true,
	.keys = dataplane_keys,
	.n_keys = ARRAY_SIZE(dataplane_keys),
	.begin = dp_begin,
};

const struct section_spec wg_cfg_port_spec = {
	.type = "Port",
	.name_max = WG_CFG_PORT_NAME_LEN - 1,
	.name_example = "wan",
	.keys = port_keys,
	.n_keys = ARRAY_SIZE(port_keys),
	.begin = port_begin,
	.end = port_end,
};

const struct section_spec wg_cfg_signaling_spec = {
	.type = "Signaling",
	.single = true,
	.keys = signaling_keys,
	.n_keys = ARRAY_SIZE(signaling_keys),
	.begin = sig_begin,
};
