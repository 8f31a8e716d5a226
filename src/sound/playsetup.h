/* playsetup.h — a tune loaded into a Player the way a listener asked for it.
 *
 * What this module is: what `reel play` and `reel render` share after the
 * file is read: the tune into the player with an instrument, velocity,
 * tempo, gain and metronome, and where to start (a step or a bar), checked
 * against the tune's end.  What it is not: reading the file (corpus.h does
 * that) or opening a sound device.  Never prints.
 */
#ifndef REEL_PLAYSETUP_H
#define REEL_PLAYSETUP_H

#include <stdbool.h>

#include "err.h"
#include "player.h"
#include "tune.h"

typedef struct {
    int program;             /* 0-based GM; -1: the tune's, violin if none */
    int velocity;            /* 1..127; 0: the notes' own */
    double bpm;              /* 0: the tune's tempo map */
    double gain;             /* 0: AUDIO_DEFAULT_GAIN */
    double from_step;        /* start here ... */
    long from_bar;           /* ... or at this bar (from 1); 0: from_step */
    bool metronome;
} PlaySetup;

/* Load t into p with s's choices; *from gets the start step.  REEL_EARG
 * "NAME ends at step N (in bar B): nothing to play from bar K" when the
 * start is at or past the end (name: the file, for the message). */
ReelStatus playsetup_apply(Player *p, const Tune *t, const PlaySetup *s, const char *name,
                           double *from, ReelError *err);

#endif
