/* ICMP errors for refused packets: exact bytes against packets written out by
 * hand (generated once with a Python one-off using struct and ipaddress, not
 * lib/, and cross-checked with tcpdump -vvv, which validated every IP, TCP,
 * UDP and ICMPv6 checksum), then the refusal rules one by one. Every packet
 * the builder emits is also checked with a plain RFC 1071 routine written
 * here, so a checksum bug cannot hide behind a matching one in lib/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/net/icmp_error.h"
#include "tests/common/pkt_vectors.h"

/* ---- vectors (Python one-off; do not regenerate from lib/) ---- */

/* Client 100.64.0.2 / fd00::2, resource 10.0.0.5 / 2001:db8::5.
 * pkt_v4_syn, pkt_v6_syn: tests/common/pkt_vectors.h.
 * pkt_v4_udp: UDP :53000 -> :53, 12-byte payload, DF clear.
 * pkt_v4_opts: ihl 6 (router alert), UDP :40000 -> :9999 "ping".
 * pkt_v4_short: protocol 253 with a 3-byte payload (quote shorter than 8).
 * pkt_v6_udp: UDP "hello". */

static const uint8_t pkt_v4_udp[40] = {
	0x45, 0x00, 0x00, 0x28, 0x01, 0x01, 0x00, 0x00, 0x40, 0x11, 0x0b, 0x7e,
	0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05, 0xcf, 0x08, 0x00, 0x35,
	0x00, 0x14, 0x15, 0x73, 0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00,
};

static const uint8_t pkt_v4_opts[36] = {
	0x46, 0x00, 0x00, 0x24, 0x02, 0x02, 0x00, 0x00, 0x40, 0x11, 0x75, 0x7c,
	0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05, 0x94, 0x04, 0x00, 0x00,
	0x9c, 0x40, 0x27, 0x0f, 0x00, 0x0c, 0xef, 0x6e, 0x70, 0x69, 0x6e, 0x67,
};

static const uint8_t pkt_v4_short[23] = {
	0x45, 0x00, 0x00, 0x17, 0x03, 0x03, 0x00, 0x00, 0x40, 0xfd, 0x08, 0xa1,
	0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05, 0x01, 0x02, 0x03,
};

static const uint8_t pkt_v6_udp[53] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40, 0xfd, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0xcf, 0x09, 0x14, 0xe9, 0x00, 0x0d, 0xad, 0x4e,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

static const uint8_t want_v4_syn_prohibited[56] = {
	0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x14, 0x01, 0x38, 0x7f,
	0x0a, 0x00, 0x00, 0x05, 0x64, 0x40, 0x00, 0x02, 0x03, 0x0d, 0xef, 0x98,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0xb0, 0x2f, 0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05,
	0xc7, 0x38, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44,
};

static const uint8_t want_v4_udp_unreach[56] = {
	0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x14, 0x01, 0x38, 0x7f,
	0x0a, 0x00, 0x00, 0x05, 0x64, 0x40, 0x00, 0x02, 0x03, 0x00, 0x18, 0x3b,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0x01, 0x01, 0x00, 0x00,
	0x40, 0x11, 0x0b, 0x7e, 0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05,
	0xcf, 0x08, 0x00, 0x35, 0x00, 0x14, 0x15, 0x73,
};

static const uint8_t want_v4_opts_prohibited[60] = {
	0x45, 0x00, 0x00, 0x3c, 0x00, 0x00, 0x00, 0x00, 0x14, 0x01, 0x38, 0x7b,
	0x0a, 0x00, 0x00, 0x05, 0x64, 0x40, 0x00, 0x02, 0x03, 0x0d, 0x4a, 0x28,
	0x00, 0x00, 0x00, 0x00, 0x46, 0x00, 0x00, 0x24, 0x02, 0x02, 0x00, 0x00,
	0x40, 0x11, 0x75, 0x7c, 0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05,
	0x94, 0x04, 0x00, 0x00, 0x9c, 0x40, 0x27, 0x0f, 0x00, 0x0c, 0xef, 0x6e,
};

static const uint8_t want_v4_short_prohibited[51] = {
	0x45, 0x00, 0x00, 0x33, 0x00, 0x00, 0x00, 0x00, 0x14, 0x01, 0x38, 0x84,
	0x0a, 0x00, 0x00, 0x05, 0x64, 0x40, 0x00, 0x02, 0x03, 0x0d, 0xf8, 0xf0,
	0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x17, 0x03, 0x03, 0x00, 0x00,
	0x40, 0xfd, 0x08, 0xa1, 0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05,
	0x01, 0x02, 0x03,
};

static const uint8_t want_v4_syn_too_big[56] = {
	0x45, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x14, 0x01, 0x38, 0x7f,
	0x0a, 0x00, 0x00, 0x05, 0x64, 0x40, 0x00, 0x02, 0x03, 0x04, 0xea, 0x15,
	0x00, 0x00, 0x05, 0x8c, 0x45, 0x00, 0x00, 0x3c, 0x1c, 0x46, 0x40, 0x00,
	0x40, 0x06, 0xb0, 0x2f, 0x64, 0x40, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x05,
	0xc7, 0x38, 0x01, 0xbb, 0x11, 0x22, 0x33, 0x44,
};

static const uint8_t want_v6_syn_prohibited[108] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x44, 0x3a, 0x14, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x4a, 0x3f, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x01, 0x23, 0x45, 0x00, 0x14, 0x06, 0x40, 0xfd, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0xc7, 0x38, 0x01, 0xbb, 0x55, 0x66, 0x77, 0x88,
	0x00, 0x00, 0x00, 0x00, 0x50, 0x02, 0xfa, 0xf0, 0xf4, 0x4e, 0x00, 0x00,
};

static const uint8_t want_v6_udp_unreach[101] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x3d, 0x3a, 0x14, 0x20, 0x01, 0x0d, 0xb8,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x01, 0x03, 0x62, 0x95, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x00, 0x00, 0x00, 0x00, 0x0d, 0x11, 0x40, 0xfd, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
	0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x05, 0xcf, 0x09, 0x14, 0xe9, 0x00, 0x0d, 0xad, 0x4e,
	0x68, 0x65, 0x6c, 0x6c, 0x6f,
};

/* pkt_v6_big: built in the test; its UDP checksum: */
#define PKT_V6_BIG_UDP_CKSUM 0x3559
#define WANT_V6_BIG_PROHIBITED_CKSUM 0x4638
#define WANT_V6_BIG_TOO_BIG_CKSUM 0x4039

/* ---- independent checks ---- */

/* A checksummed region verifies to 0. */
static void assert_v4_checksums(const uint8_t *p, size_t n)
{
	size_t ihl = (p[0] & 15) * 4;

	assert_int_equal(p[0], 0x45);
	assert_int_equal(p[2] * 256 + p[3], n);
	assert_int_equal(rfc1071(p, ihl, 0), 0);
	assert_int_equal(p[9], 1);
	assert_int_equal(rfc1071(p + ihl, n - ihl, 0), 0);
}

static void assert_v6_checksums(const uint8_t *p, size_t n)
{
	uint32_t pseudo = 0;

	assert_int_equal(p[0] >> 4, 6);
	assert_int_equal(p[4] * 256 + p[5], n - 40);
	assert_int_equal(p[6], 58);
	for (int i = 8; i < 40; i += 2)
		pseudo += (uint32_t)p[i] * 256 + p[i + 1];
	pseudo += (uint32_t)(n - 40) + 58;
	assert_int_equal(rfc1071(p + 40, n - 40, pseudo), 0);
}

static void assert_checksums(const uint8_t *p, size_t n)
{
	if (p[0] >> 4 == 4)
		assert_v4_checksums(p, n);
	else
		assert_v6_checksums(p, n);
}

static uint8_t out[2048];

static size_t build(const uint8_t *orig, size_t len, enum wg_icmp_err_kind kind)
{
	size_t n;

	memset(out, 0xee, sizeof(out));
	n = wg_icmp_error_build(out, WG_ICMP_ERROR_MAX, orig, len, kind);
	if (n)
		assert_checksums(out, n);
	return n;
}

static void assert_build(const uint8_t *orig, size_t len, enum wg_icmp_err_kind kind,
			 const uint8_t *want, size_t want_len)
{
	size_t n = build(orig, len, kind);

	assert_int_equal(n, want_len);
	assert_memory_equal(out, want, want_len);
	assert_int_equal(out[n], 0xee);	/* nothing written past the end */
}

/* ---- exact packets ---- */

static void v4_syn_prohibited(void **state)
{
	(void)state;
	assert_build(pkt_v4_syn, sizeof(pkt_v4_syn), WG_ICMP_ERR_PROHIBITED,
		     want_v4_syn_prohibited, sizeof(want_v4_syn_prohibited));
}

static void v4_udp_unreachable(void **state)
{
	(void)state;
	assert_build(pkt_v4_udp, sizeof(pkt_v4_udp), WG_ICMP_ERR_UNREACHABLE,
		     want_v4_udp_unreach, sizeof(want_v4_udp_unreach));
}

/* ihl 6: the whole header, option included, plus 8 bytes. */
static void v4_options_quoted(void **state)
{
	(void)state;
	assert_build(pkt_v4_opts, sizeof(pkt_v4_opts), WG_ICMP_ERR_PROHIBITED,
		     want_v4_opts_prohibited, sizeof(want_v4_opts_prohibited));
}

/* Fewer than 8 payload bytes: quote what there is (odd ICMP length). */
static void v4_short_payload(void **state)
{
	(void)state;
	assert_build(pkt_v4_short, sizeof(pkt_v4_short), WG_ICMP_ERR_PROHIBITED,
		     want_v4_short_prohibited, sizeof(want_v4_short_prohibited));
}

/* Link padding after total_length is not part of the packet. */
static void v4_trailing_bytes_ignored(void **state)
{
	uint8_t p[sizeof(pkt_v4_short) + 17];

	(void)state;
	memset(p, 0xaa, sizeof(p));
	memcpy(p, pkt_v4_short, sizeof(pkt_v4_short));
	assert_build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED,
		     want_v4_short_prohibited, sizeof(want_v4_short_prohibited));
}

static void v6_syn_prohibited(void **state)
{
	(void)state;
	assert_build(pkt_v6_syn, sizeof(pkt_v6_syn), WG_ICMP_ERR_PROHIBITED,
		     want_v6_syn_prohibited, sizeof(want_v6_syn_prohibited));
}

static void v6_udp_unreachable(void **state)
{
	(void)state;
	assert_build(pkt_v6_udp, sizeof(pkt_v6_udp), WG_ICMP_ERR_UNREACHABLE,
		     want_v6_udp_unreach, sizeof(want_v6_udp_unreach));
}

/* 1400-byte UDP fd00::2:50000 -> [2001:db8::5]:8080, payload byte i = i & 0xff,
 * the same packet the Python one-off checksummed. */
static size_t make_v6_big(uint8_t *p)
{
	static const uint8_t hdr[48] = {
		0x60, 0x00, 0x00, 0x00, 0x05, 0x50, 0x11, 0x40,	/* plen 1360, UDP */
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05,
		0xc3, 0x50, 0x1f, 0x90, 0x05, 0x50,	/* 50000 -> 8080, len 1360 */
		PKT_V6_BIG_UDP_CKSUM >> 8, PKT_V6_BIG_UDP_CKSUM & 0xff,
	};
	uint32_t pseudo = 0;

	memcpy(p, hdr, sizeof(hdr));
	for (size_t i = 0; i < 1400 - 48; i++)
		p[48 + i] = (uint8_t)i;
	/* Same packet as Python's: its UDP checksum verifies here too. */
	for (int i = 8; i < 40; i += 2)
		pseudo += (uint32_t)p[i] * 256 + p[i + 1];
	pseudo += 1360 + 17;
	assert_int_equal(rfc1071(p + 40, 1360, pseudo), 0);
	return 1400;
}

static const uint8_t want_v6_big_hdr[48] = {
	0x60, 0x00, 0x00, 0x00, 0x04, 0xd8, 0x3a, 0x14,	/* plen 1240, ICMPv6, hl 20 */
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05,
	0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02,
	0x01, 0x01, WANT_V6_BIG_PROHIBITED_CKSUM >> 8, WANT_V6_BIG_PROHIBITED_CKSUM & 0xff,
	0x00, 0x00, 0x00, 0x00,
};

static void v6_big_quote_truncated(void **state)
{
	static uint8_t p[1400];
	size_t len = make_v6_big(p);

	(void)state;
	assert_int_equal(build(p, len, WG_ICMP_ERR_PROHIBITED), 1280);
	assert_memory_equal(out, want_v6_big_hdr, 48);
	assert_memory_equal(out + 48, p, 1280 - 48);
	assert_int_equal(out[1280], 0xee);
}

/* Building in the refused packet's own buffer gives the same bytes. */
static void in_place(void **state)
{
	static uint8_t buf[WG_ICMP_ERROR_MAX];
	size_t n;

	(void)state;
	memcpy(buf, pkt_v4_opts, sizeof(pkt_v4_opts));
	n = wg_icmp_error_build(buf, sizeof(buf), buf, sizeof(pkt_v4_opts),
				WG_ICMP_ERR_PROHIBITED);
	assert_int_equal(n, sizeof(want_v4_opts_prohibited));
	assert_memory_equal(buf, want_v4_opts_prohibited, n);

	memcpy(buf, pkt_v6_syn, sizeof(pkt_v6_syn));
	n = wg_icmp_error_build(buf, sizeof(buf), buf, sizeof(pkt_v6_syn),
				WG_ICMP_ERR_PROHIBITED);
	assert_int_equal(n, sizeof(want_v6_syn_prohibited));
	assert_memory_equal(buf, want_v6_syn_prohibited, n);
}

/* The same with a quote that overlaps its own destination by 1184 bytes. */
static void in_place_big(void **state)
{
	static uint8_t buf[1400], orig[1400];
	size_t n;

	(void)state;
	make_v6_big(orig);
	memcpy(buf, orig, sizeof(buf));
	n = wg_icmp_error_build(buf, sizeof(buf), buf, sizeof(buf), WG_ICMP_ERR_PROHIBITED);
	assert_int_equal(n, 1280);
	assert_memory_equal(buf, want_v6_big_hdr, 48);
	assert_memory_equal(buf + 48, orig, 1232);
	assert_v6_checksums(buf, n);
}

/* cap: exactly enough works, one byte less is refused, nothing overruns. */
static void cap_respected(void **state)
{
	size_t need = sizeof(want_v6_syn_prohibited);

	(void)state;
	memset(out, 0xee, sizeof(out));
	assert_int_equal(wg_icmp_error_build(out, need - 1, pkt_v6_syn, sizeof(pkt_v6_syn),
					     WG_ICMP_ERR_PROHIBITED), 0);
	assert_int_equal(wg_icmp_error_build(out, need, pkt_v6_syn, sizeof(pkt_v6_syn),
					     WG_ICMP_ERR_PROHIBITED), need);
	assert_memory_equal(out, want_v6_syn_prohibited, need);
	assert_int_equal(out[need], 0xee);
	assert_int_equal(wg_icmp_error_build(out, 10, pkt_v4_syn, sizeof(pkt_v4_syn),
					     WG_ICMP_ERR_PROHIBITED), 0);
	assert_int_equal(wg_icmp_error_build(out, sizeof(out), pkt_v4_syn, sizeof(pkt_v4_syn),
					     (enum wg_icmp_err_kind)7), 0);
	assert_int_equal(wg_icmp_error_build(out, sizeof(out), NULL, 60,
					     WG_ICMP_ERR_PROHIBITED), 0);
}

/* ---- ICMP in ---- */

/* An IPv4 ICMP packet from the client: 100.64.0.2 -> 10.0.0.5, 8-byte
 * ICMP header of the given type. Header checksums are not what is tested. */
static size_t make_v4_icmp(uint8_t *p, uint8_t type)
{
	memcpy(p, pkt_v4_udp, 20);
	p[2] = 0;
	p[3] = 28;
	p[9] = 1;
	memset(p + 20, 0, 8);
	p[20] = type;
	return 28;
}

static void v4_icmp_errors_not_answered(void **state)
{
	static const uint8_t errors[] = { 3, 4, 5, 11, 12 };
	uint8_t p[28];

	(void)state;
	for (size_t i = 0; i < sizeof(errors); i++) {
		make_v4_icmp(p, errors[i]);
		assert_int_equal(build(p, 28, WG_ICMP_ERR_PROHIBITED), 0);
		assert_int_equal(wg_icmp_too_big_build(out, sizeof(out), p, 28, 1280), 0);
	}
	/* Our own error, looped back, is an error too. */
	assert_int_equal(build(want_v4_syn_prohibited, sizeof(want_v4_syn_prohibited),
			       WG_ICMP_ERR_PROHIBITED), 0);
}

static void v4_echo_answered(void **state)
{
	uint8_t p[28];

	(void)state;
	make_v4_icmp(p, 8);		/* echo request */
	assert_int_equal(build(p, 28, WG_ICMP_ERR_PROHIBITED), 20 + 8 + 28);
	assert_int_equal(out[20], 3);
	assert_int_equal(out[21], 13);
	assert_memory_equal(out + 28, p, 28);
	make_v4_icmp(p, 0);		/* echo reply */
	assert_int_equal(build(p, 28, WG_ICMP_ERR_UNREACHABLE), 56);
	/* ICMP header cut off: cannot tell whether it is an error. */
	make_v4_icmp(p, 8);
	p[3] = 20;
	assert_int_equal(build(p, 20, WG_ICMP_ERR_PROHIBITED), 0);
}

/* fd00::2 -> 2001:db8::5 ICMPv6 of the given type, 8 bytes. */
static size_t make_v6_icmp(uint8_t *p, uint8_t type)
{
	memcpy(p, pkt_v6_udp, 40);
	p[4] = 0;
	p[5] = 8;
	p[6] = 58;
	memset(p + 40, 0, 8);
	p[40] = type;
	return 48;
}

static void v6_icmp_errors_not_answered(void **state)
{
	/* errors, then ND/MLD/router renumbering: never echo traffic */
	static const uint8_t refused[] = { 1, 2, 3, 4, 0, 127, 130, 133, 135, 136, 143, 255 };
	uint8_t p[48];

	(void)state;
	for (size_t i = 0; i < sizeof(refused); i++) {
		make_v6_icmp(p, refused[i]);
		assert_int_equal(build(p, 48, WG_ICMP_ERR_PROHIBITED), 0);
		assert_int_equal(wg_icmp_too_big_build(out, sizeof(out), p, 48, 1280), 0);
	}
	assert_int_equal(build(want_v6_syn_prohibited, sizeof(want_v6_syn_prohibited),
			       WG_ICMP_ERR_PROHIBITED), 0);
}

static void v6_echo_answered(void **state)
{
	uint8_t p[48];

	(void)state;
	make_v6_icmp(p, 128);
	assert_int_equal(build(p, 48, WG_ICMP_ERR_PROHIBITED), 96);
	assert_int_equal(out[40], 1);
	assert_int_equal(out[41], 1);
	assert_memory_equal(out + 48, p, 48);
	make_v6_icmp(p, 129);
	assert_int_equal(build(p, 48, WG_ICMP_ERR_UNREACHABLE), 96);
	assert_int_equal(out[41], 3);
}

/* Extension headers are walked: an error behind hop-by-hop options is still
 * an error; a fragment header is followed, a later fragment refused. */
static void v6_extension_headers(void **state)
{
	uint8_t p[64];

	(void)state;
	/* hop-by-hop (8 bytes, PadN) then ICMPv6 type 1 */
	memcpy(p, pkt_v6_udp, 40);
	p[4] = 0;
	p[5] = 16;
	p[6] = 0;
	memset(p + 40, 0, 16);
	p[40] = 58;
	p[41] = 0;
	p[42] = 1;		/* PadN, 4 bytes of padding */
	p[43] = 4;
	p[48] = 1;		/* destination unreachable */
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 0);
	p[48] = 128;		/* echo request: answered, whole packet quoted */
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 48 + 56);
	assert_memory_equal(out + 48, p, 56);
	/* hop-by-hop claims 16 bytes, the packet ends first */
	p[41] = 1;
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 0);

	/* fragment header, offset 0, more fragments: UDP behind it, answered */
	memcpy(p, pkt_v6_udp, 40);
	p[4] = 0;
	p[5] = 16;
	p[6] = 44;
	memset(p + 40, 0, 16);
	p[40] = 17;
	p[43] = 1;		/* offset 0, M = 1 */
	p[44] = 0xde;		/* identification */
	memcpy(p + 48, pkt_v6_udp + 40, 8);
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 48 + 56);
	/* offset 8 bytes: a later fragment, refused */
	p[43] = 0x08;
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 0);
	/* first fragment of an ICMPv6 error: refused */
	p[43] = 1;
	p[40] = 58;
	p[48] = 3;
	assert_int_equal(build(p, 56, WG_ICMP_ERR_PROHIBITED), 0);
	/* fragment header cut short */
	p[5] = 4;
	assert_int_equal(build(p, 44, WG_ICMP_ERR_PROHIBITED), 0);
}

/* ---- addresses and fragments ---- */

static void v4_addr(uint8_t *p, int off, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	p[off] = a;
	p[off + 1] = b;
	p[off + 2] = c;
	p[off + 3] = d;
}

static void v4_bad_addresses(void **state)
{
	static const uint8_t bad[][4] = {
		{ 224, 0, 0, 251 }, { 239, 255, 255, 250 }, { 255, 255, 255, 255 }, { 0, 0, 0, 0 },
	};
	uint8_t p[sizeof(pkt_v4_udp)];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(p, pkt_v4_udp, sizeof(p));
		v4_addr(p, 16, bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
		assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
		memcpy(p, pkt_v4_udp, sizeof(p));
		v4_addr(p, 12, bad[i][0], bad[i][1], bad[i][2], bad[i][3]);
		assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_UNREACHABLE), 0);
	}
	/* 223.255.255.255 is plain unicast to us (no subnet broadcast known here) */
	memcpy(p, pkt_v4_udp, sizeof(p));
	v4_addr(p, 16, 223, 255, 255, 255);
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 56);
	assert_int_equal(out[12], 223);	/* it becomes the error's source */
	assert_int_equal(out[13] & out[14] & out[15], 255);
}

static void v6_bad_addresses(void **state)
{
	static const uint8_t ff02_1[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t ff0e_x[16] = { 0xff, 0x0e, [15] = 0x42 };
	static const uint8_t unspec[16];
	const uint8_t *bad[] = { ff02_1, ff0e_x, unspec };
	uint8_t p[sizeof(pkt_v6_udp)];

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		memcpy(p, pkt_v6_udp, sizeof(p));
		memcpy(p + 24, bad[i], 16);
		assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
		assert_int_equal(wg_icmp_too_big_build(out, sizeof(out), p, sizeof(p), 1280), 0);
		memcpy(p, pkt_v6_udp, sizeof(p));
		memcpy(p + 8, bad[i], 16);
		assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	}
}

static void v4_fragments(void **state)
{
	uint8_t p[sizeof(pkt_v4_udp)];

	(void)state;
	memcpy(p, pkt_v4_udp, sizeof(p));
	p[7] = 1;		/* offset 8 bytes: a later fragment */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	p[6] = 0x20 | 0x10;	/* MF and a large offset */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	p[6] = 0x20;		/* MF, offset 0: the first fragment is answered */
	p[7] = 0;
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 56);
	assert_memory_equal(out + 28, p, 28);
}

/* ---- malformed input ---- */

static void v4_malformed(void **state)
{
	uint8_t p[sizeof(pkt_v4_syn)];

	(void)state;
	/* truncated: shorter than the header, than ihl, than total_length */
	assert_int_equal(build(pkt_v4_syn, 0, WG_ICMP_ERR_PROHIBITED), 0);
	assert_int_equal(build(pkt_v4_syn, 19, WG_ICMP_ERR_PROHIBITED), 0);
	assert_int_equal(build(pkt_v4_opts, 23, WG_ICMP_ERR_PROHIBITED), 0);
	assert_int_equal(build(pkt_v4_syn, sizeof(pkt_v4_syn) - 1, WG_ICMP_ERR_PROHIBITED), 0);

	memcpy(p, pkt_v4_syn, sizeof(p));
	p[3] = 61;		/* total_length > len */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	p[3] = 19;		/* total_length < header */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);

	memcpy(p, pkt_v4_syn, sizeof(p));
	p[0] = 0x44;		/* ihl 4 */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	p[0] = 0x4f;		/* ihl 15 = 60 bytes > total_length is fine, > len not */
	assert_int_equal(build(p, 40, WG_ICMP_ERR_PROHIBITED), 0);
	p[0] = 0x55;		/* version 5 */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	p[0] = 0x05;		/* version 0 */
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
}

static void v6_malformed(void **state)
{
	uint8_t p[sizeof(pkt_v6_syn)];

	(void)state;
	assert_int_equal(build(pkt_v6_syn, 39, WG_ICMP_ERR_PROHIBITED), 0);
	/* payload length past the end */
	assert_int_equal(build(pkt_v6_syn, sizeof(pkt_v6_syn) - 1, WG_ICMP_ERR_PROHIBITED), 0);
	memcpy(p, pkt_v6_syn, sizeof(p));
	p[4] = 0x01;
	assert_int_equal(build(p, sizeof(p), WG_ICMP_ERR_PROHIBITED), 0);
	/* ICMPv6 with no room for its type */
	make_v6_icmp(p, 128);
	p[5] = 0;
	assert_int_equal(build(p, 40, WG_ICMP_ERR_PROHIBITED), 0);
}

/* ---- packet too big ---- */

static void v4_too_big(void **state)
{
	size_t n;

	(void)state;
	n = wg_icmp_too_big_build(out, sizeof(out), pkt_v4_syn, sizeof(pkt_v4_syn), 1420);
	assert_int_equal(n, sizeof(want_v4_syn_too_big));
	assert_memory_equal(out, want_v4_syn_too_big, n);
	assert_v4_checksums(out, n);
	/* DF clear: the gateway may fragment, no error */
	assert_int_equal(wg_icmp_too_big_build(out, sizeof(out), pkt_v4_udp,
					       sizeof(pkt_v4_udp), 1420), 0);
	/* the 16-bit MTU field saturates */
	n = wg_icmp_too_big_build(out, sizeof(out), pkt_v4_syn, sizeof(pkt_v4_syn), 70000);
	assert_int_equal(n, 56);
	assert_int_equal(out[26], 0xff);
	assert_int_equal(out[27], 0xff);
	assert_int_equal(out[24] | out[25], 0);
	assert_v4_checksums(out, n);
}

static void v6_too_big(void **state)
{
	static uint8_t p[1400];
	static const uint8_t want_icmp[8] = {
		0x02, 0x00, WANT_V6_BIG_TOO_BIG_CKSUM >> 8, WANT_V6_BIG_TOO_BIG_CKSUM & 0xff,
		0x00, 0x00, 0x05, 0x00,		/* MTU 1280 */
	};
	size_t len = make_v6_big(p), n;

	(void)state;
	memset(out, 0xee, sizeof(out));
	n = wg_icmp_too_big_build(out, sizeof(out), p, len, 1280);
	assert_int_equal(n, 1280);
	assert_memory_equal(out, want_v6_big_hdr, 40);
	assert_memory_equal(out + 40, want_icmp, 8);
	assert_memory_equal(out + 48, p, 1232);
	assert_int_equal(out[1280], 0xee);
	assert_v6_checksums(out, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4_syn_prohibited),
		cmocka_unit_test(v4_udp_unreachable),
		cmocka_unit_test(v4_options_quoted),
		cmocka_unit_test(v4_short_payload),
		cmocka_unit_test(v4_trailing_bytes_ignored),
		cmocka_unit_test(v6_syn_prohibited),
		cmocka_unit_test(v6_udp_unreachable),
		cmocka_unit_test(v6_big_quote_truncated),
		cmocka_unit_test(in_place),
		cmocka_unit_test(in_place_big),
		cmocka_unit_test(cap_respected),
		cmocka_unit_test(v4_icmp_errors_not_answered),
		cmocka_unit_test(v4_echo_answered),
		cmocka_unit_test(v6_icmp_errors_not_answered),
		cmocka_unit_test(v6_echo_answered),
		cmocka_unit_test(v6_extension_headers),
		cmocka_unit_test(v4_bad_addresses),
		cmocka_unit_test(v6_bad_addresses),
		cmocka_unit_test(v4_fragments),
		cmocka_unit_test(v4_malformed),
		cmocka_unit_test(v6_malformed),
		cmocka_unit_test(v4_too_big),
		cmocka_unit_test(v6_too_big),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
