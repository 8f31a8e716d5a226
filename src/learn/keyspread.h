/* keyspread.h — how many of a corpus's tunes are in each of the 24 keys.
 *
 * What this module is: the key spread a --condition model records (each
 * training tune's key as enc_tune_key finds it, counted), and the draw from
 * it that gives generation its default key, so that tunes made without
 * --key come in the keys of the corpus as often as the corpus has them
 * (Ryan's fiddle tunes: D and G a quarter each, A a sixth ...) instead of
 * all in its commonest.  What it is not: key finding (music/keyprofile) or
 * the conditioning input (encode.h).  Nothing here prints or allocates.
 */
#ifndef REEL_KEYSPREAD_H
#define REEL_KEYSPREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "encode.h"
#include "tune.h"

#define KEYSPREAD_KEYS 24   /* keyprofile.h's keys: 0..11 major on C..B, 12..23 minor */
#define KEYSPREAD_COUNTS (ENC_METERS * KEYSPREAD_KEYS)

/* Tunes in each key, per metre class (enc_meter_class of the time signature
 * at the tune's start): n[meter * KEYSPREAD_KEYS + key].  All 0: none
 * recorded. */
typedef struct {
    int64_t n[KEYSPREAD_COUNTS];
} KeySpread;

/* Count the keys of tunes[0..n) (tunes without notes have none). */
void keyspread_of_tunes(const Tune *tunes, int32_t n, KeySpread *out);
/* Tunes counted in metre class `meter`, or in all (meter < 0). */
int64_t keyspread_total(const KeySpread *k, int meter);
bool keyspread_known(const KeySpread *k);               /* a tune counted */
/* A key drawn with the chance of its share among the tunes in `meter`
 * (all tunes when meter < 0 or no tune has that metre), from `seed` alone:
 * the same seed, the same key.  -1 when none is recorded. */
int keyspread_draw(const KeySpread *k, int meter, uint64_t seed);
/* The keys by count (in `meter`, or all when < 0), most first (ties: the
 * lower key), into order; returns how many have a tune (at most max).
 * shares (may be NULL) gets each one's share of the tunes. */
int keyspread_order(const KeySpread *k, int meter, int *order, double *shares, int max);

#endif
