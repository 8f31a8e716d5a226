/* generate.h — continuing a melody with a trained model, one step at a time.
 *
 * What this module is: the Generator the CLI (`reel generate`) and the studio
 * share.  It is primed with a seed (a Tune, or silence), then generates one
 * row at a time: the network's logits for the next row are sampled (see
 * below), the row is fed back through net_step with the LSTM state carried,
 * so one more step always costs one network step.  gen_tune decodes
 * everything so far into a Tune and says where the generated part starts.
 * Snapshots save the state at a point (a bar line) so that the bars after it
 * can be sampled again, say after a temperature change.  What it is not: a
 * player or a file writer; it never prints.  Not thread-safe: one thread uses
 * a Generator at a time, and the Model must not change while it is in use.
 *
 * Rows are what the model's encoding calls a row: a 16th step (rolls,
 * melody), a token (tokens), a note (regress).
 *
 * Sampling, per head (temperature T, top-k, top-p from SampleOpts):
 *   softmax (melody, tokens): softmax(logits / T), then top-k, then top-p,
 *     then one draw.  Tokens never draw "<unk>" (it decodes to nothing).
 *   sigmoid (roll13, roll13o, roll128), two modes (SampleOpts.roll):
 *     poly: every pitch is its own Bernoulli draw with p = sigmoid(logit/T);
 *       top-k lets only the k most likely pitches sound; top-p does not apply.
 *     mono: at most one pitch per step.  The draw is from the independent
 *       Bernoulli model restricted to "silence or exactly one pitch", which
 *       is softmax over [0, l_1/T, ..., l_P/T] (class 0 = silence, the odds
 *       of pitch i being p_i / (1 - p_i) = exp(l_i / T)); top-k and top-p
 *       apply to that distribution.
 *     auto (the default): mono for roll13 and roll13o (fiddle tunes are one
 *       line, and the ABC writer wants one), poly for roll128.
 *     Onset bits (roll13o, roll128): a pitch that starts sounding gets its
 *       onset bit; a pitch sounding on from the step before is re-struck
 *       with p = sigmoid(onset logit / T).  So fed-back rows look like
 *       training rows (no onset without sound, no note without an onset).
 *   linear (regress): the predicted pitch, velocity and time step plus
 *     Gaussian noise of standard deviation T * noise * (1 semitone,
 *     8 velocity steps, 1/2 sixteenth), then rounded to what a Tune can hold
 *     (pitch 0..127, velocity 1..127, 0..64 steps since the last onset), so
 *     the row fed back is one the decoder reads exactly.  noise = 0 gives
 *     the model's values as they are (then T does nothing).
 *
 * Range: a generator never draws a pitch outside its range, the model's
 * (Model.range; for a model that recorded none, what its encoding can sound:
 * range.h) met with gen_set_range's.  melody (and --lookback): note-on
 * classes outside get probability 0, and so does a repeat label whose class
 * is one; tokens: every token with a pitch outside (rests stay); rolls: the
 * outputs outside are forced off (mono: never drawn); regress: the pitch is
 * clipped into the range.  The seed's own notes are kept as they are, and a
 * hold goes on holding one.  The next-note distribution is the masked one.
 *
 * Seeds (gen_prime_*), and what the output holds:
 *   a Tune: encoded with the model's encoding (roll13 default: moved by whole
 *     octaves and folded like training data, and the generated part decodes
 *     in the seed's octave; tokens with durations: a trailing rest of the
 *     seed is kept as rest tokens).  The output is the seed, then the
 *     continuation.  REEL_EARG when a roll13/roll13o --plain model cannot
 *     hold some of the seed's notes (outside C4..C5).  Tokens the vocabulary
 *     lacks are fed as <unk> and counted (GenPrimeInfo), not refused.
 *   rests: silence fed to the network and left out of the output (the
 *     paper's prime): bars x bar length zero rows (rolls), note-off classes
 *     (melody; melody --lookback: rows with no class, only the bar position,
 *     and the output's bars are the only history the lookback inputs see),
 *     rest tokens "r/N" that the vocabulary has (tokens with
 *     durations), "<unk>" tokens, each a silent 2-step slot (tokens without
 *     durations: they have no rest), all-zero rows, one per bar (regress).
 *
 * Time: the output is counted in 16th steps from its step 0.  Frame rows
 * take 1 step, tokens their duration (2 steps without durations), regress
 * rows start at their onset.  gen_time is where the output has got to.
 * Length in bars: gen_bars_end gives the step where N bars after the seed
 * end, counted from the first bar line at or after the seed's end, so the
 * output ends on a bar line (a seed of 1.5 bars and 8 bars make 10 bars).
 * Bar length comes from the time signature in force at the seed's end (the
 * seed's, 4/4 when it has none).
 */
#ifndef REEL_GENERATE_H
#define REEL_GENERATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "corpus.h"
#include "encode.h"
#include "err.h"
#include "model.h"
#include "rng.h"
#include "sample.h"
#include "tune.h"

typedef struct Generator Generator;
typedef struct GenSnapshot GenSnapshot;

/* What priming did with a seed. */
typedef struct {
    int32_t rows;         /* rows fed to the network */
    int32_t steps;        /* 16th steps of output the seed takes (0 for rests) */
    int32_t notes;        /* seed notes in the output */
    bool rests;           /* a silent prime, not part of the output */
    EncStats st;          /* from encoding the seed: shifted, folded, dropped, unknown, resized */
    char unknown[256];    /* tokens: the seed's tokens the vocabulary lacks, space-separated
                             (as many as fit) */
} GenPrimeInfo;

/* Where the seed ends and the generated part starts in gen_tune's output. */
typedef struct {
    int32_t start_step;   /* first step after the seed (regress: first generated onset) */
    int32_t first_note;   /* index of the first generated note; notes before it are the seed's */
    int32_t end_step;     /* the output's length, n_steps */
} GenSpan;

/* A generator for m (borrowed: m must outlive it and not change meanwhile)
 * with sampling options o (NULL: sample_defaults) and a random seed.  Not
 * primed yet.  REEL_EARG for bad options or a model without a network (or
 * one whose network does not fit its encoding). */
ReelStatus gen_new(Generator **out, const Model *m, const SampleOpts *o, uint64_t seed,
                   ReelError *err);
void gen_free(Generator *g);                                /* accepts NULL */

/* Narrow the range to r (range_none: back to the model's); from the next
 * row on.  REEL_EARG (naming --range) when r and the model's do not meet. */
ReelStatus gen_set_range(Generator *g, PitchRange r, ReelError *err);
PitchRange gen_range(const Generator *g);   /* the range in force */

/* Change the sampling options; they apply from the next row on. */
ReelStatus gen_set_opts(Generator *g, const SampleOpts *o, ReelError *err);
const SampleOpts *gen_opts(const Generator *g);
/* Mono or poly, as auto resolves for this model (rolls); AUTO for others. */
SampleRollMode gen_roll_mode(const Generator *g);
/* Precision of the network steps.  By default (NET_W_FAST) gen_new takes
 * a copy of the model's weights (on m->nn, refreshed by every gen_new; the
 * model's Net owns it) and steps on that: int8 (net_q8_build) where the CPU
 * has AVX-512 VNNI, 3-7x faster than float, next-note distributions within
 * a mean KL divergence of ~1e-4 nats of the float weights' on the shipped
 * models; fp16 (net_half_build) elsewhere, 2-3x faster, ~1e-7 nats.  So a
 * seeded melody may differ now and then from a precise one.  Where a copy
 * cannot be made (a weight not finite, no memory) the steps stay float.
 * gen_set_weights picks NET_W_F32 (what net_forward computes), NET_W_F16,
 * NET_W_I8 (on a CPU without VNNI the int8 products run in plain C: slow) or
 * NET_W_FAST, building the copy if needed; gen_weights says what the steps
 * read.  gen_set_precise(g, p) is NET_W_F32 or NET_W_FAST.  Applies from
 * the next row; snapshots do not record it. */
void gen_set_weights(Generator *g, NetWeights w);
NetWeights gen_weights(const Generator *g);
void gen_set_precise(Generator *g, bool precise);
bool gen_precise(const Generator *g);     /* true when steps run on float weights */

/* The key a --condition model is told to write in (keyprofile.h's 0..23),
 * from the next row on; out of range: the model's default (enc.cond_key),
 * which gen_new starts with.  Snapshots do not record it. */
void gen_set_key(Generator *g, int key);
int gen_key(const Generator *g);

/* A question asked before every row is fed to the network (primed or
 * generated): when stop(ctx) says true, the call under way ends with
 * REEL_ESTOPPED, the row not taken (a prime stopped so leaves the generator
 * unprimed).  For a thread working on a generator that another thread may
 * want it to give up (the studio's worker).  stop NULL: never asked. */
void gen_set_stop(Generator *g, bool (*stop)(void *ctx), void *ctx);

/* Reseed the generator's random stream. */
void gen_reseed(Generator *g, uint64_t seed);

/* Prime with a seed tune (sorted, as tune_sort leaves it).  Starts over:
 * the state is zeroed and earlier rows and snapshots are dropped.  The
 * seed's metadata (name, time signatures, tempos, program) becomes the
 * output's.  info may be NULL.  A seed without notes or steps is primed
 * like rests of no length (one silent row). */
ReelStatus gen_prime_tune(Generator *g, const Tune *seed, GenPrimeInfo *info, ReelError *err);

/* Prime with `bars` bars of silence (at least one row) in the metre of meta
 * (may be NULL: 4/4, 120 bpm); meta's metadata becomes the output's. */
ReelStatus gen_prime_rests(Generator *g, int bars, const Tune *meta, GenPrimeInfo *info,
                           ReelError *err);

/* Generate one row / n rows.  REEL_EARG before priming. */
ReelStatus gen_step(Generator *g, ReelError *err);
ReelStatus gen_steps(Generator *g, int32_t n, ReelError *err);

/* Generate until the output reaches step `end` (gen_time >= end), or
 * max_rows more rows were made (0: a limit that only a regress model that
 * keeps repeating zero time steps reaches).  *reached (may be NULL) says
 * whether end was reached. */
ReelStatus gen_until(Generator *g, int32_t end, int64_t max_rows, bool *reached,
                     ReelError *err);

/* Where the output has got to, in steps (regress: the last onset). */
int32_t gen_time(const Generator *g);
/* The model's own chance (softmax at temperature 1, whatever the sampling
 * options, over what the range allows) that the tune ends at the next row:
 * a model with tune events only, else -1; 1 once it has ended. */
double gen_end_chance(Generator *g);
/* True once a model with tune events (encode.h) drew its end of the tune:
 * gen_step then adds nothing and gen_until stops (reached false). */
bool gen_ended(const Generator *g);
/* Lookback models: the input row last fed (enc_in_width floats, valid
 * until the next step), else NULL. */
const float *gen_input_row(const Generator *g);
int32_t gen_rows(const Generator *g);       /* rows fed, seed and silent prime included */
int32_t gen_seed_rows(const Generator *g);  /* rows of the seed (or silent prime) */
int32_t gen_seed_end(const Generator *g);   /* step where the seed ends in the output */

/* The step where `bars` bars after the seed end (see above). */
int32_t gen_bars_end(const Generator *g, int bars);

/* Decode every row so far (the silent prime left out) into *out
 * (overwritten; the caller frees it with tune_free).  end_step >= 0: notes
 * from end_step on are left out, notes sounding past it end there, and
 * n_steps is end_step; < 0: as decoded.  span may be NULL. */
ReelStatus gen_tune(const Generator *g, int32_t end_step, Tune *out, GenSpan *span,
                    ReelError *err);

/* ---- snapshots --------------------------------------------------------- */

/* A snapshot holds the network state, the pending logits, the random
 * stream and the row count, not the rows: restoring goes back to that point
 * of the rows this generator still holds.  A snapshot is refused (REEL_EARG)
 * after a new prime, or when the rows it saw were since replaced (a restore
 * to an earlier point and generating again), or for another generator. */
GenSnapshot *gen_snapshot_new(const Generator *g);          /* taken now; NULL: no memory */
void gen_snapshot_take(const Generator *g, GenSnapshot *s); /* retake, no allocation */
ReelStatus gen_restore(Generator *g, const GenSnapshot *s, ReelError *err);
int32_t gen_snapshot_rows(const GenSnapshot *s);
void gen_snapshot_free(GenSnapshot *s);                     /* accepts NULL */

/* ---- the next-note distribution (the studio's bar chart) ----------------- */

/* The max most likely choices for the next row under the current options,
 * most likely first, into out; returns how many.  Classes are those of
 * gen_class_label.  *entropy (may be NULL) gets the entropy in bits of the
 * distribution sampled from (poly rolls: the sum over pitches of each
 * Bernoulli's entropy).  *is_dist (may be NULL): true when the p's are one
 * distribution (they sum to 1), false for poly rolls (each p is one pitch's
 * chance to sound).  0 before priming and for regress. */
int gen_next_top(Generator *g, SampleTop *out, int max, double *entropy, bool *is_dist);

/* What a class of gen_next_top means, into buf: "C#5", "rest", "hold",
 * "C4.E4.G4/4" ... Returns buf. */
char *gen_class_label(const Generator *g, int cls, char *buf, size_t size);

/* ---- seeds ---------------------------------------------------------------- */

/* Note text: what a musician types as a seed, and what --print shows.
 * Tokens are separated by blanks (or bar lines):
 *   C4  F#3  Bb5  c#4   a note: letter A-G, optional # or b, octave number
 *                       (C4 = middle C = MIDI 60)
 *   C4.E4.G4            a chord
 *   r  (also R, z)      a rest
 *   /V after any of them  its note value, read as a musician reads it:
 *                       /1 whole (16 sixteenth steps), /2 half (8), /4 quarter
 *                       (4), /8 eighth (2), /16 sixteenth (1); a dot adds half:
 *                       /1. 24, /2. 12, /4. 6, /8. 3 (a dotted sixteenth is off
 *                       the grid); '+' ties values: C4/4+16 is 5 steps, r/1+1
 *                       32.  So C4/8 is an EIGHTH note.
 *   |                   a bar line, for the eye (ignored)
 * A token without /V lasts as long as the token before it (the first: a
 * quarter).  Pitches and chords are read by enc_token_parse; the value is
 * not the tokens encoding's "/N steps" (internal tokens keep that).  Errors
 * name the token and say what is wrong with it (for a bad value: what is
 * allowed).  *out is overwritten (caller frees): notes at velocity
 * ENC_DECODE_VEL, n_steps the total length, no time signature or tempo. */
ReelStatus gen_parse_notes(const char *text, Tune *out, ReelError *err);

/* The notes of t in that syntax, with " |" at bar lines and a line break
 * every 4 bars, into *out (caller frees); gen_parse_notes reads it back.
 * Every token carries its value: the shortest '+' chain of plain and dotted
 * values, the fewest dotted among those, longest first (3: /8., 5: /4+16,
 * 7: /4.+16, 20: /1+4, 32: /1+1).  Rests are split at bar lines; a note is
 * one token however long, so a bar line inside it is not written.  Notes
 * sharing an onset become a chord with the longest duration, cut at the next
 * onset.  So a tune whose chords' notes share one duration and do not
 * overlap the next onset (monophonic tunes among them) reads back exactly,
 * rests and n_steps included. */
ReelStatus gen_notes_text(const Tune *t, char **out, ReelError *err);

/* Bars of t (bar lines from its time signatures) that start before n_steps. */
int32_t gen_bar_count(const Tune *t);
/* Step where bar `bar` (0-based) of t starts. */
int32_t gen_bar_step(const Tune *t, int32_t bar);

/* Bars [first_bar, first_bar + bars) of src into *out (overwritten; caller
 * frees): notes that start there, cut at the end, moved to start at 0; the
 * time signature and tempo in force at the start, and changes inside.
 * bars <= 0 takes everything from first_bar on. */
ReelStatus gen_excerpt(const Tune *src, int32_t first_bar, int32_t bars, Tune *out,
                       ReelError *err);

/* A random excerpt of `bars` bars from c: a tune drawn with r among those
 * with at least that many bars, a start bar drawn among those whose excerpt
 * has notes.  *which (may be NULL) gets the tune index and *bar the start bar. */
ReelStatus gen_corpus_excerpt(const Corpus *c, int32_t bars, Rng *r, Tune *out,
                              int32_t *which, int32_t *bar, ReelError *err);

#endif
