/* What benchmark programs share around their figures: the clock, medians
 * and spreads, the command line, pinning to one CPU, the header's machine,
 * date and commit, and running a child process for a figure. */
#ifndef WGATE_BENCHMARKS_BENCH_UTIL_H
#define WGATE_BENCHMARKS_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_MAX_RUNS	64

/* CLOCK_MONOTONIC, in ns and in seconds. */
uint64_t bench_now_ns(void);
double bench_now_s(void);

/* Median of n (1..BENCH_MAX_RUNS) values; v is left as it is. */
double bench_median(const double *v, int n);
/* Smallest and largest of n (>= 1) values. */
double bench_min(const double *v, int n);
double bench_max(const double *v, int n);

enum bench_mode { BENCH_FULL, BENCH_QUICK, BENCH_SMOKE };

/* What every *_perf program's command line shares. */
struct bench_opts {
	const char *prog;	/* argv[0]'s last component, for messages */
	enum bench_mode mode;	/* --quick, --smoke; full by default */
	int runs;		/* --runs N; 0 = the mode's own */
	int cpu;		/* --cpu N; -1 = let the program pick */
	char commit[64];	/* --commit ID; else git rev-parse --short HEAD */
};

/* A program's own options: 1 when argv[*i] was one (and *i moved past its
 * value), 0 when it is not, -1 for a bad value (message printed). */
typedef int bench_opt_fn(int argc, char **argv, int *i, void *ctx);

/* Parses argv: the shared options, the program's own through extra (may be
 * NULL), -h/--help. --runs must lie in 5..max_runs. Returns only to go on:
 * after -h/--help it prints usage to stdout and exits 0, on a usage error
 * it prints usage or a message to stderr and exits 2. */
void bench_parse_opts(int argc, char **argv, int max_runs, struct bench_opts *o,
		      bench_opt_fn *extra, void *ctx, void (*usage)(FILE *f));

/* want if this thread may run there, or the last allowed CPU when want < 0
 * (the first tends to take more interrupts); -1 when none. */
int bench_pick_cpu(int want);
/* Pins the calling thread to bench_pick_cpu(o->cpu) so that every figure is
 * one core's. The CPU, or -1 when no CPU could be had; when o->cpu was asked
 * for and cannot be had, says so on stderr and exits 1. */
int bench_pin_cpu(const struct bench_opts *o);

/* The two lines under a program's title:
 *   machine: <CPU model>, <where> <cpu>
 *   date: <now>   commit: <commit>   compiler: gcc <version> (optimized)
 * (or "NOT optimized: figures are meaningless"). */
void bench_print_machine(const char *where, int cpu, const char *commit);

/* This program's own executable (/proc/self/exe): 0, or -errno. */
int bench_self_exe(char *buf, size_t len);

/* Gets each line of a child's stdout (newline included; longer lines come
 * in pieces). */
typedef void bench_line_fn(const char *line, void *ctx);

/* Runs path with argv (argv[0] first, NULL last) as a child process whose
 * stdout goes, line by line, to on_line; its stderr is ours. Returns when
 * the child has ended: its wait status (waitpid()), or -1 when it could not
 * be started. */
int bench_spawn(const char *path, char *const argv[], bench_line_fn *on_line, void *ctx);

#endif
