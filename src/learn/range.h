/* range.h — the pitches a model may sound: a range of MIDI pitches.
 *
 * What this module is: the range type a model file records (the lowest and
 * highest pitch of the tunes it was trained on, after encoding), the range an
 * encoding can sound at all (for a model that recorded none), the range a
 * musician types (`--range G3-E7`, `--range 55-100`), and their meeting.
 * The Generator keeps every pitch it draws inside the range it is given
 * (generate.h says how, per encoding).  What it is not: sampling or file
 * reading.  Nothing here prints or allocates beyond a scratch encoding.
 */
#ifndef REEL_RANGE_H
#define REEL_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "encode.h"
#include "err.h"
#include "tune.h"
#include "vocab.h"

/* MIDI pitches lo..hi, both included.  Known when 0 <= lo <= hi <= 127;
 * {-1, -1} is "none recorded". */
typedef struct {
    int lo, hi;
} PitchRange;

PitchRange range_none(void);                 /* {-1, -1} */
PitchRange range_all(void);                  /* {0, 127}: every MIDI pitch */
bool range_known(PitchRange r);
bool range_has(PitchRange r, int pitch);     /* false when r is not known */
/* The pitches in both (an unknown range counts as range_all); may be empty
 * (lo > hi) when they do not meet. */
PitchRange range_meet(PitchRange a, PitchRange b);

/* "G3..E7 (55..100)" into buf (size >= 32), "none" when not known.  Returns buf. */
char *range_name(PitchRange r, char *buf, size_t size);

/* "LO-HI", each a pitch name (C4 = 60, as pitch_parse reads: "F#3", "Bb5",
 * "C-1") or a MIDI number 0..127; "LO..HI" also.  REEL_EARG with what is
 * wrong, naming the option as `--range`. */
ReelStatus range_parse(const char *s, PitchRange *out, ReelError *err);

/* The lowest and highest pitch of tunes[0..n) after encoding with o (v: the
 * vocabulary, tokens only): each tune is encoded and decoded, so what the
 * encoding drops or folds does not count.  roll13 and roll13o: in the
 * encoding's frame, before a tune's octave shift is undone (so within
 * C4..C5: a generator's outputs are there too).  range_none when no tune
 * has a note left. */
ReelStatus range_of_tunes(const EncOpts *o, const Vocab *v, const Tune *tunes, int32_t n,
                          PitchRange *out, ReelError *err);

/* What an encoding's outputs can sound at all: roll13 and roll13o C4..C5
 * (before a seed's octave shift), tokens the lowest and highest pitch of any
 * token in v, else every MIDI pitch. */
PitchRange range_of_encoding(const EncOpts *o, const Vocab *v);

/* The range a model keeps to: recorded when known, else its encoding's. */
PitchRange range_effective(PitchRange recorded, const EncOpts *o, const Vocab *v);

#endif
