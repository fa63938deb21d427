/* Resources and grants over the DPDK telemetry socket (wgatectl resources,
 * wgatectl access): what the gateway applies now, ctl.effective (the file's
 * merged with the signaling store's).
 *
 * The callbacks run on DPDK's telemetry thread and read ctl.effective under
 * ctl_lock, which the control loop holds while it replaces the struct; it
 * may be NULL (before start-up finished, at shutdown): an empty list then.
 *
 * DPDK 22.11's telemetry shapes the replies: a list cannot hold a
 * dictionary, a dictionary key cannot hold base64, a string holds at most
 * 127 characters, a list at most 512 entries and a reply at most 16 KiB.
 * Hence, as for peers:
 *   /wgate/resources[,OFFSET]     names, RESOURCES_PAGE at a time
 *   /wgate/resource,NAME          kind, address, filters (a list of strings
 *                                 such as "tcp/80"; empty = all traffic),
 *                                 grants (how many)
 *   /wgate/access[,OFFSET]        "KEY RESOURCE EXPIRES", ACCESS_PAGE at a time
 *   /wgate/access,KEY[,OFFSET]    that peer's "RESOURCE EXPIRES"
 * EXPIRES is unix seconds, 0 = never. A DNS name longer than a telemetry
 * string goes as a list of pieces, which wgatectl joins.
 */
#include "control/telemetry.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>
#include <sodium.h>

#include "control/peers.h"
#include "lib/config/config.h"
#include "lib/config/values.h"

/* Names are at most 63 characters: 200 of them stay under 16 KiB. */
#define RESOURCES_PAGE	200
/* "KEY RESOURCE EXPIRES" is at most 44 + 1 + 63 + 1 + 12 characters. */
#define ACCESS_PAGE	100
/* 9999-12-31T23:59:59Z: keeps EXPIRES within 12 digits, and the item
 * within one telemetry string. */
#define EXPIRES_MAX	253402300799LL

static const char *const kind_names[] = {
	[WG_CFG_RES_CIDR] = "cidr", [WG_CFG_RES_DNS] = "dns", [WG_CFG_RES_INTERNET] = "internet",
};

/* "" or digits only: the offset; anything else is an error. */
static int parse_offset(const char *s, unsigned long *out)
{
	*out = 0;
	if (!s || !*s)
		return 0;
	return wg_cfgval_uint(s, 0, UINT32_MAX, out) ? -EINVAL : 0;
}

static int resources_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wg_config *c;
	unsigned long offset;

	(void)cmd;
	if (parse_offset(params, &offset))
		return -EINVAL;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&ctl_lock);
	c = ctl.effective;
	for (size_t i = offset; c && i < c->n_resources && i < offset + RESOURCES_PAGE; i++)
		rte_tel_data_add_array_string(d, c->resources[i].name);
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

/* One string, or a list of RTE_TEL_MAX_STRING_LEN - 1 pieces when longer. */
static void add_long_string(struct rte_tel_data *d, const char *name, const char *s)
{
	const size_t piece = RTE_TEL_MAX_STRING_LEN - 1;
	char buf[RTE_TEL_MAX_STRING_LEN];
	struct rte_tel_data *list;
	size_t n = strlen(s);

	if (n <= piece) {
		rte_tel_data_add_dict_string(d, name, s);
		return;
	}
	list = rte_tel_data_alloc();
	if (!list)
		return;
	rte_tel_data_start_array(list, RTE_TEL_STRING_VAL);
	for (size_t off = 0; off < n; off += piece) {
		snprintf(buf, sizeof(buf), "%.*s", (int)piece, s + off);
		rte_tel_data_add_array_string(list, buf);
	}
	if (rte_tel_data_add_dict_container(d, name, list, 0))
		rte_tel_data_free(list);
}

static void filter_str(const struct wg_cfg_filter *f, char *buf, size_t len)
{
	static const char *const protos[] = { "tcp", "udp", "icmp" };

	if (f->proto == WG_CFG_PROTO_ICMP || (f->lo == 0 && f->hi == 65535))
		snprintf(buf, len, "%s", protos[f->proto]);
	else if (f->lo == f->hi)
		snprintf(buf, len, "%s/%u", protos[f->proto], f->lo);
	else
		snprintf(buf, len, "%s/%u-%u", protos[f->proto], f->lo, f->hi);
}

static int resource_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct wg_cfg_resource *r;
	const struct wg_config *c;
	struct rte_tel_data *filters;
	char buf[WG_CFG_DNS_PATTERN_LEN];
	uint64_t grants = 0;
	int idx;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	filters = rte_tel_data_alloc();
	if (!filters)
		return -ENOMEM;
	rte_tel_data_start_array(filters, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&ctl_lock);
	c = ctl.effective;
	idx = c ? wg_config_resource_find(c, params) : -ENOENT;
	if (idx < 0) {
		pthread_mutex_unlock(&ctl_lock);
		rte_tel_data_free(filters);
		return -ENOENT;
	}
	r = &c->resources[idx];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "kind", kind_names[r->kind]);
	if (r->kind == WG_CFG_RES_CIDR)
		wg_prefix_str(&r->prefix, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "%s", r->kind == WG_CFG_RES_DNS ? r->dns_pattern : "internet");
	add_long_string(d, "address", buf);
	/* At most RTE_TEL_MAX_ARRAY_ENTRIES filters are listed. */
	for (size_t i = 0; i < r->n_filters && i < RTE_TEL_MAX_ARRAY_ENTRIES; i++) {
		filter_str(&r->filters[i], buf, sizeof(buf));
		rte_tel_data_add_array_string(filters, buf);
	}
	for (size_t i = 0; i < c->n_access; i++)
		grants += c->access[i].resource_idx == idx;
	pthread_mutex_unlock(&ctl_lock);
	if (rte_tel_data_add_dict_container(d, "filters", filters, 0))
		rte_tel_data_free(filters);
	rte_tel_data_add_dict_u64(d, "grants", grants);
	return 0;
}

/* "", "OFFSET", "KEY" or "KEY,OFFSET" (a key is 44 characters, an offset
 * at most 10 digits; a key may start with a digit). */
static int access_params(const char *params, uint8_t key[WG_CFG_KEY_LEN], bool *one,
			 unsigned long *offset)
{
	char k[64];
	size_t kl = params ? strcspn(params, ",") : 0;

	*one = false;
	if (kl != 44)
		return parse_offset(params, offset);
	memcpy(k, params, kl);
	k[kl] = '\0';
	if (wg_cfgval_key(k, key))
		return -EINVAL;
	*one = true;
	return parse_offset(params[kl] ? params + kl + 1 : NULL, offset);
}

static int access_cb(const char *cmd, const char *params, struct rte_tel_data *d)
{
	uint8_t key[WG_CFG_KEY_LEN];
	const struct wg_config *c;
	unsigned long offset, n = 0;
	int peer = -1;
	bool one;

	(void)cmd;
	if (access_params(params, key, &one, &offset))
		return -EINVAL;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&ctl_lock);
	c = ctl.effective;
	if (c && one)
		peer = wg_config_peer_find(c, key);
	for (size_t i = 0; c && (!one || peer >= 0) && i < c->n_access; i++) {
		const struct wg_cfg_access *a = &c->access[i];
		char item[RTE_TEL_MAX_STRING_LEN], b64[sodium_base64_ENCODED_LEN(WG_CFG_KEY_LEN,
						sodium_base64_VARIANT_ORIGINAL)];
		int64_t exp = a->expires < 0 ? 1 : a->expires > EXPIRES_MAX ? EXPIRES_MAX : a->expires;

		if ((one && a->peer_idx != peer) || n++ < offset)
			continue;
		if (n > offset + ACCESS_PAGE)
			break;
		if (one) {
			snprintf(item, sizeof(item), "%s %" PRId64, c->resources[a->resource_idx].name,
				 exp);
		} else {
			sodium_bin2base64(b64, sizeof(b64), c->peers[a->peer_idx].public_key,
					  WG_CFG_KEY_LEN, sodium_base64_VARIANT_ORIGINAL);
			snprintf(item, sizeof(item), "%s %s %" PRId64, b64,
				 c->resources[a->resource_idx].name, exp);
		}
		rte_tel_data_add_array_string(d, item);
	}
	pthread_mutex_unlock(&ctl_lock);
	return 0;
}

int ctl_telemetry_policy_init(void)
{
	int rc = rte_telemetry_register_cmd("/wgate/resources", resources_cb,
					    "Names of the resources. Parameter: offset (pages of 200)");
	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/resource", resource_cb,
						"One resource: kind, address, filters, grants. Parameter: name");
	if (!rc)
		rc = rte_telemetry_register_cmd("/wgate/access", access_cb,
						"Grants: 'KEY RESOURCE EXPIRES', 0 = never. Parameter: offset"
						" (pages of 100), or KEY[,offset]");
	return rc;
}
