/* The resolver's cache (lib/dns/cache.c) and WGATE_DNS_SERVERS parsing
 * (lib/dns/servers.c): name normalisation, A and AAAA kept apart, TTL
 * clamping, negative answers, failures keeping the old addresses, the
 * refresh/drop decision on a compressed clock, the size bound, change
 * detection, and the server list's good and bad forms. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/dns/cache.h"
#include "lib/dns/servers.h"

#define S WG_DNS_NS

static struct wg_ipaddr ip(const char *s)
{
	struct wg_ipaddr a;
	assert_int_equal(wg_ipaddr_parse(s, &a), 0);
	return a;
}

static void names(void **state)
{
	char out[WG_DNS_NAME_LEN], long_label[80], long_name[300];

	(void)state;
	assert_int_equal(wg_dns_name_norm("App.Corp.TEST.", out), 0);
	assert_string_equal(out, "app.corp.test");
	assert_int_equal(wg_dns_name_norm("_srv-1.x", out), 0);
	assert_int_equal(wg_dns_name_norm("", out), -EINVAL);
	assert_int_equal(wg_dns_name_norm(".", out), -EINVAL);
	assert_int_equal(wg_dns_name_norm("a..b", out), -EINVAL);
	assert_int_equal(wg_dns_name_norm(".a", out), -EINVAL);
	assert_int_equal(wg_dns_name_norm("a..", out), -EINVAL);	/* empty last label */
	assert_int_equal(wg_dns_name_norm("a b", out), -EINVAL);
	assert_int_equal(wg_dns_name_norm("*.a", out), -EINVAL);
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_int_equal(wg_dns_name_norm(long_label, out), -EINVAL);
	long_label[63] = '\0';
	assert_int_equal(wg_dns_name_norm(long_label, out), 0);
	for (int i = 0; i < 254; i++)
		long_name[i] = (i % 10 == 9) ? '.' : 'b';
	long_name[254] = '\0';
	assert_int_equal(wg_dns_name_norm(long_name, out), -EINVAL);
	long_name[253] = '\0';
	assert_int_equal(wg_dns_name_norm(long_name, out), 0);
}

static void families_apart_and_bounded(void **state)
{
	struct wg_dns_cache *c = wg_dns_cache_create(3);
	int err = 0;

	(void)state;
	struct wg_dns_entry *a = wg_dns_cache_get(c, "App.corp.test", WG_AF_INET4, &err);
	struct wg_dns_entry *aaaa = wg_dns_cache_get(c, "app.corp.test.", WG_AF_INET6, &err);
	assert_non_null(a);
	assert_non_null(aaaa);
	assert_ptr_not_equal(a, aaaa);
	assert_ptr_equal(wg_dns_cache_get(c, "APP.corp.test", WG_AF_INET4, NULL), a);
	assert_ptr_equal(wg_dns_cache_find(c, "app.corp.test", WG_AF_INET6), aaaa);
	assert_null(wg_dns_cache_find(c, "other.test", WG_AF_INET6));
	assert_int_equal(a->status, WG_DNS_NONE);
	assert_false(wg_dns_entry_fresh(a, 0));
	assert_null(wg_dns_cache_get(c, "bad name", WG_AF_INET4, &err));
	assert_int_equal(err, -EINVAL);
	assert_null(wg_dns_cache_get(c, "x.test", 5, &err));
	assert_int_equal(err, -EINVAL);
	assert_non_null(wg_dns_cache_get(c, "third.test", WG_AF_INET4, &err));
	assert_null(wg_dns_cache_get(c, "fourth.test", WG_AF_INET4, &err));
	assert_int_equal(err, -ENOSPC);
	assert_int_equal(wg_dns_cache_count(c), 3);
	wg_dns_cache_remove(c, a);
	assert_int_equal(wg_dns_cache_count(c), 2);
	assert_null(wg_dns_cache_find(c, "app.corp.test", WG_AF_INET4));
	assert_non_null(wg_dns_cache_get(c, "fourth.test", WG_AF_INET4, &err));
	size_t seen = 0;
	for (struct wg_dns_entry *e = wg_dns_cache_first(c); e; e = wg_dns_cache_next(e))
		seen++;
	assert_int_equal(seen, 3);
	wg_dns_cache_free(c);
}

static void answers_and_ttls(void **state)
{
	struct wg_dns_cache *c = wg_dns_cache_create(10);
	struct wg_dns_entry *e = wg_dns_cache_get(c, "app.corp.test", WG_AF_INET4, NULL);
	struct wg_ipaddr v[3] = { ip("10.0.0.5"), ip("fd00::1"), ip("10.0.0.6") };
	uint64_t t0 = 1000 * S;

	(void)state;
	e->pending = true;
	assert_int_equal(wg_dns_entry_due(e, t0), WG_DNS_KEEP);
	/* the IPv6 address in an A answer is not kept */
	assert_true(wg_dns_entry_answer(e, WG_DNS_OK, v, 3, 5, t0));
	assert_false(e->pending);
	assert_int_equal(e->status, WG_DNS_OK);
	assert_int_equal(e->n, 2);
	assert_int_equal(e->ttl, 5);
	assert_true(wg_dns_entry_fresh(e, t0 + 5 * S - 1));
	assert_false(wg_dns_entry_fresh(e, t0 + 5 * S));
	uint64_t ch = e->changes;
	/* same set, other order: not a change */
	struct wg_ipaddr w[2] = { ip("10.0.0.6"), ip("10.0.0.5") };
	assert_false(wg_dns_entry_answer(e, WG_DNS_OK, w, 2, 7, t0 + 5 * S));
	assert_int_equal(e->changes, ch);
	assert_int_equal(e->expires_ns, t0 + 12 * S);
	/* TTL 0 is held 1 s, a huge one a day */
	assert_true(wg_dns_entry_answer(e, WG_DNS_OK, &v[0], 1, 0, t0));
	assert_int_equal(e->ttl, WG_DNS_TTL_MIN);
	assert_int_equal(e->changes, ch + 1);
	wg_dns_entry_answer(e, WG_DNS_OK, &v[0], 1, 10u * 86400, t0);
	assert_int_equal(e->ttl, WG_DNS_TTL_MAX);
	/* a failure keeps the addresses and asks again in WG_DNS_RETRY */
	assert_false(wg_dns_entry_answer(e, WG_DNS_FAILED, NULL, 0, 0, t0 + 100 * S));
	assert_int_equal(e->status, WG_DNS_OK);
	assert_int_equal(e->n, 1);
	assert_int_equal(e->expires_ns, (t0 + 100 * S) + WG_DNS_RETRY * S);
	/* NXDOMAIN: empty, held WG_DNS_NEG_TTL */
	assert_true(wg_dns_entry_answer(e, WG_DNS_EMPTY, NULL, 0, 300, t0 + 200 * S));
	assert_int_equal(e->status, WG_DNS_EMPTY);
	assert_int_equal(e->n, 0);
	assert_int_equal(e->expires_ns, t0 + 200 * S + WG_DNS_NEG_TTL * S);
	/* OK with nothing of the family is empty too */
	assert_false(wg_dns_entry_answer(e, WG_DNS_OK, &v[1], 1, 300, t0 + 300 * S));
	assert_int_equal(e->status, WG_DNS_EMPTY);
	/* a failure before any answer is FAILED, with nothing */
	struct wg_dns_entry *f = wg_dns_cache_get(c, "down.test", WG_AF_INET6, NULL);
	wg_dns_entry_answer(f, WG_DNS_FAILED, NULL, 0, 0, t0);
	assert_int_equal(f->status, WG_DNS_FAILED);
	assert_int_equal(f->n, 0);
	/* more than WG_DNS_MAX_ADDRS: cut */
	struct wg_ipaddr many[WG_DNS_MAX_ADDRS + 4];
	for (int i = 0; i < WG_DNS_MAX_ADDRS + 4; i++) {
		many[i] = ip("fd00::1");
		many[i].a[15] = (uint8_t)i;
	}
	wg_dns_entry_answer(f, WG_DNS_OK, many, WG_DNS_MAX_ADDRS + 4, 60, t0);
	assert_int_equal(f->n, WG_DNS_MAX_ADDRS);
	wg_dns_cache_free(c);
}

/* In use = pinned, or read since the last answer: refreshed at expiry and
 * not before; idle: dropped at expiry. */
static void refresh_or_drop(void **state)
{
	struct wg_dns_cache *c = wg_dns_cache_create(10);
	struct wg_dns_entry *e = wg_dns_cache_get(c, "app.corp.test", WG_AF_INET4, NULL);
	struct wg_ipaddr a = ip("10.0.0.5");
	uint64_t t0 = 50 * S;

	(void)state;
	wg_dns_entry_touch(e, t0);	/* asked for */
	e->pending = true;
	wg_dns_entry_answer(e, WG_DNS_OK, &a, 1, 5, t0 + S / 10);
	/* read only before the answer: idle */
	assert_int_equal(wg_dns_entry_due(e, t0 + 4 * S), WG_DNS_KEEP);
	assert_int_equal(wg_dns_entry_due(e, t0 + 6 * S), WG_DNS_DROP);
	/* read after it: refreshed at expiry, not a tick before */
	wg_dns_entry_touch(e, t0 + 2 * S);
	assert_int_equal(wg_dns_entry_due(e, t0 + S / 10 + 5 * S - 1), WG_DNS_KEEP);
	assert_int_equal(wg_dns_entry_due(e, t0 + S / 10 + 5 * S), WG_DNS_REFRESH);
	e->pending = true;
	assert_int_equal(wg_dns_entry_due(e, t0 + 7 * S), WG_DNS_KEEP);
	wg_dns_entry_answer(e, WG_DNS_OK, &a, 1, 5, t0 + 7 * S);
	/* not read during this TTL, but pinned: refreshed */
	e->pins = 1;
	assert_int_equal(wg_dns_entry_due(e, t0 + 13 * S), WG_DNS_REFRESH);
	e->pins = 0;
	assert_int_equal(wg_dns_entry_due(e, t0 + 13 * S), WG_DNS_DROP);
	wg_dns_cache_free(c);
}

static void servers(void **state)
{
	struct wg_dns_server sv[WG_DNS_MAX_SERVERS];
	char why[200], ipbuf[WG_IPADDR_STRLEN];
	size_t n = 99;

	(void)state;
	assert_int_equal(wg_dns_servers_parse("", sv, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 0);
	assert_int_equal(wg_dns_servers_parse(" 10.0.0.53, 127.0.0.1:5353 [fd00::53]:54,::1",
					      sv, &n, why, sizeof(why)), 0);
	assert_int_equal(n, 4);
	wg_ipaddr_str(&sv[0].ip, ipbuf, sizeof(ipbuf));
	assert_string_equal(ipbuf, "10.0.0.53");
	assert_int_equal(sv[0].port, 53);
	assert_int_equal(sv[1].port, 5353);
	assert_int_equal(sv[2].ip.af, WG_AF_INET6);
	assert_int_equal(sv[2].port, 54);
	assert_int_equal(sv[3].port, 53);
	assert_int_equal(wg_dns_servers_parse("10.0.0.1,dns.example", sv, &n, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "'dns.example' is not an IP address, IP:port or [IPv6]:port");
	assert_int_equal(wg_dns_servers_parse("10.0.0.1:0", sv, &n, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_dns_servers_parse("10.0.0.1:70000", sv, &n, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_dns_servers_parse("fd00::1:53x", sv, &n, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_dns_servers_parse("1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "
					      "1.1.1.7 1.1.1.8 1.1.1.9", sv, &n, why, sizeof(why)),
			 -EINVAL);
	assert_string_equal(why, "more than 8 servers");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(families_apart_and_bounded),
		cmocka_unit_test(answers_and_ttls),
		cmocka_unit_test(refresh_or_drop),
		cmocka_unit_test(servers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
