/* generate.c — see generate.h.  Sections: the Generator (rows, clock,
 * priming, sampling per head, decoding); snapshots; the next-note
 * distribution; seeds (note text, bars, excerpts). */
#include "generate.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blas.h"

#define GEN_REST_MAX ENC_TOKEN_MAX_REST  /* longest rest token looked for */
#define GEN_REGRESS_MAX_DELTA 64         /* regress: longest time step sampled */
#define GEN_TEXT_DEFAULT_DUR 4           /* note text: the first token without a value (a quarter) */

struct Generator {
    const Model *m;
    const Net *net;           /* m->nn */
    EncOpts enc;
    const Vocab *vocab;       /* tokens only */
    HeadKind head;
    int n_out;                /* logits per step */
    int width;                /* floats per row; 0 for class encodings */
    int P;                    /* rolls: pitches (13 or 128); else 0 */
    int base;                 /* rolls: MIDI pitch of output 0, before the shift */
    bool onsets;              /* rolls with onset bits */
    SampleOpts opts;
    NetWeights weights;       /* the weights asked for (gen_set_weights) */
    SampleRollMode roll;      /* opts.roll resolved: MONO or POLY (rolls), else AUTO */
    Rng rng;
    PitchRange range;         /* the pitches it may draw: the model's and gen_set_range's */
    PitchRange asked;         /* gen_set_range's (range_none: none) */
    uint8_t *allow;           /* (n_out) 1: the class or output may be drawn (range) */

    NetState *state;
    float *logits;            /* (n_out) the pending step's logits: they predict row n */
    bool primed;

    float *probs;             /* (n_out + 1) scratch */
    float *ext;               /* (n_out + 1) scratch: masked or extended logits */
    SampleTop *scratch;       /* (n_out + 1) */
    float *row;               /* (width) the row being made */

    float *x;                 /* (cap, width) rows fed, float encodings */
    int32_t *ids;             /* (cap) rows fed, class encodings */
    uint64_t *serial;         /* (cap) a number no other row written by g had */
    int32_t n, cap;
    uint64_t next_serial;

    int32_t n_skip;           /* leading rows of a silent prime: fed, not decoded */
    int32_t n_seed;           /* rows of the seed (or silent prime) */
    int64_t clock;            /* output steps covered (regress: the last onset) */
    int32_t seed_end;         /* output step where the seed ends */
    int shift;                /* roll13: the seed's octave shift */
    Tune meta;                /* owned: names, time signatures, tempos of the output */

    bool lookback;            /* melody --lookback: the net reads lb_row, built from ids */
    bool repeats;             /* lookback with repeat labels: ENC_REPEAT1 .. + n_rep - 1 */
    int n_rep;
    int32_t rep_class[ENC_BACK_MAX]; /* repeats: the class each label means now, -1 = none */
    float *lb_row;            /* (enc_in_width) lookback: the row being fed */
    int32_t lb_offset;        /* lookback: rows fed before output step 0 (a silent prime) */
    bool ev_start;            /* events: row lb_offset - 1 is the start event, history */
    int end_label;            /* events: the end-of-tune label, else -1 */
    bool ended;               /* events: the end label was drawn; nothing more comes */
    int key;                  /* cond: the key input (gen_set_key) */

    int32_t *tok_adv;         /* (vocab size) tokens: steps each id takes in the output */
    int32_t rest_id[GEN_REST_MAX + 1]; /* tokens: id of "r/k", -1 when absent */
    bool (*stop)(void *ctx);  /* gen_set_stop: asked before every row; NULL: never */
    void *stop_ctx;
};

struct GenSnapshot {
    const Generator *owner;
    NetState *state;          /* owned */
    float *logits;            /* (n_out) owned */
    Rng rng;
    int32_t n;
    int64_t clock;
    uint64_t serial;          /* serial of row n - 1 (0 when n == 0) */
    bool primed;
};

/* ------------------------------------------------------------------------ */
/* Small text buffer (note text)                                             */

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} GenBuf;

static void gb_puts(GenBuf *b, const char *s)
{
    size_t n = strlen(s);
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *p;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (!(p = realloc(b->p, cap))) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* ------------------------------------------------------------------------ */
/* Creating                                                                  */

static bool is_roll(EncKind k)
{
    return k == ENC_ROLL13 || k == ENC_ROLL13_ONSET || k == ENC_ROLL128;
}

static SampleRollMode resolve_roll(EncKind k, SampleRollMode r)
{
    if (!is_roll(k))
        return SAMPLE_ROLL_AUTO;
    if (r == SAMPLE_ROLL_AUTO)
        return k == ENC_ROLL128 ? SAMPLE_ROLL_POLY : SAMPLE_ROLL_MONO;
    return r;
}

/* The pitch a class or output sounds (-1: none, a rest or hold). */
static int class_pitch(const Generator *g, int cls, EncToken *tk)
{
    const char *s;
    switch (g->enc.kind) {
    case ENC_MELODY:
        return cls >= 2 && cls < MELODY_CLASSES ? cls - 2 : -1;
    case ENC_ROLL13:
    case ENC_ROLL13_ONSET:
    case ENC_ROLL128:
        return g->base + cls - g->shift;
    case ENC_TOKENS:
        s = cls == VOCAB_UNK ? NULL : vocab_token(g->vocab, cls);
        if (!s || !enc_token_parse(s, tk) || tk->n == 0)
            return -1;
        return tk->pitch[0];
    default:
        return -1;
    }
}

/* g->range from the model's and the asked range; g->allow from them.
 * Rolls: the model's range is in the encoding's frame (output q is base + q),
 * the asked one where the output sounds, after the seed's octave shift is
 * undone; so set again after priming. */
static void set_allow(Generator *g)
{
    PitchRange own = range_effective(g->m->range, &g->enc, g->m->vocab);
    PitchRange asked = range_known(g->asked) ? g->asked : range_all();
    int n = g->head == HEAD_SIGMOID_BCE ? g->P : g->n_out, live = 0;
    g->range = range_meet(own, g->asked);
    memset(g->allow, 0, (size_t)g->n_out + 1);
    for (int c = 0; c < n; c++) {
        EncToken tk;
        int p = class_pitch(g, c, &tk);
        int in_frame = g->head == HEAD_SIGMOID_BCE ? g->base + c : p;
        bool ok = p < 0 ? g->enc.kind != ENC_TOKENS || c != VOCAB_UNK
                        : range_has(own, in_frame) && range_has(asked, p);
        if (ok && p >= 0 && g->enc.kind == ENC_TOKENS)
            ok = range_has(g->range, tk.pitch[tk.n - 1]);
        g->allow[c] = ok;
        live += ok;
    }
    if (g->enc.kind == ENC_TOKENS && live == 0)
        g->allow[VOCAB_UNK] = 1; /* nothing fits: silence (<unk> decodes to nothing) */
}

ReelStatus gen_new(Generator **out, const Model *m, const SampleOpts *o, uint64_t seed,
                   ReelError *err)
{
    Generator *g;
    const NetConfig *c;
    NetConfig want;
    SampleOpts opts = o ? *o : sample_defaults();
    ReelStatus st;
    size_t k;
    *out = NULL;
    if ((st = sample_opts_check(&opts, err)))
        return st;
    if (!m || !m->nn)
        return reel_fail(err, REEL_EARG, "the model has no network");
    c = net_config(m->nn);
    memset(&want, 0, sizeof want);
    if ((st = model_net_for_encoding(&m->enc, m->vocab, &want, err)))
        return st;
    if (c->n_in != want.n_in || c->n_out != want.n_out || c->in_classes != want.in_classes ||
        c->head != want.head)
        return reel_fail(err, REEL_EARG,
                         "the model's network (%d inputs, %d outputs) does not fit its "
                         "encoding %s (%d, %d)", c->n_in, c->n_out, enc_name(m->enc.kind),
                         want.n_in, want.n_out);
    if (!(g = calloc(1, sizeof *g)))
        return reel_fail(err, REEL_ENOMEM, "out of memory for a generator");
    g->m = m;
    g->net = m->nn;
    g->enc = m->enc;
    g->vocab = m->enc.kind == ENC_TOKENS ? m->vocab : NULL;
    g->head = c->head;
    g->n_out = c->n_out;
    g->width = enc_is_classes(m->enc.kind) ? 0 : c->n_in;
    if (is_roll(m->enc.kind)) {
        g->P = m->enc.kind == ENC_ROLL128 ? 128 : ROLL13_HI - ROLL13_LO + 1;
        g->base = m->enc.kind == ENC_ROLL128 ? 0 : ROLL13_LO;
        g->onsets = m->enc.kind != ENC_ROLL13;
    }
    g->opts = opts;
    g->roll = resolve_roll(m->enc.kind, opts.roll);
    rng_seed(&g->rng, seed);
    tune_init(&g->meta);
    k = (size_t)g->n_out + 1;
    g->state = net_state_new(g->net);
    g->logits = calloc(k, sizeof *g->logits);
    g->probs = calloc(k, sizeof *g->probs);
    g->ext = calloc(k, sizeof *g->ext);
    g->scratch = calloc(k, sizeof *g->scratch);
    g->allow = calloc(k, sizeof *g->allow);
    g->row = calloc((size_t)(g->width > 0 ? g->width : 1), sizeof *g->row);
    g->lookback = enc_lookback(&m->enc);
    g->repeats = enc_repeats(&m->enc);
    if (g->repeats)
        g->n_rep = enc_backs(&m->enc, (int[ENC_BACK_MAX]){0});
    g->end_label = enc_end_label(&m->enc);
    g->key = m->enc.cond_key;
    if (g->lookback && !(g->lb_row = calloc((size_t)enc_in_width(&m->enc, NULL),
                                            sizeof *g->lb_row)))
        goto oom;
    if (!g->state || !g->logits || !g->probs || !g->ext || !g->scratch || !g->allow || !g->row)
        goto oom;
    for (int i = 0; i <= GEN_REST_MAX; i++)
        g->rest_id[i] = -1;
    if (m->enc.kind == ENC_TOKENS) {
        int V = vocab_size(m->vocab);
        if (!(g->tok_adv = calloc((size_t)(V > 0 ? V : 1), sizeof *g->tok_adv)))
            goto oom;
        for (int id = 0; id < V; id++) {
            const char *s = id == VOCAB_UNK ? NULL : vocab_token(m->vocab, id);
            EncToken tk;
            if (!s || !enc_token_parse(s, &tk))
                g->tok_adv[id] = m->enc.durations ? 0 : ENC_TOKEN_STEP;
            else
                g->tok_adv[id] = m->enc.durations && tk.dur > 0 ? tk.dur : ENC_TOKEN_STEP;
        }
        if (m->enc.durations)
            for (int d = 1; d <= GEN_REST_MAX; d++) {
                char name[16];
                snprintf(name, sizeof name, "r/%d", d);
                g->rest_id[d] = vocab_id(m->vocab, name);
            }
    }
    g->asked = range_none();
    set_allow(g);
    /* the fast copy for the steps: int8 where the CPU has VNNI, else fp16;
     * without it (cannot be made) float */
    gen_set_weights(g, NET_W_FAST);
    g->next_serial = 1;
    *out = g;
    return REEL_OK;
oom:
    gen_free(g);
    return reel_fail(err, REEL_ENOMEM, "out of memory for a generator");
}

void gen_set_weights(Generator *g, NetWeights w)
{
    bool q8 = w == NET_W_I8 || (w == NET_W_FAST && blas_q8_level() > 0);
    g->weights = w;
    if (q8 && !net_q8_active(g->net) && net_q8_build(g->m->nn, NULL) != REEL_OK)
        q8 = false;
    if (q8 && net_state_prepare(g->net, g->state, NULL) != REEL_OK)
        q8 = false;
    if (((w == NET_W_FAST && !q8) || w == NET_W_F16) && !net_half_active(g->net))
        (void)net_half_build(g->m->nn, NULL);
    net_state_set_weights(g->state, w == NET_W_FAST ? (q8 ? NET_W_I8 : NET_W_F16) : w);
}

void gen_set_key(Generator *g, int key)
{
    g->key = key >= 0 && key < 24 ? key : g->m->enc.cond_key;
}

int gen_key(const Generator *g)
{
    return g->key;
}

NetWeights gen_weights(const Generator *g)
{
    return net_state_weights(g->net, g->state);
}

void gen_set_precise(Generator *g, bool precise)
{
    gen_set_weights(g, precise ? NET_W_F32 : NET_W_FAST);
}

bool gen_precise(const Generator *g)
{
    return gen_weights(g) == NET_W_F32;
}

void gen_free(Generator *g)
{
    if (!g)
        return;
    net_state_free(g->state);
    free(g->logits);
    free(g->probs);
    free(g->ext);
    free(g->scratch);
    free(g->allow);
    free(g->row);
    free(g->lb_row);
    free(g->x);
    free(g->ids);
    free(g->serial);
    free(g->tok_adv);
    tune_free(&g->meta);
    free(g);
}

ReelStatus gen_set_opts(Generator *g, const SampleOpts *o, ReelError *err)
{
    ReelStatus st;
    if (!g || !o)
        return reel_fail(err, REEL_EARG, "gen_set_opts: no generator or options");
    if ((st = sample_opts_check(o, err)))
        return st;
    g->opts = *o;
    g->roll = resolve_roll(g->enc.kind, o->roll);
    return REEL_OK;
}

ReelStatus gen_set_range(Generator *g, PitchRange r, ReelError *err)
{
    PitchRange own = range_effective(g->m->range, &g->enc, g->m->vocab);
    char a[40], b[40];
    if (range_known(r)) {
        PitchRange both = range_meet(own, r);
        if (both.lo > both.hi)
            return reel_fail(err, REEL_EARG, "--range %s does not meet the model's range %s",
                             range_name(r, a, sizeof a), range_name(own, b, sizeof b));
    }
    g->asked = range_known(r) ? r : range_none();
    set_allow(g);
    return REEL_OK;
}

PitchRange gen_range(const Generator *g)
{
    return g->range;
}

const SampleOpts *gen_opts(const Generator *g)
{
    return &g->opts;
}

SampleRollMode gen_roll_mode(const Generator *g)
{
    return g->roll;
}

void gen_set_stop(Generator *g, bool (*stop)(void *ctx), void *ctx)
{
    g->stop = stop;
    g->stop_ctx = ctx;
}

void gen_reseed(Generator *g, uint64_t seed)
{
    rng_seed(&g->rng, seed);
}

/* ------------------------------------------------------------------------ */
/* Rows and the clock                                                        */

static int32_t round_clamp(double v, int32_t lo, int32_t hi)
{
    if (!(v >= (double)lo))
        return lo;
    if (v >= (double)hi)
        return hi;
    return (int32_t)floor(v + 0.5);
}

/* Steps the output advances by a row (regress: the row's time step). */
static int32_t row_advance(const Generator *g, const float *row, int32_t id)
{
    switch (g->enc.kind) {
    case ENC_TOKENS:
        return id >= 0 && id < vocab_size(g->vocab) ? g->tok_adv[id] : 0;
    case ENC_REGRESS:
        /* As the decoder reads it: (int)(v * 16 + 0.5), clamped. */
        return round_clamp((double)(row[2] * 16.0f), 0, ENC_MAX_STEPS);
    default:
        return 1;
    }
}

static bool grow_rows(Generator *g)
{
    int32_t cap;
    if (g->n < g->cap)
        return true;
    if (g->cap > (1 << 28))
        return false;
    cap = g->cap ? 2 * g->cap : 256;
    if (g->width > 0) {
        float *x = realloc(g->x, (size_t)cap * (size_t)g->width * sizeof *x);
        if (!x)
            return false;
        g->x = x;
    } else {
        int32_t *ids = realloc(g->ids, (size_t)cap * sizeof *ids);
        if (!ids)
            return false;
        g->ids = ids;
    }
    {
        uint64_t *s = realloc(g->serial, (size_t)cap * sizeof *s);
        if (!s)
            return false;
        g->serial = s;
    }
    g->cap = cap;
    return true;
}

/* Lookback: the input row that predicts row g->n from rows 0..n-1, with the
 * bar position of the output step row n falls on.  A silent prime comes
 * before step 0 (its rows take the bars of the metre at step 0) and is not
 * history: its rows carry no class, and the output starts as a tune does in
 * training, with nothing 1 or 2 bars back.  (Fed as note-offs, a bar of
 * silence, which Ryan's tunes almost never have, the model mostly went on
 * with silence: 1.7-2.9 notes a bar against the corpus's 6.9.) */
static void lookback_bar(const Generator *g, EncAt *at)
{
    int64_t step = (int64_t)g->n - g->lb_offset;
    enc_at(&g->meta, step, at);
}

/* The classes the next row looks back on: *t is the last of hist, false
 * when there is none (a silent prime's rows).  With a start event it is
 * hist[0], as in training. */
static bool lookback_history(const Generator *g, const int32_t **hist, int32_t *t)
{
    int32_t first = g->lb_offset - (g->ev_start ? 1 : 0);
    if (g->n - 1 < first)
        return false;
    *hist = g->ids + first;
    *t = g->n - 1 - first;
    return true;
}

static const float *lookback_input(Generator *g)
{
    const int32_t *hist;
    int32_t t, none = -1;
    EncAt at;
    TimeSig s = tune_sig_at(&g->meta, 0);
    EncCond c = {g->key, enc_meter_class(s.num, s.den)};
    lookback_bar(g, &at);
    /* A row of the silent prime: no class at all, only the bar position. */
    if (!lookback_history(g, &hist, &t)) {
        hist = &none;
        t = 0;
    }
    enc_form_row(&g->enc, hist, t, &at, &c, g->lb_row);
    return g->lb_row;
}

/* Append a row (row: width floats, or id), move the clock (unless silent),
 * and feed it to the network; the logits for the next row are kept. */
static ReelStatus push_row(Generator *g, const float *row, int32_t id, bool silent,
                           ReelError *err)
{
    const float *out;
    if (g->stop && g->stop(g->stop_ctx)) {
        g->primed = false;
        return reel_fail(err, REEL_ESTOPPED, "stopped after %ld rows", (long)g->n);
    }
    if (!grow_rows(g))
        return reel_fail(err, REEL_ENOMEM, "out of memory after %ld generated rows",
                         (long)g->n);
    if (g->width > 0)
        memcpy(g->x + (size_t)g->n * (size_t)g->width, row, (size_t)g->width * sizeof *row);
    else
        g->ids[g->n] = id;
    g->serial[g->n] = g->next_serial++;
    if (!silent) {
        g->clock += row_advance(g, row, id);
        if (g->clock > ENC_MAX_STEPS)
            return reel_fail(err, REEL_EARG, "the output would pass %d steps", ENC_MAX_STEPS);
    }
    g->n++;
    if (g->lookback)
        out = net_step(g->net, g->state, lookback_input(g), 0);
    else
        out = net_step(g->net, g->state, g->width > 0 ? row : NULL, g->width > 0 ? 0 : id);
    memcpy(g->logits, out, (size_t)g->n_out * sizeof *out);
    return REEL_OK;
}

/* A row of silence: zeros, note-off, or (tokens) the given id. */
static ReelStatus push_silent(Generator *g, int32_t id, ReelError *err)
{
    if (g->width > 0)
        memset(g->row, 0, (size_t)g->width * sizeof *g->row);
    return push_row(g, g->row, g->width > 0 ? 0 : id, true, err);
}

static void start_over(Generator *g)
{
    g->n = 0;
    g->n_skip = g->n_seed = 0;
    g->clock = 0;
    g->seed_end = 0;
    g->shift = 0;
    set_allow(g);
    g->lb_offset = 0;
    g->ev_start = g->ended = false;
    g->primed = false;
    net_state_reset(g->state);
    tune_free(&g->meta);
}

/* Rest tokens for `steps` of silence, as many as the vocabulary allows;
 * appended as real rows (silent = false) or silent ones. */
static ReelStatus push_rest_tokens(Generator *g, int64_t steps, bool silent, ReelError *err)
{
    while (steps > 0) {
        int d = steps > GEN_REST_MAX ? GEN_REST_MAX : (int)steps;
        ReelStatus st;
        while (d > 0 && g->rest_id[d] < 0)
            d--;
        if (d == 0)
            return REEL_OK; /* the vocabulary has no rest this short */
        if (silent)
            st = push_silent(g, g->rest_id[d], err);
        else
            st = push_row(g, NULL, g->rest_id[d], false, err);
        if (st)
            return st;
        steps -= d;
    }
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Priming                                                                   */

static void info_unknown_tokens(const Generator *g, const Tune *seed, GenPrimeInfo *info)
{
    Vocab *tmp = vocab_new();
    ReelError e2;
    size_t len = 0;
    if (!tmp)
        return;
    if (enc_tokens_count(&g->enc, seed, tmp, &e2) == REEL_OK) {
        vocab_finish(tmp);
        for (int id = 1; id < vocab_size(tmp); id++) {
            const char *s = vocab_token(tmp, id);
            size_t k = strlen(s);
            if (vocab_id(g->vocab, s) >= 0)
                continue;
            if (len + k + 2 >= sizeof info->unknown)
                break;
            if (len)
                info->unknown[len++] = ' ';
            memcpy(info->unknown + len, s, k + 1);
            len += k;
        }
    }
    vocab_free(tmp);
}

static ReelStatus plain_range_error(const Generator *g, const Tune *seed, long dropped,
                                    ReelError *err)
{
    int lo = 128, hi = -1;
    char a[6], b[6];
    for (int32_t i = 0; i < seed->n_notes; i++) {
        int p = seed->notes[i].pitch;
        if (p >= ROLL13_LO && p <= ROLL13_HI)
            continue;
        if (p < lo)
            lo = p;
        if (p > hi)
            hi = p;
    }
    return reel_fail(err, REEL_EARG,
                     "the seed has %ld of %ld notes outside C4..C5 (%s..%s), and this %s --plain "
                     "model knows only the 13 pitches C4..C5: move the seed into that octave, "
                     "or use a model trained without --plain (it moves tunes by octaves)",
                     dropped, (long)seed->n_notes, pitch_name(lo, a), pitch_name(hi, b),
                     enc_name(g->enc.kind));
}

ReelStatus gen_prime_tune(Generator *g, const Tune *seed, GenPrimeInfo *info, ReelError *err)
{
    Encoded e;
    ReelStatus st;
    GenPrimeInfo local;
    Tune dec;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!g || !seed)
        return reel_fail(err, REEL_EARG, "gen_prime_tune: no generator or seed");
    start_over(g);
    if ((st = enc_encode(&g->enc, g->vocab, seed, &e, err)))
        return st;
    info->st = e.st;
    if ((g->enc.kind == ENC_ROLL13 || g->enc.kind == ENC_ROLL13_ONSET) && g->enc.plain &&
        e.st.dropped > 0) {
        st = plain_range_error(g, seed, e.st.dropped, err);
        enc_free(&e);
        return st;
    }
    if ((st = tune_copy_meta(&g->meta, seed, err))) {
        enc_free(&e);
        return st;
    }
    if (g->enc.kind == ENC_TOKENS && e.st.unknown > 0)
        info_unknown_tokens(g, seed, info);
    g->shift = e.shift;
    set_allow(g);
    if (g->end_label >= 0 && e.ids && e.n >= 2) {
        /* Events: the start row is history, not output; the end is left off. */
        g->ev_start = true;
        g->lb_offset = 1;
        st = push_row(g, NULL, e.ids[0], true, err);
        g->n_skip = g->n;
        for (int32_t i = 1; i < e.n - 1 && !st; i++)
            st = push_row(g, NULL, e.ids[i], false, err);
    } else {
        for (int32_t i = 0; i < e.n && !st; i++)
            st = push_row(g, e.x ? e.x + (size_t)i * (size_t)e.f : NULL, e.ids ? e.ids[i] : 0,
                          false, err);
    }
    enc_free(&e);
    /* Tokens with durations drop the silence after the last note: keep it. */
    if (!st && g->enc.kind == ENC_TOKENS && g->enc.durations && seed->n_steps > g->clock)
        st = push_rest_tokens(g, seed->n_steps - g->clock, false, err);
    if (!st && g->n == 0) {
        /* Nothing to feed: one silent row gives the network a start. */
        g->lb_offset = 1;
        st = push_silent(g, g->enc.kind == ENC_TOKENS && g->rest_id[1] >= 0 ? g->rest_id[1]
                                                                              : VOCAB_UNK, err);
        g->n_skip = g->n;
    }
    if (st) {
        start_over(g);
        return st;
    }
    g->n_seed = g->n;
    g->seed_end = (int32_t)g->clock;
    if (g->enc.kind == ENC_REGRESS && seed->n_steps > g->seed_end)
        g->seed_end = seed->n_steps;
    g->primed = true;
    info->rows = g->n;
    info->steps = g->seed_end;
    if ((st = gen_tune(g, -1, &dec, NULL, err))) {
        start_over(g);
        return st;
    }
    info->notes = dec.n_notes;
    tune_free(&dec);
    return REEL_OK;
}

ReelStatus gen_prime_rests(Generator *g, int bars, const Tune *meta, GenPrimeInfo *info,
                           ReelError *err)
{
    ReelStatus st = REEL_OK;
    GenPrimeInfo local;
    int64_t steps;
    int32_t bar;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!g)
        return reel_fail(err, REEL_EARG, "gen_prime_rests: no generator");
    if (bars < 0 || bars > 4096)
        return reel_fail(err, REEL_EARG, "--prime-bars must be 0..4096, not %d", bars);
    start_over(g);
    if (meta) {
        if ((st = tune_copy_meta(&g->meta, meta, err)))
            return st;
        bar = tune_bar_steps_at(meta, 0);
    } else {
        bar = 16;
    }
    g->meta.n_steps = 0;
    if (g->end_label >= 0) {
        /* A model with tune events starts as its tunes did: from the start event. */
        g->ev_start = true;
        g->lb_offset = 1;
        st = push_row(g, NULL, ENC_EV_START, true, err);
        goto fed;
    }
    steps = (int64_t)bars * bar;
    g->lb_offset = (int32_t)(steps > 0 ? steps : 1); /* lookback: the prime's rows */
    switch (g->enc.kind) {
    case ENC_TOKENS:
        if (g->enc.durations)
            st = push_rest_tokens(g, steps, true, err);
        else
            for (int64_t i = 0; i < steps / ENC_TOKEN_STEP && !st; i++)
                st = push_silent(g, VOCAB_UNK, err);
        break;
    case ENC_REGRESS:
        for (int i = 0; i < bars && !st; i++)
            st = push_silent(g, 0, err);
        break;
    default:
        for (int64_t i = 0; i < steps && !st; i++)
            st = push_silent(g, MELODY_OFF, err);
        break;
    }
    if (!st && g->n == 0)
        st = push_silent(g, VOCAB_UNK, err);
fed:
    if (st) {
        start_over(g);
        return st;
    }
    g->n_skip = g->n_seed = g->n;
    g->primed = true;
    info->rows = g->n;
    info->rests = true;
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Sampling, per head                                                        */

/* Softmax heads: the distribution sampled from, into g->probs (n_out:
 * with repeat labels, the labels too; g->rep_class says what they mean, and
 * a label with no output bar behind it cannot be drawn). */
/* The next row's logits into g->ext, with what may not be drawn at -inf. */
static void class_logits(Generator *g)
{
    memcpy(g->ext, g->logits, (size_t)g->n_out * sizeof *g->ext);
    for (int c = 0; c < g->n_out; c++)
        if (!g->allow[c] && !(g->repeats && c >= MELODY_CLASSES))
            g->ext[c] = -INFINITY;
    if (g->repeats) {
        const int32_t *hist;
        int32_t t;
        bool any = lookback_history(g, &hist, &t);
        EncAt at;
        lookback_bar(g, &at);
        for (int k = 0; k < g->n_rep; k++) {
            g->rep_class[k] = any ? enc_form_class(&g->enc, hist, t, at.len, ENC_REPEAT1 + k)
                                  : -1;
            if (g->rep_class[k] < 0 || !g->allow[g->rep_class[k]])
                g->ext[ENC_REPEAT1 + k] = -INFINITY;
        }
    }
}

static void class_dist(Generator *g)
{
    class_logits(g);
    sample_dist(g->ext, g->n_out, &g->opts, g->probs, g->scratch);
}

double gen_end_chance(Generator *g)
{
    double top = -INFINITY, sum = 0.0;
    if (!g || !g->primed || g->head != HEAD_SOFTMAX_CE || g->end_label < 0)
        return -1.0;
    if (g->ended)
        return 1.0;
    class_logits(g);
    for (int c = 0; c < g->n_out; c++)
        if (g->ext[c] > top)
            top = g->ext[c];
    if (!(top > -INFINITY) || !(g->ext[g->end_label] > -INFINITY))
        return 0.0;
    for (int c = 0; c < g->n_out; c++)
        if (g->ext[c] > -INFINITY)
            sum += exp((double)g->ext[c] - top);
    return exp((double)g->ext[g->end_label] - top) / sum;
}

/* Mono rolls: silence (class 0) or one pitch (1 + q), into g->probs (P + 1). */
static void mono_dist(Generator *g)
{
    g->ext[0] = 0.0f;
    memcpy(g->ext + 1, g->logits, (size_t)g->P * sizeof *g->ext);
    for (int q = 0; q < g->P; q++)
        if (!g->allow[q])
            g->ext[1 + q] = -INFINITY;
    sample_dist(g->ext, g->P + 1, &g->opts, g->probs, g->scratch);
}

static void sample_roll(Generator *g, float *row)
{
    const float *prev = g->n > 0 ? g->x + (size_t)(g->n - 1) * (size_t)g->width : NULL;
    int P = g->P;
    memset(row, 0, (size_t)g->width * sizeof *row);
    if (g->roll == SAMPLE_ROLL_MONO) {
        int c;
        mono_dist(g);
        c = sample_categorical(g->probs, P + 1, &g->rng);
        if (c > 0)
            row[c - 1] = 1.0f;
    } else {
        sample_bernoulli(g->logits, P, g->opts.temperature, g->opts.top_k, &g->rng, row,
                         g->scratch);
        for (int q = 0; q < P; q++)
            if (!g->allow[q])
                row[q] = 0.0f;
    }
    if (!g->onsets)
        return;
    for (int q = 0; q < P; q++) {
        if (row[q] < 0.5f)
            continue;
        if (!prev || prev[q] < 0.5f)
            row[P + q] = 1.0f;
        else
            row[P + q] = rng_float(&g->rng) <
                                 sample_sigmoid(g->logits[P + q], g->opts.temperature)
                             ? 1.0f
                             : 0.0f;
    }
}

static void sample_regress(Generator *g, float *row)
{
    double s = (double)g->opts.noise * (double)g->opts.temperature;
    double p = (double)g->logits[0] * 127.0, v = (double)g->logits[1] * 127.0;
    double d = (double)g->logits[2] * 16.0;
    if (s > 0.0) {
        p += s * 1.0 * rng_normal(&g->rng);
        v += s * 8.0 * rng_normal(&g->rng);
        d += s * 0.5 * rng_normal(&g->rng);
    }
    row[0] = (float)round_clamp(p, g->range.lo, g->range.hi) / 127.0f;
    row[1] = (float)round_clamp(v, 1, 127) / 127.0f;
    row[2] = (float)round_clamp(d, 0, GEN_REGRESS_MAX_DELTA) / 16.0f;
}

ReelStatus gen_step(Generator *g, ReelError *err)
{
    int32_t id = 0;
    if (!g || !g->primed)
        return reel_fail(err, REEL_EARG, "the generator has no seed yet (prime it first)");
    switch (g->head) {
    case HEAD_SOFTMAX_CE:
        class_dist(g);
        if (g->ended)
            return REEL_OK;
        id = sample_categorical(g->probs, g->n_out, &g->rng);
        if (id == g->end_label) {
            g->ended = true; /* the tune ends here: no row, no time */
            return REEL_OK;
        }
        if (g->repeats && id >= MELODY_CLASSES) {
            id = id - MELODY_CLASSES < g->n_rep ? g->rep_class[id - MELODY_CLASSES] : -1;
            if (id < 0)
                id = MELODY_OFF; /* a label drawn with p = 0: cannot happen */
        }
        return push_row(g, NULL, id, false, err);
    case HEAD_SIGMOID_BCE:
        sample_roll(g, g->row);
        break;
    case HEAD_LINEAR_MSE:
        sample_regress(g, g->row);
        break;
    }
    return push_row(g, g->row, 0, false, err);
}

ReelStatus gen_steps(Generator *g, int32_t n, ReelError *err)
{
    for (int32_t i = 0; i < n; i++) {
        ReelStatus st = gen_step(g, err);
        if (st)
            return st;
    }
    return REEL_OK;
}

ReelStatus gen_until(Generator *g, int32_t end, int64_t max_rows, bool *reached,
                     ReelError *err)
{
    int64_t made = 0;
    if (reached)
        *reached = false;
    if (!g || !g->primed)
        return reel_fail(err, REEL_EARG, "the generator has no seed yet (prime it first)");
    if (max_rows <= 0) {
        int64_t left = end > g->clock ? end - g->clock : 0;
        max_rows = left * (g->enc.kind == ENC_REGRESS ? 64 : 2) + 1024;
    }
    while (g->clock < end && made < max_rows && !g->ended) {
        ReelStatus st = gen_step(g, err);
        if (st)
            return st;
        made++;
    }
    if (reached)
        *reached = g->clock >= end;
    return REEL_OK;
}

bool gen_ended(const Generator *g)
{
    return g && g->ended;
}

const float *gen_input_row(const Generator *g)
{
    return g && g->lookback && g->n > 0 ? g->lb_row : NULL;
}

int32_t gen_time(const Generator *g)
{
    return (int32_t)g->clock;
}

int32_t gen_rows(const Generator *g)
{
    return g->n;
}

int32_t gen_seed_rows(const Generator *g)
{
    return g->n_seed;
}

int32_t gen_seed_end(const Generator *g)
{
    return g->seed_end;
}

int32_t gen_bars_end(const Generator *g, int bars)
{
    int32_t s = g->seed_end, limit;
    /* The first bar line at or after the seed's end. */
    limit = s + tune_bar_steps_at(&g->meta, s);
    while (s < limit && !tune_is_bar_start(&g->meta, s))
        s++;
    return s + (bars > 0 ? bars : 0) * tune_bar_steps_at(&g->meta, s);
}

/* ------------------------------------------------------------------------ */
/* Decoding                                                                  */

ReelStatus gen_tune(const Generator *g, int32_t end_step, Tune *out, GenSpan *span,
                    ReelError *err)
{
    Encoded e;
    ReelStatus st;
    int32_t start, k = 0;
    tune_init(out);
    if (!g)
        return reel_fail(err, REEL_EARG, "gen_tune: no generator");
    memset(&e, 0, sizeof e);
    e.kind = g->enc.kind;
    e.n = g->n - g->n_skip;
    e.f = g->width;
    e.x = g->width > 0 && g->x ? g->x + (size_t)g->n_skip * (size_t)g->width : NULL;
    e.ids = g->width == 0 && g->ids ? g->ids + g->n_skip : NULL;
    e.shift = g->shift;
    if ((st = enc_decode(&g->enc, g->vocab, &e, &g->meta, out, err)))
        return st;
    if (end_step >= 0) {
        for (int32_t i = 0; i < out->n_notes; i++) {
            Note a = out->notes[i];
            if (a.onset >= end_step)
                continue;
            if (a.onset + a.dur > end_step)
                a.dur = end_step - a.onset;
            out->notes[k++] = a;
        }
        out->n_notes = k;
        out->n_steps = end_step;
    }
    start = g->seed_end;
    if (g->enc.kind == ENC_REGRESS && g->n > g->n_seed && g->n_seed > g->n_skip) {
        /* The first generated onset: the seed's deltas and its own. */
        int64_t on = 0;
        for (int32_t i = g->n_skip; i <= g->n_seed; i++)
            on += row_advance(g, g->x + (size_t)i * (size_t)g->width, 0);
        start = (int32_t)on;
    }
    if (span) {
        int32_t f = 0;
        while (f < out->n_notes && out->notes[f].onset < start)
            f++;
        span->start_step = start;
        span->first_note = f;
        span->end_step = out->n_steps;
    }
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Snapshots                                                                 */

GenSnapshot *gen_snapshot_new(const Generator *g)
{
    GenSnapshot *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->state = net_state_new(g->net);
    s->logits = calloc((size_t)g->n_out, sizeof *s->logits);
    if (!s->state || !s->logits) {
        gen_snapshot_free(s);
        return NULL;
    }
    gen_snapshot_take(g, s);
    return s;
}

void gen_snapshot_take(const Generator *g, GenSnapshot *s)
{
    s->owner = g;
    net_state_copy(s->state, g->state);
    memcpy(s->logits, g->logits, (size_t)g->n_out * sizeof *s->logits);
    s->rng = g->rng;
    s->n = g->n;
    s->clock = g->clock;
    s->serial = g->n > 0 ? g->serial[g->n - 1] : 0;
    s->primed = g->primed;
}

ReelStatus gen_restore(Generator *g, const GenSnapshot *s, ReelError *err)
{
    if (!g || !s || s->owner != g)
        return reel_fail(err, REEL_EARG, "the snapshot belongs to another generator");
    if (!s->primed || s->n > g->n || s->n < g->n_seed ||
        (s->n > 0 && g->serial[s->n - 1] != s->serial))
        return reel_fail(err, REEL_EARG,
                         "the snapshot is out of date (the generator was primed again, or the "
                         "rows it saw were generated anew)");
    net_state_copy(g->state, s->state);
    memcpy(g->logits, s->logits, (size_t)g->n_out * sizeof *g->logits);
    g->rng = s->rng;
    g->n = s->n;
    g->clock = s->clock;
    g->ended = false;
    return REEL_OK;
}

int32_t gen_snapshot_rows(const GenSnapshot *s)
{
    return s->n;
}

void gen_snapshot_free(GenSnapshot *s)
{
    if (!s)
        return;
    net_state_free(s->state);
    free(s->logits);
    free(s);
}

/* ------------------------------------------------------------------------ */
/* The next-note distribution                                                */

static double binary_entropy(double p)
{
    double h = 0.0;
    if (p > 0.0)
        h -= p * log2(p);
    if (p < 1.0)
        h -= (1.0 - p) * log2(1.0 - p);
    return h;
}

int gen_next_top(Generator *g, SampleTop *out, int max, double *entropy, bool *is_dist)
{
    int n = 0;
    if (entropy)
        *entropy = 0.0;
    if (is_dist)
        *is_dist = false;
    if (!g || !g->primed || max <= 0)
        return 0;
    switch (g->head) {
    case HEAD_SOFTMAX_CE:
        class_dist(g);
        n = g->n_out;
        if (g->repeats) {
            /* Each label's chance goes to the class it means. */
            for (int k = 0; k < g->n_rep; k++)
                if (g->rep_class[k] >= 0)
                    g->probs[g->rep_class[k]] += g->probs[ENC_REPEAT1 + k];
            n = MELODY_CLASSES;
        }
        break;
    case HEAD_SIGMOID_BCE:
        if (g->roll == SAMPLE_ROLL_MONO) {
            mono_dist(g);
            n = g->P + 1;
            break;
        } else {
            /* Class 0: no pitch sounds; 1 + q: pitch q sounds. */
            double none = 1.0, h = 0.0;
            for (int q = 0; q < g->P; q++)
                g->probs[1 + q] = g->allow[q] ? sample_sigmoid(g->logits[q], g->opts.temperature)
                                              : 0.0f;
            if (g->opts.top_k > 0 && g->opts.top_k < g->P) {
                /* Only the top_k most likely pitches may sound (as sample_bernoulli). */
                int m = sample_top(g->probs + 1, g->P, g->scratch, g->opts.top_k);
                for (int q = 0; q < g->P; q++)
                    g->ext[q] = 0.0f;
                for (int i = 0; i < m; i++)
                    g->ext[g->scratch[i].cls] = g->probs[1 + g->scratch[i].cls];
                memcpy(g->probs + 1, g->ext, (size_t)g->P * sizeof *g->ext);
            }
            for (int q = 0; q < g->P; q++) {
                none *= 1.0 - g->probs[1 + q];
                h += binary_entropy(g->probs[1 + q]);
            }
            g->probs[0] = (float)none;
            if (entropy)
                *entropy = h;
            return sample_top(g->probs, g->P + 1, out, max);
        }
    case HEAD_LINEAR_MSE:
        return 0;
    }
    if (entropy)
        *entropy = sample_entropy(g->probs, n);
    if (is_dist)
        *is_dist = true;
    return sample_top(g->probs, n, out, max);
}

char *gen_class_label(const Generator *g, int cls, char *buf, size_t size)
{
    char name[6];
    const char *s = "?";
    if (!buf || size == 0)
        return buf;
    switch (g->enc.kind) {
    case ENC_MELODY:
        s = cls == MELODY_OFF ? "rest" : cls == MELODY_HOLD ? "hold"
            : cls >= 2 && cls < MELODY_CLASSES ? pitch_name(cls - 2, name) : "?";
        break;
    case ENC_TOKENS:
        s = cls == VOCAB_UNK ? VOCAB_UNK_TOKEN : vocab_token(g->vocab, cls);
        if (!s)
            s = "?";
        break;
    case ENC_ROLL13:
    case ENC_ROLL13_ONSET:
    case ENC_ROLL128:
        s = cls == 0 ? "rest" : cls <= g->P ? pitch_name(g->base + cls - 1 - g->shift, name) : "?";
        break;
    default:
        break;
    }
    snprintf(buf, size, "%s", s);
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Note text                                                                 */

/* Note values: what may follow '/' (and '+'), and the sixteenth steps each
 * lasts.  Longest first: gen_notes_text's search relies on the order. */
static const struct {
    const char *name;
    int steps;
    bool dotted;
} note_values[] = {
    {"1.", 24, true}, {"1", 16, false}, {"2.", 12, true}, {"2", 8, false}, {"4.", 6, true},
    {"4", 4, false},  {"8.", 3, true},  {"8", 2, false},  {"16", 1, false},
};
#define N_NOTE_VALUES ((int)(sizeof note_values / sizeof note_values[0]))
#define NOTE_VALUES_HELP                                                                  \
    "after '/' comes a note value, 1 whole, 2 half, 4 quarter, 8 eighth or 16 sixteenth " \
    "(so C4/8 is an eighth note), with a dot for half as long again (1. 2. 4. 8.) and + " \
    "to tie values (C4/4+16 is a quarter and a sixteenth)"

/* The token q[0..len) for messages: NUL-terminated, shortened when long. */
static const char *token_label(const char *q, size_t len, char *buf, size_t size)
{
    if (len + 1 > size)
        snprintf(buf, size, "%.*s...", (int)(size - 4), q);
    else
        snprintf(buf, size, "%.*s", (int)len, q);
    return buf;
}

/* Why body (the part of token s before '/') is not a note, chord or rest. */
/* The first character of s[0..n) for a message: a whole UTF-8 sequence
 * (a full-width letter is three bytes), or \xNN for a byte that starts
 * none or a control character. */
static const char *first_char(const char *s, size_t n, char out[8])
{
    unsigned char b = n ? (unsigned char)s[0] : 0;
    size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3
                 : (b & 0xf8) == 0xf0 ? 4 : 0;
    bool ok = n > 0 && len > 0 && len <= n && b >= 0x20 && b != 0x7f;
    for (size_t k = 1; ok && k < len; k++)
        ok = ((unsigned char)s[k] & 0xc0) == 0x80;
    if (!ok) {
        snprintf(out, 8, "\\x%02x", b);
        return out;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return out;
}

static ReelStatus body_error(const char *s, const char *body, ReelError *err)
{
    const char *p = body, *end = body + strlen(body);
    if (p == end)
        return reel_fail(err, REEL_EARG, "'%s' is not a note: the note name is missing "
                         "(write C4/4, r/8)", s);
    while (p < end) {
        const char *dot = memchr(p, '.', (size_t)(end - p));
        size_t len = dot ? (size_t)(dot - p) : (size_t)(end - p);
        char name[32];
        const char *q;
        if (len == 0)
            return reel_fail(err, REEL_EARG, "'%s' is not a note: an empty name in a chord "
                             "(chords are written C4.E4.G4)", s);
        if (len >= sizeof name)
            len = sizeof name - 1;
        memcpy(name, p, len);
        name[len] = '\0';
        if (pitch_parse(name) < 0) {
            char c = (char)toupper((unsigned char)name[0]), ch[8];
            if (c < 'A' || c > 'G')
                return reel_fail(err, REEL_EARG,
                                 "'%s' is not a note: '%s' is not a note letter (A to G; r is a "
                                 "rest)", s, first_char(p, (size_t)(end - p), ch));
            q = name + 1;
            while (*q == '#' || *q == 'b')
                q++;
            if (*q == '-')
                q++;
            if (!isdigit((unsigned char)*q))
                return reel_fail(err, REEL_EARG,
                                 "'%s' is not a note: '%s' needs an octave number after the "
                                 "letter (C4 is middle C, C5 the octave above)", s, name);
            return reel_fail(err, REEL_EARG,
                             "'%s' is not a note: write a letter A-G, # or b if needed, then the "
                             "octave (C4, F#3, Bb5), within MIDI's C-1..G9", s);
        }
        p += len + (dot ? 1 : 0);
        if (dot && p == end)
            return reel_fail(err, REEL_EARG, "'%s' is not a note: a chord ends in '.' (chords "
                             "are C4.E4.G4; a dotted note is C4/4.)", s);
    }
    return reel_fail(err, REEL_EARG, "'%s' is not a note (write C4/4, F#3/8, C4.E4.G4/2, r/8)",
                     s);
}

/* The note values d[0..len) (the part after '/': values joined by '+') in
 * sixteenth steps into *steps; s names the token in errors. */
static ReelStatus parse_values(const char *s, const char *d, size_t len, int32_t *steps,
                               ReelError *err)
{
    const char *p = d, *end = d + len;
    int64_t sum = 0;
    if (len == 0)
        return reel_fail(err, REEL_EARG, "'%s' is not a note: the note value is missing; "
                         NOTE_VALUES_HELP, s);
    for (;;) {
        const char *q = memchr(p, '+', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        int k;
        for (k = 0; k < N_NOTE_VALUES; k++)
            if (strlen(note_values[k].name) == n && memcmp(note_values[k].name, p, n) == 0)
                break;
        if (k == N_NOTE_VALUES) {
            if (n == 0)
                return reel_fail(err, REEL_EARG, "'%s' is not a note: a note value is missing "
                                 "next to '+'; " NOTE_VALUES_HELP, s);
            if (n == 3 && memcmp(p, "16.", 3) == 0)
                return reel_fail(err, REEL_EARG, "'%s' is not a note: a dotted sixteenth "
                                 "would last 1.5 sixteenths, off the sixteenth grid; "
                                 NOTE_VALUES_HELP, s);
            return reel_fail(err, REEL_EARG, "'%s' is not a note: '%.*s' is not a note value; "
                             NOTE_VALUES_HELP, s, (int)(n > 40 ? 40 : n), p);
        }
        sum += note_values[k].steps;
        if (sum > ENC_MAX_STEPS)
            return reel_fail(err, REEL_EARG, "'%s' is not a note: longer than %d sixteenths", s,
                             ENC_MAX_STEPS);
        if (!q)
            break;
        p = q + 1;
    }
    *steps = (int32_t)sum;
    return REEL_OK;
}

static bool is_text_sep(char c)
{
    return isspace((unsigned char)c) || c == '|';
}

ReelStatus gen_parse_notes(const char *text, Tune *out, ReelError *err)
{
    char buf[ENC_TOKEN_MAX_LEN], label[80];
    const char *p = text;
    int64_t cur = 0;
    int32_t last = GEN_TEXT_DEFAULT_DUR;
    long tokens = 0;
    ReelStatus st;
    tune_init(out);
    if (!text)
        return reel_fail(err, REEL_EARG, "no note text");
    for (;;) {
        const char *q, *slash;
        size_t len, body;
        EncToken tk;
        int32_t d;
        while (*p && is_text_sep(*p))
            p++;
        if (!*p)
            break;
        q = p;
        while (*p && !is_text_sep(*p))
            p++;
        len = (size_t)(p - q);
        slash = memchr(q, '/', len);
        body = slash ? (size_t)(slash - q) : len;
        token_label(q, len, label, sizeof label);
        if (body >= sizeof buf) {
            tune_free(out);
            return reel_fail(err, REEL_EARG, "'%s' is not a note: far too long", label);
        }
        memcpy(buf, q, body);
        buf[body] = '\0';
        if (body == 1 && buf[0] == 'z')
            buf[0] = 'r'; /* ABC's rest */
        if (!enc_token_parse(buf, &tk)) {
            tune_free(out);
            return body_error(label, buf, err);
        }
        d = last;
        if (slash && (st = parse_values(label, slash + 1, len - body - 1, &d, err))) {
            tune_free(out);
            return st;
        }
        last = d;
        if (cur + d > ENC_MAX_STEPS) {
            tune_free(out);
            return reel_fail(err, REEL_EARG, "the note text is longer than %d sixteenths",
                             ENC_MAX_STEPS);
        }
        for (int i = 0; i < tk.n; i++)
            if ((st = tune_add_note(out, (int32_t)cur, d, tk.pitch[i], ENC_DECODE_VEL, err))) {
                tune_free(out);
                return st;
            }
        cur += d;
        tokens++;
    }
    if (tokens == 0) {
        tune_free(out);
        return reel_fail(err, REEL_EARG, "no notes in the note text '%.200s' (write e.g. "
                         "\"C4/8 D4/8 E4/4 r/8\")", text);
    }
    out->n_steps = (int32_t)cur;
    tune_sort(out);
    return tune_set_strings(out, "typed notes", NULL, NULL, err);
}

/* ---- printing ---- */

/* The search for the chain of a duration: the fewest values, then the
 * fewest dotted ones, then the longest values first. */
typedef struct {
    int cur[16], best[16];
    int n_best, best_dots;
    bool found;
} ValueSearch;

/* Chains of `left` more values from note_values[from..] (so never longer
 * than the one before: a chain is written longest first) making up rem
 * steps.  Chains come longest-first in lexicographic order, so the first
 * one found with the fewest dots is the one wanted. */
static void value_search(ValueSearch *s, int rem, int depth, int left, int from, int dots)
{
    if (left == 0) {
        if (rem == 0 && (!s->found || dots < s->best_dots)) {
            memcpy(s->best, s->cur, (size_t)depth * sizeof s->cur[0]);
            s->n_best = depth;
            s->best_dots = dots;
            s->found = true;
        }
        return;
    }
    for (int k = from; k < N_NOTE_VALUES; k++) {
        int v = note_values[k].steps;
        if (v > rem)
            continue;
        if (v * left < rem)
            break; /* values only get shorter */
        s->cur[depth] = k;
        value_search(s, rem - v, depth + 1, left - 1, k, dots + (note_values[k].dotted ? 1 : 0));
    }
}

/* Append "/V+V..." for `steps` (>= 1) sixteenths: the shortest '+' chain of
 * note values, the fewest dotted ones among those, longest values first
 * (5: /4+16, 7: /4.+16, 32: /1+1).  Past 120 steps every shortest chain
 * starts with dotted wholes, so those are peeled off and only the rest is
 * searched (up to 7 values). */
static void put_values(GenBuf *b, int32_t steps)
{
    ValueSearch s;
    int32_t whole = 0;
    const char *sep = "/";
    if (steps > 120)
        whole = (steps - 120 + 23) / 24;
    steps -= whole * 24;
    memset(&s, 0, sizeof s);
    for (int n = 1; !s.found && n <= 8; n++)
        value_search(&s, (int)steps, 0, n, 0, 0);
    for (int32_t i = 0; i < whole; i++) {
        gb_puts(b, sep);
        gb_puts(b, note_values[0].name);
        sep = "+";
    }
    for (int i = 0; i < s.n_best; i++) {
        gb_puts(b, sep);
        gb_puts(b, note_values[s.best[i]].name);
        sep = "+";
    }
}

typedef struct {
    GenBuf b;
    const Tune *t;
    int32_t last_bar;   /* step of the last bar line written */
    long bars;
    bool first;
} TextOut;

/* A token at step pos: its name (a note, chord or "r") and its length. */
static void text_token(TextOut *o, int32_t pos, const char *name, int32_t steps)
{
    if (pos > 0 && pos != o->last_bar && tune_is_bar_start(o->t, pos)) {
        o->bars++;
        o->last_bar = pos;
        gb_puts(&o->b, o->bars % 4 == 0 ? " |\n" : " | ");
    } else if (!o->first) {
        gb_puts(&o->b, " ");
    }
    o->first = false;
    gb_puts(&o->b, name);
    put_values(&o->b, steps);
}

/* Rests from a to b, one token per bar (split at bar lines). */
static void text_rests(TextOut *o, int32_t a, int32_t b)
{
    while (a < b) {
        int32_t e = a + 1;
        while (e < b && !tune_is_bar_start(o->t, e))
            e++;
        text_token(o, a, "r", e - a);
        a = e;
    }
}

ReelStatus gen_notes_text(const Tune *t, char **out, ReelError *err)
{
    TextOut o;
    int32_t cur = 0;
    *out = NULL;
    memset(&o, 0, sizeof o);
    o.t = t;
    o.first = true;
    for (int32_t i = 0, j; i < t->n_notes; i = j) {
        int32_t onset = t->notes[i].onset, d = 0;
        char tok[ENC_TOKEN_MAX_LEN];
        size_t len = 0;
        int last = -1;
        for (j = i; j < t->n_notes && t->notes[j].onset == onset; j++) {
            char name[6];
            if (t->notes[j].dur > d)
                d = t->notes[j].dur;
            if (t->notes[j].pitch == last)
                continue;
            last = t->notes[j].pitch;
            len += (size_t)snprintf(tok + len, sizeof tok - len, "%s%s", len ? "." : "",
                                    pitch_name(last, name));
        }
        if (j < t->n_notes && onset + d > t->notes[j].onset)
            d = t->notes[j].onset - onset;
        if (d <= 0)
            continue;
        if (onset > cur)
            text_rests(&o, cur, onset);
        text_token(&o, onset, tok, d);
        if (onset + d > cur)
            cur = onset + d;
    }
    if (t->n_steps > cur)
        text_rests(&o, cur, t->n_steps);
    if (o.first)
        gb_puts(&o.b, "");
    if (o.b.oom) {
        free(o.b.p);
        return reel_fail(err, REEL_ENOMEM, "out of memory for the note text");
    }
    *out = o.b.p;
    return REEL_OK;
}

/* ------------------------------------------------------------------------ */
/* Bars and excerpts                                                         */

int32_t gen_bar_count(const Tune *t)
{
    int32_t bars = 0;
    for (int32_t s = 0; s < t->n_steps; s = tune_next_bar(t, s))
        bars++;
    return bars;
}

int32_t gen_bar_step(const Tune *t, int32_t bar)
{
    int32_t s = 0;
    for (int32_t i = 0; i < bar && s < ENC_MAX_STEPS; i++)
        s = tune_next_bar(t, s);
    return s;
}

ReelStatus gen_excerpt(const Tune *src, int32_t first_bar, int32_t bars, Tune *out,
                       ReelError *err)
{
    int32_t start, end, last_bar;
    ReelStatus st;
    TimeSig sig;
    tune_init(out);
    if (first_bar < 0)
        return reel_fail(err, REEL_EARG, "gen_excerpt: negative bar");
    start = gen_bar_step(src, first_bar);
    last_bar = gen_bar_step(src, gen_bar_count(src)); /* the bar line at or after the end */
    end = bars > 0 ? gen_bar_step(src, first_bar + bars) : last_bar;
    if (end > last_bar)
        end = last_bar;
    if (end < start)
        end = start;
    if ((st = tune_copy_meta(out, src, err)))
        return st;
    free(out->sigs);
    free(out->tempos);
    out->sigs = NULL;
    out->tempos = NULL;
    out->n_sigs = out->n_tempos = 0;
    sig = tune_sig_at(src, start);
    if (src->n_sigs > 0 && (st = tune_add_sig(out, 0, sig.num, sig.den, err)))
        goto fail;
    for (int32_t i = 0; i < src->n_sigs; i++)
        if (src->sigs[i].step > start && src->sigs[i].step < end &&
            (st = tune_add_sig(out, src->sigs[i].step - start, src->sigs[i].num,
                               src->sigs[i].den, err)))
            goto fail;
    if (src->n_tempos > 0 && (st = tune_add_tempo(out, 0, tune_tempo_at(src, start), err)))
        goto fail;
    for (int32_t i = 0; i < src->n_tempos; i++)
        if (src->tempos[i].step > start && src->tempos[i].step < end &&
            (st = tune_add_tempo(out, src->tempos[i].step - start,
                                 src->tempos[i].usec_per_quarter, err)))
            goto fail;
    for (int32_t i = 0; i < src->n_notes; i++) {
        const Note *a = &src->notes[i];
        int32_t d = a->dur;
        if (a->onset < start || a->onset >= end)
            continue;
        if (a->onset + d > end)
            d = end - a->onset;
        if ((st = tune_add_note(out, a->onset - start, d, a->pitch, a->vel, err)))
            goto fail;
    }
    out->n_steps = end - start;
    tune_sort(out);
    return REEL_OK;
fail:
    tune_free(out);
    return st;
}

static bool has_notes_in(const Tune *t, int32_t a, int32_t b)
{
    for (int32_t i = 0; i < t->n_notes; i++)
        if (t->notes[i].onset >= a && t->notes[i].onset < b)
            return true;
    return false;
}

ReelStatus gen_corpus_excerpt(const Corpus *c, int32_t bars, Rng *r, Tune *out,
                              int32_t *which, int32_t *bar, ReelError *err)
{
    int32_t *cand, nc = 0;
    tune_init(out);
    if (!c || c->n_tunes == 0)
        return reel_fail(err, REEL_EEMPTY, "the corpus has no tunes");
    if (bars < 1)
        bars = 1;
    if (!(cand = malloc((size_t)c->n_tunes * sizeof *cand)))
        return reel_fail(err, REEL_ENOMEM, "out of memory");
    for (int32_t i = 0; i < c->n_tunes; i++)
        if (c->tunes[i].n_notes > 0 && gen_bar_count(&c->tunes[i]) >= bars)
            cand[nc++] = i;
    if (nc == 0) {
        free(cand);
        return reel_fail(err, REEL_EEMPTY, "no tune in the corpus is %ld bars long",
                         (long)bars);
    }
    for (int attempt = 0; attempt < 256; attempt++) {
        int32_t ti = cand[rng_below(r, (uint64_t)nc)];
        const Tune *t = &c->tunes[ti];
        int32_t nb = gen_bar_count(t), b = (int32_t)rng_below(r, (uint64_t)(nb - bars + 1));
        if (!has_notes_in(t, gen_bar_step(t, b), gen_bar_step(t, b + bars)))
            continue;
        free(cand);
        if (which)
            *which = ti;
        if (bar)
            *bar = b;
        return gen_excerpt(t, b, bars, out, err);
    }
    free(cand);
    return reel_fail(err, REEL_EEMPTY, "found no %ld-bar excerpt with notes in the corpus",
                     (long)bars);
}
