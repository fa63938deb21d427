/* Unit tests for lib/config: the example and test configs load with the
 * values they spell; every bad config fails with its exact message; env
 * overrides apply and their errors name the variable; no error message ever
 * carries key material. Runs in tests/data (meson workdir). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/config/config.h"
#include "lib/config/values.h"

#define GW_KEY  "mAzYAGQtIhEBBSNt5LIQV5QOpAR+LmfctVU2Lf1ibW0="
#define P1_KEY  "RxhhSsTfcrtA4vDM53B3F7v2/AQ2kkVwhoZ1BMDF70A="
#define P2_KEY  "EvnkRVcrJOyFsW4S3K/tw+L3qDKbD94WIMGL40Wr+n8="
#define PSK1    "YV8F22343pLM9SPovEhe5Y+kpHYv7HHqqNPRVUS8teI="
#define PSK2    "Vfq5qnwrOj4TUZyYO+RRssv07BMlFLyKKwu3sIjDE90="	/* config/keys/psk.key */
#define GW2_KEY "UG4D3EPpg/Fv9tV7v4uV0CzcBns7OHwEytIg5vPGCEY="	/* config/keys/gw.key */

static void b64(const char *s, uint8_t out[32])
{
	size_t n = 0;

	assert_int_equal(sodium_base642bin(out, 32, s, strlen(s), NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL), 0);
	assert_int_equal(n, 32);
}

static void assert_ip(const struct wg_ipaddr *ip, const char *want)
{
	char buf[WG_IPADDR_STRLEN];

	wg_ipaddr_str(ip, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void assert_prefix(const struct wg_prefix *p, const char *want)
{
	char buf[WG_PREFIX_STRLEN];

	wg_prefix_str(p, buf, sizeof(buf));
	assert_string_equal(buf, want);
}

/* Loads path with env and returns the formatted error ("" on success). */
static const char *load_err(const char *path, char *const *env)
{
	static char buf[600];
	struct wg_config_error err;
	struct wg_config *c = wg_config_load(path, env, &err);

	if (c) {
		wg_config_free(c);
		return "";
	}
	wg_config_error_str(&err, buf, sizeof(buf));
	return buf;
}

static void test_good(void **state)
{
	struct wg_config_error err;
	struct wg_config *c;
	uint8_t k[32];
	char *env[] = { "PATH=/bin", NULL };

	(void)state;
	c = wg_config_load("config/good.conf", env, &err);
	if (!c) {
		char buf[600];
		wg_config_error_str(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	b64(GW_KEY, k);
	assert_memory_equal(c->iface.private_key, k, 32);
	assert_int_equal(c->iface.listen_port, 51821);
	assert_int_equal(c->iface.n_addrs, 2);
	assert_ip(&c->iface.addrs[0], "100.64.0.1");
	assert_ip(&c->iface.addrs[1], "fd00:2021:1111::1");
	assert_int_equal(c->iface.mtu, 1400);

	assert_int_equal(c->dataplane.n_lcores, 3);
	assert_int_equal(c->dataplane.lcores[0], 1);
	assert_int_equal(c->dataplane.lcores[1], 2);
	assert_int_equal(c->dataplane.lcores[2], 5);
	assert_int_equal(c->dataplane.memory_mb, 1024);
	assert_int_equal(c->dataplane.crypto, WG_CFG_CRYPTO_LIBSODIUM);
	assert_int_equal(c->dataplane.idle_poll, WG_CFG_IDLE_ADAPTIVE);
	assert_int_equal(c->dataplane.n_eal_args, 2);
	assert_string_equal(c->dataplane.eal_args[0], "--log-level=8");
	assert_string_equal(c->dataplane.eal_args[1], "--no-pci");
	assert_null(c->dataplane.eal_args[2]);

	assert_int_equal(c->n_ports, 2);
	assert_string_equal(c->ports[0].name, "wan");
	assert_string_equal(c->ports[0].device, "net_af_packet0,iface=eth1");
	assert_int_equal(c->ports[0].n_addrs, 2);
	assert_ip(&c->ports[0].addrs[0].addr, "192.0.2.1");
	assert_prefix(&c->ports[0].addrs[0].net, "192.0.2.0/24");
	assert_ip(&c->ports[0].addrs[1].addr, "2001:db8::1");
	assert_prefix(&c->ports[0].addrs[1].net, "2001:db8::/64");
	assert_ip(&c->ports[0].gw4, "192.0.2.254");
	assert_ip(&c->ports[0].gw6, "fe80::1");
	assert_int_equal(c->ports[0].n_routes, 0);
	assert_false(c->ports[0].masquerade);
	assert_int_equal(c->ports[0].line, 15);
	assert_string_equal(c->ports[1].name, "lan");
	assert_int_equal(c->ports[1].gw4.af, 0);
	assert_int_equal(c->ports[1].gw6.af, 0);
	assert_int_equal(c->ports[1].n_routes, 2);
	assert_prefix(&c->ports[1].routes[0].dst, "10.1.0.0/16");
	assert_ip(&c->ports[1].routes[0].via, "198.51.100.126");
	assert_prefix(&c->ports[1].routes[1].dst, "10.2.0.0/16");
	assert_ip(&c->ports[1].routes[1].via, "198.51.100.125");
	assert_true(c->ports[1].masquerade);

	assert_true(c->signaling.has_redis);
	assert_string_equal(c->signaling.redis, "redis://:secret@127.0.0.1:6379/0");
	assert_string_equal(c->signaling.gateway_id,
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");

	assert_int_equal(c->n_peers, 2);
	b64(P1_KEY, k);
	assert_memory_equal(c->peers[0].public_key, k, 32);
	assert_true(c->peers[0].has_psk);
	b64(PSK1, k);
	assert_memory_equal(c->peers[0].psk, k, 32);
	assert_int_equal(c->peers[0].n_allowed, 2);
	assert_prefix(&c->peers[0].allowed[0], "100.64.0.2/32");
	assert_prefix(&c->peers[0].allowed[1], "fd00:2021:1111::2/128");
	assert_ip(&c->peers[0].endpoint_ip, "2001:db8::77");
	assert_int_equal(c->peers[0].endpoint_port, 51820);
	assert_int_equal(c->peers[0].persistent_keepalive, 25);
	b64(P2_KEY, k);
	assert_memory_equal(c->peers[1].public_key, k, 32);
	assert_true(c->peers[1].has_psk);
	b64(PSK2, k);
	assert_memory_equal(c->peers[1].psk, k, 32);
	assert_int_equal(c->peers[1].n_allowed, 2);
	assert_prefix(&c->peers[1].allowed[1], "100.64.1.0/24");
	assert_ip(&c->peers[1].endpoint_ip, "192.0.2.77");
	assert_int_equal(c->peers[1].endpoint_port, 4500);
	assert_int_equal(c->peers[1].persistent_keepalive, 0);
	b64(P2_KEY, k);
	assert_int_equal(wg_config_peer_find(c, k), 1);

	assert_int_equal(c->n_resources, 6);
	assert_string_equal(c->resources[0].name, "web");
	assert_int_equal(c->resources[0].kind, WG_CFG_RES_CIDR);
	assert_prefix(&c->resources[0].prefix, "198.51.100.10/32");
	assert_int_equal(c->resources[0].n_filters, 5);
	assert_int_equal(c->resources[0].filters[0].proto, WG_CFG_PROTO_TCP);
	assert_int_equal(c->resources[0].filters[0].lo, 80);
	assert_int_equal(c->resources[0].filters[0].hi, 80);
	assert_int_equal(c->resources[0].filters[1].lo, 8000);
	assert_int_equal(c->resources[0].filters[1].hi, 8100);
	assert_int_equal(c->resources[0].filters[2].proto, WG_CFG_PROTO_UDP);
	assert_int_equal(c->resources[0].filters[2].lo, 53);
	assert_int_equal(c->resources[0].filters[3].proto, WG_CFG_PROTO_ICMP);
	assert_int_equal(c->resources[0].filters[4].proto, WG_CFG_PROTO_TCP);
	assert_int_equal(c->resources[0].filters[4].lo, 0);
	assert_int_equal(c->resources[0].filters[4].hi, 65535);
	assert_prefix(&c->resources[1].prefix, "10.1.0.0/16");
	assert_int_equal(c->resources[1].n_filters, 0);
	assert_int_equal(c->resources[2].kind, WG_CFG_RES_DNS);
	assert_string_equal(c->resources[2].dns_pattern, "*.example.com");
	assert_int_equal(c->resources[2].n_filters, 0);
	assert_null(c->resources[2].filters);
	assert_string_equal(c->resources[3].dns_pattern, "?.corp.example.com");
	assert_int_equal(c->resources[4].kind, WG_CFG_RES_INTERNET);
	assert_int_equal(c->resources[4].n_filters, 1);
	assert_string_equal(c->resources[5].name, "v6");
	assert_prefix(&c->resources[5].prefix, "2001:db8:100::/48");
	assert_int_equal(wg_config_resource_find(c, "v6"), 5);
	assert_int_equal(wg_config_resource_find(c, "nope"), -ENOENT);

	assert_int_equal(c->n_access, 3);
	assert_int_equal(c->access[0].peer_idx, 0);
	assert_int_equal(c->access[0].resource_idx, 0);
	assert_int_equal(c->access[0].expires, 1796083200);
	assert_int_equal(c->access[1].peer_idx, 1);
	assert_int_equal(c->access[1].expires, 1796083200);	/* +02:00 */
	assert_int_equal(c->access[2].resource_idx, 5);	/* named before it is defined */
	assert_int_equal(c->access[2].expires, 0);
	wg_config_free(c);
}

/* The shipped example must always be valid. */
static void test_example(void **state)
{
	struct wg_config *c;
	struct wg_config_error err;

	(void)state;
	c = wg_config_load("../../config/wgate.conf", NULL, &err);
	if (!c) {
		char buf[600];
		wg_config_error_str(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	assert_int_equal(c->dataplane.n_lcores, 2);
	assert_int_equal(c->n_ports, 2);
	assert_int_equal(c->n_peers, 2);
	assert_int_equal(c->n_resources, 5);
	assert_int_equal(c->n_access, 5);
	assert_false(c->signaling.has_redis);
	wg_config_free(c);
}

static const struct {
	const char *file, *want;
} bad[] = {
	{ "config/bad_key.conf", "config/bad_key.conf:2: [Interface] PrivateKey: not a base64 32-byte key" },
	{ "config/bad_key_char.conf", "config/bad_key_char.conf:2: [Interface] PrivateKey: not a base64 32-byte key" },
	{ "config/missing_private_key.conf", "config/missing_private_key.conf:1: [Interface]: missing PrivateKey or PrivateKeyFile" },
	{ "config/both_private_keys.conf", "config/both_private_keys.conf:3: [Interface] PrivateKeyFile: PrivateKey is set too; use one of them" },
	{ "config/unknown_key.conf", "config/unknown_key.conf:7: [Port wan] ListenPrt: unknown key" },
	{ "config/unknown_section.conf", "config/unknown_section.conf:8: [Peers]: unknown section" },
	{ "config/duplicate_key.conf", "config/duplicate_key.conf:6: [Port wan] Device: duplicate key (first at line 5)" },
	{ "config/duplicate_section.conf", "config/duplicate_section.conf:8: [Interface]: duplicate section (first at line 1)" },
	{ "config/bad_listen_port.conf", "config/bad_listen_port.conf:3: [Interface] ListenPort: not a port number" },
	{ "config/bad_mtu.conf", "config/bad_mtu.conf:3: [Interface] MTU: not a number in 1280..9000" },
	{ "config/bad_prefix.conf", "config/bad_prefix.conf:10: [Peer] AllowedIPs: '100.64.0.300/32' is not a prefix like 100.64.0.2/32" },
	{ "config/host_bits.conf", "config/host_bits.conf:10: [Peer] AllowedIPs: '100.64.0.1/24' has host bits set (the network is 100.64.0.0/24)" },
	{ "config/overlap.conf", "config/overlap.conf:14: [Peer] AllowedIPs: 100.64.0.5/32 overlaps 100.64.0.0/24 of the peer at line 8" },
	{ "config/duplicate_peer.conf", "config/duplicate_peer.conf:13: [Peer] PublicKey: same key as the peer at line 8" },
	{ "config/missing_allowed.conf", "config/missing_allowed.conf:8: [Peer]: missing AllowedIPs" },
	{ "config/access_unknown_peer.conf", "config/access_unknown_peer.conf:16: [Access] Peer: no [Peer] has this public key" },
	{ "config/access_unknown_resource.conf", "config/access_unknown_resource.conf:17: [Access] Resource: no [Resource db] in this file" },
	{ "config/duplicate_access.conf", "config/duplicate_access.conf:19: [Access]: grants the same Peer and Resource as the [Access] at line 15" },
	{ "config/bad_expires.conf", "config/bad_expires.conf:18: [Access] Expires: not an RFC 3339 time like 2026-12-01T00:00:00Z" },
	{ "config/bad_filter_range.conf", "config/bad_filter_range.conf:10: [Resource web] Filters: 'tcp/8100-8000': not a port or a range lo-hi with lo <= hi <= 65535" },
	{ "config/bad_filter_proto.conf", "config/bad_filter_proto.conf:10: [Resource web] Filters: 'sctp/80': protocol is not tcp, udp or icmp" },
	{ "config/bad_filter_icmp.conf", "config/bad_filter_icmp.conf:10: [Resource web] Filters: 'icmp/8': icmp takes no port" },
	{ "config/bad_filter_empty_item.conf", "config/bad_filter_empty_item.conf:10: [Resource web] Filters: empty list item" },
	{ "config/bad_resource_address.conf", "config/bad_resource_address.conf:9: [Resource web] Address: 'bad_name!' is not a CIDR prefix, an IP address, a DNS name or 'internet'" },
	{ "config/bad_resource_ip.conf", "config/bad_resource_ip.conf:9: [Resource web] Address: '198.51.100.300' is not a CIDR prefix, an IP address, a DNS name or 'internet'" },
	{ "config/resource_host_bits.conf", "config/resource_host_bits.conf:9: [Resource web] Address: '10.0.0.1/8' has host bits set (the network is 10.0.0.0/8)" },
	{ "config/resource_tunnel.conf", "config/resource_tunnel.conf:9: [Resource web] Address: '100.64.0.0/16' lies in 100.64.0.0/11, which is never a resource" },
	{ "config/duplicate_resource.conf", "config/duplicate_resource.conf:11: [Resource web]: duplicate resource name (first at line 8)" },
	{ "config/missing_resource_address.conf", "config/missing_resource_address.conf:8: [Resource web]: missing Address" },
	{ "config/bad_lcores.conf", "config/bad_lcores.conf:9: [Dataplane] Lcores: needs at least 2 cores (the first controls, the rest forward)" },
	{ "config/bad_lcores_range.conf", "config/bad_lcores_range.conf:9: [Dataplane] Lcores: range '3-1' runs backwards" },
	{ "config/bad_lcores_twice.conf", "config/bad_lcores_twice.conf:9: [Dataplane] Lcores: core 2 is listed twice" },
	{ "config/bad_lcores_max.conf", "config/bad_lcores_max.conf:9: [Dataplane] Lcores: core 128 is over the maximum 127" },
	{ "config/bad_crypto.conf", "config/bad_crypto.conf:9: [Dataplane] Crypto: not auto, ipsec-mb or libsodium" },
	{ "config/bad_routes.conf", "config/bad_routes.conf:7: [Port wan] Routes: '10.1.0.0/16 192.0.2.254' is not 'PREFIX via ADDRESS'" },
	{ "config/bad_routes_offlink.conf", "config/bad_routes_offlink.conf:7: [Port wan] Routes: next hop 198.51.100.1 is not inside any Address of this port" },
	{ "config/bad_routes_family.conf", "config/bad_routes_family.conf:7: [Port wan] Routes: '2001:db8::/32 via 192.0.2.254': next hop and prefix are of different families" },
	{ "config/bad_gateway.conf", "config/bad_gateway.conf:7: [Port wan] Gateway: 198.51.100.1 is not inside any Address of this port" },
	{ "config/two_gateways.conf", "config/two_gateways.conf:7: [Port wan] Gateway: more than one IPv4 gateway" },
	{ "config/port_network_address.conf", "config/port_network_address.conf:6: [Port wan] Address: '192.0.2.0/24' is not a host address of its network" },
	{ "config/bad_masquerade.conf", "config/bad_masquerade.conf:7: [Port wan] Masquerade: not true or false" },
	{ "config/missing_device.conf", "config/missing_device.conf:4: [Port wan]: missing Device" },
	{ "config/duplicate_port.conf", "config/duplicate_port.conf:8: [Port wan]: duplicate port name (first at line 4)" },
	{ "config/port_no_name.conf", "config/port_no_name.conf:8: [Port]: needs a name, like [Port wan]" },
	{ "config/peer_with_name.conf", "config/peer_with_name.conf:8: [Peer alice]: takes no name" },
	{ "config/no_port.conf", "config/no_port.conf: no [Port NAME] section (at least one is required)" },
	{ "config/no_interface.conf", "config/no_interface.conf: no [Interface] section (PrivateKey is required)" },
	{ "config/bad_psk_file.conf", "config/bad_psk_file.conf:11: [Peer] PresharedKeyFile: cannot read config/keys/missing.key: No such file or directory" },
	{ "config/bad_psk_content.conf", "config/bad_psk_content.conf:11: [Peer] PresharedKeyFile: config/keys/bad.key does not hold a base64 32-byte key" },
	{ "config/both_psk.conf", "config/both_psk.conf:12: [Peer] PresharedKey: PresharedKeyFile is set too; use one of them" },
	{ "config/bad_endpoint.conf", "config/bad_endpoint.conf:11: [Peer] Endpoint: 'vpn.example.com:51820' is not IP:port or [IPv6]:port (names are not resolved)" },
	{ "config/bad_keepalive.conf", "config/bad_keepalive.conf:11: [Peer] PersistentKeepalive: not a number of seconds in 0..65535 or off" },
	{ "config/bad_redis.conf", "config/bad_redis.conf:9: [Signaling] Redis: not a redis:// or redis+sentinel:// URL" },
	{ "config/bad_gateway_id.conf", "config/bad_gateway_id.conf:9: [Signaling] GatewayId: not 64 hex digits" },
	{ "config/syntax_no_equals.conf", "config/syntax_no_equals.conf:7: expected 'Key = Value' or a [Section] header" },
	{ "config/syntax_bare_key.conf", "config/syntax_bare_key.conf:7: expected 'Key = Value' (key names are letters and digits)" },
	{ "config/syntax_header.conf", "config/syntax_header.conf:7: section header without closing ']'" },
	{ "config/key_outside_section.conf", "config/key_outside_section.conf:1: ListenPort: key outside any section" },
	{ "config/does_not_exist.conf",
	  "config/does_not_exist.conf: cannot read: No such file or directory" },
};

static void test_bad_files(void **state)
{
	int failed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *got = load_err(bad[i].file, NULL);

		if (strcmp(got, bad[i].want)) {
			print_error("%s\n  want: %s\n  got:  %s\n", bad[i].file, bad[i].want, got);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* Key material never reaches an error message, whatever went wrong. */
static void test_no_secrets_in_errors(void **state)
{
	static const struct {
		const char *file;
		const char *secret;
	} cases[] = {
		{ "config/bad_key.conf", "mAzYAGQt" },
		{ "config/bad_key.conf", "1ibW0" },
		{ "config/bad_key_char.conf", "mAzYAGQt" },
		{ "config/syntax_bare_key.conf", "RxhhSsTf" },
		{ "config/bad_psk_content.conf", "SECRET" },
		{ "config/bad_redis.conf", "hunter2" },
	};
	char *env[] = { "WGATE_INTERFACE_PRIVATEKEY=TOPSECRETKEYmaterial0123456789abcdefghij=", NULL };
	const char *got;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = load_err(cases[i].file, NULL);
		assert_string_not_equal(got, "");
		assert_null(strstr(got, cases[i].secret));
	}
	got = load_err("config/good.conf", env);
	assert_string_equal(got, "environment WGATE_INTERFACE_PRIVATEKEY: not a base64 32-byte key");
	assert_null(strstr(got, "TOPSECRET"));
}

/* A feature-flag pin is checked where the rest of the environment is, so
 * --check refuses it too, naming the variable. */
static void test_env_flag_pins(void **state)
{
	char *unknown[] = { "WGATE_FLAG_NO_SUCH_FLAG=true", NULL };
	char *badval[] = { "WGATE_FLAG_STREAM_LOGS=enabled", NULL };

	(void)state;
	assert_string_equal(load_err("config/good.conf", unknown),
			    "environment WGATE_FLAG_NO_SUCH_FLAG: no such feature flag (known: "
			    "icmp-errors-on-deny, dns-ttl-resolution, stream-logs, "
			    "enobufs-as-would-block)");
	assert_string_equal(load_err("config/good.conf", badval),
			    "environment WGATE_FLAG_STREAM_LOGS: \"enabled\" is not true or false");
}

static void test_env_overrides(void **state)
{
	char *env[] = {
		"HOME=/root",
		"WGATE_CONFIG=/elsewhere.conf",		/* not config keys: ignored */
		"WGATE_LOG=warn,dataplane=debug",
		"WGATE_LOG_FORMAT=json",
		"WGATE_METRICS=otlp",
		"WGATE_FLAGS_URL=https://flags.example.com",
		"WGATE_FLAGS_KEY=phc_x",
		"WGATE_FLAG_STREAM_LOGS=true",
		"WGATE_FLAG_ICMP_ERRORS_ON_DENY=off",
		"WGATE_NO_TELEMETRY=1",
		"WGATE_FLAGS_INTERVAL_MS=1000",
		"WGATE_DNS_SERVERS=192.0.2.53",
		"WGATE_INTERFACE_LISTENPORT=4500",
		"WGATE_INTERFACE_MTU=1280",
		"WGATE_INTERFACE_PRIVATEKEYFILE=config/keys/gw.key",	/* replaces PrivateKey */
		"WGATE_DATAPLANE_LCORES=0-1,4",
		"WGATE_DATAPLANE_EALARGS=",
		"WGATE_SIGNALING_REDIS=redis+sentinel://192.0.2.9:26379/mymaster/0",
		NULL,
	};
	struct wg_config_error err;
	struct wg_config *c;
	uint8_t k[32];

	(void)state;
	c = wg_config_load("config/good.conf", env, &err);
	assert_non_null(c);
	assert_int_equal(c->iface.listen_port, 4500);
	assert_int_equal(c->iface.mtu, 1280);
	b64(GW2_KEY, k);
	assert_memory_equal(c->iface.private_key, k, 32);
	assert_int_equal(c->dataplane.n_lcores, 3);
	assert_int_equal(c->dataplane.lcores[2], 4);
	assert_int_equal(c->dataplane.n_eal_args, 0);
	assert_null(c->dataplane.eal_args[0]);
	assert_string_equal(c->signaling.redis, "redis+sentinel://192.0.2.9:26379/mymaster/0");
	assert_int_equal(c->iface.n_addrs, 2);	/* untouched keys stay */
	wg_config_free(c);
}

/* Single-instance sections missing from the file are created by env. */
static void test_env_creates_sections(void **state)
{
	char *env[] = {
		"WGATE_INTERFACE_PRIVATEKEY=" GW_KEY,
		"WGATE_SIGNALING_GATEWAYID=ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
		NULL,
	};
	char *env_off[] = { "WGATE_SIGNALING_REDIS=", NULL };
	struct wg_config *c;
	uint8_t k[32];

	(void)state;
	c = wg_config_load("config/no_interface.conf", env, NULL);
	assert_non_null(c);
	b64(GW_KEY, k);
	assert_memory_equal(c->iface.private_key, k, 32);
	assert_int_equal(c->iface.listen_port, 51820);	/* defaults */
	assert_int_equal(c->iface.mtu, 1420);
	assert_int_equal(c->dataplane.n_lcores, 2);
	assert_int_equal(c->dataplane.lcores[0], 0);
	assert_int_equal(c->dataplane.lcores[1], 1);
	assert_int_equal(c->dataplane.memory_mb, 512);
	assert_int_equal(c->dataplane.crypto, WG_CFG_CRYPTO_AUTO);
	assert_int_equal(c->dataplane.idle_poll, WG_CFG_IDLE_BUSY);
	assert_non_null(c->dataplane.eal_args);
	assert_false(c->signaling.has_redis);
	assert_string_equal(c->signaling.gateway_id,
			    "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	wg_config_free(c);

	/* An empty WGATE_SIGNALING_REDIS turns off the file's Redis. */
	c = wg_config_load("config/good.conf", env_off, NULL);
	assert_non_null(c);
	assert_false(c->signaling.has_redis);
	wg_config_free(c);
}

static void test_env_errors(void **state)
{
	static const struct {
		char *var;
		const char *want;
	} cases[] = {
		{ "WGATE_INTERFACE_LISTENPORT=abc",
		  "environment WGATE_INTERFACE_LISTENPORT: not a port number" },
		{ "WGATE_INTERFACE_LISTENPORT=0",
		  "environment WGATE_INTERFACE_LISTENPORT: not a port number" },
		{ "WGATE_INTERFACE_LISTENPRT=1",
		  "environment WGATE_INTERFACE_LISTENPRT: [Interface] has no such key" },
		{ "WGATE_PEER_PUBLICKEY=" P1_KEY,
		  "environment WGATE_PEER_PUBLICKEY: [Peer] sections cannot be set from the environment" },
		{ "WGATE_PORT_DEVICE=x",
		  "environment WGATE_PORT_DEVICE: [Port] sections cannot be set from the environment" },
		{ "WGATE_NOPE=1", "environment WGATE_NOPE: not a wgate setting" },
		{ "WGATE_DNS_SERVERS=10.0.0.53,resolver.example",
		  "environment WGATE_DNS_SERVERS: 'resolver.example' is not an IP address, IP:port or [IPv6]:port" },
		{ "WGATE_interface_mtu=1400", "environment WGATE_interface_mtu: not a wgate setting" },
		{ "WGATE_DATAPLANE_LCORES=5",
		  "environment WGATE_DATAPLANE_LCORES: needs at least 2 cores (the first controls, the rest forward)" },
		{ "WGATE_DATAPLANE_IDLEPOLL=lazy",
		  "environment WGATE_DATAPLANE_IDLEPOLL: not busy or adaptive" },
		{ "WGATE_DATAPLANE_MEMORY=12",
		  "environment WGATE_DATAPLANE_MEMORY: not a size in MB in 64..1048576" },
		{ "WGATE_SIGNALING_REDIS=rediss://x",
		  "environment WGATE_SIGNALING_REDIS: not a redis:// or redis+sentinel:// URL" },
		{ "WGATE_INTERFACE_PRIVATEKEYFILE=config/keys/missing.key",
		  "environment WGATE_INTERFACE_PRIVATEKEYFILE: cannot read config/keys/missing.key: No such file or directory" },
		{ "WGATE_INTERFACE_MTU", "environment WGATE_INTERFACE_MTU: no value" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env[] = { "WGATE_LOG=info", cases[i].var, NULL };

		assert_string_equal(load_err("config/good.conf", env), cases[i].want);
	}
}

/* Lexing corner cases, from memory: CRLF, BOM, comments, spacing, case. */
static void test_parse_text(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf; leading comment\r\n"
		"  # indented comment\r\n"
		"[ interface ]   # spaces inside the brackets\r\n"
		"privatekey=" GW_KEY ";not a comment\r\n"
		"\r\n"
		"[Port  a-1]\r\n"
		"  DEVICE   =   net_null0   ; comment\r\n"
		"Address = 2001:db8::1/64\r\n"
		"Gateway = fe80::1\r\n"
		"Masquerade = ON\r\n";
	static const char bad_key_semicolon[] =
		"[Interface]\nPrivateKey = " GW_KEY ";x\n[Port a]\nDevice = d\n";
	struct wg_config_error err;
	struct wg_config *c;
	char buf[600];

	(void)state;
	/* ";not a comment" has no space before it: it belongs to the value. */
	c = wg_config_parse("mem.conf", text, sizeof(text) - 1, NULL, &err);
	assert_null(c);
	wg_config_error_str(&err, buf, sizeof(buf));
	assert_string_equal(buf, "mem.conf:4: [Interface] PrivateKey: not a base64 32-byte key");

	c = wg_config_parse("mem.conf", bad_key_semicolon, sizeof(bad_key_semicolon) - 1, NULL,
			    &err);
	assert_null(c);

	/* The same with whitespace before the ';': a comment. */
	char fixed[sizeof(text) + 1];
	const char *semi = strstr(text, ";not");
	size_t at = (size_t)(semi - text);
	memcpy(fixed, text, at);
	fixed[at] = ' ';
	memcpy(fixed + at + 1, semi, sizeof(text) - at);
	c = wg_config_parse("mem.conf", fixed, sizeof(fixed) - 1, NULL, &err);
	if (!c) {
		wg_config_error_str(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	assert_string_equal(c->ports[0].name, "a-1");
	assert_string_equal(c->ports[0].device, "net_null0");
	assert_true(c->ports[0].masquerade);
	assert_int_equal(c->ports[0].line, 6);
	wg_config_free(c);

	/* A NUL byte is an error, not the end of the file. */
	static const char nul[] = "[Interface]\n\0PrivateKey = x\n";
	c = wg_config_parse("nul.conf", nul, sizeof(nul) - 1, NULL, &err);
	assert_null(c);
	wg_config_error_str(&err, buf, sizeof(buf));
	assert_string_equal(buf, "nul.conf:2: NUL byte in the file");
}

/* [Dataplane] resource bounds: defaults, every key set, ranges, powers of
 * two for rings, file:line errors, environment overrides. */
static const char *parse_err(const char *text, char *const *env, struct wg_config **out)
{
	static char buf[600];
	struct wg_config_error err;
	struct wg_config *c = wg_config_parse("b.conf", text, strlen(text), env, &err);

	buf[0] = '\0';
	if (!c)
		wg_config_error_str(&err, buf, sizeof(buf));
	if (out)
		*out = c;
	else
		wg_config_free(c);
	return buf;
}

static void test_bounds(void **state)
{
	static const char base[] = "[Interface]\nPrivateKey = " GW_KEY "\n[Port a]\nDevice = d\n";
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "MaxPeers = 0", "b.conf:6: [Dataplane] MaxPeers: not a number in 1..1048576" },
		{ "MaxPeers = 1048577", "b.conf:6: [Dataplane] MaxPeers: not a number in 1..1048576" },
		{ "MaxGrants = -1", "b.conf:6: [Dataplane] MaxGrants: not a number in 1..16777216" },
		{ "NatEntries = 15", "b.conf:6: [Dataplane] NatEntries: not a number in 16..16777216" },
		{ "DnsCacheEntries = lots",
		  "b.conf:6: [Dataplane] DnsCacheEntries: not a number in 16..16777216" },
		{ "PuntRing = 1000", "b.conf:6: [Dataplane] PuntRing: 1000 is not a power of two (a ring size)" },
		{ "EventRing = 32", "b.conf:6: [Dataplane] EventRing: not a number in 64..1048576" },
		{ "TxRing = 2097152", "b.conf:6: [Dataplane] TxRing: not a number in 64..1048576" },
		{ "HandoffRing = 3072",
		  "b.conf:6: [Dataplane] HandoffRing: 3072 is not a power of two (a ring size)" },
	};
	char text[1024];
	struct wg_config *c;

	(void)state;
	assert_string_equal(parse_err(base, NULL, &c), "");
	assert_int_equal(c->dataplane.max_peers, WG_CFG_MAX_PEERS_DEFAULT);
	assert_int_equal(c->dataplane.max_grants, WG_CFG_MAX_GRANTS_DEFAULT);
	assert_int_equal(c->dataplane.nat_entries, WG_CFG_NAT_ENTRIES_DEFAULT);
	assert_int_equal(c->dataplane.dns_cache_entries, WG_CFG_DNS_CACHE_DEFAULT);
	assert_int_equal(c->dataplane.punt_ring, 4096);
	assert_int_equal(c->dataplane.event_ring, 4096);
	assert_int_equal(c->dataplane.tx_ring, 1024);
	assert_int_equal(c->dataplane.handoff_ring, 2048);
	wg_config_free(c);

	snprintf(text, sizeof(text), "%s[Dataplane]\nMaxPeers = 2\nmaxgrants = 3\nNatEntries = 16\n"
		 "DnsCacheEntries = 20\nPuntRing = 64\nEventRing = 128\nTxRing = 256\n"
		 "HandoffRing = 1048576\n", base);
	assert_string_equal(parse_err(text, NULL, &c), "");
	assert_int_equal(c->dataplane.max_peers, 2);
	assert_int_equal(c->dataplane.max_grants, 3);
	assert_int_equal(c->dataplane.nat_entries, 16);
	assert_int_equal(c->dataplane.dns_cache_entries, 20);
	assert_int_equal(c->dataplane.punt_ring, 64);
	assert_int_equal(c->dataplane.event_ring, 128);
	assert_int_equal(c->dataplane.tx_ring, 256);
	assert_int_equal(c->dataplane.handoff_ring, 1048576);
	wg_config_free(c);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s[Dataplane]\n%s\n", base, bad[i].line);
		assert_string_equal(parse_err(text, NULL, NULL), bad[i].want);
	}

	/* The environment sets and overrides them like any [Dataplane] key. */
	{
		char *env[] = { "WGATE_DATAPLANE_MAXPEERS=5", "WGATE_DATAPLANE_PUNTRING=512", NULL };
		char *bad_env[] = { "WGATE_DATAPLANE_TXRING=100", NULL };

		snprintf(text, sizeof(text), "%s[Dataplane]\nMaxPeers = 2\n", base);
		assert_string_equal(parse_err(text, env, &c), "");
		assert_int_equal(c->dataplane.max_peers, 5);
		assert_int_equal(c->dataplane.punt_ring, 512);
		wg_config_free(c);
		assert_string_equal(parse_err(base, bad_env, NULL),
				    "environment WGATE_DATAPLANE_TXRING: 100 is not a power of two"
				    " (a ring size)");
	}
}

static void test_error_str(void **state)
{
	struct wg_config_error e = { .file = "wgate.conf", .line = 12,
				     .msg = "[Peer] PublicKey: not a base64 32-byte key" };
	char buf[600];

	(void)state;
	wg_config_error_str(&e, buf, sizeof(buf));
	assert_string_equal(buf, "wgate.conf:12: [Peer] PublicKey: not a base64 32-byte key");
	e.line = 0;
	wg_config_error_str(&e, buf, sizeof(buf));
	assert_string_equal(buf, "wgate.conf: [Peer] PublicKey: not a base64 32-byte key");
	e = (struct wg_config_error){ .var = "WGATE_INTERFACE_LISTENPORT", .msg = "not a port number" };
	wg_config_error_str(&e, buf, sizeof(buf));
	assert_string_equal(buf, "environment WGATE_INTERFACE_LISTENPORT: not a port number");
	wg_config_free(NULL);
}

static void test_lcores(void **state)
{
	static const struct {
		const char *s;
		int n;			/* -1: error */
		unsigned int first, last;
	} cases[] = {
		{ "0-1", 2, 0, 1 },	{ "0-3", 4, 0, 3 },	 { "0,2,4", 3, 0, 4 },
		{ "1-2,5", 3, 1, 5 },	{ " 3 , 1 ", 2, 3, 1 },	 { "0-127", 128, 0, 127 },
		{ "0", -1, 0, 0 },	{ "", -1, 0, 0 },	 { "1-1", -1, 0, 0 },
		{ "0-", -1, 0, 0 },	{ "-1,2", -1, 0, 0 },	 { "a,b", -1, 0, 0 },
		{ "0,,1", -1, 0, 0 },	{ "0-1,1", -1, 0, 0 },	 { "0,128", -1, 0, 0 },
		{ "0x1,2", -1, 0, 0 },	{ "0 1", -1, 0, 0 },	 { "99999999999,1", -1, 0, 0 },
	};
	unsigned int v[WG_CFG_MAX_LCORES];
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = 0;
		int rc = wg_cfgval_lcores(cases[i].s, v, &n, why, sizeof(why));

		if (cases[i].n < 0) {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted", cases[i].s);
			continue;
		}
		if (rc)
			fail_msg("'%s': %s", cases[i].s, why);
		assert_int_equal(n, cases[i].n);
		assert_int_equal(v[0], cases[i].first);
		assert_int_equal(v[n - 1], cases[i].last);
	}
}

static void test_rfc3339(void **state)
{
	static const struct {
		const char *s;
		int64_t t;	/* 0: error */
	} cases[] = {
		{ "2026-12-01T00:00:00Z", 1796083200 },
		{ "2026-12-01t00:00:00z", 1796083200 },
		{ "2027-06-30T18:00:00+02:00", 1814371200 },
		{ "2024-02-29T12:34:56Z", 1709210096 },
		{ "1999-12-31T23:59:59-05:30", 946704599 },
		{ "2026-12-01T00:00:00.999Z", 1796083200 },
		{ "1970-01-01T00:00:01Z", 1 },
		{ "2016-12-31T23:59:60Z", 1483228800 },
		{ "1970-01-01T00:00:00Z", 0 },
		{ "1969-12-31T23:59:59Z", 0 },
		{ "2023-02-29T00:00:00Z", 0 },
		{ "2026-04-31T00:00:00Z", 0 },
		{ "2026-13-01T00:00:00Z", 0 },
		{ "2026-12-01T24:00:00Z", 0 },
		{ "2026-12-01T00:60:00Z", 0 },
		{ "2026-12-01T00:00:00", 0 },
		{ "2026-12-01 00:00:00Z", 0 },
		{ "2026-12-01", 0 },
		{ "2026-12-01T00:00:00+0200", 0 },
		{ "2026-12-01T00:00:00.Z", 0 },
		{ "2026-12-01T00:00:00Zjunk", 0 },
		{ "", 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t t = -1;
		int rc = wg_cfgval_rfc3339(cases[i].s, &t);

		if (!cases[i].t) {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted", cases[i].s);
			continue;
		}
		if (rc)
			fail_msg("'%s' rejected", cases[i].s);
		assert_int_equal(t, cases[i].t);
	}
}

static void test_filters(void **state)
{
	static const struct {
		const char *s;
		int ok;
		enum wg_cfg_proto proto;
		uint16_t lo, hi;
	} cases[] = {
		{ "tcp/80", 1, WG_CFG_PROTO_TCP, 80, 80 },
		{ "tcp/8000-8100", 1, WG_CFG_PROTO_TCP, 8000, 8100 },
		{ "udp/53", 1, WG_CFG_PROTO_UDP, 53, 53 },
		{ "UDP/0-65535", 1, WG_CFG_PROTO_UDP, 0, 65535 },
		{ "icmp", 1, WG_CFG_PROTO_ICMP, 0, 65535 },
		{ "tcp", 1, WG_CFG_PROTO_TCP, 0, 65535 },
		{ "tcp/443-443", 1, WG_CFG_PROTO_TCP, 443, 443 },
		{ "tcp/65536", 0, 0, 0, 0 },
		{ "tcp/100-99", 0, 0, 0, 0 },
		{ "tcp/", 0, 0, 0, 0 },
		{ "tcp/80-", 0, 0, 0, 0 },
		{ "tcp/-80", 0, 0, 0, 0 },
		{ "tcp/8o", 0, 0, 0, 0 },
		{ "icmp/0", 0, 0, 0, 0 },
		{ "gre", 0, 0, 0, 0 },
		{ "tcpx/80", 0, 0, 0, 0 },
	};
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wg_cfg_filter f;
		int rc = wg_cfgval_filter(cases[i].s, &f, why, sizeof(why));

		if (!cases[i].ok) {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted", cases[i].s);
			continue;
		}
		if (rc)
			fail_msg("'%s': %s", cases[i].s, why);
		assert_int_equal(f.proto, cases[i].proto);
		assert_int_equal(f.lo, cases[i].lo);
		assert_int_equal(f.hi, cases[i].hi);
	}
}

static void test_resource_address(void **state)
{
	static const struct {
		const char *s;
		int kind;	/* -1: error */
		const char *want;
	} cases[] = {
		{ "10.0.0.0/24", WG_CFG_RES_CIDR, "10.0.0.0/24" },
		{ "10.0.0.7", WG_CFG_RES_CIDR, "10.0.0.7/32" },
		{ "2001:db8::/32", WG_CFG_RES_CIDR, "2001:db8::/32" },
		{ "2001:db8::5", WG_CFG_RES_CIDR, "2001:db8::5/128" },
		{ "0.0.0.0/0", WG_CFG_RES_CIDR, "0.0.0.0/0" },
		{ "Internet", WG_CFG_RES_INTERNET, NULL },
		{ "app.example.com", WG_CFG_RES_DNS, "app.example.com" },
		{ "App.Example.com.", WG_CFG_RES_DNS, "app.example.com" },
		{ "*.example.com", WG_CFG_RES_DNS, "*.example.com" },
		{ "?.example.com", WG_CFG_RES_DNS, "?.example.com" },
		{ "intranet", WG_CFG_RES_DNS, "intranet" },
		{ "_sip._tcp.example.com", WG_CFG_RES_DNS, "_sip._tcp.example.com" },
		{ "10.0.0.1/24", -1, NULL },
		{ "10.0.0.256", -1, NULL },
		{ "10.0.0/24", -1, NULL },
		{ "2001:db8::g", -1, NULL },
		{ "app.*.example.com", -1, NULL },
		{ "**.example.com", -1, NULL },
		{ "*", -1, NULL },
		{ "-app.example.com", -1, NULL },
		{ "app..example.com", -1, NULL },
		{ "app example.com", -1, NULL },
		{ "100.64.3.0/24", -1, NULL },
		{ "100.96.0.1", -1, NULL },
		{ "fd00:2021:1111::/107", -1, NULL },
		{ "", -1, NULL },
	};
	char why[200], buf[WG_PREFIX_STRLEN];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wg_cfg_resource r;
		int rc;

		memset(&r, 0, sizeof(r));
		rc = wg_cfgval_resource_address(cases[i].s, &r, why, sizeof(why));
		if (cases[i].kind < 0) {
			if (rc != -EINVAL)
				fail_msg("'%s' accepted", cases[i].s);
			continue;
		}
		if (rc)
			fail_msg("'%s': %s", cases[i].s, why);
		assert_int_equal(r.kind, cases[i].kind);
		if (r.kind == WG_CFG_RES_CIDR) {
			wg_prefix_str(&r.prefix, buf, sizeof(buf));
			assert_string_equal(buf, cases[i].want);
		} else if (r.kind == WG_CFG_RES_DNS) {
			assert_string_equal(r.dns_pattern, cases[i].want);
		}
	}
}

static void test_small_values(void **state)
{
	uint8_t k[32];
	unsigned long u;
	bool b;
	size_t n;
	char **v;
	struct wg_ipaddr a;
	struct wg_prefix p;
	char id[65];

	(void)state;
	assert_int_equal(wg_cfgval_key(GW_KEY, k), 0);
	assert_int_equal(wg_cfgval_key(GW_KEY "A", k), -EINVAL);
	assert_int_equal(wg_cfgval_key("mAzYAGQtIhEBBSNt5LIQV5QOpAR+LmfctVU2Lf1ibW1=", k),
			 -EINVAL);	/* non-zero padding bits */
	assert_int_equal(wg_cfgval_key("mAzYAGQtIhEBBSNt5LIQV5QOpAR-LmfctVU2Lf1ibW0=", k),
			 -EINVAL);	/* URL-safe alphabet */
	assert_int_equal(wg_cfgval_key("", k), -EINVAL);

	assert_int_equal(wg_cfgval_uint("65535", 1, 65535, &u), 0);
	assert_int_equal(u, 65535);
	assert_int_equal(wg_cfgval_uint("+5", 0, 10, &u), -EINVAL);
	assert_int_equal(wg_cfgval_uint(" 5", 0, 10, &u), -EINVAL);
	assert_int_equal(wg_cfgval_uint("99999999999999999999", 0, 10, &u), -EINVAL);

	assert_int_equal(wg_cfgval_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(wg_cfgval_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(wg_cfgval_bool("2", &b), -EINVAL);

	v = wg_cfgval_split(" a , b,,c ", ',', &n);
	assert_int_equal(n, 4);
	assert_string_equal(v[0], "a");
	assert_string_equal(v[2], "");
	assert_string_equal(v[3], "c");
	assert_null(v[4]);
	free(v);
	v = wg_cfgval_split("   ", ',', &n);
	assert_int_equal(n, 0);
	assert_null(v[0]);
	free(v);
	v = wg_cfgval_split("  -a   b\t c ", 0, &n);
	assert_int_equal(n, 3);
	assert_string_equal(v[0], "-a");
	assert_string_equal(v[2], "c");
	free(v);

	assert_int_equal(wg_cfgval_host_prefix("192.0.2.1/24", &a, &p), 0);
	assert_ip(&a, "192.0.2.1");
	assert_prefix(&p, "192.0.2.0/24");
	assert_int_equal(wg_cfgval_host_prefix("2001:db8::1", &a, &p), 0);
	assert_prefix(&p, "2001:db8::1/128");
	assert_int_equal(wg_cfgval_host_prefix("192.0.2.1/33", &a, &p), -EINVAL);
	assert_int_equal(wg_cfgval_host_prefix("192.0.2.1/", &a, &p), -EINVAL);

	assert_int_equal(wg_cfgval_redis_url("redis://127.0.0.1:6379/0"), 0);
	assert_int_equal(wg_cfgval_redis_url("REDIS://h"), 0);
	assert_int_equal(wg_cfgval_redis_url("redis+sentinel://h:26379/m/0"), 0);
	assert_int_equal(wg_cfgval_redis_url("redis://"), -EINVAL);
	assert_int_equal(wg_cfgval_redis_url("redis:///0"), -EINVAL);
	assert_int_equal(wg_cfgval_redis_url("redis://a b"), -EINVAL);
	assert_int_equal(wg_cfgval_redis_url("unix:///tmp/r.sock"), -EINVAL);

	assert_int_equal(wg_cfgval_hex_id("0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdeF", id), 0);
	assert_int_equal(id[63], 'f');
	assert_int_equal(wg_cfgval_hex_id("0123456789abcdef0123456789abcdef"
					  "0123456789abcdef0123456789abcdeg", id), -EINVAL);
}

/* Overlap detection across many peers: sorted sweep, nested chains. */
static void test_overlap_many(void **state)
{
	static char text[1 << 20];
	struct wg_config_error err;
	struct wg_config *c;
	size_t off;
	char buf[600];
	uint8_t pk[32];
	char b[64];

	(void)state;
	off = (size_t)snprintf(text, sizeof(text),
			       "[Interface]\nPrivateKey = " GW_KEY "\n[Port a]\nDevice = d\n");
	for (int i = 0; i < 2000; i++) {
		memset(pk, 0, sizeof(pk));
		pk[0] = (uint8_t)(i >> 8);
		pk[1] = (uint8_t)i;
		pk[2] = 1;
		sodium_bin2base64(b, sizeof(b), pk, 32, sodium_base64_VARIANT_ORIGINAL);
		off += (size_t)snprintf(text + off, sizeof(text) - off,
					"[Peer]\nPublicKey = %s\nAllowedIPs = 100.64.%d.%d/32, "
					"fd00:2021:1111::%x/128, 10.%d.%d.0/24\n",
					b, i / 256, i % 256, i + 1, i / 256, i % 256);
	}
	c = wg_config_parse("many.conf", text, off, NULL, &err);
	if (!c) {
		wg_config_error_str(&err, buf, sizeof(buf));
		fail_msg("%s", buf);
	}
	assert_int_equal(c->n_peers, 2000);
	wg_config_free(c);

	/* Peer 2000 claims 10.3.0.0/16, containing the /24s of peers 768..1023; the
	 * message names the new prefix, the first contained one, and its peer. */
	memset(pk, 0xee, sizeof(pk));
	sodium_bin2base64(b, sizeof(b), pk, 32, sodium_base64_VARIANT_ORIGINAL);
	off += (size_t)snprintf(text + off, sizeof(text) - off,
				"[Peer]\nPublicKey = %s\nAllowedIPs = 10.3.0.0/16\n", b);
	c = wg_config_parse("many.conf", text, off, NULL, &err);
	assert_null(c);
	wg_config_error_str(&err, buf, sizeof(buf));
	assert_string_equal(buf, "many.conf:6007: [Peer] AllowedIPs: 10.3.0.0/16 overlaps "
				 "10.3.0.0/24 of the peer at line 2309");
}

/* A prefix listed twice in one AllowedIPs is kept once (as wg(8) does):
 * the allowed-IPs map would refuse the repeat and wgate would not start. */
static void test_allowed_repeat(void **state)
{
	static const char text[] =
		"[Interface]\nPrivateKey = " GW_KEY "\n[Port a]\nDevice = net_null0\n"
		"[Peer]\nPublicKey = " P1_KEY "\n"
		"AllowedIPs = 100.64.0.2/32, 10.9.0.0/24, 100.64.0.2/32, 10.9.0.0/24\n";
	struct wg_config_error err;
	struct wg_config *c;

	(void)state;
	c = wg_config_parse("repeat.conf", text, sizeof(text) - 1, NULL, &err);
	assert_non_null(c);
	assert_int_equal(c->peers[0].n_allowed, 2);
	assert_prefix(&c->peers[0].allowed[0], "100.64.0.2/32");
	assert_prefix(&c->peers[0].allowed[1], "10.9.0.0/24");
	wg_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_no_secrets_in_errors),
		cmocka_unit_test(test_env_overrides),
		cmocka_unit_test(test_env_flag_pins),
		cmocka_unit_test(test_env_creates_sections),
		cmocka_unit_test(test_env_errors),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_error_str),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_lcores),
		cmocka_unit_test(test_rfc3339),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_resource_address),
		cmocka_unit_test(test_small_values),
		cmocka_unit_test(test_overlap_many),
		cmocka_unit_test(test_allowed_repeat),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
