/* Mutation test of wg_sig_apply(): valid messages from the builders (msg.h)
 * over small pools of ids, so that events meet each other, are mutated
 * (byte flips, truncation, insertions, JSON values swapped for other types,
 * fields dropped, huge strings, sometimes beyond the size cap) and fed to one
 * state. It must never crash; a refused message must leave the state
 * exactly as it was (canonical dump compared), carry a printable reason and
 * never show the preshared key; every so often the state is merged over a
 * config file and the result checked with the loader's rules.
 *
 * The seed is printed; WGATE_SEED=<n> replays a run. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "lib/config/config.h"
#include "lib/signal/merge.h"
#include "lib/signal/msg.h"
#include "lib/signal/state.h"

#define N_MUTATED	12000	/* mutated messages fed; valid ones come on top */
#define PSK		"YV8F22343pLM9SPovEhe5Y+kpHYv7HHqqNPRVUS8teI="
#define N_CLIENTS	8
#define N_RESOURCES	6

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*: enough for picking mutations, and replayable. */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static size_t pick(size_t n)
{
	return (size_t)(rnd() % n);
}

/* ---- valid messages ---- */

static char keys[N_CLIENTS + 2][45];
static char cids[N_CLIENTS][16], rids[N_RESOURCES][16];
static char v4[N_CLIENTS][20], v6[N_CLIENTS][40];

static void pools(void)
{
	uint8_t k[32];

	for (int i = 0; i < N_CLIENTS + 2; i++) {
		memset(k, 0x10 + i, sizeof(k));
		sodium_bin2base64(keys[i], sizeof(keys[i]), k, 32, sodium_base64_VARIANT_ORIGINAL);
	}
	for (int i = 0; i < N_CLIENTS; i++) {
		snprintf(cids[i], sizeof(cids[i]), "c%d", i);
		snprintf(v4[i], sizeof(v4[i]), "100.64.3.%d", i);
		snprintf(v6[i], sizeof(v6[i]), "fd00:2021:1111::3:%d", i);
	}
	for (int i = 0; i < N_RESOURCES; i++)
		snprintf(rids[i], sizeof(rids[i]), "r%d", i);
}

static const char *const allowed_pool[] = { "10.40.0.0/16", "10.41.1.0/24", "fd00:41::/48",
					    "100.64.3.0/24", "10.40.7.0/24" };

static struct wg_sig_client_spec client_spec(void)
{
	size_t i = pick(N_CLIENTS);
	struct wg_sig_client_spec c = { .id = cids[i], .public_key = keys[pick(N_CLIENTS + 2)] };

	c.preshared_key = pick(2) ? PSK : NULL;
	c.ipv4 = pick(4) ? v4[i] : NULL;
	c.ipv6 = pick(3) ? v6[i] : NULL;
	if ((!c.ipv4 && !c.ipv6) || pick(4) == 0) {
		size_t a = pick(5);

		c.allowed_ips = &allowed_pool[a];
		c.n_allowed_ips = 1 + pick(5 - a);
	}
	return c;
}

static const struct wg_cfg_filter filter_pool[] = {
	{ WG_CFG_PROTO_TCP, 80, 80 }, { WG_CFG_PROTO_TCP, 8000, 8100 },
	{ WG_CFG_PROTO_UDP, 53, 53 }, { WG_CFG_PROTO_ICMP, 0, 65535 },
};

static struct wg_sig_resource_spec resource_spec(void)
{
	static const char *const types[] = { "cidr", "cidr", "dns", "internet" };
	static const char *const addrs[] = { "10.9.0.0/16", "192.0.2.7", "2001:db8::/32" };
	static const char *const names[] = { "app.corp.example", "*.corp.example", "?.x.example" };
	size_t i = pick(N_RESOURCES);
	struct wg_sig_resource_spec r = { .type = types[i % 4], .id = rids[i] };

	/* The type is fixed per id, so that most updates are not refused. */
	if (!strcmp(r.type, "cidr"))
		r.address = addrs[pick(3)];
	else if (!strcmp(r.type, "dns"))
		r.address = names[pick(3)];
	r.name = pick(2) ? "Display name" : NULL;
	r.filters = &filter_pool[pick(4)];
	r.n_filters = pick(4 - (size_t)(r.filters - filter_pool) + 1);
	return r;
}

static char *valid_message(void)
{
	struct wg_sig_client_spec c = client_spec();
	struct wg_sig_resource_spec r = resource_spec();
	struct wg_sig_grant_spec g[5];
	char ref[32];
	size_t n;

	switch (pick(8)) {
	case 0:
		return wg_sig_msg_client_updated(&c);
	case 1:
	case 2:
		if (pick(2))
			snprintf(ref, sizeof(ref), "\"ref-%u\"", (unsigned)pick(1000));
		else
			snprintf(ref, sizeof(ref), "%u", (unsigned)pick(1000));
		return wg_sig_msg_create_authorization(ref, &c, &r,
						       pick(2) ? (int64_t)(1 + pick(1u << 31)) : 0);
	case 3:
		return wg_sig_msg_reject_access(cids[pick(N_CLIENTS)], rids[pick(N_RESOURCES)]);
	case 4:
		return wg_sig_msg_resource_updated(&r);
	case 5:
		return pick(2) ? wg_sig_msg_client_deleted(cids[pick(N_CLIENTS)]) :
				 wg_sig_msg_resource_deleted(rids[pick(N_RESOURCES)]);
	default:
		n = pick(6);
		for (size_t i = 0; i < n; i++)
			g[i] = (struct wg_sig_grant_spec){ cids[pick(N_CLIENTS)],
							   rids[pick(N_RESOURCES)],
							   pick(2) ? (int64_t)pick(1000) : 0 };
		return wg_sig_msg_init(g, n);
	}
}

/* ---- mutations ---- */

struct node {
	json_t *parent;		/* NULL for the root */
	const char *key;	/* parent an object */
	size_t idx;		/* parent an array */
	json_t *v;
};

static void collect(json_t *parent, const char *key, size_t idx, json_t *v, struct node *out,
		    size_t *n, size_t max)
{
	const char *k;
	json_t *x;
	size_t i;

	if (*n == max)
		return;
	out[(*n)++] = (struct node){ parent, key, idx, v };
	if (json_is_object(v)) {
		json_object_foreach(v, k, x)
			collect(v, k, 0, x, out, n, max);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			collect(v, NULL, i, x, out, n, max);
	}
}

static size_t huge_count;

static json_t *huge_string(void)
{
	/* Mostly large but under the cap; a few times a run beyond it. */
	size_t n = huge_count < 3 && pick(400) == 0 ? WG_SIG_MSG_MAX + 16 : 1000 + pick(200000);
	char *s = malloc(n + 1);
	json_t *v;

	assert_non_null(s);
	memset(s, 'a' + (int)pick(26), n);
	s[n] = '\0';
	if (n > WG_SIG_MSG_MAX)
		huge_count++;
	v = json_string(s);
	free(s);
	return v;
}

static json_t *random_value(void)
{
	static const char *const strs[] = {
		"", "tcp", "udp", "icmp", "sctp", "cidr", "dns", "internet", "100.64.0.1",
		"10.0.0.0/8", "10.0.0.1/8", "fd00::1", "*.corp.example", "c1", "r1", "init",
		"reject_access", "client_deleted", "a b", "\xc3\xa9", "\n", "0123456789012345678901"
		"2345678901234567890123456789012345678901234",
	};
	json_t *a;

	switch (pick(13)) {
	case 0:
		return json_null();
	case 1:
		return pick(2) ? json_true() : json_false();
	case 2:
		return json_integer((json_int_t)rnd());
	case 3:
		return json_integer((json_int_t)pick(70000));
	case 4:
		return json_real(1.5);
	case 5:
		return json_integer(-1);
	case 6:
	case 7:
		return json_string(strs[pick(sizeof(strs) / sizeof(strs[0]))]);
	case 8:
		return json_string(keys[pick(N_CLIENTS + 2)]);
	case 9:
		return json_object();
	case 10:
		a = json_array();
		for (size_t i = pick(4); i > 0; i--)
			json_array_append_new(a, json_integer((json_int_t)pick(100)));
		return a;
	case 11:
		return huge_string();
	default:
		return json_array();
	}
}

static void replace(const struct node *n, json_t *v, json_t **root)
{
	if (!n->parent) {
		json_decref(*root);
		*root = v;
	} else if (n->key) {
		json_object_set_new(n->parent, n->key, v);
	} else {
		json_array_set_new(n->parent, n->idx, v);
	}
}

/* One structural change: a value of another type, a field dropped, a
 * string made huge. Returns the new text (malloc'd). */
static char *mutate_json(const char *text)
{
	json_t *root = json_loads(text, 0, NULL);
	struct node nodes[256];
	size_t n = 0;
	char *out;

	assert_non_null(root);
	for (size_t rounds = 1 + pick(2); rounds > 0; rounds--) {
		const struct node *x;

		n = 0;
		collect(NULL, NULL, 0, root, nodes, &n, 256);
		x = &nodes[pick(n)];
		switch (pick(4)) {
		case 0:
		case 1:
			replace(x, random_value(), &root);
			break;
		case 2:
			if (x->parent && x->key)
				json_object_del(x->parent, x->key);
			else if (x->parent)
				json_array_remove(x->parent, x->idx);
			break;
		default:
			if (json_is_string(x->v))
				replace(x, huge_string(), &root);
			else if (json_is_array(x->v))
				json_array_append_new(x->v, random_value());
			else if (json_is_object(x->v))
				json_object_set_new(x->v, "extra", random_value());
			break;
		}
	}
	out = json_dumps(root, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(root);
	assert_non_null(out);
	return out;
}

/* Byte-level changes on text of *len bytes; returns the new buffer. */
static char *mutate_bytes(char *s, size_t *len)
{
	static const char *const tokens[] = {
		"{", "}", "[", "]", "\"", ",", ":", "null", "1e999", "-1", "\\u0000", "\\ud800",
		"\xff", "\x00", "0", "\"event\":\"init\",", "{\"a\":", "99999999999999999999999",
	};
	size_t n = *len;

	for (size_t rounds = 1 + pick(3); rounds > 0; rounds--) {
		size_t at = n ? pick(n) : 0, tl;
		const char *t;
		char *ns;

		switch (pick(4)) {
		case 0:		/* flip */
			if (n)
				s[at] ^= (char)(1u << pick(8));
			break;
		case 1:		/* replace with a random byte */
			if (n)
				s[at] = (char)pick(256);
			break;
		case 2:		/* truncate */
			n = at;
			break;
		default:	/* insert a token */
			t = tokens[pick(sizeof(tokens) / sizeof(tokens[0]))];
			tl = t[0] ? strlen(t) : 1;
			ns = realloc(s, n + tl + 1);
			assert_non_null(ns);
			s = ns;
			memmove(s + at + tl, s + at, n - at);
			memcpy(s + at, t, tl);
			n += tl;
			break;
		}
	}
	*len = n;
	return s;
}

/* ---- the run ---- */

struct stats {
	size_t fed, mutated, accepted, refused, unsupported, huge_refused, syntax, merges;
};

static void check_refusal(int rc, const char *why, const struct wg_sig_result *res,
			  const char *before, const struct wg_sig_state *s, uint64_t seed,
			  size_t i)
{
	char *after = wg_sig_state_dump(s);

	assert_non_null(after);
	if (strcmp(before, after))
		fail_msg("seed %llu message %zu: refused (%d: %s) but the state changed",
			 (unsigned long long)seed, i, rc, why);
	free(after);
	if (!why[0])
		fail_msg("seed %llu message %zu: refused without a reason", (unsigned long long)seed,
			 i);
	for (const char *p = why; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			fail_msg("seed %llu message %zu: unprintable reason", (unsigned long long)seed,
				 i);
	for (size_t k = 0; k + 8 <= strlen(PSK); k++)
		if (strstr(why, (char[9]){ PSK[k], PSK[k + 1], PSK[k + 2], PSK[k + 3], PSK[k + 4],
					   PSK[k + 5], PSK[k + 6], PSK[k + 7], 0 }))
			fail_msg("seed %llu message %zu: the reason shows the psk: %s",
				 (unsigned long long)seed, i, why);
	if (res->event != WG_SIG_EV_NONE)
		fail_msg("seed %llu message %zu: a refusal with an event", (unsigned long long)seed,
			 i);
}

static void merge_check(const struct wg_config *base, const struct wg_sig_state *s,
			uint64_t seed, size_t i)
{
	char why[300];
	struct wg_config *m = wg_sig_merge(base, s, NULL, why, sizeof(why));

	if (!m)
		fail_msg("seed %llu message %zu: merge failed: %s", (unsigned long long)seed, i, why);
	if (wg_config_check(m, why, sizeof(why)))
		fail_msg("seed %llu message %zu: merged config: %s", (unsigned long long)seed, i,
			 why);
	wg_config_free(m);
}

static void test_mutate(void **unused)
{
	const char *env = getenv("WGATE_SEED");
	uint64_t seed = env && *env ? strtoull(env, NULL, 0)
				    : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct wg_config_error err;
	struct wg_config *base = wg_config_load("config/good.conf", NULL, &err);
	struct wg_sig_state *s = wg_sig_state_new();
	struct stats st = { 0 };

	(void)unused;
	assert_non_null(base);
	print_message("seed %llu (replay with WGATE_SEED=%llu)\n", (unsigned long long)seed,
		      (unsigned long long)seed);
	rng = seed ? seed : 1;
	pools();
	for (size_t i = 0; st.mutated < N_MUTATED; i++) {
		struct wg_sig_result res;
		char why[400] = "", *before, *m = valid_message();
		size_t len;
		int rc;

		assert_non_null(m);
		len = strlen(m);
		/* One in four goes in as built, so the state grows and shrinks. */
		if (pick(4)) {
			/* JSON changes alone, bytes alone, or both. */
			size_t how = pick(3);

			if (how != 1) {
				char *x = mutate_json(m);

				sodium_memzero(m, len);
				free(m);
				m = x;
				len = strlen(m);
			}
			if (how != 0)
				m = mutate_bytes(m, &len);
			st.mutated++;
		}
		before = wg_sig_state_dump(s);
		assert_non_null(before);
		memset(&res, 0x5a, sizeof(res));
		rc = wg_sig_apply(s, m, len, &res, why, sizeof(why));
		st.fed++;
		if (rc == 0) {
			st.accepted++;
			assert_int_not_equal(res.event, WG_SIG_EV_NONE);
		} else {
			if (rc != -EINVAL && rc != -ENOTSUP)
				fail_msg("seed %llu message %zu: rc %d", (unsigned long long)seed, i,
					 rc);
			check_refusal(rc, why, &res, before, s, seed, i);
			st.refused++;
			st.unsupported += rc == -ENOTSUP;
			st.huge_refused += len > WG_SIG_MSG_MAX;
			st.syntax += !strncmp(why, "message: not JSON", 17);
		}
		free(before);
		sodium_memzero(m, len);
		free(m);
		if (i % 500 == 499) {
			merge_check(base, s, seed, i);
			st.merges++;
		}
	}
	merge_check(base, s, seed, st.fed);
	print_message("fed %zu (mutated %zu): accepted %zu, refused %zu (not JSON %zu, unknown "
		      "event %zu, over the cap %zu, the rest by field); %zu merges; final state "
		      "%zu clients %zu resources %zu grants\n",
		      st.fed, st.mutated, st.accepted, st.refused, st.syntax, st.unsupported,
		      st.huge_refused, st.merges + 1, wg_sig_state_n_clients(s), wg_sig_state_n_resources(s),
		      wg_sig_state_n_grants(s));
	assert_true(st.refused > N_MUTATED / 2);
	/* Most refusals must come from the field checks, not the JSON syntax. */
	assert_true(st.refused - st.syntax - st.unsupported > N_MUTATED / 5);
	assert_true(st.accepted > 0);
	wg_sig_state_free(s);
	wg_config_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mutate),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
