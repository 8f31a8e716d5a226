/* quant.h — from a MidiSong (ticks, every track) to a Tune (one part, 16th steps).
 *
 * Picks the part: a track named MELODY (any case) if there is one, else the
 * busiest monophonic part that is not drums (channel 10), where a part is
 * one channel of one track.  Finds the grid phase (for files whose notes sit
 * off the tick grid, as POP909's do), rounds onsets and durations to 16th
 * steps, and counts what that cost in tune->q.
 */
#ifndef REEL_QUANT_H
#define REEL_QUANT_H

#include "midi.h"
#include "tune.h"

typedef struct {
    const char *part;   /* NULL: choose the melody; else a track name to take (any case),
                           or "all" for every non-drum note of the file */
    bool no_phase;      /* skip the phase search (phase 0) */
} QuantOpts;

/* Build *out (overwritten) from song.  name/source are copied into the tune.
 * Fails with REEL_EEMPTY when the file has no usable part (only drums, no
 * notes, no track of that name), REEL_EUNSUPPORTED when the part is longer
 * than 2^20 16th steps (65,536 bars of 4/4; the message names the file). */
ReelStatus quant_tune(const MidiSong *song, const QuantOpts *opts, const char *name,
                      const char *source, Tune *out, ReelError *err);

#endif
