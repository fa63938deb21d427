/* The gateway id: 64 lower-case hex digits naming this gateway's keys in
 * Redis (wgate:{G}:...). It must outlive restarts and reinstalls of the
 * same machine, yet never reveal the machine's own id.
 *
 * The one file I/O in lib/ (reading the stored id and /etc/machine-id,
 * storing the id); nothing else here touches the file system. */
#ifndef WGATE_LIB_SIGNAL_GATEWAY_ID_H
#define WGATE_LIB_SIGNAL_GATEWAY_ID_H

#include <stdbool.h>
#include <stddef.h>

#define WG_GATEWAY_ID_STATE_PATH	"/var/lib/wgate/gateway-id"
#define WG_GATEWAY_ID_MACHINE_ID_PATH	"/etc/machine-id"
/* The HMAC key that turns a machine id into a gateway id. Changing it
 * changes every derived id: it carries a version. */
#define WG_GATEWAY_ID_HMAC_KEY		"wgate gateway id v1"

/* Picks the id, first of:
 *   1. configured ([Signaling] GatewayId; NULL or "" = none): 64 hex digits,
 *      any case, lowered;
 *   2. the id stored in state_path (64 lower-case hex digits, a final
 *      newline allowed); a file that holds anything else is an error, not
 *      silently replaced, since it would change the gateway's identity;
 *   3. HMAC-SHA256 keyed with WG_GATEWAY_ID_HMAC_KEY over the content of
 *      machine_id_path, whitespace trimmed: stable for the machine, and the
 *      machine id cannot be recovered from it;
 *   4. 32 random bytes (no machine id, or an empty one).
 * With store, an id not read from state_path is written there (mode 0600,
 * through a temporary file and rename, so a crash leaves the old file or
 * the new, never a half; state_path's directory is created, mode 0700, if
 * missing). NULL paths take the defaults above.
 * 0 with out set; -EINVAL (bad configured or stored id) or -errno of the
 * file system, with the reason in why. */
int wg_gateway_id(const char *configured, const char *state_path, const char *machine_id_path,
		  bool store, char out[65], char *why, size_t whylen);

/* The id stored in path (as wg_gateway_id stores it: 64 lower-case hex
 * digits, a final newline allowed): 1 with out set; 0 when there is no
 * file; -EINVAL (a file holding anything else) or -errno, with the reason
 * in why. For readers such as wgatectl, which must not derive an id. */
int wg_gateway_id_read(const char *path, char out[65], char *why, size_t whylen);

#endif
