#!/bin/bash
# e2e-timeout: 180
# The DNS stub over TCP (RFC 7766) on the gateway's tunnel addresses, with
# the setup of dns_lib.sh (wireguard-go client, real dnsmasq upstream):
#   1. dig +tcp: a granted name gets its proxy address (IPv4 and, asked at
#      the IPv6 tunnel address, AAAA), a name of no resource is forwarded,
#      a granted name without a grant is REFUSED
#   2. big.example (eight 250-byte TXT records, ~2 KB: over UDP cut with TC)
#      comes back whole over TCP, in several segments
#      and also to a client whose window is smaller than the answer and
#      that reads late (the gateway's RTO and window probes)
#   3. plain dig (UDP) of big.example gets TC, retries over TCP by itself
#      and gets all eight records
#   4. dig +tcp +keepopen: several queries on one connection
#   5. a query cut across segments (the length prefix split too) and
#      several queries in one write, each answered with its own id
#   6. a connection left idle is closed by the gateway after 10 s
#   7. the table is bounded: 1,024 connections at once; more get a RST;
#      a segment of no connection gets a RST, one with a bad checksum is
#      dropped
#   8. counters: dns_stub_tcp_*
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/dns_lib.sh"

tcp() { in_client 0 dig +tcp +time=3 +tries=2 @"$GW_TUN4" "$@"; }
probe() { in_client 0 "$PYTHON" "$E2E_DIR/dns_tcp_probe.py" "$@"; }
txt_count() { grep -c '^big\.example\..*TXT' <<<"$1"; }
no_tc() { ! grep -q 'flags:.* tc' <<<"$1"; }
# keepopen_answers OUT: the proxy address, the forwarded one, a wildcard's.
keepopen_answers() {
	local l
	mapfile -t l <<<"$1"
	[[ ${l[0]} == "$A" && ${l[1]} == 192.0.2.77 ]] && in_v4_proxy "${l[2]}"
}
# pipeline_answers OUT: ids 1..4 answered NOERROR, REFUSED, NOERROR, NXDOMAIN.
pipeline_answers() {
	[[ $(sort <<<"$1" | tr '\n' ' ') == \
	   "id=1 rcode=0 answers=1 id=2 rcode=5 answers=0 id=3 rcode=0 answers=1 id=4 rcode=3 answers=0 " ]]
}
# closed_after OUT: "closed S" with S about the 10 s idle time.
closed_after() {
	[[ $1 =~ ^closed\ ([0-9]+)\. ]] && (( BASH_REMATCH[1] >= 9 && BASH_REMATCH[1] <= 12 ))
}

gw_counters_snap dns_stub_tcp_accepted dns_stub_tcp_queries dns_stub_tcp_closed \
	dns_stub_tcp_rst_table_full dns_stub_tcp_idle_closed dns_punted

# 1. The stub's answers, over TCP.
A=$(tcp +short app.corp.test A)
check "dig +tcp app.corp.test A: a proxy address ($A)" in_v4_proxy "$A"
check_eq "... the same one as over UDP" "$(stub +short app.corp.test A)" "$A"
AAAA=$(in_client 0 dig +tcp +time=3 +tries=2 @"$GW_TUN6" +short app.corp.test AAAA)
check "dig +tcp @$GW_TUN6 app.corp.test AAAA: a proxy address ($AAAA)" in_v6_proxy "$AAAA"
check_eq "dig +tcp plain.example: forwarded upstream" "$(tcp +short plain.example A)" "192.0.2.77"
check_eq "dig +tcp secret.corp.test (no grant): REFUSED" \
	"$(tcp secret.corp.test A | grep -o 'status: [A-Z]*')" "status: REFUSED"

# 2. A large forwarded answer, whole.
out=$(tcp big.example TXT)
check_eq "dig +tcp big.example TXT: all eight records" "$(txt_count "$out")" 8
check "... no TC flag" no_tc "$out"
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
check "... larger than the tunnel MTU ($size bytes), so it took several segments" \
	test "${size:-0}" -gt 1500

# 3. UDP first, TC, then TCP: dig's own fallback.
out=$(in_client 0 dig +time=3 +tries=2 @"$GW_TUN4" big.example TXT)
check "plain dig big.example TXT: truncated over UDP, retried over TCP by dig" \
	grep -q "Truncated, retrying in TCP mode" <<<"$out"
check_eq "... and complete: eight records" "$(txt_count "$out")" 8

# 2b. A client whose window is smaller than the answer and that reads late:
# the gateway waits for the window, probes it on its RTO, finishes.
gw_counters_snap dns_stub_tcp_retransmits
check_eq "a client with a tiny window reading after 3 s gets the ~2 KB answer whole" \
	"$(probe slowread "$GW_TUN4" big.example 16 3)" "id=17185 rcode=0 answers=8"
check "... the gateway retransmitted / probed on its RTO (dns_stub_tcp_retransmits)" \
	gw_counter_grew_ge dns_stub_tcp_retransmits 1

# 4. Several queries on one connection.
gw_counters_snap dns_stub_tcp_accepted dns_stub_tcp_queries
out=$(tcp +keepopen +short app.corp.test A plain.example A a.wild.corp.test A)
check_eq "dig +tcp +keepopen, three queries: three answers" \
	"$(grep -c . <<<"$out")" 3
check "... the proxy address, the forwarded one, a wildcard proxy address" \
	keepopen_answers "$out"
check_eq "... over one connection" "$(gw_counter_grew dns_stub_tcp_accepted)" 1
check_eq "... three queries read from it" "$(gw_counter_grew dns_stub_tcp_queries)" 3

# 5. Framing: a query cut in pieces; several in one write.
check_eq "a query cut across four segments (its length prefix split): answered" \
	"$(probe split "$GW_TUN4" app.corp.test)" "id=4660 rcode=0 answers=1"
out=$(probe pipeline "$GW_TUN4" app.corp.test secret.corp.test plain.example nothing.corp.test 2>&1)
check "four queries in one write: four answers, each with its own id and code ($(tr '\n' ' ' <<<"$out"))" \
	pipeline_answers "$out"

# 6. Idle connections are closed (RFC 7766 6.2.3).
gw_counters_snap dns_stub_tcp_idle_closed
out=$(probe idle "$GW_TUN4" 15)
check "a connection with no query is closed by the gateway after about 10 s ($out)" \
	closed_after "$out"
check_eq "... counted dns_stub_tcp_idle_closed" "$(gw_counter_grew dns_stub_tcp_idle_closed)" 1

# 7. The table is bounded.
gw_counters_snap dns_stub_tcp_rst_table_full
out=$(probe fill "$GW_TUN4" 1030)
check_eq "1,030 connections at once: 1,024 accepted, 6 refused with a RST" \
	"$out" "connected=1024 refused=6 other=0"
# At least one RST per refused connection: a loaded machine may answer a
# SYN after the client's kernel has sent it again, and each copy is refused.
check "... counted dns_stub_tcp_rst_table_full (one or more per refused connection)" \
	gw_counter_grew_ge dns_stub_tcp_rst_table_full 6
check_eq "... and after they close, a new connection is served" \
	"$(tcp +short plain.example A)" "192.0.2.77"

# 7b. Segments of no connection: a bad checksum is dropped and counted, a
# good one gets a RST whose sequence number is the segment's ack.
gw_counters_snap dns_stub_tcp_drop_bad_segment dns_stub_tcp_rst_unknown_segment
check_eq "a stray ACK to port 53 gets a RST (seq = its ack); its twin with a bad checksum none" \
	"$(probe stray "$(client_tun4 0)" "$GW_TUN4")" "rst=1 seq_ok=1"
check_eq "... the bad checksum counted dns_stub_tcp_drop_bad_segment" \
	"$(gw_counter_grew dns_stub_tcp_drop_bad_segment)" 1
check "... the stray counted dns_stub_tcp_rst_unknown_segment (once per copy sent)" \
	gw_counter_grew_ge dns_stub_tcp_rst_unknown_segment 1

# 8. Counters.
check "dns_stub_tcp_closed counts the orderly closes" gw_counter_grew_ge dns_stub_tcp_closed 8
check_eq "no other segment was malformed (dns_stub_tcp_drop_bad_segment)" \
	"$(gw_counter dns_stub_tcp_drop_bad_segment)" 1
check_eq "no connection had to be given up (dns_stub_tcp_rst_gave_up)" \
	"$(gw_counter dns_stub_tcp_rst_gave_up)" 0
