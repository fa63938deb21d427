/* Unit tests for lib/signal: every event and its effect on the state, every
 * refusal with its exact reason (and the state left as it was), idempotency,
 * the hash values, builders round-tripping through the parser, the merge
 * over a loaded config (grants resolved to the file's peers and resources,
 * collisions skipped with their reasons), and the gateway id. Runs in
 * tests/data (meson workdir). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "lib/config/config.h"
#include "lib/signal/gateway_id.h"
#include "lib/signal/merge.h"
#include "lib/signal/msg.h"
#include "lib/signal/overlap.h"
#include "lib/signal/state.h"

/* Peers of config/good.conf. */
#define P1_KEY	"RxhhSsTfcrtA4vDM53B3F7v2/AQ2kkVwhoZ1BMDF70A="
#define P2_KEY	"EvnkRVcrJOyFsW4S3K/tw+L3qDKbD94WIMGL40Wr+n8="
#define PSK	"YV8F22343pLM9SPovEhe5Y+kpHYv7HHqqNPRVUS8teI="
/* 32 bytes of 0x01, 0x02, ... */
#define K1	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define K2	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define K3	"AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
#define K4	"BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="

/* Messages are written with ' for " to stay readable. */
#define C1 "{'id':'c1','public_key':'" K1 "','preshared_key':'" PSK "'," \
	   "'ipv4':'100.64.0.10','ipv6':'fd00:2021:1111::10'}"
#define C2 "{'id':'c2','public_key':'" K2 "','ipv4':'100.64.0.11'}"
#define R1 "{'type':'cidr','id':'r1','address':'10.9.0.0/16','name':'R one','filters':" \
	   "[{'protocol':'tcp','port_range_start':80,'port_range_end':443},{'protocol':'icmp'}]}"
#define R2 "{'type':'dns','id':'r2','address':'*.corp.example','filters':[]}"

static char *J(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

static int apply_rc(struct wg_sig_state *s, const char *msg, struct wg_sig_result *res,
		    char *why, size_t len)
{
	char *m = J(msg);
	int rc = wg_sig_apply(s, m, strlen(m), res, why, len);

	free(m);
	return rc;
}

static void apply(struct wg_sig_state *s, const char *msg, struct wg_sig_result *res)
{
	char why[300] = "";
	struct wg_sig_result dummy;

	if (apply_rc(s, msg, res ? res : &dummy, why, sizeof(why)))
		fail_msg("refused: %s (%s)", why, msg);
}

/* The dump line starting with prefix, or "" (static buffer). */
static const char *line(const struct wg_sig_state *s, const char *prefix)
{
	static char buf[2048];
	char *d = wg_sig_state_dump(s), *p = d;

	assert_non_null(d);
	buf[0] = '\0';
	while (p && *p) {
		char *nl = strchr(p, '\n');

		if (!strncmp(p, prefix, strlen(prefix)) &&
		    (p[strlen(prefix)] == ' ' || p[strlen(prefix)] == '\n')) {
			snprintf(buf, sizeof(buf), "%.*s", (int)(nl - p), p);
			break;
		}
		p = nl ? nl + 1 : NULL;
	}
	free(d);
	return buf;
}

static const char *hex_of(uint8_t b)
{
	static char h[65];

	for (int i = 0; i < 32; i++)
		snprintf(h + 2 * i, 3, "%02x", b);
	return h;
}

static void assert_counts(const struct wg_sig_state *s, size_t c, size_t r, size_t g)
{
	assert_int_equal(wg_sig_state_n_clients(s), c);
	assert_int_equal(wg_sig_state_n_resources(s), r);
	assert_int_equal(wg_sig_state_n_grants(s), g);
}

static void test_client_events(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;
	char want[512];

	(void)unused;
	apply(s, "{'event':'client_updated','payload':{'client':" C1 ",'extra':[1,2]}}", &res);
	assert_int_equal(res.event, WG_SIG_EV_CLIENT_UPDATED);
	assert_string_equal(res.client_id, "c1");
	assert_counts(s, 1, 0, 0);
	snprintf(want, sizeof(want), "C c1 present=1 grants=0 key=%s psk=", hex_of(1));
	assert_memory_equal(line(s, "C c1"), want, strlen(want));
	assert_non_null(strstr(line(s, "C c1"), " allowed=100.64.0.10/32,fd00:2021:1111::10/128"));
	assert_null(strstr(line(s, "C c1"), "psk=-"));

	/* Upsert: everything replaced, the psk gone, allowed_ips added. */
	apply(s, "{'event':'client_updated','payload':{'client':{'id':'c1','public_key':'" K3
		 "','ipv4':'100.64.0.12','allowed_ips':['10.50.0.0/24','fd00:1::/64']}}}", NULL);
	snprintf(want, sizeof(want), "C c1 present=1 grants=0 key=%s psk=- "
		 "allowed=100.64.0.12/32,10.50.0.0/24,fd00:1::/64", hex_of(3));
	assert_string_equal(line(s, "C c1"), want);
	assert_counts(s, 1, 0, 0);
	/* The tunnel address listed again in allowed_ips, and a prefix listed
	 * twice, are kept once, in first-seen order. */
	apply(s, "{'event':'client_updated','payload':{'client':{'id':'c1','public_key':'" K3
		 "','ipv4':'100.64.0.12','allowed_ips':['10.50.0.0/24','100.64.0.12/32',"
		 "'fd00:1::/64','10.50.0.0/24']}}}", NULL);
	assert_string_equal(line(s, "C c1"), want);

	/* Deleting takes its grants; resources stay. */
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C2
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'init','payload':{'authorizations':[{'client_id':'c1','resource_id':"
		 "'r1'},{'client_id':'c1','resource_id':'web'},{'client_id':'c2','resource_id':"
		 "'r1'}]}}", NULL);
	assert_counts(s, 2, 1, 3);
	apply(s, "{'event':'client_deleted','payload':{'client_id':'c1'}}", &res);
	assert_int_equal(res.event, WG_SIG_EV_CLIENT_DELETED);
	assert_true(res.client_removed);
	assert_counts(s, 1, 1, 1);
	assert_string_equal(line(s, "C c1"), "");
	assert_string_equal(line(s, "R web"), "");	/* its anchor went with the grant */
	assert_string_equal(line(s, "G c2 r1"), "G c2 r1 expires=0");
	/* An unknown client: nothing to do, no session to close. */
	apply(s, "{'event':'client_deleted','payload':{'client_id':'nobody'}}", &res);
	assert_false(res.client_removed);
	assert_counts(s, 1, 1, 1);
	wg_sig_state_free(s);
}

static void test_create_authorization(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;

	(void)unused;
	apply(s, "{'event':'create_authorization','payload':{'ref':'r-1','client':" C1
		 ",'resource':" R1 ",'expires_at':2000000000}}", &res);
	assert_int_equal(res.event, WG_SIG_EV_CREATE_AUTHORIZATION);
	assert_string_equal(res.ref, "\"r-1\"");
	assert_string_equal(res.client_id, "c1");
	assert_string_equal(res.resource_id, "r1");
	assert_counts(s, 1, 1, 1);
	assert_string_equal(line(s, "R r1"), "R r1 present=1 grants=1 type=cidr addr=10.9.0.0/16 "
					     "name=R\\x20one filters=tcp:80-443,icmp:0-65535");
	assert_string_equal(line(s, "G c1 r1"), "G c1 r1 expires=2000000000");

	/* A number ref comes back as a number; re-granting replaces the expiry. */
	apply(s, "{'event':'create_authorization','payload':{'ref':42,'client':" C1
		 ",'resource':" R1 ",'expires_at':null}}", &res);
	assert_string_equal(res.ref, "42");
	assert_string_equal(line(s, "G c1 r1"), "G c1 r1 expires=0");
	apply(s, "{'event':'create_authorization','payload':{'ref':'x','client':" C1
		 ",'resource':" R2 "}}", NULL);
	assert_counts(s, 1, 2, 2);
	assert_memory_equal(line(s, "C c1"), "C c1 present=1 grants=2 ", 24);
	assert_string_equal(line(s, "R r2"), "R r2 present=1 grants=1 type=dns "
					     "addr=*.corp.example name= filters=");
	/* The internet resource needs no address. */
	apply(s, "{'event':'create_authorization','payload':{'ref':'y','client':" C2
		 ",'resource':{'type':'internet','id':'inet','filters':[{'protocol':'udp',"
		 "'port_range_end':53}]}}}", NULL);
	assert_string_equal(line(s, "R inet"), "R inet present=1 grants=1 type=internet addr=- "
					       "name= filters=udp:0-53");
	/* Without the objects (wgatectl allow for a file's [Peer] or
	 * [Resource]): the ids name them; nothing else changes. */
	apply(s, "{'event':'create_authorization','payload':{'ref':'z','client_id':'" K3 "',"
		 "'resource_id':'web','expires_at':null}}", &res);
	assert_string_equal(res.client_id, K3);
	assert_string_equal(res.resource_id, "web");
	assert_string_equal(line(s, "G " K3 " web"), "G " K3 " web expires=0");
	assert_counts(s, 2, 3, 4);
	apply(s, "{'event':'create_authorization','payload':{'ref':'w','client_id':'c1',"
		 "'resource':" R2 "}}", NULL);
	assert_memory_equal(line(s, "C c1"), "C c1 present=1 grants=2 ", 24);
	wg_sig_state_free(s);
}

static void test_reject_access(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;
	char *before, *after;

	(void)unused;
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C1
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'create_authorization','payload':{'ref':2,'client':" C1
		 ",'resource':" R2 "}}", NULL);
	apply(s, "{'event':'create_authorization','payload':{'ref':3,'client':" C2
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'client_updated','payload':{'client':{'id':'c3','public_key':'" K3
		 "','ipv4':'100.64.0.13'}}}", NULL);
	assert_counts(s, 3, 2, 3);

	apply(s, "{'event':'reject_access','payload':{'client_id':'c1','resource_id':'r1'}}",
	      &res);
	assert_int_equal(res.event, WG_SIG_EV_REJECT_ACCESS);
	assert_false(res.client_removed);
	assert_counts(s, 3, 2, 2);
	assert_string_equal(line(s, "G c1 r1"), "");
	/* c1's last grant: c1 goes, its session must close; r2 stays. */
	apply(s, "{'event':'reject_access','payload':{'client_id':'c1','resource_id':'r2'}}",
	      &res);
	assert_true(res.client_removed);
	assert_counts(s, 2, 2, 1);
	assert_string_equal(line(s, "C c1"), "");
	/* Again: nothing left to do. */
	before = wg_sig_state_dump(s);
	apply(s, "{'event':'reject_access','payload':{'client_id':'c1','resource_id':'r2'}}",
	      &res);
	assert_false(res.client_removed);
	after = wg_sig_state_dump(s);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* c3 never had a grant: a reject does not remove it. */
	apply(s, "{'event':'reject_access','payload':{'client_id':'c3','resource_id':'r1'}}",
	      &res);
	assert_false(res.client_removed);
	assert_counts(s, 2, 2, 1);
	/* A grant to a [Peer] of the file: no Redis client to remove. */
	apply(s, "{'event':'init','payload':{'authorizations':[{'client_id':'c2','resource_id':"
		 "'r1'},{'client_id':'" P1_KEY "','resource_id':'web','expires_at':7}]}}", NULL);
	assert_string_equal(line(s, "C " P1_KEY), "C " P1_KEY " present=0 grants=1 key=- psk=- "
						  "allowed=");
	apply(s, "{'event':'reject_access','payload':{'client_id':'" P1_KEY "','resource_id':"
		 "'web'}}", &res);
	assert_false(res.client_removed);
	assert_string_equal(line(s, "C " P1_KEY), "");
	assert_counts(s, 2, 2, 1);
	wg_sig_state_free(s);
}

static void test_resource_events(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;
	char why[300];

	(void)unused;
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C1
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C2
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'resource_updated','payload':{'resource':{'type':'cidr','id':'r1',"
		 "'address':'10.8.0.1','filters':[{'protocol':'UDP','port_range_start':53}]}}}",
	      &res);
	assert_int_equal(res.event, WG_SIG_EV_RESOURCE_UPDATED);
	assert_string_equal(res.resource_id, "r1");
	assert_string_equal(line(s, "R r1"), "R r1 present=1 grants=2 type=cidr addr=10.8.0.1/32 "
					     "name= filters=udp:53-65535");
	/* A kind never changes. */
	assert_int_equal(apply_rc(s, "{'event':'resource_updated','payload':{'resource':" R2
				  "}}", &res, why, sizeof(why)), 0);
	assert_int_equal(apply_rc(s, "{'event':'resource_updated','payload':{'resource':{'type':"
				  "'dns','id':'r1','address':'a.example','filters':[]}}}", &res,
				  why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "payload.resource.type: cannot change from cidr to dns (delete "
				 "the resource first)");
	assert_int_equal(res.event, WG_SIG_EV_NONE);
	assert_counts(s, 2, 2, 2);

	/* Deleting a resource takes its grants; the clients stay. */
	apply(s, "{'event':'resource_deleted','payload':{'resource_id':'r1'}}", &res);
	assert_int_equal(res.event, WG_SIG_EV_RESOURCE_DELETED);
	assert_false(res.client_removed);
	assert_counts(s, 2, 1, 0);
	assert_string_equal(line(s, "R r1"), "");
	assert_memory_equal(line(s, "C c1"), "C c1 present=1 grants=0 ", 24);
	/* Now r1 may come back as a DNS resource. */
	apply(s, "{'event':'resource_updated','payload':{'resource':{'type':'dns','id':'r1',"
		 "'address':'A.Example.','filters':[]}}}", NULL);
	assert_string_equal(line(s, "R r1"), "R r1 present=1 grants=0 type=dns addr=a.example "
					     "name= filters=");
	wg_sig_state_free(s);
}

static void test_init(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;
	char ip[WG_IPADDR_STRLEN];

	(void)unused;
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C1
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C1
		 ",'resource':" R2 "}}", NULL);
	apply(s, "{'event':'create_authorization','payload':{'ref':1,'client':" C2
		 ",'resource':" R1 "}}", NULL);
	apply(s, "{'event':'init','payload':{'interface':{'ipv4':'100.64.0.1','ipv6':"
		 "'fd00:2021:1111::1'},'authorizations':[{'client_id':'c1','resource_id':'r2',"
		 "'expires_at':5},{'client_id':'" P1_KEY "','resource_id':'web'},{'client_id':"
		 "'c1','resource_id':'r2','expires_at':6}]}}", &res);
	assert_int_equal(res.event, WG_SIG_EV_INIT);
	assert_int_equal(res.n_grants, 3);
	wg_ipaddr_str(&res.iface4, ip, sizeof(ip));
	assert_string_equal(ip, "100.64.0.1");
	wg_ipaddr_str(&res.iface6, ip, sizeof(ip));
	assert_string_equal(ip, "fd00:2021:1111::1");
	/* Exactly the list (the later of two entries wins); clients and
	 * resources stay even without grants. */
	assert_counts(s, 2, 2, 2);
	assert_string_equal(line(s, "G c1 r2"), "G c1 r2 expires=6");
	assert_string_equal(line(s, "G " P1_KEY), "G " P1_KEY " web expires=0");
	assert_string_equal(line(s, "G c1 r1"), "");
	assert_memory_equal(line(s, "C c2"), "C c2 present=1 grants=0 ", 24);
	apply(s, "{'event':'init','payload':{'authorizations':[]}}", &res);
	assert_int_equal(res.iface4.af, 0);
	assert_counts(s, 2, 2, 0);
	assert_string_equal(line(s, "C " P1_KEY), "");
	assert_string_equal(line(s, "R web"), "");
	wg_sig_state_free(s);
}

/* Each event applied twice leaves what it left once. */
static void test_idempotent(void **unused)
{
	static const char *const msgs[] = {
		"{'event':'client_updated','payload':{'client':" C1 "}}",
		"{'event':'create_authorization','payload':{'ref':1,'client':" C1 ",'resource':"
		R1 ",'expires_at':9}}",
		"{'event':'create_authorization','payload':{'ref':1,'client':" C2 ",'resource':"
		R2 "}}",
		"{'event':'resource_updated','payload':{'resource':" R1 "}}",
		"{'event':'init','payload':{'authorizations':[{'client_id':'c2','resource_id':"
		"'r1'},{'client_id':'c1','resource_id':'r1'},{'client_id':'x','resource_id':"
		"'y'}]}}",
		"{'event':'reject_access','payload':{'client_id':'c1','resource_id':'r1'}}",
		"{'event':'resource_deleted','payload':{'resource_id':'r2'}}",
		"{'event':'client_deleted','payload':{'client_id':'c2'}}",
		"{'event':'client_deleted','payload':{'client_id':'x'}}",
	};
	struct wg_sig_state *s = wg_sig_state_new();

	(void)unused;
	for (size_t i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		char *once, *twice;

		apply(s, msgs[i], NULL);
		once = wg_sig_state_dump(s);
		apply(s, msgs[i], NULL);
		twice = wg_sig_state_dump(s);
		if (strcmp(once, twice))
			fail_msg("event %zu:\n%s\nvs\n%s", i, once, twice);
		free(once);
		free(twice);
	}
	assert_counts(s, 0, 1, 0);
	wg_sig_state_free(s);
}

struct refusal {
	const char *msg;
	int rc;
	const char *why;
};

#define CA(client, resource) "{'event':'create_authorization','payload':{'ref':'r','client':" \
			     client ",'resource':" resource "}}"
#define CU(client) "{'event':'client_updated','payload':{'client':" client "}}"
#define RU(resource) "{'event':'resource_updated','payload':{'resource':" resource "}}"
#define RES(filters) "{'type':'cidr','id':'r1','address':'10.9.0.0/16','filters':" filters "}"

static const struct refusal refusals[] = {
	{ "{'event':'init','payload':{'authorizations':[]}", -EINVAL,
	  "message: not JSON: truncated at byte 47" },
	{ "{'event':'init'} x", -EINVAL, "message: not JSON: data after the end at byte 18" },
	{ "{'event':'init','event':'init','payload':{'authorizations':[]}}", -EINVAL,
	  "message: not JSON: duplicate key at byte 23" },
	{ "{'event':'init',", -EINVAL, "message: not JSON: truncated at byte 16" },
	{ "", -EINVAL, "message: not JSON: truncated at byte 0" },
	{ "[1]", -EINVAL, "message: not a JSON object" },
	{ "{'payload':{}}", -EINVAL, "event: missing" },
	{ "{'event':7,'payload':{}}", -EINVAL, "event: not a string" },
	{ "{'event':'explode','payload':{}}", -ENOTSUP, "unknown event \"explode\"" },
	{ "{'event':'authorization_created','payload':{'ref':1}}", -ENOTSUP,
	  "unknown event \"authorization_created\"" },
	{ "{'event':'init'}", -EINVAL, "payload: missing" },
	{ "{'event':'init','payload':[]}", -EINVAL, "payload: not an object" },
	{ "{'event':'init','payload':{}}", -EINVAL, "payload.authorizations: missing" },
	{ "{'event':'init','payload':{'authorizations':{}}}", -EINVAL,
	  "payload.authorizations: not an array" },
	{ "{'event':'init','payload':{'authorizations':[{'client_id':'c1','resource_id':'r1'},"
	  "{'client_id':'c1','resource_id':'r1','expires_at':-1}]}}", -EINVAL,
	  "payload.authorizations[1].expires_at: not unix seconds (an integer >= 0) or null" },
	{ "{'event':'init','payload':{'authorizations':[{'client_id':'c1','resource_id':'r1',"
	  "'expires_at':1.5}]}}", -EINVAL,
	  "payload.authorizations[0].expires_at: not unix seconds (an integer >= 0) or null" },
	{ "{'event':'init','payload':{'authorizations':[{'client_id':'c1'}]}}", -EINVAL,
	  "payload.authorizations[0].resource_id: missing" },
	{ "{'event':'init','payload':{'authorizations':[7]}}", -EINVAL,
	  "payload.authorizations[0]: not an object" },
	{ "{'event':'init','payload':{'interface':{'ipv4':'fd00::1'},'authorizations':[]}}",
	  -EINVAL, "payload.interface.ipv4: 'fd00::1' is not an IPv4 address" },
	{ "{'event':'init','payload':{'authorizations':[{'client_id':'c1','resource_id':"
	  "'a/b'}]}}", -EINVAL,
	  "payload.authorizations[0].resource_id: not 1-63 of A-Z a-z 0-9 _ - ." },
	{ "{'event':'reject_access','payload':{'client_id':'c1 x','resource_id':'r1'}}", -EINVAL,
	  "payload.client_id: not 1-63 of A-Z a-z 0-9 _ - . + / =" },
	{ "{'event':'reject_access','payload':{'client_id':'', 'resource_id':'r1'}}", -EINVAL,
	  "payload.client_id: not 1-63 of A-Z a-z 0-9 _ - . + / =" },
	{ "{'event':'reject_access','payload':{'client_id':'c1','resource_id':'0123456789"
	  "0123456789012345678901234567890123456789012345678901234'}}", -EINVAL,
	  "payload.resource_id: not 1-63 of A-Z a-z 0-9 _ - ." },
	{ "{'event':'reject_access','payload':{'client_id':null,'resource_id':'r1'}}", -EINVAL,
	  "payload.client_id: not a string" },
	{ "{'event':'client_deleted','payload':{}}", -EINVAL, "payload.client_id: missing" },
	{ "{'event':'resource_deleted','payload':{'resource_id':['r1']}}", -EINVAL,
	  "payload.resource_id: not a string" },
	{ "{'event':'create_authorization','payload':{'client':" C1 ",'resource':" R1 "}}",
	  -EINVAL, "payload.ref: missing" },
	{ "{'event':'create_authorization','payload':{'ref':true,'client':" C1 ",'resource':"
	  R1 "}}", -EINVAL, "payload.ref: not a string or an integer" },
	{ "{'event':'create_authorization','payload':{'ref':1,'resource':" R1 "}}", -EINVAL,
	  "payload.client: missing" },
	{ "{'event':'create_authorization','payload':{'ref':1,'client':'c1','resource':" R1
	  "}}", -EINVAL, "payload.client: not an object" },
	{ "{'event':'create_authorization','payload':{'ref':1,'client':" C1 ",'resource':" R1
	  ",'expires_at':'soon'}}", -EINVAL,
	  "payload.expires_at: not unix seconds (an integer >= 0) or null" },
	{ CA("{'id':'c1','public_key':7,'ipv4':'100.64.0.10'}", R1), -EINVAL,
	  "payload.client.public_key: not a string" },
	{ CA("{'id':'c1','ipv4':'100.64.0.10'}", R1), -EINVAL,
	  "payload.client.public_key: missing" },
	{ CA("{'id':'c1','public_key':'AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=','ipv4':"
	     "'100.64.0.10'}", R1), -EINVAL, "payload.client.public_key: not a base64 32-byte key" },
	{ CA("{'id':'c1','public_key':'" K1 "','preshared_key':'" PSK "x','ipv4':'100.64.0.10'}",
	     R1), -EINVAL, "payload.client.preshared_key: not a base64 32-byte key" },
	{ CA("{'id':'c1','public_key':'" K1 "','ipv4':'100.64.0.300'}", R1), -EINVAL,
	  "payload.client.ipv4: '100.64.0.300' is not an IPv4 address" },
	{ CA("{'id':'c1','public_key':'" K1 "','ipv6':'100.64.0.3'}", R1), -EINVAL,
	  "payload.client.ipv6: '100.64.0.3' is not an IPv6 address" },
	{ CA("{'id':'c1','public_key':'" K1 "'}", R1), -EINVAL,
	  "payload.client: no address (ipv4, ipv6 or allowed_ips)" },
	{ CA("{'id':'c1','public_key':'" K1 "','allowed_ips':[]}", R1), -EINVAL,
	  "payload.client: no address (ipv4, ipv6 or allowed_ips)" },
	{ CA("{'id':'c1','public_key':'" K1 "','allowed_ips':'10.0.0.0/8'}", R1), -EINVAL,
	  "payload.client.allowed_ips: not an array" },
	{ CA("{'id':'c1','public_key':'" K1 "','allowed_ips':['10.0.0.0/8',8]}", R1), -EINVAL,
	  "payload.client.allowed_ips[1]: not a string" },
	{ CA("{'id':'c1','public_key':'" K1 "','allowed_ips':['10.0.0.1/8']}", R1), -EINVAL,
	  "payload.client.allowed_ips[0]: '10.0.0.1/8' has host bits set (the network is "
	  "10.0.0.0/8)" },
	{ CA("{'id':'c1','public_key':'" K1 "','allowed_ips':['10.0.0.0/33']}", R1), -EINVAL,
	  "payload.client.allowed_ips[0]: '10.0.0.0/33' is not a prefix like 100.64.0.2/32" },
	{ CA(C1, "{'id':'r1','address':'10.9.0.0/16','filters':[]}"), -EINVAL,
	  "payload.resource.type: missing" },
	{ CA(C1, "{'type':'host','id':'r1','address':'10.9.0.0/16','filters':[]}"), -EINVAL,
	  "payload.resource.type: 'host' is not cidr, dns or internet" },
	{ CA(C1, "{'type':'cidr','id':'r 1','address':'10.9.0.0/16','filters':[]}"), -EINVAL,
	  "payload.resource.id: not 1-63 of A-Z a-z 0-9 _ - ." },
	{ CA(C1, "{'type':'cidr','id':'r1','filters':[]}"), -EINVAL,
	  "payload.resource.address: missing" },
	{ CA(C1, "{'type':'cidr','id':'r1','address':'a.example','filters':[]}"), -EINVAL,
	  "payload.resource.address: 'a.example' is not a CIDR prefix or an IP address "
	  "(type cidr)" },
	{ CA(C1, "{'type':'dns','id':'r1','address':'10.1.2.3','filters':[]}"), -EINVAL,
	  "payload.resource.address: '10.1.2.3' is not a DNS name pattern (type dns)" },
	{ CA(C1, "{'type':'cidr','id':'r1','address':'10.9.0.1/16','filters':[]}"), -EINVAL,
	  "payload.resource.address: '10.9.0.1/16' has host bits set (the network is "
	  "10.9.0.0/16)" },
	{ CA(C1, "{'type':'cidr','id':'r1','address':'100.64.0.7','filters':[]}"), -EINVAL,
	  "payload.resource.address: '100.64.0.7' lies in 100.64.0.0/11, which is never a "
	  "resource" },
	{ CA(C1, "{'type':'cidr','id':'r1','address':'10.9.0.0/16'}"), -EINVAL,
	  "payload.resource.filters: missing" },
	{ CA(C1, "{'type':'cidr','id':'r1','address':'10.9.0.0/16','name':['x'],'filters':[]}"),
	  -EINVAL, "payload.resource.name: not a string" },
	{ CA(C1, RES("{}")), -EINVAL, "payload.resource.filters: not an array" },
	{ CA(C1, RES("[{'protocol':'tcp'},'udp']")), -EINVAL,
	  "payload.resource.filters[1]: not an object" },
	{ CA(C1, RES("[{'port_range_start':1}]")), -EINVAL,
	  "payload.resource.filters[0].protocol: missing" },
	{ CA(C1, RES("[{'protocol':'tcp'},{'protocol':'sctp'}]")), -EINVAL,
	  "payload.resource.filters[1].protocol: 'sctp' is not tcp, udp or icmp" },
	{ CA(C1, RES("[{'protocol':'tcp','port_range_start':90,'port_range_end':80}]")), -EINVAL,
	  "payload.resource.filters[0]: port_range_start 90 is after port_range_end 80" },
	{ CA(C1, RES("[{'protocol':'udp','port_range_end':65536}]")), -EINVAL,
	  "payload.resource.filters[0].port_range_end: not an integer in 0..65535" },
	{ CA(C1, RES("[{'protocol':'udp','port_range_start':-1}]")), -EINVAL,
	  "payload.resource.filters[0].port_range_start: not an integer in 0..65535" },
	{ CA(C1, RES("[{'protocol':'udp','port_range_start':'80'}]")), -EINVAL,
	  "payload.resource.filters[0].port_range_start: not an integer in 0..65535" },
	{ CA(C1, RES("[{'protocol':'icmp','port_range_start':8}]")), -EINVAL,
	  "payload.resource.filters[0]: icmp takes no port range" },
	{ CU("{'id':'c1','public_key':'" K1 "','ipv4':'100.64.0.10','allowed_ips':["
	     "'10.0.0.0/8','fd00::/8','x']}"), -EINVAL,
	  "payload.client.allowed_ips[2]: 'x' is not a prefix like 100.64.0.2/32" },
	{ "{'event':'client_updated','payload':{}}", -EINVAL, "payload.client: missing" },
	{ RU("{'type':'cidr','id':'r1','address':'10.9.0.0/16','filters':[{'protocol':1}]}"),
	  -EINVAL, "payload.resource.filters[0].protocol: not a string" },
	{ "{'event':'resource_updated','payload':{'resource':null}}", -EINVAL,
	  "payload.resource: not an object" },
};

static void test_refusals(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_sig_result res;
	char why[400], *before, *after;
	int bad = 0;

	(void)unused;
	apply(s, CA(C1, R1), NULL);
	apply(s, "{'event':'init','payload':{'authorizations':[{'client_id':'c1','resource_id':"
		 "'r1','expires_at':3},{'client_id':'" P1_KEY "','resource_id':'web'}]}}", NULL);
	before = wg_sig_state_dump(s);
	for (size_t i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++) {
		const struct refusal *r = &refusals[i];
		int rc;

		memset(&res, 0xa5, sizeof(res));
		strcpy(why, "unset");
		rc = apply_rc(s, r->msg, &res, why, sizeof(why));
		if (rc != r->rc || strcmp(why, r->why)) {
			print_error("refusal %zu: rc %d why \"%s\", want %d \"%s\"\n", i, rc, why,
				    r->rc, r->why);
			bad++;
		}
		assert_int_equal(res.event, WG_SIG_EV_NONE);
		assert_null(strstr(why, PSK));
		after = wg_sig_state_dump(s);
		assert_string_equal(before, after);
		free(after);
	}
	free(before);
	wg_sig_state_free(s);
	assert_int_equal(bad, 0);
}

static void test_limits(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	size_t big = WG_SIG_MSG_MAX + 1, off;
	char why[300], *m = malloc(big + 1);

	(void)unused;
	assert_non_null(m);
	/* Over the cap: refused before parsing, whatever it holds. */
	memset(m, ' ', big);
	assert_int_equal(wg_sig_apply(s, m, big, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "message: 16777217 bytes, over the limit of 16777216");
	/* A long event name is cut in the reason. */
	off = (size_t)sprintf(m, "{\"event\":\"");
	memset(m + off, 'e', 1000);
	off += 1000;
	off += (size_t)sprintf(m + off, "\",\"payload\":{}}");
	assert_int_equal(wg_sig_apply(s, m, off, NULL, why, sizeof(why)), -ENOTSUP);
	assert_string_equal(why, "unknown event \"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
				 "eeeeeeeeee...\"");
	/* Control characters are not copied into a reason. */
	assert_int_equal(apply_rc(s, "{'event':'a\\nb','payload':{}}", NULL, why, sizeof(why)),
			 -ENOTSUP);
	assert_string_equal(why, "unknown event \"a?b\"");
	/* 1024 allowed_ips are fine, 1025 are not; same for filters. */
	off = (size_t)sprintf(m, "{\"event\":\"client_updated\",\"payload\":{\"client\":{\"id\":"
			       "\"c\",\"public_key\":\"%s\",\"allowed_ips\":[", K1);
	for (int i = 0; i < 1025; i++)
		off += (size_t)sprintf(m + off, "%s\"10.%d.%d.0/24\"", i ? "," : "", i / 256,
				       i % 256);
	off += (size_t)sprintf(m + off, "]}}}");
	assert_int_equal(wg_sig_apply(s, m, off, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "payload.client.allowed_ips: more than 1024 prefixes");
	off = (size_t)sprintf(m, "{\"event\":\"resource_updated\",\"payload\":{\"resource\":{"
			       "\"type\":\"cidr\",\"id\":\"r\",\"address\":\"10.0.0.0/8\","
			       "\"filters\":[");
	for (int i = 0; i < 1025; i++)
		off += (size_t)sprintf(m + off, "%s{\"protocol\":\"tcp\",\"port_range_start\":%d}",
				       i ? "," : "", i);
	off += (size_t)sprintf(m + off, "]}}}");
	assert_int_equal(wg_sig_apply(s, m, off, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "payload.resource.filters: more than 1024 filters");
	/* Ids of 63 characters fit; a 255-byte name fits, 256 do not. */
	apply(s, "{'event':'reject_access','payload':{'client_id':'012345678901234567890123456789"
		 "012345678901234567890123456789012','resource_id':'0123456789012345678901234567"
		 "89012345678901234567890123456789012'}}", NULL);
	off = (size_t)sprintf(m, "{\"event\":\"resource_updated\",\"payload\":{\"resource\":{"
			       "\"type\":\"internet\",\"id\":\"i\",\"filters\":[],\"name\":\"");
	memset(m + off, 'n', 256);
	off += 256;
	off += (size_t)sprintf(m + off, "\"}}}");
	assert_int_equal(wg_sig_apply(s, m, off, NULL, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "payload.resource.name: longer than 255 bytes");
	assert_counts(s, 0, 0, 0);
	free(m);
	wg_sig_state_free(s);
}

/* Truncated anywhere, a message holding a preshared key never shows it. */
static void test_no_secrets(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	char *m = J(CA(C1, R1)), why[400];
	size_t n = strlen(m);

	(void)unused;
	for (size_t cut = 0; cut < n; cut++) {
		assert_int_not_equal(wg_sig_apply(s, m, cut, NULL, why, sizeof(why)), 0);
		for (size_t k = 0; k + 8 <= strlen(PSK); k++)
			if (memmem(why, strlen(why), PSK + k, 8))
				fail_msg("cut %zu: reason \"%s\" shows the psk", cut, why);
	}
	free(m);
	wg_sig_state_free(s);
}

static void test_load(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	char why[300], *v;
	static const char *const vals[] = {
		C1, C2, R1, R2,
		"{'client_id':'c1','resource_id':'r1','expires_at':77}",
		"{'client_id':'c2','resource_id':'web'}",
	};

	(void)unused;
	/* Grants may come before their client and resource. */
	for (size_t i = 0; i < 6; i++) {
		size_t k = (i + 4) % 6;
		int rc;

		v = J(vals[k]);
		rc = k < 2 ? wg_sig_state_load_client(s, v, strlen(v), why, sizeof(why)) :
		     k < 4 ? wg_sig_state_load_resource(s, v, strlen(v), why, sizeof(why)) :
			     wg_sig_state_load_grant(s, v, strlen(v), why, sizeof(why));
		if (rc)
			fail_msg("value %zu: %s", k, why);
		free(v);
	}
	assert_counts(s, 2, 2, 2);
	assert_string_equal(line(s, "G c1 r1"), "G c1 r1 expires=77");
	assert_memory_equal(line(s, "C c1"), "C c1 present=1 grants=1 ", 24);
	assert_string_equal(line(s, "R web"), "R web present=0 grants=1 type=- addr=- name= "
					      "filters=");
	/* A load replaces a resource whatever its type: the hash is the truth. */
	v = J("{'type':'dns','id':'r1','address':'x.example','filters':[]}");
	assert_int_equal(wg_sig_state_load_resource(s, v, strlen(v), why, sizeof(why)), 0);
	free(v);
	assert_string_equal(line(s, "R r1"), "R r1 present=1 grants=1 type=dns addr=x.example "
					     "name= filters=");
	/* Refusals name the value's own fields. */
	v = J("{'id':'c1','public_key':'" PSK "x'}");
	assert_int_equal(wg_sig_state_load_client(s, v, strlen(v), why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "client.public_key: not a base64 32-byte key");
	free(v);
	v = J("{'type':'cidr','id':'r1','address':'10.0.0.0/8','filters':[{'protocol':'gre'}]}");
	assert_int_equal(wg_sig_state_load_resource(s, v, strlen(v), why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "resource.filters[0].protocol: 'gre' is not tcp, udp or icmp");
	free(v);
	v = J("{'client_id':'c1','resource_id':'r1','expires_at':'x'}");
	assert_int_equal(wg_sig_state_load_grant(s, v, strlen(v), why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "grant.expires_at: not unix seconds (an integer >= 0) or null");
	free(v);
	assert_int_equal(wg_sig_state_load_grant(s, "[]", 2, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "grant: not a JSON object");
	assert_int_equal(wg_sig_state_load_client(s, "{", 1, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "client: not JSON: truncated at byte 1");
	assert_counts(s, 2, 2, 2);
	wg_sig_state_free(s);
}

/* What the builders write, the parser reads back as it was meant. */
static void test_roundtrip(void **unused)
{
	static const char *const allowed[] = { "10.60.0.0/24", "fd00:60::/64" };
	static const struct wg_cfg_filter filters[] = {
		{ WG_CFG_PROTO_TCP, 22, 22 }, { WG_CFG_PROTO_UDP, 0, 65535 },
		{ WG_CFG_PROTO_ICMP, 0, 65535 },
	};
	const struct wg_sig_client_spec c = { "c1", K1, PSK, "100.64.0.10", "fd00:2021:1111::10",
					      allowed, 2 };
	const struct wg_sig_client_spec c2 = { "c2", K2, NULL, "100.64.0.11", NULL, NULL, 0 };
	const struct wg_sig_resource_spec r = { "cidr", "r1", "10.9.0.0/16", "Name \"q\"", filters,
						3 };
	const struct wg_sig_resource_spec r2 = { "internet", "inet", NULL, NULL, NULL, 0 };
	const struct wg_sig_grant_spec g[] = { { "c1", "r1", 1234 }, { "c2", "inet", 0 } };
	struct wg_sig_state *s = wg_sig_state_new(), *t = wg_sig_state_new();
	struct wg_sig_result res;
	char why[300], *m, *d1, *d2, psk[17], want[600];
	uint8_t raw[32], h[8];
	size_t n;

	(void)unused;
	m = wg_sig_msg_create_authorization("\"ref-7\"", &c, &r, 99);
	assert_non_null(m);
	assert_int_equal(wg_sig_apply(s, m, strlen(m), &res, why, sizeof(why)), 0);
	sodium_memzero(m, strlen(m));
	free(m);
	assert_string_equal(res.ref, "\"ref-7\"");
	m = wg_sig_msg_authorization_created(res.ref);
	assert_string_equal(m, "{\"event\":\"authorization_created\",\"payload\":{\"ref\":\"ref-7\"}}");
	free(m);
	m = wg_sig_msg_authorization_created("17");
	assert_string_equal(m, "{\"event\":\"authorization_created\",\"payload\":{\"ref\":17}}");
	free(m);
	assert_null(wg_sig_msg_authorization_created("[1]"));
	assert_null(wg_sig_msg_authorization_created("\"open"));
	sodium_base642bin(raw, 32, PSK, strlen(PSK), NULL, &n, NULL, sodium_base64_VARIANT_ORIGINAL);
	crypto_generichash(h, sizeof(h), raw, 32, NULL, 0);
	sodium_bin2hex(psk, sizeof(psk), h, sizeof(h));
	snprintf(want, sizeof(want), "C c1 present=1 grants=1 key=%s psk=%s allowed=100.64.0.10/32,"
		 "fd00:2021:1111::10/128,10.60.0.0/24,fd00:60::/64", hex_of(1), psk);
	assert_string_equal(line(s, "C c1"), want);
	assert_string_equal(line(s, "R r1"), "R r1 present=1 grants=1 type=cidr addr=10.9.0.0/16 "
					     "name=Name\\x20\"q\" filters=tcp:22-22,udp:0-65535,"
					     "icmp:0-65535");
	assert_string_equal(line(s, "G c1 r1"), "G c1 r1 expires=99");

	/* The same state through every other builder, on a second state. */
	struct {
		char *text;
		int kind;	/* 0 event, 1 client value, 2 resource value, 3 grant value */
	} steps[] = {
		{ wg_sig_msg_client_updated(&c2), 0 },
		{ wg_sig_msg_resource_updated(&r2), 0 },
		{ wg_sig_msg_client(&c), 1 },
		{ wg_sig_msg_resource(&r), 2 },
		{ wg_sig_msg_grant(&g[0]), 3 },
		{ wg_sig_msg_init(g, 2), 0 },
		{ wg_sig_msg_reject_access("c2", "inet"), 0 },
		{ wg_sig_msg_grant(&(struct wg_sig_grant_spec){ "c1", "r1", 99 }), 3 },
		{ wg_sig_msg_client_updated(&c2), 0 },
		{ wg_sig_msg_resource_updated(&r2), 0 },
		{ wg_sig_msg_client_deleted("c2"), 0 },
		{ wg_sig_msg_resource_deleted("inet"), 0 },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		char *x = steps[i].text;
		int rc;

		assert_non_null(x);
		rc = steps[i].kind == 0 ? wg_sig_apply(t, x, strlen(x), NULL, why, sizeof(why)) :
		     steps[i].kind == 1 ? wg_sig_state_load_client(t, x, strlen(x), why, sizeof(why)) :
		     steps[i].kind == 2 ? wg_sig_state_load_resource(t, x, strlen(x), why,
								     sizeof(why)) :
					  wg_sig_state_load_grant(t, x, strlen(x), why, sizeof(why));
		if (rc)
			fail_msg("step %zu (%s): %s", i, x, why);
		sodium_memzero(x, strlen(x));
		free(x);
	}
	d1 = wg_sig_state_dump(s);
	d2 = wg_sig_state_dump(t);
	assert_string_equal(d1, d2);
	free(d1);
	free(d2);

	m = wg_sig_msg_grant(&g[1]);
	assert_string_equal(m, "{\"client_id\":\"c2\",\"resource_id\":\"inet\",\"expires_at\":null}");
	free(m);
	m = wg_sig_msg_grant_field("c2", "inet");
	assert_string_equal(m, "c2 inet");
	free(m);
	m = wg_sig_msg_resource(&r2);
	assert_string_equal(m, "{\"type\":\"internet\",\"id\":\"inet\",\"filters\":[]}");
	free(m);
	m = wg_sig_msg_reject_access("c1", "r1");
	assert_string_equal(m, "{\"event\":\"reject_access\",\"payload\":{\"client_id\":\"c1\","
			       "\"resource_id\":\"r1\"}}");
	free(m);
	assert_null(wg_sig_msg_client(&(struct wg_sig_client_spec){ .id = "x" }));
	assert_null(wg_sig_msg_reject_access("c1", NULL));
	assert_null(wg_sig_msg_create_authorization(NULL, &c, &r, 0));
	wg_sig_state_free(s);
	wg_sig_state_free(t);
}

/* ---- merge ---- */

struct skips {
	char v[16][300];
	size_t n;
};

static void on_skip(void *ctx, const char *why)
{
	struct skips *k = ctx;

	assert_true(k->n < 16);
	snprintf(k->v[k->n++], sizeof(k->v[0]), "%s", why);
}

static struct wg_config *good(void)
{
	struct wg_config_error err;
	struct wg_config *c = wg_config_load("config/good.conf", NULL, &err);

	assert_non_null(c);
	return c;
}

static void test_merge(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new(), *empty = wg_sig_state_new();
	struct wg_config *base = good(), *m;
	struct skips k = { .n = 0 };
	struct wg_sig_merge_report rep = { .skip = on_skip, .ctx = &k };
	struct wg_cfg_access file_access[3];
	char why[300], pf[WG_PREFIX_STRLEN];
	uint8_t key[32];
	static const int want_access[][3] = {
		{ 1, 6, 0 }, { 0, 5, 8 }, { 2, 6, 5 }, { 2, 0, 0 }, { 2, 2, 0 },
	};

	(void)unused;
	/* ca: taken. cb: the key of the file's first peer. cc: 100.64.1.5 lies in
	 * the second peer's 100.64.1.0/24. cd: ca's key (ca comes first). ce:
	 * contains ca's /32. cf: taken. */
	apply(s, CU("{'id':'ca','public_key':'" K1 "','preshared_key':'" PSK "','ipv4':"
		    "'100.64.5.1','allowed_ips':['10.77.0.0/16']}"), NULL);
	apply(s, CU("{'id':'cb','public_key':'" P1_KEY "','ipv4':'100.64.5.2'}"), NULL);
	apply(s, CU("{'id':'cc','public_key':'" K2 "','ipv4':'100.64.1.5'}"), NULL);
	apply(s, CU("{'id':'cd','public_key':'" K1 "','ipv4':'100.64.5.4'}"), NULL);
	apply(s, CU("{'id':'ce','public_key':'" K3 "','allowed_ips':['100.64.5.0/24']}"), NULL);
	apply(s, CU("{'id':'cf','public_key':'" K4 "','ipv6':'fd00:2021:1111::5:1',"
		    "'allowed_ips':['10.76.255.0/24']}"), NULL);
	apply(s, RU("{'type':'cidr','id':'net10','address':'10.99.0.0/16','filters':[]}"), NULL);
	apply(s, RU(R1), NULL);
	apply(s, "{'event':'init','payload':{'authorizations':["
		 "{'client_id':'ca','resource_id':'r1','expires_at':5},"
		 "{'client_id':'ca','resource_id':'wild'},"
		 "{'client_id':'ca','resource_id':'web'},"
		 "{'client_id':'ca','resource_id':'net10'},"
		 "{'client_id':'" P2_KEY "','resource_id':'r1'},"
		 "{'client_id':'" P1_KEY "','resource_id':'web'},"
		 "{'client_id':'" P1_KEY "','resource_id':'v6','expires_at':8},"
		 "{'client_id':'cb','resource_id':'r1'},"
		 "{'client_id':'nobody','resource_id':'r1'},"
		 "{'client_id':'cf','resource_id':'nothing'},"
		 "{'client_id':'" K2 "','resource_id':'r1'}]}}", NULL);

	m = wg_sig_merge(base, s, &rep, why, sizeof(why));
	assert_non_null(m);
	assert_int_equal(k.n, 6);
	assert_string_equal(k.v[0], "client cb: same public key as the [Peer] at line 31");
	assert_string_equal(k.v[1], "client cc: 100.64.1.5/32 overlaps 100.64.1.0/24 of the [Peer] "
				    "at line 38");
	assert_string_equal(k.v[2], "client cd: same public key as client ca");
	assert_string_equal(k.v[3], "client ce: 100.64.5.0/24 overlaps 100.64.5.1/32 of client ca");
	assert_string_equal(k.v[4], "resource net10: the file has a [Resource net10]");
	assert_string_equal(k.v[5], "grant " P1_KEY " web: the [Access] at line 62 gives it already");
	assert_int_equal(rep.clients, 2);
	assert_int_equal(rep.resources, 1);
	assert_int_equal(rep.grants, 5);
	assert_int_equal(rep.clients_skipped, 4);
	assert_int_equal(rep.resources_skipped, 1);
	/* nobody, cf's "nothing", and K2, a key no [Peer] has (cc's id is "cc"). */
	assert_int_equal(rep.grants_unresolved, 3);
	/* The duplicate, cb's (a skipped client), ca's net10 (a skipped resource:
	 * the file's net10 is not what the writer meant). */
	assert_int_equal(rep.grants_skipped, 3);
	assert_int_equal(wg_config_check(m, why, sizeof(why)), 0);

	/* The Redis entries follow the file's, by id. */
	assert_int_equal(m->n_peers, 4);
	sodium_base642bin(key, 32, K1, 44, NULL, NULL, NULL, sodium_base64_VARIANT_ORIGINAL);
	assert_memory_equal(m->peers[2].public_key, key, 32);
	assert_true(m->peers[2].has_psk);
	assert_int_equal(m->peers[2].n_allowed, 2);
	wg_prefix_str(&m->peers[2].allowed[1], pf, sizeof(pf));
	assert_string_equal(pf, "10.77.0.0/16");
	assert_int_equal(m->peers[2].endpoint_ip.af, 0);
	assert_int_equal(m->peers[2].line, 0);
	sodium_base642bin(key, 32, K4, 44, NULL, NULL, NULL, sodium_base64_VARIANT_ORIGINAL);
	assert_memory_equal(m->peers[3].public_key, key, 32);
	assert_false(m->peers[3].has_psk);
	assert_int_equal(m->n_resources, 7);
	assert_string_equal(m->resources[6].name, "r1");
	assert_int_equal(m->resources[6].kind, WG_CFG_RES_CIDR);
	assert_int_equal(m->resources[6].n_filters, 2);
	assert_int_equal(m->resources[6].filters[0].hi, 443);
	assert_int_equal(m->n_access, 8);
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(m->access[3 + i].peer_idx, want_access[i][0]);
		assert_int_equal(m->access[3 + i].resource_idx, want_access[i][1]);
		assert_int_equal(m->access[3 + i].expires, want_access[i][2]);
	}

	/* A deep copy: it outlives the base, nothing shared. */
	assert_ptr_not_equal(m->peers[0].allowed, base->peers[0].allowed);
	assert_ptr_not_equal(m->dataplane.eal_args, base->dataplane.eal_args);
	memcpy(file_access, base->access, sizeof(file_access));
	wg_config_free(base);
	assert_string_equal(m->path, "config/good.conf");
	assert_int_equal(m->iface.mtu, 1400);
	assert_int_equal(m->dataplane.n_eal_args, 2);
	assert_string_equal(m->dataplane.eal_args[0], "--log-level=8");
	assert_string_equal(m->dataplane.eal_args[1], "--no-pci");
	assert_null(m->dataplane.eal_args[2]);
	assert_int_equal(m->n_ports, 2);
	assert_string_equal(m->ports[1].name, "lan");
	assert_int_equal(m->ports[1].n_routes, 2);
	wg_prefix_str(&m->ports[1].routes[1].dst, pf, sizeof(pf));
	assert_string_equal(pf, "10.2.0.0/16");
	wg_prefix_str(&m->peers[1].allowed[1], pf, sizeof(pf));
	assert_string_equal(pf, "100.64.1.0/24");
	assert_true(m->peers[0].has_psk);
	assert_string_equal(m->resources[0].name, "web");
	assert_int_equal(m->resources[0].n_filters, 5);
	assert_int_equal(m->resources[0].filters[1].lo, 8000);
	assert_memory_equal(m->access, file_access, sizeof(file_access));
	assert_string_equal(m->signaling.redis, "redis://:secret@127.0.0.1:6379/0");

	/* An empty state gives the base back. */
	base = good();
	wg_config_free(m);
	m = wg_sig_merge(base, empty, NULL, why, sizeof(why));
	assert_non_null(m);
	assert_int_equal(m->n_peers, base->n_peers);
	assert_int_equal(m->n_resources, base->n_resources);
	assert_int_equal(m->n_access, base->n_access);
	wg_config_free(m);
	wg_config_free(base);
	wg_sig_state_free(s);
	wg_sig_state_free(empty);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 20k clients, 1k resources, 100k grants: every step stays cheap. */
static void test_scale(void **unused)
{
	enum { NC = 20000, NR = 1000, NG = 100000 };
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_config *base = good(), *m;
	struct wg_sig_merge_report rep = { 0 };
	char buf[512], why[300], b64[45];
	uint8_t key[32] = { 0 };
	double t0 = now_s(), t1, t2, t3;
	size_t n;

	(void)unused;
	for (int i = 0; i < NC; i++) {
		memcpy(key, &i, sizeof(i));
		key[31] = 0x77;
		sodium_bin2base64(b64, sizeof(b64), key, 32, sodium_base64_VARIANT_ORIGINAL);
		n = (size_t)snprintf(buf, sizeof(buf), "{\"id\":\"client-%d\",\"public_key\":\"%s\","
				     "\"ipv4\":\"100.65.%d.%d\"}", i, b64, i / 256, i % 256);
		assert_int_equal(wg_sig_state_load_client(s, buf, n, why, sizeof(why)), 0);
	}
	for (int i = 0; i < NR; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "{\"type\":\"cidr\",\"id\":\"res-%d\","
				     "\"address\":\"10.%d.%d.0/24\",\"filters\":[{\"protocol\":"
				     "\"tcp\",\"port_range_start\":443,\"port_range_end\":443}]}",
				     i, 100 + i / 256, i % 256);
		assert_int_equal(wg_sig_state_load_resource(s, buf, n, why, sizeof(why)), 0);
	}
	for (int i = 0; i < NG; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "{\"client_id\":\"client-%d\",\"resource_id\":"
				     "\"res-%d\",\"expires_at\":%d}", i % NC, (i / NC) * 7 % NR + i % 3,
				     i);
		assert_int_equal(wg_sig_state_load_grant(s, buf, n, why, sizeof(why)), 0);
	}
	assert_counts(s, NC, NR, NG);
	t1 = now_s();
	m = wg_sig_merge(base, s, &rep, why, sizeof(why));
	assert_non_null(m);
	t2 = now_s();
	assert_int_equal(m->n_peers, 2 + NC);
	assert_int_equal(m->n_access, 3 + NG);
	assert_int_equal(rep.grants, NG);
	wg_config_free(m);
	/* Revoking every grant one by one, then deleting: O(1) each. */
	for (int i = 0; i < NG; i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "{\"event\":\"reject_access\",\"payload\":{"
				     "\"client_id\":\"client-%d\",\"resource_id\":\"res-%d\"}}",
				     i % NC, (i / NC) * 7 % NR + i % 3);
		assert_int_equal(wg_sig_apply(s, buf, n, NULL, why, sizeof(why)), 0);
	}
	t3 = now_s();
	/* Every client lost its last grant, so every client went. */
	assert_counts(s, 0, NR, 0);
	print_message("scale: load %.0f ms, merge %.0f ms, %d rejects %.0f ms\n",
		      (t1 - t0) * 1e3, (t2 - t1) * 1e3, NG, (t3 - t2) * 1e3);
	wg_config_free(base);
	wg_sig_state_free(s);
}

/* ---- gateway id ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_gateway_id(void **unused)
{
	char dir[] = "/tmp/wgate-gwid-XXXXXX", state[128], mid[128], mid2[128], id[65], id2[65],
	     why[300], buf[300];
	struct stat st;
	FILE *f;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(state, sizeof(state), "%s/var/gateway-id", dir);
	snprintf(mid, sizeof(mid), "%s/machine-id", dir);
	snprintf(mid2, sizeof(mid2), "%s/machine-id2", dir);
	write_file(mid, "0123456789abcdef0123456789abcdef\n");
	write_file(mid2, "fedcba9876543210fedcba9876543210");

	/* Configured: wins, lowered. */
	assert_int_equal(wg_gateway_id("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789"
				       "abcdef", state, mid, false, id, why, sizeof(why)), 0);
	assert_string_equal(id, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	assert_int_equal(wg_gateway_id("0123", state, mid, false, id, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "GatewayId: not 64 hex digits");

	/* Derived: HMAC-SHA256("wgate gateway id v1", machine id), computed
	 * independently (Python's hmac); never the machine id itself. */
	assert_int_equal(wg_gateway_id(NULL, state, mid, false, id, why, sizeof(why)), 0);
	assert_string_equal(id, "a3bb9813b56d690ce0ce33c1b1f8870d201ebe4d38e39589fb432590968c459d");
	assert_null(strstr(id, "0123456789abcdef"));
	assert_int_equal(wg_gateway_id("", state, mid, false, id2, why, sizeof(why)), 0);
	assert_string_equal(id, id2);
	assert_int_equal(wg_gateway_id(NULL, state, mid2, false, id2, why, sizeof(why)), 0);
	assert_string_equal(id2, "04b0e66629443a771b91a085a6b2cda0cefe96ca2e34fa637bd887ffb5b2f90e");
	assert_int_equal(stat(state, &st), -1);	/* nothing stored without store */

	/* Random without a machine id: different every time, 64 lower hex. */
	snprintf(buf, sizeof(buf), "%s/none", dir);
	assert_int_equal(wg_gateway_id(NULL, state, buf, false, id, why, sizeof(why)), 0);
	assert_int_equal(wg_gateway_id(NULL, state, buf, false, id2, why, sizeof(why)), 0);
	assert_string_not_equal(id, id2);
	assert_int_equal(strspn(id, "0123456789abcdef"), 64);
	write_file(buf, " \n");	/* blank counts as none */
	assert_int_equal(wg_gateway_id(NULL, state, buf, false, id2, why, sizeof(why)), 0);
	assert_string_not_equal(id, id2);

	/* Stored: the directory made 0700, the file 0600 holding "id\n"; once
	 * stored it wins over the machine id. */
	assert_int_equal(wg_gateway_id(NULL, state, mid, true, id, why, sizeof(why)), 0);
	assert_int_equal(stat(state, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(buf, sizeof(buf), "%s/var", dir);
	assert_int_equal(stat(buf, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	f = fopen(state, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "a3bb9813b56d690ce0ce33c1b1f8870d201ebe4d38e39589fb432590968c459d\n");
	assert_int_equal(wg_gateway_id(NULL, state, mid2, true, id2, why, sizeof(why)), 0);
	assert_string_equal(id2, id);
	/* A configured id is stored too (and then wins). */
	assert_int_equal(wg_gateway_id("ff00000000000000000000000000000000000000000000000000000000"
				       "000000", state, mid, true, id, why, sizeof(why)), 0);
	assert_int_equal(wg_gateway_id(NULL, state, mid, false, id2, why, sizeof(why)), 0);
	assert_string_equal(id2, "ff00000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(stat(state, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* A damaged file is an error, not a new identity. */
	write_file(state, "ABCDEF\n");
	assert_int_equal(wg_gateway_id(NULL, state, mid, true, id, why, sizeof(why)), -EINVAL);
	snprintf(buf, sizeof(buf), "%s does not hold a gateway id (64 lower-case hex digits)", state);
	assert_string_equal(why, buf);
	/* No directory can be made: the reason names it. */
	snprintf(buf, sizeof(buf), "%s/nodir/deeper/gateway-id", dir);
	assert_int_equal(wg_gateway_id(NULL, buf, mid, true, id, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "cannot create"));

	unlink(state);
	snprintf(buf, sizeof(buf), "%s/var", dir);
	rmdir(buf);
	snprintf(buf, sizeof(buf), "%s/none", dir);
	unlink(buf);
	unlink(mid);
	unlink(mid2);
	assert_int_equal(rmdir(dir), 0);
}

/* The loader's rules on a config built in memory; a merge over a base that
 * breaks them fails with the reason rather than produce a bad config. */
static void test_config_check(void **unused)
{
	struct wg_sig_state *s = wg_sig_state_new();
	struct wg_config *c = good(), *m;
	char why[300];
	struct wg_prefix saved;
	int saved_idx;

	(void)unused;
	assert_int_equal(wg_config_check(c, why, sizeof(why)), 0);
	saved = c->peers[1].allowed[1];
	assert_int_equal(wg_prefix_parse("100.64.0.0/16", true, &c->peers[1].allowed[1]), 0);
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "peer 1: 100.64.0.0/16 overlaps 100.64.0.2/32 of peer 0");
	errno = 0;
	m = wg_sig_merge(c, s, NULL, why, sizeof(why));
	assert_null(m);
	assert_int_equal(errno, EINVAL);
	assert_string_equal(why, "the merged config breaks a rule: peer 1: 100.64.0.0/16 overlaps "
				 "100.64.0.2/32 of peer 0");
	c->peers[1].allowed[1] = saved;
	c->peers[1].allowed[1].len = 16;	/* 100.64.1.0/16: host bits */
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "peer 1: 100.64.1.0/16 has host bits set");
	c->peers[1].allowed[1] = saved;
	memcpy(c->peers[1].public_key, c->peers[0].public_key, 32);
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "peer 1: same key as peer 0");
	c->peers[1].public_key[0] ^= 1;
	memcpy(c->resources[3].name, "web", 4);
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "resource 3: same name as resource 0");
	memcpy(c->resources[3].name, "one", 4);
	saved_idx = c->access[1].peer_idx;
	c->access[1].peer_idx = 0;
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "access 1: grants the same peer and resource as access 0");
	c->access[1].peer_idx = 7;
	assert_int_equal(wg_config_check(c, why, sizeof(why)), -EINVAL);
	assert_string_equal(why, "access 1: no peer 7 or resource 0");
	c->access[1].peer_idx = saved_idx;
	assert_int_equal(wg_config_check(c, why, sizeof(why)), 0);
	wg_config_free(c);
	wg_sig_state_free(s);
}

/* The overlap index against brute force: owners taken greedily in order,
 * each only if no prefix of it overlaps a prefix taken before. */
static void test_overlap_index(void **unused)
{
	enum { OWNERS = 400, PER = 3 };
	static struct wg_prefix p[OWNERS * PER];
	static bool taken[OWNERS];
	struct sig_ovl o;
	uint32_t x = 12345;

	(void)unused;
	for (int round = 0; round < 20; round++) {
		size_t took = 0;

		for (size_t i = 0; i < OWNERS * PER; i++) {
			struct wg_prefix *q = &p[i];

			x = x * 1103515245u + 12345u;
			memset(q, 0, sizeof(*q));
			q->ip.af = (x >> 30) ? WG_AF_INET4 : WG_AF_INET6;
			/* A narrow space, so that prefixes nest and collide often. */
			q->ip.a[0] = 10;
			q->ip.a[1] = (uint8_t)(x >> 8) & 3;
			q->ip.a[2] = (uint8_t)(x >> 12);
			q->ip.a[3] = (uint8_t)(x >> 20);
			q->len = (uint8_t)(q->ip.af == WG_AF_INET4 ? 14 + (x >> 3) % 19
								    : 120 + (x >> 3) % 9);
			wg_ipaddr_mask(&q->ip, q->len);
		}
		assert_int_equal(sig_ovl_init(&o, OWNERS * PER), 0);
		for (size_t i = 0; i < OWNERS * PER; i++)
			sig_ovl_set(&o, i, &p[i], i / PER);
		sig_ovl_sort(&o);
		for (size_t w = 0; w < OWNERS; w++) {
			bool clash = false, brute = false;

			for (size_t a = 0; a < PER && !clash; a++)
				clash = sig_ovl_find(&o, w * PER + a) >= 0;
			for (size_t v = 0; v < w && !brute; v++) {
				if (!taken[v])
					continue;
				for (size_t a = 0; a < PER; a++)
					for (size_t b = 0; b < PER; b++) {
						const struct wg_prefix *m = &p[w * PER + a];
						const struct wg_prefix *n = &p[v * PER + b];

						brute |= m->ip.af == n->ip.af &&
							 (wg_prefix_contains(m, &n->ip) ||
							  wg_prefix_contains(n, &m->ip));
					}
			}
			assert_int_equal(clash, brute);
			taken[w] = !clash;
			if (taken[w]) {
				took++;
				for (size_t a = 0; a < PER; a++)
					sig_ovl_take(&o, w * PER + a);
			}
		}
		assert_true(took > 0 && took < OWNERS);
		sig_ovl_free(&o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_events),
		cmocka_unit_test(test_create_authorization),
		cmocka_unit_test(test_reject_access),
		cmocka_unit_test(test_resource_events),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_idempotent),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_no_secrets),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_config_check),
		cmocka_unit_test(test_overlap_index),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_gateway_id),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
