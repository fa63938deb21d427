#include "benchmarks/bench_util.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

double bench_now_s(void)
{
	return (double)bench_now_ns() / 1e9;
}

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

double bench_min(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] < m ? v[i] : m;
	return m;
}

double bench_max(const double *v, int n)
{
	double m = v[0];

	for (int i = 1; i < n; i++)
		m = v[i] > m ? v[i] : m;
	return m;
}

/* /proc/cpuinfo's model name, or "unknown". */
static void cpu_model(char *buf, size_t len)
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

/* git rev-parse --short HEAD, or "unknown". */
static void git_commit(char *buf, size_t len)
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

void bench_parse_opts(int argc, char **argv, int max_runs, struct bench_opts *o,
		      bench_opt_fn *extra, void *ctx, void (*usage)(FILE *f))
{
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	*o = (struct bench_opts){ .prog = prog, .mode = BENCH_FULL, .cpu = -1 };
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
				exit(2);
			}
		} else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
			o->cpu = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--commit") && i + 1 < argc) {
			snprintf(o->commit, sizeof(o->commit), "%s", argv[++i]);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			exit(0);
		} else if (!extra || (r = extra(argc, argv, &i, ctx)) == 0) {
			usage(stderr);
			exit(2);
		} else if (r < 0) {
			exit(2);
		}
	}
	if (!o->commit[0])
		git_commit(o->commit, sizeof(o->commit));
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

int bench_pin_cpu(const struct bench_opts *o)
{
	cpu_set_t set;
	int cpu = bench_pick_cpu(o->cpu);

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			cpu = -1;
	}
	if (o->cpu >= 0 && cpu != o->cpu) {
		fprintf(stderr, "%s: cannot pin to cpu %d\n", o->prog, o->cpu);
		exit(1);
	}
	return cpu;
}

void bench_print_machine(const char *where, int cpu, const char *commit)
{
	char model[128], date[64];
	time_t now = time(NULL);

	cpu_model(model, sizeof(model));
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	printf("machine: %s, %s %d\n", model, where, cpu);
	printf("date: %s   commit: %s   compiler: gcc %s%s\n", date, commit, __VERSION__,
#ifdef __OPTIMIZE__
	       " (optimized)"
#else
	       " (NOT optimized: figures are meaningless)"
#endif
	);
}

int bench_self_exe(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);

	if (n < 0)
		return -errno;
	if ((size_t)n == len - 1)
		return -ENAMETOOLONG;	/* perhaps cut short */
	buf[n] = '\0';
	return 0;
}

int bench_spawn(const char *path, char *const argv[], bench_line_fn *on_line, void *ctx)
{
	char line[256];
	int fd[2], st;
	pid_t pid;
	FILE *f;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		if (fd[1] != STDOUT_FILENO)
			close(fd[1]);
		execv(path, argv);
		_exit(127);
	}
	close(fd[1]);
	/* Without a stream the pipe is closed unread: the child then fails on
	 * its first write, and its status says so. */
	f = fdopen(fd[0], "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			on_line(line, ctx);
		fclose(f);
	} else {
		close(fd[0]);
	}
	return waitpid(pid, &st, 0) == pid ? st : -1;
}
