/* TCP segment reading and building (tcp_seg.h). */
#include "lib/net/tcp_seg.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/net/cksum.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void wr32(uint8_t *p, uint32_t v)
{
	wg_wr16(p, (uint16_t)(v >> 16));
	wg_wr16(p + 2, (uint16_t)v);
}

size_t wg_ip_hdr_write(uint8_t *pkt, const struct wg_ipaddr *src, const struct wg_ipaddr *dst,
		       uint8_t proto, size_t l4len, int df)
{
	if (src->af == WG_AF_INET4) {
		memset(pkt, 0, 20);
		pkt[0] = 0x45;
		wg_wr16(pkt + 2, (uint16_t)(20 + l4len));
		if (df)
			pkt[6] = 0x40;
		pkt[8] = 64;
		pkt[9] = proto;
		memcpy(pkt + 12, src->a, 4);
		memcpy(pkt + 16, dst->a, 4);
		wg_wr16(pkt + 10, wg_cksum_fold(wg_sum16(pkt, 20, 0)));
		return 20;
	}
	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	wg_wr16(pkt + 4, (uint16_t)l4len);
	pkt[6] = proto;
	pkt[7] = 64;
	memcpy(pkt + 8, src->a, 16);
	memcpy(pkt + 24, dst->a, 16);
	return 40;
}

uint64_t wg_ip_pseudo_sum(const uint8_t *pkt, uint8_t proto, size_t l4len)
{
	bool v4 = (pkt[0] >> 4) == 4;

	/* Both addresses, the protocol and the L4 length; the length's upper
	 * half (IPv6 jumbo) is never set here. */
	return wg_sum16(pkt + (v4 ? 12 : 8), v4 ? 8 : 32, 0) + l4len + proto;
}

/* The MSS option of a SYN, 0 when absent; -1 when the options are malformed. */
static int read_mss(const uint8_t *o, size_t n)
{
	int mss = 0;

	for (size_t i = 0; i < n;) {
		if (o[i] == 0)		/* end of options */
			break;
		if (o[i] == 1) {	/* no-op */
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return -1;
		if (o[i] == 2) {
			if (o[i + 1] != 4)
				return -1;
			mss = wg_rd16(o + i + 2);
		}
		i += o[i + 1];
	}
	return mss;
}

int wg_tcp_parse(const uint8_t *ip, size_t len, struct wg_tcp_seg *s)
{
	size_t hl, tot;
	uint8_t proto;

	memset(s, 0, sizeof(*s));
	if (len < 1)
		return -EINVAL;
	if ((ip[0] >> 4) == 4) {
		hl = (size_t)(ip[0] & 0xf) * 4;
		if (len < 20 || hl < 20 || len < hl)
			return -EINVAL;
		tot = wg_rd16(ip + 2);
		if (tot < hl || tot > len)
			return -EINVAL;
		if (wg_cksum_fold(wg_sum16(ip, hl, 0)))
			return -EBADMSG;
		if ((wg_rd16(ip + 6) & 0x3fff) != 0)
			return -EPROTO;	/* a fragment (MF or an offset) */
		proto = ip[9];
		wg_ipaddr_from_v4(&s->src, ip + 12);
		wg_ipaddr_from_v4(&s->dst, ip + 16);
	} else if ((ip[0] >> 4) == 6) {
		hl = 40;
		if (len < 40)
			return -EINVAL;
		tot = 40 + (size_t)wg_rd16(ip + 4);
		if (tot > len)
			return -EINVAL;
		proto = ip[6];
		wg_ipaddr_from_v6(&s->src, ip + 8);
		wg_ipaddr_from_v6(&s->dst, ip + 24);
	} else {
		return -EINVAL;
	}
	if (proto != IPPROTO_TCP)
		return -EPROTO;
	const uint8_t *t = ip + hl;
	size_t tlen = tot - hl, off;
	if (tlen < WG_TCP_HDR_LEN)
		return -EINVAL;
	off = (size_t)(t[12] >> 4) * 4;
	if (off < WG_TCP_HDR_LEN || off > tlen)
		return -EINVAL;
	if (wg_cksum_fold(wg_sum16(t, tlen, wg_ip_pseudo_sum(ip, IPPROTO_TCP, tlen))))
		return -EBADMSG;
	int mss = read_mss(t + WG_TCP_HDR_LEN, off - WG_TCP_HDR_LEN);
	if (mss < 0)
		return -EINVAL;
	s->sport = wg_rd16(t);
	s->dport = wg_rd16(t + 2);
	s->seq = rd32(t + 4);
	s->ack = rd32(t + 8);
	s->flags = t[13] & 0x3f;
	s->win = wg_rd16(t + 14);
	s->mss = (s->flags & WG_TCP_SYN) ? (uint16_t)mss : 0;
	s->data = t + off;
	s->len = tlen - off;
	return 0;
}

size_t wg_tcp_build(uint8_t *out, size_t cap, const struct wg_tcp_seg *s)
{
	size_t hl = s->src.af == WG_AF_INET4 ? 20 : 40;
	size_t off = WG_TCP_HDR_LEN + (s->mss ? WG_TCP_MSS_OPT_LEN : 0);
	size_t tlen = off + s->len;

	if (hl + tlen > cap || hl + tlen > 65535)
		return 0;
	wg_ip_hdr_write(out, &s->src, &s->dst, IPPROTO_TCP, tlen, 1);
	uint8_t *t = out + hl;
	memset(t, 0, off);
	wg_wr16(t, s->sport);
	wg_wr16(t + 2, s->dport);
	wr32(t + 4, s->seq);
	wr32(t + 8, s->ack);
	t[12] = (uint8_t)((off / 4) << 4);
	t[13] = s->flags;
	wg_wr16(t + 14, s->win);
	if (s->mss) {
		t[20] = 2;
		t[21] = 4;
		wg_wr16(t + 22, s->mss);
	}
	if (s->len)
		memcpy(t + off, s->data, s->len);
	wg_wr16(t + 16, wg_cksum_fold(wg_sum16(t, tlen, wg_ip_pseudo_sum(out, IPPROTO_TCP, tlen))));
	return hl + tlen;
}
