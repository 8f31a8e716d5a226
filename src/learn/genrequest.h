/* genrequest.h — one generation request: a model, a prime, a length and the
 * sampling options in; a Tune with its title and provenance out.
 *
 * What this module is: what `reel generate` asks of the core, in one call
 * (the studio's take is built from the same Generator, step by step, and
 * could ask the same).  It makes a Generator, primes it (prime.h), generates
 * N bars (ending on a bar line) or N model steps, and decodes the result
 * with the instrument chosen and a provenance line that says how to make it
 * again.  What it is not: a file writer or a printer; the caller writes the
 * Tune (midi_write_tune, abcout_write) and shows the notes and warnings.
 */
#ifndef REEL_GENREQUEST_H
#define REEL_GENREQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "cadence.h"
#include "generate.h"
#include "model.h"
#include "nn.h"
#include "prime.h"
#include "sample.h"
#include "tune.h"

#define GENREQ_DEFAULT_BARS 8
#define GENREQ_CADENCE_BARS 8     /* --end cadence: bars it may go on past N */

typedef struct {
    const char *model_path;   /* named in the provenance and the title */
    const char *who;          /* the provenance's speaker: "generate" -> "reel 0.x generate: ..." */
    SampleOpts so;
    NetWeights weights;       /* NET_W_FAST: the generator's default */
    uint64_t seed;
    long bars;                /* > 0: this many bars after the prime, else ... */
    long events;              /* ... > 0: this many model steps */
    int program;              /* 1..128; <= 0: the prime's, else violin (piano for roll128
                                 and tokens) */
    PitchRange range;         /* narrows the model's range (range_none: the model's) */
    int key;                  /* a --condition model's key input (genreq_key); < 0: the
                                 model's default */
    bool to_cadence;          /* bars: go on past them, a bar at a time, until the bar
                                 line has a cadence (music/cadence.h), at most
                                 GENREQ_CADENCE_BARS more bars; then stop anyway */
    bool cut;                 /* bars: stop at the bar line as the draws fall.  Else
                                 (the default), with a model that has tune events
                                 (encode.h), the tune is closed (closing.h): each
                                 strain's end and the last bar drawn again until they
                                 end on the tonic.  Models without events, --events and
                                 to_cadence are not closed. */
} GenRequest;

/* How far a run got: a failed run says where it stopped. */
typedef enum {
    GENREQ_SETUP,             /* making the generator */
    GENREQ_PRIME,             /* priming (the prime does not fit the model) */
    GENREQ_GENERATE,          /* primed: info is valid */
    GENREQ_DECODE,            /* generated: reached and time are valid */
    GENREQ_DONE,
} GenReqStage;

typedef struct {
    GenReqStage stage;
    GenPrimeInfo info;        /* what priming did (unknown tokens, folded notes ...) */
    bool reached;             /* bars: false when the model stopped time (regress) */
    int32_t end;              /* bars: the step the output was to end at; -1 for events */
    int32_t time;             /* where the output got to */
    int extra_bars;           /* to_cadence: bars made past rq.bars */
    bool cadence;             /* to_cadence: it stopped at a cadence (else at the limit) */
    bool closed;              /* the last bar was chosen (see cut) */
    double end_chance;        /* closed: the model's chance of its end after the bars kept */
    Cadence cad;              /* to_cadence: what the last bar line had */
    Tune tune;                /* owned: the prime (unless rests) and what follows */
    GenSpan span;             /* where the generated part starts in tune */
    char title[300];          /* "STEM, seed N" or "NAME, continued by STEM" (also tune.name) */
    char provenance[2048];    /* model, checksum, sampling, seed, prime, length, weights */
} GenResult;

/* A request with the defaults: sample_defaults, NET_W_FAST, 8 bars. */
GenRequest genreq_defaults(void);

/* Run rq on m with the prime p (loaded and shaped).  *out is overwritten;
 * genreq_free releases it, also after a failure (out->stage says where). */
ReelStatus genreq_run(const GenRequest *rq, const Model *m, const Prime *p, GenResult *out,
                      ReelError *err);
void genreq_free(GenResult *r);

/* The key a --condition model writes in (keyprofile.h's 0..23): `given`
 * when >= 0 (--key); else the prime's own key when it has notes; else one
 * drawn by `seed` from the model's key spread in the prime's metre
 * (keyspread.h), so that tunes come in the corpus's keys as often as it has
 * them; else the model's default (enc.cond_key).  prime may be a tune with
 * only a metre (rests) or NULL. */
int genreq_key(const Model *m, int given, const Tune *prime, uint64_t seed);

/* What the prime is, for messages and provenance: p->desc, except that a
 * model with tune events primed with "rests" starts from its own start of
 * a tune. */
const char *genreq_prime_desc(const Model *m, const Prime *p);

/* A seed from the clock, short enough to type back (under 10^9). */
uint64_t genreq_clock_seed(void);

#endif
