/* Logging for setup and control paths (never per packet: packets are
 * counted). One line per record on stderr, text or JSON
 * (WGATE_LOG_FORMAT), filtered per module by WGATE_LOG, e.g.
 * "info" or "warn,dataplane=debug". Callers never pass key material.
 *
 * Warnings and errors are rate-limited per call site, as the kernel's
 * printk_ratelimited: at most WG_LOG_RL_BURST records in each
 * WG_LOG_RL_INTERVAL_S window; the rest are counted, and the count is
 * logged ("N similar message(s) suppressed") by the site's next record
 * that gets through. Input from outside (packets, signaling messages)
 * cannot flood the log, and a site that fires once still always prints. */
#ifndef WGATE_LIB_UTIL_LOG_H
#define WGATE_LIB_UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum wg_log_level { WG_LOG_ERR = 0, WG_LOG_WARN, WG_LOG_INFO, WG_LOG_DEBUG };

#define WG_LOG_MAX_RULES 16

/* A parsed filter: "LEVEL" and/or "MODULE=LEVEL" members, comma-separated. */
struct wg_log_filter {
	struct {
		char module[24];
		enum wg_log_level level;
	} rules[WG_LOG_MAX_RULES];
	unsigned int n_rules;
	enum wg_log_level dflt;
};

/* 0 with out set, or -EINVAL with out untouched. NULL/"" = "info". */
int wg_log_filter_parse(struct wg_log_filter *out, const char *filter);
bool wg_log_filter_allows(const struct wg_log_filter *f, enum wg_log_level lvl,
			  const char *module);

/* Parses the filter and format; 0 or -EINVAL (then the old ones stay). */
int wg_log_configure(const char *filter, const char *format);
/* True when a record would go anywhere: the local log or the sink. */
bool wg_log_enabled(enum wg_log_level lvl, const char *module);

/* A second destination beside stderr (OTLP log streaming), with its own
 * filter. Only records logged on the thread that called wg_log_set_sink()
 * reach it (wgate: the control lcore), so it needs no lock; always call it
 * from that same thread (to change the filter, or with fn NULL to remove
 * the sink).
 * The sink gets the formatted message; it must not block, and what it logs
 * itself is not fed back to it. */
typedef void (*wg_log_sink_fn)(void *arg, enum wg_log_level lvl, const char *module,
			       uint64_t unix_ns, const char *msg);
void wg_log_set_sink(wg_log_sink_fn fn, void *arg, const struct wg_log_filter *filter);
void wg_log(enum wg_log_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define WG_LOG_RL_BURST		10
#define WG_LOG_RL_INTERVAL_S	5

/* One per call site (a static in WG_LOG). Written by whichever thread logs
 * there; a race between threads only miscounts, which is harmless. */
struct wg_log_ratelimit {
	uint64_t window;	/* start of the current window, s (monotonic) */
	uint32_t printed;	/* records printed in this window */
	uint32_t suppressed;	/* records held back since the last print */
};

/* True when this site may print now; logs the suppressed count first. */
bool wg_log_ratelimit(struct wg_log_ratelimit *rl, enum wg_log_level lvl, const char *module);

#define WG_LOG(lvl, mod, ...)							\
	do {									\
		static struct wg_log_ratelimit wg_log_rl_;			\
		if (wg_log_enabled(WG_LOG_##lvl, mod) &&			\
		    (WG_LOG_##lvl > WG_LOG_WARN ||				\
		     wg_log_ratelimit(&wg_log_rl_, WG_LOG_##lvl, mod)))		\
			wg_log(WG_LOG_##lvl, mod, __VA_ARGS__);			\
	} while (0)

#endif
