/* Private to lib/config: what each wgate.conf section and key means.
 * config.c drives the load (file, env); sec_gateway.c and sec_policy.c hold
 * one table of keys per section and a setter per key; checks.c checks what
 * spans sections; sections.c has the helpers they share. */
#ifndef WGATE_LIB_CONFIG_SECTIONS_H
#define WGATE_LIB_CONFIG_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/config/config.h"
#include "lib/config/ini.h"

/* What a later, cross-section pass needs to remember about one [Peer]. */
struct peer_pending {
	const struct ini_entry *key_e;		/* PublicKey */
	const struct ini_entry *allowed_e;	/* AllowedIPs */
};

/* [Access] names a peer and a resource that may come later in the file. */
struct access_pending {
	uint8_t key[WG_CFG_KEY_LEN];		/* a public key: not secret, wiped anyway */
	const char *resource;			/* points into the ini_doc */
	const struct ini_entry *peer_e, *resource_e;
};

/* One load in progress. Owner: wg_config_parse(), on its stack. */
struct cfg_ctx {
	const char *file;		/* name for messages */
	char dir[256];			/* the file's directory, for relative key files */
	struct ini_doc doc;
	struct wg_config *c;
	struct wg_config_error *err;
	size_t cap_ports, cap_peers, cap_resources, cap_access;
	struct peer_pending *peer_p;	/* parallel to c->peers */
	struct access_pending *access_p; /* parallel to c->access */
};

struct key_spec {
	const char *name;	/* canonical spelling, as in interface.md */
	const char *exclusive;	/* the key that may not be set with this one, or NULL */
	int (*set)(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		   void *obj);
};

struct section_spec {
	const char *type;		/* canonical spelling */
	size_t name_max;		/* [Type NAME] with 1..name_max characters; 0 = [Type] */
	bool name_dots;			/* NAME may contain '.' besides A-Z a-z 0-9 _ - */
	const char *name_example;	/* for "needs a name, like [Port wan]" */
	bool single;			/* at most once; its keys can come from WGATE_* */
	const struct key_spec *keys;
	size_t n_keys;
	/* Returns the object the keys fill (appending one for repeated
	 * sections) or NULL after failing. */
	void *(*begin)(struct cfg_ctx *x, const struct ini_section *s);
	/* Required keys and checks between keys of this section. */
	int (*end)(struct cfg_ctx *x, const struct ini_section *s, void *obj);
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define WHY_LEN 200				/* reasons from the value parsers */
#define KEY_ERR "not a base64 32-byte key"	/* the one message for any bad key */

extern const struct section_spec wg_cfg_interface_spec, wg_cfg_dataplane_spec,
	wg_cfg_port_spec, wg_cfg_signaling_spec;		/* sec_gateway.c */
extern const struct section_spec wg_cfg_peer_spec, wg_cfg_resource_spec,
	wg_cfg_access_spec;					/* sec_policy.c */
/* All of them, in the order the documentation lists them. */
extern const struct section_spec *const wg_cfg_sections[];
extern const size_t wg_cfg_n_sections;

/* Grows *arr (elements of elem bytes) so that index n fits; returns element
 * n, zeroed, or NULL on -ENOMEM. */
void *wg_cfg_grow(void **arr, size_t *cap, size_t n, size_t elem);
/* Fails with "out of memory"; returns NULL for begin() callbacks. */
void *wg_cfg_oom(struct cfg_ctx *x);
/* Reads the key file that e names into out; fails naming the path only. */
int wg_cfg_key_file(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		    uint8_t out[WG_CFG_KEY_LEN]);
/* Calls item() for each item of e's comma list; an empty item is an error. */
int wg_cfg_each_item(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		     void *obj, int (*item)(struct cfg_ctx *, const struct ini_section *,
					    const struct ini_entry *, void *, const char *));
/* Upper bound of items in a comma list (commas + 1), to size arrays once. */
size_t wg_cfg_max_items(const char *v);

/* Fills x->err and returns -EINVAL. With an env entry: "environment VAR:
 * reason"; with a file entry: "file:line: [Section] Key: reason"; with only a
 * section: "file:line: [Section]: reason"; with neither: "file: reason".
 * Callers never pass key material in the reason. */
int wg_cfg_fail(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The live entry of s named key (any case), or NULL. */
const struct ini_entry *wg_cfg_find(const struct ini_section *s, const char *key);
/* The checks across sections, after every section is applied (checks.c). */
int wg_cfg_check_all(struct cfg_ctx *x);
/* Sets defaults for everything optional. 0 or -ENOMEM. */
int wg_cfg_defaults(struct wg_config *c);

#endif
