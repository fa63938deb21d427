/* Finding the transport header: IPv4 with options and fragments, IPv6
 * extension chains (hop-by-hop, destination options, routing, AH, fragment
 * first and later), and chains or lengths that run past the packet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/net/ip_walk.h"

static size_t v4(uint8_t *p, unsigned int ihl_words, uint16_t frag, uint8_t proto,
		 size_t payload)
{
	size_t tot = ihl_words * 4 + payload;

	memset(p, 0, tot);
	p[0] = (uint8_t)(0x40 | ihl_words);
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[9] = proto;
	return tot;
}

static void ipv4_cases(void **state)
{
	uint8_t p[128];
	struct wg_ip_l4 l4;
	size_t n;

	(void)state;
	n = v4(p, 5, 0x4000 /* DF */, 6, 20);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.proto, 6);
	assert_int_equal(l4.off, 20);
	assert_int_equal(l4.tot, 40);
	assert_int_equal(l4.frag, WG_IP_NOT_FRAGMENT);
	n = v4(p, 8, 0, 17, 8);		/* 12 bytes of options */
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.off, 32);
	n = v4(p, 5, 0x2000 /* MF, offset 0 */, 17, 8);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.frag, WG_IP_FIRST_FRAGMENT);
	n = v4(p, 5, 0x0003 /* offset 24, last */, 17, 8);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.frag, WG_IP_LATER_FRAGMENT);
	n = v4(p, 5, 0, 6, 20);
	assert_int_equal(wg_ip_l4_find(p, n - 1, &l4), -EINVAL);	/* total > len */
	n = v4(p, 4, 0, 6, 20);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), -EINVAL);	/* ihl < 5 */
	p[0] = 0x55;
	assert_int_equal(wg_ip_l4_find(p, n, &l4), -EINVAL);	/* version 5 */
	assert_int_equal(wg_ip_l4_find(p, 0, &l4), -EINVAL);
}

/* An IPv6 header whose payload is the chain given as (next header, bytes)
 * pairs, each extension header filled in with its length field. */
static size_t v6(uint8_t *p, uint8_t first, const uint8_t (*chain)[2], int n_ext,
		 size_t upper)
{
	size_t off = 40;

	memset(p, 0, 256);
	p[0] = 0x60;
	p[6] = first;
	for (int i = 0; i < n_ext; i++) {
		uint8_t this_nh = i ? chain[i - 1][0] : first;
		size_t len = chain[i][1];
		p[off] = chain[i][0];
		p[off + 1] = (uint8_t)(this_nh == 51 ? len / 4 - 2 : this_nh == 44 ? 0 : len / 8 - 1);
		off += len;
	}
	off += upper;
	p[4] = (uint8_t)((off - 40) >> 8);
	p[5] = (uint8_t)(off - 40);
	return off;
}

static void ipv6_cases(void **state)
{
	uint8_t p[256];
	struct wg_ip_l4 l4;
	size_t n;

	(void)state;
	n = v6(p, 6, NULL, 0, 20);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.proto, 6);
	assert_int_equal(l4.off, 40);
	assert_int_equal(l4.tot, 60);

	/* hop-by-hop (8) -> dest options (16) -> routing (24) -> AH (24) -> TCP */
	const uint8_t chain[][2] = { { 60, 8 }, { 43, 16 }, { 51, 24 }, { 6, 24 } };
	n = v6(p, 0, chain, 4, 20);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.proto, 6);
	assert_int_equal(l4.off, 40 + 8 + 16 + 24 + 24);
	assert_int_equal(l4.frag, WG_IP_NOT_FRAGMENT);

	/* fragment header, offset 0: transport header follows it */
	const uint8_t frag[][2] = { { 17, 8 } };
	n = v6(p, 44, frag, 1, 8);
	p[40 + 3] = 1;	/* M flag */
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.frag, WG_IP_FIRST_FRAGMENT);
	assert_int_equal(l4.proto, 17);
	assert_int_equal(l4.off, 48);
	/* ... offset 8: later fragment, whatever its bytes look like */
	p[40 + 3] = 8;
	assert_int_equal(wg_ip_l4_find(p, n, &l4), 0);
	assert_int_equal(l4.frag, WG_IP_LATER_FRAGMENT);

	/* a chain that claims more than the packet holds */
	const uint8_t long_chain[][2] = { { 6, 8 } };
	n = v6(p, 0, long_chain, 1, 0);
	p[41] = 200;	/* hop-by-hop of 1608 bytes */
	assert_int_equal(wg_ip_l4_find(p, n, &l4), -EINVAL);
	/* truncated: the extension header's first two bytes are missing */
	n = v6(p, 0, NULL, 0, 0);
	assert_int_equal(wg_ip_l4_find(p, n, &l4), -EINVAL);
	/* payload length past the buffer */
	n = v6(p, 6, NULL, 0, 20);
	assert_int_equal(wg_ip_l4_find(p, n - 1, &l4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_cases),
		cmocka_unit_test(ipv6_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
