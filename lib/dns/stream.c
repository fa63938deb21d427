/* RFC 7766 framing (stream.h). The message handed out last stays at the
 * front of the buffer (so *msg stays valid) until the next call, which
 * moves the rest down first. */
#include "lib/dns/stream.h"

#include <errno.h>
#include <string.h>

static void compact(struct wg_dns_stream *st)
{
	if (!st->taken)
		return;
	memmove(st->buf, st->buf + st->taken, st->used - st->taken);
	st->used -= st->taken;
	st->taken = 0;
}

size_t wg_dns_stream_feed(struct wg_dns_stream *st, const uint8_t *p, size_t n)
{
	size_t take;

	compact(st);
	take = n < wg_dns_stream_room(st) ? n : wg_dns_stream_room(st);
	memcpy(st->buf + st->used, p, take);
	st->used += take;
	return take;
}

int wg_dns_stream_next(struct wg_dns_stream *st, const uint8_t **msg, size_t *len)
{
	size_t l;

	compact(st);
	if (st->used < 2)
		return 0;
	l = (size_t)st->buf[0] << 8 | st->buf[1];
	if (l == 0 || l > WG_DNS_STREAM_MSG)
		return -EMSGSIZE;
	if (st->used < 2 + l)
		return 0;
	*msg = st->buf + 2;
	*len = l;
	st->taken = 2 + l;
	return 1;
}
