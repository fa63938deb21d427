/* lib/util/log: the WGATE_LOG filter parser and the sink that OTLP log
 * streaming hangs on (its own filter, its own thread only, no feedback). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/util/log.h"

static void test_filter(void **state)
{
	struct wg_log_filter f;

	(void)state;
	assert_int_equal(wg_log_filter_parse(&f, "warn,dataplane=debug,otlp=error"), 0);
	assert_true(wg_log_filter_allows(&f, WG_LOG_WARN, "main"));
	assert_false(wg_log_filter_allows(&f, WG_LOG_INFO, "main"));
	assert_true(wg_log_filter_allows(&f, WG_LOG_DEBUG, "dataplane"));
	assert_false(wg_log_filter_allows(&f, WG_LOG_WARN, "otlp"));
	assert_int_equal(wg_log_filter_parse(&f, NULL), 0);	/* default info */
	assert_true(wg_log_filter_allows(&f, WG_LOG_INFO, "x"));
	assert_false(wg_log_filter_allows(&f, WG_LOG_DEBUG, "x"));
	assert_int_equal(wg_log_filter_parse(&f, "Warning"), 0);
	assert_false(wg_log_filter_allows(&f, WG_LOG_INFO, "x"));
	/* a bad filter leaves the old one */
	static const char *const bad[] = { "loud", "=debug", "m=", "m=loud",
		"a_module_name_far_too_long_to_fit=info",
		"a=info,b=info,c=info,d=info,e=info,f=info,g=info,h=info,i=info,j=info,"
		"k=info,l=info,m=info,n=info,o=info,p=info,q=info" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(wg_log_filter_parse(&f, bad[i]), -22);
	assert_false(wg_log_filter_allows(&f, WG_LOG_INFO, "x"));
}

static struct {
	unsigned int n;
	char module[32], msg[128];
	enum wg_log_level lvl;
	uint64_t ns;
} seen;

static void sink(void *arg, enum wg_log_level lvl, const char *module, uint64_t ns,
		 const char *msg)
{
	(void)arg;
	seen.n++;
	seen.lvl = lvl;
	seen.ns = ns;
	snprintf(seen.module, sizeof(seen.module), "%s", module);
	snprintf(seen.msg, sizeof(seen.msg), "%s", msg);
	/* What the sink logs is not fed back to it (no recursion). */
	WG_LOG(ERR, "sinkself", "from inside the sink");
}

static void *other_thread(void *arg)
{
	(void)arg;
	WG_LOG(ERR, "otlp", "from another thread");
	return NULL;
}

static void test_sink(void **state)
{
	struct wg_log_filter f;
	pthread_t t;

	(void)state;
	/* The local log says error only; the sink wants otlp at debug. */
	assert_int_equal(wg_log_configure("error", "text"), 0);
	assert_int_equal(wg_log_filter_parse(&f, "warn,otlp=debug"), 0);
	assert_false(wg_log_enabled(WG_LOG_DEBUG, "otlp"));
	wg_log_set_sink(sink, NULL, &f);
	assert_true(wg_log_enabled(WG_LOG_DEBUG, "otlp"));
	assert_false(wg_log_enabled(WG_LOG_INFO, "main"));
	WG_LOG(DEBUG, "otlp", "value %d", 42);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.lvl, WG_LOG_DEBUG);
	assert_string_equal(seen.module, "otlp");
	assert_string_equal(seen.msg, "value 42");
	assert_true(seen.ns > 1600000000ull * 1000000000ull);
	WG_LOG(INFO, "main", "filtered out of both");
	assert_int_equal(seen.n, 1);
	WG_LOG(WARN, "main", "to the sink only");
	assert_int_equal(seen.n, 2);
	/* Records of other threads never reach the sink. */
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	pthread_join(t, NULL);
	assert_int_equal(seen.n, 2);
	/* Removed: nothing more. */
	wg_log_set_sink(NULL, NULL, NULL);
	WG_LOG(ERR, "otlp", "after removal");
	assert_int_equal(seen.n, 2);
	assert_false(wg_log_enabled(WG_LOG_DEBUG, "otlp"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
