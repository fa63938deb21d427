#include "lib/otlp/env.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Copies s[0..n) trimmed and percent-decoded into a new string. NULL with
 * *bad set when a '%' is not followed by two hex digits. */
static char *decode(const char *s, size_t n, bool *bad)
{
	char *out, *o;

	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	out = o = malloc(n + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			*o++ = s[i];
			continue;
		}
		if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
			free(out);
			*bad = true;
			return NULL;
		}
		*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
		i += 2;
	}
	*o = '\0';
	return out;
}

void otlp_kvlist_free(struct otlp_kvlist *l)
{
	for (unsigned int i = 0; i < l->n; i++) {
		free(l->key[i]);
		free(l->value[i]);
	}
	l->n = 0;
}

int otlp_kvlist_parse(const char *s, struct otlp_kvlist *out, char *why, size_t whylen)
{
	unsigned int member = 0;

	out->n = 0;
	for (const char *p = s ? s : ""; *p;) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		bool bad = false, blank = true;

		member++;
		for (size_t i = 0; i < len; i++)
			blank = blank && isspace((unsigned char)p[i]);
		if (!blank) {
			char *k = NULL, *v = NULL;

			if (!eq) {
				snprintf(why, whylen, "member %u: expected key=value", member);
				goto bad;
			}
			if (out->n == OTLP_MAX_PAIRS) {
				snprintf(why, whylen, "more than %d members", OTLP_MAX_PAIRS);
				goto bad;
			}
			k = decode(p, (size_t)(eq - p), &bad);
			if (k)
				v = decode(eq + 1, len - (size_t)(eq - p) - 1, &bad);
			if (!k || !v) {
				free(k);
				if (!bad) {
					otlp_kvlist_free(out);
					return -ENOMEM;
				}
				snprintf(why, whylen, "member %u: '%%' must be followed by two"
					 " hex digits", member);
				goto bad;
			}
			if (!*k) {
				free(k);
				free(v);
				snprintf(why, whylen, "member %u: empty key", member);
				goto bad;
			}
			out->key[out->n] = k;
			out->value[out->n++] = v;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
bad:
	otlp_kvlist_free(out);
	return -EINVAL;
}

static bool tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int otlp_headers_parse(const char *s, struct otlp_kvlist *out, char *why, size_t whylen)
{
	int rc = otlp_kvlist_parse(s, out, why, whylen);

	if (rc)
		return rc;
	for (unsigned int i = 0; i < out->n; i++) {
		for (const char *k = out->key[i]; *k; k++) {
			if (!tchar((unsigned char)*k)) {
				snprintf(why, whylen, "header %u: the name is not an HTTP token",
					 i + 1);
				goto bad;
			}
		}
		for (const char *v = out->value[i]; *v; v++) {
			if ((unsigned char)*v < 0x20 || *v == 0x7f) {
				/* Names are not secret; values are. */
				snprintf(why, whylen, "header %.64s: the value holds a control"
					 " character", out->key[i]);
				goto bad;
			}
		}
	}
	return 0;
bad:
	otlp_kvlist_free(out);
	return -EINVAL;
}

int otlp_interval_parse(const char *s, uint64_t *ms, char *why, size_t whylen)
{
	uint64_t v = 0;

	if (!s || !*s) {
		*ms = OTLP_DEFAULT_INTERVAL_MS;
		return 0;
	}
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p) || v > OTLP_MAX_INTERVAL_MS) {
			snprintf(why, whylen, "expected milliseconds (1 to %llu)",
				 (unsigned long long)OTLP_MAX_INTERVAL_MS);
			return -EINVAL;
		}
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v < 1 || v > OTLP_MAX_INTERVAL_MS) {
		snprintf(why, whylen, "expected milliseconds (1 to %llu)",
			 (unsigned long long)OTLP_MAX_INTERVAL_MS);
		return -EINVAL;
	}
	*ms = v;
	return 0;
}

static int check_url(const char *u, char *why, size_t whylen)
{
	const char *host;

	if (!strncmp(u, "http://", 7))
		host = u + 7;
	else if (!strncmp(u, "https://", 8))
		host = u + 8;
	else {
		snprintf(why, whylen, "not an http:// or https:// URL");
		return -EINVAL;
	}
	if (!*host || *host == '/' || *host == ':') {
		snprintf(why, whylen, "the URL has no host");
		return -EINVAL;
	}
	for (const char *p = u; *p; p++) {
		if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
			snprintf(why, whylen, "the URL holds a blank or control character");
			return -EINVAL;
		}
	}
	return 0;
}

int otlp_endpoint(const char *base, const char *specific, const char *path, char *out,
		  size_t outlen, char *why, size_t whylen)
{
	size_t n;
	int rc;

	if (specific && *specific) {
		rc = check_url(specific, why, whylen);
		if (rc)
			return rc;
		n = (size_t)snprintf(out, outlen, "%s", specific);
	} else {
		if (!base || !*base)
			base = OTLP_DEFAULT_ENDPOINT;
		rc = check_url(base, why, whylen);
		if (rc)
			return rc;
		n = strlen(base);
		while (n && base[n - 1] == '/')
			n--;
		n = (size_t)snprintf(out, outlen, "%.*s%s", (int)n, base, path);
	}
	if (n >= outlen) {
		snprintf(why, whylen, "the URL is longer than %zu characters", outlen - 1);
		return -EINVAL;
	}
	return 0;
}

void otlp_url_redact(const char *url, char *out, size_t len)
{
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memrchr(host, '@', (size_t)(end - host));

	if (at)
		snprintf(out, len, "%.*s****%s", (int)(host - url), url, at);
	else
		snprintf(out, len, "%s", url);
}

uint64_t otlp_backoff_ms(unsigned int failures, uint64_t interval_ms)
{
	uint64_t cap = interval_ms < 1000 ? 1000 : interval_ms;
	uint64_t d = 1000;

	for (unsigned int i = 1; i < failures && d < cap; i++)
		d *= 2;
	return d < cap ? d : cap;
}
