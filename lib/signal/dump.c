/* wg_sig_state_dump(): the state as sorted text lines, so that tests can
 * tell "unchanged" and "the same content" by comparing strings. Every field
 * and the bookkeeping (present flag, grant counts, anchors) is there; the
 * hash tables' order is not. */
#include "lib/signal/state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/signal/state_int.h"

struct lines {
	char **v;
	size_t n, cap;
	bool oom;
};

static void add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int rc;

	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 64;
		char **nv = realloc(l->v, nc * sizeof(*nv));

		if (!nv) {
			l->oom = true;
			return;
		}
		l->v = nv;
		l->cap = nc;
	}
	va_start(ap, fmt);
	rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0) {
		l->oom = true;
		return;
	}
	l->v[l->n++] = s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Bytes outside printable ASCII as \xNN, so a name cannot split a line. */
static void escape(const char *s, char *out, size_t len)
{
	size_t o = 0;

	for (; *s && o + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x21 || c > 0x7e || c == '\\')
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void dump_client(struct lines *l, const struct sig_client *c)
{
	char key[2 * WG_CFG_KEY_LEN + 1] = "-", psk[17] = "-", *allowed;
	size_t off = 0;

	if (c->present) {
		sodium_bin2hex(key, sizeof(key), c->peer.public_key, WG_CFG_KEY_LEN);
		if (c->peer.has_psk) {
			uint8_t h[8];

			crypto_generichash(h, sizeof(h), c->peer.psk, WG_CFG_KEY_LEN, NULL, 0);
			sodium_bin2hex(psk, sizeof(psk), h, sizeof(h));
		}
	}
	allowed = malloc(c->peer.n_allowed * WG_PREFIX_STRLEN + 2);
	if (!allowed) {
		l->oom = true;
		return;
	}
	allowed[0] = '\0';
	for (size_t i = 0; i < c->peer.n_allowed; i++) {
		off += (size_t)snprintf(allowed + off, WG_PREFIX_STRLEN + 1, "%s", i ? "," : "");
		wg_prefix_str(&c->peer.allowed[i], allowed + off, WG_PREFIX_STRLEN);
		off += strlen(allowed + off);
	}
	add(l, "C %s present=%d grants=%zu key=%s psk=%s allowed=%s", c->id, c->present,
	    c->n_grants, key, psk, allowed);
	free(allowed);
}

static void dump_resource(struct lines *l, const struct sig_resource *r)
{
	char addr[WG_CFG_DNS_PATTERN_LEN] = "-", name[4 * WG_SIG_NAME_LEN + 1], *filters;
	const struct wg_cfg_resource *x = &r->res;
	static const char *const proto[] = { "tcp", "udp", "icmp" };
	size_t off = 0;

	if (r->present && x->kind == WG_CFG_RES_CIDR)
		wg_prefix_str(&x->prefix, addr, sizeof(addr));
	else if (r->present && x->kind == WG_CFG_RES_DNS)
		snprintf(addr, sizeof(addr), "%s", x->dns_pattern);
	escape(r->display, name, sizeof(name));
	filters = malloc(x->n_filters * 20 + 2);
	if (!filters) {
		l->oom = true;
		return;
	}
	filters[0] = '\0';
	for (size_t i = 0; i < x->n_filters; i++)
		off += (size_t)snprintf(filters + off, 21, "%s%s:%u-%u", i ? "," : "",
					proto[x->filters[i].proto % 3], x->filters[i].lo,
					x->filters[i].hi);
	add(l, "R %s present=%d grants=%zu type=%s addr=%s name=%s filters=%s", x->name,
	    r->present, r->n_grants, r->present ? sig_kind_name(x->kind) : "-", addr, name,
	    filters);
	free(filters);
}

char *wg_sig_state_dump(const struct wg_sig_state *s)
{
	struct lines l = { NULL, 0, 0, false };
	struct sig_hnode *e;
	size_t i, total = 1;
	char *out = NULL;

	for (e = sig_htab_first(&s->clients, &i); e; e = sig_htab_next(&s->clients, e, &i))
		dump_client(&l, (const struct sig_client *)e);
	for (e = sig_htab_first(&s->resources, &i); e; e = sig_htab_next(&s->resources, e, &i))
		dump_resource(&l, (const struct sig_resource *)e);
	for (e = sig_htab_first(&s->grants, &i); e; e = sig_htab_next(&s->grants, e, &i)) {
		const struct sig_grant *g = (const struct sig_grant *)e;

		add(&l, "G %s %s expires=%lld", g->c->id, g->r->res.name, (long long)g->expires);
	}
	add(&l, "~ clients=%zu resources=%zu grants=%zu", s->n_clients, s->n_resources,
	    s->grants.n);
	if (l.oom)
		goto out;
	qsort(l.v, l.n, sizeof(*l.v), cmp_str);
	for (i = 0; i < l.n; i++)
		total += strlen(l.v[i]) + 1;
	out = malloc(total);
	if (!out)
		goto out;
	total = 0;
	for (i = 0; i < l.n; i++) {
		size_t n = strlen(l.v[i]);

		memcpy(out + total, l.v[i], n);
		out[total + n] = '\n';
		total += n + 1;
	}
	out[total] = '\0';
out:
	for (i = 0; i < l.n; i++)
		free(l.v[i]);
	free(l.v);
	return out;
}
