/* lib/dns/stream: RFC 7766 framing fed in every cut a TCP peer may make. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/dns/stream.h"

static struct wg_dns_stream st;

/* Two framed messages of 5 and 300 bytes back to back. */
static size_t two(uint8_t *b)
{
	size_t n = 0;

	wg_dns_stream_prefix(b, 5);
	memcpy(b + 2, "hello", 5);
	n = 7;
	wg_dns_stream_prefix(b + n, 300);
	for (int i = 0; i < 300; i++)
		b[n + 2 + i] = (uint8_t)i;
	return n + 302;
}

/* Every split point of the pair, the length prefix cut included: each
 * message comes out whole, once, in order, whatever the cut. */
static void every_cut(void **state)
{
	uint8_t b[400];
	size_t n = two(b);
	const uint8_t *m;
	size_t len, lens[4], k;

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		memset(&st, 0, sizeof(st));
		k = 0;
		assert_int_equal(wg_dns_stream_feed(&st, b, cut), cut);
		while (wg_dns_stream_next(&st, &m, &len) == 1 && k < 4)
			lens[k++] = len;
		assert_int_equal(k, cut >= n ? 2 : cut >= 7 ? 1 : 0);
		assert_int_equal(wg_dns_stream_feed(&st, b + cut, n - cut), n - cut);
		while (wg_dns_stream_next(&st, &m, &len) == 1 && k < 4)
			lens[k++] = len;
		assert_int_equal(k, 2);
		assert_int_equal(lens[0], 5);
		assert_int_equal(lens[1], 300);
		assert_int_equal(wg_dns_stream_room(&st), WG_DNS_STREAM_BUF);
	}
}

/* One byte at a time. */
static void byte_by_byte(void **state)
{
	uint8_t b[400];
	size_t n = two(b), got = 0;
	const uint8_t *m;
	size_t len;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(wg_dns_stream_feed(&st, b + i, 1), 1);
		while (wg_dns_stream_next(&st, &m, &len) == 1)
			got += len;
	}
	assert_int_equal(got, 305);
}

/* Bounded: the buffer takes what fits, the rest is left for later. */
static void bounded(void **state)
{
	static uint8_t big[7 * (WG_DNS_STREAM_BUF / 7 + 15)];	/* whole 7-byte messages, > BUF */
	const uint8_t *m;
	size_t len, fed;

	(void)state;
	memset(&st, 0, sizeof(st));
	for (size_t i = 0; i + 7 <= sizeof(big); i += 7) {	/* 5-byte messages */
		wg_dns_stream_prefix(big + i, 5);
		memset(big + i + 2, 'x', 5);
	}
	fed = wg_dns_stream_feed(&st, big, sizeof(big));
	assert_int_equal(fed, WG_DNS_STREAM_BUF);
	assert_int_equal(wg_dns_stream_room(&st), 0);
	assert_int_equal(wg_dns_stream_next(&st, &m, &len), 1);
	assert_int_equal(wg_dns_stream_room(&st), 7);	/* freed at once */
	assert_int_equal(wg_dns_stream_feed(&st, big + fed, sizeof(big) - fed), 7);
}

static void oversize_and_empty(void **state)
{
	uint8_t b[2];
	const uint8_t *m;
	size_t len;

	(void)state;
	memset(&st, 0, sizeof(st));
	wg_dns_stream_prefix(b, WG_DNS_STREAM_MSG + 1);
	wg_dns_stream_feed(&st, b, 2);
	assert_int_equal(wg_dns_stream_next(&st, &m, &len), -EMSGSIZE);
	memset(&st, 0, sizeof(st));
	wg_dns_stream_prefix(b, 0);
	wg_dns_stream_feed(&st, b, 2);
	assert_int_equal(wg_dns_stream_next(&st, &m, &len), -EMSGSIZE);
	/* the largest allowed one passes */
	static uint8_t ok[2 + WG_DNS_STREAM_MSG];
	memset(&st, 0, sizeof(st));
	wg_dns_stream_prefix(ok, WG_DNS_STREAM_MSG);
	wg_dns_stream_feed(&st, ok, sizeof(ok));
	assert_int_equal(wg_dns_stream_next(&st, &m, &len), 1);
	assert_int_equal(len, WG_DNS_STREAM_MSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_cut),
		cmocka_unit_test(byte_by_byte),
		cmocka_unit_test(bounded),
		cmocka_unit_test(oversize_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
