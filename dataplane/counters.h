/* Per-lcore counters. One X-macro list generates the enum, the names shown by
 * telemetry and the per-lcore arrays, so a new drop reason cannot be added
 * without a name and a counter (VPP foreach_wg_input_error style).
 *
 * Writer: the lcore that owns the struct (workers their own, the control core
 * its own). Reader: the telemetry thread sums them; a torn read is impossible
 * on 64-bit aligned words, and a slightly stale sum is fine. */
#ifndef WGATE_DATAPLANE_COUNTERS_H
#define WGATE_DATAPLANE_COUNTERS_H

#include <stdint.h>

#include <rte_common.h>

#define WG_FOREACH_COUNTER(_)						\
	/* traffic */							\
	_(RX_PACKETS,		"rx_packets")				\
	_(TX_PACKETS,		"tx_packets")				\
	_(RX_BYTES,		"rx_bytes")	/* frames, as the ports count */	\
	_(TX_BYTES,		"tx_bytes")				\
	_(DATA_DECRYPTED,	"data_decrypted")			\
	_(DATA_ENCRYPTED,	"data_encrypted")			\
	_(KEEPALIVE_RX,		"keepalive_rx")				\
	_(KEEPALIVE_TX,		"keepalive_tx")				\
	_(HANDSHAKE_PUNTED,	"handshake_punted")			\
	_(ARP_ND_PUNTED,	"arp_nd_punted")			\
	_(DNS_PUNTED,		"dns_punted")				\
	_(FZ_CONTROL_PUNTED,	"fz_control_punted")			\
	_(CONTROL_TX,		"control_tx")				\
	_(CONTROL_DATA_TX,	"control_data_tx")			\
	_(ECHO_REPLIED,		"echo_replied")				\
	_(NEIGH_HELD,		"neighbour_held")			\
	_(HANDOFF_TX,		"handoff_tx")				\
	_(HANDOFF_RX,		"handoff_rx")				\
	_(ECN_CE_COPIED,	"ecn_ce_copied")			\
	_(ICMP_TOO_BIG_SENT,	"icmp_too_big_sent")			\
	_(FRAGMENTED,		"fragmented")				\
	_(FRAGMENTS_MADE,	"fragments_made")			\
	/* TSC cycles of worker polls that found work (busy ratio) */	\
	_(BUSY_CYCLES,		"busy_cycles")				\
	/* drops on the worker, each under its own reason */		\
	_(DROP_NOT_IP,		"drop_not_ip")				\
	_(DROP_TRUNCATED,	"drop_truncated")			\
	_(DROP_CHAINED_MBUF,	"drop_chained_mbuf")			\
	_(DROP_FRAGMENT,	"drop_fragment")			\
	_(DROP_NOT_FOR_US,	"drop_not_for_us")			\
	_(DROP_BAD_TYPE,	"drop_bad_type")			\
	_(DROP_BAD_LENGTH,	"drop_bad_length")			\
	_(DROP_UNKNOWN_INDEX,	"drop_unknown_index")			\
	_(DROP_KEYPAIR_EXPIRED,	"drop_keypair_expired")			\
	_(DROP_REPLAY,		"drop_replay")				\
	_(DROP_TOO_OLD,		"drop_replay_too_old")			\
	_(DROP_BAD_TAG,		"drop_bad_tag")				\
	_(DROP_BAD_INNER,	"drop_bad_inner_packet")		\
	_(DROP_BAD_INNER_SOURCE, "drop_bad_inner_source")		\
	_(DROP_NO_SESSION,	"drop_no_session")			\
	_(DROP_NO_PEER,		"drop_no_peer")				\
	_(DROP_NO_ROUTE,	"drop_no_route")			\
	_(DROP_NO_NEIGHBOR,	"drop_no_neighbor")			\
	_(DROP_TTL_EXCEEDED,	"drop_ttl_exceeded")			\
	_(DROP_TOO_BIG,		"drop_too_big")				\
	_(DROP_FRAG_NO_MBUF,	"drop_fragment_no_mbuf")		\
	_(DROP_ECN,		"drop_ecn_ce_not_ect")			\
	_(DROP_HANDOFF_FULL,	"drop_handoff_full")			\
	_(DROP_NO_HEADROOM,	"drop_no_headroom")			\
	/* the punt ring (PuntRing) to the control core was full */	\
	_(DROP_RING_FULL,	"drop_ring_full")			\
	_(DROP_EVENT_RING_FULL,	"drop_event_ring_full")	/* EventRing */	\
	_(DROP_CONTROL_TX_FULL,	"drop_control_tx_ring_full") /* TxRing */	\
	_(DROP_TX_FULL,		"drop_tx_full")				\
	/* enobufs-as-would-block: frames a full TX queue did not take,	\
	 * counted at each try, kept staged for the next drain	\
	 * (dropped as drop_tx_full only when staging fills) */	\
	_(TX_FULL_RETRIED,	"tx_full_retried")			\
	/* policy (zero trust): client -> resource refusals, answered	\
	 * with an ICMP error unless rate-limited or not allowed */	\
	_(REFUSED_NO_GRANT,	"refused_no_grant")			\
	_(REFUSED_FILTER,	"refused_filter")			\
	_(REFUSED_TUNNEL_RANGE,	"refused_tunnel_range")			\
	_(REFUSED_INTERNET,	"refused_internet_rejected")		\
	_(ICMP_ERROR_SENT,	"icmp_error_sent")			\
	_(ICMP_ERROR_SUPPRESSED, "icmp_error_suppressed")		\
	_(ICMP_ERROR_NOT_ALLOWED, "icmp_error_not_allowed")		\
	/* refused and dropped silently: icmp-errors-on-deny is off */	\
	_(ICMP_ERROR_FLAG_OFF,	"icmp_error_flag_off")			\
	/* policy: resource -> client refusals, dropped silently */	\
	_(DROP_REPLY_NO_GRANT,	"drop_reply_no_grant")			\
	_(DROP_REPLY_FROM_TUNNEL, "drop_reply_from_tunnel_range")	\
	/* proxy-address NAT (DNS resources) */				\
	_(NAT_OUT,		"nat_translated_out")			\
	_(NAT_IN,		"nat_translated_in")			\
	_(NAT_ICMP_ERROR_IN,	"nat_icmp_error_translated")		\
	_(NAT_MASQUERADED,	"nat_masqueraded")			\
	_(REFUSED_PROXY_UNRESOLVED, "refused_proxy_unresolved")	\
	_(DROP_NAT_UNSUPPORTED,	"drop_nat_unsupported")			\
	_(DROP_NAT_FULL,	"drop_nat_table_full")			\
	_(DROP_NAT_NO_PORT,	"drop_nat_no_port")			\
	_(DROP_FZ_CONTROL_RATE,	"drop_fz_control_ratelimited")		\
	/* Firezone in-tunnel control packets (control core, control/fz.c) */ \
	_(FZ_ASSIGNED_IPS,	"fz_assigned_ips")			\
	_(FZ_DOMAIN_ACTIVE,	"fz_domain_active")			\
	_(FZ_DOMAIN_INACTIVE,	"fz_domain_inactive")			\
	_(FZ_INACTIVE_LIMIT,	"fz_domain_inactive_limit")		\
	_(FZ_GOODBYE,		"fz_goodbye")				\
	_(FZ_CONTROL_MALFORMED,	"fz_control_malformed")			\
	_(FZ_CONTROL_UNKNOWN_EVENT, "fz_control_unknown_event")		\
	_(FZ_CONTROL_NO_PEER,	"fz_control_no_peer")			\
	_(FZ_MAPS_REMOVED,	"fz_maps_removed")			\
	/* the DNS stub on the tunnel addresses (control core) */	\
	_(DNS_ANSWERED,		"dns_stub_answered")			\
	_(DNS_FORWARDED,	"dns_stub_forwarded")			\
	_(DNS_REFUSED,		"dns_stub_refused")			\
	_(DNS_SERVFAIL,		"dns_stub_servfail")			\
	_(DNS_DROP_BAD_QUERY,	"dns_stub_drop_bad_query")		\
	_(DNS_DROP_NO_PEER,	"dns_stub_drop_no_peer")		\
	/* the stub's TCP responder (control/stub_tcp.c) */		\
	_(DNS_TCP_ACCEPTED,	"dns_stub_tcp_accepted")		\
	_(DNS_TCP_QUERIES,	"dns_stub_tcp_queries")			\
	_(DNS_TCP_CLOSED,	"dns_stub_tcp_closed")			\
	_(DNS_TCP_IDLE_CLOSED,	"dns_stub_tcp_idle_closed")		\
	_(DNS_TCP_RETRANSMITS,	"dns_stub_tcp_retransmits")		\
	_(DNS_TCP_RESET_BY_CLIENT, "dns_stub_tcp_reset_by_client")	\
	_(DNS_TCP_RST_TABLE_FULL, "dns_stub_tcp_rst_table_full")	\
	_(DNS_TCP_RST_UNKNOWN,	"dns_stub_tcp_rst_unknown_segment")	\
	_(DNS_TCP_RST_OVERSIZE,	"dns_stub_tcp_rst_oversize")		\
	_(DNS_TCP_RST_GAVE_UP,	"dns_stub_tcp_rst_gave_up")		\
	_(DNS_TCP_DROP_BAD_SEGMENT, "dns_stub_tcp_drop_bad_segment")	\
	_(DNS_TCP_DROP_OUT_OF_ORDER, "dns_stub_tcp_drop_out_of_order")	\
	/* handshakes, counted by the control core */			\
	_(HS_INITIATION_RX,	"handshake_initiation_rx")		\
	_(HS_RESPONSE_RX,	"handshake_response_rx")		\
	_(HS_COOKIE_RX,		"handshake_cookie_rx")			\
	_(HS_INITIATION_TX,	"handshake_initiation_tx")		\
	_(HS_RESPONSE_TX,	"handshake_response_tx")		\
	_(HS_COOKIE_TX,		"handshake_cookie_tx")			\
	_(HS_COMPLETED,		"handshake_completed")			\
	_(HS_DROP_BAD_MAC1,	"handshake_drop_bad_mac1")		\
	_(HS_DROP_BAD_MAC2,	"handshake_drop_bad_mac2")		\
	_(HS_DROP_DECRYPT,	"handshake_drop_decrypt_failed")	\
	_(HS_DROP_UNKNOWN_PEER,	"handshake_drop_unknown_peer")		\
	_(HS_DROP_REPLAYED,	"handshake_drop_replayed_timestamp")	\
	_(HS_DROP_FLOOD,	"handshake_drop_flood")			\
	_(HS_DROP_RATELIMITED,	"handshake_drop_ratelimited")		\
	_(HS_UNDER_LOAD,	"handshake_under_load_entered")		\
	_(LINK_DOWN,		"link_down")				\
	_(HS_DROP_UNKNOWN_INDEX, "handshake_drop_unknown_index")	\
	_(HS_RESPONSE_FAILED,	"handshake_response_failed")		\
	_(HS_GAVE_UP,		"handshake_gave_up")			\
	_(SESSIONS_EXPIRED,	"sessions_expired")			\
	_(KEYS_ZEROED,		"keys_zeroed")				\
	_(ROAMED,		"endpoint_roamed")				\
	/* resource bounds ([Dataplane]), counted by the control core:	\
	 * a peer or grant once each time it becomes refused (start,	\
	 * SIGHUP, signaling change), a DNS lookup each time */		\
	_(PEER_REFUSED_MAX,	"bound_refused_max_peers")		\
	_(GRANT_REFUSED_MAX,	"bound_refused_max_grants")		\
	_(DNS_CACHE_FULL,	"bound_refused_dns_cache")

enum wg_counter {
#define WG_COUNTER_ENUM(e, s) WG_CNT_##e,
	WG_FOREACH_COUNTER(WG_COUNTER_ENUM)
#undef WG_COUNTER_ENUM
	WG_CNT__MAX
};

extern const char *const wg_counter_names[WG_CNT__MAX];

/* Every counter summed over the control core and the workers (telemetry,
 * the OTLP export). Any thread; a sum may be slightly stale (see above). */
void dp_counters_sum(uint64_t out[WG_CNT__MAX]);

/* One per lcore, cache aligned so that no two lcores share a line. */
struct wg_counters {
	uint64_t v[WG_CNT__MAX];
} __rte_cache_aligned;

#endif
