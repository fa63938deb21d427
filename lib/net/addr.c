#include "lib/net/addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int wg_ipaddr_parse(const char *s, struct wg_ipaddr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->af = WG_AF_INET4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->af = WG_AF_INET6;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

void wg_ipaddr_mask(struct wg_ipaddr *ip, uint8_t len)
{
	unsigned int bits = wg_af_bits(ip->af);

	for (unsigned int i = 0; i < bits / 8; i++) {
		if (len >= (i + 1) * 8)
			continue;
		if (len <= i * 8)
			ip->a[i] = 0;
		else
			ip->a[i] &= (uint8_t)(0xff << (8 - (len - i * 8)));
	}
}

int wg_prefix_parse(const char *s, bool strict, struct wg_prefix *out)
{
	char buf[WG_PREFIX_STRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (wg_ipaddr_parse(buf, &out->ip))
		return -EINVAL;
	out->len = wg_af_bits(out->ip.af);
	if (slash) {
		char *end;
		unsigned long l;

		if (slash[1] < '0' || slash[1] > '9')
			goto invalid;
		l = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || l > out->len)
			goto invalid;
		out->len = (uint8_t)l;
	}
	struct wg_ipaddr masked = out->ip;
	wg_ipaddr_mask(&masked, out->len);
	if (strict && !wg_ipaddr_equal(&masked, &out->ip))
		goto invalid;
	out->ip = masked;
	return 0;

invalid:
	/* A half-filled prefix must not pass for a parsed one. */
	memset(out, 0, sizeof(*out));
	return -EINVAL;
}

int wg_endpoint_parse(const char *s, struct wg_ipaddr *ip, uint16_t *port)
{
	char buf[WG_IPADDR_STRLEN + 1];
	const char *colon, *host = s;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || memchr(s, ':', (size_t)(colon - s)))
			return -EINVAL;	/* bare IPv6 needs brackets */
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, host, hlen);
	buf[hlen] = '\0';
	if (wg_ipaddr_parse(buf, ip))
		return -EINVAL;
	/* strtoul alone would also take " 80", "+80" and "-0". */
	char *end;
	unsigned long p = colon[1] >= '0' && colon[1] <= '9' ? strtoul(colon + 1, &end, 10) : 0;
	if (p == 0 || *end != '\0' || p > 65535) {
		memset(ip, 0, sizeof(*ip));
		return -EINVAL;
	}
	*port = (uint16_t)p;
	return 0;
}

void wg_ipaddr_str(const struct wg_ipaddr *ip, char *buf, size_t len)
{
	if (!ip->af || !inet_ntop(ip->af == WG_AF_INET4 ? AF_INET : AF_INET6, ip->a, buf,
				  (socklen_t)len))
		snprintf(buf, len, "-");
}

void wg_prefix_str(const struct wg_prefix *p, char *buf, size_t len)
{
	char a[WG_IPADDR_STRLEN];

	wg_ipaddr_str(&p->ip, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
}

bool wg_prefix_listed(const struct wg_prefix *v, size_t n, const struct wg_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].len == p->len && wg_ipaddr_equal(&v[i].ip, &p->ip))
			return true;
	return false;
}

bool wg_prefix_contains(const struct wg_prefix *p, const struct wg_ipaddr *ip)
{
	struct wg_ipaddr m;

	if (ip->af != p->ip.af)
		return false;
	m = *ip;
	wg_ipaddr_mask(&m, p->len);
	return wg_ipaddr_equal(&m, &p->ip);
}
