/* WireGuard timers, decided by polling.
 *
 * The kernel (drivers/net/wireguard/timers.c) arms five one-shot timers per
 * peer from the packet path. wgate keeps the same rules but turns each timer
 * into a comparison of stamped times that the control core evaluates every
 * ~100 ms (so every delay below is late by up to one poll). Sources: the
 * whitepaper section 6 ("W" below) and the kernel's behaviour ("K").
 *
 * Handshake attempt (K: retransmit_handshake, W 6.4)
 *   An attempt starts with the first initiation and runs until a keypair
 *   becomes current. While it runs:
 *   - retry: no initiation for REKEY_TIMEOUT + jitter -> send another;
 *   - give up: REKEY_ATTEMPT_TIME (15 s in wgate, 90 s in W; K counts 18
 *     retries) since the first initiation -> GIVE_UP and no more tries. K
 *     counts retries; we count time, which is what the 15 s promise is about.
 *
 * Starting an attempt (only when none runs), for any of these reasons:
 *   - want: data is staged for a peer without a usable session, or a rekey
 *     was asked for (K: send_staged_packets with no valid keypair);
 *   - rekey on send (K: keep_key_fresh on send, W 6.2): a data or keepalive
 *     packet went out after the last initiation and either its keypair was
 *     REKEY_AFTER_TIME old and we were its initiator, or the send counter
 *     passed REKEY_AFTER_MESSAGES (either role). A responder never rekeys on
 *     age alone: if both ends did, their initiations would cross every
 *     120 s;
 *   - rekey on receive (K: keep_key_fresh on receive, W 6.2): we initiated
 *     the current keypair and a data or keepalive packet arrived when it was
 *     REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT (165 s) old. An
 *     idle initiator would otherwise let the session die at 180 s under a
 *     peer that keeps sending but must not rekey itself;
 *   - new handshake (K: new_handshake timer, W 6.5): data went out and no
 *     authenticated packet came back for KEEPALIVE_TIMEOUT + REKEY_TIMEOUT
 *     + jitter counted from the first unanswered data packet. The peer's
 *     passive keepalive would have answered by then, so the session is dead;
 *   - persistent keepalive due without a usable session (K: a keepalive with
 *     no keypair stages a packet, which asks for a handshake).
 *   All of these obey one rate limit: no new initiation within REKEY_TIMEOUT
 *   of the previous one (K: wg_packet_send_handshake_initiation).
 *
 * Keepalives (only with a usable current keypair; none when an initiation
 * goes out in the same poll, as it is itself an authenticated packet)
 *   - passive (K: send_keepalive timer, W 6.5): data came in and we sent
 *     nothing for KEEPALIVE_TIMEOUT since the first such packet, so the
 *     peer's "new handshake" rule would soon fire;
 *   - persistent (K: persistent_keepalive timer, wg(8) PersistentKeepalive):
 *     no authenticated packet sent or received for the configured interval.
 *     K resets it on traffic in either direction ("traversal"); so do we.
 *
 * Session expiry (W 6.2, K: checks on send and receive)
 *   The current keypair is unusable REJECT_AFTER_TIME after its birth, or
 *   once its send counter reaches REJECT_AFTER_MESSAGES.
 *
 * Zeroing (K: zero_key_material timer, W 6.2 "3 x Reject-After-Time")
 *   WG_ZERO_KEYS_AFTER after the last keypair was derived (or, if none ever
 *   was, after the last initiation), all key material is wiped. Not while
 *   an attempt runs: it ends within REKEY_ATTEMPT_TIME, and wiping its
 *   ephemeral key would only make the peer's response undecryptable. */
#include "lib/wg/timers.h"

#include "lib/wg/messages.h"

/* Time since a stamp; a stamp slightly ahead of now (folded from a worker
 * whose clock read came later) counts as "just now", not as 2^64 ns ago. */
static inline uint64_t since(uint64_t now, uint64_t t)
{
	return now > t ? now - t : 0;
}

static inline uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline void bump(uint64_t *field, uint64_t t)
{
	if (t > *field)
		*field = t;
}

static bool session_usable(const struct wg_timer_state *s, uint64_t now)
{
	return s->current_keypair_birth_ns &&
	       since(now, s->current_keypair_birth_ns) < REJECT_AFTER_TIME &&
	       s->current_send_counter < REJECT_AFTER_MESSAGES;
}

static bool rekey_on_send(const struct wg_timer_state *s)
{
	uint64_t sent = s->last_transport_sent_ns;

	if (!sent || sent <= s->last_initiation_sent_ns)
		return false;
	if (s->current_send_counter > REKEY_AFTER_MESSAGES)
		return true;
	return s->current_is_initiator && sent >= s->current_keypair_birth_ns &&
	       sent - s->current_keypair_birth_ns >= REKEY_AFTER_TIME;
}

static bool rekey_on_receive(const struct wg_timer_state *s)
{
	uint64_t recv = s->last_transport_recv_ns;

	return s->current_is_initiator && recv && recv > s->last_initiation_sent_ns &&
	       recv >= s->current_keypair_birth_ns &&
	       recv - s->current_keypair_birth_ns >=
		       REJECT_AFTER_TIME - KEEPALIVE_TIMEOUT - REKEY_TIMEOUT;
}

static bool new_handshake_due(const struct wg_timer_state *s, uint64_t now, uint64_t jitter)
{
	uint64_t first = s->unanswered_data_sent_ns;

	return first > s->last_any_recv_ns && first > s->last_initiation_sent_ns &&
	       since(now, first) >= KEEPALIVE_TIMEOUT + REKEY_TIMEOUT + jitter;
}

static bool passive_keepalive_due(const struct wg_timer_state *s, uint64_t now)
{
	uint64_t first = s->unanswered_data_recv_ns;

	return first > s->last_any_sent_ns && since(now, first) >= KEEPALIVE_TIMEOUT;
}

static bool persistent_keepalive_due(const struct wg_timer_state *s, uint64_t now)
{
	return s->persistent_keepalive_ns &&
	       since(now, max64(s->last_any_sent_ns, s->last_any_recv_ns)) >=
		       s->persistent_keepalive_ns;
}

static bool zero_keys_due(const struct wg_timer_state *s, uint64_t now)
{
	uint64_t ref = s->last_handshake_ns ? s->last_handshake_ns : s->last_initiation_sent_ns;

	return s->has_key_material && !s->handshake_attempt_start_ns &&
	       since(now, ref) >= WG_ZERO_KEYS_AFTER;
}

unsigned int wg_timers_decide(const struct wg_timer_state *s, uint64_t now, uint64_t jitter)
{
	bool usable = session_usable(s, now);
	unsigned int act = 0;

	if (jitter > REKEY_TIMEOUT_JITTER_MAX)
		jitter = REKEY_TIMEOUT_JITTER_MAX;
	if (s->current_keypair_birth_ns && !usable)
		act |= WG_TIMER_EXPIRE_SESSION;
	if (zero_keys_due(s, now))
		act |= WG_TIMER_ZERO_KEYS;

	if (s->handshake_attempt_start_ns) {
		if (since(now, s->handshake_attempt_start_ns) >= REKEY_ATTEMPT_TIME)
			act |= WG_TIMER_GIVE_UP;
		else if (since(now, s->last_initiation_sent_ns) >= REKEY_TIMEOUT + jitter)
			act |= WG_TIMER_SEND_INITIATION;
	} else {
		bool need = s->want_handshake || (usable && rekey_on_send(s)) ||
			    (usable && rekey_on_receive(s)) || new_handshake_due(s, now, jitter) ||
			    (!usable && persistent_keepalive_due(s, now));

		if (need && (!s->last_initiation_sent_ns ||
			     since(now, s->last_initiation_sent_ns) >= REKEY_TIMEOUT))
			act |= WG_TIMER_SEND_INITIATION;
	}

	if (usable && !(act & WG_TIMER_SEND_INITIATION) &&
	    (passive_keepalive_due(s, now) || persistent_keepalive_due(s, now)))
		act |= WG_TIMER_SEND_KEEPALIVE;
	return act;
}

void wg_timers_on_sent(struct wg_timer_state *s, uint64_t t, enum wg_timer_pkt kind)
{
	bump(&s->last_any_sent_ns, t);
	if (kind == WG_TIMER_PKT_HANDSHAKE)
		return;
	bump(&s->last_transport_sent_ns, t);
	if (kind != WG_TIMER_PKT_DATA)
		return;
	bump(&s->last_data_sent_ns, t);
	/* Keep the earliest send that nothing has answered yet. */
	if (t > s->last_any_recv_ns && t > s->last_initiation_sent_ns) {
		uint64_t u = s->unanswered_data_sent_ns;
		bool running = u > s->last_any_recv_ns && u > s->last_initiation_sent_ns;

		if (!running || t < u)
			s->unanswered_data_sent_ns = t;
	}
}

void wg_timers_on_received(struct wg_timer_state *s, uint64_t t, enum wg_timer_pkt kind)
{
	bump(&s->last_any_recv_ns, t);
	if (kind == WG_TIMER_PKT_HANDSHAKE)
		return;
	bump(&s->last_transport_recv_ns, t);
	if (kind != WG_TIMER_PKT_DATA)
		return;
	bump(&s->last_data_recv_ns, t);
	if (t > s->last_any_sent_ns) {
		uint64_t u = s->unanswered_data_recv_ns;

		if (u <= s->last_any_sent_ns || t < u)
			s->unanswered_data_recv_ns = t;
	}
}

void wg_timers_on_initiation_sent(struct wg_timer_state *s, uint64_t t)
{
	bump(&s->last_any_sent_ns, t);
	bump(&s->last_initiation_sent_ns, t);
	if (!s->handshake_attempt_start_ns)
		s->handshake_attempt_start_ns = t;
	s->has_key_material = true;	/* the ephemeral secret */
}

void wg_timers_on_session_derived(struct wg_timer_state *s, uint64_t t)
{
	bump(&s->last_handshake_ns, t);
	s->has_key_material = true;
}

void wg_timers_on_keypair_current(struct wg_timer_state *s, uint64_t birth, bool initiator)
{
	s->current_keypair_birth_ns = birth;
	s->current_is_initiator = initiator;
	s->current_send_counter = 0;
	s->handshake_attempt_start_ns = 0;
	s->want_handshake = false;
}

void wg_timers_on_give_up(struct wg_timer_state *s)
{
	s->handshake_attempt_start_ns = 0;
	s->want_handshake = false;
}
