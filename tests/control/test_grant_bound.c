/* [Dataplane] MaxGrants' choice (control/grant_bound.c): past the bound the
 * grants published before stay, whatever order the next configuration
 * lists them in, and only new ones are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "control/grant_bound.h"
#include "lib/config/config.h"

#define N_PEERS 3
#define N_RES 4

static struct wg_cfg_peer peers[N_PEERS];
static struct wg_cfg_resource res[N_RES];
static struct wg_cfg_access acc[16];

/* A config whose grants are the (peer, resource) pairs of spec, in order. */
static void make(struct wg_config *c, const int (*spec)[2], size_t n)
{
	memset(c, 0, sizeof(*c));
	for (int p = 0; p < N_PEERS; p++)
		memset(peers[p].public_key, 'a' + p, sizeof(peers[p].public_key));
	for (int r = 0; r < N_RES; r++)
		snprintf(res[r].name, sizeof(res[r].name), "r%d", r);
	for (size_t a = 0; a < n; a++)
		acc[a] = (struct wg_cfg_access){ .peer_idx = spec[a][0], .resource_idx = spec[a][1] };
	c->peers = peers;
	c->n_peers = N_PEERS;
	c->resources = res;
	c->n_resources = N_RES;
	c->access = acc;
	c->n_access = n;
}

/* The grants refused by the last select_ that the last commit did not. */
static size_t new_refused;

static size_t select_(const struct wg_config *c, const bool *live, size_t max, bool *keep)
{
	size_t refused = 99;

	new_refused = 99;
	assert_int_equal(ctl_grant_bound_select(c, live, max, keep, &refused, &new_refused), 0);
	return refused;
}

static void test_no_bound(void **state)
{
	static const int g[][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 2, 3 } };
	bool live[N_PEERS] = { true, true, true }, keep[4];
	struct wg_config c;

	(void)state;
	make(&c, g, 4);
	assert_int_equal(select_(&c, live, 0, keep), 0);
	for (int a = 0; a < 4; a++)
		assert_true(keep[a]);
	ctl_grant_bound_free();
}

static void test_published_stay(void **state)
{
	static const int first[][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 } };
	/* The next configuration: a new grant (2,3) listed first, the old
	 * ones after it in another order. */
	static const int next[][2] = { { 2, 3 }, { 1, 0 }, { 0, 0 }, { 0, 1 } };
	bool live[N_PEERS] = { true, true, true }, keep[4];
	struct wg_config c;

	(void)state;
	make(&c, first, 3);
	assert_int_equal(select_(&c, live, 2, keep), 1);
	assert_int_equal(new_refused, 1);
	assert_true(keep[0] && keep[1] && !keep[2]);	/* first come, in order */
	ctl_grant_bound_commit();

	make(&c, next, 4);
	assert_int_equal(select_(&c, live, 2, keep), 2);
	assert_int_equal(new_refused, 1);	/* (2,3) only: (1,0) was refused already */
	assert_false(keep[0]);		/* new: refused */
	assert_false(keep[1]);		/* refused before: still out */
	assert_true(keep[2] && keep[3]);	/* published before: kept */
	ctl_grant_bound_commit();
	assert_int_equal(select_(&c, live, 2, keep), 2);
	assert_int_equal(new_refused, 0);	/* the same change again: nothing new */
	ctl_grant_bound_commit();

	/* (0,0) goes: room for one, the first refused in order takes it. */
	static const int after[][2] = { { 2, 3 }, { 1, 0 }, { 0, 1 } };
	make(&c, after, 3);
	assert_int_equal(select_(&c, live, 2, keep), 1);
	assert_true(keep[0] && !keep[1] && keep[2]);
	ctl_grant_bound_free();
}

static void test_uncommitted_forgotten(void **state)
{
	static const int a[][2] = { { 0, 0 }, { 1, 1 } };
	static const int b[][2] = { { 1, 1 }, { 0, 0 } };
	bool live[N_PEERS] = { true, true, true }, keep[2];
	struct wg_config c;

	(void)state;
	make(&c, a, 2);
	select_(&c, live, 1, keep);
	ctl_grant_bound_commit();		/* (0,0) published */
	make(&c, b, 2);
	select_(&c, live, 1, keep);		/* not committed: a failed publish */
	assert_true(!keep[0] && keep[1]);
	select_(&c, live, 1, keep);		/* still (0,0): what was published */
	assert_true(!keep[0] && keep[1]);
	ctl_grant_bound_free();
}

static void test_dead_peer(void **state)
{
	static const int g[][2] = { { 0, 0 }, { 1, 0 }, { 1, 1 }, { 2, 2 } };
	bool live[N_PEERS] = { true, false, true }, keep[4];
	struct wg_config c;

	(void)state;
	make(&c, g, 4);
	/* Peer 1 was refused at MaxPeers: its grants neither count nor are
	 * counted as refused. */
	assert_int_equal(select_(&c, live, 2, keep), 0);
	assert_true(keep[0] && !keep[1] && !keep[2] && keep[3]);
	assert_int_equal(select_(&c, live, 1, keep), 1);
	ctl_grant_bound_free();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_bound),
		cmocka_unit_test(test_published_stay),
		cmocka_unit_test(test_uncommitted_forgotten),
		cmocka_unit_test(test_dead_peer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
