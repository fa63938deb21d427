/* Address, prefix and endpoint parsing, masking and printing: the edge
 * cases configuration files and the signaling store will throw at them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/net/addr.h"

struct prefix_case {
	const char *in;
	bool strict;
	int ret;
	const char *out;	/* wg_prefix_str of the result */
};

static const struct prefix_case prefix_cases[] = {
	{ "10.0.0.0/8", true, 0, "10.0.0.0/8" },
	{ "10.1.2.3", true, 0, "10.1.2.3/32" },
	{ "10.1.2.3/32", true, 0, "10.1.2.3/32" },
	{ "0.0.0.0/0", true, 0, "0.0.0.0/0" },
	{ "10.1.2.3/8", false, 0, "10.0.0.0/8" },	/* host bits cleared */
	{ "10.1.2.3/8", true, -EINVAL, NULL },	/* ... or refused */
	{ "255.255.255.255/1", false, 0, "128.0.0.0/1" },
	{ "255.255.255.255/31", false, 0, "255.255.255.254/31" },
	{ "1.2.3.4/0", false, 0, "0.0.0.0/0" },
	{ "10.0.0.0/024", true, 0, "10.0.0.0/24" },
	{ "10.0.0.0/33", false, -EINVAL, NULL },
	{ "10.0.0.0/", false, -EINVAL, NULL },
	{ "10.0.0.0/-1", false, -EINVAL, NULL },
	{ "10.0.0.0/+8", false, -EINVAL, NULL },
	{ "10.0.0.0/ 8", false, -EINVAL, NULL },
	{ "10.0.0.0/8 ", false, -EINVAL, NULL },
	{ "10.0.0.0/8/8", false, -EINVAL, NULL },
	{ "10.0.0.0/99999999999999999999999", false, -EINVAL, NULL },
	{ "/8", false, -EINVAL, NULL },
	{ "", false, -EINVAL, NULL },
	{ "10.0.0/8", false, -EINVAL, NULL },
	{ "10.0.0.256/32", false, -EINVAL, NULL },
	{ "010.0.0.1", false, -EINVAL, NULL },	/* no octal surprises */
	{ " 10.0.0.1", false, -EINVAL, NULL },
	{ "fd00:2021:1111::/107", true, 0, "fd00:2021:1111::/107" },
	{ "fd00:2021:1111::2", true, 0, "fd00:2021:1111::2/128" },
	{ "::/0", true, 0, "::/0" },
	{ "::1/128", true, 0, "::1/128" },
	{ "::1/127", true, -EINVAL, NULL },
	{ "::1/127", false, 0, "::/127" },
	{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff/65", false, 0, "2001:db8:ffff:ffff:8000::/65" },
	{ "2001:db8::ff/121", false, 0, "2001:db8::80/121" },
	{ "::ffff:10.1.2.3/120", false, 0, "::ffff:10.1.2.0/120" },
	{ "::/129", false, -EINVAL, NULL },
	{ "fe80::1%eth0/64", false, -EINVAL, NULL },
	{ "[::1]/128", false, -EINVAL, NULL },
	{ "2001:db8::/32x", false, -EINVAL, NULL },
	{ "1:2:3:4:5:6:7:8:9/128", false, -EINVAL, NULL },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0000/0", false, -EINVAL, NULL },	/* too long */
};

static void test_prefix_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(prefix_cases) / sizeof(prefix_cases[0]); i++) {
		const struct prefix_case *c = &prefix_cases[i];
		struct wg_prefix p;
		char buf[WG_PREFIX_STRLEN];

		memset(&p, 0x5a, sizeof(p));
		int ret = wg_prefix_parse(c->in, c->strict, &p);
		if (ret != c->ret)
			fail_msg("'%s' strict %d: returned %d, want %d", c->in, c->strict, ret, c->ret);
		if (ret) {
			/* Nothing half-parsed is left behind. */
			struct wg_prefix zero;
			memset(&zero, 0, sizeof(zero));
			if (memcmp(&p, &zero, sizeof(p)))
				fail_msg("'%s': output not cleared on error", c->in);
			continue;
		}
		wg_prefix_str(&p, buf, sizeof(buf));
		if (strcmp(buf, c->out))
			fail_msg("'%s': got %s, want %s", c->in, buf, c->out);
		/* The struct is comparable with memcmp: unused bytes are zero. */
		if (p.ip.af == WG_AF_INET4)
			for (int k = 4; k < 16; k++)
				assert_int_equal(p.ip.a[k], 0);
	}
}

struct endpoint_case {
	const char *in;
	int ret;
	const char *ip;
	uint16_t port;
};

static const struct endpoint_case endpoint_cases[] = {
	{ "192.0.2.1:51820", 0, "192.0.2.1", 51820 },
	{ "192.0.2.1:1", 0, "192.0.2.1", 1 },
	{ "192.0.2.1:65535", 0, "192.0.2.1", 65535 },
	{ "192.0.2.1:080", 0, "192.0.2.1", 80 },
	{ "[2001:db8::1]:51820", 0, "2001:db8::1", 51820 },
	{ "[::]:1", 0, "::", 1 },
	{ "[::ffff:192.0.2.1]:53", 0, "::ffff:192.0.2.1", 53 },
	{ "192.0.2.1:0", -EINVAL, NULL, 0 },
	{ "192.0.2.1:65536", -EINVAL, NULL, 0 },
	{ "192.0.2.1:99999999999999999999999", -EINVAL, NULL, 0 },
	{ "192.0.2.1:", -EINVAL, NULL, 0 },
	{ "192.0.2.1", -EINVAL, NULL, 0 },
	{ "192.0.2.1:+80", -EINVAL, NULL, 0 },
	{ "192.0.2.1: 80", -EINVAL, NULL, 0 },
	{ "192.0.2.1:-1", -EINVAL, NULL, 0 },
	{ "192.0.2.1:80 ", -EINVAL, NULL, 0 },
	{ "192.0.2.1:0x50", -EINVAL, NULL, 0 },
	{ "192.0.2.1:80:80", -EINVAL, NULL, 0 },
	{ ":80", -EINVAL, NULL, 0 },
	{ "2001:db8::1:51820", -EINVAL, NULL, 0 },	/* bare IPv6 is ambiguous */
	{ "[2001:db8::1]", -EINVAL, NULL, 0 },
	{ "[2001:db8::1]51820", -EINVAL, NULL, 0 },
	{ "[2001:db8::1:51820", -EINVAL, NULL, 0 },
	{ "[]:80", -EINVAL, NULL, 0 },
	{ "[fe80::1%eth0]:80", -EINVAL, NULL, 0 },
	{ "example.com:80", -EINVAL, NULL, 0 },	/* names are resolved elsewhere */
	{ "[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80", -EINVAL, NULL, 0 },
	{ "", -EINVAL, NULL, 0 },
};

static void test_endpoint_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(endpoint_cases) / sizeof(endpoint_cases[0]); i++) {
		const struct endpoint_case *c = &endpoint_cases[i];
		struct wg_ipaddr ip;
		uint16_t port = 4242;
		char buf[WG_IPADDR_STRLEN];

		memset(&ip, 0x5a, sizeof(ip));
		int ret = wg_endpoint_parse(c->in, &ip, &port);
		if (ret != c->ret)
			fail_msg("'%s': returned %d, want %d", c->in, ret, c->ret);
		if (ret) {
			assert_int_equal(port, 4242);	/* untouched */
			continue;
		}
		wg_ipaddr_str(&ip, buf, sizeof(buf));
		if (strcmp(buf, c->ip) || port != c->port)
			fail_msg("'%s': got %s port %u", c->in, buf, port);
	}
}

static void test_endpoint_error_clears_ip(void **state)
{
	struct wg_ipaddr ip;
	uint16_t port;

	(void)state;
	/* The address parsed but the port did not: no half result. */
	memset(&ip, 0x5a, sizeof(ip));
	assert_int_equal(wg_endpoint_parse("192.0.2.1:0", &ip, &port), -EINVAL);
	assert_int_equal(ip.af, 0);
}

struct mask_case {
	const char *in;
	uint8_t len;
	const char *out;
};

static const struct mask_case mask_cases[] = {
	{ "255.255.255.255", 32, "255.255.255.255" },
	{ "255.255.255.255", 31, "255.255.255.254" },
	{ "255.255.255.255", 25, "255.255.255.128" },
	{ "255.255.255.255", 24, "255.255.255.0" },
	{ "255.255.255.255", 23, "255.255.254.0" },
	{ "255.255.255.255", 9, "255.128.0.0" },
	{ "255.255.255.255", 8, "255.0.0.0" },
	{ "255.255.255.255", 7, "254.0.0.0" },
	{ "255.255.255.255", 1, "128.0.0.0" },
	{ "255.255.255.255", 0, "0.0.0.0" },
	{ "255.255.255.255", 40, "255.255.255.255" },	/* past the width: no change */
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65, "ffff:ffff:ffff:ffff:8000::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 64, "ffff:ffff:ffff:ffff::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 63, "ffff:ffff:ffff:fffe::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 107, "ffff:ffff:ffff:ffff:ffff:ffff:ffe0:0" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1, "8000::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0, "::" },
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 200, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
};

static void test_mask(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(mask_cases) / sizeof(mask_cases[0]); i++) {
		const struct mask_case *c = &mask_cases[i];
		struct wg_ipaddr ip;
		char buf[WG_IPADDR_STRLEN];

		assert_int_equal(wg_ipaddr_parse(c->in, &ip), 0);
		wg_ipaddr_mask(&ip, c->len);
		wg_ipaddr_str(&ip, buf, sizeof(buf));
		if (strcmp(buf, c->out))
			fail_msg("mask %s/%u: got %s, want %s", c->in, c->len, buf, c->out);
	}
}

static void test_contains_and_equal(void **state)
{
	struct wg_prefix p;
	struct wg_ipaddr a, b;

	(void)state;
	assert_int_equal(wg_prefix_parse("10.1.0.0/16", true, &p), 0);
	assert_int_equal(wg_ipaddr_parse("10.1.255.255", &a), 0);
	assert_true(wg_prefix_contains(&p, &a));
	assert_int_equal(wg_ipaddr_parse("10.2.0.0", &a), 0);
	assert_false(wg_prefix_contains(&p, &a));
	/* Same leading bytes, other family. */
	assert_int_equal(wg_ipaddr_parse("a01::", &a), 0);
	assert_false(wg_prefix_contains(&p, &a));
	assert_int_equal(wg_prefix_parse("::/0", true, &p), 0);
	assert_true(wg_prefix_contains(&p, &a));
	assert_int_equal(wg_ipaddr_parse("10.1.2.3", &b), 0);
	assert_false(wg_prefix_contains(&p, &b));

	assert_int_equal(wg_ipaddr_parse("10.1.2.3", &a), 0);
	assert_true(wg_ipaddr_equal(&a, &b));
	assert_int_equal(wg_ipaddr_parse("::ffff:10.1.2.3", &a), 0);
	assert_false(wg_ipaddr_equal(&a, &b));	/* mapped v6 is not v4 */
	wg_ipaddr_from_v4(&a, (const uint8_t[]){ 10, 1, 2, 3 });
	assert_true(wg_ipaddr_equal(&a, &b));
	assert_int_equal(memcmp(&a, &b, sizeof(a)), 0);
}

static void test_str(void **state)
{
	struct wg_ipaddr ip = { 0 };
	struct wg_prefix p;
	char small[8], buf[WG_PREFIX_STRLEN];

	(void)state;
	wg_ipaddr_str(&ip, buf, sizeof(buf));
	assert_string_equal(buf, "-");	/* unset */
	assert_int_equal(wg_ipaddr_parse("2001:db8::1", &ip), 0);
	wg_ipaddr_str(&ip, small, sizeof(small));
	assert_string_equal(small, "-");	/* too small: a marker, never a cut address */
	/* The longest forms fit the advertised buffer sizes. */
	assert_int_equal(wg_prefix_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128", false, &p), 0);
	wg_prefix_str(&p, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_int_equal(wg_prefix_parse("::ffff:255.255.255.255/128", false, &p), 0);
	wg_prefix_str(&p, buf, sizeof(buf));
	assert_string_equal(buf, "::ffff:255.255.255.255/128");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_endpoint_error_clears_ip),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_contains_and_equal),
		cmocka_unit_test(test_str),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
