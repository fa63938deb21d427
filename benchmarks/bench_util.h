/* What every benchmark program needs around its figures: medians, the
 * header's machine and commit, and pinning to one CPU. */
#ifndef WGATE_BENCHMARKS_BENCH_UTIL_H
#define WGATE_BENCHMARKS_BENCH_UTIL_H

#include <stddef.h>

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

#endif
