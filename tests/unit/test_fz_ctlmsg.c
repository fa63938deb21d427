/* lib/fz/ctlmsg.c: Firezone in-tunnel control packets. The header shape the
 * worker matches; AssignedIps read (names normalised, proxies in order);
 * every refusal under its own reason (table); DomainStatus built byte for
 * byte and read back; Goodbye; unknown events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/fz/ctlmsg.h"

/* A control packet around body (event ev); returns its length. */
static size_t wrap(uint8_t *p, uint8_t ev, const char *body)
{
	size_t bl = strlen(body), pl = WG_FZ_HDR_LEN + bl;

	memset(p, 0, 48);
	p[0] = 0x60;
	p[4] = (uint8_t)(pl >> 8);
	p[5] = (uint8_t)pl;
	p[6] = 0xff;
	p[40] = ev;
	memcpy(p + 48, body, bl);
	return 40 + pl;
}

#define GOOD_IPS "[\"100.96.0.7\",\"100.96.0.8\",\"100.96.0.9\",\"100.96.0.10\"," \
	"\"fd00:2021:1111:8000::7\",\"fd00:2021:1111:8000::8\",\"fd00:2021:1111:8000::9\"," \
	"\"fd00:2021:1111:8000::a\"]"

static void assigned_good(void **state)
{
	uint8_t p[4096];
	struct wg_fz_msg m;
	size_t n = wrap(p, 0, "{\"resource\":\"web-1\",\"domain\":\"App.Corp.Test.\","
			      "\"proxy_ips\":" GOOD_IPS "}");

	(void)state;
	assert_true(wg_fz_is_control(p, n));
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	assert_int_equal(m.event, WG_FZ_ASSIGNED_IPS);
	assert_string_equal(m.resource, "web-1");
	assert_string_equal(m.domain, "app.corp.test");
	assert_string_equal(m.domain_raw, "App.Corp.Test.");
	assert_int_equal(m.n_proxy, 8);
	char s[64];
	wg_ipaddr_str(&m.proxy[0], s, sizeof(s));
	assert_string_equal(s, "100.96.0.7");
	wg_ipaddr_str(&m.proxy[7], s, sizeof(s));
	assert_string_equal(s, "fd00:2021:1111:8000::a");
	/* padding after the payload is ignored */
	memset(p + n, 0xee, 16);
	assert_int_equal(wg_fz_parse(p, n + 16, &m), WG_FZ_OK);
	/* 4 of one family */
	n = wrap(p, 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
		       "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.127.255.254\"]}");
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	assert_int_equal(m.n_proxy, 4);
}

static const struct {
	uint8_t ev;
	const char *body;
	enum wg_fz_err want;
} bad[] = {
	{ 0, "", WG_FZ_ERR_JSON },
	{ 0, "[1]", WG_FZ_ERR_JSON },
	{ 0, "{\"resource\":\"r\",", WG_FZ_ERR_JSON },
	{ 0, "{\"resource\":\"r\",\"resource\":\"s\"}", WG_FZ_ERR_JSON },
	{ 0, "{\"domain\":\"a.b\",\"proxy_ips\":" GOOD_IPS "}", WG_FZ_ERR_RESOURCE },
	{ 0, "{\"resource\":7,\"domain\":\"a.b\",\"proxy_ips\":" GOOD_IPS "}", WG_FZ_ERR_RESOURCE },
	{ 0, "{\"resource\":\"a b\",\"domain\":\"a.b\",\"proxy_ips\":" GOOD_IPS "}",
	  WG_FZ_ERR_RESOURCE },
	{ 0, "{\"resource\":\"r\",\"proxy_ips\":" GOOD_IPS "}", WG_FZ_ERR_DOMAIN },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a..b\",\"proxy_ips\":" GOOD_IPS "}",
	  WG_FZ_ERR_DOMAIN },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a/b\",\"proxy_ips\":" GOOD_IPS "}",
	  WG_FZ_ERR_DOMAIN },
	{ 0, "{\"resource\":\"r\",\"domain\":\"App..\",\"proxy_ips\":" GOOD_IPS "}",
	  WG_FZ_ERR_DOMAIN },
	{ 0, "{\"resource\":\"r\",\"domain\":\"\",\"proxy_ips\":" GOOD_IPS "}", WG_FZ_ERR_DOMAIN },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\"}", WG_FZ_ERR_PROXY_COUNT },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":[\"100.96.0.1\"]}",
	  WG_FZ_ERR_PROXY_COUNT },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":\"100.96.0.1\"}",
	  WG_FZ_ERR_PROXY_COUNT },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"x\"]}", WG_FZ_ERR_PROXY_ADDR },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",4]}", WG_FZ_ERR_PROXY_ADDR },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.128.0.1\"]}",
	  WG_FZ_ERR_PROXY_RANGE },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"fd00:2021:1111:8020::1\"]}",
	  WG_FZ_ERR_PROXY_RANGE },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"fd00:2021:1111:8000::1\"]}",
	  WG_FZ_ERR_PROXY_FAMILY },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.3\",\"100.96.0.4\","
	     "\"100.96.0.5\",\"fd00:2021:1111:8000::2\",\"fd00:2021:1111:8000::3\","
	     "\"fd00:2021:1111:8000::4\"]}", WG_FZ_ERR_PROXY_FAMILY },
	{ 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":"
	     "[\"100.96.0.1\",\"100.96.0.2\",\"100.96.0.1\",\"100.96.0.4\"]}",
	  WG_FZ_ERR_PROXY_DUP },
	{ 1, "{\"resource\":\"r\",\"domain\":\"a.b\",\"status\":\"active\"}", WG_FZ_ERR_STATUS },
	{ 1, "{\"resource\":\"r\",\"domain\":\"a.b\"}", WG_FZ_ERR_STATUS },
	{ 3, "{}", WG_FZ_ERR_EVENT },
	{ 255, "", WG_FZ_ERR_EVENT },
};

static void refusals(void **state)
{
	uint8_t p[4096];
	struct wg_fz_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = wrap(p, bad[i].ev, bad[i].body);
		enum wg_fz_err e = wg_fz_parse(p, n, &m);
		if (e != bad[i].want)
			fail_msg("case %zu (%s): got %s, want %s", i, bad[i].body, wg_fz_err_str(e),
				 wg_fz_err_str(bad[i].want));
	}
	assert_int_equal(m.event, 255);	/* the unknown type is kept */
}

static void header_shape(void **state)
{
	uint8_t p[256];
	struct wg_fz_msg m;
	size_t n = wrap(p, 2, "");

	(void)state;
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	assert_int_equal(m.event, WG_FZ_GOODBYE);
	/* each shape byte breaks it */
	static const int off[] = { 0, 6, 7, 8, 23, 24, 39 };
	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		wrap(p, 2, "");
		p[off[i]] ^= off[i] == 0 ? 0x20 : 0x01;
		assert_false(wg_fz_is_control(p, n));
		assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_ERR_HEADER);
	}
	/* event header bytes 1..7 must be zero */
	wrap(p, 2, "");
	p[47] = 1;
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_ERR_HEADER);
	/* too short, payload length past the end, payload shorter than the header */
	wrap(p, 2, "");
	assert_int_equal(wg_fz_parse(p, 39, &m), WG_FZ_ERR_SHORT);
	assert_int_equal(wg_fz_parse(p, n - 1, &m), WG_FZ_ERR_SHORT);
	p[5] = 7;
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_ERR_SHORT);
	/* body over the bound */
	static uint8_t big[WG_FZ_MAX_BODY + 200];
	char body[WG_FZ_MAX_BODY + 100];
	memset(body, ' ', sizeof(body) - 1);
	body[sizeof(body) - 1] = 0;
	n = wrap(big, 0, body);
	assert_int_equal(wg_fz_parse(big, n, &m), WG_FZ_ERR_LONG);
}

static void status_built(void **state)
{
	uint8_t p[512];
	struct wg_fz_msg m;
	static const char want[] =
		"{\"resource\":\"web-1\",\"domain\":\"App.corp.test\",\"status\":\"Active\"}";
	size_t n = wg_fz_build_status(p, sizeof(p), "web-1", "App.corp.test", true);

	(void)state;
	assert_int_equal(n, 48 + strlen(want));
	static const uint8_t hdr[8] = { 0x60, 0, 0, 0, 0, (uint8_t)(8 + sizeof(want) - 1), 0xff, 0 };
	assert_memory_equal(p, hdr, 8);
	for (int i = 8; i < 48; i++)
		if (p[i] != (i == 40 ? 1 : 0))
			fail_msg("byte %d is %u", i, p[i]);
	assert_memory_equal(p + 48, want, strlen(want));
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	assert_int_equal(m.event, WG_FZ_DOMAIN_STATUS);
	assert_true(m.active);
	n = wg_fz_build_status(p, sizeof(p), "web-1", "a.b", false);
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	assert_false(m.active);
	/* too small a buffer */
	assert_int_equal(wg_fz_build_status(p, 60, "web-1", "a.b", false), 0);
}

static void assigned_round_trip(void **state)
{
	uint8_t p[1024];
	struct wg_fz_msg m, m2;
	size_t n = wrap(p, 0, "{\"resource\":\"r\",\"domain\":\"a.b\",\"proxy_ips\":" GOOD_IPS "}");

	(void)state;
	assert_int_equal(wg_fz_parse(p, n, &m), WG_FZ_OK);
	n = wg_fz_build_assigned(p, sizeof(p), m.resource, m.domain, m.proxy, m.n_proxy);
	assert_true(n > 48);
	assert_int_equal(wg_fz_parse(p, n, &m2), WG_FZ_OK);
	assert_memory_equal(m.proxy, m2.proxy, sizeof(m.proxy));
	assert_string_equal(m2.domain, "a.b");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(assigned_good),
		cmocka_unit_test(refusals),
		cmocka_unit_test(header_shape),
		cmocka_unit_test(status_built),
		cmocka_unit_test(assigned_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
