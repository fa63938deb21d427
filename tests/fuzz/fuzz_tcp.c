/* libFuzzer: TCP segments as clients send them to the stub's TCP responder
 * (lib/net/tcp_seg) and the byte stream they carry (lib/dns/stream). A
 * segment the parser accepts is built again from its fields and must parse
 * back to the same fields; its payload is fed to the framing in pieces
 * whose sizes come from the input, and every message taken out must be
 * within the bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns/stream.h"
#include "lib/net/tcp_seg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[65536 + 80];
	static struct wg_dns_stream st;
	struct wg_tcp_seg s, r;
	const uint8_t *msg;
	size_t n, mlen;

	if (wg_tcp_parse(data, size, &s))
		return 0;
	if (s.data < data || s.data + s.len > data + size)
		abort();
	n = wg_tcp_build(out, sizeof(out), &s);
	if (!n || wg_tcp_parse(out, n, &r))
		abort();
	if (r.seq != s.seq || r.ack != s.ack || r.flags != s.flags || r.win != s.win ||
	    r.mss != s.mss || r.len != s.len || r.sport != s.sport || r.dport != s.dport ||
	    !wg_ipaddr_equal(&r.src, &s.src) || memcmp(r.data, s.data, s.len))
		abort();
	memset(&st, 0, sizeof(st));
	for (size_t off = 0, i = 0; off < s.len; i++) {
		size_t piece = (size_t)(s.data[i % s.len] % 64) + 1;
		if (piece > s.len - off)
			piece = s.len - off;
		size_t took = wg_dns_stream_feed(&st, s.data + off, piece);
		if (took > piece)
			abort();
		off += took;
		int rc;
		while ((rc = wg_dns_stream_next(&st, &msg, &mlen)) == 1)
			if (!mlen || mlen > WG_DNS_STREAM_MSG || msg < st.buf ||
			    msg + mlen > st.buf + WG_DNS_STREAM_BUF)
				abort();
		if (rc < 0 || took < piece)
			break;	/* the responder resets here, or waits for room */
	}
	if (wg_dns_stream_room(&st) > WG_DNS_STREAM_BUF)
		abort();
	return 0;
}
