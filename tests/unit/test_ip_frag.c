/* Unit tests for lib/net/ip_frag: fragments put back together give the
 * original packet; each fits the MTU, carries a valid checksum, offsets in
 * 8-byte units, MF on all but the last; options: all in the first, only the
 * copied ones after; DF, bad headers and too many pieces refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/net/cksum.h"
#include "lib/net/ip_frag.h"

static size_t packet(uint8_t *p, size_t len, const uint8_t *opt, size_t opt_len, uint16_t frag)
{
	size_t ihl = 20 + opt_len;

	memset(p, 0, ihl);
	p[0] = (uint8_t)(0x40 | ihl / 4);
	wg_wr16(p + 2, (uint16_t)len);
	wg_wr16(p + 4, 0x1234);
	wg_wr16(p + 6, frag);
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, "\xc6\x33\x64\x02\x64\x40\x00\x02", 8);
	if (opt_len)
		memcpy(p + 20, opt, opt_len);
	for (size_t i = ihl; i < len; i++)
		p[i] = (uint8_t)(i * 7);
	wg_wr16(p + 10, wg_cksum_fold(wg_sum16(p, ihl, 0)));
	return ihl;
}

/* Checks every fragment and puts the payload back together. */
static void reassemble(const uint8_t *orig, size_t len, size_t ihl, const struct wg_frag *f,
		       size_t n, uint32_t mtu, uint16_t base, bool last_mf)
{
	uint8_t got[9000] = { 0 };
	size_t covered = 0;

	for (size_t i = 0; i < n; i++) {
		uint16_t fr = wg_rd16(f[i].hdr + 6);

		assert_true(f[i].hdr_len + f[i].len <= mtu);
		assert_int_equal(wg_rd16(f[i].hdr + 2), f[i].hdr_len + f[i].len);
		assert_int_equal((f[i].hdr[0] & 0xf) * 4, f[i].hdr_len);
		assert_int_equal(wg_cksum_fold(wg_sum16(f[i].hdr, f[i].hdr_len, 0)), 0);
		assert_int_equal(wg_rd16(f[i].hdr + 4), 0x1234);	/* same id */
		assert_memory_equal(f[i].hdr + 12, orig + 12, 8);	/* same addresses */
		assert_int_equal((fr & 0x1fff) * 8, base * 8 + f[i].off - ihl);
		assert_int_equal(!!(fr & 0x2000), i + 1 < n ? 1 : last_mf);
		assert_false(fr & 0x4000);
		if (i + 1 < n)
			assert_int_equal(f[i].len % 8, 0);
		memcpy(got + f[i].off, orig + f[i].off, f[i].len);
		assert_int_equal(f[i].off, i ? f[i - 1].off + f[i - 1].len : ihl);
		covered += f[i].len;
	}
	assert_int_equal(covered, len - ihl);
	assert_memory_equal(got + ihl, orig + ihl, len - ihl);
}

static void splits_and_reassembles(void **state)
{
	static const size_t lens[] = { 1421, 1500, 2000, 2848, 4000, 8999 };
	static const uint32_t mtus[] = { 1420, 1280, 576 };
	uint8_t p[9000];
	struct wg_frag f[WG_FRAG_MAX];

	(void)state;
	for (size_t m = 0; m < 3; m++)
		for (size_t l = 0; l < 6; l++) {
			size_t ihl = packet(p, lens[l], NULL, 0, 0);
			size_t n = wg_ipv4_fragment(p, lens[l], mtus[m], f, WG_FRAG_MAX);
			size_t want = (lens[l] - 20 + ((mtus[m] - 20) & ~7u) - 1) /
				      ((mtus[m] - 20) & ~7u);

			if (want > WG_FRAG_MAX) {
				assert_int_equal(n, 0);
				continue;
			}
			assert_int_equal(n, want);
			reassemble(p, lens[l], ihl, f, n, mtus[m], 0, false);
		}
}

static void fragment_of_fragment(void **state)
{
	uint8_t p[3000];
	struct wg_frag f[WG_FRAG_MAX];

	(void)state;
	/* Offset 100 (800 bytes) with MF: the pieces continue from there and
	 * the last keeps MF. */
	packet(p, 3000, NULL, 0, 0x2000 | 100);
	size_t n = wg_ipv4_fragment(p, 3000, 1420, f, WG_FRAG_MAX);
	assert_int_equal(n, 3);
	reassemble(p, 3000, 20, f, n, 1420, 100, true);
	/* The last piece of a datagram: MF stays clear. */
	packet(p, 3000, NULL, 0, 100);
	n = wg_ipv4_fragment(p, 3000, 1420, f, WG_FRAG_MAX);
	reassemble(p, 3000, 20, f, n, 1420, 100, false);
}

static void options(void **state)
{
	/* Record route (7, not copied), NOP, security-like copied option
	 * (0x82, len 4), then EOL padding. */
	static const uint8_t opt[] = { 7, 7, 4, 0, 0, 0, 0, 1, 0x82, 4, 0xaa, 0xbb };
	uint8_t p[2000];
	struct wg_frag f[WG_FRAG_MAX];

	(void)state;
	size_t ihl = packet(p, 2000, opt, sizeof(opt), 0);
	size_t n = wg_ipv4_fragment(p, 2000, 1420, f, WG_FRAG_MAX);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].hdr_len, 32);
	assert_memory_equal(f[0].hdr + 20, opt, sizeof(opt));
	assert_int_equal(f[1].hdr_len, 24);
	assert_memory_equal(f[1].hdr + 20, "\x82\x04\xaa\xbb", 4);
	reassemble(p, 2000, ihl, f, n, 1420, 0, false);

	/* An option whose length runs past the header: refused. */
	static const uint8_t bad[] = { 0x82, 9, 0, 0 };
	packet(p, 2000, bad, sizeof(bad), 0);
	assert_int_equal(wg_ipv4_fragment(p, 2000, 1420, f, WG_FRAG_MAX), 0);
}

static void refusals(void **state)
{
	uint8_t p[3000];
	struct wg_frag f[WG_FRAG_MAX];

	(void)state;
	packet(p, 3000, NULL, 0, 0x4000);
	assert_int_equal(wg_ipv4_fragment(p, 3000, 1420, f, WG_FRAG_MAX), 0);	/* DF */
	packet(p, 1400, NULL, 0, 0);
	assert_int_equal(wg_ipv4_fragment(p, 1400, 1420, f, WG_FRAG_MAX), 0);	/* fits */
	packet(p, 3000, NULL, 0, 0);
	assert_int_equal(wg_ipv4_fragment(p, 2999, 1420, f, WG_FRAG_MAX), 0);	/* length */
	assert_int_equal(wg_ipv4_fragment(p, 3000, 67, f, WG_FRAG_MAX), 0);	/* mtu < 68 */
	assert_int_equal(wg_ipv4_fragment(p, 3000, 1420, f, 2), 0);		/* needs 3 */
	assert_int_equal(wg_ipv4_fragment(p, 3000, 1420, f, 3), 3);
	p[0] = 0x60;
	assert_int_equal(wg_ipv4_fragment(p, 3000, 1420, f, WG_FRAG_MAX), 0);	/* not v4 */
	p[0] = 0x44;
	assert_int_equal(wg_ipv4_fragment(p, 3000, 1420, f, WG_FRAG_MAX), 0);	/* ihl 16 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_and_reassembles),
		cmocka_unit_test(fragment_of_fragment),
		cmocka_unit_test(options),
		cmocka_unit_test(refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
