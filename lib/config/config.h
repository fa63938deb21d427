/* wgate.conf: the INI file plus WGATE_<SECTION>_<KEY> environment overrides,
 * loaded and validated into one plain struct (the contract is
 * /work/shared/reference/interface.md and config/wgate.conf).
 *
 * Ownership: wg_config_load() returns a struct the caller owns; everything it
 * points to (arrays, strings) belongs to it and goes with wg_config_free(),
 * which also wipes the key material. The struct is never modified after load:
 * a SIGHUP loads a second one and the caller diffs the two.
 *
 * Errors: loading stops at the first problem and names where it is, as
 * "file:line: [Section] Key: reason" or "environment VAR: reason". Error
 * texts never contain key material (keys, preshared keys, key file contents).
 */
#ifndef WGATE_LIB_CONFIG_CONFIG_H
#define WGATE_LIB_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/net/addr.h"

#define WG_CFG_KEY_LEN		32	/* Curve25519 keys and preshared keys */
#define WG_CFG_MAX_LCORES	128	/* lcore ids 0..127, as DPDK's default RTE_MAX_LCORE */
#define WG_CFG_MAX_ADDRS	8	/* addresses per [Interface] or [Port] */
#define WG_CFG_PORT_NAME_LEN	32	/* with the NUL */
#define WG_CFG_RESOURCE_NAME_LEN 64	/* with the NUL */
#define WG_CFG_DNS_PATTERN_LEN	256	/* 253 name characters + NUL, rounded */
#define WG_CFG_DEVICE_LEN	512
#define WG_CFG_REDIS_LEN	512
#define WG_CFG_GATEWAY_ID_LEN	64	/* hex characters, without the NUL */

struct wg_config_error {
	char file[256];	/* the config path as given; "" for environment errors */
	int line;	/* 1-based; 0 = not line-specific (env or file-level) */
	char var[64];	/* the WGATE_* variable at fault; "" for file errors */
	char msg[256];	/* the reason; file errors start with "[Section] Key: " */
};

/* "file:line: msg", "file: msg" (line 0) or "environment VAR: msg". */
void wg_config_error_str(const struct wg_config_error *e, char *buf, size_t len);

enum wg_cfg_crypto {
	WG_CFG_CRYPTO_AUTO = 0,		/* ipsec-mb when the CPU has AVX2/AVX-512, else libsodium */
	WG_CFG_CRYPTO_IPSEC_MB,
	WG_CFG_CRYPTO_LIBSODIUM,
};

enum wg_cfg_idle_poll {
	WG_CFG_IDLE_BUSY = 0,		/* spin at 100 %: the appliance setting */
	WG_CFG_IDLE_ADAPTIVE,		/* back off when idle: demos, tests, shared hosts */
};

/* Resource bounds of [Dataplane] (README "Resource bounds"): the default
 * of each key and its range. Ring sizes are powers of two (DPDK rings; one
 * slot stays empty, so a ring of N holds N - 1). */
#define WG_CFG_MAX_PEERS_DEFAULT	65536
#define WG_CFG_MAX_PEERS_MAX		1048576
#define WG_CFG_MAX_GRANTS_DEFAULT	1048576
#define WG_CFG_MAX_GRANTS_MAX		16777216
#define WG_CFG_NAT_ENTRIES_DEFAULT	65536	/* flows per worker */
#define WG_CFG_NAT_ENTRIES_MAX		(1u << 24)
#define WG_CFG_DNS_CACHE_DEFAULT	65536
#define WG_CFG_DNS_CACHE_MAX		(1u << 24)
#define WG_CFG_PUNT_RING_DEFAULT	4096	/* worker -> control: handshakes, ARP/ND, DNS */
#define WG_CFG_EVENT_RING_DEFAULT	4096	/* worker -> control: small events */
#define WG_CFG_TX_RING_DEFAULT		1024	/* control -> one worker: ready frames */
#define WG_CFG_HANDOFF_RING_DEFAULT	2048	/* any worker -> the keypair's owner */
#define WG_CFG_RING_MIN			64
#define WG_CFG_RING_MAX			(1u << 20)

/* [Interface]: the gateway's own WireGuard identity. */
struct wg_cfg_interface {
	uint8_t private_key[WG_CFG_KEY_LEN];	/* PrivateKey or the content of PrivateKeyFile */
	uint16_t listen_port;			/* ListenPort, 1..65535, default 51820 */
	struct wg_ipaddr addrs[WG_CFG_MAX_ADDRS]; /* Address: the gateway's tunnel addresses */
	size_t n_addrs;				/* 0 = none (no DNS stub, no ping target) */
	uint16_t mtu;				/* MTU of inner packets, 1280..9000, default 1420 */
};

/* [Dataplane]: how DPDK is started. */
struct wg_cfg_dataplane {
	unsigned int lcores[WG_CFG_MAX_LCORES];	/* Lcores in written order, no repeats */
	size_t n_lcores;			/* >= 2: lcores[0] = control, the rest workers */
	unsigned int memory_mb;			/* Memory, MB, default 512 */
	enum wg_cfg_crypto crypto;		/* Crypto, default auto */
	enum wg_cfg_idle_poll idle_poll;	/* IdlePoll, default busy */
	char **eal_args;			/* EalArgs split on whitespace; NULL-terminated, never NULL */
	size_t n_eal_args;
	/* Resource bounds; defaults WG_CFG_*_DEFAULT above. */
	uint32_t max_peers;			/* MaxPeers: live peers (file + signaling) */
	uint32_t max_grants;			/* MaxGrants: grants published at once */
	uint32_t nat_entries;			/* NatEntries: NAT flows per worker */
	uint32_t dns_cache_entries;		/* DnsCacheEntries: names x families cached */
	uint32_t punt_ring;			/* PuntRing, power of two */
	uint32_t event_ring;			/* EventRing, power of two */
	uint32_t tx_ring;			/* TxRing, power of two */
	uint32_t handoff_ring;			/* HandoffRing, power of two */
};

/* One address of a port: the host address and the network it implies. */
struct wg_cfg_port_addr {
	struct wg_ipaddr addr;	/* 192.0.2.1 of "192.0.2.1/24" */
	struct wg_prefix net;	/* 192.0.2.0/24 of "192.0.2.1/24" */
};

/* One static route of a port: dst is reached through the on-link next hop via. */
struct wg_cfg_route {
	struct wg_prefix dst;	/* host bits clear */
	struct wg_ipaddr via;	/* same family as dst */
};

/* [Port NAME]: one DPDK port. */
struct wg_cfg_port {
	char name[WG_CFG_PORT_NAME_LEN];	/* NAME: 1-31 of A-Z a-z 0-9 _ -, unique */
	char device[WG_CFG_DEVICE_LEN];		/* Device: PCI address or vdev string, as written */
	struct wg_cfg_port_addr addrs[WG_CFG_MAX_ADDRS]; /* Address, in written order */
	size_t n_addrs;
	struct wg_ipaddr gw4;			/* Gateway, IPv4 default next hop; af 0 = none */
	struct wg_ipaddr gw6;			/* Gateway, IPv6 default next hop; af 0 = none */
	struct wg_cfg_route *routes;		/* Routes, in written order */
	size_t n_routes;
	bool masquerade;			/* Masquerade: SNAT client sources to this port's address */
	int line;				/* line of the [Port NAME] header */
};

/* [Peer]: a WireGuard client. */
struct wg_cfg_peer {
	uint8_t public_key[WG_CFG_KEY_LEN];	/* PublicKey, unique among peers */
	uint8_t psk[WG_CFG_KEY_LEN];		/* PresharedKey / PresharedKeyFile; zero if none */
	bool has_psk;
	struct wg_prefix *allowed;		/* AllowedIPs: host bits clear, no overlap with other peers */
	size_t n_allowed;			/* >= 1 */
	struct wg_ipaddr endpoint_ip;		/* Endpoint; af 0 = none (learnt from handshakes) */
	uint16_t endpoint_port;			/* 0 = no Endpoint */
	uint16_t persistent_keepalive;		/* PersistentKeepalive, seconds; 0 = off */
	int line;				/* line of the [Peer] header */
};

enum wg_cfg_resource_kind {
	WG_CFG_RES_CIDR = 0,	/* prefix: a network, or a host as /32 or /128 */
	WG_CFG_RES_DNS,		/* dns_pattern: a name or *./?. wildcard */
	WG_CFG_RES_INTERNET,	/* everything not otherwise matched, minus the special ranges */
};

enum wg_cfg_proto {
	WG_CFG_PROTO_TCP = 0,
	WG_CFG_PROTO_UDP,
	WG_CFG_PROTO_ICMP,	/* all ICMP/ICMPv6 types; lo..hi is 0..65535 and unused */
};

/* One element of a resource's allow-set: proto with the port in lo..hi. */
struct wg_cfg_filter {
	enum wg_cfg_proto proto;
	uint16_t lo, hi;	/* inclusive; "tcp" alone is 0..65535 */
};

/* [Resource NAME]: something clients may be granted. */
struct wg_cfg_resource {
	char name[WG_CFG_RESOURCE_NAME_LEN];	/* NAME: 1-63 of A-Z a-z 0-9 _ - ., unique */
	enum wg_cfg_resource_kind kind;
	struct wg_prefix prefix;		/* kind CIDR only */
	char dns_pattern[WG_CFG_DNS_PATTERN_LEN]; /* kind DNS only: lower case, e.g. "*.example.com" */
	struct wg_cfg_filter *filters;		/* Filters; NULL and 0 = every protocol allowed */
	size_t n_filters;
	int line;				/* line of the [Resource NAME] header */
};

/* [Access]: one grant of a resource to a peer. */
struct wg_cfg_access {
	int peer_idx;		/* index into wg_config.peers (Peer = its public key) */
	int resource_idx;	/* index into wg_config.resources (Resource = its name) */
	int64_t expires;	/* Expires, unix seconds; 0 = never */
	int line;		/* line of the [Access] header */
};

/* [Signaling]: the shared store that carries dynamic grants. */
struct wg_cfg_signaling {
	bool has_redis;				/* false: static config only */
	char redis[WG_CFG_REDIS_LEN];		/* Redis: redis://... or redis+sentinel://... */
	char gateway_id[WG_CFG_GATEWAY_ID_LEN + 1]; /* GatewayId, lower-case hex; "" = derive it */
};

struct wg_config {
	char path[256];				/* the file it came from */
	struct wg_cfg_interface iface;		/* [Interface], required */
	struct wg_cfg_dataplane dataplane;	/* [Dataplane], optional: all keys have defaults */
	struct wg_cfg_port *ports;		/* [Port NAME] in file order, >= 1 */
	size_t n_ports;
	struct wg_cfg_peer *peers;		/* [Peer] in file order, may be 0 */
	size_t n_peers;
	struct wg_cfg_resource *resources;	/* [Resource NAME] in file order */
	size_t n_resources;
	struct wg_cfg_access *access;		/* [Access] in file order */
	size_t n_access;
	struct wg_cfg_signaling signaling;	/* [Signaling], optional */
};

/* Reads path (NUL-free text), applies the WGATE_* entries of envp (NULL = no
 * environment), validates everything. Returns the config, or NULL with err
 * filled (err may be NULL). Relative PrivateKeyFile/PresharedKeyFile paths in
 * the file are relative to the file's directory (the service runs with cwd
 * /); in an env variable they are relative to the working directory. */
struct wg_config *wg_config_load(const char *path, char *const *envp,
				 struct wg_config_error *err);

/* Same from text already in memory (len bytes, need not be NUL-terminated);
 * name is used in error messages and to resolve relative key file paths. */
struct wg_config *wg_config_parse(const char *name, const char *text, size_t len,
				  char *const *envp, struct wg_config_error *err);

/* The checks across sections that loading runs (AllowedIPs present and
 * without host bits, unique peer keys, no AllowedIPs of two peers
 * overlapping, unique resource names, every [Access] naming an existing
 * peer and resource, once), on a config built in memory (lib/signal's
 * merge). 0; -EINVAL with the first problem in why, entries named by index;
 * -ENOMEM. */
int wg_config_check(const struct wg_config *c, char *why, size_t len);

/* Wipes the keys (sodium_memzero) and frees everything. NULL is fine. */
void wg_config_free(struct wg_config *c);

/* Index of the peer with this public key, or -ENOENT. */
int wg_config_peer_find(const struct wg_config *c, const uint8_t key[WG_CFG_KEY_LEN]);
/* Index of the resource with this name, or -ENOENT. */
int wg_config_resource_find(const struct wg_config *c, const char *name);

#endif
