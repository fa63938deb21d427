/* wgate: the gateway process. Reads the configuration (file + WGATE_*
 * environment), starts DPDK with the cores, memory and ports it names,
 * brings the data plane up, and runs the control loop on the main lcore
 * until SIGTERM/SIGINT.
 *
 *   wgate [-c FILE] [--check] [--version] [-- EAL args]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <sodium.h>

#include "control/analytics.h"
#include "control/dns.h"
#include "control/eal_args.h"
#include "control/flags.h"
#include "control/fz.h"
#include "control/handshake.h"
#include "control/http.h"
#include "control/identity.h"
#include "control/loop.h"
#include "control/metrics.h"
#include "control/otlp.h"
#include "control/peers.h"
#include "control/policy.h"
#include "control/sdnotify.h"
#include "control/proxy.h"
#include "control/signaling.h"
#include "control/stub.h"
#include "control/telemetry.h"
#include "control/timers.h"
#include "dataplane/arp_nd.h"
#include "dataplane/rcu.h"
#include "dataplane/setup.h"
#include "lib/config/config.h"
#include "lib/util/log.h"

#define DEFAULT_CONFIG "/etc/wgate/wgate.conf"

extern char **environ;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		ctl_reload_requested = 1;
	else
		ctl_stop = 1;
}

/* control/dns.c asks at each stored answer: flag off, the fixed 30 s cache. */
static bool dns_ttl_resolution(void)
{
	return ctl_flag_value(WG_FLAG_DNS_TTL_RESOLUTION);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: wgate [-c FILE] [--check] [--version] [-- EAL args]\n"
		   "  -c, --config FILE  configuration (default $WGATE_CONFIG, else %s)\n"
		   "      --check        validate the configuration and environment, then exit\n"
		   "      --version      print the version\n", DEFAULT_CONFIG);
}

static void resolve_next_hops(const struct wg_config *cfg)
{
	/* Ask for configured next hops up front so the first packets need
	 * not wait for ARP/ND. */
	for (unsigned int p = 0; p < dp.n_ports; p++) {
		for (size_t i = 0; i < cfg->n_ports; i++) {
			const struct wg_cfg_port *cp = &cfg->ports[i];
			if (strcmp(cp->name, dp.ports[p].name) != 0)
				continue;
			if (cp->gw4.af)
				dp_neigh_resolve((uint8_t)p, &cp->gw4);
			if (cp->gw6.af)
				dp_neigh_resolve((uint8_t)p, &cp->gw6);
			for (size_t r = 0; r < cp->n_routes; r++)
				dp_neigh_resolve((uint8_t)p, &cp->routes[r].via);
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("WGATE_CONFIG");
	bool check = false;
	struct wg_config_error err;
	struct wg_config *cfg;
	struct ctl_eal_args eal;
	char msg[600];
	int c, rc;

	if (!path || !*path)
		path = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'k': check = true; break;
		case 'V': printf("wgate %s\n", WGATE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	if (wg_log_configure(getenv("WGATE_LOG"), getenv("WGATE_LOG_FORMAT"))) {
		fprintf(stderr, "wgate: WGATE_LOG or WGATE_LOG_FORMAT is not valid"
				" (e.g. WGATE_LOG=info or warn,dataplane=debug; format text|json)\n");
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "wgate: libsodium failed to initialise\n");
		return 1;
	}
	cfg = wg_config_load(path, environ, &err);
	if (!cfg) {
		wg_config_error_str(&err, msg, sizeof(msg));
		fprintf(stderr, "wgate: %s\n", msg);
		return 1;
	}
	if (ctl_otlp_configure() || ctl_flags_check_env(environ)) {
		wg_config_free(cfg);
		return 1;
	}
	if (check) {
		ctl_otlp_free();
		printf("%s: OK (%zu port(s), %zu peer(s), %zu resource(s), %zu grant(s))\n",
		       path, cfg->n_ports, cfg->n_peers, cfg->n_resources, cfg->n_access);
		wg_config_free(cfg);
		return 0;
	}

	rc = ctl_eal_args_build(&eal, cfg, argv[0], argc - optind, argv + optind);
	if (rc) {
		wg_config_free(cfg);
		return 1;
	}
	if (rte_eal_init(eal.argc, eal.argv) < 0) {
		WG_LOG(ERR, "main", "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
		wg_config_free(cfg);
		return 1;
	}
	/* Keys live in this process's memory: no core dump may carry them
	 * (and no unprivileged ptrace may read them). After the EAL, which
	 * reads /proc/self files that this makes root-owned. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		WG_LOG(WARN, "main", "could not exclude key memory from core dumps: %s",
		       strerror(errno));
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	ctl.started_unix = (uint64_t)time(NULL);

	ctl.max_grants = cfg->dataplane.max_grants;
	rc = dp_setup(cfg);
	if (!rc)
		rc = ctl_peers_init(cfg);
	if (!rc)
		rc = ctl_policy_apply(cfg);
	if (!rc)
		rc = dp_neigh_init();
	if (rc) {
		WG_LOG(ERR, "main", "start-up failed: %s", strerror(-rc));
		goto out;
	}
	ctl.running = cfg;
	ctl.effective = cfg;
	if (ctl_identity_init(cfg) && cfg->signaling.has_redis) {
		rc = -EINVAL;
		goto out;
	}
	if (ctl_flags_init(environ)) {
		rc = -EINVAL;
		goto out;
	}
	if (ctl_sig_init(cfg)) {
		rc = -EINVAL;
		goto out;
	}
	rc = ctl_http_init();
	if (rc) {
		WG_LOG(ERR, "main", "HTTP client: %s", strerror(-rc));
		goto out;
	}
	ctl_otlp_init();
	ctl_analytics_init();
	rc = ctl_dns_init(getenv("WGATE_DNS_SERVERS"),
			  &(struct ctl_dns_opts){
				  .max_entries = cfg->dataplane.dns_cache_entries,
				  .full_counter = &dp.control_cnt->v[WG_CNT_DNS_CACHE_FULL] });
	if (rc)
		goto out;
	ctl_dns_set_observer(ctl_metrics_dns_observe);
	ctl_dns_set_ttl_policy(dns_ttl_resolution);
	ctl_proxy_init();
	ctl_timers_init();
	if (ctl_handshake_init()) {
		rc = -ENOMEM;
		goto out;
	}
	if (ctl_telemetry_init())
		WG_LOG(WARN, "main", "telemetry commands could not be registered");
	rc = dp_launch();
	if (rc) {
		WG_LOG(ERR, "main", "launching workers failed: %s", strerror(-rc));
		goto out;
	}
	resolve_next_hops(cfg);
	for (int i = 0; i < 100 && !dp_ports_up(); i++)
		rte_delay_us_sleep(50 * 1000);
	ctl.ready = true;
	WG_LOG(INFO, "main", "ready: %u port(s), %u worker(s), %u peer(s), listening on UDP %u",
	       dp.n_ports, dp.n_workers, ctl.n_peers, dp.listen_port);
	ctl_sdnotify("READY=1\nSTATUS=ready: forwarding");

	ctl_loop(path, cfg);
	WG_LOG(INFO, "main", "stopping");
	ctl_sdnotify("STOPPING=1");
out:
	ctl.ready = false;
	ctl_http_free();
	ctl_otlp_free();
	ctl_flags_free();
	ctl_sig_free();
	ctl_stub_free();
	ctl_fz_free();
	ctl_dns_free();
	dp_shutdown();
	WG_LOG(DEBUG, "main", "workers stopped, ports closed");
	ctl_peers_free();
	ctl_handshake_free();
	dp_rcu_drain();
	ctl_policy_free();
	ctl_proxy_free();
	if (ctl.effective != cfg)
		wg_config_free(ctl.effective);
	ctl.effective = NULL;
	WG_LOG(DEBUG, "main", "keys wiped");
	wg_config_free(cfg);
	ctl_eal_args_free(&eal);
	rte_eal_cleanup();
	ctl_sdnotify_close();
	WG_LOG(INFO, "main", "stopped");
	return rc ? 1 : 0;
}
