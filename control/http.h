/* The control core's one HTTP client: a libcurl multi handle driven from
 * ctl_loop() without ever blocking it. Serves the feature-flag fetch, the
 * analytics events and the OTLP export, so they share its connection
 * cache (keep-alive, TLS sessions) and its bounds.
 *
 * Writer and reader: the control lcore only (ctl_loop and what it calls);
 * nothing here is thread-safe, none of it is needed elsewhere. */
#ifndef WGATE_CONTROL_HTTP_H
#define WGATE_CONTROL_HTTP_H

#include <stddef.h>

/* Requests queued and not yet completed, at most. */
#define CTL_HTTP_MAX_INFLIGHT	16
/* A response body longer than this fails the request ("response too large"). */
#define CTL_HTTP_MAX_BODY	(1u << 20)
/* The connect phase is bounded by min(timeout_ms, this). */
#define CTL_HTTP_CONNECT_MS	5000L

struct ctl_http_resp {
	long status;		/* HTTP status, 0 if the transfer failed */
	const char *body;	/* NUL-terminated for convenience; valid during the callback */
	size_t len;
	const char *error;	/* NULL on transport success (any HTTP status) */
};

/* Runs exactly once per accepted request, from ctl_http_poll() (or from
 * ctl_http_free() with error "cancelled"). It may queue new requests. */
typedef void (*ctl_http_cb)(void *arg, const struct ctl_http_resp *r);

/* curl_global_init and the multi handle; 0 or -errno. */
int ctl_http_init(void);
/* Cancels pending requests (their callbacks run with error "cancelled"),
 * then frees the handle. Safe without ctl_http_init. */
void ctl_http_free(void);

/* Queues a POST of len bytes of body (copied) to url (http or https; TLS
 * verified against the system's CAs; redirects not followed), with extra
 * headers, a NULL-terminated list of "Name: value" (may be NULL).
 * timeout_ms bounds the whole transfer (connect: min(timeout_ms, 5 s)).
 * cb runs later from ctl_http_poll(), exactly once.
 * 0, -EBUSY (CTL_HTTP_MAX_INFLIGHT pending), -EINVAL (bad URL),
 * -ENOTSUP (a host name, and this libcurl has no asynchronous resolver),
 * -ENOMEM or -EIO. */
int ctl_http_post(const char *url, const char *const *headers, const void *body, size_t len,
		  long timeout_ms, ctl_http_cb cb, void *arg);

/* Drives transfers and runs the callbacks of finished ones. Never blocks.
 * Called from ctl_loop every iteration; returns the number completed. */
unsigned int ctl_http_poll(void);

/* Requests pending now (for tests and telemetry). */
unsigned int ctl_http_inflight(void);

#endif
