/* DNS query reading and answer building (msg.h). */
#include "lib/dns/msg.h"

#include <errno.h>
#include <string.h>

#include "lib/net/cksum.h"

int wg_dns_query_parse(const uint8_t *msg, size_t len, struct wg_dns_query *q)
{
	size_t off = WG_DNS_HDR_LEN, n = 0;

	memset(q, 0, sizeof(*q));
	if (len < WG_DNS_HDR_LEN)
		return -EINVAL;
	q->id = wg_rd16(msg);
	q->flags = wg_rd16(msg + 2);
	/* QR clear, opcode 0 (QUERY), exactly one question. */
	if ((q->flags & 0x8000) || (q->flags & 0x7800) || wg_rd16(msg + 4) != 1)
		return -ENOTSUP;
	for (;;) {
		if (off >= len)
			return -EINVAL;
		uint8_t l = msg[off++];
		if (!l)
			break;
		if (l & 0xc0)
			return -EINVAL;	/* pointers (and the reserved forms) */
		if (off + l > len || n + l + 1 >= WG_DNS_NAME_LEN)
			return -EINVAL;
		if (n)
			q->name[n++] = '.';
		for (uint8_t i = 0; i < l; i++) {
			uint8_t ch = msg[off + i];
			q->name[n++] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 :
					      ch == '.' || ch == 0 ? '?' : ch);
		}
		off += l;
	}
	if (off + 4 > len)
		return -EINVAL;
	q->qtype = wg_rd16(msg + off);
	q->qclass = wg_rd16(msg + off + 2);
	q->qend = off + 4;
	return 0;
}

size_t wg_dns_answer_build(uint8_t *out, size_t cap, const uint8_t *msg,
			   const struct wg_dns_query *q, uint8_t rcode,
			   const struct wg_ipaddr *addrs, size_t n, uint32_t ttl)
{
	size_t rlen = q->qtype == WG_DNS_T_A ? 4 : 16, off = q->qend;
	size_t need = q->qend + n * (12 + rlen);

	if (need > cap)
		return 0;
	memcpy(out, msg, q->qend);
	/* QR, opcode 0, AA, RD as asked, RA, rcode. */
	wg_wr16(out + 2, (uint16_t)(0x8000 | 0x0400 | (q->flags & 0x0100) | 0x0080 | (rcode & 0xf)));
	wg_wr16(out + 4, 1);
	wg_wr16(out + 6, (uint16_t)n);
	wg_wr16(out + 8, 0);
	wg_wr16(out + 10, 0);
	for (size_t i = 0; i < n; i++) {
		wg_wr16(out + off, 0xc000 | WG_DNS_HDR_LEN);	/* the question's name */
		wg_wr16(out + off + 2, q->qtype);
		wg_wr16(out + off + 4, WG_DNS_C_IN);
		wg_wr16(out + off + 6, (uint16_t)(ttl >> 16));
		wg_wr16(out + off + 8, (uint16_t)ttl);
		wg_wr16(out + off + 10, (uint16_t)rlen);
		memcpy(out + off + 12, addrs[i].a, rlen);
		off += 12 + rlen;
	}
	return off;
}

bool wg_dns_pattern_match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), nl = strlen(name);

	if ((pattern[0] == '*' || pattern[0] == '?') && pattern[1] == '.') {
		const char *base = pattern + 2;
		size_t bl = pl - 2;

		if (nl == bl)
			return !strcmp(name, base);
		if (nl < bl + 2 || name[nl - bl - 1] != '.' || strcmp(name + nl - bl, base))
			return false;
		/* name = <prefix>.<base>: any prefix for '*', one label for '?' */
		return pattern[0] == '*' || !memchr(name, '.', nl - bl - 1);
	}
	return !strcmp(pattern, name);
}
