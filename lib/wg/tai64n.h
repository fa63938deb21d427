/* TAI64N timestamps for handshake initiations: 8 bytes TAI64 label
 * (2^62 + 10 + Unix seconds) then 4 bytes nanoseconds, both big endian, so
 * that memcmp orders them. A responder rejects an initiation whose timestamp
 * is not newer than the last one it accepted from that peer. */
#ifndef WGATE_LIB_WG_TAI64N_H
#define WGATE_LIB_WG_TAI64N_H

#include <stdbool.h>
#include <stdint.h>

#define WG_TAI64N_LEN 12

/* The nanoseconds are rounded down to a multiple of 2^24 (about 16.8 ms,
 * the largest power of two under 1 s / 50 initiations): a finer clock would
 * tell an observer of the decrypted timestamp more about our clock than the
 * replay check needs. */
void wg_tai64n_from(uint8_t out[WG_TAI64N_LEN], uint64_t unix_sec, uint32_t nsec);
/* From CLOCK_REALTIME. Wall time, not monotonic, because the peer compares it
 * with what we sent before a restart. */
void wg_tai64n_now(uint8_t out[WG_TAI64N_LEN]);
/* a > b. */
bool wg_tai64n_after(const uint8_t a[WG_TAI64N_LEN], const uint8_t b[WG_TAI64N_LEN]);

#endif
