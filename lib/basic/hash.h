/* SPDX-License-Identifier: Apache-2.0 */
/*
 * FNV-1a, the one non-cryptographic hash of berth: stable across versions and
 * builds, because names derived from it (veth names, state file names) must
 * be found again by a later berth.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define BERTH_FNV64_INIT 0xcbf29ce484222325ULL
#define BERTH_FNV32_INIT 2166136261u

/* Continue a 64-bit FNV-1a hash `h` over n bytes. */
static inline uint64_t berth_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* 32-bit FNV-1a of n bytes. */
static inline uint32_t berth_fnv1a32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = BERTH_FNV32_INIT;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}
