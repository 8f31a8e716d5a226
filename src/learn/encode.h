/* encode.h — every way reel turns a Tune into network input, and back.
 *
 *   roll13        13 features per 16th step, C4..C5 (MIDI 60..72), 1 = sounding.
 *                 The paper's.  It cannot tell a held note from repeated ones:
 *                 decoding joins equal frames into one note unless a bar line
 *                 falls between them.  By default each tune is moved by whole
 *                 octaves to fit the most notes, and the rest are folded in by
 *                 octave; EncOpts.plain keeps pitches and drops what is outside.
 *   roll13o       roll13 plus an onset bit per pitch: 26 features
 *                 [0..12] sounding, [13..25] onset.  Repeated notes survive.
 *   roll128       full range, multi-hot, 256 features: [0..127] sounding,
 *                 [128..255] onset.  Polyphonic.
 *   melody        one class per step: 0 = note-off (silence), 1 = hold,
 *                 2 + p = note-on of pitch p.  130 classes, softmax-ready.
 *                 Monophonic: where notes overlap, the later onset ends the
 *                 earlier note; of notes sharing an onset the highest is kept.
 *   tokens        one token per onset: "C4" or a chord "C4.E4.G4" (pitches
 *                 rising), as the token papers had them.  With durations
 *                 (EncOpts.durations) each token carries the steps until the
 *                 next event, "C4/4", and silences become "r/N"; without, every
 *                 token is 2 steps apart on decoding (the papers' fixed offset
 *                 of half a beat).  Ids come from a Vocab built on the corpus.
 *   regress       3 floats per note, the fifth paper's regression features:
 *                 pitch/127, velocity/127, steps since the previous onset / 16.
 *                 Decoding lets each note last until the next onset.
 *
 * The rules in detail, and what each encoding loses:
 *
 *   Octave shift (roll13, roll13o, not plain).  Per tune, the shift k*12
 *   (k = -4..4) that puts the most notes in 60..72 wins; ties go to the
 *   smaller |k|, then to the downward shift (-k before +k: Ryan's tunes sit
 *   mostly above C5).  Notes still outside are folded by whole octaves into
 *   60..72 (below: up into 60..71; above: down into 61..72).  st.shifted
 *   counts every note of a tune whose shift is not 0; st.folded the notes
 *   folded (a note can be in both).  A folded note decodes an octave or more
 *   away from where it was: a loss.  Plain mode: shift 0, notes outside
 *   60..72 are dropped (st.dropped).  Folding can land two notes on one pitch;
 *   their frames merge.
 *
 *   Rolls.  A note sets the sounding bit of its pitch in frames
 *   onset .. onset+dur-1, and (roll13o, roll128) the onset bit at onset.
 *   Decoding roll13 (the paper's rule): a pitch on in consecutive frames is one
 *   note unless a bar line (tune_is_bar_start on meta) falls between them, so
 *   repeated notes of one pitch within a bar become one long note.  Decoding
 *   roll13o / roll128: a note starts at an onset bit, or where the sounding bit
 *   comes on without one, and lasts while the sounding bit stays on and no new
 *   onset bit comes; an onset bit without the sounding bit (model output) is a
 *   note of at least one step.  Same-pitch notes that overlap cannot survive
 *   (the earlier is cut at the later onset); touching ones do.  Velocities
 *   are not kept (decoded as ENC_DECODE_VEL).
 *
 *   Melody.  Per onset the highest note is kept (others: st.dropped; of equal
 *   highest pitches the longest).  A kept note is cut where the next onset
 *   comes (st.resized).  Decoding: a note-on starts a note, holds extend it,
 *   an off or a new note-on ends it; a hold with no note sounding is silence.
 *
 *   Tokens.  Pitches of a chord are distinct (a repeated pitch at one onset:
 *   st.dropped) and rising, named by pitch_name ("C#4").  Without durations
 *   only order and pitches survive: token i decodes at step 2*i, 2 steps long.
 *   With durations the token's duration d is the chord's longest duration,
 *   cut to the gap to the next onset, capped at ENC_TOKEN_MAX_DUR (64) steps.
 *   Every note of a chord decodes with d, so chord notes of other lengths, notes
 *   that overlap the next onset and notes longer than 64 steps change length
 *   (st.resized); onsets always stay exact.  The time between the token's end
 *   and the next onset (and before the first onset) becomes rest tokens "r/N",
 *   split into pieces of at most ENC_TOKEN_MAX_REST (16) steps: "r/16 r/16 r/8"
 *   for 40 steps.  So a monophonic tune whose notes last at most 64 steps
 *   round-trips exactly.  Nothing follows the last note: trailing silence is
 *   lost.  Decoding skips "<unk>" and tokens it cannot parse (in the plain
 *   token mode each still takes its 2-step slot).
 *
 *   Regress.  Notes in onset order (pitch rising within an onset, so chord
 *   notes after the first have delta 0).  Decoding clamps pitch to 0..127 and
 *   velocity to 1..127, rounds the delta to whole steps (negative: 0), and
 *   gives each note the time to the next later onset, the last onset
 *   ENC_REGRESS_LAST_DUR (4) steps.  Durations are kept only for legato lines
 *   (st.resized counts the others).
 *
 * Encoded owns its arrays; enc_free releases them.
 */
#ifndef REEL_ENCODE_H
#define REEL_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "tune.h"
#include "vocab.h"

typedef enum {
    ENC_ROLL13,
    ENC_ROLL13_ONSET,
    ENC_ROLL128,
    ENC_MELODY,
    ENC_TOKENS,
    ENC_REGRESS,
    ENC_COUNT
} EncKind;

#define ROLL13_LO 60
#define ROLL13_HI 72
#define MELODY_OFF 0
#define MELODY_HOLD 1
#define MELODY_CLASSES 130

#define ENC_MAX_STEPS (1 << 22)   /* longest tune encodings accept (about 145 h at 120 bpm) */
#define ENC_DECODE_VEL 100        /* velocity of decoded notes where the encoding has none */
#define ENC_TOKEN_STEP 2          /* plain tokens: steps between tokens, and their duration */
#define ENC_TOKEN_MAX_DUR 64      /* tokens: longest duration a note token carries */
#define ENC_TOKEN_MAX_REST 16     /* tokens: longest rest token; longer silences are split */
#define ENC_TOKEN_MAX_LEN 1024    /* bytes of the longest token string, NUL included */
#define ENC_REGRESS_LAST_DUR 4    /* regress: duration of the last decoded note */

/* Melody --lookback (Magenta's Lookback RNN): the classes and targets stay
 * those of melody, but the network's input for step t (which predicts step
 * t+1) is a row of ENC_LOOKBACK_WIDTH floats, 0 or 1:
 *   [0, 130)    one-hot: the class of step t
 *   [130, 260)  one-hot: the class of step t+1-L, the one step t+1 would
 *               repeat from one bar back (L = length of the bar holding step
 *               t+1, in steps); all zero when t+1-L < 0
 *   [260, 390)  one-hot: the class of step t+1-2L (two bars back), or zeros
 *   [390, 395)  step t+1's position in its bar (steps since the bar line,
 *               modulo 32) as 5 binary digits, lowest first
 *   395, 396    1 when the class of step t equals that of step t-L / t-2L
 * Bar lines and lengths come from the tune's time signatures (bars restart
 * at a change, as tune_is_bar_start).  Encoded.bar_pos / bar_len carry them
 * per step, so training and generation build the same rows.
 *
 * With repeat labels (EncOpts.repeats, Magenta's too) the network has two
 * more outputs: ENC_REPEAT1 "step t+1 is the class 1 bar back" and
 * ENC_REPEAT2 "... 2 bars back".  A training target is ENC_REPEAT2 when step
 * t+1 equals step t+1-2L, else ENC_REPEAT1 when it equals step t+1-L, else
 * its class; so copying is one decision whatever the pitch.  (Magenta
 * prefers 1 bar back; here 2 bars back comes first, as fiddle tunes repeat
 * the bar 2 back far more often.)  A label with no history behind it is
 * never a target, and never drawn. */
#define ENC_LOOKBACK_BITS 5
#define ENC_LOOKBACK_WIDTH (3 * MELODY_CLASSES + ENC_LOOKBACK_BITS + 2)
#define ENC_REPEAT1 MELODY_CLASSES
#define ENC_REPEAT2 (MELODY_CLASSES + 1)

/* Form inputs (issue 13), each off by default; with all of them off the
 * rows and labels are exactly those above.
 *
 *   EncOpts.back   the bars looked back, a set of 1, 2, 4, 8 (bit k: 2^k
 *                  bars; 0 means {1, 2}, today's --lookback).  Row: the
 *                  step's class, one 130-block per bar distance (rising),
 *                  the 5 position bits, one "same as" flag per distance.
 *                  Repeat labels: one per distance, ENC_REPEAT1 + i for the
 *                  i-th (rising); a target takes the farthest that matches.
 *   then, in this order, appended to the row:
 *   events         1 float: step t is the start-of-tune event.  The ids of
 *                  an encoded tune are ENC_EV_START, its steps, ENC_EV_END
 *                  (e.n = steps + 2; bar_pos[i] is that of step i - 1); the
 *                  end is one more output label, enc_end_label.
 *   phrase         ENC_PHRASE_WIDTH floats for step t+1: one-hot bar within
 *                  4, 8, 16 (bars since the tune's start, counting bars as
 *                  tune_is_bar_start does), one-hot beat within the bar
 *                  (capped at 7; a beat is a quarter, a dotted quarter in
 *                  6/8 9/8 12/8, a half in x/2), 1 on a beat.
 *   cond           ENC_COND_WIDTH floats: one-hot metre (enc_meter_class of
 *                  the tune's first time signature), one-hot key (0..23 as
 *                  keyprofile.h numbers them), the same at every step.
 *                  Encoded.key is estimated from the tune's notes, plus any
 *                  transposition; cond_key / cond_meter are the training
 *                  corpus's commonest, generation's default.
 *   shifts         (training only, data_build) each tune also transposed by
 *                  every shift s in the set (bit s + 12, s = -12..12) whose
 *                  notes stay inside the training tunes' pitch range;
 *                  ENC_SHIFTS_ALL: every other key once, by the smaller
 *                  shift that fits (+k or k - 12). */
#define ENC_EV_START 254
#define ENC_EV_END 255
#define ENC_BACK_MAX 4
#define ENC_PHRASE_WIDTH (4 + 8 + 16 + 8 + 1)
#define ENC_METERS 8
#define ENC_COND_WIDTH (ENC_METERS + 24)
#define ENC_SHIFTS_ALL (1 << 30)

typedef struct {
    EncKind kind;
    bool plain;      /* roll13/roll13o: no octave shift or folding; drop notes outside */
    bool durations;  /* tokens: durations in the token ("C4/4", "r/2") */
    bool lookback;   /* melody: the network reads lookback feature rows (above) */
    bool repeats;    /* melody --lookback: two more output labels, "as 1 / 2 bars back" */
    int back;        /* lookback: bars looked back, bit k = 2^k bars; 0 = {1, 2} */
    bool phrase;     /* lookback: bar in phrase and beat inputs */
    bool events;     /* lookback: start- and end-of-tune events */
    bool cond;       /* lookback: metre and key inputs */
    int cond_key;    /* cond: default key 0..23 (the corpus's commonest) */
    int cond_meter;  /* cond: default metre class 0..ENC_METERS-1 */
    int shifts;      /* lookback: transpositions for training (above); 0 = none */
} EncOpts;

/* Where a step lies: in its bar, in the tune's bars, on the beat. */
typedef struct {
    int pos, len;    /* as enc_bar_at */
    int bar;         /* bars since the start (0-based; negative before it) */
    int beat;        /* beats since the bar line (capped at 7) */
    bool on_beat;
} EncAt;

/* What a tune is conditioned on (cond). */
typedef struct {
    int key, meter;  /* 0..23, 0..ENC_METERS-1; < 0: none (zeros) */
} EncCond;

/* What encoding did to a tune's notes. */
typedef struct {
    long notes;       /* notes in */
    long shifted;     /* moved by the tune's whole-octave shift (roll13 default) */
    long folded;      /* moved into range by octave folding */
    long dropped;     /* left out: outside the range, or hidden by polyphony */
    long unknown;     /* tokens not in the vocabulary (encoded as id 0, "<unk>") */
    long resized;     /* notes that will decode with another duration (melody, tokens
                         with durations, regress; see above) */
} EncStats;

typedef struct {
    EncKind kind;
    int32_t n;        /* rows: steps (rolls, melody), events (tokens), notes (regress) */
    int f;            /* floats per row (13, 26, 256, 3); 0 for class encodings */
    float *x;         /* (n, f) owned; NULL for class encodings */
    int32_t *ids;     /* (n) owned class or token ids; NULL for float encodings */
    int shift;        /* semitones added to every pitch before encoding (roll13 default) */
    uint16_t *bar_pos;/* (n) owned, melody --lookback only (else NULL): steps since the bar
                         line at or before each step (capped at 65535) */
    uint16_t *bar_len;/* (n) owned, likewise: length of that bar in steps (1..65535) */
    uint16_t *bar_num;/* (n) owned with phrase, else NULL: bars since the start */
    uint8_t *beat;    /* (n) owned with phrase: beat (bits 0-2), 8 = on a beat */
    int key, meter;   /* cond: the tune's key (enc_tune_key) and metre class */
    EncStats st;
} Encoded;

/* "roll13", "roll13o", "roll128", "melody", "tokens", "regress". */
const char *enc_name(EncKind k);
/* Parse a name (also accepts "roll13-onset"); returns ENC_COUNT if unknown. */
EncKind enc_parse(const char *name);
/* One line describing the encoding, for --help. */
const char *enc_describe(EncKind k);
/* True for class encodings (melody, tokens): ids, softmax. */
bool enc_is_classes(EncKind k);
/* Floats per row, or classes (vocab size for tokens; v may be NULL otherwise). */
int enc_width(const EncOpts *o, const Vocab *v);
/* True for melody --lookback: class ids and targets, float input rows. */
bool enc_lookback(const EncOpts *o);
/* What the network reads per step: ENC_LOOKBACK_WIDTH floats for melody
 * --lookback, else enc_width (floats, or classes of one-hot ids). */
int enc_in_width(const EncOpts *o, const Vocab *v);
/* What it predicts: enc_width, plus the 2 repeat labels with repeats. */
int enc_out_width(const EncOpts *o, const Vocab *v);
/* True for melody --lookback with repeat labels. */
bool enc_repeats(const EncOpts *o);

/* Where step lies in t's bars: *pos = steps since the bar line at or before
 * it, *len = that bar's length in steps (both capped at 65535). */
void enc_bar_at(const Tune *t, int32_t step, int *pos, int *len);

/* The lookback row (ENC_LOOKBACK_WIDTH floats, overwritten) that predicts
 * step t+1 of a melody from its classes ids[0..t] (classes outside 0..129
 * give zeros); pos and len: step t+1's bar position and bar length (len <= 0
 * is taken as 16). */
void enc_lookback_row(const int32_t *ids, int32_t t, int pos, int len, float *row);

/* Repeat labels: the training target for step t+1 of ids (which holds steps
 * 0..t+1), len the bar length at step t+1 (<= 0: 16). */
int32_t enc_repeat_target(const int32_t *ids, int32_t t, int len);
/* The class an output label means for step t+1 after ids[0..t]: a class is
 * itself, ENC_REPEAT1/2 the class 1/2 bars back; -1 when that is before
 * ids[0] (or the label is out of range). */
int32_t enc_repeat_class(const int32_t *ids, int32_t t, int len, int32_t label);

/* True for melody --lookback with any form option on (they change the
 * rows, and the ids with events). */
bool enc_form(const EncOpts *o);
/* Form inputs (above).  The distances looked back, rising, into bars[]
 * (ENC_BACK_MAX); returns how many. */
int enc_backs(const EncOpts *o, int bars[ENC_BACK_MAX]);
/* The output label meaning "the tune ends here" (events), else -1. */
int enc_end_label(const EncOpts *o);
/* EncAt of step in t's bars; step may be negative (before the start: the
 * bars of step 0's metre, counted back). */
void enc_at(const Tune *t, int64_t step, EncAt *at);
/* The metre class of num/den: 2/4 3/4 4/4 6/8 9/8 12/8 2/2, else 7. */
int enc_meter_class(int num, int den);
/* The time signature of metre class k: false for 7 (other) or out of range. */
bool enc_meter_sig(int k, int *num, int *den);
/* A tune's key from its pitch-class histogram weighted by duration
 * (keyprofile_best), -1 without notes. */
int enc_tune_key(const Tune *t);
/* The row (enc_in_width floats, overwritten) that predicts step t+1 from
 * ids[0..t]: at is step t+1's place, c the conditioning (NULL: none).
 * With every form option off it is enc_lookback_row's. */
void enc_form_row(const EncOpts *o, const int32_t *ids, int32_t t, const EncAt *at,
                  const EncCond *c, float *row);
/* The training target for step t+1 of ids (holding 0..t+1), len its bar
 * length: the end label, a repeat label, or the class. */
int32_t enc_form_target(const EncOpts *o, const int32_t *ids, int32_t t, int len);
/* The class label l means after ids[0..t] (-1: none behind it, not a
 * class, or the end label). */
int32_t enc_form_class(const EncOpts *o, const int32_t *ids, int32_t t, int len, int32_t l);

/* Encode t (sorted by onset, then pitch, as tune_sort leaves it; anything
 * else is REEL_EARG, as is a tune longer than ENC_MAX_STEPS).  Rows of frame
 * encodings cover t->n_steps (at least the last note-off), so a tune longer
 * than its last note ends in silent frames.  v is needed for tokens only and
 * is not changed: tokens it lacks count in st.unknown.  *out is overwritten
 * (not freed) and owned by the caller, who releases it with enc_free. */
ReelStatus enc_encode(const EncOpts *o, const Vocab *v, const Tune *t, Encoded *out,
                      ReelError *err);

/* Training's view of a tune with tune events (melody form encodings): the
 * rows between its start and end events cut to the bar line at or before
 * its first note and the bar line after its last note ends, so a start
 * event is followed by the bar its melody starts in (pop songs open with
 * bars of intro that the melody track leaves empty) and the end event by no
 * silence.  Bar numbers count from the first bar kept.  Returns the rows
 * dropped; 0, e unchanged, for a tune without notes or events (or without
 * the bar places of a form encoding).  Priming does not trim: a seed keeps
 * its silences. */
int32_t enc_trim_silence(Encoded *e);

/* Decode e back to notes.  meta supplies time signatures (bar lines for the
 * roll13 rule), tempos, names; it may be NULL (4/4, 120 bpm).  Pitches are
 * moved back by e->shift.  For float encodings a value > 0.5 counts as on.
 * *out is overwritten (not freed) with a sorted tune the caller owns; its
 * n_steps is e->n for frame encodings (rolls, melody), else the end of the
 * last note or rest. */
ReelStatus enc_decode(const EncOpts *o, const Vocab *v, const Encoded *e, const Tune *meta,
                      Tune *out, ReelError *err);

/* Add the tokens of t to v (counting), for building a corpus vocabulary.
 * o->kind is not looked at; o->durations is.  Fails with REEL_EARG after
 * vocab_finish, REEL_ENOMEM when v cannot grow. */
ReelStatus enc_tokens_count(const EncOpts *o, const Tune *t, Vocab *v, ReelError *err);

/* Release e's arrays and zero it.  Accepts NULL and a zeroed Encoded. */
void enc_free(Encoded *e);

/* What a token string means: a note or chord, or a rest, with an optional
 * duration.  Accepts what the encoder writes ("C4", "C4.E4.G4/2", "r/4")
 * and what people type (pitch names as pitch_parse reads them, "Bb3/8",
 * "R/2").  Durations are 1..ENC_TOKEN_MAX_DUR. */
typedef struct {
    bool rest;
    int dur;              /* steps; 0 when the token has no "/N" */
    int n;                /* pitches; 0 for a rest */
    uint8_t pitch[128];   /* (n) distinct, rising */
} EncToken;

/* Parse s into *tok; false (and *tok unspecified) when s is not a token. */
bool enc_token_parse(const char *s, EncToken *tok);

#endif
