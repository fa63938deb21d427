/* Loading wgate.conf: lex the file (ini.c), lay the WGATE_* environment over
 * it, give each section its meaning (sections.c), then check what spans
 * sections: an [Interface] and a [Port] exist, peer keys are unique, no two
 * peers claim overlapping AllowedIPs, resource names are unique, and every
 * [Access] names a known peer and resource, once.
 *
 * The first problem stops the load; nothing is half-applied because the
 * result is a new struct the caller has not seen yet.
 */
#include "lib/config/config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "lib/config/ini.h"
#include "lib/dns/servers.h"
#include "lib/config/sections.h"
#include "lib/config/values.h"
#include "lib/flags/flags.h"

#define CONFIG_FILE_MAX (64u << 20)	/* far beyond any real config; stops reading /dev/zero */

/* WGATE_* variables that are not config keys (interface.md, Environment). */
static const char *const env_not_config[] = {
	"WGATE_CONFIG", "WGATE_LOG", "WGATE_LOG_FORMAT", "WGATE_METRICS",
	"WGATE_FLAGS_URL", "WGATE_FLAGS_KEY", "WGATE_DNS_SERVERS",
	"WGATE_NO_TELEMETRY", "WGATE_FLAGS_INTERVAL_MS",
};

void wg_config_error_str(const struct wg_config_error *e, char *buf, size_t len)
{
	if (e->var[0])
		snprintf(buf, len, "environment %s: %s", e->var, e->msg);
	else if (e->line > 0)
		snprintf(buf, len, "%s:%d: %s", e->file, e->line, e->msg);
	else
		snprintf(buf, len, "%s: %s", e->file, e->msg);
}

int wg_cfg_fail(struct cfg_ctx *x, const struct ini_section *s, const struct ini_entry *e,
		const char *fmt, ...)
{
	struct wg_config_error *err = x->err;
	char why[sizeof(err->msg)], sec[96] = "";
	int off = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	memset(err, 0, sizeof(*err));
	if (e && e->env) {
		snprintf(err->var, sizeof(err->var), "%s", e->env);
		snprintf(err->msg, sizeof(err->msg), "%s", why);
		return -EINVAL;
	}
	snprintf(err->file, sizeof(err->file), "%s", x->file);
	if (s)
		snprintf(sec, sizeof(sec), "[%s%s%s]", s->type, s->name ? " " : "",
			 s->name ? s->name : "");
	if (e) {
		err->line = e->line;
		off = snprintf(err->msg, sizeof(err->msg), "%s %s: ", sec, e->key);
	} else if (s) {
		err->line = s->line;
		off = snprintf(err->msg, sizeof(err->msg), "%s: ", sec);
	}
	/* A long quoted value may be cut; the place and the reason stay. */
	if (off >= 0 && (size_t)off < sizeof(err->msg))
		snprintf(err->msg + off, sizeof(err->msg) - (size_t)off, "%s", why);
	return -EINVAL;
}

const struct ini_entry *wg_cfg_find(const struct ini_section *s, const char *key)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->e[i].dropped && !strcasecmp(s->e[i].key, key))
			return &s->e[i];
	return NULL;
}

static void env_fail(struct cfg_ctx *x, const char *var, size_t var_len, const char *msg)
{
	memset(x->err, 0, sizeof(*x->err));
	snprintf(x->err->var, sizeof(x->err->var), "%.*s", (int)var_len, var);
	snprintf(x->err->msg, sizeof(x->err->msg), "%s", msg);
}

static bool upper_eq(const char *env, size_t n, const char *name)
{
	size_t i = 0;

	for (; i < n && name[i]; i++)
		if (env[i] != (char)((name[i] >= 'a' && name[i] <= 'z') ? name[i] - 32 : name[i]))
			return false;
	return i == n && !name[i];
}

/* One WGATE_<SECTION>_<KEY>=value: set or replace that key, creating the
 * section if the file lacks it. Setting one of an exclusive pair (PrivateKey,
 * PrivateKeyFile) drops the other, so the environment can swap a key file
 * for an inline key without editing the file. */
static int env_apply(struct cfg_ctx *x, const char *var)
{
	const char *eq = strchr(var, '=');
	size_t vlen = eq ? (size_t)(eq - var) : strlen(var);
	const size_t pre = strlen("WGATE_");
	const struct section_spec *sp = NULL;
	const struct key_spec *ks = NULL;
	struct ini_section *s = NULL;
	struct ini_entry *e = NULL;
	size_t klen = 0;
	const char *k = NULL;

	if (eq && vlen == strlen("WGATE_DNS_SERVERS") && !strncmp(var, "WGATE_DNS_SERVERS", vlen)) {
		struct wg_dns_server sv[WG_DNS_MAX_SERVERS];
		char why[160];
		size_t n;

		if (wg_dns_servers_parse(eq + 1, sv, &n, why, sizeof(why))) {
			env_fail(x, var, vlen, why);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < sizeof(env_not_config) / sizeof(env_not_config[0]); i++)
		if (strlen(env_not_config[i]) == vlen && !strncmp(var, env_not_config[i], vlen))
			return 0;
	if (!strncmp(var, WG_FLAG_ENV_PREFIX, strlen(WG_FLAG_ENV_PREFIX))) {
		struct wg_flag_pins pins = { 0 };
		char why[160];

		if (!wg_flag_pin_parse(var, &pins, why, sizeof(why)))
			return 0;
		env_fail(x, var, vlen, why);
		return -EINVAL;
	}
	for (size_t i = 0; i < wg_cfg_n_sections; i++) {
		size_t tl = strlen(wg_cfg_sections[i]->type);

		if (vlen > pre + tl && var[pre + tl] == '_' &&
		    upper_eq(var + pre, tl, wg_cfg_sections[i]->type)) {
			sp = wg_cfg_sections[i];
			k = var + pre + tl + 1;
			klen = vlen - pre - tl - 1;
			break;
		}
	}
	if (!sp) {
		env_fail(x, var, vlen, "not a wgate setting");
		return -EINVAL;
	}
	if (!sp->single) {
		char m[128];

		snprintf(m, sizeof(m), "[%s] sections cannot be set from the environment",
			 sp->type);
		env_fail(x, var, vlen, m);
		return -EINVAL;
	}
	for (size_t i = 0; i < sp->n_keys; i++)
		if (upper_eq(k, klen, sp->keys[i].name))
			ks = &sp->keys[i];
	if (!ks) {
		char m[128];

		snprintf(m, sizeof(m), "[%s] has no such key", sp->type);
		env_fail(x, var, vlen, m);
		return -EINVAL;
	}
	if (!eq) {
		env_fail(x, var, vlen, "no value");
		return -EINVAL;
	}
	for (size_t i = 0; i < x->doc.n && !s; i++)
		if (!strcasecmp(x->doc.s[i].type, sp->type))
			s = &x->doc.s[i];
	if (!s && !(s = wg_ini_section_add(&x->doc, sp->type)))
		goto oom;
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].dropped)
			continue;
		if (!strcasecmp(s->e[i].key, ks->name))
			e = &s->e[i];
		else if (ks->exclusive && !strcasecmp(s->e[i].key, ks->exclusive))
			s->e[i].dropped = true;
	}
	if (!e && !(e = wg_ini_entry_add(s, ks->name, NULL, 0)))
		goto oom;
	free(e->env);
	e->env = strndup(var, vlen);
	if (!e->env)
		goto oom;
	e->key = ks->name;
	e->value = eq + 1;
	return 0;
oom:
	wg_cfg_fail(x, NULL, NULL, "out of memory");
	return -ENOMEM;
}

static bool name_ok(const char *n, size_t max, bool dots)
{
	size_t l = strlen(n);

	if (l == 0 || l > max)
		return false;
	for (; *n; n++) {
		char c = *n;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-' || (dots && c == '.')))
			return false;
	}
	return true;
}

/* Gives one lexed section its meaning. first[] remembers where each
 * single-instance section was first seen. */
static int apply_section(struct cfg_ctx *x, struct ini_section *s, int *first)
{
	const struct section_spec *sp = NULL;
	size_t idx = 0;
	void *obj;

	for (; idx < wg_cfg_n_sections; idx++) {
		if (!strcasecmp(s->type, wg_cfg_sections[idx]->type)) {
			sp = wg_cfg_sections[idx];
			break;
		}
	}
	if (!sp)
		return wg_cfg_fail(x, s, NULL, "unknown section");
	s->type = sp->type;	/* messages use the canonical spelling */
	if (sp->name_max && !s->name)
		return wg_cfg_fail(x, s, NULL, "needs a name, like [%s %s]", sp->type,
				   sp->name_example);
	if (!sp->name_max && s->name)
		return wg_cfg_fail(x, s, NULL, "takes no name");
	if (s->name && !name_ok(s->name, sp->name_max, sp->name_dots))
		return wg_cfg_fail(x, s, NULL, "the name must be 1-%zu of A-Z a-z 0-9 _ -%s",
				   sp->name_max, sp->name_dots ? " ." : "");
	if (sp->single) {
		if (first[idx] >= 0)
			return wg_cfg_fail(x, s, NULL, "duplicate section (first at line %d)",
					   first[idx]);
		first[idx] = s->line;
	}
	/* Unknown keys first, so a typo is reported as such rather than as a
	 * missing key; also canonical spelling for later messages. */
	for (size_t i = 0; i < s->n; i++) {
		struct ini_entry *e = &s->e[i];
		const struct key_spec *ks = NULL;

		for (size_t k = 0; k < sp->n_keys && !ks; k++)
			if (!strcasecmp(e->key, sp->keys[k].name))
				ks = &sp->keys[k];
		if (!ks)
			return wg_cfg_fail(x, s, e, "unknown key");
		e->key = ks->name;
		if (ks->exclusive && !e->dropped) {
			const struct ini_entry *o = wg_cfg_find(s, ks->exclusive);

			if (o && o < e)
				return wg_cfg_fail(x, s, e, "%s is set too; use one of them",
						   o->key);
		}
	}
	obj = sp->begin(x, s);
	if (!obj)
		return -EINVAL;
	for (size_t i = 0; i < s->n; i++) {
		if (s->e[i].dropped)
			continue;
		for (size_t k = 0; k < sp->n_keys; k++) {
			if (strcmp(s->e[i].key, sp->keys[k].name))
				continue;
			int rc = sp->keys[k].set(x, s, &s->e[i], obj);
			if (rc)
				return rc;
		}
	}
	return sp->end ? sp->end(x, s, obj) : 0;
}

struct wg_config *wg_config_parse(const char *name, const char *text, size_t len,
				  char *const *envp, struct wg_config_error *err)
{
	struct wg_config_error dummy;
	struct cfg_ctx x = { .file = name, .err = err ? err : &dummy };
	int first[16], rc;
	const char *slash = strrchr(name, '/');

	memset(x.err, 0, sizeof(*x.err));
	for (size_t i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		first[i] = -1;
	if (slash)
		snprintf(x.dir, sizeof(x.dir), "%.*s", (int)(slash == name ? 1 : slash - name),
			 name);
	else
		snprintf(x.dir, sizeof(x.dir), ".");
	x.c = calloc(1, sizeof(*x.c));
	if (!x.c || wg_cfg_defaults(x.c)) {
		wg_cfg_fail(&x, NULL, NULL, "out of memory");
		goto err;
	}
	snprintf(x.c->path, sizeof(x.c->path), "%s", name);
	rc = wg_ini_parse(&x.doc, name, text, len, x.err);
	if (rc == -ENOMEM)
		wg_cfg_fail(&x, NULL, NULL, "out of memory");
	if (rc)
		goto err;
	for (char *const *v = envp; v && *v; v++)
		if (!strncmp(*v, "WGATE_", 6) && env_apply(&x, *v))
			goto err;
	for (size_t i = 0; i < x.doc.n; i++)
		if (apply_section(&x, &x.doc.s[i], first))
			goto err;
	if (wg_cfg_check_all(&x))
		goto err;
	wg_ini_free(&x.doc);
	free(x.peer_p);
	if (x.access_p)
		sodium_memzero(x.access_p, x.c->n_access * sizeof(*x.access_p));
	free(x.access_p);
	return x.c;
err:
	wg_ini_free(&x.doc);
	free(x.peer_p);
	free(x.access_p);
	wg_config_free(x.c);
	return NULL;
}

/* Does the text set PrivateKey or PresharedKey inline (not ...File)? */
static bool holds_inline_key(const char *t, size_t len)
{
	static const char *const keys[] = { "privatekey", "presharedkey" };
	const char *end = t + len;

	for (const char *p = t; t && p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *q = p;

		if (!eol)
			eol = end;
		while (q < eol && (*q == ' ' || *q == '\t'))
			q++;
		for (size_t k = 0; k < 2; k++) {
			size_t n = strlen(keys[k]);
			const char *r = q + n;

			if ((size_t)(eol - q) <= n || strncasecmp(q, keys[k], n))
				continue;
			while (r < eol && (*r == ' ' || *r == '\t'))
				r++;
			if (r < eol && *r == '=')
				return true;
		}
		p = eol + 1;
	}
	return false;
}

struct wg_config *wg_config_load(const char *path, char *const *envp,
				 struct wg_config_error *err)
{
	struct wg_config_error dummy;
	struct wg_config *c = NULL;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	FILE *f;

	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	snprintf(err->file, sizeof(err->file), "%s", path);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			char *nb;

			cap = cap ? cap * 2 : 16384;
			if (cap > CONFIG_FILE_MAX) {
				snprintf(err->msg, sizeof(err->msg), "larger than %u MiB",
					 CONFIG_FILE_MAX >> 20);
				goto out;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				snprintf(err->msg, sizeof(err->msg), "out of memory");
				goto out;
			}
			buf = nb;
		}
		size_t r = fread(buf + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err->msg, sizeof(err->msg), "cannot read: %s", strerror(errno));
		goto out;
	}
	c = wg_config_parse(path, buf ? buf : "", len, envp, err);
	if (c && holds_inline_key(buf, len))
		wg_cfgval_warn_loose(fileno(f), path, "config file holding keys");
out:
	if (buf) {
		/* The file may hold PrivateKey and PresharedKey values. */
		sodium_memzero(buf, cap);
		free(buf);
	}
	fclose(f);
	return c;
}

void wg_config_free(struct wg_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_ports; i++)
		free(c->ports[i].routes);
	for (size_t i = 0; i < c->n_peers; i++)
		free(c->peers[i].allowed);
	for (size_t i = 0; i < c->n_resources; i++)
		free(c->resources[i].filters);
	if (c->peers)
		sodium_memzero(c->peers, c->n_peers * sizeof(*c->peers));
	free(c->ports);
	free(c->peers);
	free(c->resources);
	free(c->access);
	free(c->dataplane.eal_args);
	/* The private key, and the Redis URL (it may carry a password). */
	sodium_memzero(c, sizeof(*c));
	free(c);
}

int wg_config_peer_find(const struct wg_config *c, const uint8_t key[WG_CFG_KEY_LEN])
{
	for (size_t i = 0; i < c->n_peers; i++)
		if (sodium_memcmp(c->peers[i].public_key, key, WG_CFG_KEY_LEN) == 0)
			return (int)i;
	return -ENOENT;
}

int wg_config_resource_find(const struct wg_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_resources; i++)
		if (!strcmp(c->resources[i].name, name))
			return (int)i;
	return -ENOENT;
}
