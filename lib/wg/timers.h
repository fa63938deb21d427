/* WireGuard's per-peer timers as pure decisions (whitepaper section 6;
 * the rules themselves are listed at the top of timers.c).
 *
 * The kernel arms one-shot timers on every packet. wgate cannot: a timer per
 * packet is a shared write on the hot path. Instead the workers stamp times
 * into their own per-peer slots, the control core folds them into one
 * struct wg_timer_state per peer and calls wg_timers_decide() about every
 * 100 ms. Nothing here reads a clock, so every rule is tested by handing it
 * times.
 *
 * Writer and reader: the control core only. All times are monotonic
 * nanoseconds; 0 means "never", so the clock must start above zero. */
#ifndef WGATE_LIB_WG_TIMERS_H
#define WGATE_LIB_WG_TIMERS_H

#include <stdbool.h>
#include <stdint.h>

/* What an authenticated packet was. A keepalive is transport data with an
 * empty payload; handshake messages are initiations and responses (a cookie
 * reply is not authenticated and is not reported). */
enum wg_timer_pkt {
	WG_TIMER_PKT_DATA,
	WG_TIMER_PKT_KEEPALIVE,
	WG_TIMER_PKT_HANDSHAKE,
};

struct wg_timer_state {
	/* Traffic, newest stamp of each kind. */
	uint64_t last_data_sent_ns;
	uint64_t last_data_recv_ns;
	uint64_t last_transport_sent_ns;	/* data or keepalive */
	uint64_t last_transport_recv_ns;
	uint64_t last_any_sent_ns;	/* data, keepalive or handshake message */
	uint64_t last_any_recv_ns;
	/* First data packet sent since the last authenticated packet received:
	 * the kernel's "new handshake" timer runs from there. Counts only while
	 * later than last_any_recv_ns and last_initiation_sent_ns, so a receive
	 * or an initiation voids it without a write. */
	uint64_t unanswered_data_sent_ns;
	/* First data packet received since the last packet sent: the passive
	 * keepalive runs from there. Counts only while later than
	 * last_any_sent_ns. */
	uint64_t unanswered_data_recv_ns;

	/* The current keypair: the one we send with. */
	uint64_t current_keypair_birth_ns;	/* 0 = none (or expired) */
	bool current_is_initiator;	/* we sent the initiation that made it */
	uint64_t current_send_counter;	/* next nonce the workers will use */

	/* Handshakes. */
	uint64_t handshake_attempt_start_ns;	/* first initiation of the running attempt; 0 = none */
	uint64_t last_initiation_sent_ns;	/* 0 = never */
	uint64_t last_handshake_ns;	/* last keypair derived, either role; 0 = never */
	bool want_handshake;	/* data waits for a session, or a rekey was asked for */
	bool has_key_material;	/* a keypair or handshake secret is held */

	uint64_t persistent_keepalive_ns;	/* 0 = off */
};

/* Actions, OR-ed. When several are set, do them in this order:
 * ZERO_KEYS, EXPIRE_SESSION, GIVE_UP, SEND_INITIATION, SEND_KEEPALIVE. */
enum {
	WG_TIMER_SEND_KEEPALIVE = 1u << 0,	/* empty data packet on the current keypair */
	WG_TIMER_SEND_INITIATION = 1u << 1,	/* start or retry a handshake; then wg_timers_on_initiation_sent() */
	WG_TIMER_GIVE_UP = 1u << 2,	/* REKEY_ATTEMPT_TIME passed without a session: drop
					 * staged packets, then wg_timers_on_give_up() */
	WG_TIMER_EXPIRE_SESSION = 1u << 3,	/* current keypair past REJECT_AFTER_TIME or
						 * REJECT_AFTER_MESSAGES: stop using it and set
						 * current_keypair_birth_ns = 0 */
	WG_TIMER_ZERO_KEYS = 1u << 4,	/* no handshake for WG_ZERO_KEYS_AFTER: wipe every
					 * keypair and handshake secret, then
					 * has_key_material = false */
};

/* What to do now. jitter_ns (0..REKEY_TIMEOUT_JITTER_MAX) stretches the
 * retry and "new handshake" delays so peers do not retry in lockstep. Draw it
 * when an initiation is sent and pass the same value until the next one; a
 * fresh draw on every poll also works but bunches retries near the low end. */
unsigned int wg_timers_decide(const struct wg_timer_state *s, uint64_t now_ns, uint64_t jitter_ns);

/* Bookkeeping helpers that keep the fields consistent. Each takes the time
 * the event happened; times may arrive out of order (they are folded from
 * several workers), and an older stamp never moves a field back. */

/* An authenticated packet went out. Initiations go through
 * wg_timers_on_initiation_sent() instead. */
void wg_timers_on_sent(struct wg_timer_state *s, uint64_t t_ns, enum wg_timer_pkt kind);
/* An authenticated packet came in. */
void wg_timers_on_received(struct wg_timer_state *s, uint64_t t_ns, enum wg_timer_pkt kind);
/* An initiation went out; starts an attempt unless one is running. */
void wg_timers_on_initiation_sent(struct wg_timer_state *s, uint64_t t_ns);
/* A keypair was derived (handshake finished on our side, either role). */
void wg_timers_on_session_derived(struct wg_timer_state *s, uint64_t t_ns);
/* A keypair became current: at once for the initiator, on the first data
 * received with it for the responder. Ends any running attempt. birth_ns is
 * when that keypair was derived. */
void wg_timers_on_keypair_current(struct wg_timer_state *s, uint64_t birth_ns, bool initiator);
/* After WG_TIMER_GIVE_UP: the attempt is over and nothing waits for it. */
void wg_timers_on_give_up(struct wg_timer_state *s);

#endif
