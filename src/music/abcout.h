/* abcout.h — a monophonic Tune written as ABC notation, the way fiddlers
 * read tunes.
 *
 * What it writes (one tune):
 *   X:1, T: (title), % lines and an N: line with the provenance, M: from the
 *   first time signature (4/4 when there is none), L:, Q:1/4=BPM from the
 *   first tempo, %%MIDI program N when the tune has a program, K: with the
 *   key estimated by Krumhansl-Schmuckler (below).  L: is the standard's
 *   default for the metre: 1/16 under 3/4 (2/4 reels: A = a sixteenth, A2 an
 *   eighth, A4 a quarter), else 1/8 (A = an eighth, A/ a sixteenth, A3/2 a
 *   dotted eighth, A2 a quarter, A3 a dotted quarter).  In the body: notes
 *   with ABC octave marks (C, = C3, C = C4 middle C, c = C5, c' = C6),
 *   lengths as multiples of L, rests z, a bar line at every bar
 *   of the time signature ([M:..] inline where it changes), a space at every
 *   beat (a dotted quarter in 6/8, 9/8, 12/8) so notes beam by beat, a line
 *   break every 4 bars, "|]" at the end.
 *
 * Durations: only plain and dotted values are written (1, 2, 3, 4, 6, 8, 12,
 * 16, 24, 32 sixteenths); a note of another length, or one that crosses a bar
 * line, is split into such pieces tied with '-'.  Rests split the same way
 * without ties.  Silence after the last note up to tune->n_steps is written
 * as rests.
 *
 * Key and accidentals: the major or minor key whose Krumhansl-Kessler profile
 * correlates best with the duration-weighted pitch-class histogram (ties: the
 * key with fewer accidentals, then major).  Key signatures run from 5 flats
 * (Db, Bbm) to 6 sharps (F#, D#m).  Each note is spelled in that key:
 * diatonic notes as the signature says; other white keys as naturals; other
 * black keys as sharps in sharp keys and C major (but Eb and Bb in C), as
 * flats in flat keys, and the leading note of a minor key always raised
 * (C# in D minor).  An accidental is written when the note's alteration
 * differs from what the bar has established for that letter, following the
 * ABC standard (an accidental holds for the rest of the bar, for that pitch)
 * and also safe for readers that carry it to every octave; a tied note after
 * a bar line gets its accidental again.
 *
 * Every MIDI pitch 0..127 is written (octave marks repeat as far as needed:
 * C,,,,, is C-1 = MIDI 0, g'''' is G9 = 127).  In octave -1 every note
 * carries its accidental (= ^ _): abc2midi 4.84 applies the key signature to
 * the wrong letter there.
 *
 * Refused (REEL_EARG, the message says to write MIDI instead): polyphony --
 * ABC here is one line of melody, so a tune in which a note starts before
 * the previous one ends.
 *
 * Nothing here prints.  abcout_write writes through a temporary file beside
 * the target and renames it.
 */
#ifndef REEL_ABCOUT_H
#define REEL_ABCOUT_H

#include <stdbool.h>

#include "err.h"
#include "tune.h"

typedef struct {
    int x;                  /* X: number; <= 0 means 1 */
    const char *title;      /* T:; NULL: the tune's name, else "Untitled" */
    const char *provenance; /* NULL or text (may hold newlines): % lines and one N: line */
} AbcOutOpts;

typedef struct {
    int tonic;              /* pitch class of the tonic, 0 = C .. 11 = B */
    bool minor;
    int fifths;             /* key signature: sharps > 0, flats < 0, -5..6 */
    double score;           /* correlation with the key's profile, -1..1 (0: no notes) */
} AbcKey;

/* Krumhansl-Schmuckler estimate over the duration-weighted pitch classes
 * of t.  A tune without notes is C major with score 0. */
AbcKey abcout_key_estimate(const Tune *t);

/* "C", "F#", "Bb", "Am", "D#m" into buf (at least 8 bytes); returns buf. */
char *abcout_key_name(AbcKey k, char *buf);

/* The ABC text of t into *out (caller frees).  t must be sorted (tune_sort)
 * and monophonic. */
ReelStatus abcout_text(const Tune *t, const AbcOutOpts *o, char **out, ReelError *err);

/* abcout_text, written to path through a temporary file (path.XXXXXX, mode
 * 0644) and renamed; nothing is left behind on failure. */
ReelStatus abcout_write(const char *path, const Tune *t, const AbcOutOpts *o, ReelError *err);

#endif
