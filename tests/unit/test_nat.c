/* lib/nat: the NAT table's lifetimes on a compressed clock (TCP 2 h 4 min,
 * UDP and ICMP 2 min, never answered 60 s, FIN both ways 5 s, RST at
 * once), its size bound and counted refusal, source-port choice for
 * masquerading, and packet rewriting in both directions for TCP, UDP and
 * ICMP echo over IPv4 and IPv6, plus ICMP errors quoting a translated
 * packet, with every checksum of every rewritten packet verified by
 * summing it again from scratch; malformed input refused. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/nat/rewrite.h"
#include "lib/nat/table.h"
#include "lib/net/cksum.h"
#include "tests/common/ip_build.h"

#define S WG_NAT_NS

static struct wg_ipaddr ip(const char *s)
{
	struct wg_ipaddr a;
	assert_int_equal(wg_ipaddr_parse(s, &a), 0);
	return a;
}

static struct wg_nat_key key(const char *src, const char *dst, uint16_t sp, uint16_t dp,
			     uint8_t proto)
{
	struct wg_nat_key k;
	struct wg_ipaddr a = ip(src), b = ip(dst);
	wg_nat_key_make(&k, &a, &b, sp, dp, proto);
	return k;
}

/* ---- the table ---- */

static void lifetimes(void **state)
{
	struct wg_nat_table *t = wg_nat_create(64);
	struct wg_ipaddr real = ip("10.0.0.5"), client = ip("100.64.0.2");
	uint64_t t0 = 1000 * S;
	int err;

	(void)state;
	struct wg_nat_key udp = key("100.64.0.2", "100.96.0.1", 4000, 53, 17);
	struct wg_nat_entry *e = wg_nat_add(t, &udp, &client, &real, 1, 0, t0, &err);
	assert_non_null(e);
	/* never answered: 60 s */
	assert_ptr_equal(wg_nat_lookup_out(t, &udp, t0 + 60 * S - 1), e);
	assert_null(wg_nat_lookup_out(t, &udp, t0 + 60 * S));
	/* answered: 2 min after the last packet */
	e = wg_nat_add(t, &udp, &client, &real, 1, 0, t0, &err);
	assert_true(wg_nat_seen(t, e, false, 0, t0 + 10 * S));
	assert_ptr_equal(wg_nat_lookup_in(t, &e->reply, t0 + 130 * S - 1), e);
	assert_null(wg_nat_lookup_in(t, &e->reply, t0 + 130 * S));

	struct wg_nat_key icmp = key("100.64.0.2", "100.96.0.1", 77, 77, 1);
	e = wg_nat_add(t, &icmp, &client, &real, 1, 0, t0, &err);
	wg_nat_seen(t, e, false, 0, t0);
	assert_int_equal(wg_nat_expiry(e), t0 + 120 * S);

	struct wg_nat_key tcp = key("100.64.0.2", "100.96.0.1", 40000, 80, 6);
	e = wg_nat_add(t, &tcp, &client, &real, 1, 0, t0, &err);
	wg_nat_seen(t, e, true, 0x02, t0);		/* SYN */
	assert_int_equal(wg_nat_expiry(e), t0 + 60 * S);
	wg_nat_seen(t, e, false, 0x12, t0 + S);	/* SYN-ACK */
	assert_int_equal(wg_nat_expiry(e), t0 + S + (2 * 3600 + 4 * 60) * S);
	assert_ptr_equal(wg_nat_lookup_out(t, &tcp, t0 + 7000 * S), e);
	wg_nat_seen(t, e, true, 0x11, t0 + 7000 * S);	/* FIN one way: unchanged */
	assert_int_equal(wg_nat_expiry(e), t0 + 7000 * S + 7440 * S);
	wg_nat_seen(t, e, false, 0x11, t0 + 7001 * S);	/* FIN both ways: 5 s */
	assert_int_equal(wg_nat_expiry(e), t0 + 7006 * S);
	assert_ptr_equal(wg_nat_lookup_out(t, &tcp, t0 + 7006 * S - 1), e);
	assert_null(wg_nat_lookup_out(t, &tcp, t0 + 7006 * S));
	/* RST: gone at once */
	e = wg_nat_add(t, &tcp, &client, &real, 1, 0, t0, &err);
	assert_false(wg_nat_seen(t, e, false, 0x14, t0 + S));
	assert_null(wg_nat_lookup_out(t, &tcp, t0 + S));
	struct wg_nat_stats st;
	wg_nat_get_stats(t, &st);
	assert_int_equal(st.active, 1);	/* the ICMP flow */
	wg_nat_free(t);
}

/* Two proxy addresses leading to one real address, the same client port:
 * the second flow's port is remapped so that the answers stay apart. */
static void proxy_port_clash(void **state)
{
	struct wg_nat_table *t = wg_nat_create(16);
	struct wg_ipaddr real = ip("10.0.0.5"), client = ip("100.64.0.2");
	struct wg_nat_key a = key("100.64.0.2", "100.96.0.1", 5000, 80, 6);
	struct wg_nat_key b = key("100.64.0.2", "100.96.0.2", 5000, 80, 6);
	int err;

	(void)state;
	struct wg_nat_entry *ea = wg_nat_add(t, &a, &client, &real, 0, UINT16_MAX, S, &err);
	struct wg_nat_entry *eb = wg_nat_add(t, &b, &client, &real, 0, UINT16_MAX, S, &err);
	assert_non_null(ea);
	assert_non_null(eb);
	assert_int_equal(ea->reply.dport, 5000);	/* kept when free */
	assert_int_not_equal(eb->reply.dport, 5000);
	assert_ptr_equal(wg_nat_lookup_in(t, &ea->reply, S), ea);
	assert_ptr_equal(wg_nat_lookup_in(t, &eb->reply, S), eb);
	/* without a range the clash is refused */
	struct wg_nat_key c = key("100.64.0.2", "100.96.0.3", 5000, 80, 6);
	assert_null(wg_nat_add(t, &c, &client, &real, 1, 0, S, &err));
	assert_int_equal(err, -EADDRINUSE);
	wg_nat_free(t);
}

static void bounded_and_swept(void **state)
{
	struct wg_nat_table *t = wg_nat_create(4);
	struct wg_ipaddr real = ip("10.0.0.5"), client = ip("100.64.0.2");
	struct wg_nat_stats st;
	int err;

	(void)state;
	for (uint16_t i = 0; i < 4; i++) {
		struct wg_nat_key k = key("100.64.0.2", "100.96.0.1", (uint16_t)(1000 + i), 80, 17);
		assert_non_null(wg_nat_add(t, &k, &client, &real, 1, 0, S, &err));
	}
	struct wg_nat_key k5 = key("100.64.0.2", "100.96.0.1", 2000, 80, 17);
	assert_null(wg_nat_add(t, &k5, &client, &real, 1, 0, S, &err));
	assert_int_equal(err, -ENOSPC);
	struct wg_nat_key k0 = key("100.64.0.2", "100.96.0.1", 1000, 80, 17);
	assert_null(wg_nat_add(t, &k0, &client, &real, 1, 0, S, &err));
	wg_nat_get_stats(t, &st);
	assert_int_equal(st.refused_full, 1);
	assert_int_equal(st.active, 4);
	/* nothing expired yet: the sweep frees nothing */
	assert_int_equal(wg_nat_sweep(t, 30 * S, 100), 0);
	assert_int_equal(wg_nat_sweep(t, 61 * S, 2), 2);	/* budget respected */
	assert_int_equal(wg_nat_sweep(t, 61 * S, 100), 2);
	assert_non_null(wg_nat_add(t, &k5, &client, &real, 1, 0, 61 * S, &err));
	wg_nat_free(t);
	assert_null(wg_nat_create(0));
}

static void masquerade_ports(void **state)
{
	struct wg_nat_table *t = wg_nat_create(256);
	struct wg_ipaddr masq = ip("10.9.0.1"), real = ip("10.9.0.7");
	int err;

	(void)state;
	/* two clients, same port, same server: two reply keys */
	struct wg_nat_key a = key("100.64.0.2", "10.9.0.7", 5000, 80, 6);
	struct wg_nat_key b = key("100.64.0.3", "10.9.0.7", 5000, 80, 6);
	struct wg_nat_entry *ea = wg_nat_add(t, &a, &masq, &real, 20000, 20099, S, &err);
	struct wg_nat_entry *eb = wg_nat_add(t, &b, &masq, &real, 20000, 20099, S, &err);
	assert_non_null(ea);
	assert_non_null(eb);
	assert_true(ea->reply.dport >= 20000 && ea->reply.dport <= 20099);
	assert_true(eb->reply.dport >= 20000 && eb->reply.dport <= 20099);
	assert_int_not_equal(ea->reply.dport, eb->reply.dport);
	assert_true(wg_ipaddr_equal(&ea->reply.dst, &masq));
	assert_int_equal(ea->reply.sport, 80);
	assert_ptr_equal(wg_nat_lookup_in(t, &ea->reply, S), ea);
	assert_ptr_equal(wg_nat_lookup_in(t, &eb->reply, S), eb);
	/* a port inside the range is kept when free */
	struct wg_nat_key c = key("100.64.0.4", "10.9.0.7", 20050, 80, 17);
	struct wg_nat_entry *ec = wg_nat_add(t, &c, &masq, &real, 20000, 20099, S, &err);
	assert_int_equal(ec->reply.dport, 20050);
	/* ICMP: the echo id is remapped, both key ports alike */
	struct wg_nat_key d = key("100.64.0.4", "10.9.0.7", 3, 3, 1);
	struct wg_nat_entry *ed = wg_nat_add(t, &d, &masq, &real, 20000, 20099, S, &err);
	assert_int_equal(ed->reply.sport, ed->reply.dport);
	/* a range of one port, taken: refused and counted */
	struct wg_nat_key e1 = key("100.64.0.5", "10.9.0.7", 1, 80, 6);
	struct wg_nat_key e2 = key("100.64.0.6", "10.9.0.7", 1, 80, 6);
	assert_non_null(wg_nat_add(t, &e1, &masq, &real, 30000, 30000, S, &err));
	assert_null(wg_nat_add(t, &e2, &masq, &real, 30000, 30000, S, &err));
	assert_int_equal(err, -EADDRINUSE);
	struct wg_nat_stats st;
	wg_nat_get_stats(t, &st);
	assert_int_equal(st.refused_no_port, 1);
	wg_nat_free(t);
}

/* ---- packets ---- */

static void round_trip(bool v6, uint8_t proto, uint8_t req_type, uint8_t rep_type)
{
	const char *client = v6 ? "fd00:2021:1111::2" : "100.64.0.2";
	const char *proxy = v6 ? "fd00:2021:1111:8000::1" : "100.96.0.1";
	const char *real = v6 ? "fd00:99::5" : "10.0.0.5";
	const char *masq = v6 ? "fd00:99::1" : "10.0.0.1";
	struct wg_nat_table *t = wg_nat_create(16);
	uint8_t p[200];
	struct wg_nat_pkt pk;
	int err;

	for (int m = 0; m < 2; m++) {	/* without, then with masquerading */
		size_t len = tst_ip_build(p, v6, proto, client, proxy, 40000, 80, req_type, 33);
		assert_int_equal(wg_nat_parse(p, len, &pk), 0);
		assert_false(pk.icmp_error);
		struct wg_ipaddr r = ip(real), src = m ? ip(masq) : pk.key.src;
		struct wg_nat_entry *e = wg_nat_add(t, &pk.key, &src, &r, m ? 50000 : 1,
						    m ? 50010 : 0, S, &err);
		assert_non_null(e);
		struct wg_nat_key out;
		wg_nat_key_reverse(&out, &e->reply);
		wg_nat_rewrite(p, &pk, &out);
		assert_true(tst_ip_cksums_ok(p, len));
		struct wg_nat_pkt wire;
		assert_int_equal(wg_nat_parse(p, len, &wire), 0);
		assert_memory_equal(&wire.key, &out, sizeof(out));
		/* the answer, as the resource sends it */
		size_t rl = tst_ip_build(p, v6, proto, real, m ? masq : client, 80,
				  (uint16_t)(m ? e->reply.dport : 40000), rep_type, 17);
		if (proto == 1 || proto == 58) {	/* an echo reply keeps the id */
			rl = tst_ip_build(p, v6, proto, real, m ? masq : client, e->reply.sport,
				   e->reply.sport, rep_type, 17);
		}
		struct wg_nat_pkt in;
		assert_int_equal(wg_nat_parse(p, rl, &in), 0);
		assert_ptr_equal(wg_nat_lookup_in(t, &in.key, S), e);
		struct wg_nat_key back;
		wg_nat_key_reverse(&back, &e->orig);
		wg_nat_rewrite(p, &in, &back);
		assert_true(tst_ip_cksums_ok(p, rl));
		assert_int_equal(wg_nat_parse(p, rl, &in), 0);
		assert_memory_equal(&in.key, &back, sizeof(back));
		wg_nat_remove(t, e);
	}
	wg_nat_free(t);
}

static void rewrite_checksums(void **state)
{
	(void)state;
	round_trip(false, 6, 0, 0);
	round_trip(false, 17, 0, 0);
	round_trip(false, 1, 8, 0);
	round_trip(true, 6, 0, 0);
	round_trip(true, 17, 0, 0);
	round_trip(true, 58, 128, 129);
}

/* IPv4 UDP without a checksum stays without one. */
static void udp_v4_no_checksum(void **state)
{
	uint8_t p[100];
	struct wg_nat_pkt pk;
	size_t len = tst_ip_build(p, false, 17, "100.64.0.2", "100.96.0.1", 1000, 53, 0, 10);

	(void)state;
	wg_wr16(p + 26, 0);
	assert_int_equal(wg_nat_parse(p, len, &pk), 0);
	struct wg_nat_key to = key("100.64.0.2", "10.0.0.5", 1000, 53, 17);
	wg_nat_rewrite(p, &pk, &to);
	assert_int_equal(wg_rd16(p + 26), 0);
	assert_true(tst_ip_cksums_ok(p, len));
}

/* An ICMP error from outside quoting a translated packet: the quote is
 * put back as the client sent it, the outer addresses as asked. */
static void icmp_errors(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		const char *client = v6 ? "fd00:2021:1111::2" : "100.64.0.2";
		const char *proxy = v6 ? "fd00:2021:1111:8000::1" : "100.96.0.1";
		const char *real = v6 ? "fd00:99::5" : "10.0.0.5";
		uint8_t orig[100], sent[100], err[300];
		size_t ol = tst_ip_build(orig, v6, 17, client, proxy, 40000, 53, 0, 20);
		struct wg_nat_pkt pk, ek;

		memcpy(sent, orig, ol);
		assert_int_equal(wg_nat_parse(sent, ol, &pk), 0);
		struct wg_nat_key to = pk.key;
		to.dst = ip(real);
		wg_nat_rewrite(sent, &pk, &to);
		/* port unreachable from the real host, quoting what it got
		 * (IPv4: header + 8 bytes; IPv6: all of it) */
		size_t hl = v6 ? 40 : 20, q = v6 ? ol : 28;
		size_t el = tst_ip_build(err, v6, v6 ? 58 : 1, real, client, 0, 0, v6 ? 1 : 3, q);
		err[hl + 1] = v6 ? 4 : 3;
		memcpy(err + hl + 8, sent, q);
		tst_l4_resum(err, el);	/* after putting the quote in */
		assert_true(tst_ip_cksums_ok(err, el));
		assert_int_equal(wg_nat_parse(err, el, &ek), 0);
		assert_true(ek.icmp_error);
		assert_memory_equal(&ek.key, &to, sizeof(to));
		struct wg_ipaddr osrc = ip(proxy), odst = ip(client);
		wg_nat_rewrite_icmp_error(err, el, &ek, &pk.key, &osrc, &odst);
		assert_true(tst_ip_cksums_ok(err, el));
		assert_memory_equal(err + hl + 8, orig, q);	/* quote = what the client sent */
		struct wg_nat_pkt again;
		assert_int_equal(wg_nat_parse(err, el, &again), 0);
		assert_memory_equal(&again.key, &pk.key, sizeof(pk.key));
		struct wg_ipaddr s;
		if (v6)
			wg_ipaddr_from_v6(&s, err + 8);
		else
			wg_ipaddr_from_v4(&s, err + 12);
		assert_true(wg_ipaddr_equal(&s, &osrc));
	}
}

static void malformed(void **state)
{
	uint8_t p[100];
	struct wg_nat_pkt pk;
	size_t len = tst_ip_build(p, false, 17, "100.64.0.2", "100.96.0.1", 1000, 53, 0, 10);

	(void)state;
	assert_int_equal(wg_nat_parse(p, 10, &pk), -EINVAL);		/* truncated IP */
	assert_int_equal(wg_nat_parse(p, 24, &pk), -EINVAL);		/* total > buffer */
	p[6] = 0x20;	/* MF: a fragment */
	assert_int_equal(wg_nat_parse(p, len, &pk), -EINVAL);
	len = tst_ip_build(p, false, 47, "100.64.0.2", "100.96.0.1", 0, 0, 0, 10);	/* GRE */
	assert_int_equal(wg_nat_parse(p, len, &pk), -ENOTSUP);
	len = tst_ip_build(p, false, 1, "100.64.0.2", "100.96.0.1", 1, 1, 13, 10);	/* timestamp */
	assert_int_equal(wg_nat_parse(p, len, &pk), -ENOTSUP);
	/* an error whose quote is cut short */
	len = tst_ip_build(p, false, 1, "10.0.0.5", "100.64.0.2", 0, 0, 3, 12);
	assert_int_equal(wg_nat_parse(p, len, &pk), -EINVAL);
	/* ICMPv6 inside IPv4 is not ICMP */
	len = tst_ip_build(p, false, 58, "100.64.0.2", "100.96.0.1", 1, 1, 128, 10);
	assert_int_equal(wg_nat_parse(p, len, &pk), -ENOTSUP);
	len = tst_ip_build(p, false, 6, "100.64.0.2", "100.96.0.1", 1, 2, 0, 0);
	assert_int_equal(wg_nat_parse(p, 30, &pk), -EINVAL);		/* TCP cut */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(lifetimes),
		cmocka_unit_test(proxy_port_clash),
		cmocka_unit_test(bounded_and_swept),
		cmocka_unit_test(masquerade_ports),
		cmocka_unit_test(rewrite_checksums),
		cmocka_unit_test(udp_v4_no_checksum),
		cmocka_unit_test(icmp_errors),
		cmocka_unit_test(malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
