/* Shared by the section files (sec_gateway.c, sec_policy.c): list helpers,
 * key files, the table of sections and the defaults. */
#include "lib/config/sections.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/values.h"

/* Grows *arr (of elem bytes each) so that one more fits; zeroes the new one. */
void *wg_cfg_grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		void *p = realloc(*arr, nc * elem);
		if (!p)
			return NULL;
		*arr = p;
		*cap = nc;
	}
	return memset((char *)*arr + n * elem, 0, elem);
}

void *wg_cfg_oom(struct cfg_ctx *x)
{
	wg_cfg_fail(x, NULL, NULL, "out of memory");
	return NULL;
}

/* A key file named in the file is relative to the file's directory (the
 * service runs with cwd /); one named in the environment is taken as is. */
int wg_cfg_key_file(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		    uint8_t out[WG_CFG_KEY_LEN])
{
	char path[4096], why[WHY_LEN];

	if (!*e->value)
		return wg_cfg_fail(x, s, e, "empty file name");
	if (e->value[0] == '/' || e->env)
		snprintf(path, sizeof(path), "%s", e->value);
	else
		snprintf(path, sizeof(path), "%s%s%s", x->dir,
			 x->dir[strlen(x->dir) - 1] == '/' ? "" : "/", e->value);
	if (wg_cfgval_key_file(path, out, why, sizeof(why)))
		return wg_cfg_fail(x, s, e, "%s", why);
	return 0;
}

/* Calls item() for each item of a comma list; empty items are errors. */
int wg_cfg_each_item(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj, int (*item)(struct cfg_ctx *, const struct ini_section *,
					    const struct ini_entry *, void *, const char *))
{
	size_t n;
	char **v = wg_cfgval_split(e->value, ',', &n);
	int rc = 0;

	if (!v)
		return wg_cfg_oom(x), -ENOMEM;
	for (size_t i = 0; i < n && !rc; i++)
		rc = *v[i] ? item(x, s, e, obj, v[i]) : wg_cfg_fail(x, s, e, "empty list item");
	free(v);
	return rc;
}

/* Lists are sized once from their commas: a key occurs once per section. */
size_t wg_cfg_max_items(const char *v)
{
	size_t n = 1;

	for (; *v; v++)
		n += *v == ',';
	return n;
}

const struct section_spec *const wg_cfg_sections[] = {
	&wg_cfg_interface_spec, &wg_cfg_dataplane_spec, &wg_cfg_port_spec, &wg_cfg_peer_spec,
	&wg_cfg_resource_spec, &wg_cfg_access_spec, &wg_cfg_signaling_spec,
};
const size_t wg_cfg_n_sections = ARRAY_SIZE(wg_cfg_sections);

int wg_cfg_defaults(struct wg_config *c)
{
	struct wg_cfg_dataplane *d = &c->dataplane;
	size_t n;

	c->iface.listen_port = 51820;
	c->iface.mtu = 1420;
	d->lcores[0] = 0;
	d->lcores[1] = 1;
	d->n_lcores = 2;
	d->memory_mb = 512;
	d->crypto = WG_CFG_CRYPTO_AUTO;
	d->idle_poll = WG_CFG_IDLE_BUSY;
	d->max_peers = WG_CFG_MAX_PEERS_DEFAULT;
	d->max_grants = WG_CFG_MAX_GRANTS_DEFAULT;
	d->nat_entries = WG_CFG_NAT_ENTRIES_DEFAULT;
	d->dns_cache_entries = WG_CFG_DNS_CACHE_DEFAULT;
	d->punt_ring = WG_CFG_PUNT_RING_DEFAULT;
	d->event_ring = WG_CFG_EVENT_RING_DEFAULT;
	d->tx_ring = WG_CFG_TX_RING_DEFAULT;
	d->handoff_ring = WG_CFG_HANDOFF_RING_DEFAULT;
	d->eal_args = wg_cfgval_split("", 0, &n);
	d->n_eal_args = 0;
	return d->eal_args ? 0 : -ENOMEM;
}

