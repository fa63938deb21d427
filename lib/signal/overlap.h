/* Private to lib/signal: which prefixes overlap those already taken, when
 * the taken set grows one owner at a time (merge.c takes peers, then Redis
 * clients in id order, each only if none of its prefixes overlaps a taken
 * one).
 *
 * All prefixes are known up front: they are sorted once by (family, first
 * address), and a max segment tree over that order holds, for each taken
 * prefix, its last address. Prefix P overlaps a taken Q iff Q starts at or
 * before P's end and ends at or after P's start, so one range-max query over
 * the positions that start up to P's end answers it. O(log n) to take or to
 * ask, whatever the prefixes (nested, equal, sparse IPv6); O(n log n) to set
 * up. */
#ifndef WGATE_LIB_SIGNAL_OVERLAP_H
#define WGATE_LIB_SIGNAL_OVERLAP_H

#include <stddef.h>
#include <stdint.h>

struct wg_prefix;

struct sig_ovl_item {
	uint8_t af;
	uint8_t lo[16], hi[16];		/* first and last address, network order */
	size_t owner;			/* the caller's: who claims the prefix */
	const struct wg_prefix *p;	/* the caller's, for messages */
};

struct sig_ovl {
	struct sig_ovl_item *it;	/* n items, in the order set */
	size_t n;
	size_t *order;			/* position -> item */
	size_t *pos;			/* item -> position */
	long *t;			/* tree: the taken item with the greatest hi, or -1 */
};

/* Room for n items. 0 or -ENOMEM (then sig_ovl_free()). */
int sig_ovl_init(struct sig_ovl *o, size_t n);
/* Item i is p (host bits clear), claimed by owner. Every item, then sort. */
void sig_ovl_set(struct sig_ovl *o, size_t i, const struct wg_prefix *p, size_t owner);
void sig_ovl_sort(struct sig_ovl *o);
/* Item i is taken from now on. */
void sig_ovl_take(struct sig_ovl *o, size_t i);
/* A taken item overlapping item i, or -1. */
long sig_ovl_find(const struct sig_ovl *o, size_t i);
void sig_ovl_free(struct sig_ovl *o);

#endif
