/* wgatectl top: a live terminal view of a running gateway, `wg show` and
 * top(1) together. Every interval it samples /wgate/load (per-worker busy
 * cycles and packets, per-port statistics, sessions) and /wgate/counters
 * over the telemetry socket, and prints what changed since the last
 * sample as rates:
 *
 *   per worker: busy % (TSC cycles spent in polls that found work, over
 *               the TSC cycles that passed), RX and TX Mpps, tunnel Gbit/s
 *               in and out (WireGuard message bytes, as `wg show` counts)
 *   per port:   RX/TX Mpps and Gbit/s, missed packets/s
 *   sessions, peers, handshakes/s, and the drop counters (drop_*,
 *   refused_*, handshake_drop_*) by reason: per second and in total
 *
 * Rates use the gateway's own TSC between the samples, not this process's
 * clock, so a late wake-up here does not skew them. On a terminal it
 * redraws in place with plain ANSI escapes (no curses) and quits on q; a
 * pipe gets one screen after another.
 */
#include "control/ctl_top.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "control/ctl_redis.h"
#include "control/ctl_tel.h"
#include "lib/config/values.h"

#define DEFAULT_INTERVAL_MS	1000
#define MAX_DROP_ROWS		16

/* The ANSI sequences used: home, clear to the end of the line, clear to
 * the end of the screen, clear the screen. */
#define ESC_HOME	"\033[H"
#define ESC_EOL		"\033[K"
#define ESC_EOS		"\033[J"
#define ESC_CLEAR	"\033[H\033[2J"

struct sample {
	json_t *load;		/* /wgate/load */
	json_t *counters;	/* /wgate/counters */
};

static volatile sig_atomic_t top_stop;
static struct termios saved_tty;
static bool tty_raw;

static void on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

int ctl_top_opt(struct ctl_top_opts *o, const char *name, const char *value)
{
	unsigned long v;
	char *end;
	double s;

	o->given = true;
	if (!strcmp(name, "once")) {
		o->iterations = 1;
		return 0;
	}
	if (!strcmp(name, "iterations")) {
		if (wg_cfgval_uint(value, 1, 1000000, &v))
			return ctl_usage_err("--iterations: a count from 1");
		o->iterations = v;
		return 0;
	}
	/* --interval SECONDS, with up to three decimals (0.1 .. 3600). */
	s = strtod(value, &end);

	if (end == value || *end || !(s >= 0.1 && s <= 3600))
		return ctl_usage_err("--interval: seconds from 0.1 to 3600");
	o->interval_ms = (unsigned long)(s * 1000 + 0.5);
	return 0;
}

/* A JSON integer as a double (0 when absent); counters fit 2^53 for years. */
static double num(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (double)json_integer_value(v) : 0.0;
}

static double num_at(const json_t *obj, const char *key, size_t i)
{
	const json_t *v = json_array_get(json_object_get(obj, key), i);

	return json_is_integer(v) ? (double)json_integer_value(v) : 0.0;
}

/* How much element i of array key grew from sample a to sample b. */
static double grew_at(const json_t *a, const json_t *b, const char *key, size_t i)
{
	return num_at(b, key, i) - num_at(a, key, i);
}

static void sample_free(struct sample *s)
{
	json_decref(s->load);
	json_decref(s->counters);
	s->load = s->counters = NULL;
}

static int sample_take(struct ctl_tel *t, struct sample *s)
{
	s->load = ctl_tel_cmd(t, "/wgate/load", false);
	s->counters = s->load ? ctl_tel_cmd(t, "/wgate/counters", false) : NULL;
	if (!s->counters || !json_is_object(s->load) || !json_is_object(s->counters)) {
		sample_free(s);
		return t->unreachable ? CTL_EXIT_UNREACHABLE : CTL_EXIT_FAILED;
	}
	return 0;
}

static bool is_drop(const char *name)
{
	return !strncmp(name, "drop_", 5) || !strncmp(name, "refused_", 8) ||
	       !strncmp(name, "handshake_drop_", 15);
}

struct drop_row {
	const char *name;
	double rate;
	double total;
};

static int drop_cmp(const void *a, const void *b)
{
	const struct drop_row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return strcmp(x->name, y->name);
}

static void uptime_str(double secs, char *buf, size_t len)
{
	uint64_t s = (uint64_t)secs;

	snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64,
		 s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
}

/* One screen from two samples, into f. eol ends each line (ESC_EOL "\n" on
 * a terminal, so a shorter line clears what the last screen left). */
static void render(FILE *f, const char *path, const char *version, const struct sample *a,
		   const struct sample *b, const char *eol)
{
	const json_t *la = a->load, *lb = b->load;
	double hz = num(lb, "tsc_hz");
	double dt = hz > 0 ? (num(lb, "tsc") - num(la, "tsc")) / hz : 0;
	size_t nw = json_array_size(json_object_get(lb, "lcore"));
	size_t np = json_array_size(json_object_get(lb, "port"));
	double sum_busy = 0, sum_rx = 0, sum_tx = 0, sum_trx = 0, sum_ttx = 0;
	struct drop_row rows[256];
	size_t nrows = 0;
	const char *key;
	json_t *v;
	char up[32], now[16];
	time_t tnow = time(NULL);

	if (dt <= 0)
		dt = 1e-9;	/* same TSC twice: show zero rates, not NaN */
	strftime(now, sizeof(now), "%H:%M:%S", localtime(&tnow));
	uptime_str(num(lb, "uptime_s"), up, sizeof(up));
	fprintf(f, "wgate %s  %s  up %s  %s%s", version, path, up, now, eol);
	fprintf(f, "peers %.0f  sessions %.0f  handshakes/s %.1f (completed %.0f)"
		"  over %.2f s%s", num(lb, "peers"), num(lb, "sessions"),
		(num(b->counters, "handshake_completed") - num(a->counters, "handshake_completed")) / dt,
		num(b->counters, "handshake_completed"), dt, eol);
	fprintf(f, "%s", eol);

	fprintf(f, "%-8s %5s %7s %9s %9s %10s %10s%s", "WORKER", "LCORE", "BUSY", "RX Mpps",
		"TX Mpps", "WG RX Gb/s", "WG TX Gb/s", eol);
	for (size_t i = 0; i < nw; i++) {
		double busy = grew_at(la, lb, "busy_cycles", i) / (dt * hz) * 100;
		double rx = grew_at(la, lb, "rx_packets", i) / dt / 1e6;
		double tx = grew_at(la, lb, "tx_packets", i) / dt / 1e6;
		double trx = grew_at(la, lb, "tunnel_rx_bytes", i) * 8 / dt / 1e9;
		double ttx = grew_at(la, lb, "tunnel_tx_bytes", i) * 8 / dt / 1e9;

		busy = busy < 0 ? 0 : busy > 100 ? 100 : busy;
		sum_busy += busy;
		sum_rx += rx;
		sum_tx += tx;
		sum_trx += trx;
		sum_ttx += ttx;
		fprintf(f, "%-8zu %5.0f %6.1f%% %9.3f %9.3f %10.3f %10.3f%s", i,
			num_at(lb, "lcore", i), busy, rx, tx, trx, ttx, eol);
	}
	if (nw > 1)
		fprintf(f, "%-8s %5s %6.1f%% %9.3f %9.3f %10.3f %10.3f%s", "all", "",
			sum_busy / (double)nw, sum_rx, sum_tx, sum_trx, sum_ttx, eol);
	fprintf(f, "%s", eol);

	fprintf(f, "%-12s %9s %9s %9s %9s %10s%s", "PORT", "RX Mpps", "RX Gb/s", "TX Mpps",
		"TX Gb/s", "MISSED/s", eol);
	for (size_t i = 0; i < np; i++) {
		const char *name = json_string_value(json_array_get(json_object_get(lb, "port"), i));

		fprintf(f, "%-12s %9.3f %9.3f %9.3f %9.3f %10.0f%s", name ? name : "?",
			grew_at(la, lb, "port_rx_packets", i) / dt / 1e6,
			grew_at(la, lb, "port_rx_bytes", i) * 8 / dt / 1e9,
			grew_at(la, lb, "port_tx_packets", i) / dt / 1e6,
			grew_at(la, lb, "port_tx_bytes", i) * 8 / dt / 1e9,
			grew_at(la, lb, "port_missed", i) / dt, eol);
	}
	fprintf(f, "%s", eol);

	json_object_foreach(b->counters, key, v) {
		double total = json_is_integer(v) ? (double)json_integer_value(v) : 0;

		if (!is_drop(key) || total <= 0 || nrows == sizeof(rows) / sizeof(rows[0]))
			continue;
		rows[nrows++] = (struct drop_row){ key, (total - num(a->counters, key)) / dt, total };
	}
	qsort(rows, nrows, sizeof(rows[0]), drop_cmp);
	fprintf(f, "%-36s %12s %14s%s", "DROPS (by reason)", "/s", "total", eol);
	for (size_t i = 0; i < nrows && i < MAX_DROP_ROWS; i++)
		fprintf(f, "%-36s %12.1f %14.0f%s", rows[i].name, rows[i].rate, rows[i].total, eol);
	if (nrows > MAX_DROP_ROWS)
		fprintf(f, "(%zu more: wgatectl counters)%s", nrows - MAX_DROP_ROWS, eol);
	if (!nrows)
		fprintf(f, "(none)%s", eol);
}

/* Terminal input without Enter and without echo, so q quits at once. */
static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
	tty_raw = false;
}

static void tty_setup(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty))
		return;
	t = saved_tty;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (!tcsetattr(STDIN_FILENO, TCSANOW, &t))
		tty_raw = true;
}

/* Sleeps ms, or less when q comes in or a signal stops us. True: go on. */
static bool wait_or_quit(unsigned long ms)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)(ms / 1000);
	end.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	while (!top_stop) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		long left;
		char c;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)(end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return true;
		if (!tty_raw) {
			/* Not our terminal: just sleep (stdin may be /dev/null). */
			struct timespec ts = { left / 1000, left % 1000 * 1000000L };
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(&p, 1, (int)left) > 0 && read(STDIN_FILENO, &c, 1) == 1 &&
		    (c == 'q' || c == 'Q'))
			return false;
	}
	return false;
}

int ctl_top(const char *path, const struct ctl_top_opts *o)
{
	unsigned long interval = o->interval_ms ? o->interval_ms : DEFAULT_INTERVAL_MS;
	bool term = isatty(STDOUT_FILENO);
	const char *eol = term ? ESC_EOL "\n" : "\n";
	struct sample prev = { 0 }, cur = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char version[32] = "?";
	struct ctl_tel t;
	json_t *status;
	int rc;

	if (ctl_tel_open(&t, path) < 0)
		return t.unreachable ? CTL_EXIT_UNREACHABLE : CTL_EXIT_FAILED;
	status = ctl_tel_cmd(&t, "/wgate/status", false);
	if (status && json_is_string(json_object_get(status, "version")))
		snprintf(version, sizeof(version), "%s",
			 json_string_value(json_object_get(status, "version")));
	json_decref(status);
	rc = sample_take(&t, &prev);
	if (rc) {
		ctl_tel_close(&t);
		return rc;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	tty_setup();
	if (term)
		fputs(ESC_CLEAR, stdout);
	for (unsigned long n = 0; !o->iterations || n < o->iterations; n++) {
		if (!wait_or_quit(interval))
			break;
		rc = sample_take(&t, &cur);
		if (rc)
			break;
		if (term)
			fputs(ESC_HOME, stdout);
		else if (n)
			fputs("\n", stdout);
		render(stdout, path, version, &prev, &cur, eol);
		if (term)
			fputs(ESC_EOS, stdout);
		fflush(stdout);
		sample_free(&prev);
		prev = cur;
		cur = (struct sample){ 0 };
	}
	tty_restore();
	sample_free(&prev);
	ctl_tel_close(&t);
	return rc;
}
