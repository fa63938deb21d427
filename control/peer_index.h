/* Peers by public key: the responder's first question for every
 * initiation (after the static key is decrypted), so a scan over every slot
 * would make handshakes slower the more peers there are, which the
 * handshake benchmark showed (0.23 of the X25519 bound at 4000 peers).
 * Chained hash over the slots, SipHash with a key drawn at start so that an
 * attacker who can choose the keys it sends cannot aim them at one chain.
 * Writer: the control core (with ctl_lock held where peers change while the
 * telemetry thread may read). */
#ifndef WGATE_CONTROL_PEER_INDEX_H
#define WGATE_CONTROL_PEER_INDEX_H

#include <stdint.h>

struct ctl_peer;

int ctl_peer_index_init(uint32_t n_slots);
void ctl_peer_index_free(void);
/* p->slot and p->noise.public_key must be set; a key is indexed once. */
void ctl_peer_index_add(struct ctl_peer *p);
void ctl_peer_index_del(struct ctl_peer *p);
struct ctl_peer *ctl_peer_index_find(const uint8_t key[32]);

#endif
