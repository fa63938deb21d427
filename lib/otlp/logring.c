#include "lib/otlp/logring.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int otlp_logring_init(struct otlp_logring *r, unsigned int cap)
{
	memset(r, 0, sizeof(*r));
	r->recs = calloc(cap, sizeof(*r->recs));
	if (!r->recs)
		return -ENOMEM;
	r->cap = cap;
	return 0;
}

void otlp_logring_free(struct otlp_logring *r)
{
	free(r->recs);
	memset(r, 0, sizeof(*r));
}

void otlp_logring_push(struct otlp_logring *r, uint64_t unix_ns, int level, const char *module,
		       const char *msg)
{
	struct otlp_log_rec *rec;

	if (!r->cap)
		return;
	if (r->next - r->first == r->cap) {
		r->first++;
		r->dropped++;
	}
	rec = &r->recs[r->next++ % r->cap];
	rec->unix_ns = unix_ns;
	rec->level = level;
	snprintf(rec->module, sizeof(rec->module), "%s", module);
	snprintf(rec->msg, sizeof(rec->msg), "%s", msg);
}

const struct otlp_log_rec *otlp_logring_peek(const struct otlp_logring *r, uint64_t i)
{
	return &r->recs[(r->first + i) % r->cap];
}

unsigned int otlp_logring_take(struct otlp_logring *r, unsigned int max)
{
	uint64_t k = otlp_logring_queued(r);

	if (k > max)
		k = max;
	r->batch_end = r->first + k;
	return (unsigned int)k;
}

void otlp_logring_done(struct otlp_logring *r, bool ok)
{
	/* Records of the batch pushed out meanwhile were counted as dropped;
	 * the rest of it is what the collector confirmed. */
	if (ok && r->batch_end > r->first) {
		r->exported += r->batch_end - r->first;
		r->first = r->batch_end;
	}
	r->batch_end = 0;
}
