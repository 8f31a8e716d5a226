/* rng.h — explicit random state: xoshiro256** seeded by splitmix64.
 *
 * Never global: whoever shuffles, drops out or samples is handed an Rng, so
 * one --seed reproduces a training run or a melody bit for bit.  The state
 * is four words and can be saved in a checkpoint as it is.
 */
#ifndef REEL_RNG_H
#define REEL_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
} Rng;

void rng_seed(Rng *r, uint64_t seed);
uint64_t rng_u64(Rng *r);
/* Uniform in [0, 1) with 24 random bits (float) or 53 (double). */
float rng_float(Rng *r);
double rng_double(Rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(Rng *r, uint64_t n);
/* Standard normal (Box-Muller). */
double rng_normal(Rng *r);
/* Fisher-Yates shuffle of n int32s. */
void rng_shuffle_i32(Rng *r, int32_t *a, int64_t n);
/* An independent stream derived from r (r advances). */
Rng rng_split(Rng *r);
/* A seed for when the user gave none: the wall clock and the process id,
 * mixed, in [0, range) (range > 0).  Not for anything secret. */
uint64_t rng_clock_seed(uint64_t range);

#endif
