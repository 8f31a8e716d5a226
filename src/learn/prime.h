/* prime.h — the prime: what a model is asked to continue.
 *
 * What this module is: turning what a musician names as a prime (silence,
 * typed notes, a MIDI/ABC file, a random excerpt of a corpus folder) into
 * the seed Tune a Generator is primed with, and a line that says what it
 * was (for provenance and messages).  The spelling is `reel generate
 * --prime`'s: "rests", "corpus:DIR", a file (one that exists, or a name
 * ending in .mid .midi .smf .kar .abc), else note text (gen_parse_notes).
 * What it is not: priming itself (gen_prime_tune / gen_prime_rests do that)
 * or generating.  Never prints.
 *
 * Three steps, so that a front end can refuse a typo before the model
 * loads: prime_init classifies (and parses note text), prime_load reads a
 * file or a corpus folder (the slow part), prime_shape cuts note text to
 * its first bars and sets the metre and tempo asked for.
 */
#ifndef REEL_PRIME_H
#define REEL_PRIME_H

#include <stdint.h>

#include "err.h"
#include "tune.h"

#define PRIME_CORPUS_BARS 2     /* corpus: the excerpt's length by default */
#define PRIME_MAX_STEPS 32768   /* a longer prime is refused (priming is a network step a
                                   16th: 2,048 bars of 4/4 take about a second) */

typedef enum { PRIME_RESTS, PRIME_NOTES, PRIME_FILE, PRIME_CORPUS } PrimeKind;

typedef struct {
    PrimeKind kind;
    const char *arg;       /* as given (borrowed): "rests", "corpus:DIR", a path, note text */
    const char *dir;       /* corpus: the folder after "corpus:" (inside arg) */
    long bars;             /* rests: bars of silence; notes, file: their first N bars;
                              corpus: the excerpt's length; <= 0: not given (rests 1,
                              notes and file all, corpus PRIME_CORPUS_BARS) */
    Tune tune;             /* owned: the seed (rests: only metre and tempo, if set) */
    char desc[600];        /* "rests (1 bar)", "notes \"C4/8 ...\"", "FILE, first 2 bars",
                              "corpus DIR: bars 3-4 of SOURCE" */
} Prime;

/* Classify arg (borrowed: it must outlive p) and, for note text, parse it:
 * REEL_EARG with what is wrong with a note.  bars as in Prime. */
ReelStatus prime_init(Prime *p, const char *arg, long bars, ReelError *err);

/* A file: its first tune (the first `bars` bars).  A corpus folder: an
 * excerpt drawn with a stream seeded from seed (the same seed, the same
 * excerpt).  Nothing for rests and notes.  Errors start with the file's or
 * folder's argument ("PATH: ...", "corpus:DIR: ..."), or are the skip's
 * reason when a file gives no tune. */
ReelStatus prime_load(Prime *p, uint64_t seed, ReelError *err);

/* Notes: cut to their first `bars` bars (in the metre num/den when given).
 * Then, num > 0: the time signature num/den at step 0, replacing the
 * prime's; bpm > 0: that tempo.  A prime longer than PRIME_MAX_STEPS is
 * refused (REEL_EUNSUPPORTED, saying how to cut it). */
ReelStatus prime_shape(Prime *p, int num, int den, double bpm, ReelError *err);

/* Bars of silence a rests prime asks for (at least 1). */
int prime_rest_bars(const Prime *p);

void prime_free(Prime *p);     /* accepts a Prime that prime_init failed on */

#endif
