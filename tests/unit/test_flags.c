/* Feature flags (lib/flags): the /decide?v=3 parser (good, malformed,
 * wrong types, variants, payloads as JSON strings or values), the
 * WGATE_FLAG_* pins (names, values, errors naming the variable), the
 * resolution rule (remote, fetch failure -> all false, pin wins, defaults),
 * the stream-logs filter and the request/event bodies. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "lib/flags/flags.h"

static int parse(const char *body, struct wg_flag_remote *r, char *why)
{
	return wg_flag_decide_parse(body, strlen(body), r, why, 200);
}

static void registry(void **state)
{
	(void)state;
	assert_int_equal(wg_flag_by_name("icmp-errors-on-deny"), WG_FLAG_ICMP_ERRORS_ON_DENY);
	assert_int_equal(wg_flag_by_name("stream-logs"), WG_FLAG_STREAM_LOGS);
	assert_int_equal(wg_flag_by_name("dns-ttl-resolution"), WG_FLAG_DNS_TTL_RESOLUTION);
	assert_int_equal(wg_flag_by_name("enobufs-as-would-block"),
			 WG_FLAG_ENOBUFS_AS_WOULD_BLOCK);
	assert_int_equal(wg_flag_by_name("stream_logs"), -1);
	assert_int_equal(wg_flag_by_name("icmp-errors-on-deny "), -1);
	assert_true(wg_flag_defaults[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_false(wg_flag_defaults[WG_FLAG_STREAM_LOGS]);
	assert_false(wg_flag_defaults[WG_FLAG_DNS_TTL_RESOLUTION]);
	assert_false(wg_flag_defaults[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK]);
	assert_string_equal(wg_flag_source_str(WG_FLAG_SRC_ENV), "env");
	assert_string_equal(wg_flag_source_str(WG_FLAG_SRC_REMOTE), "remote");
	assert_string_equal(wg_flag_source_str(WG_FLAG_SRC_DEFAULT), "default");
	assert_string_equal(wg_flag_source_str(WG_FLAG_SRC_FETCH_FAILED), "fetch-failed");
}

static void decide_good(void **state)
{
	struct wg_flag_remote r;
	char why[200];

	(void)state;
	assert_int_equal(parse("{\"config\":{\"enable_collect_everything\":true},"
			       "\"featureFlags\":{\"icmp-errors-on-deny\":false,"
			       "\"stream-logs\":\"verbose\",\"enobufs-as-would-block\":true,"
			       "\"some-other-flag\":42},"
			       "\"featureFlagPayloads\":{\"stream-logs\":\"\\\"debug\\\"\","
			       "\"some-other-flag\":\"{}\"},"
			       "\"errorsWhileComputingFlags\":false}", &r, why), 0);
	assert_true(r.present[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_false(r.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_true(r.present[WG_FLAG_STREAM_LOGS]);
	assert_true(r.value[WG_FLAG_STREAM_LOGS]);
	assert_string_equal(r.variant[WG_FLAG_STREAM_LOGS], "verbose");
	assert_true(r.value[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK]);
	assert_string_equal(r.variant[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK], "");
	assert_false(r.present[WG_FLAG_DNS_TTL_RESOLUTION]);
	assert_string_equal(r.payload[WG_FLAG_STREAM_LOGS], "\"debug\"");
	assert_null(r.payload[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	wg_flag_remote_clear(&r);
	assert_null(r.payload[WG_FLAG_STREAM_LOGS]);

	/* No payloads at all, and an empty flag map, are fine. */
	assert_int_equal(parse("{\"featureFlags\":{}}", &r, why), 0);
	for (int f = 0; f < WG_FLAG__MAX; f++)
		assert_false(r.present[f]);
	assert_int_equal(parse("{\"featureFlags\":{},\"featureFlagPayloads\":null}", &r, why), 0);
}

static void decide_payload_forms(void **state)
{
	struct wg_flag_remote r;
	char why[200], filter[64];

	(void)state;
	/* v3: a string holding JSON (an object) */
	assert_int_equal(parse("{\"featureFlags\":{\"stream-logs\":true},\"featureFlagPayloads\":"
			       "{\"stream-logs\":\"{\\\"filter\\\": \\\"warn,main=debug\\\"}\"}}",
			       &r, why), 0);
	assert_string_equal(r.payload[WG_FLAG_STREAM_LOGS], "{\"filter\":\"warn,main=debug\"}");
	assert_int_equal(wg_flag_log_filter(r.payload[WG_FLAG_STREAM_LOGS], filter,
					    sizeof(filter)), 0);
	assert_string_equal(filter, "warn,main=debug");
	wg_flag_remote_clear(&r);
	/* older hosts: the value itself */
	assert_int_equal(parse("{\"featureFlags\":{\"stream-logs\":true},\"featureFlagPayloads\":"
			       "{\"stream-logs\":{\"filter\":\"debug\"}}}", &r, why), 0);
	assert_string_equal(r.payload[WG_FLAG_STREAM_LOGS], "{\"filter\":\"debug\"}");
	wg_flag_remote_clear(&r);
	/* a plain string that is not JSON: taken as a JSON string */
	assert_int_equal(parse("{\"featureFlags\":{\"stream-logs\":true},\"featureFlagPayloads\":"
			       "{\"stream-logs\":\"info,http=debug\"}}", &r, why), 0);
	assert_string_equal(r.payload[WG_FLAG_STREAM_LOGS], "\"info,http=debug\"");
	assert_int_equal(wg_flag_log_filter(r.payload[WG_FLAG_STREAM_LOGS], filter,
					    sizeof(filter)), 0);
	assert_string_equal(filter, "info,http=debug");
	wg_flag_remote_clear(&r);

	assert_int_equal(wg_flag_log_filter("42", filter, sizeof(filter)), -EINVAL);
	assert_int_equal(wg_flag_log_filter("{\"filter\":1}", filter, sizeof(filter)), -EINVAL);
	assert_int_equal(wg_flag_log_filter("not json", filter, sizeof(filter)), -EINVAL);
	assert_int_equal(wg_flag_log_filter(NULL, filter, sizeof(filter)), -EINVAL);
	assert_int_equal(wg_flag_log_filter("\"0123456789\"", filter, 5), -ENOSPC);
}

static void decide_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"not json",
		"{\"featureFlags\":",
		"[]",
		"{}",						/* no featureFlags */
		"{\"featureFlags\":[]}",
		"{\"featureFlags\":\"icmp-errors-on-deny\"}",
		"{\"featureFlags\":{\"icmp-errors-on-deny\":1}}",	/* wrong types */
		"{\"featureFlags\":{\"stream-logs\":null}}",
		"{\"featureFlags\":{\"stream-logs\":\"\"}}",
		"{\"featureFlags\":{\"stream-logs\":{}}}",
		"{\"featureFlags\":{},\"featureFlagPayloads\":[]}",
		"{\"featureFlags\":{},\"featureFlagPayloads\":\"x\"}",
	};
	struct wg_flag_remote r;
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		assert_int_equal(parse(bad[i], &r, why), -EINVAL);
		assert_true(strlen(why) > 0);
		for (int f = 0; f < WG_FLAG__MAX; f++) {
			assert_false(r.present[f]);
			assert_null(r.payload[f]);
		}
	}
	/* The reason names the flag. */
	parse("{\"featureFlags\":{\"icmp-errors-on-deny\":1}}", &r, why);
	assert_non_null(strstr(why, "icmp-errors-on-deny"));
	/* Bytes after len are not read. */
	assert_int_equal(wg_flag_decide_parse("{\"featureFlags\":{}}garbage", 19, &r, why,
					      sizeof(why)), 0);
}

static void pins(void **state)
{
	char *ok[] = { "PATH=/bin", "WGATE_FLAG_ICMP_ERRORS_ON_DENY=false",
		       "WGATE_FLAG_STREAM_LOGS=TRUE", "WGATE_FLAGS_URL=http://x",
		       "WGATE_FLAG_ENOBUFS_AS_WOULD_BLOCK=1", NULL };
	char *unknown[] = { "WGATE_FLAG_NO_SUCH=true", NULL };
	char *kebab[] = { "WGATE_FLAG_STREAM-LOGS=true", NULL };
	char *lower[] = { "WGATE_FLAG_stream_logs=true", NULL };
	char *badval[] = { "WGATE_FLAG_STREAM_LOGS=maybe", NULL };
	char *empty[] = { "WGATE_FLAG_STREAM_LOGS=", NULL };
	char *noeq[] = { "WGATE_FLAG_STREAM_LOGS", NULL };
	char *prefix[] = { "WGATE_FLAG_STREAM=true", NULL };
	struct wg_flag_pins p;
	char why[200];

	(void)state;
	assert_int_equal(wg_flag_pins_parse(ok, &p, why, sizeof(why)), 0);
	assert_true(p.set[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_false(p.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_true(p.set[WG_FLAG_STREAM_LOGS]);
	assert_true(p.value[WG_FLAG_STREAM_LOGS]);
	assert_true(p.set[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK]);
	assert_true(p.value[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK]);
	assert_false(p.set[WG_FLAG_DNS_TTL_RESOLUTION]);

	assert_int_equal(wg_flag_pins_parse(unknown, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "WGATE_FLAG_NO_SUCH"));
	assert_non_null(strstr(why, "no such feature flag"));
	assert_int_equal(wg_flag_pins_parse(kebab, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_flag_pins_parse(lower, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_flag_pins_parse(prefix, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_flag_pins_parse(badval, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "WGATE_FLAG_STREAM_LOGS"));
	assert_non_null(strstr(why, "maybe"));
	assert_int_equal(wg_flag_pins_parse(empty, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_flag_pins_parse(noeq, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(wg_flag_pins_parse(NULL, &p, why, sizeof(why)), 0);
}

static void resolution(void **state)
{
	struct wg_flag_pins none = { 0 }, p = { 0 };
	struct wg_flag_remote r;
	struct wg_flag_values v;
	char why[200];

	(void)state;
	/* No remote: wgate's defaults. */
	wg_flag_resolve(&none, WG_FLAG_FETCH_NONE, NULL, &v);
	for (int f = 0; f < WG_FLAG__MAX; f++) {
		assert_int_equal(v.value[f], wg_flag_defaults[f]);
		assert_int_equal(v.source[f], WG_FLAG_SRC_DEFAULT);
	}
	assert_true(v.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);

	/* Remote values where named, defaults elsewhere. */
	assert_int_equal(parse("{\"featureFlags\":{\"icmp-errors-on-deny\":false,"
			       "\"stream-logs\":\"v1\",\"enobufs-as-would-block\":false}}",
			       &r, why), 0);
	wg_flag_resolve(&none, WG_FLAG_FETCH_OK, &r, &v);
	assert_false(v.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	assert_int_equal(v.source[WG_FLAG_ICMP_ERRORS_ON_DENY], WG_FLAG_SRC_REMOTE);
	assert_true(v.value[WG_FLAG_STREAM_LOGS]);
	assert_int_equal(v.source[WG_FLAG_STREAM_LOGS], WG_FLAG_SRC_REMOTE);
	assert_false(v.value[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK]);
	assert_int_equal(v.source[WG_FLAG_ENOBUFS_AS_WOULD_BLOCK], WG_FLAG_SRC_REMOTE);
	assert_false(v.value[WG_FLAG_DNS_TTL_RESOLUTION]);
	assert_int_equal(v.source[WG_FLAG_DNS_TTL_RESOLUTION], WG_FLAG_SRC_DEFAULT);

	/* A failed fetch: every flag false, including the on-by-default one. */
	wg_flag_resolve(&none, WG_FLAG_FETCH_FAILED, &r, &v);
	for (int f = 0; f < WG_FLAG__MAX; f++) {
		assert_false(v.value[f]);
		assert_int_equal(v.source[f], WG_FLAG_SRC_FETCH_FAILED);
	}

	/* A pin wins over remote, failure and default alike. */
	p.set[WG_FLAG_ICMP_ERRORS_ON_DENY] = true;
	p.value[WG_FLAG_ICMP_ERRORS_ON_DENY] = true;
	p.set[WG_FLAG_DNS_TTL_RESOLUTION] = true;
	p.value[WG_FLAG_DNS_TTL_RESOLUTION] = false;
	for (int fetch = WG_FLAG_FETCH_NONE; fetch <= WG_FLAG_FETCH_FAILED; fetch++) {
		wg_flag_resolve(&p, (enum wg_flag_fetch)fetch, &r, &v);
		assert_true(v.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);
		assert_int_equal(v.source[WG_FLAG_ICMP_ERRORS_ON_DENY], WG_FLAG_SRC_ENV);
		assert_false(v.value[WG_FLAG_DNS_TTL_RESOLUTION]);
		assert_int_equal(v.source[WG_FLAG_DNS_TTL_RESOLUTION], WG_FLAG_SRC_ENV);
	}
	/* Remote is ignored unless the fetch succeeded. */
	wg_flag_resolve(&none, WG_FLAG_FETCH_NONE, &r, &v);
	assert_true(v.value[WG_FLAG_ICMP_ERRORS_ON_DENY]);
	wg_flag_remote_clear(&r);
}

static void bodies(void **state)
{
	char *s = wg_flag_decide_request("phc_\"key", "ab12");
	json_t *o;

	(void)state;
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "api_key")), "phc_\"key");
	assert_string_equal(json_string_value(json_object_get(o, "distinct_id")), "ab12");
	json_decref(o);
	free(s);

	s = wg_flag_capture_event("k", "$identify", "id", "{\"$set\":{\"version\":\"1\"}}",
				  "2026-01-01T00:00:00Z");
	assert_non_null(s);
	o = json_loads(s, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "event")), "$identify");
	assert_string_equal(json_string_value(json_object_get(o, "distinct_id")), "id");
	assert_string_equal(json_string_value(json_object_get(o, "api_key")), "k");
	assert_string_equal(json_string_value(json_object_get(o, "timestamp")),
			    "2026-01-01T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(
		json_object_get(json_object_get(o, "properties"), "$set"), "version")), "1");
	json_decref(o);
	free(s);
	s = wg_flag_capture_event("k", "e", "id", NULL, "t");
	assert_non_null(s);
	free(s);
	assert_null(wg_flag_capture_event("k", "e", "id", "[1]", "t"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registry),
		cmocka_unit_test(decide_good),
		cmocka_unit_test(decide_payload_forms),
		cmocka_unit_test(decide_malformed),
		cmocka_unit_test(pins),
		cmocka_unit_test(resolution),
		cmocka_unit_test(bodies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
