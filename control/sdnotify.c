/* sd_notify(3) over NOTIFY_SOCKET, written directly (control/sdnotify.h).
 *
 * The protocol: one AF_UNIX datagram per notification to the socket named
 * by NOTIFY_SOCKET, a path ("/run/systemd/notify") or, with a leading '@',
 * a name in the abstract namespace. The datagram is newline-separated
 * VAR=VALUE lines. systemd takes the sender's pid from the socket
 * credentials, so nothing else is needed. WATCHDOG_USEC (and WATCHDOG_PID,
 * which must name this process when set) asks for WATCHDOG=1 at least that
 * often; we ping at half the interval, as sd_watchdog_enabled(3) advises.
 *
 * Sends never block (MSG_DONTWAIT): the control core must not stall on a
 * busy service manager; a lost watchdog ping is retried on the next pass.
 * Only the control lcore calls in, so the state below needs no lock. */
#include "control/sdnotify.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/config/values.h"
#include "lib/util/log.h"

/* Writer and reader: the control lcore. */
static struct {
	bool inited;
	int fd;				/* -1: no NOTIFY_SOCKET, or it failed */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_ns;		/* ping period (half of WATCHDOG_USEC); 0 = off */
	uint64_t next_ping_ns;
	bool send_failed;		/* logged once */
} sdn = { .fd = -1 };

static uint64_t watchdog_period_ns(void)
{
	const char *usec = getenv("WATCHDOG_USEC");
	const char *pid = getenv("WATCHDOG_PID");
	unsigned long v;

	if (!usec || !*usec)
		return 0;
	if (pid && *pid) {
		if (wg_cfgval_uint(pid, 1, UINT32_MAX, &v) || v != (unsigned long)getpid())
			return 0;	/* meant for another process (e.g. a wrapper) */
	}
	if (wg_cfgval_uint(usec, 1, UINT64_MAX / 1000, &v)) {
		WG_LOG(WARN, "main", "WATCHDOG_USEC=%s is not a number of microseconds:"
		       " systemd watchdog pings off", usec);
		return 0;
	}
	return (uint64_t)v * 1000 / 2;
}

static void sdnotify_init(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	size_t len;

	sdn.inited = true;
	if (!name || !*name)
		return;
	len = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || len >= sizeof(sdn.addr.sun_path)) {
		WG_LOG(WARN, "main", "NOTIFY_SOCKET=%s is not a unix socket path or @name:"
		       " no systemd notifications", name);
		return;
	}
	sdn.addr.sun_family = AF_UNIX;
	memcpy(sdn.addr.sun_path, name, len);
	if (name[0] == '@')
		sdn.addr.sun_path[0] = '\0';	/* abstract: no terminating NUL counted */
	sdn.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
				   (name[0] == '/'));
	sdn.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sdn.fd < 0) {
		WG_LOG(WARN, "main", "systemd notify socket: %s", strerror(errno));
		return;
	}
	sdn.watchdog_ns = watchdog_period_ns();
	if (sdn.watchdog_ns)
		WG_LOG(INFO, "main", "systemd watchdog: pinging every %llu ms",
		       (unsigned long long)(sdn.watchdog_ns / 1000000));
}

int ctl_sdnotify(const char *state)
{
	if (!sdn.inited)
		sdnotify_init();
	if (sdn.fd < 0)
		return 0;
	if (sendto(sdn.fd, state, strlen(state), MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&sdn.addr, sdn.addr_len) < 0) {
		int err = errno;

		if (!sdn.send_failed)
			WG_LOG(WARN, "main", "systemd notification failed: %s", strerror(err));
		sdn.send_failed = true;
		return -err;
	}
	return 0;
}

void ctl_sdnotify_watchdog(uint64_t now_ns)
{
	if (!sdn.inited)
		sdnotify_init();
	if (!sdn.watchdog_ns || now_ns < sdn.next_ping_ns)
		return;
	if (!ctl_sdnotify("WATCHDOG=1"))
		sdn.next_ping_ns = now_ns + sdn.watchdog_ns;
}

void ctl_sdnotify_close(void)
{
	if (sdn.fd >= 0)
		close(sdn.fd);
	sdn.fd = -1;
}
