/* Firezone's in-tunnel control packets (shared/reference/firezone-gateway.md,
 * "DNS resources"; connlib's ip-packet "fz_p2p_control"). A client and its
 * gateway talk inside the tunnel with IPv6 packets no host would send:
 * source = destination = ::, next header 0xFF, hop limit 0. The payload is
 * an 8-byte header (byte 0 the event type, bytes 1..7 zero) and a JSON body:
 *
 *   0 AssignedIps  client -> gateway
 *     {"resource":"<id>","domain":"app.corp.test","proxy_ips":["100.96.0.7",..]}
 *     4 or 8 proxy addresses the client chose for the name (normally 4 IPv4
 *     + 4 IPv6), all in the DNS proxy ranges.
 *   1 DomainStatus gateway -> client
 *     {"resource":"<id>","domain":"...","status":"Active"|"Inactive"}
 *   2 Goodbye      client -> gateway, no body: the client is going away.
 *
 * Pure: bytes in, bytes out (JSON through jansson, as lib/signal). */
#ifndef WGATE_LIB_FZ_CTLMSG_H
#define WGATE_LIB_FZ_CTLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/dns/cache.h"
#include "lib/net/addr.h"

#define WG_FZ_IP6_HDR_LEN	40
#define WG_FZ_HDR_LEN		8	/* event type + 7 zero bytes */
#define WG_FZ_NEXT_HEADER	0xff	/* reserved (RFC 2780): never a real protocol */
#define WG_FZ_MAX_PROXY		8
#define WG_FZ_MAX_BODY		2048	/* a longer body is refused (ERR_SHORT's twin: ERR_LONG) */
#define WG_FZ_ID_LEN		64	/* resource id: 1-63 of A-Z a-z 0-9 _ - . (the
					 * [Resource NAME] rule), with the NUL */

enum wg_fz_event {
	WG_FZ_ASSIGNED_IPS = 0,
	WG_FZ_DOMAIN_STATUS = 1,
	WG_FZ_GOODBYE = 2,
};

/* Why a control packet was refused; wg_fz_err_str names each. */
enum wg_fz_err {
	WG_FZ_OK = 0,
	WG_FZ_ERR_SHORT,	/* shorter than IPv6 + 8-byte header, or lengths disagree */
	WG_FZ_ERR_LONG,		/* body over WG_FZ_MAX_BODY */
	WG_FZ_ERR_HEADER,	/* not the control shape, or header bytes 1..7 not zero */
	WG_FZ_ERR_EVENT,	/* an event type this gateway does not take */
	WG_FZ_ERR_JSON,		/* body not a JSON object (or duplicate keys) */
	WG_FZ_ERR_RESOURCE,	/* "resource" missing, not a string, bad characters */
	WG_FZ_ERR_DOMAIN,	/* "domain" missing, too long, not a valid name */
	WG_FZ_ERR_PROXY_COUNT,	/* "proxy_ips" missing, not an array of 4 or 8 */
	WG_FZ_ERR_PROXY_ADDR,	/* an entry not a string holding an IP address */
	WG_FZ_ERR_PROXY_FAMILY,	/* 8 entries not 4 + 4, or 4 entries of mixed families */
	WG_FZ_ERR_PROXY_RANGE,	/* an entry outside the DNS proxy ranges */
	WG_FZ_ERR_PROXY_DUP,	/* the same address twice */
	WG_FZ_ERR_STATUS,	/* DomainStatus: "status" not "Active" / "Inactive" */
	WG_FZ_ERR__MAX
};

struct wg_fz_msg {
	uint8_t event;				/* enum wg_fz_event */
	char resource[WG_FZ_ID_LEN];
	char domain[WG_DNS_NAME_LEN];		/* normalised (lib/dns/cache.h) */
	char domain_raw[WG_DNS_NAME_LEN];	/* as sent: echoed in the answer */
	struct wg_ipaddr proxy[WG_FZ_MAX_PROXY];	/* AssignedIps, in the order sent */
	uint8_t n_proxy;
	bool active;				/* DomainStatus */
};

/* The DNS proxy ranges: 100.96.0.0/11 and fd00:2021:1111:8000::/107. */
static inline bool wg_fz_is_proxy_addr(const struct wg_ipaddr *ip)
{
	if (ip->af == WG_AF_INET4)
		return ip->a[0] == 100 && (ip->a[1] & 0xe0) == 96;
	static const uint8_t p6[8] = { 0xfd, 0x00, 0x20, 0x21, 0x11, 0x11, 0x80, 0x00 };
	return ip->af == WG_AF_INET6 && !__builtin_memcmp(ip->a, p6, 8) &&
	       !(ip->a[8] | ip->a[9] | ip->a[10] | ip->a[11]) && (ip->a[12] & 0xe0) == 0;
}

/* Whether an inner packet (len bytes, already validated as IPv6 by its
 * length fields) has the control packet's IPv6 header: exactly next header
 * 0xFF, hop limit 0, source and destination ::. For the worker, per
 * packet: no JSON, a handful of compares. */
static inline bool wg_fz_is_control(const uint8_t *p, size_t len)
{
	if (len < WG_FZ_IP6_HDR_LEN || (p[0] >> 4) != 6 || p[6] != WG_FZ_NEXT_HEADER || p[7])
		return false;
	uint64_t z = 0;
	for (int i = 8; i < 40; i += 8) {
		uint64_t w;
		__builtin_memcpy(&w, p + i, 8);
		z |= w;
	}
	return z == 0;
}

/* Reads a control packet (the whole inner IPv6 packet, len bytes; bytes
 * past the IPv6 payload length are padding and ignored). WG_FZ_OK, or why
 * not; on WG_FZ_ERR_EVENT, m->event holds the type. Goodbye's body is not
 * read. */
enum wg_fz_err wg_fz_parse(const uint8_t *p, size_t len, struct wg_fz_msg *m);
const char *wg_fz_err_str(enum wg_fz_err e);

/* Builds a whole DomainStatus packet (IPv6 header included) into out.
 * Returns its length, or 0 when cap is too small or the strings cannot be
 * encoded. */
size_t wg_fz_build_status(uint8_t *out, size_t cap, const char *resource, const char *domain,
			  bool active);
/* Builds an AssignedIps packet (clients send these; tests, the fuzzer). */
size_t wg_fz_build_assigned(uint8_t *out, size_t cap, const char *resource, const char *domain,
			    const struct wg_ipaddr *proxy, size_t n);

#endif
