#include "lib/config/values.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/util/log.h"

/* Base64 of 32 bytes is 43 characters plus one '=' of padding. */
#define KEY_B64_LEN 44
#define KEY_FILE_MAX 1024

int wg_cfgval_key(const char *s, uint8_t out[WG_CFG_KEY_LEN])
{
	uint8_t tmp[WG_CFG_KEY_LEN];
	size_t n = 0;
	const char *end = NULL;
	int rc = -EINVAL;

	/* The length check first: sodium_base642bin stops at bin_maxlen and
	 * would otherwise accept a prefix of a longer string. */
	if (strlen(s) != KEY_B64_LEN)
		return -EINVAL;
	if (sodium_base642bin(tmp, sizeof(tmp), s, KEY_B64_LEN, NULL, &n, &end,
			      sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    n == WG_CFG_KEY_LEN && end == s + KEY_B64_LEN) {
		memcpy(out, tmp, WG_CFG_KEY_LEN);
		rc = 0;
	}
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

void wg_cfgval_warn_loose(int fd, const char *path, const char *what)
{
	struct stat st;

	/* As ssh and wg(8) do for private keys: anyone else who can read the
	 * file can impersonate the gateway or decrypt its peers' traffic. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077))
		WG_LOG(WARN, "config", "%s %s is accessible by group or others (mode %03o);"
		       " chmod 600 it", what, path, (unsigned int)(st.st_mode & 0777));
}

int wg_cfgval_key_file(const char *path, uint8_t out[WG_CFG_KEY_LEN], char *why, size_t len)
{
	char buf[KEY_FILE_MAX + 1];
	size_t got = 0;
	ssize_t r;
	int fd, rc = -EINVAL;
	char *b, *e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
		return -EINVAL;
	}
	wg_cfgval_warn_loose(fd, path, "key file");
	while (got < sizeof(buf) - 1) {
		r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(why, len, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	if (got == sizeof(buf) - 1 || strlen(buf) != got) {
		snprintf(why, len, "%s does not hold a base64 32-byte key", path);
		goto out;
	}
	/* wg genkey writes "key\n"; allow any surrounding whitespace. */
	for (b = buf; *b && isspace((unsigned char)*b); b++)
		;
	for (e = buf + got; e > b && isspace((unsigned char)e[-1]); e--)
		;
	*e = '\0';
	if (wg_cfgval_key(b, out))
		snprintf(why, len, "%s does not hold a base64 32-byte key", path);
	else
		rc = 0;
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

int wg_cfgval_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int wg_cfgval_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcasecmp(s, yes[i]))
			return *out = true, 0;
		if (!strcasecmp(s, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static bool split_here(char c, char sep)
{
	return sep ? c == sep : isspace((unsigned char)c);
}

char **wg_cfgval_split(const char *s, char sep, size_t *n)
{
	size_t slen = strlen(s), max = 1, k = 0;
	char **v, *copy, *p;

	for (const char *q = s; *q; q++)
		max += split_here(*q, sep);
	/* One block: the pointer array (max items + NULL), then the text. */
	v = malloc((max + 1) * sizeof(char *) + slen + 1);
	if (!v)
		return NULL;
	copy = (char *)(v + max + 1);
	memcpy(copy, s, slen + 1);
	p = copy;
	for (;;) {
		char *end = p, *b, *e;

		while (*end && !split_here(*end, sep))
			end++;
		bool last = !*end;
		*end = '\0';
		for (b = p; isspace((unsigned char)*b); b++)
			;
		for (e = b + strlen(b); e > b && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (sep || *b)
			v[k++] = b;
		if (last)
			break;
		p = end + 1;
	}
	/* A blank value is an empty list, not one empty item. */
	if (k == 1 && !*v[0])
		k = 0;
	v[k] = NULL;
	*n = k;
	return v;
}

static int parse_num(const char **p, unsigned long *v)
{
	const char *q = *p;

	if (*q < '0' || *q > '9')
		return -EINVAL;
	*v = 0;
	while (*q >= '0' && *q <= '9') {
		if (*v > 100000)
			return -EINVAL;
		*v = *v * 10 + (unsigned long)(*q++ - '0');
	}
	*p = q;
	return 0;
}

int wg_cfgval_lcores(const char *s, unsigned int *out, size_t *n, char *why, size_t len)
{
	bool seen[WG_CFG_MAX_LCORES] = { false };
	size_t ni, k = 0;
	char **items = wg_cfgval_split(s, ',', &ni);
	int rc = -EINVAL;

	if (!items)
		return -ENOMEM;
	for (size_t i = 0; i < ni; i++) {
		const char *p = items[i];
		unsigned long lo, hi;

		if (parse_num(&p, &lo)) {
			snprintf(why, len, "'%s' is not a core number or range like 0-3", items[i]);
			goto out;
		}
		hi = lo;
		if (*p == '-') {
			p++;
			if (parse_num(&p, &hi)) {
				snprintf(why, len, "'%s' is not a core number or range like 0-3",
					 items[i]);
				goto out;
			}
		}
		if (*p) {
			snprintf(why, len, "'%s' is not a core number or range like 0-3", items[i]);
			goto out;
		}
		if (hi < lo) {
			snprintf(why, len, "range '%s' runs backwards", items[i]);
			goto out;
		}
		if (hi >= WG_CFG_MAX_LCORES) {
			snprintf(why, len, "core %lu is over the maximum %d", hi,
				 WG_CFG_MAX_LCORES - 1);
			goto out;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if (seen[c]) {
				snprintf(why, len, "core %lu is listed twice", c);
				goto out;
			}
			seen[c] = true;
			out[k++] = (unsigned int)c;
		}
	}
	if (k < 2) {
		snprintf(why, len, "needs at least 2 cores (the first controls, the rest forward)");
		goto out;
	}
	*n = k;
	rc = 0;
out:
	free(items);
	return rc;
}

int wg_cfgval_host_prefix(const char *s, struct wg_ipaddr *addr, struct wg_prefix *net)
{
	char buf[WG_PREFIX_STRLEN + 1];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long l;

	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (wg_ipaddr_parse(buf, addr))
		return -EINVAL;
	l = wg_af_bits(addr->af);
	if (slash && wg_cfgval_uint(slash + 1, 0, l, &l))
		return -EINVAL;
	net->ip = *addr;
	net->len = (uint8_t)l;
	wg_ipaddr_mask(&net->ip, net->len);
	return 0;
}

int wg_cfgval_route(const char *s, struct wg_cfg_route *r, char *why, size_t len)
{
	size_t n;
	char **w = wg_cfgval_split(s, 0, &n);
	int rc = -EINVAL;

	if (!w)
		return -ENOMEM;
	if (n != 3 || strcasecmp(w[1], "via"))
		snprintf(why, len, "'%s' is not 'PREFIX via ADDRESS'", s);
	else if (wg_prefix_parse(w[0], true, &r->dst))
		snprintf(why, len, "'%s' is not a prefix with host bits clear", w[0]);
	else if (wg_ipaddr_parse(w[2], &r->via))
		snprintf(why, len, "next hop '%s' is not an IP address", w[2]);
	else if (r->via.af != r->dst.ip.af)
		snprintf(why, len, "'%s': next hop and prefix are of different families", s);
	else
		rc = 0;
	free(w);
	return rc;
}

static int parse_port_range(const char *p, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;

	if (parse_num(&p, &a))
		return -EINVAL;
	b = a;
	if (*p == '-') {
		p++;
		if (parse_num(&p, &b))
			return -EINVAL;
	}
	if (*p || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

int wg_cfgval_filter(const char *s, struct wg_cfg_filter *f, char *why, size_t len)
{
	const char *slash = strchr(s, '/');
	size_t plen = slash ? (size_t)(slash - s) : strlen(s);

	if (plen == 3 && !strncasecmp(s, "tcp", 3))
		f->proto = WG_CFG_PROTO_TCP;
	else if (plen == 3 && !strncasecmp(s, "udp", 3))
		f->proto = WG_CFG_PROTO_UDP;
	else if (plen == 4 && !strncasecmp(s, "icmp", 4))
		f->proto = WG_CFG_PROTO_ICMP;
	else {
		snprintf(why, len, "'%s': protocol is not tcp, udp or icmp", s);
		return -EINVAL;
	}
	f->lo = 0;
	f->hi = 65535;
	if (!slash)
		return 0;
	if (f->proto == WG_CFG_PROTO_ICMP) {
		snprintf(why, len, "'%s': icmp takes no port", s);
		return -EINVAL;
	}
	if (parse_port_range(slash + 1, &f->lo, &f->hi)) {
		snprintf(why, len, "'%s': not a port or a range lo-hi with lo <= hi <= 65535", s);
		return -EINVAL;
	}
	return 0;
}

/* Names clients never reach as resources (firezone-gateway.md, address plan):
 * their tunnel addresses and the DNS proxy ranges. */
static const char *const reserved_ranges[] = {
	"100.64.0.0/11", "fd00:2021:1111::/107",	/* client tunnel addresses */
	"100.96.0.0/11", "fd00:2021:1111:8000::/107",	/* DNS resource proxy addresses */
};

static bool label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* "app.example.com", "*.example.com" (any depth) or "?.example.com" (one
 * label): RFC 1123 labels, the wildcard only as the whole first label, a last
 * label that is not all digits (so a mistyped address is not a name). */
static int dns_pattern(const char *s, char *out, size_t outlen)
{
	size_t n = strlen(s);
	const char *label;

	if (n && s[n - 1] == '.')
		n--;	/* a fully qualified "example.com." is the same name */
	if (n == 0 || n > 253 || n >= outlen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	label = out;
	if ((out[0] == '*' || out[0] == '?') && out[1] == '.')
		label = out + 2;
	for (;;) {
		const char *dot = strchr(label, '.');
		size_t l = dot ? (size_t)(dot - label) : strlen(label);
		bool digits = true;

		if (l == 0 || l > 63 || label[0] == '-' || label[l - 1] == '-')
			return -EINVAL;
		for (size_t i = 0; i < l; i++) {
			if (!label_char(label[i]))
				return -EINVAL;
			digits &= label[i] >= '0' && label[i] <= '9';
		}
		if (!dot)
			return digits ? -EINVAL : 0;
		label = dot + 1;
	}
}

int wg_cfgval_resource_address(const char *s, struct wg_cfg_resource *r, char *why, size_t len)
{
	struct wg_prefix p;

	if (!strcasecmp(s, "internet")) {
		r->kind = WG_CFG_RES_INTERNET;
		return 0;
	}
	if (wg_prefix_parse(s, false, &p) == 0) {
		char want[WG_PREFIX_STRLEN];

		if (wg_prefix_parse(s, true, &p)) {
			wg_prefix_parse(s, false, &p);	/* the masked network, for the hint */
			wg_prefix_str(&p, want, sizeof(want));
			snprintf(why, len, "'%s' has host bits set (the network is %s)", s, want);
			return -EINVAL;
		}
		for (size_t i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++) {
			struct wg_prefix res;

			wg_prefix_parse(reserved_ranges[i], true, &res);
			if (p.len >= res.len && wg_prefix_contains(&res, &p.ip)) {
				snprintf(why, len, "'%s' lies in %s, which is never a resource", s,
					 reserved_ranges[i]);
				return -EINVAL;
			}
		}
		r->kind = WG_CFG_RES_CIDR;
		r->prefix = p;
		return 0;
	}
	if (strchr(s, '/') || strchr(s, ':') || dns_pattern(s, r->dns_pattern, sizeof(r->dns_pattern))) {
		snprintf(why, len, "'%s' is not a CIDR prefix, an IP address, a DNS name or 'internet'",
			 s);
		return -EINVAL;
	}
	r->kind = WG_CFG_RES_DNS;
	return 0;
}

static bool is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil); no timegm(), which reads TZ state. */
static int64_t days_from_civil(long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return (int64_t)era * 146097 + (int64_t)doe - 719468;
}

static int fixed_digits(const char **p, int n, long *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return -EINVAL;
		*v = *v * 10 + (c - '0');
	}
	*p += n;
	return 0;
}

static int expect(const char **p, const char *set)
{
	if (!**p || !strchr(set, **p))
		return -EINVAL;
	(*p)++;
	return 0;
}

int wg_cfgval_rfc3339(const char *s, int64_t *out)
{
	static const unsigned mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	long Y, M, D, h, m, sec, oh = 0, om = 0;
	int sign = 0;
	const char *p = s;
	int64_t t;

	if (fixed_digits(&p, 4, &Y) || expect(&p, "-") || fixed_digits(&p, 2, &M) ||
	    expect(&p, "-") || fixed_digits(&p, 2, &D) || expect(&p, "Tt") ||
	    fixed_digits(&p, 2, &h) || expect(&p, ":") || fixed_digits(&p, 2, &m) ||
	    expect(&p, ":") || fixed_digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		/* Fractions are allowed and dropped: grants are per second. */
		if (p[1] < '0' || p[1] > '9')
			return -EINVAL;
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (fixed_digits(&p, 2, &oh) || expect(&p, ":") || fixed_digits(&p, 2, &om) ||
		    oh > 23 || om > 59)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (*p || M < 1 || M > 12 || D < 1 || h > 23 || m > 59 || sec > 60)
		return -EINVAL;
	if (D > (long)mdays[M - 1] + (M == 2 && is_leap(Y)))
		return -EINVAL;
	t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 + sec;
	/* Local time = UTC + offset, so UTC = local - offset. */
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	/* 0 means "never" in struct wg_cfg_access, so the epoch itself is out. */
	if (t <= 0)
		return -EINVAL;
	*out = t;
	return 0;
}

int wg_cfgval_redis_url(const char *s)
{
	static const char *const schemes[] = { "redis://", "redis+sentinel://" };

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);

		if (strncasecmp(s, schemes[i], n))
			continue;
		if (!s[n] || s[n] == '/')
			return -EINVAL;	/* no host */
		for (const char *p = s; *p; p++)
			if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
				return -EINVAL;
		return strlen(s) < WG_CFG_REDIS_LEN ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int wg_cfgval_hex_id(const char *s, char out[WG_CFG_GATEWAY_ID_LEN + 1])
{
	if (strlen(s) != WG_CFG_GATEWAY_ID_LEN)
		return -EINVAL;
	for (size_t i = 0; i < WG_CFG_GATEWAY_ID_LEN; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -EINVAL;
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[WG_CFG_GATEWAY_ID_LEN] = '\0';
	return 0;
}
