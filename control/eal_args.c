/* Builds the EAL arguments: cores (-l, --main-lcore), memory (-m, or
 * --no-huge when hugepages are short, with a warning), devices (-a for PCI
 * addresses, --vdev for virtual ports, --no-pci when there are none),
 * a default --file-prefix so the telemetry socket has a known path, then
 * [Dataplane] EalArgs and finally what followed "--". */
#include "control/eal_args.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/config/config.h"
#include "lib/util/log.h"

static int push(struct ctl_eal_args *a, const char *s)
{
	char **n = realloc(a->owned, sizeof(*n) * (size_t)(a->argc + 2));
	if (!n)
		return -ENOMEM;
	a->owned = n;
	if (!(a->owned[a->argc] = strdup(s)))
		return -ENOMEM;
	a->owned[++a->argc] = NULL;
	return 0;
}

/* 0000:01:00.0 or 01:00.0 */
static bool is_pci(const char *dev)
{
	unsigned int d, b, s, f;
	char tail;
	return sscanf(dev, "%x:%x:%x.%x%c", &d, &b, &s, &f, &tail) == 4 ||
	       sscanf(dev, "%x:%x.%x%c", &b, &s, &f, &tail) == 3;
}

/* Free hugepage memory in MB, from /proc/meminfo. */
static unsigned long hugepages_free_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long pages = 0, size_kb = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "HugePages_Free: %lu", &pages);
		sscanf(line, "Hugepagesize: %lu kB", &size_kb);
	}
	fclose(f);
	return pages * size_kb / 1024;
}

static bool hugetlbfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

static bool has_arg(const struct wg_config *cfg, int n_extra, char **extra, const char *opt)
{
	for (size_t i = 0; i < cfg->dataplane.n_eal_args; i++)
		if (!strncmp(cfg->dataplane.eal_args[i], opt, strlen(opt)))
			return true;
	for (int i = 0; i < n_extra; i++)
		if (!strncmp(extra[i], opt, strlen(opt)))
			return true;
	return false;
}

int ctl_eal_args_build(struct ctl_eal_args *a, const struct wg_config *cfg, const char *prog,
		       int n_extra, char **extra)
{
	const struct wg_cfg_dataplane *d = &cfg->dataplane;
	char buf[1024];
	size_t n = 0;
	bool any_pci = false;
	int rc = 0;

	*a = (struct ctl_eal_args){ 0 };
	rc |= push(a, prog);
	/* EalArgs may map lcores to CPUs itself (--lcores=0@0,1@1,2@1: more
	 * workers than CPUs, for tests and demos); the first lcore of
	 * Lcores is still the control core. */
	if (!has_arg(cfg, n_extra, extra, "--lcores")) {
		for (size_t i = 0; i < d->n_lcores; i++)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u", i ? "," : "",
					      d->lcores[i]);
		rc |= push(a, "-l");
		rc |= push(a, buf);
	}
	snprintf(buf, sizeof(buf), "%u", d->lcores[0]);
	rc |= push(a, "--main-lcore");
	rc |= push(a, buf);

	snprintf(buf, sizeof(buf), "%u", d->memory_mb);
	if (!has_arg(cfg, n_extra, extra, "--no-huge") &&
	    (!hugetlbfs_mounted() || hugepages_free_mb() < d->memory_mb)) {
		WG_LOG(WARN, "main", "only %lu MB of hugepages free for [Dataplane] Memory = %u:"
		       " running with --no-huge (slower; mount hugetlbfs on /dev/hugepages and raise"
		       " vm.nr_hugepages)",
		       hugetlbfs_mounted() ? hugepages_free_mb() : 0, d->memory_mb);
		rc |= push(a, "--no-huge");
	}
	rc |= push(a, "-m");
	rc |= push(a, buf);

	for (size_t i = 0; i < cfg->n_ports; i++) {
		const char *dev = cfg->ports[i].device;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= !strcmp(cfg->ports[j].device, dev);
		if (seen)
			continue;	/* one-armed: two [Port] sections, one device */
		any_pci |= is_pci(dev);
		rc |= push(a, is_pci(dev) ? "-a" : "--vdev");
		rc |= push(a, dev);
	}
	if (!any_pci)
		rc |= push(a, "--no-pci");
	if (!has_arg(cfg, n_extra, extra, "--file-prefix")) {
		rc |= push(a, "--file-prefix");
		rc |= push(a, "wgate");
	}
	for (size_t i = 0; i < d->n_eal_args; i++)
		rc |= push(a, d->eal_args[i]);
	for (int i = 0; i < n_extra; i++)
		rc |= push(a, extra[i]);
	if (rc) {
		ctl_eal_args_free(a);
		fprintf(stderr, "wgate: out of memory\n");
		return -ENOMEM;
	}
	/* EAL rewrites its argv (it puts the program name before the first
	 * argument it did not consume), so it gets a copy of the array. */
	a->argv = malloc(sizeof(*a->argv) * (size_t)(a->argc + 1));
	if (!a->argv) {
		ctl_eal_args_free(a);
		return -ENOMEM;
	}
	memcpy(a->argv, a->owned, sizeof(*a->argv) * (size_t)(a->argc + 1));
	n = 0;
	for (int i = 0; i < a->argc; i++)
		n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, " %s",
				      a->owned[i]);
	WG_LOG(DEBUG, "main", "EAL arguments:%s", buf);
	return 0;
}

void ctl_eal_args_free(struct ctl_eal_args *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a->argv);
	*a = (struct ctl_eal_args){ 0 };
}
