/* See ip_frag.h. */
#include "lib/net/ip_frag.h"

#include <stdbool.h>
#include <string.h>

#include "lib/net/cksum.h"

#define IPV4_DF		0x4000
#define IPV4_MF		0x2000
#define IPV4_OFF_MASK	0x1fff
#define IPV4_MIN_MTU	68	/* RFC 791: every host must take 68 unfragmented */
#define OPT_EOL		0
#define OPT_NOP		1
#define OPT_COPIED	0x80

/* The options of later fragments: only the copied ones (RFC 791 "copied
 * flag"), padded with EOL to a multiple of 4. Returns their length, or -1
 * when the options are malformed. */
static int copied_options(const uint8_t *opt, size_t n, uint8_t out[40])
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint8_t type = opt[i];

		if (type == OPT_EOL)
			break;
		if (type == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= n || opt[i + 1] < 2 || i + opt[i + 1] > n)
			return -1;
		if (type & OPT_COPIED) {
			memcpy(out + o, opt + i, opt[i + 1]);
			o += opt[i + 1];
		}
		i += opt[i + 1];
	}
	while (o % 4)
		out[o++] = OPT_EOL;
	return (int)o;
}

static void header(struct wg_frag *f, const uint8_t *ip, const uint8_t *opt, size_t opt_len,
		   uint16_t frag_field)
{
	f->hdr_len = (uint16_t)(20 + opt_len);
	memcpy(f->hdr, ip, 20);
	memcpy(f->hdr + 20, opt, opt_len);
	f->hdr[0] = (uint8_t)(0x40 | f->hdr_len / 4);
	wg_wr16(f->hdr + 2, (uint16_t)(f->hdr_len + f->len));
	wg_wr16(f->hdr + 6, frag_field);
	wg_wr16(f->hdr + 10, 0);
	wg_wr16(f->hdr + 10, wg_cksum_fold(wg_sum16(f->hdr, f->hdr_len, 0)));
}

size_t wg_ipv4_fragment(const uint8_t *pkt, size_t len, uint32_t mtu, struct wg_frag *out,
			size_t max)
{
	uint8_t later_opt[40];
	size_t ihl, pos, n = 0;
	uint16_t frag, base;
	int later_len;

	if (len < 20 || pkt[0] >> 4 != 4 || mtu < IPV4_MIN_MTU || len <= mtu)
		return 0;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	frag = wg_rd16(pkt + 6);
	if (ihl < 20 || ihl > len || wg_rd16(pkt + 2) != len || (frag & IPV4_DF))
		return 0;
	later_len = copied_options(pkt + 20, ihl - 20, later_opt);
	if (later_len < 0)
		return 0;
	base = frag & IPV4_OFF_MASK;
	/* Offsets count 8-byte units. */
	for (pos = ihl; pos < len; n++) {
		size_t hl = n ? 20 + (size_t)later_len : ihl;
		size_t room = (mtu - hl) & ~(size_t)7;
		bool last;

		if (n == max || room == 0)
			return 0;
		out[n].off = (uint16_t)pos;
		out[n].len = (uint16_t)(len - pos <= room ? len - pos : room);
		last = pos + out[n].len == len;
		header(&out[n], pkt, n ? later_opt : pkt + 20, hl - 20,
		       (uint16_t)((base + (pos - ihl) / 8) |
				  (last ? (frag & IPV4_MF) : IPV4_MF)));
		pos += out[n].len;
	}
	return n;
}
