/* libFuzzer: Firezone in-tunnel control packets as a client sends them
 * (lib/fz/ctlmsg): the input is taken as the payload (event header + JSON)
 * of a control packet, and also whole as an inner packet. Whatever parses
 * must hold the rules (names in bounds, proxies in range, counts 4 or 8),
 * and an accepted AssignedIps built back must parse to the same message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fz/ctlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct wg_fz_msg *m)
{
	static uint8_t out[8192];
	struct wg_fz_msg back;

	if (strlen(m->resource) >= sizeof(m->resource) || strlen(m->domain) >= sizeof(m->domain))
		abort();
	if (m->event != WG_FZ_ASSIGNED_IPS)
		return;
	if (m->n_proxy != 4 && m->n_proxy != 8)
		abort();
	for (unsigned int i = 0; i < m->n_proxy; i++)
		if (!wg_fz_is_proxy_addr(&m->proxy[i]))
			abort();
	size_t n = wg_fz_build_assigned(out, sizeof(out), m->resource, m->domain, m->proxy,
					m->n_proxy);
	if (!n || wg_fz_parse(out, n, &back) != WG_FZ_OK || back.n_proxy != m->n_proxy ||
	    memcmp(back.proxy, m->proxy, sizeof(m->proxy)) || strcmp(back.domain, m->domain) ||
	    strcmp(back.resource, m->resource))
		abort();
	n = wg_fz_build_status(out, sizeof(out), m->resource, m->domain_raw, true);
	if (!n || wg_fz_parse(out, n, &back) != WG_FZ_OK || !back.active)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[40 + 65535];
	struct wg_fz_msg m;

	if (size > 65535)
		return 0;
	/* As the payload of a well-shaped control packet. */
	memset(pkt, 0, 40);
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)(size >> 8);
	pkt[5] = (uint8_t)size;
	pkt[6] = WG_FZ_NEXT_HEADER;
	memcpy(pkt + 40, data, size);
	if (!wg_fz_is_control(pkt, 40 + size))
		abort();
	if (wg_fz_parse(pkt, 40 + size, &m) == WG_FZ_OK)
		check(&m);
	/* As a whole inner packet. */
	if (wg_fz_parse(data, size, &m) == WG_FZ_OK) {
		if (!wg_fz_is_control(data, size))
			abort();
		check(&m);
	}
	return 0;
}
