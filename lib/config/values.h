/* Parsers for single wgate.conf values, shared by file keys and env
 * variables. Each returns 0 or -EINVAL (-ENOMEM where it allocates); those
 * with a why buffer put the reason there, quoting the offending item. None
 * of them ever quotes a key or the content of a key file. */
#ifndef WGATE_LIB_CONFIG_VALUES_H
#define WGATE_LIB_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"

/* 44 characters of standard padded base64 holding exactly 32 bytes. */
int wg_cfgval_key(const char *s, uint8_t out[WG_CFG_KEY_LEN]);
/* Logs a warning when the open file fd (path, "key file" or "config file
 * holding keys") can be read or written by group or others. */
void wg_cfgval_warn_loose(int fd, const char *path, const char *what);
/* Reads a key file (base64, surrounding whitespace allowed; at most 1 KiB);
 * warns when it is accessible by group or others. */
int wg_cfgval_key_file(const char *path, uint8_t out[WG_CFG_KEY_LEN], char *why, size_t len);

/* Plain decimal in min..max: no sign, no spaces, no hex. */
int wg_cfgval_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);
/* true/false, yes/no, on/off, 1/0 (any case). */
int wg_cfgval_bool(const char *s, bool *out);

/* Splits on sep (',' lists) or on whitespace (sep 0), trimming each item.
 * Returns one malloc'd block (free() it): a NULL-terminated array of n
 * items. Empty items are kept as "" so the caller can reject them. A blank
 * string gives n = 0. NULL on -ENOMEM. */
char **wg_cfgval_split(const char *s, char sep, size_t *n);

/* "0-3", "0,2,4", "1-2,5": at least 2 distinct ids < WG_CFG_MAX_LCORES, in
 * written order. */
int wg_cfgval_lcores(const char *s, unsigned int *out, size_t *n, char *why, size_t len);

/* "addr/len" or "addr" (a host prefix): keeps the host address and its network. */
int wg_cfgval_host_prefix(const char *s, struct wg_ipaddr *addr, struct wg_prefix *net);
/* "PREFIX via ADDRESS", the prefix with host bits clear, both of one family. */
int wg_cfgval_route(const char *s, struct wg_cfg_route *r, char *why, size_t len);
/* "tcp", "tcp/80", "tcp/8000-8100", "udp/53", "icmp". */
int wg_cfgval_filter(const char *s, struct wg_cfg_filter *f, char *why, size_t len);
/* CIDR, single IP, DNS name pattern or "internet"; sets kind and prefix or
 * dns_pattern of r. */
int wg_cfgval_resource_address(const char *s, struct wg_cfg_resource *r, char *why, size_t len);
/* RFC 3339 date-time with Z or +hh:mm/-hh:mm, after 1970: unix seconds. */
int wg_cfgval_rfc3339(const char *s, int64_t *out);
/* redis://... or redis+sentinel://... with something after the scheme. */
int wg_cfgval_redis_url(const char *s);
/* 64 hex digits, stored lower case. */
int wg_cfgval_hex_id(const char *s, char out[WG_CFG_GATEWAY_ID_LEN + 1]);

#endif
