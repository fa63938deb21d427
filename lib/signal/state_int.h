/* Private to lib/signal: the tables behind struct wg_sig_state (state.c),
 * the parsed form of a message (parse.c) and what merge.c walks.
 *
 * Ids are slots: a client or resource id known to the state has one slot,
 * whether it is a real client/resource from Redis (present) or only named
 * by grants (an anchor, e.g. a [Peer] of the file, or a client whose
 * client_updated has not come yet). An anchor goes as soon as no grant names
 * it. Each slot counts and lists its grants, so "a client left with no
 * grant" is an O(1) test and deleting a client is O(its grants). */
#ifndef WGATE_LIB_SIGNAL_STATE_INT_H
#define WGATE_LIB_SIGNAL_STATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "lib/config/config.h"
#include "lib/signal/state.h"

/* Intrusive chained hash table; the node is the first member of its entry. */
struct sig_hnode {
	struct sig_hnode *next;
	uint64_t hash;
};

struct sig_htab {
	/* nb buckets, a power of two. wg_sig_state_new() reserves every table,
	 * so lookups may take nb > 0; only its failure path frees one with 0. */
	struct sig_hnode **b;
	size_t nb;
	size_t n;
};

struct sig_grant;

struct sig_client {
	struct sig_hnode hn;
	char id[WG_SIG_ID_LEN];
	bool present;			/* a client from Redis; false: an anchor */
	struct wg_cfg_peer peer;	/* present: key, psk, allowed; the rest 0 */
	struct sig_grant *grants;	/* list through c_next */
	size_t n_grants;
};

struct sig_resource {
	struct sig_hnode hn;
	bool present;
	struct wg_cfg_resource res;	/* name = the id (always set); the rest when present */
	char display[WG_SIG_NAME_LEN];	/* "name", for humans; "" if none */
	struct sig_grant *grants;	/* list through r_next */
	size_t n_grants;
};

struct sig_grant {
	struct sig_hnode hn;		/* keyed by the (c, r) pointer pair */
	struct sig_client *c;
	struct sig_resource *r;
	int64_t expires;		/* unix seconds; 0 = never */
	uint64_t mark;			/* init's sweep: the epoch that last listed it */
	struct sig_grant *c_prev, *c_next, *r_prev, *r_next;
};

struct wg_sig_state {
	struct sig_htab clients, resources, grants;
	size_t n_clients, n_resources;	/* present slots */
	uint64_t epoch;			/* bumped by each init */
	uint8_t hkey[crypto_shorthash_KEYBYTES];
};

/* ---- a parsed, validated message: owns its arrays until committed ---- */

struct sig_client_in {
	char id[WG_SIG_ID_LEN];
	struct wg_cfg_peer peer;	/* allowed malloc'd */
};

struct sig_resource_in {
	struct wg_cfg_resource res;	/* name = id; filters malloc'd or NULL */
	char display[WG_SIG_NAME_LEN];
};

struct sig_grant_in {
	char client_id[WG_SIG_ID_LEN];
	char resource_id[WG_SIG_ID_LEN];
	int64_t expires;
};

struct sig_msg {
	enum wg_sig_event ev;
	/* With CREATE_AUTHORIZATION: only the grant, no client or resource data
	 * (a value of the grants hash). */
	bool grant_only;
	/* With CREATE_AUTHORIZATION: whether the event carried the client and
	 * the resource objects. Without one, payload.client_id / resource_id
	 * name it: a [Peer] or [Resource] of the gateway's file (what wgatectl
	 * allow writes for those), or one Redis holds already. */
	bool has_client, has_resource;
	struct sig_client_in client;	/* create_authorization, client_updated, load */
	struct sig_resource_in resource; /* create_authorization, resource_updated, load */
	struct sig_grant_in grant;	/* create_authorization, reject_access, the deletes, load */
	struct sig_grant_in *grants;	/* init */
	size_t n_grants;
	char ref[WG_SIG_REF_LEN];
	struct wg_ipaddr iface4, iface6;
};

/* Frees what m still owns and wipes its key material. */
void sig_msg_release(struct sig_msg *m);
/* Applies a validated m (state.c). Takes what m owns on success. 0 or
 * -ENOMEM with the state unchanged. */
int sig_commit(struct wg_sig_state *s, struct sig_msg *m, struct wg_sig_result *res);

struct sig_client *sig_client_find(const struct wg_sig_state *s, const char *id);
struct sig_resource *sig_resource_find(const struct wg_sig_state *s, const char *id);

/* Every entry of t, in no particular order: for (n = sig_htab_first(t, &i);
 * n; n = sig_htab_next(t, n, &i)). The table must not change meanwhile. */
struct sig_hnode *sig_htab_first(const struct sig_htab *t, size_t *i);
struct sig_hnode *sig_htab_next(const struct sig_htab *t, struct sig_hnode *n, size_t *i);

const char *sig_kind_name(enum wg_cfg_resource_kind k);

#endif
