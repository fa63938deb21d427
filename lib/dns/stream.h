/* DNS over a byte stream (RFC 7766 section 8, RFC 1035 4.2.2): every
 * message is preceded by its length as two bytes, big-endian. The
 * receiving side of the stub's TCP responder: bytes arrive as segments
 * cut anywhere (a length prefix split in two included) and several
 * messages may arrive together; the buffer is bounded and the caller
 * advertises its free space as the TCP window. Pure: no I/O. */
#ifndef WGATE_LIB_DNS_STREAM_H
#define WGATE_LIB_DNS_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* Room for a few queries in a row; a query is at most WG_DNS_STREAM_MSG. */
#define WG_DNS_STREAM_BUF	2048
#define WG_DNS_STREAM_MSG	512

/* Writer and reader: the one owner (a connection of the control core). */
struct wg_dns_stream {
	size_t used;		/* bytes held, the message handed out last included */
	size_t taken;		/* the front bytes handed out already (dropped next call) */
	uint8_t buf[WG_DNS_STREAM_BUF];
};

/* Free space: what the window may announce. */
static inline size_t wg_dns_stream_room(const struct wg_dns_stream *st)
{
	return WG_DNS_STREAM_BUF - (st->used - st->taken);
}

/* Appends as much of p[0..n) as fits; returns how many bytes it took (the
 * rest is for the peer to send again once the window opens). */
size_t wg_dns_stream_feed(struct wg_dns_stream *st, const uint8_t *p, size_t n);

/* Takes the next whole message out of the buffer: 1 and *msg / *len (valid
 * until the next feed or next call); 0: none complete yet; -EMSGSIZE: the
 * next message is announced longer than WG_DNS_STREAM_MSG, or as empty
 * (the stream cannot go on: the caller resets the connection). */
int wg_dns_stream_next(struct wg_dns_stream *st, const uint8_t **msg, size_t *len);

/* Writes the two-byte length prefix for a message of len bytes (<= 65535). */
static inline void wg_dns_stream_prefix(uint8_t out[2], size_t len)
{
	out[0] = (uint8_t)(len >> 8);
	out[1] = (uint8_t)len;
}

#endif
