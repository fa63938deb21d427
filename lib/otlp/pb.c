#include "lib/otlp/pb.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Room reserved for a nested message's length: 5 varint bytes hold any
 * length below 2^35, far beyond pb_buf.max. */
#define LEN_RESERVE 5

void pb_init(struct pb_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void pb_free(struct pb_buf *b)
{
	free(b->p);
	pb_init(b, b->max);
}

void pb_reset(struct pb_buf *b)
{
	b->len = 0;
	b->err = 0;
}

static uint8_t *room(struct pb_buf *b, size_t n)
{
	if (b->err)
		return NULL;
	if (b->max && b->len + n > b->max) {
		b->err = -EMSGSIZE;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->err = -ENOMEM;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	return b->p + b->len;
}

static size_t varint_put(uint8_t *o, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		o[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o[n++] = (uint8_t)v;
	return n;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static void raw_varint(struct pb_buf *b, uint64_t v)
{
	uint8_t *o = room(b, 10);

	if (o)
		b->len += varint_put(o, v);
}

static void tag(struct pb_buf *b, unsigned int field, unsigned int wt)
{
	raw_varint(b, (uint64_t)field << 3 | wt);
}

static void raw(struct pb_buf *b, const void *p, size_t n)
{
	uint8_t *o = room(b, n);

	if (o && n) {
		memcpy(o, p, n);
		b->len += n;
	}
}

static void le64(struct pb_buf *b, uint64_t v)
{
	uint8_t o[8];

	for (int i = 0; i < 8; i++)
		o[i] = (uint8_t)(v >> (8 * i));
	raw(b, o, 8);
}

static uint64_t double_bits(double d)
{
	uint64_t u;

	_Static_assert(sizeof(d) == sizeof(u), "IEEE 754 binary64");
	memcpy(&u, &d, sizeof(u));
	return u;
}

void pb_varint(struct pb_buf *b, unsigned int field, uint64_t v)
{
	tag(b, field, PB_VARINT);
	raw_varint(b, v);
}

void pb_fixed64(struct pb_buf *b, unsigned int field, uint64_t v)
{
	tag(b, field, PB_I64);
	le64(b, v);
}

void pb_fixed32(struct pb_buf *b, unsigned int field, uint32_t v)
{
	uint8_t o[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	tag(b, field, PB_I32);
	raw(b, o, 4);
}

void pb_double(struct pb_buf *b, unsigned int field, double v)
{
	pb_fixed64(b, field, double_bits(v));
}

void pb_bytes(struct pb_buf *b, unsigned int field, const void *p, size_t n)
{
	tag(b, field, PB_LEN);
	raw_varint(b, n);
	raw(b, p, n);
}

void pb_string(struct pb_buf *b, unsigned int field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

void pb_packed_fixed64(struct pb_buf *b, unsigned int field, const uint64_t *v, size_t n)
{
	tag(b, field, PB_LEN);
	raw_varint(b, 8 * n);
	for (size_t i = 0; i < n; i++)
		le64(b, v[i]);
}

void pb_packed_double(struct pb_buf *b, unsigned int field, const double *v, size_t n)
{
	tag(b, field, PB_LEN);
	raw_varint(b, 8 * n);
	for (size_t i = 0; i < n; i++)
		le64(b, double_bits(v[i]));
}

size_t pb_begin(struct pb_buf *b, unsigned int field)
{
	tag(b, field, PB_LEN);
	if (!room(b, LEN_RESERVE))
		return 0;
	b->len += LEN_RESERVE;
	return b->len;	/* where the content starts */
}

void pb_end(struct pb_buf *b, size_t mark)
{
	size_t n, lenlen;
	uint8_t *slot;

	if (b->err)
		return;
	n = b->len - mark;
	lenlen = varint_len(n);
	slot = b->p + mark - LEN_RESERVE;
	/* Exact (shortest) length encoding, content moved down over the
	 * unused reserve: decoders accept padded varints, but shortest form
	 * is what every other encoder writes and what golden tests expect. */
	varint_put(slot, n);
	if (lenlen < LEN_RESERVE) {
		memmove(slot + lenlen, b->p + mark, n);
		b->len -= LEN_RESERVE - lenlen;
	}
}
