#include "control/reload.h"

#include <string.h>

#include "control/peers.h"
#include "control/policy.h"
#include "control/signaling.h"
#include "lib/config/config.h"
#include "lib/util/log.h"

extern char **environ;

/* What only a restart can apply: keys and ports are bound at start-up. */
static bool needs_restart(const struct wg_config *a, const struct wg_config *b)
{
	if (memcmp(a->iface.private_key, b->iface.private_key, sizeof(a->iface.private_key)) ||
	    a->iface.listen_port != b->iface.listen_port || a->iface.mtu != b->iface.mtu ||
	    a->iface.n_addrs != b->iface.n_addrs ||
	    memcmp(a->iface.addrs, b->iface.addrs, a->iface.n_addrs * sizeof(a->iface.addrs[0])))
		return true;
	if (a->dataplane.n_lcores != b->dataplane.n_lcores ||
	    memcmp(a->dataplane.lcores, b->dataplane.lcores,
		   a->dataplane.n_lcores * sizeof(a->dataplane.lcores[0])) ||
	    a->dataplane.memory_mb != b->dataplane.memory_mb ||
	    a->dataplane.idle_poll != b->dataplane.idle_poll || a->n_ports != b->n_ports)
		return true;
	/* The bounds size tables and rings allocated at start. */
	if (a->dataplane.max_peers != b->dataplane.max_peers ||
	    a->dataplane.max_grants != b->dataplane.max_grants ||
	    a->dataplane.nat_entries != b->dataplane.nat_entries ||
	    a->dataplane.dns_cache_entries != b->dataplane.dns_cache_entries ||
	    a->dataplane.punt_ring != b->dataplane.punt_ring ||
	    a->dataplane.event_ring != b->dataplane.event_ring ||
	    a->dataplane.tx_ring != b->dataplane.tx_ring ||
	    a->dataplane.handoff_ring != b->dataplane.handoff_ring)
		return true;
	for (size_t i = 0; i < a->n_ports; i++) {
		const struct wg_cfg_port *x = &a->ports[i], *y = &b->ports[i];
		if (strcmp(x->name, y->name) || strcmp(x->device, y->device) ||
		    x->n_addrs != y->n_addrs || x->n_routes != y->n_routes ||
		    memcmp(x->addrs, y->addrs, x->n_addrs * sizeof(x->addrs[0])) ||
		    memcmp(&x->gw4, &y->gw4, sizeof(x->gw4)) ||
		    memcmp(&x->gw6, &y->gw6, sizeof(x->gw6)) ||
		    /* no routes: NULL, and memcmp(NULL, ..., 0) is undefined */
		    (x->n_routes && memcmp(x->routes, y->routes,
					   x->n_routes * sizeof(x->routes[0]))))
			return true;
	}
	return false;
}

void ctl_reload(const char *path, const struct wg_config *running)
{
	struct wg_config_error err;
	struct wg_config *cfg = wg_config_load(path, environ, &err);
	char msg[600];
	int rc;

	if (!cfg) {
		wg_config_error_str(&err, msg, sizeof(msg));
		WG_LOG(ERR, "reload", "SIGHUP: %s; keeping the running configuration", msg);
		return;
	}
	if (needs_restart(running, cfg))
		WG_LOG(WARN, "reload", "SIGHUP: changes to [Interface], [Dataplane] or [Port]"
		       " need a restart; applying peers, resources and grants only");
	/* Counted now: cfg goes to ctl_apply (or to signaling, which lays the
	 * Redis state over it). */
	size_t n_res = cfg->n_resources, n_acc = cfg->n_access;
	bool sig = ctl_sig_active();

	rc = sig ? ctl_sig_set_base(cfg) : ctl_apply(cfg);
	if (rc)
		WG_LOG(ERR, "reload", "SIGHUP: applying %s failed (%s); some changes may be"
		       " missing until the next reload", path, strerror(-rc));
	else
		WG_LOG(INFO, "reload", "SIGHUP: %s applied%s: %u peer(s); the file has %zu"
		       " resource(s), %zu grant(s)", path, sig ? " with the Redis state over it" : "",
		       ctl.n_peers, n_res, n_acc);
}

int ctl_apply(struct wg_config *cfg)
{
	int rc = ctl_peers_sync(cfg);

	if (!rc)
		rc = ctl_policy_apply(cfg);
	if (ctl.effective != ctl.running)
		wg_config_free(ctl.effective);
	ctl.effective = cfg;
	return rc;
}
