/* The gateway id (gateway_id.h): configured, stored, derived or random,
 * and stored atomically. */
#include "lib/signal/gateway_id.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/config/config.h"
#include "lib/config/values.h"

#define ID_LEN		WG_CFG_GATEWAY_ID_LEN
#define READ_MAX	4096	/* a machine id is 33 bytes; an id file 65 */

/* Reads at most READ_MAX bytes of path into buf (NUL-terminated). The
 * length, or -errno; -EFBIG when longer. */
static long read_small(const char *path, char buf[READ_MAX + 1])
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r = read(fd, buf + got, READ_MAX + 1 - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > READ_MAX) {
			close(fd);
			return -EFBIG;
		}
	}
	close(fd);
	buf[got] = '\0';
	return (long)got;
}

int wg_gateway_id_read(const char *path, char out[65], char *why, size_t whylen)
{
	char buf[READ_MAX + 1];
	long n = read_small(path, buf);

	if (n == -ENOENT)
		return 0;
	if (n < 0 && n != -EFBIG) {
		snprintf(why, whylen, "cannot read %s: %s", path, strerror((int)-n));
		return (int)n;
	}
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	if (n != ID_LEN || strspn(buf, "0123456789abcdef") != ID_LEN) {
		snprintf(why, whylen, "%s does not hold a gateway id (64 lower-case hex digits)",
			 path);
		return -EINVAL;
	}
	memcpy(out, buf, ID_LEN + 1);
	return 1;
}

/* 1 with out derived from the machine id, 0 when there is none. */
static int derive(const char *path, char out[ID_LEN + 1])
{
	char buf[READ_MAX + 1];
	long n = read_small(path, buf);
	const char *b = buf, *e;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	int rc = 0;

	if (n <= 0)
		return 0;	/* missing, unreadable, empty or too long: none */
	while (*b && isspace((unsigned char)*b))
		b++;
	for (e = buf + n; e > b && isspace((unsigned char)e[-1]); e--)
		;
	if (e > b) {
		crypto_auth_hmacsha256_init(&st, (const unsigned char *)WG_GATEWAY_ID_HMAC_KEY,
					    strlen(WG_GATEWAY_ID_HMAC_KEY));
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)b, (size_t)(e - b));
		crypto_auth_hmacsha256_final(&st, mac);
		sodium_bin2hex(out, ID_LEN + 1, mac, sizeof(mac));
		sodium_memzero(&st, sizeof(st));
		rc = 1;
	}
	/* The machine id is meant to stay on the machine: no copy lingers. */
	sodium_memzero(buf, sizeof(buf));
	return rc;
}

/* path's directory, created 0700 when missing. */
static int make_dir(const char *path, char *why, size_t whylen)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');

	if (!slash || slash == path)
		return 0;	/* the working directory, or / */
	if ((size_t)(slash - path) >= sizeof(dir)) {
		snprintf(why, whylen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int e = errno;

		snprintf(why, whylen, "cannot create %s: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

static int store_id(const char *path, const char id[ID_LEN + 1], char *why, size_t whylen)
{
	char tmp[4096 + 16], line[ID_LEN + 1];
	size_t off = 0;
	int fd, rc, e;

	if ((rc = make_dir(path, why, whylen)))
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp)) {
		snprintf(why, whylen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);	/* mode 0600 */
	if (fd < 0) {
		e = errno;
		snprintf(why, whylen, "cannot create a file beside %s: %s", path, strerror(e));
		return -e;
	}
	memcpy(line, id, ID_LEN);
	line[ID_LEN] = '\n';
	while (off < sizeof(line)) {
		ssize_t w = write(fd, line + off, sizeof(line) - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		off += (size_t)w;
	}
	if (fchmod(fd, 0600) || fsync(fd))
		goto fail;
	if (close(fd)) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path))
		goto fail;
	return 0;
fail:
	e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	snprintf(why, whylen, "cannot write %s: %s", path, strerror(e));
	return -e;
}

int wg_gateway_id(const char *configured, const char *state_path, const char *machine_id_path,
		  bool store, char out[65], char *why, size_t whylen)
{
	char id[ID_LEN + 1];
	int rc;

	if (!state_path)
		state_path = WG_GATEWAY_ID_STATE_PATH;
	if (!machine_id_path)
		machine_id_path = WG_GATEWAY_ID_MACHINE_ID_PATH;
	if (configured && *configured) {
		if (wg_cfgval_hex_id(configured, id)) {
			snprintf(why, whylen, "GatewayId: not 64 hex digits");
			return -EINVAL;
		}
	} else {
		rc = wg_gateway_id_read(state_path, id, why, whylen);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			memcpy(out, id, sizeof(id));
			return 0;
		}
		if (!derive(machine_id_path, id)) {
			uint8_t r[ID_LEN / 2];

			randombytes_buf(r, sizeof(r));
			sodium_bin2hex(id, sizeof(id), r, sizeof(r));
		}
	}
	if (store && (rc = store_id(state_path, id, why, whylen)))
		return rc;
	memcpy(out, id, sizeof(id));
	return 0;
}
