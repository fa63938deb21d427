/* Usage analytics as the seed sends them, to the PostHog-compatible host of
 * the feature flags (WGATE_FLAGS_URL/capture/, WGATE_FLAGS_KEY):
 *   $identify    once at start: distinct_id = the gateway id, $set
 *                {version, os};
 *   new_session  each time the gateway connects to its signaling store
 *                (control/signaling.c calls ctl_analytics_session()).
 * Off with WGATE_NO_TELEMETRY=1 or without WGATE_FLAGS_URL/KEY. Events are
 * best effort: a failed POST is logged at debug and not retried, and at
 * most a few wait (the shared HTTP client's bound).
 * Control lcore only. */
#ifndef WGATE_CONTROL_ANALYTICS_H
#define WGATE_CONTROL_ANALYTICS_H

/* Sends $identify when analytics are on (call after ctl_flags_init). */
void ctl_analytics_init(void);
/* The gateway connected to its signaling store: new_session. */
void ctl_analytics_session(void);

#endif
