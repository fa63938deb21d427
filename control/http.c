/* One libcurl multi handle for the control core (see http.h).
 *
 * Why libcurl's multi interface: it is non-blocking by design
 * (curl_multi_perform does what it can and returns), keeps one connection
 * cache for every easy handle added to it (so flags, analytics and OTLP
 * reuse the same keep-alive connections and TLS sessions), does HTTP/1.1
 * and HTTP/2 with verified TLS, and is what Debian ships.
 *
 * Name resolution is the one part of a transfer that can block: see
 * resolve_entry() below, the single place where an address resolved by the
 * control core's c-ares resolver is handed to libcurl. */
#include "control/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "control/dns.h"
#include "lib/dns/cache.h"
#include "lib/util/log.h"

#define MOD "http"

struct req {
	CURL *easy;
	struct curl_slist *headers;
	struct curl_slist *resolve;
	char *body;		/* the request body, copied */
	char *resp;		/* response body, NUL-terminated */
	size_t resp_len, resp_cap;
	bool too_large;
	ctl_http_cb cb;
	void *arg;
	char errbuf[CURL_ERROR_SIZE];
};

/* Writer and reader: the control lcore only. */
static struct {
	CURLM *multi;
	bool global;		/* curl_global_init done */
	bool async_dns;		/* libcurl resolves without blocking (threaded/c-ares) */
	bool closing;		/* ctl_http_free running: no new requests */
	struct req *slot[CTL_HTTP_MAX_INFLIGHT];
	unsigned int n;
} http;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct req *r = userdata;
	size_t n = size * nmemb;

	if (n > CTL_HTTP_MAX_BODY - r->resp_len) {
		r->too_large = true;
		return 0;	/* libcurl fails the transfer with CURLE_WRITE_ERROR */
	}
	if (r->resp_len + n + 1 > r->resp_cap) {
		size_t cap = r->resp_cap ? r->resp_cap : 4096;
		char *p;

		while (cap < r->resp_len + n + 1)
			cap *= 2;
		p = realloc(r->resp, cap);
		if (!p)
			return 0;
		r->resp = p;
		r->resp_cap = cap;
	}
	memcpy(r->resp + r->resp_len, ptr, n);
	r->resp_len += n;
	r->resp[r->resp_len] = '\0';
	return n;
}

static bool ip_literal(const char *host)
{
	unsigned char buf[16];
	char v6[64];
	size_t len = strlen(host);

	if (inet_pton(AF_INET, host, buf) == 1)
		return true;
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' && len - 2 < sizeof(v6)) {
		memcpy(v6, host + 1, len - 2);
		v6[len - 2] = '\0';
		host = v6;
	}
	return inet_pton(AF_INET6, host, buf) == 1;
}

/* Host names this client keeps resolved (flags, analytics and OTLP hosts:
 * a handful). */
#define MAX_PINNED_HOSTS	8
static char pinned[MAX_PINNED_HOSTS][256];

/* THE place where a pre-resolved address is handed to libcurl
 * ("HOST:PORT:ADDR" for CURLOPT_RESOLVE): the control core's c-ares
 * resolver (control/dns.c) keeps each host this client has seen pinned,
 * refreshed at every TTL, so from the second request on the address is
 * already there and libcurl resolves nothing. The first request for a host
 * (or one while the resolver has no answer yet) falls back to libcurl's own
 * asynchronous resolver (Debian builds libcurl with the threaded one:
 * CURL_VERSION_ASYNCHDNS), which does not block the loop either;
 * ctl_http_post() refuses host names when libcurl lacks it.
 * *handled: set when the returned entry makes libcurl's resolver
 * unnecessary. */
static struct curl_slist *resolve_entry(const char *host, long port, bool *handled)
{
	static const int fams[2] = { AF_INET, AF_INET6 };
	char ip[INET6_ADDRSTRLEN], entry[sizeof(pinned[0]) + 64];
	unsigned int i;

	*handled = false;
	if (strlen(host) >= sizeof(pinned[0]))
		return NULL;
	for (i = 0; i < MAX_PINNED_HOSTS && pinned[i][0]; i++)
		if (!strcmp(pinned[i], host))
			break;
	if (i < MAX_PINNED_HOSTS && !pinned[i][0] && ctl_dns_pin(host, AF_INET) == 0 &&
	    ctl_dns_pin(host, AF_INET6) == 0)
		snprintf(pinned[i], sizeof(pinned[i]), "%s", host);
	for (unsigned int f = 0; f < 2; f++) {
		const struct wg_dns_entry *e = ctl_dns_peek(host, fams[f]);
		struct curl_slist *l;

		if (!e || !e->n || !inet_ntop(fams[f], e->addrs[0].a, ip, sizeof(ip)))
			continue;
		snprintf(entry, sizeof(entry), fams[f] == AF_INET ? "%s:%ld:%s" : "%s:%ld:[%s]",
			 host, port, ip);
		l = curl_slist_append(NULL, entry);
		*handled = l != NULL;
		return l;
	}
	return NULL;
}

/* Host check and, where the shared resolver has an answer, CURLOPT_RESOLVE. */
static int plan_resolution(struct req *r, const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	bool handled = false;
	int rc = 0;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
		rc = -EINVAL;
		goto out;
	}
	if (ip_literal(host))
		goto out;
	r->resolve = resolve_entry(host, strtol(port, NULL, 10), &handled);
	if (!handled && !http.async_dns) {
		WG_LOG(WARN, MOD, "%s: this libcurl resolves names by blocking; use an IP address",
		       host);
		rc = -ENOTSUP;
	}
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

static void req_free(struct req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->resolve);
	free(r->body);
	free(r->resp);
	free(r);
}

/* Detaches r from the multi handle and its slot, runs its callback once,
 * frees it. The callback may queue new requests (the slot is free). */
static void finish(unsigned int i, CURLcode code)
{
	struct req *r = http.slot[i];
	struct ctl_http_resp resp = { .body = r->resp ? r->resp : "", .len = r->resp_len };

	curl_multi_remove_handle(http.multi, r->easy);
	http.slot[i] = http.slot[--http.n];
	http.slot[http.n] = NULL;
	if (code == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &resp.status);
	} else {
		resp.error = r->too_large ? "response too large"
			   : r->errbuf[0] ? r->errbuf : curl_easy_strerror(code);
		resp.body = "";
		resp.len = 0;
	}
	r->cb(r->arg, &resp);
	req_free(r);
}

int ctl_http_post(const char *url, const char *const *headers, const void *body, size_t len,
		  long timeout_ms, ctl_http_cb cb, void *arg)
{
	struct req *r;
	int rc;

	if (!http.multi || !url || !cb || timeout_ms <= 0)
		return -EINVAL;
	if (http.closing)
		return -ECANCELED;
	if (http.n >= CTL_HTTP_MAX_INFLIGHT)
		return -EBUSY;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->cb = cb;
	r->arg = arg;
	r->body = malloc(len ? len : 1);
	r->easy = curl_easy_init();
	if (!r->body || !r->easy) {
		rc = -ENOMEM;
		goto err;
	}
	if (len)
		memcpy(r->body, body, len);
	rc = plan_resolution(r, url);
	if (rc)
		goto err;
	for (unsigned int i = 0; headers && headers[i]; i++) {
		struct curl_slist *h = curl_slist_append(r->headers, headers[i]);
		if (!h) {
			rc = -ENOMEM;
			goto err;
		}
		r->headers = h;
	}
	/* "Expect: 100-continue" would add a round trip for bodies > 1 KiB. */
	r->headers = curl_slist_append(r->headers, "Expect:");
	if (!r->headers) {
		rc = -ENOMEM;
		goto err;
	}
	if (curl_easy_setopt(r->easy, CURLOPT_URL, url) ||
	    curl_easy_setopt(r->easy, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(r->easy, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    curl_easy_setopt(r->easy, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms) ||
	    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS,
			     timeout_ms < CTL_HTTP_CONNECT_MS ? timeout_ms : CTL_HTTP_CONNECT_MS) ||
	    curl_easy_setopt(r->easy, CURLOPT_POST, 1L) ||
	    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, r->body) ||
	    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) ||
	    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers) ||
	    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_data) ||
	    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r) ||
	    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->errbuf) ||
	    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "wgate/" WGATE_VERSION) ||
	    (r->resolve && curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve))) {
		rc = -EIO;
		goto err;
	}
	if (curl_multi_add_handle(http.multi, r->easy)) {
		rc = -EIO;
		goto err;
	}
	http.slot[http.n++] = r;
	return 0;
err:
	req_free(r);
	return rc;
}

unsigned int ctl_http_poll(void)
{
	unsigned int done = 0;
	int running, left;
	CURLMsg *msg;

	if (!http.n)
		return 0;
	curl_multi_perform(http.multi, &running);
	while ((msg = curl_multi_info_read(http.multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (unsigned int i = 0; i < http.n; i++) {
			if (http.slot[i]->easy == msg->easy_handle) {
				finish(i, msg->data.result);
				done++;
				break;
			}
		}
	}
	return done;
}

unsigned int ctl_http_inflight(void)
{
	return http.n;
}

int ctl_http_init(void)
{
	const curl_version_info_data *v;

	if (http.multi)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	http.global = true;
	http.multi = curl_multi_init();
	if (!http.multi) {
		curl_global_cleanup();
		http.global = false;
		return -ENOMEM;
	}
	/* Few hosts, few requests: keep a handful of connections alive. */
	curl_multi_setopt(http.multi, CURLMOPT_MAXCONNECTS, (long)CTL_HTTP_MAX_INFLIGHT);
	v = curl_version_info(CURLVERSION_NOW);
	http.async_dns = v && (v->features & CURL_VERSION_ASYNCHDNS);
	WG_LOG(DEBUG, MOD, "libcurl %s, %s resolver", v ? v->version : "?",
	       http.async_dns ? "asynchronous" : "blocking");
	return 0;
}

void ctl_http_free(void)
{
	if (!http.multi)
		return;
	http.closing = true;
	while (http.n) {
		struct req *r = http.slot[http.n - 1];
		struct ctl_http_resp resp = { .body = "", .error = "cancelled" };

		curl_multi_remove_handle(http.multi, r->easy);
		http.slot[--http.n] = NULL;
		r->cb(r->arg, &resp);
		req_free(r);
	}
	curl_multi_cleanup(http.multi);
	http.multi = NULL;
	if (http.global)
		curl_global_cleanup();
	http.global = false;
	http.closing = false;
}
