/* Firezone in-tunnel control packets (ctlmsg.h). */
#include "lib/fz/ctlmsg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static const char *const err_names[WG_FZ_ERR__MAX] = {
	[WG_FZ_OK] = "ok",
	[WG_FZ_ERR_SHORT] = "too short or lengths disagree",
	[WG_FZ_ERR_LONG] = "body too long",
	[WG_FZ_ERR_HEADER] = "bad header",
	[WG_FZ_ERR_EVENT] = "unknown event type",
	[WG_FZ_ERR_JSON] = "body is not a JSON object",
	[WG_FZ_ERR_RESOURCE] = "bad resource id",
	[WG_FZ_ERR_DOMAIN] = "bad domain",
	[WG_FZ_ERR_PROXY_COUNT] = "proxy_ips is not a list of 4 or 8",
	[WG_FZ_ERR_PROXY_ADDR] = "proxy_ips entry is not an IP address",
	[WG_FZ_ERR_PROXY_FAMILY] = "proxy_ips families are not 4+4 or 4 of one",
	[WG_FZ_ERR_PROXY_RANGE] = "proxy_ips entry outside the DNS proxy ranges",
	[WG_FZ_ERR_PROXY_DUP] = "proxy_ips entry repeated",
	[WG_FZ_ERR_STATUS] = "bad status",
};

const char *wg_fz_err_str(enum wg_fz_err e)
{
	return (unsigned int)e < WG_FZ_ERR__MAX ? err_names[e] : "?";
}

/* The [Resource NAME] rule: signaling's resource ids follow it too. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= WG_FZ_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

static enum wg_fz_err read_names(const json_t *o, struct wg_fz_msg *m)
{
	const char *s = json_string_value(json_object_get(o, "resource"));

	if (!s || !id_ok(s))
		return WG_FZ_ERR_RESOURCE;
	memcpy(m->resource, s, strlen(s) + 1);
	s = json_string_value(json_object_get(o, "domain"));
	if (!s || strlen(s) >= sizeof(m->domain_raw) || wg_dns_name_norm(s, m->domain))
		return WG_FZ_ERR_DOMAIN;
	memcpy(m->domain_raw, s, strlen(s) + 1);
	return WG_FZ_OK;
}

static enum wg_fz_err read_proxies(const json_t *o, struct wg_fz_msg *m)
{
	const json_t *a = json_object_get(o, "proxy_ips");
	size_t n = json_is_array(a) ? json_array_size(a) : 0, n4 = 0;

	if (n != 4 && n != 8)
		return WG_FZ_ERR_PROXY_COUNT;
	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(a, i));
		struct wg_ipaddr *ip = &m->proxy[i];

		if (!s || wg_ipaddr_parse(s, ip))
			return WG_FZ_ERR_PROXY_ADDR;
		if (!wg_fz_is_proxy_addr(ip))
			return WG_FZ_ERR_PROXY_RANGE;
		for (size_t k = 0; k < i; k++)
			if (wg_ipaddr_equal(&m->proxy[k], ip))
				return WG_FZ_ERR_PROXY_DUP;
		n4 += ip->af == WG_AF_INET4;
	}
	if (n == 8 ? n4 != 4 : (n4 != 0 && n4 != 4))
		return WG_FZ_ERR_PROXY_FAMILY;
	m->n_proxy = (uint8_t)n;
	return WG_FZ_OK;
}

enum wg_fz_err wg_fz_parse(const uint8_t *p, size_t len, struct wg_fz_msg *m)
{
	enum wg_fz_err rc;
	size_t plen, body_len;
	json_t *o;

	memset(m, 0, sizeof(*m));
	if (len < WG_FZ_IP6_HDR_LEN)
		return WG_FZ_ERR_SHORT;
	if (!wg_fz_is_control(p, len))
		return WG_FZ_ERR_HEADER;
	plen = (size_t)p[4] << 8 | p[5];
	if (plen < WG_FZ_HDR_LEN || WG_FZ_IP6_HDR_LEN + plen > len)
		return WG_FZ_ERR_SHORT;
	p += WG_FZ_IP6_HDR_LEN;
	for (int i = 1; i < WG_FZ_HDR_LEN; i++)
		if (p[i])
			return WG_FZ_ERR_HEADER;
	m->event = p[0];
	body_len = plen - WG_FZ_HDR_LEN;
	switch (m->event) {
	case WG_FZ_GOODBYE:
		return WG_FZ_OK;
	case WG_FZ_ASSIGNED_IPS:
	case WG_FZ_DOMAIN_STATUS:
		break;
	default:
		return WG_FZ_ERR_EVENT;
	}
	if (body_len > WG_FZ_MAX_BODY)
		return WG_FZ_ERR_LONG;
	o = json_loadb((const char *)p + WG_FZ_HDR_LEN, body_len,
		       JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return WG_FZ_ERR_JSON;
	}
	rc = read_names(o, m);
	if (rc == WG_FZ_OK && m->event == WG_FZ_ASSIGNED_IPS)
		rc = read_proxies(o, m);
	if (rc == WG_FZ_OK && m->event == WG_FZ_DOMAIN_STATUS) {
		const char *s = json_string_value(json_object_get(o, "status"));
		if (s && !strcmp(s, "Active"))
			m->active = true;
		else if (!s || strcmp(s, "Inactive"))
			rc = WG_FZ_ERR_STATUS;
	}
	json_decref(o);
	return rc;
}

/* IPv6 header :: -> ::, next header 0xFF, hop limit 0, then the event's
 * header and the JSON of o (consumed). */
static size_t build(uint8_t *out, size_t cap, uint8_t event, json_t *o)
{
	char *body = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t blen = body ? strlen(body) : 0, tot = WG_FZ_IP6_HDR_LEN + WG_FZ_HDR_LEN + blen;

	json_decref(o);
	if (!body || tot > cap || tot - WG_FZ_IP6_HDR_LEN > UINT16_MAX) {
		free(body);
		return 0;
	}
	memset(out, 0, WG_FZ_IP6_HDR_LEN + WG_FZ_HDR_LEN);
	out[0] = 0x60;
	out[4] = (uint8_t)((tot - WG_FZ_IP6_HDR_LEN) >> 8);
	out[5] = (uint8_t)(tot - WG_FZ_IP6_HDR_LEN);
	out[6] = WG_FZ_NEXT_HEADER;
	out[WG_FZ_IP6_HDR_LEN] = event;
	memcpy(out + WG_FZ_IP6_HDR_LEN + WG_FZ_HDR_LEN, body, blen);
	free(body);
	return tot;
}

size_t wg_fz_build_status(uint8_t *out, size_t cap, const char *resource, const char *domain,
			  bool active)
{
	return build(out, cap, WG_FZ_DOMAIN_STATUS,
		     json_pack("{s:s, s:s, s:s}", "resource", resource, "domain", domain,
			       "status", active ? "Active" : "Inactive"));
}

size_t wg_fz_build_assigned(uint8_t *out, size_t cap, const char *resource, const char *domain,
			    const struct wg_ipaddr *proxy, size_t n)
{
	json_t *a = json_array();
	char s[64];

	for (size_t i = 0; a && i < n; i++) {
		wg_ipaddr_str(&proxy[i], s, sizeof(s));
		json_array_append_new(a, json_string(s));
	}
	return build(out, cap, WG_FZ_ASSIGNED_IPS,
		     json_pack("{s:s, s:s, s:o}", "resource", resource, "domain", domain,
			       "proxy_ips", a));
}
