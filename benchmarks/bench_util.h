/* What every benchmark program needs around its figures: medians, the
 * header's machine and commit, and pinning to one CPU. */
#ifndef WGATE_BENCHMARKS_BENCH_UTIL_H
#define WGATE_BENCHMARKS_BENCH_UTIL_H

#include <stddef.h>
#include <stdio.h>

#define BENCH_MAX_RUNS	64

/* Median of n (1..BENCH_MAX_RUNS) values; v is left as it is. */
double bench_median(const double *v, int n);
/* /proc/cpuinfo's model name, or "unknown". */
void bench_cpu_model(char *buf, size_t len);
/* git rev-parse --short HEAD, or "unknown". */
void bench_git_commit(char *buf, size_t len);
/* want if this thread may run there, or the last allowed CPU when want < 0
 * (the first tends to take more interrupts); -1 when none. */
int bench_pick_cpu(int want);
/* Pins the calling thread to one CPU so that every figure is one core's:
 * want, or the last allowed one when want < 0 (the first tends to take more
 * interrupts). The CPU, or -1. */
int bench_pin_cpu(int want);

enum bench_mode { BENCH_FULL, BENCH_QUICK, BENCH_SMOKE };

/* What every *_perf program's command line shares. */
struct bench_opts {
	enum bench_mode mode;	/* --quick, --smoke; full by default */
	int runs;		/* --runs N; 0 = the mode's own */
	int cpu;		/* --cpu N; -1 = let the program pick */
	char commit[64];	/* --commit ID; else git rev-parse --short HEAD */
};

/* A program's own options: 1 when argv[*i] was one (and *i moved past its
 * value), 0 when it is not, -1 for a bad value (message printed). */
typedef int bench_opt_fn(int argc, char **argv, int *i, void *ctx);

/* Parses argv: the shared options, the program's own through extra (may be
 * NULL), -h/--help (usage to stdout). --runs must lie in 5..max_runs.
 * Returns 0 to go on, 1 when help was printed (exit 0), 2 for a usage
 * error (usage or a message on stderr). */
int bench_parse_opts(int argc, char **argv, int max_runs, struct bench_opts *o,
		     bench_opt_fn *extra, void *ctx, void (*usage)(FILE *f));

#endif
