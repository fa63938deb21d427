/* Control lcore only: the deferred-free queue grows (malloc) when the control
 * core retires objects, never on a worker's packet path. */
#include "dataplane/rcu.h"

#include <errno.h>
#include <stdlib.h>

#include <rte_rcu_qsbr.h>

#include "dataplane/dp.h"

/* FIFO of (object, token): tokens grow, so reclaiming stops at the first
 * object whose grace period has not ended. Control lcore only. */
struct deferred {
	void *obj;
	dp_free_fn fn;
	uint64_t token;
};

static struct deferred *q;
static size_t q_head, q_len, q_cap;

int dp_rcu_defer(void *obj, dp_free_fn fn)
{
	if (q_len == q_cap) {
		size_t cap = q_cap ? q_cap * 2 : 256;
		struct deferred *n = malloc(cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < q_len; i++)
			n[i] = q[(q_head + i) % q_cap];
		free(q);
		q = n;
		q_head = 0;
		q_cap = cap;
	}
	q[(q_head + q_len) % q_cap] = (struct deferred){
		.obj = obj, .fn = fn, .token = rte_rcu_qsbr_start(dp.rcu),
	};
	q_len++;
	return 0;
}

unsigned int dp_rcu_reclaim(void)
{
	unsigned int n = 0;

	while (q_len && rte_rcu_qsbr_check(dp.rcu, q[q_head].token, false) == 1) {
		struct deferred d = q[q_head];
		q_head = (q_head + 1) % q_cap;
		q_len--;
		d.fn(d.obj);
		n++;
	}
	return n;
}

void dp_rcu_drain(void)
{
	while (q_len) {
		struct deferred d = q[q_head];
		rte_rcu_qsbr_check(dp.rcu, d.token, true);
		q_head = (q_head + 1) % q_cap;
		q_len--;
		d.fn(d.obj);
	}
}
