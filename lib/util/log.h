/* Logging for setup and control paths (never per packet: packets are
 * counted). One line per record on stderr, text or JSON
 * (WGATE_LOG_FORMAT), filtered per module by WGATE_LOG, e.g.
 * "info" or "warn,dataplane=debug". Callers never pass key material. */
#ifndef WGATE_LIB_UTIL_LOG_H
#define WGATE_LIB_UTIL_LOG_H

#include <stdbool.h>

enum wg_log_level { WG_LOG_ERR = 0, WG_LOG_WARN, WG_LOG_INFO, WG_LOG_DEBUG };

/* Parses the filter and format; 0 or -EINVAL (then defaults stay). */
int wg_log_configure(const char *filter, const char *format);
bool wg_log_enabled(enum wg_log_level lvl, const char *module);
void wg_log(enum wg_log_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define WG_LOG(lvl, mod, ...) \
	do { if (wg_log_enabled(WG_LOG_##lvl, mod)) wg_log(WG_LOG_##lvl, mod, __VA_ARGS__); } while (0)

#endif
