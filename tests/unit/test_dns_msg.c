/* lib/dns/msg.c: reading a query (names lowered, type and class, where the
 * question ends), malformed and unsupported messages refused, answers
 * built byte for byte (header bits, question copied, records pointing at
 * the name, TTL, too small a buffer), and the resource pattern rule
 * (exact, "*." any depth, "?." one label). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/dns/msg.h"

/* A query for name (dotted) and type, id 0x1234, RD set. */
static size_t query(uint8_t *m, const char *name, uint16_t type)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	size_t off = 12;

	memcpy(m, hdr, 12);
	while (*name) {
		size_t l = strcspn(name, ".");
		m[off++] = (uint8_t)l;
		memcpy(m + off, name, l);
		off += l;
		name += l + (name[l] == '.');
	}
	m[off++] = 0;
	m[off++] = (uint8_t)(type >> 8);
	m[off++] = (uint8_t)type;
	m[off++] = 0;
	m[off++] = 1;
	return off;
}

static void parse_good(void **state)
{
	uint8_t m[300];
	struct wg_dns_query q;
	size_t n = query(m, "App.Corp.TEST", WG_DNS_T_AAAA);

	(void)state;
	assert_int_equal(wg_dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.name, "app.corp.test");
	assert_int_equal(q.id, 0x1234);
	assert_int_equal(q.qtype, WG_DNS_T_AAAA);
	assert_int_equal(q.qclass, WG_DNS_C_IN);
	assert_int_equal(q.qend, n);
	/* an EDNS OPT record after the question is fine */
	m[11] = 1;
	memset(m + n, 0, 11);
	m[n + 2] = 41;
	assert_int_equal(wg_dns_query_parse(m, n + 11, &q), 0);
	assert_int_equal(q.qend, n);
	/* the root */
	n = query(m, "", 2);
	assert_int_equal(wg_dns_query_parse(m, n, &q), 0);
	assert_string_equal(q.name, "");
}

static void parse_bad(void **state)
{
	uint8_t m[600];
	struct wg_dns_query q;
	size_t n = query(m, "app.corp.test", WG_DNS_T_A);

	(void)state;
	for (size_t cut = 0; cut < n; cut++)	/* every truncation */
		assert_int_equal(wg_dns_query_parse(m, cut, &q), -EINVAL);
	m[2] |= 0x80;	/* a response */
	assert_int_equal(wg_dns_query_parse(m, n, &q), -ENOTSUP);
	m[2] = 0x01 | (2 << 3);	/* opcode STATUS */
	assert_int_equal(wg_dns_query_parse(m, n, &q), -ENOTSUP);
	m[2] = 0x01;
	m[5] = 2;	/* two questions */
	assert_int_equal(wg_dns_query_parse(m, n, &q), -ENOTSUP);
	m[5] = 0;
	assert_int_equal(wg_dns_query_parse(m, n, &q), -ENOTSUP);
	m[5] = 1;
	m[12] = 0xc0;	/* a compression pointer in the question */
	assert_int_equal(wg_dns_query_parse(m, n, &q), -EINVAL);
	m[12] = 60;	/* a label running past the end */
	assert_int_equal(wg_dns_query_parse(m, n, &q), -EINVAL);
	/* a name over 255 bytes */
	size_t off = 12;
	for (int i = 0; i < 5; i++) {
		m[off++] = 63;
		memset(m + off, 'a', 63);
		off += 63;
	}
	m[off++] = 0;
	memset(m + off, 0, 4);
	assert_int_equal(wg_dns_query_parse(m, off + 4, &q), -EINVAL);
}

static void build_answers(void **state)
{
	uint8_t m[300], out[600];
	struct wg_dns_query q;
	struct wg_ipaddr a[2];
	size_t n = query(m, "app.corp.test", WG_DNS_T_A);

	(void)state;
	wg_ipaddr_parse("100.96.0.1", &a[0]);
	wg_ipaddr_parse("100.96.0.2", &a[1]);
	assert_int_equal(wg_dns_query_parse(m, n, &q), 0);
	size_t l = wg_dns_answer_build(out, sizeof(out), m, &q, WG_DNS_RC_NOERROR, a, 2, 300);
	assert_int_equal(l, n + 2 * 16);
	assert_memory_equal(out, "\x12\x34\x85\x80\x00\x01\x00\x02\x00\x00\x00\x00", 12);
	assert_memory_equal(out + 12, m + 12, n - 12);
	assert_memory_equal(out + n, "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04"
				     "\x64\x60\x00\x01", 16);
	assert_memory_equal(out + n + 28, "\x64\x60\x00\x02", 4);
	/* too small a buffer */
	assert_int_equal(wg_dns_answer_build(out, n + 20, m, &q, 0, a, 2, 300), 0);
	/* REFUSED, no records; RD clear stays clear */
	m[2] = 0;
	assert_int_equal(wg_dns_query_parse(m, n, &q), 0);
	l = wg_dns_answer_build(out, sizeof(out), m, &q, WG_DNS_RC_REFUSED, NULL, 0, 0);
	assert_int_equal(l, n);
	assert_memory_equal(out + 2, "\x84\x85\x00\x01\x00\x00", 6);
	/* AAAA */
	n = query(m, "app.corp.test", WG_DNS_T_AAAA);
	wg_ipaddr_parse("fd00:2021:1111:8000::1", &a[0]);
	assert_int_equal(wg_dns_query_parse(m, n, &q), 0);
	l = wg_dns_answer_build(out, sizeof(out), m, &q, 0, a, 1, 5);
	assert_int_equal(l, n + 28);
	assert_memory_equal(out + n + 2, "\x00\x1c\x00\x01\x00\x00\x00\x05\x00\x10\xfd\x00", 12);
}

static void patterns(void **state)
{
	(void)state;
	assert_true(wg_dns_pattern_match("app.corp.test", "app.corp.test"));
	assert_false(wg_dns_pattern_match("app.corp.test", "x.app.corp.test"));
	assert_false(wg_dns_pattern_match("app.corp.test", "corp.test"));
	assert_true(wg_dns_pattern_match("*.corp.test", "corp.test"));
	assert_true(wg_dns_pattern_match("*.corp.test", "a.corp.test"));
	assert_true(wg_dns_pattern_match("*.corp.test", "a.b.c.corp.test"));
	assert_false(wg_dns_pattern_match("*.corp.test", "acorp.test"));
	assert_false(wg_dns_pattern_match("*.corp.test", ".corp.test"));
	assert_false(wg_dns_pattern_match("*.corp.test", "corp.test.evil"));
	assert_true(wg_dns_pattern_match("?.corp.test", "corp.test"));
	assert_true(wg_dns_pattern_match("?.corp.test", "a.corp.test"));
	assert_false(wg_dns_pattern_match("?.corp.test", "a.b.corp.test"));
	assert_false(wg_dns_pattern_match("?.corp.test", "xcorp.test"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_good),
		cmocka_unit_test(parse_bad),
		cmocka_unit_test(build_answers),
		cmocka_unit_test(patterns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
