#include "lib/util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Written by the main thread: at start-up, and on the control lcore when
 * the stream-logs flag's payload changes it (control/flags.c); read by
 * every thread. */
static struct wg_log_filter local = { .dflt = WG_LOG_INFO };
static bool json;

/* The sink (e.g. OTLP log streaming). Written and read only by the thread
 * that installs it, the one whose sink_thread is true: any other thread
 * stops at its own false sink_thread and never touches the struct, so
 * neither it nor its filter needs a lock or an atomic. */
static _Thread_local bool sink_thread;
static struct {
	wg_log_sink_fn fn;
	void *arg;
	struct wg_log_filter filter;
	bool busy;		/* the sink is running: a record it logs is not fed back */
} sink;

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

int wg_log_filter_parse(struct wg_log_filter *out, const char *filter)
{
	struct wg_log_filter f = { .dflt = WG_LOG_INFO };

	for (const char *p = filter ? filter : ""; *p;) {
		size_t len = strcspn(p, ",");
		const char *eq = memchr(p, '=', len);
		enum wg_log_level lvl;

		if (eq) {
			size_t mlen = (size_t)(eq - p);
			if (!mlen || mlen >= sizeof(f.rules[0].module) ||
			    f.n_rules == WG_LOG_MAX_RULES || parse_level(eq + 1, len - mlen - 1, &lvl))
				return -EINVAL;
			memcpy(f.rules[f.n_rules].module, p, mlen);
			f.rules[f.n_rules].module[mlen] = '\0';
			f.rules[f.n_rules++].level = lvl;
		} else {
			if (parse_level(p, len, &lvl))
				return -EINVAL;
			f.dflt = lvl;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	*out = f;
	return 0;
}

bool wg_log_filter_allows(const struct wg_log_filter *f, enum wg_log_level lvl,
			  const char *module)
{
	for (unsigned int i = 0; i < f->n_rules; i++)
		if (!strcmp(f->rules[i].module, module))
			return lvl <= f->rules[i].level;
	return lvl <= f->dflt;
}

int wg_log_configure(const char *filter, const char *format)
{
	bool js = json;

	if (format && *format) {
		if (!strcmp(format, "json"))
			js = true;
		else if (!strcmp(format, "text"))
			js = false;
		else
			return -EINVAL;
	}
	if (filter && *filter && wg_log_filter_parse(&local, filter))
		return -EINVAL;
	json = js;
	return 0;
}

void wg_log_set_sink(wg_log_sink_fn fn, void *arg, const struct wg_log_filter *filter)
{
	sink_thread = true;
	sink.fn = fn;
	sink.arg = arg;
	if (filter)
		sink.filter = *filter;
}

static bool to_sink(enum wg_log_level lvl, const char *module)
{
	return sink_thread && sink.fn && !sink.busy &&
	       wg_log_filter_allows(&sink.filter, lvl, module);
}

bool wg_log_enabled(enum wg_log_level lvl, const char *module)
{
	return wg_log_filter_allows(&local, lvl, module) || to_sink(lvl, module);
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

	if (to_sink(lvl, module)) {
		sink.busy = true;
		sink.fn(sink.arg, lvl, module,
			(uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec, msg);
		sink.busy = false;
	}
	if (!wg_log_filter_allows(&local, lvl, module))
		return;
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
