/* control/dns.c against a real dnsmasq on a loopback port: A and AAAA
 * asked separately, the TTL held and counted down, a cache hit inside it,
 * a changed record seen only after the TTL, refresh while in use and drop
 * when idle, NXDOMAIN and no-data empty, a silent server timing out, a bad
 * server list refused, and 1,500 names asked at once with never more than
 * 1,000 out; with the TTL policy off (dns-ttl-resolution) the fixed 30 s;
 * a forwarded query whose UDP answer is truncated comes back whole (c-ares
 * retries over TCP). Skipped (77) when dnsmasq is not installed. No root
 * needed. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "control/dns.h"
#include "lib/dns/cache.h"

#define TTL 2

static pid_t dnsmasq_pid;
static char dir[64], hosts[96], servers[64];

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void write_hosts(const char *v4)
{
	FILE *f = fopen(hosts, "w");
	assert_non_null(f);
	fprintf(f, "%s app.test\nfd00:1::5 app.test\n10.1.0.7 v4only.test\n", v4);
	for (int i = 0; i < 1500; i++)
		fprintf(f, "10.2.%d.%d n%d.test\n", i / 250, i % 250 + 1, i);
	fclose(f);
}

/* A UDP port free on 127.0.0.1 now (bound, read, closed). */
static uint16_t free_port(int type)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, type, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
	getsockname(fd, (void *)&sa, &l);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Runs ctl_dns_poll until done() or ms pass. */
static void pump(unsigned int ms, bool (*done)(void *), void *arg)
{
	uint64_t end = mono_ms() + ms;
	while (mono_ms() < end && !(done && done(arg))) {
		if (!ctl_dns_poll())
			usleep(1000);
	}
}

struct got {
	int calls, status;
	unsigned int n;
	uint32_t ttl;
	struct wg_ipaddr a[4];
};

static void on_answer(void *arg, const struct ctl_dns_answer *a)
{
	struct got *g = arg;
	g->calls++;
	g->status = a->status;
	g->n = a->n;
	g->ttl = a->ttl;
	for (unsigned int i = 0; i < a->n && i < 4; i++)
		g->a[i] = a->addrs[i];
}

static bool answered(void *arg)
{
	return ((struct got *)arg)->calls > 0;
}

static struct got ask(const char *name, int family, int *rc)
{
	struct got g = { 0 };
	*rc = ctl_dns_lookup(name, family, on_answer, &g);
	if (*rc == 0)
		pump(3000, answered, &g);
	return g;
}

static const char *str(const struct wg_ipaddr *a)
{
	static char buf[WG_IPADDR_STRLEN];
	wg_ipaddr_str(a, buf, sizeof(buf));
	return buf;
}

static int setup(void **state)
{
	(void)state;
	if (system("command -v dnsmasq >/dev/null 2>&1") != 0) {
		fprintf(stderr, "dnsmasq not installed: skipped\n");
		exit(77);
	}
	snprintf(dir, sizeof(dir), "/tmp/wgate-dns-XXXXXX");
	assert_non_null(mkdtemp(dir));
	chmod(dir, 0755);	/* dnsmasq run by root reads it as nobody */
	snprintf(hosts, sizeof(hosts), "%s/hosts", dir);
	write_hosts("10.1.0.5");
	uint16_t port = free_port(SOCK_DGRAM);
	char portarg[32], hostsarg[128], ttlarg[32];
	snprintf(portarg, sizeof(portarg), "--port=%u", port);
	snprintf(hostsarg, sizeof(hostsarg), "--addn-hosts=%s", hosts);
	snprintf(ttlarg, sizeof(ttlarg), "--local-ttl=%d", TTL);
	/* big.test: eight 250-byte TXT records, ~2 KB: over UDP cut (TC). */
	static char txt[8][300];
	for (int i = 0; i < 8; i++) {
		int n = snprintf(txt[i], sizeof(txt[i]), "--txt-record=big.test,%d", i);
		memset(txt[i] + n, 'x', 249);
		txt[i][n + 249] = 0;
	}
	dnsmasq_pid = fork();
	if (dnsmasq_pid == 0) {
		/* Dies with the test, even when a failed assertion (or a
		 * sanitizer) ends it before the teardown. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("dnsmasq", "dnsmasq", "-k", "--conf-file=/dev/null", portarg,
		       "--listen-address=127.0.0.1", "--bind-interfaces", "--no-resolv",
		       "--no-hosts", hostsarg, ttlarg, "--local=/test/", "--pid-file=",
		       "--cache-size=0", "--log-facility=/dev/null", txt[0], txt[1], txt[2],
		       txt[3], txt[4], txt[5], txt[6], txt[7], (char *)NULL);
		_exit(127);
	}
	snprintf(servers, sizeof(servers), "127.0.0.1:%u", port);
	/* Up when it answers. */
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	for (int i = 0; i < 50; i++) {
		int rc;
		struct got g = ask("v4only.test", AF_INET, &rc);
		if (g.calls && g.status == 0)
			break;
		ctl_dns_free();
		usleep(100 * 1000);
		assert_int_equal(ctl_dns_init(servers, NULL), 0);
	}
	ctl_dns_free();
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];
	(void)state;
	kill(dnsmasq_pid, SIGTERM);
	waitpid(dnsmasq_pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int changes;
static void on_change(const struct wg_dns_entry *e)
{
	(void)e;
	changes++;
}

/* What the lookup-duration observer (the OTLP histogram's feed) heard. */
static struct { unsigned int n; int qtype[8], rcode[8]; double s[8]; } seen;

static void observer(int qtype, int rcode, double seconds)
{
	if (seen.n < 8) {
		seen.qtype[seen.n] = qtype;
		seen.rcode[seen.n] = rcode;
		seen.s[seen.n] = seconds;
	}
	seen.n++;
}

static void a_and_aaaa_with_ttl(void **state)
{
	int rc;
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	memset(&seen, 0, sizeof(seen));
	ctl_dns_set_observer(observer);
	struct got g4 = ask("App.Test.", AF_INET, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(g4.calls, 1);
	assert_int_equal(g4.status, 0);
	assert_int_equal(g4.n, 1);
	assert_string_equal(str(&g4.a[0]), "10.1.0.5");
	assert_int_equal(g4.ttl, TTL);
	struct got g6 = ask("app.test", AF_INET6, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(g6.n, 1);
	assert_string_equal(str(&g6.a[0]), "fd00:1::5");
	/* inside the TTL: from the cache, at once */
	struct got again = ask("app.test", AF_INET, &rc);
	assert_int_equal(rc, 1);
	assert_int_equal(again.calls, 1);
	assert_string_equal(str(&again.a[0]), "10.1.0.5");
	struct ctl_dns_stats st;
	ctl_dns_get_stats(&st);
	assert_int_equal(st.lookups, 2);
	assert_int_equal(st.cache_hits, 1);
	/* One observation per lookup sent (not for the cache hit): A then
	 * AAAA, NOERROR, a duration under the timeout. */
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.qtype[0], 1);
	assert_int_equal(seen.qtype[1], 28);
	assert_int_equal(seen.rcode[0], 0);
	assert_true(seen.s[0] > 0 && seen.s[0] < 10);
	assert_int_equal(ctl_dns_lookup("bad name", AF_INET, on_answer, &again), -EINVAL);
	assert_int_equal(ctl_dns_lookup("app.test", AF_UNIX, on_answer, &again), -EINVAL);
	ctl_dns_free();
}

/* The dns-ttl-resolution flag off: every positive answer is kept for the
 * fixed 30 s, read when the answer is stored; negative answers keep their
 * own lifetime. */
static bool ttl_flag;
static bool ttl_policy(void)
{
	return ttl_flag;
}

static void fixed_ttl_when_flag_off(void **state)
{
	int rc;
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	ctl_dns_set_ttl_policy(ttl_policy);
	ttl_flag = false;
	struct got g = ask("app.test", AF_INET, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(g.status, 0);
	assert_int_equal(g.ttl, CTL_DNS_FIXED_TTL);	/* not the record's TTL */
	/* past the record's TTL: still from the cache */
	pump(TTL * 1000 + 600, NULL, NULL);
	g = ask("app.test", AF_INET, &rc);
	assert_int_equal(rc, 1);
	assert_true(g.ttl <= CTL_DNS_FIXED_TTL - TTL && g.ttl >= CTL_DNS_FIXED_TTL - TTL - 2);
	struct got nx = ask("nope.test", AF_INET, &rc);
	assert_int_equal(nx.status, -ENOENT);		/* negative: not 30 s */
	/* flag on: the next stored answer keeps its TTL */
	ttl_flag = true;
	g = ask("app.test", AF_INET6, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(g.ttl, TTL);
	g = ask("app.test", AF_INET, &rc);	/* stored while off: unchanged */
	assert_int_equal(rc, 1);
	assert_true(g.ttl > TTL);
	ctl_dns_set_ttl_policy(NULL);
	ctl_dns_free();
}

/* A forwarded query (the stub's path) whose UDP answer comes back with TC:
 * c-ares asks again over TCP by itself, so the answer relayed is whole. */
static struct { int calls, status; size_t len; uint8_t msg[4096]; } raw;

static void on_raw(void *arg, int status, const uint8_t *abuf, size_t alen)
{
	(void)arg;
	raw.calls++;
	raw.status = status;
	raw.len = alen;
	if (!status && alen <= sizeof(raw.msg))
		memcpy(raw.msg, abuf, alen);
}

static bool raw_done(void *arg)
{
	(void)arg;
	return raw.calls > 0;
}

static void forwarded_truncated_retried_over_tcp(void **state)
{
	/* id 0x0707, RD, one question: big.test TXT IN; no EDNS (512 bytes) */
	static const uint8_t q[] = { 0x07, 0x07, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
				     3, 'b', 'i', 'g', 4, 't', 'e', 's', 't', 0, 0, 16, 0, 1 };
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	memset(&raw, 0, sizeof(raw));
	assert_int_equal(ctl_dns_send_raw(q, sizeof(q), on_raw, NULL), 0);
	pump(5000, raw_done, NULL);
	assert_int_equal(raw.calls, 1);
	assert_int_equal(raw.status, 0);
	assert_true(raw.len > 2000);			/* all of it, not 512 bytes */
	assert_int_equal(raw.msg[2] & 0x02, 0);		/* TC clear */
	assert_int_equal(raw.msg[6] << 8 | raw.msg[7], 8);	/* eight answers */
	ctl_dns_free();
}

static void empty_answers(void **state)
{
	int rc;
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	memset(&seen, 0, sizeof(seen));
	ctl_dns_set_observer(observer);
	struct got nx = ask("nope.test", AF_INET, &rc);
	assert_int_equal(nx.calls, 1);
	assert_int_equal(nx.status, -ENOENT);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rcode[0], 3);	/* NXDOMAIN */
	assert_int_equal(nx.n, 0);
	struct got nodata = ask("v4only.test", AF_INET6, &rc);
	assert_int_equal(nodata.calls, 1);
	assert_int_equal(nodata.status, -ENOENT);
	/* held as empty: answered from the cache */
	nx = ask("nope.test", AF_INET, &rc);
	assert_int_equal(rc, 1);
	assert_int_equal(nx.status, -ENOENT);
	ctl_dns_free();
}

/* The record changes upstream: the old address stays until its TTL has
 * passed, then an entry in use is refreshed without being asked again. */
static void change_after_ttl_refresh_and_drop(void **state)
{
	int rc;
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	ctl_dns_on_change(on_change);
	changes = 0;
	struct got g = ask("app.test", AF_INET, &rc);
	assert_string_equal(str(&g.a[0]), "10.1.0.5");
	assert_int_equal(changes, 1);
	ask("v4only.test", AF_INET, &rc);	/* never read again: dropped */
	assert_int_equal(changes, 2);	/* each name's first address set */
	uint64_t t0 = mono_ms();
	write_hosts("10.1.0.9");
	kill(dnsmasq_pid, SIGHUP);	/* dnsmasq re-reads its hosts files */
	/* read (in use) all along: the old address until the TTL is over,
	 * then the new one, refreshed by the scan with no lookup asked */
	while (mono_ms() < t0 + (TTL * 1000) * 2 + 500) {
		const struct wg_dns_entry *e = ctl_dns_peek("app.test", AF_INET);
		assert_non_null(e);
		if (mono_ms() < t0 + (TTL * 1000) - 400)
			assert_string_equal(str(&e->addrs[0]), "10.1.0.5");
		pump(100, NULL, NULL);
	}
	const struct wg_dns_entry *e = ctl_dns_peek("app.test", AF_INET);
	assert_non_null(e);
	assert_string_equal(str(&e->addrs[0]), "10.1.0.9");
	assert_int_equal(changes, 3);
	assert_null(ctl_dns_peek("v4only.test", AF_INET));
	struct ctl_dns_stats st;
	ctl_dns_get_stats(&st);
	assert_true(st.lookups >= 3);
	/* pinned: kept refreshed though nobody reads it */
	assert_int_equal(ctl_dns_pin("v4only.test", AF_INET), 0);
	pump(TTL * 1000 * 2 + 1500, NULL, NULL);
	e = ctl_dns_peek("v4only.test", AF_INET);
	assert_non_null(e);
	assert_int_equal(e->status, WG_DNS_OK);
	ctl_dns_get_stats(&st);
	uint64_t before = st.lookups;
	ctl_dns_unpin("v4only.test", AF_INET);
	pump(TTL * 1000 * 2 + 1500, NULL, NULL);
	assert_null(ctl_dns_peek("v4only.test", AF_INET));
	ctl_dns_get_stats(&st);
	assert_true(st.lookups > before);	/* app.test still in use by peek */
	write_hosts("10.1.0.5");
	kill(dnsmasq_pid, SIGHUP);
	ctl_dns_free();
}

/* A server that never answers: -ETIMEDOUT at the deadline. */
static void silent_server_times_out(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rc;
	char sv[64];
	struct ctl_dns_opts o = { .timeout_ms = 600 };

	(void)state;
	assert_int_equal(bind(fd, (void *)&sa, sizeof(sa)), 0);
	getsockname(fd, (void *)&sa, &l);
	snprintf(sv, sizeof(sv), "127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(ctl_dns_init(sv, &o), 0);
	memset(&seen, 0, sizeof(seen));
	ctl_dns_set_observer(observer);
	uint64_t t0 = mono_ms();
	struct got g = ask("app.test", AF_INET, &rc);
	uint64_t took = mono_ms() - t0;
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.status, -ETIMEDOUT);
	assert_true(took >= 550 && took < 1500);
	struct ctl_dns_stats st;
	ctl_dns_get_stats(&st);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.rcode[0], -1);	/* no response */
	assert_true(seen.s[0] >= 0.55);
	ctl_dns_set_observer(NULL);
	ctl_dns_free();
	close(fd);
	assert_int_equal(ctl_dns_init("127.0.0.1,dns.example", NULL), -EINVAL);
}

static int many_done;
static void count_answer(void *arg, const struct ctl_dns_answer *a)
{
	(void)arg;
	if (a->status == 0 && a->n == 1)
		many_done++;
}

static bool all_done(void *arg)
{
	return many_done == *(int *)arg;
}

static void many_at_once_bounded(void **state)
{
	int total = 1500;
	char name[32];
	(void)state;
	assert_int_equal(ctl_dns_init(servers, NULL), 0);
	many_done = 0;
	for (int i = 0; i < total; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		assert_int_equal(ctl_dns_lookup(name, AF_INET, count_answer, NULL), 0);
	}
	struct ctl_dns_stats st;
	ctl_dns_get_stats(&st);
	assert_int_equal(st.inflight, CTL_DNS_MAX_INFLIGHT);
	assert_int_equal(st.queued, total - CTL_DNS_MAX_INFLIGHT);
	pump(20000, all_done, &total);
	assert_int_equal(many_done, total);
	ctl_dns_get_stats(&st);
	assert_int_equal(st.max_inflight_seen, CTL_DNS_MAX_INFLIGHT);
	assert_int_equal(st.inflight, 0);
	/* a cancelled callback is never called */
	struct got g = { 0 };
	assert_int_equal(ctl_dns_lookup("app.test", AF_INET6, on_answer, &g), 0);
	ctl_dns_cancel(on_answer, &g);
	pump(1000, NULL, NULL);
	assert_int_equal(g.calls, 0);
	ctl_dns_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(a_and_aaaa_with_ttl),
		cmocka_unit_test(empty_answers),
		cmocka_unit_test(fixed_ttl_when_flag_off),
		cmocka_unit_test(forwarded_truncated_retried_over_tcp),
		cmocka_unit_test(change_after_ttl_refresh_and_drop),
		cmocka_unit_test(silent_server_times_out),
		cmocka_unit_test(many_at_once_bounded),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
