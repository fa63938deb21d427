/* Timer rules: each one just before and at its threshold, from a table of
 * hand-built states; then the bookkeeping helpers; then whole scenarios
 * driven in 100 ms polls the way the control core drives them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lib/wg/messages.h"
#include "lib/wg/timers.h"

#define MS		1000000ULL
#define SEC		WG_NSEC_PER_SEC
#define T0		(1000 * SEC)	/* the clock never starts at 0 */
#define AT(ms)		(T0 + (uint64_t)(ms) * MS)

#define KA	WG_TIMER_SEND_KEEPALIVE
#define INIT	WG_TIMER_SEND_INITIATION
#define GIVEUP	WG_TIMER_GIVE_UP
#define EXPIRE	WG_TIMER_EXPIRE_SESSION
#define ZERO	WG_TIMER_ZERO_KEYS

/* Fresh session we initiated: initiation at T0 - 20 ms, response at T0. */
#define INITIATOR							\
	.current_keypair_birth_ns = T0, .current_is_initiator = true,	\
	.last_handshake_ns = T0, .has_key_material = true,		\
	.last_initiation_sent_ns = T0 - 20 * MS,			\
	.last_any_sent_ns = T0 - 20 * MS, .last_any_recv_ns = T0
/* Fresh session the peer initiated: initiation in at T0 - 20 ms, our response
 * at T0, its first data (which confirms the keypair) at T0 + 20 ms. */
#define RESPONDER							\
	.current_keypair_birth_ns = T0, .current_is_initiator = false,	\
	.last_handshake_ns = T0, .has_key_material = true,		\
	.last_any_sent_ns = T0, .last_any_recv_ns = AT(20),		\
	.last_transport_recv_ns = AT(20), .last_data_recv_ns = AT(20)
/* No session, nothing ever happened. */
#define FRESH .has_key_material = false

/* Later designated initializers override the macro's on purpose. */
#pragma GCC diagnostic ignored "-Woverride-init"

struct tcase {
	const char *name;
	struct wg_timer_state s;
	uint64_t now;
	uint64_t jitter;
	unsigned int want;
};

static const struct tcase cases[] = {
	/* -- quiet sessions do nothing -- */
	{ "initiator, quiet", { INITIATOR }, AT(100000), 0, 0 },
	{ "responder, quiet, received data answered",
	  { RESPONDER, .last_any_sent_ns = AT(30), .last_transport_sent_ns = AT(30) }, AT(100000), 0, 0 },
	{ "no peer activity at all", { FRESH }, AT(0), 0, 0 },

	/* -- want: staged data or a requested rekey -- */
	{ "want, never initiated", { FRESH, .want_handshake = true }, AT(0), 0, INIT },
	{ "want, initiated 4.999 s ago (rate limit)",
	  { FRESH, .want_handshake = true, .last_initiation_sent_ns = AT(-4999) }, AT(0), 0, 0 },
	{ "want, initiated 5 s ago",
	  { FRESH, .want_handshake = true, .last_initiation_sent_ns = AT(-5000) }, AT(0), 0, INIT },
	{ "want with a live session (explicit rekey)", { INITIATOR, .want_handshake = true }, AT(5000), 0, INIT },

	/* -- retransmit while an attempt runs -- */
	{ "attempt, 4.999 s after the initiation",
	  { FRESH, .handshake_attempt_start_ns = T0, .last_initiation_sent_ns = T0 }, AT(4999), 0, 0 },
	{ "attempt, 5 s after the initiation",
	  { FRESH, .handshake_attempt_start_ns = T0, .last_initiation_sent_ns = T0 }, AT(5000), 0, INIT },
	{ "attempt, 5.332 s with jitter 333 ms",
	  { FRESH, .handshake_attempt_start_ns = T0, .last_initiation_sent_ns = T0 }, AT(5332), 333 * MS, 0 },
	{ "attempt, 5.333 s with jitter 333 ms",
	  { FRESH, .handshake_attempt_start_ns = T0, .last_initiation_sent_ns = T0 }, AT(5333), 333 * MS, INIT },
	{ "jitter above the maximum is clamped",
	  { FRESH, .handshake_attempt_start_ns = T0, .last_initiation_sent_ns = T0 }, AT(5333), 10 * SEC, INIT },
	{ "attempt ignores want (retries own the pace)",
	  { FRESH, .want_handshake = true, .handshake_attempt_start_ns = T0,
	    .last_initiation_sent_ns = T0 }, AT(100), 0, 0 },

	/* -- give up at REKEY_ATTEMPT_TIME (15 s) -- */
	{ "attempt, 14.999 s", { FRESH, .handshake_attempt_start_ns = T0,
	  .last_initiation_sent_ns = AT(10000) }, AT(14999), 0, 0 },
	{ "attempt, 15 s: give up, no further initiation", { FRESH, .handshake_attempt_start_ns = T0,
	  .last_initiation_sent_ns = AT(10000), .want_handshake = true }, AT(15000), 0, GIVEUP },
	{ "give up even if the retry is also due", { FRESH, .handshake_attempt_start_ns = T0,
	  .last_initiation_sent_ns = AT(9000) }, AT(15000), 0, GIVEUP },

	/* -- rekey on send: initiator, keypair REKEY_AFTER_TIME old -- */
	{ "initiator sends at 119.999 s",
	  { INITIATOR, .last_transport_sent_ns = AT(119999), .last_data_sent_ns = AT(119999),
	    .last_any_sent_ns = AT(119999) }, AT(120050), 0, 0 },
	{ "initiator sends at 120 s",
	  { INITIATOR, .last_transport_sent_ns = AT(120000), .last_data_sent_ns = AT(120000),
	    .last_any_sent_ns = AT(120000) }, AT(120050), 0, INIT },
	{ "initiator sends a keepalive at 120 s",
	  { INITIATOR, .last_transport_sent_ns = AT(120000), .last_any_sent_ns = AT(120000) },
	  AT(120050), 0, INIT },
	{ "initiator idle past 120 s: no rekey without a send",
	  { INITIATOR, .last_transport_sent_ns = AT(100000), .last_any_sent_ns = AT(100000) },
	  AT(150000), 0, 0 },
	{ "old keypair, but nothing sent since the last initiation",
	  { INITIATOR, .last_transport_sent_ns = AT(121000), .last_initiation_sent_ns = AT(122000),
	    .last_any_sent_ns = AT(122000) }, AT(130000), 0, 0 },
	{ "sent again after a failed rekey: try again",
	  { INITIATOR, .last_initiation_sent_ns = AT(122000), .last_transport_sent_ns = AT(140000),
	    .last_any_sent_ns = AT(140000) }, AT(140050), 0, INIT },
	{ "responder sends at 179 s: never rekeys on age",
	  { RESPONDER, .last_transport_sent_ns = AT(179000), .last_data_sent_ns = AT(179000),
	    .last_any_sent_ns = AT(179000), .last_transport_recv_ns = AT(179000),
	    .last_any_recv_ns = AT(179000) }, AT(179050), 0, 0 },

	/* -- rekey on send: counter past REKEY_AFTER_MESSAGES, either role -- */
	{ "counter at REKEY_AFTER_MESSAGES",
	  { INITIATOR, .current_send_counter = REKEY_AFTER_MESSAGES, .last_transport_sent_ns = AT(1000),
	    .last_any_sent_ns = AT(1000) }, AT(1050), 0, 0 },
	{ "counter past REKEY_AFTER_MESSAGES, initiator",
	  { INITIATOR, .current_send_counter = REKEY_AFTER_MESSAGES + 1,
	    .last_transport_sent_ns = AT(10000), .last_any_sent_ns = AT(10000) }, AT(10050), 0, INIT },
	{ "counter past REKEY_AFTER_MESSAGES, initiated 1 s ago (rate limit)",
	  { INITIATOR, .current_send_counter = REKEY_AFTER_MESSAGES + 1,
	    .last_transport_sent_ns = AT(980), .last_any_sent_ns = AT(980) }, AT(4979), 0, 0 },
	{ "counter past REKEY_AFTER_MESSAGES, responder",
	  { RESPONDER, .current_send_counter = REKEY_AFTER_MESSAGES + 1,
	    .last_transport_sent_ns = AT(1000), .last_any_sent_ns = AT(1000) }, AT(1050), 0, INIT },

	/* -- rekey on receive: initiator, keypair 165 s old -- */
	{ "initiator receives at 164.999 s",
	  { INITIATOR, .last_transport_recv_ns = AT(164999), .last_any_recv_ns = AT(164999),
	    .last_any_sent_ns = AT(164999) }, AT(165050), 0, 0 },
	{ "initiator receives at 165 s",
	  { INITIATOR, .last_transport_recv_ns = AT(165000), .last_any_recv_ns = AT(165000),
	    .last_any_sent_ns = AT(165000) }, AT(165050), 0, INIT },
	{ "initiator receives a handshake message at 170 s: not a trigger",
	  { INITIATOR, .last_any_recv_ns = AT(170000), .last_any_sent_ns = AT(170000) },
	  AT(170050), 0, 0 },
	{ "responder receives at 175 s",
	  { RESPONDER, .last_transport_recv_ns = AT(175000), .last_any_recv_ns = AT(175000),
	    .last_data_recv_ns = AT(175000), .last_any_sent_ns = AT(175000) }, AT(175050), 0, 0 },

	/* -- new handshake: data out, nothing back for 15 s (+ jitter) -- */
	{ "unanswered data for 14.999 s",
	  { INITIATOR, .unanswered_data_sent_ns = AT(1000), .last_data_sent_ns = AT(9000),
	    .last_transport_sent_ns = AT(9000), .last_any_sent_ns = AT(9000) }, AT(15999), 0, 0 },
	{ "unanswered data for 15 s",
	  { INITIATOR, .unanswered_data_sent_ns = AT(1000), .last_data_sent_ns = AT(9000),
	    .last_transport_sent_ns = AT(9000), .last_any_sent_ns = AT(9000) }, AT(16000), 0, INIT },
	{ "unanswered data for 15.2 s, jitter 300 ms",
	  { INITIATOR, .unanswered_data_sent_ns = AT(1000), .last_data_sent_ns = AT(1000),
	    .last_transport_sent_ns = AT(1000), .last_any_sent_ns = AT(1000) }, AT(16200), 300 * MS, 0 },
	{ "unanswered data for 15 s as responder",
	  { RESPONDER, .unanswered_data_sent_ns = AT(1000), .last_data_sent_ns = AT(1000),
	    .last_transport_sent_ns = AT(1000), .last_any_sent_ns = AT(1000) }, AT(16000), 0, INIT },
	{ "answered by a keepalive",
	  { INITIATOR, .unanswered_data_sent_ns = AT(1000), .last_data_sent_ns = AT(1000),
	    .last_transport_sent_ns = AT(1000), .last_any_sent_ns = AT(1000),
	    .last_any_recv_ns = AT(1001), .last_transport_recv_ns = AT(1001) }, AT(30000), 0, 0 },
	{ "superseded by a later initiation",
	  { INITIATOR, .unanswered_data_sent_ns = AT(1000), .last_initiation_sent_ns = AT(2000),
	    .last_any_sent_ns = AT(2000) }, AT(30000), 0, 0 },

	/* -- passive keepalive: data in, nothing out for 10 s -- */
	{ "received data 9.999 s ago, nothing sent",
	  { RESPONDER, .unanswered_data_recv_ns = AT(1000), .last_data_recv_ns = AT(5000),
	    .last_transport_recv_ns = AT(5000), .last_any_recv_ns = AT(5000) }, AT(10999), 0, 0 },
	{ "received data 10 s ago, nothing sent",
	  { RESPONDER, .unanswered_data_recv_ns = AT(1000), .last_data_recv_ns = AT(5000),
	    .last_transport_recv_ns = AT(5000), .last_any_recv_ns = AT(5000) }, AT(11000), 0, KA },
	{ "received data 10 s ago, initiator",
	  { INITIATOR, .unanswered_data_recv_ns = AT(1000), .last_data_recv_ns = AT(1000),
	    .last_transport_recv_ns = AT(1000), .last_any_recv_ns = AT(1000) }, AT(11000), 0, KA },
	{ "received data, answered with data",
	  { RESPONDER, .unanswered_data_recv_ns = AT(1000), .last_data_recv_ns = AT(1000),
	    .last_any_sent_ns = AT(1500), .last_transport_sent_ns = AT(1500),
	    .last_data_sent_ns = AT(1500) }, AT(20000), 0, 0 },
	{ "received only a keepalive: no answer",
	  { RESPONDER, .last_transport_recv_ns = AT(1000), .last_any_recv_ns = AT(1000) },
	  AT(20000), 0, 0 },
	{ "received data but the session expired: no keepalive",
	  { RESPONDER, .unanswered_data_recv_ns = AT(175000), .last_data_recv_ns = AT(175000),
	    .last_transport_recv_ns = AT(175000), .last_any_recv_ns = AT(175000) },
	  AT(185000), 0, EXPIRE },
	{ "keepalive and initiation due together: initiation only",
	  { INITIATOR, .unanswered_data_recv_ns = AT(1000), .last_data_recv_ns = AT(1000),
	    .last_transport_recv_ns = AT(1000), .last_any_recv_ns = AT(1000),
	    .want_handshake = true }, AT(11000), 0, INIT },

	/* -- persistent keepalive -- */
	{ "persistent 25 s, quiet 24.999 s",
	  { INITIATOR, .persistent_keepalive_ns = 25 * SEC }, AT(24999), 0, 0 },
	{ "persistent 25 s, quiet 25 s",
	  { INITIATOR, .persistent_keepalive_ns = 25 * SEC }, AT(25000), 0, KA },
	{ "persistent: a received packet resets it",
	  { INITIATOR, .persistent_keepalive_ns = 25 * SEC, .last_any_recv_ns = AT(10000),
	    .last_transport_recv_ns = AT(10000) }, AT(25000), 0, 0 },
	{ "persistent: a sent packet resets it",
	  { INITIATOR, .persistent_keepalive_ns = 25 * SEC, .last_any_sent_ns = AT(10000),
	    .last_transport_sent_ns = AT(10000) }, AT(25000), 0, 0 },
	{ "persistent without a session starts a handshake",
	  { FRESH, .persistent_keepalive_ns = 25 * SEC }, AT(0), 0, INIT },
	{ "persistent after expiry starts a handshake",
	  { INITIATOR, .persistent_keepalive_ns = 25 * SEC, .last_any_sent_ns = AT(170000),
	    .last_transport_sent_ns = AT(100000) }, AT(195000), 0, EXPIRE | INIT },

	/* -- session expiry -- */
	{ "keypair 179.999 s old", { RESPONDER }, AT(179999), 0, 0 },
	{ "keypair 180 s old", { RESPONDER }, AT(180000), 0, EXPIRE },
	{ "expired session with staged data",
	  { RESPONDER, .want_handshake = true }, AT(180000), 0, EXPIRE | INIT },
	{ "send counter at REJECT_AFTER_MESSAGES - 1",
	  { RESPONDER, .current_send_counter = REJECT_AFTER_MESSAGES - 1 }, AT(1000), 0, 0 },
	{ "send counter at REJECT_AFTER_MESSAGES",
	  { RESPONDER, .current_send_counter = REJECT_AFTER_MESSAGES }, AT(1000), 0, EXPIRE },
	{ "no keypair, nothing to expire", { FRESH }, AT(1000000), 0, 0 },

	/* -- zero keys after 3 x REJECT_AFTER_TIME without a handshake -- */
	{ "handshake 539.999 s ago",
	  { INITIATOR, .current_keypair_birth_ns = 0 }, AT(539999), 0, 0 },
	{ "handshake 540 s ago",
	  { INITIATOR, .current_keypair_birth_ns = 0 }, AT(540000), 0, ZERO },
	{ "540 s, keypair still marked current: expire and zero",
	  { INITIATOR }, AT(540000), 0, EXPIRE | ZERO },
	{ "540 s, already zeroed",
	  { INITIATOR, .current_keypair_birth_ns = 0, .has_key_material = false }, AT(540000), 0, 0 },
	{ "540 s, but an attempt runs",
	  { INITIATOR, .current_keypair_birth_ns = 0, .handshake_attempt_start_ns = AT(539000),
	    .last_initiation_sent_ns = AT(539000) }, AT(540000), 0, 0 },
	{ "540 s, attempt given up, data waits: zero then initiate",
	  { INITIATOR, .current_keypair_birth_ns = 0, .want_handshake = true,
	    .last_initiation_sent_ns = AT(530000) }, AT(545000), 0, ZERO | INIT },
	{ "never a handshake: counts from the last initiation",
	  { FRESH, .has_key_material = true, .last_initiation_sent_ns = AT(10000) },
	  AT(549999), 0, 0 },
	{ "never a handshake, 540 s after the last initiation",
	  { FRESH, .has_key_material = true, .last_initiation_sent_ns = AT(10000) },
	  AT(550000), 0, ZERO },

	/* -- a worker stamp slightly ahead of the poll's clock -- */
	{ "stamps in the future count as now",
	  { INITIATOR, .unanswered_data_sent_ns = AT(20000), .last_data_sent_ns = AT(20000),
	    .last_transport_sent_ns = AT(20000), .last_any_sent_ns = AT(20000),
	    .persistent_keepalive_ns = 25 * SEC }, AT(19999), 0, 0 },
};

static const char *flags_str(unsigned int f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s|", f & KA ? "KEEPALIVE|" : "", f & INIT ? "INITIATION|" : "",
		 f & GIVEUP ? "GIVE_UP|" : "", f & EXPIRE ? "EXPIRE|" : "", f & ZERO ? "ZERO|" : "");
	return buf;
}

static void test_rules_table(void **state)
{
	int failures = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int got = wg_timers_decide(&cases[i].s, cases[i].now, cases[i].jitter);
		char g[80], w[80];

		if (got != cases[i].want) {
			print_error("case '%s': got %s want %s\n", cases[i].name,
				    flags_str(got, g, sizeof(g)), flags_str(cases[i].want, w, sizeof(w)));
			failures++;
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- helpers ---- */

static void test_helpers_unanswered_send(void **state)
{
	struct wg_timer_state s = { INITIATOR };

	(void)state;
	wg_timers_on_sent(&s, AT(1000), WG_TIMER_PKT_DATA);
	assert_int_equal(s.unanswered_data_sent_ns, AT(1000));
	/* Later sends do not move the start: the timer runs from the first. */
	wg_timers_on_sent(&s, AT(5000), WG_TIMER_PKT_DATA);
	assert_int_equal(s.unanswered_data_sent_ns, AT(1000));
	assert_int_equal(s.last_data_sent_ns, AT(5000));
	/* An older stamp folded late from another worker moves it back. */
	wg_timers_on_sent(&s, AT(800), WG_TIMER_PKT_DATA);
	assert_int_equal(s.unanswered_data_sent_ns, AT(800));
	assert_int_equal(s.last_data_sent_ns, AT(5000));
	assert_int_equal(wg_timers_decide(&s, AT(15799), 0), 0);
	assert_int_equal(wg_timers_decide(&s, AT(15800), 0), INIT);
	/* A keepalive from the peer answers everything sent before it. */
	wg_timers_on_received(&s, AT(6000), WG_TIMER_PKT_KEEPALIVE);
	assert_int_equal(wg_timers_decide(&s, AT(30000), 0), 0);
	/* A stamp from before that receive is answered too. */
	wg_timers_on_sent(&s, AT(5500), WG_TIMER_PKT_DATA);
	assert_int_equal(wg_timers_decide(&s, AT(30000), 0), 0);
	/* The next send starts a new clock. */
	wg_timers_on_sent(&s, AT(7000), WG_TIMER_PKT_DATA);
	assert_int_equal(s.unanswered_data_sent_ns, AT(7000));
	assert_int_equal(wg_timers_decide(&s, AT(21999), 0), 0);
	assert_int_equal(wg_timers_decide(&s, AT(22000), 0), INIT);
	/* Keepalives we send do not start it: they expect no answer. */
	s = (struct wg_timer_state){ INITIATOR };
	wg_timers_on_sent(&s, AT(1000), WG_TIMER_PKT_KEEPALIVE);
	assert_int_equal(s.unanswered_data_sent_ns, 0);
	assert_int_equal(s.last_transport_sent_ns, AT(1000));
	assert_int_equal(s.last_data_sent_ns, 0);
}

static void test_helpers_unanswered_recv(void **state)
{
	struct wg_timer_state s = { RESPONDER };

	(void)state;
	s.last_any_sent_ns = AT(100);
	wg_timers_on_received(&s, AT(1000), WG_TIMER_PKT_DATA);
	wg_timers_on_received(&s, AT(4000), WG_TIMER_PKT_DATA);
	assert_int_equal(s.unanswered_data_recv_ns, AT(1000));
	assert_int_equal(s.last_data_recv_ns, AT(4000));
	assert_int_equal(wg_timers_decide(&s, AT(10999), 0), 0);
	assert_int_equal(wg_timers_decide(&s, AT(11000), 0), KA);
	/* Sending the keepalive answers it. */
	wg_timers_on_sent(&s, AT(11000), WG_TIMER_PKT_KEEPALIVE);
	assert_int_equal(wg_timers_decide(&s, AT(30000), 0), 0);
	/* A receive stamped before that send needs no keepalive. */
	wg_timers_on_received(&s, AT(10500), WG_TIMER_PKT_DATA);
	assert_int_equal(wg_timers_decide(&s, AT(30000), 0), 0);
	/* Keepalives received do not need an answer. */
	wg_timers_on_received(&s, AT(12000), WG_TIMER_PKT_KEEPALIVE);
	assert_int_equal(wg_timers_decide(&s, AT(30000), 0), 0);
	assert_int_equal(s.last_transport_recv_ns, AT(12000));
	assert_int_equal(s.last_data_recv_ns, AT(10500));
	/* Handshake messages count as traffic only. */
	wg_timers_on_received(&s, AT(13000), WG_TIMER_PKT_HANDSHAKE);
	assert_int_equal(s.last_any_recv_ns, AT(13000));
	assert_int_equal(s.last_transport_recv_ns, AT(12000));
}

static void test_helpers_handshake(void **state)
{
	struct wg_timer_state s = { FRESH };

	(void)state;
	s.want_handshake = true;
	wg_timers_on_initiation_sent(&s, AT(0));
	assert_int_equal(s.handshake_attempt_start_ns, AT(0));
	assert_true(s.has_key_material);
	wg_timers_on_initiation_sent(&s, AT(5000));
	assert_int_equal(s.handshake_attempt_start_ns, AT(0));	/* same attempt */
	assert_int_equal(s.last_initiation_sent_ns, AT(5000));
	assert_int_equal(s.last_any_sent_ns, AT(5000));
	wg_timers_on_received(&s, AT(5020), WG_TIMER_PKT_HANDSHAKE);
	wg_timers_on_session_derived(&s, AT(5020));
	wg_timers_on_keypair_current(&s, AT(5020), true);
	assert_int_equal(s.handshake_attempt_start_ns, 0);
	assert_false(s.want_handshake);
	assert_int_equal(s.current_keypair_birth_ns, AT(5020));
	assert_true(s.current_is_initiator);
	assert_int_equal(s.last_handshake_ns, AT(5020));
	assert_int_equal(wg_timers_decide(&s, AT(5100), 0), 0);

	s = (struct wg_timer_state){ FRESH, .want_handshake = true };
	wg_timers_on_initiation_sent(&s, AT(0));
	wg_timers_on_give_up(&s);
	assert_int_equal(s.handshake_attempt_start_ns, 0);
	assert_false(s.want_handshake);
	assert_int_equal(wg_timers_decide(&s, AT(15000), 0), 0);
}

/* ---- scenarios: a control loop polling every 100 ms ---- */

struct sim {
	struct wg_timer_state s;
	int initiations, keepalives, give_ups, expiries, zeroes;
	uint64_t first_give_up;
	uint64_t jitter;
};

/* One poll: act on the decision the way the control core does. */
static unsigned int sim_poll(struct sim *m, uint64_t now)
{
	unsigned int act = wg_timers_decide(&m->s, now, m->jitter);

	if (act & ZERO) {
		m->zeroes++;
		m->s.has_key_material = false;
		m->s.current_keypair_birth_ns = 0;
	}
	if (act & EXPIRE) {
		m->expiries++;
		m->s.current_keypair_birth_ns = 0;
	}
	if (act & GIVEUP) {
		m->give_ups++;
		if (!m->first_give_up)
			m->first_give_up = now;
		wg_timers_on_give_up(&m->s);
	}
	if (act & INIT) {
		m->initiations++;
		wg_timers_on_initiation_sent(&m->s, now);
	}
	if (act & KA) {
		m->keepalives++;
		wg_timers_on_sent(&m->s, now, WG_TIMER_PKT_KEEPALIVE);
	}
	return act;
}

static void test_dead_peer_gives_up_at_15s(void **state)
{
	struct sim m = { .s = { FRESH }, .jitter = 200 * MS };

	(void)state;
	m.s.want_handshake = true;	/* a packet is staged */
	for (uint64_t t = AT(0); t <= AT(60000); t += 100 * MS)
		sim_poll(&m, t);
	/* 0 s, 5.2 s, 10.4 s; the 15.6 s retry never comes. */
	assert_int_equal(m.initiations, 3);
	assert_int_equal(m.give_ups, 1);
	assert_int_equal(m.first_give_up, AT(15000));
	assert_false(m.s.want_handshake);
}

static void test_dead_peer_with_traffic_keeps_trying(void **state)
{
	struct sim m = { .s = { INITIATOR } };

	(void)state;
	/* We keep sending data every 500 ms and hear nothing back. */
	for (uint64_t t = AT(0); t <= AT(61000); t += 100 * MS) {
		if ((t - T0) % (500 * MS) == 0)
			wg_timers_on_sent(&m.s, t, WG_TIMER_PKT_DATA);
		sim_poll(&m, t);
	}
	/* The send at 0 s is no later than the handshake response, so the
	 * first unanswered one is at 0.5 s: new handshake at 15.5 s, retries at
	 * 20.5 and 25.5 s, give up at 30.5 s. The send at 31 s restarts the
	 * clock: 46, 51, 56 s, give up at 61 s. */
	assert_int_equal(m.initiations, 6);
	assert_int_equal(m.give_ups, 2);
	assert_int_equal(m.first_give_up, AT(30500));
}

/* Two ends in one loop, passing packets instantly; the initiator sends data
 * every second, the responder only answers with passive keepalives. The
 * initiator must rekey near 120 s, the responder never, and no session may
 * expire while traffic flows. */
static void test_steady_traffic_rekeys_without_gaps(void **state)
{
	struct sim a = { .s = { INITIATOR } };	/* initiator */
	struct sim b = { .s = { RESPONDER } };	/* responder */
	uint64_t a_handshakes = 0;

	(void)state;
	for (uint64_t t = AT(100); t <= AT(1000000); t += 100 * MS) {
		if ((t - T0) % SEC == 0 && a.s.current_keypair_birth_ns) {
			wg_timers_on_sent(&a.s, t, WG_TIMER_PKT_DATA);
			wg_timers_on_received(&b.s, t, WG_TIMER_PKT_DATA);
		}
		unsigned int fa = sim_poll(&a, t);
		unsigned int fb = sim_poll(&b, t);

		assert_false(fb & INIT);
		assert_false((fa | fb) & (GIVEUP | ZERO | EXPIRE));
		if (fb & KA)
			wg_timers_on_received(&a.s, t, WG_TIMER_PKT_KEEPALIVE);
		if (fa & INIT) {
			/* Rekey on the first send once the keypair is 120 s old. */
			assert_in_range(t - a.s.current_keypair_birth_ns, REKEY_AFTER_TIME,
					REKEY_AFTER_TIME + SEC);
			/* The responder answers at once; both derive. */
			a_handshakes++;
			wg_timers_on_received(&b.s, t, WG_TIMER_PKT_HANDSHAKE);
			wg_timers_on_session_derived(&b.s, t);
			wg_timers_on_sent(&b.s, t, WG_TIMER_PKT_HANDSHAKE);
			wg_timers_on_received(&a.s, t, WG_TIMER_PKT_HANDSHAKE);
			wg_timers_on_session_derived(&a.s, t);
			wg_timers_on_keypair_current(&a.s, t, true);
			/* b's keypair turns current with a's next data packet. */
			wg_timers_on_keypair_current(&b.s, t, false);
		}
	}
	/* ~1000 s of traffic, one rekey per 120 s. */
	assert_int_equal(a_handshakes, 1000 / 120);
	assert_true(b.keepalives > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_table),
		cmocka_unit_test(test_helpers_unanswered_send),
		cmocka_unit_test(test_helpers_unanswered_recv),
		cmocka_unit_test(test_helpers_handshake),
		cmocka_unit_test(test_dead_peer_gives_up_at_15s),
		cmocka_unit_test(test_dead_peer_with_traffic_keeps_trying),
		cmocka_unit_test(test_steady_traffic_rekeys_without_gaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
