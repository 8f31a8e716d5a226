/* encode.c — see encode.h for the encodings and their rules.
 *
 * Sections: names; checks and small helpers; frame rolls (roll13, roll13o,
 * roll128 share one encoder and one decoder); melody; tokens; regress;
 * dispatch.  Everything here is linear in notes plus steps (times the frame
 * width); nothing prints.
 */
#include "encode.h"

#include "keyprofile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Names                                                                     */

static const char *const enc_names[ENC_COUNT] = {
    "roll13", "roll13o", "roll128", "melody", "tokens", "regress",
};

static const char *const enc_descriptions[ENC_COUNT] = {
    "13 pitches C4..C5 per 16th step, 1 = sounding (the paper's); tunes moved by octaves "
    "and folded in; repeated notes in a bar merge into one",
    "roll13 plus an onset bit per pitch (26 features): repeated notes survive",
    "all 128 pitches, sounding + onset bits (256 features); polyphonic",
    "one class per 16th step: off, hold or note-on of a pitch (130 classes); monophonic, "
    "top note kept",
    "one token per onset, \"C4\" or \"C4.E4.G4\", optionally with durations \"C4/4\" "
    "and rests \"r/2\"; corpus vocabulary",
    "3 floats per note: pitch/127, velocity/127, steps since the last onset/16 (MSE)",
};

const char *enc_name(EncKind k)
{
    return k >= 0 && k < ENC_COUNT ? enc_names[k] : "?";
}

EncKind enc_parse(const char *name)
{
    if (!name)
        return ENC_COUNT;
    for (int k = 0; k < ENC_COUNT; k++)
        if (strcmp(name, enc_names[k]) == 0)
            return (EncKind)k;
    if (strcmp(name, "roll13-onset") == 0)
        return ENC_ROLL13_ONSET;
    return ENC_COUNT;
}

const char *enc_describe(EncKind k)
{
    return k >= 0 && k < ENC_COUNT ? enc_descriptions[k] : "unknown encoding";
}

bool enc_is_classes(EncKind k)
{
    return k == ENC_MELODY || k == ENC_TOKENS;
}

int enc_width(const EncOpts *o, const Vocab *v)
{
    if (!o)
        return 0;
    switch (o->kind) {
    case ENC_ROLL13: return ROLL13_HI - ROLL13_LO + 1;
    case ENC_ROLL13_ONSET: return 2 * (ROLL13_HI - ROLL13_LO + 1);
    case ENC_ROLL128: return 256;
    case ENC_MELODY: return MELODY_CLASSES;
    case ENC_TOKENS: return vocab_size(v);
    case ENC_REGRESS: return 3;
    case ENC_COUNT: break;
    }
    return 0;
}

bool enc_lookback(const EncOpts *o)
{
    return o && o->kind == ENC_MELODY && o->lookback;
}

int enc_backs(const EncOpts *o, int bars[ENC_BACK_MAX])
{
    int set = o && o->back ? o->back : 3, n = 0;
    for (int k = 0; k < ENC_BACK_MAX; k++)
        if (set & (1 << k))
            bars[n++] = 1 << k;
    return n;
}

int enc_in_width(const EncOpts *o, const Vocab *v)
{
    int bars[ENC_BACK_MAX], nb;
    if (!enc_lookback(o))
        return enc_width(o, v);
    nb = enc_backs(o, bars);
    return (1 + nb) * MELODY_CLASSES + ENC_LOOKBACK_BITS + nb + (o->events ? 1 : 0) +
           (o->phrase ? ENC_PHRASE_WIDTH : 0) + (o->cond ? ENC_COND_WIDTH : 0);
}

bool enc_form(const EncOpts *o)
{
    return enc_lookback(o) && (o->back || o->phrase || o->events || o->cond);
}

bool enc_repeats(const EncOpts *o)
{
    return enc_lookback(o) && o->repeats;
}

int enc_end_label(const EncOpts *o)
{
    int bars[ENC_BACK_MAX];
    if (!enc_lookback(o) || !o->events)
        return -1;
    return MELODY_CLASSES + (enc_repeats(o) ? enc_backs(o, bars) : 0);
}

int enc_out_width(const EncOpts *o, const Vocab *v)
{
    int bars[ENC_BACK_MAX];
    if (!enc_lookback(o))
        return enc_width(o, v);
    return enc_width(o, v) + (enc_repeats(o) ? enc_backs(o, bars) : 0) + (o->events ? 1 : 0);
}

/* ------------------------------------------------------------------------ */
/* Checks and helpers                                                        */

static const char *tune_label(const Tune *t)
{
    return t && t->name ? t->name : "tune";
}

/* Check that t's notes are valid and sorted by onset then pitch; set *steps
 * to the rows a frame encoding needs (n_steps, at least the last note-off). */
static ReelStatus check_tune(const Tune *t, int32_t *steps, ReelError *err)
{
    int64_t n = t->n_steps > 0 ? t->n_steps : 0;
    if (t->n_notes < 0 || (t->n_notes > 0 && !t->notes))
        return reel_fail(err, REEL_EARG, "%s: broken note list", tune_label(t));
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        if (a->onset < 0 || a->dur < 1 || a->pitch > 127)
            return reel_fail(err, REEL_EARG, "%s: note %ld out of range (onset %ld, duration "
                             "%ld, pitch %d)", tune_label(t), (long)i, (long)a->onset,
                             (long)a->dur, a->pitch);
        if (i > 0) {
            const Note *b = &t->notes[i - 1];
            if (b->onset > a->onset || (b->onset == a->onset && b->pitch > a->pitch))
                return reel_fail(err, REEL_EARG, "%s: notes are not sorted (call tune_sort)",
                                 tune_label(t));
        }
        if ((int64_t)a->onset + a->dur > n)
            n = (int64_t)a->onset + a->dur;
    }
    if (n > ENC_MAX_STEPS)
        return reel_fail(err, REEL_EARG, "%s: %lld steps long; encodings take at most %d",
                         tune_label(t), (long long)n, ENC_MAX_STEPS);
    *steps = (int32_t)n;
    return REEL_OK;
}

/* Zeroed (rows, width) array of elem-byte items; at least one item, so an
 * empty tune still gets a non-NULL array.  NULL when out of memory. */
static void *alloc_rows(int32_t rows, int width, size_t elem)
{
    size_t r = rows > 0 ? (size_t)rows : 1, w = width > 0 ? (size_t)width : 1;
    if (r > SIZE_MAX / w)
        return NULL;
    return calloc(r * w, elem);
}

/* The decoded tune starts as a copy of meta's metadata (or a bare tune). */
static ReelStatus start_decoded(const Tune *meta, Tune *d, ReelError *err)
{
    if (meta)
        return tune_copy_meta(d, meta, err);
    tune_init(d);
    return REEL_OK;
}

/* Add a decoded note, moved back by shift; pitches that land outside MIDI
 * (only possible with a hand-made shift) are left out. */
static ReelStatus put_note(Tune *d, int64_t onset, int64_t dur, int pitch, int vel,
                           ReelError *err)
{
    if (pitch < 0 || pitch > 127)
        return REEL_OK;
    if (onset < 0 || dur < 1 || onset + dur > ENC_MAX_STEPS)
        return reel_fail(err, REEL_EARG, "decoded note at step %lld runs past %d steps",
                         (long long)onset, ENC_MAX_STEPS);
    return tune_add_note(d, (int32_t)onset, (int32_t)dur, pitch, vel, err);
}

/* Round a float to an int in lo..hi (lo >= 0); NaN gives lo.  No libm. */
static int32_t clamp_round(float v, int32_t lo, int32_t hi)
{
    if (!(v >= (float)lo))
        return lo;
    if (v >= (float)hi)
        return hi;
    return (int32_t)(v + 0.5f);
}

/* ------------------------------------------------------------------------ */
/* Frame rolls                                                               */

/* A roll row: P pitches from base, sounding bits at [0, P), onset bits at
 * [P, 2P) when onsets are kept. */
typedef struct {
    int P, base, F;
    bool onsets;
} RollShape;

static RollShape roll_shape(EncKind k)
{
    RollShape r;
    if (k == ENC_ROLL128) {
        r.P = 128;
        r.base = 0;
    } else {
        r.P = ROLL13_HI - ROLL13_LO + 1;
        r.base = ROLL13_LO;
    }
    r.onsets = k != ENC_ROLL13;
    r.F = r.onsets ? 2 * r.P : r.P;
    return r;
}

/* The whole-octave shift (in semitones) that puts the most of t's notes in
 * 60..72.  Ties: smaller |k|, then the downward shift. */
static int roll13_shift(const Tune *t)
{
    static const int order[9] = {0, -1, 1, -2, 2, -3, 3, -4, 4};
    long hist[128] = {0}, best = -1;
    int best_k = 0;
    for (int32_t i = 0; i < t->n_notes; i++)
        hist[t->notes[i].pitch]++;
    for (int j = 0; j < 9; j++) {
        int k = order[j];
        long c = 0;
        for (int p = ROLL13_LO - 12 * k; p <= ROLL13_HI - 12 * k; p++)
            if (p >= 0 && p <= 127)
                c += hist[p];
        if (c > best) {
            best = c;
            best_k = k;
        }
    }
    return 12 * best_k;
}

/* Fold p by whole octaves into 60..72. */
static int roll13_fold(int p)
{
    if (p < ROLL13_LO)
        p += 12 * ((ROLL13_LO - p + 11) / 12);
    else if (p > ROLL13_HI)
        p -= 12 * ((p - ROLL13_HI + 11) / 12);
    return p;
}

static ReelStatus roll_encode(const EncOpts *o, const Tune *t, int32_t n, Encoded *e,
                              ReelError *err)
{
    RollShape r = roll_shape(o->kind);
    bool narrow = o->kind != ENC_ROLL128;
    float *x = alloc_rows(n, r.F, sizeof *x); /* (n, F) */
    if (!x)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory for a %ld x %d roll", tune_label(t),
                         (long)n, r.F);
    e->x = x;
    e->n = n;
    e->f = r.F;
    e->shift = narrow && !o->plain ? roll13_shift(t) : 0;
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        int p = a->pitch + e->shift, q;
        if (e->shift)
            e->st.shifted++;
        if (narrow && (p < ROLL13_LO || p > ROLL13_HI)) {
            if (o->plain) {
                e->st.dropped++;
                continue;
            }
            p = roll13_fold(p);
            e->st.folded++;
        }
        q = p - r.base;
        for (int32_t s = a->onset; s < a->onset + a->dur; s++)
            x[(size_t)s * r.F + q] = 1.0f;
        if (r.onsets)
            x[(size_t)a->onset * r.F + r.P + q] = 1.0f;
    }
    return REEL_OK;
}

static ReelStatus roll_decode(const EncOpts *o, const Encoded *e, const Tune *meta, Tune *d,
                              ReelError *err)
{
    RollShape r = roll_shape(o->kind);
    Tune plain4;
    const Tune *bars = meta;
    int32_t start[128]; /* (P) step where the note of each pitch began, -1 = none */
    if (e->f != r.F || (e->n > 0 && !e->x))
        return reel_fail(err, REEL_EARG, "%s decode: rows of %d floats, expected %d",
                         enc_name(o->kind), e->f, r.F);
    if (!bars) {
        tune_init(&plain4);
        bars = &plain4;
    }
    for (int q = 0; q < r.P; q++)
        start[q] = -1;
    /* One pass over frames; frame n closes every open note. */
    for (int32_t t = 0; t <= e->n; t++) {
        const float *row = t < e->n ? e->x + (size_t)t * r.F : NULL;
        bool bar = !r.onsets && row && t > 0 && tune_is_bar_start(bars, t);
        for (int q = 0; q < r.P; q++) {
            bool s = row && row[q] > 0.5f;
            bool on = r.onsets && row && row[r.P + q] > 0.5f;
            bool cont = start[q] >= 0 && s && !on && !bar;
            if (start[q] >= 0 && !cont) {
                ReelStatus st = put_note(d, start[q], t - start[q], r.base + q - e->shift,
                                         ENC_DECODE_VEL, err);
                if (st)
                    return st;
                start[q] = -1;
            }
            if (!cont && (s || on))
                start[q] = t;
        }
    }
    d->n_steps = e->n;
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Melody                                                                    */

static ReelStatus melody_encode(const Tune *t, int32_t n, Encoded *e, ReelError *err)
{
    int32_t *ids = alloc_rows(n, 1, sizeof *ids); /* (n) classes, 0 = off */
    if (!ids)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory for %ld melody steps",
                         tune_label(t), (long)n);
    e->ids = ids;
    e->n = n;
    for (int32_t i = 0, j; i < t->n_notes; i = j) {
        const Note *keep = &t->notes[i];
        int32_t next, end;
        for (j = i + 1; j < t->n_notes && t->notes[j].onset == keep->onset; j++) {
            const Note *b = &t->notes[j];
            if (b->pitch > keep->pitch || (b->pitch == keep->pitch && b->dur > keep->dur))
                keep = b;
        }
        e->st.dropped += j - i - 1;
        next = j < t->n_notes ? t->notes[j].onset : n;
        end = keep->onset + keep->dur;
        if (end > next) {
            end = next;
            e->st.resized++;
        }
        ids[keep->onset] = 2 + keep->pitch;
        for (int32_t s = keep->onset + 1; s < end; s++)
            ids[s] = MELODY_HOLD;
    }
    return REEL_OK;
}

/* A view of e without a leading start event and a trailing end event. */
static Encoded events_stripped(const Encoded *e)
{
    Encoded v = *e;
    if (v.ids && v.n > 0 && v.ids[0] == ENC_EV_START) {
        v.ids++;
        v.n--;
    }
    if (v.ids && v.n > 0 && v.ids[v.n - 1] == ENC_EV_END)
        v.n--;
    return v;
}

static ReelStatus melody_decode(const Encoded *e, Tune *d, ReelError *err)
{
    int32_t cur = -1;
    int pitch = 0;
    if (e->n > 0 && !e->ids)
        return reel_fail(err, REEL_EARG, "melody decode: no class ids");
    for (int32_t t = 0; t <= e->n; t++) {
        int32_t c = t < e->n ? e->ids[t] : MELODY_OFF;
        if (c == MELODY_HOLD && cur >= 0)
            continue;
        if (cur >= 0) {
            ReelStatus st = put_note(d, cur, t - cur, pitch, ENC_DECODE_VEL, err);
            if (st)
                return st;
            cur = -1;
        }
        if (c >= 2 && c < MELODY_CLASSES) {
            cur = t;
            pitch = c - 2;
        }
    }
    d->n_steps = e->n;
    return REEL_OK;
}

/* Melody --lookback: bar positions per step, and the input rows. */

void enc_bar_at(const Tune *t, int32_t step, int *pos, int *len)
{
    TimeSig s = tune_sig_at(t, step);
    int32_t l = tune_bar_steps_at(t, step), p = step >= s.step ? (step - s.step) % l : 0;
    *pos = p > 65535 ? 65535 : (int)p;
    *len = l > 65535 ? 65535 : (int)l;
}

static ReelStatus melody_bars(const Tune *t, int32_t n, Encoded *e, ReelError *err)
{
    e->bar_pos = alloc_rows(n, 1, sizeof *e->bar_pos);
    e->bar_len = alloc_rows(n, 1, sizeof *e->bar_len);
    if (!e->bar_pos || !e->bar_len)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory for %ld bar positions",
                         tune_label(t), (long)n);
    /* One walk over the time signatures, not a search per step. */
    for (int32_t s = 0, k = 0, len = 16, pos = 0; s < n; s++) {
        if (k < t->n_sigs && t->sigs[k].step <= s) {
            while (k < t->n_sigs && t->sigs[k].step <= s)
                k++;
            len = tune_bar_steps_at(t, s);
            pos = s - t->sigs[k - 1].step;
            pos %= len;
        } else if (s > 0 && ++pos >= len) {
            pos = 0;
        }
        e->bar_pos[s] = (uint16_t)(pos > 65535 ? 65535 : pos);
        e->bar_len[s] = (uint16_t)(len > 65535 ? 65535 : len);
    }
    return REEL_OK;
}

static void one_hot(float *dst, int32_t c)
{
    if (c >= 0 && c < MELODY_CLASSES)
        dst[c] = 1.0f;
}

/* The options of today's --lookback (--repeat-labels): rows and labels
 * that every older lookback model was trained on. */
static EncOpts plain_lookback(bool repeats)
{
    EncOpts o;
    memset(&o, 0, sizeof o);
    o.kind = ENC_MELODY;
    o.lookback = true;
    o.repeats = repeats;
    return o;
}

void enc_lookback_row(const int32_t *ids, int32_t t, int pos, int len, float *row)
{
    EncOpts o = plain_lookback(false);
    EncAt at = {pos, len, 0, 0, false};
    enc_form_row(&o, ids, t, &at, NULL, row);
}

int32_t enc_repeat_target(const int32_t *ids, int32_t t, int len)
{
    EncOpts o = plain_lookback(true);
    return enc_form_target(&o, ids, t, len);
}

int32_t enc_repeat_class(const int32_t *ids, int32_t t, int len, int32_t label)
{
    EncOpts o = plain_lookback(true);
    if (label >= 0 && label < MELODY_CLASSES)
        return label;
    if (label != ENC_REPEAT1 && label != ENC_REPEAT2)
        return -1;
    return enc_form_class(&o, ids, t, len, label);
}

/* Bars within 4, 8, 16 and the beat: ENC_PHRASE_WIDTH floats. */
static void phrase_bits(const EncAt *at, float *p)
{
    int bar = ((at->bar % 16) + 16) % 16;
    p[bar % 4] = 1.0f;
    p[4 + bar % 8] = 1.0f;
    p[12 + bar] = 1.0f;
    p[28 + (at->beat < 0 ? 0 : at->beat > 7 ? 7 : at->beat)] = 1.0f;
    p[36] = at->on_beat ? 1.0f : 0.0f;
}

void enc_form_row(const EncOpts *o, const int32_t *ids, int32_t t, const EncAt *at,
                  const EncCond *c, float *row)
{
    int bars[ENC_BACK_MAX], nb = enc_backs(o, bars), len = at->len > 0 ? at->len : 16;
    int32_t cur = ids[t];
    float *p = row;
    memset(row, 0, (size_t)enc_in_width(o, NULL) * sizeof *row);
    one_hot(p, cur);
    p += MELODY_CLASSES;
    for (int k = 0; k < nb; k++, p += MELODY_CLASSES) {
        int64_t back = (int64_t)t + 1 - (int64_t)bars[k] * len;
        if (back >= 0)
            one_hot(p, ids[back]);
    }
    for (int b = 0; b < ENC_LOOKBACK_BITS; b++)
        p[b] = (float)((at->pos >> b) & 1);
    p += ENC_LOOKBACK_BITS;
    for (int k = 0; k < nb; k++) {
        int64_t same = (int64_t)t - (int64_t)bars[k] * len;
        if (same >= 0 && ids[same] == cur)
            p[k] = 1.0f;
    }
    p += nb;
    if (o->events)
        *p++ = cur == ENC_EV_START ? 1.0f : 0.0f;
    if (o->phrase) {
        phrase_bits(at, p);
        p += ENC_PHRASE_WIDTH;
    }
    if (o->cond && c) {
        if (c->meter >= 0 && c->meter < ENC_METERS)
            p[c->meter] = 1.0f;
        if (c->key >= 0 && c->key < 24)
            p[ENC_METERS + c->key] = 1.0f;
    }
}

int32_t enc_form_target(const EncOpts *o, const int32_t *ids, int32_t t, int len)
{
    int bars[ENC_BACK_MAX], nb = enc_backs(o, bars);
    int32_t next = ids[t + 1];
    if (next == ENC_EV_END && enc_end_label(o) >= 0)
        return enc_end_label(o);
    if (!enc_repeats(o))
        return next;
    if (len <= 0)
        len = 16;
    /* The farthest first: Ryan's tunes repeat the bar 2 back ten times as
     * often as the bar before (5.4% of bars against 0.5%), and the bars 4
     * and 8 back more often still. */
    for (int k = nb - 1; k >= 0; k--) {
        int64_t back = (int64_t)t + 1 - (int64_t)bars[k] * len;
        if (back >= 0 && ids[back] == next)
            return ENC_REPEAT1 + k;
    }
    return next;
}

int32_t enc_form_class(const EncOpts *o, const int32_t *ids, int32_t t, int len, int32_t l)
{
    int bars[ENC_BACK_MAX], nb = enc_backs(o, bars);
    int64_t back;
    int32_t c;
    if (l >= 0 && l < MELODY_CLASSES)
        return l;
    if (!enc_repeats(o) || l < ENC_REPEAT1 || l >= ENC_REPEAT1 + nb)
        return -1;
    if (len <= 0)
        len = 16;
    back = (int64_t)t + 1 - (int64_t)bars[l - ENC_REPEAT1] * len;
    if (back < 0)
        return -1;
    c = ids[back];
    return c == ENC_EV_START || c == ENC_EV_END ? -1 : c;
}

static const int meter_sigs[ENC_METERS - 1][2] = {{2, 4}, {3, 4}, {4, 4}, {6, 8},
                                                   {9, 8}, {12, 8}, {2, 2}};

int enc_meter_class(int num, int den)
{
    for (int k = 0; k < ENC_METERS - 1; k++)
        if (meter_sigs[k][0] == num && meter_sigs[k][1] == den)
            return k;
    return ENC_METERS - 1;
}

bool enc_meter_sig(int k, int *num, int *den)
{
    if (k < 0 || k >= ENC_METERS - 1)
        return false;
    *num = meter_sigs[k][0];
    *den = meter_sigs[k][1];
    return true;
}

int enc_tune_key(const Tune *t)
{
    double h[12] = {0};
    for (int32_t i = 0; i < t->n_notes; i++)
        h[t->notes[i].pitch % 12] += t->notes[i].dur;
    return t->n_notes ? keyprofile_best_key(h) : -1;
}

void enc_at(const Tune *t, int64_t step, EncAt *at)
{
    TimeSig s;
    int64_t bar = 0;
    int beat_len;
    if (step < 0) {
        enc_bar_at(t, 0, &at->pos, &at->len);
        at->pos = (int)(((step % at->len) + at->len) % at->len);
        bar = -((-step + at->len - 1) / at->len);
        s = tune_sig_at(t, 0);
    } else {
        int32_t st = step < ENC_MAX_STEPS ? (int32_t)step : ENC_MAX_STEPS, a = 0;
        enc_bar_at(t, st, &at->pos, &at->len);
        /* Bars restart at each change of metre, as tune_is_bar_start has it. */
        for (int32_t k = 0; k <= t->n_sigs; k++) {
            int32_t b = k < t->n_sigs ? t->sigs[k].step : INT32_MAX, L;
            if (b <= a)
                continue;
            L = tune_bar_steps_at(t, a);
            if (st < b) {
                bar += (st - a) / L;
                break;
            }
            bar += (b - a + L - 1) / L;
            a = b;
        }
        s = tune_sig_at(t, st);
    }
    beat_len = s.den >= 8 && s.num % 3 == 0 && s.num > 3 ? 48 / s.den : 16 / (s.den ? s.den : 4);
    if (beat_len < 1)
        beat_len = 1;
    at->bar = (int)(bar % 65536);
    at->beat = at->pos / beat_len > 7 ? 7 : at->pos / beat_len;
    at->on_beat = at->pos % beat_len == 0;
}

/* Form encodings: the start and end events around the steps, and the
 * places of every row (phrase).  ids (n) are the melody's classes. */
static ReelStatus melody_form(const EncOpts *o, const Tune *t, int32_t n, Encoded *e,
                              ReelError *err)
{
    int32_t off = o->events ? 1 : 0, rows = n + 2 * off;
    if (o->events) {
        int32_t *ids = alloc_rows(rows, 1, sizeof *ids);
        if (!ids)
            return reel_fail(err, REEL_ENOMEM, "%s: out of memory for %ld melody steps",
                             tune_label(t), (long)n);
        memcpy(ids + 1, e->ids, (size_t)n * sizeof *ids);
        ids[0] = ENC_EV_START;
        ids[n + 1] = ENC_EV_END;
        free(e->ids);
        e->ids = ids;
        e->n = rows;
    }
    e->bar_pos = alloc_rows(rows, 1, sizeof *e->bar_pos);
    e->bar_len = alloc_rows(rows, 1, sizeof *e->bar_len);
    e->bar_num = alloc_rows(rows, 1, sizeof *e->bar_num);
    e->beat = alloc_rows(rows, 1, sizeof *e->beat);
    if (!e->bar_pos || !e->bar_len || !e->bar_num || !e->beat)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory for %ld bar positions",
                         tune_label(t), (long)rows);
    for (int32_t i = 0; i < rows; i++) {
        EncAt at;
        enc_at(t, (int64_t)i - off, &at);
        e->bar_pos[i] = (uint16_t)at.pos;
        e->bar_len[i] = (uint16_t)at.len;
        e->bar_num[i] = (uint16_t)(at.bar & 0xffff);
        e->beat[i] = (uint8_t)(at.beat | (at.on_beat ? 8 : 0));
    }
    if (o->cond) {
        TimeSig s = tune_sig_at(t, 0);
        e->meter = enc_meter_class(s.num, s.den);
        e->key = enc_tune_key(t);
    }
    return REEL_OK;
}

static bool sounds(int32_t c)
{
    return c >= MELODY_HOLD && c < MELODY_CLASSES;
}

int32_t enc_trim_silence(Encoded *e)
{
    int32_t n = e->n, first = -1, last = -1, from, to, rows;
    uint16_t lead_bars;
    if (e->kind != ENC_MELODY || !e->ids || !e->bar_pos || n < 3 || e->ids[0] != ENC_EV_START ||
        e->ids[n - 1] != ENC_EV_END)
        return 0;
    for (int32_t i = 1; i < n - 1; i++)
        if (sounds(e->ids[i])) {
            if (first < 0 && e->ids[i] != MELODY_HOLD)
                first = i;
            last = i;
        }
    if (first < 0)
        return 0;
    /* Keep rows [from, to]: from is the row before the first bar kept (the
     * start event takes its place), to the first bar line after the last
     * sounding row (the end event's place), or the end row itself. */
    from = first - e->bar_pos[first] - 1;
    if (from < 0)
        from = 0;
    to = last + 1;
    while (to < n - 1 && e->bar_pos[to] != 0)
        to++;
    rows = to - from + 1;
    if (rows == n)
        return 0;
    lead_bars = e->bar_num ? (uint16_t)(e->bar_num[from + 1] - e->bar_num[1]) : 0;
    memmove(e->ids, e->ids + from, (size_t)rows * sizeof *e->ids);
    memmove(e->bar_pos, e->bar_pos + from, (size_t)rows * sizeof *e->bar_pos);
    memmove(e->bar_len, e->bar_len + from, (size_t)rows * sizeof *e->bar_len);
    if (e->bar_num) {
        memmove(e->bar_num, e->bar_num + from, (size_t)rows * sizeof *e->bar_num);
        for (int32_t i = 0; i < rows; i++)
            e->bar_num[i] = (uint16_t)(e->bar_num[i] - lead_bars);
    }
    if (e->beat)
        memmove(e->beat, e->beat + from, (size_t)rows * sizeof *e->beat);
    e->ids[0] = ENC_EV_START;
    e->ids[rows - 1] = ENC_EV_END;
    e->n = rows;
    return n - rows;
}

/* ------------------------------------------------------------------------ */
/* Tokens                                                                    */

/* Where the token walk sends its strings: ids looked up in v (encoding), or
 * counts added to counting (vocabulary building). */
typedef struct {
    const Vocab *v;
    Vocab *counting;
    int32_t *ids;   /* (cap) owned until handed to Encoded, n used */
    int32_t n, cap;
    EncStats *st;
} TokSink;

static ReelStatus sink_put(TokSink *k, const char *tok, ReelError *err)
{
    int id;
    if (k->counting) {
        if (vocab_count(k->counting, tok) < 0)
            return reel_fail(err, REEL_ENOMEM, "out of memory counting token \"%s\"", tok);
        return REEL_OK;
    }
    if (k->n == k->cap) {
        int32_t nc = k->cap ? k->cap * 2 : 256;
        int32_t *p;
        if (k->cap > INT32_MAX / 2)
            return reel_fail(err, REEL_EARG, "too many tokens");
        p = realloc(k->ids, (size_t)nc * sizeof *p);
        if (!p)
            return reel_fail(err, REEL_ENOMEM, "out of memory for tokens");
        k->ids = p;
        k->cap = nc;
    }
    id = vocab_id(k->v, tok);
    if (id < 0) {
        id = VOCAB_UNK;
        k->st->unknown++;
    }
    k->ids[k->n++] = id;
    return REEL_OK;
}

/* Rest tokens for a silence of len steps, at most ENC_TOKEN_MAX_REST each. */
static ReelStatus sink_rests(TokSink *k, int64_t len, ReelError *err)
{
    char buf[16];
    while (len > 0) {
        int c = len > ENC_TOKEN_MAX_REST ? ENC_TOKEN_MAX_REST : (int)len;
        ReelStatus st;
        snprintf(buf, sizeof buf, "r/%d", c);
        st = sink_put(k, buf, err);
        if (st)
            return st;
        len -= c;
    }
    return REEL_OK;
}

/* Walk t's onsets and emit their tokens (see encode.h for the rules). */
static ReelStatus tokens_walk(bool durations, const Tune *t, TokSink *k, ReelError *err)
{
    char buf[ENC_TOKEN_MAX_LEN];
    ReelStatus st;
    if (durations && t->n_notes > 0 && (st = sink_rests(k, t->notes[0].onset, err)))
        return st;
    for (int32_t i = 0, j; i < t->n_notes; i = j) {
        int32_t onset = t->notes[i].onset, longest = 0, d;
        size_t len = 0;
        int last = -1;
        for (j = i; j < t->n_notes && t->notes[j].onset == onset; j++) {
            const Note *a = &t->notes[j];
            char name[6];
            if (a->dur > longest)
                longest = a->dur;
            if (a->pitch == last) {
                k->st->dropped++;
                continue;
            }
            last = a->pitch;
            pitch_name(a->pitch, name);
            /* 128 names of <= 4 bytes, dots, "/64" and NUL fit the buffer. */
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s", len ? "." : "", name);
        }
        if (!durations) {
            if ((st = sink_put(k, buf, err)))
                return st;
            continue;
        }
        d = longest;
        if (j < t->n_notes && onset + d > t->notes[j].onset)
            d = t->notes[j].onset - onset;
        if (d > ENC_TOKEN_MAX_DUR)
            d = ENC_TOKEN_MAX_DUR;
        last = -1;
        for (int32_t m = i; m < j; m++) {
            if (t->notes[m].pitch != last && t->notes[m].dur != d)
                k->st->resized++;
            last = t->notes[m].pitch;
        }
        snprintf(buf + len, sizeof buf - len, "/%d", (int)d);
        if ((st = sink_put(k, buf, err)))
            return st;
        if (j < t->n_notes && (st = sink_rests(k, (int64_t)t->notes[j].onset - onset - d, err)))
            return st;
    }
    return REEL_OK;
}

bool enc_token_parse(const char *s, EncToken *tok)
{
    const char *slash, *p;
    size_t body;
    bool seen[128] = {false};
    if (!s || !tok || !*s)
        return false;
    memset(tok, 0, sizeof *tok);
    slash = strchr(s, '/');
    body = slash ? (size_t)(slash - s) : strlen(s);
    if (slash) {
        int d = 0;
        p = slash + 1;
        if (!*p)
            return false;
        for (; *p; p++) {
            if (*p < '0' || *p > '9')
                return false;
            d = d * 10 + (*p - '0');
            if (d > ENC_TOKEN_MAX_DUR)
                return false;
        }
        if (d < 1)
            return false;
        tok->dur = d;
    }
    if (body == 1 && (s[0] == 'r' || s[0] == 'R')) {
        tok->rest = true;
        return true;
    }
    for (p = s; p < s + body;) {
        char name[8];
        const char *dot = memchr(p, '.', (size_t)(s + body - p));
        size_t len = dot ? (size_t)(dot - p) : (size_t)(s + body - p);
        int pitch;
        if (len == 0 || len >= sizeof name)
            return false;
        memcpy(name, p, len);
        name[len] = '\0';
        pitch = pitch_parse(name);
        if (pitch < 0)
            return false;
        seen[pitch] = true;
        p += len;
        if (dot) {
            p++;
            if (p == s + body)
                return false; /* trailing dot */
        }
    }
    for (int q = 0; q < 128; q++)
        if (seen[q])
            tok->pitch[tok->n++] = (uint8_t)q;
    return tok->n > 0;
}

static ReelStatus tokens_encode(const EncOpts *o, const Vocab *v, const Tune *t, Encoded *e,
                                ReelError *err)
{
    TokSink k = {v, NULL, NULL, 0, 0, &e->st};
    ReelStatus st = tokens_walk(o->durations, t, &k, err);
    if (st) {
        free(k.ids);
        return st;
    }
    if (!k.ids && !(k.ids = malloc(sizeof *k.ids)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for tokens");
    e->ids = k.ids;
    e->n = k.n;
    return REEL_OK;
}

static ReelStatus tokens_decode(const EncOpts *o, const Vocab *v, const Encoded *e, Tune *d,
                                ReelError *err)
{
    int64_t cur = 0;
    EncToken tk;
    if (e->n > 0 && !e->ids)
        return reel_fail(err, REEL_EARG, "tokens decode: no token ids");
    for (int32_t i = 0; i < e->n; i++) {
        const char *s = e->ids[i] == VOCAB_UNK ? NULL : vocab_token(v, e->ids[i]);
        int64_t len = ENC_TOKEN_STEP;
        if (!s || !enc_token_parse(s, &tk)) {
            if (!o->durations)
                cur += ENC_TOKEN_STEP;
            continue;
        }
        if (o->durations && tk.dur > 0)
            len = tk.dur;
        for (int q = 0; q < tk.n; q++) {
            ReelStatus st = put_note(d, cur, len, tk.pitch[q], ENC_DECODE_VEL, err);
            if (st)
                return st;
        }
        cur += len;
        if (cur > ENC_MAX_STEPS)
            return reel_fail(err, REEL_EARG, "decoded tokens run past %d steps", ENC_MAX_STEPS);
    }
    d->n_steps = (int32_t)cur;
    return REEL_OK;
}

ReelStatus enc_tokens_count(const EncOpts *o, const Tune *t, Vocab *v, ReelError *err)
{
    EncStats st = {0};
    TokSink k = {NULL, v, NULL, 0, 0, &st};
    int32_t n;
    ReelStatus s;
    if (!o || !t || !v)
        return reel_fail(err, REEL_EARG, "enc_tokens_count: missing options, tune or vocabulary");
    if ((s = check_tune(t, &n, err)))
        return s;
    if (vocab_finished(v))
        return reel_fail(err, REEL_EARG, "enc_tokens_count: the vocabulary is already finished");
    return tokens_walk(o->durations, t, &k, err);
}

/* ------------------------------------------------------------------------ */
/* Regress                                                                   */

/* Duration the regress decoder gives note i: up to the next later onset,
 * or ENC_REGRESS_LAST_DUR for the last onset. */
static int32_t regress_dur(const int32_t *onsets, int32_t n, int32_t i, int32_t *next_i)
{
    int32_t j = *next_i > i ? *next_i : i + 1;
    while (j < n && onsets[j] == onsets[i])
        j++;
    *next_i = j;
    return j < n ? onsets[j] - onsets[i] : ENC_REGRESS_LAST_DUR;
}

static ReelStatus regress_encode(const Tune *t, Encoded *e, ReelError *err)
{
    float *x = alloc_rows(t->n_notes, 3, sizeof *x); /* (n_notes, 3) */
    int32_t *onsets;                                 /* (n_notes) */
    int32_t prev = 0, next = 0;
    if (!x)
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", tune_label(t));
    onsets = alloc_rows(t->n_notes, 1, sizeof *onsets);
    if (!onsets) {
        free(x);
        return reel_fail(err, REEL_ENOMEM, "%s: out of memory", tune_label(t));
    }
    for (int32_t i = 0; i < t->n_notes; i++) {
        const Note *a = &t->notes[i];
        x[3 * (size_t)i + 0] = (float)a->pitch / 127.0f;
        x[3 * (size_t)i + 1] = (float)a->vel / 127.0f;
        x[3 * (size_t)i + 2] = (float)(a->onset - prev) / 16.0f;
        prev = a->onset;
        onsets[i] = a->onset;
    }
    for (int32_t i = 0; i < t->n_notes; i++)
        if (regress_dur(onsets, t->n_notes, i, &next) != t->notes[i].dur)
            e->st.resized++;
    free(onsets);
    e->x = x;
    e->n = t->n_notes;
    e->f = 3;
    return REEL_OK;
}

static ReelStatus regress_decode(const Encoded *e, Tune *d, ReelError *err)
{
    int32_t *onsets; /* (n) */
    int64_t cur = 0;
    int32_t next = 0;
    ReelStatus st = REEL_OK;
    if (e->f != 3 || (e->n > 0 && !e->x))
        return reel_fail(err, REEL_EARG, "regress decode: rows of %d floats, expected 3", e->f);
    onsets = alloc_rows(e->n, 1, sizeof *onsets);
    if (!onsets)
        return reel_fail(err, REEL_ENOMEM, "out of memory decoding %ld notes", (long)e->n);
    for (int32_t i = 0; i < e->n; i++) {
        cur += clamp_round(e->x[3 * (size_t)i + 2] * 16.0f, 0, ENC_MAX_STEPS);
        if (cur > ENC_MAX_STEPS) {
            st = reel_fail(err, REEL_EARG, "decoded notes run past %d steps", ENC_MAX_STEPS);
            goto done;
        }
        onsets[i] = (int32_t)cur;
    }
    for (int32_t i = 0; i < e->n && !st; i++) {
        const float *r = e->x + 3 * (size_t)i;
        st = put_note(d, onsets[i], regress_dur(onsets, e->n, i, &next),
                      clamp_round(r[0] * 127.0f, 0, 127), clamp_round(r[1] * 127.0f, 1, 127),
                      err);
    }
done:
    free(onsets);
    return st;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */

ReelStatus enc_encode(const EncOpts *o, const Vocab *v, const Tune *t, Encoded *out,
                      ReelError *err)
{
    Encoded e;
    int32_t n;
    ReelStatus st;
    if (!o || !t || !out)
        return reel_fail(err, REEL_EARG, "enc_encode: missing options, tune or output");
    if (o->kind < 0 || o->kind >= ENC_COUNT)
        return reel_fail(err, REEL_EARG, "enc_encode: unknown encoding %d", (int)o->kind);
    if (o->kind == ENC_TOKENS && !v)
        return reel_fail(err, REEL_EARG, "tokens encoding needs a vocabulary");
    if ((st = check_tune(t, &n, err)))
        return st;
    memset(&e, 0, sizeof e);
    e.kind = o->kind;
    e.st.notes = t->n_notes;
    switch (o->kind) {
    case ENC_ROLL13:
    case ENC_ROLL13_ONSET:
    case ENC_ROLL128: st = roll_encode(o, t, n, &e, err); break;
    case ENC_MELODY:
        st = melody_encode(t, n, &e, err);
        if (!st && enc_form(o))
            st = melody_form(o, t, n, &e, err);
        else if (!st && o->lookback)
            st = melody_bars(t, n, &e, err);
        break;
    case ENC_TOKENS: st = tokens_encode(o, v, t, &e, err); break;
    case ENC_REGRESS: st = regress_encode(t, &e, err); break;
    case ENC_COUNT: break;
    }
    if (st) {
        enc_free(&e);
        return st;
    }
    *out = e;
    return REEL_OK;
}

ReelStatus enc_decode(const EncOpts *o, const Vocab *v, const Encoded *e, const Tune *meta,
                      Tune *out, ReelError *err)
{
    Tune d;
    ReelStatus st = REEL_OK;
    if (!o || !e || !out)
        return reel_fail(err, REEL_EARG, "enc_decode: missing options, input or output");
    if (o->kind < 0 || o->kind >= ENC_COUNT || e->kind != o->kind)
        return reel_fail(err, REEL_EARG, "enc_decode: data is %s, options say %s",
                         enc_name(e->kind), enc_name(o->kind));
    if (e->n < 0)
        return reel_fail(err, REEL_EARG, "enc_decode: negative row count");
    if (o->kind == ENC_TOKENS && !v)
        return reel_fail(err, REEL_EARG, "tokens decoding needs a vocabulary");
    if ((st = start_decoded(meta, &d, err)))
        return st;
    d.n_steps = 0;
    switch (o->kind) {
    case ENC_ROLL13:
    case ENC_ROLL13_ONSET:
    case ENC_ROLL128: st = roll_decode(o, e, meta, &d, err); break;
    case ENC_MELODY: {
        Encoded bare = events_stripped(e);
        st = melody_decode(&bare, &d, err);
        break;
    }
    case ENC_TOKENS: st = tokens_decode(o, v, e, &d, err); break;
    case ENC_REGRESS: st = regress_decode(e, &d, err); break;
    case ENC_COUNT: break;
    }
    if (st) {
        tune_free(&d);
        return st;
    }
    tune_sort(&d);
    *out = d;
    return REEL_OK;
}

void enc_free(Encoded *e)
{
    if (!e)
        return;
    free(e->x);
    free(e->ids);
    free(e->bar_pos);
    free(e->bar_len);
    free(e->bar_num);
    free(e->beat);
    memset(e, 0, sizeof *e);
}
