/* The gateway id, once (identity.h). */
#include "control/identity.h"

#include "lib/config/config.h"
#include "lib/signal/gateway_id.h"
#include "lib/util/log.h"

static char gid[65];

int ctl_identity_init(const struct wg_config *cfg)
{
	char why[300];
	int rc = wg_gateway_id(cfg->signaling.gateway_id, NULL, NULL, cfg->signaling.has_redis,
			       gid, why, sizeof(why));

	if (rc) {
		gid[0] = '\0';
		WG_LOG(ERR, "main", "gateway id: %s", why);
	}
	return rc;
}

const char *ctl_gateway_id(void)
{
	return gid;
}
