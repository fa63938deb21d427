#include "benchmarks/bench_util.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(const double *v, int n)
{
	double s[BENCH_MAX_RUNS];

	if (n < 1)
		return 0;
	if (n > BENCH_MAX_RUNS)
		n = BENCH_MAX_RUNS;
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

void bench_cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon++;
		colon += strspn(colon, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

void bench_git_commit(char *buf, size_t len)
{
	FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");

	snprintf(buf, len, "unknown");
	if (!p)
		return;
	if (fgets(buf, (int)len, p))
		buf[strcspn(buf, "\n")] = '\0';
	if (pclose(p) != 0 || !buf[0])
		snprintf(buf, len, "unknown");
}

int bench_pick_cpu(int want)
{
	cpu_set_t set;
	int cpu = -1;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && (want < 0 || c == want))
			cpu = c;
	return cpu;
}

int bench_pin_cpu(int want)
{
	cpu_set_t set;
	int cpu = bench_pick_cpu(want);

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -1 : cpu;
}

int bench_parse_opts(int argc, char **argv, int max_runs, struct bench_opts *o,
		     bench_opt_fn *extra, void *ctx, void (*usage)(FILE *f))
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	*o = (struct bench_opts){ .mode = BENCH_FULL, .cpu = -1 };
	for (int i = 1; i < argc; i++) {
		int r;

		if (!strcmp(argv[i], "--quick")) {
			o->mode = BENCH_QUICK;
		} else if (!strcmp(argv[i], "--smoke")) {
			o->mode = BENCH_SMOKE;
		} else if (!strcmp(argv[i], "--runs") && i + 1 < argc) {
			o->runs = atoi(argv[++i]);
			if (o->runs < 5 || o->runs > max_runs) {
				fprintf(stderr, "%s: --runs takes 5..%d\n", prog, max_runs);
				return 2;
			}
		} else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
			o->cpu = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--commit") && i + 1 < argc) {
			snprintf(o->commit, sizeof(o->commit), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 1;
		} else if (!extra || (r = extra(argc, argv, &i, ctx)) == 0) {
			usage(stderr);
			return 2;
		} else if (r < 0) {
			return 2;
		}
	}
	if (!o->commit[0])
		bench_git_commit(o->commit, sizeof(o->commit));
	return 0;
}
