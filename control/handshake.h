/* The handshake service on the control core: answers initiations, consumes
 * responses and cookie replies, starts handshakes, sends keepalives. */
#ifndef WGATE_CONTROL_HANDSHAKE_H
#define WGATE_CONTROL_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

struct rte_mbuf;
struct ctl_peer;

/* 0 or -ENOMEM (the per-source rate-limit table). */
int ctl_handshake_init(void);
void ctl_handshake_free(void);
/* Every control tick: renews and shares the cookie secret, keeps the
 * under-load state (dp.hs_under_load) while the workers answer a flood. */
void ctl_handshake_tick(uint64_t now_ns);
/* A punted handshake message (outer headers stripped). Consumes m. */
void ctl_handshake_input(struct rte_mbuf *m, uint64_t now_ns);
/* Sends an initiation to the peer's endpoint (if it has one). */
void ctl_handshake_initiate(struct ctl_peer *p, uint64_t now_ns);
/* A data message with an empty payload under the current keypair. */
void ctl_send_keepalive(struct ctl_peer *p, uint64_t now_ns);
/* Seals an inner IP packet of len bytes (1..MTU) made by the control core
 * (DNS stub answers) for p and sends it. 0, -EMSGSIZE, -ENOTCONN (no
 * session or endpoint yet), -ENOMEM. */
int ctl_send_inner(struct ctl_peer *p, const uint8_t *ip, size_t len, uint64_t now_ns);

#endif
