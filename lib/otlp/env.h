/* The OpenTelemetry SDK environment for the OTLP exporter, parsed and
 * checked (pure: the caller passes the values of the variables):
 *   OTEL_EXPORTER_OTLP_ENDPOINT          base URL, signal paths appended
 *   OTEL_EXPORTER_OTLP_{METRICS,LOGS}_ENDPOINT   full URL, used as is
 *   OTEL_EXPORTER_OTLP_HEADERS           k=v,k=v (values percent-encoded)
 *   OTEL_METRIC_EXPORT_INTERVAL          milliseconds
 *   OTEL_RESOURCE_ATTRIBUTES             k=v,k=v (values percent-encoded)
 * Header values are secrets (API keys): no message here ever quotes one. */
#ifndef WGATE_LIB_OTLP_ENV_H
#define WGATE_LIB_OTLP_ENV_H

#include <stddef.h>
#include <stdint.h>

#define OTLP_DEFAULT_ENDPOINT		"http://localhost:4318"
#define OTLP_DEFAULT_INTERVAL_MS	60000
#define OTLP_MAX_INTERVAL_MS		(24ULL * 3600 * 1000)
#define OTLP_MAX_PAIRS			64
#define OTLP_URL_MAX			1024

/* A parsed k=v list; keys and values are NUL-terminated, decoded. */
struct otlp_kvlist {
	char *key[OTLP_MAX_PAIRS];
	char *value[OTLP_MAX_PAIRS];
	unsigned int n;
};

/* "k=v,k=v" as the OTel spec (W3C Baggage without properties) writes it:
 * blanks around keys and values trimmed, values percent-decoded, empty
 * members skipped. NULL or "" is an empty list. 0, -EINVAL (why says
 * which member, never its value) or -ENOMEM. */
int otlp_kvlist_parse(const char *s, struct otlp_kvlist *out, char *why, size_t whylen);
void otlp_kvlist_free(struct otlp_kvlist *l);

/* OTEL_EXPORTER_OTLP_HEADERS: a k=v list whose keys must be HTTP header
 * names (RFC 9110 tokens) and whose decoded values hold no control
 * character. */
int otlp_headers_parse(const char *s, struct otlp_kvlist *out, char *why, size_t whylen);

/* OTEL_METRIC_EXPORT_INTERVAL: NULL/"" = the default; else 1 ms to 24 h,
 * decimal digits only. */
int otlp_interval_parse(const char *s, uint64_t *ms, char *why, size_t whylen);

/* The URL to post one signal to: the signal's own variable (specific)
 * as is when set, else base (or the default) with path ("/v1/metrics")
 * appended after any trailing '/' is removed. Both must be http:// or
 * https:// URLs with a host. 0 or -EINVAL with why. */
int otlp_endpoint(const char *base, const char *specific, const char *path, char *out,
		  size_t outlen, char *why, size_t whylen);

/* url with its whole userinfo (user:password@, or a bare token@) replaced
 * by "****@", for messages. Unlike a Redis URL's, an HTTP userinfo without
 * ':' is often itself the secret. */
void otlp_url_redact(const char *url, char *out, size_t len);

/* The delay before the next export after `failures` (>= 1) failed ones in
 * a row: 1 s, 2 s, 4 s ... capped at the export interval (never later than
 * the regular schedule would be) but at least 1 s. */
uint64_t otlp_backoff_ms(unsigned int failures, uint64_t interval_ms);

#endif
