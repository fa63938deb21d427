/* The gateway id (lib/signal/gateway_id.h), worked out once at start and
 * shared by everything that names this gateway: the signaling keys, the
 * feature-flag and analytics distinct_id, the OTLP service.instance.id.
 * Writer: the main thread at start (ctl_identity_init). Readers: any
 * thread after (never changes). */
#ifndef WGATE_CONTROL_IDENTITY_H
#define WGATE_CONTROL_IDENTITY_H

struct wg_config;

/* Picks the id ([Signaling] GatewayId, the stored id, or one derived from
 * /etc/machine-id); stores a new one only when signaling is configured
 * (its keys must survive a reinstall). 0, or -errno after logging why. */
int ctl_identity_init(const struct wg_config *cfg);
/* 64 lower-case hex digits; "" when ctl_identity_init failed or not run. */
const char *ctl_gateway_id(void);

#endif
