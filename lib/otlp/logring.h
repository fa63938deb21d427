/* The bounded queue behind OTLP log streaming: a ring of log records that
 * never grows. Pushing into a full ring drops the oldest record and counts
 * it. A batch is taken from the oldest end and stays queued until its
 * export is confirmed (otlp_logring_done(ok)), so a failed export is sent
 * again; records dropped while their batch was in flight are counted as
 * dropped, not exported. Not thread-safe: one thread pushes and exports
 * (wgate: the control lcore). */
#ifndef WGATE_LIB_OTLP_LOGRING_H
#define WGATE_LIB_OTLP_LOGRING_H

#include <stdbool.h>
#include <stdint.h>

#define OTLP_LOG_MODULE_MAX	24
#define OTLP_LOG_MSG_MAX	1024	/* lib/util/log.c formats at most this */

struct otlp_log_rec {
	uint64_t unix_ns;
	int level;			/* enum wg_log_level */
	char module[OTLP_LOG_MODULE_MAX];
	char msg[OTLP_LOG_MSG_MAX];
};

struct otlp_logring {
	struct otlp_log_rec *recs;
	unsigned int cap;
	/* Records [first, next) by sequence number; slot = seq % cap. */
	uint64_t first, next;
	uint64_t batch_end;		/* a batch in flight covers [.., batch_end) */
	uint64_t dropped, exported;
};

/* 0 or -ENOMEM. */
int otlp_logring_init(struct otlp_logring *r, unsigned int cap);
void otlp_logring_free(struct otlp_logring *r);
/* Copies the record in (module and msg truncated to fit). */
void otlp_logring_push(struct otlp_logring *r, uint64_t unix_ns, int level, const char *module,
		       const char *msg);
static inline uint64_t otlp_logring_queued(const struct otlp_logring *r)
{
	return r->next - r->first;
}
/* The i-th queued record, 0 = the oldest; i < otlp_logring_queued(). */
const struct otlp_log_rec *otlp_logring_peek(const struct otlp_logring *r, uint64_t i);
/* The oldest min(max, queued) records become the batch in flight; returns
 * how many. */
unsigned int otlp_logring_take(struct otlp_logring *r, unsigned int max);
/* The batch's export finished: ok removes what is left of it; otherwise it
 * stays queued for the next take. */
void otlp_logring_done(struct otlp_logring *r, bool ok);

#endif
