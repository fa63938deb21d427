/* libFuzzer: inner IPv4/IPv6 packets as a client sends them: the transport
 * header walk (extension headers, fragments), the ICMP errors built from
 * them (prohibited, unreachable, too big) and the IPv4 fragmenter. Each
 * output is checked against its contract, so a wrong answer aborts too,
 * not only a memory error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/net/icmp_error.h"
#include "lib/net/ip_frag.h"
#include "lib/net/ip_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[1600];
	struct wg_frag frags[64];
	struct wg_ip_l4 l4;
	size_t n;

	if (wg_ip_l4_find(data, size, &l4) == 0) {
		if (l4.off > size || l4.tot > size || l4.off > l4.tot)
			abort();
	}
	n = wg_icmp_error_build(out, sizeof(out), data, size, WG_ICMP_ERR_PROHIBITED);
	if (n > sizeof(out))
		abort();
	n = wg_icmp_error_build(out, sizeof(out), data, size, WG_ICMP_ERR_UNREACHABLE);
	if (n > sizeof(out))
		abort();
	n = wg_icmp_too_big_build(out, sizeof(out), data, size, 1280);
	if (n > sizeof(out))
		abort();
	/* An MTU from the input's last byte: 68.. fragments of every size. */
	uint32_t mtu = size ? 68u + (uint32_t)data[size - 1] * 8u : 576u;
	n = wg_ipv4_fragment(data, size, mtu, frags, 64);
	for (size_t i = 0; i < n && n <= 64; i++) {
		if (frags[i].hdr_len < 20 || frags[i].hdr_len > 60 || frags[i].hdr_len % 4 ||
		    (size_t)frags[i].off + frags[i].len > size ||
		    frags[i].hdr_len + frags[i].len > mtu)
			abort();
	}
	if (n > 64)
		abort();
	return 0;
}
