/* cadence.h — does a melody come to rest at a bar line.
 *
 * What this module is: the test `reel generate --end cadence` stops on.  A
 * melody has a cadence at a bar line `end` when
 *   - its last note before end (the one with the latest onset; of notes
 *     sharing it, the highest) is on the tonic of the melody's key, the
 *     major or minor key whose Krumhansl-Kessler profile fits best the
 *     duration-weighted pitch classes of every note before end
 *     (keyprofile_best), and
 *   - that note sounds at least a beat (a quarter; a dotted quarter in
 *     6/8, 9/8, 12/8) before end, as phrases end on a long note, not in the
 *     middle of a run.
 * The caller chooses the bar lines it asks about (the phrase ends).  What it
 * is not: generating, or the metrics' own key and tonic figures (analysis/).
 */
#ifndef REEL_CADENCE_H
#define REEL_CADENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "tune.h"

typedef struct {
    int tonic;        /* pitch class of the key's tonic, -1 when no notes */
    bool minor;
    int last_pitch;   /* the last note's pitch, -1 when none */
    int32_t held;     /* how long it sounds before end, in steps */
    int32_t beat;     /* a beat at end, in steps */
} Cadence;

/* A beat of the time signature s, in 16th steps (4, or 6 in compound metres). */
int32_t cadence_beat(TimeSig s);

/* Whether t (sorted) has a cadence at step end (see above); *c (may be
 * NULL) gets what was found. */
bool cadence_at(const Tune *t, int32_t end, Cadence *c);

#endif
