/* A minimal protobuf writer for the OTLP encoder: varints, fixed64,
 * doubles and length-delimited fields (strings, bytes, nested messages),
 * appended to one growable buffer. Only what OTLP needs; no reader (the
 * unit test has its own, and the e2e receiver decodes with OpenTelemetry's
 * generated code).
 *
 * A nested message is written in place: pb_begin() leaves room for the
 * length, pb_end() writes it and, when the length needs fewer bytes than
 * reserved, moves the content down. Errors are sticky (b->err): after an
 * allocation failure every call is a no-op and the caller checks once. */
#ifndef WGATE_LIB_OTLP_PB_H
#define WGATE_LIB_OTLP_PB_H

#include <stddef.h>
#include <stdint.h>

struct pb_buf {
	uint8_t *p;
	size_t len, cap;
	size_t max;	/* refuse to grow beyond this (0 = no limit): -EMSGSIZE */
	int err;	/* 0, -ENOMEM or -EMSGSIZE, sticky */
};

/* Wire types (protobuf encoding spec). */
enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

void pb_init(struct pb_buf *b, size_t max);
void pb_free(struct pb_buf *b);
void pb_reset(struct pb_buf *b);	/* len = 0, err = 0; keeps the memory */

void pb_varint(struct pb_buf *b, unsigned int field, uint64_t v);
void pb_fixed64(struct pb_buf *b, unsigned int field, uint64_t v);
void pb_fixed32(struct pb_buf *b, unsigned int field, uint32_t v);
void pb_double(struct pb_buf *b, unsigned int field, double v);
void pb_bytes(struct pb_buf *b, unsigned int field, const void *p, size_t n);
void pb_string(struct pb_buf *b, unsigned int field, const char *s);
/* Packed repeated fixed64 / double (proto3 packs them by default). */
void pb_packed_fixed64(struct pb_buf *b, unsigned int field, const uint64_t *v, size_t n);
void pb_packed_double(struct pb_buf *b, unsigned int field, const double *v, size_t n);

/* Nested message: returns a mark for pb_end(). */
size_t pb_begin(struct pb_buf *b, unsigned int field);
void pb_end(struct pb_buf *b, size_t mark);

#endif
