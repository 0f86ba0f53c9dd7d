/* SHA-256 (FIPS 180-4): the fingerprint a record keeps of data too large to
 * keep whole, so two runs can still tell whether they saw the same bytes. */
#ifndef NETREPRO_SHA256_H
#define NETREPRO_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32

struct sha256 {
	uint32_t h[8];
	uint64_t bits;          /* message length so far */
	unsigned char block[64];
	size_t fill;            /* bytes waiting in block */
};

void sha256_init(struct sha256 *c);
/* May be called any number of times, with any split of the message. */
void sha256_update(struct sha256 *c, const void *data, size_t n);
/* The digest of everything given; c must be initialised again to reuse. */
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* The digest of one buffer as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *data, size_t n, char hex[2 * SHA256_LEN + 1]);

#endif
