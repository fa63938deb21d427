/* lib/net/tcp_seg: segments read from packets written by an independent
 * generator (tests/common/pkt_vectors.h: Python one-off, checked with
 * tcpdump -vvv), the ways a segment is refused, and built segments checked
 * field by field and with a textbook RFC 1071 routine written here, so a
 * checksum bug cannot hide behind a matching one in lib/. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/net/tcp_seg.h"
#include "tests/common/pkt_vectors.h"

/* Every checksum of a built packet verifies to 0. */
static void assert_checksums(const uint8_t *p, size_t n)
{
	uint32_t pseudo = 0;
	size_t hl = p[0] >> 4 == 4 ? 20 : 40;

	if (hl == 20) {
		assert_int_equal(p[2] * 256 + p[3], n);
		assert_int_equal(rfc1071(p, 20, 0), 0);
		assert_int_equal(p[9], 6);
		for (int i = 12; i < 20; i += 2)
			pseudo += (uint32_t)p[i] * 256 + p[i + 1];
	} else {
		assert_int_equal(p[4] * 256 + p[5], n - 40);
		assert_int_equal(p[6], 6);
		for (int i = 8; i < 40; i += 2)
			pseudo += (uint32_t)p[i] * 256 + p[i + 1];
	}
	pseudo += (uint32_t)(n - hl) + 6;
	assert_int_equal(rfc1071(p + hl, n - hl, pseudo), 0);
}

static void parse_v4_syn(void **state)
{
	struct wg_tcp_seg s;
	char a[WG_IPADDR_STRLEN];

	(void)state;
	assert_int_equal(wg_tcp_parse(pkt_v4_syn, sizeof(pkt_v4_syn), &s), 0);
	wg_ipaddr_str(&s.src, a, sizeof(a));
	assert_string_equal(a, "100.64.0.2");
	wg_ipaddr_str(&s.dst, a, sizeof(a));
	assert_string_equal(a, "10.0.0.5");
	assert_int_equal(s.sport, 51000);
	assert_int_equal(s.dport, 443);
	assert_int_equal(s.seq, 0x11223344);
	assert_int_equal(s.flags, WG_TCP_SYN);
	assert_int_equal(s.win, 0xfaf0);
	assert_int_equal(s.mss, 1380);	/* found among SACK, TS, NOP, WS */
	assert_int_equal(s.len, 0);
}

static void parse_v6_syn(void **state)
{
	struct wg_tcp_seg s;

	(void)state;
	assert_int_equal(wg_tcp_parse(pkt_v6_syn, sizeof(pkt_v6_syn), &s), 0);
	assert_int_equal(s.src.af, WG_AF_INET6);
	assert_int_equal(s.seq, 0x55667788);
	assert_int_equal(s.mss, 0);
	assert_int_equal(s.dport, 443);
}

static void refused(void **state)
{
	uint8_t p[60];
	struct wg_tcp_seg s;

	(void)state;
	memcpy(p, pkt_v4_syn, sizeof(p));
	p[55] ^= 1;		/* payload-side bit: TCP checksum wrong */
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EBADMSG);
	memcpy(p, pkt_v4_syn, sizeof(p));
	p[10] ^= 1;		/* IPv4 header checksum wrong */
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EBADMSG);
	memcpy(p, pkt_v6_syn, sizeof(p));
	p[59] ^= 1;
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EBADMSG);
	/* short, total length past the end, data offset past the end */
	assert_int_equal(wg_tcp_parse(pkt_v4_syn, 39, &s), -EINVAL);
	assert_int_equal(wg_tcp_parse(pkt_v6_syn, 59, &s), -EINVAL);
	memcpy(p, pkt_v6_syn, sizeof(p));
	p[52] = 0xf0;		/* 60-byte TCP header in a 20-byte segment */
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EINVAL);
	/* not TCP */
	memcpy(p, pkt_v6_syn, sizeof(p));
	p[6] = 17;
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EPROTO);
	/* an option whose length runs past the header (the MSS value's low
	 * byte lowered by as much: the checksum still holds) */
	memcpy(p, pkt_v4_syn, sizeof(p));
	p[41] = 40;
	p[43] -= 36;
	assert_int_equal(wg_tcp_parse(p, sizeof(p), &s), -EINVAL);
}

static void build_v4_data(void **state)
{
	static const uint8_t data[] = "\x00\x05hello";
	struct wg_tcp_seg s = { .sport = 53, .dport = 40000, .seq = 0xfffffff0,
				.ack = 7, .flags = WG_TCP_ACK | WG_TCP_PSH, .win = 2048,
				.data = data, .len = 7 }, r;
	uint8_t out[128];
	size_t n;

	(void)state;
	wg_ipaddr_parse("100.64.0.1", &s.src);
	wg_ipaddr_parse("100.64.0.2", &s.dst);
	n = wg_tcp_build(out, sizeof(out), &s);
	assert_int_equal(n, 20 + 20 + 7);
	assert_checksums(out, n);
	assert_int_equal(out[6], 0x40);		/* DF */
	assert_int_equal(out[8], 64);
	assert_int_equal(out[32], 0x50);	/* data offset 5 words */
	assert_int_equal(out[33], 0x18);
	assert_memory_equal(out + 24, "\xff\xff\xff\xf0\x00\x00\x00\x07", 8);
	assert_memory_equal(out + 40, data, 7);
	assert_int_equal(wg_tcp_parse(out, n, &r), 0);
	assert_int_equal(r.seq, s.seq);
	assert_int_equal(r.ack, 7);
	assert_int_equal(r.win, 2048);
	assert_int_equal(r.len, 7);
	assert_true(wg_ipaddr_equal(&r.src, &s.src));
	/* too small a buffer */
	assert_int_equal(wg_tcp_build(out, n - 1, &s), 0);
}

static void build_v6_synack_odd(void **state)
{
	static const uint8_t data[] = "abc";	/* odd length: padded in the sum */
	struct wg_tcp_seg s = { .sport = 53, .dport = 51000, .seq = 1, .ack = 0x55667789,
				.flags = WG_TCP_SYN | WG_TCP_ACK, .win = 2048, .mss = 1360 }, r;
	uint8_t out[128];
	size_t n;

	(void)state;
	wg_ipaddr_parse("fd00::1", &s.src);
	wg_ipaddr_parse("fd00::2", &s.dst);
	n = wg_tcp_build(out, sizeof(out), &s);
	assert_int_equal(n, 40 + 24);
	assert_checksums(out, n);
	assert_memory_equal(out + 60, "\x02\x04\x05\x50", 4);
	assert_int_equal(wg_tcp_parse(out, n, &r), 0);
	assert_int_equal(r.mss, 1360);
	s.flags = WG_TCP_ACK;
	s.mss = 0;
	s.data = data;
	s.len = 3;
	n = wg_tcp_build(out, sizeof(out), &s);
	assert_int_equal(n, 40 + 20 + 3);
	assert_checksums(out, n);
	assert_int_equal(wg_tcp_parse(out, n, &r), 0);
	assert_int_equal(r.mss, 0);	/* only read from a SYN */
	assert_memory_equal(r.data, "abc", 3);
}

static void seq_compare(void **state)
{
	(void)state;
	assert_true(wg_seq_lt(0xfffffff0u, 5));	/* across the wrap */
	assert_false(wg_seq_lt(5, 0xfffffff0u));
	assert_true(wg_seq_le(7, 7));
	assert_false(wg_seq_lt(7, 7));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_v4_syn),
		cmocka_unit_test(parse_v6_syn),
		cmocka_unit_test(refused),
		cmocka_unit_test(build_v4_data),
		cmocka_unit_test(build_v6_synack_odd),
		cmocka_unit_test(seq_compare),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
