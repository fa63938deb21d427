/* lib/util/log: the per-module filter, the JSON format, and the per-call-
 * site rate limit of warnings (burst, suppression count logged by the next
 * record that gets through, info never limited, sites independent).
 * stderr is redirected to a temporary file and read back line by line. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/util/log.h"

static char out[1 << 16];

/* Runs fn with stderr going to a file; returns the text written. */
static const char *capture(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, sizeof(out) - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	return out;
}

static unsigned count(const char *text, const char *needle)
{
	unsigned n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void warn_25_times(void)
{
	for (int i = 0; i < 25; i++)
		WG_LOG(WARN, "test", "flood %d", i);
}

static void warns_limited_per_site(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(wg_log_configure("info", "text"), 0);
	t = capture(warn_25_times);
	assert_int_equal(count(t, "flood "), WG_LOG_RL_BURST);
	assert_non_null(strstr(t, "flood 0\n"));
	assert_null(strstr(t, "flood 10\n"));
	assert_int_equal(count(t, "suppressed"), 0);
}

static void info_25_times(void)
{
	for (int i = 0; i < 25; i++)
		WG_LOG(INFO, "test", "chatty %d", i);
}

static void info_not_limited(void **state)
{
	(void)state;
	assert_int_equal(wg_log_configure("info", "text"), 0);
	assert_int_equal(count(capture(info_25_times), "chatty "), 25);
}

static struct wg_log_ratelimit rl;

static void site(void)
{
	if (wg_log_ratelimit(&rl, WG_LOG_WARN, "test"))
		wg_log(WG_LOG_WARN, "test", "site");
}

static void site_15(void)
{
	for (int i = 0; i < 15; i++)
		site();
}

static void next_window_reports_suppressed(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(wg_log_configure("info", "text"), 0);
	memset(&rl, 0, sizeof(rl));
	t = capture(site_15);
	assert_int_equal(count(t, "test: site\n"), WG_LOG_RL_BURST);
	assert_int_equal(rl.suppressed, 15 - WG_LOG_RL_BURST);
	/* The window has passed: the count comes first, then the record. */
	rl.window -= WG_LOG_RL_INTERVAL_S;
	t = capture(site);
	assert_non_null(strstr(t, "warn  test: 5 similar message(s) suppressed (rate limit)\n"));
	assert_true(strstr(t, "suppressed") < strstr(t, "test: site\n"));
	assert_int_equal(rl.suppressed, 0);
	/* Still inside the window's burst: nothing more to report. */
	t = capture(site);
	assert_int_equal(count(t, "suppressed"), 0);
	assert_int_equal(count(t, "test: site\n"), 1);
}

static void mixed(void)
{
	WG_LOG(DEBUG, "dataplane", "dp-debug");
	WG_LOG(DEBUG, "control", "ctl-debug");
	WG_LOG(INFO, "control", "ctl-info");
	WG_LOG(WARN, "control", "ctl \"warn\"\n");
}

static void filter_and_json(void **state)
{
	const char *t;

	(void)state;
	assert_int_equal(wg_log_configure("warn,dataplane=debug", "json"), 0);
	t = capture(mixed);
	assert_non_null(strstr(t, "\"level\":\"debug\",\"module\":\"dataplane\",\"msg\":\"dp-debug\"}"));
	assert_null(strstr(t, "ctl-debug"));
	assert_null(strstr(t, "ctl-info"));
	assert_non_null(strstr(t, "\"msg\":\"ctl \\\"warn\\\"\\u000a\"}"));
	assert_int_equal(count(t, "\n"), 2);
	assert_int_not_equal(wg_log_configure("loud", NULL), 0);
	assert_int_not_equal(wg_log_configure("info", "xml"), 0);
	assert_int_equal(wg_log_configure("info", "text"), 0);
}

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
		cmocka_unit_test(warns_limited_per_site),
		cmocka_unit_test(info_not_limited),
		cmocka_unit_test(next_window_reports_suppressed),
		cmocka_unit_test(filter_and_json),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
