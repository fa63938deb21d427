/* lib/util/log: the per-module filter, the JSON format, and the per-call-
 * site rate limit of warnings (burst, suppression count logged by the next
 * record that gets through, info never limited, sites independent).
 * stderr is redirected to a temporary file and read back line by line. */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(warns_limited_per_site),
		cmocka_unit_test(info_not_limited),
		cmocka_unit_test(next_window_reports_suppressed),
		cmocka_unit_test(filter_and_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
