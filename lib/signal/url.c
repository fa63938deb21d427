/* See url.h. */
#include "lib/signal/url.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/config/values.h"

static int fail(char *why, size_t whylen, const char *msg)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", msg);
	return -EINVAL;
}

/* Copies [s, e) into out (cap bytes with the NUL); false when too long. */
static bool take(char *out, size_t cap, const char *s, const char *e)
{
	if ((size_t)(e - s) >= cap)
		return false;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return true;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* take() with %XX decoded (RFC 3986 userinfo: a password may hold '@' or
 * ':' written as %40, %3A). */
static bool take_pct(char *out, size_t cap, const char *s, const char *e)
{
	size_t o = 0;

	for (; s < e; s++) {
		char c = *s;

		if (c == '%' && e - s >= 3 && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			c = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		}
		if (o + 1 >= cap)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	return true;
}

int wg_redis_url_parse(const char *s, struct wg_redis_url *u, char *why, size_t whylen)
{
	const char *p, *at, *hs, *he, *slash;
	unsigned long v;

	memset(u, 0, sizeof(*u));
	if (!strncasecmp(s, "redis://", 8)) {
		p = s + 8;
		u->port = 6379;
	} else if (!strncasecmp(s, "redis+sentinel://", 17)) {
		p = s + 17;
		u->sentinel = true;
		u->port = 26379;
	} else {
		return fail(why, whylen, "not a redis:// or redis+sentinel:// URL");
	}
	slash = strchrnul(p, '/');
	/* userinfo: the last '@' before the path (a password may hold '@'). */
	at = memrchr(p, '@', (size_t)(slash - p));
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (!colon)
			return fail(why, whylen, "user info without ':' (write :password@)");
		if (!take_pct(u->user, sizeof(u->user), p, colon) ||
		    !take_pct(u->password, sizeof(u->password), colon + 1, at))
			return fail(why, whylen, "user or password too long");
		p = at + 1;
	}
	/* host[:port] */
	if (*p == '[') {
		hs = p + 1;
		he = memchr(hs, ']', (size_t)(slash - hs));
		if (!he)
			return fail(why, whylen, "'[' without ']' around the IPv6 address");
		p = he + 1;
	} else {
		hs = p;
		he = memchr(p, ':', (size_t)(slash - p));
		if (!he)
			he = slash;
		p = he;
	}
	if (he == hs || !take(u->host, sizeof(u->host), hs, he))
		return fail(why, whylen, "no host, or host too long");
	if (p < slash) {
		char port[12];

		if (*p != ':' || !take(port, sizeof(port), p + 1, slash) ||
		    wg_cfgval_uint(port, 1, 65535, &v))
			return fail(why, whylen, "port is not 1..65535");
		u->port = (uint16_t)v;
	}
	/* path: [/master]/db */
	p = *slash ? slash + 1 : slash;
	if (u->sentinel) {
		const char *e = strchrnul(p, '/');

		if (e == p || !take(u->master, sizeof(u->master), p, e))
			return fail(why, whylen, "sentinel URL without a master name (…/master/db)");
		p = *e ? e + 1 : e;
	}
	if (*p) {
		if (wg_cfgval_uint(p, 0, 1u << 20, &v))
			return fail(why, whylen, "database is not a number");
		u->db = (unsigned int)v;
	}
	return 0;
}

void wg_redis_url_redact(const char *s, char *out, size_t len)
{
	const char *scheme = strstr(s, "://");
	const char *start = scheme ? scheme + 3 : s;
	const char *slash = strchrnul(start, '/');
	const char *at = memrchr(start, '@', (size_t)(slash - start));
	const char *colon = at ? memchr(start, ':', (size_t)(at - start)) : NULL;

	if (!colon) {
		snprintf(out, len, "%s", s);
		return;
	}
	snprintf(out, len, "%.*s:****%s", (int)(colon - s), s, at);
}
