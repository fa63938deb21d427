/* Feature flags on the control core: pins from the environment, the fetch
 * from a PostHog-compatible host (POST {WGATE_FLAGS_URL}/decide?v=3 with
 * {"api_key": WGATE_FLAGS_KEY, "distinct_id": gateway id}) at start and
 * every 5 minutes (WGATE_FLAGS_INTERVAL_MS, a test knob), the resolution
 * rule of lib/flags/flags.h, and publication: values to the workers'
 * atomics (dataplane/flags.h), payloads kept here.
 *
 * Writer: the control lcore. Readers: the control lcore; the telemetry
 * thread reads names, values and sources under ctl_lock (values also from
 * the atomics). */
#ifndef WGATE_CONTROL_FLAGS_H
#define WGATE_CONTROL_FLAGS_H

#include <stdbool.h>
#include <stdint.h>

#define CTL_FLAGS_INTERVAL_MS	(5 * 60 * 1000)
#define CTL_FLAGS_TIMEOUT_MS	10000L

/* Reads the pins (validated by the config loader already), WGATE_FLAGS_URL,
 * WGATE_FLAGS_KEY, WGATE_NO_TELEMETRY and WGATE_FLAGS_INTERVAL_MS from
 * envp and publishes the values that hold before any fetch. 0 or -EINVAL
 * (logged, naming the variable). */
int ctl_flags_init(char *const *envp);
/* The same checks alone, nothing applied (wgate --check). */
int ctl_flags_check_env(char *const *envp);
void ctl_flags_free(void);
/* From the loop's tick: starts a fetch when one is due. */
void ctl_flags_tick(uint64_t now_ns);

/* The PostHog-compatible host shared with analytics: NULL when fetching
 * and analytics are off (no WGATE_FLAGS_URL or WGATE_FLAGS_KEY, or
 * WGATE_NO_TELEMETRY=1). */
const char *ctl_flags_host(void);
const char *ctl_flags_api_key(void);

/* For the metrics export and telemetry: i < ctl_flags_count(); i is the
 * flag's enum wg_flag (lib/flags/flags.h), so control code asks for one
 * flag as ctl_flag_value(WG_FLAG_DNS_TTL_RESOLUTION). Workers read
 * dp_flag() (dataplane/flags.h) instead. */
unsigned int ctl_flags_count(void);
const char *ctl_flag_name(unsigned int i);
bool ctl_flag_value(unsigned int i);
const char *ctl_flag_source(unsigned int i);	/* remote, env, default, fetch-failed */

/* A flag's payload as compact JSON text (NULL: none, or the flag is off),
 * valid until the next change (ctl_flags_generation moves). */
const char *ctl_flags_payload(const char *name);
/* Moves whenever a value, a source or a payload changes. */
unsigned int ctl_flags_generation(void);
/* Called (control lcore) after each change; one listener, NULL removes. */
void ctl_flags_on_change(void (*cb)(void *arg), void *arg);

/* Fetches so far, ok and failed (telemetry, tests). */
void ctl_flags_stats(uint64_t *ok, uint64_t *failed, const char **last_error);

#endif
