/* wgatectl's reads over the gateway's DPDK telemetry socket (ctl_tel.h).
 *
 * The socket, /var/run/dpdk/<file-prefix>/dpdk_telemetry.v2, is a
 * SOCK_SEQPACKET unix socket where the server first sends one JSON info
 * object ({"version": ..., "pid": ..., "max_output_len": ...}), then answers
 * each command string ("/wgate/status", or "/cmd,params") with one JSON
 * object {"<command without params>": value}; null when the command is
 * unknown or its callback failed.
 *
 * It needs no DPDK library: the protocol is plain JSON over a socket, and a
 * tool that links the EAL would need hugepages to print a table.
 */
#include "control/ctl_tel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define IO_TIMEOUT_S		5
/* DPDK 22.11 caps a reply at 16 KiB (its max_output_len); leave room for
 * servers built with a larger cap. */
#define REPLY_MAX		(1024 * 1024)

/* Connects and consumes the server's info message. Returns the socket or
 * -errno; the caller reports. */
static int tel_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
	char info[4096];
	ssize_t n;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);

	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		goto err_close;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto err_close;
	/* The info object: its content is not needed, only that it came,
	 * which proves a telemetry server (not a stale socket) is there. */
	n = recv(fd, info, sizeof(info), 0);
	if (n < 0)
		goto err_close;
	if (n == 0) {
		/* DPDK closes at once when it has too many clients. */
		errno = ECONNRESET;
		goto err_close;
	}
	return fd;

err_close:
	err = errno;
	close(fd);
	return -err;
}

int ctl_tel_open(struct ctl_tel *t, const char *path)
{
	t->path = path;
	t->unreachable = true;
	t->buf = NULL;
	t->fd = tel_connect(path);
	if (t->fd < 0) {
		fprintf(stderr, "wgatectl: cannot reach the gateway at %s: %s\n"
			"  (is wgate running? pick its socket with --socket PATH or"
			" --prefix FILE_PREFIX)\n", path, strerror(-t->fd));
		return t->fd;
	}
	t->buf = malloc(REPLY_MAX);
	if (!t->buf) {
		fprintf(stderr, "wgatectl: out of memory\n");
		close(t->fd);
		t->unreachable = false;
		return -ENOMEM;
	}
	return 0;
}

void ctl_tel_close(struct ctl_tel *t)
{
	free(t->buf);
	if (t->fd >= 0)
		close(t->fd);
}

json_t *ctl_tel_cmd(struct ctl_tel *t, const char *cmd, bool quiet_null)
{
	json_error_t jerr;
	json_t *root, *val;
	ssize_t n;

	t->unreachable = true;
	if (send(t->fd, cmd, strlen(cmd), 0) < 0 ||
	    (n = recv(t->fd, t->buf, REPLY_MAX, 0)) < 0) {
		fprintf(stderr, "wgatectl: %s: %s: %s\n", t->path, cmd, strerror(errno));
		return NULL;
	}
	if (n == 0) {
		fprintf(stderr, "wgatectl: %s: the gateway closed the connection\n", t->path);
		return NULL;
	}
	t->unreachable = false;
	root = json_loadb(t->buf, (size_t)n, 0, &jerr);
	if (!root) {
		fprintf(stderr, "wgatectl: %s: malformed reply: %s\n", cmd, jerr.text);
		return NULL;
	}
	/* The reply is keyed by the command without its ",params". */
	val = json_object_getn(root, cmd, strcspn(cmd, ","));
	if (!val || json_is_null(val)) {
		if (!quiet_null)
			fprintf(stderr, "wgatectl: the gateway does not know the command %s"
				" (or failed it)\n", cmd);
		json_decref(root);
		return NULL;
	}
	json_incref(val);
	json_decref(root);
	return val;
}

/* Adds one peer object to out, with "public_key" set when it lacks one. */
static void peers_add(json_t *out, json_t *p, const char *key)
{
	if (!json_is_object(p))
		return;
	p = json_deep_copy(p);
	if (!p)
		return;
	if (key && !json_is_string(json_object_get(p, "public_key")))
		json_object_set_new(p, "public_key", json_string(key));
	json_array_append_new(out, p);
}

/* All peers as one array of objects, each with "public_key".
 *
 * wgate's protocol (DPDK 22.11 telemetry cannot put a dictionary in a list,
 * nor '+' or '=' in a dictionary name): "/wgate/peers[,OFFSET]" lists public
 * keys a page at a time, "/wgate/peer,KEY" describes one peer. Pages are
 * fetched until one comes back empty, so the client does not depend on the
 * server's page size (a 16 KiB reply holds ~340 keys). Also accepted, as
 * other servers may send them: a list of peer objects, or one object with a
 * peer object per member (keyed by public key, or carrying "public_key"). */
json_t *ctl_tel_peers(struct ctl_tel *t)
{
	json_t *out = json_array(), *page, *p;
	const char *key;
	size_t offset = 0, i;
	char cmd[128];

	if (!out)
		return NULL;
	for (;;) {
		if (offset)
			snprintf(cmd, sizeof(cmd), "/wgate/peers,%zu", offset);
		else
			snprintf(cmd, sizeof(cmd), "/wgate/peers");
		page = ctl_tel_cmd(t, cmd, false);
		if (!page)
			goto err;
		if (json_is_object(page) && offset == 0) {
			json_object_foreach(page, key, p)
				peers_add(out, p, key);
			json_decref(page);
			return out;
		}
		if (!json_is_array(page)) {
			fprintf(stderr, "wgatectl: %s: the reply is not a list\n", cmd);
			json_decref(page);
			goto err;
		}
		if (json_array_size(page) == 0) {
			json_decref(page);
			return out;
		}
		/* A server that ignores OFFSET sends the first page again. */
		if (offset && json_is_string(json_array_get(page, 0)) && json_array_size(out) &&
		    !strcmp(json_string_value(json_array_get(page, 0)),
			    json_string_value(json_object_get(json_array_get(out, 0), "public_key")))) {
			json_decref(page);
			return out;
		}
		json_array_foreach(page, i, p) {
			if (json_is_string(p)) {
				json_t *detail;

				snprintf(cmd, sizeof(cmd), "/wgate/peer,%s", json_string_value(p));
				detail = ctl_tel_cmd(t, cmd, true);	/* null: removed meanwhile */
				if (!detail && t->unreachable) {
					json_decref(page);
					goto err;
				}
				if (detail)
					peers_add(out, detail, json_string_value(p));
				json_decref(detail);
			} else {
				peers_add(out, p, NULL);
			}
		}
		if (!json_is_string(json_array_get(page, 0))) {
			json_decref(page);	/* objects: one reply holds them all */
			return out;
		}
		offset += json_array_size(page);
		json_decref(page);
	}

err:
	json_decref(out);
	return NULL;
}

/* The strings of a paged list: CMD[,ARG][,OFFSET] until a page comes back
 * empty, so the client does not depend on the server's page size. A server
 * that ignores OFFSET (sends the first page again) ends the walk too. */
static json_t *fetch_list(struct ctl_tel *t, const char *base, const char *arg)
{
	json_t *out = json_array(), *page, *s;
	size_t offset = 0, i;
	char cmd[256];

	while (out) {
		if (offset)
			snprintf(cmd, sizeof(cmd), "%s,%s%s%zu", base, arg ? arg : "", arg ? "," : "",
				 offset);
		else
			snprintf(cmd, sizeof(cmd), "%s%s%s", base, arg ? "," : "", arg ? arg : "");
		page = ctl_tel_cmd(t, cmd, false);
		if (!page)
			goto err;
		if (!json_is_array(page)) {
			fprintf(stderr, "wgatectl: %s: the reply is not a list\n", cmd);
			json_decref(page);
			goto err;
		}
		if (json_array_size(page) == 0 ||
		    (offset && json_equal(json_array_get(page, 0), json_array_get(out, 0)))) {
			json_decref(page);
			return out;
		}
		json_array_foreach(page, i, s) {
			if (!json_is_string(s)) {
				fprintf(stderr, "wgatectl: %s: the reply is not a list of strings\n", cmd);
				json_decref(page);
				goto err;
			}
			json_array_append(out, s);
		}
		offset += json_array_size(page);
		json_decref(page);
	}
err:
	json_decref(out);
	return NULL;
}

/* A string, or a list of strings sent in pieces (telemetry strings hold at
 * most 127 characters: a long DNS name comes as a list), as one string. */
static json_t *joined(const json_t *v)
{
	char buf[1024] = "";
	size_t i, n = 0;
	json_t *p;

	if (!json_is_array(v))
		return json_is_string(v) ? json_copy((json_t *)v) : json_string("?");
	json_array_foreach(v, i, p)
		if (json_is_string(p) && n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s", json_string_value(p));
	return json_string(buf);
}

/* All resources as one array of objects, each with "name" and the address
 * as one string. */
json_t *ctl_tel_resources(struct ctl_tel *t)
{
	json_t *names = fetch_list(t, "/wgate/resources", NULL), *out = json_array(), *n;
	size_t i;

	if (!names || !out)
		goto err;
	json_array_foreach(names, i, n) {
		char cmd[128];
		json_t *r;

		snprintf(cmd, sizeof(cmd), "/wgate/resource,%s", json_string_value(n));
		r = ctl_tel_cmd(t, cmd, true);	/* null: removed meanwhile */
		if (!r && t->unreachable)
			goto err;
		if (!json_is_object(r)) {
			json_decref(r);
			continue;
		}
		json_object_set(r, "name", n);
		json_object_set_new(r, "address", joined(json_object_get(r, "address")));
		json_array_append_new(out, r);
	}
	json_decref(names);
	return out;
err:
	json_decref(names);
	json_decref(out);
	return NULL;
}

/* The grants, as objects {"public_key", "resource", "expires_at": unix
 * seconds or null, "expired"}, from items "KEY RESOURCE EXPIRES" (or
 * "RESOURCE EXPIRES" for one peer's), EXPIRES 0 = never. */
json_t *ctl_tel_access(struct ctl_tel *t, const char *key)
{
	json_t *items = fetch_list(t, "/wgate/access", key), *out = json_array(), *it;
	int64_t now = (int64_t)time(NULL);
	size_t i;

	if (!items || !out)
		goto err;
	json_array_foreach(items, i, it) {
		char k[64], res[128];
		long long exp;
		const char *s = json_string_value(it);
		int n = key ? sscanf(s, "%127s %lld", res, &exp)
			    : sscanf(s, "%63s %127s %lld", k, res, &exp);

		if (n != (key ? 2 : 3)) {
			fprintf(stderr, "wgatectl: /wgate/access: malformed item '%s'\n", s);
			goto err;
		}
		json_array_append_new(out, json_pack("{s:s, s:s, s:o, s:b}",
						     "public_key", key ? key : k, "resource", res,
						     "expires_at", exp ? json_integer(exp) : json_null(),
						     "expired", exp && exp <= now));
	}
	json_decref(items);
	return out;
err:
	json_decref(items);
	json_decref(out);
	return NULL;
}

/* "NAME VALUE SOURCE PAYLOAD" from /wgate/flags, the payload from
 * /wgate/flag,NAME where there is one; "fetch OK FAILED LAST_ERROR". */
json_t *ctl_tel_flags(struct ctl_tel *t)
{
	json_t *list = ctl_tel_cmd(t, "/wgate/flags", false);
	json_t *out = json_pack("{s:[], s:n}", "flags", "fetch");
	json_t *flags = json_object_get(out, "flags");
	size_t i;
	json_t *s;

	if (!list || !out || !json_is_array(list))
		goto bad;
	json_array_foreach(list, i, s) {
		char name[64], val[8], src[24], pl[8], cmd[96];
		unsigned long long ok, failed;
		int n = 0;
		json_t *f, *one;

		if (!json_is_string(s))
			goto bad;
		if (sscanf(json_string_value(s), "fetch %llu %llu %n", &ok, &failed, &n) == 2 &&
		    n > 0) {
			json_object_set_new(out, "fetch", json_pack("{s:I, s:I, s:s?}", "ok",
				(json_int_t)ok, "failed", (json_int_t)failed, "last_error",
				strcmp(json_string_value(s) + n, "-") ? json_string_value(s) + n : NULL));
			continue;
		}
		if (sscanf(json_string_value(s), "%63s %7s %23s %7s", name, val, src, pl) != 4)
			goto bad;
		f = json_pack("{s:s, s:b, s:s, s:n}", "name", name, "value", !strcmp(val, "on"),
			      "source", src, "payload");
		json_array_append_new(flags, f);
		if (strcmp(pl, "yes"))
			continue;
		snprintf(cmd, sizeof(cmd), "/wgate/flag,%s", name);
		one = ctl_tel_cmd(t, cmd, true);
		if (one) {
			json_object_set(f, "payload", json_object_get(one, "payload"));
			json_decref(one);
		}
	}
	json_decref(list);
	return out;
bad:
	if (list)
		fprintf(stderr, "wgatectl: /wgate/flags: unexpected reply\n");
	json_decref(list);
	json_decref(out);
	return NULL;
}
