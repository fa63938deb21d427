/* Deferred freeing for objects the workers may still be reading.
 * Control lcore only: it unpublishes an object, then hands it here; the
 * object is freed once every worker has reported a quiescent state after
 * that moment. */
#ifndef WGATE_DATAPLANE_RCU_H
#define WGATE_DATAPLANE_RCU_H

typedef void (*dp_free_fn)(void *obj);

/* 0 or -ENOMEM (then the caller must not free obj: it leaks instead of
 * risking a use-after-free). */
int dp_rcu_defer(void *obj, dp_free_fn fn);
/* Frees what has passed its grace period; returns how many. Non-blocking. */
unsigned int dp_rcu_reclaim(void);
/* Waits for every pending object (shutdown). */
void dp_rcu_drain(void);

#endif
