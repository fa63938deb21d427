/* Unit tests for lib/signal/url: both URL forms with their defaults, IPv6
 * hosts, %-encoded passwords, refusals with reasons that never quote the
 * password, and the redacted form used in messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/signal/url.h"

static void plain(void **state)
{
	struct wg_redis_url u;

	(void)state;
	assert_int_equal(wg_redis_url_parse("redis://127.0.0.1", &u, NULL, 0), 0);
	assert_false(u.sentinel);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 0);
	assert_string_equal(u.password, "");
	assert_int_equal(wg_redis_url_parse("redis://:s%40cret@redis.lan:6380/3", &u, NULL, 0), 0);
	assert_string_equal(u.host, "redis.lan");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, 3);
	assert_string_equal(u.user, "");
	assert_string_equal(u.password, "s@cret");
	assert_int_equal(wg_redis_url_parse("REDIS://ops:pw@[2001:db8::5]:7000/1", &u, NULL, 0), 0);
	assert_string_equal(u.host, "2001:db8::5");
	assert_string_equal(u.user, "ops");
	assert_int_equal(u.port, 7000);
}

static void sentinel(void **state)
{
	struct wg_redis_url u;

	(void)state;
	assert_int_equal(wg_redis_url_parse("redis+sentinel://10.0.0.9/mymaster", &u, NULL, 0), 0);
	assert_true(u.sentinel);
	assert_int_equal(u.port, 26379);
	assert_string_equal(u.master, "mymaster");
	assert_int_equal(u.db, 0);
	assert_int_equal(wg_redis_url_parse("redis+sentinel://:pw@h:26380/m/2", &u, NULL, 0), 0);
	assert_int_equal(u.port, 26380);
	assert_int_equal(u.db, 2);
	assert_string_equal(u.password, "pw");
}

static void refusals(void **state)
{
	static const char *const bad[] = {
		"http://h", "redis://", "redis://:pw@", "redis://h:0", "redis://h:65536",
		"redis://h:x", "redis://h/x", "redis://[::1", "redis+sentinel://h",
		"redis+sentinel://h/", "redis://user@h",
	};
	struct wg_redis_url u;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		assert_int_equal(wg_redis_url_parse(bad[i], &u, why, sizeof(why)), -22);
		assert_true(why[0]);
	}
	assert_int_equal(wg_redis_url_parse("redis://:hunter2@h:x", &u, why, sizeof(why)), -22);
	assert_null(strstr(why, "hunter2"));
}

static void redact(void **state)
{
	char out[128];

	(void)state;
	wg_redis_url_redact("redis://:hunter2@h:6379/0", out, sizeof(out));
	assert_string_equal(out, "redis://:****@h:6379/0");
	wg_redis_url_redact("redis://ops:a@b@h/0", out, sizeof(out));
	assert_string_equal(out, "redis://ops:****@h/0");
	wg_redis_url_redact("redis://h:6379/0", out, sizeof(out));
	assert_string_equal(out, "redis://h:6379/0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain),
		cmocka_unit_test(sentinel),
		cmocka_unit_test(refusals),
		cmocka_unit_test(redact),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
