/* control/http.c against a real HTTP server (tests/control/http_test.py
 * starts it and runs this with its base URL): a POST and its echo, the
 * connection kept alive across requests, the 1 MiB response cap, the
 * timeout, the in-flight bound (-EBUSY), cancellation at free, a refused
 * connection and bad URLs. Never blocks: every wait polls with a deadline. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/http.h"

#define ECHO_PREFIX "application/json 1 {\"a\":1} port="

static int failures;
static const char *base;

struct got {
	int calls;
	long status;
	char body[256];
	char error[256];
};

static void check(const char *what, bool ok, const char *detail)
{
	printf("%s - %s%s%s\n", ok ? "ok" : "not ok", what, ok || !detail ? "" : ": ",
	       ok || !detail ? "" : detail);
	failures += !ok;
}

static void on_done(void *arg, const struct ctl_http_resp *r)
{
	struct got *g = arg;

	g->calls++;
	g->status = r->status;
	snprintf(g->body, sizeof(g->body), "%.*s", (int)(r->len < 255 ? r->len : 255), r->body);
	snprintf(g->error, sizeof(g->error), "%s", r->error ? r->error : "");
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Polls until every g in gs has its callback or limit_s passes. */
static void wait_all(struct got *gs, int n, double limit_s)
{
	double end = now_s() + limit_s;

	for (;;) {
		int done = 0;

		for (int i = 0; i < n; i++)
			done += gs[i].calls > 0;
		if (done == n || now_s() > end)
			return;
		if (!ctl_http_poll()) {
			struct timespec d = { 0, 1000000 };
			nanosleep(&d, NULL);
		}
	}
}

static int post(const char *path, const char *body, long timeout_ms, struct got *g)
{
	static const char *const hdr[] = { "Content-Type: application/json", "X-Test: 1", NULL };
	char url[256];

	snprintf(url, sizeof(url), "%s%s", base, path);
	memset(g, 0, sizeof(*g));
	return ctl_http_post(url, hdr, body, strlen(body), timeout_ms, on_done, g);
}

int main(int argc, char **argv)
{
	struct got g, many[CTL_HTTP_MAX_INFLIGHT + 1];
	char port1[32] = "", detail[600];
	double t0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_http BASE_URL\n");
		return 2;
	}
	base = argv[1];
	check("ctl_http_init", ctl_http_init() == 0, NULL);

	/* 1. POST, echo, headers, exactly one callback */
	check("POST queued", post("/echo", "{\"a\":1}", 5000, &g) == 0, NULL);
	wait_all(&g, 1, 5);
	snprintf(detail, sizeof(detail), "calls=%d status=%ld body=%s error=%s", g.calls,
		 g.status, g.body, g.error);
	check("echo: 200 with the body and headers the server saw", g.calls == 1 &&
	      g.status == 200 && !g.error[0] &&
	      !strncmp(g.body, ECHO_PREFIX, strlen(ECHO_PREFIX)), detail);
	snprintf(port1, sizeof(port1), "%s", strstr(g.body, "port=") ? strstr(g.body, "port=") : "");
	for (int i = 0; i < 20; i++)
		ctl_http_poll();
	check("exactly one callback", g.calls == 1, NULL);

	/* 2. the connection is reused: same client port */
	post("/echo", "x", 5000, &g);
	wait_all(&g, 1, 5);
	snprintf(detail, sizeof(detail), "first %s, then %s", port1, g.body);
	check("keep-alive: the second request on the same connection",
	      g.status == 200 && port1[0] && strstr(g.body, port1), detail);

	/* 3. HTTP errors are not transport errors */
	post("/status/500", "x", 5000, &g);
	wait_all(&g, 1, 5);
	check("HTTP 500: status 500, error NULL", g.status == 500 && !g.error[0], g.error);

	/* 4. the 1 MiB cap */
	post("/big", "x", 5000, &g);
	wait_all(&g, 1, 10);
	check("2 MiB answer: error 'response too large', status 0",
	      g.calls == 1 && g.status == 0 && !strcmp(g.error, "response too large"), g.error);

	/* 5. the timeout bounds the whole transfer */
	t0 = now_s();
	post("/slow", "x", 300, &g);
	wait_all(&g, 1, 5);
	snprintf(detail, sizeof(detail), "after %.2f s: %s", now_s() - t0, g.error);
	check("a 3 s answer with timeout 300 ms: error within 1.5 s",
	      g.calls == 1 && g.error[0] && now_s() - t0 < 1.5, detail);

	/* 6. the bound and cancellation */
	int rc = 0, queued = 0;
	for (int i = 0; i < CTL_HTTP_MAX_INFLIGHT + 1; i++) {
		rc = post("/slow", "x", 10000, &many[i]);
		queued += rc == 0;
	}
	snprintf(detail, sizeof(detail), "queued %d, last rc %d", queued, rc);
	check("16 in flight, the 17th -EBUSY", queued == CTL_HTTP_MAX_INFLIGHT && rc == -EBUSY,
	      detail);
	check("ctl_http_inflight() = 16", ctl_http_inflight() == CTL_HTTP_MAX_INFLIGHT, NULL);
	for (int i = 0; i < 50; i++)
		ctl_http_poll();
	ctl_http_free();
	int cancelled = 0;
	for (int i = 0; i < CTL_HTTP_MAX_INFLIGHT; i++)
		cancelled += many[i].calls == 1 && !strcmp(many[i].error, "cancelled");
	check("ctl_http_free: each pending callback once with 'cancelled'",
	      cancelled == CTL_HTTP_MAX_INFLIGHT && many[CTL_HTTP_MAX_INFLIGHT].calls == 0, NULL);
	check("after free: posting is refused", post("/echo", "x", 1000, &g) == -EINVAL, NULL);

	/* 7. refused connection, bad URLs */
	check("init again", ctl_http_init() == 0, NULL);
	memset(&g, 0, sizeof(g));
	rc = ctl_http_post("http://127.0.0.1:1/x", NULL, "x", 1, 2000, on_done, &g);
	wait_all(&g, 1, 5);
	check("refused connection: status 0 and an error", rc == 0 && g.calls == 1 &&
	      g.status == 0 && g.error[0], g.error);
	check("not a URL: -EINVAL",
	      ctl_http_post("not a url", NULL, "", 0, 1000, on_done, &g) == -EINVAL, NULL);
	memset(&g, 0, sizeof(g));
	rc = ctl_http_post("ftp://127.0.0.1/x", NULL, "", 0, 1000, on_done, &g);
	wait_all(&g, 1, 5);
	check("ftp:// is not allowed", rc != 0 || (g.calls == 1 && g.error[0]), g.error);
	ctl_http_free();
	printf("# %s\n", failures ? "FAILED" : "all passed");
	return failures ? 1 : 0;
}
