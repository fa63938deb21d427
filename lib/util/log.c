#include "lib/util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define MAX_RULES 16

/* Written once at start-up by the main thread, read by every thread after. */
static struct {
	char module[24];
	enum wg_log_level level;
} rules[MAX_RULES];
static unsigned int n_rules;
static enum wg_log_level default_level = WG_LOG_INFO;
static bool json;

static const char *const names[] = { "error", "warn", "info", "debug" };

static int parse_level(const char *s, size_t n, enum wg_log_level *out)
{
	for (unsigned int i = 0; i < 4; i++) {
		if (strlen(names[i]) == n && strncasecmp(s, names[i], n) == 0) {
			*out = (enum wg_log_level)i;
			return 0;
		}
	}
	if (n == 7 && strncasecmp(s, "warning", 7) == 0) {
		*out = WG_LOG_WARN;
		return 0;
	}
	return -EINVAL;
}

int wg_log_configure(const char *filter, const char *format)
{
	if (format && *format) {
		if (!strcmp(format, "json"))
			json = true;
		else if (!strcmp(format, "text"))
			json = false;
		else
			return -EINVAL;
	}
	if (!filter || !*filter)
		return 0;
	n_rules = 0;
	for (const char *p = filter; *p;) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		enum wg_log_level lvl;

		if (eq) {
			size_t mlen = (size_t)(eq - p);
			if (!mlen || mlen >= sizeof(rules[0].module) || n_rules == MAX_RULES ||
			    parse_level(eq + 1, len - mlen - 1, &lvl))
				return -EINVAL;
			memcpy(rules[n_rules].module, p, mlen);
			rules[n_rules].module[mlen] = '\0';
			rules[n_rules++].level = lvl;
		} else {
			if (parse_level(p, len, &lvl))
				return -EINVAL;
			default_level = lvl;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

bool wg_log_enabled(enum wg_log_level lvl, const char *module)
{
	for (unsigned int i = 0; i < n_rules; i++)
		if (!strcmp(rules[i].module, module))
			return lvl <= rules[i].level;
	return lvl <= default_level;
}

static void json_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
}

void wg_log(enum wg_log_level lvl, const char *module, const char *fmt, ...)
{
	char msg[1024], ts[40];
	struct timespec now;
	struct tm tm;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - n, ".%03ldZ", now.tv_nsec / 1000000);

	flockfile(stderr);
	if (json) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"", ts, names[lvl]);
		json_escape(stderr, module);
		fputs("\",\"msg\":\"", stderr);
		json_escape(stderr, msg);
		fputs("\"}\n", stderr);
	} else {
		fprintf(stderr, "%s %-5s %s: %s\n", ts, names[lvl], module, msg);
	}
	funlockfile(stderr);
}

bool wg_log_ratelimit(struct wg_log_ratelimit *rl, enum wg_log_level lvl, const char *module)
{
	struct timespec now;
	uint32_t held;

	clock_gettime(CLOCK_MONOTONIC, &now);
	/* +1 so that the zeroed static never looks like the current window. */
	if ((uint64_t)now.tv_sec + 1 >= rl->window + WG_LOG_RL_INTERVAL_S) {
		rl->window = (uint64_t)now.tv_sec + 1;
		rl->printed = 0;
	}
	if (rl->printed >= WG_LOG_RL_BURST) {
		rl->suppressed++;
		return false;
	}
	rl->printed++;
	held = rl->suppressed;
	if (held) {
		rl->suppressed = 0;
		wg_log(lvl, module, "%u similar message(s) suppressed (rate limit)", held);
	}
	return true;
}
